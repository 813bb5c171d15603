"""``corsc check``: every problem in policy files, and what the named targets cannot express."""

from __future__ import annotations

import argparse
import sys

from corsc import diagnostics as d
from corsc.commands.common import (
    EXIT_OK,
    EXIT_POLICY,
    EXIT_USAGE,
    Reporting,
    Unreadable,
    add_diagnostics_format,
    add_set,
    backend_for,
    emit_options,
    load,
)
from corsc.source import Source, visible


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub = commands.add_parser("check", help="report every problem in policy files")
    sub.add_argument("files", nargs="+", metavar="FILE")
    sub.add_argument(
        "--target",
        dest="targets",
        action="append",
        default=[],
        metavar="T",
        help="also report what target T cannot express (repeatable)",
    )
    add_set(sub)
    add_diagnostics_format(sub)


def run(args: argparse.Namespace) -> int:
    from corsc.backends import check

    report = Reporting(args)
    backends = [(target, backend_for(target)) for target in args.targets]
    all_diagnostics: list[d.Diagnostic] = []
    sources: dict[str, Source] = {}
    unreadable = False
    for path in args.files:
        try:
            loaded = load(path, args.overrides)
        except Unreadable as error:
            unreadable = True
            all_diagnostics.append(error.diagnostic)
            continue
        sources.update(loaded.sources)
        all_diagnostics.extend(loaded.diagnostics)
        if loaded.policy_set is not None:
            for target, backend in backends:
                options = emit_options(backend, target, visible(path), [])
                all_diagnostics.extend(loaded.allowed(check(backend, loaded.policy_set, options)))
    all_diagnostics.sort(key=d.Diagnostic.sort_key)
    report.emit(all_diagnostics, sources, sys.stdout)
    if unreadable:
        return EXIT_USAGE
    return EXIT_POLICY if report.fails(all_diagnostics) else EXIT_OK
