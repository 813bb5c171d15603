"""``corsc rule CODE``: one rule's documentation — what it reports, why, an example, the fix."""

from __future__ import annotations

import argparse
import json
import sys

from corsc.commands.common import EXIT_OK, UsageError


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub = commands.add_parser("rule", help="explain a diagnostic: what, why, an example, the fix")
    sub.add_argument("code", metavar="CODE", help="a code (CORS407) or a slug (unlisted-reject…)")
    sub.add_argument("--format", choices=("text", "json"), default="text")


def run(args: argparse.Namespace) -> int:
    from corsc import rules

    try:
        rule = rules.find(args.code)
    except LookupError as error:
        raise UsageError(str(error)) from None
    if args.format == "json":
        sys.stdout.write(json.dumps(rule.to_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(rule.to_text())
    return EXIT_OK
