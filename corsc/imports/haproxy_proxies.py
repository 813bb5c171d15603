"""HAProxy's sections as proxies to run: a frontend, backend or listen section (or a
``defaults`` section read alone) with the rules of each phase — those of the ``defaults``
section it takes rules ``from`` first — its named ACLs, its ``use_backend`` and
``default_backend`` routes, whether it has servers and what it captures; and the pattern and
map files a configuration names, read next to it (or where an absolute path says).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence

from attrs import define, field, frozen

from corsc.imports.haproxy_config import Acl, Condition, ConfigError, Line, Section
from corsc.imports.haproxy_config import acl as parse_acl
from corsc.imports.haproxy_config import condition as parse_condition
from corsc.imports.haproxy_samples import MapTable
from corsc.imports.machine import Opaque
from corsc.records import fields_repr
from corsc.source import MAX_SOURCE_BYTES, Source, read_bounded

_PHASES = {"http-request": "request", "http-response": "response", "http-after-response": "after"}


@frozen
class Rule:
    """One ``http-request``/``http-response``/``http-after-response`` rule: its action, the
    action's words, its condition and the ACLs its section declares."""

    __repr__ = fields_repr

    action: str
    args: tuple[str, ...]
    condition: Condition | None
    line: int
    acls: Mapping[str, tuple[Acl, ...]]


def rule(line: Line, acls: Mapping[str, tuple[Acl, ...]]) -> Rule:
    """A rule from its line (the keyword first)."""
    items = list(line.words[1:])
    if not items:
        raise ConfigError(line.number, f"`{line.words[0]}` without an action")
    cut = next((i for i, item in enumerate(items) if item in ("if", "unless")), len(items))
    found = parse_condition(items[cut:], line.number) if cut < len(items) else None
    action, args = items[0], tuple(items[1:cut])
    if action.startswith(("set-var", "unset-var")) and not re.fullmatch(
        r"(?:set-var|set-var-fmt|unset-var)\([^()]+\)", action
    ):
        raise ConfigError(line.number, f"`{action}` names no variable as `set-var(NAME)` does")
    if action.startswith(("set-var(", "set-var-fmt(")) and not args:
        raise ConfigError(line.number, f"{action} sets the variable to nothing")
    return Rule(action, args, found, line.number, acls)


@define
class Proxy:
    """A frontend, backend or listen section ready to run (or a ``defaults`` section read as
    the frontend that takes its rules): each phase's rule lists, defaults' first."""

    name: str
    line: int
    request: list[list[Rule]] = field(factory=list)
    response: list[list[Rule]] = field(factory=list)
    after: list[list[Rule]] = field(factory=list)
    #: ``use_backend`` rules (a condition, the backend) and ``default_backend``.
    routes: list[tuple[Rule | None, str]] = field(factory=list)
    servers: bool = False
    captures: list[tuple[str, int]] = field(factory=list)
    #: Whether its ``bind`` lines take TLS: all (``True``), none (``False``), some or no
    #: ``bind`` line (``None``: ``ssl_fc`` is unknown).
    tls: bool | None = None


def acls_of(lines: Sequence[Line]) -> dict[str, tuple[Acl, ...]]:
    """The named ACLs of a section: the lines declaring one name are OR-ed."""
    found: dict[str, tuple[Acl, ...]] = {}
    for line in lines:
        if line.words[0] == "acl" and len(line.words) >= 3:
            found[line.words[1]] = (
                *found.get(line.words[1], ()),
                parse_acl(line.words[2:], line.number),
            )
    return found


class Files:
    """The pattern and map files of one configuration, read once each."""

    def __init__(self, source: Source, path: str | None = None) -> None:
        self.base = os.path.dirname(path if path is not None else source.name) or "."
        self.read: dict[str, list[str]] = {}
        self.tables: dict[str, MapTable] = {}

    def table(self, path: str, line: int) -> MapTable:
        """A map file, read once, ready to look keys up in."""
        if path not in self.tables:
            self.tables[path] = MapTable(self(path, line))
        return self.tables[path]

    def __call__(self, path: str, line: int) -> list[str]:
        if path not in self.read:
            tried = [path if os.path.isabs(path) else os.path.join(self.base, path)]
            tried.append(os.path.join(self.base, os.path.basename(path)))
            for candidate in tried:
                try:
                    data = read_bounded(candidate, MAX_SOURCE_BYTES)
                except OSError:
                    continue
                rows = [row.strip(" \t\r") for row in data.decode("utf-8", "replace").split("\n")]
                break
            else:
                raise Opaque(line, f"the file {path} is not next to the configuration")
            self.read[path] = [row for row in rows if row and not row.startswith("#")]
        return self.read[path]


def proxies_of(found: list[Section]) -> tuple[dict[str, Proxy], list[tuple[Section, Proxy]]]:
    """Every backend by name, and each frontend or listen (or defaults section read as one)
    with its section."""
    defaults = {section.name: section for section in found if section.kind == "defaults"}
    backends: dict[str, Proxy] = {}
    fronts: list[tuple[Section, Proxy]] = []

    def build(section: Section) -> Proxy:
        proxy = Proxy(section.name or section.kind, section.line)
        parts = [defaults[section.parent]] if section.parent in defaults else []
        binds: list[bool] = []
        for part in [*parts, section]:
            acls = acls_of(part.lines)
            lists: dict[str, list] = {"request": [], "response": [], "after": []}
            for line in part.lines:
                keyword = line.words[0]
                if keyword in _PHASES:
                    lists[_PHASES[keyword]].append(rule(line, acls))
                elif part is section and keyword in ("use_backend", "default_backend"):
                    words = line.words
                    if keyword == "default_backend" and len(words) > 1:
                        proxy.routes.append((None, words[1]))
                    elif len(words) > 1:
                        condition = rule(line, acls) if len(words) > 2 else None
                        proxy.routes.insert(
                            sum(1 for c, _ in proxy.routes if c is not None), (condition, words[1])
                        )
                elif keyword in ("server", "server-template") and part is section:
                    proxy.servers = True
                elif keyword == "bind" and part is section:
                    binds.append("ssl" in line.words[2:])
                elif keyword == "capture" and line.words[1:3] == ("request", "header"):
                    if (
                        len(line.words) != 6
                        or line.words[4] != "len"
                        or not line.words[5].isdigit()
                    ):
                        raise ConfigError(line.number, "capture request header NAME len LENGTH")
                    proxy.captures.append((line.words[3].lower(), int(line.words[5])))
            proxy.request.append(lists["request"])
            proxy.response.append(lists["response"])
            proxy.after.append(lists["after"])
        if binds and (all(binds) or not any(binds)):
            proxy.tls = all(binds)
        return proxy

    for section in found:
        if section.kind == "backend":
            backends[section.name] = build(section)
        elif section.kind in ("frontend", "listen"):
            fronts.append((section, build(section)))
    if not fronts:
        for section in defaults.values():
            if any(line.words[0] in _PHASES for line in section.lines):
                alone = Section("defaults", section.name, None, section.line, section.lines)
                fronts.append((alone, build(alone)))
    return backends, fronts
