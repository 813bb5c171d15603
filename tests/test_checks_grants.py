"""corsc.checks.grants: methods, request headers, exposed headers, max-age and private
network (CORS201–CORS213, CORS302–CORS305, CORS402–CORS406).

Each test loads a small policy with ``corsc.frontend.load`` and asserts the code, severity and
range of what it reports (see ``checking``).
"""

from __future__ import annotations

import pytest
from checking import ERROR, INFO, WARNING, at, codes, found, one, policy, where


def test_method_that_is_not_a_token() -> None:
    text = policy('origins "https://a.example"', 'methods PUT, "GE T"')
    item = one(text, "CORS201")
    assert item.severity is ERROR
    assert where(item.span) == at(text, '"GE T"')


def test_lowercase_method_that_browsers_uppercase() -> None:
    text = policy('origins "https://a.example"', "methods GET, put")
    item = one(text, "CORS202")
    assert item.severity is ERROR
    assert where(item.span) == (3, 16, 3, 19)
    assert item.message == "`put` never matches: browsers send this method as `PUT`"
    assert item.help == "write `PUT` — browsers uppercase these and compare case-sensitively"
    (fix,) = item.fixes
    assert [(where(edit.span), edit.new_text) for edit in fix.edits] == [((3, 16, 3, 19), "PUT")]


def test_other_methods_not_in_uppercase_are_a_warning() -> None:
    text = policy('origins "https://a.example"', "methods Patch")
    item = one(text, "CORS203")
    assert item.severity is WARNING
    assert where(item.span) == at(text, "Patch")


@pytest.mark.parametrize("method", ["CONNECT", "trace", "Track"])
def test_forbidden_methods(method: str) -> None:
    text = policy('origins "https://a.example"', f"methods {method}")
    item = one(text, "CORS204")
    assert item.severity is ERROR
    assert where(item.span) == at(text, method)
    assert {"CORS202", "CORS203"}.isdisjoint(codes(text))


def test_safelisted_methods_reported_once_per_list_naming_each() -> None:
    text = policy('origins "https://a.example"', "methods GET, PUT, HEAD")
    item = one(text, "CORS205")
    assert (where(item.span), item.severity) == (at(text, "GET"), INFO)
    assert item.message == (
        "`GET` and `HEAD` need no grant: a preflight always allows GET, HEAD and POST"
    )
    assert item.help == "you can remove them; listing them changes nothing"
    single = one(policy('origins "https://a.example"', "methods POST"), "CORS205")
    assert single.message == "`POST` needs no grant: a preflight always allows GET, HEAD and POST"
    assert single.help == "you can remove it; listing it changes nothing"
    # The default (GET, HEAD, POST) is never reported.
    assert "CORS205" not in codes(policy('origins "https://a.example"'))


def test_safelisted_methods_in_a_block_only_where_removing_them_keeps_the_meaning() -> None:
    # `methods GET` alone in a block says "nothing beyond the safelisted methods": without it
    # the block would inherit the policy's PUT, so there is no advice to give.
    text = policy(
        'origins "https://a.example"',
        "methods PUT",
        'origin "https://b.example" { methods GET }',
        'origin "https://c.example" { methods GET, HEAD }',
        'origin "https://d.example" { methods POST, PATCH }',
    )
    (item,) = found(text, "CORS205")
    assert where(item.span) == at(text, "POST")
    assert item.message == "`POST` needs no grant: a preflight always allows GET, HEAD and POST"


def test_options_listed() -> None:
    text = policy('origins "https://a.example"', "methods PUT, OPTIONS")
    item = one(text, "CORS206")
    assert item.severity is INFO
    assert where(item.span) == at(text, "OPTIONS")
    assert item.message == (
        "preflights never need `OPTIONS` listed; it only lets scripts send OPTIONS requests "
        "themselves"
    )


def test_duplicate_methods_are_case_sensitive_and_headers_are_not() -> None:
    text = policy(
        'origins "https://a.example"',
        "methods PUT, PATCH, PUT, patch",
        "headers X-Trace, x-trace",
        "expose X-Id, X-ID",
    )
    items = found(text, "CORS207")
    assert [(where(item.span), item.severity) for item in items] == [
        (at(text, "PUT", 2), WARNING),
        (at(text, "x-trace"), WARNING),
        (at(text, "X-ID"), WARNING),
    ]
    assert where(items[0].related[0].span) == at(text, "PUT")


def test_header_names_that_are_not_tokens() -> None:
    text = policy('origins "https://a.example"', 'headers "X Trace"', 'expose "X(Id)"')
    items = found(text, "CORS211")
    assert [(where(item.span), item.severity) for item in items] == [
        (at(text, '"X Trace"'), ERROR),
        (at(text, '"X(Id)"'), ERROR),
    ]


@pytest.mark.parametrize(
    "header", ["Cookie", "host", "Origin", "Sec-Fetch-Mode", "Proxy-Authorization", "DNT"]
)
def test_forbidden_request_headers(header: str) -> None:
    text = policy('origins "https://a.example"', f"headers X-Trace, {header}")
    item = one(text, "CORS212")
    assert item.severity is WARNING
    assert where(item.span) == at(text, header)


def test_safelisted_request_headers_once_per_list_but_not_content_type() -> None:
    text = policy(
        'origins "https://a.example"', "headers Accept, Content-Language, Content-Type, X-A"
    )
    item = one(text, "CORS213")
    assert (where(item.span), item.severity) == (at(text, "Accept"), INFO)
    assert item.message == (
        "`Accept` and `Content-Language` with an ordinary value need no preflight"
    )
    assert item.help == (
        "you can remove them, unless scripts send values browsers do not safelist (longer than "
        '128 bytes, or with characters such as `(` or `"`)'
    )


def test_expose_wildcard_with_credentials() -> None:
    text = policy('origins "https://a.example"', "expose *", "credentials true")
    item = one(text, "CORS302")
    assert item.severity is ERROR
    assert where(item.span) == at(text, "expose *")
    assert where(item.related[0].span) == at(text, "credentials true")


def test_expose_wildcard_with_credentials_granted_by_a_block() -> None:
    text = policy(
        'origins "https://a.example"', "expose *", 'origin "https://b.example" { credentials true }'
    )
    item = one(text, "CORS302")
    assert where(item.span) == at(text, "expose *")
    assert where(item.related[0].span) == at(text, "credentials true")


@pytest.mark.parametrize("header", ["Set-Cookie", "set-cookie2"])
def test_exposing_set_cookie(header: str) -> None:
    text = policy('origins "https://a.example"', f"expose X-Id, {header}")
    item = one(text, "CORS303")
    assert item.severity is WARNING
    assert where(item.span) == at(text, header)


@pytest.mark.parametrize(
    "header",
    [
        "Authorization",
        "Proxy-Authorization",
        "Cookie",
        "X-Api-Key",
        "X-Auth-User",
        "X-CSRF-Token",
        "Session-Token",
        "Client-Secret",
        "X-Signing-Key",
    ],
)
def test_exposing_secret_headers(header: str) -> None:
    text = policy('origins "https://a.example"', f"expose X-Id, {header}")
    item = one(text, "CORS304")
    assert item.severity is WARNING
    assert where(item.span) == at(text, header)


def test_exposing_safelisted_response_headers() -> None:
    text = policy('origins "https://a.example"', "expose Content-Type, X-Id, cache-control")
    items = found(text, "CORS305")
    assert [(where(item.span), item.severity) for item in items] == [
        (at(text, "Content-Type"), INFO),
        (at(text, "cache-control"), INFO),
    ]
    assert "CORS304" not in codes(policy('origins "https://a.example"', "expose X-Request-Id"))


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("600", None),
        ("601", "CORS402"),
        ("2h", "CORS402"),
        ("7201", "CORS403"),
        ("1d", "CORS403"),
        ("86401", "CORS404"),
        ("7d", "CORS404"),
    ],
)
def test_max_age_reports_the_highest_cap_passed(value: str, code: str | None) -> None:
    text = policy('origins "https://a.example"', f"max-age {value}")
    reported = [c for c in codes(text) if c.startswith("CORS40")]
    assert reported == ([code] if code else [])
    if code:
        item = one(text, code)
        assert item.severity is (INFO if code == "CORS402" else WARNING)
        assert where(item.span) == at(text, f"max-age {value}")


def test_max_age_message() -> None:
    item = one(policy('origins "https://a.example"', "max-age 1d"), "CORS403")
    assert item.message == "max-age 1d (86400 s) is longer than Chromium keeps a preflight (2h)"


def test_private_network_with_patterns_is_an_error_per_entry() -> None:
    text = policy(
        'origins "https://a.example", "https://*.example.com", "http://localhost:*", "null"',
        "private-network true",
    )
    items = found(text, "CORS405")
    assert [(where(item.span), item.severity) for item in items] == [
        (at(text, '"https://*.example.com"'), ERROR),
        (at(text, '"http://localhost:*"'), ERROR),
        (at(text, '"null"'), ERROR),
    ]
    assert all(where(item.related[0].span) == at(text, "private-network true") for item in items)


def test_private_network_is_not_reported_at_an_entry_that_is_an_error() -> None:
    text = policy('origins "https://*.example.com", "https://*.com"', "private-network true")
    assert [where(item.span) for item in found(text, "CORS405")] == [
        at(text, '"https://*.example.com"')
    ]
    assert where(one(text, "CORS104").span) == at(text, '"https://*.com"')


def test_private_network_with_any_origin_and_regex() -> None:
    text = policy(r'origins *, regex "^https://a\.example\.com$"', "private-network true")
    assert [where(item.span) for item in found(text, "CORS405")] == [
        at(text, "*"),
        at(text, r'"^https://a\.example\.com$"'),
    ]


def test_private_network_granted_to_exact_origins_in_blocks_only() -> None:
    text = policy(
        'origins "https://*.example.com"',
        'origin "https://router.example.com" { private-network true }',
    )
    assert "CORS405" not in codes(text)
    item = one(text, "CORS406")
    assert item.severity is WARNING
    assert where(item.span) == at(text, "private-network true")
