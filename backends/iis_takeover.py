"""Hand-written CORS handling in an existing web.config, found for ``--merge`` to take over.

:func:`takeover` walks the user's part of the file (corsc's regions left out) and returns a
:class:`Finding` for every entry that handles CORS beside corsc's output: removed with a
warning (CORS640), or the reason the whole merge is refused (CORS641) when removing it would
take something else with it or leave code corsc cannot see.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterator

from attrs import frozen

from corsc.backends.iis_regions import scope_key, user_children
from corsc.backends.iis_scan import Node
from corsc.records import fields_repr

_ACCESS_CONTROL_HEADER = "access-control-"
_ACCESS_CONTROL_VARIABLE = "RESPONSE_ACCESS_CONTROL_"
_OPTIONS_HANDLER = "optionsverbhandler"
#: Inbound rule actions that only answer (or do nothing): removing such a rule takes away
#: nothing but its CORS part.
_ANSWERING_ACTIONS = frozenset({"", "none", "customresponse", "abortrequest"})


@frozen
class Finding:
    """Hand-written CORS handling at ``node``: removed (``refuse`` false) or the reason the
    merge is refused."""

    __repr__ = fields_repr

    node: Node
    what: str
    refuse: bool = False
    why: str = ""


def _variable(name: str) -> str:
    """A server variable name as URL Rewrite compares it (``RESPONSE_Access-Control-…`` and
    ``RESPONSE_ACCESS_CONTROL_…`` are the same header)."""
    return name.strip().upper().replace("-", "_")


def _verbs(node: Node) -> list[str]:
    return [verb.strip().upper() for verb in node.get("verb").split(",") if verb.strip()]


def _is_true(value: str) -> bool:
    return value.strip().lower() == "true"


def takeover(
    top: Node,
    owned: tuple[str, ...],
    written_scopes: frozenset[str],
    children: Callable[[Node], Iterator[Node]] = user_children,
) -> list[Finding]:
    """Every piece of hand-written CORS handling outside corsc's regions: ``Access-Control-*``
    custom headers, ``<cors>`` sections, handlers that answer OPTIONS, modules named for CORS,
    URL Rewrite rules that write ``Access-Control-*`` or answer preflights. ``owned`` names the
    sections the target writes itself (``cors`` for the CORS Module), ``written_scopes`` the
    paths corsc writes a ``system.webServer`` for. This is the one detection of CORS handling
    in a web.config: ``corsc import`` reads what it finds (``children`` then yields every
    child, corsc's regions included, since an import of corsc's own output reads them)."""
    findings: list[Finding] = []
    pending: list[tuple[Node, str]] = [(top, "")]
    while pending:
        node, scope = pending.pop()
        for child in children(node):
            if child.tag is None:
                continue
            found = _classify(child, node, owned, written=scope in written_scopes)
            if found is not None:
                findings.append(found)
            else:
                inner = scope_key(child.get("path")) if child.tag == "location" else scope
                pending.append((child, inner))
    findings.sort(key=lambda finding: finding.node.start)
    return findings


def _classify(node: Node, parent: Node, owned: tuple[str, ...], *, written: bool) -> Finding | None:
    """Whether ``node`` (a user's element in ``parent``) is CORS handling, and what to do."""
    tag, container = node.tag, parent.tag
    name = node.get("name")
    if container == "customHeaders" and tag in ("add", "remove"):
        if not name.strip().lower().startswith(_ACCESS_CONTROL_HEADER):
            return None
        if tag == "remove":
            return Finding(
                node,
                f'<remove name="{name.strip()}"/>',
                why="it takes away CORS headers where corsc's policy grants them",
            )
        return Finding(
            node,
            f"the custom header `{name.strip()}`",
            why="IIS sends it beside the CORS headers corsc writes",
        )
    if tag == "cors" and container == "system.webServer":
        disabled = node.get("enabled").strip().lower() == "false"
        if disabled and not ("cors" in owned and written):
            return None  # it answers nothing, and corsc writes no <cors> beside it
        return Finding(
            node, "the <cors> section", why="a second CORS Module configuration beside corsc's"
        )
    if container == "handlers":
        return _handler(node)
    if container == "modules":
        return _module(node, owned)
    if tag == "rule" and container == "outboundRules":
        match = node.find("match")
        variable = match.get("serverVariable").strip() if match is not None else ""
        if _variable(variable).startswith(_ACCESS_CONTROL_VARIABLE):
            return Finding(
                node,
                f"the outbound rewrite rule `{name}`",
                why=f"it writes {variable} beside the CORS headers corsc writes",
            )
        return None
    if tag == "rule" and container in ("rules", "globalRules"):
        return _inbound_rule(node)
    return None


def _handler(node: Node) -> Finding | None:
    """Handlers that answer OPTIONS: IIS's own (``ProtocolSupportModule``) answering only
    OPTIONS is taken over; one that also answers other verbs, or runs application code, is
    refused; application handlers that merely accept OPTIONS among other verbs stay."""
    name = node.get("name")
    if node.tag == "remove" and name.strip().lower() == _OPTIONS_HANDLER:
        return Finding(
            node,
            f'<remove name="{name}"/>',
            why="it hands preflights to the application, a second layer that answers them",
        )
    if node.tag != "add":
        return None
    verbs = _verbs(node)
    native = node.get("modules").strip().lower() == "protocolsupportmodule" and not node.get("type")
    only_options = verbs == ["OPTIONS"] or name.strip().lower() == _OPTIONS_HANDLER
    if native and only_options:
        return Finding(node, f"the handler `{name}`", why="it answers preflights beside corsc")
    if native and "OPTIONS" in verbs:
        why = f"it answers {', '.join(verbs)} with IIS's own module, not only preflights"
    elif only_options or "cors" in name.lower():
        why = "it answers OPTIONS (preflight) requests with application code corsc cannot see"
    else:
        return None
    return Finding(node, f"the handler `{name}`", refuse=True, why=why)


def _module(node: Node, owned: tuple[str, ...]) -> Finding | None:
    """Modules named for CORS. IIS's own CORS Module (no ``type``) switched off is taken over
    when corsc's section needs it, switched on when it does not; an application module is
    refused."""
    name = node.get("name")
    if "cors" not in (name + " " + node.get("type")).lower() or node.tag not in ("add", "remove"):
        return None
    needed = "cors" in owned
    if node.tag == "add" and node.get("type"):
        return Finding(
            node,
            f"the module `{name}`",
            refuse=True,
            why="an application module named for CORS sends headers corsc cannot see",
        )
    if node.tag == "remove" and needed:
        return Finding(
            node,
            f'<remove name="{name}"/>',
            why="it turns off the CORS Module that corsc's <cors> section needs",
        )
    if node.tag == "add" and not needed:
        return Finding(
            node,
            f"the module `{name}`",
            why="it turns the CORS Module on beside the CORS headers corsc writes",
        )
    return None  # keeps a server-wide CORS Module quiet, or turns on the one corsc needs


#: Methods a rule that answers only preflights never matches.
_OTHER_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "TRACE", "TRACK", "DEBUG")


def _inbound_rule(rule: Node) -> Finding | None:
    """An inbound rule is CORS handling when it sets a ``RESPONSE_Access-Control-*`` server
    variable, or tests the request for a preflight (``{REQUEST_METHOD}`` matching OPTIONS, an
    ``Access-Control-Request-*`` header). It is taken over when that is all it does: it only
    answers (or does nothing), sets nothing else, and answers no other method."""
    name = rule.get("name")
    variables = rule.find("serverVariables")
    sets = list(variables.elements("set")) if variables is not None else []
    writes = [s for s in sets if _variable(s.get("name")).startswith(_ACCESS_CONTROL_VARIABLE)]
    conditions = rule.find("conditions")
    syntax = rule.get("patternSyntax").strip().lower() or "ecmascript"
    preflight, methods = False, set()
    for condition in conditions.elements("add") if conditions is not None else ():
        if _is_true(condition.get("negate")):
            continue
        source = condition.get("input").strip().upper()
        if "{HTTP_ACCESS_CONTROL_REQUEST_" in source:
            preflight = True
        elif source == "{REQUEST_METHOD}":
            matched = _matching_methods(condition, syntax)
            if "OPTIONS" in matched:
                preflight = True
                methods |= matched - {"OPTIONS"}
    if not writes and not preflight:
        return None
    action = rule.find("action")
    kind = action.get("type").strip() if action is not None else ""
    also = []
    if kind.lower() not in _ANSWERING_ACTIONS:
        also.append(f"its action is {kind}")
    if len(writes) != len(sets):
        also.append("it also sets " + ", ".join(s.get("name") for s in sets if s not in writes))
    if methods:
        also.append("it also answers " + ", ".join(sorted(methods)))
    if not also:
        return Finding(
            rule, f"the rewrite rule `{name}`", why="it answers CORS requests beside corsc"
        )
    return Finding(
        rule,
        f"the rewrite rule `{name}`",
        refuse=True,
        why=f"it handles CORS and does something else too ({'; '.join(also)})",
    )


def _matching_methods(condition: Node, syntax: str) -> set[str]:
    """The methods among OPTIONS and :data:`_OTHER_METHODS` a ``{REQUEST_METHOD}`` condition
    matches, read with the rule's pattern syntax (URL Rewrite ignores case unless told not
    to). A pattern corsc cannot read counts as matching everything it names and more."""
    pattern = condition.get("pattern")
    fold = condition.get("ignoreCase").strip().lower() != "false"
    candidates = ("OPTIONS", *_OTHER_METHODS)
    if syntax == "exactmatch":
        return {m for m in candidates if (pattern.upper() if fold else pattern) == m}
    expression = fnmatch.translate(pattern) if syntax == "wildcard" else pattern
    try:
        compiled = re.compile(expression, re.IGNORECASE if fold else 0)
    except re.error:
        return set(candidates) if "OPTIONS" in pattern.upper() else set()
    search = compiled.match if syntax == "wildcard" else compiled.search
    return {m for m in candidates if search(m)}
