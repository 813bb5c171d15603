"""The paths a Caddyfile's matchers tell apart, as a policy's ``paths`` prefixes, and the
paths asked to tell them apart.

A site block that chooses its CORS headers by path — corsc's own output for several policies
(``path_regexp`` and ``vars_regexp`` on the path's placeholders, :mod:`corsc.backends.
caddy_paths`), or hand-written ``path /api/*``, ``path /api`` and ``handle /api/*`` — is read
once per path it tells apart (:func:`samples`): each prefix itself, a path below it, the
exact paths written, the prefix in other case when a ``path`` matcher (which ignores case)
names it, and a path no matcher selects. A path matcher that names no prefix is
:class:`~corsc.imports.machine.Opaque` at its line before any request is asked. The answers at
each path are a reading (:func:`corsc.imports.answers.read_level`), which
:mod:`corsc.imports.caddy_path_policies` makes policies of.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterable, Mapping

from attrs import frozen

from corsc import paths
from corsc.imports.caddyfile import Node
from corsc.imports.common import literal
from corsc.imports.machine import Opaque
from corsc.records import fields_repr

#: The placeholders of the path a ``vars_regexp`` may test: decoded, and as received.
_PLACEHOLDERS = {
    "{http.request.uri.path}": "bc",
    "{path}": "bc",
    "{http.request.uri}": "d",
    "{uri}": "d",
}
#: Directives whose first argument may be an inline path matcher (``handle /api/* {``).
_WITH_MATCHER = {
    "header",
    "handle",
    "route",
    "respond",
    "vars",
    "reverse_proxy",
    "file_server",
    "php_fastcgi",
    "static_response",
    "templates",
}
#: Hand-written ``path_regexp`` endings after a literal prefix, and what they select: the
#: prefix itself, the paths below it, or both.
_ENDINGS = {
    "(?:/|\\z)": "both",
    "(?:/|$)": "both",
    "(/|$)": "both",
    "(/|\\z)": "both",
    "(?:/.*)?$": "both",
    "(/.*)?$": "both",
    "/": "below",
    "$": "itself",
    "\\z": "itself",
}


def path_selects(patterns: Iterable[str], path: str) -> bool:
    """Caddy 2.6's ``path`` matcher: case-insensitive, trailing dots and spaces of the path
    ignored; ``*`` at an end is a prefix, suffix or substring test, otherwise the pattern is
    the exact path (a glob within it is refused by :func:`prefixes` before any request)."""
    found = path.lower().rstrip(". ")
    for written in patterns:
        pattern = written.lower()
        if pattern == "*":
            return True
        if len(pattern) > 1 and pattern.startswith("*") and pattern.endswith("*"):
            hit = pattern[1:-1] in found
        elif pattern.startswith("*"):
            hit = found.endswith(pattern[1:])
        elif pattern.endswith("*"):
            hit = found.startswith(pattern[:-1])
        else:
            hit = found == pattern
        if hit:
            return True
    return False


@frozen
class Prefix:
    """One prefix the matchers tell apart: the policy's path, the matcher that names it and
    its line, whether that matcher ignores case, and the exact paths it names."""

    __repr__ = fields_repr

    path: str
    matcher: str
    line: int
    folds_case: bool = False
    exact: tuple[str, ...] = ()


@frozen
class Sample:
    """A path asked: the request target sent, the path Caddy's matchers read (decoded), the
    prefix it comes from and how (``itself``, ``below``, ``exact``, ``case``; ``None`` for a
    path no matcher selects)."""

    __repr__ = fields_repr

    target: str
    decoded: str
    prefix: Prefix | None = None
    kind: str = "unmatched"

    def request(self, request: Mapping[str, str]) -> dict[str, str]:
        return {**request, "$uri": self.decoded, "$request_uri": self.target}


def prefixes(levels: Iterable[list[Node]]) -> list[Prefix]:
    """The prefixes the path matchers of these blocks name, in the order written; a path
    matcher that names no prefix (a suffix, a glob, a regex of another shape) is
    :class:`Opaque` at its line."""
    found: list[Prefix] = []
    regexes: list[tuple[str, str, int]] = []
    for block in levels:
        _collect(block, found, regexes)
    for forms, pattern, line in regexes:
        if not any(_corsc_form(pattern, form, item.path) for item in found for form in forms):
            raise Opaque(line, f"vars_regexp on the path `{pattern}` names no prefix corsc reads")
    merged: dict[str, Prefix] = {}
    for prefix in found:
        key = paths.selection_prefix(prefix.path)
        if key in merged:
            first = merged[key]
            merged[key] = Prefix(
                first.path,
                first.matcher,
                first.line,
                first.folds_case or prefix.folds_case,
                tuple(dict.fromkeys((*first.exact, *prefix.exact))),
            )
        else:
            merged[key] = prefix
    return list(merged.values())


def _collect(nodes: list[Node], found: list[Prefix], regexes: list[tuple[str, str, int]]) -> None:
    for node in nodes:
        if node.name.startswith("@"):
            if node.block is not None:
                for item in node.block:
                    _matcher(item.name, item.args, item.line, item.block, found, regexes)
            elif node.args:
                _matcher(node.args[0], node.args[1:], node.line, None, found, regexes)
            continue
        if node.name in _WITH_MATCHER and node.args and node.args[0].startswith("/"):
            found += _patterns([node.args[0]], node.line, node.args[0])
        if node.name not in ("header", "vars") and node.block is not None:
            _collect(node.block, found, regexes)


def _matcher(
    name: str,
    args: list[str],
    line: int,
    block: list[Node] | None,
    found: list[Prefix],
    regexes: list[tuple[str, str, int]],
) -> None:
    """One matcher of a named matcher's set (``not`` looked into)."""
    if name == "not":
        for item in block or []:
            _matcher(item.name, item.args, item.line, item.block, found, regexes)
        if args:
            _matcher(args[0], args[1:], line, None, found, regexes)
    elif name == "path":
        found += _patterns(args, line, f"path {' '.join(args)}")
    elif name == "path_regexp" and args:
        found.append(_path_regexp(args[-1], line))
    elif name == "vars_regexp" and len(args) >= 2 and args[-2] in _PLACEHOLDERS:
        regexes.append((_PLACEHOLDERS[args[-2]], args[-1], line))


def _patterns(patterns: list[str], line: int, shown: str) -> list[Prefix]:
    """The prefixes of a ``path`` matcher's patterns (``shown`` as written)."""
    found = []
    for pattern in patterns:
        if pattern == "*":
            continue
        glob = any(char in pattern for char in "*?[%")
        if pattern.endswith("/*") and not any(char in pattern[:-2] for char in "*?[%"):
            if pattern[:-2]:
                found.append(Prefix(pattern[:-2], shown, line, folds_case=True))
            continue  # `/*`: every path
        if not glob and pattern.startswith("/") and pattern.rstrip("/"):
            found.append(Prefix(pattern.rstrip("/"), shown, line, True, (pattern,)))
            continue
        raise Opaque(
            line,
            f"the matcher {pattern} selects paths no prefix names; a policy's paths are "
            "prefixes on segment boundaries",
        )
    return found


def _path_regexp(pattern: str, line: int) -> Prefix:
    """corsc's own ``path_regexp`` of a prefix, or a literal prefix with an ending of
    :data:`_ENDINGS`."""
    shown = f"path_regexp {pattern}"
    decoded = re.sub(r"\\x([0-9a-f]{2})", lambda m: chr(int(m.group(1), 16)), pattern)
    body = decoded.removeprefix("^").removesuffix("(?:/|\\z)").replace("%", "%25")
    if body.startswith("/") and _corsc_form(pattern, "a", body):
        return Prefix(body, shown, line)
    for ending, selects in _ENDINGS.items():
        text = literal(pattern[1 : -len(ending)]) if pattern.startswith("^/") else None
        if pattern.endswith(ending) and text and text.rstrip("/"):
            exact = (text,) if selects != "below" else ()
            return Prefix(text.rstrip("/"), shown, line, exact=exact)
    raise Opaque(
        line,
        f"the matcher path_regexp `{pattern}` selects paths no prefix names; a policy's paths "
        "are prefixes on segment boundaries",
    )


def _corsc_form(pattern: str, form: str, prefix: str) -> bool:
    from corsc.backends.caddy_paths import prefix_regex

    try:
        return prefix_regex(form, prefix) == pattern
    except (ValueError, UnicodeError):
        return False


def samples(found: list[Prefix]) -> list[Sample]:
    """The paths asked for these prefixes (see the module's docstring), the unmatched last."""
    taken = {paths.selection_prefix(prefix.path) for prefix in found}

    def fresh(base: str, word: str) -> str:
        candidate, number = f"{base.rstrip('/')}/{word}", 2
        below = [item for item in taken if item != base and paths.prefix_matches(base, item)]
        while any(paths.prefix_matches(item, candidate) for item in below):
            candidate, number = f"{base.rstrip('/')}/{word}{number}", number + 1
        return candidate

    asked: list[Sample] = []
    for prefix in found:
        own = paths.selection_prefix(prefix.path)
        written = [(own, "itself"), (fresh(own, "x"), "below")]
        written += [(path, "exact") for path in prefix.exact]
        if prefix.folds_case and own.upper() != own:
            below = fresh(own, "x")
            written += [(own.upper(), "case"), (own.upper() + below[len(own) :], "case")]
        for path, kind in written:
            if all(item.decoded != path for item in asked):
                asked.append(_sample(path, prefix, kind))
    asked.append(_sample(fresh("/", "other") if found else "/", None, "unmatched"))
    return asked


def _sample(path: str, prefix: Prefix | None, kind: str) -> Sample:
    target = urllib.parse.quote(path, safe="/%!$&'()*+,;=:@-._~")
    return Sample(target, paths.decoded_path(target), prefix, kind)
