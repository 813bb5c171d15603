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
says). What HAProxy would refuse to read is CORS701 and what the machine cannot know CORS703,
at its line; the usual mistakes are findings of their own (:mod:`corsc.imports.haproxy_findings`):
the Origin sent back to every origin with credentials (CORS705), ``*`` or every Origin with
credentials (CORS711), several origins in one value (CORS704), an Origin test wider than its
text (CORS706), every OPTIONS answered (CORS708), a header sent twice (CORS710), headers set
by ``http-response``, which HAProxy's own answers do not get, and response ACLs on the request,
which never match (CORS712), and headers that answer every request alike (CORS714).
"""

from __future__ import annotations

from collections.abc import Mapping

from attrs import define, field

from corsc import diagnostics as d
from corsc.imports.answers import read_level, report
from corsc.imports.answers_check import evaluator_for
from corsc.imports.draft import Draft, Findings, policy_name
from corsc.imports.haproxy_config import ConfigError, Section, sections
from corsc.imports.haproxy_findings import Trace, response_phase, response_rules
from corsc.imports.haproxy_machine import Machine
from corsc.imports.haproxy_origins import (
    Hole,
    candidates,
    expressions_in,
    path_prefixes,
    probe_values,
    rules_of,
)
from corsc.imports.haproxy_proxies import Files, Proxy, proxies_of
from corsc.imports.haproxy_samples import Prepared
from corsc.imports.machine import Opaque, Run
from corsc.imports.pitfalls import answers_checked, several_meant
from corsc.imports.probes import UNLISTED, Probes, profile
from corsc.imports.witnesses import Candidate
from corsc.source import Source

#: A path no prefix of a configuration starts with: the paths no policy with ``paths`` governs.
OTHER_PATH = "/corsc-other-path"
ALLOW_ORIGIN = "access-control-allow-origin"


@define
class Level:
    """A frontend ready to be asked: the machine at a path, its Origin tests (and the holes
    among them), the requests to ask and the path prefixes its rules compare. ``application``:
    with no backend the request reaches the application (a ``defaults`` section read alone),
    where a frontend without one gets HAProxy's 503."""

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
    """Whether a rule of the frontend or a backend it routes to names an Access-Control-*
    header: only such a frontend is a policy."""
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
            response_rules(self.flag, level.chain)
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
        except ConfigError as problem:
            self.flag(
                d.IMPORT_UNREADABLE,
                problem.line,
                f"HAProxy would not read this configuration: {problem.reason}",
                "fix it (`haproxy -c -f FILE` shows the same), then import again",
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
        several = answers_checked(
            self.flag,
            lambda request: traced(request).response,
            tests,
            "set it once (set-header, not add-header)",
        )
        reading = read_level(draft, run, tests, probes, evaluator_for(self.findings), "HAProxy")
        if several and draft.empty:
            several_meant(draft, several, run, probes)
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


def read(source: Source, path: str | None = None) -> tuple[list[Draft], list[d.Diagnostic]]:
    """The policies a HAProxy configuration means, and what it got wrong or could not mean;
    its map and pattern files are read next to ``path`` (else next to the source's name)."""
    findings = Findings(source)
    try:
        found = sections(source.text)
        backends, fronts = proxies_of(found)
        every = [*backends.values(), *(proxy for _, proxy in fronts)]
        for item in rules_of(every):
            list(expressions_in(item))  # each action's samples parse, or HAProxy refuses it
        never = response_phase(every)
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
    reader = _Reader(findings, Files(source, path), backends)
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
