"""Structural checks of a generated web.config (following Microsoft's IIS configuration
reference and the rules docs/iis.md lists), shared by the IIS tests: what IIS would refuse with
a 500.19, or what browsers would reject, found without IIS.

:func:`problems` returns a list of sentences, empty when the document passes. It parses with
defusedxml and simulates IIS's collection semantics (``add``/``remove``/``clear`` in document
order, the site root's collections inherited by every ``<location>``).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import defusedxml.ElementTree as SafeET

#: Keyed collections corsc writes: path below system.webServer → (key attribute, key folds case).
#: Every add needs a remove first (a parent may define the same key) except in ``cors`` (no
#: remove is documented) and in rule collections (corsc's own ``corsc-`` names; only duplicates
#: are checked there).
COLLECTIONS = {
    ("httpProtocol", "customHeaders"): ("name", True),
    ("handlers",): ("name", False),
    ("modules",): ("name", False),
    ("rewrite", "rules"): ("name", False),
    ("rewrite", "outboundRules"): ("name", False),
    ("cors",): ("origin", False),
}
#: Sections IIS locks by default (overrideModeDefault="Deny"): a 500.19 in web.config.
LOCKED = (
    "anonymousAuthentication",
    "windowsAuthentication",
    "allowedServerVariables",
    "globalRules",
)
BOOLEAN_ATTRIBUTES = {
    "enabled",
    "failUnlistedOrigins",
    "allowCredentials",
    "allowed",
    "allowAllRequestedHeaders",
    "ignoreCase",
    "negate",
    "stopProcessing",
    "trackAllCaptures",
}
#: Every attribute Microsoft's CORS Module configuration reference documents.
CORS_ATTRIBUTES = {
    "cors": {"enabled", "failUnlistedOrigins"},
    "add": {"origin", "allowed", "allowCredentials", "maxAge", "header", "method"},
    "allowHeaders": {"allowAllRequestedHeaders"},
    "allowMethods": set(),
    "exposeHeaders": set(),
}
ACAO = "access-control-allow-origin"


def parse(text: str) -> ET.Element:
    """Parse with defusedxml (no DTDs, no entity expansion)."""
    return SafeET.fromstring(text.encode("utf-8"))


def servers(root: ET.Element) -> list[tuple[str | None, ET.Element]]:
    """(location path or None, system.webServer) pairs in document order."""
    found = [(None, server) for server in root.findall("system.webServer")]
    for location in root.findall("location"):
        found += [(location.get("path"), server) for server in location.findall("system.webServer")]
    return found


def _collection(
    server: ET.Element, path: tuple[str, ...], inherited: dict[str, str], key: str, fold: bool
) -> tuple[dict[str, str], list[str]]:
    """Apply a collection's add/remove/clear in order over the inherited entries: the final
    entries (key → value) and the problems met (duplicate add, add without a remove first)."""
    entries = dict(inherited)
    problems = []
    container = server.find("/".join(path))
    if container is None:
        return entries, problems
    removed: set[str] = set()
    add_tag = "rule" if path[0] == "rewrite" else "add"
    for child in container:
        if not isinstance(child.tag, str):
            continue
        name = child.get(key, "")
        name = name.lower() if fold else name
        if child.tag == "clear":
            entries.clear()
        elif child.tag == "remove":
            entries.pop(name, None)
            removed.add(name)
        elif child.tag == add_tag:
            if name in entries:
                problems.append(f"{'/'.join(path)}: duplicate entry {name!r} (500.19)")
            if path[0] not in ("cors", "rewrite") and name not in removed:
                problems.append(
                    f"{'/'.join(path)}: <{add_tag} {key}={name!r}> without <remove> first"
                )
            entries[name] = child.get("value", "")
    return entries, problems


def problems(text: str) -> list[str]:
    """Everything wrong with a generated web.config, as sentences."""
    found: list[str] = []
    root = parse(text)
    if root.tag != "configuration":
        return [f"root element is <{root.tag}>, not <configuration>"]
    scoped = servers(root)
    paths = [path for path, _ in scoped]
    if len(paths) != len(set(paths)):
        found.append("more than one system.webServer for one scope")
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag in LOCKED:
            found.append(f"locked section <{element.tag}>")
        for name, value in element.attrib.items():
            if name in BOOLEAN_ATTRIBUTES and value not in ("true", "false"):
                found.append(f"<{element.tag} {name}={value!r}>: booleans are lowercase true/false")
    root_entries: dict[tuple[str, ...], dict[str, str]] = {}
    for location, server in scoped:
        for child in server:
            if isinstance(child.tag, str) and len(server.findall(child.tag)) > 1:
                found.append(f"section <{child.tag}> twice in one system.webServer")
        headers: dict[str, str] = {}
        for path, (key, fold) in COLLECTIONS.items():
            inherited = root_entries.get(path, {}) if location is not None else {}
            entries, collection_problems = _collection(server, path, inherited, key, fold)
            found += collection_problems
            if location is None:
                root_entries[path] = entries
            if path == ("httpProtocol", "customHeaders"):
                headers = entries
        found += _header_problems(headers, server)
        found += _cors_problems(server)
        found += _rewrite_problems(server)
    return found


def _header_problems(headers: dict[str, str], server: ET.Element) -> list[str]:
    found = []
    origin = headers.get(ACAO)
    if origin is not None:
        if re.search(r"[,\s]", origin) or origin in ("", "null"):
            found.append(f"Access-Control-Allow-Origin {origin!r} is not one origin or *")
        if server.find("cors") is not None:
            found.append("<cors> and a custom Access-Control-Allow-Origin in one scope")
    if headers.get("access-control-allow-credentials") not in (None, "true"):
        found.append("Access-Control-Allow-Credentials is not exactly true")
    if origin == "*" and "access-control-allow-credentials" in headers:
        found.append("Access-Control-Allow-Origin * with credentials")
    if origin not in (None, "*"):
        vary = [m.strip().lower() for m in headers.get("vary", "").split(",")]
        if "origin" not in vary:
            found.append("Access-Control-Allow-Origin is not * and Vary lacks Origin")
    return found


def _cors_problems(server: ET.Element) -> list[str]:
    cors = server.find("cors")
    if cors is None:
        return []
    found = []
    if cors.get("enabled") != "true":
        found.append('<cors> without enabled="true"')
    for element in cors.iter():
        if not isinstance(element.tag, str):
            continue
        unknown = set(element.attrib) - CORS_ATTRIBUTES.get(element.tag, set())
        if unknown:
            found.append(f"<{element.tag}> has undocumented attributes {sorted(unknown)}")
    for rule in cors.findall("add"):
        if rule.get("origin") == "*" and rule.get("allowCredentials") == "true":
            found.append('origin="*" with allowCredentials="true"')
        max_age = rule.get("maxAge")
        if max_age is not None and not (max_age.isdigit()):
            found.append(f"maxAge {max_age!r} is not an integer ≥ 0")
    return found


def _rewrite_problems(server: ET.Element) -> list[str]:
    rewrite = server.find("rewrite")
    if rewrite is None:
        return []
    found = []
    for rule in rewrite.iter("rule"):
        name = rule.get("name", "")
        if not name.startswith("corsc-"):
            found.append(f"rule {name!r} is not prefixed corsc-")
        if rule.find("serverVariables") is not None:
            found.append(f"rule {name!r} sets serverVariables")
        for condition in rule.iter("add"):
            if condition.get("input") == "{HTTP_ORIGIN}" and condition.get("ignoreCase") != "false":
                found.append(f'rule {name!r}: an origin condition without ignoreCase="false"')
        match = rule.find("match")
        if (
            match is not None
            and match.get("serverVariable") == "RESPONSE_Access_Control_Allow_Origin"
        ):
            action = rule.find("action")
            conditions = rule.findall("conditions/add")
            if not conditions:  # static mode: one fixed value on every response
                value = "" if action is None else action.get("value", "")
                if not re.fullmatch(r"\*|https?://[^\s,*]+", value):
                    found.append(f"rule {name!r}: a fixed Allow-Origin that is not one origin")
                continue
            last = conditions[-1]
            if action is None or action.get("type") != "Rewrite" or action.get("value") != "{C:0}":
                found.append(f"rule {name!r}: Allow-Origin is not the back-reference {{C:0}}")
            pattern = last.get("pattern", "")
            if last.get("input") != "{HTTP_ORIGIN}" or not (
                pattern.startswith("^") and pattern.endswith("$")
            ):
                found.append(f"rule {name!r}: the last condition is not an anchored origin")
    return found
