"""Formatting: the one canonical layout of a policy file (``corsc fmt``, and the language
server's formatting).

The layout, as in the README's examples:

- two spaces of indentation per block;
- one statement per line (``;`` between statements becomes a line break); a block opens at
  the end of its header's line and closes on a line of its own, or as ``{}`` when empty;
- in a block every statement's values start in one column, one space after the block's
  longest statement name; a ``let`` has one space on each side of its ``=``;
- one space after each comma; a list continues on the next line, aligned with its first value,
  where its author broke it or where it would pass column :data:`WIDTH`; a trailing comma is
  dropped;
- one blank line before and after every ``policy`` and ``origin`` block (before the comments
  right above it); a blank line between two other lines stays, a run of them becomes one, and
  none is kept at the start or the end of a block or of the file;
- every comment where it was: after what it followed on its line (two spaces before ``#``), or
  on a line of its own indented like the next line, without trailing whitespace;
- every line ends as the file's first line does (``\\n`` or ``\\r\\n``), the last one too;
  a byte-order mark at the start stays.

What always holds: the formatted text parses to the same syntax tree, token for token, so it
means the same policy, and holds the same comments; formatting it again changes nothing. A text
with syntax errors is not formatted: :func:`format_text` returns its diagnostics instead.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from attrs import define, frozen
from lark import Lark, Token, Tree
from lark.lexer import BasicLexer, LexerThread

from corsc import diagnostics as d
from corsc.language import STATEMENTS, VALUE_TERMINALS
from corsc.parse import parse
from corsc.records import fields_repr
from corsc.source import Source

#: The column a list is continued before passing (the value that would pass it begins the
#: next line, unless it is the list's first).
WIDTH = 100
#: Spaces per block level.
INDENT = 2

#: The lexer's terminal for each statement name (``max-age`` is ``MAX_AGE``).
_NAME_TOKENS = frozenset({name.upper().replace("-", "_") for name in STATEMENTS} | {"WORD"})
#: The grammar's whitespace: what is removed from the end of a comment.
_WHITESPACE = " \t\r\f"
_BOM = "\ufeff"


@frozen
class Formatted:
    """The outcome of formatting one text: the formatted text, or ``None`` when the text has
    syntax errors and was not formatted; then ``diagnostics`` holds them (it is empty
    whenever ``text`` is a string)."""

    __repr__ = fields_repr

    text: str | None
    diagnostics: tuple[d.Diagnostic, ...]


class FormattingBug(Exception):
    """The formatter misread a text that parses, or wrote one that would not mean the same:
    a bug in corsc, never the input's fault. Raised before anything is written."""


def format_text(text: str, name: str = "<stdin>") -> Formatted:
    """``text`` in the canonical layout (module docstring), or its syntax errors; ``name`` is
    the file name the diagnostics carry. Never raises on bad input."""
    bom = _BOM if text.startswith(_BOM) else ""
    source = Source(name, text.removeprefix(bom))
    parsed = parse(source)
    if parsed.diagnostics or parsed.tree is None:
        return Formatted(None, parsed.diagnostics)
    tokens = _tokens(source.text)
    first_break = source.text.find("\n")
    newline = "\r\n" if first_break > 0 and source.text[first_break - 1] == "\r" else "\n"
    events, end = _Reader(tokens).read()
    out = _write(events, end)
    formatted = out.text(newline)
    if out.comments_written != sum(token.type == "COMMENT" for token in tokens):
        raise FormattingBug(f"formatting {source.name} would lose comments")
    _verify(source, parsed.tree, formatted)
    return Formatted(bom + formatted, ())


# ---- reading: tokens → lines to write ------------------------------------------------------


@cache
def _lexer() -> BasicLexer:
    """The grammar's own lexer, but keeping comments and line breaks (the parser drops
    comments, so their places are read here); only whitespace is skipped."""
    import corsc.grammar  # package data beside its __init__

    grammar = (Path(corsc.grammar.__file__).parent / "cors.lark").read_text("utf-8")
    configuration = copy.copy(Lark(grammar, parser="lalr", lexer="basic", cache=True).lexer_conf)
    configuration.ignore = ("WS",)
    return BasicLexer(configuration)


def _tokens(text: str) -> list[Token]:
    """Every token of a text that lexes, but whitespace, ending with ``$END``."""
    tokens = list(LexerThread.from_text(_lexer(), text).lex(None))
    tokens.append(Token("$END", ""))
    return tokens


@define
class _Comment:
    text: str
    blank_before: bool


@define
class _Piece:
    """What begins a line of output or joins one: a block's header (``policy api {``), a
    statement's name, a value, a ``}``, or (empty) the end of the file. ``comments`` are the
    comments on lines of their own before it; ``trailing`` is the comment at the end of its
    source line, after it or after the ``,`` or ``;`` that follows it."""

    text: str
    #: It began a source line (a value that did stays at the start of a line).
    broken: bool
    #: A blank line stood before it (after its comments) in the source.
    blank_before: bool
    comments: list[_Comment]
    trailing: str | None = None


@define
class _Statement:
    """A statement (``methods GET, POST``) or a ``let`` binding (named ``let NAME =``).
    ``width`` is the width its name is padded to: the longest statement name in its block."""

    name: _Piece
    values: list[_Piece]
    width: int


@define
class _Open:
    header: _Piece


@define
class _Close:
    brace: _Piece


_Event = _Statement | _Open | _Close


class _Reader:
    """Reads the tokens of a text that parses into the lines to write, in order; comments
    attached to the pieces they stand before or after. The statements of a block get their
    name width when the block closes."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0
        self.newlines = 0  # line breaks since the last token or comment
        self.pending: list[_Comment] = []  # comments on lines of their own, not yet placed
        self.last: _Piece | None = None  # the piece a comment on its line follows

    def read(self) -> tuple[list[_Event], _Piece]:
        """The events, and the end of the file (the comments after everything else)."""
        events: list[_Event] = []
        blocks: list[list[_Statement]] = []  # the statements of each open block
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
                events.append(_Close(self._piece("}")))
            elif kind in {"POLICY", "ORIGIN"}:
                words = [self._take(kind)]
                while self._peek().type != "LBRACE":
                    words.append(self._take(*VALUE_TERMINALS))
                self._take("LBRACE")
                events.append(_Open(self._piece(" ".join([*words, "{"]))))
                blocks.append([])
            else:
                if kind == "LET":
                    name = " ".join([self._take("LET"), self._take("WORD"), self._take("EQUAL")])
                else:
                    name = self._take(*_NAME_TOKENS)
                piece = self._piece(name)
                statement = _Statement(piece, self._values(), len(name))
                events.append(statement)
                if blocks:
                    blocks[-1].append(statement)

    def _values(self) -> list[_Piece]:
        """The values of the statement whose name was just read (maybe none)."""
        values: list[_Piece] = []
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
                    self.pending.append(_Comment(text, self.newlines >= 2))
                self.newlines = 0
            elif token.type != "SEMICOLON":
                return
            self.index += 1

    def _piece(self, text: str) -> _Piece:
        piece = _Piece(text, self.newlines > 0, self.newlines >= 2, self.pending)
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


# ---- writing -------------------------------------------------------------------------------


class _Lines:
    """The output so far, and what decides where the next line goes. The last line is kept
    in parts until the next one begins, so adding to it costs only what is added."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.parts: list[str] = []  # the last line, not yet joined
        self.length = 0  # its length
        #: Nothing has been written in the innermost open block (or the file) yet.
        self.at_start = True
        #: The next line of this block stands after a blank line: a block ends or begins.
        self.blank_due = False
        #: The last line ends with a token, so a value may join it (no comment ends it).
        self.open = False
        self.comments_written = 0

    def line(self, indent: int, text: str, blank_before: bool) -> None:
        """Begin a line (after a blank one when due, but never first in a block)."""
        self._end_line()
        if (blank_before or self.blank_due) and not self.at_start:
            self.lines.append("")
        self.add(" " * indent + text)
        self.at_start = self.blank_due = False
        self.open = True

    def add(self, text: str) -> None:
        """Add to the last line."""
        self.parts.append(text)
        self.length += len(text)

    def comments(self, comments: list[_Comment], indent: int) -> None:
        for comment in comments:
            self.line(indent, comment.text, comment.blank_before)
            self.open = False
        self.comments_written += len(comments)

    def trailing(self, piece: _Piece) -> None:
        if piece.trailing is not None:
            self.add("  " + piece.trailing)
            self.open = False
            self.comments_written += 1

    def text(self, newline: str) -> str:
        self._end_line()
        return newline.join(self.lines) + newline if self.lines else ""

    def _end_line(self) -> None:
        if self.parts:
            self.lines.append("".join(self.parts))
            self.parts.clear()
            self.length = 0


#: Blocks deeper than this (no valid policy nests more than two: ``policy``, ``origin``) are
#: indented like this level, so a pathologically nested file cannot grow by its depth squared.
_DEEPEST_INDENT = 8
#: A list whose first value starts past this column (after a long ``let`` name) continues
#: two levels deeper than its statement instead of under its first value.
_DEEPEST_COLUMN = 40


def _write(events: list[_Event], end: _Piece) -> _Lines:
    out = _Lines()
    depth = 0
    for event in events:
        indent = INDENT * min(depth, _DEEPEST_INDENT)
        if isinstance(event, _Open):
            header = event.header
            # The blank line before a block goes above the comments right above it (those
            # after the last blank line), unless the author left one there already.
            separated = header.blank_before or any(c.blank_before for c in header.comments)
            out.blank_due |= not separated
            out.comments(header.comments, indent)
            out.line(indent, header.text, header.blank_before)
            out.trailing(header)
            out.at_start = True
            depth += 1
        elif isinstance(event, _Close):
            out.comments(event.brace.comments, indent)
            depth -= 1
            if out.at_start and out.open:  # an empty block, without comments
                out.add("}")
            else:
                out.blank_due = False  # never a blank line before a `}`
                out.line(INDENT * min(depth, _DEEPEST_INDENT), "}", False)
            out.trailing(event.brace)
            out.at_start = False
            out.blank_due = True
        else:
            _write_statement(out, event, indent)
    out.comments(end.comments, 0)
    return out


def _write_statement(out: _Lines, statement: _Statement, indent: int) -> None:
    name, values = statement.name, statement.values
    out.comments(name.comments, indent)
    if not values:
        out.line(indent, name.text, name.blank_before)
        out.trailing(name)
        return
    out.line(indent, f"{name.text.ljust(statement.width)} {values[0].text}", name.blank_before)
    column = indent + max(statement.width, len(name.text)) + 1
    if column > _DEEPEST_COLUMN:
        column = indent + 2 * INDENT
    last = len(values) - 1
    for index, value in enumerate(values):
        if index:
            fits = out.length + 1 + len(value.text) + (index < last) <= WIDTH
            if out.open and not value.broken and fits:
                out.add(" " + value.text)
            else:
                out.comments(value.comments, column)
                out.line(column, value.text, value.blank_before)
        if index < last:
            out.add(",")
        out.trailing(value)


# ---- the guarantee -------------------------------------------------------------------------


def _verify(source: Source, tree: Tree[Token], formatted: str) -> None:
    """Raise :class:`FormattingBug` unless ``formatted`` parses to the same tree as the source
    (rules, token kinds and texts; positions aside). Comments, which the tree leaves out, are
    copied as they are, and counted as they are written."""
    again = parse(Source(source.name, formatted))
    if again.diagnostics or again.tree is None:
        raise FormattingBug(f"the formatted {source.name} does not parse")
    if list(_shape(again.tree)) != list(_shape(tree)):
        raise FormattingBug(f"the formatted {source.name} parses to another syntax tree")


def _shape(tree: Tree[Token]) -> Iterator[tuple[str, object]]:
    """The tree in pre-order, without positions. Iterative: a policy may nest thousands of
    blocks deep, and Lark's own tree comparison recurses."""
    stack: list[Tree[Token] | Token] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, Tree):
            yield str(node.data), len(node.children)
            stack.extend(reversed(node.children))
        else:
            yield node.type, str(node)
