"""One request through an Express app's CORS middleware, computed from the JavaScript's syntax
tree, never by running it: the ``cors`` package (2.8, its options as literals) and hand-written
middleware that sets ``Access-Control-*`` headers.

:func:`cors_answer` is the ``cors`` package's own logic (lib/index.js of cors 2.8.5) on literal
options: its defaults (``origin: "*"``, the methods ``GET,HEAD,PUT,PATCH,POST,DELETE``, every
OPTIONS request answered ``204``), ``origin`` as ``"*"``, a fixed string (sent to every
request), ``true`` (the request's Origin reflected), ``false`` (CORS off), an array of strings
and regexes (a regex is *searched*, ``RegExp.prototype.test``), the requested headers reflected
when ``allowedHeaders`` is unset, and ``credentials``, ``exposedHeaders``, ``maxAge``,
``preflightContinue``, ``optionsSuccessStatus``. :class:`Handwritten` follows a middleware
function's statements: ``res.header``/``setHeader``/``set``/``append``, ``next()``,
``res.sendStatus``/``status().end()``/``send``/``end``, ``if`` on the method and the Origin
(``===``, ``includes``, ``indexOf``, ``Set.has``, ``RegExp.test``, ``startsWith``,
``endsWith``, ``&&``, ``||``, ``!``) and
``const`` bindings of the request's headers. Anything else raises
:class:`~corsc.imports.machine.Opaque` at its line: its answer needs the program run.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from corsc.imports.javascript import (
    JsSet,
    Node,
    RegexLiteral,
    Values,
    holds_unknown,
    member,
    name_of,
)
from corsc.imports.machine import Opaque, pcre

#: The request's headers a middleware may read, by their nginx names (as probes.py asks them).
REQUEST_FIELDS = {
    "origin": "$http_origin",
    "access-control-request-method": "$http_access_control_request_method",
    "access-control-request-headers": "$http_access_control_request_headers",
    "access-control-request-private-network": "$http_access_control_request_private_network",
}
CORS_DEFAULTS: dict[str, Any] = {
    "origin": "*",
    "methods": "GET,HEAD,PUT,PATCH,POST,DELETE",
    "preflightContinue": False,
    "optionsSuccessStatus": 204,
}


class Headers:
    """The response's headers as ``res.setHeader`` leaves them (lowercase names)."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def set(self, name: str, value: Any) -> None:
        key = name.lower()
        self.items = [(k, v) for k, v in self.items if k != key]
        self.append(key, value)

    def append(self, name: str, value: Any) -> None:
        values = value if isinstance(value, list) else [value]
        self.items += [(name.lower(), js_string(item)) for item in values]


def js_string(value: Any) -> str:
    """``String(value)`` as JavaScript writes it."""
    if value is True or value is False:
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ",".join(js_string(item) for item in value)
    return str(value)


def truthy(value: Any) -> bool:
    return value not in (None, False, 0, "") if not isinstance(value, list | dict) else True


def regex_test(regex: RegexLiteral, text: str) -> bool:
    """``regex.test(text)``: a search, as RegExp.prototype.test is."""
    line = regex.node.loc.start.line
    if set(regex.flags) & {"g", "y"}:
        raise Opaque(line, f"the regex /{regex.pattern}/{regex.flags} keeps its lastIndex "
                     "between tests, so its answers depend on the requests before")  # fmt: skip
    return pcre(python_pattern(regex.pattern), "i" in regex.flags, line).search(text) is not None


def python_pattern(pattern: str) -> str:
    r"""An ECMAScript regex literal's pattern as the Python regex that matches the same: ``\/``
    is ``/``, and a named group ``(?<name>…)`` matches as a group without a name."""
    pattern = re.sub(r"(?<!\\)((?:\\\\)*)\\/", r"\1/", pattern)
    return re.sub(r"(?<!\\)((?:\\\\)*)\(\?<(?![=!])[A-Za-z_$][\w$]*>", r"\1(?:", pattern)


def _allowed(origin: str, allowed: Any) -> bool:
    """cors's isOriginAllowed."""
    if isinstance(allowed, list):
        return any(_allowed(origin, item) for item in allowed)
    if isinstance(allowed, str):
        return origin == allowed
    if isinstance(allowed, RegexLiteral):
        return regex_test(allowed, origin)
    return truthy(allowed)


def cors_answer(
    options: Mapping[str, Any], request: Mapping[str, str], headers: Headers
) -> int | None:
    """What ``cors(options)`` does to ``request``: the headers it sets, and the status it
    answers with (``None``: it calls ``next()``)."""
    merged = {**CORS_DEFAULTS, **options}
    origin = merged["origin"]
    if not truthy(origin):
        return None  # `origin: false`: the package does nothing
    asked = request.get("$http_origin")
    if origin == "*":
        headers.set("Access-Control-Allow-Origin", "*")
    elif isinstance(origin, str):
        headers.set("Access-Control-Allow-Origin", origin)
    elif asked is not None and _allowed(asked, origin):
        headers.set("Access-Control-Allow-Origin", asked)
    if merged.get("credentials") is True:
        headers.set("Access-Control-Allow-Credentials", "true")
    expose = merged.get("exposedHeaders")
    preflight = request.get("$request_method") == "OPTIONS"
    if preflight:
        methods = merged["methods"]
        if truthy(methods):
            headers.set("Access-Control-Allow-Methods", js_string(methods))
        allowed = merged.get("allowedHeaders")
        allowed = allowed if truthy(allowed) else merged.get("headers")  # JavaScript's `||`
        if not truthy(allowed):
            allowed = request.get("$http_access_control_request_headers") or None
        if truthy(allowed) and js_string(allowed):
            headers.set("Access-Control-Allow-Headers", js_string(allowed))
        max_age = merged.get("maxAge")
        if (isinstance(max_age, int | float) and not isinstance(max_age, bool)) or truthy(max_age):
            headers.set("Access-Control-Max-Age", js_string(max_age))
    if truthy(expose) and js_string(expose):
        headers.set("Access-Control-Expose-Headers", js_string(expose))
    if not preflight or truthy(merged["preflightContinue"]):
        return None
    return status_of(merged["optionsSuccessStatus"], 1)


def status_of(value: Any, line: int) -> int:
    """A status a response is sent with; one Node.js would refuse is beyond the policy."""
    if isinstance(value, int | float) and not isinstance(value, bool) and 100 <= value <= 999:
        return int(value)
    raise Opaque(line, f"the status {js_string(value)} is not one Node.js sends")


class _Answered(Exception):
    """The middleware ended the response (``status``) or handed on (``None``: ``next()``)."""

    def __init__(self, status: int | None, node: Node) -> None:
        super().__init__(status)
        self.status = status
        self.node = node


_SETTERS = ("header", "setHeader", "set")
#: String methods a middleware tests the Origin with, as JavaScript has them (an absent
#: argument is the text "undefined").
_STRING_METHODS: dict[str, Callable[[str, str], Any]] = {
    "includes": lambda text, part: part in text,
    "startsWith": lambda text, part: text.startswith(part),
    "endsWith": lambda text, part: text.endswith(part),
    "indexOf": lambda text, part: text.find(part),
    "toLowerCase": lambda text, _: text.lower(),
    "toUpperCase": lambda text, _: text.upper(),
    "trim": lambda text, _: text.strip(" \t\n\r\f\v"),
}


class Handwritten:
    """One request through a middleware function ``(req, res, next) => { … }``."""

    def __init__(self, values: Values, function: Node, request: Mapping[str, str]) -> None:
        self.values = values
        self.request = request
        self.headers = Headers()
        names = [getattr(param, "name", None) for param in function.params]
        self.req, self.res, self.next = ([*names, None, None, None])[:3]
        self.locals: dict[str, Any] = {}
        self.status = 200
        #: Where the answer was given (``None``: it called ``next()``).
        self.answer_node: Node | None = None
        #: Where Access-Control-Allow-Origin was last set.
        self.origin_node: Node | None = None
        self.function = function

    def run(self) -> int | None:
        """The status the middleware answers with, ``None`` when it calls ``next()``."""
        body = self.function.body
        try:
            if body.type != "BlockStatement":
                self.expression(body)
            else:
                self.block(body.body)
        except _Answered as answered:
            self.answer_node = answered.node
            return answered.status
        raise Opaque(
            self.function.loc.end.line, "the middleware ends without calling next() or answering"
        )

    def block(self, statements: list[Node]) -> None:
        for statement in statements:
            self.statement(statement)

    def statement(self, node: Node) -> None:
        kind = node.type
        if kind == "ExpressionStatement":
            self.expression(node.expression)
        elif kind == "BlockStatement":
            self.block(node.body)
        elif kind == "IfStatement":
            if truthy(self.expression(node.test)):
                self.statement(node.consequent)
            elif node.alternate is not None:
                self.statement(node.alternate)
        elif kind == "ReturnStatement" and node.argument is not None:
            self.expression(node.argument)
            raise Opaque(node.loc.start.line, "the middleware returns without answering")
        elif kind == "VariableDeclaration":
            for declarator in node.declarations:
                if declarator.id.type != "Identifier":
                    raise Opaque(node.loc.start.line, "a destructuring corsc does not follow")
                value = None if declarator.init is None else self.expression(declarator.init)
                self.locals[declarator.id.name] = value
        elif kind != "EmptyStatement":
            raise Opaque(
                node.loc.start.line, f"the middleware's {kind} is code corsc does not follow"
            )

    def field(self, name: Any, node: Node) -> str | None:
        variable = REQUEST_FIELDS.get(str(name).lower())
        if variable is None:
            raise Opaque(node.loc.start.line, f"the answer depends on the request header {name}")
        return self.request.get(variable)

    def expression(self, node: Node) -> Any:
        kind = node.type
        line = node.loc.start.line
        if kind == "Identifier" and node.name in self.locals:
            return self.locals[node.name]
        if kind in ("LogicalExpression", "BinaryExpression"):
            left = self.expression(node.left)
            if node.operator == "&&":
                return self.expression(node.right) if truthy(left) else left
            if node.operator == "||":
                return left if truthy(left) else self.expression(node.right)
            if node.operator == "??":
                return left if left is not None else self.expression(node.right)
            return _compare(node.operator, left, self.expression(node.right), line)
        if kind == "UnaryExpression" and node.operator == "!":
            return not truthy(self.expression(node.argument))
        if kind == "MemberExpression":
            parts = member(node)
            if parts is not None and parts[0] == self.req:
                if parts[1:] == ("method",):
                    return self.request.get("$request_method")
                if len(parts) == 3 and parts[1] == "headers":
                    return self.field(parts[2], node)
            if parts == (self.res, "statusCode"):
                return self.status
        if kind == "AssignmentExpression" and member(node.left) == (self.res, "statusCode"):
            self.status = status_of(self.expression(node.right), line)
            return self.status
        if kind == "CallExpression":
            return self.call(node)
        if kind == "NewExpression" and getattr(node.callee, "name", None) == "Set":
            items = self.expression(node.arguments[0]) if node.arguments else []
            if not isinstance(items, list):
                raise Opaque(line, "a Set of values computed when the program runs")
            return JsSet(tuple(items))
        if kind == "ObjectExpression":
            properties = self.values.properties(node)
            if properties is not None:
                return {key: self.expression(item) for key, item in properties.items()}
        if kind == "ArrayExpression" and all(
            item is not None and item.type != "SpreadElement" for item in node.elements
        ):
            return [self.expression(item) for item in node.elements]
        value = self.values.value(node)
        if holds_unknown(value):
            raise Opaque(line, "a value of the middleware is computed when the program runs")
        return value

    def call(self, node: Node) -> Any:
        callee = node.callee
        line = node.loc.start.line
        if callee.type == "Identifier" and callee.name == self.next:
            raise _Answered(None, node)
        if callee.type != "MemberExpression":
            raise Opaque(line, "the middleware calls a function corsc does not follow")
        method = name_of(callee.property)
        target = callee.object
        args = node.arguments
        parts = member(callee)
        if parts is not None and parts[0] == self.req and method in ("header", "get") and args:
            return self.field(self.expression(args[0]), node)
        on_res = member(target) == (self.res,) or (
            target.type == "CallExpression" and self.call(target) is _RES
        )
        if on_res:
            return self.response(method, args, node)
        subject = self.expression(target)
        argument = self.expression(args[0]) if args else None
        if isinstance(subject, str) and method in _STRING_METHODS and len(args) <= 1:
            return _STRING_METHODS[method](subject, js_string(argument) if args else "undefined")
        if method == "includes" and isinstance(subject, list):
            return argument in subject
        if method == "indexOf" and isinstance(subject, list):
            return subject.index(argument) if argument in subject else -1
        if method == "has" and isinstance(subject, JsSet):
            return argument in subject.items
        if method == "test" and isinstance(subject, RegexLiteral):
            return regex_test(subject, js_string(argument))
        raise Opaque(line, f"the middleware calls .{method}(), which corsc does not follow")

    def response(self, method: str | None, args: list[Node], node: Node) -> Any:
        values = [self.expression(arg) for arg in args]
        if method in _SETTERS and len(values) == 2:
            self.headers.set(js_string(values[0]), values[1])
            if js_string(values[0]).lower() == "access-control-allow-origin":
                self.origin_node = node
        elif method in ("set", "header") and len(values) == 1 and isinstance(values[0], dict):
            for name, value in values[0].items():
                self.headers.set(name, value)
        elif method == "vary":
            pass  # Vary tells caches, not browsers, what the answer depends on
        elif method == "removeHeader" and len(values) == 1:
            key = js_string(values[0]).lower()
            self.headers.items = [(k, v) for k, v in self.headers.items if k != key]
        elif method == "append" and len(values) == 2:
            self.headers.append(js_string(values[0]), values[1])
        elif method == "status" and len(values) == 1:
            self.status = status_of(values[0], node.loc.start.line)
        elif method == "sendStatus" and len(values) == 1:
            raise _Answered(status_of(values[0], node.loc.start.line), node)
        elif method in ("end", "send", "json"):
            raise _Answered(self.status, node)
        else:
            raise Opaque(node.loc.start.line, f"res.{method}() is something corsc does not follow")
        return _RES


_RES = object()


def _compare(operator: str, left: Any, right: Any, line: int) -> Any:
    if operator in ("===", "=="):
        return left == right
    if operator in ("!==", "!="):
        return left != right
    numbers = all(isinstance(x, int | float) and not isinstance(x, bool) for x in (left, right))
    if numbers and operator in (">", ">=", "<", "<="):
        return {">": left > right, ">=": left >= right, "<": left < right, "<=": left <= right}[
            operator
        ]
    raise Opaque(line, f"the comparison {operator} is one corsc does not follow")
