"""What an nginx configuration answers, worked out request by request: the ``map`` blocks,
``set`` and ``if`` of the rewrite phase, ``return`` and ``add_header``, as nginx runs them.

The importer asks this machine what a level (a server, a location) sends for a request with a
given Origin, method and Access-Control-Request-* headers, and reads the policy back from the
answers. It follows what the CORS decision of a configuration is made of — maps of maps
(chains), maps of several variables (``"$a:$b"``), ``hostnames`` masks, ``~``/``~*`` regexes
(searched, as nginx does), ``set`` and ``if`` in order — and refuses (:class:`Opaque`) what it
cannot know from the request alone: a variable of the server (``$uri``, ``$host``), a file test,
a regex Python's engine does not read as PCRE does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from attrs import frozen

from corsc.imports.draft import exact
from corsc.imports.machine import Answer, Opaque, pcre
from corsc.imports.witnesses import Candidate, origin_shaped, regex_candidates
from corsc.records import fields_repr

Directive = dict[str, Any]

#: The request variables the machine knows: everything else of the request is empty.
REQUEST = (
    "$http_origin",
    "$request_method",
    "$http_access_control_request_method",
    "$http_access_control_request_headers",
    "$http_access_control_request_private_network",
)
#: Statuses nginx sends add_header (without ``always``) with.
_ADD_HEADER_STATUSES = {200, 201, 204, 206, 301, 302, 303, 304, 307, 308}
_VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


@frozen
class MapBlock:
    """One ``map SOURCE $variable { … }``: its rows in nginx's order of priority."""

    __repr__ = fields_repr

    source: str
    line: int
    default: str | None
    exact: dict[str, str]
    masks: tuple[tuple[str, str, int], ...]
    regexes: tuple[tuple[re.Pattern[str], str, int, str], ...]
    hostnames: bool

    @classmethod
    def of(cls, directive: Directive) -> MapBlock:
        rows = directive.get("block") or []
        hostnames = any(row["directive"] == "hostnames" for row in rows)
        default: str | None = None
        exact: dict[str, str] = {}
        masks: list[tuple[str, str, int]] = []
        regexes: list[tuple[re.Pattern[str], str, int, str]] = []
        for row in rows:
            key, args = row["directive"], row["args"]
            value = args[0] if args else ""
            if key in ("hostnames", "volatile"):
                continue
            if key == "include":
                raise Opaque(row["line"], f"map {directive['args'][1]} includes {value}")
            if key == "default":
                default = value
            elif key.startswith("~"):
                ignore_case = key.startswith("~*")
                body = key[2:] if ignore_case else key[1:]
                regexes.append((pcre(body, ignore_case, row["line"]), value, row["line"], key))
            elif hostnames and (key.startswith(("*.", ".")) or key.endswith(".*")):
                masks.append((key.lower(), value, row["line"]))
            else:
                exact.setdefault(key.removeprefix("\\").lower(), value)
        return cls(
            directive["args"][0],
            directive["line"],
            default,
            exact,
            tuple(masks),
            tuple(regexes),
            hostnames,
        )

    def choose(self, value: str) -> str:
        """The row nginx picks for the source ``value``: exact, the longest mask, the first
        regex, the default."""
        key = value.lower()
        if self.hostnames and key.endswith("."):
            key = key[:-1]
        if key in self.exact:
            return self.exact[key]
        best: tuple[int, str] | None = None
        for mask, result, _ in self.masks:
            if mask.startswith("*."):
                hit = key.endswith(mask[1:])
            elif mask.startswith("."):
                hit = key == mask[1:] or key.endswith(mask)
            else:
                hit = key.startswith(mask[:-1])
            if hit and (best is None or len(mask) > best[0]):
                best = (len(mask), result)
        if best is not None:
            return best[1]
        for pattern, result, _, _ in self.regexes:
            if pattern.search(value):
                return result
        return self.default if self.default is not None else ""


def maps_of(directives: Iterable[Directive]) -> dict[str, MapBlock]:
    """Every ``map`` block by the variable it defines."""
    found: dict[str, MapBlock] = {}
    for directive in directives:
        if directive["directive"] == "map" and len(directive["args"]) == 2:
            found[directive["args"][1]] = MapBlock.of(directive)
    return found


class Machine:
    """One request through the levels of a configuration (the server block, then the
    location's): its variables, its rewrite phase and the headers it is sent."""

    def __init__(self, maps: Mapping[str, MapBlock], request: Mapping[str, str]) -> None:
        self.maps = maps
        self.values = {name: request.get(name, "") for name in REQUEST}
        self.assigned: dict[str, str] = {}
        self.depth = 0

    def variable(self, name: str, line: int) -> str:
        if name in self.assigned:
            return self.assigned[name]
        if name in self.values:
            return self.values[name]
        block = self.maps.get(name)
        if block is None:
            raise Opaque(line, f"the answer depends on {name}, which corsc cannot know")
        self.depth += 1
        try:
            if self.depth > 64:
                raise Opaque(block.line, f"map {name} depends on itself")
            return self.text(block.choose(self.text(block.source, block.line)), block.line)
        finally:
            self.depth -= 1

    def text(self, value: str, line: int) -> str:
        """``value`` with its variables filled in."""
        if "$" not in value:
            return value
        return _VARIABLE.sub(
            lambda found: self.variable("$" + (found.group(1) or found.group(2)), line), value
        )

    def condition(self, args: list[str], line: int) -> bool:
        if len(args) == 1 and args[0].startswith("$"):
            value = self.text(args[0], line)
            return value not in ("", "0")
        if len(args) == 3 and args[0].startswith("$"):
            left, operator, right = self.text(args[0], line), args[1], args[2]
            if operator in ("=", "!="):
                return (left == self.text(right, line)) == (operator == "=")
            if operator in ("~", "~*", "!~", "!~*"):
                found = pcre(right, "*" in operator, line).search(left) is not None
                return found != operator.startswith("!")
        raise Opaque(line, f"if ({' '.join(args)}) is a test corsc does not follow")

    def rewrite(self, block: list[Directive]) -> tuple[int | None, list[Directive] | None]:
        """The rewrite phase of one level: a ``return`` status, and the block of the last
        ``if`` that matched (nginx answers with its configuration: its own add_header, or
        else the level's — never those of an earlier ``if``)."""
        matched: list[Directive] | None = None
        for directive in block:
            name, args, line = directive["directive"], directive["args"], directive["line"]
            if name == "set" and len(args) == 2:
                self.assigned[args[0]] = self.text(args[1], line)
            elif name == "return" and args:
                return _status(args[0], line), matched
            elif name == "if" and self.condition(args, line):
                matched = directive.get("block") or []
                status, _ = self.rewrite([item for item in matched if item["directive"] != "if"])
                if status is not None:
                    return status, matched
            elif name in ("rewrite", "break"):
                raise Opaque(line, f"{name} changes the request before corsc can tell its answer")
        return None, matched

    def answer(self, levels: list[list[Directive]]) -> Answer:
        """What the request gets through ``levels`` (outermost first): the rewrite phase of
        each, then the add_header of the innermost level that has any (an ``if`` that matched
        being the innermost level)."""
        status: int | None = None
        headers_block: list[Directive] | None = None
        for block in levels:
            status, matched = self.rewrite(block)
            if any(item["directive"] == "add_header" for item in block):
                headers_block = block
            if matched is not None and any(item["directive"] == "add_header" for item in matched):
                headers_block = matched
            if status is not None:
                break
        sent: list[tuple[str, str]] = []
        for directive in headers_block or []:
            args = directive["args"]
            if directive["directive"] != "add_header" or len(args) < 2:
                continue
            always = len(args) > 2 and args[2] == "always"
            if not always and (status or 200) not in _ADD_HEADER_STATUSES:
                continue
            value = self.text(args[1], directive["line"])
            if value:
                sent.append((args[0].lower(), value))
        return Answer(status, tuple(sent))


def _status(text: str, line: int) -> int:
    if not text.isdigit():
        raise Opaque(line, f"return {text} is a redirect corsc does not follow")
    return int(text)


# ---- the origin tests -------------------------------------------------------------------


def candidates(
    directives: Iterable[Directive], maps: Mapping[str, MapBlock]
) -> tuple[list[Candidate], set[str]]:
    """Every origin test of the configuration as candidates, and the variables that hold the
    Origin (``$http_origin`` and those ``set`` to it)."""
    every = list(directives)
    holders = {"$http_origin"}
    for directive in every:
        args = directive["args"]
        if directive["directive"] == "set" and len(args) == 2 and args[1] == "$http_origin":
            holders.add(args[0])
    found: list[Candidate] = []
    for directive in every:
        name, args, line = directive["directive"], directive["args"], directive["line"]
        if name == "map" and len(args) == 2 and args[0] in holders:
            block = maps[args[1]]
            for key in block.exact:
                if origin_shaped(key):
                    found.append(Candidate(exact(key), (key,), _row_line(directive, key)))
            for mask, _, row in block.masks:
                found += _mask_candidates(mask, row)
            for _, _, row, key in block.regexes:
                ignore_case = key.startswith("~*")
                found += regex_candidates(key[2:] if ignore_case else key[1:], ignore_case, row)
        elif name == "if" and len(args) == 3 and args[0] in holders:
            if args[1] == "=" and origin_shaped(args[2]):
                found.append(Candidate(exact(args[2].lower()), (args[2].lower(),), line))
            elif args[1] in ("~", "~*", "!~", "!~*"):
                found += regex_candidates(args[2], "*" in args[1], line)
    return found, holders


def _row_line(directive: Directive, key: str) -> int:
    for row in directive.get("block") or []:
        if row["directive"].removeprefix("\\").lower() == key:
            return int(row["line"])
    return int(directive["line"])


def _mask_candidates(mask: str, line: int) -> list[Candidate]:
    """A ``hostnames`` mask as the subdomain wildcard of each scheme."""
    if not mask.startswith(("*.", ".")):
        return [Candidate(None, (f"https://{mask[:-2]}.example",), line)]
    suffix = mask.removeprefix("*").removeprefix(".")
    return [
        Candidate(
            exact(f"{scheme}://*.{suffix}"),
            (f"{scheme}://a.{suffix}", f"{scheme}://a.b.{suffix}"),
            line,
        )
        for scheme in ("https", "http")
    ]
