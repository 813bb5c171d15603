"""Small builders for IR policy sets, for tests that must not depend on the text front end.

They produce what lowering guarantees (corsc.ir's module docstring): canonical patterns,
defaults filled in with ``written=False``, each entry carrying its effective grant, entries in
source order, and ``static_origin`` set by the static-mode rule (README: What a policy means).
Every entry and deny pattern gets its own line number (in the order given), so reasons that cite
lines are testable.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from corsc import origins
from corsc.ir import (
    AllowEntry,
    Grant,
    OriginPattern,
    PathPrefix,
    PatternKind,
    Policy,
    PolicySet,
    Setting,
    Token,
    TokenList,
    Unlisted,
)
from corsc.paths import normalize_prefix
from corsc.source import Position, Span

FILE = "test.cors"

#: A list value as tests write it: names in order, or ``"*"``.
Names = Sequence[str] | str


def span(line: int = 1) -> Span:
    """An empty span at the start of ``line``."""
    position = Position(line, 1, 0)
    return Span(FILE, position, position)


def pattern(text: str, line: int = 1) -> OriginPattern:
    """An origin pattern from its written form; ``regex:BODY`` gives a ``regex`` pattern.
    The text must parse (canonical or not)."""
    if text.startswith("regex:"):
        return origins.regex_pattern(text.removeprefix("regex:"), span(line))
    parsed = origins.parse_pattern(text, span(line))
    assert parsed.pattern is not None, parsed.problem
    return parsed.pattern


def tokens(names: Names) -> TokenList:
    """A ``methods``/``headers``/``expose`` value: ``"*"`` or names in the order written."""
    if isinstance(names, str):
        assert names == "*", "write a list of names, or the string '*'"
        return TokenList((), wildcard=True)
    return TokenList(tuple(Token(name, span()) for name in names))


def _written(value: Any) -> Setting[Any]:
    return Setting(value, span(), True)


def _default(value: Any) -> Setting[Any]:
    return Setting(value, span(), False)


def grant(
    *,
    methods: Names | None = None,
    headers: Names | None = None,
    expose: Names | None = None,
    credentials: bool | None = None,
    max_age: int | None = None,
    private_network: bool | None = None,
) -> Grant:
    """A policy-level grant; ``None`` (or leaving an argument out) means "not written"."""
    return Grant(
        methods=_default(tokens(("GET", "HEAD", "POST")))
        if methods is None
        else _written(tokens(methods)),
        headers=_default(tokens(())) if headers is None else _written(tokens(headers)),
        expose=_default(tokens(())) if expose is None else _written(tokens(expose)),
        credentials=_default(False) if credentials is None else _written(credentials),
        max_age=_default(None) if max_age is None else _written(max_age),
        private_network=_default(False) if private_network is None else _written(private_network),
    )


def override(base: Grant, settings: Mapping[str, Any]) -> Grant:
    """``base`` with an ``origin`` block's statements (keys as :func:`grant`'s arguments)."""
    changes: dict[str, Setting[Any]] = {}
    for name, value in settings.items():
        if name in {"methods", "headers", "expose"}:
            changes[name] = _written(tokens(value))
        else:
            changes[name] = _written(value)
    return attrs.evolve(base, **changes)


def policy(
    name: str = "p",
    *,
    origins: Iterable[str] = (),
    blocks: Iterable[tuple[str, Mapping[str, Any]]] = (),
    deny: Iterable[str] = (),
    paths: Iterable[str] = (),
    unlisted: str = "pass",
    preflight_status: int | None = None,
    **settings: Any,
) -> Policy:
    """A policy: ``origins`` list items first, then ``origin`` blocks (pattern, overrides), in
    that source order; ``settings`` are :func:`grant`'s keyword arguments."""
    base = grant(**settings)
    line = 1
    entries = []
    for text in origins:
        line += 1
        entries.append(AllowEntry(pattern(text, line), base, False, span(line)))
    for text, block_settings in blocks:
        line += 1
        entries.append(
            AllowEntry(pattern(text, line), override(base, block_settings), True, span(line))
        )
    denies = []
    for text in deny:
        line += 1
        denies.append(pattern(text, line))
    mode = Unlisted(unlisted)
    return Policy(
        name=name,
        span=span(),
        paths=tuple(PathPrefix(normalize_prefix(text), text, span()) for text in paths),
        entries=tuple(entries),
        denies=tuple(denies),
        grant=base,
        unlisted=_default(mode) if unlisted == "pass" else _written(mode),
        preflight_status=_default(204) if preflight_status is None else _written(preflight_status),
        static_origin=static_origin(entries, denies, mode, base),
    )


def static_origin(
    entries: Sequence[AllowEntry], denies: Sequence[OriginPattern], unlisted: Unlisted, base: Grant
) -> str | None:
    """Static mode (README: What a policy means) when ``unlisted pass``, no ``deny``, no
    ``origin`` block, and the allowed set is ``*`` without credentials or exactly one exact
    origin."""
    if unlisted is not Unlisted.PASS or denies or any(entry.block for entry in entries):
        return None
    if any(entry.pattern.kind is PatternKind.ANY for entry in entries):
        return None if base.credentials.value else "*"
    if len(entries) == 1 and entries[0].pattern.kind is PatternKind.EXACT:
        return entries[0].pattern.canonical
    return None


def policy_set(*policies: Policy) -> PolicySet:
    return PolicySet(FILE, policies)
