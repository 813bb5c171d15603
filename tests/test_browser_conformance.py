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
  does (to the verdict it says), and nowhere else.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from attrs import frozen

from tests.chromium import Seen, Tab
from tests.conformance_apache import ENCODED_SLASH
from tests.conformance_browser import (
    LISTING,
    NO_PNA,
    SERVED,
    Judged,
    Route,
    Verdict,
    browser_cases,
    browser_script,
    judge,
)
from tests.conformance_nginx import DECODED_PATH, UNSERVED_METHOD
from tests.conformance_python import DECODED_PATHS, script_for
from tests.conformance_runner import DEVIATES, Outcome
from tests.conformance_table import ConformanceCase, load_tables
from tests.test_conformance import listed, problem

TABLES = load_tables()
TABLES_CASES = [case for table in TABLES for case in table.cases]
CASES = browser_cases(TABLES)

#: Where Chromium is known to depart from the Fetch Standard, by Chromium's CORS error name:
#: a disagreement with the model there blames Chromium. None is known today.
CHROMIUM_DEPARTURES: dict[str, str] = {}

#: A reason of a real server's own, not corsc's: waitress answers 400 itself to a request line
#: whose method is not uppercase, so the application (and corsc's WSGI middleware) never sees
#: the lowercase `patch` a script may send after its preflight was accepted.
WAITRESS_METHOD = "waitress answers 400 to a method that is not uppercase, before the application"
NODE_METHOD = "Node.js's HTTP parser answers 400 to a method it does not know (lowercase ones)"


@frozen
class Visible:
    """A deviation a browser sees: Chromium's verdict instead of the evaluator's, and why (the
    reason listed in tests/conformance_expected.py, or a server's own reason)."""

    verdict: str
    reason: str


DECODED = "shared, reads content-length, content-type"


def _visible(verdict: str, reason: str, *cases: str) -> dict[str, Visible]:
    return dict.fromkeys(cases, Visible(verdict, reason))


_NGINX_VISIBLE = {
    **_visible(
        DECODED,
        DECODED_PATH,
        "encoded-paths: lowercase %2f too",
        "encoded-paths: a preflight on an ambiguous path is refused with 400",
        "encoded-paths: an encoded slash that makes a dot segment out of /api is refused",
        "encoded-paths: a lowercase encoded slash and dots make one too",
    ),
    **_visible("blocked", UNSERVED_METHOD, "wildcards: a lowercase method is reflected as sent"),
}

#: The declared deviations a browser sees, per target and case: where a listed deviation
#: (or a server's own) changes the verdict. Every other case must get the evaluator's verdict.
VISIBLE_DEVIATIONS: dict[str, dict[str, Visible]] = {
    "nginx": _NGINX_VISIBLE,
    "nginx-a2": _NGINX_VISIBLE,
    "flask": {
        **_visible(
            DECODED,
            DECODED_PATHS,
            "encoded-paths: lowercase %2f too",
            "encoded-paths: a preflight on an ambiguous path is refused with 400",
            "encoded-paths: encoded slashes and dots that decode into /api are refused",
        ),
        **_visible(
            "blocked",
            DECODED_PATHS,
            "encoded-paths: %252F decodes once, to the text %2F: no slash, public",
        ),
    },
    "runtime-wsgi": _visible(
        "blocked", WAITRESS_METHOD, "wildcards: a lowercase method is reflected as sent"
    ),
}
VISIBLE_DEVIATIONS["apache"] = _visible(
    "blocked",
    ENCODED_SLASH,
    "encoded-paths: an encoded slash inside the policy's own paths is not ambiguous",
    "paths: an encoded slash that chooses the same policy either way",
)
VISIBLE_DEVIATIONS["express"] = _visible(
    "blocked", NODE_METHOD, "wildcards: a lowercase method is reflected as sent"
)
#: The reasons of the servers themselves, which no listing of corsc's targets names.
SERVER_REASONS = frozenset({WAITRESS_METHOD, NODE_METHOD})


def disagreement(judged: Judged) -> str | None:
    """Why Chromium and the model disagree on one answer, naming the one that is wrong."""
    seen = judged.seen
    if judged.chromium == judged.model and seen.preflighted == judged.model_preflighted:
        return None
    sent = "sent" if seen.preflighted else "not sent"
    chromium = f"Chromium: {judged.chromium}, preflight {sent}"
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
    # Asked for Private Network Access: every one in the table a script could make, none sent.
    private = [
        case for case in TABLES_CASES if script_for(case) and script_for(case).private_network
    ]
    assert private and not set(private) & set(CASES), NO_PNA


def judged(chromium: Verdict, model: Verdict, cors_error: str = "") -> Judged:
    return Judged(
        chromium=chromium,
        seen=Seen(chromium.shared, chromium.exposed, cors_error=cors_error),
        model=model,
        model_preflighted=False,
        model_reason="" if model.shared else "CORS check failed: no Access-Control-Allow-Origin",
        meaning=model,
    )


def test_a_disagreement_names_the_one_that_is_wrong() -> None:
    shared, blocked = Verdict(True, frozenset({"x-request-id"})), Verdict(False)
    assert disagreement(judged(shared, shared)) is None
    found = disagreement(judged(shared, blocked))
    assert found == (
        "Chromium: shared, reads x-request-id, preflight not sent; tests/browser.py: blocked, "
        "preflight not sent (CORS check failed: no Access-Control-Allow-Origin). "
        "tests/browser.py is wrong: its reading of the Fetch Standard does not give what "
        "Chromium does (or record in CHROMIUM_DEPARTURES where Chromium departs from it)"
    )
    assert disagreement(judged(shared, Verdict(True)))
    CHROMIUM_DEPARTURES["InvalidResponse"] = "the standard says otherwise"
    try:
        found = disagreement(judged(blocked, shared, "InvalidResponse()"))
    finally:
        del CHROMIUM_DEPARTURES["InvalidResponse"]
    assert found is not None and found.endswith(
        "Chromium is wrong relative to the Fetch Standard: the standard says otherwise"
    )


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
        return
    if expected is None:
        assert visible.reason in SERVER_REASONS, f"{name}: {case.id}: not listed as deviating"
    else:
        assert visible.reason == expected.reason, (name, case.id, expected.reason)
    assert str(judged.chromium) == visible.verdict != str(judged.meaning), (
        f"{name}: {case.id}: Chromium {judged.chromium}, the evaluator's verdict "
        f"{judged.meaning}, listed as {visible.verdict!r} ({visible.reason})"
    )


def test_every_visible_deviation_names_a_case_the_browser_sends() -> None:
    ids = {case.id for case in CASES}
    for target, visible in VISIBLE_DEVIATIONS.items():
        assert target in SERVED
        assert set(visible) <= ids, (target, sorted(set(visible) - ids))
