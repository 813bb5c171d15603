"""The shared plan (:mod:`corsc.plan`) prepared for one server interface: every header that does
not depend on the request encoded once, and the per-request decision that is left.

The plan already holds every fact about the policy set that does not depend on a request —
the entries in specificity order, the numbered grants and their rendered values, ``Vary``,
static mode's fixed headers, the origin index and the choice of policy by path. This module
re-derives none of them: it encodes them with a :class:`~corsc.runtime.response.Codec` (bytes
for ASGI, text for WSGI), one :class:`PreparedGrant` per :class:`~corsc.plan.GrantPlan`
(indexed by ``grant.number``), and finds a request's grant with
:meth:`corsc.plan.PolicyPlan.match`, so a request costs a few look-ups however many origins a
policy lists.

Invariant: :meth:`PreparedPolicy.answer` gives exactly the status, ``Access-Control-*``
headers (names, values, order) and ``Vary`` members of
``corsc.evaluate.Evaluator(policy_set).respond(request)``, without its explanations (reasons,
entries), which cost more than a request may.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic

from corsc import http
from corsc.plan import GrantPlan, Plan, PolicyPlan
from corsc.runtime.response import AMBIGUOUS, Answer, Codec, H, Headers, Vary


class PreparedGrant(Generic[H]):
    """One :class:`~corsc.plan.GrantPlan`, its headers encoded.

    - ``methods``: every method a preflight may ask for (:attr:`GrantPlan.preflight_methods`),
      ``None`` for ``methods *`` (reflected); ``header_keys``: the granted request headers
      lowercased, ``None`` for ``headers *`` (reflected).
    - ``allow_methods``/``allow_headers``: the Allow-Methods/Allow-Headers pairs of a grant
      that lists them (for a reflecting grant, only the name is used).
    - ``credentials``: the Allow-Credentials pair or ``()``; ``actual``: what an allowed actual
      request gets after Allow-Origin/Allow-Credentials (Expose-Headers, or ``()``);
      ``max_age``: the Max-Age pair or ``()``.
    - ``vary``: the ``Vary`` of an accepted preflight (:meth:`PolicyPlan.preflight_vary`).
    """

    __slots__ = (
        "actual",
        "allow_headers",
        "allow_methods",
        "credentials",
        "header_keys",
        "max_age",
        "methods",
        "private_network",
        "vary",
    )
    methods: frozenset[str] | None
    header_keys: frozenset[str] | None
    allow_methods: tuple[H, H]
    allow_headers: tuple[H, H]
    credentials: tuple[tuple[H, H], ...]
    actual: tuple[tuple[H, H], ...]
    max_age: tuple[tuple[H, H], ...]
    private_network: bool
    vary: Vary[H] | None

    def __init__(self, grant: GrantPlan, policy: PolicyPlan, codec: Codec[H]) -> None:
        methods = grant.preflight_methods
        self.methods = None if methods is None else frozenset(methods)
        self.header_keys = grant.header_keys
        self.allow_methods = codec.pair(http.ALLOW_METHODS, grant.allow_methods)
        self.allow_headers = codec.pair(http.ALLOW_HEADERS, grant.allow_headers)
        self.credentials = (
            (codec.pair(http.ALLOW_CREDENTIALS, "true"),) if grant.credentials else ()
        )
        self.actual = (
            () if grant.expose is None else (codec.pair(http.EXPOSE_HEADERS, grant.expose),)
        )
        self.max_age = () if grant.max_age is None else (codec.pair(http.MAX_AGE, grant.max_age),)
        self.private_network = grant.private_network
        self.vary = Vary.of(policy.preflight_vary(grant), codec)


class PreparedPolicy(Generic[H]):
    """One :class:`~corsc.plan.PolicyPlan`, encoded: its grants (``grants[n - 1]`` prepares
    grant number ``n``), static mode's fixed headers (``static_preflight``, and
    ``static_actual`` for every other response), and the answers that do not depend on the
    request."""

    codec: Codec[H]
    plan: PolicyPlan
    grants: tuple[PreparedGrant[H], ...]
    static: bool
    static_preflight: Headers[H]
    allow_origin: H
    vary: Vary[H] | None
    no_origin: Answer[H]
    refused: Answer[H]
    unlisted: Answer[H]
    preflight_status: int
    pna: tuple[H, H]

    def __init__(self, plan: PolicyPlan, codec: Codec[H]) -> None:
        self.codec = codec
        self.plan = plan
        self.grants = tuple(PreparedGrant(grant, plan, codec) for grant in plan.grants)
        self.static = plan.static
        self.static_preflight = codec.pairs(plan.static_preflight)
        static_actual = codec.pairs(plan.static_actual)
        self.allow_origin = codec.name(http.ALLOW_ORIGIN)
        self.vary = Vary.of(plan.vary, codec)
        self.no_origin = Answer(None, static_actual, self.vary)
        self.refused = Answer(403, self.static_preflight, self.vary)
        self.unlisted = Answer(403, static_actual, self.vary) if plan.reject else self.no_origin
        self.preflight_status = plan.preflight_status
        self.pna = codec.pair(http.ALLOW_PRIVATE_NETWORK, "true")

    def answer(
        self,
        method: str,
        origin: str | None,
        requested_method: str | None,
        requested_headers: str | None,
        private_network: str | None,
    ) -> Answer[H]:
        """The evaluator's answer, for a request this policy governs (``requested_*`` are the
        combined values of the Access-Control-Request-* headers, ``None`` when absent)."""
        if origin is None:
            return self.no_origin
        entry = self.plan.match(origin)
        preflight = method == "OPTIONS" and requested_method is not None
        if entry is None:
            return self.refused if preflight else self.unlisted
        if not preflight and self.static:
            return self.no_origin
        grant = self.grants[entry.grant.number - 1]
        if self.static:
            headers = list(self.static_preflight)
        else:
            headers = [(self.allow_origin, self.codec.value(origin))]
            headers.extend(grant.credentials)
        if not preflight:
            headers.extend(grant.actual)
            return Answer(None, headers, self.vary)
        assert requested_method is not None  # implied by `preflight`
        return self.preflight(grant, headers, requested_method, requested_headers, private_network)

    def preflight(
        self,
        grant: PreparedGrant[H],
        headers: Headers[H],
        requested_method: str,
        requested_headers: str | None,
        private_network: str | None,
    ) -> Answer[H]:
        """A preflight from an allowed origin: accepted with ``grant`` (``headers`` holds its
        Allow-Origin and Allow-Credentials already), or refused."""
        method = requested_method.strip(http.OWS)
        # A granted or safelisted method is a token; only a reflected one needs the check.
        if grant.methods is None:
            if not http.is_token(method):
                return self.refused
        elif method not in grant.methods:
            return self.refused
        asked: list[str] = []
        if requested_headers:
            granted = grant.header_keys
            for item in requested_headers.split(","):
                item = item.strip(http.OWS)
                if not item:
                    continue
                # An ASCII name whose lowercase is a granted token is a token itself.
                if (granted is None or not item.isascii()) and not http.is_token(item):
                    return self.refused
                if granted is not None and item.lower() not in granted:
                    return self.refused
                asked.append(item)
        if grant.methods is None:
            headers.append((grant.allow_methods[0], self.codec.value(method)))
        else:
            headers.append(grant.allow_methods)
        if asked:
            if grant.header_keys is None:
                headers.append((grant.allow_headers[0], self.codec.value(", ".join(asked))))
            else:
                headers.append(grant.allow_headers)
        headers.extend(grant.max_age)
        if (
            grant.private_network
            and private_network is not None
            and private_network.strip(http.OWS) == "true"
        ):
            headers.append(self.pna)
        return Answer(self.preflight_status, headers, grant.vary)


class PreparedPlan(Generic[H]):
    """Every policy of a :class:`~corsc.plan.Plan`, encoded, by name (names are unique in a
    policy set), and the plan's choice of policy by path. ``everywhere`` is the one policy of a
    file whose only policy governs every path: the common case needs no path work at all."""

    plan: Plan
    policies: dict[str, PreparedPolicy[H]]
    everywhere: PreparedPolicy[H] | None

    def __init__(self, plan: Plan, codec: Codec[H]) -> None:
        self.plan = plan
        self.policies = {policy.name: PreparedPolicy(policy, codec) for policy in plan.policies}
        only = plan.policies[0] if len(plan.policies) == 1 else None
        self.everywhere = None if only is None or only.policy.paths else self.policies[only.name]

    def choose(self, target: Callable[[], bytes]) -> PreparedPolicy[H] | Answer[H] | None:
        """The policy for a request (``None`` when none governs its path), or — when the raw
        and the fully decoded path choose different policies — the 400 that refuses it.
        ``target`` gives the raw request target; it is not called when one policy governs
        every path."""
        if self.everywhere is not None:
            return self.everywhere
        choice = self.plan.selector.choose(target())
        if choice.ambiguous:
            return AMBIGUOUS
        return None if choice.policy is None else self.policies[choice.policy.name]


def escaped(decoded: bytes) -> bytes:
    """A path the server has already percent-decoded, as a target that decodes to itself: the
    policy is then chosen on the path the application routes."""
    return decoded.replace(b"%", b"%25")
