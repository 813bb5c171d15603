"""Checks of `deny` (CORS105 for denies, CORS508–CORS510, CORS512): entries a deny makes
unreachable, denies that remove nothing, and a policy left with no origin.

What the denies cover is worked out once (corsc.checks.reach); these checks only report it.
Whether a deny removes nothing (CORS510) is reported only when certain: a wildcard deny beside
regex entries, or a regex deny beside wildcard entries, is left alone.
"""

from __future__ import annotations

from corsc import diagnostics as d
from corsc.checks.context import PolicyContext, entry_shown, repeats, shown
from corsc.ir import PatternKind


def duplicate_denies(context: PolicyContext) -> None:
    """CORS105: a pattern denied twice (compared in canonical form)."""
    for pattern, first in repeats(context.policy.denies, lambda pattern: pattern.canonical):
        context.report(
            d.DUPLICATE_ORIGIN.at(
                pattern.span,
                f"{shown(pattern)} is denied twice",
                "remove one of them",
                related=[d.Related(first.span, "first listed here")],
            )
        )


def denied_regex_entries(context: PolicyContext) -> None:
    """CORS509: a regex entry every sample origin of which is denied."""
    denies = context.policy.denies
    for found in context.reach.denied_regexes:
        entry = context.entries[found.position]
        samples = found.samples
        quoted = ", ".join(f'"{sample}"' for sample in samples[:3])
        context.report(
            d.DENIED_REGEX_ENTRY.at(
                entry.span,
                f"{entry_shown(entry)} is probably unreachable: every origin corsc tried "
                f"that it admits ({quoted}{', …' if len(samples) > 3 else ''}) is denied",
                "deny always wins; check the regex against the `deny` list",
                related=[
                    d.Related(denies[position].span, "denied here") for position in found.deniers
                ],
            )
        )


def denied_entries(context: PolicyContext) -> None:
    """CORS508: an entry one deny contains, so that it allows nothing."""
    for position, deny_position in context.reach.denied.items():
        entry, deny = context.entries[position], context.policy.denies[deny_position]
        context.report(
            d.DENIED_ENTRY.at(
                entry.span,
                f"{entry_shown(entry)} is unreachable: deny {shown(deny)} covers every "
                "origin it allows",
                "deny always wins; remove the entry, or narrow the deny",
                related=[d.Related(deny.span, "denied here")],
            )
        )


def no_origin_allowed(context: PolicyContext) -> None:
    """CORS512: a policy with no entries (unless lowering refused what was written), or
    whose every entry a deny makes unreachable."""
    policy = context.policy
    denied = context.reach.denied
    if not context.entries:
        if policy.origins_refused:
            return  # lowering already said why each written origin was refused
        message = f"policy `{policy.name}` allows no origin: it lists none in `origins` or blocks"
        help = (
            'list who may read responses, for example `origins "https://app.example.com"`, '
            "or `origins *` for a public resource"
        )
    elif len(denied) == len(context.entries):
        message = f"policy `{policy.name}` allows no origin: `deny` removes every entry"
        help = "remove the denies that cover the entries, or allow other origins"
    else:
        return
    context.report(
        d.NO_ORIGIN_ALLOWED.at(
            policy.span,
            message,
            help,
            related=[
                d.Related(policy.denies[position].span, "denied here")
                for position in sorted(set(denied.values()))
            ],
        )
    )


def denies_removing_nothing(context: PolicyContext) -> None:
    """CORS510: a deny no allowed origin matches, when that is certain."""
    if not context.entries:
        return
    reach = context.reach
    for position, deny in enumerate(context.policy.denies):
        if position in reach.used:
            continue
        if deny.kind is PatternKind.REGEX:
            if (
                reach.regex_entries
                or reach.wildcard_entries
                or context.regexes.matcher(deny) is None
            ):
                continue
        elif deny.kind in (PatternKind.SUBDOMAIN, PatternKind.PORT) and reach.regex_entries:
            continue
        context.report(
            d.DENY_REMOVES_NOTHING.at(
                deny.span,
                f"deny {shown(deny)} removes nothing: no allowed origin matches it",
                "remove it, or check it for a typo; `deny` only carves origins out of "
                "what `origins` and `origin` blocks allow",
            )
        )
