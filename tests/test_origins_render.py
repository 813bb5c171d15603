"""corsc.origins' regex renderings: render_pattern, render_union, and matching through them.

Dialects are checked by the engines of tests/regex_engines.py: in Python for all four
renderings, in Node.js for ECMAScript (one process for the module), and in real PCRE2 through
``grep -Pz`` (one process per regex). The properties compare with a naive statement of what a
pattern means, written here, not with corsc's own matcher.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corsc import origin_regex, origins
from corsc.ir import OriginPattern, PatternKind
from corsc.regex import DIALECTS
from corsc.source import Position, Span
from tests.regex_engines import full_match, run_node, run_pcre

SPAN = Span("test.cors", Position(1, 1, 0), Position(1, 1, 0))


def pattern(text: str) -> OriginPattern:
    if text.startswith("regex:"):
        return origins.regex_pattern(text.removeprefix("regex:"), SPAN)
    parsed = origins.parse_pattern(text, SPAN)
    assert parsed.pattern is not None, parsed.problem
    return parsed.pattern


# ---- exact renderings ---------------------------------------------------------------------------

#: Ports a browser writes, by scheme: 1-65535 without a leading zero, never the default port
#: (80: `[1-7][0-9]|8[1-9]` skips it; 443: `4(?:[0-3][0-9]|4[0-2])|4(?:4[4-9]|…)` skips it).
_HIGH_PORTS = (
    r"[1-9][0-9]{3}|[1-5][0-9]{4}|6(?:[0-4][0-9]{3}|5(?:[0-4][0-9]{2}|5(?:[0-2][0-9]|3[0-5])))"
)
HTTP_PORTS = r"(?::(?:[1-9]|[1-7][0-9]|8[1-9]|9[0-9]|[1-9][0-9]{2}|" + _HIGH_PORTS + "))?"
HTTPS_PORTS = (
    r"(?::(?:[1-9]|[1-9][0-9]|[1-3][0-9]{2}|4(?:[0-3][0-9]|4[0-2])|4(?:4[4-9]|[5-9][0-9])|"
    r"[5-9][0-9]{2}|" + _HIGH_PORTS + "))?"
)

RENDERED = [
    ("https://app.example.com", r"https://app\.example\.com"),
    ("http://localhost:3000", r"http://localhost:3000"),
    ("https://*.example.com", r"https://(?:[\-0-9_a-z]+\.)+example\.com"),
    (
        "https://*.example.com:*",
        r"https://(?:[\-0-9_a-z]+\.)+example\.com" + HTTPS_PORTS,
    ),
    ("https://*.example.com:8443", r"https://(?:[\-0-9_a-z]+\.)+example\.com:8443"),
    ("http://localhost:*", r"http://localhost" + HTTP_PORTS),
    ("http://[::1]:8080", r"http://\[::1\]:8080"),
    ("https://xn--fa-hia.de", r"https://xn--fa-hia\.de"),
    ("null", "null"),
    ("*", r"[\s\S]+"),
    (r"regex:^https://pr-\d+\.example\.com$", r"https://pr-[0-9]+\.example\.com"),
]


@pytest.mark.parametrize(("text", "body"), RENDERED)
def test_render_pattern(text: str, body: str) -> None:
    for dialect, (opening, closing) in DIALECTS.items():
        assert origin_regex.render_pattern(pattern(text), dialect) == opening + body + closing


def test_python_regex_is_the_python_rendering_and_safe_with_re_match() -> None:
    wildcard = pattern("https://*.example.com")
    assert origin_regex.python_regex(wildcard) == origin_regex.render_pattern(wildcard, "python")
    assert re.match(origin_regex.python_regex(wildcard), "https://a.example.com.evil.net") is None
    assert re.match(origin_regex.python_regex(wildcard), "https://a.example.com\n") is None


def test_matcher_for_a_regex_uses_the_python_rendering() -> None:
    match = origin_regex.matcher(pattern(r"regex:https://pr-\d+\.example\.com"))
    assert match("https://pr-12.example.com")
    assert not match("https://pr-\u0661\u0662.example.com")  # Python's own \d would match
    assert not match("https://pr-1.example.com\n")
    dot = origin_regex.matcher(pattern(r"regex:https://a.+\.test"))
    assert dot("https://ab.test")
    assert not dot("https://a\n.test")


def test_matcher_refuses_a_regex_outside_the_subset() -> None:
    with pytest.raises(ValueError, match="lookahead"):
        origin_regex.matcher(pattern(r"regex:(?=x)x"))


def test_render_union() -> None:
    patterns = [
        pattern("https://a.example.com"),
        pattern("https://*.example.org"),
        pattern("https://a.example.com"),
        pattern(r"regex:https://x\.test|https://y\.test"),
        pattern("null"),
    ]
    assert origin_regex.render_union(patterns, "ecmascript") == (
        r"^(?:https://a\.example\.com|https://(?:[\-0-9_a-z]+\.)+example\.org"
        r"|https://x\.test|https://y\.test|null)$"
    )
    assert origin_regex.render_union([*patterns, pattern("*")], "pcre") == r"^(?:[\s\S]+)\z"
    with pytest.raises(ValueError, match="at least one pattern"):
        origin_regex.render_union([], "python")


# ---- adversarial origins in every dialect -----------------------------------------------------

ADVERSARIAL: list[tuple[str, list[str], list[str]]] = [
    (
        "https://app.example.com",
        ["https://app.example.com"],
        [
            "https://app.example.com.evil.net",
            "https://evilapp.example.com",
            "https://appXexample.com",
            "https://app.exampleXcom",
            "https://app.example.co",
            "http://app.example.com",
            "https://app.example.com:443",
            "https://app.example.com:8443",
            "HTTPS://APP.EXAMPLE.COM",
            "https://App.example.com",
            "https://app.example.com.",
            "https://app.example.com\n",
            "https://app.example.com/",
            "https://user@app.example.com",
            "https://app.example.com@evil.net",
            "https://evil.net#app.example.com",
            "null",
            "",
        ],
    ),
    (
        "https://*.example.com",
        ["https://a.example.com", "https://a.b.example.com", "https://a_b-1.example.com"],
        [
            "https://example.com",
            "https://.example.com",
            "https://a..example.com",
            "https://evilexample.com",
            "https://a.example.com.evil.net",
            "https://a.example.com.",
            "https://a.example.com\n",
            "https://a\n.example.com",
            "https://evil.net/.example.com",
            "https://evil.net?.example.com",
            "https://A.example.com",
            "https://a.example.com:8443",
            "http://a.example.com",
            "https://a.example.comm",
            "null",
        ],
    ),
    (
        "http://localhost:*",
        ["http://localhost", "http://localhost:3000", "http://localhost:65535"],
        [
            "http://localhost:",
            "http://localhost:0",
            "http://localhost:03000",
            "http://localhost:123456",
            "http://localhost:3000\n",
            "http://localhost:3000.evil.net",
            "http://localhost.evil.net:3000",
            "http://evillocalhost:3000",
            "https://localhost:3000",
            "http://localhost:\u0661",
            "http://LOCALHOST:3000",
        ],
    ),
    (
        "https://*.example.com:*",
        ["https://a.example.com", "https://a.b.example.com:8443"],
        ["https://example.com:8443", "https://a.example.com:", "https://a.example.com:8443\n"],
    ),
    ("null", ["null"], ["Null", "NULL", "null\n", " null", "nul", ""]),
    ("*", ["https://anything.test", "null", "x\ny"], [""]),
]

CASES = [
    (text, origin, admitted)
    for text, good, bad in ADVERSARIAL
    for group, admitted in ((good, True), (bad, False))
    for origin in group
]


@pytest.mark.parametrize(("text", "origin", "admitted"), CASES)
def test_adversarial_origins_in_python_for_every_dialect(
    text: str, origin: str, admitted: bool
) -> None:
    for dialect in DIALECTS:
        assert (
            full_match(origin_regex.render_pattern(pattern(text), dialect), dialect, origin)
            == admitted
        )
    assert origin_regex.matcher(pattern(text))(origin) == admitted


@pytest.fixture(scope="module")
def ecmascript() -> dict[tuple[str, str], list[bool | str]]:
    return run_node(
        [
            (origin_regex.render_pattern(pattern(text), "ecmascript"), origin)
            for text, origin, _ in CASES
        ]
    )


@pytest.mark.parametrize(("text", "origin", "admitted"), CASES)
def test_adversarial_origins_in_node(
    ecmascript: dict[tuple[str, str], list[bool | str]], text: str, origin: str, admitted: bool
) -> None:
    rendered = origin_regex.render_pattern(pattern(text), "ecmascript")
    assert ecmascript[rendered, origin] == [admitted, admitted]


@pytest.mark.parametrize(("text", "good", "bad"), ADVERSARIAL)
def test_adversarial_origins_in_pcre(text: str, good: list[str], bad: list[str]) -> None:
    # grep reads an empty input as no record at all, so the empty origin is left out here.
    texts = [origin for origin in good + bad if origin]
    assert run_pcre(origin_regex.render_pattern(pattern(text), "pcre"), texts) == set(good)


# ---- properties against a naive statement of the meaning --------------------------------------

LABEL_CHARS = "abz09-_"
DNS_LABEL = set("abcdefghijklmnopqrstuvwxyz0123456789-_")


def naive_admits(p: OriginPattern, origin: str) -> bool:
    """README: Origin patterns said again, plainly, for host patterns, ``null`` and ``*``."""
    if p.kind is PatternKind.ANY:
        return origin != ""
    if p.kind is PatternKind.NULL:
        return origin == "null"
    scheme, separator, rest = origin.partition("://")
    if not separator or scheme != p.scheme:
        return False
    host, colon, port = rest.rpartition(":")
    if not colon:
        host, port_text = rest, None
    else:
        port_text = port
    if p.any_port:  # any port a browser writes: 1-65535, no leading zero, not the default
        port_ok = port_text is None or (
            1 <= len(port_text) <= 5
            and all(c in "0123456789" for c in port_text)
            and port_text[0] != "0"
            and int(port_text) <= 65535
            and int(port_text) != {"http": 80, "https": 443}[p.scheme]
        )
    elif p.port is not None:
        port_ok = port_text == str(p.port)
    else:
        port_ok = port_text is None
    if not port_ok:
        return False
    if p.kind is PatternKind.SUBDOMAIN:
        if not host.endswith("." + p.host):
            return False
        labels = host[: -len(p.host) - 1].split(".")
        return all(label and set(label) <= DNS_LABEL for label in labels)
    return host == p.host


labels = st.text(LABEL_CHARS, min_size=1, max_size=3)
bases = st.builds(
    lambda parts, tld: ".".join([*parts, tld]),
    st.lists(labels, max_size=2),
    st.sampled_from(["com", "test", "a"]),
)
ports = st.sampled_from(["", ":*", ":3000", ":8443", ":1"])


@st.composite
def host_patterns(draw: st.DrawFn) -> OriginPattern:
    scheme = draw(st.sampled_from(["http", "https"]))
    wildcard = draw(st.booleans())
    base = draw(bases)
    return pattern(f"{scheme}://{'*.' if wildcard else ''}{base}{draw(ports)}")


@st.composite
def origins_near(draw: st.DrawFn, p: OriginPattern) -> str:
    """An origin ``p`` admits, then at most one of its parts changed into a near miss."""
    prefix = draw(st.lists(labels, min_size=1, max_size=2))
    base = p.host or draw(bases)
    host = ".".join([*prefix, base]) if p.kind is PatternKind.SUBDOMAIN else base
    if p.any_port:
        port = draw(st.sampled_from(["", ":1", ":3000", ":65535", ":99999", ":80", ":443"]))
    else:
        port = f":{p.port}" if p.port is not None else ""
    scheme = p.scheme or "https"
    suffix = ""
    part = draw(st.sampled_from(["none", "scheme", "host", "port", "suffix"]))
    if part == "scheme":
        scheme = draw(st.sampled_from(["http", "https", "HTTPS", "ftp", "", "https:"]))
    elif part == "host":
        host = draw(
            st.sampled_from(
                [
                    base,
                    "evil" + base,
                    base + ".evil",
                    base.replace(".", "x", 1),
                    "." + base,
                    ".".join(prefix) + ".." + base,
                    host.upper(),
                    host + ".",
                    host.replace(base, "evil" + base),
                    "a" + host,
                ]
            )
        )
    elif part == "port":
        port = draw(
            st.sampled_from(
                [
                    "",
                    ":3000",
                    ":0",
                    ":1",
                    ":80",
                    ":443",
                    ":99999",
                    ":123456",
                    ":08443",
                    ":",
                    ":x",
                    ":\u0661",
                ]
            )
        )
    elif part == "suffix":
        suffix = draw(st.sampled_from(["\n", "/", "@evil.test", " ", "."]))
    return f"{scheme}://{host}{port}{suffix}"


@given(st.data())
@settings(max_examples=500, deadline=None)
def test_render_pattern_means_what_the_pattern_says(data: st.DataObject) -> None:
    p = data.draw(host_patterns())
    origin = data.draw(st.one_of(origins_near(p), st.sampled_from(["null", "", "*"])))
    expected = naive_admits(p, origin)
    for dialect in DIALECTS:
        assert full_match(origin_regex.render_pattern(p, dialect), dialect, origin) == expected, (
            dialect
        )


REGEXES = [
    r"https://pr-\d+\.example\.com",
    r"https?://(?:a|b)\.test(?::[0-9]{2,4})?",
]
any_pattern = st.one_of(
    host_patterns(),
    st.sampled_from(["null", "*", *(f"regex:{body}" for body in REGEXES)]).map(pattern),
)


def naive_or_regex(p: OriginPattern, origin: str) -> bool:
    if p.kind is PatternKind.REGEX:
        # These bodies use no `.`, and `\d` is read as ASCII, as corsc reads it.
        return re.fullmatch(p.regex, origin, re.ASCII) is not None
    return naive_admits(p, origin)


@given(st.lists(any_pattern, min_size=1, max_size=4), st.data())
@settings(max_examples=300, deadline=None)
def test_render_union_admits_what_any_pattern_admits(
    patterns: list[OriginPattern], data: st.DataObject
) -> None:
    near = st.sampled_from(patterns).flatmap(origins_near)
    fixed = st.sampled_from(["null", "", "https://pr-7.example.com", "http://a.test:12"])
    origin = data.draw(st.one_of(near, fixed))
    expected = any(naive_or_regex(p, origin) for p in patterns)
    for dialect in DIALECTS:
        rendered = origin_regex.render_union(patterns, dialect)
        assert "||" not in rendered and "(?:|" not in rendered and "|)" not in rendered
        assert full_match(rendered, dialect, origin) == expected, dialect


@pytest.mark.parametrize(
    ("origin", "stripped"),
    [
        ("http://evil.test.:18300", "http://evil.test:18300"),
        ("http://evil.test.", "http://evil.test"),
        ("https://a.b.example.com.", "https://a.b.example.com"),
        ("https://app.example.com", None),
        ("https://app.example.com:443", None),
        ("null", None),
        ("http://[::1]:8080", None),
    ],
)
def test_without_trailing_dot(origin: str, stripped: str | None) -> None:
    assert origins.without_trailing_dot(origin) == stripped


def test_max_origin_length_is_the_longest_https_origin() -> None:
    longest = "https://" + ".".join(["a" * 63] * 3 + ["a" * 61]) + ":65535"
    assert len(longest) == origins.MAX_ORIGIN_LENGTH
