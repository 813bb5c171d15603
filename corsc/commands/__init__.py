"""The commands of ``corsc``, one module each: ``add_parser(commands)`` declares its arguments
and ``run(args)`` carries it out and returns the exit code. :mod:`corsc.cli` lists them."""
