"""The formatter's writing: the events of :mod:`corsc.fmt_reader` as lines in the canonical
layout (:mod:`corsc.fmt`) — indentation, the column values start in, where a list breaks, the
blank lines around blocks, and every comment where it was.

What always holds: a value joins the line before it only when it stood on that line in the
source and the line stays within :data:`WIDTH`; every comment a piece carries is written once,
and :attr:`Lines.comments_written` counts them. Nothing is checked here: :mod:`corsc.fmt`
checks that the text means the same.
"""

from __future__ import annotations

from corsc.fmt_reader import Close, Comment, Event, Open, Piece, Statement

#: The column a list is continued before passing (the value that would pass it begins the
#: next line, unless it is the list's first).
WIDTH = 100
#: Spaces per block level.
INDENT = 2


class Lines:
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

    def comments(self, comments: list[Comment], indent: int) -> None:
        for comment in comments:
            self.line(indent, comment.text, comment.blank_before)
            self.open = False
        self.comments_written += len(comments)

    def trailing(self, piece: Piece) -> None:
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


def write(events: list[Event], end: Piece) -> Lines:
    out = Lines()
    depth = 0
    for event in events:
        indent = INDENT * min(depth, _DEEPEST_INDENT)
        if isinstance(event, Open):
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
        elif isinstance(event, Close):
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


def _write_statement(out: Lines, statement: Statement, indent: int) -> None:
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
