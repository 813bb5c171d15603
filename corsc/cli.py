"""The command line: ``corsc check | compile | explain | targets | fmt | lsp``.

Each command is a module of :mod:`corsc.commands` with ``add_parser`` (its arguments) and
``run`` (what it does); this module builds the parser from them, runs the one asked for, and
turns what escapes into an exit code.

Exit codes, for every command: 0 success (warnings allowed); 1 the policy has errors (or
warnings under ``--strict``); 2 usage error, unreadable input or an output that cannot be
written; 3 ``--check`` found an output out of date or stale; 70 an internal error (a bug: one
line, no traceback unless ``CORSC_DEBUG=1``).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Sequence

from corsc import __version__
from corsc.commands import check, compile, explain, fmt, lsp, targets
from corsc.commands.common import EXIT_BUG, EXIT_OK, EXIT_USAGE, UsageError
from corsc.source import visible

#: The commands, in the order ``corsc --help`` lists them.
COMMANDS = {
    "check": check,
    "compile": compile,
    "explain": explain,
    "targets": targets,
    "fmt": fmt,
    "lsp": lsp,
}


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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="corsc",
        description="A compiler for CORS policy: check a policy file and compile it for a server.",
    )
    parser.add_argument("--version", action="version", version=f"corsc {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS.values():
        command.add_parser(commands)
    return parser


#: Arguments that name files: any bytes the file system allows. Every other argument is text
#: that may end up in an output or a message, so it must be UTF-8.
_PATH_ARGUMENTS = frozenset({"files", "file", "output", "merge"})


def _run(argv: Sequence[str] | None) -> int:
    args = _parser().parse_args(argv)
    for key, value in vars(args).items():
        if key in _PATH_ARGUMENTS:
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and any(0xD800 <= ord(char) <= 0xDFFF for char in item):
                raise UsageError(
                    f"the argument `{visible(item)}` is not UTF-8 text; corsc reads option "
                    "values as UTF-8 (file names may be any bytes)"
                )
    return COMMANDS[args.command].run(args)
