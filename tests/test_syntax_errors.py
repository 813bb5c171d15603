"""corsc.syntax_errors: syntax errors in words, with exact ranges.

Ranges are ``(line, column, end line, end column)``, 1-based, the end exclusive.
"""

from __future__ import annotations

from corsc.diagnostics import Severity
from corsc.frontend import load
from corsc.source import Source
from tests.loading import summary, syntax, where


def test_missing_method_after_methods() -> None:
    items = syntax("policy api {\n  origins *\n  methods\n}\n")
    assert summary(items) == [
        (
            "CORS001",
            (3, 10, 4, 1),  # the end of the line where a method should be
            "expected a method name or `*` after `methods`, found the end of the line",
        )
    ]
    assert items[0].severity is Severity.ERROR
    assert items[0].help == "write a method name or `*`, for example `methods GET, POST`"


def test_missing_value_between_commas() -> None:
    items = syntax("policy api {\n  origins *\n  methods GET, , PUT\n}\n")
    assert summary(items) == [
        ("CORS001", (3, 16, 3, 17), "expected a method name or `*` after `,`, found `,`")
    ]


def test_unclosed_policy_names_the_line_it_was_opened_on() -> None:
    text = "# the public API\n\npolicy api {\n  origins *\n  methods GET\n"
    items = syntax(text)
    assert summary(items) == [
        ("CORS002", (3, 1, 3, 13), "policy `api` opened on line 3 is never closed")
    ]
    assert items[0].help == "add a `}` where the block ends"


def test_unclosed_policy_before_the_next_policy() -> None:
    items = syntax("policy a {\n  origins *\n\npolicy b {\n  origins *\n}\n")
    assert summary(items) == [
        ("CORS002", (1, 1, 1, 11), "policy `a` opened on line 1 is never closed")
    ]
    # The parse went on: policy b is there.
    loaded = load(Source("api.cors", "policy a {\n  origins *\n\npolicy b {\n  origins *\n}\n"))
    assert loaded.policy_set is not None
    assert [policy.name for policy in loaded.policy_set.policies] == ["a", "b"]


def test_unclosed_policy_with_a_closed_origin_block_inside() -> None:
    items = syntax('policy api {\n  origin "https://a.example" {\n    methods GET\n  }\n')
    assert summary(items) == [
        ("CORS002", (1, 1, 1, 13), "policy `api` opened on line 1 is never closed")
    ]


def test_missing_comma_between_methods() -> None:
    items = syntax("policy api {\n  origins *\n  methods GET POST\n}\n")
    assert summary(items) == [
        ("CORS001", (3, 15, 3, 19), "expected `,` or the end of the statement before `POST`")
    ]
    assert items[0].help == (
        "separate list items with commas (`GET, POST`) and statements with a new line or `;`"
    )


def test_missing_comma_between_origins() -> None:
    items = syntax('policy api {\n  origins "https://a.example" "https://b.example"\n}\n')
    assert summary(items) == [
        (
            "CORS001",
            (2, 31, 2, 50),
            'expected `,` or the end of the statement before the string "https://b.example"',
        )
    ]


def test_unclosed_string() -> None:
    items = syntax('policy api {\n  origins "https://a.example\n  methods GET\n}\n')
    assert [(item.code, where(item.span), item.message) for item in items][:1] == [
        ("CORS003", (2, 11, 2, 29), "this string is never closed")
    ]
    assert items[0].help == 'add a closing `"` before the end of the line'


def test_unclosed_string_is_reported_once() -> None:
    items = syntax('policy api {\n  origins "https://a.example\n  methods GET\n}\n')
    assert [item.code for item in items] == ["CORS003"]


def test_stray_character() -> None:
    items = syntax("policy api {\n  origins *\n  methods GET @\n}\n")
    assert summary(items) == [("CORS004", (3, 15, 3, 16), "unexpected character `@`")]


def test_a_run_of_stray_characters_is_one_diagnostic() -> None:
    items = syntax("policy api {\n  origins *\n  methods GET @@\n}\n")
    assert summary(items) == [("CORS004", (3, 15, 3, 17), "unexpected characters `@@`")]


def test_unquoted_origin_gets_a_quoting_hint() -> None:
    items = syntax("policy api {\n  origins https://a.example\n}\n")
    assert items[0].code == "CORS004"
    assert where(items[0].span) == (2, 16, 2, 19)
    assert items[0].help == (
        'origins, paths and other text go in double quotes: "https://app.example.com"'
    )


def test_statement_name_used_as_a_value() -> None:
    items = syntax("policy api {\n  origins *\n  headers X-A, expose\n}\n")
    assert summary(items) == [
        (
            "CORS001",
            (3, 16, 3, 22),
            "expected a header name or `*` after `,`, found the statement name `expose`",
        )
    ]
    assert items[0].help == (
        'statement names are reserved; to use it as a value, quote it: "expose"'
    )


def test_statement_outside_a_policy() -> None:
    assert summary(syntax("origins *\n")) == [
        ("CORS001", (1, 1, 1, 8), "`origins` must be inside a policy block")
    ]


def test_closing_brace_without_a_block() -> None:
    assert summary(syntax("}\n")) == [
        ("CORS001", (1, 1, 1, 2), "unexpected `}`: no block is open here")
    ]


def test_let_without_equals() -> None:
    assert summary(syntax('let partners "https://a.example"\n')) == [
        (
            "CORS001",
            (1, 14, 1, 33),
            'expected `=` after `let partners`, found the string "https://a.example"',
        )
    ]


def test_value_after_a_semicolon_is_not_blamed_on_a_missing_semicolon() -> None:
    items = syntax('policy p { origins "https://a.example"; "https://b.example" }')
    assert len(items) == 1
    assert "expected a new line or `;`" not in items[0].message
