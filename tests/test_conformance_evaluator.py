"""The shared conformance table (tests/conformance/*.toml) run against the reference evaluator.

The evaluator is the definition of meaning, so it must match every case exactly: no
``Access-Control-*`` header beyond those a case expects. Each policy goes through the real text
front end and must load without errors.
"""

from __future__ import annotations

from functools import cache

import pytest
from conformance_table import ConformanceCase, load_cases

from corsc.evaluate import Evaluator, Request
from corsc.frontend import load
from corsc.source import Source

CASES = load_cases()


@cache
def evaluator_for(table: str, policy_text: str) -> Evaluator:
    loaded = load(Source(f"{table}.cors", policy_text))
    assert not loaded.has_errors, loaded.diagnostics
    assert loaded.policy_set is not None
    return Evaluator(loaded.policy_set)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_the_evaluator_matches_the_table(case: ConformanceCase) -> None:
    response = evaluator_for(case.table, case.policy_text).respond(
        Request(case.method, case.path, case.headers)
    )
    headers = list(response.headers)
    if response.vary:
        headers.append(("Vary", ", ".join(response.vary)))
    case.assert_matches(response.status, headers, exact=True)
