"""What every importer builds: policies being reconstructed (:class:`Draft`), and their text.

An importer reads a configuration into drafts, one per scope it governs (the site root, a
``<location>``, an nginx ``location``, a Python resource pattern), and a list of diagnostics
about the imported file. :func:`render` writes the drafts as a policy file; the text is always
one corsc parses (strings quoted by :func:`quote`, names made valid by :func:`policy_name`).

Settings left ``None`` were not found in the configuration and are not written, so the
policy language's default applies — the importers leave a setting ``None`` only where the
server's default is that same default.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from attrs import define, field

from corsc import diagnostics as d
from corsc.source import Source, Span, visible

#: What the policy language's ``origins``/``deny`` entries are spelled as: ``*``, a quoted
#: pattern, or ``regex "…"``.
Entry = str


def quote(text: str) -> str:
    """``text`` as a policy string: a backslash is doubled only where the language would
    otherwise read it as an escape (before ``"``, ``\\`` or the closing quote), so regexes
    keep the spelling they were written with."""
    out: list[str] = []
    for index, char in enumerate(text):
        following = text[index + 1 : index + 2]
        if char == '"':
            out.append('\\"')
        elif char == "\\" and following in ("", "\\", '"'):
            out.append("\\\\")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def exact(origin: str) -> Entry:
    """An origin pattern entry (exact, wildcard or ``"null"``), or ``*``."""
    return "*" if origin == "*" else quote(origin)


def regex(body: str) -> Entry:
    """A regex entry, full-match."""
    return "regex " + quote(body)


_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def token(name: str) -> str:
    """A method or header name: bare when it is a token no keyword spells, else quoted."""
    from corsc.language import KEYWORDS

    return name if _TOKEN.match(name) and name not in KEYWORDS and name != "*" else quote(name)


@define
class Grant:
    """The settings an origin gets; ``None`` is "not written" (the language's default)."""

    methods: list[str] | None = None
    headers: list[str] | None = None  # ``["*"]`` for every requested header
    expose: list[str] | None = None
    credentials: bool | None = None
    max_age: int | None = None
    private_network: bool | None = None

    def key(self) -> tuple[object, ...]:
        return (
            self.methods,
            self.headers,
            self.expose,
            self.credentials,
            self.max_age,
            self.private_network,
        )


@define
class Draft:
    """One policy being reconstructed: the paths it governs and who gets what.

    ``origins`` share ``grant``; each of ``blocks`` is an ``origin "…" { … }`` block whose
    grant is written out in full (it overrides every setting the policy writes). ``denies``
    are carve-outs. ``span`` is where in the imported file the policy comes from (its comment
    names that line)."""

    name: str
    span: Span
    paths: list[str] = field(factory=list)
    origins: list[Entry] = field(factory=list)
    grant: Grant = field(factory=Grant)
    blocks: list[tuple[Entry, Grant]] = field(factory=list)
    denies: list[Entry] = field(factory=list)
    unlisted: str | None = None
    preflight_status: int | None = None

    @property
    def empty(self) -> bool:
        return not self.origins and not self.blocks


def policy_name(text: str, taken: Iterable[str]) -> str:
    """A policy name (``[a-z][a-z0-9_]*``) made from ``text``, unlike any in ``taken``."""
    from corsc.language import KEYWORDS

    base = re.sub(r"[^a-z0-9_]+", "_", text.lower()).strip("_") or "site"
    if not base[0].isalpha():
        base = "p_" + base
    if base in KEYWORDS:
        base += "_policy"
    used = set(taken)
    name, number = base, 2
    while name in used:
        name, number = f"{base}_{number}", number + 1
    return name


def _statements(grant: Grant, indent: str) -> list[str]:
    lines: list[str] = []

    def names(values: list[str]) -> str:
        return ", ".join("*" if value == "*" else token(value) for value in values)

    if grant.methods is not None:
        lines.append(f"{indent}methods     {names(grant.methods)}")
    if grant.headers:
        lines.append(f"{indent}headers     {names(grant.headers)}")
    if grant.expose:
        lines.append(f"{indent}expose      {names(grant.expose)}")
    if grant.credentials is not None:
        lines.append(f"{indent}credentials {'true' if grant.credentials else 'false'}")
    if grant.max_age is not None:
        lines.append(f"{indent}max-age     {grant.max_age}")
    if grant.private_network is not None:
        lines.append(f"{indent}private-network {'true' if grant.private_network else 'false'}")
    return lines


def render(drafts: Sequence[Draft], source: Source, family: str) -> str:
    """The policy file for ``drafts`` (empty drafts left out), imported from ``source``."""
    lines = [
        f"# Imported by corsc from {source.name} ({family}); read the import's diagnostics,",
        "# then `corsc check` this file before compiling it.",
    ]
    for draft in drafts:
        if draft.empty:
            continue
        where = "" if draft.span.file == source.name else f"{visible(draft.span.file)} "
        lines += ["", f"# from {where}line {draft.span.start.line}", f"policy {draft.name} {{"]
        if draft.paths:
            lines.append("  paths       " + ", ".join(quote(path) for path in draft.paths))
        if draft.origins:
            lines.append("  origins     " + ", ".join(draft.origins))
        if draft.denies:
            lines.append("  deny        " + ", ".join(draft.denies))
        lines += _statements(draft.grant, "  ")
        if draft.unlisted is not None:
            lines.append(f"  unlisted    {draft.unlisted}")
        if draft.preflight_status is not None:
            lines.append(f"  preflight-status {draft.preflight_status}")
        for entry, grant in draft.blocks:
            lines += ["", f"  origin {entry} {{"]
            lines += _statements(grant, "    ")
            lines.append("  }")
        lines.append("}")
    return "\n".join(lines) + "\n"


@define
class Findings:
    """The diagnostics of one import, at spans of the imported file."""

    source: Source
    items: list[d.Diagnostic] = field(factory=list)

    def add(self, kind: d.Kind, start: int, end: int, message: str, help: str) -> None:
        self.items.append(kind.at(self.source.span(start, end), message, help))

    def at_line(self, kind: d.Kind, line: int, message: str, help: str) -> None:
        """A finding on a whole 1-based line (parsers that give lines, not offsets)."""
        start = self.line_offset(line)
        text = self.source.line_text(min(max(line, 1), self.source.line_count))
        indent = len(text) - len(text.lstrip())
        self.add(kind, start + indent, start + len(text), message, help)

    def line_offset(self, line: int) -> int:
        """The offset where the 1-based ``line`` starts."""
        offset, text = 0, self.source.text
        for _ in range(min(max(line, 1), self.source.line_count) - 1):
            offset = text.index("\n", offset) + 1
        return offset
