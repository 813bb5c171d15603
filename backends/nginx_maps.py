"""The maps variant of the ``nginx`` target: the file for ``http {}``
(``<prefix>-<policy>.http.conf``).

It computes a policy's state (:mod:`corsc.backends.nginx_plan`) with ``map`` blocks, which
nginx evaluates lazily: an actual request never runs the preflight checks, and a refused origin
costs hash look-ups and the length test only. The snippet (:mod:`corsc.backends.nginx_emit`)
reads the variables these maps define.
"""

from __future__ import annotations

from collections.abc import Iterable

from attrs import frozen

from corsc import origin_regex, origins
from corsc.backends.nginx_plan import DENIED, Decision, gid, preflights
from corsc.backends.nginx_text import (
    ACRH,
    ACRM,
    ACRPN,
    MAY_BE_DOTTED,
    NOTHING_ASKED,
    ORIGIN,
    PRIVATE_NETWORK_ASKED,
    comment,
    headers_regex,
    literal,
    mask,
    method_regex,
    shape,
    text,
    union_chunks,
)
from corsc.ir import PatternKind
from corsc.plan import GrantPlan
from corsc.records import fields_repr


def _map(
    source: str,
    variable: str,
    default: str,
    rows: Iterable[tuple[str, str]],
    *,
    hostnames: bool = False,
) -> list[str]:
    """A ``map`` block; keys and values are already quoted (or are variables)."""
    head = [f"map {source} {variable} {{"] + (["    hostnames;"] if hostnames else [])
    body = [f"    default {default};"] + [f"    {key} {value};" for key, value in rows]
    return [*head, *body, "}"]


def _regex_rows(
    regexes: Iterable[str], value: str, *, fold_case: bool = False
) -> list[tuple[str, str]]:
    operator = "~*" if fold_case else "~"
    return [(literal(operator + source), value) for source in regexes]


def http_lines(decision: Decision) -> list[str]:
    """The maps variant's ``map`` blocks, in the order a request uses them: the origin's
    grant, the state, then one variable per row of :meth:`Decision.outputs`."""
    return [*_origin_maps(decision), "", *_state_maps(decision), "", *_output_maps(decision)]


@frozen
class Stage:
    """One link of the origin chain: a map of the Origin whose default is the next link.

    ``kind`` is ``exact`` (a hash; a hit is confirmed without uppercase letters), ``https`` or
    ``http`` (a ``hostnames`` hash of subdomain masks; a hit is confirmed by the shape) or
    ``regex``. ``rows`` maps a key to the value of its tier."""

    __repr__ = fields_repr

    name: str
    kind: str
    rows: dict[str, str]


def _stages(decision: Decision) -> list[Stage]:
    """The links in the evaluator's order; adjacent hashes of exact origins are one link,
    since exact origins never overlap (the first tier keeps an origin listed twice)."""
    stages: list[Stage] = []
    for number, tier in enumerate(decision.tiers, 1):
        value = text(tier.value)
        exact = [p for p in tier.hashed if p.kind is not PatternKind.SUBDOMAIN]
        if exact and stages and stages[-1].kind == "exact":
            for pattern in exact:
                stages[-1].rows.setdefault(literal(pattern.canonical), value)
        elif exact:
            rows = {literal(pattern.canonical): value for pattern in exact}
            stages.append(Stage(f"t{number}", "exact", rows))
        for scheme in sorted(origins.SCHEMES, reverse=True):  # https, the usual one, first
            masks = [
                p for p in tier.hashed if p.kind is PatternKind.SUBDOMAIN and p.scheme == scheme
            ]
            if masks:
                rows = {literal(mask(pattern)): value for pattern in masks}
                stages.append(Stage(f"t{number}_{scheme}", scheme, rows))
        if tier.regexes:
            rows = dict(_regex_rows(union_chunks(tier.regexes), value))
            stages.append(Stage(f"t{number}_rx", "regex", rows))
        if tier.dotted:
            rows = dict(_regex_rows(tier.dotted, value))
            stages.append(Stage(f"t{number}_dot", "dotted", rows))
    return stages


def _origin_maps(decision: Decision) -> list[str]:
    v = decision.v
    lines = [
        comment('1. The origin: "" without one, "0" when not allowed, else the number of the'),
        comment("   grant whose settings apply: an Origin too long to be one is refused first;"),
        comment("   then deny (as sent, and with a trailing dot removed from its host), then"),
        comment("   allow entries from the most specific. Each map falls through to the next by"),
        comment("   its default. Hashes match case-insensitively: a hit is confirmed by a regex"),
        comment("   (exact origins: no uppercase letter; subdomain masks: scheme, labels, port)."),
    ]
    stages = _stages(decision)
    names = [v(stage.name) for stage in stages]
    chain = [*names, text(decision.fallback)]
    # The head answers "" for no Origin, and refuses an Origin too long to be one before any
    # regex of the policy runs on it (a long value can exhaust PCRE's match limit).
    head = [('""', '""'), (literal("~" + origin_regex.TOO_LONG), text(DENIED))]
    lines += _map(ORIGIN, v("grant"), chain[0], head)
    for index, stage in enumerate(stages):
        after = chain[index + 1]
        if stage.kind == "regex":
            lines += _map(ORIGIN, names[index], after, list(stage.rows.items()))
            continue
        if stage.kind == "dotted":
            # The twins run only on an Origin with a dot before its port or its end.
            twins = f"{names[index]}s"
            lines += _map(ORIGIN, names[index], after, [(literal("~" + MAY_BE_DOTTED), twins)])
            lines += _map(ORIGIN, twins, after, list(stage.rows.items()))
            continue
        confirmed = {value: f"{v(stage.name)}_{value[1:-1]}" for value in stage.rows.values()}
        hits = [(key, confirmed[value]) for key, value in stage.rows.items()]
        hostnames = stage.kind != "exact"
        lines += _map(ORIGIN, names[index], after, hits, hostnames=hostnames)
        for value, variable in confirmed.items():
            if hostnames:
                lines += _map(ORIGIN, variable, after, [(literal("~" + shape(stage.kind)), value)])
            else:
                lines += _map(ORIGIN, variable, value, [(literal("~[A-Z]"), after)])
    return lines


def _state_maps(decision: Decision) -> list[str]:
    v = decision.v
    lines = [
        comment('2. The state: "" no Origin, U not allowed, A<grant> allowed, R a refused'),
        comment("   preflight, P<grant> an accepted one (h: headers asked, n: private network)."),
    ]
    # Hashes, not a regex: nginx's request parser refuses a method with a lowercase letter
    # (400), so the case-insensitive key "OPTIONS" meets only OPTIONS itself.
    lines += _map("$request_method", v("pf"), '""', [(text("OPTIONS"), v("acrm"))])
    lines += _map(ACRM, v("acrm"), text("1"), [('""', '""')])
    states = [(text("0:"), text("U")), (text("0:1"), text("R"))]
    for grant in decision.grants:
        states += [
            (text(f"{gid(grant)}:"), text("A" + gid(grant))),
            (text(f"{gid(grant)}:1"), v(f"pf{gid(grant)}")),
        ]
    lines += _map(f'"{v("grant")}:{v("pf")}"', v("state"), '""', states)
    if decision.plan.private_network:
        rows = _regex_rows(["^" + PRIVATE_NETWORK_ASKED], text("1"))
        lines += _map(ACRPN, v("pna"), '""', rows)
    checks: dict[str, str] = {}  # regex → the variable of the first map that checks it
    for grant in decision.grants:
        sources = []
        for kind, source, rows in (
            ("m", ACRM, _regex_rows(["^" + method_regex(grant.preflight_methods)], text("1"))),
            ("h", ACRH, _headers_rows(grant)),
        ):
            key = repr(rows)
            if key not in checks:  # grants that check alike share one map
                checks[key] = v(f"{kind}{gid(grant)}")
                lines += _map(source, checks[key], '""', rows)
            sources.append(checks[key])
        checked = [
            (text(f"1:{asked}"), text(state))
            for asked, flag, state in preflights(grant)
            if not flag
        ]
        if decision.plan.private_network:
            sources.append(v("pna"))
            checked = [
                (text(f"1:{asked}:{flag}"), text(state)) for asked, flag, state in preflights(grant)
            ] + (
                []
                if grant.private_network
                else [(text(f"1:{asked}:1"), text(state)) for asked, _, state in preflights(grant)]
            )
        lines += _map('"' + ":".join(sources) + '"', v(f"pf{gid(grant)}"), text("R"), checked)
    return lines


def _headers_rows(grant: GrantPlan) -> list[tuple[str, str]]:
    """Access-Control-Request-Headers → ``1`` when it names nothing, ``2`` when every name is
    granted. The ``""`` key is needed: nginx never tries a map's regexes on an empty value."""
    rows = [('""', text("1")), *_regex_rows(["^" + NOTHING_ASKED], text("1"))]
    if grant.headers != ():
        rows += _regex_rows(["^" + headers_regex(grant.headers)], text("2"), fold_case=True)
    return rows


def _output_maps(decision: Decision) -> list[str]:
    lines = [comment("3. What each state sends; an empty value sends no header.")]
    for output in decision.outputs():
        if output.values:  # else a fixed value: the snippet writes it as it is
            rows = [(text(state), value) for state, value in output.values]
            lines += _map(decision.v("state"), decision.v(output.name), output.default, rows)
    return lines
