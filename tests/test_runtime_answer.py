"""Tests for corsc.runtime.answer: the runtime prepares the shared plan and re-derives nothing —
one prepared grant per numbered plan grant, and origins found by the plan's index, so a policy
of 100,000 origins answers a request after compiling only the matchers that request needs
(counted, not timed).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import irbuild
import pytest
from python_harness import asgi, asgi_app, wsgi, wsgi_app
from runtime_support import ACRM

from corsc import origin_regex
from corsc.evaluate import Evaluator, Request
from corsc.ir import OriginPattern
from corsc.plan import Plan
from corsc.runtime import ASGIMiddleware, WSGIMiddleware
from corsc.runtime.answer import PreparedPlan
from corsc.runtime.response import ASGI, WSGI

COUNT = 100_000


def many_origins(count: int) -> list[str]:
    """``count`` distinct origins: four exact origins for each subdomain wildcard."""
    return [
        f"https://*.tenant{index}.example.net"
        if index % 5 == 4
        else f"https://app{index}.example{index % 97}.com"
        for index in range(count)
    ]


@pytest.fixture
def compiled(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The canonical form of every pattern a matcher is compiled for from now on."""
    seen: list[str] = []
    real = origin_regex.matcher

    def counting(pattern: OriginPattern) -> Callable[[str], bool]:
        seen.append(pattern.canonical)
        return real(pattern)

    monkeypatch.setattr(origin_regex, "matcher", counting)
    return seen


@pytest.mark.slow
def test_a_policy_of_100000_origins_compiles_only_the_matchers_a_request_needs(
    compiled: list[str],
) -> None:
    policy_set = irbuild.policy_set(
        irbuild.policy(
            origins=many_origins(COUNT), deny=["https://app3.example3.com"], methods=["PUT"]
        )
    )
    middlewares: list[tuple[Any, Any]] = [
        (asgi, ASGIMiddleware(asgi_app, policy_set)),
        (wsgi, WSGIMiddleware(wsgi_app, policy_set)),
    ]
    assert compiled == []  # building the middleware compiles nothing
    cases = {
        "https://app99998.example88.com": "https://app99998.example88.com",  # exact, the last
        "https://app0.example0.com": "https://app0.example0.com",  # exact, the first
        "https://a.b.tenant99999.example.net": "https://a.b.tenant99999.example.net",
        "https://tenant99999.example.net": None,  # the apex of a subdomain wildcard
        "https://x.tenant5.example.net": None,  # tenant5 is an exact origin's label, no base
        "https://app3.example3.com": None,  # denied
        "https://app1.example2.com": None,  # listed nowhere
    }
    for call, middleware in middlewares:
        for origin, allowed in cases.items():
            reply = call(middleware, Request.of("GET", "/", origin=origin))
            granted = reply.values("access-control-allow-origin")
            assert granted == ([] if allowed is None else [allowed]), origin
        preflight = call(
            middleware,
            Request.of("OPTIONS", "/", origin="https://app7.example7.com", headers={ACRM: "PUT"}),
        )
        assert (preflight.status, preflight.values("access-control-allow-methods")) == (
            204,
            ["PUT"],
        )
    # Only the one wildcard a request's host fell under, once for each middleware's plan.
    assert compiled == ["https://*.tenant99999.example.net"] * 2


def test_equal_grants_are_prepared_once_per_plan_grant_number() -> None:
    """Two origin blocks with equal settings are one grant of the plan, and one prepared
    grant, whichever IR objects hold them."""
    policy = irbuild.policy(
        origins=["https://a.example"],
        blocks=[
            ("https://b.example", {"methods": ["PUT"], "credentials": True}),
            ("https://c.example", {"methods": ["PUT"], "credentials": True}),
        ],
    )
    entries = policy.entries
    assert entries[1].grant is not entries[2].grant
    plan = Plan.of(irbuild.policy_set(policy))
    assert [grant.number for grant in plan.policies[0].grants] == [1, 2]
    for codec in (ASGI, WSGI):
        prepared = PreparedPlan(plan, codec).policies["p"]
        assert len(prepared.grants) == 2
        evaluator = Evaluator(plan)
        for origin in ("https://a.example", "https://b.example", "https://c.example"):
            request = Request.of("OPTIONS", "/", origin=origin, headers={ACRM: "PUT"})
            want = evaluator.respond(request)
            answer = prepared.answer("OPTIONS", origin, "PUT", None, None)
            got = [(codec.text(name), codec.text(value)) for name, value in answer.headers]
            assert answer.status == want.status
            assert got == [(name.lower() if codec is ASGI else name, v) for name, v in want.headers]
