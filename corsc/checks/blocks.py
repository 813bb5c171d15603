"""Checks of `origin` blocks against one another (CORS511): two blocks that can match the same
origin but grant different things, where only the more specific one applies.

Pairs are found from the narrower side of each (an exact origin looks up the wildcards over
it, a regex its sample origins) through an index, never by comparing every pair.
"""

from __future__ import annotations

from collections.abc import Iterator

from corsc import diagnostics as d
from corsc import origins
from corsc.checks.context import PolicyContext, shown
from corsc.checks.index import Index, Ports
from corsc.ir import AllowEntry, Grant, PatternKind, Setting, TokenList

#: Grant fields as the language spells them, for "differ in …".
_GRANT_FIELDS = (
    ("methods", "methods"),
    ("headers", "headers"),
    ("expose", "expose"),
    ("credentials", "credentials"),
    ("max_age", "max-age"),
    ("private_network", "private-network"),
)


def overlapping_blocks(context: PolicyContext) -> None:
    """CORS511 for each pair of blocks that overlap and differ in meaning, reported at the
    later one."""
    if len(context.blocks) < 2:
        return
    index = Index(context.blocks, lambda entry: entry.pattern, context.regexes)
    reported: set[tuple[int, int]] = set()  # pairs of blocks, by where they start
    for block in context.blocks:
        for other in _broader_blocks(context, block, index):
            _overlap(context, block, other, reported)


def _broader_blocks(
    context: PolicyContext, block: AllowEntry, index: Index[AllowEntry]
) -> Iterator[AllowEntry]:
    """Blocks matching some origin ``block`` matches, found from the narrower side of each
    pair (an exact origin looks up the wildcards over it, a regex its samples)."""
    from corsc import regex  # slow to import; only regexes need it

    pattern = block.pattern
    kind = pattern.kind
    if kind in (PatternKind.EXACT, PatternKind.NULL):
        yield from index.admitting(pattern)
    elif kind is PatternKind.REGEX:
        if context.regexes.matcher(pattern) is not None:
            for sample in regex.sample_origins(pattern.regex):
                yield from index.admitting_text(sample, pattern.span)
    else:
        # Wildcards over this one's host or base, and blocks for its host or base that
        # share a port with it.
        yield from index.host_items(pattern, Ports.overlapping)


def _overlap(
    context: PolicyContext, block: AllowEntry, other: AllowEntry, reported: set[tuple[int, int]]
) -> None:
    """Report the pair once, if the blocks differ in meaning."""
    if other is block or other.pattern.canonical == block.pattern.canonical:
        return  # the same pattern twice is CORS105
    first, second = sorted((block, other), key=lambda entry: entry.span.start.offset)
    pair = (first.span.start.offset, second.span.start.offset)
    if pair in reported:
        return
    reported.add(pair)
    differences = _grant_differences(first.grant, second.grant)
    if not differences:
        return
    winner = min((first, second), key=lambda entry: origins.specificity(entry.pattern, True))
    context.report(
        d.OVERLAPPING_BLOCKS.at(
            second.span,
            f"the `origin` blocks for {shown(first.pattern)} and {shown(second.pattern)} "
            f"can match the same origin but differ in {', '.join(differences)}",
            f"an origin both match gets only the settings of {shown(winner.pattern)}; "
            "give each block every setting it needs, or make the patterns disjoint",
            related=[d.Related(first.span, "the other block")],
        )
    )


def _grant_differences(a: Grant, b: Grant) -> list[str]:
    """The settings in which two grants differ in meaning (not in spelling or order)."""
    return [
        spelled
        for field, spelled in _GRANT_FIELDS
        if _meaning(field, getattr(a, field)) != _meaning(field, getattr(b, field))
    ]


def _meaning(field: str, setting: Setting[object]) -> object:
    """What a setting means for the verdicts: a list as its wildcard and set of names."""
    value = setting.value
    if not isinstance(value, TokenList):
        return value
    # Order never changes a verdict; header names ignore case, methods do not.
    names = value.values if field == "methods" else (name.lower() for name in value.values)
    return (value.wildcard, frozenset(names))
