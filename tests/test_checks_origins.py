"""corsc.checks.origins: what each allowed origin admits (CORS104–CORS110, CORS114,
CORS301, CORS409), the `origins` list repeating itself, hosts that are IP addresses, and the
public suffix list the wildcard check relies on.

Each test loads a small policy with ``corsc.frontend.load`` and asserts the code, severity and
range of what it reports (see ``checking``).
"""

from __future__ import annotations

import ipaddress

import pytest
from checking import ERROR, INFO, WARNING, at, codes, diagnostics, found, one, policy, where
from hypothesis import given, settings
from hypothesis import strategies as st

from corsc.checks import origins as origin_checks


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
    # Never a made-up site under the suffix (`https://app.com` is somebody's).
    assert item.help == (
        "list each site you trust by its own origin; a wildcard belongs under a domain you "
        'control, such as "https://*.example.com"'
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


@given(st.text(alphabet="0123456789abcdefx.", min_size=1, max_size=20))
@settings(max_examples=300, deadline=None)
def test_any_dotted_host_is_judged_without_raising(host: str) -> None:
    from corsc import origins

    canonical, problem = origins.canonical_host_of(host)
    if canonical is not None and origins.ends_in_a_number(canonical):
        assert ipaddress.IPv4Address(canonical)  # a canonical IPv4 address, dotted quad
        assert origin_checks.local_kind(canonical) in (None, "loopback", "private-network")
    assert (canonical is None) == bool(problem)


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
