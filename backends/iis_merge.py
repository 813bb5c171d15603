"""``--merge`` for the IIS targets: put corsc's part of a web.config into an existing one.

ElementTree cannot give back a document byte for byte, so the existing file is never
re-serialised. It is parsed once by expat to refuse malformed input (and any DOCTYPE, so no
entity is ever defined or expanded), then scanned into a light tree of offsets (:func:`scan`,
which checks that it read every byte the same way expat did); every change is a text edit at
those offsets, in two passes:

1. on the file as it is: corsc's earlier regions (``<!-- corsc:begin … -->`` …
   ``<!-- corsc:end … -->``) are taken out exactly as they were put in, and hand-written CORS
   handling outside them is taken over (:func:`takeover`): removed with a warning naming its
   line, or the whole merge refused when removing it is not safe;
2. on the result, which is now the user's own file: each region of the freshly emitted
   web.config goes into the matching existing container (the file's ``system.webServer`` —
   the one under ``<location path=".">`` when that is where the file keeps it — then
   ``httpProtocol/customHeaders``, ``handlers``, ``rewrite/rules`` …); a missing container is
   created inside a region of its own, an empty ``<x/>`` is opened up once for all the regions
   it receives.

``Vary`` is shared with the site: a user's ``Vary`` custom header keeps its element and value,
with corsc's members appended and recorded in a ``vary`` region around it, so that a later run
can take them out again; where corsc writes its own ``Vary`` in a ``<location>``, the members
the user's file gives that path come first (corsc's ``<remove name="Vary"/>`` would otherwise
drop them there).

Inserted text follows the file's newline style and indentation. Everything else — elements,
attributes, comments, the XML declaration, a byte-order mark, CRLF line endings — is left as it
was, byte for byte. A second run over its own output changes nothing.
"""

from __future__ import annotations

import copy
import fnmatch
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from xml.parsers import expat

from attrs import define, field, frozen

from corsc.backends import Merged
from corsc.backends.iis import (
    BEGIN,
    END,
    MERGE_FOREIGN_CORS,
    MERGE_TAKEOVER,
    MERGE_UNREADABLE,
    VARY,
    comment_text,
)
from corsc.diagnostics import Diagnostic
from corsc.source import Source

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
_APPENDED = re.compile(r'appended="([^"]*)"')
#: Literal white space in an attribute value that XML reads as one space each.
_ATTRIBUTE_SPACE = re.compile(r"\r\n|[\t\n\r]")


def _unescape(value: str) -> str:
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
                node.attributes[attribute.group(1)] = _unescape(attribute.group(group))
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


def _marker(node: Node, word: str) -> bool:
    return node.tag is None and node.text.split()[:1] == [word]


def _label(node: Node) -> str:
    """What a marker names: ``iis-rewrite rules`` in ``corsc:begin iis-rewrite rules; corsc
    0.1.0 …`` and in ``corsc:end iis-rewrite rules``, ``vary`` in a ``vary`` region's."""
    return " ".join(node.text.split(";")[0].split(" appended=")[0].split()[1:])


def undo(layout: Layout, top: Node) -> list[Edit]:
    """Edits that take every corsc region out again, exactly as it was put in: a plain region
    with the newline and indentation before it; a ``vary`` region by unwrapping the user's
    element and removing the members corsc appended to its value. Markers that do not pair
    up (a begin without its end in the same element, an end without a begin, a ``vary``
    region around anything but one element) mean the file was edited where corsc cannot tell
    its part from the user's: :class:`MergeError`, so nothing of the user's is removed."""
    edits: list[Edit] = []
    for parent in _walk(top):
        begin: Node | None = None
        inside: list[Node] = []
        for child in parent.children:
            if _marker(child, BEGIN):
                if begin is not None:
                    raise _unpaired(begin)
                begin, inside = child, []
            elif _marker(child, END):
                if begin is None or _label(begin) != _label(child):
                    raise _unpaired(begin or child)
                edits.extend(_take_out(layout, begin, inside, child))
                begin = None
            elif begin is not None and child.tag is not None:
                inside.append(child)
        if begin is not None:
            raise _unpaired(begin)
    return edits


def _unpaired(marker: Node) -> MergeError:
    return MergeError(
        f"corsc's marker `{marker.text.split()[0]} {_label(marker)}` has no partner in the same "
        "element, so corsc cannot tell its part from yours; restore or remove its markers by "
        "hand",
        marker.start,
    )


def _take_out(layout: Layout, begin: Node, inside: list[Node], end: Node) -> list[Edit]:
    if _label(begin) != "vary":
        return [Edit(layout.leading_whitespace(begin.start), end.end, "")]
    appended = _APPENDED.search(begin.text)
    if appended is None or len(inside) != 1:
        raise _unpaired(begin)
    return _unwrap(layout, begin, inside[0], end, _unescape(appended.group(1)))


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


def user_children(node: Node) -> Iterator[Node]:
    """The children of ``node`` that are the user's: corsc's region markers and what lies
    between them left out, except the user's element a ``vary`` region wraps."""
    inside = False
    for child in node.children:
        if _marker(child, BEGIN):
            inside = _label(child) != "vary"
        elif _marker(child, END):
            inside = False
        elif not inside:
            yield child


# ---- taking over hand-written CORS handling ---------------------------------------------------

_ACCESS_CONTROL_HEADER = "access-control-"
_ACCESS_CONTROL_VARIABLE = "RESPONSE_ACCESS_CONTROL_"
_OPTIONS_HANDLER = "optionsverbhandler"
#: Inbound rule actions that only answer (or do nothing): removing such a rule takes away
#: nothing but its CORS part.
_ANSWERING_ACTIONS = frozenset({"", "none", "customresponse", "abortrequest"})


@frozen
class Finding:
    """Hand-written CORS handling at ``node``: removed (``refuse`` false) or the reason the
    merge is refused."""

    node: Node
    what: str
    refuse: bool = False
    why: str = ""


def _variable(name: str) -> str:
    """A server variable name as URL Rewrite compares it (``RESPONSE_Access-Control-…`` and
    ``RESPONSE_ACCESS_CONTROL_…`` are the same header)."""
    return name.strip().upper().replace("-", "_")


def _verbs(node: Node) -> list[str]:
    return [verb.strip().upper() for verb in node.get("verb").split(",") if verb.strip()]


def _is_true(value: str) -> bool:
    return value.strip().lower() == "true"


def _scope(path: str) -> str:
    """A ``<location path>`` as a scope key: IIS compares location paths without regard to
    case or surrounding slashes, and ``.`` is the site root (``""``)."""
    path = path.strip().strip("/")
    return "" if path == "." else path.casefold()


def takeover(top: Node, owned: tuple[str, ...], written_scopes: frozenset[str]) -> list[Finding]:
    """Every piece of hand-written CORS handling outside corsc's regions: ``Access-Control-*``
    custom headers, ``<cors>`` sections, handlers that answer OPTIONS, modules named for CORS,
    URL Rewrite rules that write ``Access-Control-*`` or answer preflights. ``owned`` names the
    sections the target writes itself (``cors`` for the CORS Module), ``written_scopes`` the
    paths corsc writes a ``system.webServer`` for."""
    findings: list[Finding] = []
    pending: list[tuple[Node, str]] = [(top, "")]
    while pending:
        node, scope = pending.pop()
        for child in user_children(node):
            if child.tag is None:
                continue
            found = _classify(child, node, owned, written=scope in written_scopes)
            if found is not None:
                findings.append(found)
            else:
                inner = _scope(child.get("path")) if child.tag == "location" else scope
                pending.append((child, inner))
    findings.sort(key=lambda finding: finding.node.start)
    return findings


def _classify(node: Node, parent: Node, owned: tuple[str, ...], *, written: bool) -> Finding | None:
    """Whether ``node`` (a user's element in ``parent``) is CORS handling, and what to do."""
    tag, container = node.tag, parent.tag
    name = node.get("name")
    if container == "customHeaders" and tag in ("add", "remove"):
        if not name.strip().lower().startswith(_ACCESS_CONTROL_HEADER):
            return None
        if tag == "remove":
            return Finding(
                node,
                f'<remove name="{name.strip()}"/>',
                why="it takes away CORS headers where corsc's policy grants them",
            )
        return Finding(
            node,
            f"the custom header `{name.strip()}`",
            why="IIS sends it beside the CORS headers corsc writes",
        )
    if tag == "cors" and container == "system.webServer":
        disabled = node.get("enabled").strip().lower() == "false"
        if disabled and not ("cors" in owned and written):
            return None  # it answers nothing, and corsc writes no <cors> beside it
        return Finding(
            node, "the <cors> section", why="a second CORS Module configuration beside corsc's"
        )
    if container == "handlers":
        return _handler(node)
    if container == "modules":
        return _module(node, owned)
    if tag == "rule" and container == "outboundRules":
        match = node.find("match")
        variable = match.get("serverVariable").strip() if match is not None else ""
        if _variable(variable).startswith(_ACCESS_CONTROL_VARIABLE):
            return Finding(
                node,
                f"the outbound rewrite rule `{name}`",
                why=f"it writes {variable} beside the CORS headers corsc writes",
            )
        return None
    if tag == "rule" and container in ("rules", "globalRules"):
        return _inbound_rule(node)
    return None


def _handler(node: Node) -> Finding | None:
    """Handlers that answer OPTIONS: IIS's own (``ProtocolSupportModule``) answering only
    OPTIONS is taken over; one that also answers other verbs, or runs application code, is
    refused; application handlers that merely accept OPTIONS among other verbs stay."""
    name = node.get("name")
    if node.tag == "remove" and name.strip().lower() == _OPTIONS_HANDLER:
        return Finding(
            node,
            f'<remove name="{name}"/>',
            why="it hands preflights to the application, a second layer that answers them",
        )
    if node.tag != "add":
        return None
    verbs = _verbs(node)
    native = node.get("modules").strip().lower() == "protocolsupportmodule" and not node.get("type")
    only_options = verbs == ["OPTIONS"] or name.strip().lower() == _OPTIONS_HANDLER
    if native and only_options:
        return Finding(node, f"the handler `{name}`", why="it answers preflights beside corsc")
    if native and "OPTIONS" in verbs:
        why = f"it answers {', '.join(verbs)} with IIS's own module, not only preflights"
    elif only_options or "cors" in name.lower():
        why = "it answers OPTIONS (preflight) requests with application code corsc cannot see"
    else:
        return None
    return Finding(node, f"the handler `{name}`", refuse=True, why=why)


def _module(node: Node, owned: tuple[str, ...]) -> Finding | None:
    """Modules named for CORS. IIS's own CORS Module (no ``type``) switched off is taken over
    when corsc's section needs it, switched on when it does not; an application module is
    refused."""
    name = node.get("name")
    if "cors" not in (name + " " + node.get("type")).lower() or node.tag not in ("add", "remove"):
        return None
    needed = "cors" in owned
    if node.tag == "add" and node.get("type"):
        return Finding(
            node,
            f"the module `{name}`",
            refuse=True,
            why="an application module named for CORS sends headers corsc cannot see",
        )
    if node.tag == "remove" and needed:
        return Finding(
            node,
            f'<remove name="{name}"/>',
            why="it turns off the CORS Module that corsc's <cors> section needs",
        )
    if node.tag == "add" and not needed:
        return Finding(
            node,
            f"the module `{name}`",
            why="it turns the CORS Module on beside the CORS headers corsc writes",
        )
    return None  # keeps a server-wide CORS Module quiet, or turns on the one corsc needs


#: Methods a rule that answers only preflights never matches.
_OTHER_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "TRACE", "TRACK", "DEBUG")


def _inbound_rule(rule: Node) -> Finding | None:
    """An inbound rule is CORS handling when it sets a ``RESPONSE_Access-Control-*`` server
    variable, or tests the request for a preflight (``{REQUEST_METHOD}`` matching OPTIONS, an
    ``Access-Control-Request-*`` header). It is taken over when that is all it does: it only
    answers (or does nothing), sets nothing else, and answers no other method."""
    name = rule.get("name")
    variables = rule.find("serverVariables")
    sets = list(variables.elements("set")) if variables is not None else []
    writes = [s for s in sets if _variable(s.get("name")).startswith(_ACCESS_CONTROL_VARIABLE)]
    conditions = rule.find("conditions")
    syntax = rule.get("patternSyntax").strip().lower() or "ecmascript"
    preflight, methods = False, set()
    for condition in conditions.elements("add") if conditions is not None else ():
        if _is_true(condition.get("negate")):
            continue
        source = condition.get("input").strip().upper()
        if "{HTTP_ACCESS_CONTROL_REQUEST_" in source:
            preflight = True
        elif source == "{REQUEST_METHOD}":
            matched = _matching_methods(condition, syntax)
            if "OPTIONS" in matched:
                preflight = True
                methods |= matched - {"OPTIONS"}
    if not writes and not preflight:
        return None
    action = rule.find("action")
    kind = action.get("type").strip() if action is not None else ""
    also = []
    if kind.lower() not in _ANSWERING_ACTIONS:
        also.append(f"its action is {kind}")
    if len(writes) != len(sets):
        also.append("it also sets " + ", ".join(s.get("name") for s in sets if s not in writes))
    if methods:
        also.append("it also answers " + ", ".join(sorted(methods)))
    if not also:
        return Finding(
            rule, f"the rewrite rule `{name}`", why="it answers CORS requests beside corsc"
        )
    return Finding(
        rule,
        f"the rewrite rule `{name}`",
        refuse=True,
        why=f"it handles CORS and does something else too ({'; '.join(also)})",
    )


def _matching_methods(condition: Node, syntax: str) -> set[str]:
    """The methods among OPTIONS and :data:`_OTHER_METHODS` a ``{REQUEST_METHOD}`` condition
    matches, read with the rule's pattern syntax (URL Rewrite ignores case unless told not
    to). A pattern corsc cannot read counts as matching everything it names and more."""
    pattern = condition.get("pattern")
    fold = condition.get("ignoreCase").strip().lower() != "false"
    candidates = ("OPTIONS", *_OTHER_METHODS)
    if syntax == "exactmatch":
        return {m for m in candidates if (pattern.upper() if fold else pattern) == m}
    expression = fnmatch.translate(pattern) if syntax == "wildcard" else pattern
    try:
        compiled = re.compile(expression, re.IGNORECASE if fold else 0)
    except re.error:
        return set(candidates) if "OPTIONS" in pattern.upper() else set()
    search = compiled.match if syntax == "wildcard" else compiled.search
    return {m for m in candidates if search(m)}


# ---- planning the insertions ----------------------------------------------------------------

#: Collections where corsc's rules must run before the user's (a user rule with
#: stopProcessing would otherwise hide them): inserted after a leading ``<clear/>``.
FIRST = frozenset({"rules", "outboundRules"})


@define
class Planner:
    layout: Layout
    edits: list[Edit] = field(factory=list)
    regions: list[tuple[int, list[ET.Element], str]] = field(factory=list)
    #: ``<x/>`` elements being opened up: the placeholders of the regions each receives.
    opened: dict[int, tuple[Node, list[str]]] = field(factory=dict)
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
        placeholder = f"{layout.newline}{indent}\0{len(self.regions)}\0"
        if node.close_start is None:  # <x/>: opened up once, in render()
            self.regions.append((node.start, nodes, indent))
            self.opened.setdefault(node.start, (node, []))[1].append(placeholder)
            return
        anchor = node.open_end
        clears = [child.end for child in node.elements("clear")]
        if node.tag in FIRST:
            anchor = clears[-1] if clears else anchor
        elif node.children:
            anchor = node.children[-1].end
        self.regions.append((anchor, nodes, indent))
        self.edits.append(Edit(anchor, anchor, placeholder, self._next()))

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
            return _location(existing, emitted.get("path", ""))
        return existing.find(str(emitted.tag))

    def _region(self, nodes: list[ET.Element], existing: Node) -> None:
        if existing.tag == "customHeaders":
            nodes = self._merge_vary(nodes, existing)
        self.insert(existing, nodes)

    def _merge_vary(self, nodes: list[ET.Element], headers: Node) -> list[ET.Element]:
        """When the entry that decides ``Vary`` in the user's customHeaders is an ``add`` with a
        value, corsc's members go into that element's value (a second ``add`` of the key would
        be a 500.19). Otherwise corsc's own ``add`` stays, valued by :func:`share_vary`."""
        user = _vary_entry(headers)
        if user is None or user.tag != "add" or "value" not in user.attribute_spans:
            return nodes
        ours = next((n for n in nodes if n.tag == "add" and n.get("name") == VARY), None)
        if user is None or ours is None:
            return nodes
        nodes = [n for n in nodes if n.get("name") != VARY]
        present = _members(user.get("value"))
        missing = [
            m for m in _members(ours.get("value") or "") if m.lower() not in _folded(present)
        ]
        if not missing or "*" in present:
            return nodes
        appended = "".join(f", {m}" for m in missing) if present else ", ".join(missing)
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
        layout = self.layout
        for node, placeholders in self.opened.values():
            tag_text = layout.text[node.start : node.end].removesuffix(">").removesuffix("/")
            closing = f"{layout.newline}{layout.indent(node)}</{node.tag}>"
            opened = f"{tag_text.rstrip()}>{''.join(placeholders)}{closing}"
            self.edits.append(Edit(node.start, node.end, opened, self._next()))
        text = apply(layout.text, self.edits)
        for index, (_, nodes, indent) in enumerate(self.regions):
            text = text.replace(f"\0{index}\0", _fragment(nodes, indent, layout), 1)
        return text


def _location(configuration: Node, path: str) -> Node | None:
    """The user's ``<location>`` for ``path`` (IIS compares location paths without regard to
    case or surrounding slashes)."""
    wanted = _scope(path)
    return next(
        (
            n
            for n in configuration.elements("location")
            if wanted and _scope(n.get("path")) == wanted
        ),
        None,
    )


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


# ---- Vary shared with the site ----------------------------------------------------------------


def _members(value: str) -> list[str]:
    """The members of a ``Vary`` value, in order, without empty ones or repeats (compared
    without regard to case)."""
    seen: set[str] = set()
    result = []
    for member in value.split(","):
        member = member.strip()
        if member and member.lower() not in seen:
            seen.add(member.lower())
            result.append(member)
    return result


def _folded(members: Sequence[str]) -> set[str]:
    return {member.lower() for member in members}


def _vary_after(headers: Node | None, members: list[str]) -> list[str]:
    """The user's ``Vary`` members after ``headers`` (a customHeaders collection) applies
    its add, remove and clear entries, in order, to the inherited ``members``."""
    if headers is None:
        return members
    for entry in user_children(headers):
        if entry.tag == "clear":
            members = []
        elif entry.tag in ("add", "remove") and entry.get("name").strip().lower() == VARY.lower():
            members = _members(entry.get("value")) if entry.tag == "add" else []
    return members


def _headers_of(server: Node | None) -> Node | None:
    protocol = server.find("httpProtocol") if server is not None else None
    return protocol.find("customHeaders") if protocol is not None else None


def _vary_entry(headers: Node) -> Node | None:
    """The user's entry that decides ``Vary`` in a customHeaders collection: the last
    ``clear``, or ``add``/``remove`` of ``Vary``."""
    decisive = None
    for entry in user_children(headers):
        if entry.tag == "clear" or (
            entry.tag in ("add", "remove") and entry.get("name").strip().lower() == VARY.lower()
        ):
            decisive = entry
    return decisive


def share_vary(emitted_root: ET.Element, configuration: Node) -> None:
    """Put the members of the user's ``Vary`` in front of corsc's wherever corsc writes its own
    ``Vary`` (its ``<remove name="Vary"/>`` would drop them): at the site root, those the
    user's root collection leaves; in a ``<location>``, those, changed by the location's own
    collection."""
    site = _vary_after(_headers_of(_server(configuration)), [])
    scopes = [(emitted_root.find("system.webServer"), site)]
    for location in emitted_root.iter("location"):
        existing = _location(configuration, location.get("path", ""))
        server = existing.find("system.webServer") if existing is not None else None
        scopes.append((location.find("system.webServer"), _vary_after(_headers_of(server), site)))
    for emitted, members in scopes:
        ours = (
            None
            if emitted is None
            else emitted.find("httpProtocol/customHeaders/add[@name='Vary']")
        )
        if ours is None:
            continue
        present = _folded(members)
        added = [m for m in _members(ours.get("value") or "") if m.lower() not in present]
        ours.set("value", "*" if "*" in members else ", ".join(members + added))


# ---- the entry point ------------------------------------------------------------------------


_UNCHANGED = "it was not changed"


def _server(configuration: Node) -> Node | None:
    """The ``system.webServer`` that holds the site root's settings: the top-level one, else
    the one under ``<location path=".">`` (ASP.NET Core's published web.config)."""
    found = configuration.find("system.webServer")
    if found is not None:
        return found
    for location in configuration.elements("location"):
        if location.get("path").strip() in (".", ""):
            server = location.find("system.webServer")
            if server is not None:
                return server
    return None


def _report(source: Source, finding: Finding) -> Diagnostic:
    node = finding.node
    line = source.position(node.start).line
    span = source.span(node.start, node.open_end)
    if finding.refuse:
        return MERGE_FOREIGN_CORS.at(
            span,
            f"{finding.what} on line {line} of {source.name} handles CORS beside corsc's "
            f"section: {finding.why}, so --merge cannot take it over",
            f"remove it by hand (and turn off the application's own CORS), then merge again; "
            f"{source.name} was not changed",
        )
    return MERGE_TAKEOVER.at(
        span,
        f"{finding.what} on line {line} of {source.name} is hand-written CORS handling: "
        f"{finding.why}; --merge removed it",
        "corsc's output answers CORS for this site now: if that entry allowed something the "
        "policy does not, add it to the policy",
    )


def merge(existing: bytes, emitted: str, path: str, replaces: tuple[str, ...] = ()) -> Merged:
    """The existing web.config with corsc's part replaced by ``emitted``'s and hand-written
    CORS handling taken over, or refused (a diagnostic saying where) when the file is not
    UTF-8, not well-formed, not a ``<configuration>``, or holds CORS handling corsc cannot
    safely remove. ``replaces`` names the sections the target writes itself (``cors`` for the
    CORS Module): every unmarked one is taken over, even a disabled one."""
    try:
        decoded = existing.decode("utf-8")
    except UnicodeDecodeError as error:
        source = Source(path, existing.decode("utf-8", errors="replace"))
        offset = len(existing[: error.start].decode("utf-8", errors="replace"))
        return _refused(source, f"it is not UTF-8 (byte {error.start})", offset)
    bom = BOM if decoded.startswith(BOM) else ""
    text = decoded[len(bom) :]
    source = Source(path, text)
    try:
        check_well_formed(text)
        top = scan(text)
        layout = Layout.of(text, top)
        undone = undo(layout, top)
    except MergeError as error:
        return _refused(source, str(error), error.offset)
    configuration = next((n for n in top.children if n.tag), None)
    if configuration is None or configuration.tag != "configuration":
        return _refused(source, "its root element is not <configuration>")
    parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True))
    emitted_root = ET.fromstring(emitted, parser=parser)
    scopes = frozenset(_scope(n.get("path", "")) for n in emitted_root.iter("location")) | (
        {""} if emitted_root.find("system.webServer") is not None else set()
    )
    findings = takeover(top, replaces, scopes)
    diagnostics = tuple(_report(source, finding) for finding in findings)
    if any(finding.refuse for finding in findings):
        return Merged(None, diagnostics, source)
    removals = [Edit(layout.leading_whitespace(f.node.start), f.node.end, "") for f in findings]
    text = apply(text, undone + removals)
    top = scan(text)
    configuration = next(n for n in top.children if n.tag)
    planner = Planner(Layout.of(text, top))
    share_vary(emitted_root, configuration)
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
    return Merged(bom + planner.render(_provenance(emitted)), diagnostics, source)


def _refused(source: Source, message: str, offset: int = 0) -> Merged:
    diagnostic = MERGE_UNREADABLE.at(
        source.span(offset),
        f"cannot merge into {source.name}: {message}",
        f"fix the file (or compile with -o to write a new web.config); {_UNCHANGED}",
    )
    return Merged(None, (diagnostic,), source)


def _provenance(emitted: str) -> str:
    """The provenance text of an emitted web.config (its first comment)."""
    start = emitted.index("<!--") + len("<!--")
    return emitted[start : emitted.index("-->", start)].strip()


def _target_of(emitted: str) -> str:
    match = re.search(r"for target (\S+);", emitted)
    return match.group(1) if match else "iis"
