"""The ``iis-rewrite`` target: URL Rewrite inbound and outbound rules, without the CORS Module.

Inbound rules answer preflights (an accepted one with ``preflight-status``, every other one with
403) and, under ``unlisted reject``, refuse requests from unlisted or denied origins; outbound
rules write each ``Access-Control-*`` header for the group of entries whose origin matched
(:mod:`corsc.backends.iis_rules`). ``Vary`` is a custom header on every response.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence

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
    notes,
    output_file,
    scopes,
    vary_header,
)
from corsc.backends.iis_merge import MergesWebConfig
from corsc.backends.iis_rules import (
    ASKED_HEADERS,
    IS_PREFLIGHT,
    NOT_PREFLIGHT,
    TOO_LONG,
    Condition,
    Group,
    denied_pattern,
    groups,
    headers_pattern,
    method_pattern,
    origin_conditions,
    origin_union,
    rule,
)
from corsc.capabilities import Capability, Feature, Support, table, undocumented
from corsc.diagnostics import Diagnostic
from corsc.ir import PolicySet
from corsc.plan import GrantPlan, Plan, PolicyPlan

#: The Windows-side prerequisite named in the layout note.
URL_REWRITE_URL = "https://www.iis.net/downloads/microsoft/url-rewrite"

_CONDITIONS = "anchored `{HTTP_ORIGIN}` conditions"
_Y = Support.YES

CAPABILITIES = table(
    [
        Capability(Feature.EXACT_ORIGIN, _Y, _CONDITIONS),
        Capability(Feature.SUBDOMAIN_ORIGIN, _Y, _CONDITIONS),
        Capability(Feature.PORT_ORIGIN, _Y, _CONDITIONS),
        Capability(Feature.REGEX_ORIGIN, _Y, _CONDITIONS + " (ECMAScript)"),
        Capability(Feature.NULL_ORIGIN, _Y, _CONDITIONS),
        Capability(Feature.ANY_ORIGIN, _Y, _CONDITIONS),
        Capability(Feature.SEVERAL_ORIGINS, _Y, "Allow-Origin is the matched origin, `{C:0}`"),
        Capability(Feature.DENY, _Y, "a negated condition before every allowed one"),
        Capability(Feature.ORIGIN_BLOCKS, _Y, "rules of their own, more specific entries first"),
        Capability(Feature.UNLISTED_REJECT, _Y, "an inbound `CustomResponse` 403"),
        Capability(
            Feature.METHODS_ANY, _Y, "reflected from `{HTTP_ACCESS_CONTROL_REQUEST_METHOD}`"
        ),
        Capability(
            Feature.HEADERS_ANY, _Y, "reflected from `{HTTP_ACCESS_CONTROL_REQUEST_HEADERS}`"
        ),
        Capability(Feature.EXPOSE_ANY, _Y, "an outbound rule"),
        Capability(Feature.CREDENTIALS, _Y, "an outbound rule"),
        Capability(Feature.MAX_AGE, _Y, "an outbound rule on accepted preflights"),
        Capability(Feature.PRIVATE_NETWORK, Support.NO, "not expressed"),
        Capability(Feature.PREFLIGHT_STATUS, _Y, "the inbound `CustomResponse`'s status"),
        Capability(Feature.PATHS, _Y, "`<location path>`, removing the rules the site root sets"),
        Capability(Feature.SEVERAL_POLICIES, _Y, "one `<location>` each"),
    ]
)

_REASONS = {200: "OK", 204: "No Content", 403: "Forbidden"}

#: An outbound rule to write: (rule name suffix, header, value, extra conditions).
_Wanted = tuple[str, str, str, Sequence[Condition]]

#: The rule name suffix of each header static mode fixes.
_STATIC_SUFFIXES = {
    http.ALLOW_ORIGIN: "origin",
    http.ALLOW_CREDENTIALS: "credentials",
    http.EXPOSE_HEADERS: "expose",
}


def rule_prefix(plan: PolicyPlan) -> str:
    """Rule names are unique in the whole configuration (inherited rules included): corsc's
    prefix, then the policy's name (policy names are unique)."""
    return f"corsc-{plan.name}"


def outbound_rules(plan: PolicyPlan) -> list[ET.Element]:
    """One rule per response header and group: Allow-Origin echoes the matched origin; the
    preflight-only headers carry preflight conditions; Expose-Headers skips preflights."""
    if plan.static:
        return _static_outbound_rules(plan)
    rules = []
    for number, group in enumerate(groups(plan), start=1):
        grant = group.grant
        wanted: list[_Wanted] = [("origin", http.ALLOW_ORIGIN, "{C:0}", ())]
        if grant.credentials:
            wanted.append(("credentials", http.ALLOW_CREDENTIALS, "true", ()))
        wanted += _preflight_headers(grant)
        if grant.expose is not None:
            wanted.append(("expose", http.EXPOSE_HEADERS, grant.expose, (NOT_PREFLIGHT,)))
        base = origin_conditions(plan.policy, group)
        rules += [
            _outbound_rule(plan, f"{number}-{suffix}", header, value, [*extra, *base])
            for suffix, header, value, extra in wanted
        ]
    return rules


def _preflight_headers(grant: GrantPlan) -> list[_Wanted]:
    """The headers only accepted preflights get, reflected for ``*``."""
    wanted: list[_Wanted] = []
    if grant.methods is None:
        reflected = "{HTTP_ACCESS_CONTROL_REQUEST_METHOD}"
        wanted.append(("methods", http.ALLOW_METHODS, reflected, IS_PREFLIGHT))
    elif grant.methods:
        wanted.append(("methods", http.ALLOW_METHODS, grant.allow_methods, IS_PREFLIGHT))
    asked = (*IS_PREFLIGHT, ASKED_HEADERS)
    if grant.headers is None:
        reflected = "{HTTP_ACCESS_CONTROL_REQUEST_HEADERS}"
        wanted.append(("headers", http.ALLOW_HEADERS, reflected, asked))
    elif grant.headers:
        wanted.append(("headers", http.ALLOW_HEADERS, grant.allow_headers, asked))
    if grant.max_age is not None:
        wanted.append(("max-age", http.MAX_AGE, grant.max_age, IS_PREFLIGHT))
    return wanted


def _outbound_rule(
    plan: PolicyPlan, suffix: str, header: str, value: str, conditions: Sequence[Condition]
) -> ET.Element:
    return rule(
        f"{rule_prefix(plan)}-{suffix}",
        element("match", serverVariable="RESPONSE_" + header.replace("-", "_"), pattern=".*"),
        conditions,
        element("action", type="Rewrite", value=value),
    )


def _static_outbound_rules(plan: PolicyPlan) -> list[ET.Element]:
    """Static mode: its fixed headers on every response whatever the Origin (those only for
    actual responses skip preflights) — there is no ``Vary: Origin`` for a fixed ``*``, so a
    response cached without an Origin must carry them too. The preflight grants stay on the
    origin-checked rules of accepted preflights."""
    wanted: list[_Wanted] = [
        (
            _STATIC_SUFFIXES[header],
            header,
            value,
            () if (header, value) in plan.static_preflight else (NOT_PREFLIGHT,),
        )
        for header, value in plan.static_actual
    ]
    grant = plan.grants[0]  # static mode has no origin blocks: every entry has this grant
    everyone = Group(grant, tuple(e.pattern for e in plan.policy.entries), ())
    base = origin_conditions(plan.policy, everyone)
    wanted += [
        (suffix, header, value, (*extra, *base))
        for suffix, header, value, extra in _preflight_headers(grant)
    ]
    return [
        _outbound_rule(plan, f"static-{suffix}", header, value, conditions)
        for suffix, header, value, conditions in wanted
    ]


def _respond(status: int) -> ET.Element:
    reason = _REASONS[status]
    return element(
        "action",
        type="CustomResponse",
        statusCode=str(status),
        statusReason=reason,
        statusDescription=reason,
    )


def inbound_rules(plan: PolicyPlan) -> list[ET.Element]:
    """Preflights answered here: accepted ones with ``preflight-status``, every other one with
    403; under ``unlisted reject``, requests from unlisted or denied origins with 403."""
    policy = plan.policy
    match = element("match", url=".*")
    prefix = rule_prefix(plan)
    rules = []
    for number, group in enumerate(groups(plan), start=1):
        conditions = [
            IS_PREFLIGHT[0],
            Condition("{HTTP_ACCESS_CONTROL_REQUEST_METHOD}", method_pattern(group.grant)),
            Condition(
                "{HTTP_ACCESS_CONTROL_REQUEST_HEADERS}",
                headers_pattern(group.grant),
                ignore_case=True,
            ),
            *origin_conditions(policy, group),
        ]
        accepted = _respond(plan.preflight_status)
        rules.append(rule(f"{prefix}-{number}-preflight", match, conditions, accepted, stop=True))
    refused = [*IS_PREFLIGHT, Condition("{HTTP_ORIGIN}", ".+")]
    rules.append(rule(f"{prefix}-preflight-refused", match, refused, _respond(403), stop=True))
    if plan.reject:
        rules.append(rule(f"{prefix}-too-long", match, [TOO_LONG], _respond(403), stop=True))
        if policy.denies:
            denied = [Condition("{HTTP_ORIGIN}", denied_pattern(policy))]
            rules.append(rule(f"{prefix}-denied", match, denied, _respond(403), stop=True))
        allowed = [entry.pattern for entry in policy.entries]
        unlisted = [
            Condition("{HTTP_ORIGIN}", ".+"),
            Condition("{HTTP_ORIGIN}", origin_union(allowed), negate=True),
        ]
        rules.append(rule(f"{prefix}-unlisted", match, unlisted, _respond(403), stop=True))
    return rules


class IisRewriteBackend(MergesWebConfig):
    """``iis-rewrite``: URL Rewrite inbound and outbound rules, without the CORS Module."""

    names = ("iis-rewrite",)
    platform = "iis"
    docs = "iis.md"
    runs_on = "IIS with URL Rewrite 2.x"
    verified = (
        "structure, an interpreter, and every origin condition against adversarial "
        "look-alike origins"
    )
    summary = "web.config with URL Rewrite rules (several origins without the CORS Module)"
    capabilities = CAPABILITIES
    deviations = (
        "whether outbound rules and custom headers apply to a preflight answered by an inbound "
        "CustomResponse is not documented (CORS603 for every policy)",
        "`Vary` goes on every response (Origin, and Access-Control-Request-Method or "
        "-Headers where `*` reflects them): a superset of the evaluator's",
    )
    serves = True
    options: tuple[Option, ...] = ()

    def check(self, policy_set: PolicySet, options: EmitOptions) -> list[Diagnostic]:
        """CORS603 for every policy (how its preflights are answered is not documented to carry
        the outbound headers), then the notes every IIS target gives."""
        target = options.target or "iis-rewrite"
        found = [
            undocumented(
                target,
                "Microsoft does not document whether outbound rules (and custom headers) "
                "apply to a response made by an inbound CustomResponse, which is how "
                "preflights are answered here",
                policy.span,
                "check one preflight on the server (the response must carry "
                "Access-Control-Allow-Origin); `--target iis` answers preflights with the "
                "CORS Module instead",
            )
            for policy in policy_set.policies
        ]
        found.extend(notes(target, policy_set, f"URL Rewrite ({URL_REWRITE_URL})"))
        return found

    def emit(self, policy_set: PolicySet, options: EmitOptions) -> list[OutputFile]:
        target = options.target or "iis-rewrite"
        all_scopes = scopes(Plan.of(policy_set).policies)

        def rule_names(build: Callable[[PolicyPlan], list[ET.Element]]) -> list[list[str]]:
            def names(scope: Scope) -> list[str]:
                return [node.get("name", "") for node in build(scope.plan)]

            return inherited_names(all_scopes, names)

        inherited_in = rule_names(inbound_rules)
        inherited_out = rule_names(outbound_rules)
        inherited_headers = inherited_names(
            all_scopes, lambda scope: [name for name, _ in vary_header(scope.plan)]
        )
        configs = []
        for index, scope in enumerate(all_scopes):
            plan = scope.plan
            removes_in = [element("remove", name=name) for name in inherited_in[index]]
            removes_out = [element("remove", name=name) for name in inherited_out[index]]
            parts: list[Part] = [
                (("rewrite", "rules"), "rules", (*removes_in, *inbound_rules(plan))),
                (("rewrite", "outboundRules"), "outbound", (*removes_out, *outbound_rules(plan))),
            ]
            headers = header_entries(vary_header(plan), inherited_headers[index])
            if headers:
                parts.append((CUSTOM_HEADERS, "headers", headers))
            configs.append(ScopeConfig(scope, tuple(parts)))
        return [output_file(document(target, options, policy_set, configs))]


BACKEND = IisRewriteBackend()
