"""The prepared plan: the index finds what a linear scan finds, grants are numbered once."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from corsc import origin_regex
from corsc.plan import OriginIndex, Plan, PolicyPlan
from tests import irbuild

PATTERNS = [
    "https://app.example.com",
    "https://*.example.com",
    "https://*.b.example.com",
    "https://*.example.com:*",
    "https://*.example.com:8443",
    "http://*.example.com",
    "http://localhost:*",
    "https://*.com.example.net",
    "null",
    "*",
    "regex:https://[a-z]+\\.example\\.org",
    "https://example.com",
    "https://app.example.com:8443",
]

ORIGINS = [
    "https://app.example.com",
    "https://a.b.example.com",
    "https://b.example.com",
    "https://example.com",
    "https://app.example.com:8443",
    "https://x.example.com:9",
    "https://x.example.com:443",
    "http://app.example.com",
    "http://localhost:3000",
    "http://localhost",
    "https://example.com.evil.net",
    "https://evil.net/https://a.example.com",
    "https://a.example.com@evil.net",
    "https://a..example.com",
    "https://.example.com",
    "https://A.example.com",
    "https://a.example.com.",
    "https://x.com.example.net",
    "https://abc.example.org",
    "null",
    "",
    "https://",
    "https://[::1]:8443",
    "https://a_b.example.com",
]


def linear_first(patterns: list[str], origin: str) -> int | None:
    for position, text in enumerate(patterns):
        if origin_regex.matcher(irbuild.pattern(text))(origin):
            return position
    return None


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(PATTERNS), min_size=1, max_size=8),
    st.sampled_from(ORIGINS) | st.text(max_size=30),
)
def test_the_index_finds_the_first_pattern_a_scan_finds(patterns: list[str], origin: str) -> None:
    index = OriginIndex([irbuild.pattern(text) for text in patterns])
    assert index.first(origin) == linear_first(patterns, origin)


def test_every_listed_origin_against_every_pattern_order() -> None:
    checked = 0
    for rotation in range(len(PATTERNS)):
        patterns = PATTERNS[rotation:] + PATTERNS[:rotation]
        index = OriginIndex([irbuild.pattern(text) for text in patterns])
        for origin in ORIGINS:
            assert index.first(origin) == linear_first(patterns, origin), (patterns, origin)
            checked += 1
    assert checked == len(PATTERNS) * len(ORIGINS)


def test_a_large_policy_is_found_by_lookups_not_by_compiling_every_matcher() -> None:
    count = 20_000
    patterns = [irbuild.pattern(f"https://app{n}.example.com") for n in range(count)]
    patterns += [irbuild.pattern(f"https://*.tenant{n}.example.net") for n in range(count)]
    index = OriginIndex(patterns)
    assert index.first("https://app19999.example.com") == count - 1
    assert index.first("https://x.y.tenant7.example.net") == count + 7
    assert index.first("https://tenant7.example.net") is None
    assert index.first("https://evil.example.org") is None
    # Exact origins need no matcher; of the subdomain wildcards, only the candidates the
    # look-ups named (tenant7's, three times) were ever compiled.
    assert list(index._matchers) == [count + 7]


def test_grants_are_numbered_once_in_specificity_order() -> None:
    policy = irbuild.policy(
        "p",
        origins=["https://a.example", "https://b.example", "https://*.example"],
        blocks=[("https://c.example", {"methods": ["PUT"]})],
    )
    plan = PolicyPlan.of(policy)
    assert [entry.pattern.canonical for entry in plan.entries] == [
        "https://c.example",
        "https://a.example",
        "https://b.example",
        "https://*.example",
    ]
    assert [grant.number for grant in plan.grants] == [1, 2]
    assert [entry.grant.number for entry in plan.entries] == [1, 2, 2, 2]
    assert plan.grants[0].methods == ("PUT",)
    assert plan.grants[0].preflight_methods == ("GET", "HEAD", "POST", "PUT")


def test_static_mode_headers_and_vary() -> None:
    static = PolicyPlan.of(irbuild.policy("p", origins=["*"], expose=["X-Total", "x-total"]))
    assert static.static
    assert static.static_preflight == (("Access-Control-Allow-Origin", "*"),)
    assert static.static_actual == (
        ("Access-Control-Allow-Origin", "*"),
        ("Access-Control-Expose-Headers", "X-Total"),
    )
    assert static.vary == ()
    dynamic = PolicyPlan.of(
        irbuild.policy("p", origins=["https://a.example", "https://b.example"], headers="*")
    )
    assert not dynamic.static and dynamic.static_actual == ()
    assert dynamic.vary == ("Origin",)
    assert dynamic.preflight_vary(dynamic.grants[0]) == ("Origin", "Access-Control-Request-Headers")


def test_the_plan_chooses_policies_by_path() -> None:
    plan = Plan.of(
        irbuild.policy_set(
            irbuild.policy("api", origins=["https://a.example"], paths=["/api"]),
            irbuild.policy("rest", origins="*"),
        )
    )
    assert [policy.name for policy in plan.policies] == ["api", "rest"]
    chosen = plan.selector.choose("/api/x").policy
    assert chosen is not None and chosen.name == "api"
    assert plan.policy("rest") is plan.policies[1]
