"""The position (Glushkov) automaton of a regex tree: the machine every analysis runs on.

A position is one leaf of the tree; an edge p → q means q may read the character after p. A
counted repetition ``{m,n}`` whose copies (nested counts unrolled too) hold up to
:data:`_MAX_UNROLLED` positions is unrolled, as engines count, so it is judged exactly
(``[a-z]{1,3}[a-z]+`` is linear); a larger count is analysed as if it were unbounded, which may
refuse a harmless one. A regex with more than :data:`MAX_EXPANDED` positions with every count
written out is refused before anything analyses or renders it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from corsc.regex.tree import (
    PRINTABLE,
    Alt,
    AnyChar,
    CharClass,
    Group,
    Leaf,
    Literal,
    Node,
    Repeat,
    Seq,
    children,
)


def _capped(count: int) -> int:
    """``count``, at most 2: only "once" and "more than once" matter to the analyses."""
    return min(count, 2)


@dataclass(slots=True)
class _Fragment:
    """What the automaton knows of a subtree: in how many ways it matches the empty string,
    and the positions where its matches start and end, each with its number of ways (all
    counts capped at two)."""

    nullable: int
    first: Counter[int]
    last: Counter[int]


def _scaled(counter: Counter[int], factor: int) -> Counter[int]:
    """Each count times ``factor`` (capped); no key at all when ``factor`` is zero."""
    return Counter({key: _capped(count * factor) for key, count in counter.items() if factor})


def _merged(left: Counter[int], right: Counter[int]) -> Counter[int]:
    """The counts of both, added (capped)."""
    merged = Counter(left)
    for key, count in right.items():
        merged[key] = _capped(merged[key] + count)
    return merged


class Automaton:
    """The position (Glushkov) automaton of a tree, with edge multiplicities.

    A position is one leaf; an edge p → q means q may read the character after p. An edge is
    counted once per way the tree produces it, so ``(a+)+`` has the edge a → a twice: a
    backtracking engine tries both. Positions of a subtree are numbered contiguously, so a
    repetition is known by the range of positions it holds. ``links`` are the edges within
    sequences, ``loops`` each repetition with its range and the edges back to its start.
    """

    def __init__(self, root: Node) -> None:
        self.leaves: list[Leaf] = []
        self.chars: list[frozenset[str]] = []
        self.links: Counter[tuple[int, int]] = Counter()
        self.loops: list[tuple[range, Repeat, Counter[tuple[int, int]]]] = []
        self.parents: dict[Node, Node] = {}
        #: The whole regex: where a match may start and end, and whether it may be empty.
        self.root = self.build(root)
        self.edges = self.edges_within(range(len(self.leaves)), len(self.loops))

    def edges_within(self, positions: range, loops: int) -> Counter[tuple[int, int]]:
        """The edges among ``positions`` made by sequences and by the first ``loops``
        repetitions (repetitions are listed inner before outer)."""
        edges = Counter(
            {
                (p, q): count
                for (p, q), count in self.links.items()
                if p in positions and q in positions
            }
        )
        for inner, _, back in self.loops[:loops]:
            if positions.start <= inner.start and inner.stop <= positions.stop:
                for edge, count in back.items():
                    edges[edge] = _capped(edges[edge] + count)
        return edges

    def build(self, node: Node) -> _Fragment:
        """Number the positions of ``node``, record its edges, and return its fragment."""
        if isinstance(node, Literal | CharClass | AnyChar):
            position = len(self.leaves)
            self.leaves.append(node)
            if isinstance(node, Literal):
                self.chars.append(frozenset(node.char))
            else:
                self.chars.append(node.chars if isinstance(node, CharClass) else PRINTABLE)
            return _Fragment(0, Counter({position: 1}), Counter({position: 1}))
        for child in children(node):
            self.parents[child] = node
        if isinstance(node, Group):
            return self.build(node.body)
        if isinstance(node, Seq):
            result = _EMPTY
            for item in node.items:
                result = self.concat(result, self.build(item))
            return result
        if isinstance(node, Alt):
            result = _Fragment(0, Counter(), Counter())
            for option in node.options:
                fragment = self.build(option)
                result = _Fragment(
                    _capped(result.nullable + fragment.nullable),
                    _merged(result.first, fragment.first),
                    _merged(result.last, fragment.last),
                )
            return result
        return self.repeat(node)

    def concat(self, left: _Fragment, right: _Fragment) -> _Fragment:
        """``left`` followed by ``right``: the edges between them, and their fragment."""
        _link(self.links, left.last, right.first)
        return _Fragment(
            _capped(left.nullable * right.nullable),
            _merged(left.first, _scaled(right.first, left.nullable)),
            _merged(right.last, _scaled(left.last, right.nullable)),
        )

    def repeat(self, node: Repeat) -> _Fragment:
        """A repetition: ``?``, a loop for ``*`` and ``+``, and ``{m,n}`` unrolled as
        ``x…x(x(x)?)?`` (``{m,}`` as ``x…xx*``), which is how engines count, so a bounded
        repetition of something ambiguous is not mistaken for an exponential one. Large counts
        are analysed as loops (the module's docstring)."""
        unroll = _unrolls(node)
        if node.max == 1 or not unroll:
            low = len(self.leaves)
            body = self.build(node.body)
            if node.max != 1:
                back: Counter[tuple[int, int]] = Counter()
                _link(back, body.last, body.first)
                self.loops.append((range(low, len(self.leaves)), node, back))
            # Engines do not repeat an iteration that matched nothing, so only skipping the
            # body adds a way to match the empty string.
            return _optional(body) if node.min == 0 else body
        result = _EMPTY
        for _ in range(node.min):
            result = self.concat(result, self.build(node.body))
        if node.max is None:
            return self.concat(result, self.repeat(Repeat(node.body, 0, None, 0, 0)))
        optional = [self.build(node.body) for _ in range(node.max - node.min)]
        tail = _EMPTY
        for fragment in reversed(optional):
            tail = _optional(self.concat(fragment, tail))
        return self.concat(result, tail)


_EMPTY = _Fragment(1, Counter(), Counter())
#: Largest number of positions a counted repetition is unrolled into.
_MAX_UNROLLED = 64
#: Largest size of a regex with all its counted repetitions written out (:func:`expanded_size`):
#: past it, a regex is refused before anything analyses or renders it.
MAX_EXPANDED = 10_000


def _optional(fragment: _Fragment) -> _Fragment:
    """``fragment`` that may also be skipped: one more way to match the empty string."""
    return _Fragment(_capped(fragment.nullable + 1), fragment.first, fragment.last)


def _copies(node: Repeat) -> int:
    """How many copies of its body a counted repetition is unrolled into."""
    return node.min + 1 if node.max is None else node.max


def _unrolls(node: Repeat) -> bool:
    """Whether the automaton unrolls a counted repetition: its copies, each of its body's
    own unrolled size, stay within :data:`_MAX_UNROLLED` positions."""
    return _unrolls_body(node, _unrolled_size(node.body))


def _unrolls_body(node: Repeat, body: int) -> bool:
    """:func:`_unrolls`, for a body already known to take ``body`` positions."""
    return (node.min, node.max) not in ((0, None), (1, None)) and (
        _copies(node) * body <= _MAX_UNROLLED
    )


def _unrolled_size(node: Node) -> int:
    """The positions the automaton gives ``node``: a counted repetition is unrolled only
    while its copies, each of its body's own unrolled size, stay within the budget; else its
    body appears once, as a loop. So nesting never multiplies positions past the budget."""
    if isinstance(node, Literal | CharClass | AnyChar):
        return 1
    if isinstance(node, Repeat):
        body = _unrolled_size(node.body)
        return _copies(node) * body if node.max != 1 and _unrolls_body(node, body) else body
    return sum(map(_unrolled_size, children(node)))


def expanded_size(node: Node) -> int:
    """The size of ``node`` with every counted repetition written out, however large: what
    rendering a ``deny`` with a dot after the host (:func:`render_dotted`) costs."""
    if isinstance(node, Literal | CharClass | AnyChar):
        return 1
    if isinstance(node, Repeat):
        return max(_copies(node), 1) * expanded_size(node.body)
    return sum(map(expanded_size, children(node)))


def _link(edges: Counter[tuple[int, int]], lasts: Counter[int], firsts: Counter[int]) -> None:
    """Add an edge from each of ``lasts`` to each of ``firsts``, counted once per way."""
    for p, p_count in lasts.items():
        for q, q_count in firsts.items():
            edges[p, q] = _capped(edges[p, q] + p_count * q_count)
