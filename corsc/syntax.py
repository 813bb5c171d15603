"""The syntax tree as typed data: each ``let``, policy, statement, block and value as written.

:class:`Syntax`, a Lark transformer, turns the parser's tree into these frozen classes bottom
up; lowering (:mod:`corsc.lower`) reads nothing else of the tree, and nothing here judges what
it reads (no diagnostics). Trees carry no positions (propagating them doubles the parse time of
a large policy): every span is built from its tokens', on which Lark counted 1-based lines and
columns in characters and 0-based offsets.
"""

from __future__ import annotations

import re
from typing import Literal

from attrs import frozen
from lark import Token, Transformer_NonRecursive

from corsc.records import fields_repr
from corsc.source import Position, Span


@frozen
class Value:
    """One item of a value list as written, before ``let`` names are resolved. ``form`` is
    how it was written: a quoted string, ``regex "…"``, a bare word or ``*``; ``text`` is what
    it says (a string's quotes and escapes removed). A regex's span is its string's."""

    __repr__ = fields_repr

    form: Literal["string", "regex", "word", "star"]
    text: str
    span: Span


@frozen
class Statement:
    """``NAME VALUE, …`` for a statement name the grammar knows: ``span`` runs from the name
    to the last value; ``values`` is never empty."""

    __repr__ = fields_repr

    name: str
    name_span: Span
    span: Span
    values: tuple[Value, ...]


@frozen
class UnknownStatement:
    """A statement that starts with a word no statement is named; ``span`` is the word's."""

    __repr__ = fields_repr

    word: str
    span: Span


@frozen
class OriginBlock:
    """``origin PATTERN { … }``: ``header`` runs from ``origin`` to the pattern, ``target`` is
    the pattern as written (a string, a regex or ``*``)."""

    __repr__ = fields_repr

    header: Span
    target: Value
    body: tuple[BodyItem, ...]


@frozen
class PolicyBlock:
    """``policy NAME { … }``; ``name_span`` is the name's."""

    __repr__ = fields_repr

    name: str
    name_span: Span
    body: tuple[BodyItem, ...]


@frozen
class LetBinding:
    """``let NAME = VALUE, …``; ``span`` is the name's."""

    __repr__ = fields_repr

    name: str
    span: Span
    values: tuple[Value, ...]


#: What a policy's or an origin block's body holds, in source order.
BodyItem = Statement | UnknownStatement | OriginBlock


class Syntax(Transformer_NonRecursive[Token, tuple["LetBinding | PolicyBlock", ...]]):
    """The parser's tree (``start``) → its ``let`` bindings and policies, in source order.

    Non-recursive: blocks nest as deep as the input does (an unclosed ``origin {`` per line),
    deeper than Python's stack. Tokens are not visited: each rule reads its own."""

    def __init__(self, file: str) -> None:
        super().__init__(visit_tokens=False)
        self.file = file

    def span(self, token: Token) -> Span:
        """Where ``token`` stands in the file."""
        return Span(
            self.file,
            Position(token.line, token.column, token.start_pos),  # type: ignore[arg-type]
            Position(token.end_line, token.end_column, token.end_pos),  # type: ignore[arg-type]
        )

    def start(self, items: list[object]) -> tuple[LetBinding | PolicyBlock, ...]:
        return tuple(item for item in items if isinstance(item, LetBinding | PolicyBlock))

    def let_binding(self, children: list[object]) -> LetBinding:
        name, values = children
        assert isinstance(name, Token) and isinstance(values, tuple)
        return LetBinding(str(name.value), self.span(name), values)

    def policy(self, children: list[object]) -> PolicyBlock:
        name, body = children
        assert isinstance(name, Token) and isinstance(body, tuple)
        return PolicyBlock(str(name.value), self.span(name), body)

    def body(self, items: list[BodyItem]) -> tuple[BodyItem, ...]:
        return tuple(items)

    def setting(self, children: list[object]) -> Statement:
        name, values = children
        assert isinstance(name, Token) and isinstance(values, tuple)
        name_span = self.span(name)
        span = Span(self.file, name_span.start, values[-1].span.end)
        return Statement(str(name.value), name_span, span, values)

    def statement_name(self, children: list[Token]) -> Token:
        return children[0]

    def origin_block(self, children: list[object]) -> OriginBlock:
        keyword, target, body = children
        assert isinstance(keyword, Token) and isinstance(target, Value)
        assert isinstance(body, tuple)
        return OriginBlock(Span(self.file, self.span(keyword).start, target.span.end), target, body)

    def unknown_statement(self, children: list[object]) -> UnknownStatement:
        word = children[0]
        assert isinstance(word, Token)
        return UnknownStatement(str(word.value), self.span(word))

    def value_list(self, values: list[Value]) -> tuple[Value, ...]:
        return tuple(values)

    def string(self, children: list[Token]) -> Value:
        return Value("string", decode_string(children[0].value), self.span(children[0]))

    def regex(self, children: list[Token]) -> Value:
        return Value("regex", decode_string(children[0].value), self.span(children[0]))

    def word(self, children: list[Token]) -> Value:
        return Value("word", str(children[0].value), self.span(children[0]))

    def star(self, children: list[Token]) -> Value:
        return Value("star", str(children[0].value), self.span(children[0]))


def decode_string(text: str) -> str:
    """A STRING token's value: quotes removed; ``\\"`` and ``\\\\`` unescaped, every other
    backslash kept as written."""
    if not (len(text) >= 2 and text[0] == '"' and text[-1] == '"'):
        return text
    inner = text[1:-1]
    return re.sub(r'\\(["\\])', r"\1", inner) if "\\" in inner else inner
