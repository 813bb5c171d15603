"""The conformance harness of the IIS targets (``iis``, ``iis-headers``, ``iis-rewrite``): the
emitted web.config run by the interpreter of tests/iis_interpreter.py, judged by the browser
model of tests/browser.py against the reference evaluator.

A case conforms when the browser's verdict and the headers it lets a script read are the
evaluator's, and the response's ``Vary`` contains the evaluator's members. Where Microsoft
documents nothing that decides the answer the outcome is *undetermined*, never a pass.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

from corsc.backends import EmitOptions, check, get
from corsc.diagnostics import Diagnostic, Severity
from corsc.evaluate import Evaluator, Request
from corsc.frontend import load
from corsc.ir import PolicySet
from corsc.source import Source
from tests import browser
from tests.conformance_runner import FAIL, PASS, REFUSED, UNDETERMINED, Harness, Judge, Outcome
from tests.conformance_table import ConformanceCase, ConformanceTable
from tests.iis_interpreter import Undetermined, server

TARGETS = ("iis", "iis-headers", "iis-rewrite")


def app(request: Request) -> tuple[int, list[tuple[str, str]]]:
    """The application behind IIS: 200 with the browser model's application headers."""
    return 200, list(browser.APP_HEADERS)


def vary(headers: list[tuple[str, str]]) -> set[str]:
    """The members of every ``Vary`` header, lowercased."""
    return {
        m.strip().lower()
        for n, v in headers
        if n.lower() == "vary"
        for m in v.split(",")
        if m.strip()
    }


def web_config(
    source_name: str, text: str, target: str
) -> tuple[PolicySet, str | None, list[Diagnostic]]:
    """``corsc compile --target target`` with the target's default options: the policy set, the
    web.config (``None`` when an error refuses it) and the errors."""
    loaded = load(Source(source_name, text))
    assert loaded.policy_set is not None
    backend = get(target)
    values = {o.key: o.default for o in backend.options if o.default}
    options = EmitOptions("0.1.0", source_name, target, values)
    errors = [
        d
        for d in [*loaded.diagnostics, *check(backend, loaded.policy_set, options)]
        if d.severity is Severity.ERROR
    ]
    if errors:
        return loaded.policy_set, None, errors
    return loaded.policy_set, backend.emit(loaded.policy_set, options)[0].content, []


def table_verdict(
    case: ConformanceCase, status: int, headers: list[tuple[str, str]], present: set[str]
) -> str:
    """What a browser concludes from one response to the case's request: ``accepted`` or
    ``refused`` for a preflight, ``shared <exposed names>`` or ``blocked`` otherwise, ``-``
    for a request without Origin (no browser verdict). Exposure is compared over the header
    names ``present`` in both responses: with ``-O options=iis`` IIS, not the application,
    answers a script's own OPTIONS request (documented), so the application's headers are
    missing there, while what the policy lets scripts read is the same."""
    if case.origin is None:
        return "-"
    lowered = {name.lower(): value for name, value in case.request_headers}
    request_method = lowered.get("access-control-request-method")
    if case.method == "OPTIONS" and request_method is not None:
        names = lowered.get("access-control-request-headers", "")
        script = browser.ScriptRequest(
            method=request_method.strip(),
            path=case.path,
            origin=case.origin,
            headers=tuple((name.strip(), "x") for name in names.split(",") if name.strip()),
            credentials=case.credentials,  # type: ignore[arg-type]
            private_network=lowered.get("access-control-request-private-network") == "true",
        )
        return "refused" if browser.preflight_problem(script, status, headers) else "accepted"
    script = browser.ScriptRequest(
        method=case.method,
        path=case.path,
        origin=case.origin,
        headers=case.request_headers,
        credentials=case.credentials,  # type: ignore[arg-type]
    )
    if browser.cors_problem(script, headers) is not None:
        return "blocked"
    return "shared " + ",".join(sorted(browser.exposed(script, headers) & present))


def table_outcome(policy_set: PolicySet, config: str, case: ConformanceCase) -> Outcome:
    """One case of the shared table, judged as every target is: the browser's verdict and
    exposed headers equal the evaluator's, and the response's Vary contains the evaluator's
    members."""
    request = Request.of(case.method, case.path, headers=case.headers)
    expected = browser.evaluator_server(Evaluator(policy_set))(request)
    try:
        actual = server(config, app)(request)
    except Undetermined as question:
        return Outcome(UNDETERMINED, question.args[0])
    present = {n.lower() for n, _ in expected[1]} & {n.lower() for n, _ in actual[1]}
    want = table_verdict(case, expected[0], list(expected[1]), present)
    got = table_verdict(case, actual[0], list(actual[1]), present)
    if want != got:
        return Outcome(FAIL, f"{got}, evaluator {want}")
    if not vary(list(expected[1])) <= vary(list(actual[1])):
        return Outcome(FAIL, f"Vary {sorted(vary(list(actual[1])))}")
    return Outcome(PASS)


def iis_harness(target: str) -> Harness:
    """The harness of one IIS target: each table compiled once with the default options."""

    @contextlib.contextmanager
    def harness(tables: Sequence[ConformanceTable]) -> Iterator[Judge]:
        built = {t.name: web_config(f"{t.name}.cors", t.policy_text, target) for t in tables}

        def judge(case: ConformanceCase) -> Outcome:
            policy_set, config, errors = built[case.table]
            if config is None:
                return Outcome(REFUSED, ", ".join(sorted({d.code for d in errors})))
            return table_outcome(policy_set, config, case)

        yield judge

    return harness
