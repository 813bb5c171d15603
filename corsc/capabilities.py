"""The capability contract: which language features a policy uses, and what a target does with
each.

A target declares, for every :class:`Feature`, a :class:`Support` (its capability table). The
core finds where a policy set uses each feature (:func:`uses`, with the span of every use), and
:func:`check` turns the two into diagnostics, the same way for every target:

- ``NO``: CORS601 (an error) at every use — the target cannot reproduce its verdicts;
- ``DEVIATION``: CORS602 (an info), once per policy — the target works, with a declared
  difference from the evaluator's answer that never changes a browser's verdict;
- ``UNDOCUMENTED``: CORS603 (a warning), once per policy — the server's behaviour is not
  documented, so corsc does not guess.

Because a target's ``emit`` is only run when this check (and the target's own) found no error,
a table and its emitter cannot disagree: a feature marked ``NO`` never reaches ``emit``. The
core never names a target: the "compile with … instead" help is computed by the caller from the
other targets' tables.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Mapping, Sequence

from attrs import frozen

from corsc import diagnostics as d
from corsc.diagnostics import Diagnostic
from corsc.ir import Grant, OriginPattern, PatternKind, Policy, PolicySet, Unlisted
from corsc.records import fields_repr
from corsc.source import Span


class Feature(enum.Enum):
    """A language feature a target may or may not express. The value is how people read it."""

    EXACT_ORIGIN = "exact origins"
    SUBDOMAIN_ORIGIN = "subdomain wildcards (`https://*.example.com`)"
    PORT_ORIGIN = "port wildcards (`http://localhost:*`)"
    REGEX_ORIGIN = "regex origins"
    NULL_ORIGIN = 'the "null" origin'
    ANY_ORIGIN = "`origins *`"
    SEVERAL_ORIGINS = "an Allow-Origin that depends on the request (several origins or patterns)"
    DENY = "deny"
    ORIGIN_BLOCKS = "origin blocks"
    UNLISTED_REJECT = "`unlisted reject`"
    METHODS_ANY = "`methods *`"
    HEADERS_ANY = "`headers *`"
    EXPOSE_ANY = "`expose *`"
    CREDENTIALS = "credentials"
    MAX_AGE = "max-age"
    PRIVATE_NETWORK = "private-network"
    PREFLIGHT_STATUS = "preflight-status"
    PATHS = "paths"
    SEVERAL_POLICIES = "several policies in one file"


class Support(enum.Enum):
    """How a target handles a feature."""

    YES = "yes"
    NO = "no"
    DEVIATION = "deviation"
    UNDOCUMENTED = "undocumented"


@frozen
class Capability:
    """One row of a capability table: ``note`` says how the target does it, why it cannot, or
    what its deviation or open question is (the CORS602/603 message for those)."""

    __repr__ = fields_repr

    feature: Feature
    support: Support
    note: str = ""


@frozen
class Use:
    """One place a policy uses a feature: ``what`` names the construct for a message
    (``the origin pattern "http://localhost:*"``), ``span`` covers it, ``policy`` is the
    name of the policy it is in."""

    __repr__ = fields_repr

    feature: Feature
    what: str
    span: Span
    policy: str


def table(rows: Sequence[Capability]) -> dict[Feature, Capability]:
    """A capability table by feature; every feature must have exactly one row, so adding a
    feature makes every target say what it does with it."""
    by_feature: dict[Feature, Capability] = {}
    for row in rows:
        if row.feature in by_feature:
            raise ValueError(f"{row.feature.name} has two rows")
        by_feature[row.feature] = row
    missing = [feature.name for feature in Feature if feature not in by_feature]
    if missing:
        raise ValueError(f"no row for {', '.join(missing)}")
    return by_feature


def all_supported(note: str = "") -> dict[Feature, Capability]:
    """The table of a target that expresses every feature as the evaluator does."""
    return table([Capability(feature, Support.YES, note) for feature in Feature])


_PATTERN_FEATURES = {
    PatternKind.EXACT: Feature.EXACT_ORIGIN,
    PatternKind.SUBDOMAIN: Feature.SUBDOMAIN_ORIGIN,
    PatternKind.PORT: Feature.PORT_ORIGIN,
    PatternKind.REGEX: Feature.REGEX_ORIGIN,
    PatternKind.NULL: Feature.NULL_ORIGIN,
    PatternKind.ANY: Feature.ANY_ORIGIN,
}

_WILDCARD_FEATURES: tuple[tuple[str, Feature, str], ...] = (
    ("methods", Feature.METHODS_ANY, "`methods *` (reflecting the requested method)"),
    ("headers", Feature.HEADERS_ANY, "`headers *` (reflecting the requested headers)"),
    ("expose", Feature.EXPOSE_ANY, "`expose *`"),
)


def uses(policy_set: PolicySet) -> list[Use]:
    """Every use of every feature, policy by policy in source order."""
    found: list[Use] = []
    for policy in policy_set.policies:
        # A block's grant repeats the settings it inherits, spans and all: one use each.
        found.extend({(use.feature, use.span): use for use in _policy_uses(policy)}.values())
    if len(policy_set.policies) > 1:
        second = policy_set.policies[1]
        found.append(Use(Feature.SEVERAL_POLICIES, "several policies", second.span, second.name))
    # An origin block inherits the policy's settings with their spans: one use, not one per block.
    return list(dict.fromkeys(found))


def _policy_uses(policy: Policy) -> Iterator[Use]:
    name = policy.name

    def use(feature: Feature, what: str, span: Span) -> Use:
        return Use(feature, what, span, name)

    for entry in policy.entries:
        pattern = entry.pattern
        what = "`origins *`" if pattern.kind is PatternKind.ANY else _pattern_what(pattern)
        yield use(_PATTERN_FEATURES[pattern.kind], what, entry.span)
        if pattern.kind is PatternKind.SUBDOMAIN and pattern.any_port:
            yield use(Feature.PORT_ORIGIN, what, entry.span)  # `https://*.example.com:*`
        if entry.block:
            yield use(Feature.ORIGIN_BLOCKS, f'the origin block "{pattern.text}"', entry.span)
    if policy.static_origin is None and policy.entries:
        yield use(Feature.SEVERAL_ORIGINS, "an Allow-Origin that echoes the Origin", policy.span)
    for deny in policy.denies:
        what = f'the deny pattern "{deny.text}"'
        yield use(Feature.DENY, what, deny.span)
        yield use(_PATTERN_FEATURES[deny.kind], what, deny.span)
        if deny.kind is PatternKind.SUBDOMAIN and deny.any_port:
            yield use(Feature.PORT_ORIGIN, what, deny.span)
    if policy.unlisted.value is Unlisted.REJECT:
        yield use(Feature.UNLISTED_REJECT, "`unlisted reject`", policy.unlisted.span)
    if policy.preflight_status.written:
        yield use(
            Feature.PREFLIGHT_STATUS,
            f"`preflight-status {policy.preflight_status.value}`",
            policy.preflight_status.span,
        )
    if policy.paths:
        yield use(Feature.PATHS, "`paths`", policy.paths[0].span)
    for grant in _grants(policy):
        for attribute, feature, what in _WILDCARD_FEATURES:
            setting = getattr(grant, attribute)
            if setting.value.wildcard:
                yield use(feature, what, setting.span)
        if grant.credentials.value:
            yield use(Feature.CREDENTIALS, "`credentials true`", grant.credentials.span)
        if grant.max_age.value is not None:
            yield use(Feature.MAX_AGE, "`max-age`", grant.max_age.span)
        if grant.private_network.value:
            yield use(Feature.PRIVATE_NETWORK, "`private-network true`", grant.private_network.span)


def _pattern_what(pattern: OriginPattern) -> str:
    return f'the origin pattern "{pattern.text}"'


def _grants(policy: Policy) -> Iterator[Grant]:
    """The policy's own grant, then each origin block's that differs from it (a block that
    overrides nothing has its policy's grant: its uses are the policy's)."""
    seen = [policy.grant]
    yield policy.grant
    for entry in policy.entries:
        if entry.block and entry.grant not in seen:
            seen.append(entry.grant)
            yield entry.grant


#: For a feature a target cannot express: the names of other targets that can, as the help
#: should offer them (computed by the registry, which knows every target).
Alternatives = Callable[[Feature], Sequence[str]]


def check(
    target: str,
    capabilities: Mapping[Feature, Capability],
    policy_set: PolicySet,
    alternatives: Alternatives,
) -> list[Diagnostic]:
    """The diagnostics a target's table gives for a policy set: CORS601 at every use of a
    feature it cannot express, CORS602/603 once per policy for a deviation or an open
    question."""
    found: list[Diagnostic] = []
    once: set[tuple[Feature, str]] = set()
    for use in uses(policy_set):
        row = capabilities[use.feature]
        if row.support is Support.NO:
            found.append(cannot_express(target, use.what, use.span, alternatives(use.feature)))
        elif row.support is not Support.YES and (use.feature, use.policy) not in once:
            once.add((use.feature, use.policy))
            if row.support is Support.DEVIATION:
                found.append(deviation(target, row.note, use.span))
            else:
                found.append(
                    undocumented(
                        target,
                        row.note,
                        use.span,
                        "test it on your server before relying on it, or compile for a target "
                        "that documents it",
                    )
                )
    return found


def cannot_express(target: str, what: str, span: Span, instead: Sequence[str]) -> Diagnostic:
    """CORS601: the target cannot reproduce this construct's verdicts (an error at the
    construct), with help naming targets that can."""
    return d.TARGET_CANNOT_EXPRESS.at(
        span, f"target `{target}` cannot express {what}", compile_with(instead)
    )


def compile_with(instead: Sequence[str]) -> str:
    """The help that offers the targets ``instead`` (for any diagnostic that a construct
    needs another target)."""
    if instead:
        return (
            "compile with "
            + " or ".join(f"`--target {name}`" for name in instead)
            + ", which can, or change the policy"
        )
    return "change the policy: no target can express it"


def deviation(target: str, what: str, span: Span) -> Diagnostic:
    """CORS602: a declared deviation this policy triggers (a difference from the evaluator's
    answer that never changes a browser's verdict)."""
    return d.TARGET_DEVIATION.at(
        span,
        f"target `{target}`: {what}",
        "no browser verdict changes; this is listed among the target's declared deviations",
    )


def undocumented(target: str, question: str, span: Span, advice: str) -> Diagnostic:
    """CORS603: the server's behaviour is not documented here; corsc does not guess."""
    return d.TARGET_UNDOCUMENTED.at(span, f"target `{target}`: {question}", advice)
