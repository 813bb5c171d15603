"""Diagnostics as GitHub Actions annotations: one workflow command a line.

Each diagnostic is one ``::error``, ``::warning`` or ``::notice`` command, in the order every
renderer shares (``corsc.render``); its message and properties are escaped as the runner reads
them, so no text in a policy can end a command early or start another.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from corsc.diagnostics import Diagnostic, Severity
from corsc.render import encoded, in_order, override_argument
from corsc.source import UTF16, Source

_GITHUB_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _github_data(text: str) -> str:
    """A workflow command's message escaped as the runner reads it: ``%``, CR and LF."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _github_property(text: str) -> str:
    """A workflow command's property value escaped: as a message, and ``:`` and ``,``."""
    return _github_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(
    diagnostics: Iterable[Diagnostic],
    sources: Mapping[str, Source] | None = None,
    *,
    encoding: str = UTF16,
) -> str:
    """GitHub Actions annotations, one workflow command a line::

        ::warning file=api.cors,line=16,col=3,endLine=16,endColumn=18,title=CORS407 …::message

    Infos are ``notice``. The message carries the help on a second line. A ``--set`` argument
    is no file: its annotation names the argument in the message and has no location. Columns
    count ``encoding``; ``endColumn`` is given only for a range on one line (GitHub ignores it
    otherwise)."""
    lines = []
    for item in (encoded(item, sources or {}, encoding) for item in in_order(diagnostics)):
        span = item.span
        message = item.message + (f"\nhelp: {item.help}" if item.help else "")
        argument = override_argument(span.file)
        properties: list[tuple[str, object]] = []
        if argument is not None:
            message = f"{argument}: {message}"
        else:
            properties += [("file", span.file), ("line", span.start.line)]
            properties += [("col", span.start.column), ("endLine", span.end.line)]
            if span.end.line == span.start.line:
                properties.append(("endColumn", span.end.column))
        properties.append(("title", f"{item.code} {item.name}"))
        shown = ",".join(f"{key}={_github_property(str(value))}" for key, value in properties)
        lines.append(f"::{_GITHUB_COMMAND[item.severity]} {shown}::{_github_data(message)}\n")
    return "".join(lines)
