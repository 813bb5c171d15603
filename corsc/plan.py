"""The prepared plan: every fact about a checked policy set that does not depend on a request.

Computed once from a :class:`~corsc.ir.PolicySet`, and consumed by the evaluator, the runtime
and every backend, so that none of them re-derives a decision on its own:

- the allow entries of each policy in the order of specificity (:func:`corsc.origins.specificity`,
  ties in source order): the first entry admitting an origin supplies the grant;
- the policy's distinct grants, numbered from 1 in the order the ordered entries first use them;
  two grants are one when everything they send is equal (:attr:`GrantPlan.key`);
- each grant's header values as sent (names de-duplicated as HTTP compares them);
- the ``Vary`` members: ``Origin`` exactly when Allow-Origin depends on the request's Origin,
  plus the request headers a preflight reflects;
- static mode's fixed headers (a policy whose Allow-Origin never varies sends them on every
  response, so nothing on a cacheable response depends on the Origin);
- an index of the entries and denies, so finding the entry for an origin costs a few dictionary
  look-ups however many origins a policy lists.

Imports only the standard library, attrs and the light core modules: the runtime builds a plan
at start-up.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from attrs import field, frozen

from corsc import http, origin_regex, origins, paths
from corsc.ir import AllowEntry, Grant, OriginPattern, PatternKind, Policy, PolicySet, Unlisted
from corsc.records import fields_repr

HeaderList = tuple[tuple[str, str], ...]


@frozen
class GrantPlan:
    """One distinct grant of a policy, with its header values as every target sends them.

    - ``number``: 1, 2, … in the order the policy's ordered entries first use the grant.
    - ``grant``: the first IR grant with these values (its spans point at the source).
    - ``methods``: the granted method names, exact repeats removed, in the order written;
      ``None`` for ``methods *`` (the requested method is reflected).
    - ``headers``: the granted request-header names, repeats ignoring case removed (the first
      spelling kept); ``None`` for ``headers *`` (the requested headers are reflected).
      ``header_keys``: the same names lowercased, for comparing requested headers.
    - ``expose``: the Expose-Headers value, ``"*"`` for ``expose *``, ``None`` when nothing is
      exposed. ``max_age``: the Max-Age value, ``None`` when not sent.
    """

    __repr__ = fields_repr

    number: int
    grant: Grant
    credentials: bool
    methods: tuple[str, ...] | None
    headers: tuple[str, ...] | None
    expose: str | None
    max_age: str | None
    private_network: bool
    header_keys: frozenset[str] | None

    @classmethod
    def of(cls, number: int, grant: Grant) -> GrantPlan:
        methods = grant.methods.value
        headers = grant.headers.value
        max_age = grant.max_age.value
        exposed = ", ".join(_exposed(grant)) or None
        granted = None if headers.wildcard else http.unique_headers(t.value for t in headers.items)
        return cls(
            number=number,
            grant=grant,
            credentials=grant.credentials.value,
            methods=None
            if methods.wildcard
            else http.unique_methods(token.value for token in methods.items),
            headers=granted,
            expose=exposed,
            max_age=None if max_age is None else str(max_age),
            private_network=grant.private_network.value,
            header_keys=None if granted is None else frozenset(name.lower() for name in granted),
        )

    @property
    def key(self) -> tuple[object, ...]:
        """What the grant sends, without its number: equal keys are one grant."""
        return (
            self.credentials,
            self.methods,
            self.headers,
            self.expose,
            self.max_age,
            self.private_network,
        )

    @property
    def exposed(self) -> tuple[str, ...]:
        """The Expose-Headers members one by one (``("*",)`` for ``expose *``, ``()`` when
        nothing is exposed), for a target that writes one element per name."""
        return _exposed(self.grant)

    @property
    def allow_methods(self) -> str:
        """The Allow-Methods value of a grant that lists its methods (``""`` for ``*``)."""
        return ", ".join(self.methods or ())

    @property
    def allow_headers(self) -> str:
        """The Allow-Headers value of a grant that lists its headers (``""`` for ``*``)."""
        return ", ".join(self.headers or ())

    @property
    def preflight_methods(self) -> tuple[str, ...] | None:
        """Every method a preflight may ask for: the safelisted ones (never refused) and the
        granted ones, in that order; ``None`` for ``methods *``."""
        if self.methods is None:
            return None
        return http.unique_methods((*http.SAFELISTED_METHODS, *self.methods))


def _exposed(grant: Grant) -> tuple[str, ...]:
    """A grant's exposed names, repeats ignoring case removed; ``("*",)`` for ``expose *``."""
    expose = grant.expose.value
    if expose.wildcard:
        return ("*",)
    return http.unique_headers(token.value for token in expose.items)


@frozen
class EntryPlan:
    """An allow entry in specificity order: ``position`` is its index in
    :attr:`PolicyPlan.entries`, ``grant`` its distinct grant."""

    __repr__ = fields_repr

    entry: AllowEntry
    grant: GrantPlan
    position: int

    @property
    def pattern(self) -> OriginPattern:
        return self.entry.pattern


#: Pattern kinds that admit exactly one origin, their canonical form: looked up, not scanned.
_SINGLE = (PatternKind.EXACT, PatternKind.NULL)


class OriginIndex:
    """Patterns in priority order, indexed so that finding the first one admitting an Origin
    costs a dictionary look-up per label of its host plus a scan of the few patterns that
    cannot be indexed (port wildcards, regexes, ``*``).

    An exact pattern is found by its canonical form; a subdomain wildcard by its base, which is
    a label suffix of the Origin's host; every candidate is confirmed by the pattern's own
    matcher (:func:`corsc.origin_regex.matcher`), so the index only narrows the search and never
    decides. Matchers are compiled on first use: a policy of 100,000 origins starts quickly.
    """

    def __init__(self, patterns: Sequence[OriginPattern]) -> None:
        self._patterns = tuple(patterns)
        self._exact: dict[str, int] = {}
        self._by_base: dict[str, list[int]] = {}
        scanned: list[int] = []
        for position, pattern in enumerate(self._patterns):
            if pattern.kind in _SINGLE:
                self._exact.setdefault(pattern.canonical, position)
            elif pattern.kind is PatternKind.SUBDOMAIN:
                self._by_base.setdefault(pattern.host, []).append(position)
            else:
                scanned.append(position)
        self._scanned = tuple(scanned)
        self._matchers: dict[int, Callable[[str], bool]] = {}

    def first(self, origin: str) -> int | None:
        """The position of the first pattern admitting ``origin``, ``None`` when none does."""
        best = self._exact.get(origin)
        candidates = [position for position in self._scanned if best is None or position < best]
        if self._by_base:
            candidates.extend(
                position
                for base in _host_suffixes(origin)
                for position in self._by_base.get(base, ())
                if best is None or position < best
            )
            candidates.sort()
        for position in candidates:
            if self._matches(position, origin):
                return position
        return best

    def _matches(self, position: int, origin: str) -> bool:
        matches = self._matchers.get(position)
        if matches is None:
            matches = self._matchers[position] = origin_regex.matcher(self._patterns[position])
        return matches(origin)


def _host_suffixes(origin: str) -> list[str]:
    """Every proper label suffix of the Origin's host (``b.example.com`` and ``example.com``
    for ``https://a.b.example.com:8443``): the bases of the subdomain wildcards that could
    admit it. A wildcard's host part has no ``:``, so the host ends at the first one."""
    host = origin.partition("://")[2].partition(":")[0]
    suffixes = []
    dot = host.find(".")
    while dot != -1:
        suffixes.append(host[dot + 1 :])
        dot = host.find(".", dot + 1)
    return suffixes


@frozen
class PolicyPlan:
    """One policy, prepared.

    - ``entries``: the allow entries most specific first (ties in source order); entries after
      the first ``*`` are kept (the checks report them) but never chosen.
    - ``grants``: the distinct grants, ``grants[n - 1].number == n``.
    - ``static_preflight``: static mode's fixed Allow-Origin (and Allow-Credentials) sent on
      preflights; empty when Allow-Origin echoes the Origin. ``static_actual``: the same plus
      the policy's Expose-Headers, sent on every other response whatever its Origin.
    - ``vary``: ``("Origin",)`` exactly when Allow-Origin echoes the Origin, else ``()``.
    """

    __repr__ = fields_repr

    policy: Policy
    entries: tuple[EntryPlan, ...]
    grants: tuple[GrantPlan, ...]
    static_preflight: HeaderList
    static_actual: HeaderList
    vary: tuple[str, ...]
    _allow: OriginIndex = field(alias="allow")
    _deny: OriginIndex = field(alias="deny")

    @classmethod
    def of(cls, policy: Policy) -> PolicyPlan:
        grants: dict[tuple[object, ...], GrantPlan] = {}
        entries: list[EntryPlan] = []
        for entry in sorted(
            policy.entries, key=lambda entry: origins.specificity(entry.pattern, entry.block)
        ):
            candidate = GrantPlan.of(len(grants) + 1, entry.grant)
            grant = grants.setdefault(candidate.key, candidate)
            entries.append(EntryPlan(entry, grant, len(entries)))
        static_preflight: HeaderList = ()
        static_actual: HeaderList = ()
        if policy.static_origin is not None:
            static_preflight = ((http.ALLOW_ORIGIN, policy.static_origin),)
            if policy.grant.credentials.value:
                static_preflight += ((http.ALLOW_CREDENTIALS, "true"),)
            expose = GrantPlan.of(0, policy.grant).expose
            static_actual = static_preflight + (
                ((http.EXPOSE_HEADERS, expose),) if expose is not None else ()
            )
        return cls(
            policy=policy,
            entries=tuple(entries),
            grants=tuple(grants.values()),
            static_preflight=static_preflight,
            static_actual=static_actual,
            vary=() if policy.static_origin is not None else (http.ORIGIN,),
            allow=OriginIndex([entry.pattern for entry in entries]),
            deny=OriginIndex(policy.denies),
        )

    @property
    def name(self) -> str:
        return self.policy.name

    @property
    def static(self) -> bool:
        """Whether Allow-Origin is fixed (static mode) rather than echoed."""
        return self.policy.static_origin is not None

    @property
    def reject(self) -> bool:
        """``unlisted reject``: the CORS layer answers 403 to an actual request from an origin
        it does not allow."""
        return self.policy.unlisted.value is Unlisted.REJECT

    @property
    def preflight_status(self) -> int:
        return self.policy.preflight_status.value

    @property
    def reachable(self) -> tuple[EntryPlan, ...]:
        """The entries that can be chosen: up to and including the first ``*``."""
        for entry in self.entries:
            if entry.pattern.kind is PatternKind.ANY:
                return self.entries[: entry.position + 1]
        return self.entries

    @property
    def private_network(self) -> bool:
        """Whether some grant answers Private Network Access preflights."""
        return any(grant.private_network for grant in self.grants)

    def preflight_vary(self, grant: GrantPlan) -> tuple[str, ...]:
        """The ``Vary`` members of an accepted preflight with ``grant``: the policy's, then the
        request headers it reflects."""
        return (
            self.vary
            + ((http.REQUEST_METHOD,) if grant.methods is None else ())
            + ((http.REQUEST_HEADERS,) if grant.headers is None else ())
        )

    def find(self, origin: str) -> EntryPlan | None:
        """The most specific entry admitting ``origin``, denies and the length bound aside."""
        position = self._allow.first(origin)
        return None if position is None else self.entries[position]

    def denied(self, origin: str) -> tuple[OriginPattern, str] | None:
        """The deny pattern refusing ``origin`` and the form it matched. A host with a trailing
        dot names the same site as without it, so a deny also refuses that form (allow entries
        do not: they compare the Origin as sent, failing closed)."""
        undotted = origins.without_trailing_dot(origin)
        for form in (origin,) if undotted is None else (origin, undotted):
            position = self._deny.first(form)
            if position is not None:
                return self.policy.denies[position], form
        return None

    def match(self, origin: str) -> EntryPlan | None:
        """The entry whose grant applies to a request from ``origin``: ``None`` when the Origin
        is longer than any browser sends (refused before any pattern runs, so no regex sees an
        unbounded value), denied, or admitted by no entry."""
        if len(origin) > origins.MAX_ORIGIN_LENGTH or self.denied(origin) is not None:
            return None
        return self.find(origin)


@frozen
class Plan:
    """Every policy of a file, prepared, in source order, and the choice of policy by path
    (:class:`corsc.paths.Selector`)."""

    __repr__ = fields_repr

    policy_set: PolicySet
    policies: tuple[PolicyPlan, ...]
    selector: paths.Selector[PolicyPlan]

    @classmethod
    def of(cls, policy_set: PolicySet) -> Plan:
        policies = tuple(PolicyPlan.of(policy) for policy in policy_set.policies)
        selector = paths.Selector(
            [(plan, tuple(prefix.value for prefix in plan.policy.paths)) for plan in policies]
        )
        return cls(policy_set, policies, selector)

    def policy(self, name: str) -> PolicyPlan | None:
        return next((plan for plan in self.policies if plan.name == name), None)
