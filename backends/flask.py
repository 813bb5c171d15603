"""The ``flask`` target: options for flask-cors (6.0.5) on Flask (3.1), with ``init_cors(app)``,
as a Python module (TOML where no compiled pattern or code is needed).

flask-cors takes ``resources``: one per policy, keyed by its disjoint path regex, so flask-cors's
own ordering of resources never matters. flask-cors guesses whether a string is a regex, so its
patterns (and exact origins with regex characters, such as IPv6 brackets) are written compiled:
``re.compile(r"…")``. ``init_cors(app)`` adds the ``Vary`` members flask-cors leaves out (it
sends ``Vary: Origin`` only on responses that carry CORS headers).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from corsc import diagnostics as d
from corsc import http, origin_regex
from corsc.backends import EmitOptions
from corsc.backends.pycommon import (
    LIBRARY_CANNOT_EXPRESS,
    UNEXPRESSIBLE,
    Compiled,
    LibraryBackend,
    allows_any,
    bounded,
    expose_names,
    grant_of,
    names,
    origin_rows,
    path_regex,
    static_deviation,
    wants_toml,
    with_safelisted,
)
from corsc.capabilities import Capability, Feature, Support, deviation, table
from corsc.diagnostics import Diagnostic
from corsc.ir import OriginPattern, PatternKind, Policy, PolicySet
from corsc.plan import Plan, PolicyPlan

#: flask-cors guesses whether a string is a regex, so some values need a Python module.
LIBRARY_TOML_LOSES_MEANING = d.kind(
    "CORS632",
    "library-toml-loses-meaning",
    d.Severity.ERROR,
    "this library's configuration needs Python (compiled patterns or code), not TOML",
)

#: Characters that make flask-cors read a string as a regex (flask_cors/core.py).
FLASK_REGEX_HINTS = frozenset("*\\]?$^[()")

CAPABILITIES = table(
    [
        *origin_rows(
            exact="a string, or compiled where it has regex characters (IPv6 brackets)",
            patterns="a compiled, anchored regex (flask-cors would guess from a string)",
            null="the string null",
            any_origin='origins "*" with send_wildcard',
        ),
        *UNEXPRESSIBLE,
        Capability(Feature.HEADERS_ANY, Support.YES, "echoes the requested headers"),
        Capability(Feature.EXPOSE_ANY, Support.YES, 'expose_headers ["*"]'),
        Capability(Feature.CREDENTIALS, Support.YES, "supports_credentials"),
        Capability(Feature.MAX_AGE, Support.YES, "max_age"),
        Capability(
            Feature.PRIVATE_NETWORK,
            Support.DEVIATION,
            "a request from an allowed origin asking for Private Network Access gets "
            "Allow-Private-Network `true` on any response",
        ),
        Capability(
            Feature.PREFLIGHT_STATUS,
            Support.YES,
            "Flask answers preflights itself (200 on its routes, 404 on unknown URLs): a "
            "declared deviation whatever the status",
        ),
        Capability(
            Feature.PATHS,
            Support.DEVIATION,
            "paths are matched after Flask decodes them, and flask-cors decodes them once "
            "more (`%2F` and `%252F` are `/` there; dot segments stay): where the policy "
            "refuses a path with 400 because decoding `%2F` changes its policy, flask-cors "
            "applies the decoded path's",
        ),
        Capability(
            Feature.SEVERAL_POLICIES, Support.YES, "one resource per policy, by disjoint paths"
        ),
    ]
)

_FLASK_CODE = '''

def init_cors(app):
    """flask-cors with CORS_OPTIONS on ``app``, and the Vary members in VARY on every
    response (flask-cors sends Vary: Origin only where it sends CORS headers)."""
    # Flask runs after_request functions last registered first: this one runs after flask-cors's.
    app.after_request(_vary)
    CORS(app, **CORS_OPTIONS)


def _vary(response):
    present = {
        member.strip().lower()
        for value in response.headers.getlist("Vary")
        for member in value.split(",")
    }
    if "*" not in present:
        for member in VARY:
            if member.lower() not in present:
                response.headers.add("Vary", member)
    return response
'''

_FLASK_CODE_WITHOUT_VARY = '''

def init_cors(app):
    """flask-cors with CORS_OPTIONS on ``app``."""
    CORS(app, **CORS_OPTIONS)
'''

_PYTHON_HELP = (
    "compile with `--target python` (corsc's own ASGI/WSGI middleware answers exactly as the "
    "policy says), or change the policy"
)
_WRITE_PYTHON = "write a Python module (-O format=python, the default) and call init_cors(app)"


def _flask_origin(pattern: OriginPattern) -> str | Compiled:
    """A plain string when flask-cors reads it as a literal (it then compares ignoring case,
    which no browser-sent Origin notices), else the anchored pattern, compiled."""
    if pattern.kind in (PatternKind.EXACT, PatternKind.NULL) and FLASK_REGEX_HINTS.isdisjoint(
        pattern.canonical
    ):
        return pattern.canonical
    return Compiled(bounded(origin_regex.render_pattern(pattern, "python")))


def _flask_vary(plan: Plan) -> tuple[str, ...]:
    """Vary members flask-cors leaves out: ``Origin`` unless every policy sends a fixed ``*``
    (flask-cors sends any other fixed Allow-Origin only to its origin), and the request
    headers the plan's preflights reflect."""
    members: list[str] = []
    if any(policy.policy.static_origin != "*" for policy in plan.policies):
        members.append(http.ORIGIN)
    if any(
        http.REQUEST_HEADERS in policy.preflight_vary(grant_of(policy)) for policy in plan.policies
    ):
        members.append(http.REQUEST_HEADERS)
    return tuple(members)


class FlaskBackend(LibraryBackend):
    """Options for flask-cors (6.0.5) on Flask (3.1)."""

    names = ("flask",)
    platform = "python"
    docs = "python.md"
    runs_on = "Flask"
    verified = "in real Flask, in-process and under waitress, and through a real Chromium"
    summary = "options for flask-cors, with init_cors(app): a Python module"
    capabilities = CAPABILITIES
    deviations = (
        (
            "preflights are answered by Flask (200 on its routes, 404 on unknown URLs); a "
            "refused one gets no CORS headers, not 403"
        ),
        "Allow-Methods is sorted and also lists GET, HEAD and POST; Expose-Headers is sorted",
        "Allow-Headers names only the requested headers that are granted, sorted",
        "Allow-Private-Network `false` where the policy sends none",
        (
            "in static mode a fixed Allow-Origin other than `*` goes only to requests from its "
            "origin and requests without Origin; init_cors adds `Vary: Origin` on every response"
        ),
    )
    stem = "cors_flask"
    usage = """flask-cors options, compiled by corsc.

    from cors_flask import init_cors

    init_cors(app)

init_cors() calls flask_cors.CORS(app, **CORS_OPTIONS) and adds the Vary members in VARY to
every response. Patterns are compiled: flask-cors would guess whether a string is a regex.

Verified with Flask 3.1.3 and flask-cors 6.0.5.
"""

    def check(self, policy_set: PolicySet, options: EmitOptions) -> list[Diagnostic]:
        target = options.target
        plan = Plan.of(policy_set)
        found: list[Diagnostic] = []
        for policy_plan in plan.policies:
            found.extend(self.misread(target, policy_plan.policy))
            found.extend(self.policy_deviations(target, policy_plan))
        if wants_toml(options):
            found.extend(self.toml_problems(plan))
        return found

    def misread(self, target: str, policy: Policy) -> Iterator[Diagnostic]:
        """CORS631 for the names flask-cors would change: lowercase methods (it uppercases
        them) and header names it would read as regexes."""
        for token in policy.grant.methods.value.items:
            if token.value != token.value.upper():
                yield LIBRARY_CANNOT_EXPRESS.at(
                    token.span,
                    f"target `{target}` cannot express the method `{token.value}` (flask-cors "
                    f"sends it as `{token.value.upper()}`, which a browser does not match)",
                    _PYTHON_HELP,
                )
        for token in policy.grant.headers.value.items:
            if not FLASK_REGEX_HINTS.isdisjoint(token.value):
                yield LIBRARY_CANNOT_EXPRESS.at(
                    token.span,
                    f"target `{target}` cannot express the header name `{token.value}` "
                    "(flask-cors reads it as a regex)",
                    _PYTHON_HELP,
                )

    def toml_problems(self, plan: Plan) -> Iterator[Diagnostic]:
        for policy_plan in plan.policies:
            policy = policy_plan.policy
            if allows_any(policy):
                continue  # flask-cors gets the string "*" alone
            for entry in policy.entries:
                if isinstance(_flask_origin(entry.pattern), Compiled):
                    yield LIBRARY_TOML_LOSES_MEANING.at(
                        entry.span,
                        f'flask-cors needs "{entry.pattern.text}" as a compiled regex; in TOML '
                        "it would be a string whose regex-ness flask-cors guesses",
                        _WRITE_PYTHON,
                    )
        if _flask_vary(plan):
            yield LIBRARY_TOML_LOSES_MEANING.at(
                plan.policy_set.policies[0].span,
                "the Vary members flask-cors omits are added by init_cors(app), which TOML "
                "cannot hold",
                _WRITE_PYTHON,
            )

    def policy_deviations(self, target: str, plan: PolicyPlan) -> Iterator[Diagnostic]:
        policy = plan.policy
        grant = grant_of(plan)
        yield deviation(
            target,
            "preflights are answered by Flask (200 on its routes, 404 on unknown URLs), not "
            f"{plan.preflight_status}; a refused one gets no CORS headers, not 403",
            policy.span,
        )
        methods = with_safelisted(grant)
        if methods != sorted(methods):
            yield deviation(
                target,
                "Allow-Methods is sorted"
                + (
                    " and also lists GET, HEAD and POST (flask-cors checks preflights for them)"
                    if methods != names(grant.methods)
                    else ""
                ),
                policy.grant.methods.span,
            )
        expose = expose_names(policy)
        if expose != sorted(expose):
            yield deviation(target, "Expose-Headers is sorted", policy.grant.expose.span)
        if grant.headers is not None:
            yield deviation(
                target,
                "Allow-Headers names only the requested headers that are granted, sorted",
                policy.grant.headers.span,
            )
        if not grant.private_network:
            # Where the policy enables it, the capability table's deviation says so.
            yield deviation(
                target,
                "a request from an allowed origin asking for Private Network Access gets "
                "Allow-Private-Network `false`",
                policy.grant.private_network.span,
            )
        yield from static_deviation(target, plan, without_origin=True)

    def resource(self, plan: PolicyPlan) -> dict[str, Any]:
        policy = plan.policy
        grant = grant_of(plan)
        any_origin = allows_any(policy)
        return {
            "origins": "*"
            if any_origin
            else list(dict.fromkeys(_flask_origin(entry.pattern) for entry in policy.entries)),
            "send_wildcard": any_origin,
            "methods": with_safelisted(grant),
            "allow_headers": "*" if grant.headers is None else list(grant.headers),
            "expose_headers": expose_names(policy),
            "supports_credentials": grant.credentials,
            "max_age": policy.grant.max_age.value,
            "allow_private_network": grant.private_network,
            # A fixed Allow-Origin goes on every response, as the policy's static mode does;
            # elsewhere requests without Origin get nothing (init_cors adds Vary: Origin).
            "always_send": plan.static,
            "vary_header": True,
        }

    def document(self, plan: Plan) -> dict[str, Any]:
        resources = {
            Compiled(path_regex(policy.policy, plan.policy_set)): self.resource(policy)
            for policy in plan.policies
        }
        return {
            "CORS_OPTIONS": {"resources": resources, "intercept_exceptions": True},
            "VARY": list(_flask_vary(plan)),
        }

    def imports(self, document: Mapping[str, Any]) -> str:
        return "import re\n\nfrom flask_cors import CORS\n\n"

    def code(self, plan: Plan) -> str:
        return _FLASK_CODE if _flask_vary(plan) else _FLASK_CODE_WITHOUT_VARY


FLASK = FlaskBackend()
