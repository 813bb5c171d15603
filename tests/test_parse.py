"""corsc.parse: syntax errors in words, with exact ranges, and recovery that keeps going.

Ranges are ``(line, column, end line, end column)``, 1-based, the end exclusive. What the
grammar accepts (one-line blocks, ``;``, multi-line lists, escapes) is checked through
``corsc.frontend.load``, on the values that reach the IR.
"""

from __future__ import annotations

import pytest

from corsc.diagnostics import Diagnostic, Severity
from corsc.frontend import load
from corsc.ir import PolicySet
from corsc.parse import parse
from corsc.source import Source, Span


def syntax(text: str) -> list[Diagnostic]:
    return list(parse(Source("api.cors", text)).diagnostics)


def where(span: Span) -> tuple[int, int, int, int]:
    return (span.start.line, span.start.column, span.end.line, span.end.column)


def summary(items: list[Diagnostic]) -> list[tuple[str, tuple[int, int, int, int], str]]:
    return [(item.code, where(item.span), item.message) for item in items]


def lowered(text: str) -> PolicySet:
    loaded = load(Source("api.cors", text))
    assert loaded.policy_set is not None
    assert [item for item in loaded.diagnostics if item.code < "CORS100"] == []
    return loaded.policy_set


# ---- messages and ranges -------------------------------------------------------------------


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


def test_a_trailing_comma_before_the_closing_brace_is_allowed() -> None:
    assert syntax("policy api {\n  origins *\n  methods GET, }\n") == []


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


# ---- recovery ------------------------------------------------------------------------------


def test_recovery_reports_several_independent_errors_in_one_run() -> None:
    text = (
        "policy api {\n"
        "  methods\n"  # 2: no value
        '  origins "https://a.example" "https://b.example"\n'  # 3: missing comma
        "  headers X-A @\n"  # 4: stray character
        "  credentials true\n"
        "}\n"
        "policy other {\n"
        "  methods GET POST\n"  # 8: missing comma
        "}\n"
    )
    assert [(item.code, where(item.span)[:2]) for item in syntax(text)] == [
        ("CORS001", (2, 10)),
        ("CORS001", (3, 31)),
        ("CORS004", (4, 15)),
        ("CORS001", (8, 15)),
    ]
    # What could be parsed is lowered: both policies, and the statements that were fine.
    loaded = load(Source("api.cors", text))
    assert loaded.policy_set is not None
    api, other = loaded.policy_set.policies
    assert (api.name, other.name) == ("api", "other")
    assert api.grant.credentials.value is True


def test_errors_after_an_error_in_the_same_statement_are_not_reported() -> None:
    # `POST PUT` after the first missing comma is a consequence, not a second mistake.
    items = syntax("policy api {\n  origins *\n  methods GET POST PUT\n}\n")
    assert [item.code for item in items] == ["CORS001"]


# ---- what the grammar accepts --------------------------------------------------------------


def test_one_line_blocks_and_semicolons() -> None:
    policy_set = lowered(
        'policy api { origins "https://a.example"; methods PUT; credentials true }\n'
        'policy other { paths "/x"; origins * }\n'
    )
    api, other = policy_set.policies
    assert [entry.pattern.canonical for entry in api.entries] == ["https://a.example"]
    assert [token.value for token in api.grant.methods.value.items] == ["PUT"]
    assert api.grant.credentials.value is True
    assert [prefix.value for prefix in other.paths] == ["/x"]


def test_one_line_origin_block() -> None:
    policy_set = lowered(
        'policy api { origins *; origin "https://a.example" { methods PUT; max-age 60 } }'
    )
    block = policy_set.policies[0].entries[1]
    assert block.block
    assert [token.value for token in block.grant.methods.value.items] == ["PUT"]
    assert block.grant.max_age.value == 60


def test_multi_line_lists_with_comments_blank_lines_and_a_trailing_comma() -> None:
    policy_set = lowered(
        "policy api {\n"
        '  origins "https://a.example",   # the app\n'
        "\n"
        "    # partners\n"
        '    "https://b.example",\n'
        '    "https://c.example",\n'
        "  methods PUT,\n"
        "    DELETE,\n"
        "}\n"
    )
    api = policy_set.policies[0]
    assert [entry.pattern.canonical for entry in api.entries] == [
        "https://a.example",
        "https://b.example",
        "https://c.example",
    ]
    assert [token.value for token in api.grant.methods.value.items] == ["PUT", "DELETE"]


def test_crlf_line_endings() -> None:
    policy_set = lowered('policy api {\r\n  origins "https://a.example"\r\n  methods PUT\r\n}\r\n')
    assert [token.value for token in policy_set.policies[0].grant.methods.value.items] == ["PUT"]


def test_string_escapes_keep_other_backslashes() -> None:
    policy_set = lowered(
        "policy api {\n"
        r'  origins regex "^https://pr-\d+\.example\.com$", regex "a\"b", regex "c\\d"'
        "\n}\n"
    )
    texts = [entry.pattern.text for entry in policy_set.policies[0].entries]
    # `\"` and `\\` are escapes; `\d` and `\.` are kept as written.
    assert texts == [r"^https://pr-\d+\.example\.com$", 'a"b', r"c\d"]


def test_quoted_method_and_header_names() -> None:
    policy_set = lowered('policy api {\n  origins *\n  methods "PATCH"\n  headers "X-Origins"\n}\n')
    grant = policy_set.policies[0].grant
    assert [token.value for token in grant.methods.value.items] == ["PATCH"]
    assert [token.value for token in grant.headers.value.items] == ["X-Origins"]


def test_empty_file_parses() -> None:
    assert syntax("") == []
    assert syntax("# only a comment\n") == []


# ---- depth: recovery must not recurse on, or walk the stack per level of, nesting ----------


@pytest.mark.parametrize(
    ("tail", "codes"),
    [
        ("x y z\n", {"CORS001", "CORS002", "CORS514"}),
        ("", {"CORS002", "CORS514"}),
        ('"', {"CORS003", "CORS514"}),
        ("policy q { origins * }\n", {"CORS002", "CORS504", "CORS514"}),
        ("}\n" * 20_001, {"CORS514"}),
    ],
    ids=["garbage", "end", "unclosed-string", "next-policy", "closed"],
)
def test_deeply_nested_unclosed_blocks_recover(tail: str, codes: set[str]) -> None:
    # 20,000 levels: a recursive copy of the parser overflowed Python's stack here, and
    # re-scanning the stack after each closing brace took minutes.
    text = "policy p {\n" + 'origin "https://a.example" {\n' * 20_000 + tail
    loaded = load(Source("deep.cors", text))
    assert {item.code for item in loaded.diagnostics} == codes
