"""What the importers share: origin values as policy entries, regexes read with the semantics
their server gives them, and lists of names.

A server's origin regex is searched (nginx ``~``, URL Rewrite's ECMAScript patterns, Python's
``re.match`` for django-cors-headers), while a policy's ``regex`` is always matched against the
whole Origin. :func:`full_match` rewrites a searched regex into the full-match regex that admits
exactly the Origins the server admits: every side of a top-level alternative that is not
anchored gets ``.*`` — the meaning the configuration really has, usually wider than meant.
"""

from __future__ import annotations

import re

from attrs import frozen

from corsc import diagnostics as d
from corsc.imports.draft import Entry, Findings, exact, quote, regex
from corsc.records import fields_repr

#: The CORS response headers (lower case), by the grant setting each one says.
HEADER_SETTINGS = {
    "access-control-allow-origin": "origin",
    "access-control-allow-methods": "methods",
    "access-control-allow-headers": "headers",
    "access-control-expose-headers": "expose",
    "access-control-allow-credentials": "credentials",
    "access-control-max-age": "max_age",
    "access-control-allow-private-network": "private_network",
}


def names(value: str) -> list[str]:
    """A comma-separated header value (``GET, POST``) as its members, empty ones left out."""
    return [item.strip() for item in value.split(",") if item.strip()]


def origin_entries(value: str) -> list[Entry]:
    """An ``Access-Control-Allow-Origin`` value or a listed origin, as policy entries: one per
    origin written (a value with several is a mistake the caller reports)."""
    return [exact(item) for item in re.split(r"[\s,]+", value.strip()) if item]


def split_alternatives(pattern: str) -> list[str]:
    """The top-level alternatives of a regex (``|`` outside groups, classes and escapes)."""
    parts, depth, start, index, in_class = [], 0, 0, 0, False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            if pattern[index + 1 : index + 2] == "]":
                index += 1
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(pattern[start:index])
            start = index + 1
        index += 1
    parts.append(pattern[start:])
    return parts


def _ends_with_anchor(text: str) -> int:
    """How many characters of an end anchor (``$``, ``\\z``, ``\\Z``) close ``text``; 0 when
    none does (a ``$`` after an odd number of backslashes is a literal)."""
    for anchor in ("\\z", "\\Z", "$"):
        if text.endswith(anchor):
            slashes = len(text) - len(anchor) - len(text[: len(text) - len(anchor)].rstrip("\\"))
            if slashes % 2 == 0:
                return len(anchor)
    return 0


@frozen
class Searched:
    """A searched regex as a full-match one: ``body`` for a ``regex`` entry; ``unanchored``
    names the sides (``start``, ``end``) some alternative left open."""

    __repr__ = fields_repr

    body: str
    unanchored: tuple[str, ...]

    @property
    def entry(self) -> Entry:
        return regex(self.body)


def full_match(pattern: str, *, ignore_case: bool = False) -> Searched:
    """The full-match regex admitting what searching ``pattern`` admits. With ``ignore_case``
    its letters are lowercased: browsers send scheme and host in lowercase, so a
    case-insensitive match admits what the lowercase regex admits among real Origins."""
    if ignore_case:
        pattern = _lowercase(pattern)
    alternatives, open_sides = [], set()
    for alternative in split_alternatives(pattern):
        body = alternative
        if body.startswith("\\A"):
            body = body[2:]
        elif body.startswith("^"):
            body = body[1:]
        else:
            body = ".*" + body
            open_sides.add("start")
        anchor = _ends_with_anchor(body)
        if anchor:
            body = body[:-anchor]
        else:
            body += ".*"
            open_sides.add("end")
        alternatives.append(body)
    body = alternatives[0] if len(alternatives) == 1 else "|".join(f"(?:{a})" for a in alternatives)
    return Searched(body, tuple(side for side in ("start", "end") if side in open_sides))


_META = set("\\^$.|?*+()[]{}")


def literal(body: str) -> str | None:
    """The text a full-match regex body matches when it matches exactly one text (literals,
    escaped metacharacters, non-capturing groups around them), else ``None``."""
    while (
        body.startswith("(?:")
        and body.endswith(")")
        and split_alternatives(body[3:-1]) == [body[3:-1]]
    ):
        body = body[3:-1]
    out, index = [], 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body) and body[index + 1] in _META | {"-", "/", ":"}:
            out.append(body[index + 1])
            index += 2
        elif char in _META:
            return None
        else:
            out.append(char)
            index += 1
    return "".join(out)


def searched_entry(searched: Searched) -> Entry:
    """A searched regex as the simplest entry: an exact origin when it admits one text."""
    text = literal(searched.body) if not searched.unanchored else None
    return exact(text) if text is not None else searched.entry


def _lowercase(pattern: str) -> str:
    """Letters lowercased except the one after a backslash (``\\D``, ``\\S``, ``\\W`` keep
    their meaning)."""
    out, index = [], 0
    while index < len(pattern):
        if pattern[index] == "\\":
            out.append(pattern[index : index + 2])
            index += 2
        else:
            out.append(pattern[index].lower())
            index += 1
    return "".join(out)


def unanchored_help(searched: Searched, server: str) -> str:
    """The help of CORS706: what the regex admits, and the anchored policy corsc wrote."""
    sides = " and ".join(searched.unanchored)
    return (
        f"{server} searches the Origin for the regex, so with no anchor at its {sides} it also "
        "admits origins that merely contain a match (`https://example.com.evil.net`); the "
        f"imported policy says exactly that, `regex {quote(searched.body)}` — anchor it with "
        "`^…$` to allow only what you meant"
        + (
            " (open at both ends it is also too slow to match, CORS111, so corsc refuses it "
            "until it is anchored)"
            if len(searched.unanchored) == 2
            else ""
        )
    )


def unreadable(findings: Findings, line: int, server: str, reason: str, tool: str) -> None:
    """CORS701: ``server`` would not read the configuration (``tool`` shows the same)."""
    findings.at_line(
        d.IMPORT_UNREADABLE,
        line,
        f"{server} would not read this {'Caddyfile' if server == 'Caddy' else 'configuration'}: "
        f"{reason}",
        f"fix it (`{tool}` shows the same), then import again",
    )


def no_cors(findings: Findings, what: str) -> None:
    """CORS702 when nothing was imported and nothing found: ``what`` sends no CORS header."""
    findings.add(
        d.IMPORT_NO_CORS,
        0,
        0,
        f"{what} sends no Access-Control-* header",
        "nothing to import; write the policy by hand",
    )
