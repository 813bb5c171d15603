"""The origins an origin test of a configuration admits: its *witnesses*, the origins
:func:`corsc.imports.answers.read_level` asks a server about.

A test becomes a :class:`Candidate`: the policy entry it would be (an exact origin, a corsc
wildcard pattern whose rendering it is, or a regex) with a few origins it admits. A regex's
witnesses are generated from its parse (:func:`witnesses`) and each is kept only when the
regex full-matches it, so every witness is an origin the test admits. A searched regex is
split into its top-level alternatives, each a candidate of its own, and keeps its open sides
for CORS706 (:func:`regex_candidates`).
"""

from __future__ import annotations

import re
import re._parser as sre  # type: ignore[import-not-found]
from typing import Any

from attrs import frozen

from corsc.imports.common import full_match, literal, split_alternatives
from corsc.imports.draft import Entry, exact, regex
from corsc.origins import MAX_ORIGIN_LENGTH
from corsc.records import fields_repr
from corsc.source import Source


@frozen
class Candidate:
    """One origin test as a policy entry, with the origins it admits and where it is."""

    __repr__ = fields_repr

    entry: Entry | None
    witnesses: tuple[str, ...]
    line: int
    #: The searched regex and its open sides, for CORS706 when the entry is used.
    unanchored: tuple[str, Any] | None = None


def _char(items: list[tuple[Any, Any]], negate: bool) -> str:
    """A character of a class (lowercase letters, then digits, then other printables)."""
    pool = "abcdefghijklmnopqrstuvwxyz1234567890-._:/ABCDEFGHIJKLMNOPQRSTUVWXYZ"

    def inside(char: str) -> bool:
        code = ord(char)
        for op, arg in items:
            name = str(op)
            if name == "LITERAL" and arg == code:
                return True
            if name == "RANGE" and arg[0] <= code <= arg[1]:
                return True
            if name == "CATEGORY":
                kind = str(arg)
                tests = {
                    "CATEGORY_DIGIT": char.isdigit(),
                    "CATEGORY_NOT_DIGIT": not char.isdigit(),
                    "CATEGORY_SPACE": char.isspace(),
                    "CATEGORY_NOT_SPACE": not char.isspace(),
                    "CATEGORY_WORD": char.isalnum() or char == "_",
                    "CATEGORY_NOT_WORD": not (char.isalnum() or char == "_"),
                }
                if tests.get(kind, False):
                    return True
        return False

    for char in pool:
        if inside(char) != negate:
            return char
    raise ValueError("empty class")


def _generate(tokens: Any, choice: int, extra: int) -> str:
    out: list[str] = []
    for op, arg in tokens:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "NOT_LITERAL":
            out.append("a" if arg != ord("a") else "b")
        elif name == "ANY":
            out.append("a")
        elif name == "IN":
            negate = bool(arg) and str(arg[0][0]) == "NEGATE"
            out.append(_char(arg[1:] if negate else arg, negate))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, body = arg
            count = low + extra if high is sre.MAXREPEAT or low + extra <= high else low
            out.append(_generate(body, choice, extra) * count)
        elif name == "SUBPATTERN":
            out.append(_generate(arg[-1], choice, extra))
        elif name == "BRANCH":
            branches = arg[1]
            out.append(_generate(branches[choice % len(branches)], choice, extra))
        elif name in ("AT",):
            continue
        else:
            raise ValueError(name)
    return "".join(out)


def witnesses(body: str, limit: int = 4) -> tuple[str, ...]:
    """A few strings the full-match regex ``body`` matches (none when it cannot be read)."""
    try:
        compiled = re.compile(body)
        tokens = sre.parse(body)
    except (re.error, RecursionError, OverflowError):
        return ()
    found: list[str] = []
    for choice in range(3):
        for extra in (0, 1):
            try:
                text = _generate(tokens, choice, extra)
            except (ValueError, RecursionError):
                continue
            if text not in found and compiled.fullmatch(text):
                found.append(text)
    return tuple(found[:limit])


def origin_shaped(text: str) -> bool:
    return "://" in text or text == "null"


def regex_candidates(pattern: str, ignore_case: bool, line: int) -> list[Candidate]:
    """A searched origin regex as entries: one per top-level alternative of its full-match
    form (an exact origin when the alternative admits one text)."""
    searched = full_match(pattern, ignore_case=ignore_case)
    body = searched.body
    while body.startswith("(?:") and body.endswith(")") and split_alternatives(body[3:-1]):
        inner = body[3:-1]
        if _balanced(inner):
            body = inner
        else:
            break
    found = []
    for alternative in split_alternatives(body):
        text = literal(alternative) if not searched.unanchored else None
        if text is None and not searched.unanchored:
            text = corsc_pattern(alternative)
        entry: Entry | None = exact(text) if text is not None else regex(alternative)
        shown = witnesses(alternative) if text is None or "*" in text else (text,)
        if shown and all(len(origin) > MAX_ORIGIN_LENGTH for origin in shown):
            entry = None  # only values no browser sends (a length check): asked, never an entry
        note = (pattern, searched) if searched.unanchored else None
        found.append(Candidate(entry, shown, line, note))
    return found


def _unwrapped(body: str) -> str:
    """``body`` without the non-capturing groups around all of it."""
    while body.startswith("(?:") and body.endswith(")") and _balanced(body[3:-1]):
        body = body[3:-1]
    return body


def corsc_pattern(alternative: str) -> str | None:
    """The wildcard pattern (``https://*.example.com``, ``http://localhost:*``) whose nginx
    rendering by corsc is the regex ``alternative``, ``None`` when it is no such rendering."""
    from corsc.origin_regex import render_pattern
    from corsc.origins import parse_pattern

    guess = alternative.replace("(?:[\\-0-9_a-z]+\\.)+", "\0", 1)
    guess, port, _ = guess.partition("(?::(?:")
    text = literal(guess)
    if text is None or guess == alternative:
        return None
    text = text.replace("\0", "*.") + (":*" if port else "")
    parsed = parse_pattern(text, Source("guess", text).span(0, len(text)))
    if parsed.pattern is None or parsed.canonical_text is not None:
        return None
    try:
        rendered = render_pattern(parsed.pattern, "pcre")
    except ValueError:
        return None
    return text if _unwrapped(full_match(rendered).body) == _unwrapped(alternative) else None


def _balanced(text: str) -> bool:
    try:
        re.compile(text)
    except re.error:
        return False
    return True
