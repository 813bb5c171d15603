"""The values the ``apache`` target writes into Apache's configuration, and the PCRE regexes
among them.

Every value written is one of: an anchored regex rendered by corsc (no whitespace, quote,
``#``, ``$``, ``<`` or ``>``: those are ``\\xHH``), an RFC 9110 token (methods, header names:
no quote, backslash or whitespace), or fixed text. :func:`quoted` refuses anything else.

The regexes: an origin union (:func:`union`, the exact origins as a trie so PCRE reads an
Origin once) for each run of entries giving one grant (:func:`tiers`); the deny patterns
(:func:`deny_regexes`); the methods and request-header lists a grant accepts. ap_expr holds a
regex of at most :data:`MAX_EXPR_REGEX` bytes, so :func:`chunks` cuts a union into pieces whose
union is the same language.
"""

from __future__ import annotations

from collections.abc import Sequence

from corsc import origin_regex, origins
from corsc import regex as portable
from corsc.ir import OriginPattern, PatternKind
from corsc.plan import GrantPlan, PolicyPlan

#: ap_expr's regex literals are read into a buffer of 8 KB ("Regexp too long"), and PCRE
#: refuses to compile a regex past its size limit: unions are cut into pieces this long.
MAX_EXPR_REGEX = 8000
#: A request header list that names something: an item with a character other than blanks.
ASKED = r"[^ \x09,]"
_TOKEN_CHAR = r"[!\x23\x24\x25&\x27*+.^_\x60|~0-9A-Za-z-]"
#: One blank of a header list: a space or a tab.
BLANK = r"[ \x09]"
METHOD_TOKEN = rf"^{_TOKEN_CHAR}+\z"


class Unwritable(ValueError):
    """A value that cannot be written into Apache's configuration (a bug: the backend's
    check refuses such policies first)."""


def quoted(value: str) -> str:
    """``value`` as one double-quoted configuration argument that Apache reads back as
    written: nothing that ends the argument or the line, starts a ``${…}`` define or is a
    control character. Apache reads ``\\\\`` in an argument as one backslash, so each pair
    of backslashes is written twice."""
    if (
        '"' in value
        or value.endswith("\\")
        or "${" in value
        or any(not " " <= char <= "~" for char in value)
    ):
        raise Unwritable(f"no Apache argument for {value!r}")
    return '"' + value.replace("\\\\", "\\\\\\\\") + '"'


def fixed(value: str) -> str:
    """A header value mod_headers sends as written (``%`` is its format character)."""
    return quoted(value.replace("%", "%%"))


def token_regex(token: str) -> str:
    """An RFC 9110 token as PCRE text: every character but a letter or digit as ``\\xHH``."""
    return "".join(c if c.isascii() and c.isalnum() else f"\\x{ord(c):02x}" for c in token)


def headers_regex(granted: Sequence[str] | None) -> str:
    """A caseless PCRE for an Access-Control-Request-Headers value (``""`` when none is sent)
    whose every item is granted, items split at commas, blanks and empty items ignored, as the
    evaluator reads them; ``None`` (``headers *``) grants every token."""
    if granted is None:
        name = f"{_TOKEN_CHAR}+"
    elif granted:
        name = "(?:" + "|".join(token_regex(header.lower()) for header in granted) + ")"
    else:
        name = ""
    item = f"{BLANK}*" + (f"(?:{name}{BLANK}*)?" if name else "")
    return f"(?i)^{item}(?:,{item})*\\z"


def methods_regex(grant: GrantPlan) -> str:
    if grant.preflight_methods is None:
        return METHOD_TOKEN
    return "^(?:" + "|".join(token_regex(m) for m in grant.preflight_methods) + ")\\z"


def matches(header: str, regex: str) -> str:
    """An ap_expr test of a request header against a rendered regex (``#`` never occurs in
    one), split into alternatives of at most :data:`MAX_EXPR_REGEX` bytes."""
    return "(" + " || ".join(f"req_novary('{header}') =~ m#{part}#" for part in chunks(regex)) + ")"


def chunks(regex: str) -> list[str]:
    """A regex rendered as ``^(?:a|b|…)\\z`` cut at its top-level ``|`` into anchored regexes
    of at most :data:`MAX_EXPR_REGEX` bytes whose union is the same language."""
    if len(regex) <= MAX_EXPR_REGEX:
        return [regex]
    opening, closing = "^(?:", ")\\z"
    if not (regex.startswith(opening) and regex.endswith(closing)):
        return [regex]  # too long, and not a union: the backend's check refuses it (CORS652)
    body = regex[len(opening) : -len(closing)]
    parts, depth, start, index = [], 0, 0, 0
    while index < len(body):
        char = body[index]
        if char == "\\":
            index += 2
            continue
        if char == "[":
            index = _class_end(body, index)
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(body[start:index])
            start = index + 1
        index += 1
    parts.append(body[start:])
    found: list[str] = []
    current: list[str] = []
    for part in parts:
        if current and len(opening + "|".join([*current, part]) + closing) > MAX_EXPR_REGEX:
            found.append(opening + "|".join(current) + closing)
            current = []
        current.append(part)
    found.append(opening + "|".join(current) + closing)
    return found


def _class_end(body: str, index: int) -> int:
    """The index after the class opening at ``index`` (corsc escapes `]` and `\\` in one)."""
    index += 1
    while body[index] != "]":
        index += 2 if body[index] == "\\" else 1
    return index + 1


#: Origins (or wildcard bases) per trie: each trie is one top-level alternative, so a union
#: can still be cut into pieces of :data:`MAX_EXPR_REGEX` bytes.
TRIE_SIZE = 100


def union(patterns: Sequence[OriginPattern]) -> str:
    """One anchored PCRE admitting exactly the origins some pattern admits (as
    :func:`corsc.origin_regex.render_union`), written so that PCRE reads an Origin once
    rather than once per pattern: exact origins as a trie of their characters, fixed-port
    subdomain wildcards of one scheme and port as one label loop before a trie of their bases,
    the other patterns as :mod:`corsc.origin_regex` renders them."""
    if any(pattern.kind is PatternKind.ANY for pattern in patterns):
        return origin_regex.render_union(patterns, "pcre")
    exact = sorted(
        {p.canonical for p in patterns if p.kind in (PatternKind.EXACT, PatternKind.NULL)}
    )
    bases: dict[tuple[str, str], set[str]] = {}
    others: list[OriginPattern] = []
    for pattern in patterns:
        if pattern.kind is PatternKind.SUBDOMAIN and not pattern.any_port:
            port = "" if pattern.port is None else f":{pattern.port}"
            bases.setdefault((pattern.scheme, port), set()).add(pattern.host)
        elif pattern.kind not in (PatternKind.EXACT, PatternKind.NULL):
            others.append(pattern)
    found: list[str] = []
    for start in range(0, len(exact), TRIE_SIZE):
        found.append(_trie(exact[start : start + TRIE_SIZE]))
    for (scheme, port), hosts in bases.items():
        ordered = sorted(hosts)
        for start in range(0, len(ordered), TRIE_SIZE):
            found.append(
                portable.escape(f"{scheme}://")
                + rf"(?:{origins.LABEL}\.)+(?:"
                + _trie(ordered[start : start + TRIE_SIZE])
                + ")"
                + portable.escape(port)
            )
    opening, closing = "^(?:", ")\\z"
    for pattern in others:
        rendered = origin_regex.render_pattern(pattern, "pcre")
        found.append(rendered[len(opening) : -len(closing)])
    return opening + "|".join(dict.fromkeys(found)) + closing


def _trie(words: Sequence[str]) -> str:
    """A regex body matching exactly ``words`` (distinct, sorted, ASCII): shared prefixes
    written once, so that matching reads each character once."""
    if len(words) == 1:
        return portable.escape(words[0])
    groups: dict[str, list[str]] = {}
    ends = False
    for word in words:
        if word:
            groups.setdefault(word[0], []).append(word[1:])
        else:
            ends = True
    alternation = "|".join(portable.escape(first) + _trie(rest) for first, rest in groups.items())
    if ends:  # a word that is a prefix of the others
        return f"(?:{alternation})?"
    return alternation if len(groups) == 1 else f"(?:{alternation})"


def tiers(plan: PolicyPlan) -> list[tuple[int, tuple[OriginPattern, ...]]]:
    """The policy's reachable entries grouped into runs that give one grant, in the
    evaluator's order (the most specific first)."""
    runs: list[tuple[int, list[OriginPattern]]] = []
    for entry in plan.reachable:
        if runs and runs[-1][0] == entry.grant.number:
            runs[-1][1].append(entry.pattern)
        else:
            runs.append((entry.grant.number, [entry.pattern]))
    return [(number, tuple(patterns)) for number, patterns in runs]


def deny_regexes(plan: PolicyPlan) -> list[str]:
    """Each deny pattern's anchored PCRE and its trailing-dot twin."""
    return [
        source
        for pattern in plan.policy.denies
        for source in origin_regex.render_denied(pattern, "pcre")
    ]
