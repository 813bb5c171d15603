"""The rules of the ``haproxy`` target: one named ``defaults`` section holding every policy's
``http-request`` and ``http-after-response`` rules, and the pattern files its long lists need.

The decision is the evaluator's (README: What a policy means), computed in transaction
variables (``txn.<prefix>_*``) by ``http-request set-var`` rules, in this order:

- ``p``: the policy, chosen by the longest ``paths`` prefix on the percent-decoded path
  (``path,url_dec``), on segment boundaries; the fallback policy otherwise (only when the file
  has ``paths``);
- ``o``: the Origin (only when exactly one Origin line was sent); ``g``: the number of the
  grant of the most specific entry; unset when the Origin is not allowed (repeated, longer than
  any origin, or admitted by no entry), ``0`` when it is denied (as sent or with its host's
  trailing dot) or, under ``unlisted reject``, not allowed. Entries
  consecutive in the evaluator's order that give the same grant form a *tier*, tested as one:
  exact origins by ``-m str`` (a tree look-up), fixed-port subdomain wildcards by the origin's
  shape and ``-m end`` of ``.<base>[:port]``, the other kinds by ``-m reg`` with the anchored
  PCRE of :mod:`corsc.origin_regex`;
- for a preflight, ``q``: what it asks (:data:`~corsc.backends.haproxy_text.PREFLIGHT_QUESTION`),
  and ``g`` becomes :data:`REFUSED` or :data:`ACCEPTED` + its grant; ``n``: it asked for
  private network access.

``http-request return`` answers accepted preflights (``preflight-status``) with their headers
written in the answer, and refusals (403). The headers of every other response are set by
``http-after-response`` from ``g``; those rules apply to every response HAProxy sends — the
server's, errors HAProxy makes itself (a 503 when no server is up), and its own ``return`` —
so errors keep the CORS headers
(https://docs.haproxy.org/2.6/configuration.html#4.2-http-after-response). Every rule is a
cost on every request, so each decision is as few rules as it can be.
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
        #: The pattern files of integer lists, by their text.
        self.int_files: dict[str, str] = {}
        self.lines: list[str] = []
        self.after: list[str] = []

    def comment(self, text: str) -> str:
        return "    " + t.comment(text)

    def var(self, name: str) -> str:
        return f"txn.{self.prefix}_{name}"

    def found(self, name: str) -> str:
        return f"{{ var({self.var(name)}) -m found }}"

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
        # Only one Origin line. Its length is tested only where a pattern could admit an empty
        # or overlong one (a regex, a wildcard, `*`): an exact origin is never either, and
        # the tests an allowed origin passes are each a cost on every request.
        self.request(f"set-var({o}) {t.ORIGIN}", *guard, "{ req.fhdr_cnt(origin) eq 1 }")
        tiers_found, fallback = tiers(plan)
        decisions: list[tuple[int, tuple[str, ...]]] = [
            (tier.value, test)
            for number, tier in enumerate(tiers_found, 1)
            for test in self.tier_tests(tier, f"{self.prefix}-{name}-t{number}")
        ]
        if fallback != DENIED:
            decisions.append((fallback, (self.bounded(),)))
        if plan.reject:
            # Only `unlisted reject` tells an Origin that is not allowed from no Origin; an
            # unset ``g`` is not allowed everywhere else.
            decisions.append((DENIED, ("{ req.fhdr_cnt(origin) gt 0 }",)))
        for index, (value, test) in enumerate(decisions):
            # The first decision of the policy is always still open (``g`` is the policy's).
            undecided = (f"!{self.found('g')}",) if index else ()
            self.request(f"set-var({g}) int({value})", *guard, *undecided, *test)
        self.states(plan, guard)
        self.headers(plan, guard)

    def bounded(self) -> str:
        """The Origin is neither empty nor longer than any origin (so no regex runs on an
        unbounded value)."""
        return f"{{ var({self.var('o')}) -m len {t.ORIGIN_LENGTHS} }}"

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
                    self.bounded(),
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
            tests.append((self.bounded(), self.test(o, "reg", others, f"{stem}-regex.lst")))
        return tests

    def int_test(self, name: str, values: Sequence[int | str]) -> str:
        """A test of an integer variable. More values than :data:`~.haproxy_text.MAX_INLINE`
        (many grants sharing a header value) go into a pattern file, one file per distinct
        list: HAProxy splits a line into at most 64 words and refuses the configuration
        beyond."""
        words = [str(value) for value in values]
        if len(words) <= t.MAX_INLINE:
            return f"{{ var({self.var(name)}) -m int {' '.join(words)} }}"
        text = t.pattern_file(words)
        number = len(self.int_files) + 1
        file_name = self.int_files.setdefault(text, f"{self.prefix}-{name}{number}.lst")
        self.files[file_name] = text
        path = t.word(f"{self.pattern_dir}/{file_name}")
        return f"{{ var({self.var(name)}) -m int -f {path} }}"

    def states(self, plan: PolicyPlan, guard: tuple[str, ...]) -> None:
        """Preflights: ``g`` becomes :data:`REFUSED`, or :func:`accepted` of its grant."""
        g, q = self.var("g"), self.var("q")
        # A preflight is an OPTIONS with an Origin and an Access-Control-Request-Method; ``q``
        # (only preflights set it) is what it asks, tested by one regex per grant. Each rule
        # is a cost on every request: METH_OPTIONS comes first, since the method is read
        # without the lock every variable takes, so other requests pass these rules at the
        # cost of one comparison.
        preflight = f"METH_OPTIONS {self.found('q')}"
        self.lines += [
            "",
            self.comment(f'Policy "{plan.name}": a preflight is accepted ({ACCEPTED} + its grant)'),
            self.comment(f"or refused ({REFUSED})."),
        ]
        self.request(
            f"set-var-fmt({q}) {t.PREFLIGHT_QUESTION}",
            *guard,
            "METH_OPTIONS",
            "{ req.fhdr_cnt(origin) gt 0 }",
            "{ req.fhdr_cnt(access-control-request-method) gt 0 }",
        )
        if plan.private_network:
            self.request(
                f"set-var({self.var('n')}) bool(1)",
                *guard,
                preflight,
                # `-m str` reads the value up to a NUL: its length says it is all `true`.
                f"{{ {t.ACRPN_LAST} -m str true }}",
                f"{{ {t.ACRPN_LAST} -m len 4 }}",
            )
        for grant in plan.grants:
            methods = None if grant.methods is None else grant.preflight_methods or ()
            self.request(
                f"set-var({g}) int({accepted(grant)})",
                *guard,
                preflight,
                self.int_test("g", [grant.number]),
                f"{{ var({q}) -m reg {t.word(t.question_regex(methods, grant.headers))} }}",
            )
        self.request(
            f"set-var({g}) int({REFUSED})",
            *guard,
            preflight,
            self.not_accepted(),
        )
        refused = (REFUSED, DENIED) if plan.reject else (REFUSED,)
        # An accepted preflight's answer carries all its headers but private network access
        # (and Vary), in the evaluator's order: every rule after the response is one more test
        # on every response.
        answers: dict[tuple[str, str, str], list[int]] = {}
        for grant in plan.grants:
            head = "".join(
                f" hdr {name} {value}" for name, value in self.origin_headers(plan, grant)
            )
            allowed_methods = (
                t.word(f"%[{t.ACRM}]") if grant.methods is None else t.fixed(grant.allow_methods)
            )
            head += f" hdr {http.ALLOW_METHODS} {allowed_methods}"
            asked = ""
            if grant.headers != ():
                allowed = (
                    t.word(f"%[{t.ACRH_LAST},{t.LIST_AS_REFLECTED}]")
                    if grant.headers is None
                    else t.fixed(grant.allow_headers)
                )
                asked = f" hdr {http.ALLOW_HEADERS} {allowed}"
            tail = "" if grant.max_age is None else f" hdr {http.MAX_AGE} {t.fixed(grant.max_age)}"
            answers.setdefault((head, asked, tail), []).append(accepted(grant))
        status = f"return status {plan.preflight_status}"
        for (head, asked, tail), states in answers.items():
            chosen = (*guard, "METH_OPTIONS", self.int_test("g", states))
            if asked:
                self.request(status + head + asked + tail, *chosen, self.asked())
            self.request(status + head + tail, *chosen)
        only_preflights = () if plan.reject else ("METH_OPTIONS",)
        self.request("return status 403", *guard, *only_preflights, self.int_test("g", refused))

    def origin_headers(self, plan: PolicyPlan, grant: GrantPlan) -> list[tuple[str, str]]:
        """Allow-Origin and Allow-Credentials (names and HAProxy words) for an origin that
        ``grant`` allows: static mode's fixed ones, else the Origin echoed."""
        if plan.static:
            return [(name, t.fixed(value)) for name, value in plan.static_preflight]
        found = [(http.ALLOW_ORIGIN, self.echoed())]
        if grant.credentials:
            found.append((http.ALLOW_CREDENTIALS, "'true'"))
        return found

    def echoed(self) -> str:
        """The Origin, as a header value."""
        return t.word(f"%[var({self.var('o')})]")

    def not_accepted(self) -> str:
        """The response does not answer an accepted preflight."""
        return f"!{self.int_test('g', [f'{ACCEPTED}:'])}"

    def asked(self) -> str:
        """The preflight asked for headers."""
        return f"{{ {t.ACRH_LAST} -m reg {t.word(t.ASKED)} }}"

    def headers(self, plan: PolicyPlan, guard: tuple[str, ...]) -> None:
        """The ``http-after-response`` rules: every header from ``g``, in the order the
        evaluator sends them."""
        self.after += [
            "",
            self.comment(f'Policy "{plan.name}": the CORS headers of every response.'),
        ]
        if self.hide:
            # Not from the answer to an accepted preflight: corsc's own, without the server's.
            for name in http.RESPONSE_HEADERS:
                self.response(f"del-header {name}", *guard, self.not_accepted())
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

        actual = f"!{self.found('q')}"
        # An accepted preflight's answer has its own (set above): set-header would move them.
        if plan.static:
            for name, value in self.origin_headers(plan, grants[0]):
                self.response(f"set-header {name} {value}", *guard, self.not_accepted())
        else:
            self.response(
                f"set-header {http.ALLOW_ORIGIN} {self.echoed()}",
                *guard,
                self.int_test("g", [f"1:{REFUSED - 1}"]),
            )
            by_value(
                http.ALLOW_CREDENTIALS,
                [(g.number, "'true'") for g in grants if g.credentials],
                preflight=False,
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
