"""The directives of the ``apache`` target: one policy's mod_setenvif, mod_rewrite (or
``<If>``) and mod_headers lines, in the syntax of Apache httpd 2.4's configuration files.

The decision is the evaluator's (README: What a policy means), kept in request environment
variables named after the policy (``corsc_<policy>_*``):

- ``g``: the number of the grant of the most specific entry admitting the Origin, unset when
  it is not allowed. ``SetEnvIf Origin`` lines test the policy's *tiers* — entries consecutive
  in the evaluator's order that give the same grant, as one anchored PCRE union from
  :mod:`corsc.origin_regex` — least specific first, so the last one that matches wins; then
  every ``deny`` pattern (and its trailing-dot twin) and an Origin longer than any browser
  sends unset it.
- ``p``: set on every preflight (``OPTIONS`` with an Origin and an
  Access-Control-Request-Method): ``0`` when refused, the grant's number when accepted.
- ``u``: an actual request from an origin that is not allowed (``unlisted reject`` only).

Accepted preflights are answered ``preflight-status`` with no body (204) and refusals 403: in
a ``<VirtualHost>`` by ``RewriteRule ^ - [R=…,L]`` (mod_rewrite at URL translation, before
authentication); in a ``<Location>`` or ``.htaccess`` by ``Redirect`` inside ``<If>`` — there
mod_rewrite is unsupported (``<Location>``) or needs ``Options FollowSymLinks``
(``.htaccess``), and ``<If>`` is decided before mod_setenvif runs, so its expressions read the
request headers themselves. Every header is set by ``Header always``, which applies to every
response, errors included (https://httpd.apache.org/docs/2.4/mod/mod_headers.html#header).

Every value written is one of :mod:`corsc.backends.apache_values`' (which says what each may
hold); the lines of a whole ``<VirtualHost>`` are :mod:`corsc.backends.apache_vhost`'s.
"""

from __future__ import annotations

from collections.abc import Sequence

from corsc import http, origin_regex
from corsc.backends.apache_values import (
    ASKED,
    BLANK,
    Unwritable,
    chunks,
    deny_regexes,
    fixed,
    headers_regex,
    matches,
    methods_regex,
    quoted,
    tiers,
    union,
)
from corsc.plan import GrantPlan, PolicyPlan

#: Where the directives go (``-O placement=``).
VIRTUALHOST, LOCATION, HTACCESS = "virtualhost", "location", "htaccess"
PLACEMENTS = (VIRTUALHOST, LOCATION, HTACCESS)


class Writer:
    """The lines of one policy for one placement."""

    def __init__(self, plan: PolicyPlan, placement: str, chosen: bool = False) -> None:
        self.plan = plan
        self.placement = placement
        self.lines: list[str] = []
        self.prefix = f"corsc_{plan.name}_"
        #: Whether the path chooses the policy (``corsc_policy``, set by :func:`choose`).
        self.chosen = chosen

    def guarded(self, *tests: str) -> str:
        """An expression: the policy governs the path, and ``tests``."""
        chosen = [f"reqenv('{POLICY}') == '{self.plan.name}'"] if self.chosen else []
        return " && ".join([*chosen, *tests])

    def rewrite_guard(self) -> list[str]:
        return [f"RewriteCond %{{ENV:{POLICY}}} ={self.plan.name}"] if self.chosen else []

    def var(self, name: str) -> str:
        return self.prefix + name

    def env(self, name: str) -> str:
        return f"reqenv('{self.var(name)}')"

    def comment(self, text: str) -> None:
        if any(not " " <= char <= "~" for char in text if char.isascii()) or "\n" in text:
            raise Unwritable(f"no comment for {text!r}")
        self.lines.append(f"# {text}")

    def write(self) -> list[str]:
        self.decide()
        self.answer()
        self.headers()
        return self.lines

    # ---- the decision ----------------------------------------------------------------------

    def decide(self) -> None:
        g, p = self.var("g"), self.var("p")
        self.comment(f"{g}: the grant of the most specific entry admitting the Origin (the")
        self.comment("entries least specific first: the last match wins); unset: not allowed.")
        for number, patterns in reversed(tiers(self.plan)):
            # Cut into pieces: PCRE refuses to compile a regex past its size limit.
            for piece in chunks(union(patterns)):
                self.lines.append(f"SetEnvIf Origin {quoted(piece)} {g}={number}")
        denies = deny_regexes(self.plan)
        self.comment(
            "Denied, as sent or with the host's trailing dot; longer than any browser sends."
            if denies
            else "An Origin longer than any browser sends is not allowed."
        )
        for regex in denies:
            self.lines.append(f"SetEnvIf Origin {quoted(regex)} !{g}")
        self.lines.append(f"SetEnvIf Origin {quoted(origin_regex.TOO_LONG)} !{g}")
        if self.placement != VIRTUALHOST:
            return  # preflights are decided in their <If>
        self.comment(f"{p}: a preflight, 0 when refused, else the number of its grant.")
        self.lines.append(f"SetEnvIfExpr {quoted(PREFLIGHT)} {p}=0")
        for grant in self.plan.grants:
            condition = " && ".join(
                [
                    f"{self.env('p')} == '0'",
                    f"{self.env('g')} == '{grant.number}'",
                    f"req_novary('{http.REQUEST_METHOD}') =~ m#{methods_regex(grant)}#",
                    f"req_novary('{http.REQUEST_HEADERS}') =~ m#{headers_regex(grant.headers)}#",
                ]
            )
            self.lines.append(f"SetEnvIfExpr {quoted(condition)} {p}={grant.number}")
        if self.plan.reject and self.placement == VIRTUALHOST:
            self.comment(
                f"{self.var('u')}: unlisted reject, an actual request from an origin not allowed."
            )
            unlisted = " && ".join(
                [f"-n req_novary('{http.ORIGIN}')", f"-z {self.env('g')}", f"-z {self.env('p')}"]
            )
            self.lines.append(f"SetEnvIfExpr {quoted(unlisted)} {self.var('u')}=1")

    # ---- the answers -----------------------------------------------------------------------

    def answer(self) -> None:
        status = self.plan.preflight_status
        if self.placement == VIRTUALHOST:
            self.answer_by_rewrite(status)
        else:
            self.answer_by_if(status)
        if status == 200 and self.placement != VIRTUALHOST:
            self.lines += ONE_SPACE_200

    def answer_by_rewrite(self, status: int) -> None:
        self.comment(f'Policy "{self.plan.name}": accepted preflights {status}, refused ones 403.')
        self.lines += [
            *self.rewrite_guard(),
            f"RewriteCond %{{ENV:{self.var('p')}}} ^[1-9]",
            f"RewriteRule ^ - [R={status},L]",
        ]
        refused = [*self.rewrite_guard(), f"RewriteCond %{{ENV:{self.var('p')}}} =0"]
        if self.plan.reject:
            refused[-1] += " [OR]"
            refused.append(f"RewriteCond %{{ENV:{self.var('u')}}} =1")
        self.lines += [*refused, "RewriteRule ^ - [R=403,L]"]

    def answer_by_if(self, status: int) -> None:
        """``<If>`` runs before mod_setenvif in these contexts, so it decides from the request
        headers: the same tiers, denies and grants as expressions."""
        self.comment(f"Accepted preflights are answered {status}, refused ones 403 (these")
        self.comment("expressions are decided before SetEnvIf runs, from the request itself).")
        ordered = tiers(self.plan)
        denies = deny_regexes(self.plan)
        allowed = [f"req_novary('{http.ORIGIN}') !~ m#{origin_regex.TOO_LONG}#"]
        allowed += [f"!{matches(http.ORIGIN, regex)}" for regex in denies]
        tier_tests = [matches(http.ORIGIN, union(p)) for _, p in ordered]
        keyword = "If"
        for grant in self.plan.grants:
            chosen = [
                " && ".join([*(f"!{test}" for test in tier_tests[:index]), tier_tests[index]])
                for index, (number, _) in enumerate(ordered)
                if number == grant.number
            ]
            condition = " && ".join(
                [
                    PREFLIGHT,
                    *allowed,
                    "(" + " || ".join(f"({c})" for c in chosen) + ")",
                    f"req_novary('{http.REQUEST_METHOD}') =~ m#{methods_regex(grant)}#",
                    f"req_novary('{http.REQUEST_HEADERS}') =~ m#{headers_regex(grant.headers)}#",
                ]
            )
            self.lines.append(f"<{keyword} {quoted(condition)}>")
            self.indent = "    "
            if not self.plan.static:
                self.header("set", http.ALLOW_ORIGIN, REFLECTED_ORIGIN)
                if grant.credentials:
                    self.header("set", http.ALLOW_CREDENTIALS, '"true"')
            self.preflight_headers([grant], by_state=False)
            self.preflight_vary([grant], by_state=False)
            self.indent = ""
            self.lines += [f"    Redirect {status}", f"</{keyword}>"]
            keyword = "ElseIf"
        refused = PREFLIGHT
        if self.plan.reject:
            anyone = "(" + " || ".join(tier_tests) + ")"
            refused = (
                f"({PREFLIGHT}) || (-n req_novary('{http.ORIGIN}') && "
                f"!({' && '.join([*allowed, anyone])}))"
            )
        self.lines += [f"<ElseIf {quoted(refused)}>", "    Redirect 403", "</ElseIf>"]

    # ---- the headers -----------------------------------------------------------------------

    def header(self, action: str, name: str, value: str, *tests: str) -> None:
        condition = self.guarded(*(test for test in tests if test))
        when = f" {quoted('expr=' + condition)}" if condition else ""
        self.lines.append(f"{self.indent}Header always {action} {name} {value}{when}")

    def in_grants(self, name: str, grants: Sequence[int]) -> str:
        return f"{self.env(name)} -in {{{', '.join(repr(str(n)) for n in grants)}}}"

    indent = ""

    def headers(self) -> None:
        """Every CORS header. In a ``<VirtualHost>`` each is conditioned on the state
        variables; in a ``<Location>`` or ``.htaccess`` these are the headers of actual
        requests only (a preflight's are inside its ``<If>``, :meth:`preflight_headers`)."""
        plan = self.plan
        grants = plan.grants
        per_dir = self.placement != VIRTUALHOST
        self.comment(
            f'Policy "{plan.name}": the CORS headers of every response (errors too), in the '
            "evaluator's order."
        )
        # Not a refused preflight: in the virtual host, by the state; elsewhere, not a
        # preflight at all (their headers are set in their <If>).
        not_refused = f"!({PREFLIGHT})" if per_dir else f"{self.env('p')} != '0'"
        actual = f"!({PREFLIGHT})" if per_dir else f"-z {self.env('p')}"
        # The server's own CORS headers (in the table `Header always` does not touch) go:
        # under a policy, corsc's are the only ones.
        condition = self.guarded()
        for name in http.RESPONSE_HEADERS:
            when = f" {quoted('expr=' + condition)}" if condition else ""
            self.lines.append(f"Header unset {name}{when}")
        if plan.static:
            for name, value in plan.static_preflight:
                self.header("set", name, fixed(value))
        else:
            self.header(
                "set",
                http.ALLOW_ORIGIN,
                REFLECTED_ORIGIN,
                f"-n {self.env('g')} && {not_refused}",
            )
            credentialed = [g.number for g in grants if g.credentials]
            if credentialed:
                self.header(
                    "set",
                    http.ALLOW_CREDENTIALS,
                    '"true"',
                    f"{self.in_grants('g', credentialed)} && {not_refused}",
                )
        if not per_dir:
            self.preflight_headers(grants, by_state=True)
        if plan.static:
            expose = dict(plan.static_actual).get(http.EXPOSE_HEADERS)
            if expose is not None:
                self.header("set", http.EXPOSE_HEADERS, fixed(expose), actual)
        else:
            exposed: dict[str, list[int]] = {}
            for g in grants:
                if g.expose is not None:
                    exposed.setdefault(g.expose, []).append(g.number)
            for value, chosen in exposed.items():
                self.header(
                    "set",
                    http.EXPOSE_HEADERS,
                    fixed(value),
                    f"{self.in_grants('g', chosen)} && {actual}",
                )
        if plan.vary:
            self.header("merge", http.VARY, fixed(", ".join(plan.vary)))
        if not per_dir:
            self.preflight_vary(grants, by_state=True)

    def preflight_headers(self, grants: Sequence[GrantPlan], by_state: bool) -> None:
        """The grant headers of accepted preflights: chosen by ``p`` (``by_state``), or of the
        one grant whose ``<If>`` holds them."""

        def state(chosen: Sequence[int]) -> str:
            return self.in_grants("p", chosen) if by_state else ""

        def by_value(name: str, values: Sequence[tuple[int, str | None]], *extra: str) -> None:
            groups: dict[str, list[int]] = {}
            for number, value in values:
                if value is not None:
                    groups.setdefault(value, []).append(number)
            for value, chosen in groups.items():
                self.header("set", name, value, state(chosen), *extra)

        by_value(
            http.ALLOW_METHODS,
            [
                (g.number, REFLECTED_METHOD if g.methods is None else fixed(g.allow_methods))
                for g in grants
            ],
        )
        asked = f"req_novary('{http.REQUEST_HEADERS}') =~ m#{ASKED}#"
        by_value(
            http.ALLOW_HEADERS,
            [
                (g.number, REFLECTED_HEADERS if g.headers is None else fixed(g.allow_headers))
                for g in grants
                if g.headers != ()
            ],
            asked,
        )
        reflected = [g.number for g in grants if g.headers is None]
        if reflected:
            # The reflected list as the evaluator writes it: items trimmed, empty ones
            # dropped, joined by ", ".
            condition = self.guarded(*(t for t in [state(reflected)] if t))
            when = f" {quoted('expr=' + condition)}" if condition else ""
            for regex, replacement in (
                (f"{BLANK}*,{BLANK}*", ","),
                (",+", ","),
                (r"^,|,\z", ""),
                (",", ", "),
            ):
                self.lines.append(
                    f"{self.indent}Header always edit* {http.ALLOW_HEADERS} {quoted(regex)} "
                    f"{quoted(replacement)}{when}"
                )
        by_value(
            http.MAX_AGE,
            [(g.number, None if g.max_age is None else fixed(g.max_age)) for g in grants],
        )
        private = f"req_novary('{http.REQUEST_PRIVATE_NETWORK}') == 'true'"
        by_value(
            http.ALLOW_PRIVATE_NETWORK,
            [(g.number, '"true"') for g in grants if g.private_network],
            private,
        )

    def preflight_vary(self, grants: Sequence[GrantPlan], by_state: bool) -> None:
        """The Vary members a reflecting preflight adds."""
        for member, chosen in (
            (http.REQUEST_METHOD, [g.number for g in grants if g.methods is None]),
            (http.REQUEST_HEADERS, [g.number for g in grants if g.headers is None]),
        ):
            if chosen:
                state = self.in_grants("p", chosen) if by_state else ""
                self.header("merge", http.VARY, fixed(member), state)


#: Header values reflecting the request (mod_headers' ``expr=`` values).
REFLECTED_ORIGIN = quoted(f"expr=%{{req_novary:{http.ORIGIN}}}")
REFLECTED_METHOD = quoted(f"expr=%{{req_novary:{http.REQUEST_METHOD}}}")
REFLECTED_HEADERS = quoted(f"expr=%{{req_novary:{http.REQUEST_HEADERS}}}")

#: A preflight: OPTIONS with an Origin and an Access-Control-Request-Method.
PREFLIGHT = (
    f"%{{REQUEST_METHOD}} == 'OPTIONS' && -n req_novary('{http.ORIGIN}') && "
    f"-n req_novary('{http.REQUEST_METHOD}')"
)


#: The request's policy (its name), chosen by the path.
POLICY = "corsc_policy"

ONE_SPACE_200 = [
    "# An answer of 200 by the rules here has a one-space body, not Apache's error page.",
    'ErrorDocument 200 " "',
]


def directives(plan: PolicyPlan, placement: str) -> list[str]:
    """The lines of one policy in a ``<Location>`` or ``.htaccess``."""
    return Writer(plan, placement).write()
