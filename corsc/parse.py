"""Parse: policy text → Lark syntax tree, plus syntax diagnostics.

The grammar lives in ``grammar/cors.lark`` (LALR, basic lexer; every token carries its
line, column and offset, from which lowering derives the span of every IR node). The
parser is built once per process and cached on disk by Lark, so a cold start does not rebuild
the tables.

Errors never stop the parse. On an unexpected token corsc reports it in words (what was
expected after what), then recovers the way yacc does: it drops tokens up to the next statement
separator and pops parser states until that separator fits, so one run reports every
independent mistake. Errors that follow an error before the next separator are consequences and
are not reported.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from attrs import frozen
from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.parsers.lalr_interactive_parser import InteractiveParser

from corsc import diagnostics as d
from corsc.source import Source

#: Statement names, in the order the README's statement table lists them.
STATEMENTS = (
    "paths",
    "origins",
    "deny",
    "methods",
    "headers",
    "expose",
    "credentials",
    "max-age",
    "private-network",
    "unlisted",
    "preflight-status",
)
KEYWORDS = frozenset({*STATEMENTS, "let", "policy", "origin", "regex"})

#: What each statement takes, for "expected … after `methods`".
VALUE_DESCRIPTIONS = {
    "paths": 'a path in quotes such as "/api"',
    "origins": "an origin in quotes, a `let` name or `*`",
    "deny": "an origin in quotes or a `let` name",
    "methods": "a method name or `*`",
    "headers": "a header name or `*`",
    "expose": "a header name or `*`",
    "credentials": "`true` or `false`",
    "max-age": "a duration such as `600`, `10m` or `2h`",
    "private-network": "`true` or `false`",
    "unlisted": "`pass` or `reject`",
    "preflight-status": "`200` or `204`",
    "let": "a value (origins in quotes, method or header names)",
}

_SEPARATORS = frozenset({"_NL", "SEMICOLON"})
_SYNC = _SEPARATORS | {"RBRACE", "$END"}
_VALUE_STARTS = frozenset({"WORD", "STRING", "STAR", "REGEX"})
_MAX_SYNTAX_ERRORS = 100


@frozen
class ParseResult:
    """The syntax tree (``None`` only if nothing could be parsed) and the syntax diagnostics."""

    tree: Tree[Token] | None
    diagnostics: tuple[d.Diagnostic, ...]


class _ListContinuation:
    """Lark post-lexer: a newline right after a comma continues the list, unless what follows
    is a statement name, ``}`` or the end (a trailing comma), where it still ends the statement.
    It also counts separators, so the error handler knows when a new statement has begun."""

    always_accept = ("_NL",)

    def __init__(self) -> None:
        self.separators_seen = 0

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        pending_newline: Token | None = None
        after_comma = False
        for token in stream:
            if token.type == "_NL" and after_comma:
                pending_newline = pending_newline or token
                continue
            if pending_newline is not None:
                if token.value in KEYWORDS or token.type in {"RBRACE", "SEMICOLON"}:
                    self.separators_seen += 1
                    yield pending_newline
                pending_newline = None
            after_comma = token.type == "COMMA"
            if token.type in _SEPARATORS:
                self.separators_seen += 1
            yield token
        if pending_newline is not None:
            self.separators_seen += 1
            yield pending_newline


@cache
def _parser() -> Lark:
    import corsc.grammar  # package data beside its __init__ (importlib.resources is slower)

    grammar = (Path(corsc.grammar.__file__).parent / "cors.lark").read_text("utf-8")
    return Lark(
        grammar,
        parser="lalr",
        lexer="basic",
        propagate_positions=False,  # tokens carry positions; see lower.span_of
        maybe_placeholders=False,
        postlex=_ListContinuation(),
        cache=True,
    )


def parse(source: Source) -> ParseResult:
    """Parse one source. Never raises on bad input."""
    lark = _parser()
    postlex = lark.options.postlex
    assert isinstance(postlex, _ListContinuation)
    postlex.separators_seen = 0
    recovery = _Recovery(source, postlex)
    try:
        tree = lark.parse(source.text, on_error=recovery.handle)
    except _TooManyErrors:
        tree = None
    except UnexpectedInput as error:  # recovery gave up: report what stopped it
        recovery.report_unrecoverable(error)
        tree = None
    return ParseResult(tree, tuple(recovery.diagnostics))


class _TooManyErrors(Exception):
    pass


class _Recovery:
    def __init__(self, source: Source, postlex: _ListContinuation) -> None:
        self.source = source
        self.postlex = postlex
        self.diagnostics: list[d.Diagnostic] = []
        self._separators_at_last_error = -1

    # -- the on_error callback -------------------------------------------------------------

    def handle(self, error: UnexpectedInput) -> bool:
        if isinstance(error, UnexpectedCharacters):
            self._unexpected_character(error)
            return True
        assert isinstance(error, UnexpectedToken)
        parser = error.interactive_parser
        token = error.token
        seen = self.postlex.separators_seen - (token.type in _SEPARATORS)
        if seen != self._separators_at_last_error:
            self._report(self._describe(error))
        self._separators_at_last_error = self.postlex.separators_seen
        if token.type == "$END":
            self._close_open_blocks(parser)
            self._pop_until(parser, "$END")
            return True
        if token.value in {"policy", "let"} and self._open_blocks(parser):
            # `policy` inside a body: the previous block was not closed (reported above).
            self._close_open_blocks(parser)
            self._feed(parser, token)
            return True
        if token.type in _SYNC:
            self._resynchronise(parser, token)
        return True

    def report_unrecoverable(self, error: UnexpectedInput) -> None:
        offset = getattr(error, "pos_in_stream", None) or 0
        self._report(
            d.SYNTAX_ERROR.at(
                self.source.span(offset, offset + 1),
                "the parser could not recover from the previous errors",
                "fix the errors above and run corsc again",
            )
        )

    # -- recovery --------------------------------------------------------------------------

    @staticmethod
    def _accepts(parser: InteractiveParser, token_type: str) -> bool:
        state = parser.parser_state
        return token_type in state.parse_conf.parse_table.states[state.position]

    def _feed(self, parser: InteractiveParser, token: Token) -> bool:
        try:
            parser.feed_token(token)
        except UnexpectedInput:
            return False
        return True

    def _pop_until(self, parser: InteractiveParser, token_type: str) -> bool:
        """Pop states (discarding the partial statement) until ``token_type`` fits. Looks down
        the state stack first instead of trying on a copy: copying the parser deep-copies
        every tree on its value stack, which recurses as deep as the input nests."""
        state = parser.parser_state
        states = state.parse_conf.parse_table.states
        stack = state.state_stack
        for pops in range(len(state.value_stack) + 1):
            if token_type in states[stack[-1 - pops]]:
                break
        else:
            return False
        for _ in range(pops):
            stack.pop()
            state.value_stack.pop()
        return True

    def _resynchronise(self, parser: InteractiveParser, token: Token) -> None:
        if self._pop_until(parser, token.type) and self._feed(parser, token):
            self._separators_at_last_error = -1  # a clean statement boundary

    def _close_open_blocks(self, parser: InteractiveParser) -> None:
        # Counted once: finding the open blocks walks the whole stack, and doing it after each
        # closing brace would cost the square of the nesting depth.
        for _ in self._open_blocks(parser):
            closer = Token("RBRACE", "}")
            if not (self._pop_until(parser, "RBRACE") and self._feed(parser, closer)):
                return
            if self._accepts(parser, "_NL"):
                self._feed(parser, Token("_NL", "\n"))

    @staticmethod
    def _open_blocks(parser: InteractiveParser) -> list[Token]:
        """The ``{`` tokens not yet closed, outermost first."""
        return [
            item
            for item in parser.parser_state.value_stack
            if isinstance(item, Token) and item.type == "LBRACE"
        ]

    # -- messages --------------------------------------------------------------------------

    def _report(self, diagnostic: d.Diagnostic) -> None:
        if len(self.diagnostics) >= _MAX_SYNTAX_ERRORS:
            self.diagnostics.append(
                d.TOO_MANY_ERRORS.at(
                    diagnostic.span,
                    f"more than {_MAX_SYNTAX_ERRORS} syntax errors; the rest are not reported",
                    "fix the errors above and run corsc again",
                )
            )
            raise _TooManyErrors
        self.diagnostics.append(diagnostic)

    def _unexpected_character(self, error: UnexpectedCharacters) -> None:
        text = self.source.text
        offset = error.pos_in_stream
        assert offset is not None
        lexer_state = error.interactive_parser.lexer_thread.state
        assert lexer_state is not None
        char = text[offset]
        # What follows in this statement is a consequence: report it only after a separator.
        self._separators_at_last_error = self.postlex.separators_seen
        if char == '"':
            line_end = text.find("\n", offset)
            line_end = len(text) if line_end == -1 else line_end
            end = line_end - 1 if line_end > offset and text[line_end - 1] == "\r" else line_end
            self._report(
                d.UNCLOSED_STRING.at(
                    self.source.span(offset, max(end, offset + 1)),
                    "this string is never closed",
                    'add a closing `"` before the end of the line',
                )
            )
            lexer_state.line_ctr.feed(text[offset:end])
            return
        previous = self.diagnostics[-1] if self.diagnostics else None
        if (
            previous is not None
            and previous.code == d.UNEXPECTED_CHARACTER.code
            and previous.span.end.offset == offset
        ):  # one diagnostic for a run of stray characters
            start = previous.span.start.offset
            self.diagnostics[-1] = d.UNEXPECTED_CHARACTER.at(
                self.source.span(start, offset + 1),
                f"unexpected characters `{text[start : offset + 1]}`",
                previous.help,
            )
            return
        self._report(
            d.UNEXPECTED_CHARACTER.at(
                self.source.span(offset, offset + 1),
                f"unexpected character {_show_char(char)}",
                _character_help(char),
            )
        )

    def _describe(self, error: UnexpectedToken) -> d.Diagnostic:
        token = error.token
        parser = error.interactive_parser
        stack = parser.parser_state.value_stack
        expected = set(error.expected)
        span = self._token_span(token)
        found = _show_token(token)
        last = stack[-1] if stack else None
        last_value = _leaf_value(last)
        statement = _current_statement(stack)

        if token.type == "$END":
            blocks = self._open_blocks(parser)
            if blocks:
                return self._unclosed(stack, blocks[-1])
        if token.value in {"policy", "let"} and self._open_blocks(parser):
            return self._unclosed(stack, self._open_blocks(parser)[-1])

        if last_value == "let":
            return d.SYNTAX_ERROR.at(
                span,
                f"expected a name after `let`, found {found}",
                'write `let NAME = "https://a.example", "https://b.example"`',
            )
        if expected & _VALUE_STARTS and statement is not None and last_value in {statement, ","}:
            what = VALUE_DESCRIPTIONS.get(statement, "a value")
            after = f"`{statement}`" if last_value == statement else "`,`"
            if token.value in KEYWORDS:
                return d.SYNTAX_ERROR.at(
                    span,
                    f"expected {what} after {after}, found the statement name `{token.value}`",
                    "statement names are reserved; to use it as a value, quote it: "
                    f'"{token.value}"',
                )
            return d.SYNTAX_ERROR.at(
                span,
                f"expected {what} after {after}, found {found}",
                f"write {what}, for example `{_example(statement)}`",
            )
        if "COMMA" in expected and token.type in _VALUE_STARTS | KEYWORDS_UPPER:
            return d.SYNTAX_ERROR.at(
                span,
                f"expected `,` or the end of the statement before {found}",
                "separate list items with commas (`GET, POST`) and statements with a new line "
                "or `;`",
            )
        at_statement_start = isinstance(last, Token) and last.type in {"_NL", "SEMICOLON", "LBRACE"}
        if at_statement_start and token.type in _VALUE_STARTS and self._open_blocks(parser):
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
                f'write `let {last_value} = "https://a.example", "https://b.example"`',
            )
        if token.type == "RBRACE" and not self._open_blocks(parser):
            return d.SYNTAX_ERROR.at(
                span,
                "unexpected `}`: no block is open here",
                "remove it, or open the block it closes with `policy NAME {`",
            )
        at_top_level = not self._open_blocks(parser)
        if at_top_level and token.value in STATEMENTS:
            return d.SYNTAX_ERROR.at(
                span,
                f"`{token.value}` must be inside a policy block",
                f"put it in a block: `policy api {{ {token.value} … }}`",
            )
        if at_top_level and "POLICY" in expected:
            suggestion = _did_you_mean(str(token.value), ["policy", "let"])
            return d.SYNTAX_ERROR.at(
                span,
                f"expected `policy` or `let`, found {found}",
                suggestion or "a policy file holds `let` bindings and `policy NAME { … }` blocks",
            )
        if expected & _SEPARATORS:
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

    def _unclosed(self, stack: list[object], brace: Token) -> d.Diagnostic:
        """``policy NAME {`` or ``origin "…" {`` that reaches the end unclosed: the range covers
        the block's opening line up to its brace."""
        index = next(i for i, item in enumerate(stack) if item is brace)
        opener = stack[index - 2] if index >= 2 else brace
        name = _leaf_value(stack[index - 1]) if index >= 1 else None
        kind = "policy" if _leaf_value(opener) == "policy" else "origin block"
        what = f"policy `{name}`" if kind == "policy" else f"origin block {name}"
        return d.UNCLOSED_BLOCK.at(
            self.source.span(_start_offset(opener), brace.end_pos or 0),
            f"{what} opened on line {brace.line} is never closed",
            "add a `}` where the block ends",
        )

    def _token_span(self, token: Token) -> d.Span:
        if token.type == "$END" or token.start_pos is None:
            end = len(self.source.text)
            return self.source.span(end, end)
        start = token.start_pos
        end = token.end_pos if token.end_pos is not None else start + len(token.value)
        if token.type == "_NL":  # point at the line end, not across the blank lines
            end = start + (2 if token.value.startswith("\r\n") else 1)
        return self.source.span(start, end)


KEYWORDS_UPPER = frozenset(
    {"LET", "POLICY", "ORIGIN", "REGEX", "PATHS", "ORIGINS", "DENY", "METHODS", "HEADERS"}
    | {"EXPOSE", "CREDENTIALS", "MAX_AGE", "PRIVATE_NETWORK", "UNLISTED", "PREFLIGHT_STATUS"}
)


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


_EXAMPLES = {
    "paths": '"/api"',
    "origins": '"https://app.example.com"',
    "deny": '"https://old.example.com"',
    "methods": "GET, POST",
    "headers": "Content-Type",
    "expose": "X-Request-Id",
    "credentials": "true",
    "max-age": "10m",
    "private-network": "false",
    "unlisted": "reject",
    "preflight-status": "204",
    "let": '"https://a.example", "https://b.example"',
}


def _example(statement: str) -> str:
    return f"{statement} {_EXAMPLES[statement]}" if statement != "let" else _EXAMPLES["let"]


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


def _did_you_mean(word: str, choices: list[str] | tuple[str, ...]) -> str:
    matches = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"did you mean `{matches[0]}`?" if matches else ""


def did_you_mean(word: str, choices: list[str] | tuple[str, ...]) -> str:
    """``"did you mean `x`?"`` for the closest choice, or an empty string."""
    return _did_you_mean(word, choices)
