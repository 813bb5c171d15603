"""corsc.syntax: the parser's tree as typed data, with the span of everything written.

Ranges are ``(line, column, end line, end column)``, 1-based, the end exclusive.
"""

from __future__ import annotations

from corsc.parse import parse
from corsc.source import Source
from corsc.syntax import (
    LetBinding,
    OriginBlock,
    PolicyBlock,
    Statement,
    Syntax,
    UnknownStatement,
    Value,
    decode_string,
)
from tests.loading import where


def items(text: str) -> tuple[LetBinding | PolicyBlock, ...]:
    parsed = parse(Source("api.cors", text))
    assert parsed.tree is not None and parsed.diagnostics == ()
    return Syntax("api.cors").transform(parsed.tree)


def test_a_file_reads_as_its_bindings_and_policies_in_order() -> None:
    text = (
        'let a = "https://a.example", GET\n'
        "policy api {\n"
        "  methods a,\n"
        '    X, regex "^x$"\n'
        "  colour blue\n"
        '  origin "https://b.example" { max-age 1m }\n'
        "}\n"
    )
    let, policy = items(text)
    assert isinstance(let, LetBinding) and isinstance(policy, PolicyBlock)
    assert (let.name, where(let.span)) == ("a", (1, 5, 1, 6))
    assert [(value.form, value.text, where(value.span)) for value in let.values] == [
        ("string", "https://a.example", (1, 9, 1, 28)),
        ("word", "GET", (1, 30, 1, 33)),
    ]
    assert (policy.name, where(policy.name_span)) == ("api", (2, 8, 2, 11))
    statement, unknown, block = policy.body
    assert isinstance(statement, Statement)
    assert statement.name == "methods"
    assert where(statement.name_span) == (3, 3, 3, 10)
    assert where(statement.span) == (3, 3, 4, 19)  # to the last value, the regex's string
    assert statement.values[2] == Value("regex", "^x$", statement.values[2].span)
    assert where(statement.values[2].span) == (4, 14, 4, 19)
    assert unknown == UnknownStatement("colour", unknown.span)
    assert where(unknown.span) == (5, 3, 5, 9)
    assert isinstance(block, OriginBlock)
    assert where(block.header) == (6, 3, 6, 29)
    assert block.target.form == "string" and where(block.target.span) == (6, 10, 6, 29)
    (max_age,) = block.body
    assert isinstance(max_age, Statement) and max_age.values[0].text == "1m"


def test_star_and_an_empty_body() -> None:
    (policy,) = items("policy p { origins *; origin * { } }")
    assert isinstance(policy, PolicyBlock)
    origins, block = policy.body
    assert isinstance(origins, Statement) and origins.values[0].form == "star"
    assert isinstance(block, OriginBlock) and block.target.form == "star" and block.body == ()


def test_blocks_nested_deeper_than_python_s_stack_are_read() -> None:
    depth = 5_000
    text = "policy p {\n" + 'origin "https://a.example" {\n' * depth + "}\n" * (depth + 1)
    (policy,) = items(text)
    assert isinstance(policy, PolicyBlock)
    block = policy.body[0]
    for _ in range(depth - 1):
        assert isinstance(block, OriginBlock)
        block = block.body[0]
    assert isinstance(block, OriginBlock) and block.body == ()


def test_strings_unescape_only_quotes_and_backslashes() -> None:
    assert decode_string(r'"a\"b\\c\d"') == r'a"b\c\d'
    assert decode_string('"plain"') == "plain"
    assert decode_string("word") == "word"
