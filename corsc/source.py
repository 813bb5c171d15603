"""Source text and spans.

A :class:`Source` is one policy file's text; a :class:`Span` is a range in it, with both the
character offsets and the 1-based line and column a person reads. Every IR node and every
diagnostic carries a span.
"""

from __future__ import annotations

import bisect

from attrs import field, frozen

#: Largest policy file corsc reads, in bytes (a policy with 100,000 origins is about 4.5 MB);
#: larger inputs get CORS010 and exit 2 instead of a long wait.
MAX_SOURCE_BYTES = 8 * 1024 * 1024


@frozen(order=True)
class Position:
    """A point in a source: 1-based line and column (in characters), 0-based offset."""

    line: int
    column: int
    offset: int


@frozen
class Span:
    """A half-open range ``[start, end)`` in the file named ``file``."""

    file: str
    start: Position
    end: Position

    def to_dict(self) -> dict[str, object]:
        return {
            "start": {
                "line": self.start.line,
                "column": self.start.column,
                "offset": self.start.offset,
            },
            "end": {"line": self.end.line, "column": self.end.column, "offset": self.end.offset},
        }


@frozen
class Source:
    """The text of one policy file, with a line index for offset → position."""

    name: str
    text: str
    _line_starts: tuple[int, ...] = field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        starts = [0]
        find = self.text.find
        index = find("\n")
        while index != -1:
            starts.append(index + 1)
            index = find("\n", index + 1)
        object.__setattr__(self, "_line_starts", tuple(starts))

    def position(self, offset: int) -> Position:
        offset = max(0, min(offset, len(self.text)))
        line_index = bisect.bisect_right(self._line_starts, offset) - 1
        return Position(line_index + 1, offset - self._line_starts[line_index] + 1, offset)

    def span(self, start: int, end: int | None = None) -> Span:
        """The span ``[start, end)``; ``end`` defaults to ``start`` (an empty span)."""
        return Span(self.name, self.position(start), self.position(start if end is None else end))

    def line_text(self, line: int) -> str:
        """The text of a 1-based line without its line ending."""
        start = self._line_starts[line - 1]
        end = self._line_starts[line] - 1 if line < len(self._line_starts) else len(self.text)
        return self.text[start:end].rstrip("\r")

    @property
    def line_count(self) -> int:
        return len(self._line_starts)
