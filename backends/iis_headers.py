"""The ``iis-headers`` target: static ``httpProtocol/customHeaders`` plus OPTIONS handling.

Custom headers are sent by IIS itself (ProtocolSupportModule) on every response, with no
condition: one fixed Access-Control-Allow-Origin for everyone, so only static-mode policies
(one exact origin, or ``*`` without credentials) can be expressed. Facts come from
Microsoft's customHeaders reference and its Web API recipe for handing OPTIONS to ASP.NET.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from corsc import diagnostics as d
from corsc import http
from corsc.backends import EmitOptions, Option, OutputFile
from corsc.backends.iis_document import (
    CUSTOM_HEADERS,
    Part,
    Scope,
    ScopeConfig,
    document,
    element,
    header_entries,
    inherited_names,
    keyed,
    notes,
    output_file,
    scopes,
    vary_header,
)
from corsc.backends.iis_merge import MergesWebConfig
from corsc.capabilities import Capability, Feature, Support, deviation, table
from corsc.diagnostics import Diagnostic
from corsc.ir import PolicySet
from corsc.plan import Plan, PolicyPlan

PREFLIGHT_STATUS_FIXED = d.kind(
    "CORS615",
    "iis-preflight-status-fixed",
    d.Severity.WARNING,
    "the target chooses the status of accepted preflights itself",
)

_STATIC = "one fixed Allow-Origin for every request cannot "
_Y, _N = Support.YES, Support.NO

CAPABILITIES = table(
    [
        Capability(Feature.EXACT_ORIGIN, _Y, "one exact origin: a fixed Allow-Origin"),
        Capability(Feature.SUBDOMAIN_ORIGIN, _N, _STATIC + "match a pattern"),
        Capability(Feature.PORT_ORIGIN, _N, _STATIC + "match a pattern"),
        Capability(Feature.REGEX_ORIGIN, _N, _STATIC + "match a pattern"),
        Capability(Feature.NULL_ORIGIN, _N, _STATIC + "be `null` for one Origin only"),
        Capability(Feature.ANY_ORIGIN, _Y, "without credentials: a fixed `*`"),
        Capability(
            Feature.SEVERAL_ORIGINS,
            _N,
            _STATIC + "echo the Origin (a list of origins in one header is rejected by browsers)",
        ),
        Capability(Feature.DENY, _N, _STATIC + "depend on the request"),
        Capability(Feature.ORIGIN_BLOCKS, _N, _STATIC + "give one origin its own grant"),
        Capability(Feature.UNLISTED_REJECT, _N, "custom headers cannot refuse a request"),
        Capability(Feature.METHODS_ANY, _N, "static headers cannot reflect a request"),
        Capability(Feature.HEADERS_ANY, _N, "static headers cannot reflect a request"),
        Capability(Feature.EXPOSE_ANY, _Y, "a fixed `Access-Control-Expose-Headers: *`"),
        Capability(Feature.CREDENTIALS, _Y, "a fixed Allow-Credentials"),
        Capability(Feature.MAX_AGE, _Y, "a fixed Max-Age"),
        Capability(Feature.PRIVATE_NETWORK, _N, "it would be sent on every response"),
        Capability(
            Feature.PREFLIGHT_STATUS,
            _Y,
            "200 only: OPTIONSVerbHandler answers preflights (CORS615 for another status)",
        ),
        Capability(Feature.PATHS, _Y, "`<location path>`, removing what the site root sets"),
        Capability(Feature.SEVERAL_POLICIES, _Y, "one `<location>` each"),
    ]
)

#: Microsoft's widening of the ASP.NET 4.x extensionless handler so that OPTIONS reaches the
#: application (Microsoft's "Enabling cross-origin requests in ASP.NET Web API").
EXTENSIONLESS = {
    "name": "ExtensionlessUrlHandler-Integrated-4.0",
    "path": "*.",
    "verb": "*",
    "type": "System.Web.Handlers.TransferRequestHandler",
    "preCondition": "integratedMode,runtimeVersionv4.0",
}

#: Methods WebDAVModule answers itself, so that ``-O webdav=auto`` takes it out of their way.
_WEBDAV_METHODS = frozenset({"PUT", "DELETE"})


def static_headers(plan: PolicyPlan) -> list[tuple[str, str]]:
    """The fixed headers of a static-mode policy (``plan.static``): static mode's preflight
    headers, then the preflight grants (custom headers go on every response, so they ride
    along on actual responses too), then the rest of static mode's actual headers
    (Expose-Headers), then ``Vary``."""
    assert plan.static
    grant = plan.grants[0]  # static mode has no origin blocks: every entry has this grant
    headers = list(plan.static_preflight)
    if grant.methods:
        headers.append((http.ALLOW_METHODS, grant.allow_methods))
    if grant.headers:
        headers.append((http.ALLOW_HEADERS, grant.allow_headers))
    if grant.max_age is not None:
        headers.append((http.MAX_AGE, grant.max_age))
    headers += plan.static_actual[len(plan.static_preflight) :]
    return headers + vary_header(plan)


class IisHeadersBackend(MergesWebConfig):
    """``iis-headers``: static ``httpProtocol/customHeaders`` plus OPTIONS handling."""

    names = ("iis-headers",)
    platform = "iis"
    docs = "iis.md"
    runs_on = "any IIS (static-mode policies only)"
    verified = "structure and an interpreter"
    summary = "web.config with static custom headers (one Allow-Origin for everyone)"
    capabilities = CAPABILITIES
    deviations = (
        "custom headers go on every response: the preflight grants also appear on actual "
        "responses, and Expose-Headers on preflights",
        "OPTIONSVerbHandler answers accepted preflights with 200, and a refused preflight is "
        "not answered 403",
        "with `-O options=iis` IIS answers every OPTIONS request itself, a script's own "
        "included, so the application never sees one",
    )
    serves = True
    options = (
        Option(
            "options",
            "who answers OPTIONS: `iis` keeps OPTIONSVerbHandler (static sites); `app` removes "
            "it and lets ASP.NET 4.x's extensionless handler take every verb",
            "iis",
            ("iis", "app"),
        ),
        Option(
            "webdav",
            "`remove` takes WebDAVModule and its handler out of the way of PUT and DELETE; "
            "`auto` does so when the policy grants PUT or DELETE",
            "auto",
            ("auto", "remove", "keep"),
        ),
    )

    def check(self, policy_set: PolicySet, options: EmitOptions) -> list[Diagnostic]:
        """Per static policy the declared deviation of custom headers, and CORS615 for a
        preflight status other than OPTIONSVerbHandler's 200; then the notes every IIS target
        gives. (A policy that is not static gets CORS601 from the capability table.)"""
        target = options.target or "iis-headers"
        found: list[Diagnostic] = []
        for policy in policy_set.policies:
            if policy.static_origin is None:
                continue
            found.append(
                deviation(
                    target,
                    "custom headers go on every response: the preflight grants also appear on "
                    "actual responses and Expose-Headers on preflights, OPTIONSVerbHandler "
                    "answers accepted preflights with 200, and a refused preflight is not "
                    "answered 403",
                    policy.span,
                )
            )
            if policy.preflight_status.written and policy.preflight_status.value != 200:
                found.append(
                    PREFLIGHT_STATUS_FIXED.at(
                        policy.preflight_status.span,
                        f"target `{target}`: OPTIONSVerbHandler answers preflights with 200, not "
                        f"{policy.preflight_status.value}",
                        "remove `preflight-status` (browsers accept any 2xx), or compile with "
                        "`--target iis-rewrite`",
                    )
                )
        found.extend(notes(target, policy_set, "static custom headers (no extra module)"))
        return found

    def emit(self, policy_set: PolicySet, options: EmitOptions) -> list[OutputFile]:
        target = options.target or "iis-headers"
        all_scopes = scopes(Plan.of(policy_set).policies)

        def names(scope: Scope) -> list[str]:
            return [name for name, _ in static_headers(scope.plan)]

        inherited = inherited_names(all_scopes, names)
        configs = []
        for scope, removed in zip(all_scopes, inherited, strict=True):
            headers = header_entries(static_headers(scope.plan), removed)
            parts: list[Part] = [(CUSTOM_HEADERS, "headers", headers)]
            parts.extend(self._handlers(scope.plan, options))
            configs.append(ScopeConfig(scope, tuple(parts)))
        return [output_file(document(target, options, policy_set, configs))]

    def _handlers(self, plan: PolicyPlan, options: EmitOptions) -> list[Part]:
        """Handler and module changes: OPTIONS to the application (``options=app``), WebDAV
        out of the way. ProtocolSupportModule is never removed (it is locked, and it sends the
        custom headers)."""
        handlers: list[ET.Element] = []
        modules: list[ET.Element] = []
        if options.get("options", "iis") == "app":
            handlers += keyed("name", ["OPTIONSVerbHandler"], [element("add", **EXTENSIONLESS)])
        webdav = options.get("webdav", "auto")
        methods = set(plan.grants[0].methods or ())
        if webdav == "remove" or (webdav == "auto" and methods & _WEBDAV_METHODS):
            handlers.append(element("remove", name="WebDAV"))
            modules.append(element("remove", name="WebDAVModule"))
        parts: list[Part] = []
        if handlers:
            parts.append((("handlers",), "handlers", tuple(handlers)))
        if modules:
            parts.append((("modules",), "modules", tuple(modules)))
        return parts


BACKEND = IisHeadersBackend()
