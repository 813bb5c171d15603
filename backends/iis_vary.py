"""``Vary`` shared with the site for ``--merge``: the user's members kept wherever corsc
writes its own ``Vary``.

A user's ``Vary`` custom header keeps its element and value, with corsc's members appended
(the planning is :mod:`corsc.backends.iis_merge`'s); where corsc writes its own ``Vary`` (in a
``<location>``, or after the user's ``clear``/``remove``), the members the user's file gives
that path come first (:func:`share_vary`), since corsc's ``<remove name="Vary"/>`` would
otherwise drop them there.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from corsc import http
from corsc.backends.iis_regions import location_of, site_server, user_children
from corsc.backends.iis_scan import Node


def members_of(value: str) -> list[str]:
    """The members of a ``Vary`` value, in order, without empty ones or repeats (compared
    without regard to case, as header names are; the first spelling kept)."""
    return list(http.unique_headers(m for m in (part.strip() for part in value.split(",")) if m))


def folded(members: Sequence[str]) -> set[str]:
    """The members as compared: without regard to case."""
    return {member.lower() for member in members}


def _vary_after(headers: Node | None, members: list[str]) -> list[str]:
    """The user's ``Vary`` members after ``headers`` (a customHeaders collection) applies
    its add, remove and clear entries, in order, to the inherited ``members``."""
    if headers is None:
        return members
    for entry in user_children(headers):
        if entry.tag == "clear":
            members = []
        elif (
            entry.tag in ("add", "remove")
            and entry.get("name").strip().lower() == http.VARY.lower()
        ):
            members = members_of(entry.get("value")) if entry.tag == "add" else []
    return members


def custom_headers_of(server: Node | None) -> Node | None:
    protocol = server.find("httpProtocol") if server is not None else None
    return protocol.find("customHeaders") if protocol is not None else None


def vary_entry(headers: Node) -> Node | None:
    """The user's entry that decides ``Vary`` in a customHeaders collection: the last
    ``clear``, or ``add``/``remove`` of ``Vary``."""
    decisive = None
    for entry in user_children(headers):
        if entry.tag == "clear" or (
            entry.tag in ("add", "remove")
            and entry.get("name").strip().lower() == http.VARY.lower()
        ):
            decisive = entry
    return decisive


def share_vary(emitted_root: ET.Element, configuration: Node) -> None:
    """Put the members of the user's ``Vary`` in front of corsc's wherever corsc writes its own
    ``Vary`` (its ``<remove name="Vary"/>`` would drop them): at the site root, those the
    user's root collection leaves; in a ``<location>``, those, changed by the location's own
    collection."""
    site = _vary_after(custom_headers_of(site_server(configuration)), [])
    scopes = [(emitted_root.find("system.webServer"), site)]
    for location in emitted_root.iter("location"):
        existing = location_of(configuration, location.get("path", ""))
        server = existing.find("system.webServer") if existing is not None else None
        scopes.append(
            (location.find("system.webServer"), _vary_after(custom_headers_of(server), site))
        )
    for emitted, members in scopes:
        ours = (
            None
            if emitted is None
            else emitted.find("httpProtocol/customHeaders/add[@name='Vary']")
        )
        if ours is None:
            continue
        present = folded(members)
        added = [m for m in members_of(ours.get("value") or "") if m.lower() not in present]
        ours.set("value", "*" if "*" in members else ", ".join(members + added))
