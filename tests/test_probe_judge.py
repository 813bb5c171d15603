"""The probe's judge agrees with the tests' independent browser model (tests/browser.py) on the
evaluator's answers to every probe of the examples and on the same answers with one mistake
made (what broken servers send), and :func:`corsc.probe.judge.compare` reports each kind of
difference."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest

from corsc.evaluate import Evaluator
from corsc.frontend import load
from corsc.probe import judge
from corsc.probe.plan import Probe, probes
from corsc.source import Source
from tests import browser

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.cors"))
#: A value no safelist admits, so the browser model preflights every header the probe names.
UNSAFE = '"x"'
APP = (("Content-Type", "text/plain"), ("X-Request-Id", "1"), ("X-Secret", "s"))

Headers = tuple[tuple[str, str], ...]


def _replace(name: str, value: str | None) -> Callable[[Headers], Headers]:
    def change(headers: Headers) -> Headers:
        kept = tuple((key, v) for key, v in headers if key.lower() != name.lower())
        return kept if value is None else (*kept, (name, value))

    return change


#: Mistakes servers make, as changes to a correct answer's headers.
MISTAKES: dict[str, Callable[[Headers], Headers]] = {
    "as the policy says": lambda headers: headers,
    "no Allow-Origin": _replace("Access-Control-Allow-Origin", None),
    "Allow-Origin *": _replace("Access-Control-Allow-Origin", "*"),
    "no Allow-Credentials": _replace("Access-Control-Allow-Credentials", None),
    "no Allow-Methods": _replace("Access-Control-Allow-Methods", None),
    "Allow-Methods *": _replace("Access-Control-Allow-Methods", "*"),
    "Allow-Headers *": _replace("Access-Control-Allow-Headers", "*"),
    "Expose-Headers *": _replace("Access-Control-Expose-Headers", "*"),
    "Allow-Headers not tokens": _replace("Access-Control-Allow-Headers", "a b"),
}


@cache
def planned_probes(example: Path) -> tuple[Evaluator, list[Probe]]:
    loaded = load(Source(example.name, example.read_text("utf-8")))
    assert loaded.policy_set is not None
    evaluator = Evaluator(loaded.policy_set)
    return evaluator, probes(evaluator)


def script(probe: Probe) -> browser.ScriptRequest:
    """The script request the browser model sees behind ``probe``."""
    assert probe.origin is not None
    credentials = "include" if probe.credentials else "omit"
    if probe.preflight:
        return browser.ScriptRequest(
            probe.requested_method or "",
            probe.path,
            probe.origin,
            tuple((name, UNSAFE) for name in probe.requested_headers),
            credentials,
        )
    return browser.ScriptRequest("GET", probe.path, probe.origin, (), credentials)


def model(probe: Probe, status: int, headers: Headers) -> tuple[bool, frozenset[str]]:
    request = script(probe)
    if probe.preflight:
        return browser.preflight_problem(request, status, headers) is None, frozenset()
    allowed = browser.cors_problem(request, headers) is None
    readable = browser.exposed(request, (*APP, *headers)) if allowed else frozenset()
    return allowed, frozenset(readable - browser.SAFELISTED_RESPONSE_HEADERS)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.name)
@pytest.mark.parametrize("mistake", sorted(MISTAKES))
@pytest.mark.parametrize("status", [None, 404])
def test_the_judge_reaches_the_browser_models_verdict(
    example: Path, mistake: str, status: int | None
) -> None:
    evaluator, planned = planned_probes(example)
    for probe in planned:
        if probe.origin is None:
            continue
        _, expected_status, headers = judge.expected(evaluator, probe)
        answer = MISTAKES[mistake](headers)
        code = expected_status if status is None else status
        verdict = judge.verdict(probe, code, answer)
        present = {name.lower() for name, _ in (*APP, *answer)}
        readable = present if "*" in verdict.exposed else verdict.exposed & present
        readable -= browser.SAFELISTED_RESPONSE_HEADERS | browser.FORBIDDEN_RESPONSE_HEADERS
        assert (verdict.allowed, frozenset(readable)) == model(probe, code, answer), probe


def probe_of(method: str = "GET", origin: str = "https://a.example", **more: str) -> Probe:
    fields = (
        ("Origin", origin),
        *((name.replace("_", "-"), value) for name, value in more.items()),
    )
    return Probe("p", "/", "a test", method, fields)


def test_compare_reports_the_verdict_the_exposed_headers_and_vary() -> None:
    probe = probe_of()
    policy = judge.verdict(
        probe,
        200,
        (
            ("Access-Control-Allow-Origin", "https://a.example"),
            ("Access-Control-Expose-Headers", "X-Request-Id"),
            ("Vary", "Origin"),
        ),
    )
    blocked = judge.verdict(probe, 200, ())
    assert [m.text for m in judge.compare(policy, blocked)] == [
        "the browser finds it blocked (no Access-Control-Allow-Origin); the policy says allowed",
        "Vary lacks origin, which the policy sends",
    ]
    other = judge.verdict(probe, 200, (("Access-Control-Allow-Origin", "*"), ("Vary", "Accept, *")))
    assert [(m.aspect, m.text) for m in judge.compare(policy, other)] == [
        (judge.Aspect.EXPOSED, "scripts may read no other header; the policy exposes x-request-id")
    ]
    assert judge.compare(policy, policy) == []
