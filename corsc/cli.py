"""The command line: ``corsc check | compile | explain | targets | fmt | lsp``.

Exit codes, for every command: 0 success (warnings allowed); 1 the policy has errors (or
warnings under ``--strict``); 2 usage error, unreadable input or an output that cannot be
written; 3 ``--check`` found an output out of date or stale; 70 an internal error (a bug: one
line, no traceback unless ``CORSC_DEBUG=1``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from corsc import __version__
from corsc import diagnostics as d
from corsc.lsp import command as lsp_command
from corsc.source import visible

if TYPE_CHECKING:  # the commands import what they need when they run: a fast --version
    from corsc.backends import Backend, EmitOptions, Merged, OutputFile
    from corsc.frontend import Loaded
    from corsc.source import Source

EXIT_OK, EXIT_POLICY, EXIT_USAGE, EXIT_DRIFT, EXIT_BUG = 0, 1, 2, 3, 70


class UsageError(Exception):
    """A problem with the command line itself: reported in one line, exit 2."""


def main(argv: Sequence[str] | None = None) -> int:
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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="corsc",
        description="A compiler for CORS policy: check a policy file and compile it for a server.",
    )
    parser.add_argument("--version", action="version", version=f"corsc {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def common(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--set",
            dest="overrides",
            action="append",
            default=[],
            metavar="NAME=VALUE[,VALUE…]",
            help="replace the `let` binding NAME (repeatable)",
        )

    def diagnostics_format(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--format", choices=("text", "json", "sarif"), default="text")
        sub.add_argument("--strict", action="store_true", help="fail on warnings too")

    check = commands.add_parser("check", help="report every problem in policy files")
    check.add_argument("files", nargs="+", metavar="FILE")
    check.add_argument(
        "--target",
        dest="targets",
        action="append",
        default=[],
        metavar="T",
        help="also report what target T cannot express (repeatable)",
    )
    common(check)
    diagnostics_format(check)

    compile_ = commands.add_parser("compile", help="compile a policy for a target")
    compile_.add_argument("file", metavar="FILE")
    compile_.add_argument("--target", required=True, metavar="T")
    compile_.add_argument("--policy", metavar="NAME", help="compile only this policy")
    compile_.add_argument(
        "-o", "--output", metavar="PATH", help="write here (a file or a directory)"
    )
    compile_.add_argument(
        "--merge", metavar="PATH", help="update this existing file in place (targets that merge)"
    )
    compile_.add_argument(
        "--check", action="store_true", help="write nothing; exit 3 if the output is out of date"
    )
    compile_.add_argument(
        "-O",
        "--option",
        dest="options",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a target option (see `corsc targets`)",
    )
    common(compile_)
    diagnostics_format(compile_)

    explain = commands.add_parser("explain", help="show how a request is answered, and why")
    explain.add_argument("file", metavar="FILE")
    explain.add_argument("--origin", required=True, help='the Origin, e.g. "https://a.example"')
    explain.add_argument("--method", default="GET", help="the script's method (default GET)")
    explain.add_argument(
        "--header",
        dest="headers",
        action="append",
        default=[],
        metavar="NAME[:VALUE]",
        help="a request header the script sets (repeatable)",
    )
    explain.add_argument("--path", default="/", help="the request path (default /)")
    explain.add_argument("--credentials", action="store_true", help="the script sends credentials")
    common(explain)
    explain.add_argument("--format", choices=("text", "json"), default="text")

    targets = commands.add_parser("targets", help="list the targets and what they can express")
    targets.add_argument("--format", choices=("text", "json"), default="text")

    fmt = commands.add_parser("fmt", help="rewrite policy files in the canonical layout")
    fmt.add_argument(
        "files", nargs="+", metavar="PATH", help="a file, a directory (its *.cors files) or -"
    )
    fmt.add_argument(
        "--check", action="store_true", help="write nothing; exit 3 if a file would change"
    )
    fmt.add_argument("--diff", action="store_true", help="write nothing; show what would change")

    lsp_command.add_parser(commands)
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
    command = {
        "check": _check,
        "compile": _compile,
        "explain": _explain,
        "targets": _targets,
        "fmt": _fmt,
        "lsp": lsp_command.run,
    }[args.command]
    return command(args)


# ---- helpers -------------------------------------------------------------------------------


def _emit_diagnostics(
    diagnostics: Sequence[d.Diagnostic],
    sources: Mapping[str, Source],
    fmt: str,
    stream: TextIO,
    *,
    quiet_when_empty: bool = False,
) -> None:
    from corsc import render

    if fmt == "json":
        stream.write(render.render_json(diagnostics, tool_version=__version__))
    elif fmt == "sarif":
        stream.write(render.render_sarif(diagnostics, tool_version=__version__))
    elif diagnostics or not quiet_when_empty:
        stream.write(render.render_text(diagnostics, sources, color=render.use_color(stream)))


class _Unreadable(Exception):
    """An input file that cannot be read as a policy: its diagnostic, exit 2."""

    def __init__(self, diagnostic: d.Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def _load(path: str, overrides: Sequence[str]) -> Loaded:
    from corsc.frontend import load, read_source

    source, problem = read_source(path)
    if problem is not None:
        raise _Unreadable(problem)
    assert source is not None
    return load(source, overrides)


def _backend(name: str) -> Backend:
    from corsc.backends import UnknownTarget, get

    try:
        return get(name)
    except UnknownTarget as error:
        hint = f"; did you mean `{error.suggestion}`?" if error.suggestion else ""
        raise UsageError(f"unknown target `{name}`{hint} (`corsc targets` lists them)") from None


def _emit_options(
    backend: Backend, target: str, source_name: str, raw: Sequence[str], output: str = ""
) -> EmitOptions:
    from corsc.backends import EmitOptions, validate_options

    values, problems = validate_options(backend, raw)
    if problems:
        raise UsageError("; ".join(problems))
    _require_chosen_format(backend, target, values, output)
    return EmitOptions(__version__, source_name, target, values, output)


def _require_chosen_format(
    backend: Backend, target: str, values: Mapping[str, str], output: str
) -> None:
    """A target whose output format is an option (``-O format=…``) writes the format chosen,
    whatever ``-o`` is called: an ``-o`` name ending in another of its formats (``-o
    settings.toml`` without ``-O format=toml``) is a mistake to point out, never a file to
    fill with the wrong language."""
    formats = next((option.choices for option in backend.options if option.key == "format"), ())
    suffix = os.path.splitext(output)[1].lower().removeprefix(".")
    chosen = values.get("format", "")
    if suffix in formats and suffix != chosen:
        raise UsageError(
            f"-o {output}: target `{target}` writes format `{chosen}` unless told otherwise; "
            f"add `-O format={suffix}` to write {suffix.upper()}"
        )


# ---- commands ------------------------------------------------------------------------------


def _check(args: argparse.Namespace) -> int:
    from corsc.backends import check

    backends = [(target, _backend(target)) for target in args.targets]
    all_diagnostics: list[d.Diagnostic] = []
    sources: dict[str, Source] = {}
    unreadable = False
    for path in args.files:
        try:
            loaded = _load(path, args.overrides)
        except _Unreadable as error:
            unreadable = True
            all_diagnostics.append(error.diagnostic)
            continue
        sources.update(loaded.sources)
        all_diagnostics.extend(loaded.diagnostics)
        if loaded.policy_set is not None:
            for target, backend in backends:
                options = _emit_options(backend, target, visible(path), [])
                all_diagnostics.extend(check(backend, loaded.policy_set, options))
    all_diagnostics.sort(key=d.Diagnostic.sort_key)
    _emit_diagnostics(all_diagnostics, sources, args.format, sys.stdout)
    if unreadable:
        return EXIT_USAGE
    return EXIT_POLICY if d.fails(all_diagnostics, strict=args.strict) else EXIT_OK


def _compile(args: argparse.Namespace) -> int:
    from corsc import output
    from corsc.backends import Merged, MergingBackend, check

    backend = _backend(args.target)
    options = _emit_options(
        backend, args.target, visible(args.file), args.options, args.output or ""
    )
    if args.check and not (args.output or args.merge):
        raise UsageError("--check compares with files on disk: give -o PATH or --merge PATH")
    if args.merge and args.output:
        raise UsageError("use either -o or --merge, not both")
    if args.merge and not isinstance(backend, MergingBackend):
        raise UsageError(f"target `{args.target}` cannot --merge; write with -o instead")
    try:
        loaded = _load(args.file, args.overrides)
    except _Unreadable as error:
        _emit_diagnostics([error.diagnostic], {}, args.format, sys.stderr)
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
        diagnostics.extend(check(backend, policy_set, options))
    diagnostics.sort(key=d.Diagnostic.sort_key)
    failed = policy_set is None or d.fails(diagnostics, strict=args.strict)
    sources = dict(loaded.sources)
    files: list[OutputFile] = []
    merged: Merged | str | None = None
    if not failed:
        assert policy_set is not None
        files = backend.emit(policy_set, options)
        if args.merge:
            merged = _merge(backend, args.merge, files, options)
            if isinstance(merged, str):
                _emit_diagnostics(
                    diagnostics, sources, args.format, sys.stderr, quiet_when_empty=True
                )
                print(f"corsc: error: {merged}", file=sys.stderr)
                return EXIT_USAGE
            diagnostics.extend(merged.diagnostics)
            sources[merged.source.name] = merged.source
    # One report for the policy and the merged file: --format json/sarif is one document.
    _emit_diagnostics(diagnostics, sources, args.format, sys.stderr, quiet_when_empty=True)
    if failed:
        return EXIT_POLICY
    destination = args.output
    if isinstance(merged, Merged):
        if merged.text is None:
            return EXIT_USAGE
        if merged.fails(strict=args.strict):
            return EXIT_POLICY
        from pathlib import Path

        from attrs import evolve

        files = [evolve(files[0], name=Path(args.merge).name, content=merged.text)]
        destination = args.merge
    if destination is None:
        sys.stdout.write(output.render_stdout(files))
        return EXIT_OK
    try:
        plan = output.plan(files, destination)
        if args.check:
            drift = plan.drift
            for path in drift:
                what = "no longer produced" if path in plan.stale else "out of date"
                print(f"corsc: {visible(str(path))} is {what}", file=sys.stderr)
            return EXIT_DRIFT if drift else EXIT_OK
        for path in output.write_all(plan):
            print(
                f"corsc: removed {visible(str(path))}: an earlier output of "
                f"{visible(args.file)} for {args.target} that this compile no longer produces",
                file=sys.stderr,
            )
    except output.OutputError as error:
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


def _explain(args: argparse.Namespace) -> int:
    from corsc import explain

    try:
        loaded = _load(args.file, args.overrides)
    except _Unreadable as error:
        _emit_diagnostics([error.diagnostic], {}, "text", sys.stderr)
        return EXIT_USAGE
    if loaded.policy_set is None or loaded.has_errors:
        _emit_diagnostics(loaded.diagnostics, loaded.sources, "text", sys.stderr)
        return EXIT_POLICY
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


def _targets(args: argparse.Namespace) -> int:
    from corsc.backends import backends
    from corsc.capabilities import Feature

    rows: list[dict[str, Any]] = []
    for backend in backends():
        rows.append(
            {
                "names": list(backend.names),
                "summary": backend.summary,
                "capabilities": [
                    {
                        "feature": feature.name.lower(),
                        "description": feature.value,
                        "support": backend.capabilities[feature].support.value,
                        "note": backend.capabilities[feature].note,
                    }
                    for feature in Feature
                ],
                "deviations": list(backend.deviations),
                "options": [
                    {"key": o.key, "help": o.help, "default": o.default, "choices": list(o.choices)}
                    for o in backend.options
                ],
            }
        )
    if args.format == "json":
        sys.stdout.write(json.dumps({"version": 2, "targets": rows}, indent=2) + "\n")
        return EXIT_OK
    lines = []
    for row in rows:
        names = row["names"]
        lines.append(
            f"{names[0]}" + (f" (alias: {', '.join(names[1:])})" if len(names) > 1 else "")
        )
        lines.append(f"  {row['summary']}")
        for capability in row["capabilities"]:
            note = f" — {capability['note']}" if capability["note"] else ""
            lines.append(f"    {capability['support']:<12} {capability['description']}{note}")
        for deviation in row["deviations"]:
            lines.append(f"    note         {deviation}")
        for option in row["options"]:
            default = f" (default {option['default']})" if option["default"] else ""
            lines.append(f"    -O {option['key']}=…  {option['help']}{default}")
        lines.append("")
    sys.stdout.write("\n".join(lines))
    return EXIT_OK


def _fmt(args: argparse.Namespace) -> int:
    from corsc import fmt

    outcome = fmt.run(
        args.files, check=args.check, diff=args.diff, stdout=sys.stdout, stderr=sys.stderr
    )
    return {
        fmt.Outcome.DONE: EXIT_OK,
        fmt.Outcome.WOULD_CHANGE: EXIT_DRIFT,
        fmt.Outcome.REFUSED: EXIT_USAGE,
    }[outcome]
