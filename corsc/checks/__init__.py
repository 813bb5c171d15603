"""Check: the semantic checks of a lowered policy set (codes 1xx–5xx), as a table of rules.

Every rule runs and every finding is collected; nothing here names a target. Lowering has
already reported what could not be represented (syntax, unknown names, malformed origins,
paths, max-age and preflight-status values), so no rule repeats those.

Each rule is one small function in the module of its family — ``policies`` (names, paths,
fallbacks, `unlisted`), ``deny``, ``origins``, ``regexes``, ``grants`` (methods, headers,
expose, max-age, credentials, private network) and ``blocks`` — registered in :data:`RULES`
with the diagnostics it may report. :func:`check` runs the table in its order: the rules over
the whole set once, then, policy by policy, the rules over one policy. The reasons behind each
check come from the Fetch standard (fetch.whatwg.org) and what browsers do; the severities
are the catalogue's (corsc.diagnostics).

Cost grows linearly with the number of origins: a policy may list 100,000 of them. Nothing
compares patterns pairwise (``index``), and what is costly to know is computed once and shared:
each regex's validation, matcher and language (``compiled``), and what a policy's denies cover
(``reach``, read through ``context.PolicyContext``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from attrs import frozen

from corsc import diagnostics as d
from corsc.checks import blocks, deny, grants, origins, policies, regexes
from corsc.checks.compiled import Regexes
from corsc.checks.context import PolicyContext, SetContext
from corsc.ir import PolicySet
from corsc.records import fields_repr

S = TypeVar("S", SetContext, PolicyContext)


@frozen
class Rule(Generic[S]):
    """One check: a stable ``name``, the catalogue ``kinds`` it may report (and no others),
    and the function that runs it over ``S`` (the policy set, or one policy)."""

    __repr__ = fields_repr

    name: str
    kinds: tuple[d.Kind, ...]
    run: Callable[[S], None]


#: The rules over the whole policy set, in the order they run.
SET_RULES: tuple[Rule[SetContext], ...] = (
    Rule("duplicate-policy-name", (d.DUPLICATE_POLICY,), policies.duplicate_names),
    Rule("duplicate-path-prefix", (d.DUPLICATE_PATH,), policies.duplicate_paths),
    Rule("duplicate-fallback", (d.DUPLICATE_FALLBACK,), policies.duplicate_fallbacks),
)

#: The rules over one policy, in the order they run for each policy. Findings are sorted by
#: place and code afterwards, so this order decides only between findings of one code at one
#: place, and which of two equal findings (a `let` list in two policies) is kept: it is the
#: order the checks have always run in, so those come out as before.
POLICY_RULES: tuple[Rule[PolicyContext], ...] = (
    Rule("regex-unsupported-in-deny", (d.REGEX_UNSUPPORTED,), regexes.unsupported_in_denies),
    Rule("regex-entry-denied", (d.DENIED_REGEX_ENTRY,), deny.denied_regex_entries),
    Rule("entry-denied", (d.DENIED_ENTRY,), deny.denied_entries),
    Rule("no-origin-allowed", (d.NO_ORIGIN_ALLOWED,), deny.no_origin_allowed),
    Rule("deny-removes-nothing", (d.DENY_REMOVES_NOTHING,), deny.denies_removing_nothing),
    Rule("any-with-credentials", (d.WILDCARD_WITH_CREDENTIALS,), origins.any_with_credentials),
    Rule("null-origin", (d.NULL_ORIGIN, d.NULL_ORIGIN_WITH_CREDENTIALS), origins.null_origin),
    Rule("regex-unsupported", (d.REGEX_UNSUPPORTED,), regexes.unsupported_in_entries),
    Rule("regex-unescaped-dot", (d.REGEX_UNESCAPED_DOT,), regexes.unescaped_dots),
    Rule("regex-look-alike", (d.REGEX_ADMITS_LOOK_ALIKE,), regexes.look_alikes),
    Rule("regex-too-complex", (d.REGEX_TOO_COMPLEX,), regexes.too_complex),
    Rule("regex-admits-null", (d.NULL_ORIGIN, d.NULL_ORIGIN_WITH_CREDENTIALS), regexes.admits_null),
    Rule(
        "regex-other-schemes",
        (d.REGEX_ADMITS_OTHER_SCHEMES, d.REGEX_ADMITS_OTHER_SCHEMES_WITH_CREDENTIALS),
        regexes.other_schemes,
    ),
    Rule(
        "regex-other-sites",
        (d.REGEX_ADMITS_OTHER_SITES, d.REGEX_ADMITS_OTHER_SITES_WITH_CREDENTIALS),
        regexes.other_sites,
    ),
    Rule("origin-too-long", (d.ORIGIN_TOO_LONG,), origins.too_long),
    Rule(
        "subdomain-wildcard",
        (d.WILDCARD_PUBLIC_SUFFIX, d.WILDCARD_WITH_CREDENTIALS_SUBDOMAIN),
        origins.wildcards,
    ),
    Rule(
        "insecure-origin-with-credentials",
        (d.INSECURE_ORIGIN_WITH_CREDENTIALS,),
        origins.insecure_with_credentials,
    ),
    Rule("local-origin", (d.LOCAL_ORIGIN,), origins.local_origins),
    Rule("private-network-pattern", (d.PRIVATE_NETWORK_PATTERN,), grants.private_network_patterns),
    Rule("duplicate-origin", (d.DUPLICATE_ORIGIN,), origins.duplicates),
    Rule("duplicate-deny", (d.DUPLICATE_ORIGIN,), deny.duplicate_denies),
    Rule("any-beside-others", (d.ANY_BESIDE_OTHERS,), origins.any_beside_others),
    Rule(
        "methods",
        (
            d.DUPLICATE_ITEM,
            d.INVALID_METHOD,
            d.FORBIDDEN_METHOD,
            d.LOWERCASE_METHOD,
            d.NON_UPPERCASE_METHOD,
            d.SAFELISTED_METHOD,
            d.OPTIONS_METHOD,
        ),
        grants.methods,
    ),
    Rule(
        "request-headers",
        (d.DUPLICATE_ITEM, d.INVALID_HEADER, d.FORBIDDEN_HEADER, d.SAFELISTED_HEADER),
        grants.request_headers,
    ),
    Rule(
        "exposed-headers",
        (
            d.DUPLICATE_ITEM,
            d.INVALID_HEADER,
            d.EXPOSE_SET_COOKIE,
            d.EXPOSE_SENSITIVE,
            d.EXPOSE_SAFELISTED,
        ),
        grants.exposed_headers,
    ),
    Rule(
        "max-age-caps",
        (d.MAX_AGE_EVERY_CAP, d.MAX_AGE_CHROMIUM_CAP, d.MAX_AGE_SAFARI_CAP),
        grants.max_age,
    ),
    Rule("private-network-enabled", (d.PRIVATE_NETWORK_ENABLED,), grants.private_network_enabled),
    Rule(
        "expose-wildcard-with-credentials",
        (d.EXPOSE_WILDCARD_WITH_CREDENTIALS,),
        grants.expose_wildcard_with_credentials,
    ),
    Rule("unlisted-reject", (d.UNLISTED_REJECT,), policies.unlisted_reject),
    Rule("overlapping-blocks", (d.OVERLAPPING_BLOCKS,), blocks.overlapping_blocks),
)

#: Every rule, in the order :func:`check` runs them.
RULES: tuple[Rule[SetContext] | Rule[PolicyContext], ...] = (*SET_RULES, *POLICY_RULES)


#: Findings about an entry that say nothing new when the entry is an error already: private
#: network for `https://*.com` matters only once the wildcard itself is fixed.
_NOT_AT_AN_ERROR = frozenset({d.PRIVATE_NETWORK_PATTERN.code})


def check(policy_set: PolicySet) -> list[d.Diagnostic]:
    """Every semantic finding for ``policy_set``, each once, in source order; none of
    :data:`_NOT_AT_AN_ERROR` where another rule found an error at the same place."""
    found: dict[tuple[str, str, int, int, str], d.Diagnostic] = {}

    def report(diagnostic: d.Diagnostic) -> None:
        # A `let` list used by several policies yields the same finding at the same place.
        # (Keyed by plain values: hashing a Span runs attrs' Python-level hash, which costs
        # seconds over 100,000 origins.)
        span = diagnostic.span
        key = (diagnostic.code, span.file, span.start.offset, span.end.offset, diagnostic.message)
        found.setdefault(key, diagnostic)

    whole = SetContext(policy_set, report)
    for set_rule in SET_RULES:
        set_rule.run(whole)
    shared = Regexes()
    for policy in policy_set.policies:
        context = PolicyContext(policy, policy_set.file, shared, report)
        for rule in POLICY_RULES:
            rule.run(context)
    errors_at = {
        key[1:4]
        for key, item in found.items()
        if item.severity is d.Severity.ERROR and item.code not in _NOT_AT_AN_ERROR
    }
    kept = [
        item
        for key, item in found.items()
        if item.code not in _NOT_AT_AN_ERROR or key[1:4] not in errors_at
    ]
    return sorted(kept, key=d.Diagnostic.sort_key)
