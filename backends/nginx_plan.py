"""How the ``nginx`` target's files decide one policy: the origin's *tiers* and the request's
*state*, built from the policy's prepared plan (:mod:`corsc.plan`).

The decision is the evaluator's (README: What a policy means), taken in this order: no Origin
→ not a CORS request; a ``deny`` pattern → refused; the most specific allow entry → its grant;
a preflight (``OPTIONS`` with Origin and Access-Control-Request-Method) → its method and every
requested header checked against that grant → accepted or refused. It ends in one *state* per
request:

- ``""`` no Origin (nginx cannot tell an empty Origin from a missing one);
- ``U`` an actual request from an origin that is not allowed; ``R`` a refused preflight;
- ``A<g>`` an actual request from an allowed origin, with the settings of grant number ``g``;
- ``P<g>`` an accepted preflight with grant ``g``, followed by ``h`` when it asked for
  headers and ``n`` when it asked for private network access that ``g`` grants.

Every response header is a function of the state alone (:meth:`Decision.outputs`). The maps
variant (:mod:`corsc.backends.nginx_maps`) and the A2 variant (:mod:`corsc.backends.nginx_a2`)
compute the same state and variables; the snippet (:mod:`corsc.backends.nginx_emit`) sends
them.

nginx's variables hash holds every variable name, and with its default bucket size a few dozen
long names make ``nginx -t`` warn ("could not build optimal variables_hash"), so a policy uses
few variables with short names (``acao`` for Access-Control-Allow-Origin and so on).
"""

from __future__ import annotations

from collections.abc import Sequence

from attrs import frozen

from corsc import http, origin_regex
from corsc.backends.nginx_text import ACRH, ACRM, ORIGIN, text
from corsc.ir import OriginPattern, PatternKind
from corsc.plan import GrantPlan, PolicyPlan
from corsc.records import fields_repr

#: The origin's value when it is not allowed (denied, unlisted or too long).
DENIED = "0"


def gid(grant: GrantPlan) -> str:
    """A grant's number as the files write it (in states, keys and variable names)."""
    return str(grant.number)


def preflights(grant: GrantPlan) -> list[tuple[str, str, str]]:
    """The accepted-preflight states of a grant: (headers check, private network flag, state).
    The headers check gives ``1`` when nothing is asked, ``2`` when granted headers are (never
    for a grant of no headers); the flag is ``1`` when private network access is asked (only
    a grant that gives it has such a state)."""
    return [
        (asked, flag, f"P{gid(grant)}" + "h" * (asked == "2") + "n" * (flag == "1"))
        for asked in ("1", "2")
        if grant.headers != () or asked == "1"
        for flag in ("", "1")
        if grant.private_network or not flag
    ]


def states(grant: GrantPlan) -> list[str]:
    """The accepted-preflight states of a grant, in :func:`preflights` order."""
    return [state for _, _, state in preflights(grant)]


@frozen
class Tier:
    """Allow entries (or ``deny`` patterns) consecutive in the evaluator's order of specificity
    that lead to the same value: :data:`DENIED` for ``deny``, else a grant number. Within a
    tier the order does not matter, so each pattern goes where nginx finds it fastest: exact
    origins and fixed-port subdomain wildcards in a hash, the other kinds in regexes."""

    __repr__ = fields_repr

    value: str
    patterns: tuple[OriginPattern, ...]

    @property
    def hashed(self) -> tuple[OriginPattern, ...]:
        return tuple(
            p
            for p in self.patterns
            if p.kind in (PatternKind.EXACT, PatternKind.NULL)
            or (p.kind is PatternKind.SUBDOMAIN and not p.any_port)
        )

    @property
    def regexes(self) -> tuple[OriginPattern, ...]:
        hashed = self.hashed
        return tuple(p for p in self.patterns if p not in hashed and p.kind is not PatternKind.ANY)

    @property
    def any(self) -> bool:
        return any(pattern.kind is PatternKind.ANY for pattern in self.patterns)

    @property
    def dotted(self) -> tuple[str, ...]:
        """For the ``deny`` tier, the PCRE regexes of its patterns' trailing-dot twins
        (origin_regex.render_dotted), which ``deny`` refuses too; an allow tier has none."""
        if self.value != DENIED:
            return ()
        twins = (origin_regex.render_dotted(pattern, "pcre") for pattern in self.patterns)
        return tuple(dict.fromkeys(twin for twin in twins if twin is not None))


def tiers(plan: PolicyPlan) -> tuple[tuple[Tier, ...], str]:
    """The tiers of a policy, ``deny`` first, then its ordered entries grouped by grant, up to
    the first tier holding ``*``; and the value of every origin no tier admits: that ``*``
    tier's, else :data:`DENIED`. (An entry sorted after the ``*`` with the same grant stays in
    its tier: it gives the value the fallback gives.)"""
    runs: list[tuple[str, list[OriginPattern]]] = []
    if plan.policy.denies:
        runs.append((DENIED, list(plan.policy.denies)))
    for entry in plan.entries:
        value = gid(entry.grant)
        if runs and runs[-1][0] == value:
            runs[-1][1].append(entry.pattern)
        else:
            runs.append((value, [entry.pattern]))
    found: list[Tier] = []
    for value, patterns in runs:
        found.append(Tier(value, tuple(patterns)))
        if found[-1].any:
            return tuple(found), value  # `*` admits every origin: later entries never chosen
    return tuple(found), DENIED


@frozen
class Output:
    """A variable ``$<var>_<name>`` set from the state: ``values`` maps states to a value (a
    quoted text or a variable), any other state gives ``default``. ``header`` is the response
    header it feeds, ``""`` for the snippet's ``answer``."""

    __repr__ = fields_repr

    name: str
    header: str = ""
    default: str = '""'
    values: Sequence[tuple[str, str]] = ()

    def by_value(self) -> dict[str, list[str]]:
        """The states grouped by the value they give, in first-seen order."""
        groups: dict[str, list[str]] = {}
        for state, value in self.values:
            groups.setdefault(value, []).append(state)
        return groups


@frozen
class Decision:
    """Everything the files of one policy are written from. ``var`` starts every variable
    (``corsc_<policy>`` by default); ``tiers`` end at the first one holding ``*``, whose value
    is then ``fallback`` (else :data:`DENIED`)."""

    __repr__ = fields_repr

    plan: PolicyPlan
    var: str
    tiers: tuple[Tier, ...]
    fallback: str

    @classmethod
    def of(cls, plan: PolicyPlan, prefix: str) -> Decision:
        ordered, fallback = tiers(plan)
        return cls(plan, f"{prefix}_{plan.name}", ordered, fallback)

    def v(self, name: str) -> str:
        """A variable of this policy: ``$<prefix>_<policy>_<name>``."""
        return f"${self.var}_{name}"

    @property
    def grants(self) -> tuple[GrantPlan, ...]:
        return self.plan.grants

    def static_headers(self) -> list[tuple[str, str]]:
        """Static mode's fixed headers sent on every response, quoted (none otherwise)."""
        return [(name, text(value)) for name, value in self.plan.static_preflight]

    def _expose(self) -> Output:
        """Expose-Headers: for allowed origins, with their grant's value; in static mode, the
        policy's value on every response but preflights, whatever the Origin (there is no
        ``Vary: Origin`` then, so a response cached for one Origin is served to others)."""
        if self.plan.static:
            expose = dict(self.plan.static_actual).get(http.EXPOSE_HEADERS)
            if expose is None:
                return Output("expose", http.EXPOSE_HEADERS)
            preflight = [*states(self.grants[0]), "R"]
            return Output(
                "expose",
                http.EXPOSE_HEADERS,
                default=text(expose),
                values=[(state, '""') for state in preflight],
            )
        values = [(f"A{gid(g)}", text(g.expose)) for g in self.grants if g.expose is not None]
        return Output("expose", http.EXPOSE_HEADERS, values=values)

    def outputs(self) -> list[Output]:
        """Every variable the snippet reads: the response headers in the evaluator's order
        (those no state sends left out), ``Vary``, and ``answer``, the status the snippet
        returns (accepted preflights, refusals)."""
        plan = self.plan
        allowed = [(s, g) for g in self.grants for s in (f"A{gid(g)}", *states(g))]
        pf = [(s, g) for g in self.grants for s in states(g)]
        rows: list[Output] = []
        if not plan.static:
            rows.append(Output("acao", http.ALLOW_ORIGIN, values=[(s, ORIGIN) for s, _ in allowed]))
            true = [(s, text("true")) for s, g in allowed if g.credentials]
            rows.append(Output("acac", http.ALLOW_CREDENTIALS, values=true))
        rows += [
            Output(
                "acam",
                http.ALLOW_METHODS,
                values=[(s, ACRM if g.methods is None else text(g.allow_methods)) for s, g in pf],
            ),
            Output(
                "acah",
                http.ALLOW_HEADERS,
                values=[
                    (s, ACRH if g.headers is None else text(g.allow_headers))
                    for s, g in pf
                    if "h" in s
                ],
            ),
            Output(
                "max_age",
                http.MAX_AGE,
                values=[(s, text(g.max_age)) for s, g in pf if g.max_age is not None],
            ),
            Output(
                "acapn",
                http.ALLOW_PRIVATE_NETWORK,
                values=[(s, text("true")) for s, _ in pf if "n" in s],
            ),
            self._expose(),
        ]
        rows = [row for row in rows if row.values]
        # Vary: the policy's members on every response, a reflecting preflight's own on it.
        vary = [
            (state, text(", ".join(plan.preflight_vary(grant))))
            for state, grant in pf
            if plan.preflight_vary(grant) != plan.vary
        ]
        if plan.vary or vary:
            rows.append(Output("vary", http.VARY, default=text(", ".join(plan.vary)), values=vary))
        status = text(str(plan.preflight_status))
        refused = ("R", "U") if plan.reject else ("R",)
        answer = [(s, status) for s, _ in pf] + [(s, text("403")) for s in refused]
        rows.append(Output("answer", values=answer))
        return rows
