"""Importing a web.config: the CORS Module section, static ``Access-Control-*`` custom headers,
URL Rewrite rules that write them, and the handler changes people make for preflights.

The file is checked by expat (no DOCTYPE, so no entity is ever expanded) and read into offsets
by :mod:`corsc.backends.iis_scan`; what handles CORS is found by
:func:`corsc.backends.iis_takeover.takeover`, the same detection ``--merge`` uses to take a
file over, so what import reads is what a merge removes or refuses. Each scope (the site root,
each ``<location path>``) becomes one policy; a location inherits the root's custom headers
and outbound rules as IIS does, minus what it removes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from attrs import define, field

from corsc import diagnostics as d
from corsc.backends.iis_scan import MergeError, Node, check_well_formed, scan, walk
from corsc.backends.iis_takeover import takeover
from corsc.imports.common import (
    full_match,
    names,
    origin_entries,
    searched_entry,
    unanchored_help,
)
from corsc.imports.draft import Draft, Findings, Grant, exact, policy_name
from corsc.source import Source

_HEADER = {
    "access-control-allow-origin": "origin",
    "access-control-allow-methods": "methods",
    "access-control-allow-headers": "headers",
    "access-control-expose-headers": "expose",
    "access-control-allow-credentials": "credentials",
    "access-control-max-age": "max_age",
    "access-control-allow-private-network": "private_network",
}
#: Origin conditions that every Origin passes: they select no origin.
_EVERY_ORIGIN = frozenset({".+", ".*", "^(?:[\\s\\S]+)$", "^.+$", "^.*$", "[\\s\\S]+", "^(.*)$"})
#: corsc's own length guard (an Origin too long to be one is refused).
_TOO_LONG = re.compile(r"^\^\[\\s\\S\]\{\d+,\}\$$")
_REFLECTIONS = ("{c:0}", "{http_origin}", "{c:1}")
#: What the CORS Module documents for one ``<add origin>`` rule.
_RULE_ATTRIBUTES = frozenset({"origin", "allowed", "allowCredentials", "maxAge"})
_RULE_CHILDREN = frozenset({"allowHeaders", "allowMethods", "exposeHeaders"})


def _children(node: Node) -> Iterator[Node]:
    return iter(node.children)


@define
class _Scope:
    """One place settings apply: its path (``""`` is the site root), the ``system.webServer``
    there, the static headers and outbound rules in force (inherited ones included)."""

    path: str
    server: Node
    headers: dict[str, tuple[str, Node]] = field(factory=dict)
    outbound: dict[str, Node] = field(factory=dict)
    cors: Node | None = None
    #: Whether the scope's own configuration touches CORS (a location that does not is
    #: governed by the site root's policy).
    own: bool = False


def read(source: Source) -> tuple[list[Draft], list[d.Diagnostic]]:
    """The policies a web.config means, and what it got wrong or could not mean."""
    findings = Findings(source)
    text = source.text.removeprefix("\ufeff")
    shift = len(source.text) - len(text)
    try:
        check_well_formed(text)
        top = scan(text)
    except MergeError as error:
        findings.add(
            d.IMPORT_UNREADABLE,
            error.offset + shift,
            error.offset + shift,
            f"corsc cannot read this web.config: {error}",
            "fix the markup (IIS would refuse it too), then import again",
        )
        return [], findings.items
    reader = _Reader(findings, shift)
    return reader.read(top), findings.items


class _Reader:
    def __init__(self, findings: Findings, shift: int) -> None:
        self.findings = findings
        self.shift = shift

    def flag(self, kind: d.Kind, node: Node, message: str, help: str) -> None:
        self.findings.add(kind, node.start + self.shift, node.open_end + self.shift, message, help)

    def read(self, top: Node) -> list[Draft]:
        configuration = top.find("configuration")
        if configuration is None:
            self.findings.add(
                d.IMPORT_UNREADABLE,
                0,
                0,
                "this is not a web.config: its root element is not <configuration>",
                "import the site's web.config",
            )
            return []
        found = takeover(top, (), frozenset(), children=_children)
        detected = {id(finding.node) for finding in found}
        for finding in found:
            if finding.refuse:
                self.flag(
                    d.IMPORT_NOT_EXPRESSED,
                    finding.node,
                    f"{finding.what}: {finding.why}",
                    "the imported policy cannot say what that code does; move its CORS part into "
                    "the policy and remove it (a `--merge` refuses the file while it is there)",
                )
        for node in walk(top):
            if (
                node.tag == "modules"
                and node.get("runAllManagedModulesForAllRequests").strip().lower() == "true"
            ):
                self.flag(
                    d.IMPORT_MANAGED_MODULES,
                    node,
                    'runAllManagedModulesForAllRequests="true" runs every managed module for '
                    "every request (static files too); CORS needs none of them",
                    "remove the attribute unless something else needs it: corsc's output works "
                    "without it",
                )
        root_server = configuration.find("system.webServer")
        root = _Scope("", root_server or Node("system.webServer", 0))
        scopes = [root]
        for location in configuration.elements("location"):
            path = location.get("path").strip().strip("/")
            server = location.find("system.webServer")
            if server is None:
                continue
            if path in ("", "."):
                scopes[0] = root = _Scope("", server)
                continue
            scopes.append(_Scope(path, server))
        drafts: list[Draft] = []
        for scope in scopes:
            if scope is not root:
                scope.headers = dict(root.headers)
                scope.outbound = dict(root.outbound)
            self._collect(scope, detected)
            draft = self._draft(scope, [draft.name for draft in drafts])
            if draft is not None:
                drafts.append(draft)
        if not any(not draft.empty for draft in drafts) and not self.findings.items:
            self.findings.add(
                d.IMPORT_NO_CORS,
                0,
                0,
                "this web.config has no CORS handling corsc knows (no <cors> section, no "
                "Access-Control-* custom header or rewrite rule)",
                "nothing to import; write the policy by hand",
            )
        return drafts

    # ---- what a scope holds --------------------------------------------------------------

    def _collect(self, scope: _Scope, detected: set[int]) -> None:
        before = (dict(scope.headers), dict(scope.outbound))
        self._read_scope(scope, detected)
        scope.own = (
            scope.path == "" or scope.cors is not None or before != (scope.headers, scope.outbound)
        )

    def _read_scope(self, scope: _Scope, detected: set[int]) -> None:
        for node in walk(scope.server):
            if node.tag == "location":
                continue
            for child in node.children:
                if node.tag == "customHeaders":
                    self._custom_header(scope, child, detected)
                elif node.tag == "outboundRules":
                    if child.tag == "remove" or child.tag == "clear":
                        for name in list(scope.outbound):
                            if child.tag == "clear" or name == child.get("name"):
                                del scope.outbound[name]
                    elif id(child) in detected:
                        scope.outbound[child.get("name")] = child
                elif id(child) not in detected:
                    continue
                elif child.tag == "cors":
                    scope.cors = child
                elif node.tag == "handlers":
                    self._handler(child)
                elif node.tag in ("rules", "globalRules") and child.tag == "rule":
                    self._inbound(child)

    def _custom_header(self, scope: _Scope, node: Node, detected: set[int]) -> None:
        name = node.get("name").strip().lower()
        if node.tag == "clear":
            scope.headers.clear()
        elif node.tag == "remove":
            scope.headers.pop(name, None)
        elif node.tag == "add" and id(node) in detected:
            if name not in _HEADER:
                self.flag(
                    d.IMPORT_NOT_EXPRESSED,
                    node,
                    f"the custom header `{node.get('name')}` is not one the policy language has",
                    "remove it, or keep it by hand outside corsc's output",
                )
                return
            scope.headers[name] = (node.get("value"), node)

    def _handler(self, node: Node) -> None:
        if node.tag == "remove":
            message = (
                f'<remove name="{node.get("name")}"/> hands OPTIONS requests to the next '
                "handler (usually the application), which then answers preflights itself"
            )
        else:
            message = (
                f"the handler `{node.get('name')}` answers every OPTIONS request, for any origin "
                "and whatever it asks"
            )
        self.flag(
            d.IMPORT_HANDLER_CHANGE,
            node,
            message,
            "remove it: the CORS layer corsc writes answers preflights itself, before any handler",
        )

    def _inbound(self, rule: Node) -> None:
        action = rule.find("action")
        kind = action.get("type").strip().lower() if action is not None else ""
        inputs = [c.get("input").strip().upper() for c in _conditions(rule)]
        if kind == "customresponse" and "{HTTP_ORIGIN}" not in inputs:
            self.flag(
                d.IMPORT_OPTIONS_ANSWERED,
                rule,
                f"the rewrite rule `{rule.get('name')}` answers preflights (status "
                f"{action.get('statusCode') if action is not None else '?'}) whatever their "
                "origin, method and headers",
                "the policy answers preflights itself, granting only what it lists; remove the "
                "rule",
            )

    # ---- a scope as a policy --------------------------------------------------------------

    def _draft(self, scope: _Scope, taken: list[str]) -> Draft | None:
        anchor = scope.cors or next(iter(scope.headers.values()), ("", scope.server))[1]
        draft = Draft(
            policy_name(scope.path or "site", taken),
            self.findings.source.span(anchor.start + self.shift, anchor.open_end + self.shift),
            paths=["/" + scope.path] if scope.path else [],
        )
        sources = []
        if scope.cors is not None:
            sources.append(scope.cors)
            self._module(scope.cors, draft)
        if scope.headers:
            sources.append(next(iter(scope.headers.values()))[1])
            if scope.cors is not None:
                for value, node in scope.headers.values():
                    self.flag(
                        d.IMPORT_DUPLICATE_HEADER,
                        node,
                        f"the custom header `{node.get('name')}` is sent beside the CORS "
                        f"Module's headers (value `{value}`): browsers refuse a response with "
                        "two Access-Control-Allow-Origin values",
                        "remove the custom header: the imported policy keeps the <cors> section's "
                        "meaning",
                    )
            else:
                self._static(scope, draft)
        if scope.outbound:
            self._rewrite(scope, draft)
        if draft.empty and scope.own and scope.path:
            self.flag(
                d.IMPORT_NOT_EXPRESSED,
                scope.server,
                f'<location path="{scope.path}"> removes the CORS handling it inherits; a '
                "policy cannot say that a path has no CORS at all",
                "give the path a policy of its own (with the origins it should allow)",
            )
        return None if draft.empty or not scope.own else draft

    def _module(self, cors: Node, draft: Draft) -> None:
        """The CORS Module section: ``failUnlistedOrigins``, one rule per ``<add origin>``."""
        known = {"enabled", "failUnlistedOrigins"}
        for name in cors.attributes:
            if name not in known:
                self.flag(
                    d.IMPORT_INVALID_VALUE,
                    cors,
                    f"the CORS Module documents no attribute `{name}` on <cors>",
                    "remove it; the module ignores or refuses what it does not document",
                )
        if _true(cors.get("failUnlistedOrigins")):
            draft.unlisted = "reject"
        rules: dict[str, tuple[Node, bool]] = {}
        for child in cors.children:
            if child.tag == "clear":
                rules.clear()
            elif child.tag == "remove":
                rules.pop(child.get("origin").strip().lower(), None)
            elif child.tag == "add":
                allowed = child.get("allowed").strip().lower() != "false"
                rules[child.get("origin").strip().lower()] = (child, allowed)
        denied = {origin for origin, (_, allowed) in rules.items() if not allowed}
        grants: list[tuple[str, Grant, Node]] = []
        for origin, (node, allowed) in rules.items():
            if not allowed:
                twin = re.sub(r"\.(:\d+)?$", r"\1", origin)
                if twin != origin and twin in denied:
                    continue  # the trailing-dot twin of a deny: the policy's deny refuses it
                draft.denies.append(exact(origin))
                continue
            grants.append((origin, self._module_grant(node), node))
        self._assign(draft, [(exact(origin), grant) for origin, grant, _ in grants])

    def _module_grant(self, node: Node) -> Grant:
        """One ``<add origin>`` rule's grant, from what the module documents for it."""
        for name in node.attributes:
            if name not in _RULE_ATTRIBUTES:
                self.flag(
                    d.IMPORT_INVALID_VALUE,
                    node,
                    f"the CORS Module documents no attribute `{name}` on <add origin>",
                    "remove it; the imported policy leaves it out",
                )
        for child in node.children:
            if child.tag is not None and child.tag not in _RULE_CHILDREN:
                self.flag(
                    d.IMPORT_NOT_EXPRESSED,
                    child,
                    f"<{child.tag}> inside <add origin> is nothing the CORS Module documents",
                    "remove it; the imported policy leaves it out",
                )
        grant = Grant(credentials=_true(node.get("allowCredentials")))
        max_age = node.get("maxAge").strip()
        if max_age:
            grant.max_age = self._seconds(max_age, node)
        headers = node.find("allowHeaders")
        if headers is not None:
            if _true(headers.get("allowAllRequestedHeaders")):
                grant.headers = ["*"]
            else:
                grant.headers = [h.get("header").strip() for h in headers.elements("add")]
        methods = node.find("allowMethods")
        if methods is not None:
            grant.methods = [m.get("method").strip() for m in methods.elements("add")]
        expose = node.find("exposeHeaders")
        if expose is not None:
            grant.expose = [h.get("header").strip() for h in expose.elements("add")]
        return grant

    def _seconds(self, value: str, node: Node) -> int | None:
        if value.isdigit():
            return int(value)
        self.flag(
            d.IMPORT_INVALID_VALUE,
            node,
            f"max-age `{value}` is not a whole number of seconds; browsers ignore it",
            "write a number of seconds; the imported policy sends no max-age",
        )
        return None

    @staticmethod
    def _assign(draft: Draft, grants: list[tuple[str, Grant]]) -> None:
        """Entries with one grant share the policy's statements; several grants become one
        ``origin`` block each, every setting written out."""
        if len({tuple(map(str, grant.key())) for _, grant in grants}) <= 1:
            draft.origins += [entry for entry, _ in grants]
            if grants:
                draft.grant = grants[0][1]
        else:
            # `*` cannot head an origin block: it keeps the policy's own statements.
            for entry, grant in grants:
                if entry == "*":
                    draft.origins.append(entry)
                    draft.grant = grant
                else:
                    draft.blocks.append((entry, grant))

    def _static(self, scope: _Scope, draft: Draft) -> None:
        """Static custom headers: one answer to every request, whatever its origin."""
        values = {_HEADER[name]: value for name, (value, _) in scope.headers.items()}
        nodes = {_HEADER[name]: node for name, (_, node) in scope.headers.items()}
        grant = self._static_grant(values, nodes)
        origin = values.get("origin")
        if origin is None:
            self.flag(
                d.IMPORT_NOT_EXPRESSED,
                next(iter(nodes.values())),
                "CORS headers without Access-Control-Allow-Origin: browsers allow no origin",
                "add the origins to the imported policy by hand",
            )
            return
        entries = origin_entries(origin)
        node = nodes["origin"]
        if len(entries) > 1:
            self.flag(
                d.IMPORT_SEVERAL_ORIGINS,
                node,
                f"Access-Control-Allow-Origin `{origin}` names {len(entries)} origins in one "
                "value; browsers accept exactly one origin (or `*`), so this header allows none",
                "the imported policy lists the origins meant; corsc compiles that to a "
                "configuration that sends the one matching origin",
            )
        if "*" in entries and grant.credentials:
            self.flag(
                d.IMPORT_WILDCARD_CREDENTIALS,
                nodes["credentials"],
                "Access-Control-Allow-Credentials `true` with Allow-Origin `*`: browsers refuse "
                "credentialed requests with `*`",
                "name the origins trusted with credentials in the imported policy",
            )
        self.flag(
            d.IMPORT_STATIC_HEADERS,
            node,
            "static custom headers answer every request the same, whatever its Origin",
            "the imported policy means the same for browsers; the targets corsc compiles it to "
            "answer only the origins it lists",
        )
        draft.origins += entries
        draft.grant = grant

    def _static_grant(self, values: dict[str, str], nodes: dict[str, Node]) -> Grant:
        grant = Grant()
        if "methods" in values:
            grant.methods = _reflected(names(values["methods"]), "METHOD")
        if "headers" in values:
            grant.headers = _reflected(names(values["headers"]), "HEADERS")
        if "expose" in values:
            grant.expose = names(values["expose"])
        if "credentials" in values:
            grant.credentials = values["credentials"].strip() == "true"
            if values["credentials"].strip() not in ("true", "false"):
                self.flag(
                    d.IMPORT_INVALID_VALUE,
                    nodes["credentials"],
                    f"Access-Control-Allow-Credentials `{values['credentials']}`: browsers "
                    "accept only `true` (case-sensitive)",
                    "the imported policy takes it as `credentials false`, which is what "
                    "browsers conclude",
                )
        if "max_age" in values:
            grant.max_age = self._seconds(values["max_age"].strip(), nodes["max_age"])
        if "private_network" in values:
            grant.private_network = values["private_network"].strip() == "true"
        return grant

    def _rewrite(self, scope: _Scope, draft: Draft) -> None:
        """Outbound rules writing ``RESPONSE_Access_Control_*``: rules with the same origin
        conditions make one grant; ``{C:0}``/``{HTTP_ORIGIN}`` in Allow-Origin sends back the
        origin the conditions admitted."""
        groups: dict[tuple[str, ...], tuple[dict[str, str], dict[str, Node]]] = {}
        denies: dict[str, Node] = {}
        for rule in scope.outbound.values():
            match = rule.find("match")
            variable = match.get("serverVariable") if match is not None else ""
            header = variable.strip().lower().removeprefix("response_").replace("_", "-")
            action = rule.find("action")
            value = action.get("value") if action is not None else ""
            if header not in _HEADER:
                self.flag(
                    d.IMPORT_NOT_EXPRESSED,
                    rule,
                    f"the rewrite rule `{rule.get('name')}` writes {variable}, which the "
                    "policy language has no statement for",
                    "remove it, or keep it by hand outside corsc's output",
                )
                continue
            allowed: list[str] = []
            for condition in _origin_conditions(_conditions(rule)):
                pattern = condition.get("pattern")
                if _TOO_LONG.match(pattern) or pattern in _EVERY_ORIGIN:
                    continue
                if _true(condition.get("negate")):
                    denies.setdefault(pattern, rule)
                else:
                    allowed.append(self._regex(pattern, rule))
            static = value.strip().lower() not in _REFLECTIONS and value.strip() != "*"
            if header == "access-control-allow-origin" and not allowed and static:
                # A static origin: the rules conditioned on that origin are its grant.
                allowed = origin_entries(value)
            values, nodes = groups.setdefault(tuple(allowed), ({}, {}))
            values[_HEADER[header]] = value
            nodes[_HEADER[header]] = rule
        for pattern, rule in denies.items():
            draft.denies.append(self._regex(pattern, rule))
        # Rules without an origin condition write their header on every response: it is part
        # of every origin's grant.
        every_values, every_nodes = groups.get((), ({}, {}))
        for values, nodes in groups.values():
            for key, value in every_values.items():
                if key != "origin":
                    values.setdefault(key, value)
                    nodes.setdefault(key, every_nodes[key])
        entries: list[tuple[str, Grant]] = []
        for group, (values, nodes) in groups.items():
            if "origin" not in values:
                continue
            origins = list(group)
            node = nodes["origin"]
            grant = self._static_grant(values, nodes)
            if len(origins) > 1 and values["origin"].strip().lower() not in _REFLECTIONS:
                self.flag(
                    d.IMPORT_SEVERAL_ORIGINS,
                    node,
                    f"the rewrite rule `{node.get('name')}` writes `{values['origin']}` to "
                    "Access-Control-Allow-Origin: several origins in one value, which browsers "
                    "refuse",
                    "the imported policy lists the origins meant",
                )
            if not origins and values["origin"].strip() == "*":
                origins = ["*"]
            elif not origins:
                self.flag(
                    d.IMPORT_REFLECTED_ORIGIN,
                    node,
                    f"the rewrite rule `{node.get('name')}` sends back every request's Origin, "
                    "unchecked: any site may read these responses"
                    + (", with the user's cookies" if grant.credentials else ""),
                    "the imported policy says `origins *`; replace it with the origins you trust",
                )
                origins = ["*"]
            entries += [(entry, grant) for entry in origins]
        self._assign(draft, entries)
        if self._rejects_unlisted(scope):
            draft.unlisted = "reject"
        self._preflight_status(scope, draft)

    def _preflight_status(self, scope: _Scope, draft: Draft) -> None:
        """The status of the inbound rules that answer an allowed origin's preflights (a
        CustomResponse on OPTIONS with an origin condition): 200 is ``preflight-status 200``,
        204 the default; rules answering with both cannot be one policy's."""
        answering: dict[str, Node] = {}
        for rule, status, conditions in _custom_responses(scope):
            method = next(
                (c for c in conditions if c.get("input").strip().upper() == "{REQUEST_METHOD}"),
                None,
            )
            admits = [
                c
                for c in _origin_conditions(conditions)
                if not _true(c.get("negate")) and c.get("pattern") not in _EVERY_ORIGIN
            ]
            answers_preflights = method is not None and "OPTIONS" in method.get("pattern").upper()
            if answers_preflights and admits and status in ("200", "204"):
                answering.setdefault(status, rule)
        if len(answering) > 1:
            self.flag(
                d.IMPORT_NOT_EXPRESSED,
                answering["200"],
                f"the rewrite rule `{answering['200'].get('name')}` answers preflights with 200 "
                "where others answer 204; a policy answers all of its preflights alike",
                "the imported policy keeps 204; say `preflight-status 200` if every preflight "
                "should get 200",
            )
        elif "200" in answering:
            draft.preflight_status = 200

    def _regex(self, pattern: str, rule: Node) -> str:
        """A URL Rewrite origin pattern (ECMAScript, searched) as a full-match entry."""
        searched = full_match(pattern)
        if searched.unanchored:
            self.flag(
                d.IMPORT_UNANCHORED_REGEX,
                rule,
                f"the origin pattern `{pattern}` is not anchored",
                unanchored_help(searched, "URL Rewrite"),
            )
        return searched_entry(searched)

    def _rejects_unlisted(self, scope: _Scope) -> bool:
        """Whether an inbound rule answers 403 to every Origin its conditions do not admit."""
        for _, status, conditions in _custom_responses(scope):
            origin = _origin_conditions(conditions)
            if (
                status == "403"
                and any(_true(c.get("negate")) for c in origin)
                and any(c.get("pattern") in _EVERY_ORIGIN for c in origin)
            ):
                return True
        return False


def _custom_responses(scope: _Scope) -> Iterator[tuple[Node, str, list[Node]]]:
    """The rewrite rules of ``scope`` that answer themselves (a CustomResponse action): each
    rule, its status code and its conditions."""
    for node in walk(scope.server):
        action = node.find("action") if node.tag == "rule" else None
        if action is not None and action.get("type").strip().lower() == "customresponse":
            yield node, action.get("statusCode").strip(), _conditions(node)


def _origin_conditions(conditions: list[Node]) -> list[Node]:
    return [c for c in conditions if c.get("input").strip().upper() == "{HTTP_ORIGIN}"]


def _reflected(values: list[str], request_header: str) -> list[str]:
    """A list that sends back what the preflight asked for (a URL Rewrite value
    ``{HTTP_ACCESS_CONTROL_REQUEST_…}``) grants everything: ``*``."""
    variable = "{HTTP_ACCESS_CONTROL_REQUEST_" + request_header + "}"
    return ["*"] if any(value.upper() == variable for value in values) else values


def _conditions(rule: Node) -> list[Node]:
    conditions = rule.find("conditions")
    return list(conditions.elements("add")) if conditions is not None else []


def _true(value: str) -> bool:
    return value.strip().lower() == "true"
