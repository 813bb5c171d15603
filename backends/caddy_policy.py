"""One policy of the ``caddy`` target: its named matchers and the body of its ``route``.

Consumes :class:`corsc.plan.PolicyPlan`: its entries in specificity order are cut into runs of
consecutive entries sharing a grant, and run ``k`` gets one anchored ``header_regexp Origin``
matcher. The route first sets a variable to the number of the run whose grant applies: the
runs are tried last first, so the first entry admitting the Origin decides, and a deny (or
its trailing-dot twin), or an Origin longer than any origin, sets it back to 0 — as the
evaluator answers. Every preflight and header matcher then reads that variable.
Request lists are matched as the evaluator reads them: items split on ``,``, blanks around
them ignored, empty items dropped; ``methods *`` and ``headers *`` reflect the request's
values (a reflected header list is rewritten into that form by two regex replacements).
"""

from __future__ import annotations

from collections.abc import Sequence

from attrs import frozen

from corsc import http, origin_regex
from corsc.plan import EntryPlan, GrantPlan, PolicyPlan
from corsc.records import fields_repr

#: RFC 9110 tchar as an RE2 class, every punctuation character as ``\\xHH``.
TCHAR = "[0-9A-Za-z\\x21\\x23-\\x27\\x2a\\x2b\\x2d\\x2e\\x5e-\\x60\\x7c\\x7e]"
#: Blanks and empty items of a request list.
_SEP = "[ \\t,]*"
#: A reflected request-header list as the evaluator sends it: items trimmed, empty ones
#: dropped, joined by ``", "`` — two replacements applied in order to the reflected value.
_REFLECTED_LIST = (("^[ \\t,]*(.*?)[ \\t,]*$", "$1"), ("[ \\t]*,[ \\t,]*", ", "))
#: The requested method and headers as the evaluator reads them, repeats joined (Caddy joins
#: them with `,`, a list separator like the evaluator's `, `), matched by ``vars_regexp``.
#: Caddy 2.6 first tests the unset variable the placeholder names, which reads `<nil>`: no
#: method or header-list regex here matches it, since `<` is no token character.
_REQUESTED_METHOD = "{http.request.header.Access-Control-Request-Method}"
_REQUESTED_HEADERS = "{http.request.header.Access-Control-Request-Headers}"


def quoted(value: str) -> str:
    """A double-quoted Caddyfile token. Values here are RFC 9110 tokens, rendered regexes
    (which never hold `"`, whitespace or `\\` followed by `"`) or fixed text."""
    if '"' in value or "\n" in value or value.endswith("\\"):
        raise ValueError(f"no Caddyfile token for {value!r}")
    return f'"{value}"'


def token_regex(token: str) -> str:
    """An RFC 9110 token as RE2 text: every character but a letter, digit or `-` as `\\xHH`
    (tchar holds `. | ^ * +`, which RE2 would read as operators)."""
    return "".join(c if c.isalnum() or c == "-" else f"\\x{ord(c):02x}" for c in token)


def _list_regex(item: str) -> str:
    """A request list of at least one ``item``, blanks and empty items anywhere."""
    return f"^{_SEP}(?:{item})(?:[ \\t]*,{_SEP}(?:{item}))*{_SEP}\\z"


def header_lines(headers: Sequence[tuple[str, str]], indent: str) -> list[str]:
    return [f"{indent}header {name} {quoted(value)}" for name, value in headers]


@frozen
class Run:
    """Consecutive entries (in specificity order) sharing one grant: ``number`` counts runs
    from 1, ``regex`` admits exactly the origins some of its entries admit."""

    __repr__ = fields_repr

    number: int
    grant: GrantPlan
    regex: str


def runs(entries: Sequence[EntryPlan]) -> list[Run]:
    grouped: list[tuple[GrantPlan, list[EntryPlan]]] = []
    for entry in entries:
        if grouped and grouped[-1][0] is entry.grant:
            grouped[-1][1].append(entry)
        else:
            grouped.append((entry.grant, [entry]))
    return [
        Run(number, grant, origin_regex.render_union([e.pattern for e in members], "pcre"))
        for number, (grant, members) in enumerate(grouped, 1)
    ]


def _denies(plan: PolicyPlan) -> list[str]:
    """Every regex an Origin must not match: longer than any origin (refused before any
    pattern runs, as the evaluator refuses it), each deny and its trailing-dot twin."""
    denied = (origin_regex.render_denied(pattern, "pcre") for pattern in plan.policy.denies)
    return [origin_regex.TOO_LONG, *(source for sources in denied for source in sources)]


class PolicyWriter:
    """The matchers and route body of one policy; every name starts with ``corsc_<policy>``."""

    def __init__(self, plan: PolicyPlan) -> None:
        self.plan = plan
        self.name = f"corsc_{plan.name}"
        self.runs = runs(plan.reachable)
        self.denies = _denies(plan)
        self.var = f"{self.name}_run"
        self.matchers: list[str] = []
        self.body: list[str] = []

    def _origin(self, run: Run) -> str:
        """The condition that ``run`` supplies the grant."""
        return f"vars {self.var} {run.number}"

    def _matcher(self, name: str, lines: Sequence[str]) -> None:
        self.matchers += [f"\t@{name} {{", *(f"\t\t{line}" for line in lines), "\t}"]

    def write(self) -> PolicyWriter:
        plan = self.plan
        if plan.vary:
            self.body.append(f'header +Vary "{", ".join(plan.vary)}"')
        self._choose_run()
        for run in self.runs:
            self._preflights(run)
        self._matcher(
            f"{self.name}_refused",
            ["method OPTIONS", "header Origin *", "header Access-Control-Request-Method *"],
        )
        # A refused preflight keeps static mode's fixed Allow-Origin (and Allow-Credentials).
        self.body += [f"handle @{self.name}_refused {{"]
        self.body += header_lines(plan.static_preflight, "\t")
        self.body += ["\trespond 403", "}"]
        if plan.static:
            self.body += header_lines(plan.static_actual, "")
        else:
            for run in self.runs:
                self.matchers.append(f"\t@{self.name}_r{run.number} {self._origin(run)}")
                self.body += [f"header @{self.name}_r{run.number} {{"]
                self.body += [f"\t{k} {quoted(v)}" for k, v in self._actual(run.grant)]
                self.body += ["}"]
        if plan.reject:
            self._matcher(f"{self.name}_unlisted", ["header Origin *", f"vars {self.var} 0"])
            self.body.append(f"respond @{self.name}_unlisted 403")
        return self

    def _choose_run(self) -> None:
        """Set :attr:`var` to the number of the run whose grant applies, 0 for none: the runs
        are tried last first, so the first admitting the Origin sets it last; a denied
        Origin, or one longer than any origin, sets it back to 0."""
        self.body.append(f"vars {self.var} 0")
        for run in reversed(self.runs):
            name = f"{self.name}_o{run.number}"
            self.matchers.append(f"\t@{name} header_regexp {name} Origin {quoted(run.regex)}")
            self.body.append(f"vars @{name} {self.var} {run.number}")
        for number, deny in enumerate(self.denies):
            name = f"{self.name}_deny{number}"
            self.matchers.append(f"\t@{name} header_regexp Origin {quoted(deny)}")
            self.body.append(f"vars @{name} {self.var} 0")

    def _allow_origin(self, grant: GrantPlan) -> list[tuple[str, str]]:
        if self.plan.static:
            return list(self.plan.static_preflight)
        headers = [(http.ALLOW_ORIGIN, "{http.request.header.Origin}")]
        if grant.credentials:
            headers.append((http.ALLOW_CREDENTIALS, "true"))
        return headers

    def _actual(self, grant: GrantPlan) -> list[tuple[str, str]]:
        headers = self._allow_origin(grant)
        if grant.expose is not None:
            headers.append((http.EXPOSE_HEADERS, grant.expose))
        return headers

    def _preflights(self, run: Run) -> None:
        """The accepted preflights of ``run``: without requested headers, and with them."""
        grant = run.grant
        prefix = f"{self.name}_o{run.number}"
        methods = grant.preflight_methods
        method_regex = (
            f"^{TCHAR}+\\z"
            if methods is None
            else f"^(?:{'|'.join(token_regex(m) for m in methods)})\\z"
        )
        if grant.headers is None:
            heads_regex = _list_regex(f"{TCHAR}+")
        elif grant.headers:
            heads = "|".join(token_regex(h.lower()) for h in grant.headers)
            heads_regex = "(?i)" + _list_regex(heads)
        else:
            heads_regex = None
        preflight = [
            "method OPTIONS",
            self._origin(run),
            f"vars_regexp {_REQUESTED_METHOD} {quoted(method_regex)}",
        ]
        # No header asked for: the field is absent, or every value holds only blanks and
        # commas (`header_regexp` admits a request when any one value matches).
        self._matcher(
            f"{prefix}_preflight_plain",
            [*preflight, 'not header_regexp Access-Control-Request-Headers "[^ \\t,]"'],
        )
        if heads_regex is not None:
            self._matcher(
                f"{prefix}_preflight_headers",
                [
                    *preflight,
                    # A second placeholder in one `vars_regexp` would be an alternative (any
                    # one matching admits the request): as its own matcher, doubly negated,
                    # it is a condition of its own.
                    "not {",
                    f"\tnot vars_regexp {_REQUESTED_HEADERS} {quoted(heads_regex)}",
                    "}",
                ],
            )
        headers = self._allow_origin(grant)
        headers.append(
            (http.ALLOW_METHODS, _REQUESTED_METHOD if methods is None else grant.allow_methods)
        )
        if grant.max_age is not None:
            headers.append((http.MAX_AGE, grant.max_age))
        if grant.private_network:
            self._matcher(
                f"{prefix}_private_network",
                ['header_regexp Access-Control-Request-Private-Network "^true\\z"'],
            )
        for kind in ("plain", "headers") if heads_regex is not None else ("plain",):
            vary = self.plan.preflight_vary(grant)[len(self.plan.vary) :]
            self.body.append(f"handle @{prefix}_preflight_{kind} {{")
            if vary:
                self.body.append(f'\theader +Vary "{", ".join(vary)}"')
            self.body += header_lines(headers, "\t")
            if kind == "headers":
                self.body += self._allow_headers(grant)
            if grant.private_network:
                self.body.append(
                    f'\theader @{prefix}_private_network {http.ALLOW_PRIVATE_NETWORK} "true"'
                )
            self.body += [f"\trespond {self.plan.preflight_status}", "}"]

    @staticmethod
    def _allow_headers(grant: GrantPlan) -> list[str]:
        if grant.headers is not None:
            return header_lines([(http.ALLOW_HEADERS, grant.allow_headers)], "\t")
        name = http.ALLOW_HEADERS
        lines = ["\theader {", f"\t\t{name} {quoted(_REQUESTED_HEADERS)}"]
        lines += [f"\t\t{name} {quoted(find)} {quoted(to)}" for find, to in _REFLECTED_LIST]
        return [*lines, "\t}"]
