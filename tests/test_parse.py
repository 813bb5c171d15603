"""corsc.parse: the parser, and recovery that keeps going after a syntax error.

Ranges are ``(line, column, end line, end column)``, 1-based, the end exclusive. What the
grammar accepts (one-line blocks, ``;``, multi-line lists, escapes) is checked through
``corsc.frontend.load``, on the values that reach the IR.
"""

from __future__ import annotations

import pytest

from corsc.frontend import load
from corsc.ir import PolicySet
from corsc.parse import terminal_regex
from corsc.source import Source
from tests.loading import syntax, where


def lowered(text: str) -> PolicySet:
    loaded = load(Source("api.cors", text))
    assert loaded.policy_set is not None
    assert [item for item in loaded.diagnostics if item.code < "CORS100"] == []
    return loaded.policy_set


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


def test_a_trailing_comma_before_the_closing_brace_is_allowed() -> None:
    assert syntax("policy api {\n  origins *\n  methods GET, }\n") == []


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


@pytest.mark.parametrize(
    ("item", "canonical"),
    [
        ('regex "https://[a-z]+\\.b\\.example"', "regex:https://[a-z]+\\.b\\.example"),
        ('"https://b.example"', "https://b.example"),
        ("partners", "https://p.example"),
    ],
)
def test_a_list_continues_on_the_next_line_after_a_comma_whatever_the_item(
    item: str, canonical: str
) -> None:
    policy_set = lowered(
        'let partners = "https://p.example"\n'
        "policy api {\n"
        '  origins "https://a.example",\n'
        f"          {item}\n"
        "  methods PUT\n"
        "}\n"
    )
    api = policy_set.policies[0]
    assert [entry.pattern.canonical for entry in api.entries] == ["https://a.example", canonical]


@pytest.mark.parametrize(
    ("start", "entries", "methods"),
    [
        ('origin "https://b.example" { methods PUT }', 2, ["GET", "HEAD", "POST"]),
        ("methods PUT", 1, ["PUT"]),
    ],
)
def test_a_statement_after_a_trailing_comma_ends_the_list(
    start: str, entries: int, methods: list[str]
) -> None:
    policy_set = lowered(f'policy api {{\n  origins "https://a.example",\n  {start}\n}}\n')
    api = policy_set.policies[0]
    assert api.entries[0].pattern.canonical == "https://a.example"
    assert len(api.entries) == entries
    assert [token.value for token in api.grant.methods.value.items] == methods


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


def test_the_string_terminal_is_the_grammar_s() -> None:
    string = terminal_regex("STRING")
    assert string.fullmatch(r'"a\"b"') and string.fullmatch('""')
    assert not string.fullmatch('"a"b"') and not string.fullmatch('"a\nb"')
