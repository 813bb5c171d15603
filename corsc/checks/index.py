"""Origin patterns indexed for lookup: which items (allow entries or deny patterns) admit an
origin, contain a wildcard or overlap it, without comparing patterns pairwise.

Patterns are indexed by ``(scheme, host)`` and wildcards by ``(scheme, base)``; whether a
wildcard covers a host is decided by walking the host's label suffixes through that index, so
a lookup costs O(labels) and a policy of 100,000 origins is checked in linear time.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Generic, TypeVar

from corsc import origins
from corsc.ir import OriginPattern, PatternKind
from corsc.source import Span

if TYPE_CHECKING:
    from corsc.checks.compiled import Regexes

T = TypeVar("T")


def proper_suffixes(host: str) -> Iterator[str]:
    """``a.b.example.com`` → ``b.example.com``, ``example.com``, ``com``: the bases a
    subdomain wildcard covering ``host`` could have. O(labels)."""
    index = host.find(".")
    while index != -1:
        yield host[index + 1 :]
        index = host.find(".", index + 1)


class Ports(Generic[T]):
    """Items whose patterns share a scheme and a host (or a wildcard's base), by port:
    those admitting any port, and those admitting one (``None``: the default)."""

    __slots__ = ("any_port", "ports")

    def __init__(self) -> None:
        self.any_port: list[T] = []
        self.ports: dict[int | None, list[T]] = {}

    def add(self, pattern: OriginPattern, item: T) -> None:
        """File ``item`` under the port(s) its ``pattern`` admits."""
        if pattern.any_port:
            self.any_port.append(item)
        else:
            self.ports.setdefault(pattern.port, []).append(item)

    def covering(self, pattern: OriginPattern) -> Iterator[T]:
        """Items admitting every port ``pattern`` admits."""
        yield from self.any_port
        if not pattern.any_port:
            yield from self.ports.get(pattern.port, ())

    def overlapping(self, pattern: OriginPattern) -> Iterator[T]:
        """Items admitting at least one port ``pattern`` admits."""
        yield from self.any_port
        if pattern.any_port:
            for items in self.ports.values():
                yield from items
        else:
            yield from self.ports.get(pattern.port, ())


class Index(Generic[T]):
    """Items (allow entries or deny patterns) indexed by their origin patterns, answering
    "which items admit this origin / contain this pattern / overlap it" without scanning.

    Regex patterns are decided by matching, and only where one origin is in question;
    a regex that cannot be compiled takes part in nothing.
    """

    def __init__(
        self, items: Iterable[T], pattern_of: Callable[[T], OriginPattern], regexes: Regexes
    ) -> None:
        self.items = list(items)
        self.pattern_of = pattern_of
        self.any: list[T] = []
        self.null: list[T] = []
        self.hosts: dict[tuple[str, str], Ports[T]] = {}  # EXACT and PORT
        self.bases: dict[tuple[str, str], Ports[T]] = {}  # SUBDOMAIN
        self.regexes: list[tuple[T, Callable[[str], bool]]] = []
        for item in self.items:
            pattern = pattern_of(item)
            kind = pattern.kind
            if kind is PatternKind.ANY:
                self.any.append(item)
            elif kind is PatternKind.NULL:
                self.null.append(item)
            elif kind is PatternKind.SUBDOMAIN:
                _ports(self.bases, pattern.scheme, pattern.host).add(pattern, item)
            elif kind is PatternKind.REGEX:
                match = regexes.matcher(pattern)
                if match is not None:
                    self.regexes.append((item, match))
            else:
                _ports(self.hosts, pattern.scheme, pattern.host).add(pattern, item)

    @functools.cached_property
    def below(self) -> dict[tuple[str, str], Ports[T]]:
        """Host and wildcard items by every base a wildcard could have to overlap them:
        the proper suffixes of a host, the base and its proper suffixes of a wildcard."""
        below: dict[tuple[str, str], Ports[T]] = {}
        for item in self.items:
            pattern = self.pattern_of(item)
            if pattern.kind is PatternKind.SUBDOMAIN:
                _ports(below, pattern.scheme, pattern.host).add(pattern, item)
            elif pattern.kind not in (PatternKind.EXACT, PatternKind.PORT):
                continue
            for suffix in proper_suffixes(pattern.host):
                _ports(below, pattern.scheme, suffix).add(pattern, item)
        return below

    def admitting(self, origin: OriginPattern) -> Iterator[T]:
        """Items whose patterns match the one origin ``origin`` (``EXACT`` or ``NULL``)."""
        yield from self.any
        if origin.kind is PatternKind.NULL:
            yield from self.null
        else:
            yield from self.host_items(origin, Ports.covering)
        if self.regexes:
            text = origin.canonical
            for item, match in self.regexes:
                if match(text):
                    yield item

    def admitting_text(self, origin: str, span: Span) -> Iterator[T]:
        """Items matching a request's Origin value exactly as given."""
        parsed = origins.parse_pattern(origin, span).pattern
        if (
            parsed is not None
            and parsed.kind in (PatternKind.EXACT, PatternKind.NULL)
            and parsed.canonical == origin
        ):
            yield from self.admitting(parsed)
            return
        # Not as a browser sends an origin: only a regex can match it, or `*`.
        yield from self.any
        for item, match in self.regexes:
            if match(origin):
                yield item

    def containing(self, wildcard: OriginPattern) -> Iterator[T]:
        """Items whose patterns match every origin the ``SUBDOMAIN`` or ``PORT`` pattern
        ``wildcard`` matches. Regex items are left out: that cannot be decided by matching."""
        yield from self.any
        yield from self.host_items(wildcard, Ports.covering)

    def overlapping(self, wildcard: OriginPattern) -> Iterator[T]:
        """Items matching at least one origin the ``SUBDOMAIN`` or ``PORT`` pattern
        ``wildcard`` matches. Regex items are left out: that cannot be decided by matching."""
        yield from self.any
        if wildcard.kind is PatternKind.SUBDOMAIN:
            below = self.below.get((wildcard.scheme, wildcard.host))
            if below is not None:
                yield from below.overlapping(wildcard)
        yield from self.host_items(wildcard, Ports.overlapping)

    def host_items(
        self,
        pattern: OriginPattern,
        relation: Callable[[Ports[T], OriginPattern], Iterator[T]],
    ) -> Iterator[T]:
        """Items related by ``relation`` (on ports) that match ``pattern``'s host: host items
        for that very host (not for a wildcard), wildcard items over it (for a wildcard: over
        its base or above)."""
        scheme, host = pattern.scheme, pattern.host
        if pattern.kind is PatternKind.SUBDOMAIN:
            ports = self.bases.get((scheme, host))
            if ports is not None:
                yield from relation(ports, pattern)
        else:
            ports = self.hosts.get((scheme, host))
            if ports is not None:
                yield from relation(ports, pattern)
        for suffix in proper_suffixes(host):
            ports = self.bases.get((scheme, suffix))
            if ports is not None:
                yield from relation(ports, pattern)


def _ports(table: dict[tuple[str, str], Ports[T]], scheme: str, host: str) -> Ports[T]:
    """The entry of ``table`` for ``(scheme, host)``, created empty on first use."""
    ports = table.get((scheme, host))
    if ports is None:
        ports = table[(scheme, host)] = Ports()
    return ports
