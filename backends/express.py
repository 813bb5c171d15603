"""The ``express`` target: options for the ``cors`` npm package (2.8) on Express (4 and 5) or
Connect, as one CommonJS module, with corsc's own small middleware around it.

The module holds the policy as JSON data (``POLICIES``: origins as anchored ECMAScript regexes
from ``corsc.origin_regex``, grants as the Plan renders them) and exports
``corsMiddleware()``. For an allowed request it calls ``cors(options)``
(https://github.com/expressjs/cors#configuration-options) with the grant's options and the
request's Origin; everything the package has no option for is corsc's code (see
``express_js``), which the capability table names feature by feature. The output needs the
``cors`` package and nothing else; the code is fixed and no policy value is spliced into it.
"""

from __future__ import annotations

import json
from typing import Any

from corsc import origin_regex, origins, paths
from corsc.backends import EmitOptions, Option, OutputFile
from corsc.backends.express_js import MIDDLEWARE
from corsc.capabilities import Capability, Feature, Support, table
from corsc.diagnostics import Diagnostic
from corsc.ir import PatternKind, PolicySet
from corsc.plan import EntryPlan, GrantPlan, Plan, PolicyPlan
from corsc.provenance import provenance

#: Patterns that admit one origin, their canonical form: a table lookup in the middleware.
_LOOKED_UP = (PatternKind.EXACT, PatternKind.NULL)

#: What corsc's middleware adds to the cors package, in the table's words.
OWN = "corsc's middleware (the cors package has no option for it)"

CAPABILITIES = table(
    [
        Capability(
            Feature.EXACT_ORIGIN, Support.YES, "an anchored regex; cors echoes the checked Origin"
        ),
        Capability(Feature.SUBDOMAIN_ORIGIN, Support.YES, "an anchored regex"),
        Capability(Feature.PORT_ORIGIN, Support.YES, "an anchored regex"),
        Capability(Feature.REGEX_ORIGIN, Support.YES, "an anchored ECMAScript regex"),
        Capability(Feature.NULL_ORIGIN, Support.YES, 'the string "null", echoed'),
        Capability(
            Feature.ANY_ORIGIN,
            Support.YES,
            f"static mode's fixed headers are written by {OWN}; with other entries, echoed",
        ),
        Capability(
            Feature.SEVERAL_ORIGINS,
            Support.YES,
            f"the origin check and the length bound are {OWN}; cors echoes the checked Origin",
        ),
        Capability(Feature.DENY, Support.YES, OWN),
        Capability(
            Feature.ORIGIN_BLOCKS, Support.YES, f"one cors handler per grant, chosen by {OWN}"
        ),
        Capability(Feature.UNLISTED_REJECT, Support.YES, f"403 from {OWN}"),
        Capability(
            Feature.METHODS_ANY,
            Support.YES,
            f"the requested method, reflected by {OWN}",
        ),
        Capability(
            Feature.HEADERS_ANY,
            Support.YES,
            f"preflights are answered by {OWN}: cors takes every OPTIONS request for an "
            "accepted preflight",
        ),
        Capability(Feature.EXPOSE_ANY, Support.YES, 'cors exposedHeaders "*"'),
        Capability(Feature.CREDENTIALS, Support.YES, "cors credentials"),
        Capability(Feature.MAX_AGE, Support.YES, f"on the preflight answer of {OWN}"),
        Capability(Feature.PRIVATE_NETWORK, Support.YES, f"Allow-Private-Network is {OWN}"),
        Capability(Feature.PREFLIGHT_STATUS, Support.YES, f"the preflight answer of {OWN}"),
        Capability(
            Feature.PATHS,
            Support.YES,
            f"the policy by path, and 400 for an ambiguous path, are {OWN}",
        ),
        Capability(
            Feature.SEVERAL_POLICIES, Support.YES, f"one policy per request, chosen by {OWN}"
        ),
    ]
)


def _grant(grant: GrantPlan) -> dict[str, Any]:
    return {
        "methods": None if grant.methods is None else list(grant.methods),
        "preflightMethods": None
        if grant.preflight_methods is None
        else list(grant.preflight_methods),
        "headers": None if grant.headers is None else list(grant.headers),
        "headerKeys": None if grant.header_keys is None else sorted(grant.header_keys),
        "expose": grant.expose,
        "credentials": grant.credentials,
        "maxAge": None if grant.max_age is None else int(grant.max_age),
        "privateNetwork": grant.private_network,
    }


def _runs(plan: PolicyPlan) -> list[dict[str, Any]]:
    """The reachable entries, most specific first, as runs the middleware tries in order:
    consecutive exact origins as one table (``[origin, grant]`` pairs, looked up, not scanned;
    the first of an origin wins), consecutive other patterns of one grant as one anchored
    union. Either way the first entry admitting an Origin decides its grant, as in the Plan."""
    runs: list[dict[str, Any]] = []
    pending: list[EntryPlan] = []

    def close() -> None:
        if pending:
            patterns = [entry.pattern for entry in pending]
            regex = origin_regex.render_union(patterns, "ecmascript")
            runs.append({"regex": regex, "grant": pending[0].grant.number - 1})
            pending.clear()

    for entry in plan.reachable:
        if entry.pattern.kind in _LOOKED_UP:
            close()
            if not runs or "exact" not in runs[-1]:
                runs.append({"exact": []})
            runs[-1]["exact"].append([entry.pattern.canonical, entry.grant.number - 1])
            continue
        if pending and pending[0].grant is not entry.grant:
            close()
        pending.append(entry)
    close()
    return runs


def _policy(plan: PolicyPlan) -> dict[str, Any]:
    policy = plan.policy
    return {
        "name": plan.name,
        "prefixes": [paths.selection_prefix(prefix.value) for prefix in policy.paths],
        "static": policy.static_origin,
        "allow": _runs(plan),
        "deny": origin_regex.render_union(policy.denies, "ecmascript") if policy.denies else None,
        "staticPreflight": [list(header) for header in plan.static_preflight],
        "staticActual": [list(header) for header in plan.static_actual],
        "reject": plan.reject,
        "preflightStatus": plan.preflight_status,
        "vary": list(plan.vary),
        "grants": [_grant(grant) for grant in plan.grants],
    }


def _json(value: Any) -> str:
    """JSON is a JavaScript expression; U+2028/2029 are escaped anyway, for older parsers."""
    text = json.dumps(value, indent=2, ensure_ascii=False)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


class ExpressBackend:
    """Options for the cors package on Express, with corsc's middleware around them."""

    names = ("express",)
    platform = "node"
    docs = "express.md"
    runs_on = "Node.js 20 (Express 4/5, Connect) with the cors package"
    verified = (
        "node --check on every golden; in real Express with cors, and through a real Chromium"
    )
    summary = "options for the cors npm package, with corsc's Express middleware: a JS module"
    capabilities = CAPABILITIES
    deviations = (
        "Node.js's HTTP parser answers 400 to a method it does not know (a lowercase `patch`) "
        "before any middleware: with `methods *` its preflight is accepted and the request "
        "itself fails",
    )
    serves = True
    options: tuple[Option, ...] = ()

    def check(self, policy_set: PolicySet, options: EmitOptions) -> list[Diagnostic]:
        return []

    def emit(self, policy_set: PolicySet, options: EmitOptions) -> list[OutputFile]:
        plan = Plan.of(policy_set)
        header = provenance(options.version, options.source_name, options.target, policy_set)
        content = (
            f"// {header}\n"
            '// Express/Connect: app.use(require("./cors_express").corsMiddleware());\n'
            '"use strict";\n\n'
            'const cors = require("cors");\n\n'
            f"const MAX_ORIGIN_LENGTH = {origins.MAX_ORIGIN_LENGTH};\n\n"
            f"const POLICIES = {_json([_policy(policy) for policy in plan.policies])};\n"
            f"{MIDDLEWARE}"
        )
        return [
            OutputFile(
                "cors_express.js",
                content,
                "next to the app; app.use(require('./cors_express').corsMiddleware()) first",
                comment="",
            )
        ]


BACKEND = ExpressBackend()
