"""HAProxy 2.6's configuration as HAProxy reads it: lines split into words, sections, and the
parts of a rule (sample expressions, ACLs, conditions, log-format strings).

Words (the configuration manual, 2.2 "Quoting and escaping"): blanks separate words; inside
``'…'`` nothing is special; inside ``"…"`` and outside quotes a backslash escapes a blank,
``\\``, ``#`` or a quote (``\\t``, ``\\n``, ``\\r``, ``\\xHH`` stand for their byte) and is
kept before any other character; inside ``"…"``, ``$NAME``/``${NAME}`` is an environment
variable (``\\$`` a dollar, and a ``$`` before anything else an error); an unquoted ``#``
starts a comment. A section starts with ``global``, ``defaults [name] [from parent]``,
``frontend``, ``backend`` or ``listen`` (``name [from parent]``); every other line belongs to
the section above it.

Sample expressions (``req.hdr(origin),lower,map_str(/etc/x.map,0)``) are a fetch and its
converters, with arguments split at commas outside quotes; an ACL is a criterion, flags
(``-i``, ``-m``, ``-f``, ``-n``, ``--``), an optional operator and patterns; a condition is
``if``/``unless`` with terms OR-ed by ``||``/``or`` and AND-ed by juxtaposition, each an ACL
name or an anonymous ``{ … }`` ACL, ``!`` negating it.
"""

from __future__ import annotations

import re
from functools import lru_cache

from attrs import define, field, frozen

from corsc.records import fields_repr

#: The section keywords; a section named here starts at its line.
SECTIONS = (
    "global",
    "defaults",
    "frontend",
    "backend",
    "listen",
    "userlist",
    "peers",
    "resolvers",
    "mailers",
    "program",
    "http-errors",
    "ring",
    "cache",
)
_ENV = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
_ESCAPES = {"t": "\t", "n": "\n", "r": "\r"}
#: What a backslash escapes outside single quotes; before any other character it is kept.
_ESCAPED = set(" \\#\"'$trn")


class ConfigError(Exception):
    """A line HAProxy would refuse to read; ``line`` is where."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


@frozen
class Line:
    """One configuration line as words; ``env`` names the environment variables it reads."""

    __repr__ = fields_repr

    words: tuple[str, ...]
    number: int
    env: tuple[str, ...] = ()


@define
class Section:
    """One section: its keyword, name, the defaults section it takes rules ``from``, and its
    lines (the section line itself left out)."""

    kind: str
    name: str
    parent: str | None
    line: int
    lines: list[Line] = field(factory=list)


def words(text: str, number: int) -> Line:
    """One line split into words as HAProxy does."""
    out: list[str] = []
    env: list[str] = []
    current: list[str] | None = None
    quote = ""
    index = 0
    while index < len(text):
        char = text[index]
        if quote == "'":
            if char == "'":
                quote = ""
            else:
                current.append(char)  # type: ignore[union-attr]
            index += 1
            continue
        if not quote and char in " \t\r":
            if current is not None:
                out.append("".join(current))
                current = None
            index += 1
            continue
        if not quote and char == "#":
            break
        if current is None:
            current = []
        if char == "\\" and index + 1 < len(text):
            following = text[index + 1]
            if following == "x" and re.fullmatch(r"[0-9A-Fa-f]{2}", text[index + 2 : index + 4]):
                current.append(chr(int(text[index + 2 : index + 4], 16)))
                index += 4
                continue
            if following in _ESCAPED and (following != "$" or quote == '"'):
                current.append(_ESCAPES.get(following, following))
                index += 2
                continue
        if char in "'\"" and (char == '"' or not quote):
            quote = "" if quote == char else char
            index += 1
            continue
        if char == "$" and quote == '"':
            found = _ENV.match(text, index)
            if found is None:
                raise ConfigError(number, "forbidden first char in environment variable name")
            env.append(found.group(1) or found.group(2))
            index = found.end()
            continue
        current.append(char)
        index += 1
    if quote:
        raise ConfigError(number, f"a word opened with {quote} is never closed")
    if current is not None:
        out.append("".join(current))
    return Line(tuple(out), number, tuple(env))


def sections(text: str) -> list[Section]:
    """The sections of a configuration (lines before the first section form a ``global``
    section with no line of its own)."""
    found: list[Section] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = words(raw, number)
        if not line.words:
            continue
        keyword = line.words[0]
        if keyword in SECTIONS:
            rest = list(line.words[1:])
            parent = None
            if len(rest) >= 2 and rest[-2] == "from":
                parent = rest[-1]
                rest = rest[:-2]
            found.append(Section(keyword, rest[0] if rest else "", parent, number))
            continue
        if not found:
            found.append(Section("global", "", None, number))
        found[-1].lines.append(line)
    return found


# ---- sample expressions -------------------------------------------------------------------


@frozen
class Call:
    """A fetch or converter: its name and arguments (unquoted)."""

    __repr__ = fields_repr

    name: str
    args: tuple[str, ...]


def _arguments(text: str, start: int, line: int) -> tuple[tuple[str, ...], int]:
    """The arguments after ``(`` at ``start``, and the index after the closing ``)``."""
    args: list[str] = []
    current: list[str] = []
    quote = ""
    index = start
    while index < len(text):
        char = text[index]
        if char == "\\" and text[index + 1 : index + 2] in ("\\", "'", '"') and quote != "'":
            current.append(text[index + 1])
            index += 2
            continue
        if quote:
            if char == quote:
                quote = ""
            else:
                current.append(char)
        elif char in "'\"":
            quote = char
        elif char == ",":
            args.append("".join(current))
            current = []
        elif char == ")":
            args.append("".join(current))
            return tuple(args), index + 1
        else:
            current.append(char)
        index += 1
    raise ConfigError(line, f"the arguments in `{text}` are never closed")


@lru_cache(maxsize=8192)
def expression(text: str, line: int) -> tuple[Call, ...]:
    """A sample expression as its fetch and converters (at least one call)."""
    calls: list[Call] = []
    index = 0
    while index < len(text):
        found = re.compile(r"[A-Za-z0-9_.\-]+").match(text, index)
        if found is None:
            raise ConfigError(line, f"`{text}` is no sample expression HAProxy reads")
        name, index = found.group(), found.end()
        args: tuple[str, ...] = ()
        if index < len(text) and text[index] == "(":
            args, index = _arguments(text, index + 1, line)
        calls.append(Call(name, args))
        if index < len(text):
            if text[index] != ",":
                raise ConfigError(line, f"`{text}` is no sample expression HAProxy reads")
            index += 1
    if not calls:
        raise ConfigError(line, "an empty sample expression")
    return tuple(calls)


# ---- ACLs and conditions --------------------------------------------------------------------

_OPERATORS = ("eq", "ne", "gt", "ge", "lt", "le")


@frozen
class Acl:
    """One ACL: its criterion, match method (``None``: the fetch's own), whether ``-i``, the
    pattern files, the operator of an integer test and the patterns."""

    __repr__ = fields_repr

    criterion: tuple[Call, ...]
    method: str | None
    ignore_case: bool
    files: tuple[str, ...]
    operator: str | None
    patterns: tuple[str, ...]
    line: int


def acl(items: list[str] | tuple[str, ...], line: int) -> Acl:
    """An ACL from its words (criterion first)."""
    if not items:
        raise ConfigError(line, "an ACL without a criterion")
    criterion = expression(items[0], line)
    method: str | None = None
    ignore_case = False
    files: list[str] = []
    index = 1
    while index < len(items) and items[index].startswith("-") and len(items[index]) > 1:
        flag = items[index]
        if flag == "--":
            index += 1
            break
        if flag == "-i":
            ignore_case = True
        elif flag in ("-m", "-f", "-M", "-u") and index + 1 < len(items):
            if flag == "-m":
                method = items[index + 1]
            elif flag == "-f":
                files.append(items[index + 1])
            index += 1
        elif flag != "-n":
            raise ConfigError(line, f"the ACL flag {flag} is not one HAProxy 2.6 has")
        index += 1
    if method is None and len(criterion) == 1 and criterion[0].name == "var":
        raise ConfigError(line, "an ACL on var() needs its match method first (`-m`)")
    rest = list(items[index:])
    operator = None
    if rest and rest[0] in _OPERATORS:
        operator = rest.pop(0)
    return Acl(criterion, method, ignore_case, tuple(files), operator, tuple(rest), line)


@frozen
class Term:
    """One term of a condition: a named ACL or an anonymous one, maybe negated."""

    __repr__ = fields_repr

    negated: bool
    name: str | None
    anonymous: Acl | None


@frozen
class Condition:
    """``if``/``unless`` and its terms: a list of AND-ed terms per OR-ed alternative."""

    __repr__ = fields_repr

    unless: bool
    alternatives: tuple[tuple[Term, ...], ...]


def condition(items: list[str], line: int) -> Condition:
    """The condition of a rule, from its words after the action (``if`` or ``unless`` first)."""
    unless = items[0] == "unless"
    alternatives: list[tuple[Term, ...]] = []
    current: list[Term] = []
    index = 1
    negated = False
    while index < len(items):
        item = items[index]
        if item in ("||", "or"):
            alternatives.append(tuple(current))
            current, negated = [], False
        elif item == "!":
            negated = not negated
        elif item.startswith("!") and item != "!{":
            current.append(Term(not negated, item[1:], None))
            negated = False
        elif item in ("{", "!{"):
            depth, end = 1, index + 1
            while end < len(items) and depth:
                depth += items[end] == "{"
                depth -= items[end] == "}"
                end += 1
            if depth:
                raise ConfigError(line, "an anonymous ACL `{` is never closed")
            inner = acl(items[index + 1 : end - 1], line)
            current.append(Term(negated != (item == "!{"), None, inner))
            negated = False
            index = end
            continue
        else:
            current.append(Term(negated, item, None))
            negated = False
        index += 1
    alternatives.append(tuple(current))
    if not any(alternatives):
        raise ConfigError(line, f"`{items[0]}` without a condition")
    return Condition(unless, tuple(alternatives))


# ---- log-format -------------------------------------------------------------------------------


@lru_cache(maxsize=8192)
def log_format(text: str, line: int) -> tuple[str | tuple[Call, ...], ...]:
    """A log-format string as its literal parts and its ``%[…]`` sample expressions; ``%%``
    is ``%``; any other ``%`` variable (``%ci``, ``%T``) is refused."""
    parts: list[str | tuple[Call, ...]] = []
    literal: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char != "%":
            literal.append(char)
            index += 1
            continue
        if text[index + 1 : index + 2] == "%":
            literal.append("%")
            index += 2
            continue
        start = index + 1
        if text[start : start + 1] == "{":
            close = text.find("}", start)
            start = close + 1 if close != -1 else start
        if text[start : start + 1] != "[":
            raise ValueError(f"the log-format variable in `{text}` is nothing corsc can know")
        end, depth, quote = start + 1, 0, ""
        while end < len(text):
            here = text[end]
            if here == "\\":
                end += 2
                continue
            if quote:
                quote = "" if here == quote else quote
            elif here in "'\"":
                quote = here
            elif here == "(":
                depth += 1
            elif here == ")":
                depth -= 1
            elif here == "]" and depth == 0:
                break
            end += 1
        if end >= len(text):
            raise ConfigError(line, f"a `%[` in `{text}` is never closed")
        if literal:
            parts.append("".join(literal))
            literal = []
        parts.append(expression(text[start + 1 : end], line))
        index = end + 1
    if literal:
        parts.append("".join(literal))
    return tuple(parts)
