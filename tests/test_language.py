"""corsc.language: the statement table agrees with the grammar, and names are held to their rule."""

from __future__ import annotations

import pytest

from corsc.language import (
    BLOCK_STATEMENTS,
    KEYWORD_TERMINALS,
    KEYWORDS,
    KIND_OF_STATEMENT,
    SEPARATOR_TERMINALS,
    STATEMENTS,
    VALUE_TERMINALS,
    did_you_mean,
    name_problem,
)
from corsc.parse import _parser
from corsc.source import Source


def test_the_grammar_names_the_statements_of_the_table_in_its_order() -> None:
    lark = _parser()
    alternatives = [rule.expansion for rule in lark.rules if rule.origin.name == "statement_name"]
    assert all(len(expansion) == 1 for expansion in alternatives)
    written = [lark.get_terminal(expansion[0].name).pattern.value for expansion in alternatives]
    assert written == list(STATEMENTS)


def test_each_keyword_terminal_is_the_grammar_s_terminal_for_that_keyword() -> None:
    terminals = {terminal.pattern.value: terminal.name for terminal in _parser().terminals}
    assert {terminals[word] for word in KEYWORDS} == KEYWORD_TERMINALS
    names = {terminal.name for terminal in _parser().terminals}
    assert names >= SEPARATOR_TERMINALS | VALUE_TERMINALS


def test_what_a_block_may_set_and_what_the_lists_name() -> None:
    assert set(BLOCK_STATEMENTS) == {
        "methods",
        "headers",
        "expose",
        "credentials",
        "max-age",
        "private-network",
    }
    assert KIND_OF_STATEMENT == {
        "paths": "path",
        "origins": "origin",
        "deny": "origin",
        "methods": "method",
        "headers": "header",
        "expose": "header",
    }


def test_did_you_mean() -> None:
    assert did_you_mean("method", STATEMENTS) == "did you mean `methods`?"
    assert did_you_mean("zzz", STATEMENTS) == ""


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [("Api", "api"), ("my-api", "my_api"), ("2nd", "p_2nd"), ("_x", "p__x")],
)
def test_a_name_outside_the_rule_gets_the_nearest_valid_one(name: str, suggestion: str) -> None:
    span = Source("api.cors", name).span(0, len(name))
    problem = name_problem("policy", name, span)
    assert problem is not None
    assert (problem.code, problem.span) == ("CORS007", span)
    assert problem.message == f"`{name}` is not a valid policy name"
    assert problem.help.endswith(f"starting with a letter: `{suggestion}`")


@pytest.mark.parametrize("name", ["api", "a", "v2_api", "x_"])
def test_valid_names(name: str) -> None:
    assert name_problem("binding", name, Source("api.cors", name).span(0)) is None
