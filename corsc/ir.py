"""The intermediate representation: a resolved, checked-ready policy set.

Every node is a frozen attrs class with a span. Lowering (``corsc.lower``) is the only producer;
checks, the evaluator and the backends are consumers. Backends never see syntax trees.

What always holds in a lowered :class:`PolicySet`:

- ``let`` names are resolved and ``--set`` overrides applied; no node refers to a binding.
- Origin patterns are canonical (lowercase scheme and host, default port dropped, punycode).
- Defaults are filled in: every :class:`Setting` has a value, and ``written`` says whether the
  user wrote it (a default's span is the policy's name).
- Each :class:`AllowEntry` carries its effective :class:`Grant`: the policy's statements with
  its ``origin`` block's overrides applied.
"""

from __future__ import annotations

import enum
import hashlib
from typing import Generic, TypeVar

import attrs
from attrs import frozen

from corsc.records import fields_repr
from corsc.source import Span

T = TypeVar("T")


class PatternKind(enum.Enum):
    """The origin pattern forms (README: Origin patterns), in the order of specificity used for
    matching."""

    EXACT = "exact"
    SUBDOMAIN = "subdomain"
    PORT = "port"
    REGEX = "regex"
    ANY = "any"
    NULL = "null"


@frozen
class OriginPattern:
    """One origin pattern in canonical form.

    - ``EXACT``: ``scheme``, ``host`` and ``port`` (``None`` for the scheme's default port).
    - ``SUBDOMAIN``: ``host`` is the base after ``*.``; matches one or more labels below it,
      never the base itself. ``any_port`` is true for ``https://*.example.com:*``.
    - ``PORT``: ``http://localhost:*`` — ``host`` with any port, the default included
      (``any_port`` is always true, ``port`` is ``None``).
    - ``REGEX``: ``regex`` is the body with any outer ``^``/``$`` removed; it is always matched
      against the whole Origin (full-match semantics).
    - ``ANY``: ``*`` — every origin, ``null`` included. ``NULL``: exactly ``null``.

    ``text`` is the pattern as written (without quotes); ``span`` covers it in the source.
    """

    __repr__ = fields_repr

    kind: PatternKind
    text: str
    span: Span
    scheme: str = ""
    host: str = ""
    port: int | None = None
    any_port: bool = False
    regex: str = ""

    @property
    def canonical(self) -> str:
        """The pattern as corsc writes it: what a browser sends, for exact origins."""
        if self.kind is PatternKind.ANY:
            return "*"
        if self.kind is PatternKind.NULL:
            return "null"
        if self.kind is PatternKind.REGEX:
            return f"regex:{self.regex}"
        host = f"*.{self.host}" if self.kind is PatternKind.SUBDOMAIN else self.host
        if self.any_port:
            port = ":*"
        elif self.port is not None:
            port = f":{self.port}"
        else:
            port = ""
        return f"{self.scheme}://{host}{port}"


@frozen
class Token:
    """A method or header name exactly as written (case preserved)."""

    __repr__ = fields_repr

    value: str
    span: Span


@frozen
class TokenList:
    """The value of ``methods``, ``headers`` or ``expose``: names in the order written, or
    ``wildcard`` (``*``), in which case ``items`` is empty."""

    __repr__ = fields_repr

    items: tuple[Token, ...] = ()
    wildcard: bool = False

    @property
    def values(self) -> tuple[str, ...]:
        """The names in order without duplicates (case-insensitive for duplicates of headers is
        the caller's business: this keeps exact duplicates out only)."""
        seen: set[str] = set()
        result: list[str] = []
        for item in self.items:
            if item.value not in seen:
                seen.add(item.value)
                result.append(item.value)
        return tuple(result)


@frozen
class Setting(Generic[T]):
    """A statement's value. ``written`` is false for a default, whose ``span`` is the name of
    the policy it applies to."""

    __repr__ = fields_repr

    value: T
    span: Span
    written: bool


class Unlisted(enum.Enum):
    PASS = "pass"
    REJECT = "reject"


@frozen
class Grant:
    """What an allowed origin is granted: the statements an ``origin`` block may override."""

    __repr__ = fields_repr

    methods: Setting[TokenList]
    headers: Setting[TokenList]
    expose: Setting[TokenList]
    credentials: Setting[bool]
    max_age: Setting[int | None]
    private_network: Setting[bool]


@frozen
class AllowEntry:
    """An allowed origin pattern and its effective grant.

    ``block`` is true for an ``origin "…" { … }`` block (whose ``span`` covers the header
    ``origin "…"``), false for an ``origins`` list item (whose ``span`` is the item's).
    """

    __repr__ = fields_repr

    pattern: OriginPattern
    grant: Grant
    block: bool
    span: Span


@frozen
class PathPrefix:
    """A ``paths`` item: ``value`` is normalised (README: Paths — dot segments removed, no
    trailing slash except for ``/`` itself); ``text`` is as written."""

    __repr__ = fields_repr

    value: str
    text: str
    span: Span


@frozen
class Policy:
    """One ``policy NAME { … }`` block, resolved.

    ``entries`` are in source order (list items and blocks interleaved as written).
    ``static_origin`` is the fixed Allow-Origin of static mode (README: What a policy means),
    ``"*"`` or the one exact origin, and ``None`` when Allow-Origin echoes the request's Origin.
    ``origins_refused`` is true when lowering refused some written origin (an invalid pattern,
    an undefined name) and reported it; an empty ``entries`` is then already explained.
    """

    __repr__ = fields_repr

    name: str
    span: Span
    paths: tuple[PathPrefix, ...]
    entries: tuple[AllowEntry, ...]
    denies: tuple[OriginPattern, ...]
    grant: Grant
    unlisted: Setting[Unlisted]
    preflight_status: Setting[int]
    static_origin: str | None
    origins_refused: bool = False

    @property
    def is_fallback(self) -> bool:
        return not self.paths


@frozen
class PolicySet:
    """Every policy of one file, in source order. ``file`` is the source's name."""

    __repr__ = fields_repr

    file: str
    policies: tuple[Policy, ...]

    def policy(self, name: str) -> Policy | None:
        return next((policy for policy in self.policies if policy.name == name), None)


#: Fields that record spelling, location or lowering's bookkeeping, not the policy's meaning.
_SKIPPED_WITHOUT_SPANS = frozenset({"text", "file", "origins_refused"})


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = tuple(a.name for a in attrs.fields(cls) if not a.name.startswith("_"))
        _FIELD_NAMES[cls] = names
    return names


def to_data(node: object, *, spans: bool = True) -> object:
    """A JSON-ready form of any IR node, fields in declaration order. Without ``spans`` the
    result depends only on the policy's meaning, not on where or how it was written."""
    if isinstance(node, Span):
        return {"file": node.file, **node.to_dict()} if spans else None
    if isinstance(node, enum.Enum):
        return node.value
    if isinstance(node, tuple | list):
        return [to_data(item, spans=spans) for item in node]
    if attrs.has(type(node)):
        result: dict[str, object] = {}
        for name in _field_names(type(node)):
            value = getattr(node, name)
            if not spans and (isinstance(value, Span) or name in _SKIPPED_WITHOUT_SPANS):
                continue
            result[name] = to_data(value, spans=spans)
        return result
    return node


def digest(node: object) -> str:
    """A short stable hash of a node's meaning (spans and spellings left out), so reformatting
    a policy is not drift. Shared sub-nodes (one Grant behind thousands of entries) are
    serialised once."""
    memo: dict[int, str] = {}

    def canonical(value: object) -> str:
        if isinstance(value, enum.Enum):
            return repr(value.value)
        if isinstance(value, tuple | list):
            return "[" + ",".join(canonical(item) for item in value) + "]"
        if isinstance(value, OriginPattern):
            return repr(value.canonical)  # the canonical form says everything a pattern means
        if isinstance(value, AllowEntry):  # thousands of them: spelled out, not walked
            return f"AllowEntry({value.pattern.canonical!r},{canonical(value.grant)},{value.block})"
        if not attrs.has(type(value)):
            return repr(value)
        key = id(value)
        cached = memo.get(key)
        if cached is None:
            fields = []
            for name in _field_names(type(value)):
                field_value = getattr(value, name)
                if isinstance(field_value, Span) or name in _SKIPPED_WITHOUT_SPANS:
                    continue
                fields.append(f"{name}={canonical(field_value)}")
            # Memoised by identity, and kept alive by `value` for the whole call: frozen nodes
            # cannot change under us.
            cached = memo[key] = f"{type(value).__name__}({','.join(fields)})"
        return cached

    return hashlib.sha256(canonical(node).encode("utf-8")).hexdigest()[:16]
