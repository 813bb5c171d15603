"""The command line: ``corsc check | compile | build | init | explain | import | probe |
targets | rule | fmt | lsp | completion``.

Each command is a module of :mod:`corsc.commands` with ``add_parser`` (its arguments) and
``run`` (what it does); this module builds the parser from them, runs the one asked for, and
turns what escapes into an exit code.

Exit codes, for every command: 0 success (warnings allowed); 1 the policy has errors (or
warnings under ``--strict``; for ``probe``, also a server answering otherwise than the
policy); 2 usage error, unreadable input or an output that cannot be written; 3 ``--check``
found an output out of date or stale; 70 an internal error (a bug: one line, no traceback
unless ``CORSC_DEBUG=1``).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
from collections.abc import Sequence
from types import ModuleType

from corsc import __version__
from corsc.commands.common import EXIT_BUG, EXIT_OK, EXIT_USAGE, UsageError
from corsc.source import visible

#: The commands, in the order ``corsc --help`` lists them, and the module of each. A command's
#: module is imported only when it is needed (see :func:`parser`), so a ``compile`` never pays
#: for importing what ``import``, ``probe`` or ``lsp`` read.
COMMANDS = {
    "check": "check",
    "compile": "compile",
    "build": "build",
    "init": "init",
    "explain": "explain",
    "import": "import_",
    "probe": "probe",
    "targets": "targets",
    "rule": "rule",
    "fmt": "fmt",
    "lsp": "lsp",
    "completion": "completion",
}


def command_module(name: str) -> ModuleType:
    """The module of the command ``name`` (one of :data:`COMMANDS`)."""
    return importlib.import_module(f"corsc.commands.{COMMANDS[name]}")


def main(argv: Sequence[str] | None = None) -> int:
    # A command allocates hundreds of thousands of small objects for a large policy and makes
    # no reference cycles worth collecting meanwhile: with the cycle collector off, 100,000
    # origins compile in three fifths of the time. It is switched back on (if it was on) for a
    # caller that runs main in-process.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _run(argv)
    except UsageError as error:
        print(f"corsc: error: {visible(str(error))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as error:  # a bug: say so in one line
        if os.environ.get("CORSC_DEBUG") == "1":
            raise
        print(
            f"corsc: internal error ({type(error).__name__}: {visible(str(error))}); this is a "
            "bug in corsc — please report it with the input that caused it "
            "(CORSC_DEBUG=1 shows details)",
            file=sys.stderr,
        )
        return EXIT_BUG
    finally:
        if collecting:
            gc.enable()


def parser(only: str | None = None) -> argparse.ArgumentParser:
    """corsc's argument parser, built from :data:`COMMANDS` (shell completion reads it); with
    ``only``, the parser of that one command, which parses its arguments exactly as the whole
    parser does (the others' modules are then not imported)."""
    built = argparse.ArgumentParser(
        prog="corsc",
        description="A compiler for CORS policy: check a policy file and compile it for a server.",
    )
    built.add_argument("--version", action="version", version=f"corsc {__version__}")
    commands = built.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in [only] if only is not None else COMMANDS:
        command_module(name).add_parser(commands)
    return built


def _command_named(argv: Sequence[str]) -> str | None:
    """The command ``argv`` runs, when its first argument names one (``None`` for
    ``--help``, ``--version``, an unknown command, …: the whole parser answers those)."""
    first = argv[0] if argv else ""
    return first if first in COMMANDS else None


#: Arguments that name files: any bytes the file system allows. Every other argument is text
#: that may end up in an output or a message, so it must be UTF-8.
PATH_ARGUMENTS = frozenset({"files", "file", "output", "merge", "project", "directory"})


def _run(argv: Sequence[str] | None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    args = parser(_command_named(arguments)).parse_args(arguments)
    for key, value in vars(args).items():
        if key in PATH_ARGUMENTS:
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and any(0xD800 <= ord(char) <= 0xDFFF for char in item):
                raise UsageError(
                    f"the argument `{visible(item)}` is not UTF-8 text; corsc reads option "
                    "values as UTF-8 (file names may be any bytes)"
                )
    return command_module(args.command).run(args)
