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
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from typing import Any

import crossplane  # type: ignore[import-untyped]
from attrs import define, field, frozen

from corsc import diagnostics as d
from corsc.imports.answers import Answer, Opaque, Probes, evaluator_for, read_level, report
from corsc.imports.common import (
    full_match,
    names,
    origin_entries,
    searched_entry,
    unanchored_help,
)
from corsc.imports.draft import Draft, Entry, Findings, Grant, policy_name
from corsc.imports.nginx_include import Tree
from corsc.imports.nginx_machine import Machine, MapBlock, candidates, maps_of
from corsc.records import fields_repr
from corsc.source import Source

Directive = dict[str, Any]

_HEADER = {
    "access-control-allow-origin": "origin",
    "access-control-allow-methods": "methods",
    "access-control-allow-headers": "headers",
    "access-control-expose-headers": "expose",
    "access-control-allow-credentials": "credentials",
    "access-control-max-age": "max_age",
    "access-control-allow-private-network": "private_network",
}
_REFLECTIONS = ("$http_origin",)


@frozen
class _Test:
    """The ``if`` an origin is read under: ``$http_origin ~ key`` (``key`` with its ``~`` or
    ``~*``) at ``line``, or (``key`` empty) a test of a variable corsc does not follow."""

    __repr__ = fields_repr

    key: str
    line: int

    @property
    def opaque(self) -> bool:
        return not self.key


@define
class _Header:
    """One ``add_header Access-Control-*``: its value, its line, the origins an enclosing
    ``if ($http_origin ~ …)`` admits (``None``: no such condition), whether it is ``always``
    and whether it stands in an ``if ($request_method = …)``."""

    name: str
    value: str
    line: int
    condition: _Test | None
    always: bool
    methods: tuple[str, ...] = ()


@define
class _Level:
    """What a level (server, location, if) holds: its own CORS headers."""

    headers: list[_Header] = field(factory=list)
    any_add_header: bool = False
    #: The status an ``if ($request_method = OPTIONS) { return …; }`` answers with.
    preflight: str | None = None


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
    tree = Tree(source, path, _parse)
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


def _parse(text: str) -> dict[str, Any]:
    """crossplane's payload for ``text``: one file, includes not followed, any context (a
    snippet has no ``http`` around it), errors caught with their lines."""
    descriptor, path = tempfile.mkstemp(suffix=".conf")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(text)
        payload: dict[str, Any] = crossplane.parse(
            path, single=True, catch_errors=True, check_ctx=False, check_args=False, comments=False
        )
        return payload
    finally:
        os.unlink(path)


def _walk(directives: list[Directive]) -> Iterator[Directive]:
    stack = list(reversed(directives))
    while stack:
        directive = stack.pop()
        yield directive
        stack.extend(reversed(directive.get("block") or []))


def _outside_servers(directives: list[Directive]) -> Iterator[Directive]:
    """The directives of the http and main levels (``server`` blocks not looked into)."""
    for directive in directives:
        yield directive
        if directive["directive"] not in ("server", "map", "types"):
            yield from _outside_servers(directive.get("block") or [])


def _chosen(key: str, value: str) -> bool:
    """Whether a row of a ``map $http_origin`` is more than an origin sent back or named:
    a variable (another map, a grant's number) or, on a key other than the default, a value
    that refuses the origins it matches before the rows after it are tried."""
    if value.lower() in _REFLECTIONS:
        return False
    if "$" in value:
        return True
    return key not in ("default", "hostnames", "volatile") and "://" not in value


class _Reader:
    def __init__(self, findings: Findings, top: list[Directive]) -> None:
        self.findings = findings
        self.top = top
        #: ``map $http_origin $var`` blocks and ``set $var $http_origin`` under an origin
        #: condition: the origins each variable is non-empty for (``None``: every origin).
        self.origin_variables: dict[str, tuple[_Test | None, int]] = {}
        #: Maps of other variables whose every row is one literal or empty: the header they
        #: fill is either that value or not sent (as a preflight's Allow-Methods is).
        self.constants: dict[str, str] = {}
        #: ``map $http_origin $var`` blocks, read where Allow-Origin uses them.
        self.origin_maps: dict[str, Directive] = {}
        self.drafts: list[Draft] = []
        self.maps: dict[str, MapBlock] | None = None

    def flag(self, kind: d.Kind, line: int, message: str, help: str) -> None:
        self.findings.at_line(kind, line, message, help)

    def flag_without_always(self, header: _Header) -> None:
        self.flag(
            d.IMPORT_INVALID_VALUE,
            header.line,
            f"add_header {header.name} without `always`: nginx sends it only with "
            "2xx and 3xx statuses, so scripts cannot read error responses",
            "the imported policy sends CORS headers with every status, as corsc's output does",
        )

    def read(self) -> list[Draft]:
        assigned: dict[str, set[str]] = {}
        for directive in _walk(self.top):
            if directive["directive"] == "map":
                self._map(directive)
            elif directive["directive"] == "set" and len(directive["args"]) == 2:
                assigned.setdefault(directive["args"][0], set()).add(directive["args"][1])
        for variable, values in assigned.items():
            # `set $v "…"` under conditions, to one literal or to nothing: the same reading as
            # a map with one row.
            literals = values - {""}
            if len(literals) == 1 and "$" not in next(iter(literals)):
                self.constants[variable] = literals.pop()
        servers = [item for item in _walk(self.top) if item["directive"] == "server"]
        if servers:
            for directive in _outside_servers(self.top):
                if directive["directive"] == "include":
                    self._include(directive)  # it may bring in servers
            for server in servers:
                block = server.get("block") or []
                self._level(block, server["line"], None, _Level(), scopes=(block,))
        else:  # a snippet: its top level is a server's or a location's contents
            self._level(self.top, 1, None, _Level(), scopes=(self.top,))
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

    # ---- variables -----------------------------------------------------------------------

    def _map(self, directive: Directive) -> None:
        args = directive["args"]
        if len(args) != 2:
            return
        variable = args[1]
        if args[0] != "$http_origin":
            rows = {
                item["args"][0] if item["args"] else ""
                for item in directive.get("block") or []
                if item["directive"] not in ("hostnames", "volatile", "default")
            }
            defaults = [
                item["args"][0] if item["args"] else ""
                for item in directive.get("block") or []
                if item["directive"] == "default"
            ]
            rows.discard("")
            if len(rows) == 1 and defaults in ([], [""]) and "$" not in next(iter(rows)):
                self.constants[variable] = rows.pop()
            return
        self.origin_maps[variable] = directive

    def _map_entries(self, directive: Directive) -> list[Entry] | None:
        """The origins a ``map $http_origin $var`` sends in Allow-Origin (``None``: every
        origin): a row whose value is ``$http_origin`` sends its key's origins back, a row
        whose value is an origin sends that origin (allowing it when its key admits it); other
        values (``1``, ``""``) are no origin a browser accepts."""
        entries: list[Entry] = []
        for item in directive.get("block") or []:
            key, values = item["directive"], item["args"]
            value = values[0] if values else ""
            reflects = value.lower() in _REFLECTIONS
            if key in ("hostnames", "volatile", "\\") or not (reflects or "://" in value):
                continue
            if key == "default":
                if not reflects:
                    entries += origin_entries(value)
                    continue
                self._reflected(
                    item["line"], f"map $http_origin {directive['args'][1]}: its default"
                )
                return None
            if not reflects:
                entries += origin_entries(value)
            elif key.startswith("~"):
                entries.append(self._regex(key, item["line"]))
            else:
                entries += origin_entries(key)
        return entries

    def _regex(self, key: str, line: int) -> Entry:
        """A ``~re`` / ``~*re`` origin test as a full-match entry (CORS706 when unanchored)."""
        ignore_case = key.startswith("~*")
        pattern = key[2:] if ignore_case else key[1:]
        searched = full_match(pattern, ignore_case=ignore_case)
        if searched.unanchored:
            self.flag(
                d.IMPORT_UNANCHORED_REGEX,
                line,
                f"the origin regex `{pattern}` is not anchored",
                unanchored_help(searched, "nginx"),
            )
        return searched_entry(searched)

    def _reflection(self, test: _Test | None, line: int, what: str) -> list[Entry]:
        """The origins a reflected ``$http_origin`` is sent back for: those its ``if`` admits,
        every origin without one (CORS705), none corsc can tell under another test."""
        if test is None:
            self._reflected(line, what)
            return ["*"]
        if test.opaque:
            self.flag(
                d.IMPORT_NOT_EXPRESSED,
                test.line,
                f"{what} is sent back under a test of a variable corsc does not follow",
                "list the origins in the imported policy by hand",
            )
            return []
        return [self._regex(test.key, test.line)]

    def _reflected(self, line: int, what: str) -> None:
        self.flag(
            d.IMPORT_REFLECTED_ORIGIN,
            line,
            f"{what} sends back every request's Origin, unchecked: any site may read these "
            "responses (with the user's cookies, when credentials are allowed)",
            "the imported policy says `origins *`; replace it with the origins you trust",
        )

    # ---- levels --------------------------------------------------------------------------

    def _level(
        self,
        block: list[Directive],
        line: int,
        path: str | None,
        parent: _Level,
        condition: _Test | None = None,
        methods: tuple[str, ...] = (),
        scopes: tuple[list[Directive], ...] = (),
    ) -> None:
        """Read one level (``scopes``: its block and those around it, outermost first); a
        level whose CORS headers differ from its parent's is a policy."""
        own = _Level()
        for directive in block:
            name = directive["directive"]
            args = directive["args"]
            if name == "add_header" and args:
                own.any_add_header = True
                if args[0].lower() in _HEADER:
                    own.headers.append(
                        _Header(
                            args[0].lower(),
                            args[1] if len(args) > 1 else "",
                            directive["line"],
                            condition,
                            len(args) > 2 and args[2] == "always",
                            methods,
                        )
                    )
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
            elif name == "set" and len(args) == 2 and args[1].lower() in _REFLECTIONS:
                self.origin_variables[args[0]] = (condition, directive["line"])
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
        level: _Level,
        condition: _Test | None,
        methods: tuple[str, ...],
    ) -> None:
        """An ``if``: an origin test narrows the headers inside it; a method test marks them;
        ``return`` in an OPTIONS test answers preflights."""
        args = directive["args"]
        block = directive.get("block") or []
        inner_condition, inner_methods = condition, methods
        if len(args) == 3 and args[0] == "$http_origin" and args[1] in ("~", "~*"):
            inner_condition = _Test(args[1] + args[2], directive["line"])
        elif len(args) == 3 and args[0] == "$request_method" and args[1] == "=":
            inner_methods = (*methods, args[2].upper())
        elif args and args[0].startswith("$"):
            inner_condition = _Test("", directive["line"])
        before = len(level.headers)
        sub = _Level()
        for item in block:
            if item["directive"] == "add_header" and item["args"]:
                if item["args"][0].lower() in _HEADER:
                    sub.headers.append(
                        _Header(
                            item["args"][0].lower(),
                            item["args"][1] if len(item["args"]) > 1 else "",
                            item["line"],
                            inner_condition,
                            len(item["args"]) > 2 and item["args"][2] == "always",
                            inner_methods,
                        )
                    )
            elif item["directive"] == "set" and len(item["args"]) == 2:
                if item["args"][1].lower() in _REFLECTIONS:
                    self.origin_variables[item["args"][0]] = (inner_condition, item["line"])
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
        self, directive: Directive, parent: _Level, scopes: tuple[list[Directive], ...]
    ) -> None:
        args = directive["args"]
        if len(args) == 1:
            path: str | None = args[0]
        elif len(args) == 2 and args[0] in ("=", "^~"):
            path = args[1]
        else:
            path = None
        block = directive.get("block") or []
        has_cors = any(
            item["directive"] == "add_header"
            and item["args"]
            and item["args"][0].lower() in _HEADER
            for item in _walk(block)
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
        self, level: _Level, line: int, path: str | None, scopes: tuple[list[Directive], ...]
    ) -> None:
        taken = [draft.name for draft in self.drafts]
        start = self.findings.line_offset(line)
        draft = Draft(
            policy_name(path or "site", taken),
            self.findings.source.span(start, start),
            paths=[path] if path and path != "/" else [],
        )
        if self._answered(level):
            self._read_answers(draft, level, scopes)
            return
        values: dict[str, str] = {}
        lines: dict[str, int] = {}
        condition: _Test | None = None
        for header in level.headers:
            key = _HEADER[header.name]
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
        draft.origins = self._origins(values["origin"], lines["origin"], condition)
        draft.grant = self._grant(values, lines)
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

    def _answered(self, level: _Level) -> bool:
        """Whether the level's headers hang on variables only its answers tell: an Origin map
        whose values are not origins, a map of another map, ``set`` under tests — anything but
        one origin test with one grant, which the plain reading follows."""
        for header in level.headers:
            if header.condition is not None and header.condition.opaque:
                return True  # under `if ($var)`: what the variable holds decides
            for variable in re.findall(r"\$\w+", header.value):
                if variable.lower() in _REFLECTIONS or variable in self.constants:
                    continue
                if header.name != "access-control-allow-origin":
                    return True
                if variable in self.origin_variables:
                    test = self.origin_variables[variable][0]
                    if test is not None and test.opaque:
                        return True  # `set $v $http_origin` under a test of another variable
                    continue
                block = self.origin_maps.get(variable)
                if block is None or any(
                    _chosen(row["directive"], value)
                    for row in block.get("block") or []
                    for value in row["args"][:1] or [""]
                ):
                    return True
        return False

    def _read_answers(
        self, draft: Draft, level: _Level, scopes: tuple[list[Directive], ...]
    ) -> None:
        """The policy of a level whose headers depend on what maps, ``set`` and ``if`` compute
        (:mod:`corsc.imports.nginx_policy`)."""
        every = list(_walk(self.top))
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

    def _origins(self, value: str, line: int, condition: _Test | None) -> list[Entry]:
        if value.lower() in _REFLECTIONS:
            return self._reflection(
                condition, line, "add_header Access-Control-Allow-Origin $http_origin"
            )
        if value.startswith("$"):
            if value in self.constants:
                return origin_entries(self.constants[value])
            if value in self.origin_maps:
                found_in_map = self._map_entries(self.origin_maps[value])
                return ["*"] if found_in_map is None else found_in_map
            if value in self.origin_variables:
                test, set_line = self.origin_variables[value]
                return self._reflection(test, set_line, f"set {value} $http_origin")
            self.flag(
                d.IMPORT_NOT_EXPRESSED,
                line,
                f"Access-Control-Allow-Origin is {value}, which corsc cannot follow back to "
                "the request's Origin (only `map $http_origin` and `set … $http_origin` under "
                "an origin test are read)",
                "list the origins in the imported policy by hand",
            )
            return []
        entries = origin_entries(value)
        if len(entries) > 1:
            self.flag(
                d.IMPORT_SEVERAL_ORIGINS,
                line,
                f"Access-Control-Allow-Origin `{value}` names {len(entries)} origins in one "
                "value; browsers accept exactly one origin (or `*`), so it allows none",
                "the imported policy lists the origins meant; corsc's output sends the one "
                "matching origin",
            )
        return entries

    def _grant(self, values: dict[str, str], lines: dict[str, int]) -> Grant:
        grant = Grant()
        values = {key: self.constants.get(value, value) for key, value in values.items()}
        if "methods" in values:
            grant.methods = names(values["methods"])
        if "headers" in values:
            grant.headers = names(values["headers"])
        if "expose" in values:
            grant.expose = names(values["expose"])
        if "credentials" in values:
            grant.credentials = values["credentials"] == "true"
        if "max_age" in values and values["max_age"].startswith("$"):
            self.flag(
                d.IMPORT_NOT_EXPRESSED,
                lines["max_age"],
                f"Access-Control-Max-Age is {values['max_age']}: corsc cannot tell what nginx "
                "sends there",
                "write the max-age into the imported policy by hand",
            )
        elif "max_age" in values:
            if values["max_age"].isdigit():
                grant.max_age = int(values["max_age"])
            else:
                self.flag(
                    d.IMPORT_INVALID_VALUE,
                    lines["max_age"],
                    f"Access-Control-Max-Age `{values['max_age']}` is not a number of seconds",
                    "the imported policy sends no max-age",
                )
        if "private_network" in values:
            grant.private_network = values["private_network"] == "true"
        for key in ("methods", "headers", "expose"):
            if any(item.startswith("$") for item in getattr(grant, key) or ()):
                self.flag(
                    d.IMPORT_NOT_EXPRESSED,
                    lines[key],
                    f"a variable in {key}: corsc cannot tell what nginx sends there",
                    "list the values in the imported policy by hand",
                )
                kept = [item for item in getattr(grant, key) if not item.startswith("$")]
                setattr(grant, key, kept or None)
        return grant
