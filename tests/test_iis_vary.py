"""``Vary`` shared with the site (corsc.backends.iis_vary): the user's ``Vary`` keeps its
element with corsc's members appended, and the site's members survive in every
``<location>`` corsc writes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.iis_merging import (
    API,
    FIXTURES,
    SPA,
    TARGETS,
    effective_headers,
    merge,
    merged_of,
)
from tests.iis_structure import parse


def test_user_vary_keeps_its_value_with_origin_merged_in() -> None:
    original = (FIXTURES / "headers-comments.config").read_bytes()
    for target in ("iis-headers", "iis-rewrite"):
        merged = merge(SPA, target, original)
        assert isinstance(merged, str)
        headers = parse(merged).find("system.webServer/httpProtocol/customHeaders")
        assert headers is not None
        vary = [e for e in headers if e.tag == "add" and e.get("name", "").lower() == "vary"]
        assert [e.get("value") for e in vary] == ["Accept-Encoding, Origin"]
        assert headers[0].tag == "clear"  # corsc's headers come after the user's <clear/>
        assert "<!-- security headers -->" in merged and "SEC-1142" in merged


def test_a_vary_header_without_a_value_is_overridden_not_a_crash() -> None:
    document = (
        "<configuration>\n  <system.webServer>\n    <httpProtocol>\n      <customHeaders>\n"
        '        <add name="Vary" />\n      </customHeaders>\n    </httpProtocol>\n'
        "  </system.webServer>\n</configuration>\n"
    )
    for target in TARGETS:
        merged = merged_of(SPA, target, document.encode())
        assert merged.text is not None and merged.diagnostics == ()
        headers = effective_headers(parse(merged.text), None)
        assert headers["vary"] == "Origin"
        assert merged_of(SPA, target, merged.text.encode()).text == merged.text


def vary_site(root_entries: str, api_entries: str | None, dot: bool = False) -> bytes:
    """The site root's customHeaders entries (under ``<location path=".">`` when ``dot``) and,
    when given, a user's ``<location path="api">`` customHeaders."""
    server = (
        "    <system.webServer>\n      <httpProtocol>\n        <customHeaders>\n"
        f"{root_entries}        </customHeaders>\n      </httpProtocol>\n    </system.webServer>\n"
    )
    root = (
        f'  <location path=".">\n{server}  </location>\n'
        if dot
        else server[2:].replace("\n  ", "\n")
    )
    api = (
        '  <location path="api">\n    <system.webServer>\n      <httpProtocol>\n'
        f"        <customHeaders>\n{api_entries}        </customHeaders>\n"
        "      </httpProtocol>\n    </system.webServer>\n  </location>\n"
        if api_entries is not None
        else ""
    )
    return f"<configuration>\n{root}{api}</configuration>\n".encode()


def _vary(value: str) -> str:
    return f'          <add name="Vary" value="{value}" />\n'


VARY_CASES = [
    # (root entries, api entries, Vary under /api, Vary under /v2)
    (_vary("Accept-Encoding"), None, "Accept-Encoding, Origin", "Accept-Encoding, Origin"),
    (_vary("accept-encoding, ORIGIN"), None, "accept-encoding, ORIGIN", "accept-encoding, ORIGIN"),
    (
        _vary("Accept-Encoding,,  Accept-Encoding"),
        None,
        "Accept-Encoding, Origin",
        "Accept-Encoding, Origin",
    ),
    (_vary("*"), None, "*", "*"),
    ("", None, "Origin", "Origin"),
    (_vary("Accept-Encoding"), _vary("X-Tenant"), "X-Tenant, Origin", "Accept-Encoding, Origin"),
    (
        _vary("Accept-Encoding"),
        _vary("x-tenant, origin"),
        "x-tenant, origin",
        "Accept-Encoding, Origin",
    ),
    (
        _vary("Accept-Encoding"),
        '          <remove name="Vary" />\n',
        "Origin",
        "Accept-Encoding, Origin",
    ),
    (_vary("Accept-Encoding"), "          <clear />\n", "Origin", "Accept-Encoding, Origin"),
    (_vary("A") + '          <remove name="vary" />\n' + _vary("B"), "", "B, Origin", "B, Origin"),
    (
        "          <clear />\n" + _vary("Accept-Language"),
        "",
        "Accept-Language, Origin",
        "Accept-Language, Origin",
    ),
]


@pytest.mark.parametrize("dot", [False, True], ids=["root", "location-dot"])
@pytest.mark.parametrize(("root_entries", "api_entries", "api", "v2"), VARY_CASES)
def test_the_sites_vary_survives_under_corscs_locations(
    root_entries: str, api_entries: str | None, api: str, v2: str, dot: bool
) -> None:
    document = vary_site(root_entries, api_entries, dot)
    merged = merged_of(API, "iis-rewrite", document)
    assert merged.text is not None and merged.diagnostics == ()
    root = parse(merged.text)
    if dot:  # the site root lives under <location path=".">: model it as the root
        holder = root.find("location[@path='.']")
        assert holder is not None
        root.remove(holder)
        root.insert(0, holder[0])
    assert effective_headers(root, "api")["vary"] == api
    assert effective_headers(root, "v2")["vary"] == v2
    again = merged_of(API, "iis-rewrite", merged.text.encode())
    assert again.text == merged.text
    third = merged_of(API, "iis-rewrite", merged.text.encode())
    assert third.text == merged.text


MEMBERS = st.sampled_from(
    ["Accept-Encoding", "accept-encoding", "Origin", "ORIGIN", "X-Tenant", "Cookie"]
)


@settings(max_examples=40, deadline=None)
@given(
    root_members=st.lists(MEMBERS, max_size=4, unique_by=str.lower),
    api_members=st.none() | st.lists(MEMBERS, max_size=3, unique_by=str.lower),
)
def test_location_vary_is_the_users_members_then_corscs_without_repeats(
    root_members: list[str], api_members: list[str] | None
) -> None:
    root_entries = _vary(", ".join(root_members)) if root_members else ""
    api_entries = (
        None if api_members is None else _vary(", ".join(api_members)) if api_members else ""
    )
    merged = merged_of(API, "iis-rewrite", vary_site(root_entries, api_entries))
    assert merged.text is not None
    root = parse(merged.text)
    for path, user in (("api", api_members or root_members), ("v2", root_members)):
        members = [m.strip() for m in effective_headers(root, path)["vary"].split(",")]
        expected: list[str] = []
        for member in [*user, "Origin"]:
            if member.lower() not in {m.lower() for m in expected}:
                expected.append(member)
        assert members == expected
    assert merged_of(API, "iis-rewrite", merged.text.encode()).text == merged.text


@pytest.mark.parametrize(
    ("entries", "vary", "users_element"),
    [
        (_vary("Accept-Encoding"), "Accept-Encoding, Origin", True),
        (_vary("Accept-Encoding") + "          <clear />\n", "Origin", False),
        (_vary("Accept-Encoding") + '          <remove name="VARY" />\n', "Origin", False),
        ("          <clear />\n" + _vary("Cookie"), "Cookie, Origin", True),
        (_vary("A") + _vary("B"), "B, Origin", True),  # the last add decides (and is a 500.19)
        ('          <add name="Vary" />\n', "Origin", False),
    ],
)
@pytest.mark.parametrize("target", TARGETS)
def test_root_vary_is_merged_into_the_entry_that_decides_it(
    entries: str, vary: str, users_element: bool, target: str
) -> None:
    merged = merged_of(SPA, target, vary_site(entries, None))
    assert merged.text is not None
    assert effective_headers(parse(merged.text), None)["vary"] == vary
    assert ('<!-- corsc:begin vary appended="' in merged.text) is users_element
    assert merged_of(SPA, target, merged.text.encode()).text == merged.text
