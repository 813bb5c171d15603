"""Importing an Apache httpd 2.4 configuration (a ``<VirtualHost>``, a file it includes, a
``.htaccess``, corsc's own apache output), read as text and never run.

The file is read as Apache reads it (:mod:`corsc.imports.apache_syntax`); each
``<VirtualHost>`` (with the server-level directives around it), or the whole file when it has
none, that sets an ``Access-Control-*`` header is run request by request by
:mod:`corsc.imports.apache_machine`, and the policy is read from its answers
(:mod:`corsc.imports.answers`). The paths a ``<Location>`` or a ``RewriteRule "^/api(?:/|\\z)"``
singles out are asked too: paths answered alike share a policy, with those prefixes as its
``paths``; the rest of the site is the policy without paths. A file named ``.htaccess`` is
read in directory context (rewrite patterns see the path without its ``/``).

What the machine cannot know is CORS703 at its line; Apache's own pitfalls are findings of
their own: several origins in one Allow-Origin (CORS704), an Origin sent back unchecked
(CORS705), an unanchored origin regex (CORS706), every OPTIONS answered (CORS708), a CORS
header sent twice (CORS710), ``*`` with credentials (CORS711), ``Header`` without ``always``
(CORS712).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from attrs import define, field

from corsc import diagnostics as d
from corsc.imports.answers import read_level, report
from corsc.imports.answers_check import evaluator_for
from corsc.imports.apache_machine import FOLLOWED, Machine, flatten
from corsc.imports.apache_syntax import ConfigError, Node, parse, walk
from corsc.imports.apache_tests import candidates, header_parts, sets_cors
from corsc.imports.common import no_cors, unreadable
from corsc.imports.draft import Draft, Findings, policy_name
from corsc.imports.machine import Answer, Opaque, Run
from corsc.imports.probes import UNLISTED, Probes, profile
from corsc.imports.witnesses import Candidate
from corsc.source import Source

#: A path no configuration names: what it gets is what every other path gets.
OTHER_PATH = "/corsc-other-path"
_UNIVERSAL = {"^", ".*", "^.*", "^.*$", "^(.*)$", "(.*)", "^/?(.*)$", "^/", "^/?", "^/(.*)$"}
_PREFIX = re.compile(r"\^(/?[A-Za-z0-9._~\-/]*?)(?:\(\?:/\|\\z\)|\(\?:/\|\$\)|\(/\|\$\))?")


def read(source: Source) -> tuple[list[Draft], list[d.Diagnostic]]:
    """The policies an Apache configuration means, and what it got wrong or could not mean."""
    findings = Findings(source)
    try:
        top = parse(source.text)
    except ConfigError as problem:
        unreadable(findings, problem.line, "Apache", problem.reason, "apachectl configtest")
        return [], findings.items
    relative = source.name.endswith(".htaccess")
    for node in walk(top):
        if node.key in ("include", "includeoptional"):
            findings.at_line(
                d.IMPORT_INCLUDE_NOT_READ,
                node.line,
                f"{node.name} {' '.join(node.args)} is not read: CORS headers in the files it "
                "brings in are not imported",
                "import the configuration Apache assembles (`apachectl -t -D DUMP_INCLUDES` "
                "lists the files), or import the included file too",
            )
    drafts: list[Draft] = []
    for label, line, nodes in sites(top):
        _Site(findings, nodes, line, label, relative, drafts).read()
    if not drafts and not findings.items:
        no_cors(findings, "this Apache configuration")
    return drafts, findings.items


def sites(top: list[Node]) -> list[tuple[str, int, list[Node]]]:
    """Each ``<VirtualHost>`` with the server level around it (its rewrite rules are not
    inherited, as Apache does), or the whole file."""
    opened = list(flatten(top))
    hosts = [node for node in opened if node.key == "virtualhost" and node.block is not None]
    if not hosts:
        return [("site", 1, top)]
    shared = [node for node in opened if node.key != "virtualhost" and not _rewrites(node)]
    found = []
    for host in hosts:
        names = [n.args[0] for n in host.block or [] if n.key == "servername" and n.args]
        found.append((names[0] if names else "site", host.line, [*shared, *(host.block or [])]))
    return found


def _rewrites(node: Node) -> bool:
    return node.key in ("rewritecond", "rewriterule", "rewriteengine")


def prefix_of(pattern: str, relative: bool) -> str | None:
    """The path prefix a RewriteRule pattern singles out (``^/api(?:/|\\z)``), ``None`` when
    it is no prefix."""
    found = _PREFIX.fullmatch(pattern)
    if found is None or not found.group(1).strip("/"):
        return None
    path = found.group(1)
    return ("/" + path.lstrip("/")) if relative or path.startswith("/") else None


@define
class _Site:
    findings: Findings
    nodes: list[Node]
    line: int
    label: str
    relative: bool
    drafts: list[Draft]
    #: Each path prefix asked and the line that names it.
    prefixes: dict[str, int] = field(factory=dict)

    def flag(self, kind: d.Kind, line: int, message: str, help: str) -> None:
        self.findings.at_line(kind, line, message, help)

    def opaque(self, problem: Opaque) -> None:
        self.flag(
            d.IMPORT_NOT_EXPRESSED,
            problem.line,
            f"{problem.reason}, so corsc cannot tell which origins this site allows",
            "write the policy's origins and settings by hand",
        )

    def read(self) -> None:
        every = list(walk(self.nodes))
        if not any(sets_cors(node) for node in every):
            return
        self.static_checks(every)
        tests = candidates(self.nodes)
        values = [
            arg
            for node in every
            if node.key == "header"
            for arg in (header_parts(node) or (False, "", []))[2][1:2]
            if "%" not in arg and not arg.startswith("expr=")
        ]
        probes = Probes.of(values)
        origins = list(dict.fromkeys([o for t in tests for o in t.witnesses] + [*UNLISTED]))
        try:
            groups = self.paths(every, probes, origins)
        except Opaque as problem:
            self.opaque(problem)
            return
        seen: set[tuple[str, int, str]] = set()
        for paths in groups:
            if paths or self.sends_cors(OTHER_PATH, origins, probes):
                self.level(paths, tests, probes, seen)

    def sends_cors(self, path: str, origins: list[str], probes: Probes) -> bool:
        """Whether any request at ``path`` gets an Access-Control-* header."""
        run = self.run_at(path)
        return any(
            name.startswith("access-control-")
            for origin in origins
            for _, request in probes.requests(origin)
            for name, _ in run(request).headers
        )

    def run_at(self, path: str, repair: bool = True) -> Run:
        def run(request: Mapping[str, str]) -> Answer:
            asked = {**request, "$uri": path}
            return Machine(self.nodes, asked, self.relative, repair).answer()

        return run

    def paths(self, every: list[Node], probes: Probes, origins: list[str]) -> list[list[str]]:
        """The path prefixes answered otherwise than the rest of the site, grouped by their
        answers (the rest of the site last, as ``[]``)."""
        for node in every:
            if node.key == "location" and node.block is not None and len(node.args) == 1:
                if node.args[0].startswith("/") and node.args[0] != "/":
                    self.prefixes.setdefault(node.args[0], node.line)
            elif node.key not in FOLLOWED and node.block is not None:
                if any(
                    sets_cors(item) or item.key.startswith("setenv") for item in walk(node.block)
                ):
                    self.flag(
                        d.IMPORT_NOT_EXPRESSED,
                        node.line,
                        f"<{node.name} {' '.join(node.args)}> selects requests in a way a policy "
                        "cannot (a policy's paths are prefixes)",
                        "the imported policy leaves this section out; give its paths as "
                        "prefixes in a policy of their own",
                    )
            elif node.key == "rewriterule" and node.args:
                pattern = node.args[0]
                prefix = prefix_of(pattern, self.relative)
                if prefix is not None:
                    self.prefixes.setdefault(prefix, node.line)
                elif pattern not in _UNIVERSAL and (
                    node.args[1:2] != ["-"]
                    or re.search(r"\[[^\]]*(?:E=|R|F|G)", " ".join(node.args[2:]))
                ):
                    self.flag(
                        d.IMPORT_NOT_EXPRESSED,
                        node.line,
                        f"RewriteRule {pattern} selects paths by a regex that is no prefix; a "
                        "policy's paths are prefixes",
                        "the imported policy answers every path as the paths corsc asked",
                    )

        def answers(path: str) -> tuple[object, ...]:
            run = self.run_at(path)
            return tuple(profile(run, probes, origin) for origin in origins)

        other = answers(OTHER_PATH)
        groups: dict[tuple[object, ...], list[str]] = {}
        for prefix, line in self.prefixes.items():
            own = answers(prefix)
            below = answers(prefix.rstrip("/") + "/x")
            if own != below:
                self.flag(
                    d.IMPORT_NOT_EXPRESSED,
                    line,
                    f"{prefix} and the paths below it are answered differently; a policy's "
                    "paths are prefixes",
                    f"the imported policy answers the paths below it as it answers {prefix}",
                )
            if prefix.endswith("/") and answers(prefix.rstrip("/")) != own:
                self.flag(
                    d.IMPORT_NOT_EXPRESSED,
                    line,
                    f"Apache answers {prefix.rstrip('/')} otherwise than {prefix}, while a "
                    f"policy's path {prefix} also governs {prefix.rstrip('/')} (a path's "
                    "trailing slash is dropped)",
                    f"the imported policy answers {prefix.rstrip('/')} as it answers {prefix}",
                )
            if not prefix.endswith("/") and own != other and answers(prefix + "x") == own:
                self.flag(
                    d.IMPORT_NOT_EXPRESSED,
                    line,
                    f"{prefix} is a prefix of text here: {prefix}x is answered as {prefix} is, "
                    f"while a policy's path {prefix} governs {prefix} and {prefix}/… only",
                    "the imported policy answers the other paths as the rest of the site",
                )
            if own != other:
                groups.setdefault(own, []).append(prefix)
        return [*groups.values(), []]

    def level(
        self,
        paths: list[str],
        tests: list[Candidate],
        probes: Probes,
        seen: set[tuple[str, int, str]],
    ) -> None:
        line = self.prefixes[paths[0]] if paths else self.line
        start = self.findings.line_offset(line)
        draft = Draft(
            policy_name(paths[0] if paths else self.label, [item.name for item in self.drafts]),
            self.findings.source.span(start, start),
            paths=list(paths),
        )
        path = paths[0] if paths else OTHER_PATH
        try:
            reading = read_level(
                draft, self.run_at(path), tests, probes, evaluator_for(self.findings), "Apache"
            )
        except Opaque as problem:
            self.opaque(problem)
            return
        before = len(self.findings.items)
        report(self.findings, reading, "Apache")
        self.answer_checks(draft, path, tests)
        fresh = self.findings.items[before:]
        del self.findings.items[before:]
        for item in fresh:
            key = (item.code, item.span.start.line, item.message)
            if key not in seen:
                seen.add(key)
                self.findings.items.append(item)
        if not draft.empty:
            self.drafts.append(draft)

    # ---- Apache's pitfalls -----------------------------------------------------------------

    def static_checks(self, every: list[Node]) -> None:
        for node in every:
            if not sets_cors(node):
                continue
            always, _, args = header_parts(node) or (False, "", [])
            name = args[0].lower()
            if name == "access-control-allow-origin" and len(args) > 1:
                listed = [item for item in re.split(r"[\s,]+", args[1]) if item]
                if len(listed) > 1 and "%" not in args[1]:
                    self.flag(
                        d.IMPORT_SEVERAL_ORIGINS,
                        node.line,
                        f"Access-Control-Allow-Origin `{args[1]}` names {len(listed)} origins "
                        "in one value; browsers accept exactly one origin (or `*`), so it "
                        "allows none",
                        "the imported policy lists the origins meant; corsc's output sends the "
                        "one matching origin",
                    )
                if not always:
                    self.flag(
                        d.IMPORT_INVALID_VALUE,
                        node.line,
                        "Header without `always`: Apache sends it only with responses it does "
                        "not answer itself, so error responses (a 401 or 404 of Apache's, a "
                        "RewriteRule's R= or F) carry no Access-Control-Allow-Origin",
                        "the imported policy sends CORS headers with every status, as corsc's "
                        "output does (`Header always set`)",
                    )

    def answer_checks(self, draft: Draft, path: str, tests: list[Candidate]) -> None:
        """Findings the answers show: an Origin sent back to every origin, ``*`` with
        credentials, a header sent twice, every OPTIONS answered."""
        unlisted = {"$request_method": "GET", "$http_origin": UNLISTED[0], "$uri": path}
        machine = Machine(self.nodes, unlisted, self.relative)
        sent = machine.answer()
        # Unchecked: even an Origin longer than any browser sends is sent back.
        long = f"https://{'a' * 300}.example"
        reflected = (
            sent.header("access-control-allow-origin") == UNLISTED[0]
            and Machine(self.nodes, {**unlisted, "$http_origin": long}, self.relative)
            .answer()
            .header("access-control-allow-origin")
            == long
        )
        if "*" in draft.origins and reflected:
            self.flag(
                d.IMPORT_REFLECTED_ORIGIN,
                machine.lines.get("access-control-allow-origin", self.line),
                "Access-Control-Allow-Origin sends back every request's Origin, unchecked: "
                "any site may read these responses (with the user's cookies, when credentials "
                "are allowed)",
                "the imported policy says `origins *`; replace it with the origins you trust",
            )
        if "*" in draft.origins and draft.grant.credentials:
            self.flag(
                d.IMPORT_WILDCARD_CREDENTIALS,
                machine.lines.get("access-control-allow-credentials", self.line),
                "Access-Control-Allow-Credentials true with an Allow-Origin that is `*` or "
                "every Origin: browsers refuse `*` with credentials, and a reflected Origin "
                "lets every site read the user's data",
                "name the origins trusted with credentials in the imported policy",
            )
        for origin in dict.fromkeys([o for t in tests for o in t.witnesses] + [UNLISTED[0]]):
            asked = Machine(self.nodes, {**unlisted, "$http_origin": origin}, self.relative)
            names = [name for name, _ in asked.answer().headers if name.startswith("access-")]
            twice = sorted({name for name in names if names.count(name) > 1})
            if twice:
                self.flag(
                    d.IMPORT_DUPLICATE_HEADER,
                    asked.lines.get(twice[0], self.line),
                    f"{twice[0]} is sent twice to Origin {origin}; browsers refuse a response "
                    "with two values",
                    "set each CORS header once (`Header always set`, not `add`, and not both "
                    "`Header set` and `Header always set`)",
                )
                break
        options = {"$request_method": "OPTIONS", "$http_origin": UNLISTED[0], "$uri": path}
        answered = Machine(self.nodes, options, self.relative)
        if 200 <= (answered.answer().status or 0) < 300:
            self.flag(
                d.IMPORT_OPTIONS_ANSWERED,
                answered.rule or self.line,
                "every OPTIONS request is answered here, for any origin and whatever it asks "
                "(not only preflights)",
                "the imported policy answers preflights itself, granting only what it lists",
            )
