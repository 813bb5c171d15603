"""nginx ``include`` followed: the files an imported configuration brings in, read as nginx
reads them — in place of the ``include``, each glob's matches in sorted order.

nginx resolves a relative ``include`` against its prefix (the directory of nginx.conf for a
usual install); import resolves it against the directory of the file that holds the
``include``, which is the same for the main file and keeps a tree of snippets readable
wherever it is copied. A file is read only when it lies inside that directory's tree (after
symbolic links are resolved), is a regular file no larger than a policy file and is UTF-8;
otherwise, or when nothing matches, or when the configuration was not read from a file on
disk, the ``include`` stays in the tree with the reason, and the reader reports it (CORS715).

crossplane's own include following is not used: it resolves against the main file's directory
and reads whatever a pattern names. The files, bounded together as one policy file is, are
parsed one by one with crossplane and numbered as one text (:class:`Tree`):
the reader sees the main file's lines, then each included file's, and :meth:`Tree.place`
puts every span back in the file it came from.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable
from typing import Any

from attrs import define, evolve, field, frozen

from corsc import diagnostics as d
from corsc.records import fields_repr
from corsc.source import MAX_SOURCE_BYTES, NotAFile, Source, Span, TooLarge, read_bounded, visible

Directive = dict[str, Any]
#: crossplane's payload for one file's text.
Parse = Callable[[str], dict[str, Any]]
#: Bounds on a tree of includes: files read, and how deep includes may nest.
MAX_FILES = 256
MAX_DEPTH = 16


@frozen
class Part:
    """One file of the tree: its source, where its text starts in the tree's text (offset and
    0-based line), and its real path on disk."""

    __repr__ = fields_repr

    source: Source
    offset: int
    line: int
    real: str


@define
class Tree:
    """A configuration with the files its includes bring in, numbered as one text."""

    main: Source
    path: str | None
    parse: Parse
    parts: list[Part] = field(factory=list)
    text: list[str] = field(factory=list)
    errors: list[tuple[int, str]] = field(factory=list)

    def read(self) -> tuple[Source, dict[str, Any]]:
        """The whole text (for findings) and crossplane's payload of the main file with every
        readable include replaced by the directives it brings in."""
        real = os.path.realpath(self.path) if self.path is not None else ""
        self._add(self.main, real)
        payload = self.parse(self.main.text)
        config = payload["config"][0] if payload["config"] else {"parsed": [], "errors": []}
        config["parsed"] = self._splice(config["parsed"], self.parts[0], (real,))
        for line, error in self.errors:
            config.setdefault("errors", []).append({"line": line, "error": error})
        return Source(self.main.name, "".join(self.text)), payload

    def _add(self, source: Source, real: str) -> Part:
        start = sum(len(text) for text in self.text)
        lines = sum(text.count("\n") for text in self.text)
        text = source.text if source.text.endswith("\n") or not source.text else source.text + "\n"
        part = Part(source, start, lines, real)
        self.parts.append(part)
        self.text.append(text)
        return part

    def _splice(
        self, directives: list[Directive], part: Part, chain: tuple[str, ...]
    ) -> list[Directive]:
        out: list[Directive] = []
        for directive in directives:
            directive["line"] = directive.get("line", 1) + part.line
            if directive.get("block") is not None:
                directive["block"] = self._splice(directive["block"], part, chain)
            if directive["directive"] != "include" or len(directive["args"]) != 1:
                out.append(directive)
                continue
            found, problems = self._resolve(directive["args"][0], part, chain)
            for source, real in found:
                included = self._add(source, real)
                payload = self.parse(source.text)
                config = payload["config"][0] if payload["config"] else {"parsed": []}
                for error in config.get("errors") or []:
                    self.errors.append(((error.get("line") or 1) + included.line, error["error"]))
                out += self._splice(config["parsed"], included, (*chain, real))
            if problems:  # left in the tree: the reader reports it, with why
                directive["reason"] = "; ".join(problems)
                out.append(directive)
        return out

    def _resolve(
        self, pattern: str, part: Part, chain: tuple[str, ...]
    ) -> tuple[list[tuple[Source, str]], list[str]]:
        """The files ``include pattern`` in ``part`` reads, and why others it names are not."""
        if self.path is None:
            return [], [
                "the configuration was not read from a file, so there is no directory to look in"
            ]
        if len(chain) > MAX_DEPTH:
            return [], [f"includes nest deeper than {MAX_DEPTH} files"]
        directory = os.path.dirname(part.real)
        if os.path.isabs(pattern):
            written = pattern
        else:
            written = os.path.join(glob.escape(directory), pattern)
        if glob.has_magic(written):
            matches = sorted(glob.glob(written))
        else:
            matches = [os.path.join(directory, pattern)]
        if not matches:
            return [], ["no file matches it"]
        found: list[tuple[Source, str]] = []
        problems: list[str] = []
        for match in matches:
            real = os.path.realpath(match)
            problem = self._problem(match, real, directory, chain, len(found))
            source = problem or _read(match, self._name(part, real, directory))
            if isinstance(source, str):
                problems.append(source)
                continue
            read = sum(len(text) for text in self.text) + sum(len(s.text) for s, _ in found)
            if read + len(source.text) > MAX_SOURCE_BYTES:
                problems.append(
                    f"the configuration and the files it includes are larger than "
                    f"{MAX_SOURCE_BYTES:,} characters together"
                )
                break
            found.append((source, real))
        return found, problems

    def _problem(
        self, match: str, real: str, directory: str, chain: tuple[str, ...], found: int
    ) -> str | None:
        """Why the file ``match`` is not read before it is opened (``None``: nothing yet)."""
        if os.path.commonpath([real, directory]) != directory:
            return (
                f"{visible(match)} is outside {visible(directory)}, the directory of the file "
                "that includes it"
            )
        if real in chain:
            return f"{visible(match)} includes itself, directly or through other files"
        if len(self.parts) + found >= MAX_FILES:
            return f"the configuration includes more than {MAX_FILES} files"
        return None

    @staticmethod
    def _name(part: Part, real: str, directory: str) -> str:
        """How spans name an included file: beside the name of the file that includes it."""
        return os.path.join(os.path.dirname(part.source.name), os.path.relpath(real, directory))

    def place(self, span: Span) -> Span:
        """``span`` of the tree's text as a span of the file it lies in."""
        part = next(
            (item for item in reversed(self.parts) if item.offset <= span.start.offset),
            self.parts[0],
        )
        if part is self.parts[0] and len(self.parts) == 1:
            return span
        limit = len(part.source.text)
        start = min(span.start.offset - part.offset, limit)
        end = min(max(span.end.offset - part.offset, start), limit)
        return part.source.span(start, end)

    def placed(self, items: list[d.Diagnostic]) -> list[d.Diagnostic]:
        return [evolve(item, span=self.place(item.span)) for item in items]

    @property
    def included(self) -> tuple[Source, ...]:
        """The files read besides the main one, once each (a file included twice is read
        twice, as nginx reads it, but is one file that spans name)."""
        return tuple({part.source.name: part.source for part in self.parts[1:]}.values())


def _read(path: str, name: str) -> Source | str:
    """The included file as a source named ``name``, or why it cannot be read."""
    shown = visible(path)
    try:
        data = read_bounded(path, MAX_SOURCE_BYTES)
    except FileNotFoundError:
        return f"{shown}: no such file"
    except NotAFile as error:
        return f"{shown} is {error.what}, not a file"
    except TooLarge:
        return f"{shown} is larger than {MAX_SOURCE_BYTES:,} bytes"
    except (OSError, ValueError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        return f"{shown} cannot be read: {reason}"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return f"{shown} is not UTF-8 text"
    return Source(visible(name), text.removeprefix("\ufeff"))
