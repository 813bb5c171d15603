"""What the readers of a web.config share: the scope settings apply to, a finding at a node, the
max-age and the booleans IIS writes, and how entries with their grants become a policy's
statements.

A finding's offsets are the scanned text's plus the length of the byte-order mark the scan did
not see (:class:`Flag`), so every finding points into the imported file as it was given.
"""

from __future__ import annotations

from attrs import define, field, frozen

from corsc import diagnostics as d
from corsc.backends.iis_scan import Node
from corsc.imports.draft import Draft, Findings, Grant
from corsc.records import fields_repr


@define
class Scope:
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


@frozen
class Flag:
    """Findings at nodes of the scanned text, which starts ``shift`` characters into the
    imported file."""

    __repr__ = fields_repr

    findings: Findings
    shift: int

    def __call__(self, kind: d.Kind, node: Node, message: str, help: str) -> None:
        self.findings.add(kind, node.start + self.shift, node.open_end + self.shift, message, help)


def seconds(flag: Flag, value: str, node: Node) -> int | None:
    if value.isdigit():
        return int(value)
    flag(
        d.IMPORT_INVALID_VALUE,
        node,
        f"max-age `{value}` is not a whole number of seconds; browsers ignore it",
        "write a number of seconds; the imported policy sends no max-age",
    )
    return None


def assign(draft: Draft, grants: list[tuple[str, Grant]]) -> None:
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


def rule_conditions(rule: Node) -> list[Node]:
    conditions = rule.find("conditions")
    return list(conditions.elements("add")) if conditions is not None else []


def is_true(value: str) -> bool:
    return value.strip().lower() == "true"
