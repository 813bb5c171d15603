"""``corsc lsp`` never fails on any text an editor can send: random edits (ranges anywhere,
reversed or past the end; fragments of policies, quotes, backslashes, astral characters, every
kind of line break, lone surrogates) through one live server session, each followed by every
request the server answers. Every answer must be a result, never an error, and the server
must exit cleanly at the end with nothing logged."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.lsp_session import Session

START = """\
let team = "https://a.example.com", "https://*.b.example.org"
policy api {
  paths "/api"
  origins team, regex "^https://pr-\\d+\\.example\\.com$"
  methods GET, PUT
  origin "https://c.example.com" { credentials true }
}
"""

FRAGMENTS = [
    "policy p {",
    "}",
    "{",
    "origins ",
    '"https://a.example.com"',
    '"HTTP://A.example.com:80"',
    ", ",
    ",\n",
    "\n",
    "\r\n",
    "\r",
    "\u2028",
    "methods get",
    "headers Cookie",
    "let x = ",
    "team",
    'regex "(a+)+"',
    "*",
    "# c",
    '"',
    "\\",
    "😀",
    "\ud800",
    "max-age 10m",
    ";",
    'origin "https://d.example.com" { methods PUT }',
    "credentials true",
]

_edit = st.tuples(
    st.integers(0, 12),
    st.integers(0, 90),
    st.integers(0, 12),
    st.integers(0, 90),
    st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=3), max_size=4).map("".join),
)

_uris = (f"untitled:fuzz{number}.cors" for number in itertools.count())


@pytest.fixture(scope="module")
def session() -> Iterator[Session]:
    live = Session()
    yield live
    assert live.close() == 0
    assert live.stderr() == ""


def _position(line: int, character: int) -> dict[str, int]:
    return {"line": line, "character": character}


def _requests(uri: str, line: int, character: int) -> list[tuple[str, dict[str, Any]]]:
    document = {"textDocument": {"uri": uri}}
    at = {**document, "position": _position(line, character)}
    everything = {"start": _position(0, 0), "end": _position(99, 0)}
    return [
        ("textDocument/hover", at),
        ("textDocument/completion", at),
        ("textDocument/definition", at),
        ("textDocument/references", {**at, "context": {"includeDeclaration": True}}),
        ("textDocument/documentSymbol", document),
        (
            "textDocument/codeAction",
            {**document, "range": everything, "context": {"diagnostics": []}},
        ),
        ("textDocument/formatting", {**document, "options": {"tabSize": 2, "insertSpaces": True}}),
    ]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    edits=st.lists(_edit, min_size=1, max_size=6), line=st.integers(0, 10), char=st.integers(0, 80)
)
def test_random_edits(
    session: Session, edits: list[tuple[int, int, int, int, str]], line: int, char: int
) -> None:
    uri = next(_uris)
    item = {"uri": uri, "languageId": "cors", "version": 1, "text": START}
    session.notify("textDocument/didOpen", {"textDocument": item})
    for version, (start_line, start_char, end_line, end_char, text) in enumerate(edits, start=2):
        change = {
            "range": {
                "start": _position(start_line, start_char),
                "end": _position(end_line, end_char),
            },
            "text": text,
        }
        session.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]},
        )
        for method, params in _requests(uri, line, char):
            response = session.request(method, params)
            assert "error" not in response, (method, response["error"])
    session.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
