"""``corsc import --from express`` of corsc's own express output: the module's ``POLICIES``
data read back (never run) into the policies it was compiled from.

The data is the Plan as the express target renders it: per policy its path prefixes, its
allow *runs* (tables of exact origins, anchored ECMAScript unions of the other patterns, each
with a grant number, most specific first), a deny union, the grants as sent, ``reject`` and
the preflight status. Each union is split back into the patterns corsc renders
(:func:`corsc.imports.witnesses.corsc_pattern` for wildcards, ``regex`` for the rest), the entries
keep the order of specificity (the grant of the last entries is the policy's, the others origin
blocks), and the result is written in the shape of the ``python`` target's policy file, so the
runtime's own reader validates it and :func:`corsc.imports.compiled.draft_of` writes the
policy. Finally the express target compiles the policy read back: a module that is not what
corsc writes for it — edited data or an edited middleware — is CORS703 at the first line that
differs, since the imported policy would not mean what that module does.
"""

from __future__ import annotations

from typing import Any

from corsc import __version__
from corsc import diagnostics as d
from corsc.imports.common import literal, names, split_alternatives
from corsc.imports.compiled import draft_of
from corsc.imports.draft import Draft, Findings
from corsc.imports.javascript import UNKNOWN, Node, Values, flag
from corsc.imports.witnesses import corsc_pattern
from corsc.ir import PolicySet

#: What the express target writes for ``*``: any non-empty value.
_ANY = "^(?:[\\s\\S]+)$"


def policies_node(tree: Node) -> Node | None:
    """The ``const POLICIES = [...]`` of a module corsc's express target wrote, if it is one
    (it also defines ``corsMiddleware``)."""
    found, middleware = None, False
    for statement in tree.body:
        if statement.type == "FunctionDeclaration" and statement.id.name == "corsMiddleware":
            middleware = True
        if statement.type == "VariableDeclaration":
            for declarator in statement.declarations:
                if getattr(declarator.id, "name", None) == "POLICIES" and declarator.init:
                    found = declarator.init
    return found if middleware else None


def _union(text: str) -> list[str]:
    """The bodies of the alternatives of an anchored ECMAScript union corsc rendered."""
    if not (text.startswith("^(?:") and text.endswith(")$")):
        raise ValueError(f"the regex {text!r} is not one corsc renders")
    return split_alternatives(text[4:-2])


def _allowed(text: str) -> str:
    """An alternative of an allow run as a pattern of the policy file: a wildcard corsc
    renders so, else the regex (kept a regex: a pattern's kind decides its specificity)."""
    return corsc_pattern(text) or f"regex:{text}"


def _denied(text: str) -> str:
    exact = literal(text)
    return exact if exact is not None else _allowed(text)


def _grant(grant: dict[str, Any]) -> dict[str, Any]:
    """A grant as sent, in the policy file's keys."""
    expose = grant["expose"]
    table: dict[str, Any] = {
        "methods": "*" if grant["methods"] is None else grant["methods"],
        "headers": "*" if grant["headers"] is None else grant["headers"],
        "expose": "*" if expose == "*" else names(expose or ""),
        "credentials": grant["credentials"],
        "private-network": grant["privateNetwork"],
    }
    if grant["maxAge"] is not None:
        table["max-age"] = grant["maxAge"]
    return table


def _specificity(pattern: str) -> tuple[int, int]:
    """The order the plan keeps among list items (an exact origin, a subdomain wildcard with
    the longer base first, a port wildcard, a regex, ``*``)."""
    if pattern.startswith("regex:"):
        return (3, 0)
    if pattern == "*":
        return (4, 0)
    if "://*." in pattern:
        return (1, -len(pattern.split("://*.", 1)[1]))
    return (2, 0) if pattern.endswith(":*") else (0, 0)


def _table(policy: dict[str, Any]) -> dict[str, Any]:
    """One policy of ``POLICIES`` as a ``[[policy]]`` table of the policy file."""
    entries: list[tuple[str, int]] = []
    for run in policy["allow"]:
        if "exact" in run:
            entries += [(origin, number) for origin, number in run["exact"]]
        elif run["regex"] == _ANY:
            entries.append(("*", run["grant"]))
        else:
            entries += [(_allowed(body), run["grant"]) for body in _union(run["regex"])]
    grants = [_grant(grant) for grant in policy["grants"]]
    main = entries[-1][1] if entries else 0
    # The list items: the longest run of the main grant at the end that is in order of
    # specificity; the entries before it are origin blocks (which the plan orders first).
    split = len(entries)
    while (
        split > 0
        and entries[split - 1][1] == main
        and (
            split == len(entries)
            or _specificity(entries[split - 1][0]) <= _specificity(entries[split][0])
        )
    ):
        split -= 1
    table: dict[str, Any] = {
        "name": policy["name"],
        "paths": policy["prefixes"],
        "origins": [pattern for pattern, _ in entries[split:]],
        "deny": [_denied(body) for body in _union(policy["deny"])] if policy["deny"] else [],
        **grants[main],
        "unlisted": "reject" if policy["reject"] else "pass",
        "preflight-status": policy["preflightStatus"],
    }
    if policy["static"] is not None:
        table["static-origin"] = policy["static"]
    blocks = [{"origin": pattern, **grants[number]} for pattern, number in entries[:split]]
    if blocks:
        table["origin"] = blocks
    return table


def read(findings: Findings, tree: Node, data: Node) -> list[Draft]:
    """The policies of a module the express target wrote (``data`` is its ``POLICIES``)."""
    from corsc.runtime.reader import PolicyFileError, read_data

    value = Values(tree).value(data)
    try:
        if value is UNKNOWN or not isinstance(value, list):
            raise ValueError("`POLICIES` is not a literal array")
        policy_set = read_data(
            {"format": 1, "policy": [_table(policy) for policy in value]}, findings.source.name
        )
    except (PolicyFileError, ValueError, KeyError, TypeError, IndexError) as problem:
        flag(
            findings,
            d.IMPORT_UNREADABLE,
            data,
            f"this is not policy data corsc's express target writes: {problem}",
            "import the policy it was compiled from instead, or compile it again",
        )
        return []
    _compare(findings, policy_set)
    return [draft_of(policy, findings.source) for policy in policy_set.policies]


def _compare(findings: Findings, policy_set: PolicySet) -> None:
    """CORS703 at the first line where the module differs from what the express target writes
    for the policies read back (the first line, which names the corsc version, aside)."""
    from corsc.backends import EmitOptions, get

    options = EmitOptions(__version__, findings.source.name, "express", {})
    (output,) = get("express").emit(policy_set, options)
    theirs = findings.source.text.split("\n")
    ours = output.content.split("\n")
    for number, (line, expected) in enumerate(zip(theirs, ours, strict=False), 1):
        if number > 1 and line.rstrip("\r") != expected:
            break
    else:
        if len(theirs) == len(ours):
            return
        number = min(len(theirs), len(ours)) + 1
    findings.at_line(
        d.IMPORT_NOT_EXPRESSED,
        number,
        "this module is not what corsc's express target writes for the policies its "
        "`POLICIES` data holds (edited data or an edited middleware), so the imported policy "
        "may not mean what the module does",
        "compare it with `corsc compile --target express` of the imported policy",
    )
