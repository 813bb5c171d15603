"""corsc.checks: the driver — every rule runs in one pass, each finding once, in source
order, at a cost linear in the number of origins; and the RULES table against the catalogue.

Each test loads a small policy with ``corsc.frontend.load`` and asserts the code, severity and
range of what it reports (see ``checking``).
"""

from __future__ import annotations

import time

import pytest
from checking import codes, diagnostics, policy

from corsc import diagnostics as d
from corsc.checks import POLICY_RULES, RULES, SET_RULES, Rule, check
from corsc.checks.compiled import Regexes
from corsc.checks.context import PolicyContext, SetContext
from corsc.diagnostics import Diagnostic
from corsc.frontend import load
from corsc.ir import (
    AllowEntry,
    Grant,
    OriginPattern,
    PatternKind,
    Policy,
    PolicySet,
    Setting,
    TokenList,
    Unlisted,
)
from corsc.source import Position, Source, Span


def test_everything_is_reported_in_one_run() -> None:
    text = policy(
        'origins *, "https://*.com", "null"',
        "methods put, TRACE",
        "headers Cookie",
        "expose Set-Cookie",
        "credentials true",
        "max-age 7d",
        "private-network true",
    ) + policy("origins *", name="api")
    assert set(codes(text)) >= {
        "CORS104",
        "CORS106",
        "CORS108",
        "CORS202",
        "CORS204",
        "CORS212",
        "CORS301",
        "CORS303",
        "CORS404",
        "CORS406",
        "CORS502",
        "CORS504",
    }
    # Each origin is an error already (CORS301, CORS104, CORS108): private network for them
    # (CORS405) would say nothing new.
    assert "CORS405" not in codes(text)


def test_a_let_list_used_by_two_policies_is_reported_once() -> None:
    text = (
        'let shared = "https://*.co.uk"\n'
        + policy('paths "/a"', "origins shared")
        + policy('paths "/b"', "origins shared", name="other")
    )
    assert codes(text) == ["CORS104"]


def test_a_clean_policy_has_no_diagnostics() -> None:
    text = policy(
        'paths "/api"',
        'origins "https://app.example.com", "https://*.partner.example.org"',
        'deny "https://legacy.partner.example.org"',
        "methods PUT, DELETE",
        "headers Content-Type, Authorization",
        "expose X-Request-Id",
        "credentials true",
        "max-age 10m",
        'origin "https://reports.example.com" { methods PATCH }',
    )
    assert [(item.code, item.message) for item in diagnostics(text)] == [
        (
            "CORS114",
            "every subdomain of partner.example.org can read responses with the user's credentials",
        )
    ]


def _big_policy_set(count: int) -> PolicySet:
    """``count`` entries built directly as IR (parsing is not what this measures): exact
    origins, subdomain and port wildcards, with credentials, denies and a few blocks."""

    def span(index: int) -> Span:
        return Span(
            "big.cors", Position(index + 1, 1, index * 40), Position(index + 1, 30, index * 40 + 29)
        )

    name = span(0)
    tokens = TokenList()
    grant = Grant(
        methods=Setting(tokens, name, False),
        headers=Setting(tokens, name, False),
        expose=Setting(tokens, name, False),
        credentials=Setting(True, span(1), True),
        max_age=Setting(None, name, False),
        private_network=Setting(False, name, False),
    )
    entries = []
    for index in range(count):
        where_ = span(index + 10)
        if index % 5 == 4:
            pattern = OriginPattern(
                PatternKind.SUBDOMAIN, "", where_, "https", f"tenant{index}.example.net"
            )
        elif index % 5 == 3:
            pattern = OriginPattern(
                PatternKind.PORT, "", where_, "http", f"dev{index}.example.org", any_port=True
            )
        else:
            pattern = OriginPattern(
                PatternKind.EXACT, "", where_, "https", f"app{index}.example{index % 97}.com"
            )
        entries.append(AllowEntry(pattern, grant, index % 1000 == 0, where_))
    denies = (
        OriginPattern(PatternKind.SUBDOMAIN, "", span(2), "https", "example5.com"),
        OriginPattern(PatternKind.EXACT, "", span(3), "https", "app1.example1.com"),
        OriginPattern(PatternKind.SUBDOMAIN, "", span(4), "https", "nothing.example"),
    )
    return PolicySet(
        "big.cors",
        (
            Policy(
                name="api",
                span=name,
                paths=(),
                entries=tuple(entries),
                denies=denies,
                grant=grant,
                unlisted=Setting(Unlisted.PASS, name, False),
                preflight_status=Setting(204, name, False),
                static_origin=None,
            ),
        ),
    )


def _check_seconds(policy_set: PolicySet) -> float:
    best = float("inf")
    for _ in range(2):
        start = time.process_time()
        check(policy_set)
        best = min(best, time.process_time() - start)
    return best


@pytest.mark.slow
def test_check_cost_grows_linearly() -> None:
    small, large = _big_policy_set(10_000), _big_policy_set(100_000)
    found_large = check(large)
    assert {item.code for item in found_large} >= {"CORS508", "CORS510", "CORS114"}
    small_seconds, large_seconds = _check_seconds(small), _check_seconds(large)
    # Pairwise comparisons would make the large run ~100 times the small one.
    assert large_seconds < 5
    assert large_seconds < 25 * max(small_seconds, 0.01)


# ---- the RULES table ---------------------------------------------------------------------

CREDENTIALS = "credentials true"

#: For every rule, for every code it declares, a policy file on which the rule alone reports
#: that code.
RULE_EXAMPLES: dict[str, dict[str, str]] = {
    "duplicate-policy-name": {
        "CORS502": policy('paths "/a"', "origins *", name="p")
        + policy('paths "/b"', "origins *", name="p"),
    },
    "duplicate-path-prefix": {
        "CORS503": policy('paths "/a"', "origins *", name="p")
        + policy('paths "/a"', "origins *", name="q"),
    },
    "duplicate-fallback": {
        "CORS504": policy("origins *", name="p") + policy("origins *", name="q"),
    },
    "regex-unsupported-in-deny": {
        "CORS111": policy(
            'origins "https://a.example.com"', r'deny regex "https://(a\.example\.com"'
        ),
    },
    "regex-entry-denied": {
        "CORS509": policy(
            r'origins regex "^https://pr-\d+\.example\.com$", "https://keep.example.org"',
            'deny "https://*.example.com"',
        ),
    },
    "entry-denied": {
        "CORS508": policy(
            'origins "https://a.example.com", "https://b.example.org"',
            'deny "https://*.example.com"',
        ),
    },
    "no-origin-allowed": {
        "CORS512": policy('origins "https://a.example.com"', 'deny "https://a.example.com"'),
    },
    "deny-removes-nothing": {
        "CORS510": policy('origins "https://a.example.com"', 'deny "https://b.example.com"'),
    },
    "any-with-credentials": {"CORS301": policy("origins *", CREDENTIALS)},
    "null-origin": {
        "CORS107": policy('origins "null"'),
        "CORS108": policy('origins "null"', CREDENTIALS),
    },
    "regex-unsupported": {"CORS111": policy(r'origins regex "https://(a\.example\.com"')},
    "regex-unescaped-dot": {"CORS112": policy(r'origins regex "^https://app.example\.com$"')},
    "regex-look-alike": {"CORS113": policy(r'origins regex "^https://.*example\.com$"')},
    "regex-too-complex": {
        "CORS119": policy(r'origins regex "https://example\.(a|b|c|d|e|f|g|h)(a|b|c|d|e|f|g|h)"'),
    },
    "regex-admits-null": {
        "CORS107": policy(r'origins regex "(null|https://a\.com)"'),
        "CORS108": policy(r'origins regex "(null|https://a\.com)"', CREDENTIALS),
    },
    "regex-other-schemes": {
        "CORS117": policy(r'origins regex "[a-z]+://example\.com"'),
        "CORS118": policy(r'origins regex "[a-z]+://example\.com"', CREDENTIALS),
    },
    "regex-other-sites": {
        "CORS115": policy(r'origins regex "https://[a-z]+\.com"'),
        "CORS116": policy(r'origins regex "https://[a-z]+\.com"', CREDENTIALS),
    },
    # A 260-character host: no Origin a browser sends is that long.
    "origin-too-long": {
        "CORS409": policy(
            f'origins "https://{".".join(["a" * 63] * 3 + ["a" * 56, "example.com"])}"'
        )
    },
    "subdomain-wildcard": {
        "CORS104": policy('origins "https://*.co.uk"'),
        "CORS114": policy('origins "https://*.example.com"', CREDENTIALS),
    },
    "insecure-origin-with-credentials": {
        "CORS109": policy('origins "http://app.example.com"', CREDENTIALS),
    },
    "local-origin": {"CORS110": policy('origins "http://localhost:3000"')},
    "private-network-pattern": {
        "CORS405": policy('origins "https://*.example.com"', "private-network true"),
    },
    "duplicate-origin": {
        "CORS105": policy('origins "https://a.example.com", "https://a.example.com"')
    },
    "duplicate-deny": {
        "CORS105": policy(
            'origins "https://*.example.com"',
            'deny "https://a.example.com", "https://a.example.com"',
        ),
    },
    "any-beside-others": {"CORS106": policy('origins *, "https://a.example.com"')},
    "methods": {
        "CORS207": policy("origins *", "methods PUT, PUT"),
        "CORS201": policy("origins *", 'methods "P(T"'),
        "CORS204": policy("origins *", "methods CONNECT"),
        "CORS202": policy("origins *", "methods put"),
        "CORS203": policy("origins *", "methods patch"),
        "CORS205": policy("origins *", "methods GET"),
        "CORS206": policy("origins *", "methods OPTIONS"),
    },
    "request-headers": {
        "CORS207": policy("origins *", "headers X-A, x-a"),
        "CORS211": policy("origins *", 'headers "X(A"'),
        "CORS212": policy("origins *", "headers Cookie"),
        "CORS213": policy("origins *", "headers Accept"),
    },
    "exposed-headers": {
        "CORS207": policy("origins *", "expose X-A, x-a"),
        "CORS211": policy("origins *", 'expose "X(A"'),
        "CORS303": policy("origins *", "expose Set-Cookie"),
        "CORS304": policy("origins *", "expose X-Api-Key"),
        "CORS305": policy("origins *", "expose Content-Type"),
    },
    "max-age-caps": {
        "CORS404": policy("origins *", "max-age 2d"),
        "CORS403": policy("origins *", "max-age 3h"),
        "CORS402": policy("origins *", "max-age 1h"),
    },
    "private-network-enabled": {
        "CORS406": policy('origins "https://a.example.com"', "private-network true"),
    },
    "expose-wildcard-with-credentials": {
        "CORS302": policy('origins "https://a.example.com"', "expose *", CREDENTIALS),
    },
    "unlisted-reject": {"CORS407": policy('origins "https://a.example.com"', "unlisted reject")},
    "overlapping-blocks": {
        "CORS511": policy(
            'origin "https://*.example.com" { methods PUT }',
            'origin "https://a.example.com" { methods PATCH }',
        ),
    },
}


def _run_alone(rule: Rule[SetContext] | Rule[PolicyContext], text: str) -> list[Diagnostic]:
    """What ``rule`` reports on ``text`` when it is the only rule that runs."""
    loaded = load(Source("api.cors", text))
    assert loaded.policy_set is not None, loaded.diagnostics
    reported: list[Diagnostic] = []
    for set_rule in SET_RULES:
        if set_rule is rule:
            set_rule.run(SetContext(loaded.policy_set, reported.append))
    shared = Regexes()
    for policy_rule in POLICY_RULES:
        if policy_rule is rule:
            for each in loaded.policy_set.policies:
                policy_rule.run(
                    PolicyContext(each, loaded.policy_set.file, shared, reported.append)
                )
    return reported


def test_rules_are_named_once_and_run_set_rules_first() -> None:
    names = [rule.name for rule in RULES]
    assert len(names) == len(set(names))
    assert (*SET_RULES, *POLICY_RULES) == RULES


def test_every_code_a_rule_declares_is_in_the_catalogue() -> None:
    for rule in RULES:
        assert rule.kinds, rule.name
        for kind in rule.kinds:
            assert d.CATALOGUE[kind.code] is kind, (rule.name, kind.code)
            assert kind.code[4] in "12345", (rule.name, kind.code)  # checks report 1xx–5xx


def test_every_code_of_every_rule_has_an_example() -> None:
    assert set(RULE_EXAMPLES) == {rule.name for rule in RULES}
    for rule in RULES:
        assert set(RULE_EXAMPLES[rule.name]) == {kind.code for kind in rule.kinds}, rule.name


@pytest.mark.parametrize(
    ("rule", "code"),
    [(rule, code) for rule in RULES for code in RULE_EXAMPLES.get(rule.name, {})],
    ids=lambda value: value.name if isinstance(value, Rule) else value,
)
def test_each_rule_alone_reports_its_codes_and_no_others(
    rule: Rule[SetContext] | Rule[PolicyContext], code: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if code == "CORS119":
        from corsc.regex import walk

        monkeypatch.setattr(walk, "MAX_WALK", 50)  # so that a short regex is too complex
    reported = _run_alone(rule, RULE_EXAMPLES[rule.name][code])
    assert code in {item.code for item in reported}, reported
    assert {item.code for item in reported} <= {kind.code for kind in rule.kinds}, reported
