"""Code actions: the concrete edits a diagnostic's help describes.

Some diagnostics carry machine fixes (:attr:`corsc.diagnostics.Diagnostic.fixes`: a
non-canonical origin, a lowercase method). For the others whose help is one concrete edit, the
edit is computed here from the diagnostic's span and the text:

- *remove it* (a safelisted or forbidden method, ``OPTIONS``, a forbidden or safelisted
  header, a header scripts can always read, a duplicate, ``null``, a ``deny`` that removes
  nothing, ``*`` beside the origins it covers or with credentials): the item and its comma, or
  the whole statement when it is the list's only item; an unused ``let``: its statement;
- *did you mean `x`?* (a near-miss statement or ``let`` name): the suggestion;
- *write `X`* / *write "X"* where that is one text (an uppercase method, an origin without
  its spaces, userinfo, path or missing scheme, a bare origin in quotes, `\\.` for a regex's
  unescaped dot, the regex with its dots escaped, a valid policy or ``let`` name): that text.

Every candidate is applied to the text and checked again with the front end before it is
offered: it must remove the diagnostic it fixes and bring no new error. A candidate that
fails (removing the only origin of a policy, say) is not offered.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

from corsc import diagnostics as d
from corsc.frontend import load
from corsc.lsp.analysis import Analysis
from corsc.lsp.outline import Item, Statement
from corsc.source import Source

#: Codes whose help is "remove it" for the one list item the diagnostic points at.
_REMOVE_ITEM = frozenset(
    {
        d.DUPLICATE_ORIGIN.code,
        d.ANY_BESIDE_OTHERS.code,
        d.NULL_ORIGIN.code,
        d.NULL_ORIGIN_WITH_CREDENTIALS.code,
        d.FORBIDDEN_METHOD.code,
        d.SAFELISTED_METHOD.code,
        d.OPTIONS_METHOD.code,
        d.DUPLICATE_ITEM.code,
        d.FORBIDDEN_HEADER.code,
        d.SAFELISTED_HEADER.code,
        d.WILDCARD_WITH_CREDENTIALS.code,  # `*` beside the origins that need credentials
        d.EXPOSE_SET_COOKIE.code,
        d.EXPOSE_SENSITIVE.code,
        d.EXPOSE_SAFELISTED.code,
        d.DENY_REMOVES_NOTHING.code,
    }
)

#: "did you mean `x`?" (a near-miss statement, keyword or ``let`` name): any code.
_DID_YOU_MEAN = re.compile(r"did you mean `(?P<replacement>[^`]+)`\?")

#: The replacement a code's help spells out, for the codes whose help names one concrete
#: text (elsewhere a "write `true` or `false`" offers a choice, not an edit).
_WRITE = {
    d.NOT_AN_ORIGIN.code: re.compile(
        r'^write (?P<replacement>"[^"]*")'  # spaces around it, a userinfo
        r'|^write the origin alone, (?P<alone>"[^"]*")'  # a path after the origin
        r'|^write the scheme browsers use, for example (?P<scheme>"[^"]*")'
    ),
    d.UNDEFINED_NAME.code: re.compile(r'origins are written in quotes: (?P<replacement>"[^"]*")'),
    d.LOWERCASE_METHOD.code: re.compile(r"^write `(?P<replacement>[^`]+)`"),
    d.NON_UPPERCASE_METHOD.code: re.compile(r"^write `(?P<replacement>[^`]+)`"),
    d.REGEX_UNESCAPED_DOT.code: re.compile(r"^write `(?P<replacement>[^`]+)`"),
    d.REGEX_ADMITS_LOOK_ALIKE.code: re.compile(
        r'^escape the dots, .*: regex (?P<replacement>"(?:[^"\\]|\\.)*")$'
    ),
    d.INVALID_NAME.code: re.compile(r"starting with a letter: `(?P<replacement>[^`]+)`$"),
}

#: Text between two list items that holds nothing but their comma.
_JUST_A_COMMA = re.compile(r"\s*,\s*")


def fixes(analysis: Analysis, diagnostic: d.Diagnostic) -> list[d.Fix]:
    """The checked fixes for one of the analysis' diagnostics, each once."""
    offered: list[d.Fix] = []
    seen: set[tuple[d.TextEdit, ...]] = set()
    for fix in _candidates(analysis, diagnostic):
        if fix.edits in seen:
            continue
        seen.add(fix.edits)
        if _fixes_it(analysis, diagnostic, fix):
            offered.append(fix)
    return offered


def apply(text: str, edits: Iterable[d.TextEdit]) -> str:
    """``text`` with non-overlapping ``edits`` (character offsets) applied."""
    for edit in sorted(edits, key=lambda edit: edit.span.start.offset, reverse=True):
        text = text[: edit.span.start.offset] + edit.new_text + text[edit.span.end.offset :]
    return text


def _candidates(analysis: Analysis, diagnostic: d.Diagnostic) -> Iterable[d.Fix]:
    if diagnostic.span.file != analysis.source.name:
        return
    yield from diagnostic.fixes
    source = analysis.source
    start, end = diagnostic.span.start.offset, diagnostic.span.end.offset
    written = analysis.text[start:end]
    for pattern in (_DID_YOU_MEAN, _WRITE.get(diagnostic.code)):
        match = pattern.search(diagnostic.help) if pattern is not None else None
        if match is None:
            continue
        replacement = next(group for group in match.groups() if group is not None)
        if replacement != written:
            edit = d.TextEdit(source.span(start, end), replacement)
            yield d.Fix(f"write {_shown(replacement)}", (edit,))
    if diagnostic.code in _REMOVE_ITEM:
        found = _item_at(analysis, start, end)
        if found is not None:
            statement, index = found
            edits = _remove_item(analysis, statement, index)
            yield d.Fix(f"remove {_shown(statement.items[index].text)}", edits)
    if diagnostic.code == d.UNUSED_BINDING.code:
        binding = next(
            (
                statement
                for statement in analysis.outline.statements
                if statement.name is not None and statement.name.start == start
            ),
            None,
        )
        if binding is not None and binding.name is not None:
            yield d.Fix(
                f"remove `let {binding.name.text}`", (_remove_statement(analysis, binding),)
            )


def _shown(text: str) -> str:
    """A value in a title: a string as written, a token in backquotes."""
    return text if text.startswith('"') else f"`{text}`"


def _item_at(analysis: Analysis, start: int, end: int) -> tuple[Statement, int] | None:
    """The statement and index of the list item the span ``[start, end)`` covers (a regex's
    span is its string's, inside the item)."""
    for statement in analysis.outline.all_statements():
        for index, item in enumerate(statement.items):
            if item.start <= start and end <= item.end and statement.keyword.text != "origin":
                return statement, index
    return None


def _remove_item(analysis: Analysis, statement: Statement, index: int) -> tuple[d.TextEdit, ...]:
    """Edits that remove item ``index`` of ``statement`` with its comma, keeping comments."""
    items: Sequence[Item] = statement.items
    item = items[index]
    text, source = analysis.text, analysis.source
    if len(items) == 1:
        return (_remove_statement(analysis, statement),)
    if index + 1 < len(items):
        after = items[index + 1]
        if _JUST_A_COMMA.fullmatch(text, item.end, after.start):
            return (d.TextEdit(source.span(item.start, after.start), ""),)
        comma = text.index(",", item.end, after.start) + 1
        while comma < after.start and text[comma] in " \t":
            comma += 1
        return (d.TextEdit(source.span(item.start, comma), ""),)
    before = items[index - 1]
    if _JUST_A_COMMA.fullmatch(text, before.end, item.start):
        return (d.TextEdit(source.span(before.end, item.end), ""),)
    comma = text.index(",", before.end, item.start)
    return (
        d.TextEdit(source.span(comma, comma + 1), ""),
        d.TextEdit(source.span(item.start, item.end), ""),
    )


def _remove_statement(analysis: Analysis, statement: Statement) -> d.TextEdit:
    """An edit removing a statement: its whole line when it stands alone on it, else the
    statement and the `;` after it."""
    text = analysis.text
    start, end = statement.start, statement.end
    line_start = text.rfind("\n", 0, start) + 1
    alone_before = not text[line_start:start].strip()
    if alone_before and (end == len(text) or text[end] in "\r\n"):
        line_end = text.find("\n", end)
        return d.TextEdit(
            analysis.source.span(line_start, len(text) if line_end < 0 else line_end + 1), ""
        )
    if end < len(text) and text[end] == ";":
        end += 1
    while end < len(text) and text[end] in " \t":
        end += 1
    return d.TextEdit(analysis.source.span(start, end), "")


def _fixes_it(analysis: Analysis, diagnostic: d.Diagnostic, fix: d.Fix) -> bool:
    """Whether the fixed text no longer has this diagnostic and brings no new error."""
    fixed = load(Source(analysis.source.name, apply(analysis.source.text, fix.edits)))

    def fingerprints(diagnostics: Iterable[d.Diagnostic]) -> Counter[tuple[str, str]]:
        return Counter((item.code, item.message) for item in diagnostics)

    before = fingerprints(analysis.loaded.diagnostics)
    after = fingerprints(fixed.diagnostics)
    target = (diagnostic.code, diagnostic.message)
    if target in before and after[target] >= before[target]:
        return False
    errors = {
        (item.code, item.message) for item in fixed.diagnostics if item.severity is d.Severity.ERROR
    }
    return all(after[key] <= before[key] for key in errors)
