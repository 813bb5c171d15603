"""Formatting: the one canonical layout of a policy file (``corsc fmt``, and the language
server's formatting).

The layout, as in the README's examples:

- two spaces of indentation per block;
- one statement per line (``;`` between statements becomes a line break); a block opens at
  the end of its header's line and closes on a line of its own, or as ``{}`` when empty;
- in a block every statement's values start in one column, one space after the block's
  longest statement name; a ``let`` has one space on each side of its ``=``;
- one space after each comma; a list continues on the next line, aligned with its first value,
  where its author broke it or where it would pass column :data:`corsc.fmt_layout.WIDTH`; a
  trailing comma is dropped;
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

The text is read by :mod:`corsc.fmt_reader` and laid out by :mod:`corsc.fmt_layout`; this
module joins them and checks the guarantee before it returns a text.
"""

from __future__ import annotations

from collections.abc import Iterator

from attrs import frozen
from lark import Token, Tree

from corsc import diagnostics as d
from corsc.fmt_layout import write
from corsc.fmt_reader import FormattingBug, Reader, lex
from corsc.parse import parse
from corsc.records import fields_repr
from corsc.source import Source

_BOM = "\ufeff"


@frozen
class Formatted:
    """The outcome of formatting one text: the formatted text, or ``None`` when the text has
    syntax errors and was not formatted; then ``diagnostics`` holds them (it is empty
    whenever ``text`` is a string)."""

    __repr__ = fields_repr

    text: str | None
    diagnostics: tuple[d.Diagnostic, ...]


def format_text(text: str, name: str = "<stdin>") -> Formatted:
    """``text`` in the canonical layout (module docstring), or its syntax errors; ``name`` is
    the file name the diagnostics carry. Never raises on bad input."""
    bom = _BOM if text.startswith(_BOM) else ""
    source = Source(name, text.removeprefix(bom))
    parsed = parse(source)
    if parsed.diagnostics or parsed.tree is None:
        return Formatted(None, parsed.diagnostics)
    tokens = lex(source.text)
    first_break = source.text.find("\n")
    newline = "\r\n" if first_break > 0 and source.text[first_break - 1] == "\r" else "\n"
    events, end = Reader(tokens).read()
    out = write(events, end)
    formatted = out.text(newline)
    if out.comments_written != sum(token.type == "COMMENT" for token in tokens):
        raise FormattingBug(f"formatting {source.name} would lose comments")
    _verify(source, parsed.tree, formatted)
    return Formatted(bom + formatted, ())


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
