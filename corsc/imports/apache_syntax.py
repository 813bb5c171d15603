"""An Apache httpd 2.4 configuration as Apache reads it: lines (``\\`` at a line's end joins
the next, ``#`` starts a comment only at a line's start), words (ap_getword_conf: ``"…"`` and
``'…'`` quote, ``\\"`` inside a quoted word is the quote), sections (``<Name args>`` …
``</Name>``), and the ap_expr expressions of ``<If>``, ``SetEnvIfExpr``, ``RewriteCond expr``
and ``Header … expr=``, parsed into a small tree and evaluated by the machine.

What always holds: the nodes keep the 1-based line each directive starts on; an expression
is parsed whole or refused (:class:`ExprError`), never half-read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from attrs import define

from corsc.imports.machine import Opaque, pcre


@define
class Node:
    """One directive (``block`` ``None``) or section (``block`` its contents) of a
    configuration; ``name`` keeps the case written, ``key`` is its lowercase."""

    name: str
    args: list[str]
    line: int
    block: list[Node] | None = None

    @property
    def key(self) -> str:
        return self.name.lower()


class ConfigError(Exception):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


def _lines(text: str) -> Iterator[tuple[str, int]]:
    """Each logical line (continuations joined) and the line it starts on."""
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip("\r")
        if not pending:
            start = number
        if line.endswith("\\") and not line.endswith("\\\\"):
            pending += line[:-1]
            continue
        yield pending + line, start
        pending = ""
    if pending:
        yield pending, start


def words(text: str) -> list[str]:
    """The words of a directive's arguments, as ap_getword_conf splits them."""
    out, index = [], 0
    while index < len(text):
        char = text[index]
        if char in " \t":
            index += 1
            continue
        if char in "\"'":
            quote, index, word = char, index + 1, []
            while index < len(text) and text[index] != quote:
                if text[index] == "\\" and text[index + 1 : index + 2] == quote:
                    index += 1
                word.append(text[index])
                index += 1
            out.append("".join(word))
            index += 1
        else:
            start = index
            while index < len(text) and text[index] not in " \t":
                index += 1
            out.append(text[start:index])
    return out


def parse(text: str) -> list[Node]:
    """The configuration as nodes; an unclosed or mismatched section is :class:`ConfigError`."""
    stack: list[tuple[Node, list[Node]]] = []
    top: list[Node] = []
    for line, number in _lines(text.lstrip("\ufeff")):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        current = stack[-1][1] if stack else top
        if stripped.startswith("</"):
            name = stripped[2:].rstrip(">").strip()
            if not stack:
                raise ConfigError(number, f"</{name}> closes no section")
            if stack[-1][0].key != name.lower():
                opened = stack[-1][0]
                raise ConfigError(
                    number, f"</{name}> closes <{opened.name}> (opened on line {opened.line})"
                )
            stack.pop()
        elif stripped.startswith("<"):
            if not stripped.endswith(">"):
                raise ConfigError(number, f"the section {stripped.split()[0]} lacks its `>`")
            inner = stripped[1:-1]
            name, _, rest = inner.partition(" ")
            name, _, tail = name.partition("\t")
            node = Node(name, words((tail + " " + rest).strip()), number, [])
            current.append(node)
            assert node.block is not None
            stack.append((node, node.block))
        else:
            name, _, rest = stripped.replace("\t", " ", 1).partition(" ")
            current.append(Node(name, words(rest), number))
    if stack:
        opened = stack[-1][0]
        raise ConfigError(opened.line, f"<{opened.name}> opened here is never closed")
    return top


def walk(nodes: list[Node]) -> Iterator[Node]:
    for node in nodes:
        yield node
        yield from walk(node.block or [])


# ---- ap_expr ---------------------------------------------------------------------------------


class ExprError(Exception):
    """An expression corsc does not read (its syntax, or a part it does not follow)."""


_TOKEN = re.compile(
    r"\s*(?:(?P<op>&&|\|\||==|!=|=~|!~|<=|>=|[()!{},<>.])"
    r"|(?P<dash>-[A-Za-z]+)"
    r"|(?P<string>'(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\")"
    r"|(?P<var>%\{[^}]*\})"
    r"|(?P<ref>\$[0-9])"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*|[0-9]+))"
)
#: ``m#…#i``, ``m/…/``, ``/…/``: the regex after ``=~``/``!~``.
_REGEX = re.compile(r"\s*(?:m(?P<sep>[^\sA-Za-z0-9])|(?P<slash>/))")

Expr = tuple[Any, ...]


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.index = 0

    def peek(self) -> tuple[str, str] | None:
        if not self.text[self.index :].strip():
            return None
        found = _TOKEN.match(self.text, self.index)
        if found is None:
            raise ExprError(f"`{self.text[self.index :].strip()[:20]}` is not ap_expr syntax")
        kind = found.lastgroup or ""
        return kind, found.group(kind)

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise ExprError("the expression ends too early")
        found = _TOKEN.match(self.text, self.index)
        assert found is not None
        self.index = found.end()
        return token

    def expect(self, op: str) -> None:
        if self.take() != ("op", op):
            raise ExprError(f"`{op}` expected")

    def condition(self) -> Expr:
        left = self.conjunction()
        while self.peek() == ("op", "||"):
            self.take()
            left = ("or", left, self.conjunction())
        return left

    def conjunction(self) -> Expr:
        left = self.unary()
        while self.peek() == ("op", "&&"):
            self.take()
            left = ("and", left, self.unary())
        return left

    def unary(self) -> Expr:
        token = self.peek()
        if token == ("op", "!"):
            self.take()
            return ("not", self.unary())
        if token == ("op", "("):
            self.take()
            inner = self.condition()
            self.expect(")")
            return inner
        if token in (("word", "true"), ("word", "false")):
            self.take()
            return ("const", token[1] == "true")
        if token is not None and token[0] == "dash":
            self.take()
            return ("unary", token[1], self.word())
        left = self.word()
        token = self.take()
        if token[0] == "op" and token[1] in ("==", "!=", "<", "<=", ">", ">="):
            return ("compare", token[1], left, self.word())
        if token[0] == "op" and token[1] in ("=~", "!~"):
            return ("match", token[1] == "!~", left, self.regex())
        if token == ("dash", "-in"):
            self.expect("{")
            items = [self.word()]
            while self.peek() == ("op", ","):
                self.take()
                items.append(self.word())
            self.expect("}")
            return ("in", left, tuple(items))
        if token[0] == "dash" and token[1] in ("-eq", "-ne", "-lt", "-le", "-gt", "-ge"):
            return ("number", token[1], left, self.word())
        raise ExprError(f"the operator `{token[1]}` is not one corsc follows")

    def regex(self) -> Expr:
        found = _REGEX.match(self.text, self.index)
        if found is None:
            raise ExprError("a regex (`m#…#` or `/…/`) expected after =~")
        separator = found.group("sep") or "/"
        end = self.text.find(separator, found.end())
        while end > 0 and self.text[end - 1] == "\\" and separator == "/":
            end = self.text.find(separator, end + 1)
        if end < 0:
            raise ExprError("the regex is never closed")
        pattern = self.text[found.end() : end]
        flags = re.match(r"[a-z]*", self.text[end + 1 :])
        self.index = end + 1 + (flags.end() if flags else 0)
        return ("regex", pattern, "i" in (flags.group(0) if flags else ""))

    def word(self) -> Expr:
        left = self.single()
        while self.peek() == ("op", "."):
            self.take()
            left = ("concat", left, self.single())
        return left

    def single(self) -> Expr:
        kind, text = self.take()
        if kind == "string":
            return ("string", string_parts(_unescape(text[1:-1])))
        if kind == "var":
            return variable(text[2:-1])
        if kind == "ref":
            return ("ref", int(text[1]))
        if kind == "word" and text.isdigit():
            return ("literal", text)
        if kind == "word" and self.peek() == ("op", "("):
            self.take()
            argument = self.word()
            self.expect(")")
            return ("call", text.lower(), argument)
        raise ExprError(f"`{text}` is no word of an expression")


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def variable(inside: str) -> Expr:
    """``%{NAME}`` or ``%{func:arg}``."""
    name, colon, argument = inside.partition(":")
    if colon:
        return ("call", name.lower(), ("literal", argument))
    return ("var", name.upper())


def string_parts(text: str) -> Expr:
    """A string with ``%{…}`` and ``$N`` interpolated, as parts."""
    parts: list[Expr] = []
    for found in re.finditer(r"%\{([^}]*)\}|\$([0-9])|((?:[^%$]|%(?!\{)|\$(?![0-9]))+)", text):
        if found.group(1) is not None:
            parts.append(variable(found.group(1)))
        elif found.group(2) is not None:
            parts.append(("ref", int(found.group(2))))
        else:
            parts.append(("literal", found.group(3)))
    return tuple(parts)


def parse_expr(text: str) -> Expr:
    """A boolean ap_expr expression."""
    parser = _Parser(text)
    tree = parser.condition()
    if parser.peek() is not None:
        raise ExprError(f"`{text[parser.index :].strip()[:20]}` follows a whole expression")
    return tree


def parse_string(text: str) -> Expr:
    """A string ap_expr expression (the value of ``Header … "expr=…"``)."""
    return ("string", string_parts(text))


#: A function of an expression: its lowercase name and argument to its value.
Lookup = Callable[[str, str], str]


class Evaluation:
    """One expression evaluated for a request: ``call`` looks functions (``req``,
    ``reqenv``, …) and variables (``("var", NAME)``) up; ``refs`` are the groups of the
    last regex matched."""

    def __init__(self, call: Lookup, line: int) -> None:
        self.call = call
        self.line = line
        self.refs: list[str] = []

    def truth(self, tree: Expr) -> bool:
        kind = tree[0]
        if kind == "const":
            return bool(tree[1])
        if kind == "not":
            return not self.truth(tree[1])
        if kind == "and":
            return self.truth(tree[1]) and self.truth(tree[2])
        if kind == "or":
            return self.truth(tree[1]) or self.truth(tree[2])
        if kind == "unary":
            value = self.text(tree[2])
            if tree[1] == "-n":
                return value != ""
            if tree[1] == "-z":
                return value == ""
            raise Opaque(self.line, f"the test {tree[1]} is nothing corsc can know")
        if kind == "compare":
            left, right = self.text(tree[2]), self.text(tree[3])
            return {
                "==": left == right,
                "!=": left != right,
                "<": left < right,
                "<=": left <= right,
                ">": left > right,
                ">=": left >= right,
            }[tree[1]]
        if kind == "number":
            try:
                low, high = int(self.text(tree[2])), int(self.text(tree[3]))
            except ValueError:
                return False
            return {
                "-eq": low == high,
                "-ne": low != high,
                "-lt": low < high,
                "-le": low <= high,
                "-gt": low > high,
                "-ge": low >= high,
            }[tree[1]]
        if kind == "in":
            return self.text(tree[1]) in {self.text(item) for item in tree[2]}
        if kind == "match":
            _, pattern, ignore_case = tree[3]
            found = pcre(pattern, ignore_case, self.line).search(self.text(tree[2]))
            if found is not None:
                self.refs = [found.group(0), *(group or "" for group in found.groups())]
            return (found is not None) != tree[1]
        raise ExprError(f"`{kind}` is not a condition")

    def text(self, tree: Expr) -> str:
        kind = tree[0]
        if kind == "literal":
            return str(tree[1])
        if kind == "string":
            return "".join(self.text(part) for part in tree[1])
        if kind == "concat":
            return self.text(tree[1]) + self.text(tree[2])
        if kind == "ref":
            return self.refs[tree[1]] if tree[1] < len(self.refs) else ""
        if kind == "var":
            return self.call("var", tree[1])
        if kind == "call":
            return self.call(tree[1], self.text(tree[2]))
        raise ExprError(f"`{kind}` is not a word")
