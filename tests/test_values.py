"""corsc.values: canonical origins, patterns, durations, name lists, paths and defaults — the IR
each written value lowers to, and what lowering a value reports.

Ranges are ``(line, column, end line, end column)``, 1-based, the end exclusive.
"""

from __future__ import annotations

import pytest

from corsc.diagnostics import Severity
from corsc.ir import PatternKind, Unlisted
from tests.loading import first_policy, found, origins_of, where

# ---- origins -------------------------------------------------------------------------------


PUNYCODE = "browsers send international host names in punycode"
LOWERCASE = "browsers send scheme and host in lowercase"
DEFAULT_PORT = "browsers never send the default port "


@pytest.mark.parametrize(
    ("written", "canonical", "why"),
    [
        ("https://faß.de", "https://xn--fa-hia.de", PUNYCODE),
        ("https://élève.example", "https://xn--lve-6lad.example", PUNYCODE),
        ("HTTPS://App.Example.COM", "https://app.example.com", LOWERCASE),
        ("https://app.example.com:443", "https://app.example.com", DEFAULT_PORT + "443"),
        ("http://app.example.com:80", "http://app.example.com", DEFAULT_PORT + "80"),
        ("https://[0:0::1]:8443", "https://[::1]:8443", "browsers send it in another form"),
    ],
)
def test_origins_are_canonicalised_with_a_fix(written: str, canonical: str, why: str) -> None:
    text = f'policy api {{\n  origins "{written}"\n}}\n'
    assert origins_of(first_policy(text)) == [canonical]
    (item,) = found(text, "CORS102")
    assert item.severity is Severity.WARNING
    assert where(item.span) == (2, 11, 2, 13 + len(written))
    assert item.message == f'"{written}" is not how browsers send this origin: {why}'
    (fix,) = item.fixes
    assert [edit.new_text for edit in fix.edits] == [f'"{canonical}"']


def test_canonical_origins_and_patterns() -> None:
    text = (
        "policy api {\n"
        '  origins "https://a.example:8443", "https://*.example.com", "http://localhost:*",\n'
        '    "https://*.example.org:*", "null", *\n'
        "}\n"
    )
    api = first_policy(text)
    assert [(entry.pattern.kind, entry.pattern.canonical) for entry in api.entries] == [
        (PatternKind.EXACT, "https://a.example:8443"),
        (PatternKind.SUBDOMAIN, "https://*.example.com"),
        (PatternKind.PORT, "http://localhost:*"),
        (PatternKind.SUBDOMAIN, "https://*.example.org:*"),
        (PatternKind.NULL, "null"),
        (PatternKind.ANY, "*"),
    ]
    assert api.entries[0].pattern.port == 8443
    assert api.entries[1].pattern.host == "example.com"


@pytest.mark.parametrize(
    ("written", "code", "message"),
    [
        ("https://a.example/", "CORS101", "{} ends with `/`; an origin never does"),
        (
            "https://a.example/x",
            "CORS101",
            "{} has a path; an origin is only scheme, host and port",
        ),
        ("a.example", "CORS101", "{} has no scheme"),
        ("ftp://a.example", "CORS101", "unsupported scheme `ftp` in an origin"),
        ("https://u@a.example", "CORS101", "{} has user information (`…@`); an origin never does"),
        ("https://a.example:99999", "CORS101", "port 99999 is out of range"),
        ("https://a.*.example", "CORS103", "`*` in {} is not a whole leading label"),
    ],
)
def test_what_is_not_an_origin(written: str, code: str, message: str) -> None:
    text = f'policy api {{\n  origins "https://ok.example", "{written}"\n}}\n'
    (item,) = found(text, code)
    assert item.severity is Severity.ERROR
    assert item.message == message.format(f'"{written}"')
    assert where(item.span) == (2, 33, 2, 35 + len(written))
    assert origins_of(first_policy(text)) == ["https://ok.example"]


def test_regex_anchors_are_stripped_from_the_body() -> None:
    text = 'policy api {\n  origins regex "^https://a\\.example\\.com$", regex "b\\$"\n}\n'
    bodies = [entry.pattern.regex for entry in first_policy(text).entries]
    assert bodies == [r"https://a\.example\.com", r"b\$"]


# ---- durations and defaults ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "seconds"),
    [("0", 0), ("90", 90), ("45s", 45), ("10m", 600), ("2h", 7200), ("1d", 86400)],
)
def test_durations(written: str, seconds: int) -> None:
    text = f"policy api {{\n  origins *\n  max-age {written}\n}}\n"
    setting = first_policy(text).grant.max_age
    assert (setting.value, setting.written) == (seconds, True)
    assert where(setting.span) == (3, 3, 3, 11 + len(written))


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("1.5h", "expected a duration, found `1.5h`"),
        ("5w", "expected a duration, found `5w`"),
        ("-5", "max-age cannot be negative: -5"),
        ('"10m"', 'expected a duration, found "10m"'),
    ],
)
def test_invalid_durations(written: str, message: str) -> None:
    text = f"policy api {{\n  origins *\n  max-age {written}\n}}\n"
    (item,) = found(text, "CORS401")
    assert item.message == message
    assert where(item.span) == (3, 11, 3, 11 + len(written))
    assert first_policy(text).grant.max_age.value is None


def test_defaults_point_at_the_policy_name() -> None:
    api = first_policy('policy api {\n  origins "https://a.example"\n}\n')
    grant = api.grant
    name = (1, 8, 1, 11)
    assert [token.value for token in grant.methods.value.items] == ["GET", "HEAD", "POST"]
    for setting in (
        grant.methods,
        grant.headers,
        grant.expose,
        grant.credentials,
        grant.max_age,
        grant.private_network,
        api.unlisted,
        api.preflight_status,
    ):
        assert not setting.written
        assert where(setting.span) == name
    assert grant.headers.value.items == () and not grant.headers.value.wildcard
    assert grant.expose.value.items == ()
    assert grant.credentials.value is False
    assert grant.max_age.value is None
    assert grant.private_network.value is False
    assert api.unlisted.value is Unlisted.PASS
    assert api.preflight_status.value == 204
    assert api.paths == () and api.is_fallback


def test_written_settings() -> None:
    text = (
        "policy api {\n"
        "  origins *\n"
        "  headers *\n"
        "  expose X-Id\n"
        "  unlisted reject\n"
        "  preflight-status 200\n"
        "}\n"
    )
    api = first_policy(text)
    assert api.grant.headers.value.wildcard and api.grant.headers.written
    assert [token.value for token in api.grant.expose.value.items] == ["X-Id"]
    assert api.unlisted.value is Unlisted.REJECT
    assert api.preflight_status.value == 200


def test_star_must_stand_alone() -> None:
    (item,) = found("policy api {\n  origins *\n  methods GET, *\n}\n", "CORS006")
    assert item.message == "`*` must stand alone in its list"
    assert where(item.span) == (3, 16, 3, 17)


def test_invalid_preflight_status() -> None:
    (item,) = found("policy api {\n  origins *\n  preflight-status 201\n}\n", "CORS408")
    assert item.message == "the preflight status must be 200 or 204, found `201`"


# ---- paths ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("/api", "/api"),
        ("/api/", "/api"),
        ("/", "/"),
        ("/v2/./x/../y", "/v2/y"),
        ("/a/..", "/"),
        ("/files%2Fraw", "/files%2Fraw"),  # never decoded
        ("/API", "/API"),  # case is kept
    ],
)
def test_paths_are_normalised(written: str, normalised: str) -> None:
    (prefix,) = first_policy(f'policy api {{\n  paths "{written}"\n  origins *\n}}\n').paths
    assert (prefix.value, prefix.text) == (normalised, written)


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ('"api"', '"api" is not a path prefix'),
        ('"/a b"', '"/a b" contains spaces or control characters'),
        (
            '"/admin#x"',
            '"/admin#x" holds a fragment (`#`): paths are matched without their query or fragment',
        ),
        (
            '"/b?y=1"',
            '"/b?y=1" holds a query (`?`): paths are matched without their query or fragment',
        ),
        ('"/?"', '"/?" holds a query (`?`): paths are matched without their query or fragment'),
        (
            '"/a#b?c"',
            '"/a#b?c" holds a fragment (`#`): paths are matched without their query or fragment',
        ),
    ],
)
def test_invalid_paths(written: str, message: str) -> None:
    text = f"policy api {{\n  paths {written}\n  origins *\n}}\n"
    (item,) = found(text, "CORS513")
    assert item.message == message
    assert where(item.span) == (2, 9, 2, 9 + len(written))
    assert first_policy(text).paths == ()


def test_a_query_in_a_path_says_how_to_write_it() -> None:
    (item,) = found('policy api {\n  paths "/admin#x"\n  origins *\n}\n', "CORS513")
    assert (
        item.help == 'write the path alone ("/admin"), or `%23` for a `#` that is part of the path'
    )
