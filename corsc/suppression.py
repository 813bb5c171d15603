"""Suppression comments: ``# corsc: allow CORS407`` in a policy says a finding is intended.

The comment names one or more codes, slugs or families (as ``--select`` does, separated by
spaces or commas), optionally followed by ``--`` and a reason::

    unlisted reject  # corsc: allow CORS407 -- same-origin pages never send here

    # corsc: allow unlisted-reject-same-origin
    unlisted reject

What always holds:

- A comment after code on a line covers the statement on that line; a comment on a line of its
  own covers the statement on the next line (several such comment lines may be stacked). A
  statement is all its lines: a list continued after a trailing comma is one statement.
- A covered diagnostic is dropped when its code is named and it is not an error: an error
  means the output would be wrong, so no comment hides one.
- Comments are found in the source text with the grammar's own token rules: a ``#`` inside a
  string (``"…"``, ``regex "…"``) starts no comment.
- A comment that names something unknown, names an error's code or says something other than
  ``allow`` is CORS902. A named core code (``CORS0xx``–``CORS5xx``) that the statement does not
  report is CORS901, judged only when the file has no error (an error can hide the finding the
  comment was written for). Target codes (``CORS6xx``) are never reported unused: which target
  reports one depends on what is compiled, and a policy for several servers carries the
  comments of each.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from attrs import frozen

from corsc import diagnostics as d
from corsc.language import KEYWORDS
from corsc.records import fields_repr
from corsc.selection import Rule, SelectionError, catalogue, resolve
from corsc.source import Source, Span

#: A string (closed or not: an unclosed one ends at the line's end, as the lexer reads it) or a
#: comment. Scanning for both at once is what keeps a ``#`` inside a string out of comments.
_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"?|#[^\n]*')
_DIRECTIVE = re.compile(r"#\s*corsc:\s*")
_ALLOW = re.compile(r"allow\b\s*")
_SELECTOR = re.compile(r"[^\s,]+")

#: Codes whose findings depend on the target compiled (module docstring).
_TARGET_PREFIX = "CORS6"


@frozen
class Allowed:
    """One selector of one comment: ``rule`` where it is written (``span``), covering the
    diagnostics that start on ``lines`` (1-based, inclusive range)."""

    __repr__ = fields_repr

    rule: Rule
    span: Span
    lines: range

    def covers(self, diagnostic: d.Diagnostic) -> bool:
        return (
            diagnostic.severity is not d.Severity.ERROR
            and diagnostic.span.file == self.span.file
            and diagnostic.span.start.line in self.lines
            and self.rule.names(diagnostic.code)
        )


@frozen
class Suppressions:
    """The suppression comments of one source, and what is wrong with any of them."""

    __repr__ = fields_repr

    allowed: tuple[Allowed, ...] = ()
    problems: tuple[d.Diagnostic, ...] = ()

    def filter(self, diagnostics: Iterable[d.Diagnostic]) -> list[d.Diagnostic]:
        """``diagnostics`` without the ones a comment covers."""
        if not self.allowed:
            return list(diagnostics)
        return [item for item in diagnostics if not any(a.covers(item) for a in self.allowed)]

    def apply(self, diagnostics: Sequence[d.Diagnostic], *, complete: bool) -> list[d.Diagnostic]:
        """The front end's ``diagnostics`` without the covered ones, plus the comments'
        problems, plus CORS901 for each core selector that covered nothing — when the front
        end ran ``complete`` (the text parsed) and found no error."""
        kept = self.filter(diagnostics)
        judged = complete and not any(item.severity is d.Severity.ERROR for item in kept)
        unused = [
            _unused(allowed)
            for allowed in self.allowed
            if judged
            and not allowed.rule.prefix.startswith(_TARGET_PREFIX)
            and not any(allowed.covers(item) for item in diagnostics)
        ]
        return [*kept, *self.problems, *unused]


def _unused(allowed: Allowed) -> d.Diagnostic:
    lines = allowed.lines
    if not lines:
        return d.UNUSED_SUPPRESSION.at(
            allowed.span,
            f"`allow {allowed.rule.text}` covers no statement: no statement follows the comment",
            "put the comment on the statement's line or on the line directly above it",
        )
    where = (
        f"line {lines.start} reports"
        if len(lines) == 1
        else f"lines {lines.start}–{lines[-1]} report"
    )
    return d.UNUSED_SUPPRESSION.at(
        allowed.span,
        f"`allow {allowed.rule.text}` suppresses nothing: {where} no {allowed.rule.text}",
        "remove it from the comment; the finding it was written for no longer occurs",
    )


def scan(source: Source) -> Suppressions:
    """The suppression comments of ``source`` (module docstring)."""
    text = source.text
    if "corsc:" not in text:  # the common case: no directive at all, nothing to scan
        return Suppressions()
    directives: list[tuple[int, str]] = []
    code: list[str] = []  # the text without its comments, for the statements' extent
    position = 0
    for match in _TOKEN.finditer(text):
        if match.group().startswith("#"):
            code.append(text[position : match.start()])
            position = match.end()
            if "corsc:" in match.group():
                directives.append((match.start(), match.group()))
    code.append(text[position:])
    lines = "".join(code).split("\n")
    allowed: list[Allowed] = []
    problems: list[d.Diagnostic] = []
    for offset, comment in directives:
        directive = _DIRECTIVE.match(comment)
        if directive is None:
            continue
        line = source.position(offset).line
        covered = _covered(source, lines, line)
        found, wrong = _selectors(source, offset + directive.end(), comment[directive.end() :])
        problems += wrong
        allowed += [Allowed(rule, span, covered) for rule, span in found]
    return Suppressions(tuple(allowed), tuple(problems))


def _selectors(
    source: Source, start: int, text: str
) -> tuple[list[tuple[Rule, Span]], list[d.Diagnostic]]:
    """The selectors after ``# corsc:`` (``text``, at offset ``start``), and the problems."""
    allow = _ALLOW.match(text)
    whole = source.span(start, start + len(text.rstrip()))
    if allow is None:
        return [], [
            d.INVALID_SUPPRESSION.at(
                whole,
                f"`# corsc: {text.strip()}` is not a corsc directive",
                "write `# corsc: allow CODE`, such as `# corsc: allow CORS407`",
            )
        ]
    body = text[allow.end() :].split("--", 1)[0]
    found: list[tuple[Rule, Span]] = []
    problems: list[d.Diagnostic] = []
    known = catalogue()
    for match in _SELECTOR.finditer(body):
        offset = start + allow.end() + match.start()
        span = source.span(offset, offset + len(match.group()))
        try:
            rule = resolve(match.group())
        except SelectionError as error:
            problems.append(
                d.INVALID_SUPPRESSION.at(
                    span, str(error), "name a code from `corsc check`'s report"
                )
            )
            continue
        kind = known.get(rule.prefix)
        if kind is not None and kind.severity is d.Severity.ERROR:
            problems.append(
                d.INVALID_SUPPRESSION.at(
                    span,
                    f"{kind.code} ({kind.name}) is an error and cannot be allowed",
                    "an error means the output would be wrong: fix the policy instead",
                )
            )
            continue
        found.append((rule, span))
    if not found and not problems:
        problems.append(
            d.INVALID_SUPPRESSION.at(
                whole, "`# corsc: allow` names no code", "name one, such as `allow CORS407`"
            )
        )
    return found, problems


def _covered(source: Source, lines: list[str], line: int) -> range:
    """The lines of the statement a comment on ``line`` covers (1-based; empty for none);
    ``lines`` are the source's lines without comments."""
    index = line - 1
    if not lines[index].strip():  # a comment of its own: the statement below, past comments
        index += 1
        while (
            index < len(lines)
            and not lines[index].strip()
            and source.line_text(index + 1).strip()  # a line holding only a comment
        ):
            index += 1
        if index >= len(lines) or not lines[index].strip():
            return range(line, line)
    first = last = index
    while (previous := _code_line(lines, first, -1)) is not None and _continues(
        lines[previous], lines[first]
    ):
        first = previous
    while (following := _code_line(lines, last, 1)) is not None and _continues(
        lines[last], lines[following]
    ):
        last = following
    return range(first + 1, last + 2)


def _code_line(lines: list[str], index: int, step: int) -> int | None:
    """The nearest line before (``step`` -1) or after (1) ``index`` with code on it."""
    index += step
    while 0 <= index < len(lines):
        if lines[index].strip():
            return index
        index += step
    return None


def _continues(line: str, following: str) -> bool:
    """Whether ``following`` continues the statement of ``line``: a list's trailing comma
    carries on unless a statement name or ``}`` follows (the parser's own rule)."""
    if not line.rstrip().endswith(","):
        return False
    first = following.split(maxsplit=1)[0]
    return first not in KEYWORDS and not first.startswith("}")
