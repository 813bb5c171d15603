"""What the searches over a regex's automaton share: components and reachability, the text a
breadth-first search read, and which character stands for a class in an example.
"""

from __future__ import annotations

import string
from typing import TypeVar

#: The character a class contributes to a sample or a witness: the first of these it admits.
PREFERRED = string.ascii_lowercase + "123456789" + "0" + "-" + string.ascii_uppercase


def preferred(chars: frozenset[str]) -> str:
    """The character that stands for ``chars`` (never empty) in an example."""
    return next((char for char in PREFERRED if char in chars), min(chars))


def reachable(start: int, successors: list[list[int]]) -> set[int]:
    """Positions reachable from ``start`` by one or more edges."""
    seen: set[int] = set()
    stack = list(successors[start])
    while stack:
        position = stack.pop()
        if position not in seen:
            seen.add(position)
            stack.extend(successors[position])
    return seen


_Step = TypeVar("_Step")


def read_back(parents: dict[_Step, tuple[_Step, str] | None], goal: _Step) -> str:
    """The text a breadth-first search read from its start to ``goal``: each state's parent
    and the character read to reach it, followed back to the start (which has none)."""
    text: list[str] = []
    step = parents[goal]
    while step is not None:
        previous, char = step
        text.append(char)
        step = parents[previous]
    return "".join(reversed(text))


def strongly_connected(arcs: list[list[tuple[int, bool]]]) -> list[list[int]]:
    """Tarjan's algorithm without recursion (the graph may be deep)."""
    order: list[int] = [-1] * len(arcs)
    low: list[int] = [0] * len(arcs)
    on_stack = [False] * len(arcs)
    stack: list[int] = []
    components: list[list[int]] = []
    counter = 0
    for root in range(len(arcs)):
        if order[root] != -1:
            continue
        work = [(root, 0)]
        while work:
            node, next_arc = work.pop()
            if next_arc == 0:
                order[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack[node] = True
            if next_arc < len(arcs[node]):
                work.append((node, next_arc + 1))
                target = arcs[node][next_arc][0]
                if order[target] == -1:
                    work.append((target, 0))
                elif on_stack[target]:
                    low[node] = min(low[node], order[target])
                continue
            if low[node] == order[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack[member] = False
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return components
