"""Importing a web.config: the CORS Module section, static ``Access-Control-*`` custom headers,
URL Rewrite rules that write them, and the handler changes people make for preflights.

The file is checked by expat (no DOCTYPE, so no entity is ever expanded) and read into offsets
by :mod:`corsc.backends.iis_scan`; what handles CORS is found by
:func:`corsc.backends.iis_takeover.takeover`, the same detection ``--merge`` uses to take a
file over, so what import reads is what a merge removes or refuses. Each scope (the site root,
each ``<location path>``) becomes one policy; a location inherits the root's custom headers
and outbound rules as IIS does, minus what it removes.

This module finds the scopes and what each holds, and flags the handler and inbound-rule
changes; a scope's ``<cors>`` section is read by :mod:`corsc.imports.iis_cors`, its custom
headers and rewrite rules by :mod:`corsc.imports.iis_headers`.
"""

from __future__ import annotations

from collections.abc import Iterator

from corsc import diagnostics as d
from corsc.backends.iis_scan import MergeError, Node, check_well_formed, scan, walk
from corsc.backends.iis_takeover import takeover
from corsc.imports.common import HEADER_SETTINGS
from corsc.imports.draft import Draft, Findings, policy_name
from corsc.imports.iis_cors import read_module
from corsc.imports.iis_headers import read_rewrite, read_static
from corsc.imports.iis_scope import Flag, Scope, rule_conditions
from corsc.source import Source


def _children(node: Node) -> Iterator[Node]:
    return iter(node.children)


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
        self.flag = Flag(findings, shift)

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
        root = Scope("", root_server or Node("system.webServer", 0))
        scopes = [root]
        for location in configuration.elements("location"):
            path = location.get("path").strip().strip("/")
            server = location.find("system.webServer")
            if server is None:
                continue
            if path in ("", "."):
                scopes[0] = root = Scope("", server)
                continue
            scopes.append(Scope(path, server))
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

    def _collect(self, scope: Scope, detected: set[int]) -> None:
        before = (dict(scope.headers), dict(scope.outbound))
        self._read_scope(scope, detected)
        scope.own = (
            scope.path == "" or scope.cors is not None or before != (scope.headers, scope.outbound)
        )

    def _read_scope(self, scope: Scope, detected: set[int]) -> None:
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

    def _custom_header(self, scope: Scope, node: Node, detected: set[int]) -> None:
        name = node.get("name").strip().lower()
        if node.tag == "clear":
            scope.headers.clear()
        elif node.tag == "remove":
            scope.headers.pop(name, None)
        elif node.tag == "add" and id(node) in detected:
            if name not in HEADER_SETTINGS:
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
        inputs = [c.get("input").strip().upper() for c in rule_conditions(rule)]
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

    def _draft(self, scope: Scope, taken: list[str]) -> Draft | None:
        anchor = scope.cors or next(iter(scope.headers.values()), ("", scope.server))[1]
        draft = Draft(
            policy_name(scope.path or "site", taken),
            self.findings.source.span(anchor.start + self.shift, anchor.open_end + self.shift),
            paths=["/" + scope.path] if scope.path else [],
        )
        sources = []
        if scope.cors is not None:
            sources.append(scope.cors)
            read_module(self.flag, scope.cors, draft)
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
                read_static(self.flag, scope, draft)
        if scope.outbound:
            read_rewrite(self.flag, scope, draft)
        if draft.empty and scope.own and scope.path:
            self.flag(
                d.IMPORT_NOT_EXPRESSED,
                scope.server,
                f'<location path="{scope.path}"> removes the CORS handling it inherits; a '
                "policy cannot say that a path has no CORS at all",
                "give the path a policy of its own (with the origins it should allow)",
            )
        return None if draft.empty or not scope.own else draft
