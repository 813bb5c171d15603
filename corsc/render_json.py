"""The ``--format json`` document: the diagnostics an editor or script reads.

The document is the one the README describes (``corsc/schema/diagnostics.schema.json`` is its
JSON Schema): ASCII-only, so any terminal or pipe encoding can carry it, with the diagnostics
in the order every renderer shares (``corsc.render``) and a summary that counts each of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from corsc.diagnostics import Diagnostic
from corsc.render import encoded, in_order, json_text, severity_counts
from corsc.source import CODE_POINTS, Source

#: The ``version`` of the ``--format json`` document; bump it when its shape changes.
JSON_FORMAT_VERSION = 1


def render_json(
    diagnostics: Iterable[Diagnostic],
    *,
    tool_version: str,
    sources: Mapping[str, Source] | None = None,
    encoding: str = CODE_POINTS,
) -> str:
    """The ``--format json`` document (the README shows its shape; ``corsc/schema/
    diagnostics.schema.json`` is its JSON Schema). Columns and offsets count ``encoding``
    (``position_encoding`` in the document says which)."""
    ordered = in_order(diagnostics)
    return json_text(
        {
            "version": JSON_FORMAT_VERSION,
            "tool": {"name": "corsc", "version": tool_version},
            "position_encoding": encoding,
            "diagnostics": [encoded(item, sources or {}, encoding).to_dict() for item in ordered],
            "summary": severity_counts(ordered),
        }
    )
