"""Importing a Caddyfile (a site block, a snippet, corsc's own caddy output), read as text and
never run: Caddy is not started and no adapter is called.

The Caddyfile is split into tokens and blocks as Caddy does (:mod:`corsc.imports.caddyfile`),
then each site block — and each snippet no site of the file imports — that sets an
``Access-Control-*`` header is run request by request (:mod:`corsc.imports.caddy_machine`).
The policy is read from the answers (:mod:`corsc.imports.answers`) at each path the block's
path matchers tell apart (:mod:`corsc.imports.caddy_paths`), a policy per prefix
(:mod:`corsc.imports.caddy_path_policies`), and what the machine cannot know from the
request — a path matcher that names no prefix, an ``expression`` matcher, a placeholder other
than the request's headers, method and path, ``rewrite``, an ``import`` of another file — is
CORS703 at its line.
"""

from __future__ import annotations

from collections.abc import Mapping

from attrs import define, field, frozen

from corsc import diagnostics as d
from corsc.imports.answers import read_level
from corsc.imports.answers_check import evaluator_for
from corsc.imports.caddy_machine import Machine, split_matcher
from corsc.imports.caddy_path_policies import Readings
from corsc.imports.caddy_paths import Sample, prefixes, samples
from corsc.imports.caddyfile import CaddyfileError, Node, parse, walk
from corsc.imports.common import no_cors, origin_entries, unreadable
from corsc.imports.draft import Draft, Findings, exact
from corsc.imports.machine import Answer, Opaque, Run
from corsc.imports.pitfalls import Sent, Trace, Traced, answers_checked, several_meant
from corsc.imports.probes import UNLISTED, Probes
from corsc.imports.witnesses import Candidate, origin_shaped, regex_candidates
from corsc.records import fields_repr
from corsc.source import Source


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
        reported: set[tuple[str, int]] = set()

        def flag(kind: d.Kind, line: int, message: str, help: str) -> None:
            # Asked at each path the block tells apart: a finding is reported once.
            if (kind.code, line) not in reported:
                reported.add((kind.code, line))
                self.findings.at_line(kind, line or node.line, message, help)

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

                def trace(request: Mapping[str, str], sample: Sample = sample) -> Sent:
                    return found.trace(sample.request(request))

                several = answers_checked(
                    flag,
                    trace,
                    found.tests,
                    "set it once (`header Name value`, not `+Name` beside another)",
                )
                check = evaluator_for(self.findings)
                reading = read_level(draft, run, found.tests, found.probes, check, "Caddy")
                if several and draft.empty:
                    several_meant(draft, several, run, found.probes)
                    reading.findings = []
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
    #: The same, with the line of each header's directive and of the answering `respond`.
    trace: Trace
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

    def trace(request: Mapping[str, str]) -> Traced:
        machine = Machine(matchers, snippets, request)
        outcome = machine.run(block, ordered=True)
        status = outcome if not isinstance(outcome, bool) else None
        headers = tuple((k, v, machine.lines.get(k, 0)) for k, v in machine.headers)
        return Traced(status, headers, machine.answered)

    def run(request: Mapping[str, str]) -> Answer:
        traced = trace(request)
        return Answer(traced.status, tuple((k, v) for k, v, _ in traced.headers))

    return Prepared(run, trace, tests, probes, samples(prefixes(levels)))


def _sets_cors(node: Node) -> bool:
    if node.name in ("header", "+header"):
        _, rest = split_matcher(node.args)
        if rest and rest[0].lstrip("+-?>").lower().startswith("access-control-"):
            return True
    return node.name.lstrip("+-?>").lower().startswith("access-control-")


def _origin_tests(node: Node) -> list[Candidate]:
    """The origins a matcher line tests, as candidates (``not`` ones too: a deny), and the one
    an Allow-Origin line sends when it names one."""
    args = node.args
    _, rest = split_matcher(args) if node.name == "header" else (None, [node.name, *args])
    if len(rest) == 2 and rest[0].lstrip("+?").lower() == "access-control-allow-origin":
        sent = rest[1]
        if (
            "{" not in sent
            and "*" not in sent
            and len(origin_entries(sent)) == 1
            and origin_shaped(sent)
        ):
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
