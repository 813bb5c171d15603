"""corsc's regions in an existing web.config, and the scopes a file keeps its settings in.

A region is what corsc wrote between ``<!-- corsc:begin NAME … -->`` and
``<!-- corsc:end NAME -->`` (:mod:`corsc.backends.iis_document`); a ``vary`` region wraps the
user's own ``Vary`` element, recording in its begin marker the members corsc appended. A run of
``--merge`` takes every region out again exactly as it went in (:func:`undo`); everything else
is the user's (:func:`user_children`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from corsc.backends.iis_document import BEGIN, END
from corsc.backends.iis_scan import Edit, Layout, MergeError, Node, escape_attribute, unescape, walk

#: The members corsc appended to the user's ``Vary``, in a ``vary`` region's begin marker.
_APPENDED = re.compile(r'appended="([^"]*)"')


def is_marker(node: Node, word: str) -> bool:
    return node.tag is None and node.text.split()[:1] == [word]


def label(node: Node) -> str:
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
    for parent in walk(top):
        begin: Node | None = None
        inside: list[Node] = []
        for child in parent.children:
            if is_marker(child, BEGIN):
                if begin is not None:
                    raise _unpaired(begin)
                begin, inside = child, []
            elif is_marker(child, END):
                if begin is None or label(begin) != label(child):
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
        f"corsc's marker `{marker.text.split()[0]} {label(marker)}` has no partner in the same "
        "element, so corsc cannot tell its part from yours; restore or remove its markers by "
        "hand",
        marker.start,
    )


def _take_out(layout: Layout, begin: Node, inside: list[Node], end: Node) -> list[Edit]:
    if label(begin) != "vary":
        return [Edit(layout.leading_whitespace(begin.start), end.end, "")]
    appended = _APPENDED.search(begin.text)
    if appended is None or len(inside) != 1:
        raise _unpaired(begin)
    return _unwrap(layout, begin, inside[0], end, unescape(appended.group(1)))


def _unwrap(layout: Layout, begin: Node, user: Node, end: Node, appended: str) -> list[Edit]:
    edits = [
        Edit(begin.start, user.start, ""),
        Edit(user.end, end.end, ""),
    ]
    span = user.attribute_spans.get("value")
    if span is not None:
        raw = layout.text[span[0] : span[1]]
        escaped = escape_attribute(appended)
        if raw.endswith(escaped):
            edits.append(Edit(span[1] - len(escaped), span[1], ""))
    return edits


def user_children(node: Node) -> Iterator[Node]:
    """The children of ``node`` that are the user's: corsc's region markers and what lies
    between them left out, except the user's element a ``vary`` region wraps."""
    inside = False
    for child in node.children:
        if is_marker(child, BEGIN):
            inside = label(child) != "vary"
        elif is_marker(child, END):
            inside = False
        elif not inside:
            yield child


def scope_key(path: str) -> str:
    """A ``<location path>`` as a scope key: IIS compares location paths without regard to
    case or surrounding slashes, and ``.`` is the site root (``""``)."""
    path = path.strip().strip("/")
    return "" if path == "." else path.casefold()


def location_of(configuration: Node, path: str) -> Node | None:
    """The user's ``<location>`` for ``path`` (IIS compares location paths without regard to
    case or surrounding slashes)."""
    wanted = scope_key(path)
    return next(
        (
            n
            for n in configuration.elements("location")
            if wanted and scope_key(n.get("path")) == wanted
        ),
        None,
    )


def site_server(configuration: Node) -> Node | None:
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
