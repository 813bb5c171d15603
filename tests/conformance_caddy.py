"""The conformance harness of the caddy target: one Caddy (``admin off``, ``auto_https off``)
for the whole table, each table's snippet imported by its own site on its own 127.0.0.1 port.

The application behind each snippet is ``respond "{}" 200`` (tests/python_harness.py's stub
answer), so a response with another status or body came from the CORS layer. A table's
snippet is renamed after the table (``(t<n>-corsc-<policy>)``, ``(t<n>-corsc)``), since
several tables name their policy alike and a Caddyfile defines each snippet once.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from corsc import __version__
from corsc.backends import EmitOptions, check, get
from corsc.diagnostics import Diagnostic
from corsc.evaluate import Evaluator, Request
from corsc.frontend import load
from corsc.ir import PolicySet
from corsc.source import Source
from tests.caddy_launcher import running
from tests.conformance_nginx import decoded_target, send, with_vary
from tests.conformance_runner import DEVIATES, FAIL, PASS, REFUSED, Judge, Outcome
from tests.conformance_table import ConformanceCase, ConformanceTable
from tests.nginx_launcher import free_ports
from tests.python_harness import APP_BODY, CorsPart, cors_part, expected_part, same_part

CADDY = shutil.which("caddy")

#: The caddy target's declared deviation (its capability table: paths), as the outcome of the
#: cases it decides.
DECODED_PATH = "Caddy answers an ambiguous path it cannot tell apart by its cleaned path's policy"


def by_name(part: CorsPart) -> CorsPart:
    """``part`` with its header fields in Go's order: sorted by name (stable for repeats)."""
    return CorsPart(part.status, tuple(sorted(part.headers, key=lambda h: h[0])), part.vary)


def compile_or_refuse(name: str, text: str) -> tuple[PolicySet, str] | list[Diagnostic]:
    """``name.cors`` compiled for caddy (the policy set and its one snippet), or the errors
    that refuse it."""
    loaded = load(Source(f"{name}.cors", text))
    assert loaded.policy_set is not None, loaded.diagnostics
    backend = get("caddy")
    options = EmitOptions(__version__, f"{name}.cors", "caddy", {})
    errors = [
        item
        for item in [*loaded.diagnostics, *check(backend, loaded.policy_set, options)]
        if item.severity.value == "error"
    ]
    if errors:
        return errors
    (snippet,) = backend.emit(loaded.policy_set, options)
    return loaded.policy_set, snippet.content


def caddyfile(
    snippets: dict[str, str], ports: dict[str, int], app_headers: Sequence[tuple[str, str]] = ()
) -> str:
    """One site per table, importing its renamed snippet in front of the stub application
    (which also sends ``app_headers``)."""
    sites = []
    sent = "".join(f'\theader {name} "{value}"\n' for name, value in app_headers)
    for index, (table, snippet) in enumerate(snippets.items()):
        renamed = snippet.replace("\n(corsc", f"\n(t{index}-corsc", 1)
        sites.append(renamed)
        name = renamed.split("\n(", 1)[1].split(")", 1)[0]
        sites.append(
            f"http://:{ports[table]} {{\n{sent}\timport {name}\n"
            f'\trespond "{APP_BODY.decode()}" 200\n}}\n'
        )
    return "{\n\tadmin off\n\tauto_https off\n}\n" + "\n".join(sites)


def require_caddy() -> str:
    """Caddy's path: a failure under ``CI=true`` when it is missing, a skip otherwise."""
    if CADDY is None:
        if os.environ.get("CI") == "true":
            raise RuntimeError("caddy is not installed; .ci/run installs Debian's caddy")
        pytest.skip("caddy is not installed (Debian: apt-get install caddy)")
    return CADDY


@contextlib.contextmanager
def serving(
    snippets: dict[str, str], app_headers: Sequence[tuple[str, str]] = ()
) -> Iterator[dict[str, int]]:
    """One Caddy serving each table's snippet on its own port; yields the ports by table."""
    caddy = require_caddy()
    ports = dict(zip(snippets, free_ports(len(snippets)), strict=True))
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        config = root / "Caddyfile"
        config.write_text(caddyfile(snippets, ports, app_headers), "utf-8")
        with running(caddy, config, root, *ports.values()):
            yield ports


@contextlib.contextmanager
def caddy_harness(tables: Sequence[ConformanceTable]) -> Iterator[Judge]:
    """Real Caddy, one site per table. A case conforms when Caddy sends the evaluator's CORS
    part and that answer is the table's; it deviates where Caddy sends instead the answer for
    the path as Caddy routes it (:func:`corsc.paths.decoded_path`), its declared deviation.
    Caddy (Go's net/http) writes header fields sorted by name; fields of different names are
    compared in that order on both sides, since HTTP gives their order no meaning (RFC 9110,
    section 5.3), while repeats of one field keep theirs."""
    require_caddy()
    built = {table.name: compile_or_refuse(table.name, table.policy_text) for table in tables}
    compiled = {name: c for name, c in built.items() if isinstance(c, tuple)}
    evaluators = {name: Evaluator(c[0]) for name, c in compiled.items()}

    with serving({n: c[1] for n, c in compiled.items()}) as ports:

        def judge(case: ConformanceCase) -> Outcome:
            refusal = built[case.table]
            if not isinstance(refusal, tuple):
                return Outcome(REFUSED, ", ".join(sorted({d.code for d in refusal})))
            request = Request(case.method, case.path, case.headers)
            got = cors_part(send(ports[case.table], request))
            evaluator = evaluators[case.table]
            want = expected_part(evaluator.respond(request))
            if not same_part(by_name(got), by_name(want)):
                # The declared deviation (paths): a path corsc finds ambiguous for a reason
                # Caddy cannot see is answered by the policy of the path as Caddy routes it.
                routed = Request(case.method, decoded_target(case.path), case.headers)
                if same_part(by_name(got), by_name(expected_part(evaluator.respond(routed)))):
                    return Outcome(DEVIATES, DECODED_PATH)
                return Outcome(FAIL, f"caddy {got}, evaluator {want}")
            problems = case.mismatches(got.status, with_vary(got))
            if problems:
                return Outcome(FAIL, "; ".join(problems))
            return Outcome(PASS)

        yield judge
