"""What the commands share: exit codes, the usage error, loading a policy file, choosing a
target and its options, and writing diagnostics in the format asked for.

Everything heavy (the front end, the backends, the renderers) is imported when a command runs,
so ``corsc --version`` and argument errors stay fast.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, TextIO

from corsc import __version__
from corsc import diagnostics as d

if TYPE_CHECKING:
    from corsc.backends import Backend, EmitOptions
    from corsc.frontend import Loaded
    from corsc.ir import PolicySet
    from corsc.source import Source

EXIT_OK, EXIT_POLICY, EXIT_USAGE, EXIT_DRIFT, EXIT_BUG = 0, 1, 2, 3, 70


class UsageError(Exception):
    """A problem with the command line itself: reported in one line, exit 2."""


def add_set(sub: argparse.ArgumentParser) -> None:
    """``--set NAME=VALUE``: replace a ``let`` binding."""
    sub.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="NAME=VALUE[,VALUE…]",
        help="replace the `let` binding NAME (repeatable)",
    )


def add_diagnostic_controls(sub: argparse.ArgumentParser) -> None:
    """What every command that reports diagnostics takes: which to report, and how to show
    them (``--select``, ``--ignore``, ``--quiet``, ``--color``)."""
    for flag, verb in (("--select", "report only"), ("--ignore", "do not report")):
        sub.add_argument(
            flag,
            action="append",
            default=[],
            metavar="CODE",
            help=f"{verb} these diagnostics: codes (CORS407), slugs or families (CORS4); "
            "comma-separated or repeated; errors are always reported",
        )
    sub.add_argument(
        "-q", "--quiet", action="store_true", help="report no infos, and say nothing when clean"
    )
    sub.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the text report (auto: on a terminal; NO_COLOR and FORCE_COLOR are obeyed)",
    )


def add_diagnostics_format(sub: argparse.ArgumentParser) -> None:
    """``--format`` for diagnostics, ``--position-encoding``, ``--strict`` and the controls of
    :func:`add_diagnostic_controls`."""
    from corsc.source import POSITION_ENCODINGS

    sub.add_argument("--format", choices=FORMATS, default="text")
    sub.add_argument(
        "--position-encoding",
        choices=POSITION_ENCODINGS,
        help="what columns count in json, sarif and github output: code points (the default "
        "for json and sarif) or UTF-16 code units (the default for github)",
    )
    sub.add_argument("--strict", action="store_true", help="fail on warnings too")
    sub.add_argument(
        "--verbose", action="store_true", help="show each target note, not one line per target"
    )
    add_diagnostic_controls(sub)


#: The ``--format`` choices for diagnostics.
FORMATS = ("text", "json", "sarif", "github")


class Reporting:
    """How a command reports diagnostics, from its arguments: the selection (``--select``,
    ``--ignore``), ``--quiet``, ``--strict``, the format, the position encoding and colour.
    Built before any input is read, so a bad selector is a usage error (exit 2) first."""

    def __init__(self, args: argparse.Namespace, fmt: str | None = None) -> None:
        from corsc.selection import Selection, SelectionError

        def selectors(values: Sequence[str]) -> list[str]:
            return [part for value in values for part in value.split(",") if part.strip()]

        try:
            self.selection = Selection(selectors(args.select), selectors(args.ignore))
        except SelectionError as error:
            raise UsageError(str(error)) from None
        self.format = fmt or args.format
        self.quiet: bool = args.quiet
        self.strict: bool = getattr(args, "strict", False)
        self.color: str = args.color
        self.verbose: bool = getattr(args, "verbose", False)
        chosen = getattr(args, "position_encoding", None)
        self.encoding: str = chosen or ("utf-16" if self.format == "github" else "code-points")

    @classmethod
    def plain(cls, fmt: str) -> Reporting:
        """The reporting of a command without the selection controls: every diagnostic, in
        ``fmt``, colour chosen by the terminal."""
        return cls(
            argparse.Namespace(select=[], ignore=[], quiet=False, color="auto", format=fmt), fmt
        )

    def select(self, diagnostics: Sequence[d.Diagnostic]) -> list[d.Diagnostic]:
        """The diagnostics reported: the selection's, without infos under ``--quiet``."""
        chosen = self.selection.apply(diagnostics)
        if self.quiet:
            return [item for item in chosen if item.severity is not d.Severity.INFO]
        return chosen

    def fails(self, diagnostics: Sequence[d.Diagnostic]) -> bool:
        """Whether the reported diagnostics fail the run (errors; warnings under --strict)."""
        return d.fails(self.select(diagnostics), strict=self.strict)

    def emit(
        self,
        diagnostics: Sequence[d.Diagnostic],
        sources: Mapping[str, Source],
        stream: TextIO,
        *,
        quiet_when_empty: bool = False,
    ) -> None:
        """Write the reported diagnostics to ``stream`` in the format asked for (the text
        format says nothing when there is nothing to say and ``quiet_when_empty`` or
        ``--quiet``)."""
        shown = self.select(diagnostics)
        if self.format == "json":
            from corsc.render_json import render_json

            stream.write(
                render_json(
                    shown, tool_version=__version__, sources=sources, encoding=self.encoding
                )
            )
        elif self.format == "sarif":
            from corsc.render_sarif import render_sarif

            stream.write(
                render_sarif(
                    shown, tool_version=__version__, sources=sources, encoding=self.encoding
                )
            )
        elif self.format == "github":
            from corsc.render_github import render_github

            stream.write(render_github(shown, sources, encoding=self.encoding))
        elif shown or not (quiet_when_empty or self.quiet):
            from corsc.render_text import render_text, use_color

            color = use_color(stream, self.color)
            stream.write(
                render_text(shown, sources, color=color, fold_target_notes=not self.verbose)
            )


class Unreadable(Exception):
    """An input file that cannot be read as a policy: its diagnostic, exit 2."""

    def __init__(self, diagnostic: d.Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def add_stdin_filename(sub: argparse.ArgumentParser) -> None:
    """``--stdin-filename NAME``: what to call the policy read from ``-``."""
    sub.add_argument(
        "--stdin-filename",
        metavar="NAME",
        help="the file name to report for a policy read from `-` (editors, pre-commit)",
    )


def load(path: str, overrides: Sequence[str], stdin_name: str | None = None) -> Loaded:
    """The policy file at ``path``, loaded; :class:`Unreadable` when it cannot be read. A
    policy read from ``-`` is called ``stdin_name`` when given (in diagnostics, outputs and
    their provenance), ``-`` otherwise."""
    from corsc.frontend import load, read_source
    from corsc.source import Source, visible

    source, problem = read_source(path)
    if problem is not None:
        raise Unreadable(problem)
    assert source is not None
    if path == "-" and stdin_name:
        source = Source(visible(stdin_name), source.text)
    return load(source, overrides)


def load_usable(
    path: str, overrides: Sequence[str], reporting: Reporting | None = None
) -> PolicySet | int:
    """The policy set of the file at ``path`` for a command that needs one without errors; or,
    with its diagnostics written to stderr as text (through ``reporting``, when the command
    has the selection controls), the exit code: 2 when it cannot be read, 1 when it has
    errors."""
    import sys

    report = reporting or Reporting.plain("text")
    try:
        loaded = load(path, overrides)
    except Unreadable as error:
        report.emit([error.diagnostic], {}, sys.stderr)
        return EXIT_USAGE
    if loaded.policy_set is None or loaded.has_errors:
        report.emit(loaded.diagnostics, loaded.sources, sys.stderr)
        return EXIT_POLICY
    return loaded.policy_set


def backend_for(name: str) -> Backend:
    """The backend of a target name, or a usage error naming the closest one."""
    from corsc.backends import UnknownTarget, get

    try:
        return get(name)
    except UnknownTarget as error:
        hint = f"; did you mean `{error.suggestion}`?" if error.suggestion else ""
        raise UsageError(f"unknown target `{name}`{hint} (`corsc targets` lists them)") from None


def emit_options(
    backend: Backend, target: str, source_name: str, raw: Sequence[str], output: str = ""
) -> EmitOptions:
    """The options a backend is given, from ``-O`` arguments validated against its own."""
    from corsc.backends import EmitOptions, validate_options

    values, problems = validate_options(backend, raw)
    if problems:
        raise UsageError("; ".join(problems))
    require_chosen_format(backend, target, values, output)
    return EmitOptions(__version__, source_name, target, values, output)


def require_chosen_format(
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


def emit_diagnostics(
    diagnostics: Sequence[d.Diagnostic],
    sources: Mapping[str, Source],
    fmt: str,
    stream: TextIO,
    *,
    quiet_when_empty: bool = False,
) -> None:
    """Write every diagnostic to ``stream`` in ``fmt``, for a command without the selection
    controls (``corsc import``)."""
    Reporting.plain(fmt).emit(diagnostics, sources, stream, quiet_when_empty=quiet_when_empty)
