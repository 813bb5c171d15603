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


def add_diagnostics_format(sub: argparse.ArgumentParser) -> None:
    """``--format`` for diagnostics and ``--strict``."""
    sub.add_argument("--format", choices=("text", "json", "sarif"), default="text")
    sub.add_argument("--strict", action="store_true", help="fail on warnings too")


def emit_diagnostics(
    diagnostics: Sequence[d.Diagnostic],
    sources: Mapping[str, Source],
    fmt: str,
    stream: TextIO,
    *,
    quiet_when_empty: bool = False,
) -> None:
    """Write ``diagnostics`` to ``stream`` as text, JSON or SARIF (text says nothing when
    there is nothing to say and ``quiet_when_empty``)."""
    from corsc import render

    if fmt == "json":
        stream.write(render.render_json(diagnostics, tool_version=__version__))
    elif fmt == "sarif":
        stream.write(render.render_sarif(diagnostics, tool_version=__version__))
    elif diagnostics or not quiet_when_empty:
        stream.write(render.render_text(diagnostics, sources, color=render.use_color(stream)))


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
