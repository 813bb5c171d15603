"""A ``deny`` refuses an Origin as sent and with one trailing dot removed from its host. The
servers cannot strip the dot (an nginx capture would overwrite a location's ``$1``), so each
deny pattern also gets a regex for its dotted twin: origin_regex.render_dotted. Checked here against
the definition — ``without_trailing_dot(o)`` admitted by the pattern — for every dialect corsc
writes, on patterns of every kind and on origins built around their near misses."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corsc import origin_regex, origins, regex
from tests.irbuild import pattern

#: Deny patterns of every kind, regexes with ports, alternations, repeats and odd shapes.
PATTERNS = [
    "http://evil.test:18300",
    "https://evil.test",
    "https://*.evil.test",
    "https://*.evil.test:8443",
    "http://evil.test:*",
    "https://*.evil.test:*",
    "http://127.0.0.1:8080",
    "http://[::1]:8080",
    "null",
    r"regex:^https://pr-\d+\.example\.com$",
    r"regex:^https?://(a|b)\.evil\.test(:[0-9]+)?$",
    r"regex:^http://x\.y:\d{2,5}$",
    r"regex:^https://(x|y)(\.z)*$",
    r"regex:^https://[a-z]{1,3}\.q$",
    r"regex:^https://a\.b\.?$",
    r"regex:^[a-z]+$",
    r"regex:^null$",
    r"regex:^https://a\.b:?[0-9]*$",
]

#: The dialects whose Python reading is the same as the target engine's for these shapes
#: (anchors aside); ECMAScript and .NET differ from Python only in the anchors here.
DIALECTS = ("python", "pcre", "ecmascript", "dotnet")


def build(text: str) -> origins.OriginPattern:
    if text.startswith("regex:"):
        return origins.regex_pattern(text.removeprefix("regex:"), pattern("*").span)
    return pattern(text)


def as_python(source: str, dialect: str) -> re.Pattern[str]:
    """A rendered regex read by Python: the dialects differ only in their anchors."""
    opening, closing = regex.DIALECTS[dialect]
    assert source.startswith(opening) and source.endswith(closing)
    body = source[len(opening) : -len(closing)]
    end = closing[1:]
    return re.compile(body.replace(end, r"\Z") if end != r"\Z" else body)


def expected(denied: origins.OriginPattern, origin: str) -> bool:
    undotted = origins.without_trailing_dot(origin)
    return undotted is not None and origin_regex.matcher(denied)(undotted)


def probes(text: str) -> list[str]:
    """Origins around a pattern: its samples and their dotted, doubled-dot, ported and
    mangled forms."""
    denied = build(text)
    base = (
        regex.sample_origins(denied.regex)
        if denied.kind is origins.PatternKind.REGEX
        else [denied.canonical.replace("*.", "a.b.").replace(":*", ":81"), denied.canonical]
    )
    found = set()
    for origin in base:
        head, colon, port = origin.rpartition(":")
        if not colon or "//" in port or not port.isdigit():
            head, colon, port = origin, "", ""
        for variant in (
            origin,
            head + "." + colon + port,
            head + ".." + colon + port,
            head + ".:1" if not colon else head + "." + colon + port + "0",
            origin + ".",
            origin + ".:443",
            head + "." + colon + port + "/",
            head[:-1] + "." + colon + port,
            "HTTPS://" + head.partition("://")[2] + "." + colon + port,
        ):
            found.add(variant)
    return sorted(found)


@pytest.mark.parametrize("text", PATTERNS)
@pytest.mark.parametrize("dialect", DIALECTS)
def test_dotted_twin_admits_exactly_the_dotted_forms(text: str, dialect: str) -> None:
    denied = build(text)
    rendered = origin_regex.render_dotted(denied, dialect)
    cases = probes(text)
    if text not in ("null", "http://[::1]:8080", r"regex:^null$", r"regex:^[a-z]+$"):
        assert any(expected(denied, origin) for origin in cases)  # the probes reach a twin
    if rendered is None:
        assert not any(expected(denied, origin) for origin in cases)
        return
    compiled = as_python(rendered, dialect)
    for origin in cases:
        assert bool(compiled.fullmatch(origin)) == expected(denied, origin), (origin, rendered)


def test_the_twin_of_an_exact_deny_is_the_dotted_host() -> None:
    assert origin_regex.render_dotted(pattern("http://evil.test:18300"), "pcre") == (
        r"^(?:http://evil\.test\.:18300)\z"
    )
    assert origin_regex.render_dotted(pattern("null"), "pcre") is None
    assert origin_regex.render_dotted(pattern("http://[::1]:8080"), "pcre") is None


def test_a_regex_ending_in_a_host_gets_one_alternative() -> None:
    rendered = origin_regex.render_dotted(build(r"regex:^https://pr-\d+\.example\.com$"), "pcre")
    assert rendered == (
        r"^(?:(?=[a-z][a-z0-9+.\-]*://[^/?\x23:]+\.(?::[0-9]+)?\z)"
        r"(?:https://pr-[0-9]+\.example\.com\.(?=(?::[0-9]+)?\z)))\z"
    )


LABELS = st.sampled_from(["a", "b", "evil", "test", "x-1", "q", "z", "pr-12"])
HOSTS = st.lists(LABELS, min_size=1, max_size=4).map(".".join)
ORIGINS = st.builds(
    lambda scheme, host, dots, port: f"{scheme}://{host}{'.' * dots}{port}",
    st.sampled_from(["http", "https", "ftp"]),
    HOSTS,
    st.integers(0, 2),
    st.sampled_from(["", ":80", ":8443", ":", ":0x", "/"]),
)
REGEXES = st.lists(
    st.sampled_from(
        [
            *(r"https?://", r"[a-z]+", r"\.", r"(a|b)", r"evil", r"(\.[a-z]+)*", r"(:\d+)?"),
            *(r"x-1", r"[a-z0-9]{1,5}", r"(:[0-9]{2,4})?", r"[a-z]{2}", r"(:\d+)*", r"\.?"),
        ]
    ),
    min_size=1,
    max_size=6,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(REGEXES, st.lists(ORIGINS, min_size=1, max_size=8))
def test_dotted_twin_of_any_regex(body: str, cases: list[str]) -> None:
    denied = origins.regex_pattern(body, pattern("*").span)
    rendered = origin_regex.render_dotted(denied, "python")
    samples = regex.sample_origins(body)
    cases += samples + [origin + "." for origin in samples]
    cases += [re.sub(r"(:[0-9]+)$", r".\1", origin) for origin in samples]
    for origin in cases:
        admitted = rendered is not None and re.fullmatch(rendered, origin) is not None
        assert admitted == expected(denied, origin), (body, origin, rendered)
