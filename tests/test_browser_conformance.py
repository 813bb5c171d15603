"""The shared conformance table through a real Chromium, on every target that runs here
(tests/conformance_browser.py): every case a browser can send gets Chromium's verdict — the
request shared or blocked, and which of the application's headers the script reads.

Two things must hold for every case:

- **Chromium and the browser model agree** (tests/browser.py, applied to the same real answers):
  verdict, readable headers and whether a preflight was sent. A disagreement fails and says
  which of the two is wrong relative to the Fetch Standard: the model, which is our reading of
  it, unless :data:`CHROMIUM_DEPARTURES` records that Chromium departs from the standard there.
- **Chromium's verdict at the target is the evaluator's** (the model applied to the reference
  evaluator's answers), unless the target's listing in tests/conformance_expected.py names the
  case: a refusal or a case no configuration answers must be exactly that, and a declared
  deviation must change the browser's verdict exactly where :data:`VISIBLE_DEVIATIONS` says it
  does, and nowhere else.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.chromium import Tab
from tests.conformance_browser import (
    LISTING,
    SERVED,
    Judged,
    Route,
    browser_cases,
    browser_script,
    judge,
)
from tests.conformance_runner import DEVIATES, Outcome
from tests.conformance_table import ConformanceCase, load_tables
from tests.test_conformance import listed, problem

TABLES = load_tables()
CASES = browser_cases(TABLES)

#: Where Chromium is known to depart from the Fetch Standard, by Chromium's CORS error name:
#: a disagreement with the model there blames Chromium. None is known today.
CHROMIUM_DEPARTURES: dict[str, str] = {}

#: The declared deviations (tests/conformance_expected.py) a browser sees: the verdict Chromium
#: reaches instead of the evaluator's, per target and case.
VISIBLE_DEVIATIONS: dict[str, dict[str, str]] = {}


def disagreement(judged: Judged) -> str | None:
    """Why Chromium and the model disagree on one answer, naming the one that is wrong."""
    seen = judged.seen
    if judged.chromium == judged.model and seen.preflighted == judged.model_preflighted:
        return None
    chromium = f"Chromium: {judged.chromium}, preflight {'sent' if seen.preflighted else 'not sent'}"
    if seen.cors_error:
        chromium += f" ({seen.cors_error})"
    model = (
        f"tests/browser.py: {judged.model}, "
        f"preflight {'sent' if judged.model_preflighted else 'not sent'}"
    )
    if judged.model_reason:
        model += f" ({judged.model_reason})"
    departure = next(
        (why for name, why in CHROMIUM_DEPARTURES.items() if name in seen.cors_error), None
    )
    if departure is not None:
        blame = f"Chromium is wrong relative to the Fetch Standard: {departure}"
    else:
        blame = (
            "tests/browser.py is wrong: its reading of the Fetch Standard does not give what "
            "Chromium does (or record in CHROMIUM_DEPARTURES where Chromium departs from it)"
        )
    return f"{chromium}; {model}. {blame}"


@pytest.fixture(scope="module", params=sorted(SERVED))
def target(request: pytest.FixtureRequest, tab: Tab) -> Iterator[tuple[str, Route]]:
    """One target served for the whole table."""
    with SERVED[request.param](TABLES) as route:
        yield request.param, route


def test_the_browser_part_of_the_table_is_most_of_it() -> None:
    """The cases no browser sends are those a script cannot ask for, and they are few."""
    assert len(CASES) >= 120, len(CASES)
    kinds = {browser_script(case).method for case in CASES}  # type: ignore[union-attr]
    assert {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"} <= kinds
    assert any(case.credentials == "include" for case in CASES)
    assert any(case.origin == "null" for case in CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_chromium_gives_every_case_the_evaluators_verdict(
    target: tuple[str, Route], tab: Tab, case: ConformanceCase
) -> None:
    name, route = target
    expected = listed(LISTING.get(name, name), case)
    endpoint = route(case)
    if isinstance(endpoint, Outcome):
        found = problem(endpoint, expected)
        assert found is None, f"{name}: {case.id}: {found}"
        return
    judged = judge(tab, endpoint, case)
    wrong = disagreement(judged)
    assert wrong is None, f"{name}: {case.id}: {wrong}"
    visible = VISIBLE_DEVIATIONS.get(name, {}).get(case.id)
    if expected is not None and expected.kind != DEVIATES:
        raise AssertionError(f"{name}: {case.id}: served, but listed as {expected.kind}")
    if visible is None:
        assert judged.chromium == judged.meaning, (
            f"{name}: {case.id}: Chromium {judged.chromium}, the evaluator's verdict "
            f"{judged.meaning}" + (f" (listed deviation: {expected.reason})" if expected else "")
        )
    else:
        assert expected is not None, f"{name}: {case.id}: a visible deviation that is not listed"
        assert str(judged.chromium) == visible != str(judged.meaning), (
            f"{name}: {case.id}: Chromium {judged.chromium}, evaluator {judged.meaning}, "
            f"listed as {visible!r}"
        )
