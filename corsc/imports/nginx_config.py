"""An nginx configuration as the importer reads it: crossplane's directives, the walks over them,
the path a ``location`` names, and the records of the CORS headers a level adds.

:func:`parse` reads one file (includes not followed: :mod:`corsc.imports.nginx_include`
follows them) in any context, so a snippet without ``http`` around it reads too, and catches
errors with their lines. A :class:`Header` keeps the condition and methods of the ``if``
blocks around it, so the reader can tell what it is sent for.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from typing import Any

import crossplane  # type: ignore[import-untyped]
from attrs import define, field, frozen

from corsc.records import fields_repr

Directive = dict[str, Any]


@define
class Header:
    """One ``add_header Access-Control-*``: its value, its line, the origins an enclosing
    ``if ($http_origin ~ …)`` admits (``None``: no such condition), whether it is ``always``
    and whether it stands in an ``if ($request_method = …)``."""

    name: str
    value: str
    line: int
    condition: Test | None
    always: bool
    methods: tuple[str, ...] = ()

    @classmethod
    def of(cls, directive: Directive, condition: Test | None, methods: tuple[str, ...]) -> Header:
        """The record of the ``add_header`` ``directive``, read under ``condition`` and
        ``methods``."""
        args = directive["args"]
        return cls(
            args[0].lower(),
            args[1] if len(args) > 1 else "",
            directive["line"],
            condition,
            len(args) > 2 and args[2] == "always",
            methods,
        )


@define
class Level:
    """What a level (server, location, if) holds: its own CORS headers."""

    headers: list[Header] = field(factory=list)
    any_add_header: bool = False
    #: The status an ``if ($request_method = OPTIONS) { return …; }`` answers with.
    preflight: str | None = None


@frozen
class Test:
    """The ``if`` an origin is read under: ``$http_origin ~ key`` (``key`` with its ``~`` or
    ``~*``) at ``line``, or (``key`` empty) a test of a variable corsc does not follow."""

    __repr__ = fields_repr

    key: str
    line: int

    @property
    def opaque(self) -> bool:
        return not self.key


def parse(text: str) -> dict[str, Any]:
    """crossplane's payload for ``text``: one file, includes not followed, any context (a
    snippet has no ``http`` around it), errors caught with their lines."""
    descriptor, path = tempfile.mkstemp(suffix=".conf")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(text)
        payload: dict[str, Any] = crossplane.parse(
            path, single=True, catch_errors=True, check_ctx=False, check_args=False, comments=False
        )
        return payload
    finally:
        os.unlink(path)


def walk(directives: list[Directive]) -> Iterator[Directive]:
    stack = list(reversed(directives))
    while stack:
        directive = stack.pop()
        yield directive
        stack.extend(reversed(directive.get("block") or []))


def location_path(args: list[str]) -> str | None:
    """What a ``location`` matches when it is a prefix or an exact match (``location /p``,
    ``= /p``, ``^~ /p``), ``None`` for a regex (``~``, ``~*``); what does not start with ``/``
    (a named location, ``~regex`` unspaced) is not a path either, for the caller to say."""
    if len(args) == 1:
        return args[0]
    if len(args) == 2 and args[0] in ("=", "^~"):
        return args[1]
    return None


def outside_servers(directives: list[Directive]) -> Iterator[Directive]:
    """The directives of the http and main levels (``server`` blocks not looked into)."""
    for directive in directives:
        yield directive
        if directive["directive"] not in ("server", "map", "types"):
            yield from outside_servers(directive.get("block") or [])
