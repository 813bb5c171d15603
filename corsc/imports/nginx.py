"""Importing an nginx configuration (a whole nginx.conf, a server block or a snippet), parsed
by crossplane, nginx's maintained configuration parser.

Read: ``add_header Access-Control-*`` at every level (each level without ``add_header`` of its
own inherits its parent's, as nginx does), ``if ($http_origin ~ …)`` around them or around a
``set $var $http_origin``, ``map $http_origin $var`` (exact keys and ``~``/``~*`` regexes), and
``if ($request_method = OPTIONS) { … return 204; }``. Each ``location`` with a CORS header of
its own is a policy for its prefix; the server level is the policy for every other path. The
``include`` directives of a file on disk are followed (:mod:`corsc.imports.nginx_include`):
findings in an included file are at its lines.

nginx searches a ``~`` regex anywhere in the Origin; the policy gets the full-match regex with
the same meaning (:func:`corsc.imports.common.full_match`) and CORS706 says so. crossplane
reports lines, not columns: findings cover the directive's line.

This module reads the levels and makes each a policy; the directives and their records are
:mod:`corsc.imports.nginx_config`'s, what variables and header values mean as origins and
grants :mod:`corsc.imports.nginx_values`'.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from corsc import diagnostics as d
from corsc.imports.answers import read_level, report
from corsc.imports.answers_check import evaluator_for
from corsc.imports.common import HEADER_SETTINGS
from corsc.imports.draft import Draft, Findings, policy_name
from corsc.imports.machine import Answer, Opaque
from corsc.imports.nginx_config import (
    Directive,
    Header,
    Level,
    Test,
    location_path,
    outside_servers,
    parse,
    walk,
)
from corsc.imports.nginx_include import Tree
from corsc.imports.nginx_machine import Machine, MapBlock, candidates, maps_of
from corsc.imports.nginx_values import REFLECTIONS, Values
from corsc.imports.probes import Probes
from corsc.source import Source


def read(source: Source) -> tuple[list[Draft], list[d.Diagnostic]]:
    """The policies an nginx configuration means, and what it got wrong or could not mean
    (an ``include`` is not followed: CORS715)."""
    drafts, diagnostics, _ = read_tree(source, None)
    return drafts, diagnostics


def read_tree(
    source: Source, path: str | None
) -> tuple[list[Draft], list[d.Diagnostic], tuple[Source, ...]]:
    """:func:`read` of the file ``path`` on disk (whose text is ``source``), its includes
    followed (:mod:`corsc.imports.nginx_include`): the spans of drafts and diagnostics name
    the file they are in, and the files read besides ``source`` come last."""
    tree = Tree(source, path, parse)
    whole, parsed = tree.read()
    findings = Findings(whole)
    config = parsed["config"][0] if parsed["config"] else {"parsed": [], "errors": []}
    for error in config.get("errors", []) or parsed.get("errors", []):
        # crossplane names the temporary file it read: the finding names the imported one.
        reason = re.sub(r" in \S+:\d+$", "", str(error.get("error")))
        findings.at_line(
            d.IMPORT_UNREADABLE,
            error.get("line") or 1,
            f"nginx would not read this configuration: {reason}",
            "fix it (`nginx -t` shows the same), then import again",
        )
    if findings.items:
        return [], tree.placed(findings.items), tree.included
    reader = _Reader(findings, config["parsed"])
    drafts = reader.read()
    if not drafts and not findings.items:
        findings.add(
            d.IMPORT_NO_CORS,
            0,
            0,
            "this nginx configuration sends no Access-Control-* header",
            "nothing to import; write the policy by hand",
        )
    for draft in drafts:
        draft.span = tree.place(draft.span)
    return drafts, tree.placed(findings.items), tree.included


class _Reader:
    def __init__(self, findings: Findings, top: list[Directive]) -> None:
        self.findings = findings
        self.top = top
        self.values = Values(findings)
        self.drafts: list[Draft] = []
        self.maps: dict[str, MapBlock] | None = None

    def flag(self, kind: d.Kind, line: int, message: str, help: str) -> None:
        self.findings.at_line(kind, line, message, help)

    def flag_without_always(self, header: Header) -> None:
        self.flag(
            d.IMPORT_INVALID_VALUE,
            header.line,
            f"add_header {header.name} without `always`: nginx sends it only with "
            "2xx and 3xx statuses, so scripts cannot read error responses",
            "the imported policy sends CORS headers with every status, as corsc's output does",
        )

    def read(self) -> list[Draft]:
        assigned: dict[str, set[str]] = {}
        for directive in walk(self.top):
            if directive["directive"] == "map":
                self.values.map(directive)
            elif directive["directive"] == "set" and len(directive["args"]) == 2:
                assigned.setdefault(directive["args"][0], set()).add(directive["args"][1])
        for variable, values in assigned.items():
            # `set $v "…"` under conditions, to one literal or to nothing: the same reading as
            # a map with one row.
            literals = values - {""}
            if len(literals) == 1 and "$" not in next(iter(literals)):
                self.values.constants[variable] = literals.pop()
        servers = [item for item in walk(self.top) if item["directive"] == "server"]
        if servers:
            for directive in outside_servers(self.top):
                if directive["directive"] == "include":
                    self._include(directive)  # it may bring in servers
            for server in servers:
                block = server.get("block") or []
                self._level(block, server["line"], None, Level(), scopes=(block,))
        else:  # a snippet: its top level is a server's or a location's contents
            self._level(self.top, 1, None, Level(), scopes=(self.top,))
        return self.drafts

    def _include(self, directive: Directive) -> None:
        """An ``include`` left in the tree: its files were not read (CORS715, why)."""
        reason = directive.get("reason", "nginx reads one file or glob per include")
        self.flag(
            d.IMPORT_INCLUDE_NOT_READ,
            directive["line"],
            f"include {' '.join(directive['args'])} is not read ({reason}): CORS headers in the "
            "files it brings in are not imported",
            "import `nginx -T` output (the whole configuration in one file), or import "
            "the included file too",
        )

    # ---- levels --------------------------------------------------------------------------

    def _level(
        self,
        block: list[Directive],
        line: int,
        path: str | None,
        parent: Level,
        condition: Test | None = None,
        methods: tuple[str, ...] = (),
        scopes: tuple[list[Directive], ...] = (),
    ) -> None:
        """Read one level (``scopes``: its block and those around it, outermost first); a
        level whose CORS headers differ from its parent's is a policy."""
        own = Level()
        for directive in block:
            name = directive["directive"]
            args = directive["args"]
            if name == "add_header" and args:
                own.any_add_header = True
                if args[0].lower() in HEADER_SETTINGS:
                    own.headers.append(Header.of(directive, condition, methods))
            elif name == "more_set_headers" and "access-control-" in " ".join(args).lower():
                self.flag(
                    d.IMPORT_NOT_EXPRESSED,
                    directive["line"],
                    "more_set_headers (the headers-more module) sets CORS headers corsc does "
                    "not read",
                    "write them as add_header, or add them to the imported policy by hand",
                )
            elif name == "include":
                self._include(directive)
            elif name == "set" and len(args) == 2 and args[1].lower() in REFLECTIONS:
                self.values.origin_variables[args[0]] = (condition, directive["line"])
            elif name == "if":
                self._if(directive, own, condition, methods)
        effective = own if own.any_add_header else parent
        if effective.headers and (own.headers or path is None):
            self._draft(effective, line, path, scopes)
        for directive in block:
            if directive["directive"] == "location":
                self._location(directive, effective, scopes)

    def _if(
        self,
        directive: Directive,
        level: Level,
        condition: Test | None,
        methods: tuple[str, ...],
    ) -> None:
        """An ``if``: an origin test narrows the headers inside it; a method test marks them;
        ``return`` in an OPTIONS test answers preflights."""
        args = directive["args"]
        block = directive.get("block") or []
        inner_condition, inner_methods = condition, methods
        if len(args) == 3 and args[0] == "$http_origin" and args[1] in ("~", "~*"):
            inner_condition = Test(args[1] + args[2], directive["line"])
        elif len(args) == 3 and args[0] == "$request_method" and args[1] == "=":
            inner_methods = (*methods, args[2].upper())
        elif args and args[0].startswith("$"):
            inner_condition = Test("", directive["line"])
        before = len(level.headers)
        sub = Level()
        for item in block:
            if item["directive"] == "add_header" and item["args"]:
                if item["args"][0].lower() in HEADER_SETTINGS:
                    sub.headers.append(Header.of(item, inner_condition, inner_methods))
            elif item["directive"] == "set" and len(item["args"]) == 2:
                if item["args"][1].lower() in REFLECTIONS:
                    self.values.origin_variables[item["args"][0]] = (inner_condition, item["line"])
            elif item["directive"] == "if":
                self._if(item, level, inner_condition, inner_methods)
            elif item["directive"] == "return" and "OPTIONS" in inner_methods and item["args"]:
                level.preflight = item["args"][0]
        if sub.headers:
            self.flag(
                d.IMPORT_HEADER_IN_IF,
                directive["line"],
                "add_header inside `if`: nginx runs the `if` block as a location of its own, so "
                "the add_header directives of the level around it are not sent when it matches, "
                "and requests it does not match get none of these headers",
                "the imported policy sends its headers on every response; corsc's nginx output "
                "uses maps, not `if`, for this",
            )
        level.headers[before:before] = sub.headers
        level.any_add_header = level.any_add_header or bool(sub.headers)
        if inner_methods and not inner_condition and "OPTIONS" in inner_methods:
            for item in block:
                if item["directive"] == "return":
                    self.flag(
                        d.IMPORT_OPTIONS_ANSWERED,
                        item["line"],
                        f"return {' '.join(item['args'])} answers every OPTIONS request, for "
                        "any origin and whatever it asks",
                        "the imported policy answers preflights itself, granting only what it "
                        "lists",
                    )

    def _location(
        self, directive: Directive, parent: Level, scopes: tuple[list[Directive], ...]
    ) -> None:
        args = directive["args"]
        if not args or args in (["="], ["^~"], ["~"], ["~*"]):
            self.flag(
                d.IMPORT_UNREADABLE,
                directive["line"],
                "a location without a path: nginx refuses this configuration "
                "(invalid number of arguments)",
                "give the location the path it serves, and check with `nginx -t`",
            )
            return
        path = location_path(args)
        block = directive.get("block") or []
        has_cors = any(
            item["directive"] == "add_header"
            and item["args"]
            and item["args"][0].lower() in HEADER_SETTINGS
            for item in walk(block)
        )
        if has_cors and args[0] == "=" and path is not None:
            self.flag(
                d.IMPORT_EXACT_LOCATION,
                directive["line"],
                f"location = {path} answers {path} only; a policy's paths are prefixes, so the "
                f"imported policy also governs the paths below {path}",
                "check that the paths below it may share this policy, or give them a policy of "
                "their own",
            )
        if path is None or not path.startswith("/"):
            if has_cors:
                self.flag(
                    d.IMPORT_NOT_EXPRESSED,
                    directive["line"],
                    f"location {' '.join(args)} selects paths by regex; a policy's paths are "
                    "prefixes",
                    "the imported policy leaves this location's CORS headers out; give its "
                    "paths as prefixes in a policy of their own",
                )
            return
        self._level(block, directive["line"], path, parent, scopes=(*scopes, block))

    # ---- a level as a policy ---------------------------------------------------------------

    def _draft(
        self, level: Level, line: int, path: str | None, scopes: tuple[list[Directive], ...]
    ) -> None:
        taken = [draft.name for draft in self.drafts]
        start = self.findings.line_offset(line)
        draft = Draft(
            policy_name(path or "site", taken),
            self.findings.source.span(start, start),
            paths=[path] if path and path != "/" else [],
        )
        if self.values.answered(level.headers):
            self._read_answers(draft, level, scopes)
            return
        values: dict[str, str] = {}
        lines: dict[str, int] = {}
        condition: Test | None = None
        for header in level.headers:
            key = HEADER_SETTINGS[header.name]
            if key in values and values[key] != header.value and not header.methods:
                self.flag(
                    d.IMPORT_DUPLICATE_HEADER,
                    header.line,
                    f"{header.name} is added twice ({values[key]!r} and {header.value!r}); "
                    "browsers refuse a response with two values",
                    "keep one add_header per CORS header",
                )
            values.setdefault(key, header.value)
            lines.setdefault(key, header.line)
            if key == "origin":
                condition = header.condition
            if not header.always and not header.methods and key == "origin":
                self.flag_without_always(header)
        if "origin" not in values:
            self.flag(
                d.IMPORT_NOT_EXPRESSED,
                line,
                "CORS headers without Access-Control-Allow-Origin: browsers allow no origin",
                "add the origins to the imported policy by hand",
            )
            return
        draft.origins = self.values.origins(values["origin"], lines["origin"], condition)
        draft.grant = self.values.grant(values, lines)
        if level.preflight == "200":
            draft.preflight_status = 200
        if "*" in draft.origins and draft.grant.credentials:
            self.flag(
                d.IMPORT_WILDCARD_CREDENTIALS,
                lines["credentials"],
                "Access-Control-Allow-Credentials true with an Allow-Origin that is `*` or "
                "every Origin: browsers refuse `*` with credentials, and a reflected Origin "
                "lets every site read the user's data",
                "name the origins trusted with credentials in the imported policy",
            )
        self.drafts.append(draft)

    # ---- a level read from its answers ----------------------------------------------------

    def _read_answers(
        self, draft: Draft, level: Level, scopes: tuple[list[Directive], ...]
    ) -> None:
        """The policy of a level whose headers depend on what maps, ``set`` and ``if`` compute
        (:mod:`corsc.imports.nginx_machine`)."""
        every = list(walk(self.top))
        try:
            if self.maps is None:
                self.maps = maps_of(every)
            maps = self.maps
            tests, _ = candidates(every, maps)
            values = [
                arg
                for directive in every
                for arg in (
                    directive["args"][1:]
                    if directive["directive"] in ("add_header", "set")
                    else directive["args"][:1]
                )
                if "$" not in arg
            ]
            probes = Probes.of(values)

            def run(request: Mapping[str, str]) -> Answer:
                return Machine(maps, request).answer(list(scopes))

            reading = read_level(draft, run, tests, probes, evaluator_for(self.findings), "nginx")
        except Opaque as problem:
            self.flag(
                d.IMPORT_NOT_EXPRESSED,
                problem.line,
                f"{problem.reason}, so corsc cannot tell which origins this level allows",
                "write the policy's origins and settings by hand",
            )
            return
        report(self.findings, reading, "nginx")
        for header in level.headers:
            if header.name == "access-control-allow-origin" and not header.always:
                self.flag_without_always(header)
        if not draft.empty:
            self.drafts.append(draft)
