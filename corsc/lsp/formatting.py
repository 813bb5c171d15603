"""Whole-document formatting through ``corsc fmt``'s engine (:mod:`corsc.fmt`)."""

from __future__ import annotations

import importlib
from typing import Protocol

from corsc.lsp.analysis import Analysis


class _Formatted(Protocol):
    text: str | None


class _FormatText(Protocol):
    def __call__(self, text: str, name: str, /) -> _Formatted: ...


def format_document(analysis: Analysis) -> str | None:
    """The document in ``corsc fmt``'s layout, or ``None`` when it cannot be formatted (it
    has syntax errors, which its diagnostics already show)."""
    format_text: _FormatText = importlib.import_module("corsc.fmt").format_text
    return format_text(analysis.text, analysis.source.name).text
