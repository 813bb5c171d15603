"""URL Rewrite building blocks for ``iis-rewrite``: conditions, rules, the patterns that test a
request, and the groups of allow entries that share one set of rules.

Facts come from Microsoft's URL Rewrite reference and schema: ``patternSyntax`` ECMAScript,
``ignoreCase`` defaulting to true (so corsc always writes it), ``trackAllCaptures="false"``
making ``{C:0}`` the whole match of the last condition.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

import attrs
from attrs import frozen

from corsc import http, origin_regex, origins, regex
from corsc.backends.iis_document import boolean, element
from corsc.ir import OriginPattern, PatternKind, Policy
from corsc.plan import GrantPlan, PolicyPlan
from corsc.records import fields_repr

#: Characters of an HTTP token (:data:`corsc.http.TOKEN`) as a character class valid in .NET,
#: ECMAScript and Python alike: its final ``-`` escaped, so that it cannot read as a range.
TOKEN_CLASS = http.TOKEN.pattern.removesuffix("+").replace("-]", r"\-]")
#: HTTP's optional whitespace as written inside a character class.
_OWS_CHARACTERS = http.OWS.replace("\t", r"\t")
OWS = f"[{_OWS_CHARACTERS}]*"
#: What may stand between the names of a list header: commas and optional whitespace.
_SEPARATORS = f"[{_OWS_CHARACTERS},]*"


def method_pattern(grant: GrantPlan) -> str:
    """A full-match pattern for an accepted Access-Control-Request-Method: a safelisted or
    granted method (case-sensitive), or any token for ``methods *``."""
    if grant.preflight_methods is None:
        body = TOKEN_CLASS + "+"
    else:
        body = "(?:" + "|".join(regex.escape(name) for name in grant.preflight_methods) + ")"
    return f"^{OWS}{body}{OWS}$"


def headers_pattern(grant: GrantPlan) -> str:
    """A full-match pattern (used with ``ignoreCase="true"``) for an accepted
    Access-Control-Request-Headers: a comma-separated list, empty items allowed, whose names
    are all granted (any token for ``headers *``)."""
    if grant.headers is None:
        name = TOKEN_CLASS + "+"
    elif grant.headers:
        name = "(?:" + "|".join(regex.escape(h) for h in grant.headers) + ")"
    else:
        return f"^{_SEPARATORS}$"
    return f"^{_SEPARATORS}(?:{name}(?:{OWS},{_SEPARATORS}{name})*)?{_SEPARATORS}$"


@frozen
class Condition:
    """One ``<conditions><add>``; ``ignoreCase`` is always written (URL Rewrite defaults it to
    true, and origins and methods compare byte for byte)."""

    __repr__ = fields_repr

    input: str
    pattern: str
    ignore_case: bool = False
    negate: bool = False

    def node(self) -> ET.Element:
        attributes = {
            "input": self.input,
            "pattern": self.pattern,
            "ignoreCase": boolean(self.ignore_case),
        }
        if self.negate:
            attributes["negate"] = "true"
        return element("add", **attributes)


def rule(
    name: str,
    match: ET.Element,
    conditions: Sequence[Condition],
    action: ET.Element,
    *,
    stop: bool = False,
) -> ET.Element:
    """A rewrite rule. ``trackAllCaptures="false"`` makes ``{C:0}`` the whole match of the last
    condition, which is always the allowed-origin condition."""
    attributes = {"name": name, "patternSyntax": "ECMAScript", "stopProcessing": boolean(stop)}
    conditions_node = element(
        "conditions",
        *(c.node() for c in conditions),
        logicalGrouping="MatchAll",
        trackAllCaptures="false",
    )
    return element("rule", match, conditions_node, action, **attributes)


def origin_union(patterns: Sequence[OriginPattern]) -> str:
    """An anchored pattern admitting exactly the origins of ``patterns``, in the ECMAScript
    dialect: URL Rewrite's default ``patternSyntax`` is documented as ECMAScript, where ``\\z``
    (the .NET end anchor) would be a literal ``z``. ``$`` could only differ from an
    end-of-input anchor before a final line feed, which no header value carries."""
    return origin_regex.render_union(list(patterns), "ecmascript")


@frozen
class Group:
    """Allow entries that share a grant and the same more specific entries to exclude: one
    set of rules. ``earlier`` are the patterns of more specific entries with another grant."""

    __repr__ = fields_repr

    grant: GrantPlan
    patterns: tuple[OriginPattern, ...]
    earlier: tuple[OriginPattern, ...]


def groups(plan: PolicyPlan) -> list[Group]:
    """The plan's entries (most specific first: the first matching entry supplies the grant),
    grouped so that each origin is granted by exactly one group."""
    found: dict[tuple[int, tuple[str, ...]], list[OriginPattern]] = {}
    earlier_of: dict[tuple[int, tuple[str, ...]], tuple[OriginPattern, ...]] = {}
    grant_of: dict[tuple[int, tuple[str, ...]], GrantPlan] = {}
    for entry in plan.entries:
        number = entry.grant.number
        earlier = tuple(
            other.pattern
            for other in plan.entries[: entry.position]
            if other.grant.number != number and _may_overlap(other.pattern, entry.pattern)
        )
        group_key = (number, tuple(p.canonical for p in earlier))
        found.setdefault(group_key, []).append(entry.pattern)
        earlier_of[group_key] = earlier
        grant_of[group_key] = entry.grant
    return [Group(grant_of[k], tuple(v), earlier_of[k]) for k, v in found.items()]


def _may_overlap(earlier: OriginPattern, pattern: OriginPattern) -> bool:
    """False only when no origin can match both: an exact origin the pattern does not admit
    (the condition excluding it would be noise)."""
    if earlier.kind is PatternKind.EXACT:
        return origin_regex.matcher(pattern)(earlier.canonical)
    if pattern.kind is PatternKind.EXACT:
        return origin_regex.matcher(earlier)(pattern.canonical)
    return True


#: An Origin longer than any origin (origins.MAX_ORIGIN_LENGTH) is never allowed; this
#: condition comes first, so that no regex of the policy runs on such a value.
TOO_LONG = Condition("{HTTP_ORIGIN}", rf"^[\s\S]{{{origins.MAX_ORIGIN_LENGTH + 1},}}$")


def denied_pattern(policy: Policy) -> str:
    """An anchored pattern admitting the Origins a ``deny`` refuses: the denied origins and
    their trailing-dot twins (origin_regex.render_dotted)."""
    twins = (origin_regex.render_dotted(deny, "ecmascript") for deny in policy.denies)
    return "|".join([origin_union(policy.denies), *dict.fromkeys(t for t in twins if t)])


def origin_conditions(policy: Policy, group: Group) -> list[Condition]:
    """The length test first, then deny, then the more specific entries of other groups,
    then the group's own origins — last, so that ``{C:0}`` is the matched origin."""
    conditions = [attrs.evolve(TOO_LONG, negate=True)]
    if policy.denies:
        conditions.append(Condition("{HTTP_ORIGIN}", denied_pattern(policy), negate=True))
    if group.earlier:
        conditions.append(Condition("{HTTP_ORIGIN}", origin_union(group.earlier), negate=True))
    conditions.append(Condition("{HTTP_ORIGIN}", origin_union(group.patterns)))
    return conditions


IS_PREFLIGHT = (
    Condition("{REQUEST_METHOD}", "^OPTIONS$"),
    Condition("{HTTP_ACCESS_CONTROL_REQUEST_METHOD}", ".+"),
)
NOT_PREFLIGHT = Condition("{HTTP_ACCESS_CONTROL_REQUEST_METHOD}", ".+", negate=True)
ASKED_HEADERS = Condition("{HTTP_ACCESS_CONTROL_REQUEST_HEADERS}", f"[^{_OWS_CHARACTERS},]")
