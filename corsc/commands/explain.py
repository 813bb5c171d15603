"""``corsc explain``: how a script's request is answered under a policy, and why."""

from __future__ import annotations

import argparse
import json
import sys

from corsc.commands.common import (
    EXIT_OK,
    Reporting,
    UsageError,
    add_diagnostic_controls,
    add_set,
    load_usable,
)


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub = commands.add_parser("explain", help="show how a request is answered, and why")
    sub.add_argument("file", metavar="FILE")
    sub.add_argument("--origin", required=True, help='the Origin, e.g. "https://a.example"')
    sub.add_argument("--method", default="GET", help="the script's method (default GET)")
    sub.add_argument(
        "--header",
        dest="headers",
        action="append",
        default=[],
        metavar="NAME[:VALUE]",
        help="a request header the script sets (repeatable)",
    )
    sub.add_argument("--path", default="/", help="the request path (default /)")
    sub.add_argument("--credentials", action="store_true", help="the script sends credentials")
    add_set(sub)
    sub.add_argument("--format", choices=("text", "json"), default="text")
    add_diagnostic_controls(sub)


def run(args: argparse.Namespace) -> int:
    from corsc import explain

    policy_set = load_usable(args.file, args.overrides, Reporting(args, "text"))
    if isinstance(policy_set, int):
        return policy_set
    try:
        report = explain.explain(
            policy_set,
            origin=args.origin,
            method=args.method,
            headers=args.headers,
            path=args.path,
            credentials=args.credentials,
        )
    except ValueError as error:
        raise UsageError(str(error)) from None
    if args.format == "json":
        sys.stdout.write(json.dumps(report.to_dict(), indent=2) + "\n")
    else:
        sys.stdout.write(report.to_text())
    return EXIT_OK
