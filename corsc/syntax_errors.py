"""Syntax errors in words: what was expected after what, and the range to underline.

:mod:`corsc.parse` calls these where Lark stops, at a token (:func:`describe`) or at a
character no token uses; each reads the parser's stack to tell which statement or block the
error stands in, and says what to write instead. Recovery (what to skip) is the parser's.
"""

from __future__ import annotations

from lark import Token, Tree
from lark.exceptions import UnexpectedToken
from lark.parsers.lalr_interactive_parser import InteractiveParser

from corsc import diagnostics as d
from corsc.language import (
    KEYWORD_TERMINALS,
    KEYWORDS,
    SEPARATOR_TERMINALS,
    STATEMENT_RULES,
    STATEMENTS,
    VALUE_TERMINALS,
    did_you_mean,
)
from corsc.source import Source, Span

_LET_EXAMPLE = '"https://a.example", "https://b.example"'

#: What follows each statement name (and `let NAME =`), for "expected … after `methods`".
_TAKES = {rule.name: rule.takes for rule in STATEMENT_RULES} | {
    "let": "a value (origins in quotes, method or header names)"
}

#: An example of each statement (and of a `let` binding's values), for the help.
_EXAMPLES = {rule.name: f"{rule.name} {rule.example}" for rule in STATEMENT_RULES} | {
    "let": _LET_EXAMPLE
}


def describe(source: Source, error: UnexpectedToken) -> d.Diagnostic:
    """The syntax error Lark found at ``error.token``, in words: what was expected after
    what, judged from the parser's stack (the statement or block being parsed)."""
    token = error.token
    parser = error.interactive_parser
    stack = parser.parser_state.value_stack
    expected = set(error.expected)
    span = _token_span(source, token)
    found = _show_token(token)
    last = stack[-1] if stack else None
    last_value = _leaf_value(last)
    statement = _current_statement(stack)

    if token.type == "$END":
        blocks = open_blocks(parser)
        if blocks:
            return _unclosed(source, stack, blocks[-1])
    if token.value in {"policy", "let"} and open_blocks(parser):
        return _unclosed(source, stack, open_blocks(parser)[-1])

    if last_value == "let":
        return d.SYNTAX_ERROR.at(
            span,
            f"expected a name after `let`, found {found}",
            f"write `let NAME = {_LET_EXAMPLE}`",
        )
    if expected & VALUE_TERMINALS and statement is not None and last_value in {statement, ","}:
        what = _TAKES[statement]
        after = f"`{statement}`" if last_value == statement else "`,`"
        if token.value in KEYWORDS:
            return d.SYNTAX_ERROR.at(
                span,
                f"expected {what} after {after}, found the statement name `{token.value}`",
                f'statement names are reserved; to use it as a value, quote it: "{token.value}"',
            )
        return d.SYNTAX_ERROR.at(
            span,
            f"expected {what} after {after}, found {found}",
            f"write {what}, for example `{_EXAMPLES[statement]}`",
        )
    if "COMMA" in expected and token.type in VALUE_TERMINALS | KEYWORD_TERMINALS:
        return d.SYNTAX_ERROR.at(
            span,
            f"expected `,` or the end of the statement before {found}",
            "separate list items with commas (`GET, POST`) and statements with a new line or `;`",
        )
    at_statement_start = isinstance(last, Token) and last.type in SEPARATOR_TERMINALS | {"LBRACE"}
    if at_statement_start and token.type in VALUE_TERMINALS and open_blocks(parser):
        return d.SYNTAX_ERROR.at(
            span,
            f"expected a statement, found {found}",
            "a new line or `;` ends a statement; separate the items of a list with `,`",
        )
    if last_value == "policy":
        return d.SYNTAX_ERROR.at(
            span,
            f"expected a policy name after `policy`, found {found}",
            "name the policy, for example `policy api { … }`",
        )
    if "LBRACE" in expected and len(stack) >= 2 and _leaf_value(stack[-2]) == "policy":
        return d.SYNTAX_ERROR.at(
            span,
            f"expected `{{` after `policy {last_value}`, found {found}",
            f"open the policy's block: `policy {last_value} {{ … }}`",
        )
    if "LBRACE" in expected and _leaf_value(stack[-2] if len(stack) >= 2 else None) == "origin":
        return d.SYNTAX_ERROR.at(
            span,
            f"expected `{{` after the origin, found {found}",
            'open the origin\'s block: `origin "https://a.example" { methods GET }`',
        )
    if last_value == "origin":
        return d.SYNTAX_ERROR.at(
            span,
            f"expected an origin in quotes after `origin`, found {found}",
            'write `origin "https://a.example" { … }`',
        )
    if "EQUAL" in expected:
        return d.SYNTAX_ERROR.at(
            span,
            f"expected `=` after `let {last_value}`, found {found}",
            f"write `let {last_value} = {_LET_EXAMPLE}`",
        )
    if token.type == "RBRACE" and not open_blocks(parser):
        return d.SYNTAX_ERROR.at(
            span,
            "unexpected `}`: no block is open here",
            "remove it, or open the block it closes with `policy NAME {`",
        )
    at_top_level = not open_blocks(parser)
    if at_top_level and token.value in STATEMENTS:
        return d.SYNTAX_ERROR.at(
            span,
            f"`{token.value}` must be inside a policy block",
            f"put it in a block: `policy api {{ {token.value} … }}`",
        )
    if at_top_level and "POLICY" in expected:
        suggestion = did_you_mean(str(token.value), ["policy", "let"])
        return d.SYNTAX_ERROR.at(
            span,
            f"expected `policy` or `let`, found {found}",
            suggestion or "a policy file holds `let` bindings and `policy NAME { … }` blocks",
        )
    if expected & SEPARATOR_TERMINALS:
        return d.SYNTAX_ERROR.at(
            span,
            f"expected a new line or `;` before {found}",
            "put each statement on its own line, or separate them with `;`",
        )
    return d.SYNTAX_ERROR.at(
        span,
        f"unexpected {found}",
        "expected " + ", ".join(sorted(_show_terminal(name) for name in expected)),
    )


def _unclosed(source: Source, stack: list[object], brace: Token) -> d.Diagnostic:
    """``policy NAME {`` or ``origin "…" {`` that reaches the end unclosed: the range covers
    the block's opening line up to its brace."""
    index = next(i for i, item in enumerate(stack) if item is brace)
    opener = stack[index - 2] if index >= 2 else brace
    name = _leaf_value(stack[index - 1]) if index >= 1 else None
    kind = "policy" if _leaf_value(opener) == "policy" else "origin block"
    what = f"policy `{name}`" if kind == "policy" else f"origin block {name}"
    return d.UNCLOSED_BLOCK.at(
        source.span(_start_offset(opener), brace.end_pos or 0),
        f"{what} opened on line {brace.line} is never closed",
        "add a `}` where the block ends",
    )


def _token_span(source: Source, token: Token) -> Span:
    """Where ``token`` stands; the end of the file for ``$END``, the line end for a newline."""
    if token.type == "$END" or token.start_pos is None:
        end = len(source.text)
        return source.span(end, end)
    start = token.start_pos
    end = token.end_pos if token.end_pos is not None else start + len(token.value)
    if token.type == "_NL":  # point at the line end, not across the blank lines
        end = start + (2 if token.value.startswith("\r\n") else 1)
    return source.span(start, end)


def _leaf_value(item: object) -> str | None:
    """The text of a token, or of a tree's first token (``statement_name``, ``string``…)."""
    while isinstance(item, Tree):
        if not item.children:
            return None
        item = item.children[0]
    return str(item) if isinstance(item, Token) else None


def _start_offset(item: object) -> int:
    while isinstance(item, Tree):
        item = item.children[0]
    assert isinstance(item, Token) and item.start_pos is not None
    return item.start_pos


def _current_statement(stack: list[object]) -> str | None:
    """The statement name of the statement being parsed, if any (or ``let``)."""
    for item in reversed(stack):
        if isinstance(item, Tree) and item.data == "statement_name":
            return _leaf_value(item)
        if isinstance(item, Token):
            if item.value in STATEMENTS or item.value == "let":
                return "let" if item.value == "let" else str(item.value)
            if item.type in {"LBRACE", "RBRACE", "_NL", "SEMICOLON", "EQUAL"}:
                if item.type == "EQUAL":
                    return "let"
                return None
    return None


def _show_token(token: Token) -> str:
    if token.type == "$END":
        return "the end of the file"
    if token.type == "_NL":
        return "the end of the line"
    if token.type == "STRING":
        return f"the string {token.value}"
    return f"`{token.value}`"


def _show_terminal(name: str) -> str:
    return {
        "$END": "the end of the file",
        "_NL": "a new line",
        "SEMICOLON": "`;`",
        "LBRACE": "`{`",
        "RBRACE": "`}`",
        "COMMA": "`,`",
        "EQUAL": "`=`",
        "STAR": "`*`",
        "WORD": "a name",
        "STRING": "a string",
    }.get(name, f"`{name.lower().replace('_', '-')}`")


def _show_char(char: str) -> str:
    if char.isprintable() and not char.isspace():
        return f"`{char}`"
    return f"U+{ord(char):04X}"


def _character_help(char: str) -> str:
    if char == "'":
        return 'strings use double quotes: "https://app.example.com"'
    if char in "/:" or not char.isascii():
        return 'origins, paths and other text go in double quotes: "https://app.example.com"'
    return "remove it; names are letters, digits and `-`, text goes in double quotes"


def unclosed_string(source: Source, offset: int) -> tuple[d.Diagnostic, int]:
    """The string opened by the `"` at ``offset`` that its line never closes, and the offset
    where the line's text ends (the string runs to there)."""
    text = source.text
    line_end = text.find("\n", offset)
    line_end = len(text) if line_end == -1 else line_end
    end = line_end - 1 if line_end > offset and text[line_end - 1] == "\r" else line_end
    diagnostic = d.UNCLOSED_STRING.at(
        source.span(offset, max(end, offset + 1)),
        "this string is never closed",
        'add a closing `"` before the end of the line',
    )
    return diagnostic, end


def unexpected_character(
    source: Source, offset: int, previous: d.Diagnostic | None
) -> tuple[d.Diagnostic, bool]:
    """The character at ``offset``, which no token uses, and whether the diagnostic replaces
    ``previous``: a run of stray characters is one diagnostic, which grows by each."""
    text = source.text
    if (
        previous is not None
        and previous.code == d.UNEXPECTED_CHARACTER.code
        and previous.span.end.offset == offset
    ):
        start = previous.span.start.offset
        grown = d.UNEXPECTED_CHARACTER.at(
            source.span(start, offset + 1),
            f"unexpected characters `{text[start : offset + 1]}`",
            previous.help,
        )
        return grown, True
    char = text[offset]
    diagnostic = d.UNEXPECTED_CHARACTER.at(
        source.span(offset, offset + 1),
        f"unexpected character {_show_char(char)}",
        _character_help(char),
    )
    return diagnostic, False


def open_blocks(parser: InteractiveParser) -> list[Token]:
    """The ``{`` tokens not yet closed, outermost first."""
    return [
        item
        for item in parser.parser_state.value_stack
        if isinstance(item, Token) and item.type == "LBRACE"
    ]
