"""Round trip: importing what corsc wrote gives back a policy with the same browser verdicts
as the policy it was compiled from, for generated requests (a property test)."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser import evaluator_server, fetch, script_request
from hypothesis import given, settings
from hypothesis import strategies as st

from corsc.evaluate import Evaluator
from corsc.frontend import load
from corsc.imports import import_source
from corsc.source import Source

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
#: Every golden output corsc writes that import reads (nginx's are not yet: see docs).
OUTPUTS = sorted(
    path
    for pattern in ("iis*/*.web.config", "django/*.py", "flask/*.py")
    for path in GOLDEN.glob(pattern)
)
ORIGINS = (
    "https://app.example.com",
    "https://staging.example.com",
    "https://localhost:3000",
    "http://localhost:8080",
    "http://localhost",
    "https://partner.example.net",
    "https://a.partner.example.org",
    "https://legacy.partner.example.org",
    "https://reports.example.com",
    "https://evil.example",
    "https://app.example.com.evil.example",
    "null",
)
PATHS = ("/", "/api", "/api/x", "/v2/y", "/other")
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")
HEADERS = (
    (),
    (("Content-Type", "application/json"),),
    (("Authorization", "Bearer x"),),
    (("X-Other", "1"),),
    (("X-Requested-With", "x"), ("Accept", "a")),
)


def evaluators(output: Path) -> tuple[Evaluator, Evaluator]:
    stem = output.name.split(".")[0]
    original = load(Source(f"{stem}.cors", (ROOT / "examples" / f"{stem}.cors").read_text()))
    family = {"django": "django", "flask": "flask"}.get(output.parent.name, "iis")
    result = import_source(Source(output.name, output.read_text("utf-8")), family)
    assert result.policy is not None, result.diagnostics
    back = load(Source("imported.cors", result.policy))
    assert original.policy_set is not None and back.policy_set is not None, result.policy
    return Evaluator(original.policy_set), Evaluator(back.policy_set)


def test_every_golden_output_is_covered() -> None:
    assert len(OUTPUTS) >= 8
    assert {path.parent.name for path in OUTPUTS} >= {"iis", "iis-headers", "iis-rewrite"}


@pytest.mark.parametrize("output", OUTPUTS, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_import_of_corsc_output_keeps_every_verdict(output: Path) -> None:
    before, after = evaluators(output)

    @settings(max_examples=150, deadline=None, database=None)
    @given(
        origin=st.sampled_from(ORIGINS),
        path=st.sampled_from(PATHS),
        method=st.sampled_from(METHODS),
        headers=st.sampled_from(HEADERS),
        credentials=st.sampled_from(("include", "same-origin")),
    )
    def same(origin: str, path: str, method: str, headers: tuple, credentials: str) -> None:
        request = script_request(
            method, path, origin=origin, headers=headers, credentials=credentials
        )
        assert fetch(evaluator_server(after), request) == fetch(
            evaluator_server(before), request
        ), (origin, path, method, headers, credentials)

    same()
