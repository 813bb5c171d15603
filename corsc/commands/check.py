"""``corsc check``: every problem in policy files, and what the named targets cannot express.

Files and directories may be mixed (a directory stands for every ``*.cors`` below it, in
sorted order). Inside a project (``corsc.toml``), its rule selection applies; with no FILE,
the project itself is checked: its policies, against the targets of its outputs.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from corsc import diagnostics as d
from corsc.commands.common import (
    EXIT_OK,
    EXIT_POLICY,
    EXIT_USAGE,
    Reporting,
    Unreadable,
    UsageError,
    add_diagnostics_format,
    add_set,
    add_stdin_filename,
    backend_for,
    emit_options,
    load,
)
from corsc.source import Source, visible


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub = commands.add_parser("check", help="report every problem in policy files")
    sub.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="policy files, directories (every *.cors below), or - for stdin; none: the "
        "project's policies (corsc.toml)",
    )
    sub.add_argument(
        "--target",
        dest="targets",
        action="append",
        default=[],
        metavar="T",
        help="also report what target T cannot express (repeatable)",
    )
    add_set(sub)
    add_stdin_filename(sub)
    add_diagnostics_format(sub)


def policy_files(named: list[str]) -> list[str]:
    """The files named, each directory replaced by the ``*.cors`` files below it (sorted), each
    file once; a usage error for a directory that holds none. Hidden directories (``.git``,
    ``.venv``) are not searched, symbolic links to directories are not followed, and a
    directory that cannot be read or vanishes meanwhile is passed over."""
    files: list[str] = []
    for name in named:
        if name != "-" and Path(name).is_dir():
            found: list[str] = []
            for root, directories, names in os.walk(name):
                directories[:] = [each for each in directories if not each.startswith(".")]
                found.extend(
                    os.path.join(root, each)
                    for each in names
                    if each.endswith(".cors") and os.path.isfile(os.path.join(root, each))
                )
            found.sort()
            if not found:
                raise UsageError(f"{visible(name)} is a directory without any .cors file")
            files.extend(found)
        else:
            files.append(name)
    return list(dict.fromkeys(files))


def run(args: argparse.Namespace) -> int:
    from corsc.backends import check
    from corsc.project import project_for

    report = Reporting(args)
    project = project_for(Path.cwd())
    if project is not None and project.problems:
        report.emit(project.diagnostics(), {}, sys.stdout)
        return EXIT_USAGE
    named = list(args.files)
    targets = list(args.targets)
    if not named:
        if project is None:
            raise UsageError(
                "name the policy files to check (or run it in a project: `corsc init`)"
            )
        named = [str(path) for path in project.policies]
        targets = list(dict.fromkeys([*project.targets, *targets]))
    if named.count("-") > 1:
        raise UsageError("`-` (stdin) can be read only once")
    backends = [(target, backend_for(target)) for target in targets]
    all_diagnostics: list[d.Diagnostic] = []
    sources: dict[str, Source] = {}
    unreadable = False
    for path in policy_files(named):
        try:
            loaded = load(path, args.overrides, args.stdin_filename)
        except Unreadable as error:
            unreadable = True
            all_diagnostics.append(error.diagnostic)
            continue
        sources.update(loaded.sources)
        all_diagnostics.extend(loaded.diagnostics)
        if loaded.policy_set is not None:
            for target, backend in backends:
                options = emit_options(backend, target, loaded.policy_set.file, [])
                all_diagnostics.extend(loaded.allowed(check(backend, loaded.policy_set, options)))
    if project is not None:
        all_diagnostics = [item for item in all_diagnostics if project.keeps(item)]
    all_diagnostics.sort(key=d.Diagnostic.sort_key)
    report.emit(all_diagnostics, sources, sys.stdout)
    if unreadable:
        return EXIT_USAGE
    return EXIT_POLICY if report.fails(all_diagnostics) else EXIT_OK
