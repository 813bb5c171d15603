"""Completion: statement names where a statement begins, values after a statement's name."""

from __future__ import annotations

from corsc.lsp.analysis import analyse
from corsc.lsp.complete import completions


def _labels(text: str) -> list[str]:
    """Completions at the `|` in ``text``."""
    offset = text.index("|")
    return [item.label for item in completions(analyse(text.replace("|", ""), None, "t"), offset)]


def test_where_a_statement_begins() -> None:
    assert _labels("|") == ["policy", "let"]
    assert _labels("pol|") == ["policy", "let"]
    assert _labels("policy p {\n  |\n}")[:4] == ["paths", "origins", "deny", "methods"]
    assert _labels('policy p {\n  origin "https://a.example.com" {\n    m|\n  }\n}') == [
        "methods",
        "headers",
        "expose",
        "credentials",
        "max-age",
        "private-network",
    ]


def test_values() -> None:
    let = 'let team = "https://a.example.com"\n'
    assert _labels("policy p {\n  credentials |\n}") == ["true", "false"]
    assert _labels("policy p {\n  unlisted r|\n}") == ["pass", "reject"]
    assert _labels("policy p {\n  preflight-status |\n}") == ["204", "200"]
    assert _labels(let + "policy p {\n  origins |\n}") == ["*", "team"]
    assert _labels(let + "policy p {\n  deny |\n}") == ["team"]
    methods = _labels("policy p {\n  methods GET, |\n}")
    assert methods[:3] == ["PUT", "PATCH", "DELETE"] and "*" in methods
    assert "Authorization" in _labels("policy p {\n  headers Content-Type,\n    |\n}")
    assert "X-Request-Id" in _labels("policy p {\n  expose |\n}")
