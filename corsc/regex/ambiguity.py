"""Ambiguity: the regexes whose backtracking matching could take more than linear time.

Refused: a repetition of something that can match the same text in more than one way
(``(a+)+``, ``(a|a)*``, ``(\\d+\\.?)+``: exponential), and two repetitions one after the other
that can split the same text between them (``[a-z]+[a-z]+``, ``\\d+\\d*``, ``.*.*``:
polynomial, each such pair multiplying the work by the length of the Origin). Both are decided
on the position automaton: two different paths that read the same text and meet again inside
one cycle (exponential degree of ambiguity), or a text that leads from a position p back to p,
from p to a position q of a later cycle, and from q back to q (infinite degree of ambiguity).
Counted repetitions are unrolled (:mod:`corsc.regex.automaton`); unrolled copies are acyclic, so
their ambiguity is finite, but it can be exponential in the count (``([a-z]{1,4}){1,16}``): a
regex whose automaton reads one text along more than 64 paths is refused. A regex too large
for the search's budget is refused as too complex to check.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from corsc.regex.automaton import Automaton
from corsc.regex.search import PREFERRED, preferred, reachable, read_back, strongly_connected
from corsc.regex.tree import PRINTABLE, Node, RegexIssue, Repeat

#: Pairs of positions the exponential-time check may visit before it gives up.
_MAX_PAIRS = 50_000


class _TooComplex(Exception):
    """A search ran past its budget: the regex is too complex to check."""


def _exponential_loops(automaton: Automaton) -> list[Repeat]:
    """The innermost repetitions inside which two different paths read the same text from a
    position back to itself (Weber and Seidl's criterion for exponential ambiguity). A
    repetition that holds a reported one is not reported again. Raises ``_TooComplex`` when
    the pairs to visit exceed the budget."""
    budget = [_MAX_PAIRS]
    reported: list[tuple[range, Repeat]] = []
    by_size = sorted(enumerate(automaton.loops), key=lambda item: len(item[1][0]))
    for number, (positions, node, _) in by_size:
        if any(
            positions.start <= inner.start and inner.stop <= positions.stop for inner, _ in reported
        ):
            continue
        edges = automaton.edges_within(positions, number + 1)
        if _double_cycle(automaton.chars, positions, edges, budget):
            reported.append((positions, node))
    return [node for _, node in sorted(reported, key=lambda loop: loop[0].start)]


def _double_cycle(
    chars: list[frozenset[str]],
    positions: range,
    edges: Counter[tuple[int, int]],
    budget: list[int],
) -> bool:
    """Whether two different paths among ``positions`` read the same text from a position
    back to itself, using only ``edges`` (those made inside the repetition).

    Pairs of positions are walked from every (p, p); the paths diverge at a pair (p, q) with
    p ≠ q, or where both take different parallel edges between the same positions. A strongly
    connected set of pairs that holds a (p, p) and a divergence is such a double cycle.
    """
    successors: dict[int, list[tuple[int, int]]] = {p: [] for p in positions}
    for (p, q), count in edges.items():
        successors[p].append((q, count))
    index: dict[tuple[int, int], int] = {}
    pairs: list[tuple[int, int]] = []
    arcs: list[list[tuple[int, bool]]] = []

    def visit(pair: tuple[int, int]) -> int:
        if pair not in index:
            budget[0] -= 1
            if budget[0] < 0:
                raise _TooComplex
            index[pair] = len(pairs)
            pairs.append(pair)
            arcs.append([])
        return index[pair]

    for position in positions:
        visit((position, position))
    done = 0
    while done < len(pairs):
        p, q = pairs[done]
        for p_next, p_count in successors[p]:
            for q_next, _ in successors[q]:
                if chars[p_next].isdisjoint(chars[q_next]):
                    continue
                parallel = p == q and p_next == q_next and p_count > 1
                arcs[done].append((visit((p_next, q_next)), parallel))
        done += 1
    for component in strongly_connected(arcs):
        members = set(component)
        diagonal = [m for m in members if pairs[m][0] == pairs[m][1]]
        if diagonal and (
            len(diagonal) < len(members)
            or any(parallel and target in members for m in members for target, parallel in arcs[m])
        ):
            return True
    return False


#: Triples of positions the polynomial-time check may visit before it gives up.
_MAX_TRIPLES = 200_000


@dataclass(frozen=True, slots=True)
class _Polynomial:
    """Two repetitions that can split one text between them in many ways: from ``first``,
    the text ``pump`` leads back to ``first``, on to ``second``, and from ``second`` back to
    ``second``. Text made of ``n`` copies of ``pump`` can then be split in ``n`` places, and a
    backtracking engine tries every split when the rest of the origin does not match."""

    first: int
    second: int
    pump: str


def _polynomial_pair(automaton: Automaton) -> _Polynomial | None:
    """Two positions in different cycles of the automaton with a text that reads from the
    first back to itself, from the first to the second, and from the second back to itself
    (infinite degree of ambiguity, the test of Weber and Seidl; within one cycle that would
    be exponential, which :func:`_exponential_loops` reports). The search walks triples of
    positions, each kept in the cycle or between the cycles it must stay in. Raises
    ``_TooComplex`` past the budget."""
    count = len(automaton.leaves)
    successors: list[list[int]] = [[] for _ in range(count)]
    for p, q in automaton.edges:
        successors[p].append(q)
    arcs = [[(q, False) for q in targets] for targets in successors]
    component = [0] * count
    cyclic: list[bool] = []
    for number, members in enumerate(strongly_connected(arcs)):
        for member in members:
            component[member] = number
        cyclic.append(len(members) > 1 or members[0] in successors[members[0]])
    reach = [reachable(p, successors) for p in range(count)]
    budget = _MAX_TRIPLES
    chars = automaton.chars
    for p in range(count):
        if not cyclic[component[p]]:
            continue
        for q in sorted(reach[p]):
            if component[q] == component[p] or not cyclic[component[q]]:
                continue
            between = {y for y in reach[p] if q in reach[y]}
            start, goal = (p, p, q), (p, q, q)
            parents: dict[tuple[int, int, int], tuple[tuple[int, int, int], str] | None] = {
                start: None
            }
            queue = [start]
            for x, y, z in queue:
                for x_next in successors[x]:
                    if component[x_next] != component[p]:
                        continue
                    for y_next in successors[y]:
                        if y_next not in between:
                            continue
                        common = chars[x_next] & chars[y_next]
                        if not common:
                            continue
                        for z_next in successors[z]:
                            shared = common & chars[z_next]
                            if component[z_next] != component[q] or not shared:
                                continue
                            triple = (x_next, y_next, z_next)
                            if triple in parents:
                                continue
                            budget -= 1
                            if budget < 0:
                                raise _TooComplex
                            parents[triple] = ((x, y, z), preferred(shared))
                            if triple == goal:
                                return _Polynomial(p, q, read_back(parents, goal))
                            queue.append(triple)
    return None


#: Ways of reading one text past which bounded repetitions are refused: ``(a|a){2,5}`` reads
#: ``aaaaa`` in 32, ``([a-z]{1,4}){1,16}`` a 43-character text in billions.
_MAX_WAYS = 64
#: Work (sets of positions with their counts, times the edges followed) for that search.
_MAX_WAYS_WORK = 2_000_000
_NO_POSITION = -1


def _many_ways(automaton: Automaton) -> str | None:
    """A text the automaton can read along more than :data:`_MAX_WAYS` paths from its start,
    or ``None``. A backtracking engine follows every one of them when the rest of the origin
    does not match. The checks above catch ambiguity that grows with the text; this one the
    ambiguity that grows with a count (unrolled, each copy acyclic), which is finite but can be
    exponential in the count. Breadth first over the sets of positions reached, each with the
    number of paths to it (capped), one class of characters the positions tell apart at a
    time. Raises ``_TooComplex`` past the budget."""
    count = len(automaton.leaves)
    successors: list[list[tuple[int, int]]] = [[] for _ in range(count)]
    for (p, q), multiplicity in automaton.edges.items():
        successors[p].append((q, multiplicity))
    first = list(automaton.root.first.items())
    classes: dict[frozenset[int], str] = {}
    for char in sorted(PRINTABLE, key=lambda c: (PREFERRED.find(c) % len(PRINTABLE), c)):
        readers = frozenset(q for q in range(count) if char in automaton.chars[q])
        if readers:
            classes.setdefault(readers, char)
    cap = _MAX_WAYS + 1
    start: tuple[tuple[int, int], ...] = ((_NO_POSITION, 1),)
    parents: dict[tuple[tuple[int, int], ...], tuple[tuple[tuple[int, int], ...], str] | None]
    parents = {start: None}
    queue = [start]
    work = 0
    for state in queue:
        for readers, char in classes.items():
            reached: dict[int, int] = {}
            for p, ways in state:
                targets = first if p == _NO_POSITION else successors[p]
                work += len(targets)
                for q, multiplicity in targets:
                    if q in readers:
                        reached[q] = min(reached.get(q, 0) + ways * multiplicity, cap)
            if work > _MAX_WAYS_WORK:
                raise _TooComplex
            if not reached:
                continue
            following = tuple(sorted(reached.items()))
            if following in parents:
                continue
            parents[following] = (state, char)
            if sum(reached.values()) > _MAX_WAYS:
                return read_back(parents, following)
            queue.append(following)
    return None


def _enclosing_repeat(node: Node, parents: dict[Node, Node]) -> Node:
    """The innermost unbounded-or-counted repetition holding ``node``, else ``node``."""
    current: Node | None = node
    while current is not None:
        if isinstance(current, Repeat) and current.max != 1:
            return current
        current = parents.get(current)
    return node


def ambiguity_issues(body: str, automaton: Automaton) -> list[RegexIssue]:
    """The issues of ``body`` (whose position automaton is ``automaton``) that say its
    matching could take more than linear time, or that it is too complex to tell; empty when
    matching it is linear. Exponential repetitions are looked for first; only a regex free of
    them is searched for polynomial pairs, and only one free of those for counted repetitions
    read in too many ways."""
    issues: list[RegexIssue] = []
    try:
        loops = _exponential_loops(automaton)
    except _TooComplex:
        return [_too_complex(body)]  # the later searches are no cheaper
    if not loops:
        try:
            polynomial = _polynomial_pair(automaton)
        except _TooComplex:
            issues.append(_too_complex(body))
            polynomial = None
        if polynomial is not None:
            issues.append(_polynomial_issue(body, automaton, polynomial))
        else:
            issues.extend(_ways_issues(body, automaton))
    for loop in loops:
        text = body[loop.start : loop.end]
        issues.append(
            RegexIssue(
                "unsupported",
                loop.start,
                loop.end,
                f"`{text}` is not supported: it can match the same text in more than one "
                "way, which takes exponential time on origins that almost match",
                "make each repetition end with a character nothing else inside it "
                "matches, as in `(?:[a-z0-9-]+\\.)+`",
            )
        )
    return issues


def _too_complex(body: str) -> RegexIssue:
    """The issue for a regex one of the searches gave up on."""
    return RegexIssue(
        "unsupported",
        0,
        len(body),
        "the regex is too complex for corsc to check how long matching takes",
        "split it into several `regex` entries",
    )


def _ways_issues(body: str, automaton: Automaton) -> list[RegexIssue]:
    """The issue for counted repetitions that read one text in too many ways, if any."""
    try:
        text = _many_ways(automaton)
    except _TooComplex:
        return [_too_complex(body)]
    if text is None:
        return []
    return [
        RegexIssue(
            "unsupported",
            0,
            len(body),
            f"the counted repetitions can read text such as `{text}` in more than "
            f"{_MAX_WAYS} ways, which takes exponential time on origins that almost match",
            "lower the counts, or make each repetition end with a character nothing else "
            "inside it matches, as in `(?:[a-z0-9-]{1,63}\\.){1,4}`",
        )
    ]


def _polynomial_issue(body: str, automaton: Automaton, found: _Polynomial) -> RegexIssue:
    """The issue for a polynomial pair: it spans both repetitions and shows a pumped text."""
    first = _enclosing_repeat(automaton.leaves[found.first], automaton.parents)
    second = _enclosing_repeat(automaton.leaves[found.second], automaton.parents)
    start, end = min(first.start, second.start), max(first.end, second.end)
    pump = found.pump
    return RegexIssue(
        "unsupported",
        start,
        end,
        f"`{body[start:end]}` is not supported: `{body[first.start : first.end]}` and "
        f"`{body[second.start : second.end]}` can split text such as `{pump * 3}` between "
        "them in many ways, which takes polynomial time on origins that almost match",
        "let one repetition read what the other cannot, as in `[a-z0-9-]+\\.[a-z0-9-]+`, "
        "or merge them into one",
    )
