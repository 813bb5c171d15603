"""Bad input gets a diagnostic, never a traceback, whatever the importer: every fixture and
golden output, edited at random (text cut, tokens inserted, parts repeated), read as every
format import knows, gives an :class:`~corsc.imports.Imported` whose policy text, if any,
corsc loads."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from importing import FIXTURES, GOLDEN

from corsc.frontend import load
from corsc.imports import FORMATS, import_source
from corsc.source import Source

TEXTS = sorted(
    path
    for root in (FIXTURES, GOLDEN)
    for path in root.rglob("*")
    if path.is_file() and path.name != "README"
)
#: What an edit inserts: the punctuation and the words the formats give meaning to.
PIECES = [
    *"{}()[]\"';:,<>/\\ \n\t*$%#@!=~^|&?+-.",
    "\x00",
    "é",
    "Access-Control-Allow-Origin",
    "location",
    "if",
    "map",
    "header",
    "http-request",
    "SetEnvIf",
    "cors(",
    "origin:",
    "true",
    "OPTIONS",
]


@st.composite
def edited(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(TEXTS)).read_text("utf-8")
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(("cut", "insert", "repeat")))
        if kind == "cut":
            text = text[:at] + text[at + draw(st.integers(1, 20)) :]
        elif kind == "insert":
            text = text[:at] + draw(st.sampled_from(PIECES)) + text[at:]
        else:
            start = draw(st.integers(0, len(text)))
            text = text[:at] + text[start : start + draw(st.integers(1, 40))] + text[at:]
    return text


@settings(
    max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(text=edited(), family=st.sampled_from((None, *FORMATS)))
def test_an_edited_configuration_is_read_or_refused_with_findings(
    text: str, family: str | None
) -> None:
    result = import_source(Source("edited", text), family)
    assert result.policy is not None or result.diagnostics
    if result.policy is not None:
        load(Source("imported.cors", result.policy))


@pytest.mark.parametrize("args", ["", "= ", "^~ ", "~ ", "~* "])
def test_an_nginx_location_without_a_path_is_cors701(args: str) -> None:
    header = "add_header Access-Control-Allow-Origin *;"
    text = f"server {{\n  location {args}{{\n    {header}\n  }}\n}}\n"
    result = import_source(Source("nginx.conf", text), "nginx")
    assert [(item.code, item.span.start.line) for item in result.diagnostics] == [("CORS701", 2)]
    assert result.diagnostics[0].message == (
        "a location without a path: nginx refuses this configuration (invalid number of arguments)"
    )


def test_every_fixture_family_and_golden_target_is_among_the_texts() -> None:
    families = {path.parent.name for path in TEXTS if FIXTURES in path.parents}
    targets = {path.parent.name for path in TEXTS if GOLDEN in path.parents}
    assert {"iis", "nginx", "caddy", "apache", "haproxy", "express", "python"} <= families
    assert {"haproxy", "apache", "caddy", "express", "json", "nginx", "iis"} <= targets
    assert Path(FIXTURES).is_dir()


@pytest.mark.parametrize(
    ("family", "text"),
    [
        (
            "caddy",
            'example.com {\n\theader Access-Control-Allow-Origin "https://a.example"\n'
            "\theader Access-Control-Allow-Origin a `\\z$1`\n}\n",
        ),
        (
            "apache",
            'Header always set Access-Control-Allow-Origin "https://a.example"\n'
            "Header always edit Access-Control-Allow-Origin (a) \\z$3\n",
        ),
    ],
)
def test_a_replacement_with_backslashes_and_missing_groups_is_applied_as_written(
    family: str, text: str
) -> None:
    """A header's find-and-replace is the server's, not a Python template: a backslash stands
    for itself and a group the regex does not have is empty."""
    result = import_source(Source("config", text), family)
    assert result.policy is not None or result.diagnostics
