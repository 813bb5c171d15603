"""Rendering for the ``nginx`` target: nginx's string syntax, the plan of one policy's
decision, and the text of its files (what docs/nginx.md tells users to install).

The decision is the evaluator's (README: What a policy means), taken in this order: no Origin
→ not a CORS request; a ``deny`` pattern → refused; the most specific allow entry → its grant;
a preflight (``OPTIONS`` with Origin and Access-Control-Request-Method) → its method and every
requested header checked against that grant → accepted or refused. It ends in one *state* per
request:

- ``""`` no Origin (nginx cannot tell an empty Origin from a missing one);
- ``U`` an actual request from an origin that is not allowed; ``R`` a refused preflight;
- ``A<g>`` an actual request from an allowed origin, with the settings of grant ``g``;
- ``P<g>`` an accepted preflight with grant ``g``, followed by ``h`` when it asked for
  headers and ``n`` when it asked for private network access that ``g`` grants.

Every response header is a function of the state alone. The maps variant computes
the state with ``map`` blocks at http level, which nginx evaluates lazily (an actual request
never runs the preflight checks); the A2 variant computes the same variables with ``set`` and
``if`` at server level. Both share one snippet: two ``if (…) { return …; }`` and one
``add_header … always`` per header, whose empty values nginx does not send.

nginx's variables hash holds every variable name, and with its default bucket size a few dozen
long names make ``nginx -t`` warn ("could not build optimal variables_hash"), so a policy uses
few variables with short names (``acao`` for Access-Control-Allow-Origin and so on).

Invariants of everything written here:

- every parameter is double-quoted by :func:`literal` or :func:`text`, which refuse control
  characters and non-ASCII, escape ``"`` and the backslashes nginx would otherwise read as an
  escape, and (:func:`text`, for parameters nginx expands) refuse ``$``; the only ``$`` in the
  output starts a variable this module names, so no policy value can add a directive, a
  variable or a header;
- an origin pattern is matched by a regex from :mod:`corsc.origins` (PCRE dialect, ``^…\\z``),
  or by a hash whose hits are confirmed by one of two regexes built here from
  :data:`corsc.origins.LABEL` ("origins in hashes" below); no regex captures, so a ``map``
  never overwrites the ``$1`` of a user's ``location``;
- no parameter is longer than :data:`MAX_PARAMETER` (nginx refuses longer ones): unions of
  origins are split into several keys, and what cannot be split is refused by the backend's
  check (CORS620) before emission;
- comments never contain a control character, so nothing ends a comment early.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from attrs import frozen

from corsc import origins, regex
from corsc.http import (
    ALLOW_CREDENTIALS,
    ALLOW_HEADERS,
    ALLOW_METHODS,
    ALLOW_ORIGIN,
    ALLOW_PRIVATE_NETWORK,
    EXPOSE_HEADERS,
    MAX_AGE,
)
from corsc.ir import Grant, OriginPattern, PatternKind, Policy, TokenList, Unlisted

#: nginx reads one parameter into a 4096-byte buffer (``NGX_CONF_BUFFER``) and refuses a longer
#: one ("too long parameter"); this leaves room for the quotes and a ``~*``.
MAX_PARAMETER = 4000

#: The Access-Control-* headers an upstream might send, for ``*_hide_header``.
RESPONSE_HEADERS = (
    ALLOW_ORIGIN,
    ALLOW_CREDENTIALS,
    ALLOW_METHODS,
    ALLOW_HEADERS,
    MAX_AGE,
    ALLOW_PRIVATE_NETWORK,
    EXPOSE_HEADERS,
)

ORIGIN = "$http_origin"
ACRM = "$http_access_control_request_method"
ACRH = "$http_access_control_request_headers"
ACRPN = "$http_access_control_request_private_network"

TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
#: HTTP's optional whitespace as the evaluator strips it (nginx itself strips only spaces).
_WS = r"[ \x09]"
#: One token character, with the characters that mean something to nginx written as \xHH.
_TOKEN_CHAR = r"[!\x23\x24%&\x27*+.^_\x60|~0-9A-Za-z-]"
#: Backslash sequences nginx's parser rewrites inside a quoted string (``\\t`` becomes a tab,
#: ``\\"`` a quote …); a backslash before anything else is kept as it is.
_NGINX_ESCAPES = frozenset("\"'\\trn")
_SAFELISTED = ("GET", "HEAD", "POST")
#: The methods nginx serves: its request parser answers 400 to a method with any other
#: character (a lowercase letter, a digit, a dot …) before a location is chosen, so a
#: preflight granting one would lead to an actual request nginx refuses without CORS headers.
NGINX_METHOD = re.compile(r"[A-Z_-]+")
#: An Origin longer than any origin (origins.MAX_ORIGIN_LENGTH) is never allowed, and is
#: refused by this length test before any regex of the policy runs on it.
TOO_LONG = rf"^[\s\S]{{{origins.MAX_ORIGIN_LENGTH + 1}}}"
#: An Origin that may be the dotted twin of a denied one: a dot before the port or the end.
MAY_BE_DOTTED = r"\.(?::[0-9]+)?\z"

#: Regex tails (the caller writes ``^`` and what precedes the value): Access-Control-Request-
#: Headers that names no header (absent, empty, only commas); Access-Control-Request-Private-
#: Network asking for access; a preflight, as ``<method>:<Access-Control-Request-Method>``.
NOTHING_ASKED = r"[ \x09,]*\z"
PRIVATE_NETWORK_ASKED = f"{_WS}*true{_WS}*\\z"
PREFLIGHT = r"OPTIONS:."


class Unwritable(ValueError):
    """A value that cannot be written into nginx's configuration language. The backend's check
    reports every such value first (CORS601, CORS620); reaching this is a bug."""


class TooLong(Unwritable):
    """A parameter longer than nginx reads."""


# ---- nginx strings ----------------------------------------------------------------------------


def literal(value: str, *, utf8: bool = False) -> str:
    """``value`` as a double-quoted nginx parameter that nginx reads back byte for byte, for
    parameters nginx does not expand (``map`` keys, regexes). With ``utf8``, non-ASCII
    characters are kept (the file is UTF-8, and nginx compares bytes): for a ``location``
    prefix, which nginx matches against the percent-decoded path."""
    if any(not " " <= char <= "~" and not (utf8 and char > "\x9f") for char in value):
        raise Unwritable(f"{value!r} holds a control or non-ASCII character")
    out = []
    for index, char in enumerate(value):
        if char == '"':
            out.append('\\"')
        elif char == "\\":
            following = value[index + 1 : index + 2]
            # Doubled only where nginx would rewrite it; `\.` stays readable as `\.`.
            out.append("\\\\" if following in _NGINX_ESCAPES or not following else "\\")
        else:
            out.append(char)
    quoted = '"' + "".join(out) + '"'
    if len(quoted) > MAX_PARAMETER:
        raise TooLong(f"a parameter of {len(quoted)} bytes (nginx reads at most 4095)")
    return quoted


def text(value: str) -> str:
    """``value`` as a double-quoted parameter of a directive that expands variables
    (``add_header``, ``map`` values, ``set``): :func:`literal`, refusing ``$``, for which
    nginx has no escape."""
    if "$" in value:
        raise Unwritable(f"{value!r} holds `$`, which nginx would read as a variable")
    return literal(value)


def comment(line: str) -> str:
    """A ``#`` comment line; control characters are shown as ``\\xHH`` so nothing in ``line``
    (a file name, a path) can end the comment and start a directive."""
    shown = "".join(
        char if char >= " " and char != "\x7f" else f"\\x{ord(char):02x}" for char in line
    )
    return f"# {shown}".rstrip()


def token(value: str) -> str:
    """A method or header name, checked to be an RFC 9110 token."""
    if not TOKEN.fullmatch(value):
        raise Unwritable(f"{value!r} is not a token")
    return value


def _token_regex(value: str) -> str:
    """A token as a PCRE literal: letters, digits, ``_`` and ``-`` as they are, ``.`` escaped,
    every other character as ``\\xHH`` (so no ``$``, quote or ``#`` reaches the file)."""
    out = []
    for char in token(value):
        if char.isalnum() or char in "_-":
            out.append(char)
        elif char == ".":
            out.append(r"\.")
        else:
            out.append(f"\\x{ord(char):02x}")
    return "".join(out)


def method_regex(methods: Sequence[str] | None) -> str:
    """The tail of a regex admitting an Access-Control-Request-Method that names a granted
    method (case-sensitive; the safelisted ones always), or for ``methods *`` any method nginx
    serves (:data:`NGINX_METHOD`); whitespace around it allowed."""
    if methods is None:
        name = "[A-Z_-]+"
    else:
        granted = dict.fromkeys((*_SAFELISTED, *methods))
        name = "(?:" + "|".join(_token_regex(method) for method in granted) + ")"
    return f"{_WS}*{name}{_WS}*\\z"


def headers_regex(headers: Sequence[str] | None) -> str:
    """The tail of a regex (match with ``~*``: names compare case-insensitively) admitting
    Access-Control-Request-Headers whose every non-empty item is a granted name, or a token
    for ``headers *``. Items are split on ``,`` with whitespace around them and empty items
    ignored, as the evaluator does; each character is read once, so matching is linear."""
    if headers is None:
        name = _TOKEN_CHAR + "+"
    elif headers:
        name = "(?:" + "|".join(_token_regex(header) for header in headers) + ")"
    else:
        return NOTHING_ASKED
    item = f"(?:{name}{_WS}*)?"
    return f"{_WS}*{item}(?:,{_WS}*{item})*\\z"


# ---- origins in hashes --------------------------------------------------------------------------
# A map's string keys are hashed and compared case-insensitively, so exact origins are looked
# up in a hash of the raw Origin, and a hit is confirmed by the absence of uppercase letters
# (canonical origins have none). Fixed-port subdomain wildcards are looked up in a `hostnames`
# hash per scheme: nginx compares the Origin label by label from the end, so
# `https://a.b.example.org` finds `*.example.org` (the scheme rides in the first label) and
# `https://a.example.org:8443` finds `*.example.org:8443`. That lookup also folds case, drops a
# trailing dot and ignores what precedes the labels, so a hit is confirmed by the scheme's
# *shape*: the scheme, dot-separated labels (origins.LABEL) and digits for a port. Given the
# shape, a hit means exactly that the host is one or more labels below the key's base (with
# its port), and every key of one hash has the same value, so which key nginx finds does not
# matter. Regexes run only on hits; a refused origin costs hash lookups only.


def shape(scheme: str) -> str:
    """The PCRE regex of an origin of ``scheme`` whose host is labels (see above)."""
    body = regex.escape(f"{scheme}://") + f"(?:{origins.LABEL}\\.)*{origins.LABEL}(?::[0-9]+)?"
    return regex.render(body, "pcre")


def mask(pattern: OriginPattern) -> str:
    """The ``hostnames`` key of a fixed-port subdomain wildcard: ``*.example.org`` or
    ``*.example.org:8443`` (in the hash of its scheme)."""
    port = f":{pattern.port}" if pattern.port is not None else ""
    return f"*.{pattern.host}{port}"


def union_chunks(patterns: Sequence[OriginPattern]) -> list[str]:
    """Regexes that together admit exactly the origins some pattern admits, each short enough
    to be one nginx parameter; a single pattern that is too long on its own is returned as it
    is (the backend's check refuses it first)."""
    rendered = origins.render_union(patterns, "pcre")
    if len(patterns) == 1 or len(rendered) + 8 <= MAX_PARAMETER:
        return [rendered]
    half = len(patterns) // 2
    return union_chunks(patterns[:half]) + union_chunks(patterns[half:])


# ---- the plan of one policy ----------------------------------------------------------------


def names(tokens: TokenList, *, fold_case: bool) -> tuple[str, ...]:
    """Names in the order written without repeats (compared case-insensitively for headers),
    the first spelling kept: the values the evaluator sends (README: What a policy means,
    "Rendering")."""
    first: dict[str, str] = {}
    for name in tokens.values:
        first.setdefault(name.lower() if fold_case else name, name)
    return tuple(first.values())


@frozen
class GrantPlan:
    """One distinct grant of a policy, numbered from 1. ``methods`` / ``headers`` are ``None``
    for ``*`` (reflected); ``expose`` and ``max_age`` are ``""`` when not sent."""

    id: str
    credentials: bool
    methods: tuple[str, ...] | None
    headers: tuple[str, ...] | None
    expose: str
    max_age: str
    private_network: bool

    @classmethod
    def of(cls, id: str, grant: Grant) -> GrantPlan:
        methods = grant.methods.value
        headers = grant.headers.value
        expose = grant.expose.value
        max_age = grant.max_age.value
        return cls(
            id=id,
            credentials=grant.credentials.value,
            methods=None if methods.wildcard else names(methods, fold_case=False),
            headers=None if headers.wildcard else names(headers, fold_case=True),
            expose="*" if expose.wildcard else ", ".join(names(expose, fold_case=True)),
            max_age="" if max_age is None else str(max_age),
            private_network=grant.private_network.value,
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

    def preflights(self) -> list[tuple[str, str, str]]:
        """The accepted-preflight states: (headers check, private network flag, state). The
        headers check gives ``1`` when nothing is asked, ``2`` when granted headers are; the
        flag is ``1`` when private network access is asked."""
        return [
            (asked, flag, f"P{self.id}" + "h" * (asked == "2") + "n" * (flag == "1"))
            for asked in ("1", "2")
            if self.headers != () or asked == "1"
            for flag in ("", "1")
            if self.private_network or not flag
        ]

    @property
    def states(self) -> list[str]:
        return [state for _, _, state in self.preflights()]


#: The origin's value when it is not allowed (denied, unlisted or too long).
DENIED = "0"


@frozen
class Tier:
    """Allow entries (or ``deny`` patterns) consecutive in the evaluator's order of specificity
    that lead to the same value: ``"0"`` (refused) for ``deny``, else a grant id. Within a
    tier the order does not matter, so each pattern goes where nginx finds it fastest: exact
    origins and fixed-port subdomain wildcards in a hash, the other kinds in regexes."""

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
        (origins.render_dotted), which ``deny`` refuses too; an allow tier has none."""
        if self.value != DENIED:
            return ()
        twins = (origins.render_dotted(pattern, "pcre") for pattern in self.patterns)
        return tuple(dict.fromkeys(twin for twin in twins if twin is not None))


@frozen
class Output:
    """A variable ``$<var>_<name>`` set from the state: ``values`` maps states to a value (a
    quoted text or a variable), any other state gives ``default``. ``header`` is the response
    header it feeds, ``""`` for the snippet's ``answer``."""

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
class Plan:
    """Everything the files of one policy are written from. ``var`` starts every variable
    (``corsc_<policy>`` by default); ``tiers`` end at the first one holding ``*``, whose value
    is then ``fallback`` (else ``"0"``: not allowed)."""

    policy: Policy
    var: str
    grants: tuple[GrantPlan, ...]
    tiers: tuple[Tier, ...]
    fallback: str

    @classmethod
    def of(cls, policy: Policy, prefix: str) -> Plan:
        grants: dict[tuple[object, ...], GrantPlan] = {}

        def grant_id(grant: Grant) -> str:
            plan = GrantPlan.of(str(len(grants) + 1), grant)
            return grants.setdefault(plan.key, plan).id

        ordered = sorted(
            policy.entries, key=lambda entry: origins.specificity(entry.pattern, entry.block)
        )
        runs: list[tuple[str, list[OriginPattern]]] = []
        if policy.denies:
            runs.append((DENIED, list(policy.denies)))
        for entry in ordered:
            value = grant_id(entry.grant)
            if runs and runs[-1][0] == value:
                runs[-1][1].append(entry.pattern)
            else:
                runs.append((value, [entry.pattern]))
        tiers: list[Tier] = []
        fallback = DENIED
        for value, patterns in runs:
            tiers.append(Tier(value, tuple(patterns)))
            if tiers[-1].any:
                fallback = value
                break  # `*` admits every origin: later entries are never chosen
        var = f"{prefix}_{policy.name}"
        return cls(policy, var, tuple(grants.values()), tuple(tiers), fallback)

    def v(self, name: str) -> str:
        """A variable of this policy: ``$<prefix>_<policy>_<name>``."""
        return f"${self.var}_{name}"

    @property
    def dynamic(self) -> bool:
        return self.policy.static_origin is None

    @property
    def private_network(self) -> bool:
        return any(grant.private_network for grant in self.grants)

    def static_headers(self) -> list[tuple[str, str]]:
        """Static mode's fixed Allow-Origin (and Allow-Credentials), on every response."""
        origin = self.policy.static_origin
        if origin is None:
            return []
        fixed = [(ALLOW_ORIGIN, text(origin))]
        if self.policy.grant.credentials.value:
            fixed.append((ALLOW_CREDENTIALS, text("true")))
        return fixed

    def _expose(self) -> Output:
        """Expose-Headers: for allowed origins, with their grant's value; in static mode, the
        one grant's value on every response but preflights, whatever the Origin (there is no
        ``Vary: Origin`` then, so a response cached for one Origin is served to others)."""
        if not self.dynamic:
            grant = self.grants[0]
            if not grant.expose:
                return Output("expose", EXPOSE_HEADERS)
            preflights = [*grant.states, "R"]
            return Output(
                "expose",
                EXPOSE_HEADERS,
                default=text(grant.expose),
                values=[(state, '""') for state in preflights],
            )
        values = [(f"A{g.id}", text(g.expose)) for g in self.grants if g.expose]
        return Output("expose", EXPOSE_HEADERS, values=values)

    def outputs(self) -> list[Output]:
        """Every variable the snippet reads: the response headers in the evaluator's order
        (those no state sends left out), ``Vary``, and ``answer``, the status the snippet
        returns (accepted preflights, refusals)."""
        grants = self.grants
        allowed = [(s, g) for g in grants for s in (f"A{g.id}", *g.states)]
        pf = [(s, g) for g in grants for s in g.states]
        rows: list[Output] = []
        if self.dynamic:
            rows.append(Output("acao", ALLOW_ORIGIN, values=[(s, ORIGIN) for s, _ in allowed]))
            true = [(s, text("true")) for s, g in allowed if g.credentials]
            rows.append(Output("acac", ALLOW_CREDENTIALS, values=true))
        reflect = {ALLOW_METHODS: ACRM, ALLOW_HEADERS: ACRH}
        rows += [
            Output(
                "acam",
                ALLOW_METHODS,
                values=[
                    (s, reflect[ALLOW_METHODS] if g.methods is None else text(", ".join(g.methods)))
                    for s, g in pf
                ],
            ),
            Output(
                "acah",
                ALLOW_HEADERS,
                values=[
                    (s, reflect[ALLOW_HEADERS] if g.headers is None else text(", ".join(g.headers)))
                    for s, g in pf
                    if "h" in s
                ],
            ),
            Output("max_age", MAX_AGE, values=[(s, text(g.max_age)) for s, g in pf if g.max_age]),
            Output(
                "acapn",
                ALLOW_PRIVATE_NETWORK,
                values=[(s, text("true")) for s, _ in pf if "n" in s],
            ),
            self._expose(),
        ]
        rows = [row for row in rows if row.values]
        base = ["Origin"] if self.dynamic else []
        vary = []
        for state, grant in pf:
            reflected = [
                f"Access-Control-Request-{what}"
                for what, grant_list in (("Method", grant.methods), ("Headers", grant.headers))
                if grant_list is None
            ]
            if reflected:
                vary.append((state, text(", ".join(base + reflected))))
        if base or vary:
            rows.append(Output("vary", "Vary", default=text(", ".join(base)), values=vary))
        status = text(str(self.policy.preflight_status.value))
        refused = ("R", "U") if self.policy.unlisted.value is Unlisted.REJECT else ("R",)
        answer = [(s, status) for s, _ in pf] + [(s, text("403")) for s in refused]
        rows.append(Output("answer", values=answer))
        return rows


# ---- the maps variant: the file for http {} ----------------------------------------------------


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


def http_lines(plan: Plan) -> list[str]:
    """The maps variant's ``map`` blocks, in the order a request uses them:
    the origin's grant, the state, then one variable per row of :meth:`Plan.outputs`."""
    return [*_origin_maps(plan), "", *_state_maps(plan), "", *_output_maps(plan)]


@frozen
class Stage:
    """One link of the origin chain: a map of the Origin whose default is the next link.

    ``kind`` is ``exact`` (a hash; a hit is confirmed without uppercase letters), ``https`` or
    ``http`` (a ``hostnames`` hash of subdomain masks; a hit is confirmed by the shape) or
    ``regex``. ``rows`` maps a key to the value of its tier."""

    name: str
    kind: str
    rows: dict[str, str]


def _stages(plan: Plan) -> list[Stage]:
    """The links in the evaluator's order; adjacent hashes of exact origins are one link,
    since exact origins never overlap (the first tier keeps an origin listed twice)."""
    stages: list[Stage] = []
    for number, tier in enumerate(plan.tiers, 1):
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


def _origin_maps(plan: Plan) -> list[str]:
    v = plan.v
    lines = [
        comment('1. The origin: "" without one, "0" when not allowed, else the number of the'),
        comment("   grant whose settings apply: an Origin too long to be one is refused first;"),
        comment("   then deny (as sent, and with a trailing dot removed from its host), then"),
        comment("   allow entries from the most specific. Each map falls through to the next by"),
        comment("   its default. Hashes match case-insensitively: a hit is confirmed by a regex"),
        comment("   (exact origins: no uppercase letter; subdomain masks: scheme, labels, port)."),
    ]
    stages = _stages(plan)
    names = [v(stage.name) for stage in stages]
    chain = [*names, text(plan.fallback)]
    # The head answers "" for no Origin, and refuses an Origin too long to be one before any
    # regex of the policy runs on it (a long value can exhaust PCRE's match limit).
    head = [('""', '""'), (literal("~" + TOO_LONG), text(DENIED))]
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


def _state_maps(plan: Plan) -> list[str]:
    v = plan.v
    lines = [
        comment('2. The state: "" no Origin, U not allowed, A<grant> allowed, R a refused'),
        comment("   preflight, P<grant> an accepted one (h: headers asked, n: private network)."),
    ]
    # Hashes, not a regex: nginx's request parser refuses a method with a lowercase letter
    # (400), so the case-insensitive key "OPTIONS" meets only OPTIONS itself.
    lines += _map("$request_method", v("pf"), '""', [(text("OPTIONS"), v("acrm"))])
    lines += _map(ACRM, v("acrm"), text("1"), [('""', '""')])
    states = [(text("0:"), text("U")), (text("0:1"), text("R"))]
    for grant in plan.grants:
        states += [
            (text(f"{grant.id}:"), text("A" + grant.id)),
            (text(f"{grant.id}:1"), v(f"pf{grant.id}")),
        ]
    lines += _map(f'"{v("grant")}:{v("pf")}"', v("state"), '""', states)
    if plan.private_network:
        rows = _regex_rows(["^" + PRIVATE_NETWORK_ASKED], text("1"))
        lines += _map(ACRPN, v("pna"), '""', rows)
    checks: dict[str, str] = {}  # regex → the variable of the first map that checks it
    for grant in plan.grants:
        sources = []
        for kind, source, rows in (
            ("m", ACRM, _regex_rows(["^" + method_regex(grant.methods)], text("1"))),
            ("h", ACRH, _headers_rows(grant)),
        ):
            key = repr(rows)
            if key not in checks:  # grants that check alike share one map
                checks[key] = v(f"{kind}{grant.id}")
                lines += _map(source, checks[key], '""', rows)
            sources.append(checks[key])
        checked = [
            (text(f"1:{asked}"), text(state))
            for asked, flag, state in grant.preflights()
            if not flag
        ]
        if plan.private_network:
            sources.append(v("pna"))
            checked = [
                (text(f"1:{asked}:{flag}"), text(state))
                for asked, flag, state in grant.preflights()
            ] + (
                []
                if grant.private_network
                else [(text(f"1:{asked}:1"), text(state)) for asked, _, state in grant.preflights()]
            )
        lines += _map('"' + ":".join(sources) + '"', v(f"pf{grant.id}"), text("R"), checked)
    return lines


def _headers_rows(grant: GrantPlan) -> list[tuple[str, str]]:
    """Access-Control-Request-Headers → ``1`` when it names nothing, ``2`` when every name is
    granted. The ``""`` key is needed: nginx never tries a map's regexes on an empty value."""
    rows = [('""', text("1")), *_regex_rows(["^" + NOTHING_ASKED], text("1"))]
    if grant.headers != ():
        rows += _regex_rows(["^" + headers_regex(grant.headers)], text("2"), fold_case=True)
    return rows


def _output_maps(plan: Plan) -> list[str]:
    lines = [comment("3. What each state sends; an empty value sends no header.")]
    for output in plan.outputs():
        if output.values:  # else a fixed value: the snippet writes it as it is
            rows = [(text(state), value) for state, value in output.values]
            lines += _map(plan.v("state"), plan.v(output.name), output.default, rows)
    return lines


# ---- the A2 variant: the file for server {} ------------------------------------------------


def _if_in(subject: str, states: Sequence[str]) -> str:
    """An ``if`` condition: ``subject`` is one of ``states``."""
    if len(states) == 1:
        return f"({subject} = {text(states[0])})"
    return f"({subject} ~ {literal('^(?:' + '|'.join(states) + ')' + chr(92) + 'z')})"


def _set(variable: str, value: str, condition: str = "") -> str:
    return (
        f"if {condition} {{ set {variable} {value}; }}" if condition else f"set {variable} {value};"
    )


def server_lines(plan: Plan) -> list[str]:
    """The A2 variant (``-O variant=a2``): the variables of :func:`http_lines` computed
    with ``set`` and ``if`` at server level, where an ``if`` is safe. A later ``if`` overrides
    an earlier one, so the origin's tiers are written from the least specific to ``deny``."""
    v = plan.v
    lines = [
        comment("1. The origin (see the maps variant): least specific first, deny last. The"),
        comment("   policy's regexes see an Origin too long to be one as empty."),
    ]
    origin = v("origin")
    lines += [
        _set(v("grant"), text(plan.fallback)),
        _set(v("long"), '""'),
        _set(v("long"), text("1"), f"({ORIGIN} ~ {literal(TOO_LONG)})"),
        _set(origin, ORIGIN),
        _set(origin, '""', f'({v("long")} = "1")'),
    ]
    for tier in reversed(plan.tiers):
        patterns = [p for p in tier.patterns if p.kind is not PatternKind.ANY]
        if tier.any or not patterns:
            continue  # the fallback already gives every origin this tier's value
        for source in [*union_chunks(patterns), *tier.dotted]:
            lines.append(_set(v("grant"), text(tier.value), f"({origin} ~ {literal(source)})"))
    lines.append(_set(v("grant"), '""', f'({origin} = "")'))
    lines.append(_set(v("grant"), text(DENIED), f'({v("long")} = "1")'))
    lines += ["", comment("2. The state.")]
    lines += [
        _set(v("pf"), '""'),
        _set(v("request"), f'"$request_method:{ACRM}"'),
        _set(v("pf"), text("1"), f"({v('request')} ~ {literal('^' + PREFLIGHT)})"),
        _set(v("gpf"), f'"{v("grant")}:{v("pf")}"'),
        _set(v("state"), '""'),
        _set(v("state"), text("U"), _if_in(v("gpf"), ["0:"])),
        _set(v("state"), text("R"), _if_in(v("gpf"), ["0:1"])),
    ]
    for grant in plan.grants:
        lines.append(_set(v("state"), text("A" + grant.id), _if_in(v("gpf"), [f"{grant.id}:"])))
    lines += [
        _set(v("m"), '""'),
        _set(v("h"), '""'),
        _set(v("pna"), '""'),
        _set(v("gpf_m"), f'"{v("gpf")}:{ACRM}"'),
        _set(v("gpf_h"), f'"{v("gpf")}:{ACRH}"'),
    ]
    if plan.private_network:
        condition = f"({ACRPN} ~ {literal('^' + PRIVATE_NETWORK_ASKED)})"
        lines.append(_set(v("pna"), text("1"), condition))
    for grant in plan.grants:
        g = grant.id
        lines += [
            _set(
                v("m"),
                text(g),
                f"({v('gpf_m')} ~ {literal(f'^{g}:1:' + method_regex(grant.methods))})",
            ),
            _set(
                v("h"),
                text("2"),
                f"({v('gpf_h')} ~* {literal(f'^{g}:1:' + headers_regex(grant.headers))})",
            ),
            _set(v("h"), text("1"), f"({v('gpf_h')} ~ {literal(f'^{g}:1:' + NOTHING_ASKED)})"),
        ]
    lines.append(_set(v("checked"), f'"{v("m")}:{v("h")}:{v("pna")}"'))
    for grant in plan.grants:
        g = grant.id
        lines.append(_set(v("state"), text("R"), _if_in(v("gpf"), [f"{g}:1"])))
        for asked, flag, state in grant.preflights():
            # A grant without private network access ignores the request for it.
            flags = [flag] if grant.private_network else ["", "1"][: 1 + plan.private_network]
            keys = [f"{g}:{asked}:{f}" for f in flags]
            lines.append(_set(v("state"), text(state), _if_in(v("checked"), keys)))
    lines += ["", comment("3. What each state sends; an empty value sends no header.")]
    for output in plan.outputs():
        if not output.values:
            continue
        lines.append(_set(v(output.name), output.default))
        for value, states in output.by_value().items():
            lines.append(_set(v(output.name), value, _if_in(v("state"), states)))
    return lines


# ---- the snippet, for server {} or location {} -----------------------------------------------

HIDE_DIRECTIVES = {
    "none": (),
    "proxy": ("proxy_hide_header",),
    "fastcgi": ("fastcgi_hide_header",),
    "uwsgi": ("uwsgi_hide_header",),
    "grpc": ("grpc_hide_header",),
    "all": ("proxy_hide_header", "fastcgi_hide_header", "uwsgi_hide_header", "grpc_hide_header"),
}


def snippet_lines(plan: Plan, hide: str) -> list[str]:
    """The part included where requests are served: the ``return``s (the only ``if``s; an ``if``
    holding only ``return`` is safe even in a location, per the nginx wiki's "If is Evil"), one
    ``add_header … always`` per header, and optionally the upstream's Access-Control-* headers
    hidden."""
    outputs = plan.outputs()
    answer = next(output for output in outputs if output.name == "answer")
    lines = [
        f"if ({plan.v('answer')} = {status}) {{ return {status[1:-1]}; }}"
        for status in answer.by_value()
    ]
    headers = list(plan.static_headers())
    for output in outputs:
        if output.header:
            value = plan.v(output.name) if output.values else output.default
            headers.append((output.header, value))
    lines += [f"add_header {name} {value} always;" for name, value in headers]
    directives = HIDE_DIRECTIVES[hide]
    if directives:
        lines += [
            "",
            comment(
                "nginx alone answers CORS: the upstream's Access-Control-* headers are hidden."
            ),
            comment(
                "A level with *_hide_header of its own does not inherit these (all or nothing)."
            ),
        ]
        lines += [f"{directive} {name};" for directive in directives for name in RESPONSE_HEADERS]
    return lines
