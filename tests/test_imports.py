"""corsc.imports and its shared parts: the format guess, policy text that always parses,
searched regexes as full-match ones, and no traceback on any input."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from loading import run

from corsc.frontend import load
from corsc.imports import FORMATS, guess, import_source
from corsc.imports.common import full_match, literal, split_alternatives
from corsc.imports.draft import quote
from corsc.source import Source


@pytest.mark.parametrize(
    ("text", "family"),
    [
        ('<?xml version="1.0"?><configuration/>', "iis"),
        ("\ufeff<configuration/>", "iis"),
        ("server { add_header X 1; }", "nginx"),
        ("add_header Access-Control-Allow-Origin *;", "nginx"),
        ("app.add_middleware(CORSMiddleware, allow_origins=['*'])", "starlette"),
        ("CORS_ALLOWED_ORIGINS = []", "django"),
        ("from flask_cors import CORS\nCORS(app)", "flask"),
        ("hello", None),
    ],
)
def test_guess(text: str, family: str | None) -> None:
    assert guess(text) == family


@given(st.text(alphabet='ab\\"$.*', max_size=12))
def test_quote_reads_back_as_written(text: str) -> None:
    loaded = run(f"policy p {{\n  origins regex {quote('^x' + text + '$')}\n}}\n")
    assert loaded.policy_set is not None
    pattern = loaded.policy_set.policies[0].entries[0].pattern
    assert pattern.text == "^x" + text + "$"


def test_split_alternatives_ignores_bars_in_groups_classes_and_escapes() -> None:
    assert split_alternatives(r"a|(b|c)|[|]|\||d") == ["a", "(b|c)", "[|]", r"\|", "d"]


@pytest.mark.parametrize(
    ("pattern", "body", "unanchored"),
    [
        (r"^https://a\.com$", r"https://a\.com", ()),
        (r"\Ahttps://a\.com\z", r"https://a\.com", ()),
        (r"example\.com", r".*example\.com.*", ("start", "end")),
        (r"^https://a\.com", r"https://a\.com.*", ("end",)),
        (r"a\$", r".*a\$.*", ("start", "end")),
        (r"^a$|b", r"(?:a)|(?:.*b.*)", ("start", "end")),
    ],
)
def test_full_match_gives_the_meaning_a_search_has(
    pattern: str, body: str, unanchored: tuple[str, ...]
) -> None:
    searched = full_match(pattern)
    assert (searched.body, searched.unanchored) == (body, unanchored)
    python = pattern.replace(r"\z", r"\Z")  # PCRE's \z is Python's \Z
    for origin in ("https://a.com", "https://a.com.evil", "xexample.comy", "b", "a$", "a"):
        assert bool(re.search(python, origin)) == bool(re.fullmatch(body, origin)), origin


def test_full_match_ignoring_case_admits_the_lowercase_origins() -> None:
    assert full_match(r"^https://App\.Example\.COM$", ignore_case=True).body == (
        r"https://app\.example\.com"
    )
    assert full_match(r"^\D\S$", ignore_case=True).body == r"\D\S"


def test_literal() -> None:
    assert literal(r"(?:https://a\.example\.com)") == "https://a.example.com"
    assert literal(r"https://[a-z]+\.com") is None
    assert literal(r"(?:a)|(?:b)") is None


@settings(max_examples=60, deadline=None)
@given(family=st.sampled_from(FORMATS), text=st.text(max_size=200))
def test_any_input_gives_diagnostics_never_a_traceback(family: str, text: str) -> None:
    result = import_source(Source("input", text), family)
    if result.policy is not None:
        assert load(Source("imported.cors", result.policy)).policy_set is not None


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "server {",
                "location /a {",
                "}",
                'add_header Access-Control-Allow-Origin "https://a.example" always;',
                "add_header Access-Control-Allow-Origin $http_origin;",
                "add_header Access-Control-Allow-Methods GET;",
                'if ($http_origin ~ "a") {',
                "if ($request_method = OPTIONS) {",
                "return 204;",
                "set $c $http_origin;",
                "map $http_origin $c {",
                '"~x" $http_origin;',
                "default 1;",
            ]
        ),
        max_size=14,
    )
)
def test_nginx_shaped_input_never_raises(lines: list[str]) -> None:
    result = import_source(Source("nginx.conf", "\n".join(lines)), "nginx")
    if result.policy is not None:
        assert load(Source("imported.cors", result.policy)).policy_set is not None
