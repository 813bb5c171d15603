"""``corsc build``: every output of the project (``corsc.toml``), written as one set.

Every output is compiled first; only when none has an error (or, under ``--strict``, a
warning) is anything written, and then all of them at once (:func:`corsc.output_write.write_all`:
staged, then renamed, put back on failure). ``--check`` writes nothing and exits 3 when a file
is out of date or stale; ``--diff`` also shows what would change.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from corsc import diagnostics as d
from corsc.commands.common import (
    EXIT_DRIFT,
    EXIT_OK,
    EXIT_POLICY,
    EXIT_USAGE,
    Unreadable,
    UsageError,
    add_diagnostics_format,
    backend_for,
    emit_diagnostics,
    emit_options,
    load,
)
from corsc.source import visible

if TYPE_CHECKING:
    from corsc.frontend import Loaded
    from corsc.output_plan import Destination
    from corsc.project import Output, Project
    from corsc.source import Source


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub = commands.add_parser("build", help="write every output of the project (corsc.toml)")
    sub.add_argument(
        "--project",
        metavar="PATH",
        help="the project file or its directory (default: the nearest corsc.toml or "
        "pyproject.toml with [tool.corsc], here or above)",
    )
    sub.add_argument("--env", metavar="NAME", help="use the --set values of this environment")
    sub.add_argument(
        "--check", action="store_true", help="write nothing; exit 3 if an output is out of date"
    )
    sub.add_argument(
        "--diff", action="store_true", help="like --check, and show the changes as a unified diff"
    )
    add_diagnostics_format(sub)


def find(where: str | None) -> Project:
    """The project named by ``--project``, or the nearest one from the working directory; a
    usage error when there is none."""
    from corsc.project import PROJECT_FILE, find_project, read_project

    start = Path(where or ".")
    path = start if start.is_file() else find_project(start)
    if path is None or not path.exists():
        near = visible(str(start.absolute()))
        raise UsageError(
            f"no {PROJECT_FILE} in {near} or above (nor a pyproject.toml with [tool.corsc]); "
            "`corsc init` writes one"
        )
    return read_project(path)


def run(args: argparse.Namespace) -> int:
    from corsc import output_plan, output_report, output_write

    project = find(args.project)
    if project.problems:
        emit_diagnostics(project.diagnostics(), {}, args.format, sys.stderr)
        return EXIT_USAGE
    if not project.outputs:
        raise UsageError(f"{visible(str(project.path))} lists no [[output]]; nothing to build")
    if args.env is not None and args.env not in project.environments:
        known = ", ".join(project.environments) or "none"
        raise UsageError(
            f"no environment `{args.env}` in {visible(str(project.path))} (environments: {known})"
        )
    for number, item in enumerate(project.outputs, start=1):
        try:
            backend_for(item.target)
        except UsageError as error:
            raise UsageError(f"{visible(str(project.path))}: output {number}: {error}") from None
    diagnostics: list[d.Diagnostic] = []
    sources: dict[str, Source] = {}
    destinations: list[Destination] = []
    failed = False
    cache: dict[tuple[str, tuple[str, ...]], Loaded] = {}
    for item in project.outputs:
        built = _build(item, args.env, project, diagnostics, sources, cache)
        failed = failed or built is None
        if built is not None:
            destinations.append(built)
    diagnostics.sort(key=d.Diagnostic.sort_key)
    emit_diagnostics(diagnostics, sources, args.format, sys.stderr, quiet_when_empty=True)
    if failed or d.fails(diagnostics, strict=args.strict):
        return EXIT_POLICY
    try:
        plan = output_plan.plan_set(destinations)
        if args.check or args.diff:
            if args.diff:
                sys.stdout.write(output_report.unified_diff(plan))
            for line in output_report.drift_report(plan):
                print(f"corsc: {line}", file=sys.stderr)
            return EXIT_DRIFT if plan.drift else EXIT_OK
        for path in output_write.write_all(plan):
            print(
                f"corsc: removed {visible(str(path))}: an earlier output that no output of "
                "the project produces any more",
                file=sys.stderr,
            )
    except output_plan.OutputError as error:
        print(f"corsc: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    count = len(project.outputs)
    print(
        f"corsc: {output_report.summary(plan, f'{count} output' + ('s' if count > 1 else ''))}",
        file=sys.stderr,
    )
    return EXIT_OK


def _build(
    item: Output,
    environment: str | None,
    project: Project,
    diagnostics: list[d.Diagnostic],
    sources: dict[str, Source],
    cache: dict[tuple[str, tuple[str, ...]], Loaded],
) -> Destination | None:
    """Compile one output: its destination, or ``None`` when it cannot be written (its
    diagnostics are added to ``diagnostics`` either way, as the project selects them). A
    policy file with the same ``--set`` values is loaded once for every output (``cache``)."""
    from corsc.backends import check
    from corsc.output_plan import Destination
    from corsc.output_text import with_newlines

    backend = backend_for(item.target)
    policy = shown(item.policy)
    options = emit_options(backend, item.target, visible(policy), item.options, shown(item.path))
    overrides = tuple(item.overrides(environment))
    try:
        loaded = cache.get((policy, overrides)) or load(policy, overrides)
    except Unreadable as error:
        if error.diagnostic not in diagnostics:
            diagnostics.append(error.diagnostic)
        return None
    cache[(policy, overrides)] = loaded
    sources.update(loaded.sources)
    found = list(loaded.diagnostics)
    if loaded.policy_set is not None and not d.fails(found):
        found.extend(check(backend, loaded.policy_set, options))
    # A policy shared by several outputs is reported once per finding, not once per output.
    for finding in found:
        if project.keeps(finding) and finding not in diagnostics:
            diagnostics.append(finding)
    if loaded.policy_set is None or d.fails(found):
        return None
    from attrs import evolve

    files = tuple(
        evolve(file, content=with_newlines(file.content, item.newline))
        for file in backend.emit(loaded.policy_set, options)
    )
    return Destination(files, _as_typed(item), item.target, newline_tolerant=item.newline_declared)


def _as_typed(item: Output) -> str:
    """The output's path, keeping a trailing ``/`` (a directory to create) as written."""
    suffix = "/" if item.written_path.endswith("/") else ""
    return f"{shown(item.path)}{suffix}"


def shown(path: Path) -> str:
    """``path`` as messages show it: relative to the working directory when it is below it,
    so that a project's messages read like the paths in its file."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
