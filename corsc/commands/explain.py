"""``corsc explain``: how a script's request is answered under a policy, and why."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from corsc.commands.common import (
    EXIT_OK,
    EXIT_POLICY,
    Reporting,
    UsageError,
    add_diagnostic_controls,
    add_set,
    load_usable,
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
    sub.add_argument(
        "--expect",
        choices=("allow", "block"),
        help="exit 1 unless the browser's verdict is this (a policy test in CI)",
    )
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
    add_diagnostic_controls(sub)


def run(args: argparse.Namespace) -> int:
    from corsc import explain

    policy_set = load_usable(args.file, args.overrides, Reporting(args, "text"))
    if isinstance(policy_set, int):
        return policy_set
    if args.html:
        return _html(policy_set, args.verdicts)
    if args.verdicts is not None:
        raise UsageError("--verdicts goes with --html")
    if args.origin is None:
        raise UsageError("--origin is required (or --html for the whole matrix)")
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
    warning = unsendable(args.origin)
    if warning is not None:
        print(f"corsc: warning: {warning}", file=sys.stderr)
    if args.format == "json":
        sys.stdout.write(json.dumps(report.to_dict(), indent=2) + "\n")
    else:
        sys.stdout.write(report.to_text())
    verdict = "allow" if report.verdict.startswith("allowed") else "block"
    if args.expect is not None and verdict != args.expect:
        print(
            f"corsc: expected {args.expect}, but the browser's verdict is: {report.verdict}",
            file=sys.stderr,
        )
        return EXIT_POLICY
    return EXIT_OK


def unsendable(origin: str) -> str | None:
    """Why no browser would send ``origin`` as an Origin header (``None`` when one could):
    browsers send ``null`` or a serialised origin — lowercase scheme and host, no default
    port, nothing after the port — so any other text is refused by every policy, and a
    "blocked" verdict for it says nothing about the policy."""
    from corsc.origins import PatternKind, parse_pattern
    from corsc.source import Source, visible

    parsed = parse_pattern(origin, Source("--origin", origin).span(0))
    pattern = parsed.pattern
    if pattern is not None and pattern.kind in (PatternKind.EXACT, PatternKind.NULL):
        if parsed.canonical_text is None:
            return None
        return (
            f"no browser sends the Origin `{visible(origin)}` ({parsed.why_not_canonical}); "
            f"it sends `{parsed.canonical_text}`"
        )
    if pattern is not None:
        reason = "it is a pattern, and a browser sends one origin"
    else:
        assert parsed.problem is not None
        reason = f"{parsed.problem.message}; {parsed.problem.help}"
    return f"no browser sends the Origin `{visible(origin)}`: {reason}"


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
