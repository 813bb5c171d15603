"""``--merge`` for the IIS targets: put corsc's part of a web.config into an existing one.

The existing file is read without ever being re-serialised (:mod:`corsc.backends.iis_scan`);
every change is a text edit at its offsets, in two passes:

1. on the file as it is: corsc's earlier regions are taken out exactly as they were put in
   (:mod:`corsc.backends.iis_regions`), and hand-written CORS handling outside them is taken
   over (:mod:`corsc.backends.iis_takeover`): removed with a warning naming its line, or the
   whole merge refused when removing it is not safe;
2. on the result, which is now the user's own file: each region of the freshly emitted
   web.config goes into the matching existing container (the file's ``system.webServer`` —
   the one under ``<location path=".">`` when that is where the file keeps it — then
   ``httpProtocol/customHeaders``, ``handlers``, ``rewrite/rules`` …); a missing container is
   created inside a region of its own, an empty ``<x/>`` is opened up once for all the regions
   it receives.

``Vary`` is shared with the site (:mod:`corsc.backends.iis_vary`): a user's ``Vary`` custom
header keeps its element and value, with corsc's members appended and recorded in a ``vary``
region around it, so that a later run can take them out again.

Inserted text follows the file's newline style and indentation. Everything else — elements,
attributes, comments, the XML declaration, a byte-order mark, CRLF line endings — is left as it
was, byte for byte. A second run over its own output changes nothing.
"""

from __future__ import annotations

import copy
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from attrs import define, field

from corsc import diagnostics as d
from corsc import http
from corsc.backends import EmitOptions, Merged, OutputFile
from corsc.backends.iis_document import BEGIN, END, comment_text
from corsc.backends.iis_regions import location_of, scope_key, site_server, undo
from corsc.backends.iis_scan import (
    BOM,
    Edit,
    Layout,
    MergeError,
    Node,
    apply,
    check_well_formed,
    escape_attribute,
    scan,
)
from corsc.backends.iis_takeover import Finding, takeover
from corsc.backends.iis_vary import folded, members_of, share_vary, vary_entry
from corsc.diagnostics import Diagnostic
from corsc.source import Source

MERGE_UNREADABLE = d.kind(
    "CORS616",
    "iis-merge-unreadable",
    d.Severity.ERROR,
    "an existing web.config that corsc cannot merge into",
)
MERGE_TAKEOVER = d.kind(
    "CORS640",
    "iis-merge-takeover",
    d.Severity.WARNING,
    "hand-written CORS handling in the merged web.config, removed in favour of corsc's",
)
MERGE_FOREIGN_CORS = d.kind(
    "CORS641",
    "iis-merge-foreign-cors",
    d.Severity.ERROR,
    "CORS handling in the merged web.config that corsc cannot safely remove",
)

# ---- planning the insertions ----------------------------------------------------------------

#: Collections where corsc's rules must run before the user's (a user rule with
#: stopProcessing would otherwise hide them): inserted after a leading ``<clear/>``.
FIRST = frozenset({"rules", "outboundRules"})


@define
class Planner:
    """The insertions of one merge, planned against the user's file (``layout``) and applied at
    once by :meth:`render`: ``edits`` at offsets, ``regions`` (anchor offset, nodes, indent)
    written where their placeholders stand."""

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
            return location_of(existing, emitted.get("path", ""))
        return existing.find(str(emitted.tag))

    def _region(self, nodes: list[ET.Element], existing: Node) -> None:
        if existing.tag == "customHeaders":
            nodes = self._merge_vary(nodes, existing)
        self.insert(existing, nodes)

    def _merge_vary(self, nodes: list[ET.Element], headers: Node) -> list[ET.Element]:
        """When the entry that decides ``Vary`` in the user's customHeaders is an ``add`` with a
        value, corsc's members go into that element's value (a second ``add`` of the key would
        be a 500.19). Otherwise corsc's own ``add`` stays, valued by :func:`share_vary`."""
        user = vary_entry(headers)
        if user is None or user.tag != "add" or "value" not in user.attribute_spans:
            return nodes
        ours = next((n for n in nodes if n.tag == "add" and n.get("name") == http.VARY), None)
        if user is None or ours is None:
            return nodes
        nodes = [n for n in nodes if n.get("name") != http.VARY]
        present = members_of(user.get("value"))
        missing = [
            m for m in members_of(ours.get("value") or "") if m.lower() not in folded(present)
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
            Edit(span[1], span[1], escape_attribute(appended), self._next()),
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


_UNCHANGED = "it was not changed"


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
    scopes = frozenset(scope_key(n.get("path", "")) for n in emitted_root.iter("location")) | (
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
            server = site_server(configuration)
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


class MergesWebConfig:
    """``--merge`` for an IIS target (:class:`corsc.backends.MergingBackend`): its one
    web.config merged into the existing one. ``replaces`` names the sections the target writes
    itself (``cors`` for the CORS Module), whose unmarked copies are taken over."""

    replaces: tuple[str, ...] = ()

    def merge(
        self, existing: bytes, files: Sequence[OutputFile], options: EmitOptions, path: str
    ) -> Merged:
        return merge(existing, files[0].content, path, replaces=self.replaces)
