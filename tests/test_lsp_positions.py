"""Offsets ↔ LSP positions: exact in every encoding, astral characters and every LSP line
break included."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from lsprotocol import types

from corsc.lsp.positions import LineIndex

UTF8, UTF16, UTF32 = (
    types.PositionEncodingKind.Utf8,
    types.PositionEncodingKind.Utf16,
    types.PositionEncodingKind.Utf32,
)


def test_an_astral_character_is_two_utf16_units() -> None:
    index = LineIndex('origins "https://😀.example"', UTF16)
    after = 'origins "https://😀'
    assert index.position(len(after)) == types.Position(0, len(after) + 1)
    assert index.offset(types.Position(0, len(after) + 1)) == len(after)


def test_units_per_encoding() -> None:
    text = "a é 中 😀 z"
    for encoding, column in ((UTF8, 14), (UTF16, 9), (UTF32, 8)):
        index = LineIndex(text, encoding)
        assert index.position(text.index("z")) == types.Position(0, column)
        assert index.offset(types.Position(0, column)) == text.index("z")


def test_lsp_line_breaks() -> None:
    # corsc breaks lines at \n only; LSP at \n, \r\n and a lone \r.
    text = "a\r\nb\rc\nd"
    index = LineIndex(text)
    assert [index.position(text.index(char)) for char in "abcd"] == [
        types.Position(line, 0) for line in range(4)
    ]


def test_positions_past_the_end_are_clamped() -> None:
    index = LineIndex("ab\ncd")
    assert index.offset(types.Position(0, 99)) == 2
    assert index.offset(types.Position(9, 0)) == 5
    assert index.position(99) == types.Position(1, 2)


def test_the_middle_of_a_surrogate_pair_is_the_characters_end() -> None:
    assert LineIndex("😀x").offset(types.Position(0, 1)) == 1


@given(st.text(), st.sampled_from([UTF8, UTF16, UTF32]), st.data())
def test_round_trip(text: str, encoding: str, data: st.DataObject) -> None:
    index = LineIndex(text, encoding)
    offset = data.draw(st.integers(0, len(text)))
    if text[offset - 1 : offset + 1] == "\r\n":  # inside a line break: no position of its own
        return
    assert index.offset(index.position(offset)) == offset
