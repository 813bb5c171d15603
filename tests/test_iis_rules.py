"""URL Rewrite building blocks (corsc.backends.iis_rules): the request patterns, read from
corsc.http's facts, keep the exact text every emitted web.config has carried, and accept what
they must."""

from __future__ import annotations

import re
from typing import Any

from corsc.backends.iis_rules import TOKEN_CLASS, headers_pattern, method_pattern
from corsc.plan import GrantPlan, PolicyPlan
from tests import irbuild


def grant(**settings: Any) -> GrantPlan:
    return PolicyPlan.of(irbuild.policy(origins=["https://a.example"], **settings)).grants[0]


def test_the_token_class_and_whitespace_are_written_as_before() -> None:
    assert TOKEN_CLASS == r"[!#$%&'*+.^_`|~0-9A-Za-z\-]"
    assert method_pattern(grant(methods="*")) == rf"^[ \t]*{TOKEN_CLASS}+[ \t]*$"
    assert method_pattern(grant(methods=["PUT"])) == r"^[ \t]*(?:GET|HEAD|POST|PUT)[ \t]*$"
    assert headers_pattern(grant()) == r"^[ \t,]*$"
    assert headers_pattern(grant(headers=["X-A", "x-a"])) == (
        r"^[ \t,]*(?:(?:X-A)(?:[ \t]*,[ \t,]*(?:X-A))*)?[ \t,]*$"
    )


def test_the_patterns_accept_what_a_preflight_may_ask() -> None:
    methods = re.compile(method_pattern(grant(methods=["PUT"])))
    assert methods.fullmatch(" PUT ") and methods.fullmatch("GET")
    assert not methods.fullmatch("put") and not methods.fullmatch("PATCH")
    headers = re.compile(headers_pattern(grant(headers=["X-A"])), re.IGNORECASE)
    assert headers.fullmatch("x-a, X-A") and headers.fullmatch(",,")
    assert not headers.fullmatch("X-A, X-B")
