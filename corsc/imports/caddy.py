"""Importing a Caddyfile (a site block, a snippet, corsc's own caddy output), read as text and
never run: Caddy is not started and no adapter is called.

The Caddyfile is split into tokens and blocks as Caddy does (:mod:`corsc.imports.caddyfile`),
then each site block — and each snippet no site of the file imports — that sets an
``Access-Control-*`` header is run request by request (:class:`Machine`): named matchers
(``method``, ``header``, ``header_regexp``, ``not``, ``vars``, ``vars_regexp`` as Caddy 2.6
tests it, ``path`` and ``path_regexp``), ``route`` (its directives in the order written),
``handle`` (the first of a level that matches), ``header`` (set, ``+`` add, ``-`` remove, ``?``
default, a regex ``find replace``, in one line or a block, with a matcher), ``vars``,
``respond`` with a status and ``import`` of a snippet of the same file. Outside ``route``,
directives run in Caddy's directive order. The policy is read from the answers
(:mod:`corsc.imports.answers`) at each path the block's path matchers tell apart
(:mod:`corsc.imports.caddy_paths`: a policy per prefix), and what the machine cannot know from
the request — a path matcher that names no prefix, an ``expression`` matcher, a placeholder
other than the request's headers, method and path, ``rewrite``, an ``import`` of another file
— is CORS703 at its line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from attrs import define, field, frozen

from corsc import diagnostics as d
from corsc.imports.answers import (
    UNLISTED,
    Answer,
    Candidate,
    Opaque,
    Probes,
    Run,
    evaluator_for,
    origin_shaped,
    pcre,
    read_level,
    regex_candidates,
)
from corsc.imports.caddy_paths import Readings, Sample, path_selects, prefixes, samples
from corsc.imports.caddyfile import CaddyfileError, Node, parse, walk
from corsc.imports.common import no_cors, unreadable
from corsc.imports.draft import Draft, Findings, exact
from corsc.records import fields_repr
from corsc.source import Source

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
        token, _ = _split_matcher(node.args)
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
        matcher, rest = _split_matcher(args)
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
            replacement = re.sub(r"\$\{?(\d+)\}?", r"\\g<\1>", self.text(values[1], line))
            self.headers = [
                (k, regex.sub(replacement, v) if k == field_name else v) for k, v in self.headers
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


def _split_matcher(args: list[str]) -> tuple[str | None, list[str]]:
    if args and (args[0].startswith("@") or args[0].startswith("/") or args[0] == "*"):
        return args[0], args[1:]
    return None, args


def _rank(node: Node) -> int:
    return _ORDER.index(node.name) if node.name in _ORDER else len(_ORDER)


@define
class _Reader:
    findings: Findings
    top: list[Node]
    drafts: list[Draft] = field(factory=list)

    def read(self) -> list[Draft]:
        snippets = snippets_of(self.top)
        imported = {node.args[0] for node in walk(self.top) if node.name == "import" and node.args}
        for node in self.top:
            if node.block is None:
                continue
            if node.name.startswith("("):
                name = node.name[1:-1]
                if name in imported:
                    continue
                label = name.removeprefix("corsc-")
            elif node.name == "" and not node.args:
                continue  # the global options
            else:
                label = "site"
            self.level(node, label, snippets)
        return self.drafts

    def level(self, node: Node, label: str, snippets: dict[str, list[Node]]) -> None:
        readings = Readings(self.findings, label, node.line)
        try:
            found = prepare(node, snippets)
            if found is None:
                return
            found.run({"$request_method": "GET", "$http_origin": UNLISTED[0]})
            for sample in found.samples:
                start = self.findings.line_offset(node.line)
                draft = Draft(label, self.findings.source.span(start, start))

                def run(request: Mapping[str, str], sample: Sample = sample) -> Answer:
                    return found.run(sample.request(request))

                check = evaluator_for(self.findings)
                reading = read_level(draft, run, found.tests, found.probes, check, "Caddy")
                readings.read.append((sample, reading))
        except Opaque as problem:
            self.findings.at_line(
                d.IMPORT_NOT_EXPRESSED,
                problem.line,
                f"{problem.reason}, so corsc cannot tell which origins this block allows",
                "write the policy's origins and settings by hand",
            )
            return
        self.drafts += readings.policies(lambda: [draft.name for draft in self.drafts])


def snippets_of(top: list[Node]) -> dict[str, list[Node]]:
    """The snippets ``(name) { … }`` of a Caddyfile, by name."""
    return {
        node.name[1:-1]: node.block or []
        for node in top
        if node.name.startswith("(") and node.name.endswith(")")
    }


@frozen
class Prepared:
    """A site block or snippet that sets CORS headers, ready to be asked: what it answers a
    request (at ``$uri``, ``/`` when the request names no path), its origin tests, the requests
    to ask and the paths to ask them at (the prefixes its matchers tell apart)."""

    __repr__ = fields_repr

    run: Run
    tests: list[Candidate]
    probes: Probes
    samples: list[Sample]


def prepare(node: Node, snippets: Mapping[str, list[Node]]) -> Prepared | None:
    """``node`` prepared (``None`` when it sets no CORS header); a path matcher that names no
    prefix is :class:`Opaque`."""
    block = node.block or []
    expanded = list(walk(block))
    seen_imports = {n.args[0] for n in expanded if n.name == "import" and n.args}
    for name in seen_imports & set(snippets):
        expanded += list(walk(snippets[name]))
    if not any(_sets_cors(item) for item in expanded):
        return None
    matchers = {item.name[1:]: item for item in expanded if item.name.startswith("@")}
    tests: list[Candidate] = []
    for item in expanded:
        tests += _origin_tests(item)
    values = [arg for item in expanded if item.name != "header_regexp" for arg in item.args]
    probes = Probes.of(value for value in values if "{" not in value)
    levels = [block, *(snippets[name] for name in sorted(seen_imports & set(snippets)))]

    def run(request: Mapping[str, str]) -> Answer:
        machine = Machine(matchers, snippets, request)
        outcome = machine.run(block, ordered=True)
        status = outcome if not isinstance(outcome, bool) else None
        return Answer(status, tuple(machine.headers))

    return Prepared(run, tests, probes, samples(prefixes(levels)))


def _sets_cors(node: Node) -> bool:
    if node.name in ("header", "+header"):
        _, rest = _split_matcher(node.args)
        if rest and rest[0].lstrip("+-?>").lower().startswith("access-control-"):
            return True
    return node.name.lstrip("+-?>").lower().startswith("access-control-")


def _origin_tests(node: Node) -> list[Candidate]:
    """The origins a matcher line tests, as candidates (``not`` ones too: a deny), and the one
    an Allow-Origin line sends when it names one."""
    args = node.args
    _, rest = _split_matcher(args) if node.name == "header" else (None, [node.name, *args])
    if len(rest) == 2 and rest[0].lstrip("+?").lower() == "access-control-allow-origin":
        sent = rest[1]
        if "{" not in sent and "*" not in sent and origin_shaped(sent):
            return [Candidate(exact(sent), (sent,), node.line)]
    if node.name.startswith("@") and args:  # a matcher defined on one line
        return _origin_tests(Node(args[0], args[1:], node.line))
    if node.name == "not" and args:
        return _origin_tests(Node(args[0], args[1:], node.line))
    if node.name == "header_regexp" and len(args) in (2, 3) and args[-2].lower() == "origin":
        return regex_candidates(args[-1], False, node.line)
    if node.name == "header" and len(args) >= 2 and args[0].lower() == "origin":
        found = []
        for value in args[1:]:
            if "*" not in value and origin_shaped(value):
                found.append(Candidate(exact(value), (value,), node.line))
            elif value.startswith("*.") and "*" not in value[1:]:
                found += [
                    Candidate(
                        exact(f"{scheme}://{value}"),
                        (f"{scheme}://a{value[1:]}", f"{scheme}://a.b{value[1:]}"),
                        node.line,
                    )
                    for scheme in ("https", "http")
                ]
        return found
    return []


def read(source: Source) -> tuple[list[Draft], list[d.Diagnostic]]:
    """The policies a Caddyfile means, and what it got wrong or could not mean."""
    findings = Findings(source)
    try:
        top = parse(source.text)
    except CaddyfileError as problem:
        unreadable(findings, problem.line, "Caddy", problem.reason, "caddy validate")
        return [], findings.items
    if top and all(node.block is None for node in top):
        top = [Node("site", [], 1, top)]  # directives alone: the inside of a site block
    drafts = _Reader(findings, top).read()
    if not drafts and not findings.items:
        no_cors(findings, "this Caddyfile")
    return drafts, findings.items
