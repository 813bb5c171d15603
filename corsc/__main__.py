"""``python -m corsc`` — the same as the ``corsc`` command (whose entry point is :func:`run`)."""

import sys


def run() -> int:
    """corsc's command line, as a process of its own. The cycle collector is switched off
    before corsc is imported, not only while a command runs (``corsc.cli.main``): importing
    builds thousands of objects, none of them garbage, and the collector would walk them again
    and again. It stays off: the process ends when the command does."""
    import gc

    gc.disable()
    from corsc.cli import main

    return main()


if __name__ == "__main__":
    sys.exit(run())
