"""Importing the CORS headers a web.config writes itself: static ``Access-Control-*`` custom
headers (one answer to every request, whatever its Origin), and URL Rewrite outbound rules
writing ``RESPONSE_Access_Control_*`` with the inbound rules answering preflights.

Outbound rules with the same origin conditions make one grant; a rule without an origin
condition writes its header into every origin's grant; ``{C:0}``/``{HTTP_ORIGIN}`` in
Allow-Origin sends back the origin the conditions admitted, and with no condition at all every
origin (``origins *``, flagged). corsc's own length guard and conditions every Origin passes
select no origin.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from corsc import diagnostics as d
from corsc.backends.iis_scan import Node, walk
from corsc.imports.common import (
    HEADER_SETTINGS,
    full_match,
    names,
    origin_entries,
    searched_entry,
    unanchored_help,
)
from corsc.imports.draft import Draft, Grant
from corsc.imports.iis_scope import Flag, Scope, assign, is_true, rule_conditions, seconds

#: Origin conditions that every Origin passes: they select no origin.
_EVERY_ORIGIN = frozenset({".+", ".*", "^(?:[\\s\\S]+)$", "^.+$", "^.*$", "[\\s\\S]+", "^(.*)$"})
#: corsc's own length guard (an Origin too long to be one is refused).
_TOO_LONG = re.compile(r"^\^\[\\s\\S\]\{\d+,\}\$$")
_REFLECTIONS = ("{c:0}", "{http_origin}", "{c:1}")


def read_static(flag: Flag, scope: Scope, draft: Draft) -> None:
    """Static custom headers: one answer to every request, whatever its origin."""
    values = {HEADER_SETTINGS[name]: value for name, (value, _) in scope.headers.items()}
    nodes = {HEADER_SETTINGS[name]: node for name, (_, node) in scope.headers.items()}
    grant = _static_grant(flag, values, nodes)
    origin = values.get("origin")
    if origin is None:
        flag(
            d.IMPORT_NOT_EXPRESSED,
            next(iter(nodes.values())),
            "CORS headers without Access-Control-Allow-Origin: browsers allow no origin",
            "add the origins to the imported policy by hand",
        )
        return
    entries = origin_entries(origin)
    node = nodes["origin"]
    if len(entries) > 1:
        flag(
            d.IMPORT_SEVERAL_ORIGINS,
            node,
            f"Access-Control-Allow-Origin `{origin}` names {len(entries)} origins in one "
            "value; browsers accept exactly one origin (or `*`), so this header allows none",
            "the imported policy lists the origins meant; corsc compiles that to a "
            "configuration that sends the one matching origin",
        )
    if "*" in entries and grant.credentials:
        flag(
            d.IMPORT_WILDCARD_CREDENTIALS,
            nodes["credentials"],
            "Access-Control-Allow-Credentials `true` with Allow-Origin `*`: browsers refuse "
            "credentialed requests with `*`",
            "name the origins trusted with credentials in the imported policy",
        )
    flag(
        d.IMPORT_STATIC_HEADERS,
        node,
        "static custom headers answer every request the same, whatever its Origin",
        "the imported policy means the same for browsers; the targets corsc compiles it to "
        "answer only the origins it lists",
    )
    draft.origins += entries
    draft.grant = grant


def _static_grant(flag: Flag, values: dict[str, str], nodes: dict[str, Node]) -> Grant:
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
            flag(
                d.IMPORT_INVALID_VALUE,
                nodes["credentials"],
                f"Access-Control-Allow-Credentials `{values['credentials']}`: browsers "
                "accept only `true` (case-sensitive)",
                "the imported policy takes it as `credentials false`, which is what "
                "browsers conclude",
            )
    if "max_age" in values:
        grant.max_age = seconds(flag, values["max_age"].strip(), nodes["max_age"])
    if "private_network" in values:
        grant.private_network = values["private_network"].strip() == "true"
    return grant


def read_rewrite(flag: Flag, scope: Scope, draft: Draft) -> None:
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
        if header not in HEADER_SETTINGS:
            flag(
                d.IMPORT_NOT_EXPRESSED,
                rule,
                f"the rewrite rule `{rule.get('name')}` writes {variable}, which the "
                "policy language has no statement for",
                "remove it, or keep it by hand outside corsc's output",
            )
            continue
        allowed: list[str] = []
        for condition in _origin_conditions(rule_conditions(rule)):
            pattern = condition.get("pattern")
            if _TOO_LONG.match(pattern) or pattern in _EVERY_ORIGIN:
                continue
            if is_true(condition.get("negate")):
                denies.setdefault(pattern, rule)
            else:
                allowed.append(_regex(flag, pattern, rule))
        static = value.strip().lower() not in _REFLECTIONS and value.strip() != "*"
        if header == "access-control-allow-origin" and not allowed and static:
            # A static origin: the rules conditioned on that origin are its grant.
            allowed = origin_entries(value)
        values, nodes = groups.setdefault(tuple(allowed), ({}, {}))
        values[HEADER_SETTINGS[header]] = value
        nodes[HEADER_SETTINGS[header]] = rule
    for pattern, rule in denies.items():
        draft.denies.append(_regex(flag, pattern, rule))
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
        grant = _static_grant(flag, values, nodes)
        if len(origins) > 1 and values["origin"].strip().lower() not in _REFLECTIONS:
            flag(
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
            flag(
                d.IMPORT_REFLECTED_ORIGIN,
                node,
                f"the rewrite rule `{node.get('name')}` sends back every request's Origin, "
                "unchecked: any site may read these responses"
                + (", with the user's cookies" if grant.credentials else ""),
                "the imported policy says `origins *`; replace it with the origins you trust",
            )
            origins = ["*"]
        entries += [(entry, grant) for entry in origins]
    assign(draft, entries)
    if _rejects_unlisted(scope):
        draft.unlisted = "reject"
    _preflight_status(flag, scope, draft)


def _preflight_status(flag: Flag, scope: Scope, draft: Draft) -> None:
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
            if not is_true(c.get("negate")) and c.get("pattern") not in _EVERY_ORIGIN
        ]
        answers_preflights = method is not None and "OPTIONS" in method.get("pattern").upper()
        if answers_preflights and admits and status in ("200", "204"):
            answering.setdefault(status, rule)
    if len(answering) > 1:
        flag(
            d.IMPORT_NOT_EXPRESSED,
            answering["200"],
            f"the rewrite rule `{answering['200'].get('name')}` answers preflights with 200 "
            "where others answer 204; a policy answers all of its preflights alike",
            "the imported policy keeps 204; say `preflight-status 200` if every preflight "
            "should get 200",
        )
    elif "200" in answering:
        draft.preflight_status = 200


def _regex(flag: Flag, pattern: str, rule: Node) -> str:
    """A URL Rewrite origin pattern (ECMAScript, searched) as a full-match entry."""
    searched = full_match(pattern)
    if searched.unanchored:
        flag(
            d.IMPORT_UNANCHORED_REGEX,
            rule,
            f"the origin pattern `{pattern}` is not anchored",
            unanchored_help(searched, "URL Rewrite"),
        )
    return searched_entry(searched)


def _rejects_unlisted(scope: Scope) -> bool:
    """Whether an inbound rule answers 403 to every Origin its conditions do not admit."""
    for _, status, conditions in _custom_responses(scope):
        origin = _origin_conditions(conditions)
        if (
            status == "403"
            and any(is_true(c.get("negate")) for c in origin)
            and any(c.get("pattern") in _EVERY_ORIGIN for c in origin)
        ):
            return True
    return False


def _custom_responses(scope: Scope) -> Iterator[tuple[Node, str, list[Node]]]:
    """The rewrite rules of ``scope`` that answer themselves (a CustomResponse action): each
    rule, its status code and its conditions."""
    for node in walk(scope.server):
        action = node.find("action") if node.tag == "rule" else None
        if action is not None and action.get("type").strip().lower() == "customresponse":
            yield node, action.get("statusCode").strip(), rule_conditions(node)


def _origin_conditions(conditions: list[Node]) -> list[Node]:
    return [c for c in conditions if c.get("input").strip().upper() == "{HTTP_ORIGIN}"]


def _reflected(values: list[str], request_header: str) -> list[str]:
    """A list that sends back what the preflight asked for (a URL Rewrite value
    ``{HTTP_ACCESS_CONTROL_REQUEST_…}``) grants everything: ``*``."""
    variable = "{HTTP_ACCESS_CONTROL_REQUEST_" + request_header + "}"
    return ["*"] if any(value.upper() == variable for value in values) else values
