"""Parse: policy text → Lark syntax tree, plus syntax diagnostics.

The grammar lives in ``grammar/cors.lark`` (LALR, basic lexer; every token carries its
line, column and offset, from which lowering derives the span of every IR node). The
parser is built once per process and cached on disk by Lark, so a cold start does not rebuild
the tables.

Errors never stop the parse. On an unexpected token corsc reports it in words (what was
expected after what: :mod:`corsc.syntax_errors`), then recovers the way yacc does: it drops
tokens up to the next statement separator and pops parser states until that separator fits, so
one run reports every independent mistake. Errors that follow an error before the next
separator are consequences and are not reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from attrs import frozen
from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.parsers.lalr_interactive_parser import InteractiveParser

from corsc import diagnostics as d
from corsc.language import SEPARATOR_TERMINALS, STATEMENT_STARTS
from corsc.records import fields_repr
from corsc.source import Source
from corsc.syntax_errors import describe, open_blocks, unclosed_string, unexpected_character

#: Where recovery resumes: the end of a statement, of a block or of the file.
_SYNC = SEPARATOR_TERMINALS | {"RBRACE", "$END"}
_MAX_SYNTAX_ERRORS = 100


@frozen
class ParseResult:
    """The syntax tree (``None`` only if nothing could be parsed) and the syntax diagnostics."""

    __repr__ = fields_repr

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
                if token.value in STATEMENT_STARTS or token.type in {"RBRACE", "SEMICOLON"}:
                    self.separators_seen += 1
                    yield pending_newline
                pending_newline = None
            after_comma = token.type == "COMMA"
            if token.type in SEPARATOR_TERMINALS:
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
        propagate_positions=False,  # tokens carry positions; see corsc.syntax
        maybe_placeholders=False,
        postlex=_ListContinuation(),
        cache=True,
    )


@cache
def terminal_regex(name: str) -> re.Pattern[str]:
    """The grammar's terminal ``name`` (``STRING``, ``WORD``) as a regex, for text that reaches
    corsc without the parser (a ``--set`` value) and is held to the same rule."""
    return re.compile(_parser().get_terminal(name).pattern.to_regexp())


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
    """Raised out of the parse once :data:`_MAX_SYNTAX_ERRORS` have been reported."""


class _Recovery:
    """Lark's ``on_error`` callback for one parse: reports each independent error (see the
    module's docstring) and puts the parser back where a statement, block or file ends."""

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
        seen = self.postlex.separators_seen - (token.type in SEPARATOR_TERMINALS)
        if seen != self._separators_at_last_error:
            self._report(describe(self.source, error))
        self._separators_at_last_error = self.postlex.separators_seen
        if token.type == "$END":
            self._close_open_blocks(parser)
            self._pop_until(parser, "$END")
            return True
        if token.value in {"policy", "let"} and open_blocks(parser):
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
        for _ in open_blocks(parser):
            closer = Token("RBRACE", "}")
            if not (self._pop_until(parser, "RBRACE") and self._feed(parser, closer)):
                return
            if self._accepts(parser, "_NL"):
                self._feed(parser, Token("_NL", "\n"))

    # -- reporting -------------------------------------------------------------------------

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
        offset = error.pos_in_stream
        assert offset is not None
        lexer_state = error.interactive_parser.lexer_thread.state
        assert lexer_state is not None
        # What follows in this statement is a consequence: report it only after a separator.
        self._separators_at_last_error = self.postlex.separators_seen
        if self.source.text[offset] == '"':
            diagnostic, end = unclosed_string(self.source, offset)
            self._report(diagnostic)
            lexer_state.line_ctr.feed(self.source.text[offset:end])  # lex on after the string
            return
        previous = self.diagnostics[-1] if self.diagnostics else None
        diagnostic, replaces = unexpected_character(self.source, offset, previous)
        if replaces:
            self.diagnostics[-1] = diagnostic
        else:
            self._report(diagnostic)
