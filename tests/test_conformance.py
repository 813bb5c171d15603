"""The shared conformance table (tests/conformance/*.toml) on every target, by one runner
(tests/conformance_runner.py): every case on every target gets an explicit outcome, which must
be a pass unless the target's listing (tests/conformance_expected.py) names the case with the
outcome it must give instead, and why.

Each target is brought up once for the whole table (one nginx for every table, each library
configured once per run); the cases then run one test each.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from tests.conformance_apache import apache_harness
from tests.conformance_caddy import caddy_harness
from tests.conformance_expected import EXPECTED
from tests.conformance_express import express_harness
from tests.conformance_haproxy import haproxy_harness
from tests.conformance_iis import TARGETS as IIS_TARGETS
from tests.conformance_iis import iis_harness
from tests.conformance_nginx import nginx_harness
from tests.conformance_python import library_harness, runtime_harness
from tests.conformance_runner import (
    DEVIATES,
    FAIL,
    KINDS,
    PASS,
    REFUSED,
    UNDETERMINED,
    Harness,
    Judge,
    Listed,
    Outcome,
    evaluator_harness,
)
from tests.conformance_table import ConformanceCase, load_tables

TABLES = load_tables()
CASES = [case for table in TABLES for case in table.cases]

#: Every target the table runs on, and its harness.
HARNESSES: dict[str, Harness] = {
    "evaluator": evaluator_harness,
    "runtime-asgi": runtime_harness("asgi"),
    "runtime-wsgi": runtime_harness("wsgi"),
    **{target: iis_harness(target) for target in IIS_TARGETS},
    "nginx": nginx_harness,
    "express": express_harness,
    "caddy": caddy_harness,
    "haproxy": haproxy_harness,
    "apache": apache_harness,
    **{library: library_harness(library) for library in ("starlette", "django", "flask")},
}


def listed(target: str, case: ConformanceCase) -> Listed | None:
    """The target's listing for ``case``: by its id, else by its table's name."""
    listing = EXPECTED[target]
    return listing.get(case.id, listing.get(case.table))


def problem(outcome: Outcome, expected: Listed | None) -> str | None:
    """Why ``outcome`` is not what the listing expects (``None`` when it is)."""
    if expected is None:
        if outcome.kind == PASS:
            return None
        return f"{outcome.kind} ({outcome.detail}), and the case is not listed"
    if outcome.kind == PASS:
        return f"passes, but is listed as {expected.kind}: the listing is no longer needed"
    if outcome.kind != expected.kind:
        return f"{outcome.kind} ({outcome.detail}), listed as {expected.kind}"
    if outcome.kind == REFUSED:
        if not expected.reason.startswith(f"{outcome.detail}: "):
            return f"refused with {outcome.detail}, listed as {expected.reason!r}"
    elif outcome.detail != expected.reason:
        return f"{outcome.kind} because {outcome.detail!r}, listed as {expected.reason!r}"
    return None


@pytest.fixture(scope="module", params=sorted(HARNESSES))
def target(request: pytest.FixtureRequest) -> Iterator[tuple[str, Judge]]:
    """One target brought up for the whole table, and its judge."""
    with HARNESSES[request.param](TABLES) as judge:
        yield request.param, judge


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_every_target_answers_every_case_as_listed(
    target: tuple[str, Judge], case: ConformanceCase
) -> None:
    name, judge = target
    found = problem(judge(case), listed(name, case))
    assert found is None, f"{name}: {case.id}: {found}"


def test_every_target_has_a_listing_and_every_listing_names_cases() -> None:
    assert sorted(EXPECTED) == sorted(HARNESSES)
    keys = {case.id for case in CASES} | {table.name for table in TABLES}
    for target, listing in EXPECTED.items():
        stale = sorted(set(listing) - keys)
        assert not stale, (target, stale)
        for key, expected in listing.items():
            assert expected.kind in KINDS and expected.reason, (target, key)
            if key in {table.name for table in TABLES}:
                # A whole table and one of its cases are never both listed.
                assert not [k for k in listing if k.startswith(f"{key}: ")], (target, key)


def test_every_target_passes_a_good_share_of_the_table() -> None:
    """Guards against a target that passes by refusing: each target passes a good share of the
    table, and the reference evaluator and corsc's runtime pass all of it."""
    passing = Counter(
        target
        for target, listing in EXPECTED.items()
        for case in CASES
        if listed(target, case) is None
    )
    assert all(passing[target] >= 30 for target in HARNESSES), passing
    for target in ("evaluator", "runtime-asgi", "runtime-wsgi"):
        assert passing[target] == len(CASES), target


def test_an_outcome_must_be_exactly_what_is_listed() -> None:
    """The comparison itself: an unlisted non-pass fails, a listed case that passes fails (the
    listing is no longer needed), and so do another kind, other codes and another detail."""
    refusal = Listed(REFUSED, "CORS601: why")
    deviation = Listed(DEVIATES, "the declared deviation")
    assert problem(Outcome(PASS), None) is None
    assert problem(Outcome(REFUSED, "CORS601"), refusal) is None
    assert problem(Outcome(DEVIATES, "the declared deviation"), deviation) is None
    assert problem(Outcome(REFUSED, "CORS601"), None)
    assert problem(Outcome(FAIL, "status 200, expected 204"), None)
    assert problem(Outcome(PASS), refusal)
    assert problem(Outcome(PASS), deviation)
    assert problem(Outcome(FAIL, "x"), refusal)
    assert problem(Outcome(REFUSED, "CORS613"), refusal)
    assert problem(Outcome(REFUSED, "CORS60"), refusal)
    assert problem(Outcome(DEVIATES, "another deviation"), deviation)
    assert problem(Outcome(UNDETERMINED, "the declared deviation"), deviation)
