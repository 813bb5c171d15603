"""The IIS targets judged against the reference evaluator, through the test interpreter of
tests/iis_interpreter.py and the browser model of tests/browser.py.

A case conforms when the browser reaches the same verdict from the target's responses as from
the evaluator's, reads the same headers, and every response's ``Vary`` contains the
evaluator's members. A case whose answer Microsoft does not document is *undetermined*: counted
apart, never as a pass, and listed in docs/iis.md (regenerated with ``CORSC_UPDATE_GOLDEN=1``).

The shared conformance table runs on these targets in tests/test_conformance.py; here the
requests are: every example policy, each allowed origin and adversarial look-alikes of it,
simple and preflighted requests, with and without credentials, on each policy's paths. For
``iis-rewrite`` every ``{HTTP_ORIGIN}`` condition is also run directly against look-alikes.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from corsc import origin_regex
from corsc.evaluate import Evaluator, Request
from corsc.ir import PatternKind, PolicySet
from corsc.probe.plan import look_alikes
from tests import browser
from tests.conformance_iis import TARGETS, app, vary, web_config
from tests.goldens import UPDATE
from tests.iis_interpreter import Undetermined, server
from tests.iis_structure import parse

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.cors"))
DOC = ROOT / "docs" / "iis.md"


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


def compiled(example: Path, target: str) -> tuple[PolicySet, str] | None:
    """The example's policy set and web.config, or ``None`` when the target refuses it."""
    policy_set, config, _ = web_config(example.name, example.read_text("utf-8"), target)
    return None if config is None else (policy_set, config)


def recording(serve):  # type: ignore[no-untyped-def]
    seen: list[tuple[Request, list[tuple[str, str]]]] = []

    def wrapped(request: Request):  # type: ignore[no-untyped-def]
        status, headers = serve(request)
        seen.append((request, list(headers)))
        return status, headers

    return wrapped, seen


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
    allowed_any = [origin_regex.matcher(e.pattern) for p in policy_set.policies for e in p.entries]
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
