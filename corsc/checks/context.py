"""What every check sees: where findings go, the policy set or one policy with what is
computed about it once, and how messages quote patterns.

Nothing here decides a finding: the families (``origins``, ``regexes``, ``grants``, ``deny``,
``blocks``, ``policies``) do, and :mod:`corsc.checks` runs them in a fixed order.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, TypeVar

from attrs import frozen

from corsc import diagnostics as d
from corsc.checks.reach import Reach, reach
from corsc.ir import AllowEntry, Grant, OriginPattern, PatternKind, Policy, PolicySet
from corsc.records import fields_repr
from corsc.source import Span

if TYPE_CHECKING:
    from corsc.checks.compiled import Regexes

T = TypeVar("T")

#: Where a check sends each finding; the driver keeps one of each and sorts them.
Report = Callable[[d.Diagnostic], None]


@frozen
class SetContext:
    """The whole policy set, for the checks that compare policies with one another."""

    __repr__ = fields_repr

    policy_set: PolicySet
    report: Report


class PolicyContext:
    """One policy as its checks see it: the policy, the file it was written in (a ``--set``
    value comes from another), the run's regexes and where findings go.

    ``entries`` are the policy's allow entries in source order, ``blocks`` those written as
    `origin` blocks."""

    def __init__(self, policy: Policy, file: str, regexes: Regexes, report: Report) -> None:
        self.policy = policy
        self.file = file
        self.regexes = regexes
        self.report = report
        self.entries: Sequence[AllowEntry] = policy.entries
        self.blocks = [entry for entry in policy.entries if entry.block]
        #: The policy's grant, then each block's, in source order.
        self.grants: list[Grant] = [policy.grant, *(entry.grant for entry in self.blocks)]

    @functools.cached_property
    def reach(self) -> Reach:
        """What the policy's denies cover (computed once, read by several checks)."""
        return reach(self.policy, self.regexes)

    @functools.cached_property
    def reachable(self) -> list[AllowEntry]:
        """The entries no deny makes unreachable: what an unreachable entry would grant
        does not matter, so the checks of each entry look at these only."""
        unreachable = self.reach.denied
        return [entry for index, entry in enumerate(self.entries) if index not in unreachable]


def shown(pattern: OriginPattern) -> str:
    """A pattern as a message quotes it: canonical, in the form a user writes it."""
    if pattern.kind is PatternKind.REGEX:
        return f'regex "{pattern.text}"'
    if pattern.kind is PatternKind.ANY:
        return "`*`"
    return f'"{pattern.canonical}"'


def entry_shown(entry: AllowEntry) -> str:
    """An allow entry as a message names it: its pattern, or the block written for it."""
    if entry.block:
        return f"the `origin` block for {shown(entry.pattern)}"
    return shown(entry.pattern)


def credentials_here(grant: Grant) -> d.Related:
    """The related location of a finding that credentials make worse."""
    return d.Related(grant.credentials.span, "credentials enabled here")


def duplicate_item(name: str, span: Span, first: Span) -> d.Diagnostic:
    """CORS207: a method or header name listed a second time at ``span``."""
    return d.DUPLICATE_ITEM.at(
        span,
        f"`{name}` is listed twice",
        f"remove the second `{name}`",
        related=[d.Related(first, "first listed here")],
    )


def repeats(items: Iterable[T], key: Callable[[T], Hashable]) -> Iterator[tuple[T, T]]:
    """Each item whose ``key`` an earlier item already had, with the first item that had it,
    in order."""
    first: dict[Hashable, T] = {}
    for item in items:
        earlier = first.setdefault(key(item), item)
        if earlier is not item:
            yield item, earlier
