"""The IIS targets: ``iis`` (the IIS CORS Module), ``iis-headers`` (static custom headers) and
``iis-rewrite`` (URL Rewrite rules), and ``--merge`` into an existing web.config for all three.

Facts come from Microsoft's documentation (the IIS CORS Module configuration reference, the IIS
and URL Rewrite schema files); where Microsoft documents nothing, the backend warns or refuses
and names the open question instead of guessing. docs/iis.md describes the targets for users.

Invariants of every emitted web.config:

- built with :mod:`xml.etree.ElementTree` — no policy value is ever pasted into markup, so no
  value can add an element or an attribute;
- rooted at ``configuration``; the site root's settings in ``configuration/system.webServer``,
  a path-scoped policy's in ``location[@path]/system.webServer``;
- what corsc owns sits between ``<!-- corsc:begin … -->`` and ``<!-- corsc:end … -->`` comments
  (the regions ``--merge`` finds again, see :mod:`corsc.backends.iis_merge`);
- every ``<add>`` of a keyed collection corsc writes is preceded by its ``<remove>``, and
  nothing that IIS locks by default (authentication, ``allowedServerVariables``) is written;
- booleans are lowercase ``true``/``false``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Sequence
from typing import cast

import attrs
from attrs import frozen

from corsc import diagnostics as d
from corsc import origins, regex
from corsc.backends import (
    EmitOptions,
    Merged,
    Option,
    OutputFile,
)
from corsc.capabilities import all_supported, cannot_express, deviation, undocumented
from corsc.diagnostics import Diagnostic
from corsc.ir import (
    AllowEntry,
    Grant,
    OriginPattern,
    PatternKind,
    Policy,
    PolicySet,
    Unlisted,
    digest,
)
from corsc.provenance import provenance
from corsc.source import Span

# ---- diagnostics of the 61x range (IIS) -----------------------------------------------------

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
STATIC_ONLY = d.kind(
    "CORS613",
    "iis-headers-static-only",
    d.Severity.ERROR,
    "static custom headers carry one Allow-Origin value for every request",
)
LOCATION_PATH_CASE = d.kind(
    "CORS614",
    "iis-location-path-case",
    d.Severity.WARNING,
    "whether <location path> matches request paths case-sensitively is not documented",
)
PREFLIGHT_STATUS_FIXED = d.kind(
    "CORS615",
    "iis-preflight-status-fixed",
    d.Severity.WARNING,
    "the target chooses the status of accepted preflights itself",
)
MERGE_UNREADABLE = d.kind(
    "CORS616",
    "iis-merge-unreadable",
    d.Severity.ERROR,
    "an existing web.config that corsc cannot merge into",
)
MERGE_TAKEOVER = d.kind(
    "CORS640",
    "iis-merge-takeover",
    d.Severity.WARNING,
    "hand-written CORS handling in the merged web.config, removed in favour of corsc's",
)
MERGE_FOREIGN_CORS = d.kind(
    "CORS641",
    "iis-merge-foreign-cors",
    d.Severity.ERROR,
    "CORS handling in the merged web.config that corsc cannot safely remove",
)

# ---- names ---------------------------------------------------------------------------------

ACAO = "Access-Control-Allow-Origin"
ACAC = "Access-Control-Allow-Credentials"
ACAM = "Access-Control-Allow-Methods"
ACAH = "Access-Control-Allow-Headers"
ACMA = "Access-Control-Max-Age"
ACEH = "Access-Control-Expose-Headers"
VARY = "Vary"
ACRM = "Access-Control-Request-Method"
ACRH = "Access-Control-Request-Headers"

#: The Windows-side prerequisite named in every output's layout note.
CORS_MODULE_URL = "https://www.iis.net/downloads/microsoft/iis-cors-module"
URL_REWRITE_URL = "https://www.iis.net/downloads/microsoft/url-rewrite"


def _bool(value: bool) -> str:
    """IIS booleans are written lowercase, as Microsoft's configuration reference spells them."""
    return "true" if value else "false"


def element(tag: str, /, *children: ET.Element, **attributes: str) -> ET.Element:
    """An element with attributes in the order given (the serialiser keeps that order, so the
    output is deterministic) and children. Values are escaped by ElementTree when written."""
    node = ET.Element(tag, attributes)
    node.extend(children)
    return node


# ---- scopes: where a policy's settings go ----------------------------------------------------


@frozen
class Scope:
    """One place a policy's settings are written: the site root (``location`` is ``None``) or
    ``<location path="…">`` for a ``paths`` prefix (``location`` without the leading ``/``)."""

    policy: Policy
    location: str | None
    span: Span

    def contains(self, other: Scope) -> bool:
        """Whether IIS configuration inheritance carries this scope's settings into ``other``
        (the site root contains every location; ``a`` contains ``a/b``)."""
        if other is self or other.location is None:
            return False
        return self.location is None or other.location.startswith(self.location + "/")


def scopes(policy_set: PolicySet) -> list[Scope]:
    """Every scope, site root first, then locations in source order. A fallback policy and a
    ``paths "/"`` prefix both mean the site root."""
    result: list[Scope] = []
    for policy in policy_set.policies:
        if policy.is_fallback:
            result.append(Scope(policy, None, policy.span))
        for prefix in policy.paths:
            location = prefix.value.strip("/") or None
            result.append(Scope(policy, location, prefix.span))
    result.sort(key=lambda scope: scope.location is not None)
    return result


def _location_warnings(target: str, policy_set: PolicySet) -> list[Diagnostic]:
    """CORS614 once per path-scoped policy: IIS maps ``<location path>`` onto URLs by its own
    rules (Windows paths are case-insensitive), corsc's ``paths`` are case-sensitive."""
    return [
        LOCATION_PATH_CASE.at(
            policy.paths[0].span,
            f"target `{target}`: IIS decides by itself whether `<location path>` matches "
            f"`{policy.paths[0].value.upper()}` as well as `{policy.paths[0].value}`; corsc's "
            "paths are case-sensitive",
            "IIS usually treats URLs case-insensitively: make sure no other policy is meant for "
            "a differently cased path, or use `--target nginx` where paths match exactly",
        )
        for policy in policy_set.policies
        if any(prefix.value != "/" for prefix in policy.paths)
    ]


def _grant_settings(policy: Policy) -> Iterable[tuple[Grant, Span]]:
    """Each grant with the span of the statement (or block) that set it, for diagnostics."""
    yield policy.grant, policy.span
    for entry in policy.entries:
        if entry.block:
            yield entry.grant, entry.span


def _private_network(target: str, policy: Policy, instead: Sequence[str]) -> list[Diagnostic]:
    """Private Network Access cannot be expressed by any IIS target."""
    return [
        cannot_express(target, "`private-network true`", grant.private_network.span, instead)
        for grant, _ in _grant_settings(policy)
        if grant.private_network.value
    ]


def _wildcard_methods(target: str, policy: Policy, instead: Sequence[str]) -> list[Diagnostic]:
    return [
        cannot_express(
            target, "`methods *` (reflecting the requested method)", g.methods.span, instead
        )
        for g, _ in _grant_settings(policy)
        if g.methods.value.wildcard
    ]


def _names(grant: Grant, attribute: str) -> tuple[str, ...]:
    """A grant's method, header or expose names in order, without duplicates (headers compared
    case-insensitively, methods exactly), as the evaluator renders them (README: What a policy
    means)."""
    value = getattr(grant, attribute).value
    fold = attribute != "methods"
    seen: set[str] = set()
    result = []
    for name in value.values:
        key = name.lower() if fold else name
        if key not in seen:
            seen.add(key)
            result.append(name)
    return tuple(result)


def vary_members(policy: Policy, *, answers_cors_requests_only: bool = False) -> tuple[str, ...]:
    """The ``Vary`` members corsc adds on every response of a policy: ``Origin`` unless
    Allow-Origin is the fixed ``*`` on every response; ``Access-Control-Request-Headers`` (and
    ``-Method``) when some grant reflects them. Sending them on every response is a superset of
    the evaluator's, which never changes a browser's verdict. ``answers_cors_requests_only``:
    the layer (the CORS Module) sends nothing to a request without Origin, so even a fixed
    ``*`` varies by Origin and a cache must not serve one answer for both."""
    fixed_everywhere = policy.static_origin == "*" and not answers_cors_requests_only
    members = [] if fixed_everywhere else ["Origin"]
    grants = [entry.grant for entry in policy.entries]
    if any(grant.methods.value.wildcard for grant in grants):
        members.append(ACRM)
    if any(grant.headers.value.wildcard for grant in grants):
        members.append(ACRH)
    return tuple(members)


# ---- the document ---------------------------------------------------------------------------

BEGIN = "corsc:begin"
END = "corsc:end"


def region(name: str, children: Iterable[ET.Element]) -> list[ET.Element]:
    """``children`` between corsc's begin and end markers: the part of a container corsc owns
    and a later ``--merge`` replaces. ``name`` is a fixed word chosen by corsc."""
    begin = cast(ET.Element, ET.Comment(f" {BEGIN} {name} "))
    end = cast(ET.Element, ET.Comment(f" {END} {name} "))
    return [begin, *children, end]


def comment_text(text: str) -> str:
    """``text`` made safe inside ``<!-- … -->``: XML forbids ``--`` in a comment and a final
    ``-``; a policy file name could contain either."""
    while "--" in text:
        text = text.replace("--", "-\u2010")
    return f" {text} "


@frozen
class ScopeConfig:
    """What one scope's ``system.webServer`` gets: a list of (container path below
    ``system.webServer``, region name, children). An empty path puts the region directly in
    ``system.webServer`` (the ``cors`` section)."""

    scope: Scope
    parts: tuple[tuple[tuple[str, ...], str, tuple[ET.Element, ...]], ...]


def document(
    target: str, options: EmitOptions, policy_set: PolicySet, configs: Sequence[ScopeConfig]
) -> str:
    """The whole web.config for ``configs``, starting with the XML declaration and the
    provenance comment."""
    root = ET.Element("configuration")
    server_of: dict[str | None, ET.Element] = {}
    for config in configs:
        location = config.scope.location
        server = server_of.get(location)
        if server is None:
            if location is None:
                server = ET.SubElement(root, "system.webServer")
            else:
                holder = ET.SubElement(root, "location", {"path": location})
                server = ET.SubElement(holder, "system.webServer")
            server_of[location] = server
        for path, name, children in config.parts:
            container = server
            for tag in path:
                found = container.find(tag)
                container = ET.SubElement(container, tag) if found is None else found
            container.extend(region(f"{target} {name}", children))
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode", short_empty_elements=True)
    note = provenance(options.version, options.source_name, target, policy_set)
    return f'<?xml version="1.0" encoding="utf-8"?>\n<!--{comment_text(note)}-->\n{body}\n'


def keyed(key: str, names: Sequence[str], adds: Sequence[ET.Element]) -> list[ET.Element]:
    """``<remove key="X"/>`` immediately before each add of key X, and alone for the other
    ``names``: a parent configuration may define the same key, and adding it twice is a 500.19
    ("Cannot add duplicate collection entry")."""
    result = []
    added = {node.get(key) for node in adds}
    for name in names:
        if name not in added:
            result.append(element("remove", **{key: name}))
    for node in adds:
        result += [element("remove", **{key: node.get(key, "")}), node]
    return result


def header_entries(
    headers: Sequence[tuple[str, str]], also_remove: Sequence[str] = ()
) -> tuple[ET.Element, ...]:
    """customHeaders children: the names an enclosing scope of corsc's sets are removed, and
    each header is added after removing its name."""
    adds = [element("add", name=name, value=value) for name, value in headers]
    return tuple(keyed("name", also_remove, adds))


def vary_header(
    policy: Policy, *, answers_cors_requests_only: bool = False
) -> list[tuple[str, str]]:
    members = vary_members(policy, answers_cors_requests_only=answers_cors_requests_only)
    return [(VARY, ", ".join(members))] if members else []


def output_file(content: str) -> OutputFile:
    return OutputFile(
        "web.config",
        content,
        "the site's (or application's) root folder, or merged into the existing web.config "
        "with --merge",
        comment="<!--",
        comment_end=" -->",
    )


def layout_note(target: str, policy_set: PolicySet, what: str) -> list[Diagnostic]:
    """CORS604 at the first policy: what must be installed on the server, and where it goes
    (nothing for a file without policies, which an editor sends while it is being typed)."""
    if not policy_set.policies:
        return []
    return [
        d.TARGET_LAYOUT.at(
            policy_set.policies[0].span,
            f"target `{target}` writes web.config for {what}",
            "put web.config in the site's root folder, or merge it into the existing one with "
            "`--merge web.config`; turn off CORS handling in the application so that only one "
            "layer sends Access-Control-* headers",
        )
    ]


# ---- iis: the CORS Module -------------------------------------------------------------------

_MODULE_ORIGIN_KINDS = (PatternKind.EXACT, PatternKind.SUBDOMAIN, PatternKind.ANY)


def _module_origin(pattern: OriginPattern) -> str | None:
    """The ``origin`` attribute the CORS Module documents for a pattern (exact, ``*.`` one
    label, ``*``), or ``None`` when it has no form for it."""
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


class IisBackend:
    """``iis``: ``system.webServer/cors`` for the IIS CORS Module."""

    names = ("iis",)
    summary = "web.config for the IIS CORS Module (system.webServer/cors)"
    deviations = (
        "exact origins, `*`, `https://*.example.com` (yes): <add origin>",
        (
            "per-origin blocks, deny, unlisted reject (yes): own <add>, allowed=false, "
            "failUnlistedOrigins"
        ),
        'headers * (yes): allowAllRequestedHeaders="true"',
        'port wildcards, regex, "null" (no): no documented origin form; use iis-rewrite',
        "methods * (no): the module lists methods only; use iis-rewrite",
        "private-network (no): not in the module's schema",
        "preflight-status (no): the module chooses it (CORS615 warning when written)",
        (
            "a fallback policy beside path policies, nested paths (no): inheritance of <cors> "
            "entries is not documented (CORS611)"
        ),
        (
            "preflight status, origin case and default ports, wildcard depth (deviation): decided"
            " by the module, not documented; verdicts for browser-sent origins unaffected"
        ),
        "refused preflight status (deviation): not 403 under unlisted pass",
        (
            "deny of the trailing-dot form (yes): each deny also gets its dotted rule "
            "(`https://evil.test.`); for `*.domain` denies the module's handling of a trailing "
            "dot is not documented (CORS602)"
        ),
        (
            "an Origin longer than 267 characters (deviation): the module compares strings and "
            "runs no regex; it documents no length bound"
        ),
        (
            "static mode without an Origin (deviation): the module answers only requests with an "
            "Origin; Vary: Origin keeps caches apart"
        ),
    )
    capabilities = all_supported()
    serves = True
    options: tuple[Option, ...] = ()

    def check(self, policy_set: PolicySet, options: EmitOptions) -> list[Diagnostic]:
        target = options.target or "iis"
        found: list[Diagnostic] = []
        all_scopes = scopes(policy_set)
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
        for policy in policy_set.policies:
            found.extend(self._check_policy(target, policy))
        found.extend(_location_warnings(target, policy_set))
        found.extend(layout_note(target, policy_set, f"the IIS CORS Module ({CORS_MODULE_URL})"))
        return found

    def _check_policy(self, target: str, policy: Policy) -> list[Diagnostic]:
        instead = ("iis-rewrite", "nginx")
        found = _private_network(target, policy, instead) + _wildcard_methods(
            target, policy, instead
        )
        for entry in policy.entries:
            if _module_origin(entry.pattern) is None:
                found.append(
                    cannot_express(
                        target, f'the origin pattern "{entry.pattern.text}"', entry.span, instead
                    )
                )
            elif entry.pattern.kind is PatternKind.SUBDOMAIN:
                found.append(
                    deviation(
                        target,
                        f'the CORS Module decides how deep "{entry.pattern.text}" matches '
                        "(Microsoft documents neither several labels nor the apex)",
                        entry.span,
                    )
                )
        for deny in policy.denies:
            if _module_origin(deny) is None:
                found.append(
                    cannot_express(target, f'the deny pattern "{deny.text}"', deny.span, instead)
                )
                continue
            for entry in policy.entries:
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
        if policy.preflight_status.written:
            found.append(
                PREFLIGHT_STATUS_FIXED.at(
                    policy.preflight_status.span,
                    f"target `{target}`: the CORS Module answers accepted preflights with a "
                    "status of its own choosing (not documented)",
                    "remove `preflight-status`, or compile with `--target iis-rewrite`",
                )
            )
        found.append(
            deviation(
                target,
                "the CORS Module chooses the preflight status, how it compares the case and "
                "default port of Origin, and the answer to a refused preflight (not documented)"
                + (
                    "; refused preflights are not answered 403"
                    if policy.unlisted.value is Unlisted.PASS
                    else ""
                ),
                policy.span,
            )
        )
        found += _module_deviations(target, policy)
        return found

    def emit(self, policy_set: PolicySet, options: EmitOptions) -> list[OutputFile]:
        target = options.target or "iis"
        configs = []
        for scope in scopes(policy_set):
            parts: list[tuple[tuple[str, ...], str, tuple[ET.Element, ...]]] = [
                ((), "cors", (_cors_section(scope.policy),))
            ]
            vary = vary_header(scope.policy, answers_cors_requests_only=True)
            if vary:
                parts.append((("httpProtocol", "customHeaders"), "headers", header_entries(vary)))
            configs.append(ScopeConfig(scope, tuple(parts)))
        return [output_file(document(target, options, policy_set, configs))]

    def merge(
        self, existing: bytes, files: Sequence[OutputFile], options: EmitOptions, path: str
    ) -> Merged:
        from corsc.backends.iis_merge import merge

        return merge(existing, files[0].content, path, replaces=("cors",))


def _module_deviations(target: str, policy: Policy) -> list[Diagnostic]:
    """CORS602 for what the CORS Module does by itself where the meaning is stricter: it
    compares Origin as a string (no regex runs, so a long one costs nothing) and documents no
    length bound; it documents no trailing dot for `*.domain` rules; and it answers only
    requests with an Origin, so static mode's fixed headers are not on every response."""
    found = []
    if any(e.pattern.kind in (PatternKind.ANY, PatternKind.SUBDOMAIN) for e in policy.entries):
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
    if policy.static_origin is not None:
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


def _cors_section(policy: Policy) -> ET.Element:
    """``<cors>`` for one policy: allow rules in the module's specificity order (one per
    origin; a list item shadowed by a block with the same origin is the block's), then deny
    rules."""
    section = element(
        "cors",
        enabled="true",
        failUnlistedOrigins=_bool(policy.unlisted.value is Unlisted.REJECT),
    )
    seen: set[str] = set()
    ordered = sorted(policy.entries, key=lambda e: origins.specificity(e.pattern, e.block))
    for entry in ordered:
        origin = _module_origin(entry.pattern)
        if origin is None or origin in seen:
            continue
        seen.add(origin)
        section.append(_module_rule(origin, entry))
    for deny in policy.denies:
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


def _module_rule(origin: str, entry: AllowEntry) -> ET.Element:
    grant = entry.grant
    attributes = {"origin": origin, "allowCredentials": _bool(grant.credentials.value)}
    if grant.max_age.value is not None:
        attributes["maxAge"] = str(grant.max_age.value)
    rule = element("add", **attributes)
    if grant.headers.value.wildcard:
        rule.append(element("allowHeaders", allowAllRequestedHeaders="true"))
    elif grant.headers.value.items:
        rule.append(
            element("allowHeaders", *[element("add", header=h) for h in _names(grant, "headers")])
        )
    if grant.methods.value.items:
        rule.append(
            element("allowMethods", *[element("add", method=m) for m in _names(grant, "methods")])
        )
    if grant.expose.value.wildcard:
        rule.append(element("exposeHeaders", *[element("add", header="*")]))
    elif grant.expose.value.items:
        rule.append(
            element("exposeHeaders", *[element("add", header=h) for h in _names(grant, "expose")])
        )
    return rule


# ---- iis-headers: static custom headers -----------------------------------------------------

#: Microsoft's widening of the ASP.NET 4.x extensionless handler so that OPTIONS reaches the
#: application (Microsoft's "Enabling cross-origin requests in ASP.NET Web API").
EXTENSIONLESS = {
    "name": "ExtensionlessUrlHandler-Integrated-4.0",
    "path": "*.",
    "verb": "*",
    "type": "System.Web.Handlers.TransferRequestHandler",
    "preCondition": "integratedMode,runtimeVersionv4.0",
}


def static_headers(policy: Policy) -> list[tuple[str, str]]:
    """The fixed headers of a static-mode policy (``policy.static_origin`` is set): sent on
    every response, so the preflight grants ride along on actual responses too."""
    assert policy.static_origin is not None
    grant = policy.grant
    headers = [(ACAO, policy.static_origin)]
    if grant.credentials.value:
        headers.append((ACAC, "true"))
    if grant.methods.value.items:
        headers.append((ACAM, ", ".join(_names(grant, "methods"))))
    if grant.headers.value.items:
        headers.append((ACAH, ", ".join(_names(grant, "headers"))))
    if grant.max_age.value is not None:
        headers.append((ACMA, str(grant.max_age.value)))
    if grant.expose.value.wildcard:
        headers.append((ACEH, "*"))
    elif grant.expose.value.items:
        headers.append((ACEH, ", ".join(_names(grant, "expose"))))
    return headers + vary_header(policy)


def inherited_names(
    all_scopes: Sequence[Scope], names_of: Callable[[Scope], Sequence[str]]
) -> dict[int, list[str]]:
    """For each scope (by index), the names corsc sets in the scopes containing it: IIS
    carries them in, so the scope removes them before adding its own."""
    result: dict[int, list[str]] = {}
    for index, inner in enumerate(all_scopes):
        names: list[str] = []
        for outer in all_scopes:
            if outer.contains(inner):
                names.extend(names_of(outer))
        result[index] = list(dict.fromkeys(names))
    return result


class IisHeadersBackend:
    """``iis-headers``: static ``httpProtocol/customHeaders`` plus OPTIONS handling."""

    names = ("iis-headers",)
    summary = "web.config with static custom headers (one Allow-Origin for everyone)"
    deviations = (
        "one exact origin, or `*` without credentials (yes): customHeaders",
        (
            "several origins, patterns, deny, origin blocks (no): one static value cannot vary "
            "(CORS613); use iis or iis-rewrite"
        ),
        "unlisted reject (no): custom headers cannot refuse a request",
        "methods *, headers * (no): static headers cannot reflect a request",
        "private-network (no): would be sent on every response",
        "fallback beside path policies (yes): locations remove what the site root sets",
        "preflight grants on actual responses (deviation): custom headers go on every response",
        (
            "refused preflights and preflight status (deviation): OPTIONSVerbHandler answers 200;"
            " no 403"
        ),
    )
    capabilities = all_supported()
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
        target = options.target or "iis-headers"
        instead = ("iis", "iis-rewrite")
        found: list[Diagnostic] = []
        for policy in policy_set.policies:
            found.extend(_private_network(target, policy, instead))
            found.extend(_wildcard_methods(target, policy, ("iis-rewrite", "nginx")))
            if policy.grant.headers.value.wildcard:
                found.append(
                    cannot_express(
                        target,
                        "`headers *` (reflecting the requested headers)",
                        policy.grant.headers.span,
                        instead,
                    )
                )
            if policy.unlisted.value is Unlisted.REJECT:
                found.append(
                    cannot_express(
                        target,
                        "`unlisted reject` (custom headers cannot refuse a request)",
                        policy.unlisted.span,
                        instead,
                    )
                )
            if policy.static_origin is None:
                if policy.entries:  # else the front end has reported the missing origins
                    found.append(self._not_static(target, policy))
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
        found.extend(_location_warnings(target, policy_set))
        found.extend(layout_note(target, policy_set, "static custom headers (no extra module)"))
        return found

    def _not_static(self, target: str, policy: Policy) -> Diagnostic:
        """CORS613 at the statement that makes Allow-Origin vary."""
        blocks = [entry for entry in policy.entries if entry.block]
        if blocks:
            span, why = blocks[0].span, "an `origin` block gives one origin its own grant"
        elif policy.denies:
            span, why = policy.denies[0].span, "`deny` needs Allow-Origin to depend on the request"
        elif policy.unlisted.value is Unlisted.REJECT:
            span, why = policy.unlisted.span, "`unlisted reject` needs Allow-Origin to echo"
        else:
            varying = [e for e in policy.entries if e.pattern.kind is not PatternKind.EXACT]
            entry = varying[0] if varying else policy.entries[min(1, len(policy.entries) - 1)]
            span, why = entry.span, "more than one origin can be allowed"
        return STATIC_ONLY.at(
            span,
            f"target `{target}` writes one fixed Access-Control-Allow-Origin for every request, "
            f"and policy `{policy.name}` cannot have one: {why}",
            "a list of origins in one header is rejected by browsers; compile with "
            "`--target iis` (the CORS Module) or `--target iis-rewrite` (URL Rewrite), which "
            "echo the allowed origin",
        )

    def emit(self, policy_set: PolicySet, options: EmitOptions) -> list[OutputFile]:
        target = options.target or "iis-headers"
        all_scopes = scopes(policy_set)

        def names(scope: Scope) -> list[str]:
            return [name for name, _ in static_headers(scope.policy)]

        inherited = inherited_names(all_scopes, names)
        configs = []
        for index, scope in enumerate(all_scopes):
            parts: list[tuple[tuple[str, ...], str, tuple[ET.Element, ...]]] = [
                (
                    ("httpProtocol", "customHeaders"),
                    "headers",
                    header_entries(static_headers(scope.policy), inherited[index]),
                )
            ]
            parts.extend(self._handlers(scope.policy, options))
            configs.append(ScopeConfig(scope, tuple(parts)))
        return [output_file(document(target, options, policy_set, configs))]

    def _handlers(
        self, policy: Policy, options: EmitOptions
    ) -> list[tuple[tuple[str, ...], str, tuple[ET.Element, ...]]]:
        """Handler and module changes: OPTIONS to the application (``options=app``), WebDAV
        out of the way. ProtocolSupportModule is never removed (it is locked, and it sends the
        custom headers)."""
        handlers: list[ET.Element] = []
        modules: list[ET.Element] = []
        if options.get("options", "iis") == "app":
            handlers += keyed("name", ["OPTIONSVerbHandler"], [element("add", **EXTENSIONLESS)])
        webdav = options.get("webdav", "auto")
        methods = set(_names(policy.grant, "methods"))
        if webdav == "remove" or (webdav == "auto" and methods & {"PUT", "DELETE"}):
            handlers.append(element("remove", name="WebDAV"))
            modules.append(element("remove", name="WebDAVModule"))
        parts: list[tuple[tuple[str, ...], str, tuple[ET.Element, ...]]] = []
        if handlers:
            parts.append((("handlers",), "handlers", tuple(handlers)))
        if modules:
            parts.append((("modules",), "modules", tuple(modules)))
        return parts

    def merge(
        self, existing: bytes, files: Sequence[OutputFile], options: EmitOptions, path: str
    ) -> Merged:
        from corsc.backends.iis_merge import merge

        return merge(existing, files[0].content, path)


# ---- iis-rewrite: URL Rewrite ---------------------------------------------------------------

#: Characters of an HTTP token (RFC 9110 tchar) as a character class valid in .NET, ECMAScript
#: and Python alike.
TOKEN_CLASS = r"[!#$%&'*+.^_`|~0-9A-Za-z\-]"
OWS = "[ \\t]*"


def method_pattern(grant: Grant) -> str:
    """A full-match pattern for an accepted Access-Control-Request-Method: a safelisted or
    granted method (case-sensitive), or any token for ``methods *``."""
    if grant.methods.value.wildcard:
        body = TOKEN_CLASS + "+"
    else:
        names = dict.fromkeys(("GET", "HEAD", "POST", *_names(grant, "methods")))
        body = "(?:" + "|".join(regex.escape(name) for name in names) + ")"
    return f"^{OWS}{body}{OWS}$"


def headers_pattern(grant: Grant) -> str:
    """A full-match pattern (used with ``ignoreCase="true"``) for an accepted
    Access-Control-Request-Headers: a comma-separated list, empty items allowed, whose names
    are all granted (any token for ``headers *``)."""
    if grant.headers.value.wildcard:
        name = TOKEN_CLASS + "+"
    elif grant.headers.value.items:
        name = "(?:" + "|".join(regex.escape(h) for h in _names(grant, "headers")) + ")"
    else:
        return "^[ \\t,]*$"
    return f"^[ \\t,]*(?:{name}(?:{OWS},[ \\t,]*{name})*)?[ \\t,]*$"


@frozen
class Condition:
    """One ``<conditions><add>``; ``ignoreCase`` is always written (URL Rewrite defaults it to
    true, and origins and methods compare byte for byte)."""

    input: str
    pattern: str
    ignore_case: bool = False
    negate: bool = False

    def node(self) -> ET.Element:
        attributes = {
            "input": self.input,
            "pattern": self.pattern,
            "ignoreCase": _bool(self.ignore_case),
        }
        if self.negate:
            attributes["negate"] = "true"
        return element("add", **attributes)


def rule(
    name: str,
    match: ET.Element,
    conditions: Sequence[Condition],
    action: ET.Element,
    *,
    stop: bool = False,
) -> ET.Element:
    """A rewrite rule. ``trackAllCaptures="false"`` makes ``{C:0}`` the whole match of the last
    condition, which is always the allowed-origin condition."""
    attributes = {"name": name, "patternSyntax": "ECMAScript", "stopProcessing": _bool(stop)}
    conditions_node = element(
        "conditions",
        *(c.node() for c in conditions),
        logicalGrouping="MatchAll",
        trackAllCaptures="false",
    )
    return element("rule", match, conditions_node, action, **attributes)


def origin_union(patterns: Sequence[OriginPattern]) -> str:
    """An anchored pattern admitting exactly the origins of ``patterns``, in the ECMAScript
    dialect: URL Rewrite's default ``patternSyntax`` is documented as ECMAScript, where ``\\z``
    (the .NET end anchor) would be a literal ``z``. ``$`` could only differ from an
    end-of-input anchor before a final line feed, which no header value carries."""
    return origins.render_union(list(patterns), "ecmascript")


@frozen
class Group:
    """Allow entries that share a grant and the same more specific entries to exclude: one
    set of rules. ``earlier`` are the patterns of more specific entries with another grant."""

    grant: Grant
    patterns: tuple[OriginPattern, ...]
    earlier: tuple[OriginPattern, ...]


def groups(policy: Policy) -> list[Group]:
    """The entries in evaluator order (the most specific matching entry supplies the grant;
    README: What a policy means), grouped so that each origin is granted by exactly one group."""
    ordered = sorted(policy.entries, key=lambda e: origins.specificity(e.pattern, e.block))
    # Digested once per entry: comparing every pair's grants is the loop below.
    keys = [digest(entry.grant) for entry in ordered]
    found: dict[tuple[str, tuple[str, ...]], list[OriginPattern]] = {}
    earlier_of: dict[tuple[str, tuple[str, ...]], tuple[OriginPattern, ...]] = {}
    grant_of: dict[tuple[str, tuple[str, ...]], Grant] = {}
    for index, entry in enumerate(ordered):
        key = keys[index]
        earlier = tuple(
            other.pattern
            for other, other_key in zip(ordered[:index], keys, strict=False)
            if other_key != key and _may_overlap(other.pattern, entry.pattern)
        )
        group_key = (key, tuple(p.canonical for p in earlier))
        found.setdefault(group_key, []).append(entry.pattern)
        earlier_of[group_key] = earlier
        grant_of[group_key] = entry.grant
    return [Group(grant_of[k], tuple(v), earlier_of[k]) for k, v in found.items()]


def _may_overlap(earlier: OriginPattern, pattern: OriginPattern) -> bool:
    """False only when no origin can match both: an exact origin the pattern does not admit
    (the condition excluding it would be noise)."""
    if earlier.kind is PatternKind.EXACT:
        return origins.matcher(pattern)(earlier.canonical)
    if pattern.kind is PatternKind.EXACT:
        return origins.matcher(earlier)(pattern.canonical)
    return True


#: An Origin longer than any origin (origins.MAX_ORIGIN_LENGTH) is never allowed; this
#: condition comes first, so that no regex of the policy runs on such a value.
TOO_LONG = Condition("{HTTP_ORIGIN}", rf"^[\s\S]{{{origins.MAX_ORIGIN_LENGTH + 1},}}$")


def denied_pattern(policy: Policy) -> str:
    """An anchored pattern admitting the Origins a ``deny`` refuses: the denied origins and
    their trailing-dot twins (origins.render_dotted)."""
    twins = (origins.render_dotted(deny, "ecmascript") for deny in policy.denies)
    return "|".join([origin_union(policy.denies), *dict.fromkeys(t for t in twins if t)])


def origin_conditions(policy: Policy, group: Group) -> list[Condition]:
    """The length test first, then deny, then the more specific entries of other groups,
    then the group's own origins — last, so that ``{C:0}`` is the matched origin."""
    conditions = [attrs.evolve(TOO_LONG, negate=True)]
    if policy.denies:
        conditions.append(Condition("{HTTP_ORIGIN}", denied_pattern(policy), negate=True))
    if group.earlier:
        conditions.append(Condition("{HTTP_ORIGIN}", origin_union(group.earlier), negate=True))
    conditions.append(Condition("{HTTP_ORIGIN}", origin_union(group.patterns)))
    return conditions


IS_PREFLIGHT = (
    Condition("{REQUEST_METHOD}", "^OPTIONS$"),
    Condition("{HTTP_ACCESS_CONTROL_REQUEST_METHOD}", ".+"),
)
NOT_PREFLIGHT = Condition("{HTTP_ACCESS_CONTROL_REQUEST_METHOD}", ".+", negate=True)
ASKED_HEADERS = Condition("{HTTP_ACCESS_CONTROL_REQUEST_HEADERS}", "[^ \\t,]")


def rule_prefix(policy: Policy) -> str:
    """Rule names are unique in the whole configuration (inherited rules included): corsc's
    prefix, then the policy's name (policy names are unique)."""
    return f"corsc-{policy.name}"


def outbound_rules(policy: Policy) -> list[ET.Element]:
    """One rule per response header and group: Allow-Origin echoes the matched origin; the
    preflight-only headers carry preflight conditions; Expose-Headers skips preflights."""
    if policy.static_origin is not None:
        return _static_outbound_rules(policy)
    rules = []
    for number, group in enumerate(groups(policy), start=1):
        grant = group.grant
        wanted: list[tuple[str, str, str, Sequence[Condition]]] = [("origin", ACAO, "{C:0}", ())]
        if grant.credentials.value:
            wanted.append(("credentials", ACAC, "true", ()))
        wanted += _preflight_headers(grant)
        if grant.expose.value.wildcard or grant.expose.value.items:
            wanted.append(("expose", ACEH, _expose_value(grant), (NOT_PREFLIGHT,)))
        base = origin_conditions(policy, group)
        rules += [
            _outbound_rule(policy, f"{number}-{suffix}", header, value, [*extra, *base])
            for suffix, header, value, extra in wanted
        ]
    return rules


def _preflight_headers(grant: Grant) -> list[tuple[str, str, str, Sequence[Condition]]]:
    """The headers only accepted preflights get: (rule suffix, header, value, conditions)."""
    wanted: list[tuple[str, str, str, Sequence[Condition]]] = []
    if grant.methods.value.wildcard:
        wanted.append(("methods", ACAM, "{HTTP_ACCESS_CONTROL_REQUEST_METHOD}", IS_PREFLIGHT))
    elif grant.methods.value.items:
        wanted.append(("methods", ACAM, ", ".join(_names(grant, "methods")), IS_PREFLIGHT))
    if grant.headers.value.wildcard:
        value = "{HTTP_ACCESS_CONTROL_REQUEST_HEADERS}"
        wanted.append(("headers", ACAH, value, (*IS_PREFLIGHT, ASKED_HEADERS)))
    elif grant.headers.value.items:
        value = ", ".join(_names(grant, "headers"))
        wanted.append(("headers", ACAH, value, (*IS_PREFLIGHT, ASKED_HEADERS)))
    if grant.max_age.value is not None:
        wanted.append(("max-age", ACMA, str(grant.max_age.value), IS_PREFLIGHT))
    return wanted


def _expose_value(grant: Grant) -> str:
    return "*" if grant.expose.value.wildcard else ", ".join(_names(grant, "expose"))


def _outbound_rule(
    policy: Policy, suffix: str, header: str, value: str, conditions: Sequence[Condition]
) -> ET.Element:
    return rule(
        f"{rule_prefix(policy)}-{suffix}",
        element("match", serverVariable="RESPONSE_" + header.replace("-", "_"), pattern=".*"),
        conditions,
        element("action", type="Rewrite", value=value),
    )


def _static_outbound_rules(policy: Policy) -> list[ET.Element]:
    """Static mode: the fixed Allow-Origin (and Allow-Credentials) on every response, and
    Expose-Headers on every response but preflights, whatever the Origin — there is no
    ``Vary: Origin`` for a fixed ``*``, so a response cached without an Origin must carry
    them too. The preflight grants stay on the origin-checked rules of accepted preflights."""
    grant = policy.grant
    assert policy.static_origin is not None
    wanted: list[tuple[str, str, str, Sequence[Condition]]] = [
        ("origin", ACAO, policy.static_origin, ())
    ]
    if grant.credentials.value:
        wanted.append(("credentials", ACAC, "true", ()))
    if grant.expose.value.wildcard or grant.expose.value.items:
        wanted.append(("expose", ACEH, _expose_value(grant), (NOT_PREFLIGHT,)))
    base = origin_conditions(policy, Group(grant, tuple(e.pattern for e in policy.entries), ()))
    wanted += [
        (suffix, header, value, (*extra, *base))
        for suffix, header, value, extra in _preflight_headers(grant)
    ]
    return [
        _outbound_rule(policy, f"static-{suffix}", header, value, conditions)
        for suffix, header, value, conditions in wanted
    ]


def _respond(status: int, reason: str) -> ET.Element:
    return element(
        "action",
        type="CustomResponse",
        statusCode=str(status),
        statusReason=reason,
        statusDescription=reason,
    )


_REASONS = {200: "OK", 204: "No Content", 403: "Forbidden"}


def inbound_rules(policy: Policy) -> list[ET.Element]:
    """Preflights answered here: accepted ones with ``preflight-status``, every other one with
    403; under ``unlisted reject``, requests from unlisted or denied origins with 403."""
    match = element("match", url=".*")
    prefix = rule_prefix(policy)
    status = policy.preflight_status.value
    rules = []
    for number, group in enumerate(groups(policy), start=1):
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
        rules.append(
            rule(
                f"{prefix}-{number}-preflight",
                match,
                conditions,
                _respond(status, _REASONS[status]),
                stop=True,
            )
        )
    refused = [*IS_PREFLIGHT, Condition("{HTTP_ORIGIN}", ".+")]
    rules.append(
        rule(f"{prefix}-preflight-refused", match, refused, _respond(403, "Forbidden"), stop=True)
    )
    if policy.unlisted.value is Unlisted.REJECT:
        rules.append(
            rule(f"{prefix}-too-long", match, [TOO_LONG], _respond(403, "Forbidden"), stop=True)
        )
        if policy.denies:
            denied = [Condition("{HTTP_ORIGIN}", denied_pattern(policy))]
            rules.append(
                rule(f"{prefix}-denied", match, denied, _respond(403, "Forbidden"), stop=True)
            )
        allowed = [entry.pattern for entry in policy.entries]
        unlisted = [
            Condition("{HTTP_ORIGIN}", ".+"),
            Condition("{HTTP_ORIGIN}", origin_union(allowed), negate=True),
        ]
        rules.append(
            rule(f"{prefix}-unlisted", match, unlisted, _respond(403, "Forbidden"), stop=True)
        )
    return rules


class IisRewriteBackend:
    """``iis-rewrite``: URL Rewrite inbound and outbound rules, without the CORS Module."""

    names = ("iis-rewrite",)
    summary = "web.config with URL Rewrite rules (several origins without the CORS Module)"
    deviations = (
        (
            "every origin pattern, deny, origin blocks, unlisted reject (yes): anchored "
            "{HTTP_ORIGIN} conditions"
        ),
        "methods *, headers * (yes): reflected from the request's server variables",
        "preflight-status (yes): inbound CustomResponse",
        "private-network (no): not expressed; use nginx or python",
        (
            "headers on preflights answered by CustomResponse (undocumented): CORS603: whether "
            "outbound rules run on them is not documented"
        ),
        "Vary members on every response (deviation): a superset of the evaluator's",
    )
    capabilities = all_supported()
    serves = True
    options: tuple[Option, ...] = ()

    def check(self, policy_set: PolicySet, options: EmitOptions) -> list[Diagnostic]:
        target = options.target or "iis-rewrite"
        found: list[Diagnostic] = []
        for policy in policy_set.policies:
            found.extend(_private_network(target, policy, ("nginx", "python")))
            found.append(
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
            )
        found.extend(_location_warnings(target, policy_set))
        found.extend(layout_note(target, policy_set, f"URL Rewrite ({URL_REWRITE_URL})"))
        return found

    def emit(self, policy_set: PolicySet, options: EmitOptions) -> list[OutputFile]:
        target = options.target or "iis-rewrite"
        all_scopes = scopes(policy_set)

        def rule_names(kind: str) -> Callable[[Scope], list[str]]:
            def names(scope: Scope) -> list[str]:
                built = (
                    inbound_rules(scope.policy) if kind == "in" else outbound_rules(scope.policy)
                )
                return [node.get("name", "") for node in built]

            return names

        inherited_in = inherited_names(all_scopes, rule_names("in"))
        inherited_out = inherited_names(all_scopes, rule_names("out"))
        inherited_headers = inherited_names(
            all_scopes, lambda s: [n for n, _ in vary_header(s.policy)]
        )
        configs = []
        for index, scope in enumerate(all_scopes):
            policy = scope.policy
            removes_in = [element("remove", name=name) for name in inherited_in[index]]
            removes_out = [element("remove", name=name) for name in inherited_out[index]]
            parts: list[tuple[tuple[str, ...], str, tuple[ET.Element, ...]]] = [
                (("rewrite", "rules"), "rules", (*removes_in, *inbound_rules(policy))),
                (("rewrite", "outboundRules"), "outbound", (*removes_out, *outbound_rules(policy))),
            ]
            headers = header_entries(vary_header(policy), inherited_headers[index])
            if headers:
                parts.append((("httpProtocol", "customHeaders"), "headers", headers))
            configs.append(ScopeConfig(scope, tuple(parts)))
        return [output_file(document(target, options, policy_set, configs))]

    def merge(
        self, existing: bytes, files: Sequence[OutputFile], options: EmitOptions, path: str
    ) -> Merged:
        from corsc.backends.iis_merge import merge

        return merge(existing, files[0].content, path)


BACKEND = IisBackend()
HEADERS = IisHeadersBackend()
REWRITE = IisRewriteBackend()
