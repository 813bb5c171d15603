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

Every value written is one of: an anchored regex rendered by corsc (no whitespace, quote,
``#``, ``$``, ``<`` or ``>``: those are ``\\xHH``), an RFC 9110 token (methods, header names:
no quote, backslash or whitespace), or fixed text. :func:`quoted` refuses anything else.
"""

from __future__ import annotations

from collections.abc import Sequence

from corsc import http, origin_regex, origins, paths
from corsc import regex as portable
from corsc.ir import OriginPattern, PatternKind
from corsc.plan import GrantPlan, Plan, PolicyPlan

#: Where the directives go (``-O placement=``).
VIRTUALHOST, LOCATION, HTACCESS = "virtualhost", "location", "htaccess"
PLACEMENTS = (VIRTUALHOST, LOCATION, HTACCESS)

#: ap_expr's regex literals are read into a buffer of 8 KB ("Regexp too long"), and PCRE
#: refuses to compile a regex past its size limit: unions are cut into pieces this long.
MAX_EXPR_REGEX = 8000
#: A request header list that names something: an item with a character other than blanks.
ASKED = r"[^ \x09,]"
_TOKEN_CHAR = r"[!\x23\x24\x25&\x27*+.^_\x60|~0-9A-Za-z-]"
_WS = r"[ \x09]"
METHOD_TOKEN = rf"^{_TOKEN_CHAR}+\z"


class Unwritable(ValueError):
    """A value that cannot be written into Apache's configuration (a bug: the backend's
    check refuses such policies first)."""


def quoted(value: str) -> str:
    """``value`` as one double-quoted configuration argument that Apache reads back as
    written: nothing that ends the argument or the line, starts a ``${…}`` define or is a
    control character. Apache reads ``\\\\`` in an argument as one backslash, so each pair
    of backslashes is written twice."""
    if (
        '"' in value
        or value.endswith("\\")
        or "${" in value
        or any(not " " <= char <= "~" for char in value)
    ):
        raise Unwritable(f"no Apache argument for {value!r}")
    return '"' + value.replace("\\\\", "\\\\\\\\") + '"'


def fixed(value: str) -> str:
    """A header value mod_headers sends as written (``%`` is its format character)."""
    return quoted(value.replace("%", "%%"))


def token_regex(token: str) -> str:
    """An RFC 9110 token as PCRE text: every character but a letter or digit as ``\\xHH``."""
    return "".join(c if c.isascii() and c.isalnum() else f"\\x{ord(c):02x}" for c in token)


def headers_regex(granted: Sequence[str] | None) -> str:
    """A caseless PCRE for an Access-Control-Request-Headers value (``""`` when none is sent)
    whose every item is granted, items split at commas, blanks and empty items ignored, as the
    evaluator reads them; ``None`` (``headers *``) grants every token."""
    if granted is None:
        name = f"{_TOKEN_CHAR}+"
    elif granted:
        name = "(?:" + "|".join(token_regex(header.lower()) for header in granted) + ")"
    else:
        name = ""
    item = f"{_WS}*" + (f"(?:{name}{_WS}*)?" if name else "")
    return f"(?i)^{item}(?:,{item})*\\z"


def methods_regex(grant: GrantPlan) -> str:
    if grant.preflight_methods is None:
        return METHOD_TOKEN
    return "^(?:" + "|".join(token_regex(m) for m in grant.preflight_methods) + ")\\z"


def matches(header: str, regex: str) -> str:
    """An ap_expr test of a request header against a rendered regex (``#`` never occurs in
    one), split into alternatives of at most :data:`MAX_EXPR_REGEX` bytes."""
    return "(" + " || ".join(f"req_novary('{header}') =~ m#{part}#" for part in chunks(regex)) + ")"


def chunks(regex: str) -> list[str]:
    """A regex rendered as ``^(?:a|b|…)\\z`` cut at its top-level ``|`` into anchored regexes
    of at most :data:`MAX_EXPR_REGEX` bytes whose union is the same language."""
    if len(regex) <= MAX_EXPR_REGEX:
        return [regex]
    opening, closing = "^(?:", ")\\z"
    if not (regex.startswith(opening) and regex.endswith(closing)):
        return [regex]  # too long, and not a union: the backend's check refuses it (CORS652)
    body = regex[len(opening) : -len(closing)]
    parts, depth, start, index = [], 0, 0, 0
    while index < len(body):
        char = body[index]
        if char == "\\":
            index += 2
            continue
        if char == "[":
            index = _class_end(body, index)
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(body[start:index])
            start = index + 1
        index += 1
    parts.append(body[start:])
    found: list[str] = []
    current: list[str] = []
    for part in parts:
        if current and len(opening + "|".join([*current, part]) + closing) > MAX_EXPR_REGEX:
            found.append(opening + "|".join(current) + closing)
            current = []
        current.append(part)
    found.append(opening + "|".join(current) + closing)
    return found


def _class_end(body: str, index: int) -> int:
    """The index after the class opening at ``index`` (corsc escapes `]` and `\\` in one)."""
    index += 1
    while body[index] != "]":
        index += 2 if body[index] == "\\" else 1
    return index + 1


#: Origins (or wildcard bases) per trie: each trie is one top-level alternative, so a union
#: can still be cut into pieces of :data:`MAX_EXPR_REGEX` bytes.
TRIE_SIZE = 100


def union(patterns: Sequence[OriginPattern]) -> str:
    """One anchored PCRE admitting exactly the origins some pattern admits (as
    :func:`corsc.origin_regex.render_union`), written so that PCRE reads an Origin once
    rather than once per pattern: exact origins as a trie of their characters, fixed-port
    subdomain wildcards of one scheme and port as one label loop before a trie of their bases,
    the other patterns as :mod:`corsc.origin_regex` renders them."""
    if any(pattern.kind is PatternKind.ANY for pattern in patterns):
        return origin_regex.render_union(patterns, "pcre")
    exact = sorted(
        {p.canonical for p in patterns if p.kind in (PatternKind.EXACT, PatternKind.NULL)}
    )
    bases: dict[tuple[str, str], set[str]] = {}
    others: list[OriginPattern] = []
    for pattern in patterns:
        if pattern.kind is PatternKind.SUBDOMAIN and not pattern.any_port:
            port = "" if pattern.port is None else f":{pattern.port}"
            bases.setdefault((pattern.scheme, port), set()).add(pattern.host)
        elif pattern.kind not in (PatternKind.EXACT, PatternKind.NULL):
            others.append(pattern)
    found: list[str] = []
    for start in range(0, len(exact), TRIE_SIZE):
        found.append(_trie(exact[start : start + TRIE_SIZE]))
    for (scheme, port), hosts in bases.items():
        ordered = sorted(hosts)
        for start in range(0, len(ordered), TRIE_SIZE):
            found.append(
                portable.escape(f"{scheme}://")
                + rf"(?:{origins.LABEL}\.)+(?:"
                + _trie(ordered[start : start + TRIE_SIZE])
                + ")"
                + portable.escape(port)
            )
    opening, closing = "^(?:", ")\\z"
    for pattern in others:
        rendered = origin_regex.render_pattern(pattern, "pcre")
        found.append(rendered[len(opening) : -len(closing)])
    return opening + "|".join(dict.fromkeys(found)) + closing


def _trie(words: Sequence[str]) -> str:
    """A regex body matching exactly ``words`` (distinct, sorted, ASCII): shared prefixes
    written once, so that matching reads each character once."""
    if len(words) == 1:
        return portable.escape(words[0])
    groups: dict[str, list[str]] = {}
    ends = False
    for word in words:
        if word:
            groups.setdefault(word[0], []).append(word[1:])
        else:
            ends = True
    alternation = "|".join(portable.escape(first) + _trie(rest) for first, rest in groups.items())
    if ends:  # a word that is a prefix of the others
        return f"(?:{alternation})?"
    return alternation if len(groups) == 1 else f"(?:{alternation})"


def tiers(plan: PolicyPlan) -> list[tuple[int, tuple[OriginPattern, ...]]]:
    """The policy's reachable entries grouped into runs that give one grant, in the
    evaluator's order (the most specific first)."""
    runs: list[tuple[int, list[OriginPattern]]] = []
    for entry in plan.reachable:
        if runs and runs[-1][0] == entry.grant.number:
            runs[-1][1].append(entry.pattern)
        else:
            runs.append((entry.grant.number, [entry.pattern]))
    return [(number, tuple(patterns)) for number, patterns in runs]


def deny_regexes(plan: PolicyPlan) -> list[str]:
    """Each deny pattern's anchored PCRE and its trailing-dot twin."""
    return [
        source
        for pattern in plan.policy.denies
        for source in origin_regex.render_denied(pattern, "pcre")
    ]


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
                (f"{_WS}*,{_WS}*", ","),
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


def path_regex(prefix: str) -> str:
    """A PCRE matching a decoded path on a segment boundary below ``prefix`` (decoded, no
    trailing slash): its UTF-8 bytes, all but letters and digits as ``\\xHH``."""
    body = "".join(
        chr(byte)
        if chr(byte).isascii() and (chr(byte).isalnum() or chr(byte) in "/-_")
        else f"\\x{byte:02x}"
        for byte in prefix.encode("utf-8")
    )
    return f"^{body}(?:/|\\z)"


def choose(plan: Plan) -> list[str]:
    """mod_rewrite lines setting ``corsc_policy`` to the policy whose longest prefix matches
    the path as Apache routes it (decoded, dot segments removed, slashes merged); the
    fallback's name otherwise."""
    numbered = [
        (paths.decoded_path(prefix.value).rstrip("/") or "/", policy.name)
        for policy in plan.policies
        for prefix in policy.policy.paths
    ]
    fallback = next(
        (name for prefix, name in numbered if prefix == "/"),
        next((p.name for p in plan.policies if not p.policy.paths), None),
    )
    lines = [
        f"# {POLICY}: the policy of the longest prefix of the path as Apache routes it.",
    ]
    unset = f"RewriteCond %{{ENV:{POLICY}}} ^$"
    for prefix, name in sorted(numbered, key=lambda item: -len(item[0].encode())):
        if prefix == "/":
            continue
        lines += [unset, f"RewriteRule {quoted(path_regex(prefix))} - [E={POLICY}:{name}]"]
    if fallback is not None:
        lines += [unset, f"RewriteRule ^ - [E={POLICY}:{fallback}]"]
    return lines


def virtual_host(plan: Plan) -> list[str]:
    """Every policy's lines for a ``<VirtualHost>``: the decisions, the choice of policy by
    path (when some policy has ``paths``), the answers, the headers."""
    chosen = any(policy.policy.paths for policy in plan.policies)
    writers = [Writer(policy, VIRTUALHOST, chosen) for policy in plan.policies]
    lines: list[str] = []
    for writer in writers:
        writer.lines.append(f'# Policy "{writer.plan.name}".')
        writer.decide()
        lines += writer.lines
    lines += ["", "RewriteEngine On"]
    if chosen:
        lines += choose(plan)
    for writer in writers:
        writer.lines = []
        writer.answer()
        lines += writer.lines
    if any(policy.preflight_status == 200 for policy in plan.policies):
        lines += ONE_SPACE_200
    for writer in writers:
        writer.lines = [""]
        writer.headers()
        lines += writer.lines
    return lines
