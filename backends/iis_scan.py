"""Reading an existing web.config for ``--merge``, without ever re-serialising it.

ElementTree cannot give back a document byte for byte, so the existing file is parsed once by
expat to refuse malformed input (and any DOCTYPE, so no entity is ever defined or expanded),
then scanned into a light tree of offsets (:func:`scan`, which checks that it read every byte
the same way expat did). Every change is a text edit at those offsets (:class:`Edit`, applied
in one pass by :func:`apply`); inserted text follows the file's :class:`Layout` (its newline
style and indentation unit).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from xml.parsers import expat

from attrs import define, field, frozen

from corsc.records import fields_repr

BOM = "\ufeff"

_TOKEN = re.compile(
    r"(?P<comment><!--(?P<text>.*?)-->)"
    r"|(?P<pi><\?.*?\?>)"
    r"|(?P<cdata><!\[CDATA\[.*?\]\]>)"
    r"|(?P<doctype><!DOCTYPE)"
    r"|(?P<close></(?P<close_name>[^\s>]+)\s*>)"
    r"|(?P<open><(?P<name>[^\s/>!?]+)(?P<attributes>(?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)"
    r"\s*(?P<empty>/?)>)"
    r"|(?P<other>[^<]+)",
    re.DOTALL,
)
_ATTRIBUTE = re.compile(r"([^\s=/>]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_REFERENCE = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot|apos);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}

#: Literal white space in an attribute value that XML reads as one space each.
_ATTRIBUTE_SPACE = re.compile(r"\r\n|[\t\n\r]")


def unescape(value: str) -> str:
    """An attribute value as an XML parser reports it: white space normalised, references
    replaced."""

    def replace(match: re.Match[str]) -> str:
        ref = match.group(1)
        if ref.startswith("#x"):
            return chr(int(ref[2:], 16))
        if ref.startswith("#"):
            return chr(int(ref[1:]))
        return _NAMED[ref]

    return _REFERENCE.sub(replace, _ATTRIBUTE_SPACE.sub(" ", value))


@define
class Node:
    """An element (``tag`` set) or a comment (``tag`` is ``None``, ``text`` its content) of the
    existing file, by offsets: ``[start, end)`` is the whole node, ``open_end`` the end of its
    start tag, ``close_start`` the start of its end tag (``None`` for ``<x/>`` and comments).
    ``attribute_spans`` maps each attribute name to the offsets of its raw value."""

    tag: str | None
    start: int
    end: int = 0
    open_end: int = 0
    close_start: int | None = None
    attributes: dict[str, str] = field(factory=dict)
    attribute_spans: dict[str, tuple[int, int]] = field(factory=dict)
    text: str = ""
    children: list[Node] = field(factory=list)

    def elements(self, tag: str) -> Iterator[Node]:
        return (child for child in self.children if child.tag == tag)

    def find(self, tag: str) -> Node | None:
        return next(self.elements(tag), None)

    def get(self, name: str) -> str:
        return self.attributes.get(name, "")


class MergeError(Exception):
    """The existing file cannot be merged into: ``offset`` says where."""

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(message)
        self.offset = offset


def check_well_formed(text: str) -> None:
    """Raise :class:`MergeError` unless ``text`` is a well-formed XML document without a
    DOCTYPE. The DOCTYPE is refused when expat reaches it, before any entity it declares could
    be defined or expanded."""
    data = text.encode("utf-8")
    parser = expat.ParserCreate("UTF-8")

    def offset(byte_index: int) -> int:
        return len(data[: max(byte_index, 0)].decode("utf-8", errors="ignore"))

    def doctype(*_: object) -> None:
        raise MergeError(
            "the file has a DOCTYPE; web.config never needs one (and its entities are not "
            "expanded)",
            offset(parser.CurrentByteIndex),
        )

    def declaration(_version: str, encoding: str | None, _standalone: int) -> None:
        # The bytes were read as UTF-8 (a BOM or none); a file that says otherwise would be
        # read differently by IIS, and written back under a false declaration.
        if encoding is not None and encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
            raise MergeError(
                f'the file declares encoding="{encoding}", but corsc reads and writes web.config '
                'as UTF-8: save it as UTF-8 with encoding="utf-8"',
                offset(parser.CurrentByteIndex),
            )

    parser.StartDoctypeDeclHandler = doctype
    parser.XmlDeclHandler = declaration
    try:
        parser.Parse(data, True)
    except expat.ExpatError as error:
        reason = expat.ErrorString(error.code) if error.code is not None else str(error)
        raise MergeError(
            f"it is not well-formed XML ({reason})", offset(parser.ErrorByteIndex)
        ) from None


def scan(text: str) -> Node:
    """The element tree of a well-formed document (checked by :func:`check_well_formed`),
    with offsets into ``text``. Returns a synthetic node whose children are the top-level
    nodes. Raises :class:`MergeError` wherever the scanner would read the text differently
    from an XML parser (it must consume every character and close what it opened)."""
    top = Node(None, 0, len(text))
    stack = [top]
    position = 0
    for match in _TOKEN.finditer(text):
        if match.start() != position:
            raise MergeError("corsc cannot read the markup here", position)
        position = match.end()
        if match.group("doctype"):
            raise MergeError("the file has a DOCTYPE; web.config never needs one", match.start())
        if match.group("comment"):
            stack[-1].children.append(
                Node(None, match.start(), match.end(), match.end(), text=match.group("text"))
            )
        elif match.group("open"):
            node = Node(match.group("name"), match.start(), match.end(), match.end())
            base = match.start("attributes")
            for attribute in _ATTRIBUTE.finditer(match.group("attributes")):
                group = 2 if attribute.group(2) is not None else 3
                node.attributes[attribute.group(1)] = unescape(attribute.group(group))
                node.attribute_spans[attribute.group(1)] = (
                    base + attribute.start(group),
                    base + attribute.end(group),
                )
            stack[-1].children.append(node)
            if not match.group("empty"):
                stack.append(node)
        elif match.group("close"):
            if len(stack) == 1 or stack[-1].tag != match.group("close_name"):
                raise MergeError(
                    f"the end tag </{match.group('close_name')}> closes nothing", match.start()
                )
            node = stack.pop()
            node.close_start, node.end = match.start(), match.end()
    if position != len(text):
        raise MergeError("corsc cannot read the markup here", position)
    if len(stack) != 1:
        raise MergeError(f"<{stack[-1].tag}> is never closed", stack[-1].start)
    return top


# ---- layout of the existing file ------------------------------------------------------------


@frozen
class Layout:
    """How the file writes itself: its newline and its indentation unit."""

    __repr__ = fields_repr

    text: str
    newline: str
    unit: str

    @classmethod
    def of(cls, text: str, top: Node) -> Layout:
        newline = "\r\n" if "\r\n" in text else "\n"
        unit = "  "
        for node in walk(top):
            if node.tag and node.children and node.start:
                outer, inner = (
                    cls._indent(text, node.start),
                    cls._indent(text, node.children[0].start),
                )
                if (
                    outer is not None
                    and inner is not None
                    and inner.startswith(outer)
                    and inner != outer
                ):
                    unit = inner[len(outer) :]
                    break
        return cls(text, newline, unit)

    @staticmethod
    def _indent(text: str, offset: int) -> str | None:
        """The whitespace before ``offset`` on its line, ``None`` when something else is there."""
        line_start = text.rfind("\n", 0, offset) + 1
        before = text[line_start:offset]
        return before if before.strip(" \t") == "" else None

    def indent(self, node: Node) -> str:
        return self._indent(self.text, node.start) or ""

    def child_indent(self, node: Node) -> str:
        for child in node.children:
            found = self._indent(self.text, child.start)
            if found is not None:
                return found
        return self.indent(node) + self.unit

    def leading_whitespace(self, offset: int) -> int:
        """Where the newline and indentation before ``offset`` begin (``offset`` itself when
        other text precedes it on its line)."""
        start = offset
        while start > 0 and self.text[start - 1] in " \t":
            start -= 1
        if start > 0 and self.text[start - 1] == "\n":
            start -= 1
            if start > 0 and self.text[start - 1] == "\r":
                start -= 1
            return start
        return offset


def walk(node: Node) -> Iterator[Node]:
    """``node`` and everything below it in document order (a stack, not recursion: expat
    accepts nesting deeper than Python's recursion limit)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


# ---- edits ------------------------------------------------------------------------------------


@frozen
class Edit:
    """Replace ``[start, end)`` with ``text``; ``order`` keeps insertions at one offset in the
    order they were planned."""

    __repr__ = fields_repr

    start: int
    end: int
    text: str
    order: int = 0


def apply(text: str, edits: Sequence[Edit]) -> str:
    """Apply edits in one pass; insertions at one offset in their ``order``, before a
    replacement that starts there. Two edits that overlap would write one into the other's
    text: that is a bug in the planning, and it stops the merge."""
    ordered = sorted(edits, key=lambda e: (e.start, e.end, e.order))
    pieces, position = [], 0
    for edit in ordered:
        if edit.start < position:
            raise RuntimeError(f"overlapping merge edits at offset {edit.start}")
        pieces += [text[position : edit.start], edit.text]
        position = edit.end
    pieces.append(text[position:])
    return "".join(pieces)


def escape_attribute(value: str) -> str:
    """``value`` as ElementTree writes an attribute value (without the quotes)."""
    written = ET.tostring(ET.Element("x", {"v": value}), encoding="unicode")
    return written[len('<x v="') : -len('" />')]
