"""JavaScript read, never run: a module parsed by esprima (a pure-Python ECMAScript parser) and
the few values ``corsc import --from express`` needs read out of its syntax tree.

:func:`parse` gives the tree with every node's offsets in the text as Python indexes them (so a
diagnostic's span is exact), or a CORS701 finding. :class:`Values` reads literals — strings
(template literals without substitutions too), numbers, booleans, ``null``, ``undefined``,
arrays, ``new Set([…])``, objects with plain keys (and spreads of such objects) and regex
literals (:class:`RegexLiteral`) — and identifiers a
``const``/``let``/``var`` of the module binds to one; anything else (a call, ``process.env``,
a function) is :data:`UNKNOWN`, which the caller reports, since its value exists only when the
program runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import esprima  # type: ignore[import-untyped]
from attrs import frozen

from corsc import diagnostics as d
from corsc.imports.draft import Findings
from corsc.records import fields_repr

#: A JavaScript syntax tree node (esprima's ESTree objects).
Node = Any


class _Unknown:
    """What a value is when only running the program would tell."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()


def holds_unknown(value: Any) -> bool:
    """Whether ``value`` is, or holds, what only running the program would tell."""
    if isinstance(value, list):
        return any(holds_unknown(item) for item in value)
    if isinstance(value, dict):
        return any(holds_unknown(item) for item in value.values())
    if isinstance(value, JsSet):
        return any(holds_unknown(item) for item in value.items)
    return value is UNKNOWN


@frozen
class JsSet:
    """A ``new Set([…])`` of literals."""

    __repr__ = fields_repr

    items: tuple[Any, ...]


@frozen
class RegexLiteral:
    """A regex literal ``/pattern/flags``; ``node`` is where it is written."""

    __repr__ = fields_repr

    pattern: str
    flags: str
    node: Node


def parse(findings: Findings) -> Node | None:
    """The module's tree, or ``None`` and CORS701 at the first syntax error."""
    options = {"range": True, "loc": True, "positionEncoding": "scalar"}
    text = findings.source.text
    try:
        try:
            return esprima.parseScript(text, options)
        except esprima.Error:
            return esprima.parseModule(text, options)  # `import`/`export`: an ES module
    except esprima.Error as error:
        line = getattr(error, "lineNumber", 1) or 1
        reason = str(getattr(error, "description", "") or error)
    except RecursionError:
        line, reason = 1, "it nests deeper than corsc reads"
    findings.at_line(
        d.IMPORT_UNREADABLE,
        line,
        f"this is not JavaScript corsc can read: {reason}",
        "fix the syntax (`node --check` shows the same), then import again",
    )
    return None


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree under ``node`` (itself first), in source order."""
    for found, _ in walk_with_ancestors(node):
        yield found


def walk_with_ancestors(node: Node) -> Iterator[tuple[Node, list[Node]]]:
    """Every node under ``node`` (itself first), in source order, with the nodes it is in
    (outermost first)."""
    stack: list[tuple[Node, list[Node]]] = [(node, [])]
    while stack:
        current, ancestors = stack.pop()
        if not hasattr(current, "type"):
            continue
        yield current, ancestors
        inner = [*ancestors, current]
        children: list[Node] = []
        for key, value in vars(current).items():
            if key in ("range", "loc", "type") or key.startswith("_"):
                continue
            children += value if isinstance(value, list) else [value]
        stack.extend((child, inner) for child in reversed(children) if hasattr(child, "type"))


def flag(findings: Findings, kind: d.Kind, node: Node, message: str, help: str) -> None:
    """A finding at ``node``'s exact span."""
    start, end = node.range
    findings.add(kind, start, end, message, help)


def name_of(node: Node) -> str | None:
    """A property's key or a member's property, when it is written as a plain name."""
    if node is None:
        return None
    if node.type == "Identifier":
        return str(node.name)
    if node.type == "Literal" and isinstance(node.value, str):
        return node.value
    return None


def member(node: Node) -> tuple[str, ...] | None:
    """A dotted name (``app.use``, ``req.headers.origin``, ``req.headers["origin"]``) as its
    parts, ``None`` when it is not one."""
    parts: list[str] = []
    while node is not None and node.type == "MemberExpression":
        key = (
            name_of(node.property) if not node.computed or node.property.type == "Literal" else None
        )
        if key is None:
            return None
        parts.append(key)
        node = node.object
    if node is None or node.type not in ("Identifier", "ThisExpression"):
        return None
    parts.append("this" if node.type == "ThisExpression" else node.name)
    return tuple(reversed(parts))


class Values:
    """Literal values of a module, with its top-level bindings to literals."""

    def __init__(self, tree: Node) -> None:
        self.bindings: dict[str, Node] = {}
        for statement in tree.body:
            if statement.type != "VariableDeclaration":
                continue
            for declarator in statement.declarations:
                if declarator.id.type == "Identifier" and declarator.init is not None:
                    self.bindings[declarator.id.name] = declarator.init

    def resolve(self, node: Node, depth: int = 0) -> Node:
        """``node``, or the literal an identifier of the module is bound to."""
        while node is not None and node.type == "Identifier" and depth < 16:
            bound = self.bindings.get(node.name)
            if bound is None:
                return node
            node, depth = bound, depth + 1
        return node

    def value(self, node: Node, depth: int = 0) -> Any:
        """The literal ``node`` is, or :data:`UNKNOWN`."""
        if depth > 64:
            return UNKNOWN
        node = self.resolve(node)
        kind = node.type
        if kind == "Literal":
            regex = getattr(node, "regex", None)
            if regex is not None:
                return RegexLiteral(regex.pattern, regex.flags, node)
            return node.value
        if kind == "Identifier" and node.name == "undefined":
            return None
        if kind == "TemplateLiteral" and not node.expressions:
            return "".join(quasi.value.cooked for quasi in node.quasis)
        if kind == "UnaryExpression" and node.operator in ("-", "+", "!"):
            inner = self.value(node.argument, depth + 1)
            if node.operator == "!":
                return UNKNOWN if inner is UNKNOWN else not inner
            if isinstance(inner, int | float) and not isinstance(inner, bool):
                return -inner if node.operator == "-" else inner
            return UNKNOWN
        if kind == "NewExpression" and getattr(node.callee, "name", None) == "Set":
            items = self.value(node.arguments[0], depth + 1) if node.arguments else []
            return JsSet(tuple(items)) if isinstance(items, list) else UNKNOWN
        if kind == "ArrayExpression":
            items = []
            for element in node.elements:
                if element is None or element.type == "SpreadElement":
                    return UNKNOWN
                items.append(self.value(element, depth + 1))
            return items
        if kind == "ObjectExpression":
            properties = self.properties(node)
            if properties is None:
                return UNKNOWN
            return {key: self.value(item, depth + 1) for key, item in properties.items()}
        return UNKNOWN

    def properties(self, node: Node, depth: int = 0) -> dict[str, Node] | None:
        """An object literal's properties by key (the value nodes), ``None`` when ``node`` is
        no object literal or a key is computed (a spread, ``[name]``)."""
        node = self.resolve(node)
        if node is None or node.type != "ObjectExpression":
            return None
        found: dict[str, Node] = {}
        for prop in node.properties:
            if prop.type == "SpreadElement":  # `{ ...base, credentials: true }`
                spread = self.properties(prop.argument, depth + 1) if depth < 16 else None
                if spread is None:
                    return None
                found.update(spread)
                continue
            key = None if prop.type != "Property" or prop.computed else name_of(prop.key)
            if key is None:
                return None
            found[key] = prop.value
        return found
