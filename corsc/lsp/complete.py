"""Completion: what may be written where the cursor is.

Where a statement begins: the statement names a block may hold (an ``origin`` block only those
it may override), or ``let`` and ``policy`` at the top level. After a statement's name: its
values — method and header names, ``true``/``false``, ``pass``/``reject``, ``200``/``204``,
durations — and, in lists, the file's ``let`` names.
"""

from __future__ import annotations

import attrs
from attrs import frozen

from corsc import http
from corsc.ir import Grant
from corsc.lsp.analysis import Analysis
from corsc.lsp.hover import KEYWORD_HELP, VALUE_HELP
from corsc.lsp.outline import Statement, statement_names
from corsc.records import fields_repr

#: Statements an ``origin`` block may override: those of a :class:`~corsc.ir.Grant`.
_BLOCK_STATEMENTS = tuple(field.name.replace("_", "-") for field in attrs.fields(Grant))

#: Methods scripts commonly need granted (the safelisted ones need no grant).
_METHODS = ("PUT", "PATCH", "DELETE", "GET", "HEAD", "POST", "OPTIONS", "*")

#: Request headers scripts commonly set.
_REQUEST_HEADERS = (
    "Content-Type",
    "Authorization",
    "X-Requested-With",
    "X-CSRF-Token",
    "If-Match",
    "If-None-Match",
    "Cache-Control",
    "*",
)

#: Response headers scripts commonly read that are not always readable.
_RESPONSE_HEADERS = ("X-Request-Id", "ETag", "Location", "Link", "Content-Disposition", "*")

#: Values of the statements that take one word.
_WORDS = {
    "credentials": ("true", "false"),
    "private-network": ("true", "false"),
    "unlisted": ("pass", "reject"),
    "preflight-status": ("204", "200"),
    "max-age": ("600", "10m", "2h"),
}

#: Statements whose values may be ``let`` names.
_LISTS = ("paths", "origins", "deny", "methods", "headers", "expose")


@frozen
class Completion:
    """One proposal: ``label`` is inserted; ``kind`` is ``keyword``, ``value`` or
    ``binding``; ``detail`` says what it is."""

    __repr__ = fields_repr

    label: str
    kind: str
    detail: str


def completions(analysis: Analysis, offset: int) -> list[Completion]:
    """What may be written at ``offset``."""
    chain = analysis.outline.innermost(_continued(analysis, offset))
    innermost = chain[-1] if chain else None
    if innermost is None or innermost.children or _opens_block_before(analysis, innermost, offset):
        return _statements(innermost)
    if innermost.keyword.start <= offset <= innermost.keyword.end:  # typing the name itself
        return _statements(chain[-2] if len(chain) > 1 else None)
    return _values(analysis, innermost.keyword.text)


def _continued(analysis: Analysis, offset: int) -> int:
    """Where the list the cursor continues ends (its comma, when only blank lines and
    comments stand between the comma and the cursor, as when the next item is being typed
    on a line of its own), else ``offset``."""
    before = [
        token
        for token in analysis.outline.tokens
        if token.end <= offset and token.kind not in ("newline", "comment")
    ]
    if before and before[-1].text == "," and "\n" in analysis.text[before[-1].end : offset]:
        return before[-1].start
    return offset


def _opens_block_before(analysis: Analysis, statement: Statement, offset: int) -> bool:
    """Whether ``offset`` is inside ``statement``'s block, past its ``{``."""
    brace = analysis.text.find("{", statement.start, statement.end)
    return brace != -1 and brace < offset


def _statements(block: Statement | None) -> list[Completion]:
    if block is None:
        names: tuple[str, ...] = ("policy", "let")
    elif block.keyword.text == "origin":
        names = _BLOCK_STATEMENTS
    else:
        names = (*statement_names(), "origin")
    return [Completion(name, "keyword", KEYWORD_HELP[name][1]) for name in names]


def _values(analysis: Analysis, keyword: str) -> list[Completion]:
    proposals: list[Completion] = []
    if keyword == "methods":
        proposals = [Completion(m, "value", _method_detail(m)) for m in _METHODS]
    elif keyword == "headers":
        proposals = [Completion(h, "value", "request header") for h in _REQUEST_HEADERS]
    elif keyword == "expose":
        proposals = [Completion(h, "value", "response header") for h in _RESPONSE_HEADERS]
    elif keyword == "origins":
        proposals = [Completion("*", "value", "every origin")]
    for word in _WORDS.get(keyword, ()):
        proposals.append(Completion(word, "value", VALUE_HELP.get((keyword, word), keyword)))
    if keyword in _LISTS or keyword == "let":
        for name, binding in analysis.outline.bindings().items():
            written = analysis.text[binding.start : binding.end].strip()
            proposals.append(Completion(name, "binding", written))
    return proposals


def _method_detail(method: str) -> str:
    if method in http.SAFELISTED_METHODS:
        return "needs no grant: a preflight always allows it"
    if method == "*":
        return "every method, reflected"
    return "method"
