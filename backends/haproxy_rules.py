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

from corsc import http, origin_regex, origins, paths
from corsc.backends import haproxy_text as t
from corsc.ir import OriginPattern, PatternKind, PolicySet
from corsc.plan import GrantPlan, Plan, PolicyPlan

#: The grant value of an origin that is not allowed.
DENIED = "0"

_LABELLED_HOST = re.compile(rf"{origins.LABEL}(?:\.{origins.LABEL})*")


@frozen
class Tier:
    """Patterns consecutive in the evaluator's order that lead to one value (a grant number,
    or :data:`DENIED` for ``deny``)."""

    value: str
    patterns: tuple[OriginPattern, ...]


def tiers(plan: PolicyPlan) -> tuple[list[Tier], str]:
    """The tiers of a policy (``deny`` first, then its ordered entries grouped by grant, up to
    the first tier holding ``*``) and the value of an origin no tier admits: that ``*``
    tier's, else :data:`DENIED`."""
    runs: list[tuple[str, list[OriginPattern]]] = []
    if plan.policy.denies:
        runs.append((DENIED, list(plan.policy.denies)))
    for entry in plan.entries:
        value = str(entry.grant.number)
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
    found = [origin_regex.render_pattern(pattern, "pcre")]
    twin = origin_regex.render_dotted(pattern, "pcre") if deny else None
    return found + ([] if twin is None else [twin])


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

    # ---- the policy, by path --------------------------------------------------------------

    def choose_policy(self) -> None:
        chosen = self.var("p")
        prefixes = [
            # HAProxy compares with the path fully decoded (`%25` and `%2F` too), so the
            # prefix is written decoded the same way.
            (paths.decoded_path(prefix.value).rstrip("/") or "/", policy.name)
            for policy in self.plan.policies
            for prefix in policy.policy.paths
        ]
        fallback = next(
            (plan.name for plan in self.plan.policies if not plan.policy.paths),
            next((name for prefix, name in prefixes if prefix == "/"), None),
        )
        self.lines.append(self.comment("Which policy governs the path: the longest prefix wins."))
        # The path decoded once, a `%` that starts no escape kept as it is (url_dec alone
        # would fail on it, and the path would get no policy).
        decoded = self.var("path")
        self.request(f'set-var({decoded}) "{t.DECODED_PATH}"')
        for prefix, name in sorted(prefixes, key=lambda item: -len(item[0].encode())):
            if prefix == "/":
                continue
            for method, value in (("str", prefix), ("beg", prefix + "/")):
                self.request(
                    f"set-var({chosen}) str({name})",
                    f"!{self.found('p')}",
                    f"{{ var({decoded}) -m {method} {t.path_word(value)} }}",
                )
        if fallback is not None:
            self.request(f"set-var({chosen}) str({fallback})", f"!{self.found('p')}")

    # ---- one policy -----------------------------------------------------------------------

    def policy(self, plan: PolicyPlan, guard: tuple[str, ...]) -> None:
        name = plan.name
        self.lines += ["", self.comment(f'Policy "{name}": the origin\'s grant (0: not allowed).')]
        o, g = self.var("o"), self.var("g")
        undecided = (*guard, f"!{self.found('g')}")
        self.request(f"set-var({o}) {t.ORIGIN}", *guard, "{ req.fhdr_cnt(origin) eq 1 }")
        self.request(f"set-var({g}) str({DENIED})", *guard, "{ req.fhdr_cnt(origin) gt 1 }")
        self.request(f"set-var({g}) str({DENIED})", *guard, f"{{ var({o}) -m len {t.TOO_LONG} }}")
        ordered, fallback = tiers(plan)
        for number, tier in enumerate(ordered, 1):
            for test in self.tier_tests(tier, f"{self.prefix}-{name}-t{number}"):
                self.request(f"set-var({g}) str({tier.value})", *undecided, *test)
        if fallback != DENIED:
            self.request(f"set-var({g}) str({fallback})", *undecided, f"{{ var({o}) -m len 1: }}")
        self.request(f"set-var({g}) str({DENIED})", *undecided, "{ req.fhdr_cnt(origin) gt 0 }")
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
                    f"{{ {o} -m beg {t.word(scheme + '://')} }}",
                    f"{{ {o} -m reg {t.word(t.LABELLED)} }}",
                    self.test(o, "end", ends, f"{stem}-{scheme}.lst"),
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

    def states(self, plan: PolicyPlan, guard: tuple[str, ...]) -> None:
        s = self.var("s")
        m, rh = self.var("m"), self.var("rh")
        preflight = f"{{ var({self.var('pf')}) -m bool }}"
        actual = f"!{preflight}"
        self.lines += ["", self.comment(f'Policy "{plan.name}": the request\'s state.')]
        self.request(
            f"set-var({self.var('pf')}) bool(1)",
            *guard,
            "METH_OPTIONS",
            "{ req.fhdr_cnt(origin) gt 0 }",
            "{ req.fhdr_cnt(access-control-request-method) gt 0 }",
        )
        self.request(f"set-var({s}) str(U)", *guard, actual, self.equals("g", DENIED))
        for grant in plan.grants:
            self.request(
                f"set-var({s}) str(A{grant.number})",
                *guard,
                actual,
                self.equals("g", str(grant.number)),
            )
        self.request(f"set-var({m}) {t.ACRM}", *guard, preflight)
        self.request(f"set-var({rh}) {t.ACRH}", *guard, preflight)
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
        self.request(f"set-var({s}) str(R)", *guard, preflight)
        for grant in plan.grants:
            if grant.methods is None:
                method_ok = f"{{ var({m}) -m reg {t.word(t.METHOD_TOKEN)} }}"
            else:
                method_ok = self.equals("m", *(grant.preflight_methods or ()))
            head = (*guard, preflight, self.equals("g", str(grant.number)), method_ok)
            accept = f"set-var({s}) str(P{grant.number})"
            self.request(accept, *head, f"!{self.found('h')}")
            regex = t.headers_regex(grant.headers)
            self.request(accept, *head, f"{{ var({rh}) -m reg {t.word(regex)} }}")
        refused = ("R", "U") if plan.reject else ("R",)
        self.request(f"return status {plan.preflight_status}", *guard, f"{{ var({s}) -m beg P }}")
        self.request("return status 403", *guard, self.equals("s", *refused))

    def headers(self, plan: PolicyPlan, guard: tuple[str, ...]) -> None:
        """The ``http-after-response`` rules: every header from the state, in the order the
        evaluator sends them."""
        self.after += [
            "",
            self.comment(f'Policy "{plan.name}": the CORS headers of every response.'),
        ]
        if self.hide:
            for name in http.RESPONSE_HEADERS:
                self.response(f"del-header {name}", *guard)
        grants = plan.grants

        def states(prefix: str, chosen: Sequence[GrantPlan]) -> list[str]:
            return [f"{prefix}{grant.number}" for grant in chosen]

        def by_value(
            name: str, values: Sequence[tuple[str, str | None]], *extra: str, add: bool = False
        ) -> None:
            groups: dict[str, list[str]] = {}
            for state, value in values:
                if value is not None:
                    groups.setdefault(value, []).append(state)
            for value, chosen in groups.items():
                action = "add-header" if add else "set-header"
                self.response(f"{action} {name} {value}", *guard, self.equals("s", *chosen), *extra)

        preflight_or_refused = f"!{{ var({self.var('s')}) -m beg P R }}"
        if plan.static:
            for name, value in plan.static_preflight:
                self.response(f"set-header {name} {t.fixed(value)}", *guard)
        else:
            allowed = states("A", grants) + states("P", grants)
            self.response(
                f"set-header {http.ALLOW_ORIGIN} {t.word('%[var(' + self.var('o') + ')]')}",
                *guard,
                self.equals("s", *allowed),
            )
            credentialed = [g for g in grants if g.credentials]
            if credentialed:
                chosen = states("A", credentialed) + states("P", credentialed)
                self.response(
                    f"set-header {http.ALLOW_CREDENTIALS} 'true'", *guard, self.equals("s", *chosen)
                )
        reflect_method = t.word(f"%[var({self.var('m')})]")
        reflect_headers = t.word(f"%[var({self.var('rh')})]")
        by_value(
            http.ALLOW_METHODS,
            [
                (f"P{g.number}", reflect_method if g.methods is None else t.fixed(g.allow_methods))
                for g in grants
            ],
        )
        by_value(
            http.ALLOW_HEADERS,
            [
                (f"P{g.number}", reflect_headers if g.headers is None else t.fixed(g.allow_headers))
                for g in grants
                if g.headers != ()
            ],
            f"{{ var({self.var('h')}) -m bool }}",
        )
        by_value(
            http.MAX_AGE,
            [(f"P{g.number}", None if g.max_age is None else t.fixed(g.max_age)) for g in grants],
        )
        by_value(
            http.ALLOW_PRIVATE_NETWORK,
            [(f"P{g.number}", "'true'") for g in grants if g.private_network],
            f"{{ var({self.var('n')}) -m bool }}",
        )
        if plan.static:
            expose = dict(plan.static_actual).get(http.EXPOSE_HEADERS)
            if expose is not None:
                self.response(
                    f"set-header {http.EXPOSE_HEADERS} {t.fixed(expose)}",
                    *guard,
                    preflight_or_refused,
                )
        else:
            by_value(
                http.EXPOSE_HEADERS,
                [(f"A{g.number}", None if g.expose is None else t.fixed(g.expose)) for g in grants],
            )
        own = [g for g in grants if plan.preflight_vary(g) != plan.vary]
        if plan.vary:
            exceptions = (f"!{self.equals('s', *states('P', own))}",) if own else ()
            self.response(
                f"add-header {http.VARY} {t.fixed(', '.join(plan.vary))}", *guard, *exceptions
            )
        by_value(
            http.VARY,
            [(f"P{g.number}", t.fixed(", ".join(plan.preflight_vary(g)))) for g in own],
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
        writer.choose_policy()
    for policy in plan.policies:
        guard = (writer.equals("p", policy.name),) if chosen else ()
        writer.policy(policy, guard)
    head = f"defaults {prefix}" + (f" from {parent}" if parent else "")
    return [head, "    mode http", *writer.lines, *writer.after], writer.files
