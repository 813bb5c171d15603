"""The formatter's reading of a policy file that parses: its tokens, comments and line breaks
kept (the parser drops them), read into the pieces of the lines to write, in order.

:func:`lex` is the grammar's own lexer. :class:`Reader` turns its tokens into events — a
statement with its values, a block's header, a ``}`` — and the end of the file. Each
:class:`Piece` carries the comments on lines of their own before it, the comment at the end of
its source line, and whether a line break or a blank line stood before it. A token where a text
that parses cannot have it is a :class:`FormattingBug` (a bug in corsc, never the input's
fault), never a guess.
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path

from attrs import define
from lark import Lark, Token
from lark.lexer import BasicLexer, LexerThread

from corsc.language import STATEMENTS, VALUE_TERMINALS

#: The lexer's terminal for each statement name (``max-age`` is ``MAX_AGE``).
_NAME_TOKENS = frozenset({name.upper().replace("-", "_") for name in STATEMENTS} | {"WORD"})
#: The grammar's whitespace: what is removed from the end of a comment.
_WHITESPACE = " \t\r\f"


class FormattingBug(Exception):
    """The formatter misread a text that parses, or wrote one that would not mean the same:
    a bug in corsc, never the input's fault. Raised before anything is written."""


@cache
def _lexer() -> BasicLexer:
    """The grammar's own lexer, but keeping comments and line breaks (the parser drops
    comments, so their places are read here); only whitespace is skipped."""
    import corsc.grammar  # package data beside its __init__

    grammar = (Path(corsc.grammar.__file__).parent / "cors.lark").read_text("utf-8")
    configuration = copy.copy(Lark(grammar, parser="lalr", lexer="basic", cache=True).lexer_conf)
    configuration.ignore = ("WS",)
    return BasicLexer(configuration)


def lex(text: str) -> list[Token]:
    """Every token of a text that lexes, but whitespace, ending with ``$END``."""
    tokens = list(LexerThread.from_text(_lexer(), text).lex(None))
    tokens.append(Token("$END", ""))
    return tokens


@define
class Comment:
    text: str
    blank_before: bool


@define
class Piece:
    """What begins a line of output or joins one: a block's header (``policy api {``), a
    statement's name, a value, a ``}``, or (empty) the end of the file. ``comments`` are the
    comments on lines of their own before it; ``trailing`` is the comment at the end of its
    source line, after it or after the ``,`` or ``;`` that follows it."""

    text: str
    #: It began a source line (a value that did stays at the start of a line).
    broken: bool
    #: A blank line stood before it (after its comments) in the source.
    blank_before: bool
    comments: list[Comment]
    trailing: str | None = None


@define
class Statement:
    """A statement (``methods GET, POST``) or a ``let`` binding (named ``let NAME =``).
    ``width`` is the width its name is padded to: the longest statement name in its block."""

    name: Piece
    values: list[Piece]
    width: int


@define
class Open:
    header: Piece


@define
class Close:
    brace: Piece


Event = Statement | Open | Close


class Reader:
    """Reads the tokens of a text that parses into the lines to write, in order; comments
    attached to the pieces they stand before or after. The statements of a block get their
    name width when the block closes."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0
        self.newlines = 0  # line breaks since the last token or comment
        self.pending: list[Comment] = []  # comments on lines of their own, not yet placed
        self.last: Piece | None = None  # the piece a comment on its line follows

    def read(self) -> tuple[list[Event], Piece]:
        """The events, and the end of the file (the comments after everything else)."""
        events: list[Event] = []
        blocks: list[list[Statement]] = []  # the statements of each open block
        while True:
            self._gap()
            kind = self._peek().type
            if kind == "$END":
                return events, self._piece("")
            if kind == "RBRACE":
                self._take("RBRACE")
                statements = blocks.pop()
                # Statement names only: an unknown one (a typo, an error) may be any length.
                width = max(
                    (len(item.name.text) for item in statements if item.name.text in STATEMENTS),
                    default=0,
                )
                for item in statements:
                    item.width = width
                events.append(Close(self._piece("}")))
            elif kind in {"POLICY", "ORIGIN"}:
                words = [self._take(kind)]
                while self._peek().type != "LBRACE":
                    words.append(self._take(*VALUE_TERMINALS))
                self._take("LBRACE")
                events.append(Open(self._piece(" ".join([*words, "{"]))))
                blocks.append([])
            else:
                if kind == "LET":
                    name = " ".join([self._take("LET"), self._take("WORD"), self._take("EQUAL")])
                else:
                    name = self._take(*_NAME_TOKENS)
                piece = self._piece(name)
                statement = Statement(piece, self._values(), len(name))
                events.append(statement)
                if blocks:
                    blocks[-1].append(statement)

    def _values(self) -> list[Piece]:
        """The values of the statement whose name was just read (maybe none)."""
        values: list[Piece] = []
        if self._peek().type not in VALUE_TERMINALS:
            return values
        while True:
            self._gap()  # after a comma: the line breaks and comments before the next value
            token = self._take(*VALUE_TERMINALS)
            text = str(token)
            if token.type == "REGEX":
                text += " " + self._take("STRING")
            values.append(self._piece(text))
            if self._peek().type != "COMMA":
                return values
            self._take("COMMA")
            if not self._continues():
                return values  # a trailing comma

    def _continues(self) -> bool:
        """Whether the list goes on after the comma just read: in a text that parses, whether
        a value comes next, past line breaks and comments (a statement, a block, `;`, `}` or the
        end of the file there makes the comma a trailing one)."""
        for index in range(self.index, len(self.tokens)):
            token = self.tokens[index]
            if token.type not in {"_NL", "COMMENT"}:
                return token.type in VALUE_TERMINALS
        raise FormattingBug("the tokens end without $END")

    def _gap(self) -> None:
        """Skip line breaks and ``;``, placing the comments among them: one on the line of the
        last piece trails it, any other waits for the next piece."""
        while True:
            token = self._peek()
            if token.type == "_NL":
                self.newlines += token.count("\n")
            elif token.type == "COMMENT":
                text = token.rstrip(_WHITESPACE)
                if self.newlines == 0 and self.last is not None:
                    self.last.trailing = text
                else:
                    self.pending.append(Comment(text, self.newlines >= 2))
                self.newlines = 0
            elif token.type != "SEMICOLON":
                return
            self.index += 1

    def _piece(self, text: str) -> Piece:
        piece = Piece(text, self.newlines > 0, self.newlines >= 2, self.pending)
        self.pending = []
        self.newlines = 0
        self.last = piece
        return piece

    def _peek(self) -> Token:
        return self.tokens[self.index]

    def _take(self, *kinds: str) -> Token:
        token = self.tokens[self.index]
        if token.type not in kinds:
            raise FormattingBug(f"expected {' or '.join(kinds)} at offset {token.start_pos}")
        self.index += 1
        return token
