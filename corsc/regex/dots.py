"""Unescaped dots: a ``.`` among host-name literals almost always means a dot, and matches any
character (``api.example`` admits ``apixexample``).
"""

from __future__ import annotations

import string
from collections.abc import Iterable

from corsc.regex.automaton import Automaton
from corsc.regex.tree import Alt, AnyChar, Group, Literal, Node, RegexIssue, Repeat, Seq, children

_HOST_LITERALS = frozenset(string.ascii_letters + string.digits + "-")


def dot_issues(body: str, automaton: Automaton) -> list[RegexIssue]:
    """An ``unescaped-dot`` issue for each :func:`unescaped_dots` of ``body``, in order."""
    dots = unescaped_dots(automaton)
    return [_dot_issue(body, dot, dots) for dot in dots]


def unescaped_dots(automaton: Automaton) -> list[AnyChar]:
    """``.`` that is not repeated and stands between host-name characters, at least one of
    them a literal: ``api.example``, ``(?:www|api).example``, ``.*.example``."""
    predecessors: list[list[int]] = [[] for _ in automaton.leaves]
    successors: list[list[int]] = [[] for _ in automaton.leaves]
    for p, q in automaton.edges:
        predecessors[q].append(p)
        successors[p].append(q)

    def literal(position: int) -> bool:
        leaf = automaton.leaves[position]
        return isinstance(leaf, Literal) and leaf.char in _HOST_LITERALS

    def hosty(position: int) -> bool:
        return bool(automaton.chars[position] & _HOST_LITERALS)

    found: list[AnyChar] = []
    for position, leaf in enumerate(automaton.leaves):
        if not isinstance(leaf, AnyChar) or _repeated(leaf, automaton.parents):
            continue
        before, after = predecessors[position], successors[position]
        if (any(map(literal, before)) and any(map(hosty, after))) or (
            any(map(literal, after)) and any(map(hosty, before))
        ):
            found.append(leaf)
    return found


def _repeated(node: Node, parents: dict[Node, Node]) -> bool:
    """Whether ``node`` is itself the thing a quantifier repeats (``.*``, ``(?:.)+``)."""
    parent = parents.get(node)
    while isinstance(parent, Group) or (
        isinstance(parent, Seq | Alt) and len(children(parent)) == 1
    ):
        node, parent = parent, parents.get(parent)
    return isinstance(parent, Repeat) and parent.max != 1


def _dot_issue(body: str, dot: AnyChar, dots: Iterable[AnyChar]) -> RegexIssue:
    """The issue for one unescaped dot, with an example built from the literal host text
    around it when there is some."""
    dot_starts = {other.start for other in dots}
    after: list[str] = []
    index = dot.end
    while index < len(body):
        if body.startswith("\\.", index):
            after.append(".")
            index += 2
        elif index in dot_starts or (body[index] in _HOST_LITERALS):
            after.append(body[index])
            index += 1
        else:
            break
    before: list[str] = []
    index = dot.start - 1
    while index >= 0:
        escaped = _escaped_at(body, index)
        if body[index] == "." and escaped:
            before.append(".")
            index -= 2
        elif (index in dot_starts or body[index] in _HOST_LITERALS) and not escaped:
            before.append(body[index])
            index -= 1
        else:
            break
    left, right = "".join(reversed(before)), "".join(after)
    message = "this `.` matches any character, not only a dot"
    if left and right:
        message += f": `{left}.{right}` also admits `{left}x{right}`"
    return RegexIssue("unescaped-dot", dot.start, dot.end, message, "write `\\.` to match a dot")


def _escaped_at(text: str, index: int) -> bool:
    """Whether the character at ``index`` follows an odd number of backslashes."""
    backslashes = 0
    while index - backslashes > 0 and text[index - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1
