"""How the nginx files decide a policy (:mod:`corsc.backends.nginx_plan`): tiers in the plan's
order with its grant numbers, the states of each grant, and what each state sends."""

from __future__ import annotations

from corsc.backends.nginx_plan import DENIED, Decision, Output, gid, preflights, states, tiers
from corsc.frontend import load
from corsc.plan import PolicyPlan
from corsc.source import Source


def plan_of(text: str) -> PolicyPlan:
    loaded = load(Source("test.cors", text))
    assert loaded.policy_set is not None, loaded.diagnostics
    return PolicyPlan.of(loaded.policy_set.policies[0])


def outputs(text: str) -> dict[str, Output]:
    return {output.name: output for output in Decision.of(plan_of(text), "corsc").outputs()}


def test_tiers_are_deny_then_the_plan_s_entries_grouped_by_grant() -> None:
    plan = plan_of(
        """policy p {
          origins "https://*.example.com", "https://a.example.com"
          deny "https://bad.example.com", "https://worse.example.com"
          origin "https://b.example.com" { credentials true }
        }"""
    )
    found, fallback = tiers(plan)
    assert [(tier.value, [p.text for p in tier.patterns]) for tier in found] == [
        (DENIED, ["https://bad.example.com", "https://worse.example.com"]),
        ("1", ["https://b.example.com"]),
        ("2", ["https://a.example.com", "https://*.example.com"]),
    ]
    # The values are the plan's grant numbers, in the plan's order of entries.
    assert [gid(entry.grant) for entry in plan.entries] == ["1", "2", "2"]
    assert fallback == DENIED
    assert [tier.dotted for tier in found[1:]] == [(), ()]
    assert found[0].dotted and all(twin.endswith(r"\.)\z") for twin in found[0].dotted)


def test_tiers_end_at_the_first_star_whose_grant_is_the_fallback() -> None:
    plan = plan_of(
        """policy p {
          origins "https://a.example.com", *
          origin "https://b.example.com" { max-age 60 }
        }"""
    )
    found, fallback = tiers(plan)
    assert [(tier.value, tier.any) for tier in found] == [("1", False), ("2", True)]
    assert fallback == "2"
    assert [p.text for p in found[1].hashed] == ["https://a.example.com"]
    assert found[1].regexes == ()


def test_hashed_and_regex_patterns_of_a_tier() -> None:
    (tier,), _ = tiers(
        plan_of(
            'policy p { origins "https://*.a.test", "https://*.b.test:*", "http://localhost:*",'
            ' "null", regex "https://r[0-9]\\\\.test" }'
        )
    )
    assert [p.text for p in tier.hashed] == ["null", "https://*.a.test"]
    assert [p.text for p in tier.regexes] == [
        "https://*.b.test:*",
        "http://localhost:*",
        "https://r[0-9]\\.test",
    ]


def test_preflight_states_follow_what_the_grant_gives() -> None:
    plan = plan_of(
        'policy p { origins "https://a.example.com"; headers X-A; private-network true }'
    )
    (grant,) = plan.grants
    assert preflights(grant) == [
        ("1", "", "P1"),
        ("1", "1", "P1n"),
        ("2", "", "P1h"),
        ("2", "1", "P1hn"),
    ]
    (grant,) = plan_of('policy p { origins "https://a.example.com"; headers }').grants
    # No header is granted: a preflight asking for one is refused, so there is no `h` state.
    assert states(grant) == ["P1"]


def test_each_state_sends_the_plan_s_values() -> None:
    found = outputs(
        'policy p { origins "https://a.example.com", "https://b.test"; methods *; '
        "headers X-A, x-a; max-age 600 }"
    )
    assert found["acao"].values == [(state, "$http_origin") for state in ("A1", "P1", "P1h")]
    reflected = "$http_access_control_request_method"
    assert found["acam"].values == [("P1", reflected), ("P1h", reflected)]
    assert found["acah"].values == [("P1h", '"X-A"')]
    assert found["max_age"].values == [("P1", '"600"'), ("P1h", '"600"')]
    vary = found["vary"]
    assert vary.default == '"Origin"'
    assert vary.values == [
        ("P1", '"Origin, Access-Control-Request-Method"'),
        ("P1h", '"Origin, Access-Control-Request-Method"'),
    ]
    assert found["answer"].by_value() == {'"204"': ["P1", "P1h"], '"403"': ["R"]}
    assert "acac" not in found and "expose" not in found


def test_static_mode_sends_expose_on_everything_but_preflights() -> None:
    plan = plan_of("policy p { origins *; expose X-Total }")
    decision = Decision.of(plan, "corsc")
    assert decision.static_headers() == [("Access-Control-Allow-Origin", '"*"')]
    found = {output.name: output for output in decision.outputs()}
    assert "acao" not in found and "vary" not in found
    expose = found["expose"]
    assert expose.default == '"X-Total"'
    # No headers granted by default: the one accepted preflight state, and the refused one.
    assert expose.values == [("P1", '""'), ("R", '""')]
