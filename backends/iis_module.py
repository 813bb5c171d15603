"""The ``iis`` target: ``system.webServer/cors`` for the IIS CORS Module.

Facts come from Microsoft's IIS CORS Module configuration reference: one ``<add origin>`` rule
per exact origin, ``*.`` one-label wildcard or ``*``; the most specific rule wins;
``allowed="false"`` refuses; ``failUnlistedOrigins`` answers 403. What the reference leaves open
(the preflight status, how Origin's case and default port are compared, wildcard depth) is
declared (CORS602/603) rather than guessed. The document itself is
:mod:`corsc.backends.iis_document`'s; ``--merge`` is :mod:`corsc.backends.iis_merge`'s.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from corsc import diagnostics as d
from corsc.backends import EmitOptions, Option, OutputFile
from corsc.backends.iis_document import (
    CUSTOM_HEADERS,
    Part,
    ScopeConfig,
    boolean,
    document,
    element,
    header_entries,
    notes,
    output_file,
    scopes,
    vary_header,
)
from corsc.backends.iis_merge import MergesWebConfig
from corsc.capabilities import Capability, Feature, Support, deviation, table
from corsc.diagnostics import Diagnostic
from corsc.ir import OriginPattern, PatternKind, PolicySet
from corsc.plan import EntryPlan, Plan, PolicyPlan

LOCATION_INHERITANCE = d.kind(
    "CORS611",
    "iis-location-inheritance",
    d.Severity.ERROR,
    "a <cors> section inside another scope's: inheritance of its entries is not documented",
)
DENY_NOT_MOST_SPECIFIC = d.kind(
    "CORS612",
    "iis-deny-not-most-specific",
    d.Severity.ERROR,
    "a deny that the CORS Module would not apply: a more specific allow rule wins there",
)

#: The Windows-side prerequisite named in the layout note.
CORS_MODULE_URL = "https://www.iis.net/downloads/microsoft/iis-cors-module"

_Y, _N, _D, _U = Support.YES, Support.NO, Support.DEVIATION, Support.UNDOCUMENTED

CAPABILITIES = table(
    [
        Capability(Feature.EXACT_ORIGIN, _Y, "`<add origin>`"),
        Capability(
            Feature.SUBDOMAIN_ORIGIN,
            _D,
            "the CORS Module decides how deep `https://*.example.com` rules match (Microsoft "
            "documents neither several labels nor the apex)",
        ),
        Capability(Feature.PORT_ORIGIN, _N, "the module documents no origin form for it"),
        Capability(Feature.REGEX_ORIGIN, _N, "the module documents no origin form for it"),
        Capability(Feature.NULL_ORIGIN, _N, "the module documents no origin form for it"),
        Capability(Feature.ANY_ORIGIN, _Y, '`<add origin="*">`'),
        Capability(Feature.SEVERAL_ORIGINS, _Y, "one `<add origin>` rule per origin"),
        Capability(
            Feature.DENY,
            _Y,
            '`allowed="false"`, with its trailing-dot rule; CORS612 when a more specific allow '
            "rule would win",
        ),
        Capability(Feature.ORIGIN_BLOCKS, _Y, "the block's own `<add origin>` rule"),
        Capability(Feature.UNLISTED_REJECT, _Y, '`failUnlistedOrigins="true"`'),
        Capability(Feature.METHODS_ANY, _N, "the module lists methods only"),
        Capability(Feature.HEADERS_ANY, _Y, '`allowAllRequestedHeaders="true"`'),
        Capability(Feature.EXPOSE_ANY, _Y, '`<add header="*">` in `<exposeHeaders>`'),
        Capability(Feature.CREDENTIALS, _Y, "`allowCredentials`"),
        Capability(Feature.MAX_AGE, _Y, "`maxAge`"),
        Capability(Feature.PRIVATE_NETWORK, _N, "not in the module's schema"),
        Capability(
            Feature.PREFLIGHT_STATUS,
            _U,
            "the CORS Module answers accepted preflights with a status of its own choosing "
            "(not documented)",
        ),
        Capability(
            Feature.PATHS,
            _Y,
            "`<location path>`; CORS611 when one `<cors>` section would sit inside another's",
        ),
        Capability(
            Feature.SEVERAL_POLICIES,
            _Y,
            "one `<location>` each; CORS611 for a fallback policy beside path policies",
        ),
    ]
)

_MODULE_ORIGIN_KINDS = (PatternKind.EXACT, PatternKind.SUBDOMAIN, PatternKind.ANY)


def _module_origin(pattern: OriginPattern) -> str | None:
    """The ``origin`` attribute the CORS Module documents for a pattern (exact, ``*.`` one
    label, ``*``), or ``None`` when it has no form for it (the capability table refuses
    those, so only an unchecked policy reaches emit with one)."""
    if pattern.kind not in _MODULE_ORIGIN_KINDS or pattern.any_port:
        return None
    return pattern.canonical


def _module_rank(pattern: OriginPattern) -> tuple[int, int]:
    """How specific the CORS Module considers a rule ("most specific wins" in Microsoft's CORS
    Module reference): exact, then subdomain wildcards (longer base first), then ``*``."""
    rank = {PatternKind.EXACT: 0, PatternKind.SUBDOMAIN: 1}.get(pattern.kind, 2)
    return rank, -len(pattern.host)


def _overlaps(allow: OriginPattern, deny: OriginPattern) -> bool:
    """Whether some origin matches both patterns (module-expressible kinds only)."""
    if PatternKind.ANY in (allow.kind, deny.kind):
        return True
    if allow.scheme != deny.scheme or allow.port != deny.port:
        return False

    def covers(wide: OriginPattern, narrow: OriginPattern) -> bool:
        if wide.kind is PatternKind.EXACT:
            return narrow.kind is PatternKind.EXACT and wide.host == narrow.host
        return narrow.host.endswith("." + wide.host) or (
            narrow.kind is PatternKind.SUBDOMAIN and narrow.host == wide.host
        )

    return covers(allow, deny) or covers(deny, allow)


class IisBackend(MergesWebConfig):
    """``iis``: ``system.webServer/cors`` for the IIS CORS Module."""

    names = ("iis",)
    platform = "iis"
    docs = "iis.md"
    runs_on = "IIS with the IIS CORS Module"
    verified = (
        "structure, and an interpreter of Microsoft's documented module behaviour "
        "(IIS does not run on Linux)"
    )
    summary = "web.config for the IIS CORS Module (system.webServer/cors)"
    capabilities = CAPABILITIES
    deviations = (
        "the CORS Module chooses the status of accepted preflights, and a refused preflight is "
        "not answered 403 under `unlisted pass`",
        "how the module compares the case and default port of Origin is not documented; "
        "verdicts for browser-sent origins are unaffected",
        "the module compares Origin as a string and documents no bound on its length (an "
        "Origin longer than 267 characters is never allowed by corsc's meaning)",
        "a `*.domain` deny also gets the rule `*.domain.` for hosts with a trailing dot, which "
        "Microsoft does not document",
        "the module answers only requests with an Origin: in static mode Allow-Origin and "
        "Expose-Headers are not on every response, and `Vary: Origin` keeps caches apart",
        "`Vary` (Origin, and Access-Control-Request-Headers for `headers *`) goes on every "
        "response through customHeaders: a superset of the evaluator's",
    )
    serves = True
    options: tuple[Option, ...] = ()
    replaces = ("cors",)

    def check(self, policy_set: PolicySet, options: EmitOptions) -> list[Diagnostic]:
        """CORS611 for a <cors> section inside another scope's, then per policy CORS612 and the
        deviations finer than a feature, then the notes every IIS target gives."""
        target = options.target or "iis"
        found: list[Diagnostic] = []
        plans = Plan.of(policy_set).policies
        all_scopes = scopes(plans)
        for outer in all_scopes:
            for inner in all_scopes:
                if outer.contains(inner):
                    found.append(
                        LOCATION_INHERITANCE.at(
                            inner.span,
                            f"target `{target}`: policy `{inner.policy.name}` would be a "
                            f"<cors> section inside the one of policy `{outer.policy.name}`, "
                            "and Microsoft does not document whether the outer entries are "
                            "inherited (nor whether <clear/> works in this collection)",
                            "give every policy its own paths that do not contain each other "
                            "(no fallback policy beside them), or compile with "
                            "`--target iis-rewrite` or `--target nginx`",
                        )
                    )
        for plan in plans:
            found.extend(_deny_not_applied(target, plan))
            found.extend(_module_deviations(target, plan))
        found.extend(notes(target, policy_set, f"the IIS CORS Module ({CORS_MODULE_URL})"))
        return found

    def emit(self, policy_set: PolicySet, options: EmitOptions) -> list[OutputFile]:
        target = options.target or "iis"
        configs = []
        for scope in scopes(Plan.of(policy_set).policies):
            parts: list[Part] = [((), "cors", (_cors_section(scope.plan),))]
            vary = vary_header(scope.plan, answers_cors_requests_only=True)
            if vary:
                parts.append((CUSTOM_HEADERS, "headers", header_entries(vary)))
            configs.append(ScopeConfig(scope, tuple(parts)))
        return [output_file(document(target, options, policy_set, configs))]


def _deny_not_applied(target: str, plan: PolicyPlan) -> list[Diagnostic]:
    """CORS612 for each allow rule the module would apply instead of a deny: it overlaps the
    deny and the module ranks it at least as specific."""
    found = []
    for deny in plan.policy.denies:
        if _module_origin(deny) is None:
            continue
        for entry in plan.policy.entries:
            allow = entry.pattern
            if (
                _module_origin(allow)
                and _overlaps(allow, deny)
                and _module_rank(allow) <= _module_rank(deny)
            ):
                found.append(
                    DENY_NOT_MOST_SPECIFIC.at(
                        deny.span,
                        f"target `{target}`: the CORS Module applies the most specific rule, "
                        f'so "{allow.text}" would allow origins that "{deny.text}" denies',
                        "make the deny more specific than every allowed pattern it overlaps, "
                        "or compile with `--target iis-rewrite`, where deny always wins",
                        related=[d.Related(entry.span, "the allow rule that would win")],
                    )
                )
    return found


def _module_deviations(target: str, plan: PolicyPlan) -> list[Diagnostic]:
    """CORS602 for what the CORS Module does by itself, where no single feature says when:
    on every policy, it chooses the preflight status and how it compares Origin (and under
    ``unlisted pass`` does not answer a refused preflight 403); with ``*`` or ``*.domain``
    rules, it documents no bound on the length of Origin; a ``*.domain`` deny's trailing-dot
    rule is not documented; and it answers only requests with an Origin, so static mode's
    fixed headers are not on every response."""
    policy = plan.policy
    found = [
        deviation(
            target,
            "the CORS Module chooses the preflight status, how it compares the case and "
            "default port of Origin, and the answer to a refused preflight (not documented)"
            + ("" if plan.reject else "; refused preflights are not answered 403"),
            policy.span,
        )
    ]
    if any(e.pattern.kind in (PatternKind.ANY, PatternKind.SUBDOMAIN) for e in plan.entries):
        found.append(
            deviation(
                target,
                "the CORS Module compares Origin as a string (it runs no regex) and documents "
                "no length bound: whether it refuses an Origin longer than 267 characters, "
                "which corsc's meaning never allows, is not documented (browsers never send one)",
                policy.span,
            )
        )
    for deny in policy.denies:
        if deny.kind is PatternKind.SUBDOMAIN and _module_origin(deny) is not None:
            found.append(
                deviation(
                    target,
                    f'"{deny.text}" is also written as the rule "{_dotted_origin(deny)}" for '
                    "hosts with a trailing dot, which this deny refuses too; Microsoft "
                    "documents no trailing dot in `*.domain` rules",
                    deny.span,
                )
            )
    if plan.static:
        found.append(
            deviation(
                target,
                "the CORS Module sends Allow-Origin and Expose-Headers only to requests with an "
                "Origin, not on every response as static mode does; corsc adds `Vary: Origin` "
                "so that a cache keeps the two answers apart",
                policy.span,
            )
        )
    return found


def _cors_section(plan: PolicyPlan) -> ET.Element:
    """``<cors>`` for one policy: allow rules in the plan's specificity order, which the
    module's own "most specific wins" keeps (one per origin; a list item shadowed by a block
    with the same origin is the block's), then deny rules."""
    section = element("cors", enabled="true", failUnlistedOrigins=boolean(plan.reject))
    seen: set[str] = set()
    for entry in plan.entries:
        origin = _module_origin(entry.pattern)
        if origin is None or origin in seen:
            continue
        seen.add(origin)
        section.append(_module_rule(origin, entry))
    for deny in plan.policy.denies:
        origin = _module_origin(deny)
        if origin is None:
            continue
        forms = (origin,) if ":" in deny.host else (origin, _dotted_origin(deny))
        for form in forms:  # an IPv6 host has no trailing-dot form
            if form not in seen:
                seen.add(form)
                section.append(element("add", origin=form, allowed="false"))
    return section


def _dotted_origin(deny: OriginPattern) -> str:
    """The ``origin`` rule of a deny's trailing-dot twin (``https://evil.test.:8443``), which
    a deny refuses too. The module documents exact comparison, so the twin of an exact
    origin is refused as documented; a ``*.domain.`` rule is what the module's suffix
    comparison would need for a dotted host, but Microsoft documents no trailing dot (CORS602
    says so)."""
    port = "" if deny.port is None else f":{deny.port}"
    host = f"*.{deny.host}" if deny.kind is PatternKind.SUBDOMAIN else deny.host
    return f"{deny.scheme}://{host}.{port}"


def _module_rule(origin: str, entry: EntryPlan) -> ET.Element:
    """One ``<add origin>`` rule with the entry's grant: ``allowCredentials`` always, the
    optional ``maxAge``, then allowHeaders, allowMethods and exposeHeaders when not empty."""
    grant = entry.grant
    attributes = {"origin": origin, "allowCredentials": boolean(grant.credentials)}
    if grant.max_age is not None:
        attributes["maxAge"] = grant.max_age
    rule = element("add", **attributes)
    if grant.headers is None:
        rule.append(element("allowHeaders", allowAllRequestedHeaders="true"))
    elif grant.headers:
        rule.append(element("allowHeaders", *[element("add", header=h) for h in grant.headers]))
    if grant.methods:
        rule.append(element("allowMethods", *[element("add", method=m) for m in grant.methods]))
    if grant.exposed:
        rule.append(element("exposeHeaders", *[element("add", header=h) for h in grant.exposed]))
    return rule


BACKEND = IisBackend()
