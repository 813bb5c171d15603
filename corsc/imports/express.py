"""Importing an Express (Node.js) app's CORS handling from its JavaScript, read with esprima and
never run: no Node.js is started and nothing is evaluated.

A module corsc's express target wrote is read from its ``POLICIES`` data
(:mod:`corsc.imports.express_output`). Any other module is read as an app: each
``app.use``/``app.options``/``app.get``/… (``app`` any name: routers too, mounted with
``app.use("/p", router)``) whose handlers include ``cors(…)`` — its options written in the call
or bound by a ``const`` — or a middleware function that sets an ``Access-Control-*`` header is a
*layer*, for a path (``app.use`` a prefix; a route's path imported as the prefix it starts
with, CORS730) and the methods it answers. Each path with layers becomes a policy: its layers,
in source order, answer requests (:mod:`corsc.imports.express_machine`), and the policy is read
from those answers (:mod:`corsc.imports.answers`), which also checks it, so what no policy says
is CORS703 at the line it comes from. What the reader cannot know — an ``origin`` function,
options computed at run time — is CORS703 at its exact span.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from attrs import define, field

from corsc import diagnostics as d
from corsc.imports import express_output
from corsc.imports.draft import Draft, Findings
from corsc.imports.express_level import Layer, read_chain
from corsc.imports.javascript import (
    Node,
    Values,
    flag,
    holds_unknown,
    member,
    parse,
    walk,
    walk_with_ancestors,
)
from corsc.source import Source

_VERBS = {"use", "all", "options", "get", "post", "put", "delete", "patch", "head"}
_FUNCTIONS = ("FunctionExpression", "ArrowFunctionExpression", "FunctionDeclaration")
#: What makes a layer's setting-up depend on the program's state as it starts.
_CONDITIONS = {
    "IfStatement",
    "ConditionalExpression",
    "LogicalExpression",
    "SwitchCase",
    "WhileStatement",
    "ForStatement",
    "ForInStatement",
    "ForOfStatement",
}


def _under(prefix: str | None, path: str | None) -> bool:
    if prefix is None:
        return True
    return path is not None and (path == prefix or path.startswith(prefix.rstrip("/") + "/"))


@define
class App:
    """An Express app's CORS layers, found in its syntax tree, and the policies they mean."""

    findings: Findings
    tree: Node
    values: Values
    cors_names: set[str] = field(factory=set)
    layers: list[Layer] = field(factory=list)
    #: The spans of the conditions already reported.
    conditions: set[tuple[int, int]] = field(factory=set)

    def read(self) -> list[Draft]:
        drafts: list[Draft] = []
        for prefix, chain in self.chains():
            taken = [draft.name for draft in drafts]
            draft = read_chain(self.findings, self.values, chain, prefix, taken)
            if draft is not None:
                drafts.append(draft)
        return drafts

    def chains(self) -> list[tuple[str | None, list[Layer]]]:
        """Each path prefix the app's CORS layers name (``None``: every path), with the
        layers that run for it, in source order."""
        self.cors_names = _cors_names(self.tree)
        mounts = self._mounts()
        for node, ancestors in walk_with_ancestors(self.tree):
            parts = member(node.callee) if node.type == "CallExpression" else None
            if parts is None or len(parts) != 2 or parts[1] not in _VERBS:
                continue
            if self._layers(node, parts[1], mounts.get(parts[0])):
                self._conditional(node, ancestors)
        if not self.layers:
            self._exported()
        prefixes = list(dict.fromkeys(layer.prefix for layer in self.layers))
        return [
            (prefix, [layer for layer in self.layers if _under(layer.prefix, prefix)])
            for prefix in sorted(prefixes, key=lambda p: (p is not None, p or ""))
        ]

    def _exported(self) -> None:
        """A module of one CORS middleware and no app (``module.exports = (req, res, next) =>
        …``, ``export default function …``): read as the app that uses it for every path."""
        functions = [
            node
            for node in _exports(self.tree)
            if node.type in _FUNCTIONS and len(node.params) >= 2 and _sets_cors(node)
        ]
        if len(functions) == 1:
            self.layers.append(Layer(None, "use", functions[0], function=functions[0]))

    def _mounts(self) -> dict[str, str]:
        """Routers mounted at a path: ``app.use("/api", router)``."""
        found: dict[str, str] = {}
        for node in walk(self.tree):
            parts = member(node.callee) if node.type == "CallExpression" else None
            if parts and len(parts) == 2 and parts[1] == "use" and len(node.arguments) >= 2:
                path = self.values.value(node.arguments[0])
                for argument in node.arguments[1:]:
                    if argument.type == "Identifier" and isinstance(path, str):
                        found[argument.name] = path.rstrip("/") or "/"
        return found

    def _conditional(self, call: Node, ancestors: list[Node]) -> None:
        """CORS703 where a layer is added only when a condition holds as the app starts."""
        for ancestor in reversed(ancestors):
            test = getattr(ancestor, "test", None)
            if ancestor.type == "LogicalExpression":
                test = ancestor.left
            if test is not None and ancestor.type in _CONDITIONS:
                start, end = test.range
                if (start, end) in self.conditions:
                    return  # said once for every layer it sets up
                self.conditions.add((start, end))
                condition = self.findings.source.text[start:end]
                flag(
                    self.findings,
                    d.IMPORT_NOT_EXPRESSED,
                    test,
                    f"this CORS handling is set up only when `{condition}` holds as the app "
                    "starts; the imported policy has it always",
                    "check that the environment you import for sets it up, or leave it out of "
                    "the imported policy",
                )
                return

    def _layers(self, call: Node, verb: str, mount: str | None) -> bool:
        """The call's CORS layers, added; whether it has any."""
        args = list(call.arguments)
        path: Any = None
        first = args[0] if len(args) >= 2 else None
        if (
            first is not None
            and self._handler(first) is None
            and not _calls(first)
            and not (first.type == "Identifier" and first.name in self.cors_names)
        ):
            path, args = self.values.value(first), args[1:]
        for argument in args:
            if argument.type == "Identifier" and argument.name in self.cors_names:
                flag(
                    self.findings,
                    d.IMPORT_NOT_EXPRESSED,
                    argument,
                    f"{argument.name} itself is no middleware: Express calls it with the request "
                    "as its options, and the request is never answered",
                    f"call it: {argument.name}() or {argument.name}({{ origin: … }})",
                )
            elif self._handler(argument) is None and any(
                self._handler(inner) is not None for inner in walk(argument)
            ):
                flag(
                    self.findings,
                    d.IMPORT_NOT_EXPRESSED,
                    argument,
                    "the CORS handling here is chosen when the program runs; corsc reads the "
                    "app without running it",
                    "write the origins and settings into the imported policy by hand",
                )
        if not any(self._handler(argument) for argument in args):
            return False
        prefix = self._prefix(path, verb, call)
        if mount is not None and mount != "/":
            prefix = mount + (prefix or "") if prefix != "/" else mount
        for argument in args:
            handler = self._handler(argument)
            if handler is None:
                continue
            kind, node = handler
            if kind == "cors":
                options = self._options(node)
                if options is not None:
                    self.layers.append(Layer(prefix, verb, node, options=options))
            else:
                self.layers.append(Layer(prefix, verb, node, function=node))
        return True

    def _handler(self, node: Node) -> tuple[str, Node] | None:
        """A CORS handler among a call's arguments: a ``cors(…)`` call or a function that
        sets an Access-Control-* header (directly, or bound by name)."""
        node = self.values.resolve(node)
        if node is None:
            return None
        if node.type == "Identifier":
            node = _declared_function(self.tree, node.name) or node
        if node.type == "CallExpression" and getattr(node.callee, "name", None) in self.cors_names:
            return "cors", node
        if node.type in _FUNCTIONS and _sets_cors(node):
            return "function", node
        return None

    def _prefix(self, path: Any, verb: str, call: Node) -> str | None:
        if path is None or path in ("*", "/", "/*", "(.*)", "/(.*)"):
            return None
        if not isinstance(path, str) or not path.startswith("/"):
            flag(
                self.findings,
                d.IMPORT_NOT_EXPRESSED,
                call.arguments[0],
                "this path is not one corsc reads as a prefix (a regex, an array or a value "
                "computed at run time)",
                "the imported policy governs every path; give its paths by hand",
            )
            return None
        # The path's static start: up to a parameter (`:id`), a wildcard (`*`, Express 5's
        # `*splat`), an optional part (`{…}`, `?`) or a group.
        head = re.split(r"[*({]", path, maxsplit=1)[0]
        kept = []
        for segment in [s for s in head.split("/") if s]:
            if any(char in segment for char in ":?+"):
                break
            kept.append(segment)
        prefix = "/" + "/".join(kept)
        if verb != "use" or prefix != (path.rstrip("/") or "/"):
            flag(
                self.findings,
                d.IMPORT_ROUTE_PREFIX,
                call.arguments[0],
                f"{path} answers {_methods(verb)} on the paths it matches only; a policy's "
                f"paths are prefixes, so the imported policy governs {prefix} and every path "
                "below it, for every method",
                "check that those paths may share this policy",
            )
        return None if prefix == "/" else prefix

    def _options(self, call: Node) -> dict[str, Any] | None:
        """A ``cors(…)`` call's options as literals, ``None`` (and CORS703) when one is not."""
        if not call.arguments:
            return {}
        argument = self.values.resolve(call.arguments[0])
        if argument.type in _FUNCTIONS:
            self._opaque(argument, "cors is given a function that computes its options")
            return None
        properties = self.values.properties(argument)
        if properties is None:
            self._opaque(argument, "cors's options are computed when the program runs")
            return None
        options: dict[str, Any] = {}
        for key, node in properties.items():
            resolved = self.values.resolve(node)
            if resolved.type == "Identifier":
                resolved = _declared_function(self.tree, resolved.name) or resolved
            if key == "origin" and resolved.type in _FUNCTIONS:
                self._opaque(
                    resolved,
                    "the origin option is a function: which origins it allows is "
                    "decided by running it",
                )
                return None
            value = self.values.value(node)
            if holds_unknown(value):
                self._opaque(node, f"the {key} option is computed when the program runs")
                return None
            options[key] = value
        self._notes(options, properties, call)
        return options

    def _opaque(self, node: Node, reason: str) -> None:
        flag(
            self.findings,
            d.IMPORT_NOT_EXPRESSED,
            node,
            f"{reason}; corsc reads the app without running it",
            "write the origins and settings into the imported policy by hand",
        )

    def _notes(self, options: dict[str, Any], properties: Mapping[str, Node], call: Node) -> None:
        if options.get("preflightContinue") is True:
            flag(
                self.findings,
                d.IMPORT_HANDLER_CHANGE,
                properties["preflightContinue"],
                "preflightContinue hands each preflight on to the next handler, which answers it",
                "the imported policy answers preflights itself; check what the app's own "
                "OPTIONS handlers do",
            )
        status = options.get("optionsSuccessStatus", 204)
        if status not in (200, 204):
            flag(
                self.findings,
                d.IMPORT_INVALID_VALUE,
                properties["optionsSuccessStatus"],
                f"optionsSuccessStatus {status}: a policy answers preflights with 200 or 204",
                "the imported policy answers them with 204",
            )
        origin = options.get("origin", "*")
        if isinstance(origin, str) and origin != "*" and ("," in origin or " " in origin.strip()):
            flag(
                self.findings,
                d.IMPORT_SEVERAL_ORIGINS,
                properties["origin"],
                f"the origin {origin!r} is sent as it is: browsers take no list in one header",
                "give cors an array of origins",
            )


def _methods(verb: str) -> str:
    return "every method" if verb in ("use", "all") else verb.upper()


def _calls(node: Node) -> bool:
    """Whether ``node`` is a function or a call (a handler, not a path)."""
    return node.type in (*_FUNCTIONS, "CallExpression")


def _cors_names(tree: Node) -> set[str]:
    """The names the module gives the cors package (``const cors = require("cors")``,
    ``import cors from "cors"``); ``cors`` when it names none."""
    found = set()
    for node in walk(tree):
        if node.type == "VariableDeclarator" and node.init is not None:
            init = node.init
            if (
                init.type == "CallExpression"
                and getattr(init.callee, "name", None) == "require"
                and init.arguments
                and getattr(init.arguments[0], "value", None) == "cors"
                and node.id.type == "Identifier"
            ):
                found.add(node.id.name)
        if node.type == "ImportDeclaration" and node.source.value == "cors":
            found |= {spec.local.name for spec in node.specifiers}
    return found or {"cors"}


def _exports(tree: Node) -> list[Node]:
    """What a module exports: ``module.exports = …``, ``exports.name = …``, ``export default
    …`` and ``export function …`` (a name resolved to its function declaration)."""
    found: list[Node] = []
    for statement in tree.body:
        value = None
        if statement.type == "ExpressionStatement":
            expression = statement.expression
            target = member(expression.left) if expression.type == "AssignmentExpression" else None
            if target is not None and target[0] in ("module", "exports"):
                value = expression.right
        elif statement.type in ("ExportDefaultDeclaration", "ExportNamedDeclaration"):
            value = statement.declaration
        if value is not None and value.type == "Identifier":
            value = _declared_function(tree, value.name) or value
        if value is not None:
            found.append(value)
    return found


def _declared_function(tree: Node, name: str) -> Node | None:
    for statement in tree.body:
        if statement.type == "FunctionDeclaration" and statement.id.name == name:
            return statement
    return None


def _sets_cors(function: Node) -> bool:
    return any(
        node.type == "Literal"
        and isinstance(node.value, str)
        and node.value.lower().startswith("access-control-")
        for node in walk(function)
    )


def read(source: Source) -> tuple[list[Draft], list[d.Diagnostic]]:
    """The policies an Express module means, and what it got wrong or could not mean."""
    findings = Findings(source)
    tree = parse(findings)
    if tree is None:
        return [], findings.items
    data = express_output.policies_node(tree)
    if data is not None:
        return express_output.read(findings, tree, data), findings.items
    drafts = App(findings, tree, Values(tree)).read()
    if not drafts and not findings.items:
        findings.add(
            d.IMPORT_NO_CORS,
            0,
            0,
            "this module uses no cors middleware and sets no Access-Control-* header",
            "import the module that sets up the app's CORS handling",
        )
    return drafts, findings.items
