"""Helpers for the tests of corsc.checks: load a small policy through the whole front end and
pick out what it reports.

Ranges are given as ``(line, column, end line, end column)``, 1-based, the end exclusive.
"""

from __future__ import annotations

from corsc.diagnostics import Diagnostic, Severity
from corsc.frontend import load
from corsc.source import Source, Span

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO


def diagnostics(text: str, *overrides: str) -> tuple[Diagnostic, ...]:
    return load(Source("api.cors", text), overrides).diagnostics


def found(text: str, code: str, *overrides: str) -> list[Diagnostic]:
    return [item for item in diagnostics(text, *overrides) if item.code == code]


def one(text: str, code: str, *overrides: str) -> Diagnostic:
    items = found(text, code, *overrides)
    assert len(items) == 1, items
    return items[0]


def codes(text: str, *overrides: str) -> list[str]:
    return [item.code for item in diagnostics(text, *overrides)]


def where(span: Span) -> tuple[int, int, int, int]:
    return (span.start.line, span.start.column, span.end.line, span.end.column)


def at(text: str, needle: str, occurrence: int = 1) -> tuple[int, int, int, int]:
    """The range of the ``occurrence``-th ``needle`` in ``text`` (which must sit on one line)."""
    offset = -1
    for _ in range(occurrence):
        offset = text.index(needle, offset + 1)
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return (line, column, line, column + len(needle))


def policy(*statements: str, name: str = "api") -> str:
    body = "".join(f"  {statement}\n" for statement in statements)
    return f"policy {name} {{\n{body}}}\n"
