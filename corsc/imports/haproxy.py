"""Importing a HAProxy 2.6 configuration (corsc's own haproxy output, or a hand-written
frontend), read as text and never run: HAProxy is not started.

The configuration is split into words and sections as HAProxy does
(:mod:`corsc.imports.haproxy_config`); each ``frontend`` and ``listen`` that sends an
``Access-Control-*`` header — or, in a file without one, each ``defaults`` section with rules,
read as the frontend that takes its rules ``from`` it — is run request by request
(:mod:`corsc.imports.haproxy_machine`) at each path prefix its rules compare the path with, and
the policies are read from the answers (:mod:`corsc.imports.answers`): prefixes answered alike
share a policy, and the prefixes answered as every other path are left to the policy without
``paths``. Pattern and map files are read next to the configuration (or where an absolute path
says). What the machine cannot know is CORS703 at its line; the usual mistakes are findings of
their own: an Origin sent back unchecked (CORS705), ``*`` or a reflected Origin with
credentials (CORS711), several origins in one value (CORS704), an Origin test wider than its
text (CORS706), every OPTIONS answered (CORS708), a header sent twice (CORS710), headers set
by ``http-response``, which HAProxy's own errors do not get (CORS712), and headers that answer
every request alike (CORS714).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from attrs import define, field

from corsc import diagnostics as d
from corsc.imports.answers import (
    UNLISTED,
    Candidate,
    Opaque,
    Probes,
    Run,
    evaluator_for,
    profile,
    read_level,
    report,
)
from corsc.imports.common import origin_entries
from corsc.imports.draft import Draft, Findings, policy_name
from corsc.imports.haproxy_config import ConfigError, Section, sections
from corsc.imports.haproxy_machine import REQUEST_ONLY, Machine
from corsc.imports.haproxy_origins import (
    Hole,
    acls_in,
    candidates,
    expressions_in,
    path_prefixes,
    probe_values,
    rules_of,
)
from corsc.imports.haproxy_proxies import Files, Proxy, proxies_of
from corsc.imports.haproxy_samples import Prepared
from corsc.source import Source

#: A path no prefix of a configuration starts with: the paths no policy with ``paths`` governs.
OTHER_PATH = "/corsc-other-path"
#: A request (as :mod:`corsc.imports.answers` asks it) to the machine that answered it.
Trace = Callable[[Mapping[str, str]], Machine]


@define
class Level:
    """A frontend ready to be asked: the machine at a path, its Origin tests (and the holes
    among them), the requests to ask and the path prefixes its rules compare."""

    proxy: Proxy
    chain: list[Proxy]
    backends: dict[str, Proxy]
    files: Files
    application: bool
    prepared: dict[tuple[int, str], Prepared]
    tests: list[Candidate]
    holes: dict[Candidate, Hole]
    probes: Probes
    prefixes: list[str]

    def trace(self, path: str) -> Trace:
        def machine(request: Mapping[str, str]) -> Machine:
            asked = {**request, "$uri": path}
            ran = Machine(asked, self.backends, self.files, self.prepared)
            ran.run(self.proxy, self.application)
            return ran

        return machine


def prepare(
    section: Section,
    proxy: Proxy,
    backends: dict[str, Proxy],
    files: Files,
    prepared: dict[tuple[int, str], Prepared] | None = None,
) -> Level:
    """``proxy`` (the frontend of ``section``) ready to be asked."""
    chain = [proxy, *(backends[n] for _, n in proxy.routes if n in backends)]
    captures = [name for name, _ in proxy.captures]
    tests, holes = candidates(chain, captures, files)
    return Level(
        proxy,
        chain,
        backends,
        files,
        section.kind == "defaults",
        prepared if prepared is not None else {},
        tests,
        holes,
        Probes.of(probe_values(chain, files)),
        path_prefixes(chain, files),
    )


def _sets_cors(proxy: Proxy, backends: Mapping[str, Proxy]) -> bool:
    chain = [proxy, *(backends[name] for _, name in proxy.routes if name in backends)]
    for item in chain:
        for lists in (item.request, item.response, item.after):
            for rules in lists:
                for found in rules:
                    words = [found.action, *found.args]
                    if any(w.lower().startswith("access-control-") for w in words):
                        return True
    return False


@define
class _Reader:
    findings: Findings
    files: Files
    backends: dict[str, Proxy]
    drafts: list[Draft] = field(factory=list)
    prepared: dict[tuple[int, str], Prepared] = field(factory=dict)

    def flag(self, kind: d.Kind, line: int, message: str, help: str) -> None:
        self.findings.at_line(kind, line, message, help)

    def level(self, section: Section, proxy: Proxy) -> None:
        try:
            level = prepare(section, proxy, self.backends, self.files, self.prepared)
            tests, holes, probes = level.tests, level.holes, level.probes
            self.response_rules(level.chain)
            trace, prefixes = level.trace, level.prefixes

            def at(path: str) -> Run:
                traced = trace(path)
                return lambda request: traced(request).answer()

            origins = list(dict.fromkeys([o for t in tests for o in t.witnesses] + [*UNLISTED]))

            def signature(path: str) -> tuple[object, ...]:
                return tuple(profile(at(path), probes, origin) for origin in origins)

            other = signature(OTHER_PATH)
            groups: dict[tuple[object, ...], list[str]] = {}
            for prefix in prefixes:
                found = signature(prefix + "/x")
                if signature(prefix) != found:
                    self.flag(
                        d.IMPORT_NOT_EXPRESSED,
                        section.line,
                        f"the path {prefix} is answered otherwise than the paths below it; a "
                        "policy's path prefix governs both, so the imported policy answers "
                        f"{prefix} as it answers {prefix}/x",
                        f"check that {prefix} itself may share the policy of the paths below it",
                    )
                sibling = prefix + "-corsc"
                if signature(sibling) != other:
                    self.flag(
                        d.IMPORT_NOT_EXPRESSED,
                        section.line,
                        f"{sibling}, a path that merely begins with {prefix}, is answered "
                        "otherwise than the paths no prefix selects; a policy's path prefix "
                        f"is whole segments, so the imported policy answers it as {OTHER_PATH}",
                        f"compare the path with {prefix} and {prefix}/ (`path {prefix}` and "
                        f"`path_beg {prefix}/`), not with `path_beg {prefix}`",
                    )
                if found != other:
                    groups.setdefault(found, []).append(prefix)
            levels = [(paths, paths[0] + "/x") for paths in groups.values()]
            levels.append(([], OTHER_PATH))
            for paths, path in levels:
                self.policy(section, at(path), trace(path), paths, tests, holes, probes)
        except Opaque as problem:
            self.flag(
                d.IMPORT_NOT_EXPRESSED,
                problem.line,
                f"{problem.reason}, so corsc cannot tell which origins this {section.kind} allows",
                "write the policy's origins and settings by hand",
            )

    def policy(
        self,
        section: Section,
        run: Run,
        traced: Trace,
        paths: list[str],
        tests: list[Candidate],
        holes: dict[Candidate, Hole],
        probes: Probes,
    ) -> None:
        if not any(
            name.startswith("access-control-")
            for _, request in probes.requests(UNLISTED[0])
            for name, _ in run(request).headers
        ) and not any(run({"$request_method": "GET", "$http_origin": o}).headers for t in tests
                      for o in t.witnesses):  # fmt: skip
            return  # no CORS header at these paths: no policy governs them
        label = paths[0] if paths else (section.name or "site")
        start = self.findings.line_offset(section.line)
        draft = Draft(
            policy_name(label, [draft.name for draft in self.drafts]),
            self.findings.source.span(start, start),
            paths=list(paths),
        )
        several = self.answers_checked(traced, tests)
        reading = read_level(draft, run, tests, probes, evaluator_for(self.findings), "HAProxy")
        if several and draft.empty:
            draft.origins = several
            reading.findings = [f for f in reading.findings if f[0] != section.line]
        report(self.findings, reading, "HAProxy")
        for candidate in reading.used:
            hole = holes.get(candidate)
            if hole is not None:
                self.flag(
                    d.IMPORT_UNANCHORED_REGEX,
                    candidate.line,
                    f"the Origin test `{hole.test}` also admits look-alikes such as "
                    f"{hole.look_alike}",
                    "HAProxy compares only part of the Origin; the imported policy says what it "
                    "admits, as a regex — list the exact origins (`-m str`) you meant",
                )
        if not draft.empty:
            self.drafts.append(draft)

    def answers_checked(self, traced: Trace, tests: list[Candidate]) -> list[str]:
        """The findings the answers show; the origins of a value naming several."""

        def sent(origin: str | None, method: str = "GET") -> dict[str, tuple[str, int]]:
            request = {"$request_method": method}
            if origin is not None:
                request["$http_origin"] = origin
            headers = traced(request).response.headers
            return {name: (value, line) for name, value, line in reversed(headers)}

        unlisted = sent(UNLISTED[0])
        several: list[str] = []
        allow = unlisted.get("access-control-allow-origin")
        credentials = unlisted.get("access-control-allow-credentials")
        witnesses = [o for t in tests for o in t.witnesses]
        checked = any(
            sent(origin).get("access-control-allow-origin", ("",))[0] != origin
            for origin in witnesses
        )
        with_credentials = credentials is not None and credentials[0] == "true"
        # Without credentials, an Origin sent back to every origin is what `*` means.
        if allow is not None and allow[0] == UNLISTED[0] and not checked and with_credentials:
            self.flag(
                d.IMPORT_REFLECTED_ORIGIN,
                allow[1],
                "Access-Control-Allow-Origin sends back every request's Origin, unchecked: any "
                "site may read these responses (with the user's cookies, when credentials are "
                "allowed)",
                "the imported policy says `origins *`; replace it with the origins you trust",
            )
        wide = allow is not None and allow[0] in ("*", UNLISTED[0])
        if wide and credentials is not None and with_credentials:
            self.flag(
                d.IMPORT_WILDCARD_CREDENTIALS,
                credentials[1],
                "Access-Control-Allow-Credentials true with an Allow-Origin that is `*` or "
                "every Origin: browsers refuse `*` with credentials, and a reflected Origin "
                "lets every site read the user's data",
                "name the origins trusted with credentials in the imported policy",
            )
        for origin in [*UNLISTED[:1], *(o for t in tests for o in t.witnesses)]:
            value = sent(origin).get("access-control-allow-origin")
            if value is not None and len(origin_entries(value[0])) > 1 and not several:
                several = origin_entries(value[0])
                self.flag(
                    d.IMPORT_SEVERAL_ORIGINS,
                    value[1],
                    f"Access-Control-Allow-Origin `{value[0]}` names {len(several)} origins in "
                    "one value; browsers accept exactly one origin (or `*`), so it allows none",
                    "the imported policy lists the origins meant; corsc's output sends the one "
                    "matching origin",
                )
        self.more_checked(traced, tests)
        return several

    def more_checked(self, traced: Trace, tests: list[Candidate]) -> None:
        """Every OPTIONS answered (CORS708), a header sent twice (CORS710), the same headers
        whatever the request (CORS714)."""
        bare = traced({"$request_method": "OPTIONS"}).response
        if bare.answered and 200 <= (bare.status or 200) < 300:
            self.flag(
                d.IMPORT_OPTIONS_ANSWERED,
                bare.answered,
                f"this rule answers every OPTIONS request ({bare.status}), for any origin and "
                "whatever it asks, even one that is no preflight",
                "the imported policy answers preflights itself, granting only what it lists",
            )
        origins = [*UNLISTED, *(o for t in tests for o in t.witnesses)]
        seen: list[tuple[object, ...]] = []
        for origin in origins:
            for method, asked in (("GET", ""), ("OPTIONS", "GET")):
                request = {"$request_method": method, "$http_origin": origin}
                if asked:
                    request["$http_access_control_request_method"] = asked
                response = traced(request).response
                headers = [h for h in response.headers if h[0].startswith("access-control-")]
                names = [name for name, _, _ in headers]
                twice = next((h for i, h in enumerate(headers) if h[0] in names[:i]), None)
                if twice is not None:
                    self.flag(
                        d.IMPORT_DUPLICATE_HEADER,
                        twice[2],
                        f"{twice[0]} is sent twice; browsers refuse a response with two values",
                        "set it once (set-header, not add-header)",
                    )
                    return
                seen.append((response.status, *sorted((name, value) for name, value, _ in headers)))
        unlisted = traced({"$request_method": "GET", "$http_origin": UNLISTED[0]}).response
        allow = [h for h in unlisted.headers if h[0] == "access-control-allow-origin" and h[1]]
        if allow and all(item == seen[0] for item in seen):
            self.flag(
                d.IMPORT_STATIC_HEADERS,
                allow[0][2],
                "these headers answer every request the same, whatever its Origin and method",
                "the imported policy means the same for browsers; the targets corsc compiles it "
                "to answer only the origins it lists",
            )

    def response_rules(self, chain: list[Proxy]) -> None:
        for proxy in chain:
            for rules in proxy.response:
                for found in rules:
                    if found.action in ("set-header", "add-header") and found.args[
                        :1
                    ] and found.args[0].lower().startswith("access-control-"):  # fmt: skip
                        self.flag(
                            d.IMPORT_INVALID_VALUE,
                            found.line,
                            f"http-response {found.action} {found.args[0]}: HAProxy runs "
                            "http-response rules on the server's responses only, so its own "
                            "(a `return`, a `deny`, a 503 when no server is up) lack it",
                            "the imported policy sends CORS headers with every response, as "
                            "corsc's output does with http-after-response",
                        )
                        return


def _response_phase(proxies: list[Proxy]) -> list[tuple[int, str]]:
    """The response rules' ACLs that read the request (HAProxy warns that they never match);
    a log-format that does is a configuration HAProxy refuses (:class:`ConfigError`)."""
    found: dict[tuple[int, str], None] = {}
    for proxy in proxies:
        for rules in [*proxy.response, *proxy.after]:
            for item in rules:
                for calls in expressions_in(item):
                    if REQUEST_ONLY.match(calls[0].name):
                        raise ConfigError(
                            item.line,
                            f"{calls[0].name} may not be reliably used here: HAProxy cannot "
                            "read the request in response rules",
                        )
                for acl in acls_in(item):
                    if REQUEST_ONLY.match(acl.criterion[0].name):
                        found[(item.line, acl.criterion[0].name)] = None
    return list(found)


def read(source: Source) -> tuple[list[Draft], list[d.Diagnostic]]:
    """The policies a HAProxy configuration means, and what it got wrong or could not mean."""
    findings = Findings(source)
    try:
        found = sections(source.text)
        backends, fronts = proxies_of(found)
        every = [*backends.values(), *(proxy for _, proxy in fronts)]
        for item in rules_of(every):
            list(expressions_in(item))  # each action's samples parse, or HAProxy refuses it
        never = _response_phase(every)
    except (ConfigError, ValueError) as problem:
        line = problem.line if isinstance(problem, ConfigError) else 1
        reason = problem.reason if isinstance(problem, ConfigError) else str(problem)
        findings.at_line(
            d.IMPORT_UNREADABLE,
            line,
            f"HAProxy would not read this configuration: {reason}",
            "fix it (`haproxy -c -f FILE` shows the same), then import again",
        )
        return [], findings.items
    reader = _Reader(findings, Files(source), backends)
    for line, fetch in never:
        reader.flag(
            d.IMPORT_INVALID_VALUE,
            line,
            f"this ACL reads {fetch}, which HAProxy cannot read in response rules: it never "
            "matches (`haproxy -c` warns so)",
            "test the request in an http-request rule that sets a variable, and test the "
            "variable here",
        )
    for section in found:
        for read_line in section.lines:
            for name in read_line.env:
                reader.flag(
                    d.IMPORT_NOT_EXPRESSED,
                    read_line.number,
                    f"${name} is an environment variable HAProxy reads when it starts; corsc "
                    "reads it as empty",
                    "write its value into the configuration, then import again",
                )
    for section, proxy in fronts:
        if _sets_cors(proxy, backends):
            reader.level(section, proxy)
    findings.items = list({(i.code, i.span, i.message): i for i in findings.items}.values())
    if not reader.drafts and not findings.items:
        findings.add(
            d.IMPORT_NO_CORS,
            0,
            0,
            "this configuration sends no Access-Control-* header",
            "nothing to import; write the policy by hand",
        )
    return reader.drafts, findings.items
