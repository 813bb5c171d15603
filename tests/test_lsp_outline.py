"""The error-tolerant outline: statements, blocks, bindings and their uses, on any text."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from corsc.lsp.outline import keywords, outline, statement_names, tokens

TEXT = """\
let m = PUT,   # a comment
  DELETE
policy api {
  origins "https://a.example.com", regex "^https://b\\.example\\.com$",
  methods m; headers X-A,
}
"""


def test_statements_and_blocks() -> None:
    found = outline(TEXT)
    summary = [
        (s.keyword.text, s.name.text if s.name else None, [i.text for i in s.items])
        for s in found.all_statements()
    ]
    assert summary == [
        ("let", "m", ["PUT", "DELETE"]),
        ("policy", "api", []),
        ("origins", None, ['"https://a.example.com"', '"^https://b\\.example\\.com$"']),
        ("methods", None, ["m"]),
        ("headers", None, ["X-A"]),
    ]
    regex = found.all_statements()[2].items[1]
    assert (regex.form, TEXT[regex.start : regex.start + 5]) == ("regex", "regex")
    api = found.statements[1]
    assert TEXT[api.start : api.end].endswith("}") and api.braced


def test_bindings_and_references() -> None:
    found = outline(TEXT)
    assert list(found.bindings()) == ["m"]
    (use,) = found.references("m")
    assert TEXT[use.start : use.end] == "m" and TEXT[use.start - 8 : use.start] == "methods "


def test_an_unclosed_block_and_junk_still_outline() -> None:
    found = outline('policy p {\n  origins "https://a.example.com\n  @@ {\n  methods GET')
    assert [s.keyword.text for s in found.all_statements()] == ["policy", "origins", "methods"]
    assert found.statements[0].end == len(found.text) and not found.statements[0].braced


def test_the_grammars_words() -> None:
    assert statement_names()[:3] == ("paths", "origins", "deny")
    assert {"let", "policy", "origin", "regex", "max-age"} <= keywords()


@given(st.text(alphabet=st.sampled_from(list('policy{}=,;*"\\#\n\r regexmthods-😀'))))
def test_any_text(text: str) -> None:
    found = outline(text)
    end = 0
    for token in tokens(text):  # in order, and only spaces between them
        assert token.start >= end and not text[end : token.start].strip(" \t\r\f")
        assert text[token.start : token.end] == token.text
        end = token.end
    assert not text[end:].strip(" \t\r\f")
    for statement in found.all_statements():
        assert 0 <= statement.start <= statement.end <= len(text)
