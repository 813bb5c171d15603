"""corsc.checks.regexes: `regex` patterns outside the portable subset, with unescaped dots
or look-alike hosts, and judged by the origins they admit (CORS107/108, CORS111–CORS119).

Each test loads a small policy with ``corsc.frontend.load`` and asserts the code, severity and
range of what it reports (see ``checking``).
"""

from __future__ import annotations

import re

import pytest
from checking import ERROR, WARNING, at, codes, one, policy, where


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
