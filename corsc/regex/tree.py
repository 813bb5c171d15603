"""The tree of a regex body, what its issues look like, and the characters an origin is made of.

Every node knows where it stands in the body (``start`` and ``end``, offsets into the text the
user wrote), so each issue can point at the part it is about. Nodes compare by identity: two
equal literals at different offsets are different positions of the automaton. Nothing here
imports more than the standard library: every other module of the package builds on it.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import TypeAlias

#: What an origin is made of; ``.`` and negated classes are rendered as subsets of it.
PRINTABLE = frozenset(chr(code) for code in range(0x21, 0x7F))
DIGITS = frozenset(string.digits)
ALNUM = frozenset(string.ascii_letters + string.digits)


@dataclass(frozen=True, slots=True)
class RegexIssue:
    """A problem with a regex body. ``kind`` is ``invalid`` (not a regex at all),
    ``unsupported`` (outside the portable subset) or ``unescaped-dot`` (a ``.`` among host-name
    literals). ``start`` and ``end`` are offsets into the body; ``message`` and ``help`` are
    shown to the user as they are."""

    kind: str
    start: int
    end: int
    message: str
    help: str


@dataclass(frozen=True, eq=False, slots=True)
class Literal:
    """One character, written as itself or escaped (``a``, ``\\.``, ``\\x61``)."""

    char: str
    start: int
    end: int


@dataclass(frozen=True, eq=False, slots=True)
class CharClass:
    """A class, ``\\d``, or a placeholder; ``chars`` is the set admitted (never empty)."""

    chars: frozenset[str]
    start: int
    end: int


@dataclass(frozen=True, eq=False, slots=True)
class AnyChar:
    """``.``: any character an origin can contain (:data:`PRINTABLE`)."""

    start: int
    end: int


@dataclass(frozen=True, eq=False, slots=True)
class Group:
    """``( )`` or ``(?: )``: both only group, nothing in corsc reads a capture."""

    body: Node
    start: int
    end: int


@dataclass(frozen=True, eq=False, slots=True)
class Seq:
    """Items one after the other; empty where the body (or a group, or an option) is."""

    items: tuple[Node, ...]
    start: int
    end: int


@dataclass(frozen=True, eq=False, slots=True)
class Alt:
    """Options separated by ``|``, at least two."""

    options: tuple[Node, ...]
    start: int
    end: int


@dataclass(frozen=True, eq=False, slots=True)
class Repeat:
    """``body`` is a literal, class, ``.`` or group; ``max`` is ``None`` when unbounded."""

    body: Node
    min: int
    max: int | None
    start: int
    end: int


#: Any node of the tree.
Node: TypeAlias = Literal | CharClass | AnyChar | Group | Seq | Alt | Repeat
#: A node that reads one character: a position of the automaton.
Leaf: TypeAlias = Literal | CharClass | AnyChar


def children(node: Node) -> tuple[Node, ...]:
    """The nodes directly inside ``node``, in the order they are written."""
    if isinstance(node, Group | Repeat):
        return (node.body,)
    if isinstance(node, Seq):
        return node.items
    if isinstance(node, Alt):
        return node.options
    return ()
