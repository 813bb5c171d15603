"""HAProxy 2.6's converters and ACL match methods, applied to sample values as HAProxy does
(configuration manual, 7.1 "ACL basics", 7.3.1 "Converters"): ``-m str|beg|end|sub|reg|dom|
dir|len|int|bool|found`` with ``-i`` and pattern files, and the converters a CORS decision is
made of — ``lower``/``upper``, ``regsub``, ``url_dec``, the ``map`` family, integer arithmetic
(``add``, ``sub``, … with a number or a variable), ``length``, ``field``, ``word``, ``concat``,
``strcmp``, ``set-var``. What HAProxy does that no request tells (``ipmask``, a stick table,
Lua) is :class:`~corsc.imports.machine.Opaque`.

A value is a ``str``, an ``int`` or a ``bool``; ``None`` is no sample (a fetch that found
nothing, a converter that failed), which no ACL but ``! … -m found`` admits.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Protocol

from corsc.imports.haproxy_config import Acl, Call, ConfigError
from corsc.imports.machine import Opaque, pcre

Value = str | int | bool

_POSIX = {
    "alpha": "A-Za-z",
    "digit": "0-9",
    "alnum": "A-Za-z0-9",
    "upper": "A-Z",
    "lower": "a-z",
    "space": " \\t\\n\\r\\f\\v",
    "blank": " \\t",
    "xdigit": "0-9A-Fa-f",
    "punct": "!-/:-@\\[-`{-~",
    "ascii": "\\x00-\\x7f",
    "cntrl": "\\x00-\\x1f\\x7f",
    "graph": "!-~",
    "print": " -~",
    "word": "A-Za-z0-9_",
}
#: The ACL fetches whose name says the match method (``hdr_beg``, ``path_reg``, …).
SUFFIXES = ("beg", "end", "sub", "reg", "dom", "dir", "len")
_INT = re.compile(r"[-+]?[0-9]+")


class Env(Protocol):
    """What converters and pattern files need of the machine."""

    def variable(self, name: str) -> Value | None: ...

    def assign(self, name: str, value: Value) -> None: ...

    def lines(self, path: str, line: int) -> list[str]: ...

    def table(self, path: str, line: int) -> MapTable: ...


@lru_cache(maxsize=4096)
def regex(pattern: str, ignore_case: bool, line: int) -> re.Pattern[str]:
    """A PCRE of HAProxy's configuration as Python's (POSIX classes spelled out)."""
    return pcre(spelled_out(pattern, line), ignore_case, line)


def spelled_out(pattern: str, line: int) -> str:
    """A PCRE with its POSIX classes (``[[:alpha:]]``) spelled out as ranges Python reads; an
    unknown class is a regex HAProxy refuses."""
    for name in re.findall(r"\[:(\w+):\]", pattern):
        if name not in _POSIX:
            raise ConfigError(line, f"the regex `{pattern}` names no POSIX class [:{name}:]")
    return re.sub(r"\[:(\w+):\]", lambda found: _POSIX[found.group(1)], pattern)


def text(value: Value) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def integer(value: Value) -> int | None:
    if isinstance(value, bool | int):
        return int(value)
    found = _INT.match(value.strip())
    return int(found.group()) if found else None


def _number(argument: str, env: Env, line: int) -> int:
    """A converter's integer argument: a number, or a variable's value."""
    if _INT.fullmatch(argument):
        return int(argument)
    held = env.variable(argument)
    found = integer(held) if held is not None else None
    if found is None:
        raise _Failed
    return found


class _Failed(Exception):
    """A converter that gives no sample."""


def _substitution(template: str) -> Callable[[re.Match[str]], str]:
    def fill(found: re.Match[str]) -> str:
        out, index = [], 0
        while index < len(template):
            if template[index] == "\\" and template[index + 1 : index + 2].isdigit():
                out.append(found.group(int(template[index + 1])) or "")
                index += 2
            else:
                out.append(template[index])
                index += 1
        return "".join(out)

    return fill


class MapTable:
    """A map file's rows (key, value) in file order, and its exact keys (the first row of a
    key wins, as in HAProxy's tree)."""

    def __init__(self, rows: Sequence[str]) -> None:
        self.rows = [_row(row) for row in rows]
        self.exact: dict[str, str] = {}
        for key, value in self.rows:
            self.exact.setdefault(key, value)


def _row(row: str) -> tuple[str, str]:
    parts = re.split(r"[ \t]+", row, maxsplit=1)
    return parts[0], parts[1].strip() if len(parts) > 1 else ""


def _map(call: Call, value: Value, env: Env, line: int) -> Value | None:
    name = call.name
    parts = name.split("_")
    method = parts[1] if len(parts) > 1 else "str"
    output = parts[2] if len(parts) > 2 else "str"
    if not call.args:
        raise Opaque(line, f"{name} names no map file")
    key = text(value)
    table = env.table(call.args[0], line)
    if method == "str":
        found = table.exact.get(key)
        if found is not None:
            return _typed(found, output, line)
    else:
        for pattern, result in table.rows:
            if _one(method, key, pattern, False, line):
                return _typed(result, output, line)
    if len(call.args) > 1:
        return _typed(call.args[1], output, line)
    return None


def _typed(value: str, output: str, line: int) -> Value | None:
    if output == "int":
        return integer(value)
    if output == "str":
        return value
    raise Opaque(line, f"a map giving {output} values is nothing corsc follows")


def convert(value: Value, call: Call, env: Env, line: int) -> Value | None:
    """``value`` through one converter; ``None`` when the converter fails."""
    name, args = call.name, call.args
    try:
        if name == "lower":
            return text(value).lower()
        if name == "upper":
            return text(value).upper()
        if name == "regsub":
            flags = args[2] if len(args) > 2 else ""
            pattern = regex(args[0], "i" in flags, line)
            return pattern.sub(_substitution(args[1]), text(value), count=0 if "g" in flags else 1)
        if name == "url_dec":
            raw = text(value)
            if re.search(r"%(?![0-9A-Fa-f]{2})", raw):
                return None
            if args and args[0] not in ("", "0"):
                raw = raw.replace("+", " ")
            return urllib.parse.unquote(raw, encoding="latin-1")
        if name == "map" or name.startswith("map_"):
            return _map(call, value, env, line)
        if name in ("add", "sub", "mul", "div", "mod", "and", "or", "xor"):
            left = integer(value)
            if left is None:
                return None
            right = _number(args[0], env, line)
            if name in ("div", "mod") and right == 0:
                return None
            operations: dict[str, Callable[[int, int], int]] = {
                "add": lambda a, b: a + b,
                "sub": lambda a, b: a - b,
                "mul": lambda a, b: a * b,
                "div": lambda a, b: int(a / b),
                "mod": lambda a, b: a - b * int(a / b),
                "and": lambda a, b: a & b,
                "or": lambda a, b: a | b,
                "xor": lambda a, b: a ^ b,
            }
            return operations[name](left, right)
        if name in ("neg", "not", "bool", "odd", "even"):
            number = integer(value)
            if number is None:
                return None
            return {
                "neg": -number,
                "not": not number,
                "bool": bool(number),
                "odd": bool(number & 1),
                "even": not number & 1,
            }[name]
        if name == "length":
            return len(text(value))
        if name in ("field", "word"):
            return _field(name, text(value), args)
        if name == "concat":
            pieces = [text(value), args[0] if args else ""]
            if len(args) > 1 and args[1]:
                held = env.variable(args[1])
                pieces.append(text(held) if held is not None else "")
            pieces.append(args[2] if len(args) > 2 else "")
            return "".join(pieces)
        if name == "strcmp":
            other = env.variable(args[0])
            if other is None:
                return None
            mine, theirs = text(value), text(other)
            return (mine > theirs) - (mine < theirs)
        if name in ("set-var", "set_var"):
            env.assign(args[0], value)
            return value
        if name in ("ltrim", "rtrim"):
            chars = args[0] if args else " "
            return text(value).lstrip(chars) if name == "ltrim" else text(value).rstrip(chars)
        if name == "debug":
            return value
    except _Failed:
        return None
    except IndexError:
        raise Opaque(line, f"the converter {name} lacks an argument") from None
    raise Opaque(line, f"the converter {name} is one corsc does not follow")


def _field(name: str, value: str, args: tuple[str, ...]) -> str | None:
    index = int(args[0])
    delimiters = args[1] if len(args) > 1 else " "
    count = int(args[2]) if len(args) > 2 else 1
    pieces = re.split("[" + re.escape(delimiters) + "]", value)
    if name == "word":
        pieces = [piece for piece in pieces if piece]
    if index < 0:
        index = len(pieces) + index + 1
    if not 1 <= index <= len(pieces):
        return None
    chosen = pieces[index - 1 : index - 1 + count] if count else pieces[index - 1 :]
    return delimiters[0].join(chosen)


# ---- matching ---------------------------------------------------------------------------------


def _in_range(number: int, pattern: str, operator: str | None) -> bool:
    if operator is not None:
        bound = int(pattern)
        return {
            "eq": number == bound,
            "ne": number != bound,
            "gt": number > bound,
            "ge": number >= bound,
            "lt": number < bound,
            "le": number <= bound,
        }[operator]
    low, colon, high = pattern.partition(":")
    if not colon:
        return number == int(pattern)
    return (not low or number >= int(low)) and (not high or number <= int(high))


def _delimited(value: str, pattern: str, delimiters: str, ignore_case: bool) -> bool:
    stripped = pattern.strip(delimiters)
    if not stripped:
        return False
    edge = "[" + re.escape(delimiters) + "]"
    found = re.search(
        f"(?:^|{edge}){re.escape(stripped)}(?:$|{edge})", value, re.I if ignore_case else 0
    )
    return found is not None


def _one(method: str, value: str, pattern: str, ignore_case: bool, line: int) -> bool:
    """Whether the string ``value`` matches ``pattern`` by ``method``."""
    if method == "reg":
        return regex(pattern, ignore_case, line).search(value) is not None
    if ignore_case:
        value, pattern = value.lower(), pattern.lower()
    if method == "str":
        return value == pattern
    if method == "beg":
        return value.startswith(pattern)
    if method == "end":
        return value.endswith(pattern)
    if method == "sub":
        return pattern in value
    if method == "dom":
        return _delimited(value, pattern, "/?.:", False)
    if method == "dir":
        return _delimited(value, pattern, "/?", False)
    raise Opaque(line, f"the match method -m {method} is one corsc does not follow")


class Prepared:
    """An ACL's patterns made ready for one match method (a set for ``str``, tuples for
    ``beg`` and ``end``, compiled regexes), as HAProxy indexes them."""

    def __init__(self, method: str, patterns: Sequence[str], ignore_case: bool, line: int):
        self.method = method
        self.patterns = tuple(patterns)
        folded = tuple(p.lower() for p in patterns) if ignore_case else self.patterns
        self.folded = folded
        self.exact = frozenset(folded)
        self.ignore_case = ignore_case
        self.regexes = (
            tuple(regex(p, ignore_case, line) for p in patterns) if method == "reg" else ()
        )

    def string(self, value: str, line: int) -> bool:
        method = self.method
        if method == "reg":
            return any(pattern.search(value) for pattern in self.regexes)
        if self.ignore_case:
            value = value.lower()
        if method == "str":
            return value in self.exact
        if method == "beg":
            return value.startswith(self.folded)
        if method == "end":
            return value.endswith(self.folded)
        if method == "sub":
            return any(pattern in value for pattern in self.folded)
        return any(_one(method, value, p, False, line) for p in self.folded)


def matches(acl: Acl, values: Sequence[Value], method: str, prepared: Prepared, line: int) -> bool:
    """Whether any of ``values`` (one per occurrence) matches any pattern by ``method``."""
    patterns = prepared.patterns
    if method == "found":
        return bool(values)
    for value in values:
        if method == "bool":
            number = integer(value)
            if number:
                return True
            continue
        if method in ("int", "len"):
            number = len(text(value)) if method == "len" else integer(value)
            if number is None:
                continue
            try:
                if any(_in_range(number, p, acl.operator) for p in patterns):
                    return True
            except ValueError:
                raise Opaque(line, f"`{' '.join(patterns)}` is no integer pattern") from None
            continue
        if method == "ip":
            raise Opaque(line, "an address match is nothing a request's CORS headers tell")
        if prepared.string(text(value), line):
            return True
    return False
