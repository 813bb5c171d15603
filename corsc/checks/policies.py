"""Checks of policies as a whole (CORS407, CORS502–CORS504): names and paths shared between
policies, two fallbacks, and what `unlisted reject` does to a policy.

A path prefix is compared in its normalised form (lowering's ``value``): two spellings of one
prefix select the same requests.
"""

from __future__ import annotations

from corsc import diagnostics as d
from corsc.checks.context import PolicyContext, SetContext, repeats
from corsc.ir import PatternKind, Policy, Unlisted
from corsc.source import Span


def duplicate_names(context: SetContext) -> None:
    """CORS502: a second policy with a name already used."""
    for policy, first in repeats(context.policy_set.policies, lambda policy: policy.name):
        context.report(
            d.DUPLICATE_POLICY.at(
                policy.span,
                f"two policies are named `{policy.name}`",
                "rename one of them; the name identifies a policy in outputs and diagnostics",
                related=[d.Related(first.span, "first defined here")],
            )
        )


def duplicate_paths(context: SetContext) -> None:
    """CORS503: a path prefix another policy has already claimed (the same prefix twice in
    one policy selects nothing new and is left alone)."""
    prefixes: dict[str, tuple[Policy, Span, str]] = {}
    for policy in context.policy_set.policies:
        for prefix in policy.paths:
            other = prefixes.setdefault(prefix.value, (policy, prefix.span, prefix.text))
            if other[0] is policy:
                continue
            # Two policies of one name (CORS502) are told apart as "the other".
            owner = ("the other " if other[0].name == policy.name else "") + "policy"
            if other[2] == prefix.text:
                message = f'"{prefix.text}" is also a path prefix of {owner} `{other[0].name}`'
            else:
                message = (
                    f'"{prefix.text}" is the same path prefix as "{other[2]}" in {owner} '
                    f"`{other[0].name}`"
                )
            context.report(
                d.DUPLICATE_PATH.at(
                    prefix.span,
                    message,
                    "a path is governed by one policy: remove the prefix from one of them, "
                    "or merge the policies",
                    related=[d.Related(other[1], f"policy `{other[0].name}` has it here")],
                )
            )


def duplicate_fallbacks(context: SetContext) -> None:
    """CORS504: a second policy without `paths`, both claiming every unmatched path."""
    fallback: Policy | None = None
    for policy in context.policy_set.policies:
        if not policy.is_fallback:
            continue
        if fallback is None:
            fallback = policy
            continue
        if fallback.name == policy.name:
            both = f"both policies named `{policy.name}`"
        else:
            both = f"policies `{fallback.name}` and `{policy.name}` both"
        context.report(
            d.DUPLICATE_FALLBACK.at(
                policy.span,
                f"{both} have no `paths`, so both claim every path no other policy matches",
                f"give `{policy.name}` a `paths` statement, or merge the two policies",
                related=[d.Related(fallback.span, "the other fallback")],
            )
        )


def unlisted_reject(context: PolicyContext) -> None:
    """CORS407: `unlisted reject` in a policy that does not allow every origin."""
    setting = context.policy.unlisted
    if setting.value is not Unlisted.REJECT or any(
        entry.pattern.kind is PatternKind.ANY for entry in context.entries
    ):
        return
    context.report(
        d.UNLISTED_REJECT.at(
            setting.span,
            "`unlisted reject` answers 403 to every request whose Origin is not allowed, "
            "including the site's own POST requests and requests after a cross-origin "
            "redirect (Origin `null`)",
            "list the site's own origin too, or use `unlisted pass` and let browsers "
            "refuse responses without CORS headers",
        )
    )
