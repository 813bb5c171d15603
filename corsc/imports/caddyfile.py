"""A Caddyfile's syntax as Caddy reads it: tokens (quoted and backquoted ones, comments, ``\\``
at a line's end) and nodes (``{`` opens the block of its line's node, ``}`` closes it).
"""

from __future__ import annotations

from collections.abc import Iterator

from attrs import define


@define
class Node:
    """One line of a Caddyfile: its tokens and the block it opens."""

    name: str
    args: list[str]
    line: int
    block: list[Node] | None = None


class CaddyfileError(Exception):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


def tokens(text: str) -> Iterator[tuple[str, int, bool]]:
    """Each token, its line and whether it starts a new line (a directive)."""
    index, line, fresh = 0, 1, True
    while index < len(text):
        char = text[index]
        if char == "\n":
            line, fresh, index = line + 1, True, index + 1
        elif char in " \t\r":
            index += 1
        elif char == "\\" and text[index + 1 : index + 2] == "\n":
            line, index = line + 1, index + 2
        elif char == "#" and (index == 0 or text[index - 1] in " \t\n"):
            while index < len(text) and text[index] != "\n":
                index += 1
        elif char in '"`':
            start, out, index = line, [], index + 1
            while True:
                if index >= len(text):
                    raise CaddyfileError(start, f"a token opened with {char} is never closed")
                if char == '"' and text[index] == "\\" and text[index + 1 : index + 2] == '"':
                    out.append('"')
                    index += 2
                    continue
                if text[index] == char:
                    index += 1
                    break
                line += text[index] == "\n"
                out.append(text[index])
                index += 1
            yield "".join(out), start, fresh
            fresh = False
        else:
            start_index = index
            while index < len(text) and text[index] not in " \t\r\n":
                index += 1
            word = text[start_index:index]
            yield ("\0" + word if word in ("{", "}") else word), line, fresh
            fresh = False


def parse(text: str) -> list[Node]:
    """The Caddyfile as nodes (``{`` opens the block of its line's node, ``}`` closes it)."""
    stack: list[list[Node]] = [[]]
    opened: list[int] = []
    current: Node | None = None
    for token, line, fresh in tokens(text):
        if token == "\0}":
            if len(stack) == 1:
                raise CaddyfileError(line, "a `}` closes no block")
            stack.pop()
            opened.pop()
            current = None
        elif token == "\0{":
            if current is None or current.line != line:
                current = Node("", [], line)
                stack[-1].append(current)
            current.block = []
            stack.append(current.block)
            opened.append(line)
            current = None
        elif fresh or current is None:
            current = Node(token, [], line)
            stack[-1].append(current)
        else:
            current.args.append(token)
    if opened:
        raise CaddyfileError(opened[-1], "a `{` opened here is never closed")
    return stack[0]


def walk(nodes: list[Node]) -> Iterator[Node]:
    """Every node of ``nodes``, each before the nodes of its block."""
    for node in nodes:
        yield node
        yield from walk(node.block or [])
