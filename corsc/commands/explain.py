"""``corsc explain``: how a script's request is answered under a policy, and why."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from corsc.commands.common import (
    EXIT_OK,
    EXIT_POLICY,
    EXIT_USAGE,
    Unreadable,
    UsageError,
    add_set,
    emit_diagnostics,
    load,
)
from corsc.ir import PolicySet


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub = commands.add_parser("explain", help="show how a request is answered, and why")
    sub.add_argument("file", metavar="FILE")
    sub.add_argument("--origin", help='the Origin, e.g. "https://a.example" (not with --html)')
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
    sub.add_argument(
        "--html",
        action="store_true",
        help="write an HTML page: every policy's matrix of origins × request kinds",
    )
    sub.add_argument(
        "--verdicts",
        metavar="JSON",
        help="with --html: a browser's verdicts from the last test run, shown in each cell",
    )


def run(args: argparse.Namespace) -> int:
    from corsc import explain

    try:
        loaded = load(args.file, args.overrides)
    except Unreadable as error:
        emit_diagnostics([error.diagnostic], {}, "text", sys.stderr)
        return EXIT_USAGE
    if loaded.policy_set is None or loaded.has_errors:
        emit_diagnostics(loaded.diagnostics, loaded.sources, "text", sys.stderr)
        return EXIT_POLICY
    if args.html:
        return _html(loaded.policy_set, args.verdicts)
    if args.verdicts is not None:
        raise UsageError("--verdicts goes with --html")
    if args.origin is None:
        raise UsageError("--origin is required (or --html for the whole matrix)")
    try:
        report = explain.explain(
            loaded.policy_set,
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


def _html(policy_set: PolicySet, verdicts_path: str | None) -> int:
    from corsc import explain_html

    if verdicts_path is None:
        verdicts = None
    else:
        try:
            verdicts = explain_html.read_verdicts(Path(verdicts_path))
        except ValueError as error:
            raise UsageError(str(error)) from None
    sys.stdout.write(explain_html.render(policy_set, verdicts))
    return EXIT_OK
