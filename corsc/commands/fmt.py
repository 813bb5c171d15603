"""``corsc fmt``: policy files rewritten in the canonical layout (:mod:`corsc.fmt`)."""

from __future__ import annotations

import argparse
import sys

from corsc.commands.common import EXIT_DRIFT, EXIT_OK, EXIT_USAGE


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub = commands.add_parser("fmt", help="rewrite policy files in the canonical layout")
    sub.add_argument(
        "files", nargs="+", metavar="PATH", help="a file, a directory (its *.cors files) or -"
    )
    sub.add_argument(
        "--check", action="store_true", help="write nothing; exit 3 if a file would change"
    )
    sub.add_argument("--diff", action="store_true", help="write nothing; show what would change")


def run(args: argparse.Namespace) -> int:
    from corsc import fmt

    outcome = fmt.run(
        args.files, check=args.check, diff=args.diff, stdout=sys.stdout, stderr=sys.stderr
    )
    return {
        fmt.Outcome.DONE: EXIT_OK,
        fmt.Outcome.WOULD_CHANGE: EXIT_DRIFT,
        fmt.Outcome.REFUSED: EXIT_USAGE,
    }[outcome]
