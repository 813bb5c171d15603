"""What a policy's denies cover: which allow entries they make unreachable and which denies
remove some allowed origin. Pure: the checks in ``corsc.checks.deny`` report from it, and the
checks of each entry skip what it finds unreachable.

Whether a deny makes an entry unreachable is decided structurally, by one deny containing the
entry; a regex entry is judged by its sample origins. One pass over the entries, each looked
up in an index of the (few) denies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from attrs import field, frozen

from corsc.checks.index import Index
from corsc.ir import AllowEntry, OriginPattern, PatternKind, Policy
from corsc.records import fields_repr

if TYPE_CHECKING:
    from corsc.checks.compiled import Regexes


@frozen
class DeniedRegex:
    """A regex entry every sample origin of which some deny admits.

    ``samples`` are the origins tried, in :func:`corsc.regex.sample_origins` order;
    ``deniers`` the positions of the denies that explain it: for each sample the first deny
    the index finds matching it (an exact deny before a wildcard over it), each once, in the
    order found."""

    __repr__ = fields_repr

    position: int
    samples: tuple[str, ...]
    deniers: tuple[int, ...]


@frozen
class Reach:
    """The denies' effect on one policy.

    ``denied`` maps the position of each unreachable entry to the first deny (by position)
    containing it. ``used`` holds the positions of denies known to remove some allowed
    origin. ``regex_entries`` and ``wildcard_entries`` say whether the policy has entries
    whose overlap with a deny the index cannot decide (a regex entry with a wildcard deny; a
    wildcard or regex entry with a regex deny): such denies are given the benefit of the
    doubt. With no entries or no denies, everything is empty."""

    __repr__ = fields_repr

    denied: dict[int, int] = field(factory=dict)
    used: frozenset[int] = frozenset()
    regex_entries: bool = False
    wildcard_entries: bool = False
    denied_regexes: tuple[DeniedRegex, ...] = ()


def reach(policy: Policy, regexes: Regexes) -> Reach:
    """What ``policy``'s denies cover."""
    denies = policy.denies
    if not policy.entries or not denies:
        return Reach()
    index = Index(range(len(denies)), denies.__getitem__, regexes)
    denied: dict[int, int] = {}
    used: set[int] = set()
    denied_regexes: list[DeniedRegex] = []
    regex_entries = wildcard_entries = False
    for position, entry in enumerate(policy.entries):
        pattern = entry.pattern
        kind = pattern.kind
        if kind is PatternKind.ANY:
            used.update(range(len(denies)))
        elif kind is PatternKind.REGEX:
            regex_entries = True
            used.update(_single_denies_admitted(pattern, denies, regexes))
            found = _denied_samples(position, entry, index, regexes, used)
            if found is not None:
                denied_regexes.append(found)
        elif kind in (PatternKind.EXACT, PatternKind.NULL):
            hits = list(index.admitting(pattern))
            used.update(hits)
            if hits:
                denied[position] = min(hits)  # the first in the file explains it
        else:
            wildcard_entries = True
            used.update(index.overlapping(pattern))
            container = min(index.containing(pattern), default=None)
            if container is not None:
                denied[position] = container
    return Reach(denied, frozenset(used), regex_entries, wildcard_entries, tuple(denied_regexes))


def _single_denies_admitted(
    pattern: OriginPattern, denies: tuple[OriginPattern, ...], regexes: Regexes
) -> list[int]:
    """The positions of the single-origin denies that the regex entry ``pattern`` admits."""
    match = regexes.matcher(pattern)
    if match is None:
        return []
    return [
        position
        for position, deny in enumerate(denies)
        if deny.kind in (PatternKind.EXACT, PatternKind.NULL) and match(deny.canonical)
    ]


def _denied_samples(
    position: int, entry: AllowEntry, denies: Index[int], regexes: Regexes, used: set[int]
) -> DeniedRegex | None:
    """The regex entry at ``position`` if every sample origin it admits is denied, else
    ``None``; the denies that match a sample are added to ``used`` either way."""
    from corsc import regex  # slow to import; only regexes need it

    if regexes.matcher(entry.pattern) is None:
        return None
    samples = regex.sample_origins(entry.pattern.regex)
    matched: dict[int, None] = {}  # deny positions, in the order found
    every = True
    for sample in samples:
        hits = list(denies.admitting_text(sample, entry.pattern.span))
        used.update(hits)
        matched.update(dict.fromkeys(hits[:1]))
        every = every and bool(hits)
    if not samples or not every:
        return None
    return DeniedRegex(position, tuple(samples), tuple(matched))
