"""Importing the IIS CORS Module's ``<cors>`` section: ``failUnlistedOrigins`` and one grant per
``<add origin>`` rule, read as the module documents them.

A rule with ``allowed="false"`` is a ``deny`` (its trailing-dot twin needs none of its own: the
policy's deny refuses it too); what the module does not document on a rule is flagged and left
out of the policy.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from corsc import diagnostics as d
from corsc.backends.iis_scan import Node
from corsc.imports.draft import Draft, Grant, exact
from corsc.imports.iis_scope import Flag, assign, is_true, seconds

#: What the CORS Module documents for one ``<add origin>`` rule.
_RULE_ATTRIBUTES = frozenset({"origin", "allowed", "allowCredentials", "maxAge"})
_RULE_CHILDREN = frozenset({"allowHeaders", "allowMethods", "exposeHeaders"})


def read_module(flag: Flag, cors: Node, draft: Draft) -> None:
    """The CORS Module section: ``failUnlistedOrigins``, one rule per ``<add origin>``."""
    _undocumented_attributes(
        flag,
        cors,
        {"enabled", "failUnlistedOrigins"},
        "remove it; the module ignores or refuses what it does not document",
    )
    if is_true(cors.get("failUnlistedOrigins")):
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
        grants.append((origin, _module_grant(flag, node), node))
    assign(draft, [(exact(origin), grant) for origin, grant, _ in grants])


def _module_grant(flag: Flag, node: Node) -> Grant:
    """One ``<add origin>`` rule's grant, from what the module documents for it."""
    _undocumented_attributes(
        flag, node, _RULE_ATTRIBUTES, "remove it; the imported policy leaves it out"
    )
    for child in node.children:
        if child.tag is not None and child.tag not in _RULE_CHILDREN:
            flag(
                d.IMPORT_NOT_EXPRESSED,
                child,
                f"<{child.tag}> inside <add origin> is nothing the CORS Module documents",
                "remove it; the imported policy leaves it out",
            )
    grant = Grant(credentials=is_true(node.get("allowCredentials")))
    max_age = node.get("maxAge").strip()
    if max_age:
        grant.max_age = seconds(flag, max_age, node)
    headers = node.find("allowHeaders")
    if headers is not None:
        if is_true(headers.get("allowAllRequestedHeaders")):
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


def _undocumented_attributes(flag: Flag, node: Node, known: Collection[str], help: str) -> None:
    """CORS712 for each attribute of ``node`` the CORS Module does not document."""
    tag = "add origin" if node.tag == "add" else node.tag
    for name in node.attributes:
        if name not in known:
            flag(
                d.IMPORT_INVALID_VALUE,
                node,
                f"the CORS Module documents no attribute `{name}` on <{tag}>",
                help,
            )
