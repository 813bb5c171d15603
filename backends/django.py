"""The ``django`` target: settings for django-cors-headers (4.9.0) on Django (5.2), as a Python
module or TOML.

django-cors-headers has one configuration per project: one policy, whose ``paths`` become
``CORS_URLS_REGEX`` (matched with ``re.match`` on the decoded ``path_info``). Exact origins go
to ``CORS_ALLOWED_ORIGINS``; every other pattern to ``CORS_ALLOWED_ORIGIN_REGEXES``, anchored
and length-bounded. Its ``CORS_PREFLIGHT_MAX_AGE = 0`` is "send no Max-Age".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

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
    path_regex,
    pattern_origins,
    static_deviation,
)
from corsc.capabilities import Capability, Feature, Support, deviation, table
from corsc.diagnostics import Diagnostic
from corsc.ir import PolicySet
from corsc.plan import Plan, PolicyPlan

CAPABILITIES = table(
    [
        *origin_rows(
            exact="CORS_ALLOWED_ORIGINS",
            patterns="CORS_ALLOWED_ORIGIN_REGEXES, anchored with \\A…\\Z (it uses re.match)",
            null="CORS_ALLOWED_ORIGINS",
            any_origin="CORS_ALLOW_ALL_ORIGINS",
        ),
        *UNEXPRESSIBLE,
        Capability(
            Feature.HEADERS_ANY,
            Support.NO,
            "it sends a literal `*`, which never covers Authorization or credentialed requests",
        ),
        Capability(Feature.EXPOSE_ANY, Support.YES, 'CORS_EXPOSE_HEADERS ["*"]'),
        Capability(Feature.CREDENTIALS, Support.YES, "CORS_ALLOW_CREDENTIALS"),
        Capability(
            Feature.MAX_AGE,
            Support.YES,
            "CORS_PREFLIGHT_MAX_AGE; `max-age 0` is not sent (a declared deviation)",
        ),
        Capability(
            Feature.PRIVATE_NETWORK,
            Support.DEVIATION,
            "Allow-Private-Network also goes out on non-preflight responses that ask for it",
        ),
        Capability(
            Feature.PREFLIGHT_STATUS,
            Support.YES,
            "an accepted preflight is always answered 200: 204 is a declared deviation",
        ),
        Capability(
            Feature.PATHS,
            Support.DEVIATION,
            "paths are matched after Django decodes them (`%2F` is `/` there; doubled "
            "slashes and dot segments stay): where the policy refuses a path with 400 "
            "because decoding `%2F` changes its policy, Django applies the decoded path's",
        ),
        Capability(
            Feature.SEVERAL_POLICIES,
            Support.NO,
            "django-cors-headers applies one configuration to every path it enables",
        ),
    ]
)


class DjangoBackend(LibraryBackend):
    """Settings for django-cors-headers (4.9.0) on Django (5.2)."""

    names = ("django",)
    platform = "python"
    docs = "python.md"
    runs_on = "Django"
    verified = "in real Django, in-process and under waitress, and through a real Chromium"
    summary = "settings for django-cors-headers: a Python module, or TOML with -O format=toml"
    capabilities = CAPABILITIES
    deviations = (
        "a refused preflight is answered 200 with an empty body and no CORS headers",
        "an accepted preflight is answered 200",
        (
            "a preflight for a method or header not granted is answered with the grants (no "
            "server check); the browser refuses it"
        ),
        "Allow-Methods, Allow-Headers and Max-Age go out on every OPTIONS to an allowed origin",
        "`max-age 0` is not sent (browsers then assume 5 seconds)",
        (
            "OPTIONS with Access-Control-Request-Method but no Origin (not a CORS request) is "
            "answered 200 by django-cors-headers, not by the view"
        ),
        (
            "in static mode the fixed headers go only to requests from the origin named (any "
            "Origin for `*`), with `Vary: Origin` on every response"
        ),
        "an unhandled exception's 500 carries no CORS headers (handler500 is outside it)",
    )
    stem = "cors_django"
    usage = """django-cors-headers settings, compiled by corsc.

In settings.py::

    from .cors_django import *  # noqa: F403

with "corsheaders" in INSTALLED_APPS and "corsheaders.middleware.CorsMiddleware" in MIDDLEWARE
above CommonMiddleware (and WhiteNoise). Paths are matched against path_info.

Verified with Django 5.2.19 and django-cors-headers 4.9.0.
"""

    def check(self, policy_set: PolicySet, options: EmitOptions) -> list[Diagnostic]:
        found: list[Diagnostic] = []
        for plan in Plan.of(policy_set).policies:
            found.extend(self.policy_deviations(options.target, plan))
        return found

    def policy_deviations(self, target: str, plan: PolicyPlan) -> Iterator[Diagnostic]:
        policy = plan.policy
        yield deviation(
            target,
            "a refused preflight is answered 200 with an empty body and no grants, not 403",
            policy.span,
        )
        if plan.preflight_status != 200:
            yield deviation(
                target,
                f"an accepted preflight is answered 200, not {plan.preflight_status}",
                policy.preflight_status.span,
            )
        yield deviation(
            target,
            "preflights for methods or headers that are not granted are answered with the "
            "grants (django-cors-headers does not check them); the browser refuses them",
            policy.grant.methods.span,
        )
        yield deviation(
            target,
            "Allow-Methods, Allow-Headers and Max-Age go out on every OPTIONS response to an "
            "allowed origin, whether or not it asked for them",
            policy.span,
        )
        yield deviation(
            target,
            "OPTIONS with Access-Control-Request-Method but without Origin (not a CORS request) "
            "is answered 200 by django-cors-headers instead of the application",
            policy.span,
        )
        if policy.grant.max_age.value == 0:
            yield deviation(
                target,
                "max-age 0 is not sent (django-cors-headers omits 0); browsers then cache the "
                "preflight for 5 seconds",
                policy.grant.max_age.span,
            )
        yield from static_deviation(target, plan)

    def document(self, plan: Plan) -> dict[str, Any]:
        (policy_plan,) = plan.policies
        policy = policy_plan.policy
        grant = grant_of(policy_plan)
        any_origin = allows_any(policy)
        max_age = policy.grant.max_age.value
        return {
            "CORS_ALLOW_ALL_ORIGINS": any_origin,
            "CORS_ALLOWED_ORIGINS": [] if any_origin else exact_origins(policy),
            "CORS_ALLOWED_ORIGIN_REGEXES": (
                []
                if any_origin
                else [
                    bounded(origin_regex.render_pattern(p, "python"))
                    for p in pattern_origins(policy)
                ]
            ),
            "CORS_URLS_REGEX": path_regex(policy, plan.policy_set),
            "CORS_ALLOW_METHODS": names(grant.methods),
            "CORS_ALLOW_HEADERS": names(grant.headers),
            "CORS_EXPOSE_HEADERS": expose_names(policy),
            "CORS_ALLOW_CREDENTIALS": grant.credentials,
            # 0 is django-cors-headers' "send no Max-Age".
            "CORS_PREFLIGHT_MAX_AGE": 0 if max_age is None else max_age,
            "CORS_ALLOW_PRIVATE_NETWORK": grant.private_network,
        }

    def toml_document(self, plan: Plan) -> dict[str, Any]:
        """Settings by name: ``globals().update(tomllib.load(f))`` in settings.py."""
        return self.document(plan)


DJANGO = DjangoBackend()
