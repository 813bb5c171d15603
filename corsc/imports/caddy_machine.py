"""One request through a site block of a Caddyfile (:class:`Machine`), as Caddy runs it: the
status it answers and the response headers it sets.

Named matchers (``method``, ``header``, ``header_regexp``, ``not``, ``vars``, ``vars_regexp`` as
Caddy 2.6 tests it, ``path`` and ``path_regexp``), ``route`` (its directives in the order
written), ``handle`` (the first of a level that matches), ``header`` (set, ``+`` add, ``-``
remove, ``?`` default, a regex ``find replace``, in one line or a block, with a matcher),
``vars``, ``respond`` with a status and ``import`` of a snippet of the same file. Outside
``route``, directives run in Caddy's directive order. What the machine cannot know from the
request — an ``expression`` matcher, a placeholder other than the request's headers, method
and path, ``rewrite``, an ``import`` of another file — is :class:`Opaque` at its line, never a
guess.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from corsc.imports.caddy_paths import path_selects
from corsc.imports.caddyfile import Node
from corsc.imports.machine import GO_GROUPS, Opaque, pcre, substitute

#: Caddy's order of the directives of a site block outside ``route`` (the ones that matter
#: here; an application handler ends the chain).
_ORDER = ("vars", "header", "handle", "route", "respond")
_APPLICATION = {"reverse_proxy", "file_server", "php_fastcgi", "static_response", "templates"}
_IGNORED = {"encode", "log", "root", "tls", "handle_errors", "skip_log", "request_body"}
_OPAQUE = {"rewrite", "uri", "redir", "map", "try_files", "handle_path", "error", "abort"}
_REQUEST_HEADERS = {
    "origin": "$http_origin",
    "access-control-request-method": "$http_access_control_request_method",
    "access-control-request-headers": "$http_access_control_request_headers",
    "access-control-request-private-network": "$http_access_control_request_private_network",
}
_PLACEHOLDER = re.compile(r"\{([^{}\s]+)\}")


class Machine:
    """One request through a site block of a Caddyfile."""

    def __init__(
        self,
        matchers: Mapping[str, Node],
        snippets: Mapping[str, list[Node]],
        request: Mapping[str, str],
    ) -> None:
        self.matchers = matchers
        self.snippets = snippets
        self.request = request
        self.headers: list[tuple[str, str]] = []
        #: The line of the directive that set each header last, and of the `respond` that
        #: answered (0: none).
        self.lines: dict[str, int] = {}
        self.answered = 0
        self.vars: dict[str, str] = {}
        self.depth = 0
        #: The path as Caddy's path matchers read it (decoded, cleaned).
        self.path = request.get("$uri", "/")

    def field(self, name: str, line: int) -> str:
        variable = _REQUEST_HEADERS.get(name.lower())
        if variable is None:
            raise Opaque(line, f"the answer depends on the request header {name}")
        return self.request.get(variable, "")

    def text(self, value: str, line: int) -> str:
        def fill(found: re.Match[str]) -> str:
            key = found.group(1)
            for prefix in ("http.request.header.", "header."):
                if key.startswith(prefix):
                    return self.field(key[len(prefix) :], line)
            if key in ("http.request.method", "method"):
                return self.request.get("$request_method", "")
            if key in ("http.request.uri.path", "path"):
                return self.path
            if key in ("http.request.uri", "uri"):
                return self.request.get("$request_uri", self.path)
            for prefix in ("http.vars.", "vars."):
                if key.startswith(prefix):
                    return self.vars.get(key[len(prefix) :], "")
            raise Opaque(line, f"the placeholder {{{key}}} is nothing corsc can know")

        return _PLACEHOLDER.sub(fill, value)

    # ---- matchers ----------------------------------------------------------------------

    def matcher(self, node: Node) -> bool:
        """One matcher line of a matcher set."""
        name, args = node.name, node.args
        if name == "not":
            if node.block is not None:
                return not self.all_of(node.block)
            return not self.matcher(Node(args[0], args[1:], node.line)) if args else True
        if name == "method":
            return self.request.get("$request_method", "") in {a.upper() for a in args}
        if name == "header" and args:
            value = self.field(args[0], node.line)
            present = bool(value)
            if len(args) == 1:
                return not present
            return any(_header_matches(value, present, wanted) for wanted in args[1:])
        if name == "header_regexp" and len(args) in (2, 3):
            header, pattern = args[-2], args[-1]
            return pcre(pattern, False, node.line).search(self.field(header, node.line)) is not None
        if name == "path":
            return path_selects(args, self.path)
        if name == "path_regexp" and len(args) in (1, 2):
            return pcre(args[-1], False, node.line).search(self.path) is not None
        if name == "vars" and len(args) >= 2:
            key = args[0]
            found = self.text(key, node.line) if "{" in key else self.vars.get(key)
            return found is not None and found in {self.text(a, node.line) for a in args[1:]}
        if name == "vars_regexp" and len(args) in (2, 3):
            key, pattern = args[-2], args[-1]
            regex = pcre(pattern, False, node.line)
            # Caddy 2.6 first tests the variable the key names; a placeholder names none,
            # which reads as the text <nil>; then the key with its placeholders filled.
            variable = self.vars.get(key, "<nil>")
            return bool(regex.search(variable) or regex.search(self.text(key, node.line)))
        raise Opaque(node.line, f"the matcher `{name}` is one corsc cannot decide from a request")

    def matches(self, token: str | None, line: int) -> bool:
        if token is None or token == "*":
            return True
        if not token.startswith("@"):
            return path_selects([token], self.path)
        definition = self.matchers.get(token[1:])
        if definition is None:
            raise Opaque(line, f"the matcher {token} is not defined in this file")
        if definition.block is not None:
            return self.all_of(definition.block)
        return self.matcher(Node(definition.args[0], definition.args[1:], definition.line))

    def all_of(self, lines: list[Node]) -> bool:
        """A matcher set: its matchers AND-ed, the values of one header field OR-ed."""
        fields: dict[str, bool] = {}
        for item in lines:
            if item.name == "header" and len(item.args) >= 2:
                key = item.args[0].lower()
                fields[key] = fields.get(key, False) or self.matcher(item)
            elif item.name == "vars_regexp":
                # One vars_regexp matcher of a set: any of its keys matching admits.
                fields["vars_regexp"] = fields.get("vars_regexp", False) or self.matcher(item)
            elif not self.matcher(item):
                return False
        return all(fields.values())

    # ---- handlers ----------------------------------------------------------------------

    def run(self, nodes: list[Node], ordered: bool) -> int | bool:
        """Run ``nodes``; ``ordered`` is Caddy's directive order (outside ``route``). The
        result: a status when a handler answered, ``True`` when the application did, ``False``
        when the chain goes on."""
        self.depth += 1
        if self.depth > 32:
            raise Opaque(nodes[0].line if nodes else 1, "snippets import each other")
        try:
            expanded = self.expand(nodes)
            if ordered:
                expanded = sorted(expanded, key=self.order)
            handled = False
            for node in expanded:
                outcome = self.one(node, handled)
                if isinstance(outcome, str):
                    handled = True
                elif outcome is not False:
                    return outcome
            return False
        finally:
            self.depth -= 1

    def order(self, node: Node) -> tuple[int, int, int]:
        """Where Caddy runs ``node`` outside ``route``: by directive, then (among directives of
        one name) the longer first path of a lone matcher set first, then one with a matcher
        before one without (the Caddyfile adapter's sort, stable)."""
        token, _ = split_matcher(node.args)
        lines: list[Node] = []
        if token is not None and token.startswith("/"):
            lines = [Node("path", [token], node.line)]
        elif token is not None and token.startswith("@") and token[1:] in self.matchers:
            definition = self.matchers[token[1:]]
            lines = definition.block or [Node(definition.args[0], definition.args[1:], node.line)]
        length = next((len(item.args[0]) for item in lines if item.name == "path" and item.args), 0)
        return _rank(node), -length, 0 if token not in (None, "*") else 1

    def expand(self, nodes: list[Node]) -> list[Node]:
        out: list[Node] = []
        for node in nodes:
            if node.name == "import":
                name = node.args[0] if node.args else ""
                if name not in self.snippets:
                    raise Opaque(node.line, f"import {name} brings in a file corsc does not read")
                out += self.expand(self.snippets[name])
            elif node.name.startswith("@") or node.name.startswith("("):
                continue
            else:
                out.append(node)
        return out

    def one(self, node: Node, handled: bool) -> int | bool | str:
        name, args = node.name, node.args
        matcher, rest = split_matcher(args)
        if name in _IGNORED:
            return False
        if name == "vars":
            if self.matches(matcher, node.line):
                pairs = [(rest[0], rest[1])] if len(rest) == 2 else []
                pairs += [(item.name, item.args[0]) for item in node.block or [] if item.args]
                for key, value in pairs:
                    self.vars[key] = self.text(value, node.line)
            return False
        if name in _APPLICATION:
            return self.matches(matcher, node.line)
        if name in _OPAQUE:
            raise Opaque(node.line, f"{name} changes the request before corsc can tell its answer")
        if name == "header":
            if self.matches(matcher, node.line):
                lines = [(rest[0], rest[1:])] if rest else []
                lines += [(item.name, item.args) for item in node.block or []]
                for header, values in lines:
                    self.header(header, values, node.line)
            return False
        if name == "respond":
            if not self.matches(matcher, node.line):
                return False
            statuses = [item for item in rest if item.isdigit() and len(item) == 3]
            self.answered = node.line
            return int(statuses[-1]) if statuses else 200
        if name == "route":
            if not self.matches(matcher, node.line):
                return False
            return self.run(node.block or [], ordered=False)
        if name == "handle":
            if handled or not self.matches(matcher, node.line):
                return False
            outcome = self.run(node.block or [], ordered=True)
            return "handled" if outcome is False else outcome
        raise Opaque(node.line, f"the directive `{name}` is one corsc does not follow")

    def header(self, name: str, values: list[str], line: int) -> None:
        if name == "defer":
            return
        operation = name[0] if name[0] in "+-?>" else ""
        field_name = name[len(operation) :].lower()
        if operation == "-":
            self.headers = [(k, v) for k, v in self.headers if k != field_name]
            return
        if len(values) == 2 and not operation:
            # `Field find replace`: Go's regex replacement in the field's values.
            regex = pcre(values[0], False, line)
            template = self.text(values[1], line)
            self.headers = [
                (k, substitute(regex, GO_GROUPS, template, v) if k == field_name else v)
                for k, v in self.headers
            ]
            return
        if len(values) > 1:
            raise Opaque(line, f"header {name} replaces text in a value, which corsc does not read")
        value = self.text(values[0] if values else "", line)
        present = any(k == field_name for k, _ in self.headers)
        if operation == "?" and present:
            return
        if operation != "+":
            self.headers = [(k, v) for k, v in self.headers if k != field_name]
        self.headers.append((field_name, value))
        self.lines[field_name] = line


def _header_matches(value: str, present: bool, wanted: str) -> bool:
    if wanted == "*":
        return present
    if wanted.startswith("*") and wanted.endswith("*") and len(wanted) > 1:
        return wanted[1:-1] in value
    if wanted.startswith("*"):
        return value.endswith(wanted[1:])
    if wanted.endswith("*"):
        return value.startswith(wanted[:-1])
    return value == wanted


def split_matcher(args: list[str]) -> tuple[str | None, list[str]]:
    """A directive's matcher token (``@name``, a path, ``*``; ``None`` when it has none), and
    the arguments after it."""
    if args and (args[0].startswith("@") or args[0].startswith("/") or args[0] == "*"):
        return args[0], args[1:]
    return None, args


def _rank(node: Node) -> int:
    return _ORDER.index(node.name) if node.name in _ORDER else len(_ORDER)
