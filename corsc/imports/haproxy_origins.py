"""What a HAProxy frontend tests the Origin against, as the candidates
:func:`~corsc.imports.answers.read_level` asks about: the patterns of every ACL on the Origin
(``req.hdr(origin)``, ``hdr(origin)``, ``req.fhdr(origin)``, a variable set from one, a
capture of it), inline or in a ``-f`` file, and the keys of every map the Origin is looked up
in; and the words of the rules that name methods, headers and path prefixes.

A test that admits more than its text says — ``-m sub``, ``-m beg`` of a whole origin, ``-m
end`` without a leading dot, a searched regex without anchors — is a candidate with the
look-alikes it admits among its witnesses, and a :class:`Hole` for the finding.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence

from attrs import define, field, frozen

from corsc.imports.draft import exact, regex
from corsc.imports.haproxy_config import Acl, Call, log_format
from corsc.imports.haproxy_config import expression as parse_expression
from corsc.imports.haproxy_proxies import Proxy, Rule
from corsc.imports.haproxy_samples import SUFFIXES, spelled_out
from corsc.imports.witnesses import Candidate, origin_shaped, regex_candidates
from corsc.records import fields_repr

_HEADER = {"hdr", "req.hdr", "fhdr", "req.fhdr"}
_KEEPS = {"lower", "upper"}


@frozen
class Hole:
    """A test of the Origin wider than its text: what it is and what else it admits."""

    __repr__ = fields_repr

    test: str
    look_alike: str


@define
class _Tested:
    """The candidates found so far, and the holes among them."""

    found: list[Candidate] = field(factory=list)
    holes: dict[Candidate, Hole] = field(factory=dict)


def rules_of(proxies: Sequence[Proxy]) -> Iterator[Rule]:
    for proxy in proxies:
        for lists in (proxy.request, proxy.response, proxy.after):
            for rules in lists:
                yield from rules
        for condition, _ in proxy.routes:
            if condition is not None:
                yield condition


def acls_in(rule: Rule) -> Iterator[Acl]:
    if rule.condition is None:
        return
    for alternative in rule.condition.alternatives:
        for term in alternative:
            if term.anonymous is not None:
                yield term.anonymous
            elif term.name is not None and term.name in rule.acls:
                yield from rule.acls[term.name]


def expressions_in(rule: Rule) -> Iterator[tuple[Call, ...]]:
    """The sample expressions of a rule's action (its value, its log-format strings)."""
    action, args = rule.action, rule.args
    words: list[str] = []
    if action.startswith("set-var(") or action == "capture":
        if args:
            yield parse_expression(args[0], rule.line)
        return
    if action.startswith("set-var-fmt(") or action in ("set-header", "add-header"):
        words = list(args[-1:]) if action.startswith("set-var-fmt(") else list(args[1:2])
    elif action in ("return", "deny"):
        words = [args[i + 2] for i, item in enumerate(args[:-2]) if item == "hdr"]
    for word in words:
        try:
            parts = log_format(word, rule.line)
        except ValueError:
            continue
        yield from (part for part in parts if not isinstance(part, str))


def origin_variables(proxies: Sequence[Proxy]) -> set[str]:
    """The variables that hold the Origin (set from it, or from another that does)."""
    held: set[str] = set()
    rules = list(rules_of(proxies))
    while True:
        before = len(held)
        for rule in rules:
            if rule.action.startswith(("set-var(", "set-var-fmt(")):
                name = rule.action[rule.action.index("(") + 1 : rule.action.rindex(")")]
                found = list(expressions_in(rule))
                if len(found) == 1 and from_origin(found[0], held, []) == len(found[0]):
                    held.add(name)
        if len(held) == before:
            return held


def derived_variables(proxies: Sequence[Proxy], held: set[str]) -> set[str]:
    """The variables computed from the Origin by converters corsc does not see through
    (``regsub``, ``field``, …): a test of one is asked about with the origins its patterns
    name as hosts."""
    derived: set[str] = set()
    rules = list(rules_of(proxies))
    while True:
        before = len(derived)
        for rule in rules:
            if rule.action.startswith("set-var("):
                name = rule.action[rule.action.index("(") + 1 : rule.action.rindex(")")]
                calls = next(iter(expressions_in(rule)), None)
                if name not in held and calls is not None and _derived(calls, held | derived):
                    derived.add(name)
        if len(derived) == before:
            return derived


def _derived(calls: Sequence[Call], held: set[str]) -> bool:
    first = calls[0]
    origin = first.name in _HEADER and first.args[:1] and first.args[0].lower() == "origin"
    from_variable = first.name == "var" and first.args[:1] and first.args[0] in held
    return bool(origin or from_variable) and not any(_is_map(call) for call in calls)


def _is_map(call: Call) -> bool:
    return (call.name == "map" or call.name.startswith("map_")) and bool(call.args)


def from_origin(calls: Sequence[Call], held: set[str], captures: Sequence[str]) -> int:
    """How many calls of an expression still give the Origin (0: it is not the Origin)."""
    first = calls[0]
    base, _, suffix = first.name.rpartition("_")
    name = base if suffix in SUFFIXES and base in _HEADER else first.name
    origin = (
        (name in _HEADER and first.args[:1] and first.args[0].lower() == "origin")
        or (first.name == "var" and first.args[:1] and first.args[0] in held)
        or (
            first.name == "capture.req.hdr"
            and first.args[:1]
            and first.args[0].isdigit()
            and int(first.args[0]) < len(captures)
            and captures[int(first.args[0])] == "origin"
        )
    )
    if not origin:
        return 0
    count = 1
    while count < len(calls) and calls[count].name in _KEEPS:
        count += 1
    return count


def candidates(
    proxies: Sequence[Proxy],
    captures: Sequence[str],
    lines: Callable[[str, int], list[str]],
) -> tuple[list[Candidate], dict[Candidate, Hole]]:
    """Every Origin test of ``proxies`` as candidates, and the holes among them."""
    held = origin_variables(proxies)
    derived = held | derived_variables(proxies, held)
    tested = _Tested()
    for rule in rules_of(proxies):
        for value in _allow_origin_values(rule):
            for origin in re.split(r"[\s,]+", value):
                if origin_shaped(origin):
                    tested.found.append(Candidate(exact(origin), (origin,), rule.line))
        for acl in acls_in(rule):
            kept = from_origin(acl.criterion, held, captures)
            if kept < len(acl.criterion) and (kept or _derived(acl.criterion[:1], derived)):
                maps = [i for i, call in enumerate(acl.criterion) if _is_map(call)]
                if maps:
                    _maps(tested, acl.criterion[maps[0] :], acl.line, lines, kept < maps[0])
                    continue
            elif not kept:
                continue
            name = acl.criterion[0].name
            method = acl.method or (name.rpartition("_")[2] if "_" in name else "str")
            patterns = [*acl.patterns, *(p for f in acl.files for p in lines(f, acl.line))]
            for pattern in patterns:
                if kept == len(acl.criterion):
                    _add(tested, method, pattern, acl.ignore_case, acl.line)
                else:
                    _host(tested, method, pattern, acl.ignore_case, acl.line)
        for calls in expressions_in(rule):
            kept = from_origin(calls, held, captures)
            maps = [i for i, call in enumerate(calls) if _is_map(call)]
            if maps and (kept or _derived(calls[:1], derived)):
                _maps(tested, calls[maps[0] :], rule.line, lines, kept < maps[0])
    return tested.found, tested.holes


def _allow_origin_values(rule: Rule) -> list[str]:
    """The fixed values a rule sends Access-Control-Allow-Origin with: the origins they name
    are asked about, whatever tests guard the rule."""
    args = rule.args
    pairs = [(args[0], args[1])] if rule.action in ("set-header", "add-header") and args[1:] else []
    pairs += [(args[i + 1], args[i + 2]) for i, item in enumerate(args[:-2]) if item == "hdr"]
    return [v for k, v in pairs if k.lower() == "access-control-allow-origin" and "%" not in v]


def _host(tested: _Tested, method: str, pattern: str, ignore_case: bool, line: int) -> None:
    """The candidates of a pattern tested on a value computed from the Origin: an origin or a
    regex as they are, a host (``api.example.com``, ``.example.com``) as the origins of each
    scheme with that host or under it."""
    pattern = pattern.lower() if ignore_case else pattern
    if origin_shaped(pattern) or method == "reg":
        _add(tested, method, pattern, ignore_case, line)
    elif re.fullmatch(r"\.?[a-z0-9-]+(?:\.[a-z0-9-]+)+(?::[0-9]+)?", pattern):
        if pattern.startswith("."):
            _add(tested, "end", pattern, False, line)
        else:
            tested.found += [
                Candidate(exact(f"{scheme}://{pattern}"), (f"{scheme}://{pattern}",), line)
                for scheme in ("https", "http")
            ]


def _maps(
    tested: _Tested,
    calls: Sequence[Call],
    line: int,
    lines: Callable[[str, int], list[str]],
    computed: bool = False,
) -> None:
    """The keys of the map ``calls[0]`` looks the Origin up in (``computed``: a value
    computed from it) as candidates."""
    call = calls[0]
    parts = call.name.split("_")
    method = parts[1] if len(parts) > 1 else "str"
    for row in lines(call.args[0], line):
        key = re.split(r"[ \t]", row, maxsplit=1)[0]
        (_host if computed else _add)(tested, method, key, False, line)


def _add(tested: _Tested, method: str, pattern: str, ignore_case: bool, line: int) -> None:
    """The candidates of one pattern of an Origin test by ``method``."""
    if ignore_case and method != "reg":
        pattern = pattern.lower()
    if method == "str" and origin_shaped(pattern):
        tested.found.append(Candidate(exact(pattern), (pattern,), line))
    elif method == "reg":
        tested.found += regex_candidates(spelled_out(pattern, line), ignore_case, line)
    elif method == "end" and pattern.startswith(".") and "://" not in pattern:
        tested.found += [
            Candidate(
                exact(f"{scheme}://*{pattern}"),
                (f"{scheme}://a{pattern}", f"{scheme}://a.b{pattern}"),
                line,
            )
            for scheme in ("https", "http")
        ]
    elif method in ("end", "sub", "beg") and re.search(r"[a-z0-9]\.[a-z]", pattern):
        escaped = re.escape(pattern)
        body = {"end": f".*{escaped}", "sub": f".*{escaped}.*", "beg": f"{escaped}.*"}[method]
        look_alike = {
            "end": f"https://evil{pattern.lstrip('.')}",
            "sub": f"https://{pattern.split('://')[-1]}.evil.example",
            "beg": f"{pattern}.evil.example",
        }[method]
        shown = [look_alike]
        if origin_shaped(pattern) and method != "end":
            shown.insert(0, pattern)
        elif method != "beg":
            shown.insert(0, f"https://{pattern.split('://')[-1].lstrip('.')}")
        candidate = Candidate(regex(body), tuple(shown), line)
        tested.found.append(candidate)
        tested.holes[candidate] = Hole(f"-m {method} {pattern}", look_alike)


def probe_values(proxies: Sequence[Proxy], lines: Callable[[str, int], list[str]]) -> list[str]:
    """The words that may name methods and headers: header values set, ``-m str`` patterns
    (those of one ACL joined, so a method list reads as one), map values."""
    values: list[str] = []
    for rule in rules_of(proxies):
        if rule.action in ("set-header", "add-header") and len(rule.args) > 1:
            values.append(rule.args[1])
        values += [rule.args[i + 2] for i, item in enumerate(rule.args[:-2]) if item == "hdr"]
        for acl in acls_in(rule):
            if acl.method in (None, "str"):
                values.append(", ".join(acl.patterns))
        for calls in expressions_in(rule):
            for call in calls:
                if (call.name == "map" or call.name.startswith("map_")) and call.args:
                    values += [row.split(None, 1)[-1] for row in lines(call.args[0], rule.line)]
    return [value for value in values if "%[" not in value]


def path_prefixes(proxies: Sequence[Proxy], lines: Callable[[str, int], list[str]]) -> list[str]:
    """The path prefixes the rules compare a path with (``-m str|beg|dir``, ``path_beg``)."""
    found: set[str] = set()
    for rule in rules_of(proxies):
        for acl in acls_in(rule):
            name = acl.criterion[0].name
            method = acl.method or (name.rpartition("_")[2] if "_" in name else "str")
            if method not in ("str", "beg", "dir"):
                continue
            patterns = [*acl.patterns, *(p for f in acl.files for p in lines(f, acl.line))]
            for pattern in patterns:
                if pattern.startswith("/") and pattern.rstrip("/"):
                    found.add(pattern.rstrip("/"))
    return sorted(found)
