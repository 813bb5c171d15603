"""corsc.regex.emit: the renderings, and that each means what the body means, in every dialect
and run by its own engine where there is one (tests/regex_engines.py says how)."""

from __future__ import annotations

import re
import warnings

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from corsc import regex
from corsc.regex import DIALECTS, render, sample_origins, validate
from tests.regex_engines import BODIES, as_python, full_match, run_node, run_pcre

RENDERED = [
    (r"https://api\.example\.com", r"https://api\.example\.com"),
    (r"https://pr-\d+\.example\.com", r"https://pr-[0-9]+\.example\.com"),
    (r"https://[a-z0-9-]+\.example\.com", r"https://[\-0-9a-z]+\.example\.com"),
    (r"https?://(www\.)?example\.com", r"https?://(?:www\.)?example\.com"),
    (r"https://(?:a|b)\.test", r"https://(?:a|b)\.test"),
    (r"https://.+\.test", r"https://[!-~]+\.test"),
    (r"https://[^.]+\.test", r"https://[!-\-/-~]+\.test"),
    (r"https://[^a-z]\.test", r"https://[!-\x60{-~]\.test"),
    (r"https://a{2}b{2,}c{2,3}d?e*f+", r"https://a{2}b{2,}c{2,3}d?e*f+"),
    (r"a{0,1}b{0,}c{1,}", r"a?b*c+"),
    (r"http://\[::1\]:3000", r"http://\[::1\]:3000"),
    (r"\x41\$\"\'\;\#\&\<\> \`", r"A\x24\x22\x27\x3b\x23\x26\x3c\x3e\x20\x60"),
    (r"[$&~|]", r"[\x24\x26|~]"),
    (r"[\^\]\[\\-]", r"[\-\[-\^]"),
    (r"[ab]", r"[ab]"),
    (r"[abc]", r"[a-c]"),
    (r"\/\:\-\_", r"/:-_"),
]


@pytest.mark.parametrize(("body", "expected"), RENDERED)
def test_rendering(body: str, expected: str) -> None:
    assert render(body, "python") == rf"\A(?:{expected})\Z"
    assert render(body, "pcre") == rf"^(?:{expected})\z"
    assert render(body, "dotnet") == render(body, "pcre")
    assert render(body, "ecmascript") == rf"^(?:{expected})$"


def test_rendering_refuses_what_validate_refuses() -> None:
    with pytest.raises(ValueError, match="backreferences"):
        render(r"(a)\1", "python")
    with pytest.raises(ValueError, match="unknown regex dialect 'perl'; known: python, pcre"):
        render("a", "perl")


def test_rendering_is_printable_ascii_without_quotes_or_spaces() -> None:
    for body, _ in RENDERED:
        for dialect in DIALECTS:
            rendered = render(body, dialect)
            assert rendered.isascii() and rendered.isprintable()
            assert not set(rendered) & set(" \"';#&<>`")


def test_escape_round_trips() -> None:
    text = "https://[::1]:8443 $^.*+?()[]{}|\\/-_~"
    assert re.fullmatch(render(regex.escape(text), "python"), text)
    assert validate(regex.escape(text)) == []


# ---- adversarial origins in every dialect -----------------------------------------------------

#: (body, origins it admits, origins it must not admit)
ADVERSARIAL: list[tuple[str, list[str], list[str]]] = [
    (
        r"https://api\.example\.com",
        ["https://api.example.com"],
        [
            "https://api.example.com.evil.net",
            "https://evilapi.example.com",
            "https://apiXexample.com",
            "https://api.exampleXcom",
            "http://api.example.com",
            "https://api.example.com:8443",
            "HTTPS://API.EXAMPLE.COM",
            "https://api.example.com.",
            "https://api.example.com\n",
            "https://api.example.com/",
            "https://user@api.example.com",
            "https://api.example.com@evil.net",
            " https://api.example.com",
            "null",
            "",
        ],
    ),
    (
        r"^https://[a-z0-9-]+\.example\.com$",
        ["https://a.example.com", "https://a-1.example.com"],
        [
            "https://example.com",
            "https://.example.com",
            "https://a.b.example.com",
            "https://a.example.com.evil.net",
            "https://evil.net/.example.com",
            "https://a_b.example.com",
            "https://A.example.com",
            "https://a.example.com\n",
            "https://a.example.com:443",
            "https://a\n.example.com",
        ],
    ),
    (
        r"https?://(www\.)?example\.com(:\d+)?",
        [
            "https://example.com",
            "http://www.example.com",
            "https://example.com:8443",
        ],
        [
            "https://wwwxexample.com",
            "https://evilexample.com",
            "https://example.com.evil.net",
            "ftp://example.com",
            "https://example.com:",
            "https://example.com:84a",
            "https://example.com:\u0661",  # an Arabic-Indic digit: \d must be ASCII
            "https://example.com\n",
            "https://example.com:8443\n",
        ],
    ),
    (
        r"https://.+\.example\.com",
        ["https://a.example.com", "https://a.b.example.com"],
        [
            "https://\n.example.com",
            "https://\r.example.com",
            "https:// .example.com",
            "https://\u2028.example.com",
            "https://é.example.com",
            "https://example.com",
        ],
    ),
    (
        r"null",
        ["null"],
        ["NULL", "null\n", "nul", "nulll", ""],
    ),
]

ADVERSARIAL_CASES = [
    (body.removeprefix("^").removesuffix("$"), origin, admitted)
    for body, good, bad in ADVERSARIAL
    for origins, admitted in ((good, True), (bad, False))
    for origin in origins
]


@pytest.mark.parametrize(("body", "origin", "admitted"), ADVERSARIAL_CASES)
def test_adversarial_origins_in_python_for_every_dialect(
    body: str, origin: str, admitted: bool
) -> None:
    for dialect in DIALECTS:
        assert full_match(render(body, dialect), dialect, origin) == admitted, dialect
    python = render(body, "python")
    # The Python rendering is safe with re.match and re.search too, not only re.fullmatch.
    assert (re.match(python, origin) is not None) == admitted
    assert (re.fullmatch(python, origin) is not None) == admitted


@pytest.fixture(scope="module")
def ecmascript() -> dict[tuple[str, str], list[bool | str]]:
    return run_node([(render(body, "ecmascript"), origin) for body, origin, _ in ADVERSARIAL_CASES])


@pytest.mark.parametrize(("body", "origin", "admitted"), ADVERSARIAL_CASES)
def test_adversarial_origins_in_node(
    ecmascript: dict[tuple[str, str], list[bool | str]], body: str, origin: str, admitted: bool
) -> None:
    assert ecmascript[render(body, "ecmascript"), origin] == [admitted, admitted]


@pytest.mark.parametrize(("body", "good", "bad"), ADVERSARIAL)
def test_adversarial_origins_in_pcre(body: str, good: list[str], bad: list[str]) -> None:
    # Every text but the empty one: grep reads an empty input as no record at all.
    texts = [text for text in good + bad if text]
    body = body.removeprefix("^").removesuffix("$")
    assert run_pcre(render(body, "pcre"), texts) == set(good)


# ---- the rendering means what the body means ---------------------------------------------------

PRINTABLE = "".join(sorted(regex.PRINTABLE))


@given(BODIES, st.data())
@settings(max_examples=500, deadline=None)
@example(r"[%--]{2,}", None)
def test_validate_never_raises_and_accepted_bodies_mean_what_python_reads(
    body: str, data: st.DataObject | None
) -> None:
    issues = [issue for issue in validate(body) if issue.kind in ("invalid", "unsupported")]
    # render() refuses what the syntax check refuses; the exponential-time check is
    # validate()'s alone (render's docstring).
    slow = ("exponential", "polynomial", "too complex")
    if any(not any(word in issue.message for word in slow) for issue in issues):
        with pytest.raises(ValueError):
            render(body, "python")
    if issues:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # Python's notes about future set syntax
        raw = re.compile(body)
    rendered = re.compile(render(body, "python"))
    for dialect in DIALECTS:
        re.compile(as_python(render(body, dialect), dialect))
    # On what an origin is made of (printable ASCII), the rendering and Python's reading of
    # the body agree; off it, the rendering admits nothing Python would not.
    samples = sample_origins(body)
    texts = [*samples, *(sample[:-1] for sample in samples if sample)]
    texts += [sample.replace(".", "x", 1) + "a" for sample in samples]
    if data is not None:
        texts += data.draw(st.lists(st.text(PRINTABLE, max_size=8), max_size=5))
    for text in texts:
        assert (raw.fullmatch(text) is None) == (rendered.fullmatch(text) is None), text
    for sample in samples:
        assert rendered.fullmatch(sample + "\n") is None
