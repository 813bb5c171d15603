"""Positions as LSP counts them, converted exactly from and to corsc's character offsets.

corsc's spans count code points and break lines at ``\\n`` only. LSP positions are a 0-based
line and a column in the *code units* of the negotiated encoding (UTF-16 unless the client
and server agree otherwise: a character outside the Basic Multilingual Plane is two UTF-16
units, one UTF-32 unit, four UTF-8 bytes), and LSP breaks lines at ``\\n``, ``\\r\\n`` and
``\\r``. A :class:`LineIndex` does both directions for one text, so a diagnostic on a line
after an emoji, or after a lone carriage return, lands where the editor shows it.
"""

from __future__ import annotations

import bisect
import re

from lsprotocol import types

#: LSP's line terminators; ``\\r\\n`` is one.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def code_units(char: str, encoding: str) -> int:
    """How many code units ``char`` takes in ``encoding`` (``utf-8``, ``utf-16`` or
    ``utf-32``). A lone surrogate, which JSON can carry, counts as one UTF-16 unit and the
    three bytes it would take in UTF-8."""
    point = ord(char)
    if encoding == types.PositionEncodingKind.Utf32:
        return 1
    if encoding == types.PositionEncodingKind.Utf8:
        return 1 if point < 0x80 else 2 if point < 0x800 else 3 if point < 0x10000 else 4
    return 2 if point > 0xFFFF else 1


class LineIndex:
    """Offset ↔ LSP position for one text in one encoding.

    Always: ``offset(position(o)) == o`` for every offset ``0 <= o <= len(text)`` that is not
    inside a ``\\r\\n`` pair, and a position past the end of its line or of the text is
    clamped to that end (clients may send them, and the LSP says to clamp).
    """

    def __init__(self, text: str, encoding: str = types.PositionEncodingKind.Utf16) -> None:
        self.text = text
        self.encoding = encoding
        #: Offset where each line starts, and where its content ends (before its terminator).
        self._starts = [0]
        self._ends: list[int] = []
        for match in _LINE_BREAK.finditer(text):
            self._ends.append(match.start())
            self._starts.append(match.end())
        self._ends.append(len(text))
        self._ascii = text.isascii()

    @property
    def line_count(self) -> int:
        return len(self._starts)

    def position(self, offset: int) -> types.Position:
        """The LSP position of a character offset (clamped into the text)."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self._starts, offset) - 1
        start = self._starts[line]
        offset = min(offset, self._ends[line])  # inside a \r\n: the end of the line
        if self._ascii or self.encoding == types.PositionEncodingKind.Utf32:
            return types.Position(line, offset - start)
        units = sum(code_units(char, self.encoding) for char in self.text[start:offset])
        return types.Position(line, units)

    def offset(self, position: types.Position) -> int:
        """The character offset of an LSP position; a column inside a character (the second
        unit of a surrogate pair) is that character's end."""
        if position.line >= len(self._starts):
            return len(self.text)
        start, end = self._starts[position.line], self._ends[position.line]
        if self._ascii or self.encoding == types.PositionEncodingKind.Utf32:
            return min(start + position.character, end)
        units = 0
        offset = start
        while offset < end and units < position.character:
            units += code_units(self.text[offset], self.encoding)
            offset += 1
        return offset

    def range(self, start: int, end: int) -> types.Range:
        """The LSP range of the character offsets ``[start, end)``."""
        return types.Range(self.position(start), self.position(end))
