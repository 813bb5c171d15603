"""``corsc compile``: a policy for one target, to stdout, to files (all or nothing), merged
into an existing file, or compared with what is on disk (``--check``)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from corsc import diagnostics as d
from corsc.commands.common import (
    EXIT_DRIFT,
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
from corsc.source import visible

if TYPE_CHECKING:
    from corsc.backends import Backend, EmitOptions, Merged, OutputFile


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub = commands.add_parser("compile", help="compile a policy for a target")
    sub.add_argument("file", metavar="FILE")
    sub.add_argument(
        "--target",
        dest="targets",
        action="append",
        required=True,
        metavar="T",
        help="the target (once: several outputs are a project's, see `corsc build`)",
    )
    sub.add_argument("--policy", metavar="NAME", help="compile only this policy")
    sub.add_argument(
        "-o",
        "--output",
        metavar="PATH",
        help="write here: the file, for a target that writes one; a directory (existing, or "
        "ending in /) for one that writes several",
    )
    sub.add_argument(
        "--merge", metavar="PATH", help="update this existing file in place (targets that merge)"
    )
    sub.add_argument(
        "--check", action="store_true", help="write nothing; exit 3 if the output is out of date"
    )
    sub.add_argument(
        "-O",
        "--option",
        dest="options",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a target option (see `corsc targets`)",
    )
    add_set(sub)
    add_stdin_filename(sub)
    add_diagnostics_format(sub)


def run(args: argparse.Namespace) -> int:
    from corsc.backends import Merged, MergingBackend, check

    if len(args.targets) > 1:
        raise UsageError(
            f"compile writes one target, and --target was given {len(args.targets)} times "
            f"({', '.join(args.targets)}); to write several, list them as outputs in corsc.toml "
            "and run `corsc build` (`corsc init` writes a starter project)"
        )
    args.target = args.targets[0]
    report = Reporting(args)
    backend = backend_for(args.target)
    name = args.stdin_filename if args.file == "-" and args.stdin_filename else args.file
    options = emit_options(backend, args.target, visible(name), args.options, args.output or "")
    if args.check and not (args.output or args.merge):
        raise UsageError("--check compares with files on disk: give -o PATH or --merge PATH")
    if args.merge and args.output:
        raise UsageError("use either -o or --merge, not both")
    if args.merge and not isinstance(backend, MergingBackend):
        raise UsageError(f"target `{args.target}` cannot --merge; write with -o instead")
    try:
        loaded = load(args.file, args.overrides, args.stdin_filename)
    except Unreadable as error:
        report.emit([error.diagnostic], {}, sys.stderr)
        return EXIT_USAGE
    policy_set = loaded.policy_set
    diagnostics = list(loaded.diagnostics)
    if policy_set is not None and args.policy:
        chosen = policy_set.policy(args.policy)
        if chosen is None:
            import difflib

            names = [policy.name for policy in policy_set.policies]
            hint = difflib.get_close_matches(args.policy, names, n=1)
            raise UsageError(
                f"{args.file} has no policy `{args.policy}`"
                + (f"; did you mean `{hint[0]}`?" if hint else f" (policies: {', '.join(names)})")
            )
        from attrs import evolve

        policy_set = evolve(policy_set, policies=(chosen,))
    if policy_set is not None and not d.fails(diagnostics):
        diagnostics.extend(loaded.allowed(check(backend, policy_set, options)))
    diagnostics.sort(key=d.Diagnostic.sort_key)
    failed = policy_set is None or report.fails(diagnostics)
    sources = dict(loaded.sources)
    files: list[OutputFile] = []
    merged: Merged | str | None = None
    if not failed:
        assert policy_set is not None
        files = backend.emit(policy_set, options)
        if args.merge:
            merged = _merge(backend, args.merge, files, options)
            if isinstance(merged, str):
                report.emit(diagnostics, sources, sys.stderr, quiet_when_empty=True)
                print(f"corsc: error: {merged}", file=sys.stderr)
                return EXIT_USAGE
            diagnostics.extend(merged.diagnostics)
            sources[merged.source.name] = merged.source
    # One report for the policy and the merged file: --format json/sarif is one document.
    report.emit(diagnostics, sources, sys.stderr, quiet_when_empty=True)
    if failed:
        return EXIT_POLICY
    destination = args.output
    if isinstance(merged, Merged):
        if merged.text is None:
            return EXIT_USAGE
        if report.fails(merged.diagnostics):
            return EXIT_POLICY
        from pathlib import Path

        from attrs import evolve

        files = [evolve(files[0], name=Path(args.merge).name, content=merged.text)]
        destination = args.merge
    if destination is None:
        from corsc.output_text import render_stdout

        sys.stdout.write(render_stdout(files))
        return EXIT_OK
    from corsc import output_plan, output_report, output_write

    try:
        plan = output_plan.plan(files, destination, args.target)
        if args.check:
            for line in output_report.drift_report(plan):
                print(f"corsc: {line}", file=sys.stderr)
            return EXIT_DRIFT if plan.drift else EXIT_OK
        for path in output_write.write_all(plan):
            print(
                f"corsc: removed {visible(str(path))}: an earlier output of "
                f"{visible(args.file)} for {args.target} that this compile no longer produces",
                file=sys.stderr,
            )
        print(f"corsc: {output_report.summary(plan, args.target)}", file=sys.stderr)
    except output_plan.OutputError as error:
        print(f"corsc: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


#: The largest existing file ``--merge`` reads (a web.config is kilobytes; this bounds a
#: device or an endless file named by mistake).
_MERGE_LIMIT = 64 * 1024 * 1024


def _merge(
    backend: Backend, path: str, files: list[OutputFile], options: EmitOptions
) -> Merged | str:
    """Merge the emitted file into the existing one at ``path`` (why not, when it cannot be
    read). What the merge says about that file — hand-written CORS handling it
    took over or refuses — is reported against it; a refusal is exit 2, and under ``--strict``
    a warning stops the write (exit 1)."""

    from corsc.backends import MergingBackend
    from corsc.source import NotAFile, read_bounded

    try:
        existing = read_bounded(path, _MERGE_LIMIT)
    except (OSError, ValueError) as error:
        reason: object = error
        if isinstance(error, NotAFile):
            reason = f"it is {error.what}, not a regular file"
        elif isinstance(error, OSError) and error.strerror:
            reason = error.strerror
        return f"cannot read {visible(path)}: {reason}"
    assert isinstance(backend, MergingBackend)  # checked with the arguments
    return backend.merge(existing, files, options, path)
