"""Source text and spans.

A :class:`Source` is one policy file's text; a :class:`Span` is a range in it, with both the
character offsets and the 1-based line and column a person reads. Every IR node and every
diagnostic carries a span.
"""

from __future__ import annotations

import bisect
import errno
import itertools
import os
import stat
import unicodedata
from typing import Protocol

from attrs import field, frozen

from corsc.records import fields_repr

#: Largest policy file corsc reads, in bytes (a policy with 100,000 origins is about 4.5 MB);
#: larger inputs get CORS010 and exit 2 instead of a long wait.
MAX_SOURCE_BYTES = 8 * 1024 * 1024


def hidden(char: str) -> bool:
    """Characters that draw nothing or act on the terminal: control, format (bidi overrides,
    zero-width), lone surrogates (the bytes of a file name that is not UTF-8) and line or
    paragraph separators."""
    return unicodedata.category(char) in {"Cc", "Cf", "Cs", "Zl", "Zp"}


def visible(text: str) -> str:
    """``text`` with every hidden character shown as ``<U+XXXX>``: the one notation corsc uses
    wherever it shows a name it did not choose (diagnostics, messages, provenance comments),
    so a file name cannot send escape sequences, break a line, or fail to encode."""
    if text.isprintable():  # no control, format, surrogate or separator character at all
        return text
    return "".join(f"<U+{ord(char):04X}>" if hidden(char) else char for char in text)


class NotAFile(OSError):
    """A path that names something other than a regular file (a directory, a device, a FIFO,
    a socket): reading it could block or never end, writing it would replace it."""

    def __init__(self, path: str, what: str) -> None:
        super().__init__(f"{visible(path)} is {what}, not a regular file")
        self.path = path
        self.what = what


class TooLarge(OSError):
    """A file longer than the bound its reader accepts; ``size`` is a lower bound."""

    def __init__(self, path: str, size: int) -> None:
        super().__init__(f"{visible(path)} is larger than {size:,} bytes")
        self.path = path
        self.size = size


def file_kind(mode: int) -> str:
    """What an ``st_mode`` names, in words."""
    for test, what in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISREG, "a file"),
    ):
        if test(mode):
            return what
    return "a special file"


def read_bounded(path: str, limit: int, *, head: bool = False) -> bytes:
    """The bytes of the regular file ``path``, refusing anything else before reading, and
    reading at most ``limit + 1`` bytes so an endless or huge file costs no more than that
    (:class:`TooLarge` when there are more, or with ``head`` just the first ``limit``).
    Opened non-blocking: a FIFO must not wait for a writer, nor a kernel file for data."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise NotAFile(path, file_kind(mode))
    except BaseException:
        os.close(descriptor)
        raise
    with os.fdopen(descriptor, "rb", buffering=0) as stream:
        return read_stream(stream, path, limit, head=head)


class _Readable(Protocol):
    def read(self, size: int, /) -> bytes | None: ...


def read_stream(stream: _Readable, path: str, limit: int, *, head: bool = False) -> bytes:
    """At most ``limit`` bytes of a binary stream; :class:`TooLarge` when there are more
    (unless ``head``: then the first ``limit`` bytes)."""
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = stream.read(min(1 << 20, limit + 1 - size))
        if chunk is None:  # a non-blocking file with nothing to read yet: it would wait
            raise BlockingIOError(errno.EAGAIN, "it has no data to read yet (it would wait)")
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
    if head:
        return b"".join(chunks)[:limit]
    raise TooLarge(path, limit)


@frozen(order=True)
class Position:
    """A point in a source: 1-based line and column (in characters), 0-based offset."""

    __repr__ = fields_repr

    line: int
    column: int
    offset: int


@frozen
class Span:
    """A half-open range ``[start, end)`` in the file named ``file``."""

    __repr__ = fields_repr

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


#: How a position counts characters: Unicode code points (corsc's own spans) or UTF-16 code
#: units (what LSP clients and GitHub count by default).
CODE_POINTS, UTF16 = "code-points", "utf-16"
POSITION_ENCODINGS = (CODE_POINTS, UTF16)


def utf16_length(text: str) -> int:
    """How many UTF-16 code units ``text`` takes: one per code point, two for a code point
    above U+FFFF (an astral character, such as most emoji)."""
    if text.isascii():
        return len(text)
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


@frozen
class Source:
    """The text of one policy file, with a line index for offset → position."""

    __repr__ = fields_repr

    name: str
    text: str
    _line_starts: tuple[int, ...] = field(init=False, eq=False, repr=False)
    _utf16_starts: list[int] = field(init=False, eq=False, repr=False, factory=list)

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

    def encoded(self, position: Position, encoding: str) -> Position:
        """``position`` (of this source, in code points) counted in ``encoding``: with
        :data:`UTF16` the column and the offset count UTF-16 code units; the line is the same.
        The one conversion every consumer of UTF-16 positions uses."""
        if encoding == CODE_POINTS:
            return position
        starts = self._utf16_line_starts()
        if not starts:  # ASCII: every code point is one code unit
            return position
        line = max(1, min(position.line, len(self._line_starts)))
        start = self._line_starts[line - 1]
        before = utf16_length(self.text[start : max(start, position.offset)])
        return Position(line, before + 1, starts[line - 1] + before)

    def _utf16_line_starts(self) -> list[int]:
        """Each line's start in UTF-16 code units, or ``[]`` for an ASCII text (where they are
        the code-point starts); computed on first use and kept."""
        starts = self._utf16_starts
        if not starts:
            starts.append(0)
            if self.text.isascii():
                starts.append(-1)  # marks the text ASCII
            else:
                for previous, following in itertools.pairwise(self._line_starts):
                    starts.append(starts[-1] + utf16_length(self.text[previous:following]))
        return [] if starts[-1] == -1 else starts
