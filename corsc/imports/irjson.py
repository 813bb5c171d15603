"""``corsc import --from json``: the document ``corsc compile --target json`` wrote (the resolved
policy, for other tools), back to the policy it was compiled from.

The document is read strictly into the IR it was written from — every key the json target
writes, of the type it writes, and each pattern's ``origin`` the canonical form of its fields —
so what is read is the policy set that was compiled, not a guess at it. Spans are the
document's start (the policy file the document names is not read). The policies are then
written as ``--from python`` writes a compiled policy file: settings equal to the language's
defaults left out. A document that is not what the json target writes is CORS701, naming the
first key that is wrong.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from corsc import diagnostics as d
from corsc.imports.compiled import draft_of
from corsc.imports.draft import Draft, Findings
from corsc.ir import (
    AllowEntry,
    Grant,
    OriginPattern,
    PathPrefix,
    PatternKind,
    Policy,
    PolicySet,
    Setting,
    Token,
    TokenList,
    Unlisted,
)
from corsc.source import Source, Span

#: The document format this reader knows (the json target's ``format``).
FORMAT = 1
_T = TypeVar("_T")


class NotWritten(ValueError):
    """The document is not one the json target writes: ``where`` is the key path."""

    def __init__(self, where: str, what: str) -> None:
        super().__init__(f"{where}: {what}")


class _Reader:
    """Typed access to the document, every failure naming its key path."""

    def __init__(self, span: Span) -> None:
        self.span = span

    @staticmethod
    def member(data: object, key: str, where: str) -> Any:
        if not isinstance(data, dict):
            raise NotWritten(where, "expected an object")
        if key not in data:
            raise NotWritten(where, f"missing key {key!r}")
        return data[key]

    def typed(self, data: object, key: str, where: str, kind: type[_T], what: str) -> _T:
        value = self.member(data, key, where)
        # bool is an int in Python; the document never writes one where the other belongs.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise NotWritten(f"{where}.{key}", f"expected {what}")
        return value

    def text(self, data: object, key: str, where: str) -> str:
        return self.typed(data, key, where, str, "a string")

    def items(self, data: object, key: str, where: str) -> list[Any]:
        return self.typed(data, key, where, list, "a list")

    def setting(
        self, data: object, key: str, where: str, value: Callable[[object, str], _T]
    ) -> Setting[_T]:
        node, here = self.member(data, key, where), f"{where}.{key}"
        written = self.typed(node, "written", here, bool, "true or false")
        return Setting(value(self.member(node, "value", here), f"{here}.value"), self.span, written)

    def tokens(self, data: object, where: str) -> TokenList:
        wildcard = self.typed(data, "wildcard", where, bool, "true or false")
        names = self.items(data, "items", where)
        items = tuple(
            Token(self.text(item, "value", f"{where}.items[{index}]"), self.span)
            for index, item in enumerate(names)
        )
        if wildcard and items:
            raise NotWritten(where, "a wildcard list has no items")
        return TokenList(items, wildcard)

    def boolean(self, data: object, where: str) -> bool:
        if not isinstance(data, bool):
            raise NotWritten(where, "expected true or false")
        return data

    def seconds(self, data: object, where: str) -> int | None:
        if data is not None and (not isinstance(data, int) or isinstance(data, bool) or data < 0):
            raise NotWritten(where, "expected a number of seconds or null")
        return data

    def grant(self, data: object, where: str) -> Grant:
        return Grant(
            methods=self.setting(data, "methods", where, self.tokens),
            headers=self.setting(data, "headers", where, self.tokens),
            expose=self.setting(data, "expose", where, self.tokens),
            credentials=self.setting(data, "credentials", where, self.boolean),
            max_age=self.setting(data, "max_age", where, self.seconds),
            private_network=self.setting(data, "private_network", where, self.boolean),
        )

    def pattern(self, data: object, where: str) -> OriginPattern:
        kind_name = self.text(data, "kind", where)
        try:
            kind = PatternKind(kind_name)
        except ValueError:
            raise NotWritten(f"{where}.kind", f"no pattern kind {kind_name!r}") from None
        port = self.member(data, "port", where)
        if port is not None and (not isinstance(port, int) or isinstance(port, bool)):
            raise NotWritten(f"{where}.port", "expected a port number or null")
        pattern = OriginPattern(
            kind,
            self.text(data, "text", where),
            self.span,
            scheme=self.text(data, "scheme", where),
            host=self.text(data, "host", where),
            port=port,
            any_port=self.typed(data, "any_port", where, bool, "true or false"),
            regex=self.text(data, "regex", where),
        )
        origin = self.text(data, "origin", where)
        if pattern.canonical != origin:
            raise NotWritten(
                f"{where}.origin", f"{origin!r} is not the pattern its fields describe"
            )
        return pattern

    def policy(self, data: object, where: str) -> Policy:
        grant = self.grant(self.member(data, "grant", where), f"{where}.grant")
        entries = []
        for index, item in enumerate(self.items(data, "entries", where)):
            here = f"{where}.entries[{index}]"
            block = self.typed(item, "block", here, bool, "true or false")
            own = self.member(item, "grant", here)
            if block == (own is None):
                raise NotWritten(f"{here}.grant", "an origin block has its grant, an entry none")
            entry_grant = grant if own is None else self.grant(own, f"{here}.grant")
            entries.append(AllowEntry(self.pattern(item, here), entry_grant, block, self.span))
        paths = tuple(
            PathPrefix(
                self.text(item, "value", f"{where}.paths[{index}]"),
                self.text(item, "text", f"{where}.paths[{index}]"),
                self.span,
            )
            for index, item in enumerate(self.items(data, "paths", where))
        )
        static = self.member(data, "static_origin", where)
        if static is not None and not isinstance(static, str):
            raise NotWritten(f"{where}.static_origin", "expected a string or null")
        return Policy(
            name=self.text(data, "name", where),
            span=self.span,
            paths=paths,
            entries=tuple(entries),
            denies=tuple(
                self.pattern(item, f"{where}.denies[{index}]")
                for index, item in enumerate(self.items(data, "denies", where))
            ),
            grant=grant,
            unlisted=self.setting(data, "unlisted", where, self.unlisted),
            preflight_status=self.setting(data, "preflight_status", where, self.status),
            static_origin=static,
        )

    def unlisted(self, data: object, where: str) -> Unlisted:
        try:
            return Unlisted(data)
        except ValueError:
            raise NotWritten(where, 'expected "pass" or "reject"') from None

    def status(self, data: object, where: str) -> int:
        if data not in (200, 204) or isinstance(data, bool):
            raise NotWritten(where, "expected 200 or 204")
        assert isinstance(data, int)
        return data


def policy_set_of(text: str, span: Span) -> PolicySet:
    """The policy set a json document was written from; :class:`NotWritten` when it is not
    such a document (``json.JSONDecodeError`` is one too)."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as problem:
        raise NotWritten("the document", f"not JSON ({problem})") from None
    reader = _Reader(span)
    version = reader.member(document, "format", "the document")
    if version != FORMAT:
        raise NotWritten("format", f"format {version!r}, this corsc reads format {FORMAT}")
    reader.text(document, "generated_by", "the document")
    return PolicySet(
        reader.text(document, "file", "the document"),
        tuple(
            reader.policy(item, f"policies[{index}]")
            for index, item in enumerate(reader.items(document, "policies", "the document"))
        ),
    )


def read(source: Source) -> tuple[list[Draft], list[d.Diagnostic]]:
    """The policies a json document holds, or why it is not one corsc wrote."""
    findings = Findings(source)
    try:
        policy_set = policy_set_of(source.text, source.span(0))
    except NotWritten as problem:
        findings.add(
            d.IMPORT_UNREADABLE,
            0,
            0,
            f"this is not a document corsc's json target writes: {problem}",
            "import the policy it was compiled from instead, or compile it again with "
            "`--target json`",
        )
        return [], findings.items
    return [draft_of(policy, source) for policy in policy_set.policies], findings.items
