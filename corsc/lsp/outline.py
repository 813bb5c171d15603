"""An error-tolerant outline of a policy text, for the editor features.

The front end reports what is wrong with a text; an editor also needs to know what the text
*is* while it is being typed: which statement the cursor is in, where each ``let`` is bound
and used, what the policies and ``origin`` blocks are. The parser drops a statement it cannot
read (and, to recover, the rest of its block), so the outline is read with its own scanner:
the grammar's own terminals (``WORD``, ``STRING``, comments, newlines) and keywords, taken
from ``grammar/cors.lark``, grouped into statements and blocks with the parser's rules (a
newline right after a comma continues a list unless a keyword or ``}`` follows), and anything
it cannot place skipped to the next separator. It never fails on any text.

Offsets are character offsets into the text, as in corsc's spans.
"""

from __future__ import annotations

import bisect
import re
from functools import cache
from pathlib import Path
from typing import Literal

from attrs import frozen
from lark import Lark

from corsc.records import fields_repr

#: A token's kind: ``word`` (the grammar's WORD, ``*`` included), ``string`` (``"…"``, or an
#: unclosed ``"…`` to the end of the line), ``punct`` (``{ } = , ;``), ``newline``,
#: ``comment`` or ``other`` (a character no token uses).
TokenKind = Literal["word", "string", "punct", "newline", "comment", "other"]


@frozen
class Token:
    __repr__ = fields_repr

    kind: TokenKind
    text: str
    start: int
    end: int


@frozen
class Item:
    """One value of a list as written: ``form`` is ``string`` (``text`` keeps its quotes),
    ``regex`` (``text`` is the quoted string after ``regex``; ``start`` is the keyword's),
    ``word`` or ``star``."""

    __repr__ = fields_repr

    form: Literal["string", "regex", "word", "star"]
    text: str
    start: int
    end: int


@frozen
class Statement:
    """A statement or block. ``keyword`` is its first word (a statement name, ``let``,
    ``policy``, ``origin`` or an unknown word); ``name`` is the name of a ``let`` or a
    ``policy``; ``items`` its values (an ``origin`` block's pattern); ``children`` a block's
    statements. ``[start, end)`` runs from the keyword to the separator that ends the
    statement (for a block, through its ``}``; to the end of the text if it is unclosed)."""

    __repr__ = fields_repr

    keyword: Token
    name: Token | None
    items: tuple[Item, ...]
    children: tuple[Statement, ...]
    start: int
    end: int
    braced: bool = False

    def walk(self) -> list[Statement]:
        """This statement and every statement inside it, in source order."""
        return [self, *(inner for child in self.children for inner in child.walk())]


@frozen
class Outline:
    """The tokens and the top-level statements of a text."""

    __repr__ = fields_repr

    text: str
    tokens: tuple[Token, ...]
    statements: tuple[Statement, ...]

    def all_statements(self) -> list[Statement]:
        return [inner for statement in self.statements for inner in statement.walk()]

    def bindings(self) -> dict[str, Statement]:
        """Each ``let`` name and its first binding."""
        found: dict[str, Statement] = {}
        for statement in self.statements:
            if statement.keyword.text == "let" and statement.name is not None:
                found.setdefault(statement.name.text, statement)
        return found

    def references(self, name: str) -> list[Item]:
        """Every use of the ``let`` name ``name`` as a value, in source order."""
        return [
            item
            for statement in self.all_statements()
            for item in statement.items
            if item.form == "word" and item.text == name
        ]

    def token_at(self, offset: int) -> Token | None:
        """The word or string token under ``offset`` (or ending at it: the cursor just after
        a word is on it)."""
        starts = [token.start for token in self.tokens]
        index = bisect.bisect_right(starts, offset) - 1
        for candidate in (index, index - 1):
            if 0 <= candidate < len(self.tokens):
                token = self.tokens[candidate]
                if token.kind in ("word", "string") and token.start <= offset <= token.end:
                    return token
        return None

    def innermost(self, offset: int) -> list[Statement]:
        """The statements containing ``offset``, outermost first."""
        chain: list[Statement] = []
        level = self.statements
        while True:
            inside = next((s for s in level if s.start <= offset <= s.end), None)
            if inside is None:
                return chain
            chain.append(inside)
            level = inside.children


@cache
def _grammar() -> Lark:
    import corsc.grammar

    text = (Path(corsc.grammar.__file__).parent / "cors.lark").read_text("utf-8")
    return Lark(text, parser="lalr", lexer="basic", cache=True)


@cache
def statement_names() -> tuple[str, ...]:
    """The statement names, in the grammar's order (its ``statement_name`` rule)."""
    grammar = _grammar()
    names = []
    for rule in grammar.rules:
        if rule.origin.name == "statement_name":
            for symbol in rule.expansion:
                names.append(str(grammar.get_terminal(symbol.name).pattern.value))
    return tuple(names)


@cache
def keywords() -> frozenset[str]:
    """The reserved words: every keyword the grammar spells out (statement names, ``let``,
    ``policy``, ``origin``, ``regex``)."""
    grammar = _grammar()
    word = _terminal("WORD")
    return frozenset(
        str(terminal.pattern.value)
        for terminal in grammar.terminals
        if terminal.pattern.type == "str"
        and terminal.pattern.value != "*"
        and word.fullmatch(str(terminal.pattern.value))
    )


@cache
def _terminal(name: str) -> re.Pattern[str]:
    return re.compile(_grammar().get_terminal(name).pattern.to_regexp())


@cache
def _scanner() -> re.Pattern[str]:
    return re.compile(
        "|".join(
            [
                f"(?P<string>{_terminal('STRING').pattern})",
                r'(?P<unclosed>"[^\n]*)',
                f"(?P<comment>{_terminal('COMMENT').pattern})",
                r"(?P<newline>\r?\n)",
                f"(?P<space>{_terminal('WS').pattern})",
                f"(?P<word>{_terminal('WORD').pattern})",
                r"(?P<punct>[{}=,;])",
                r"(?P<other>.)",
            ]
        ),
        re.DOTALL,
    )


def tokens(text: str) -> list[Token]:
    """Every token of ``text`` but spaces; every character is in exactly one token or space."""
    result = []
    for match in _scanner().finditer(text):
        kind = match.lastgroup
        if kind == "space":
            continue
        token_kind: TokenKind = "string" if kind == "unclosed" else kind  # type: ignore[assignment]
        result.append(Token(token_kind, match.group(), match.start(), match.end()))
    return result


def outline(text: str) -> Outline:
    """The outline of any text."""
    scanned = tokens(text)
    reader = _Reader(scanned, len(text))
    return Outline(text, tuple(scanned), tuple(reader.body(0)))


class _Reader:
    """Groups tokens into statements, one pass, never failing."""

    def __init__(self, scanned: list[Token], length: int) -> None:
        self.tokens = [token for token in scanned if token.kind != "comment"]
        self.length = length
        self.index = 0
        self.keywords = keywords()

    def peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def at_separator(self) -> bool:
        token = self.peek()
        return token is None or token.kind == "newline" or token.text in (";", "}")

    def body(self, depth: int) -> list[Statement]:
        statements: list[Statement] = []
        while (token := self.peek()) is not None:
            if token.kind == "newline" or token.text == ";":
                self.index += 1
            elif token.text == "}":
                if depth > 0:
                    return statements
                self.index += 1  # a stray `}` at the top level: the parser reports it
            elif token.kind == "word":
                statements.append(self.statement(token, depth))
            else:  # junk where a statement belongs (a stray `{`, a string): the parser says so
                self.index += 1
                self.skip_to_separator()
        return statements

    def statement(self, keyword: Token, depth: int) -> Statement:
        self.index += 1
        name = None
        if keyword.text in ("let", "policy") and (word := self.peek()) and word.kind == "word":
            name = word
            self.index += 1
        if keyword.text == "let" and (equals := self.peek()) and equals.text == "=":
            self.index += 1
        items = self.items()
        children: list[Statement] = []
        braced = False
        if (brace := self.peek()) is not None and brace.text == "{":
            self.index += 1
            children = self.body(depth + 1)
            closing = self.peek()
            braced = closing is not None and closing.text == "}"
            if braced:
                self.index += 1
            end = closing.end if closing is not None else self.length
        else:
            self.skip_to_separator()
            following = self.peek()
            end = following.start if following is not None else self.length
        return Statement(keyword, name, tuple(items), tuple(children), keyword.start, end, braced)

    def items(self) -> list[Item]:
        items: list[Item] = []
        while (token := self.peek()) is not None:
            item = self.item(token)
            if item is None:
                return items
            items.append(item)
            comma = self.peek()
            if comma is None or comma.text != ",":
                return items
            self.index += 1
            mark = self.index
            while (after := self.peek()) is not None and after.kind == "newline":
                self.index += 1
            after = self.peek()
            if after is None or after.text == "}" or after.text in self.keywords - {"regex"}:
                self.index = mark  # a trailing comma: the newline ends the statement after all
                return items
        return items

    def item(self, token: Token) -> Item | None:
        if token.kind == "string":
            self.index += 1
            return Item("string", token.text, token.start, token.end)
        if token.kind != "word" or token.text in self.keywords - {"regex"}:
            return None
        self.index += 1
        if token.text == "regex" and (string := self.peek()) and string.kind == "string":
            self.index += 1
            return Item("regex", string.text, token.start, string.end)
        return Item("star" if token.text == "*" else "word", token.text, token.start, token.end)

    def skip_to_separator(self) -> None:
        while not self.at_separator():
            token = self.peek()
            if token is not None and token.text == "{":
                return
            self.index += 1
