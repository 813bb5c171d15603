"""The IIS targets judged against the reference evaluator, through the test interpreter of
tests/iis_interpreter.py and the browser model of tests/browser.py.

A case conforms when the browser reaches the same verdict from the target's responses as from
the evaluator's, reads the same headers, and every response's ``Vary`` contains the
evaluator's members. A case whose answer Microsoft does not document is *undetermined*: counted
apart, never as a pass, and listed in docs/iis.md (regenerated with ``CORSC_UPDATE_GOLDEN=1``).

The requests: every example policy, each allowed origin and adversarial look-alikes of it,
simple and preflighted requests, with and without credentials, on each policy's paths. For
``iis-rewrite`` every ``{HTTP_ORIGIN}`` condition is also run directly against look-alikes.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path

import pytest

from corsc import origins
from corsc.backends import EmitOptions, check, get
from corsc.diagnostics import Severity
from corsc.evaluate import Evaluator, Request
from corsc.frontend import load
from corsc.ir import PatternKind, PolicySet
from corsc.source import Source
from tests import browser
from tests.conformance_table import ConformanceCase, load_tables
from tests.iis_interpreter import Undetermined, server
from tests.iis_structure import parse

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.cors"))
TARGETS = ("iis", "iis-headers", "iis-rewrite")
DOC = ROOT / "docs" / "iis.md"
UPDATE = os.environ.get("CORSC_UPDATE_GOLDEN") == "1"


def look_alikes(origin: str) -> list[str]:
    """Origins an attacker could use against a pattern written for ``origin``."""
    scheme, _, host = origin.partition("://")
    twin = "http" if scheme == "https" else "https"
    return [
        f"{origin}.evil.example",
        f"{scheme}://evil{host}",
        f"{scheme}://evil.{host}",
        f"{twin}://{host}",
        f"{origin}:8444" if ":" not in host else origin.rsplit(":", 1)[0] + ":1",
        origin.upper(),
        f"{origin}/",
        f"{origin}{'' if ':' in host else (':443' if scheme == 'https' else ':80')}",
        "null",
    ]


def origins_of(policy_set: PolicySet) -> list[str]:
    found: list[str] = ["https://unlisted.example"]
    for policy in policy_set.policies:
        for pattern in [e.pattern for e in policy.entries] + list(policy.denies):
            if pattern.kind is PatternKind.EXACT:
                sample = pattern.canonical
            elif pattern.kind is PatternKind.SUBDOMAIN:
                sample = f"{pattern.scheme}://a.{pattern.host}"
                found += [
                    f"{pattern.scheme}://a.b.{pattern.host}",
                    f"{pattern.scheme}://{pattern.host}",
                ]
            elif pattern.kind is PatternKind.PORT:
                sample = f"{pattern.scheme}://{pattern.host}:5173"
            else:
                continue
            found += [sample, *look_alikes(sample)]
    return list(dict.fromkeys(found))


def requests(policy_set: PolicySet) -> list[browser.ScriptRequest]:
    paths = ["/", "/x"] + [
        p.value + "/items" for policy in policy_set.policies for p in policy.paths
    ]
    shapes = [
        ("GET", ()),
        ("PUT", (("Content-Type", "application/json"),)),
        ("DELETE", (("X-Requested-With", "fetch"),)),
        ("POST", (("X-Unknown", "1"),)),
        ("PATCH", ()),
    ]
    found = []
    for origin in origins_of(policy_set):
        for path in paths:
            for method, headers in shapes:
                for credentials in ("omit", "include"):
                    found.append(
                        browser.script_request(
                            method, path, origin=origin, headers=headers, credentials=credentials
                        )
                    )
    return found


def app(request: Request) -> tuple[int, list[tuple[str, str]]]:
    return 200, list(browser.APP_HEADERS)


def compiled(example: Path, target: str) -> tuple[PolicySet, str] | None:
    loaded = load(Source(example.name, example.read_text("utf-8")))
    assert loaded.policy_set is not None
    backend = get(target)
    values = {o.key: o.default for o in backend.options if o.default}
    options = EmitOptions("0.1.0", example.name, target, values)
    if any(
        d.severity is Severity.ERROR
        for d in [*loaded.diagnostics, *check(backend, loaded.policy_set, options)]
    ):
        return None
    return loaded.policy_set, backend.emit(loaded.policy_set, options)[0].content


def recording(serve):  # type: ignore[no-untyped-def]
    seen: list[tuple[Request, list[tuple[str, str]]]] = []

    def wrapped(request: Request):  # type: ignore[no-untyped-def]
        status, headers = serve(request)
        seen.append((request, list(headers)))
        return status, headers

    return wrapped, seen


def vary(headers: list[tuple[str, str]]) -> set[str]:
    return {
        m.strip().lower()
        for n, v in headers
        if n.lower() == "vary"
        for m in v.split(",")
        if m.strip()
    }


def judge(policy_set: PolicySet, config: str, request: browser.ScriptRequest) -> str:
    """``pass``, ``fail: …`` or ``undetermined: …`` for one script request."""
    expected_server, expected_seen = recording(browser.evaluator_server(Evaluator(policy_set)))
    actual_server, actual_seen = recording(server(config, app))
    expected = browser.fetch(expected_server, request)
    try:
        actual = browser.fetch(actual_server, request)
    except Undetermined as question:
        return f"undetermined: {question.args[0]}"
    if actual.shared != expected.shared:
        return f"fail: shared={actual.shared}, evaluator {expected.shared} ({actual.reason})"
    if actual.exposed != expected.exposed:
        return f"fail: exposed {sorted(actual.exposed)}, evaluator {sorted(expected.exposed)}"
    for (request_sent, wanted), (_, got) in zip(expected_seen, actual_seen, strict=False):
        if not vary(wanted) <= vary(got):
            missing = sorted(vary(wanted) - vary(got))
            return f"fail: Vary {sorted(vary(got))} lacks {missing} ({request_sent.method})"
    return "pass"


def describe(request: browser.ScriptRequest) -> str:
    headers = ",".join(n for n, _ in request.headers)
    return f"{request.method} {request.path} Origin {request.origin!r} {request.credentials}" + (
        f" [{headers}]" if headers else ""
    )


def run_all() -> dict[str, dict[str, Counter[str]]]:
    """Per target: outcome kind → counts; per undetermined question → count."""
    results: dict[str, dict[str, Counter[str]]] = {}
    for target in TARGETS:
        kinds: Counter[str] = Counter()
        questions: Counter[str] = Counter()
        failures: Counter[str] = Counter()
        for example in EXAMPLES:
            built = compiled(example, target)
            if built is None:
                continue
            policy_set, config = built
            for request in requests(policy_set):
                verdict = judge(policy_set, config, request)
                kind = verdict.split(":")[0]
                kinds[kind] += 1
                if kind == "undetermined":
                    questions[verdict.split(": ", 1)[1]] += 1
                elif kind == "fail":
                    failures[f"{example.stem}: {describe(request)}: {verdict}"] += 1
        results[target] = {"kinds": kinds, "questions": questions, "failures": failures}
    return results


@pytest.fixture(scope="module")
def results() -> dict[str, dict[str, Counter[str]]]:
    return run_all()


@pytest.mark.parametrize("target", TARGETS)
def test_no_case_fails(results: dict[str, dict[str, Counter[str]]], target: str) -> None:
    assert not results[target]["failures"], list(results[target]["failures"])[:10]
    assert results[target]["kinds"]["pass"] > 0


def undetermined_section(results: dict[str, dict[str, Counter[str]]]) -> str:
    lines = [
        "<!-- conformance:begin -->",
        "| target | pass | undetermined | fail |",
        "|---|---|---|---|",
    ]
    for target in TARGETS:
        kinds = results[target]["kinds"]
        lines.append(
            f"| `{target}` | {kinds['pass']} | {kinds['undetermined']} | {kinds['fail']} |"
        )
    lines.append("")
    for target in TARGETS:
        for question, count in sorted(results[target]["questions"].items()):
            lines.append(f"- `{target}` ({count} cases): {question}")
    lines.append("<!-- conformance:end -->")
    return "\n".join(lines)


def test_undetermined_cases_are_listed_in_the_docs(
    results: dict[str, dict[str, Counter[str]]],
) -> None:
    section = undetermined_section(results)
    text = DOC.read_text("utf-8")
    current = re.search(r"<!-- conformance:begin -->.*?<!-- conformance:end -->", text, re.S)
    assert current is not None
    if UPDATE:
        DOC.write_text(text.replace(current.group(0), section), "utf-8")
        text = DOC.read_text("utf-8")
    assert section in text


# ---- iis-rewrite: every origin condition against look-alikes -----------------------------------


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_rewrite_origin_conditions_reject_look_alikes(example: Path) -> None:
    built = compiled(example, "iis-rewrite")
    assert built is not None
    policy_set, config = built
    # Whitespace around an Origin never reaches a browser's request, but a pattern must still
    # refuse it (a condition is a search, not a full match).
    candidates = [o for base in origins_of(policy_set) for o in (base, f"{base}\t", f" {base}")]
    allowed_any = [origins.matcher(e.pattern) for p in policy_set.policies for e in p.entries]
    checked = 0
    for condition in parse(config).iter("add"):
        if condition.get("input") != "{HTTP_ORIGIN}" or condition.get("pattern") == ".+":
            continue
        pattern = condition.get("pattern", "")
        assert (
            pattern.startswith("^")
            and pattern.endswith("$")
            and condition.get("ignoreCase") == "false"
        )
        compiled_pattern = re.compile(pattern)
        for origin in candidates:
            if compiled_pattern.search(origin) and not any(match(origin) for match in allowed_any):
                pytest.fail(f"{pattern} admits {origin!r}, which no allowed pattern admits")
            checked += 1
    assert checked > 0


# ---- the shared conformance table ----------------------------------------------------------


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
    request_method = dict((n.lower(), v) for n, v in case.request_headers).get(
        "access-control-request-method"
    )
    lowered = {name.lower(): value for name, value in case.request_headers}
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


def table_outcome(policy_set: PolicySet, config: str, case: ConformanceCase) -> str:
    """``pass``, ``fail: …`` or ``undetermined: …`` for one case of the shared table, judged as
    every target is: the browser's verdict and exposed headers equal the evaluator's, and
    the response's Vary contains the evaluator's members."""
    request = Request.of(case.method, case.path, headers=case.headers)
    expected = browser.evaluator_server(Evaluator(policy_set))(request)
    try:
        actual = server(config, app)(request)
    except Undetermined as question:
        return f"undetermined: {question.args[0]}"
    present = {n.lower() for n, _ in expected[1]} & {n.lower() for n, _ in actual[1]}
    want = table_verdict(case, expected[0], list(expected[1]), present)
    got = table_verdict(case, actual[0], list(actual[1]), present)
    if want != got:
        return f"fail: {got}, evaluator {want}"
    if not vary(list(expected[1])) <= vary(list(actual[1])):
        return f"fail: Vary {sorted(vary(list(actual[1])))}"
    return "pass"


@pytest.mark.parametrize("target", TARGETS)
def test_shared_conformance_table(target: str) -> None:
    """Every table the target can compile, every case: no failure; undetermined cases (where
    Microsoft documents nothing) are counted apart, never as passes."""
    backend = get(target)
    values = {o.key: o.default for o in backend.options if o.default}
    outcomes: Counter[str] = Counter()
    failures = []
    for table in load_tables():
        loaded = load(Source(f"{table.name}.cors", table.policy_text))
        assert loaded.policy_set is not None
        options = EmitOptions("0.1.0", f"{table.name}.cors", target, values)
        problems = [*loaded.diagnostics, *check(backend, loaded.policy_set, options)]
        if any(item.severity is Severity.ERROR for item in problems):
            outcomes["refused by the target (a 6xx error)"] += len(table.cases)
            continue
        config = backend.emit(loaded.policy_set, options)[0].content
        for case in table.cases:
            outcome = table_outcome(loaded.policy_set, config, case)
            outcomes[outcome.split(":")[0]] += 1
            if outcome.startswith("fail"):
                failures.append(f"{case.id}: {outcome}")
    assert not failures, failures[:10]
    assert outcomes["pass"] > 0, outcomes
