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
from corsc.imports.answers import (
    UNLISTED,
    Answer,
    Candidate,
    Opaque,
    Probes,
    evaluator_for,
    origin_shaped,
    read_level,
    regex_candidates,
    report,
)
from corsc.imports.draft import Draft, Findings, exact, policy_name
from corsc.imports.express_machine import Handwritten, Headers, cors_answer
from corsc.imports.javascript import UNKNOWN, Node, RegexLiteral, Values, flag, member, parse, walk
from corsc.source import Source

_VERBS = {"use", "all", "options", "get", "post", "put", "delete", "patch", "head"}
_FUNCTIONS = ("FunctionExpression", "ArrowFunctionExpression", "FunctionDeclaration")
_SERVER = "Express"


@define
class Layer:
    """One CORS handler of the app: ``cors`` options (literal values) or a middleware."""

    prefix: str | None  # ``None``: every path
    verb: str
    node: Node
    options: dict[str, Any] | None = None
    function: Node | None = None

    def applies(self, method: str) -> bool:
        if self.verb in ("use", "all"):
            return True
        return method == self.verb.upper() or (self.verb == "get" and method == "HEAD")


def _under(prefix: str | None, path: str | None) -> bool:
    if prefix is None:
        return True
    return path is not None and (path == prefix or path.startswith(prefix.rstrip("/") + "/"))


@define
class _App:
    findings: Findings
    tree: Node
    values: Values
    cors_names: set[str] = field(factory=set)
    layers: list[Layer] = field(factory=list)

    def read(self) -> list[Draft]:
        self.cors_names = _cors_names(self.tree)
        mounts = self._mounts()
        for node in walk(self.tree):
            parts = member(node.callee) if node.type == "CallExpression" else None
            if parts is None or len(parts) != 2 or parts[1] not in _VERBS:
                continue
            self._layers(node, parts[1], mounts.get(parts[0]))
        drafts: list[Draft] = []
        prefixes = list(dict.fromkeys(layer.prefix for layer in self.layers))
        for prefix in sorted(prefixes, key=lambda p: (p is not None, p or "")):
            chain = [layer for layer in self.layers if _under(layer.prefix, prefix)]
            draft = self._level(chain, prefix, [draft.name for draft in drafts])
            if draft is not None:
                drafts.append(draft)
        return drafts

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

    def _layers(self, call: Node, verb: str, mount: str | None) -> None:
        args = list(call.arguments)
        path: Any = None
        if args and self._handler(args[0]) is None:
            path = self.values.value(args[0])
            if isinstance(path, str | list) or (path is UNKNOWN and not _calls(args[0])):
                args = args[1:]
            else:
                path = None
        if not any(self._handler(argument) for argument in args):
            return
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
        head = path.split("*", 1)[0].split("(", 1)[0]
        segments = [s for s in head.split("/") if s]
        kept = []
        for segment in segments:
            if any(char in segment for char in ":?+"):
                break
            kept.append(segment)
        prefix = "/" + "/".join(kept)
        if verb != "use":
            flag(
                self.findings,
                d.IMPORT_ROUTE_PREFIX,
                call.arguments[0],
                f"the route {path} answers {verb.upper() if verb != 'all' else 'every method'} "
                f"on that path only; a policy's paths are prefixes, so the imported policy "
                f"governs {prefix} and every path below it, for every method",
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
            if key == "origin" and resolved.type in _FUNCTIONS:
                self._opaque(
                    resolved,
                    "the origin option is a function: which origins it allows is "
                    "decided by running it",
                )
                return None
            value = self.values.value(node)
            if value is UNKNOWN:
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

    # ---- a path's layers as a policy ----------------------------------------------------

    def _level(self, chain: list[Layer], prefix: str | None, taken: list[str]) -> Draft | None:
        first = chain[0].node
        start = first.range[0]
        draft = Draft(
            policy_name(prefix or "app", taken),
            self.findings.source.span(start, start),
            paths=[prefix] if prefix else [],
        )
        state: dict[str, Node] = {}

        def run(request: Mapping[str, str]) -> Answer:
            headers = Headers()
            for layer in chain:
                if not layer.applies(request["$request_method"]):
                    continue
                if layer.options is not None:
                    status = cors_answer(layer.options, request, headers)
                    node = layer.node
                else:
                    machine = Handwritten(self.values, layer.function, request)
                    machine.headers = headers
                    status = machine.run()
                    node = machine.answer_node or layer.node
                if status is not None:
                    state["answer"] = node
                    return Answer(status, tuple(headers.items))
            return Answer(None, tuple(headers.items))

        # One candidate per origin test, at the first layer that makes it.
        tests = list(
            {
                (test.entry, test.witnesses): test
                for layer in reversed(chain)
                for test in reversed(self._origin_tests(layer))
            }.values()
        )[::-1]
        probes = Probes.of(self._strings(chain))
        try:
            plain = run({"$request_method": "OPTIONS", "$http_origin": UNLISTED[0]})
            reflected = run({"$request_method": "GET", "$http_origin": UNLISTED[0]})
            reading = read_level(draft, run, tests, probes, evaluator_for(self.findings), _SERVER)
        except Opaque as problem:
            self.findings.at_line(
                d.IMPORT_NOT_EXPRESSED,
                problem.line,
                f"{problem.reason}, so corsc cannot tell which origins this app allows",
                "write the policy's origins and settings by hand",
            )
            return None
        report(self.findings, reading, _SERVER)
        self._answers_notes(chain, plain, reflected, state)
        if "*" in draft.origins and draft.grant.credentials:
            flag(
                self.findings,
                d.IMPORT_WILDCARD_CREDENTIALS,
                first,
                "credentials with an Allow-Origin that is `*` or every Origin: browsers refuse "
                "`*` with credentials, and a reflected Origin lets every site read the user's "
                "data",
                "name the origins trusted with credentials in the imported policy",
            )
        return None if draft.empty else draft

    def _answers_notes(
        self, chain: list[Layer], plain: Answer, reflected: Answer, state: dict[str, Node]
    ) -> None:
        if plain.status is not None and "answer" in state:
            node = state["answer"]
            flag(
                self.findings,
                d.IMPORT_OPTIONS_ANSWERED,
                node,
                f"every OPTIONS request is answered {plain.status} here, a preflight or not "
                "and whatever it asks; the app never sees a plain OPTIONS",
                "the imported policy answers preflights itself, granting only what it lists",
            )
        if reflected.header("access-control-allow-origin") == UNLISTED[0]:
            origin = next((layer for layer in chain), None)
            node = origin.node if origin is not None else self.tree
            for layer in chain:
                if layer.options is not None and layer.options.get("origin") is True:
                    node = layer.node
            flag(
                self.findings,
                d.IMPORT_REFLECTED_ORIGIN,
                node,
                "this sends back every request's Origin, unchecked: any site may read these "
                "responses (with the user's cookies, when credentials are allowed)",
                "the imported policy says `origins *`; replace it with the origins you trust",
            )
        for layer in chain:
            if layer.function is None:
                continue
            for call in walk(layer.function.body):
                if call.type == "CallExpression" and len(call.arguments) == 2:
                    name = self.values.value(call.arguments[0])
                    value = self.values.value(call.arguments[1])
                    if (
                        isinstance(name, str)
                        and name.lower() == "access-control-allow-origin"
                        and isinstance(value, str)
                    ):
                        flag(
                            self.findings,
                            d.IMPORT_STATIC_HEADERS,
                            call,
                            f"Access-Control-Allow-Origin {value} is sent to every request, "
                            "whatever its Origin",
                            "the imported policy means the same for browsers; the targets "
                            "corsc compiles it to answer only the origins it lists",
                        )

    def _origin_tests(self, layer: Layer) -> list[Candidate]:
        """The origins a layer tests: its strings and regexes that look like origins."""
        found: list[Candidate] = []
        if layer.options is not None:
            origin = layer.options.get("origin", "*")
            items = list(origin) if isinstance(origin, list) else [origin]
            line = layer.node.loc.start.line
        else:
            items = [self.values.value(n) for n in walk(layer.function) if _literal(n)]
            items += [
                self.values.value(n)
                for n in walk(layer.function)
                if n.type == "Identifier" and n.name in self.values.bindings
            ]
            line = layer.node.loc.start.line
        flat: list[Any] = []
        while items:
            item = items.pop(0)
            if isinstance(item, list):
                items[:0] = item
            else:
                flat.append(item)
        for item in flat:
            if isinstance(item, str) and item != "*" and origin_shaped(item):
                found.append(Candidate(exact(item), (item,), line))
            elif isinstance(item, RegexLiteral):
                # `\/` is ECMAScript's way to write `/` in a regex literal: the same `/`.
                pattern = re.sub(r"(?<!\\)((?:\\\\)*)\\/", r"\1/", item.pattern)
                found += regex_candidates(pattern, "i" in item.flags, item.node.loc.start.line)
        return found

    def _strings(self, chain: list[Layer]) -> list[str]:
        found: list[str] = []
        for layer in chain:
            values = (
                list(layer.options.values())
                if layer.options is not None
                else [self.values.value(n) for n in walk(layer.function) if _literal(n)]
            )
            for value in values:
                items = value if isinstance(value, list) else [value]
                found += [item for item in items if isinstance(item, str)]
        return found


def _calls(node: Node) -> bool:
    """Whether ``node`` is a function or a call (a handler, not a path)."""
    return node.type in (*_FUNCTIONS, "CallExpression")


def _literal(node: Node) -> bool:
    return node.type == "Literal" or (node.type == "TemplateLiteral" and not node.expressions)


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
    drafts = _App(findings, tree, Values(tree)).read()
    if not drafts and not findings.items:
        findings.add(
            d.IMPORT_NO_CORS,
            0,
            0,
            "this module uses no cors middleware and sets no Access-Control-* header",
            "import the module that sets up the app's CORS handling",
        )
    return drafts, findings.items
