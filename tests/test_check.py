"""corsc.check: one test per semantic check (codes 1xx–5xx), through the whole front end.

Each test loads a small policy with ``corsc.frontend.load`` and asserts the code, severity and
range of what it reports; the diagnostics that matter most (CORS104, CORS113, CORS202,
CORS301, CORS508, CORS512) are asserted by their exact text. Ranges are given as
``(line, column, end line, end column)``, 1-based, the end exclusive.
"""

from __future__ import annotations

import ipaddress
import re
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corsc import check as check_module
from corsc.diagnostics import Diagnostic, Severity
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

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO


def diagnostics(text: str, *overrides: str) -> tuple[Diagnostic, ...]:
    return load(Source("api.cors", text), overrides).diagnostics


def found(text: str, code: str, *overrides: str) -> list[Diagnostic]:
    return [item for item in diagnostics(text, *overrides) if item.code == code]


def one(text: str, code: str, *overrides: str) -> Diagnostic:
    items = found(text, code, *overrides)
    assert len(items) == 1, items
    return items[0]


def codes(text: str, *overrides: str) -> list[str]:
    return [item.code for item in diagnostics(text, *overrides)]


def where(span: Span) -> tuple[int, int, int, int]:
    return (span.start.line, span.start.column, span.end.line, span.end.column)


def at(text: str, needle: str, occurrence: int = 1) -> tuple[int, int, int, int]:
    """The range of the ``occurrence``-th ``needle`` in ``text`` (which must sit on one line)."""
    offset = -1
    for _ in range(occurrence):
        offset = text.index(needle, offset + 1)
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return (line, column, line, column + len(needle))


def policy(*statements: str, name: str = "api") -> str:
    body = "".join(f"  {statement}\n" for statement in statements)
    return f"policy {name} {{\n{body}}}\n"


# ---- 1xx: origins and patterns -----------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "suffix"),
    [
        ("https://*.com", "com"),
        ("https://*.co.uk", "co.uk"),
        ("https://*.github.io", "github.io"),  # the private section of the list
        ("https://*.bar.ck:*", "bar.ck"),  # a wildcard rule of the list (`*.ck`)
        ("https://*.xn--p1ai", "xn--p1ai"),  # рф: the list writes international rules in Unicode
    ],
)
def test_wildcard_over_a_public_suffix(pattern: str, suffix: str) -> None:
    text = policy(f'origins "{pattern}"')
    item = one(text, "CORS104")
    assert item.severity is ERROR
    assert where(item.span) == at(text, f'"{pattern}"')
    assert item.message == (
        f'"{pattern}" allows every site under the public suffix "{suffix}", whoever owns it'
    )
    assert item.help == (
        f'list the sites you trust, such as "https://app.{suffix}"; a wildcard belongs under '
        "a domain you control"
    )


@pytest.mark.parametrize(
    "pattern",
    [
        "https://*.example.com",
        "https://*.user.github.io",
        "http://*.localhost",
        "https://*.corp",
        "https://*.xn--fa-hia.de",  # faß.de
    ],
)
def test_wildcard_under_a_registrable_or_private_name_is_not_a_public_suffix(pattern: str) -> None:
    assert "CORS104" not in codes(policy(f'origins "{pattern}"'))


@pytest.mark.parametrize(
    ("pattern", "rule", "base"),
    [
        # Wildcard rules of the list: every label under the base is a public suffix.
        ("https://*.nagoya.jp", "*.nagoya.jp", "nagoya.jp"),
        ("https://*.kawasaki.jp", "*.kawasaki.jp", "kawasaki.jp"),  # despite !city.kawasaki.jp
        ("https://*.compute.amazonaws.com", "*.compute.amazonaws.com", "compute.amazonaws.com"),
        # Normal (private-section) rules below a registrable domain.
        ("https://*.amazonaws.com:*", "execute-api.af-south-1.amazonaws.com", "amazonaws.com"),
    ],
)
def test_wildcard_over_names_some_of_which_are_public_suffixes(
    pattern: str, rule: str, base: str
) -> None:
    text = policy(f'origins "{pattern}"')
    item = one(text, "CORS104")
    assert item.severity is ERROR
    assert where(item.span) == at(text, f'"{pattern}"')
    assert item.message == (
        f'"{pattern}" allows many sites, whoever owns them: the public suffix list rule '
        f'"{rule}" makes hosts under "{base}" public suffixes'
    )


@pytest.mark.parametrize(
    ("pattern", "suffix"),
    [
        # A wildcard rule makes the base itself public.
        ("https://*.eu-west-1.compute.amazonaws.com", "eu-west-1.compute.amazonaws.com"),
        ("https://*.x.nagoya.jp", "x.nagoya.jp"),
        ("https://*.s3.amazonaws.com", "s3.amazonaws.com"),
    ],
)
def test_wildcard_over_a_wildcard_rule_suffix(pattern: str, suffix: str) -> None:
    item = one(policy(f'origins "{pattern}"'), "CORS104")
    assert item.message == (
        f'"{pattern}" allows every site under the public suffix "{suffix}", whoever owns it'
    )


@pytest.mark.parametrize(
    "pattern",
    [
        "https://*.city.kawasaki.jp",  # an exception rule: one registrable domain
        "https://*.city.nagoya.jp",
        "https://*.app.example.com",
        "https://*.myapp.s3.amazonaws.com",
        "https://*.xn--fa-hia.de",
    ],
)
def test_wildcard_under_an_exception_or_a_plain_site_is_one_site(pattern: str) -> None:
    assert "CORS104" not in codes(policy(f'origins "{pattern}"'))


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("nagoya.jp", "*.nagoya.jp"),
        ("city.nagoya.jp", None),
        ("example.com", None),
        ("compute.amazonaws.com", "*.compute.amazonaws.com"),
        ("com", None),  # `com` has normal rules below; the first is found
    ],
)
def test_rule_below_names_a_normal_or_wildcard_rule(base: str, expected: str | None) -> None:
    from corsc import suffixes

    found = suffixes.rule_below(base)
    if base == "com":
        assert found is not None and found.endswith(".com") and not found.startswith("!")
    else:
        assert found == expected


def test_duplicate_origins_compare_canonical_forms() -> None:
    text = policy('origins "https://a.example", "https://x.example", "HTTPS://A.example:443"')
    item = one(text, "CORS105")
    assert item.severity is WARNING
    assert where(item.span) == at(text, '"HTTPS://A.example:443"')
    assert item.message == '"https://a.example" is listed twice'
    assert [where(related.span) for related in item.related] == [at(text, '"https://a.example"')]


def test_duplicate_between_list_and_block_and_between_blocks_and_denies() -> None:
    text = policy(
        'origins "https://a.example"',
        'deny "https://d.example", "https://d.example"',
        'origin "https://a.example" { methods PUT }',
        'origin "https://b.example" { methods PUT }',
        'origin "https://b.example" { methods PATCH }',
    )
    items = found(text, "CORS105")
    assert [(where(item.span), item.message) for item in items] == [
        (at(text, '"https://d.example"', 2), '"https://d.example" is denied twice'),
        (
            at(text, '"https://a.example"', 2),
            '"https://a.example" is both in `origins` and an `origin` block',
        ),
        (at(text, '"https://b.example"', 2), 'two `origin` blocks for "https://b.example"'),
    ]


def test_any_origin_beside_other_list_entries() -> None:
    text = policy('origins *, "https://a.example", "https://b.example"')
    item = one(text, "CORS106")
    assert item.severity is WARNING
    assert where(item.span) == at(text, "*")
    assert "the 2 other entries in `origins` add nothing" in item.message


def test_any_origin_beside_origin_blocks_is_fine() -> None:
    text = policy("origins *", 'origin "https://a.example" { methods PUT }')
    assert "CORS106" not in codes(text)


def test_null_origin_is_a_warning() -> None:
    text = policy('origins "https://a.example", "null"')
    item = one(text, "CORS107")
    assert item.severity is WARNING
    assert where(item.span) == at(text, '"null"')


def test_null_origin_with_credentials_is_an_error_pointing_at_credentials() -> None:
    text = policy('origins "null"', "credentials true")
    item = one(text, "CORS108")
    assert item.severity is ERROR
    assert where(item.span) == at(text, '"null"')
    assert [(where(r.span), r.message) for r in item.related] == [
        (at(text, "credentials true"), "credentials enabled here")
    ]
    assert "CORS107" not in codes(text)


def test_null_origin_block_with_its_own_credentials() -> None:
    text = policy('origins "https://a.example"', 'origin "null" { credentials true }')
    item = one(text, "CORS108")
    assert where(item.span) == at(text, '"null"')
    assert where(item.related[0].span) == at(text, "credentials true")


@pytest.mark.parametrize(
    ("origin", "expected"),
    [
        ("http://app.example.com", True),
        ("http://10.0.0.7:8080", True),  # a private network is still a network
        ("http://*.example.com", True),
        ("http://localhost:*", False),  # loopback never leaves the machine
        ("http://127.0.0.1:3000", False),
        ("http://[::1]", False),
        ("http://app.localhost", False),
        ("https://app.example.com", False),
    ],
)
def test_http_origin_with_credentials(origin: str, expected: bool) -> None:
    text = policy(f'origins "{origin}"', "credentials true")
    items = found(text, "CORS109")
    assert bool(items) is expected
    if expected:
        assert items[0].severity is WARNING
        assert where(items[0].span) == at(text, f'"{origin}"')
        assert where(items[0].related[0].span) == at(text, "credentials true")


def test_http_origin_without_credentials_is_not_reported() -> None:
    assert "CORS109" not in codes(policy('origins "http://app.example.com"'))


@pytest.mark.parametrize(
    ("origin", "kind"),
    [
        ("http://localhost:*", "loopback"),
        ("http://127.3.4.5", "loopback"),
        ("http://[::1]:8080", "loopback"),
        ("https://*.localhost", "loopback"),
        ("http://10.1.2.3", "private-network"),
        ("http://172.16.0.1", "private-network"),
        ("http://172.31.255.255", "private-network"),
        ("http://192.168.1.1:8080", "private-network"),
        ("http://172.32.0.1", None),
        ("https://8.8.8.8", None),
        ("https://localhost.example.com", None),
    ],
)
def test_local_origins_are_information(origin: str, kind: str | None) -> None:
    text = policy(f'origins "{origin}"')
    items = found(text, "CORS110")
    if kind is None:
        assert not items
        return
    assert len(items) == 1 and items[0].severity is INFO
    assert where(items[0].span) == at(text, f'"{origin}"')
    assert f"is a {kind} origin" in items[0].message


def test_subdomain_wildcard_with_credentials_is_information() -> None:
    text = policy('origins "https://*.example.com"', "credentials true")
    item = one(text, "CORS114")
    assert item.severity is INFO
    assert where(item.span) == at(text, '"https://*.example.com"')
    assert item.message == (
        "every subdomain of example.com can read responses with the user's credentials"
    )
    assert where(item.related[0].span) == at(text, "credentials true")
    assert "CORS114" not in codes(policy('origins "https://*.example.com"'))


# ---- regexes -------------------------------------------------------------------------------


def test_regex_outside_the_portable_subset_points_at_the_construct() -> None:
    text = policy(r'origins regex "^https://(?=a)app\.example\.com$"')
    item = one(text, "CORS111")
    assert item.severity is ERROR
    assert where(item.span) == at(text, "(?=")
    assert item.message == "lookahead `(?=…)` is not supported"
    # An unusable regex is not probed any further.
    assert {"CORS112", "CORS113"}.isdisjoint(codes(text))


def test_invalid_regex_in_deny_is_reported_too() -> None:
    text = policy('origins "https://a.example.com"', r'deny regex "https://(a\.example\.com"')
    item = one(text, "CORS111")
    assert where(item.span) == at(text, "(")
    assert "CORS510" not in codes(text)  # an unusable deny is not judged


def test_regex_span_when_backslashes_are_doubled() -> None:
    # `\\` is one backslash in a string: this is the regex `https://pr-\d+.example\.com`.
    text = policy(r'origins regex "https://pr-\\d+.example\\.com"')
    item = one(text, "CORS112")
    line, column, _, _ = at(text, ".example")
    assert where(item.span) == (line, column, line, column + 1)


def test_regex_span_falls_back_to_the_value_when_the_spelling_is_ambiguous() -> None:
    # One of `\\d` and `\.` was doubled; the lowered text cannot tell which.
    text = policy(r'origins regex "https://pr-\\d+.example\.com"')
    item = one(text, "CORS112")
    assert where(item.span) == at(text, r'"https://pr-\\d+.example\.com"')


def test_regex_span_from_a_set_override() -> None:
    text = 'let previews = "https://a.example.com"\n' + policy("origins previews")
    value = r"previews=regex:^https://pr-\d+.example\.com$"
    item = one(text, "CORS112", value)
    assert item.span.file == "<--set #1>"
    column = value.index(".example") + 1
    assert where(item.span) == (1, column, 1, column + 1)


def test_unescaped_dot_in_a_regex() -> None:
    text = policy(r'origins regex "^https://app.example\.com$"')
    item = one(text, "CORS112")
    assert item.severity is ERROR
    line, column, _, _ = at(text, ".example")
    assert where(item.span) == (line, column, line, column + 1)
    assert item.message.startswith("this `.` matches any character, not only a dot")


def test_regex_admitting_a_look_alike_names_the_probe_and_a_safer_pattern() -> None:
    text = policy(r'origins regex "^https://.*example\.com$"')
    item = one(text, "CORS113")
    assert item.severity is ERROR
    assert where(item.span) == at(text, r'"^https://.*example\.com$"')
    assert item.message == (
        r'regex "^https://.*example\.com$" admits "https://evilexample.com" '
        "(`evil` put in front of `example.com`)"
    )
    assert item.help == (
        "spell out the scheme and port, escape every dot and end the host with the domain "
        r'you own: regex "^https://([a-z0-9-]+\.)*example\.com$", or "https://*.example.com" '
        "for its subdomains"
    )


def test_look_alike_help_escapes_the_dots_when_that_is_enough() -> None:
    text = policy(r'origins regex "^https://pr-\d+\.example.com$"')
    item = one(text, "CORS113")
    assert item.message == (
        r'regex "^https://pr-\d+\.example.com$" admits "https://pr-1.examplexcom" '
        "(the `.` after `example` replaced by a letter)"
    )
    assert item.help == (
        "escape the dots, so that `.` cannot stand for any character: "
        r'regex "^https://pr-\d+\.example\.com$"'
    )


@pytest.mark.parametrize(
    "body",
    [
        r"^https://app\.example\.com$",
        r"^https://pr-\d+\.example\.com$",
        r"^https?://app\.example\.com(:\d+)?$",
        r"^https://([a-z0-9-]+\.)*example\.com$",
    ],
)
def test_careful_regexes_are_quiet(body: str) -> None:
    assert codes(policy(f'origins regex "{body}"')) == []


# ---- 2xx: methods and headers --------------------------------------------------------------


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


def test_safelisted_methods_listed_only_when_written() -> None:
    text = policy('origins "https://a.example"', "methods GET, PUT, HEAD")
    items = found(text, "CORS205")
    assert [(where(item.span), item.severity) for item in items] == [
        (at(text, "GET"), INFO),
        (at(text, "HEAD"), INFO),
    ]
    # The default (GET, HEAD, POST) is never reported.
    assert "CORS205" not in codes(policy('origins "https://a.example"'))


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


def test_safelisted_request_headers_but_not_content_type() -> None:
    text = policy(
        'origins "https://a.example"', "headers Accept, Content-Language, Content-Type, X-A"
    )
    items = found(text, "CORS213")
    assert [(where(item.span), item.severity) for item in items] == [
        (at(text, "Accept"), INFO),
        (at(text, "Content-Language"), INFO),
    ]


# ---- 3xx: credentials and exposure ---------------------------------------------------------


def test_any_origin_with_credentials() -> None:
    text = policy("origins *", "credentials true")
    item = one(text, "CORS301")
    assert item.severity is ERROR
    assert where(item.span) == (2, 11, 2, 12)
    assert item.message == "origins * cannot be combined with credentials true"
    assert item.help == (
        'list the origins that need credentials, or use a pattern such as "https://*.example.com"'
    )
    assert [(where(r.span), r.message) for r in item.related] == [
        ((3, 3, 3, 19), "credentials enabled here")
    ]


def test_any_origin_from_a_set_override_with_credentials() -> None:
    text = 'let allowed = "https://a.example"\n' + policy("origins allowed", "credentials true")
    item = one(text, "CORS301", "allowed=*")
    assert item.span.file == "<--set #1>"
    assert where(item.span) == (1, 9, 1, 10)


def test_any_origin_without_credentials_is_fine() -> None:
    assert codes(policy("origins *", "credentials false")) == []


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


# ---- 4xx: max-age and private network ------------------------------------------------------


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


def test_unlisted_reject() -> None:
    text = policy('origins "https://a.example"', "unlisted reject")
    item = one(text, "CORS407")
    assert item.severity is WARNING
    assert where(item.span) == at(text, "unlisted reject")
    assert "CORS407" not in codes(policy("origins *", "unlisted reject"))
    assert "CORS407" not in codes(policy('origins "https://a.example"', "unlisted pass"))


# ---- 5xx: structure ------------------------------------------------------------------------


def test_two_policies_with_one_name() -> None:
    text = policy('paths "/a"', "origins *") + policy('paths "/b"', "origins *")
    item = one(text, "CORS502")
    assert item.severity is ERROR
    assert where(item.span) == at(text, "api", 2)
    assert where(item.related[0].span) == at(text, "api")


def test_two_policies_with_the_same_normalised_path() -> None:
    text = policy('paths "/api"', "origins *") + policy(
        'paths "/v2", "/x/../api/"', "origins *", name="other"
    )
    item = one(text, "CORS503")
    assert item.severity is ERROR
    assert where(item.span) == at(text, '"/x/../api/"')
    assert item.message == '"/x/../api/" is the same path prefix as "/api" in policy `api`'
    assert where(item.related[0].span) == at(text, '"/api"')


def test_the_same_path_twice_in_one_policy_is_not_two_policies() -> None:
    assert "CORS503" not in codes(policy('paths "/api", "/api/"', "origins *"))


def test_two_fallbacks() -> None:
    text = policy("origins *") + policy("origins *", name="public")
    item = one(text, "CORS504")
    assert item.severity is ERROR
    assert where(item.span) == at(text, "public")
    assert where(item.related[0].span) == at(text, "api")


def test_entry_unreachable_by_deny() -> None:
    text = policy(
        'origins "https://a.example.com", "https://keep.example.org"',
        'deny "https://*.example.com"',
    )
    item = one(text, "CORS508")
    assert item.severity is ERROR
    assert where(item.span) == at(text, '"https://a.example.com"')
    assert item.message == (
        '"https://a.example.com" is unreachable: deny "https://*.example.com" covers every '
        "origin it allows"
    )
    assert item.help == "deny always wins; remove the entry, or narrow the deny"
    assert [(where(r.span), r.message) for r in item.related] == [
        (at(text, '"https://*.example.com"'), "denied here")
    ]


def test_origin_block_unreachable_by_deny_is_reported_at_its_header() -> None:
    text = policy(
        'origins "https://keep.example.org"',
        'deny "https://a.example.com"',
        'origin "https://a.example.com" { methods PUT }',
    )
    item = one(text, "CORS508")
    assert where(item.span) == at(text, 'origin "https://a.example.com"')
    assert item.message.startswith('the `origin` block for "https://a.example.com" is unreachable')


#: (allow entry, deny, whether the deny covers every origin of the entry)
CONTAINMENT = [
    ("https://a.example.com", "https://a.example.com", True),
    ("https://a.example.com", "https://b.example.com", False),
    ("https://a.example.com", "https://*.example.com", True),
    ("https://a.b.example.com", "https://*.example.com", True),
    ("https://example.com", "https://*.example.com", False),  # never the apex
    ("https://a.example.com", "http://*.example.com", False),  # other scheme
    ("https://a.example.com:8443", "https://*.example.com", False),  # other port
    ("https://a.example.com:8443", "https://*.example.com:*", True),
    ("https://a.example.com", "https://*.example.com:*", True),  # the default port too
    ("https://a.example.com:8443", "https://a.example.com:*", True),
    ("https://a.example.com", "https://a.example.com:*", True),
    ("https://ab.example.com", "https://*.b.example.com", False),  # label boundary
    ("https://*.a.example.com", "https://*.example.com", True),
    ("https://*.example.com", "https://*.example.com", True),
    ("https://*.example.com", "https://*.a.example.com", False),  # narrower deny
    ("https://*.example.com", "https://a.example.com", False),
    ("https://*.example.com:*", "https://*.example.com", False),  # other ports stay
    ("https://*.example.com:8443", "https://*.example.com:*", True),
    ("https://*.example.com:8443", "https://*.example.com:9443", False),
    ("https://*.a.example.com", "http://*.example.com", False),
    ("http://localhost:*", "http://localhost:*", True),
    ("http://localhost:*", "http://localhost:3000", False),
    ("http://a.localhost:*", "http://*.localhost:*", True),
    ("http://a.localhost:*", "http://*.localhost", False),
    ("null", "null", True),
    ("https://a.example.com", r"regex:https://[a-z]+\.example\.com", True),
    ("https://a-1.example.com", r"regex:https://[a-z]+\.example\.com", False),
    ("https://*.example.com", r"regex:https://.*\.example\.com", False),  # not decided
]


@pytest.mark.parametrize(("entry", "deny", "contained"), CONTAINMENT)
def test_containment_of_an_entry_in_a_deny(entry: str, deny: str, contained: bool) -> None:
    text = 'let allowed = "https://x.example"\nlet denied = "https://y.example"\n' + policy(
        'origins allowed, "https://keep.example.org"', "deny denied"
    )
    items = found(text, "CORS508", f"allowed={entry}", f"denied={deny}")
    assert bool(items) is contained


def test_regex_entry_whose_samples_are_all_denied() -> None:
    text = policy(
        r'origins regex "^https://pr-\d+\.example\.com$", "https://keep.example.org"',
        'deny "https://*.example.com"',
    )
    item = one(text, "CORS509")
    assert item.severity is WARNING
    assert where(item.span) == at(text, r'"^https://pr-\d+\.example\.com$"')
    assert where(item.related[0].span) == at(text, '"https://*.example.com"')
    assert "CORS508" not in codes(text)


#: (allowed origins, deny, whether the deny removes nothing)
USELESS_DENIES = [
    ('"https://a.example.com"', "https://b.example.com", True),
    ('"https://a.example.com"', "https://a.example.com", False),
    ('"https://*.example.com"', "https://a.example.com", False),
    ('"https://*.example.com"', "https://example.com", True),  # the apex is not allowed
    ('"https://*.example.com"', "https://*.a.example.com", False),
    ('"https://*.a.example.com"', "https://*.example.com", False),
    ('"https://a.b.example.com"', "https://*.example.com", False),
    ('"https://a.example.com:8443"', "https://*.example.com", True),
    ('"https://a.example.com:8443"', "https://*.example.com:*", False),
    ('"http://localhost:*"', "http://localhost:3000", False),
    ('"http://localhost:3000"', "http://localhost:*", False),
    ('"https://a.example.com"', "null", True),
    ('"https://a.example.com", "null"', "null", False),
    ("*", "https://b.example.com", False),
    (r'regex "^https://[a-z]+\.example\.com$"', "https://b.example.com", False),
    (r'regex "^https://[a-z]+\.example\.com$"', "https://b-1.example.com", True),
    (r'regex "^https://[a-z]+\.example\.com$"', "https://*.example.org", False),  # undecided
    ('"https://a.example.com"', r"regex:https://b\.example\.com", True),
    ('"https://a.example.com"', r"regex:https://[a-z]\.example\.com", False),
    ('"https://*.example.com"', r"regex:https://b\.example\.org", False),  # undecided
]


@pytest.mark.parametrize(("allowed", "deny", "useless"), USELESS_DENIES)
def test_deny_that_removes_nothing(allowed: str, deny: str, useless: bool) -> None:
    text = 'let denied = "https://y.example"\n' + policy(f"origins {allowed}", "deny denied")
    items = found(text, "CORS510", f"denied={deny}")
    assert bool(items) is useless
    if useless:
        assert items[0].severity is WARNING
        assert items[0].span.file == "<--set #1>"


def test_deny_that_removes_nothing_message() -> None:
    text = policy('origins "https://a.example.com"', 'deny "https://b.example.com"')
    item = one(text, "CORS510")
    assert where(item.span) == at(text, '"https://b.example.com"')
    assert (
        item.message == 'deny "https://b.example.com" removes nothing: no allowed origin matches it'
    )


@pytest.mark.parametrize(
    ("first", "second", "overlap"),
    [
        ("https://a.example.com", "https://*.example.com", True),
        ("https://*.example.com", "https://*.a.example.com", True),
        ("https://*.a.example.com", "https://*.b.example.com", False),
        ("https://*.example.com:*", "https://*.example.com", True),
        ("https://*.example.com:8443", "https://*.example.com", False),
        ("http://localhost:*", "http://localhost:3000", True),
        ("http://localhost:3000", "http://localhost:4000", False),
        ("https://a.example.com", "http://*.example.com", False),
        (r'regex "^https://[a-z]+\.example\.com$"', "https://*.example.com", True),
        (r'regex "^https://[a-z]+\.example\.com$"', "https://ab.example.com", True),
        (r'regex "^https://[a-z]+\.example\.com$"', "https://a1.example.com", False),
    ],
)
def test_overlapping_origin_blocks_with_different_settings(
    first: str, second: str, overlap: bool
) -> None:
    def block(pattern: str, settings: str) -> str:
        target = pattern if pattern.startswith("regex") else f'"{pattern}"'
        return f"origin {target} {{ {settings} }}"

    text = policy(block(first, "methods PUT"), block(second, "methods PATCH; credentials true"))
    items = found(text, "CORS511")
    assert bool(items) is overlap
    if overlap:
        item = items[0]
        assert item.severity is WARNING
        assert where(item.span)[:2] == (3, 3)  # the later block's header
        assert where(item.related[0].span)[:2] == (2, 3)
        assert item.message.endswith("can match the same origin but differ in methods, credentials")


def test_overlapping_blocks_with_the_same_meaning_are_fine() -> None:
    text = policy(
        'origin "https://*.example.com" { headers X-A, X-B }',
        'origin "https://a.example.com" { headers x-b, x-a }',
    )
    assert "CORS511" not in codes(text)


def test_overlapping_blocks_help_names_the_winner() -> None:
    text = policy(
        'origin "https://*.example.com" { methods PUT }',
        'origin "https://a.example.com" { methods PATCH }',
    )
    item = one(text, "CORS511")
    assert item.help == (
        'an origin both match gets only the settings of "https://a.example.com"; give each '
        "block every setting it needs, or make the patterns disjoint"
    )


def test_policy_without_origins() -> None:
    text = policy("methods PUT")
    item = one(text, "CORS512")
    assert item.severity is ERROR
    assert where(item.span) == (1, 8, 1, 11)
    assert item.message == "policy `api` allows no origin: it lists none in `origins` or blocks"
    assert item.help == (
        'list who may read responses, for example `origins "https://app.example.com"`, or '
        "`origins *` for a public resource"
    )


def test_policy_whose_set_override_is_empty() -> None:
    # An empty `--set` is refused where it is written (CORS011), before any statement sees it.
    text = 'let allowed = "https://a.example"\n' + policy("origins allowed")
    assert codes(text, "allowed=") == ["CORS011"]


def test_policy_whose_every_entry_is_denied() -> None:
    text = policy(
        'origins "https://a.example.com", "https://*.b.example.com"', 'deny "https://*.example.com"'
    )
    item = one(text, "CORS512")
    assert where(item.span) == (1, 8, 1, 11)
    assert item.message == "policy `api` allows no origin: `deny` removes every entry"
    assert [where(r.span) for r in item.related] == [at(text, '"https://*.example.com"')]
    assert len(found(text, "CORS508")) == 2


@pytest.mark.parametrize("statement", ['origins "https://a.example/"', "origins undefined_list"])
def test_no_origin_allowed_is_not_piled_on_lowering_errors(statement: str) -> None:
    assert "CORS512" not in codes(policy(statement))


# ---- the whole run -------------------------------------------------------------------------


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
        "CORS405",
        "CORS406",
        "CORS502",
        "CORS504",
    }


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


# ---- cost ----------------------------------------------------------------------------------


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
        check_module.check(policy_set)
        best = min(best, time.process_time() - start)
    return best


@pytest.mark.slow
def test_check_cost_grows_linearly() -> None:
    small, large = _big_policy_set(10_000), _big_policy_set(100_000)
    found_large = check_module.check(large)
    assert {item.code for item in found_large} >= {"CORS508", "CORS510", "CORS114"}
    small_seconds, large_seconds = _check_seconds(small), _check_seconds(large)
    # Pairwise comparisons would make the large run ~100 times the small one.
    assert large_seconds < 5
    assert large_seconds < 25 * max(small_seconds, 0.01)


def psl_vectors() -> list[tuple[str, str | None]]:
    """The list's official test vectors, shipped with the ``publicsuffixlist`` package: those
    for lowercase ASCII names under TLDs the list knows (corsc does not treat unknown TLDs as
    public, and canonicalises names before it looks them up)."""
    from publicsuffixlist import PSLFILE

    text = (Path(PSLFILE).parent / "test_psl.txt").read_text("utf-8")
    vectors = []
    for name, expected in re.findall(r"checkPublicSuffix\('([^']*)', '?([^')]*)'?\);", text):
        if not name or name != name.lower() or not name.isascii() or name.startswith("."):
            continue
        vectors.append((name, None if expected == "null" else expected))
    return vectors


def test_public_suffix_list_official_vectors() -> None:
    from corsc import suffixes

    checked = 0
    for name, expected in psl_vectors():
        if not suffixes.rules().knows_top_level_domain(name.rsplit(".", 1)[-1]):
            continue
        assert suffixes.registrable_domain(name) == expected, name
        checked += 1
    assert checked >= 50


# ---- IP literals: the URL standard decides what is one ------------------------------------


@pytest.mark.parametrize(
    ("origin", "canonical", "local"),
    [
        ("http://devbox2:8080", "http://devbox2:8080", None),  # a name ending in a digit
        ("https://a.b.c.d3", "https://a.b.c.d3", None),
        ("http://a1", "http://a1", None),
        ("http://1a", "http://1a", None),
        ("http://x.1a", "http://x.1a", None),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000", "loopback"),
        ("http://0x7f.1", "http://127.0.0.1", "loopback"),  # hexadecimal, two parts
        ("http://127.1", "http://127.0.0.1", "loopback"),
        ("http://0x1", "http://0.0.0.1", None),
        ("http://1.2.3", "http://1.2.0.3", None),
        ("http://10.1", "http://10.0.0.1", "private-network"),
        ("http://0300.0250.1.1", "http://192.168.1.1", "private-network"),  # octal
        ("http://[::1]", "http://[::1]", "loopback"),
        ("http://[fd00::1]:3000", "http://[fd00::1]:3000", "private-network"),
        ("http://[::ffff:1.2.3.4]", "http://[::ffff:102:304]", None),
    ],
)
def test_hosts_are_ip_literals_exactly_when_browsers_parse_them_as_such(
    origin: str, canonical: str, local: str | None
) -> None:
    text = policy(f'origins "{origin}"', "credentials true")
    found = diagnostics(text)
    if canonical != origin:
        assert [item.fixes[0].edits[0].new_text for item in found if item.code == "CORS102"] == [
            f'"{canonical}"'
        ]
    local_messages = [item.message for item in found if item.code == "CORS110"]
    if local is None:
        assert local_messages == []
    else:
        assert local_messages == [
            f'"{canonical}" is a {local} origin: programs on each user\'s own '
            f"{'machine' if local == 'loopback' else 'network'} are trusted"
        ]
    assert "CORS101" not in [item.code for item in found]


@pytest.mark.parametrize(
    ("origin", "problem"),
    [
        ("http://1.2.3.4.5", "`1.2.3.4.5` is not a valid IPv4 address"),
        ("http://999.1.1.1", "`999.1.1.1` is not a valid IPv4 address"),
        ("http://1.2.3.256", "`1.2.3.256` is not a valid IPv4 address"),
        ("http://1.2.65536", "`1.2.65536` is not a valid IPv4 address"),
        ("http://08", "`08` is not a valid IPv4 address"),  # not an octal digit
        ("http://a.0x", "`a.0x` is not a valid IPv4 address"),
        ("http://a.0xg", None),  # `0xg` is not a number: a name
        ("http://[fe80::1%25eth0]", "`[fe80::1%25eth0]` is not an IPv6 address"),
        ("http://[fe80::1%eth0]", "`[fe80::1%eth0]` is not an IPv6 address"),
        ("http://[::g]", "`[::g]` is not an IPv6 address"),
    ],
)
def test_malformed_ip_literals_are_diagnostics(origin: str, problem: str | None) -> None:
    found = diagnostics(policy(f'origins "{origin}"', "credentials true"))
    messages = [item.message for item in found if item.code == "CORS101"]
    assert messages == ([] if problem is None else [f'"{origin}": {problem}'])


# ---- regexes judged by the origins they admit ---------------------------------------------


@pytest.mark.parametrize(
    ("body", "example", "outside"),
    [
        (".+", "https://a.com", None),
        (".*", "https://a.com", None),
        ("https?://.*", "https://a.com", None),
        ("https://.+", "https://a.com", None),
        (r"https://[a-z]+\.com", "https://a.com", None),
        (r"https://[a-z0-9-]+\.[a-z]+", "https://a.com", None),
        (r"^https://example\.com(\.[a-z]+)?$", "https://example.com.a", "example.com"),
        (r"^https://app\.example\.[a-z]+$", "https://app.example.a", None),
        (
            r"^https://example\.(com|co)(\.uk)?$",
            "https://example.com.uk",
            "example.co.uk, example.com, example.co",
        ),
        (r"https://example\.com.*", "https://example.com.evil.com", "example.com"),
        (r"https://example\.com(:\d+)?|https://[a-z]+\.io", "https://a.io", "example.com"),
        (r"https://[a-z]+\.github\.io", "https://a.github.io", None),  # github.io is public
        (r"https://[a-z]+\.nagoya\.jp", "https://a.nagoya.jp", None),  # *.nagoya.jp
        (r"https://x+\.test", "https://xx.test", "x.test"),  # a loop of literals
        (r"https://10\.0\.0\.\d+", "https://10.0.0.0", None),  # addresses are spelled out
        (r"https://\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}", "https://0.0.0.0", None),
        (r"http://\[::[0-9a-f]\]", "http://[::a]", None),
        (r"https://[a-z]+", "https://a", None),  # single-label names
        # Browsers keep a host's trailing dot: `a.com.` is a host of the site a.com.
        (r"https://[a-z]+\.com\.", "https://a.com.", None),
        (r"https://example\.com[a-z]*", "https://example.coma", "example.com"),
    ],
)
def test_regex_admitting_other_sites(body: str, example: str, outside: str | None) -> None:
    for credentials, code, severity in (("false", "CORS115", WARNING), ("true", "CORS116", ERROR)):
        text = policy(f'origins regex "{body}"', f"credentials {credentials}")
        if "CORS113" in codes(text):  # a look-alike host says it already, as an error
            assert not {"CORS115", "CORS116"} & set(codes(text))
            continue
        item = one(text, code)
        assert item.severity is severity
        assert where(item.span) == at(text, f'"{body}"')
        if outside is None:
            assert (
                item.message == f'regex "{body}" admits "{example}", and origins of any other site'
            )
        else:
            assert item.message == f'regex "{body}" admits "{example}" — outside {outside}'
        assert item.help.startswith("list the exact origins, or use a subdomain wildcard")
        assert [related.message for related in item.related] == (
            ["credentials enabled here"] if credentials == "true" else []
        )
        assert re.fullmatch(body.strip("^$"), example)


def test_regex_admitting_other_sites_exact_message() -> None:
    text = policy(r'origins regex "^https://example\.com(\.[a-z]+)?$"', "credentials true")
    item = one(text, "CORS116")
    assert item.message == (
        r'regex "^https://example\.com(\.[a-z]+)?$" admits "https://example.com.a" — outside '
        "example.com"
    )
    assert item.help == (
        "list the exact origins, or use a subdomain wildcard for a domain you own, such as "
        '"https://*.example.com"'
    )
    item = one(policy('origins regex ".+"', "credentials true"), "CORS116")
    assert item.message == 'regex ".+" admits "https://a.com", and origins of any other site'


@pytest.mark.parametrize(
    "body",
    [
        r"https://[a-z0-9-]+\.example\.com",
        r"https://pr-\d+\.example\.com",
        r"https://([a-z0-9-]+\.)*example\.com",
        r"https://[a-z]{1,63}(\.[a-z]{1,63})*\.example\.com",
        r"https://(www\.)?example\.com(:\d+)?",
        r"https?://(app|admin)\.example\.(com|net)",
        r"https://.*\.example\.com",  # anything before a literal `.example.com`: subdomains
        r"https://[^./:]+\.example\.com",
        r"https://[a-z]+\.city\.nagoya\.jp",  # an exception rule: one site
        r"https://[a-z]+\.myapp\.github\.io",
        r"https://a\.test|https://b\.test",
        r"http://localhost:\d{4}",
        r"http://\[::1\]:3000",
        r"https://10\.0\.0\.1(:\d+)?",
        r"https://example\.com(\.au)?",  # both spelled out
        r"https://[a-z]+\.example\.co\.uk",
        r"https://example\.com\.?(:\d+)?",  # the trailing dot names the same site
        r"https://[a-z]+\.example\.com\.",
        r"http://[a-z0-9-]+\.localhost(:\d+)?",  # the user's own machine, as *.localhost
    ],
)
def test_regex_within_the_sites_it_names(body: str) -> None:
    found = codes(policy(f'origins regex "{body}"', "credentials true"))
    assert not {"CORS115", "CORS116", "CORS117", "CORS118", "CORS119"} & set(found), found
    assert "CORS107" not in found and "CORS108" not in found


@pytest.mark.parametrize(
    ("body", "example"),
    [
        (".+", "a://a"),
        (r"[a-z]+://example\.com", "a://example.com"),
        (r"(https|ftp)://example\.com", "ftp://example.com"),
        (r"https?|chrome-extension://[a-p]{32}", None),
        (r"[a-z-]+://app\.example\.com(:\d+)?", "a://app.example.com"),
    ],
)
def test_regex_admitting_other_schemes(body: str, example: str | None) -> None:
    for credentials, code, severity in (("false", "CORS117", WARNING), ("true", "CORS118", ERROR)):
        text = policy(f'origins regex "{body}"', f"credentials {credentials}")
        if example is None:  # `https?` alone is no origin; the extension id is
            assert code in codes(text)
            continue
        item = one(text, code)
        assert item.severity is severity
        assert item.message == (
            f'regex "{body}" admits "{example}", whose scheme is neither http nor https'
        )
        assert item.help == "spell out the scheme: start the regex with `https://`"


@pytest.mark.parametrize(
    "body", [".*", ".+", "null|https://a\\.com", "(null|https://a\\.com)", "n.ll"]
)
def test_regex_admitting_null_is_judged_like_null(body: str) -> None:
    text = policy(f'origins regex "{body}"')
    item = one(text, "CORS107")
    assert item.message == (
        f'regex "{body}" admits "null", which every sandboxed iframe, data: URL and local file '
        "sends: any site can produce it"
    )
    assert where(item.span) == at(text, f'"{body}"')
    text = policy(f'origins regex "{body}"', "credentials true")
    item = one(text, "CORS108")
    assert item.severity is ERROR
    assert item.message == (
        f'regex "{body}" admits "null" with credentials: any page can read responses with the '
        "user's cookies, since sandboxed iframes and data: URLs send `null`"
    )


def test_look_alikes_and_unescaped_dots_are_not_reported_twice() -> None:
    # CORS113 and CORS112 already say these admit other sites.
    for body, code in [
        (r"https://.*example\.com", "CORS113"),
        (r"https://api.example\.com", "CORS112"),
    ]:
        found = codes(policy(f'origins regex "{body}"', "credentials true"))
        assert code in found and "CORS116" not in found


def test_regex_in_deny_is_not_judged_by_its_language() -> None:
    found = codes(policy('origins "https://a.example.com"', 'deny regex ".+"'))
    assert not {"CORS107", "CORS115", "CORS117"} & set(found)


def test_regex_too_complex_to_judge(monkeypatch: pytest.MonkeyPatch) -> None:
    from corsc.regex import walk

    monkeypatch.setattr(walk, "MAX_WALK", 50)
    body = r"https://example\.(a|b|c|d|e|f|g|h)(a|b|c|d|e|f|g|h)"
    item = one(policy(f'origins regex "{body}"'), "CORS119")
    assert item.severity is ERROR
    assert (
        item.message == f'regex "{body}" is too complex for corsc to tell which origins it admits'
    )
    assert item.help == (
        "split it into several `regex` entries, or list the origins it should admit"
    )


def test_rules_below_agree_between_text_search_and_index() -> None:
    from publicsuffixlist import PSLFILE

    from corsc import suffixes

    names = [
        "nagoya.jp",
        "city.nagoya.jp",
        "kawasaki.jp",
        "compute.amazonaws.com",
        "amazonaws.com",
        "s3.amazonaws.com",
        "example.com",
        "co.uk",
        "github.io",
        "user.github.io",
        "com",
        "ck",
        "рф",
        "xn--p1ai",
        "uk",
        "com.uk",
        "a.b.c",
        "jp",
    ]
    text = Path(PSLFILE).read_text("utf-8")
    searched = suffixes._Rules(text)
    indexed = suffixes._Rules(text)
    indexed._below = indexed._index_below()
    for name in names:
        assert searched.first_below(name) == indexed.first_below(name), name


@given(st.text(alphabet="0123456789abcdefx.", min_size=1, max_size=20))
@settings(max_examples=300, deadline=None)
def test_any_dotted_host_is_judged_without_raising(host: str) -> None:
    from corsc import origins

    canonical, problem = origins.canonical_host_of(host)
    if canonical is not None and origins.ends_in_a_number(canonical):
        assert ipaddress.IPv4Address(canonical)  # a canonical IPv4 address, dotted quad
        assert check_module._local_kind(canonical) in (None, "loopback", "private-network")
    assert (canonical is None) == bool(problem)


# ---- origins longer than any Origin corsc allows (CORS409) --------------------------------------


def long_host(length: int, base: str = "example.com") -> str:
    """A host of ``length`` characters ending in ``base``, labels of at most 63."""
    room = length - len(base) - 1
    labels = []
    while room > 0:
        take = min(63, room) if room != 64 else 62
        labels.append("a" * take)
        room -= take + 1
    return ".".join([*labels, base])


@pytest.mark.parametrize(
    ("written", "shortest"),
    [
        ("https://{host}", 268),
        ("https://*.{host}", 268),
        ("http://{host}:*", 268),
        ("https://{host}:8443", 268),
    ],
)
def test_an_origin_no_browser_can_send_is_an_error(written: str, shortest: int) -> None:
    suffix = {"https://{host}": 8, "https://*.{host}": 10, "http://{host}:*": 7}.get(written, 13)
    host = long_host(shortest - suffix)
    pattern = written.format(host=host)
    text = policy(f'origins "{pattern}", "https://b.example"')
    diagnostic = one(text, "CORS409")
    assert diagnostic.severity is ERROR
    assert where(diagnostic.span) == at(text, f'"{pattern}"')
    assert diagnostic.message == (
        f'"{pattern}" matches only Origins of {shortest} characters or more, and an Origin '
        "longer than 267 (https://, a 253-character DNS name and a port) is never allowed"
    )
    assert diagnostic.help == (
        "check the host name: a DNS name has at most 253 characters, and each label at most 63"
    )


def test_the_longest_origin_a_browser_sends_is_fine() -> None:
    host = long_host(267 - len("https://"))
    assert "CORS409" not in codes(policy(f'origins "https://{host}", "https://b.example"'))
    block = policy('origins "https://b.example"', f'origin "https://{host}x" {{ methods PUT }}')
    assert "CORS409" in codes(block)


@pytest.mark.parametrize("host", ["lo3000", "devbox2", "a.b.c.d3", "x1.example9"])
def test_a_host_name_ending_in_a_digit_is_not_taken_for_an_address(host: str) -> None:
    text = policy(f'origins "http://{host}:8080", "https://b.example"')
    assert "CORS110" not in codes(text)  # not a local address, and no traceback


# ---- look-alikes under a site the regex names --------------------------------------------------

#: Regexes whose hosts are all subdomains of the site they name: a probe under that site
#: (`axa.example.com`) is a host the regex means, not a look-alike.
SUBDOMAIN_REGEXES = [
    r"^https://([a-z0-9]+\.)*[a-z0-9]+\.example\.com$",
    r"^https://[a-z]+(\.[a-z]+)*\.example\.com$",
    r"^https://([a-z0-9_-]+\.)*[a-z0-9_-]+\.example\.com$",
    r"^https://[a-z0-9_-]+(\.[a-z0-9_-]+)*\.example\.com$",
    r"^https://([a-z0-9-]+\.)+example\.com$",
    r"^https://[a-z0-9]+(-[a-z0-9]+)*(\.[a-z0-9]+)*\.example\.org$",
    r"^https://([a-z]+\.)*[a-z]+\.api\.example\.co\.uk$",
    r"^https?://([a-z0-9]+\.)*[a-z0-9]+\.example\.com(:\d+)?$",
]
#: Real look-alikes stay flagged.
LOOK_ALIKE_REGEXES = [
    (r"^https://.*example\.com$", "https://evilexample.com"),
    (r"^https://[a-z]+\.example\.com.*$", "https://a.example.com.evil.test"),
    (r"^https://pr-\d+\.example.com$", "https://pr-1.examplexcom"),
    (r"^https://([a-z]+\.)*[a-z]*example\.com$", "https://evilexample.com"),
    (r"^https://[a-z]+\.example.com$", "https://a.examplexcom"),
]


@pytest.mark.parametrize("body", SUBDOMAIN_REGEXES)
@pytest.mark.parametrize("credentials", ["true", "false"])
def test_a_subdomain_of_the_named_site_is_not_a_look_alike(body: str, credentials: str) -> None:
    text = policy(f'origins regex "{body}"', f"credentials {credentials}")
    found = codes(text)
    assert {"CORS113", "CORS115", "CORS116", "CORS119"}.isdisjoint(found), found


@pytest.mark.parametrize(("body", "probe"), LOOK_ALIKE_REGEXES)
def test_real_look_alikes_are_still_flagged(body: str, probe: str) -> None:
    item = one(policy(f'origins regex "{body}"'), "CORS113")
    assert f'admits "{probe}"' in item.message


@pytest.mark.parametrize(
    "body",
    [
        r"^https://(\.[a-z]{1,8}|app[a-z0-9-]*)\.com$",
        r"^https://(\.\.[a-z]|\.[a-z]{2}|z[a-z]+q)\.com$",
        "^https://(" + "|".join(f"b{i}" * 60 for i in range(9)) + r"|z[a-z]+q)\.com$",
    ],
)
def test_a_permissive_regex_never_passes_behind_dead_or_long_branches(body: str) -> None:
    found = codes(policy(f'origins regex "{body}"', "credentials true"))
    assert {"CORS116", "CORS119"} & set(found), found
