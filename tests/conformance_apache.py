"""The conformance harness of the apache target, and what the live Apache tests share:
compiling a policy for a placement, and serving compiled files in one Apache.

One Apache (tests/apache_launcher.py) serves the whole table: each table's file is included
by its own ``<VirtualHost>`` on an ephemeral 127.0.0.1 port (the default placement), in front
of the stub application, an upstream answering every method ``200 {}`` through mod_proxy. So a
response with another status or body came from the CORS directives.
"""

from __future__ import annotations

import contextlib
import tempfile
import urllib.parse
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from attrs import frozen

from corsc import __version__, paths
from corsc.backends import EmitOptions, check, get
from corsc.diagnostics import Diagnostic
from corsc.evaluate import Evaluator, Request
from corsc.frontend import load
from corsc.ir import PolicySet
from corsc.source import Source
from tests.apache_launcher import APACHE, Apache, Upstream, free_ports, modules_available
from tests.chromium import IN_CI
from tests.conformance_nginx import send
from tests.conformance_runner import DEVIATES, FAIL, PASS, REFUSED, Judge, Outcome
from tests.conformance_table import ConformanceCase, ConformanceTable
from tests.python_harness import CorsPart, cors_part, expected_part, same_part


def require_apache() -> None:
    """Skip loudly without Apache; under ``CI=true`` fail (.ci/run installs Debian's apache2)."""
    if APACHE is None or not modules_available():
        if IN_CI:
            pytest.fail("CI=true but apache2 is not installed")
        pytest.skip("APACHE TESTS NOT RUN: apache2 is not installed (apt-get install apache2)")


@frozen
class Compiled:
    """A policy file compiled for Apache: the policy set and its one file."""

    policy_set: PolicySet
    name: str
    text: str


def compile_or_refuse(
    name: str, text: str, *options: str, overrides: Sequence[str] = ()
) -> Compiled | list[Diagnostic]:
    """``name.cors`` compiled for apache with ``options`` (``key=value``), or the errors that
    refuse it (the capability table's and the backend's own)."""
    loaded = load(Source(f"{name}.cors", text), overrides)
    assert loaded.policy_set is not None, loaded.diagnostics
    backend = get("apache")
    values = dict(option.split("=", 1) for option in options)
    emit_options = EmitOptions(__version__, f"{name}.cors", "apache", values)
    errors = [
        item
        for item in [*loaded.diagnostics, *check(backend, loaded.policy_set, emit_options)]
        if item.severity.value == "error"
    ]
    if errors:
        return errors
    (output,) = backend.emit(loaded.policy_set, emit_options)
    return Compiled(loaded.policy_set, output.name, output.content)


def virtual_host(port: int, inside: str) -> str:
    return f"<VirtualHost 127.0.0.1:{port}>\n{inside}</VirtualHost>\n"


@contextlib.contextmanager
def serving(
    compiled: Sequence[Compiled], directory: Path, app_headers: Sequence[tuple[str, str]] = ()
) -> Iterator[list[int]]:
    """One Apache serving each compiled (virtualhost-placed) file in its own virtual host in
    front of the upstream (which also sends ``app_headers``); yields their ports."""
    require_apache()
    server = Apache(directory)
    with Upstream(app_headers) as upstream:
        ports = free_ports(len(compiled))
        hosts = []
        for number, (port, item) in enumerate(zip(ports, compiled, strict=True)):
            path = server.write(f"policies/t{number}.conf", item.text)
            hosts.append(virtual_host(port, f"    Include {path}\n{upstream.proxy()}"))
        server.configure(ports, "".join(hosts))
        checked = server.check()
        assert checked.returncode == 0, checked.stderr
        server.start(ports)
        try:
            yield ports
        finally:
            server.stop()


#: Apache's declared deviations (docs/apache.md), as the outcomes of the cases they decide.
ENCODED_SLASH = (
    "Apache answers a path with an encoded slash 404 before any policy is chosen "
    "(AllowEncodedSlashes Off), with no CORS headers"
)
ROUTED_PATH = (
    "Apache chooses the policy on the path as it routes it: decoded, dot segments removed, "
    "slashes merged"
)


def as_apache_routes(request: Request) -> Request:
    """The request with the path Apache routes (every escape decoded, slashes merged, dot
    segments removed), written back as a request target the evaluator reads as that path."""
    path = urllib.parse.quote(paths.decoded_path(request.path), safe="/:@!$&'()*+,;=-._~")
    return Request(request.method, path, request.headers)


def judged(got: CorsPart, request: Request, evaluator: Evaluator) -> Outcome:
    """A pass when Apache sent exactly the evaluator's CORS part; a declared deviation when it
    sent Apache's own 404 for an encoded slash, or the evaluator's answer for the path as
    Apache routes it where that differs; a failure otherwise."""
    want = expected_part(evaluator.respond(request))
    if same_part(got, want):
        return Outcome(PASS)
    raw = request.path.partition("?")[0].lower()
    if "%2f" in raw and same_part(got, CorsPart(404, (), ())):
        return Outcome(DEVIATES, ENCODED_SLASH)
    if same_part(got, expected_part(evaluator.respond(as_apache_routes(request)))):
        return Outcome(DEVIATES, ROUTED_PATH)
    return Outcome(FAIL, f"apache {got}, evaluator {want}")


@contextlib.contextmanager
def apache_harness(tables: Sequence[ConformanceTable]) -> Iterator[Judge]:
    """Real Apache, one virtual host per table. A case passes when Apache sends exactly the
    evaluator's CORS part (the evaluator's own harness holds it to the table)."""
    require_apache()
    with tempfile.TemporaryDirectory() as temporary:
        built = {table.name: compile_or_refuse(table.name, table.policy_text) for table in tables}
        compiled = {name: c for name, c in built.items() if isinstance(c, Compiled)}
        evaluators = {name: Evaluator(c.policy_set) for name, c in compiled.items()}
        with serving(list(compiled.values()), Path(temporary)) as port_list:
            ports = dict(zip(compiled, port_list, strict=True))

            def judge(case: ConformanceCase) -> Outcome:
                refusal = built[case.table]
                if not isinstance(refusal, Compiled):
                    return Outcome(REFUSED, ", ".join(sorted({d.code for d in refusal})))
                request = Request(case.method, case.path, case.headers)
                got = cors_part(send(ports[case.table], request))
                return judged(got, request, evaluators[case.table])

            yield judge
