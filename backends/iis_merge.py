"""``--merge`` for the IIS targets: put corsc's part of a web.config into an existing one.

ElementTree cannot give back a document byte for byte, so the existing file is never
re-serialised. It is parsed once to refuse malformed input, then scanned into a light tree of
offsets (:func:`scan`); every change is a text edit at those offsets:

- corsc's earlier regions (``<!-- corsc:begin … -->`` … ``<!-- corsc:end … -->``) are taken out
  first, exactly as they were put in, so a second run starts from the user's own file;
- each region of the freshly emitted web.config goes into the matching existing container
  (the file's ``system.webServer`` — the one under ``<location path=".">`` when that is where
  the file keeps it — then ``httpProtocol/customHeaders``, ``handlers``, ``rewrite/rules`` …);
  a missing container is created inside a region of its own;
- a user's ``Vary`` custom header keeps its element and value, with corsc's members appended and
  recorded in a ``vary`` region around it, so that a later run can take them out again;
- the ``iis`` target owns the ``cors`` section: an unmarked one is replaced.

Inserted text follows the file's newline style and indentation. Everything else — elements,
attributes, comments, the XML declaration, a byte-order mark, CRLF line endings — is left as it
was, byte for byte. A second run over its own output changes nothing.
"""

from __future__ import annotations

import copy
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence

from attrs import define, field, frozen

from corsc.backends.iis import BEGIN, END, MERGE_UNREADABLE, VARY, comment_text
from corsc.diagnostics import Diagnostic
from corsc.source import Source

BOM = "\ufeff"

_TOKEN = re.compile(
    r"(?P<comment><!--(?P<text>.*?)-->)"
    r"|(?P<pi><\?.*?\?>)"
    r"|(?P<cdata><!\[CDATA\[.*?\]\]>)"
    r"|(?P<doctype><!DOCTYPE)"
    r"|(?P<close></\s*(?P<close_name>[^\s>]+)\s*>)"
    r"|(?P<open><(?P<name>[^\s/>!?]+)(?P<attributes>(?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)"
    r"\s*(?P<empty>/?)>)"
    r"|(?P<other>[^<]+)",
    re.DOTALL,
)
_ATTRIBUTE = re.compile(r"([^\s=/>]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_REFERENCE = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot|apos);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
_APPENDED = re.compile(r'appended="([^"]*)"')


def _unescape(value: str) -> str:
    def replace(match: re.Match[str]) -> str:
        ref = match.group(1)
        if ref.startswith("#x"):
            return chr(int(ref[2:], 16))
        if ref.startswith("#"):
            return chr(int(ref[1:]))
        return _NAMED[ref]

    return _REFERENCE.sub(replace, value)


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


class MergeError(Exception):
    """The existing file cannot be merged into: ``offset`` says where."""

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(message)
        self.offset = offset


def scan(text: str) -> Node:
    """The element tree of a well-formed document (already checked by a real parser), with
    offsets into ``text``. Returns a synthetic node whose children are the top-level nodes."""
    top = Node(None, 0, len(text))
    stack = [top]
    for match in _TOKEN.finditer(text):
        if match.group("doctype"):
            raise MergeError("the file has a DOCTYPE; web.config never needs one", match.start())
        if match.group("comment"):
            stack[-1].children.append(
                Node(None, match.start(), match.end(), match.end(), text=match.group("text"))
            )
        elif match.group("open"):
            node = Node(match.group("name"), match.start(), match.end(), match.end())
            raw = match.group("attributes")
            base = match.start("attributes")
            for attribute in _ATTRIBUTE.finditer(raw):
                group = 2 if attribute.group(2) is not None else 3
                node.attributes[attribute.group(1)] = _unescape(attribute.group(group))
                node.attribute_spans[attribute.group(1)] = (
                    base + attribute.start(group),
                    base + attribute.end(group),
                )
            stack[-1].children.append(node)
            if not match.group("empty"):
                stack.append(node)
        elif match.group("close"):
            node = stack.pop()
            node.close_start, node.end = match.start(), match.end()
    return top


# ---- layout of the existing file ------------------------------------------------------------


@frozen
class Layout:
    """How the file writes itself: its newline and its indentation unit."""

    text: str
    newline: str
    unit: str

    @classmethod
    def of(cls, text: str, top: Node) -> Layout:
        newline = "\r\n" if "\r\n" in text else "\n"
        unit = "  "
        for node in _walk(top):
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


def _walk(node: Node) -> Iterator[Node]:
    yield node
    for child in node.children:
        yield from _walk(child)


# ---- edits ------------------------------------------------------------------------------------


@frozen
class Edit:
    """Replace ``[start, end)`` with ``text``; ``order`` keeps insertions at one offset in the
    order they were planned."""

    start: int
    end: int
    text: str
    order: int = 0


def apply(text: str, edits: Sequence[Edit]) -> str:
    """Apply non-overlapping edits (from the end, so offsets stay valid)."""
    for edit in sorted(edits, key=lambda e: (e.start, e.end, e.order), reverse=True):
        text = text[: edit.start] + edit.text + text[edit.end :]
    return text


def _marker(node: Node, word: str) -> bool:
    return node.tag is None and node.text.strip().startswith(word)


def undo(layout: Layout, top: Node) -> list[Edit]:
    """Edits that take every corsc region out again, exactly as it was put in: a plain region
    with the newline and indentation before it; a ``vary`` region by unwrapping the user's
    element and removing the members corsc appended to its value."""
    edits: list[Edit] = []
    for parent in _walk(top):
        begin: Node | None = None
        inside: list[Node] = []
        for child in parent.children:
            if begin is None:
                if _marker(child, BEGIN):
                    begin, inside = child, []
                continue
            if not _marker(child, END):
                inside.append(child)
                continue
            appended = _APPENDED.search(begin.text)
            if begin.text.split()[1:2] == ["vary"] and appended and len(inside) == 1:
                edits.extend(_unwrap(layout, begin, inside[0], child, _unescape(appended.group(1))))
            else:
                edits.append(Edit(layout.leading_whitespace(begin.start), child.end, ""))
            begin = None
    return edits


def _unwrap(layout: Layout, begin: Node, user: Node, end: Node, appended: str) -> list[Edit]:
    edits = [
        Edit(begin.start, user.start, ""),
        Edit(user.end, end.end, ""),
    ]
    span = user.attribute_spans.get("value")
    if span is not None:
        raw = layout.text[span[0] : span[1]]
        escaped = _escape_attribute(appended)
        if raw.endswith(escaped):
            edits.append(Edit(span[1] - len(escaped), span[1], ""))
    return edits


def _escape_attribute(value: str) -> str:
    """``value`` as ElementTree writes an attribute value (without the quotes)."""
    written = ET.tostring(ET.Element("x", {"v": value}), encoding="unicode")
    return written[len('<x v="') : -len('" />')]


# ---- planning the insertions ----------------------------------------------------------------

#: Collections where corsc's rules must run before the user's (a user rule with
#: stopProcessing would otherwise hide them): inserted after a leading ``<clear/>``.
FIRST = frozenset({"rules", "outboundRules"})


@define
class Planner:
    layout: Layout
    replaces: tuple[str, ...]
    edits: list[Edit] = field(factory=list)
    regions: list[tuple[int, list[ET.Element], str]] = field(factory=list)
    _order: int = 0

    def _next(self) -> int:
        self._order += 1
        return self._order

    def insert(self, node: Node, nodes: list[ET.Element]) -> None:
        """Insert a region (begin marker, children, end marker) into ``node``: on a new line at
        the indentation of its children, after its last child (after a leading ``<clear/>``
        in rule collections). The text is a placeholder until :meth:`render`."""
        layout = self.layout
        indent = layout.child_indent(node)
        self.regions.append((node.start, nodes, indent))
        placeholder = f"{layout.newline}{indent}\0{len(self.regions) - 1}\0"
        if node.close_start is None:  # <x/>: open it up
            tag_text = layout.text[node.start : node.end].removesuffix(">").removesuffix("/")
            closing = f"{layout.newline}{layout.indent(node)}</{node.tag}>"
            replacement = f"{tag_text.rstrip()}>{placeholder}{closing}"
            self.edits.append(Edit(node.start, node.end, replacement, self._next()))
            return
        anchor = node.open_end
        clears = [child.end for child in node.elements("clear")]
        if node.tag in FIRST:
            anchor = clears[-1] if clears else anchor
        elif node.children:
            anchor = node.children[-1].end
        self.regions[-1] = (anchor, nodes, indent)
        self.edits.append(Edit(anchor, anchor, placeholder, self._next()))

    def remove(self, node: Node) -> None:
        self.edits.append(
            Edit(self.layout.leading_whitespace(node.start), node.end, "", self._next())
        )

    def place(self, emitted: ET.Element, existing: Node, target: str) -> None:
        """Put the children of an emitted container into the matching existing one."""
        pending: list[ET.Element] | None = None
        for child in emitted:
            if child.tag is ET.Comment:
                text = (child.text or "").strip()
                if text.startswith(BEGIN):
                    pending = [child]
                elif text.startswith(END) and pending is not None:
                    pending.append(child)
                    self._region(pending, existing)
                    pending = None
                continue
            if pending is not None:
                pending.append(child)
                continue
            found = self._counterpart(child, existing)
            if found is not None:
                self.place(child, found, target)
            else:
                created = _strip_markers(child)
                begin = ET.Comment(f" {BEGIN} {target} {child.tag} ")
                end = ET.Comment(f" {END} {target} {child.tag} ")
                self.insert(existing, [begin, created, end])  # type: ignore[list-item]

    def _counterpart(self, emitted: ET.Element, existing: Node) -> Node | None:
        if emitted.tag == "location":
            wanted = emitted.get("path", "")
            return next(
                (
                    n
                    for n in existing.elements("location")
                    if n.attributes.get("path", "").strip("/") == wanted
                ),
                None,
            )
        return existing.find(str(emitted.tag))

    def _region(self, nodes: list[ET.Element], existing: Node) -> None:
        inner = [node for node in nodes[1:-1]]
        for node in inner:
            if node.tag in self.replaces:
                for old in existing.elements(str(node.tag)):
                    self.remove(old)
        if existing.tag == "customHeaders":
            nodes = self._merge_vary(nodes, existing)
        self.insert(existing, nodes)

    def _merge_vary(self, nodes: list[ET.Element], headers: Node) -> list[ET.Element]:
        """When the user's customHeaders already adds ``Vary``, corsc's members go into that
        element's value (a second ``add`` of the key would be a 500.19)."""
        user = next(
            (
                n
                for n in headers.elements("add")
                if n.attributes.get("name", "").lower() == VARY.lower()
            ),
            None,
        )
        ours = next((n for n in nodes if n.tag == "add" and n.get("name") == VARY), None)
        if user is None or ours is None:
            return nodes
        nodes = [n for n in nodes if n.get("name") != VARY]
        present = {m.strip().lower() for m in user.attributes.get("value", "").split(",")}
        missing = [m for m in (ours.get("value") or "").split(", ") if m.lower() not in present]
        if not missing or "*" in present:
            return nodes
        appended = "".join(f", {m}" for m in missing) if present - {""} else ", ".join(missing)
        span = user.attribute_spans["value"]
        layout = self.layout
        indent = layout.indent(user)
        marker = _fragment([ET.Comment(f' {BEGIN} vary appended="{appended}" ')], indent, layout)  # type: ignore[list-item]
        closing = _fragment([ET.Comment(f" {END} vary ")], indent, layout)  # type: ignore[list-item]
        self.edits += [
            Edit(user.start, user.start, f"{marker}{layout.newline}{indent}", self._next()),
            Edit(span[1], span[1], _escape_attribute(appended), self._next()),
            Edit(user.end, user.end, f"{layout.newline}{indent}{closing}", self._next()),
        ]
        return nodes

    def render(self, note: str) -> str:
        """The text with every planned edit applied; the first region in document order
        carries the provenance in its begin marker."""
        first = min(range(len(self.regions)), key=lambda i: self.regions[i][0], default=None)
        if first is not None:
            begin = self.regions[first][1][0]
            begin.text = comment_text(f"{(begin.text or '').strip()}; {note}")
        text = apply(self.layout.text, self.edits)
        for index, (_, nodes, indent) in enumerate(self.regions):
            text = text.replace(f"\0{index}\0", _fragment(nodes, indent, self.layout), 1)
        return text


def _strip_markers(node: ET.Element) -> ET.Element:
    """A copy of an emitted container without its inner region markers: the whole container
    goes into one region of its own."""
    result = copy.deepcopy(node)
    for parent in result.iter():
        for child in list(parent):
            if child.tag is ET.Comment:
                parent.remove(child)
    return result


def _fragment(nodes: Sequence[ET.Element], indent: str, layout: Layout) -> str:
    """Nodes written one per line at ``indent``, nested by the file's unit and newline."""
    parts = []
    for node in nodes:
        written = copy.deepcopy(node)
        written.tail = None  # the emitted document's layout; the file's own is used instead
        if written.tag is not ET.Comment:
            ET.indent(written, space=layout.unit)
        parts.append(ET.tostring(written, encoding="unicode", short_empty_elements=True))
    return (layout.newline + indent).join(
        part.replace("\n", layout.newline + indent) for part in parts
    )


# ---- the entry point ------------------------------------------------------------------------


def _diagnostic(path: str, text: str, message: str, help: str, offset: int = 0) -> Diagnostic:
    source = Source(path, text)
    return MERGE_UNREADABLE.at(source.span(offset), f"cannot merge into {path}: {message}", help)


def _server(configuration: Node) -> Node | None:
    """The ``system.webServer`` that holds the site root's settings: the top-level one, else
    the one under ``<location path=".">`` (ASP.NET Core's published web.config)."""
    found = configuration.find("system.webServer")
    if found is not None:
        return found
    for location in configuration.elements("location"):
        if location.attributes.get("path", ".") in (".", ""):
            server = location.find("system.webServer")
            if server is not None:
                return server
    return None


def merge(
    existing: bytes, emitted: str, path: str, replaces: tuple[str, ...] = ()
) -> str | Diagnostic:
    """The existing web.config with corsc's part replaced by ``emitted``'s, or a diagnostic
    when the file is not UTF-8, not well-formed, or not a ``<configuration>``. ``replaces``
    names sections the target owns even without markers (``cors`` for the CORS Module)."""
    help_text = "fix the file (or compile with -o to write a new web.config); it was not changed"
    try:
        decoded = existing.decode("utf-8")
    except UnicodeDecodeError as error:
        return _diagnostic(path, "", f"it is not UTF-8 (byte {error.start})", help_text)
    bom = BOM if decoded.startswith(BOM) else ""
    text = decoded[len(bom) :]
    try:
        top = scan(text)
        ET.fromstring(text)
    except ET.ParseError as error:
        line, column = error.position
        offset = sum(len(row) + 1 for row in text.split("\n")[: line - 1]) + column
        return _diagnostic(path, text, f"it is not well-formed XML ({error})", help_text, offset)
    except MergeError as error:
        return _diagnostic(path, text, str(error), help_text, error.offset)
    configuration = next((n for n in top.children if n.tag), None)
    if configuration is None or configuration.tag != "configuration":
        return _diagnostic(path, text, "its root element is not <configuration>", help_text)
    layout = Layout.of(text, top)
    text = apply(text, undo(layout, top))
    top = scan(text)
    configuration = next(n for n in top.children if n.tag)
    layout = Layout.of(text, top)
    planner = Planner(layout, replaces)
    parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True))
    emitted_root = ET.fromstring(emitted, parser=parser)
    target = _target_of(emitted)
    for child in emitted_root:
        if child.tag == "system.webServer":
            server = _server(configuration)
            if server is not None:
                planner.place(child, server, target)
                continue
        wrapper = ET.Element("configuration")
        wrapper.append(child)
        planner.place(wrapper, configuration, target)
    note = _provenance(emitted)
    return bom + planner.render(note)


def _provenance(emitted: str) -> str:
    """The provenance text of an emitted web.config (its first comment)."""
    start = emitted.index("<!--") + len("<!--")
    return emitted[start : emitted.index("-->", start)].strip()


def _target_of(emitted: str) -> str:
    match = re.search(r"for target (\S+);", emitted)
    return match.group(1) if match else "iis"
