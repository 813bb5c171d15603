"""The conformance harness of the express target: one Node.js process (tests/express_app/
serve.js) serving every table's compiled module with real Express and the cors package, each on
its own ephemeral port on 127.0.0.1. The application answers ``200 "{}"`` (tests/python_harness.py's
stub answer), so a response with another status or body came from the CORS layer. A case passes
when Express sends exactly the evaluator's CORS part."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from corsc import __version__
from corsc.backends import EmitOptions, get
from corsc.evaluate import Evaluator, Request
from corsc.frontend import load
from corsc.source import Source
from tests.chromium import IN_CI
from tests.conformance_nginx import send
from tests.conformance_runner import FAIL, PASS, REFUSED, Judge, Outcome
from tests.conformance_table import ConformanceCase, ConformanceTable
from tests.python_harness import cors_part, expected_part, same_part

APP = Path(__file__).resolve().parent / "express_app"
MODULES = APP / "node_modules"


def missing() -> str | None:
    """Why Express cannot run here, or ``None``."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not (MODULES / "express").is_dir() or not (MODULES / "cors").is_dir():
        return "express and cors are not installed (npm ci in tests/express_app)"
    return None


def require_express() -> None:
    """Skip loudly without Node.js, Express and cors; under ``CI=true`` fail (CI installs them)."""
    reason = missing()
    if reason is not None:
        if IN_CI:
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(f"EXPRESS TESTS NOT RUN: {reason}")


def compile_or_refuse(name: str, text: str) -> str | list[str]:
    """``name.cors`` compiled for express (the module's text), or the codes of its errors."""
    loaded = load(Source(f"{name}.cors", text))
    assert loaded.policy_set is not None, loaded.diagnostics
    backend = get("express")
    options = EmitOptions(__version__, f"{name}.cors", "express", {})
    errors = [
        item.code
        for item in [*loaded.diagnostics, *backend.check(loaded.policy_set, options)]
        if item.severity.value == "error"
    ]
    if errors:
        return errors
    (output,) = backend.emit(loaded.policy_set, options)
    return output.content


@contextlib.contextmanager
def serving(
    modules: Sequence[str], app_headers: Sequence[tuple[str, str]] | None = None
) -> Iterator[list[int]]:
    """One Node.js process serving each module's text on its own port; the application sends
    ``app_headers`` when given (the browser tests'), else a JSON ``{}``."""
    require_express()
    with tempfile.TemporaryDirectory() as directory:
        paths = []
        for number, text in enumerate(modules):
            path = Path(directory) / f"cors_{number}.js"
            path.write_text(text, encoding="utf-8")
            paths.append(str(path))
        server = subprocess.Popen(
            ["node", str(APP / "serve.js"), *paths],
            cwd=APP,
            env={
                **os.environ,
                "NODE_PATH": str(MODULES),
                "CORSC_APP_HEADERS": json.dumps(None if app_headers is None else list(app_headers)),
            },
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert server.stdout is not None
            yield json.loads(server.stdout.readline())
        finally:
            server.kill()
            server.wait()


def compiled_tables(
    tables: Sequence[ConformanceTable],
) -> tuple[dict[str, str | list[str]], dict[str, str], dict[str, Evaluator]]:
    """Every table compiled (the module's text, or its error codes), the modules that compiled,
    and the evaluator of each of those."""
    built = {table.name: compile_or_refuse(table.name, table.policy_text) for table in tables}
    compiled = {name: text for name, text in built.items() if isinstance(text, str)}
    evaluators = {}
    for table in tables:
        if table.name in compiled:
            loaded = load(Source(f"{table.name}.cors", table.policy_text))
            assert loaded.policy_set is not None
            evaluators[table.name] = Evaluator(loaded.policy_set)
    return built, compiled, evaluators


@contextlib.contextmanager
def express_harness(tables: Sequence[ConformanceTable]) -> Iterator[Judge]:
    built, compiled, evaluators = compiled_tables(tables)
    with serving(list(compiled.values())) as port_list:
        ports = dict(zip(compiled, port_list, strict=True))

        def judge(case: ConformanceCase) -> Outcome:
            refusal = built[case.table]
            if not isinstance(refusal, str):
                return Outcome(REFUSED, ", ".join(sorted(set(refusal))))
            request = Request(case.method, case.path, case.headers)
            got = cors_part(send(ports[case.table], request))
            want = expected_part(evaluators[case.table].respond(request))
            if not same_part(got, want):
                return Outcome(FAIL, f"express {got}, evaluator {want}")
            return Outcome(PASS)

        yield judge
