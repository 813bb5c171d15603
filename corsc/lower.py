"""Lower: syntax tree → IR.

Resolves ``let`` names (after ``--set`` overrides), checks that each value has the kind its
statement needs, canonicalises origins, converts durations to seconds, normalises paths, fills
in defaults and resolves ``origin`` blocks against their policy. What cannot be represented is a
diagnostic, and lowering goes on with the rest, so one run reports every problem. Semantic
checks of the resulting IR live in ``corsc.checks``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Literal

from attrs import frozen
from lark import Token, Tree

from corsc import diagnostics as d
from corsc import origins
from corsc.ir import (
    AllowEntry,
    Grant,
    OriginPattern,
    PathPrefix,
    PatternKind,
    Policy,
    PolicySet,
    Setting,
    TokenList,
    Unlisted,
)
from corsc.ir import Token as NameToken
from corsc.parse import STATEMENTS, did_you_mean
from corsc.paths import normalize_prefix
from corsc.source import Position, Source, Span, visible

NAME_RE = re.compile(r"[a-z][a-z0-9_]*")
DURATION_RE = re.compile(r"([0-9]+)([smhd]?)")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}

#: The most values the list statements of one file may hold once bindings are expanded: ten
#: times the largest policy corsc is measured on (100,000 origins).
MAX_EXPANDED = 1_000_000

#: What an ``origin`` block may override.
BLOCK_STATEMENTS = ("methods", "headers", "expose", "credentials", "max-age", "private-network")

ValueKind = Literal["origin", "method", "header", "path"]
_KIND_OF_STATEMENT: dict[str, ValueKind] = {
    "paths": "path",
    "origins": "origin",
    "deny": "origin",
    "methods": "method",
    "headers": "header",
    "expose": "header",
}
_KIND_WORDS = {
    "origin": "origins",
    "method": "method names",
    "header": "header names",
    "path": "paths",
}


@frozen
class Value:
    """One item of a value list before resolution: ``form`` is how it was written."""

    form: Literal["string", "regex", "word", "star"]
    text: str
    span: Span


@frozen
class Override:
    """A ``--set NAME=VALUE[,VALUE…]`` from the command line, with its own source for spans."""

    name: str
    values: tuple[Value, ...]
    span: Span


def parse_override(text: str, index: int = 0) -> tuple[Override | None, list[d.Diagnostic]]:
    """Parse one ``--set NAME=VALUE[,VALUE…]`` argument (the rule is :func:`split_values`).
    A value is ``*`` (the wildcard), ``regex:BODY`` (a regex: BODY as written, or quoted like
    a string of the language), ``"…"`` (a quoted string), or any other text taken as written
    (origins need no quotes here). An empty list is an error: a binding always has a value,
    and an empty one would silently change a statement's meaning (no ``paths`` governs every
    path)."""
    source = Source(f"<--set #{index + 1}>", text)
    name, equals, rest = text.partition("=")
    if not equals or not NAME_RE.fullmatch(name.strip()):
        return None, [
            d.INVALID_OVERRIDE.at(
                source.span(0, len(text)),
                f"`--set {visible(text)}` is not NAME=VALUE[,VALUE…]",
                'write for example --set partners="https://a.example,https://b.example"',
            )
        ]
    offset = len(name) + 1
    items, unclosed = split_values(rest)
    if unclosed is not None:
        return None, [
            d.INVALID_OVERRIDE.at(
                source.span(offset + unclosed[0], len(text)),
                f"`--set {name.strip()}` has an unclosed `{unclosed[1]}`",
                "close it, or quote the value; a comma inside quotes, brackets or braces "
                "does not separate values",
            )
        ]
    values = [_override_value(source, offset + start, item) for start, item in items]
    if not values:
        return None, [
            d.INVALID_OVERRIDE.at(
                source.span(0, len(text)),
                f"`--set {name.strip()}=` gives the binding no value",
                "give at least one value; to change what the policy means without it, edit "
                "the policy (an empty list is never a default)",
            )
        ]
    return Override(name.strip(), tuple(values), source.span(0, len(name))), []


_CLOSING = {"(": ")", "[": "]", "{": "}"}


def split_values(text: str) -> tuple[list[tuple[int, str]], tuple[int, str] | None]:
    """Split a ``--set`` value list at its commas: ``(start, item)`` for each non-empty item
    (stripped), and ``(offset, opener)`` of a quote or bracket that is never closed.

    A comma separates values only outside double quotes (where a backslash escapes the next
    character), outside ``( )``, ``[ ]`` and ``{ }`` (so ``regex:^https://a{1,3}\\.x$``
    stays one value; inside ``[ ]`` only ``]`` closes), and when not escaped by a backslash."""
    items: list[tuple[int, str]] = []
    openers: list[tuple[int, str]] = []  # the brackets and quote still open, innermost last
    start = index = 0
    while index < len(text):
        char = text[index]
        inside = openers[-1][1] if openers else ""
        if char == "\\":
            index += 2
            continue
        if inside == '"':
            if char == '"':
                openers.pop()
        elif inside == "[":
            if char == "]":
                openers.pop()
        elif char == '"' or char in _CLOSING:
            openers.append((index, char))
        elif openers and char == _CLOSING[inside]:
            openers.pop()
        elif char == "," and not openers:
            items.append((start, text[start:index]))
            start = index + 1
        index += 1
    if openers:
        return [], openers[0]
    items.append((start, text[start:]))
    result = []
    for at, item in items:
        stripped = item.strip()
        if stripped:
            result.append((at + item.find(stripped), stripped))
    return result, None


def _override_value(source: Source, start: int, item: str) -> Value:
    span = source.span(start, start + len(item))
    if item == "*":
        return Value("star", item, span)
    if item.startswith("regex:"):
        return Value("regex", _unquoted(item.removeprefix("regex:").strip()), span)
    return Value("string", _unquoted(item), span)


def _unquoted(text: str) -> str:
    """A value written in quotes, decoded like a string of the language; else as written."""
    if len(text) >= 2 and text[0] == text[-1] == '"' and _STRING_RE.fullmatch(text):
        return _decode_string(text)
    return text


_STRING_RE = re.compile(r'"(?:[^"\\\n]|\\.)*"')


@frozen
class _Binding:
    name: str
    span: Span
    values: tuple[Value, ...]


class _Lowering:
    def __init__(self, source: Source, overrides: Sequence[Override]) -> None:
        self.source = source
        self.overrides = overrides
        self.diagnostics: list[d.Diagnostic] = []
        self.bindings: dict[str, _Binding] = {}
        self.binding_kinds: dict[str, tuple[ValueKind, Span]] = {}
        self.used: set[str] = set()
        self._expanded: dict[int, list[Value]] = {}
        self._expansion_errors: dict[int, int] = {}
        self.values_expanded = 0
        self.errors = 0

    # -- helpers ---------------------------------------------------------------------------

    def span_of(self, node: Tree[Token] | Token) -> Span:
        """From the first token to the last. Lark already counted lines and columns (1-based,
        in characters) on every token; trees carry no positions (propagating them doubles the
        parse time of a large policy)."""
        first = last = node
        while isinstance(first, Tree):
            first = first.children[0]
        while isinstance(last, Tree):
            last = last.children[-1]
        assert isinstance(first, Token) and isinstance(last, Token)
        return Span(
            self.source.name,
            Position(first.line, first.column, first.start_pos),  # type: ignore[arg-type]
            Position(last.end_line, last.end_column, last.end_pos),  # type: ignore[arg-type]
        )

    def report(self, diagnostic: d.Diagnostic) -> None:
        self.diagnostics.append(diagnostic)
        if diagnostic.severity is d.Severity.ERROR:
            self.errors += 1

    def values_of(self, value_list: Tree[Token] | None) -> tuple[Value, ...]:
        if value_list is None:
            return ()
        result = []
        for item in value_list.children:
            assert isinstance(item, Tree)
            token = item.children[-1]
            assert isinstance(token, Token)
            form = str(item.data)
            text = _decode_string(token.value) if token.type == "STRING" else str(token.value)
            result.append(Value(form, text, self.span_of(item)))  # type: ignore[arg-type]
        return tuple(result)

    # -- let bindings ----------------------------------------------------------------------

    def collect_bindings(self, items: Iterable[Tree[Token]]) -> None:
        for item in items:
            name_token, value_list = item.children
            assert isinstance(name_token, Token) and isinstance(value_list, Tree)
            name = str(name_token.value)
            span = self.span_of(name_token)
            if not NAME_RE.fullmatch(name):
                self.report(_invalid_name("binding", name, span))
            if name in self.bindings:
                self.report(
                    d.DUPLICATE_BINDING.at(
                        span,
                        f"`let {name}` is defined twice",
                        "rename one of the bindings or merge their values",
                        related=[d.Related(self.bindings[name].span, "first defined here")],
                    )
                )
                continue
            self.bindings[name] = _Binding(name, span, self.values_of(value_list))
        for override in self.overrides:
            existing = self.bindings.get(override.name)
            if existing is None:
                self.report(
                    d.INVALID_OVERRIDE.at(
                        override.span,
                        f"`--set {override.name}` names no `let` binding in {self.source.name}",
                        did_you_mean(override.name, list(self.bindings))
                        or "`--set` replaces a binding the file defines with `let`",
                    )
                )
                continue
            self.bindings[override.name] = _Binding(override.name, existing.span, override.values)

    def expand(self, values: Iterable[Value], kind: ValueKind) -> list[Value]:
        """Replace words naming bindings by their values, recording each binding's kind.

        Iterative, with an explicit stack of the bindings being expanded: a chain of 100,000
        `let`s is as deep as the file is long, and must not exhaust Python's stack. The
        file's lists together are bounded (:data:`MAX_EXPANDED`): bindings that list each
        other twice over double at every level, and 40 lines would otherwise ask for 2**40
        values."""
        result: list[Value] = []
        stack: list[tuple[Iterator[Value], str | None]] = [(iter(values), None)]
        trail: list[str] = []  # the bindings being expanded, outermost first
        on_trail: set[str] = set()
        while stack:
            value = next(stack[-1][0], None)
            if value is None:
                if stack.pop()[1] is not None:
                    on_trail.discard(trail.pop())
                continue
            binding = self.bindings.get(value.text) if value.form == "word" else None
            if binding is None:
                if value.form == "word" and kind in {"origin", "path"}:
                    self.report(self.undefined(value, kind))
                    continue
                if self.values_expanded == MAX_EXPANDED:
                    self.report(self.too_many_values(value))
                    return []  # reported; the rest of the file's checks stay fast
                self.values_expanded += 1
                result.append(value)
                continue
            self.used.add(binding.name)
            if binding.name in on_trail:
                cycle = " → ".join((*trail[trail.index(binding.name) :], binding.name))
                self.report(
                    d.CYCLIC_BINDING.at(
                        value.span,
                        f"`let` bindings refer to each other in a cycle: {cycle}",
                        "a binding may list other bindings, but never itself, directly or not",
                    )
                )
                continue
            previous = self.binding_kinds.setdefault(binding.name, (kind, value.span))
            if previous[0] != kind:
                self.report(
                    d.BINDING_KIND_CONFLICT.at(
                        value.span,
                        f"`{binding.name}` is used here as a list of {_KIND_WORDS[kind]} but "
                        f"elsewhere as a list of {_KIND_WORDS[previous[0]]}",
                        "use one binding per kind of list",
                        related=[d.Related(previous[1], f"used as {_KIND_WORDS[previous[0]]}")],
                    )
                )
                continue
            stack.append((iter(binding.values), binding.name))
            trail.append(binding.name)
            on_trail.add(binding.name)
        return result

    def too_many_values(self, value: Value) -> d.Diagnostic:
        return d.TOO_MANY_VALUES.at(
            value.span,
            f"the lists of this file expand to more than {MAX_EXPANDED:,} values here: its "
            "`let` bindings list one another over and over",
            "list each binding once where it is needed; a binding that names another twice "
            "doubles the list",
        )

    def expanded(self, statement: tuple[Span, tuple[Value, ...]], kind: ValueKind) -> list[Value]:
        """A list statement's values with bindings expanded, computed once per statement."""
        key = statement[0].start.offset
        values = self._expanded.get(key)
        if values is None:
            before = self.errors
            values = self._expanded[key] = self.expand(statement[1], kind)
            self._expansion_errors[key] = self.errors - before
        return values

    def expand_in_source_order(
        self, blocks: Iterable[Mapping[str, tuple[Span, tuple[Value, ...]]]]
    ) -> None:
        """Expand a policy's list statements in the order they are written, so a binding takes
        its kind from its first use in the file and a conflict is reported at the later one."""
        pending = [
            (statement, _KIND_OF_STATEMENT[name])
            for statements in blocks
            for name, statement in statements.items()
            if name in _KIND_OF_STATEMENT
        ]
        for statement, kind in sorted(pending, key=lambda item: item[0][0].start.offset):
            self.expanded(statement, kind)

    def undefined(self, value: Value, kind: ValueKind) -> d.Diagnostic:
        suggestion = did_you_mean(value.text, list(self.bindings))
        if kind == "origin":
            hint = f'origins are written in quotes: "https://{value.text}"'
        else:
            hint = f'paths are written in quotes: "/{value.text}"'
        return d.UNDEFINED_NAME.at(
            value.span,
            f"`{value.text}` is not defined",
            f"{suggestion} {hint}".strip() if suggestion else f"define it with `let`, or {hint}",
        )

    # -- policies --------------------------------------------------------------------------

    def lower_policy(self, tree: Tree[Token]) -> Policy:
        name_token, body = tree.children
        assert isinstance(name_token, Token) and isinstance(body, Tree)
        name = str(name_token.value)
        name_span = self.span_of(name_token)
        if not NAME_RE.fullmatch(name):
            self.report(_invalid_name("policy", name, name_span))
        statements = self.statements(body, "policy")
        blocks = [
            (block, self.statements(block.children[2], "block"))  # type: ignore[arg-type]
            for block in body.children
            if isinstance(block, Tree) and block.data == "origin_block"
        ]
        self.expand_in_source_order([statements, *(block[1] for block in blocks)])
        grant = self.grant(statements, name_span, None)
        paths = self.paths(statements.get("paths"))
        # Source order: list items at their `origins` statement (values from a `let` too),
        # blocks where they stand.
        ordered: list[tuple[int, int, AllowEntry]] = []
        errors_before = self.errors
        if "origins" in statements:
            errors_before -= self._expansion_errors[statements["origins"][0].start.offset]
            at = statements["origins"][0].start.offset
            for index, value in enumerate(self.expanded(statements["origins"], "origin")):
                pattern = self.pattern(value)
                if pattern is not None:
                    ordered.append((at, index, AllowEntry(pattern, grant, False, value.span)))
        for block, block_statements in blocks:
            entry = self.origin_block(block, block_statements, grant, name_span)
            if entry is not None:
                ordered.append((entry.span.start.offset, 0, entry))
        entries = [entry for _, _, entry in sorted(ordered, key=lambda item: item[:2])]
        origins_refused = self.errors > errors_before
        denies = []
        for value in self.expanded(statements.get("deny", (name_span, ())), "origin"):
            pattern = self.pattern(value)
            if pattern is None:
                continue
            if pattern.kind is PatternKind.ANY:
                self.report(
                    d.MISPLACED_STATEMENT.at(
                        value.span,
                        "`deny *` denies every origin",
                        "remove the policy, or deny specific origins",
                    )
                )
                continue
            denies.append(pattern)
        unlisted = self.choice(statements.get("unlisted"), name_span, Unlisted, Unlisted.PASS)
        status = self.preflight_status(statements.get("preflight-status"), name_span)
        return Policy(
            name=name,
            span=name_span,
            paths=paths,
            entries=tuple(entries),
            denies=tuple(denies),
            grant=grant,
            unlisted=unlisted,
            preflight_status=status,
            static_origin=_static_origin(entries, denies, unlisted.value, grant),
            origins_refused=origins_refused,
        )

    def statements(
        self, body: Tree[Token], where: Literal["policy", "block"]
    ) -> dict[str, tuple[Span, tuple[Value, ...]]]:
        """The block's statements by name (first occurrence), reporting duplicates, unknown
        names and statements that do not belong in this kind of block."""
        seen: dict[str, tuple[Span, tuple[Value, ...]]] = {}
        allowed = STATEMENTS if where == "policy" else BLOCK_STATEMENTS
        for child in body.children:
            assert isinstance(child, Tree)
            if child.data == "unknown_statement":
                word = child.children[0]
                assert isinstance(word, Token)
                self.report(self.unknown_statement(word, allowed))
                continue
            if child.data == "origin_block":
                if where == "block":
                    self.report(
                        d.MISPLACED_STATEMENT.at(
                            self.span_of(child.children[1]),
                            "an `origin` block cannot be nested in another",
                            "put each `origin` block directly inside the policy",
                        )
                    )
                continue
            name_tree, value_list = child.children
            assert isinstance(name_tree, Tree) and isinstance(value_list, Tree)
            name_token = name_tree.children[0]
            assert isinstance(name_token, Token)
            name = str(name_token.value)
            span = self.span_of(child)
            if name not in allowed:
                self.report(
                    d.MISPLACED_STATEMENT.at(
                        self.span_of(name_token),
                        f"`{name}` cannot be set inside an `origin` block",
                        "an `origin` block may set only "
                        + ", ".join(BLOCK_STATEMENTS)
                        + f"; move `{name}` to the policy",
                    )
                )
                continue
            if name in seen:
                self.report(
                    d.DUPLICATE_STATEMENT.at(
                        self.span_of(name_token),
                        f"`{name}` is set twice in this block",
                        f"merge the two `{name}` statements into one",
                        related=[d.Related(seen[name][0], "first set here")],
                    )
                )
                continue
            seen[name] = (span, self.values_of(value_list))
        return seen

    def unknown_statement(self, word: Token, allowed: Sequence[str]) -> d.Diagnostic:
        text = str(word.value)
        suggestion = did_you_mean(text, [*STATEMENTS, "origin"])
        return d.UNKNOWN_STATEMENT.at(
            self.span_of(word),
            f"unknown statement `{text}`",
            suggestion or "statements are " + ", ".join(allowed),
        )

    def origin_block(
        self,
        block: Tree[Token],
        statements: Mapping[str, tuple[Span, tuple[Value, ...]]],
        base: Grant,
        policy_span: Span,
    ) -> AllowEntry | None:
        keyword, target, _ = block.children
        assert isinstance(target, Tree)
        header_span = Span(self.source.name, self.span_of(keyword).start, self.span_of(target).end)
        grant = self.grant(statements, policy_span, base)
        token = target.children[-1]
        assert isinstance(token, Token)
        if target.data == "star":
            self.report(
                d.MISPLACED_STATEMENT.at(
                    self.span_of(target),
                    "an `origin` block needs a pattern, not `*`",
                    "set what every origin gets in the policy itself, next to `origins *`",
                )
            )
            return None
        value = Value(
            str(target.data),  # type: ignore[arg-type]
            _decode_string(token.value),
            self.span_of(target),
        )
        pattern = self.pattern(value)
        if pattern is None:
            return None
        return AllowEntry(pattern, grant, True, header_span)

    # -- values ----------------------------------------------------------------------------

    def pattern(self, value: Value) -> OriginPattern | None:
        if value.form == "star" or (value.form == "string" and value.text == "*"):
            return OriginPattern(PatternKind.ANY, "*", value.span)
        if value.form == "regex":
            return origins.regex_pattern(value.text, value.span)
        if value.form == "word":  # a method or header name where an origin belongs
            self.report(self.undefined(value, "origin"))
            return None
        parsed = origins.parse_pattern(value.text, value.span)
        if parsed.problem is not None:
            kind = (
                d.WILDCARD_NOT_LEADING_LABEL
                if parsed.problem.code == "wildcard-not-leading-label"
                else d.NOT_AN_ORIGIN
            )
            self.report(kind.at(value.span, parsed.problem.message, parsed.problem.help))
            return None
        if parsed.canonical_text is not None:
            fix_text = f'"{parsed.canonical_text}"'
            self.report(
                d.ORIGIN_NOT_CANONICAL.at(
                    value.span,
                    f'"{value.text}" is not how browsers send this origin: '
                    f"{parsed.why_not_canonical}",
                    f"write {fix_text}; it is compared byte for byte",
                    fixes=[d.Fix(f"write {fix_text}", (d.TextEdit(value.span, fix_text),))],
                )
            )
        return parsed.pattern

    def paths(self, statement: tuple[Span, tuple[Value, ...]] | None) -> tuple[PathPrefix, ...]:
        if statement is None:
            return ()
        result = []
        for value in self.expanded(statement, "path"):
            if value.form != "string" or not value.text.startswith("/"):
                shown = value.text if value.form != "string" else f'"{value.text}"'
                self.report(
                    d.INVALID_PATH.at(
                        value.span,
                        f"{shown} is not a path prefix",
                        'write an absolute path in quotes, such as "/api"; leave `paths` out '
                        "for a policy that covers every path",
                    )
                )
                continue
            if any(char.isspace() or not char.isprintable() for char in value.text):
                self.report(
                    d.INVALID_PATH.at(
                        value.span,
                        f'"{value.text}" contains spaces or control characters',
                        "write the path as it appears in requests, percent-encoded",
                    )
                )
                continue
            cut = next((char for char in value.text if char in "?#"), None)
            if cut is not None:
                # The request's path ends where its query or fragment starts: such a prefix
                # would silently govern the shorter path before the `?` or `#`.
                part = "query" if cut == "?" else "fragment"
                before = value.text.split(cut, 1)[0] or "/"
                self.report(
                    d.INVALID_PATH.at(
                        value.span,
                        f'"{value.text}" holds a {part} (`{cut}`): paths are matched without '
                        "their query or fragment",
                        f'write the path alone ("{before}"), or `%{ord(cut):02X}` for a `{cut}` '
                        "that is part of the path",
                    )
                )
                continue
            result.append(PathPrefix(normalize_prefix(value.text), value.text, value.span))
        return tuple(result)

    def grant(
        self,
        statements: Mapping[str, tuple[Span, tuple[Value, ...]]],
        default_span: Span,
        base: Grant | None,
    ) -> Grant:
        def pick(name: str, build, default):  # type: ignore[no-untyped-def]
            if name in statements:
                return build(statements[name])
            return default if base is None else getattr(base, name.replace("-", "_"))

        methods_default = TokenList(
            tuple(NameToken(m, default_span) for m in ("GET", "HEAD", "POST"))
        )
        return Grant(
            methods=pick(
                "methods",
                lambda s: self.token_list(s, "method"),
                Setting(methods_default, default_span, False),
            ),
            headers=pick(
                "headers",
                lambda s: self.token_list(s, "header"),
                Setting(TokenList(), default_span, False),
            ),
            expose=pick(
                "expose",
                lambda s: self.token_list(s, "header"),
                Setting(TokenList(), default_span, False),
            ),
            credentials=pick(
                "credentials", lambda s: self.boolean(s), Setting(False, default_span, False)
            ),
            max_age=pick("max-age", self.max_age, Setting(None, default_span, False)),
            private_network=pick(
                "private-network", lambda s: self.boolean(s), Setting(False, default_span, False)
            ),
        )

    def token_list(
        self, statement: tuple[Span, tuple[Value, ...]], kind: ValueKind
    ) -> Setting[TokenList]:
        span = statement[0]
        values = self.expanded(statement, kind)
        stars = [value for value in values if value.form == "star" or value.text == "*"]
        if stars:
            if len(values) > 1:
                self.report(
                    d.INVALID_VALUE.at(
                        stars[0].span,
                        "`*` must stand alone in its list",
                        "write `*` for every name, or list the names without `*`",
                    )
                )
            return Setting(TokenList((), True), span, True)
        items = []
        for value in values:
            if value.form == "regex":
                self.report(
                    d.INVALID_VALUE.at(
                        value.span,
                        f"a regex cannot name {_KIND_WORDS[kind]}",
                        "list the names, or `*`",
                    )
                )
                continue
            items.append(NameToken(value.text, value.span))
        return Setting(TokenList(tuple(items), False), span, True)

    def single(self, statement: tuple[Span, tuple[Value, ...]], name: str) -> Value | None:
        values = statement[1]
        if len(values) > 1:
            self.report(
                d.INVALID_VALUE.at(
                    values[1].span,
                    f"`{name}` takes one value",
                    f"keep one value: `{name} {values[0].text}`",
                )
            )
        return values[0] if values else None

    def boolean(self, statement: tuple[Span, tuple[Value, ...]]) -> Setting[bool]:
        span = statement[0]
        value = self.single(statement, "true/false")
        if value is None or value.form != "word" or value.text not in {"true", "false"}:
            shown = _shown(value)
            self.report(
                d.INVALID_VALUE.at(
                    value.span if value else span,
                    f"expected `true` or `false`, found {shown}",
                    "write `true` or `false`",
                )
            )
            return Setting(False, span, True)
        return Setting(value.text == "true", span, True)

    def choice(
        self,
        statement: tuple[Span, tuple[Value, ...]] | None,
        default_span: Span,
        enum_type: type[Unlisted],
        default: Unlisted,
    ) -> Setting[Unlisted]:
        if statement is None:
            return Setting(default, default_span, False)
        span = statement[0]
        value = self.single(statement, "unlisted")
        choices = [member.value for member in enum_type]
        if value is None or value.form != "word" or value.text not in choices:
            self.report(
                d.INVALID_VALUE.at(
                    value.span if value else span,
                    f"expected `pass` or `reject`, found {_shown(value)}",
                    "`unlisted pass` serves other origins without CORS headers; "
                    "`unlisted reject` answers them 403",
                )
            )
            return Setting(default, span, True)
        return Setting(enum_type(value.text), span, True)

    def max_age(self, statement: tuple[Span, tuple[Value, ...]]) -> Setting[int | None]:
        span = statement[0]
        value = self.single(statement, "max-age")
        match = DURATION_RE.fullmatch(value.text) if value and value.form == "word" else None
        if value is None or match is None:
            negative = value is not None and value.text.startswith("-")
            self.report(
                d.MAX_AGE_INVALID.at(
                    value.span if value else span,
                    f"max-age cannot be negative: {value.text}"
                    if negative and value
                    else f"expected a duration, found {_shown(value)}",
                    "write whole seconds (`600`) or one unit: `30s`, `10m`, `2h`, `1d`",
                )
            )
            return Setting(None, span, True)
        return Setting(int(match.group(1)) * _UNITS[match.group(2)], span, True)

    def preflight_status(
        self, statement: tuple[Span, tuple[Value, ...]] | None, default_span: Span
    ) -> Setting[int]:
        if statement is None:
            return Setting(204, default_span, False)
        span = statement[0]
        value = self.single(statement, "preflight-status")
        if value is None or value.form != "word" or value.text not in {"200", "204"}:
            self.report(
                d.PREFLIGHT_STATUS_INVALID.at(
                    value.span if value else span,
                    f"the preflight status must be 200 or 204, found {_shown(value)}",
                    "write `preflight-status 204` (the default) or `200` for old clients",
                )
            )
            return Setting(204, span, True)
        return Setting(int(value.text), span, True)

    def unused_bindings(self) -> None:
        for binding in self.bindings.values():
            if binding.name not in self.used:
                self.report(
                    d.UNUSED_BINDING.at(
                        binding.span,
                        f"`let {binding.name}` is never used",
                        "use it in a policy or remove it",
                    )
                )


def lower(
    source: Source, tree: Tree[Token], overrides: Sequence[Override] = ()
) -> tuple[PolicySet, list[d.Diagnostic]]:
    """Lower a parsed file. The policy set holds every policy that could be lowered."""
    lowering = _Lowering(source, overrides)
    items = [child for child in tree.children if isinstance(child, Tree)]
    lowering.collect_bindings(item for item in items if item.data == "let_binding")
    policies = [lowering.lower_policy(item) for item in items if item.data == "policy"]
    if not policies:
        lowering.report(
            d.NO_POLICY.at(
                source.span(0, 0),
                f"{source.name} defines no policy",
                'write one, for example `policy api { origins "https://app.example.com" }`',
            )
        )
    lowering.unused_bindings()
    return PolicySet(source.name, tuple(policies)), lowering.diagnostics


def _static_origin(
    entries: Sequence[AllowEntry], denies: Sequence[OriginPattern], unlisted: Unlisted, grant: Grant
) -> str | None:
    if unlisted is not Unlisted.PASS or denies or any(entry.block for entry in entries):
        return None
    if any(entry.pattern.kind is PatternKind.ANY for entry in entries):
        return None if grant.credentials.value else "*"
    if len(entries) == 1 and entries[0].pattern.kind is PatternKind.EXACT:
        return entries[0].pattern.canonical
    return None


def _decode_string(text: str) -> str:
    """A STRING token's value: quotes removed; ``\\"`` and ``\\\\`` unescaped, every other
    backslash kept as written."""
    if not (len(text) >= 2 and text[0] == '"' and text[-1] == '"'):
        return text
    inner = text[1:-1]
    return re.sub(r'\\(["\\])', r"\1", inner) if "\\" in inner else inner


def _invalid_name(what: str, name: str, span: Span) -> d.Diagnostic:
    suggestion = re.sub(r"[^a-z0-9_]", "_", name.lower())
    if not suggestion[:1].isalpha():
        suggestion = "p_" + suggestion
    return d.INVALID_NAME.at(
        span,
        f"`{name}` is not a valid {what} name",
        f"names are lowercase letters, digits and `_`, starting with a letter: `{suggestion}`",
    )


def _shown(value: Value | None) -> str:
    if value is None:
        return "nothing"
    if value.form == "string":
        return f'"{value.text}"'
    if value.form == "regex":
        return "a regex"
    return f"`{value.text}`"
