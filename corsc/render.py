"""What every diagnostic renderer shares: the order, the positions, the names of ``--set``.

Every renderer (``corsc.render_text``, ``corsc.render_json``, ``corsc.render_sarif``,
``corsc.render_github``) orders diagnostics with :func:`in_order` — file, start offset, end
offset, code, then message as a tiebreak — so the same findings always render byte for byte
the same. Positions count code points as corsc's spans do, or UTF-16 units after
:func:`encoded`; a ``--set`` argument is a synthetic source that no format shows as a file
(:func:`override_argument` names it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping

from attrs import evolve

from corsc.diagnostics import Diagnostic, Fix, Related, TextEdit
from corsc.source import CODE_POINTS, Source, Span

#: Where every rule is documented (the README's Diagnostics section, as the package index
#: shows it); SARIF's ``helpUri`` and the language server's code description.
RULES_URL = "https://pypi.org/project/corsc/#diagnostics"

#: The name of the synthetic source of the N-th ``--set`` argument (corsc.bindings names them):
#: a command-line argument, not a file, so no format shows it as a path or URI.
_OVERRIDE = re.compile(r"<--set #([0-9]+)>")


def in_order(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """``diagnostics`` in the order every renderer writes them."""
    return sorted(diagnostics, key=lambda item: (*item.sort_key(), item.message))


def severity_counts(diagnostics: list[Diagnostic]) -> dict[str, int]:
    """How many ``errors``, ``warnings`` and ``infos`` there are (every key always present)."""
    counts = {"errors": 0, "warnings": 0, "infos": 0}
    for item in diagnostics:
        counts[item.severity.value + "s"] += 1
    return counts


def json_text(document: object) -> str:
    """``document`` as the JSON formats write it: indented, ASCII-only, one final newline."""
    return json.dumps(document, indent=2) + "\n"


def encoded(diagnostic: Diagnostic, sources: Mapping[str, Source], encoding: str) -> Diagnostic:
    """``diagnostic`` with every position (its span, its notes', its fixes') counted in
    ``encoding`` (``code-points`` or ``utf-16``; corsc.source converts). A span of a file
    missing from ``sources`` is left as it is: its text is unknown."""
    if encoding == CODE_POINTS:
        return diagnostic

    def span(item: Span) -> Span:
        source = sources.get(item.file)
        if source is None:
            return item
        return Span(
            item.file, source.encoded(item.start, encoding), source.encoded(item.end, encoding)
        )

    return evolve(
        diagnostic,
        span=span(diagnostic.span),
        related=tuple(Related(span(item.span), item.message) for item in diagnostic.related),
        fixes=tuple(
            Fix(fix.message, tuple(TextEdit(span(edit.span), edit.new_text) for edit in fix.edits))
            for fix in diagnostic.fixes
        ),
    )


def override_argument(file: str) -> str | None:
    """``--set #N`` when ``file`` is the synthetic source of a ``--set`` argument."""
    match = _OVERRIDE.fullmatch(file)
    return f"--set #{match.group(1)}" if match else None
