"""Whole-document formatting through ``corsc fmt``'s engine (:func:`corsc.fmt.format_text`)."""

from __future__ import annotations

from corsc.fmt import format_text
from corsc.lsp.analysis import Analysis


def format_document(analysis: Analysis) -> str | None:
    """The document in ``corsc fmt``'s layout, or ``None`` when it cannot be formatted (it
    has syntax errors, which its diagnostics already show)."""
    return format_text(analysis.text, analysis.source.name).text
