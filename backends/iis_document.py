"""The web.config document every IIS target writes: scopes, corsc's regions, keyed collections,
``Vary``, and the notes all three targets give.

The lowest layer of the IIS targets: :mod:`corsc.backends.iis_module` (``iis``),
:mod:`corsc.backends.iis_headers` (``iis-headers``) and :mod:`corsc.backends.iis_rewrite`
(``iis-rewrite``) build their sections with it, and ``--merge``
(:mod:`corsc.backends.iis_merge`) finds its regions again by its markers.

Invariants of every emitted web.config:

- built with :mod:`xml.etree.ElementTree` — no policy value is ever pasted into markup, so no
  value can add an element or an attribute;
- rooted at ``configuration``; the site root's settings in ``configuration/system.webServer``,
  a path-scoped policy's in ``location[@path]/system.webServer``;
- what corsc owns sits between ``<!-- corsc:begin … -->`` and ``<!-- corsc:end … -->`` comments;
- every ``<add>`` of a keyed collection corsc writes is preceded by its ``<remove>``, and
  nothing that IIS locks by default (authentication, ``allowedServerVariables``) is written;
- booleans are lowercase ``true``/``false``.

Facts come from Microsoft's documentation (the IIS configuration reference and schema files);
where Microsoft documents nothing, a target warns or refuses and names the open question.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Sequence
from typing import cast

from attrs import frozen

from corsc import diagnostics as d
from corsc import http
from corsc.backends import EmitOptions, OutputFile
from corsc.diagnostics import Diagnostic
from corsc.ir import Policy, PolicySet
from corsc.plan import PolicyPlan
from corsc.provenance import provenance
from corsc.records import fields_repr
from corsc.source import Span

LOCATION_PATH_CASE = d.kind(
    "CORS614",
    "iis-location-path-case",
    d.Severity.INFO,
    "whether <location path> matches request paths case-sensitively is not documented "
    "(a warning for two policies' paths that differ only in case)",
)

#: The markers around every region corsc owns; ``--merge`` finds its regions by them.
BEGIN = "corsc:begin"
END = "corsc:end"

#: One region of a scope's ``system.webServer``: (container path below ``system.webServer``,
#: region name, children). An empty path puts the region directly in ``system.webServer``.
Part = tuple[tuple[str, ...], str, tuple[ET.Element, ...]]


def boolean(value: bool) -> str:
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

    __repr__ = fields_repr

    plan: PolicyPlan
    location: str | None
    span: Span

    @property
    def policy(self) -> Policy:
        return self.plan.policy

    def contains(self, other: Scope) -> bool:
        """Whether IIS configuration inheritance carries this scope's settings into ``other``
        (the site root contains every location; ``a`` contains ``a/b``)."""
        if other is self or other.location is None:
            return False
        return self.location is None or other.location.startswith(self.location + "/")


def scopes(plans: Sequence[PolicyPlan]) -> list[Scope]:
    """Every scope, site root first, then locations in source order. A fallback policy and a
    ``paths "/"`` prefix both mean the site root."""
    result: list[Scope] = []
    for plan in plans:
        policy = plan.policy
        if policy.is_fallback:
            result.append(Scope(plan, None, policy.span))
        for prefix in policy.paths:
            location = prefix.value.strip("/") or None
            result.append(Scope(plan, location, prefix.span))
    result.sort(key=lambda scope: scope.location is not None)
    return result


def inherited_names(
    all_scopes: Sequence[Scope], names_of: Callable[[Scope], Sequence[str]]
) -> list[list[str]]:
    """For each scope (by index), the names corsc sets in the scopes containing it: IIS
    carries them in, so the scope removes them before adding its own."""
    result: list[list[str]] = []
    for inner in all_scopes:
        names: list[str] = []
        for outer in all_scopes:
            if outer.contains(inner):
                names.extend(names_of(outer))
        result.append(list(dict.fromkeys(names)))
    return result


# ---- the document ---------------------------------------------------------------------------


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
    """What one scope's ``system.webServer`` gets: its regions (:data:`Part`), in order."""

    __repr__ = fields_repr

    scope: Scope
    parts: tuple[Part, ...]


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


#: The region of a scope's custom headers.
CUSTOM_HEADERS = ("httpProtocol", "customHeaders")


def vary_header(
    plan: PolicyPlan, *, answers_cors_requests_only: bool = False
) -> list[tuple[str, str]]:
    """The ``Vary`` custom header corsc adds on every response of a policy (none when it has
    no members): ``Origin`` unless Allow-Origin is the fixed ``*`` on every response, then the
    request headers some grant reflects, in the order a preflight's ``Vary`` lists them.
    Sending them on every response is a superset of the evaluator's, which never changes a
    browser's verdict. ``answers_cors_requests_only``: the layer (the CORS Module) sends
    nothing to a request without Origin, so even a fixed ``*`` varies by Origin and a cache
    must not serve one answer for both."""
    fixed_everywhere = plan.policy.static_origin == "*" and not answers_cors_requests_only
    reflected = {member for grant in plan.grants for member in plan.preflight_vary(grant)}
    members = [] if fixed_everywhere else [http.ORIGIN]
    members += [name for name in (http.REQUEST_METHOD, http.REQUEST_HEADERS) if name in reflected]
    return [(http.VARY, ", ".join(members))] if members else []


def output_file(content: str) -> OutputFile:
    return OutputFile(
        "web.config",
        content,
        "the site's (or application's) root folder, or merged into the existing web.config "
        "with --merge",
        comment="<!--",
        comment_end=" -->",
    )


# ---- notes every IIS target gives -----------------------------------------------------------


def _path_case(target: str, policy_set: PolicySet, policy: Policy) -> Diagnostic | None:
    """CORS614 for a path-scoped policy (see :func:`notes`); ``None`` for a fallback policy or
    one for ``/`` only."""
    own = [prefix for prefix in policy.paths if prefix.value != "/"]
    if not own:
        return None
    others = {
        prefix.value.casefold(): prefix.value
        for other in policy_set.policies
        if other is not policy
        for prefix in other.paths
    }
    for prefix in own:
        clash = others.get(prefix.value.casefold())
        if clash is not None and clash != prefix.value:
            return LOCATION_PATH_CASE.at(
                prefix.span,
                f"target `{target}`: `{prefix.value}` and `{clash}` differ only in case, and "
                "IIS may match either `<location path>` for both",
                "IIS usually treats URLs case-insensitively: give the two policies paths that "
                "differ otherwise, or use `--target nginx`, where paths match exactly",
                severity=d.Severity.WARNING,
            )
    first = own[0]
    return LOCATION_PATH_CASE.at(
        first.span,
        f"target `{target}`: IIS decides by itself whether `<location path>` matches "
        f"`{first.value.upper()}` as well as `{first.value}`; corsc's paths are case-sensitive",
        "nothing to do unless clients send differently cased paths that must not get this "
        "policy; `--target nginx` matches paths exactly",
    )


def notes(target: str, policy_set: PolicySet, what: str) -> list[Diagnostic]:
    """What all three targets say whatever the policy: CORS614 once per path-scoped policy
    (IIS maps ``<location path>`` onto URLs by its own rules — Windows paths are
    case-insensitive — while corsc's ``paths`` are case-sensitive), then CORS604 at the first
    policy: what ``what`` needs installed on the server, and where web.config goes (nothing for
    a file without policies, which an editor sends while it is being typed).

    CORS614 is an info, except where another policy's prefix differs from one of this
    policy's only in case: then IIS may give either policy's answer, and it is a warning."""
    found = [
        item
        for policy in policy_set.policies
        if (item := _path_case(target, policy_set, policy)) is not None
    ]
    if policy_set.policies:
        found.append(
            d.TARGET_LAYOUT.at(
                policy_set.policies[0].span,
                f"target `{target}` writes web.config for {what}",
                "put web.config in the site's root folder, or merge it into the existing one "
                "with `--merge web.config`; turn off CORS handling in the application so that "
                "only one layer sends Access-Control-* headers",
            )
        )
    return found
