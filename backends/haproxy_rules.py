"""The rules of the ``haproxy`` target: one named ``defaults`` section holding every policy's
``http-request`` and ``http-after-response`` rules, and the pattern files its long lists need.

The decision is the evaluator's (README: What a policy means), computed in transaction
variables (``txn.<prefix>_*``) by ``http-request set-var`` rules, in this order:

- ``p``: the policy, chosen by the longest ``paths`` prefix on the percent-decoded path
  (``path,url_dec``), on segment boundaries; the fallback policy otherwise (only when the file
  has ``paths``);
- ``o``: the Origin (only when exactly one Origin line was sent); ``g``: ``0`` when it is not
  allowed (repeated, longer than any origin, denied as sent or with its host's trailing dot,
  or admitted by no entry), else the number of the grant of the most specific entry. Entries
  consecutive in the evaluator's order that give the same grant form a *tier*, tested as one:
  exact origins by ``-m str`` (a tree look-up), fixed-port subdomain wildcards by the origin's
  shape and ``-m end`` of ``.<base>[:port]``, the other kinds by ``-m reg`` with the anchored
  PCRE of :mod:`corsc.origin_regex`;
- ``s``: the state: ``U`` an actual request from an origin that is not allowed, ``A<g>`` one
  from an allowed origin, ``R`` a refused preflight, ``P<g>`` an accepted one; ``h`` and ``n``
  say a preflight asked for headers or for private network access.

``http-request return`` answers accepted preflights (``preflight-status``) and refusals
(403). Every response header is then set by ``http-after-response`` from the state alone,
and those rules apply to every response HAProxy sends — the server's, errors HAProxy makes
itself (a 503 when no server is up), and its own ``return`` — so errors keep the CORS headers
(https://docs.haproxy.org/2.6/configuration.html#4.2-http-after-response).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from attrs import frozen

from corsc import http, origin_regex, origins
from corsc.backends import haproxy_text as t
from corsc.backends.haproxy_paths import choose_policy
from corsc.ir import OriginPattern, PatternKind, PolicySet
from corsc.plan import GrantPlan, Plan, PolicyPlan
from corsc.records import fields_repr

#: The value of ``g`` for an origin that is not allowed (an integer, as every variable the
#: rules test: HAProxy stores integers in the variable itself, strings in memory it allocates).
DENIED = 0
#: ``g`` of an accepted preflight: ``ACCEPTED`` + its grant's number; of a refused one,
#: ``REFUSED`` (HAProxy's ``-m int`` patterns are not negative).
ACCEPTED = 1_000_000
REFUSED = ACCEPTED - 1
#: The values of ``g`` that send Allow-Origin: an allowed origin's grant, an accepted preflight.
ALLOWED = (f"1:{REFUSED - 1}", f"{ACCEPTED}:")


def accepted(grant: GrantPlan) -> int:
    return ACCEPTED + grant.number


_LABELLED_HOST = re.compile(rf"{origins.LABEL}(?:\.{origins.LABEL})*")


@frozen
class Tier:
    """Patterns consecutive in the evaluator's order that lead to one value (a grant number,
    or :data:`DENIED` for ``deny``)."""

    __repr__ = fields_repr

    value: int
    patterns: tuple[OriginPattern, ...]


def tiers(plan: PolicyPlan) -> tuple[list[Tier], int]:
    """The tiers of a policy (``deny`` first, then its ordered entries grouped by grant, up to
    the first tier holding ``*``) and the value of an origin no tier admits: that ``*``
    tier's, else :data:`DENIED`."""
    runs: list[tuple[int, list[OriginPattern]]] = []
    if plan.policy.denies:
        runs.append((DENIED, list(plan.policy.denies)))
    for entry in plan.entries:
        value = entry.grant.number
        if runs and runs[-1][0] == value:
            runs[-1][1].append(entry.pattern)
        else:
            runs.append((value, [entry.pattern]))
    found: list[Tier] = []
    for value, patterns in runs:
        found.append(Tier(value, tuple(patterns)))
        if any(pattern.kind is PatternKind.ANY for pattern in patterns):
            return found, value
    return found, DENIED


def suffix_matched(pattern: OriginPattern) -> bool:
    """Whether a subdomain wildcard is tested by its shape and ``-m end`` (a fixed port and a
    base of plain labels), rather than by its regex."""
    return (
        pattern.kind is PatternKind.SUBDOMAIN
        and not pattern.any_port
        and _LABELLED_HOST.fullmatch(pattern.host) is not None
    )


def regexes(pattern: OriginPattern, *, deny: bool) -> list[str]:
    """The anchored PCRE of a pattern; for a deny also its trailing-dot twin."""
    if deny:
        return origin_regex.render_denied(pattern, "pcre")
    return [origin_regex.render_pattern(pattern, "pcre")]


class Writer:
    """The lines of one policy file's ``defaults`` section and its pattern files."""

    def __init__(self, plan: Plan, prefix: str, pattern_dir: str, hide: bool) -> None:
        self.plan = plan
        self.prefix = prefix
        self.pattern_dir = pattern_dir.rstrip("/") or "/"
        self.hide = hide
        self.files: dict[str, str] = {}
        self.lines: list[str] = []
        self.after: list[str] = []

    def comment(self, text: str) -> str:
        return "    " + t.comment(text)

    def var(self, name: str) -> str:
        return f"txn.{self.prefix}_{name}"

    def found(self, name: str) -> str:
        return f"{{ var({self.var(name)}) -m found }}"

    def equals(self, name: str, *values: str) -> str:
        return f"{{ var({self.var(name)}) -m str {' '.join(t.word(v) for v in values)} }}"

    def test(self, fetch: str, method: str, values: Sequence[str], file_name: str) -> str:
        """An anonymous ACL; its values inline when few, else in a pattern file."""
        values = list(dict.fromkeys(values))
        if len(values) <= t.MAX_INLINE:
            return f"{{ {fetch} -m {method} {' '.join(t.word(v) for v in values)} }}"
        self.files[file_name] = t.pattern_file(values)
        return f"{{ {fetch} -m {method} -f {t.word(self.pattern_dir + '/' + file_name)} }}"

    def request(self, action: str, *condition: str) -> None:
        self.lines.append(_rule("http-request", action, condition))

    def response(self, action: str, *condition: str) -> None:
        self.after.append(_rule("http-after-response", action, condition))

    # ---- one policy -----------------------------------------------------------------------

    def policy(self, plan: PolicyPlan, guard: tuple[str, ...]) -> None:
        name = plan.name
        self.lines += ["", self.comment(f'Policy "{name}": the origin\'s grant (0: not allowed).')]
        o, g = self.var("o"), self.var("g")
        undecided = (*guard, f"!{self.found('g')}")
        # Only one Origin line, neither empty nor longer than any origin (so no regex runs on
        # an unbounded value); any other Origin gets 0 by the last rule.
        self.request(
            f"set-var({o}) {t.ORIGIN}",
            *guard,
            "{ req.fhdr_cnt(origin) eq 1 }",
            f"{{ {t.ORIGIN} -m len {t.ORIGIN_LENGTHS} }}",
        )
        ordered, fallback = tiers(plan)
        for number, tier in enumerate(ordered, 1):
            for test in self.tier_tests(tier, f"{self.prefix}-{name}-t{number}"):
                self.request(f"set-var({g}) int({tier.value})", *undecided, *test)
        if fallback != DENIED:
            self.request(f"set-var({g}) int({fallback})", *undecided, self.found("o"))
        self.request(f"set-var({g}) int({DENIED})", *undecided, "{ req.fhdr_cnt(origin) gt 0 }")
        self.states(plan, guard)
        self.headers(plan, guard)

    def tier_tests(self, tier: Tier, stem: str) -> list[tuple[str, ...]]:
        """The conditions that admit an origin of the tier, one per kind of test."""
        o = f"var({self.var('o')})"
        deny = tier.value == DENIED
        exact = [
            p.canonical for p in tier.patterns if p.kind in (PatternKind.EXACT, PatternKind.NULL)
        ]
        exact = [] if deny else exact
        suffixed = [] if deny else [p for p in tier.patterns if suffix_matched(p)]
        tests: list[tuple[str, ...]] = []
        if exact:
            tests.append((self.test(o, "str", exact, f"{stem}-exact.lst"),))
        for scheme in sorted({p.scheme for p in suffixed}, reverse=True):
            ends = [
                "." + p.host + ("" if p.port is None else f":{p.port}")
                for p in suffixed
                if p.scheme == scheme
            ]
            tests.append(
                (
                    # The suffix first: HAProxy's pattern cache answers it for origins it has
                    # seen, so the shape's regex runs only on an origin with a listed base.
                    f"{{ {o} -m beg {t.word(scheme + '://')} }}",
                    self.test(o, "end", ends, f"{stem}-{scheme}.lst"),
                    f"{{ {o} -m reg {t.word(t.LABELLED)} }}",
                )
            )
        others = [
            source
            for p in tier.patterns
            if p.kind is not PatternKind.ANY
            and (deny or (p.canonical not in exact and p not in suffixed))
            for source in regexes(p, deny=deny)
        ]
        if others:
            tests.append((self.test(o, "reg", others, f"{stem}-regex.lst"),))
        return tests

    def int_test(self, name: str, values: Sequence[int | str]) -> str:
        return f"{{ var({self.var(name)}) -m int {' '.join(str(v) for v in values)} }}"

    def states(self, plan: PolicyPlan, guard: tuple[str, ...]) -> None:
        """Preflights: ``g`` becomes :data:`REFUSED`, or :func:`accepted` of its grant."""
        g, m, rh = self.var("g"), self.var("m"), self.var("rh")
        # A preflight is an OPTIONS with an Origin (``g`` is set) and the method it asks for
        # (``m``, which only preflights set); ``rh`` is the headers it asks for, "" for none.
        # METH_OPTIONS comes first: the method is read without the lock every variable takes,
        # so other requests pass these rules at the cost of one comparison.
        preflight = f"METH_OPTIONS {self.found('m')}"
        self.lines += [
            "",
            self.comment(f'Policy "{plan.name}": a preflight is accepted ({ACCEPTED} + its grant)'),
            self.comment(f"or refused ({REFUSED})."),
        ]
        self.request(f"set-var({m}) {t.ACRM}", *guard, "METH_OPTIONS", self.found("g"))
        self.request(f'set-var-fmt({rh}) "%[{t.ACRH}]"', *guard, preflight)
        self.request(
            f"set-var({self.var('h')}) bool(1)",
            *guard,
            preflight,
            f"{{ var({rh}) -m reg {t.word(t.ASKED)} }}",
        )
        if plan.private_network:
            self.request(
                f"set-var({self.var('n')}) bool(1)",
                *guard,
                preflight,
                f"{{ {t.ACRPN_LAST} -m str true }}",
            )
        for grant in plan.grants:
            if grant.methods is None:
                method_ok = f"{{ var({m}) -m reg {t.word(t.METHOD_TOKEN)} }}"
            else:
                method_ok = self.equals("m", *(grant.preflight_methods or ()))
            regex = t.headers_regex(grant.headers)
            self.request(
                f"set-var({g}) int({accepted(grant)})",
                *guard,
                preflight,
                self.int_test("g", [grant.number]),
                method_ok,
                f"{{ var({rh}) -m reg {t.word(regex)} }}",
            )
        self.request(
            f"set-var({g}) int({REFUSED})",
            *guard,
            preflight,
            self.int_test("g", [f"0:{REFUSED - 1}"]),
        )
        refused = (REFUSED, DENIED) if plan.reject else (REFUSED,)
        self.request(
            f"return status {plan.preflight_status}",
            *guard,
            "METH_OPTIONS",
            self.int_test("g", [f"{ACCEPTED}:"]),
        )
        only_preflights = () if plan.reject else ("METH_OPTIONS",)
        self.request("return status 403", *guard, *only_preflights, self.int_test("g", refused))

    def headers(self, plan: PolicyPlan, guard: tuple[str, ...]) -> None:
        """The ``http-after-response`` rules: every header from ``g``, in the order the
        evaluator sends them."""
        self.after += [
            "",
            self.comment(f'Policy "{plan.name}": the CORS headers of every response.'),
        ]
        if self.hide:
            for name in http.RESPONSE_HEADERS:
                self.response(f"del-header {name}", *guard)
        grants = plan.grants

        def by_value(
            name: str,
            values: Sequence[tuple[int, str | None]],
            *extra: str,
            add: bool = False,
            preflight: bool = True,
        ) -> None:
            groups: dict[str, list[int]] = {}
            for state, value in values:
                if value is not None:
                    groups.setdefault(value, []).append(state)
            action = "add-header" if add else "set-header"
            first = ("METH_OPTIONS",) if preflight else ()
            for value, chosen in groups.items():
                self.response(
                    f"{action} {name} {value}", *guard, *first, self.int_test("g", chosen), *extra
                )

        actual = f"!{self.found('m')}"
        if plan.static:
            for name, value in plan.static_preflight:
                self.response(f"set-header {name} {t.fixed(value)}", *guard)
        else:
            self.response(
                f"set-header {http.ALLOW_ORIGIN} {t.word('%[var(' + self.var('o') + ')]')}",
                *guard,
                self.int_test("g", ALLOWED),
            )
            credentialed = [g for g in grants if g.credentials]
            if credentialed:
                chosen = [g.number for g in credentialed] + [accepted(g) for g in credentialed]
                self.response(
                    f"set-header {http.ALLOW_CREDENTIALS} 'true'",
                    *guard,
                    self.int_test("g", chosen),
                )
        reflect_method = t.word(f"%[var({self.var('m')})]")
        reflect_headers = t.word(f"%[var({self.var('rh')}),{t.LIST_AS_REFLECTED}]")
        by_value(
            http.ALLOW_METHODS,
            [
                (accepted(g), reflect_method if g.methods is None else t.fixed(g.allow_methods))
                for g in grants
            ],
        )
        by_value(
            http.ALLOW_HEADERS,
            [
                (accepted(g), reflect_headers if g.headers is None else t.fixed(g.allow_headers))
                for g in grants
                if g.headers != ()
            ],
            f"{{ var({self.var('h')}) -m bool }}",
        )
        by_value(
            http.MAX_AGE,
            [(accepted(g), None if g.max_age is None else t.fixed(g.max_age)) for g in grants],
        )
        by_value(
            http.ALLOW_PRIVATE_NETWORK,
            [(accepted(g), "'true'") for g in grants if g.private_network],
            f"{{ var({self.var('n')}) -m bool }}",
        )
        if plan.static:
            expose = dict(plan.static_actual).get(http.EXPOSE_HEADERS)
            if expose is not None:
                self.response(f"set-header {http.EXPOSE_HEADERS} {t.fixed(expose)}", *guard, actual)
        else:
            by_value(
                http.EXPOSE_HEADERS,
                [(g.number, None if g.expose is None else t.fixed(g.expose)) for g in grants],
                preflight=False,
            )
        own = [g for g in grants if plan.preflight_vary(g) != plan.vary]
        if plan.vary:
            exceptions = (f"!{self.int_test('g', [accepted(g) for g in own])}",) if own else ()
            vary = t.fixed(", ".join(plan.vary))
            self.response(f"add-header {http.VARY} {vary}", *guard, *exceptions)
        by_value(
            http.VARY,
            [(accepted(g), t.fixed(", ".join(plan.preflight_vary(g)))) for g in own],
            add=True,
        )


def _rule(keyword: str, action: str, condition: Sequence[str]) -> str:
    return "    " + " ".join([keyword, action, *(["if", *condition] if condition else [])])


def section(
    policy_set: PolicySet, prefix: str, parent: str, pattern_dir: str, hide: bool
) -> tuple[list[str], dict[str, str]]:
    """The ``defaults`` section's lines and the pattern files (by file name)."""
    plan = Plan.of(policy_set)
    writer = Writer(plan, prefix, pattern_dir, hide)
    chosen = any(policy.policy.paths for policy in plan.policies)
    if chosen:
        choose_policy(writer)
    for number, policy in enumerate(plan.policies, 1):
        guard = (writer.int_test("p", [number]),) if chosen else ()
        writer.policy(policy, guard)
    head = f"defaults {prefix}" + (f" from {parent}" if parent else "")
    return [head, "    mode http", *writer.lines, *writer.after], writer.files
