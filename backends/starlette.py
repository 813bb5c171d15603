"""The ``starlette`` target (alias ``fastapi``): keyword arguments for Starlette's
``CORSMiddleware`` (1.10.0; FastAPI re-exports the same class), as a Python module or TOML.

Starlette takes one configuration for the whole application: one policy, no paths. Exact
origins go to ``allow_origins`` (compared exactly); every other pattern joins one anchored,
length-bounded ``allow_origin_regex`` (Starlette uses ``fullmatch``). Max-Age is always
explicit: Starlette cannot leave it out, so a policy without ``max-age`` gets 5, what browsers
assume when none is sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from corsc import diagnostics as d
from corsc import origin_regex
from corsc.backends import EmitOptions
from corsc.backends.pycommon import (
    UNEXPRESSIBLE,
    LibraryBackend,
    allows_any,
    bounded,
    exact_origins,
    expose_names,
    grant_of,
    names,
    origin_rows,
    pattern_origins,
    static_deviation,
    with_safelisted,
)
from corsc.capabilities import Capability, Feature, Support, deviation, table
from corsc.diagnostics import Diagnostic
from corsc.ir import PolicySet
from corsc.plan import Plan, PolicyPlan

#: Request headers Starlette grants whatever it is configured with (starlette/middleware/cors.py).
STARLETTE_ALWAYS_ALLOWED = ("Accept", "Accept-Language", "Content-Language", "Content-Type")
#: Starlette's one declared deviation that can change a verdict, so shown on its own (never
#: folded with the target's other notes): a preflight asking for one of the four names with a
#: value browsers do not safelist (``Content-Type: application/json``) is accepted although
#: the policy does not grant it. Choosing this target is choosing that; nothing in the policy
#: can change it, so it is an info, and it is quiet when ``headers`` grants all four.
GRANTS_SAFELISTED = d.kind(
    "CORS633",
    "library-grants-safelisted-headers",
    d.Severity.INFO,
    "Starlette grants four request headers the policy does not list",
)
#: Browsers' Max-Age when none is sent (fetch.bs); what Starlette gets instead of "not sent".
BROWSER_DEFAULT_MAX_AGE = 5

CAPABILITIES = table(
    [
        *origin_rows(
            exact="allow_origins, compared exactly",
            patterns="in the one `allow_origin_regex`, anchored (Starlette uses fullmatch)",
            null="allow_origins",
            any_origin='allow_origins ["*"]',
        ),
        *UNEXPRESSIBLE,
        Capability(Feature.HEADERS_ANY, Support.YES, "echoes the requested headers, with Vary"),
        Capability(Feature.EXPOSE_ANY, Support.YES, 'expose_headers ["*"]'),
        Capability(Feature.CREDENTIALS, Support.YES, "allow_credentials"),
        Capability(Feature.MAX_AGE, Support.YES, "max_age"),
        Capability(Feature.PRIVATE_NETWORK, Support.YES, "allow_private_network"),
        Capability(
            Feature.PREFLIGHT_STATUS,
            Support.YES,
            "an accepted preflight is always answered 200 (with the body `OK`): 204 is a "
            "declared deviation",
        ),
        Capability(Feature.PATHS, Support.NO, "CORSMiddleware has no path option"),
        Capability(
            Feature.SEVERAL_POLICIES,
            Support.NO,
            "one configuration for the application (compile one policy per mounted "
            "sub-application with --policy NAME)",
        ),
    ]
)


class StarletteBackend(LibraryBackend):
    """Keyword arguments for ``starlette.middleware.cors.CORSMiddleware`` (1.10.0)."""

    names = ("starlette", "fastapi")
    platform = "python"
    docs = "python.md"
    runs_on = "Starlette, FastAPI"
    verified = "in real Starlette and FastAPI, and through a real Chromium under uvicorn"
    summary = (
        "keyword arguments for Starlette's CORSMiddleware (FastAPI's is the same class): "
        "a Python module, or TOML with -O format=toml"
    )
    capabilities = CAPABILITIES
    deviations = (
        "a refused preflight is answered 400 `Disallowed CORS …`, not 403",
        "an accepted preflight is answered 200 with the body `OK`",
        "Allow-Methods also lists GET, HEAD and POST (Starlette checks preflights for them)",
        (
            "Allow-Headers goes out sorted, with the four names Starlette always grants, on "
            "every accepted preflight"
        ),
        "where the policy sets no max-age, Max-Age: 5 is sent (what browsers assume)",
        (
            "Accept, Accept-Language, Content-Language and Content-Type are granted whatever "
            "`headers` says: a preflight asking for one of them with a value browsers do not "
            "safelist is accepted (CORS633)"
        ),
        (
            "Allow-Credentials and Expose-Headers also go to refused origins (without "
            "Allow-Origin, so nothing is shared)"
        ),
        (
            "in static mode the fixed headers go only to requests with an Origin that is "
            "allowed, with `Vary: Origin` on every response"
        ),
        (
            "an unhandled exception's 500 carries CORS headers only when CORSMiddleware wraps "
            "the whole application (as the module's docstring shows)"
        ),
    )
    stem = "cors_starlette"
    usage = """Keyword arguments for Starlette's CORSMiddleware, compiled by corsc.

FastAPI's fastapi.middleware.cors.CORSMiddleware is the same class. Wrap the whole application,
so that the 500 of an unhandled exception carries CORS headers too::

    from starlette.middleware.cors import CORSMiddleware
    from cors_starlette import CORS_OPTIONS

    app = CORSMiddleware(app, **CORS_OPTIONS)

Verified with Starlette 1.10.0 and FastAPI 0.165.0.
"""

    def check(self, policy_set: PolicySet, options: EmitOptions) -> list[Diagnostic]:
        target = options.target
        found: list[Diagnostic] = []
        for plan in Plan.of(policy_set).policies:
            found.extend(self.always_granted(target, plan))
            found.extend(self.policy_deviations(target, plan))
        return found

    def always_granted(self, target: str, plan: PolicyPlan) -> Iterator[Diagnostic]:
        """CORS633 when the grant leaves out some of the four names Starlette always grants."""
        granted = grant_of(plan).header_keys
        if granted is None:
            return
        missing = [h for h in STARLETTE_ALWAYS_ALLOWED if h.lower() not in granted]
        if missing:
            headers = plan.policy.grant.headers
            yield GRANTS_SAFELISTED.at(
                headers.span if headers.written else plan.policy.span,
                f"target `{target}` also grants {d.and_list(missing)}, which the policy does not "
                "list: Starlette grants them whatever it is told",
                "this matters only for values browsers do not safelist (such as "
                "`Content-Type: application/json`), which then need no grant in the policy; "
                "compile with `--target python` where that must not happen",
            )

    def policy_deviations(self, target: str, plan: PolicyPlan) -> Iterator[Diagnostic]:
        policy = plan.policy
        grant = grant_of(plan)
        yield deviation(
            target,
            "a refused preflight is answered 400 `Disallowed CORS …`, not 403 "
            "(and so is a Private Network Access preflight when private-network is off)",
            policy.span,
        )
        if plan.preflight_status != 200:
            yield deviation(
                target,
                "an accepted preflight is answered 200 with the body `OK`, not "
                f"{plan.preflight_status}",
                policy.preflight_status.span,
            )
        if with_safelisted(grant) != names(grant.methods):
            yield deviation(
                target,
                "Allow-Methods also lists GET, HEAD and POST, which Starlette must be given to "
                "accept preflights for them",
                policy.grant.methods.span,
            )
        if grant.headers is not None:
            yield deviation(
                target,
                "Allow-Headers goes out sorted on every accepted preflight, whether or not "
                "headers were requested",
                policy.grant.headers.span,
            )
        if grant.max_age is None:
            yield deviation(
                target,
                f"Max-Age: {BROWSER_DEFAULT_MAX_AGE} is sent (Starlette always sends one), the "
                "value browsers assume when none is sent",
                policy.grant.max_age.span,
            )
        if grant.credentials or grant.expose is not None:
            yield deviation(
                target,
                "Allow-Credentials and Expose-Headers go out to refused origins too (without "
                "Allow-Origin, so nothing is shared)",
                policy.span,
            )
        yield from static_deviation(target, plan)

    def document(self, plan: Plan) -> dict[str, Any]:
        (policy_plan,) = plan.policies
        policy = policy_plan.policy
        grant = grant_of(policy_plan)
        patterns = pattern_origins(policy)
        any_origin = allows_any(policy)
        kwargs = {
            "allow_origins": ["*"] if any_origin else exact_origins(policy),
            "allow_origin_regex": (
                bounded(origin_regex.render_union(patterns, "python"))
                if patterns and not any_origin
                else None
            ),
            "allow_methods": with_safelisted(grant),
            "allow_headers": names(grant.headers),
            "allow_credentials": grant.credentials,
            "allow_private_network": grant.private_network,
            "expose_headers": expose_names(policy),
            "max_age": (
                BROWSER_DEFAULT_MAX_AGE if grant.max_age is None else policy.grant.max_age.value
            ),
        }
        return {"CORS_OPTIONS": kwargs}


STARLETTE = StarletteBackend()
