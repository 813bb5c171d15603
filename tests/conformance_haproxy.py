"""The conformance harness of the haproxy target, and what the live HAProxy tests share:
compiling a policy, serving compiled files behind frontends, and the declared deviations
HAProxy's answers are judged with (docs/haproxy.md).

One HAProxy (tests/haproxy_launcher.py) serves the whole table: each table is compiled with
its own ``-O prefix=`` into its own defaults section, and gets its own frontend on an
ephemeral 127.0.0.1 port. The application behind every frontend answers ``200 {}``, so a
response with another status or body came from the CORS rules.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from attrs import frozen

from corsc import __version__
from corsc.backends import EmitOptions, get
from corsc.diagnostics import Diagnostic
from corsc.evaluate import Evaluator, Request
from corsc.frontend import load
from corsc.ir import PolicySet
from corsc.source import Source
from tests.chromium import IN_CI
from tests.conformance_nginx import send
from tests.conformance_runner import FAIL, PASS, REFUSED, Judge, Outcome
from tests.conformance_table import ConformanceCase, ConformanceTable
from tests.haproxy_launcher import HAPROXY, Haproxy, base, free_ports, frontend
from tests.python_harness import cors_part, expected_part, same_part


def require_haproxy() -> None:
    """Skip loudly without HAProxy; under ``CI=true`` fail (CI installs it)."""
    if HAPROXY is None:
        if IN_CI:
            pytest.fail("CI=true but haproxy is not installed")
        pytest.skip("HAPROXY TESTS NOT RUN: haproxy is not installed (apt-get install haproxy)")


@frozen
class Compiled:
    """A policy file compiled for HAProxy: its section's file, the pattern files, and the name
    of the defaults section a frontend takes its rules from."""

    policy_set: PolicySet
    files: dict[str, str]
    defaults: str

    @property
    def config(self) -> tuple[str, str]:
        name = f"{self.defaults}.cfg"
        return name, self.files[name]

    @property
    def patterns(self) -> dict[str, str]:
        return {name: text for name, text in self.files.items() if not name.endswith(".cfg")}


def compile_or_refuse(
    name: str, text: str, directory: Path, *options: str, overrides: Sequence[str] = ()
) -> Compiled | list[Diagnostic]:
    """``name.cors`` compiled for HAProxy (its pattern files read from ``directory``, its
    section inheriting the launcher's ``base``; ``overrides`` as ``--set``), or the errors
    that refuse it."""
    loaded = load(Source(f"{name}.cors", text), overrides)
    assert loaded.policy_set is not None, loaded.diagnostics
    backend = get("haproxy")
    values = {"from": "base", "pattern-dir": str(directory)}
    values.update(option.split("=", 1) for option in options)
    emit_options = EmitOptions(__version__, f"{name}.cors", "haproxy", values)
    errors = [
        item
        for item in [*loaded.diagnostics, *backend.check(loaded.policy_set, emit_options)]
        if item.severity.value == "error"
    ]
    if errors:
        return errors
    files = {item.name: item.content for item in backend.emit(loaded.policy_set, emit_options)}
    return Compiled(loaded.policy_set, files, values.get("prefix", "corsc"))


@contextlib.contextmanager
def serving(
    compiled: Sequence[Compiled],
    directory: Path,
    app_headers: Sequence[tuple[str, str]] = (),
    routes: str = "",
    backends: str = "",
) -> Iterator[list[int]]:
    """One HAProxy serving each compiled file behind its own frontend (the application also
    sending ``app_headers``; ``routes``, frontend lines, choosing among ``backends`` first);
    yields their ports."""
    require_haproxy()
    server = Haproxy(directory)
    for _ in range(5):
        ports = free_ports(len(compiled))
        configs = [("base.cfg", base(app_headers) + backends)] + [c.config for c in compiled]
        fronts = [
            frontend(f"fe{number}", port, c.defaults, routes)
            for number, (port, c) in enumerate(zip(ports, compiled, strict=True))
        ]
        configs.append(("frontends.cfg", "\n".join(fronts)))
        patterns = {name: text for c in compiled for name, text in c.patterns.items()}
        server.configure(configs, patterns)
        try:
            server.start(ports)
        except AssertionError as failure:
            if "cannot bind" in str(failure) or "Address already in use" in str(failure):
                continue
            raise
        break
    else:
        raise AssertionError("no free ports")
    try:
        yield ports
    finally:
        server.stop()


@contextlib.contextmanager
def haproxy_harness(tables: Sequence[ConformanceTable]) -> Iterator[Judge]:
    """Real HAProxy, one frontend per table. A case passes when HAProxy sends exactly the
    evaluator's CORS part (the evaluator's own harness holds it to the table)."""
    require_haproxy()
    with tempfile.TemporaryDirectory() as temporary:
        directory = Path(temporary)
        built = {
            table.name: compile_or_refuse(
                table.name, table.policy_text, directory, f"prefix=t{number}"
            )
            for number, table in enumerate(tables)
        }
        compiled = {name: c for name, c in built.items() if isinstance(c, Compiled)}
        evaluators = {name: Evaluator(c.policy_set) for name, c in compiled.items()}
        with serving(list(compiled.values()), directory) as port_list:
            ports = dict(zip(compiled, port_list, strict=True))

            def judge(case: ConformanceCase) -> Outcome:
                refusal = built[case.table]
                if not isinstance(refusal, Compiled):
                    return Outcome(REFUSED, ", ".join(sorted({d.code for d in refusal})))
                request = Request(case.method, case.path, case.headers)
                got = cors_part(send(ports[case.table], request))
                evaluator = evaluators[case.table]
                want = expected_part(evaluator.respond(request))
                if same_part(got, want):
                    return Outcome(PASS)
                return Outcome(FAIL, f"haproxy {got}, evaluator {want}")

            yield judge
