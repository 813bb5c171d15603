"""``let`` bindings and ``--set`` overrides: names that stand for lists of values.

Bindings are file-global and order-independent. ``--set NAME=VALUE[,VALUE…]`` replaces the
values of a binding the file defines. A word in a list that names a binding is replaced by the
binding's values, to any depth; a binding takes its kind (origins, methods, headers, paths)
from its first use in the file, and a use as another kind is an error, as is a cycle.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from attrs import frozen

from corsc import diagnostics as d
from corsc.language import (
    KIND_OF_STATEMENT,
    KIND_WORDS,
    NAME_RE,
    ValueKind,
    did_you_mean,
    name_problem,
)
from corsc.parse import terminal_regex
from corsc.records import fields_repr
from corsc.source import Source, Span, visible
from corsc.syntax import LetBinding, Statement, Value, decode_string

#: The most values the list statements of one file may hold once bindings are expanded: ten
#: times the largest policy corsc is measured on (100,000 origins).
MAX_EXPANDED = 1_000_000


@frozen
class Override:
    """A ``--set NAME=VALUE[,VALUE…]`` from the command line, with its own source for spans:
    ``span`` is the name's, ``values`` is never empty."""

    __repr__ = fields_repr

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
    if len(text) >= 2 and text[0] == text[-1] == '"' and terminal_regex("STRING").fullmatch(text):
        return decode_string(text)
    return text


class Bindings:
    """A file's ``let`` bindings with the ``--set`` overrides applied, and the expansion of
    its list statements.

    Each list statement is expanded once (:meth:`expand_in_source_order`, then
    :meth:`expanded` reads the result), and every problem goes to ``report``: an invalid or
    duplicate name, an override of no binding, an undefined name in a list of origins or
    paths, a cycle, a kind conflict, too many values (:data:`MAX_EXPANDED`)."""

    def __init__(
        self,
        lets: Iterable[LetBinding],
        overrides: Sequence[Override],
        file: str,
        report: list[d.Diagnostic],
    ) -> None:
        self._report = report
        self._bindings: dict[str, LetBinding] = {}
        self._kinds: dict[str, tuple[ValueKind, Span]] = {}  # the first use of each
        self._used: set[str] = set()
        self._expanded: dict[int, list[Value]] = {}  # by the statement's offset
        self._failed: set[int] = set()  # the statements whose expansion reported an error
        self._misnamed: set[str] = set()  # CORS007 already said what is wrong with them
        self._values_expanded = 0
        for binding in lets:
            problem = name_problem("binding", binding.name, binding.span)
            if problem is not None:
                report.append(problem)
                self._misnamed.add(binding.name)
            if binding.name in self._bindings:
                report.append(
                    d.DUPLICATE_BINDING.at(
                        binding.span,
                        f"`let {binding.name}` is defined twice",
                        "rename one of the bindings or merge their values",
                        related=[
                            d.Related(self._bindings[binding.name].span, "first defined here")
                        ],
                    )
                )
                continue
            self._bindings[binding.name] = binding
        for override in overrides:
            existing = self._bindings.get(override.name)
            if existing is None:
                report.append(
                    d.INVALID_OVERRIDE.at(
                        override.span,
                        f"`--set {override.name}` names no `let` binding in {file}",
                        did_you_mean(override.name, list(self._bindings))
                        or "`--set` replaces a binding the file defines with `let`",
                    )
                )
                continue
            self._bindings[override.name] = LetBinding(
                override.name, existing.span, override.values
            )

    def expand_in_source_order(self, statements: Iterable[Statement]) -> None:
        """Expand a policy's list statements in the order they are written, so a binding takes
        its kind from its first use in the file and a conflict is reported at the later one."""
        pending = [statement for statement in statements if statement.name in KIND_OF_STATEMENT]
        for statement in sorted(pending, key=lambda statement: statement.span.start.offset):
            self.expanded(statement)

    def expanded(self, statement: Statement) -> list[Value]:
        """A list statement's values with bindings expanded, computed once per statement."""
        key = statement.span.start.offset
        values = self._expanded.get(key)
        if values is None:
            before = len(self._report)
            values = self._expanded[key] = self._expand(
                statement.values, KIND_OF_STATEMENT[statement.name]
            )
            if any(item.severity is d.Severity.ERROR for item in self._report[before:]):
                self._failed.add(key)
        return values

    def failed(self, statement: Statement) -> bool:
        """Whether expanding ``statement`` reported an error (it has been expanded)."""
        return statement.span.start.offset in self._failed

    def _expand(self, values: Iterable[Value], kind: ValueKind) -> list[Value]:
        """Replace words naming bindings by their values, recording each binding's kind. A
        word in a list of origins or paths that names no binding is reported and dropped.

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
            binding = self._bindings.get(value.text) if value.form == "word" else None
            if binding is None:
                if value.form == "word" and kind in {"origin", "path"}:
                    self._report.append(self._undefined(value, kind))
                    continue
                if self._values_expanded == MAX_EXPANDED:
                    self._report.append(_too_many_values(value))
                    return []  # reported; the rest of the file's checks stay fast
                self._values_expanded += 1
                result.append(value)
                continue
            self._used.add(binding.name)
            if binding.name in on_trail:
                cycle = " → ".join((*trail[trail.index(binding.name) :], binding.name))
                self._report.append(
                    d.CYCLIC_BINDING.at(
                        value.span,
                        f"`let` bindings refer to each other in a cycle: {cycle}",
                        "a binding may list other bindings, but never itself, directly or not",
                    )
                )
                continue
            previous = self._kinds.setdefault(binding.name, (kind, value.span))
            if previous[0] != kind:
                self._report.append(
                    d.BINDING_KIND_CONFLICT.at(
                        value.span,
                        f"`{binding.name}` is used here as a list of {KIND_WORDS[kind]} but "
                        f"elsewhere as a list of {KIND_WORDS[previous[0]]}",
                        "use one binding per kind of list",
                        related=[d.Related(previous[1], f"used as {KIND_WORDS[previous[0]]}")],
                    )
                )
                continue
            stack.append((iter(binding.values), binding.name))
            trail.append(binding.name)
            on_trail.add(binding.name)
        return result

    def _undefined(self, value: Value, kind: ValueKind) -> d.Diagnostic:
        suggestion = did_you_mean(value.text, list(self._bindings))
        if kind == "origin":
            hint = _origin_hint(value.text)
        else:
            hint = f'paths are written in quotes: "/{value.text}"'
        return d.UNDEFINED_NAME.at(
            value.span,
            f"`{value.text}` is not defined",
            f"{suggestion} {hint}".strip() if suggestion else f"define it with `let`, or {hint}",
        )

    def report_unused(self) -> None:
        """Report each binding no expanded list used (run once every list is expanded), but
        not one whose name is already an error: renaming it comes first."""
        for binding in self._bindings.values():
            if binding.name not in self._used and binding.name not in self._misnamed:
                self._report.append(
                    d.UNUSED_BINDING.at(
                        binding.span,
                        f"`let {binding.name}` is never used",
                        "use it in a policy or remove it",
                    )
                )


def _origin_hint(word: str) -> str:
    """How an unquoted word in an origin list was probably meant: a host name (it has a dot,
    or is ``localhost``) quoted as an origin; anything else (a header or method name in the
    wrong list) gets an example, never an origin made from the word."""
    host = word.lower()
    if "." in host or host == "localhost":
        return f'origins are written in quotes: "https://{host}"'
    return 'origins are written in quotes, with their scheme: "https://app.example.com"'


def _too_many_values(value: Value) -> d.Diagnostic:
    return d.TOO_MANY_VALUES.at(
        value.span,
        f"the lists of this file expand to more than {MAX_EXPANDED:,} values here: its "
        "`let` bindings list one another over and over",
        "list each binding once where it is needed; a binding that names another twice "
        "doubles the list",
    )
