"""Every static-mode policy through a real Chromium's HTTP cache, on every target that runs here
(tests/conformance_browser.py serves them).

In static mode a policy sends a fixed ``Access-Control-Allow-Origin`` (``*`` or its one exact
origin) and no ``Vary: Origin``, so a cache may hand a response fetched without an Origin to a
CORS request. The scenario: a page of the API's own origin fetches a resource (no Origin; the
response is stored), then a page of the allowed origin fetches the same URL from the cache.
What the script there reads must be exactly what the policy means for that request.

Chromium keys its HTTP cache by the top-level site, so the allowed origin must be on the API's
site for the two requests to share an entry: each policy is compiled with its exact origin
written as :data:`PAGE`, everything else unchanged (the test checks that it is still the same
static policy). The policies are every static-mode policy of the shared conformance tables and
of ``examples/``, and :data:`SHAPES`, one per setting a static policy may carry.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from attrs import frozen

from corsc.evaluate import Evaluator, Request
from corsc.plan import GrantPlan
from tests import browser
from tests.chromium import API_HOST, Chromium
from tests.conformance_browser import (
    SERVED,
    Endpoint,
    Route,
    probe_case,
    refused_as_declared,
    verdict,
)
from tests.conformance_runner import Outcome, loaded_set
from tests.conformance_table import ConformanceTable, load_tables

PAGE = f"http://app.{API_HOST}"
EXAMPLES = Path(__file__).parent.parent / "examples"

#: One static-mode policy per setting it may carry beside its origin (each exposes headers, the
#: part a cached copy once lost).
SHAPES = {
    "star": "origins *\n expose X-Request-Id",
    "star-expose-several": "origins *\n expose X-Request-Id, X-Total-Count",
    "star-expose-star": "origins *\n expose *",
    "star-methods-headers-max-age": (
        "origins *\n methods GET, PUT\n headers X-Custom\n max-age 10m\n expose X-Request-Id"
    ),
    "star-preflight-200": "origins *\n preflight-status 200\n expose X-Total-Count",
    "exact": f'origins "{PAGE}"\n expose X-Request-Id',
    "exact-no-expose": f'origins "{PAGE}"',
    "exact-credentials": f'origins "{PAGE}"\n credentials true',
    "exact-credentials-expose": f'origins "{PAGE}"\n credentials true\n expose X-Request-Id',
    "exact-max-age": f'origins "{PAGE}"\n max-age 600\n expose X-Total-Count',
    "exact-methods-headers": (
        f'origins "{PAGE}"\n methods GET, POST, DELETE\n headers X-Custom, Content-Type\n'
        " expose X-Request-Id, X-Total-Count"
    ),
    "exact-under-a-path": f'paths "/api"\n origins "{PAGE}"\n expose X-Request-Id',
}


@frozen
class Primed:
    """One static policy as served for the scenario: ``table`` holds its policy set (the exact
    origin rewritten to :data:`PAGE`), ``policy`` its name and ``path`` a path it governs."""

    table: ConformanceTable
    policy: str
    path: str


def _as_page(text: str, origin: str) -> str:
    return text if origin == "*" else text.replace(f'"{origin}"', f'"{PAGE}"')


def _governed(text: str, name: str) -> str:
    """A path under which the policy ``name`` of ``text`` answers."""
    evaluator = Evaluator(loaded_set(ConformanceTable("paths", "", text, ())))
    policy = loaded_set(ConformanceTable("paths", "", text, ())).policy(name)
    assert policy is not None
    prefixes = [prefix.value.rstrip("/") for prefix in policy.paths] or [""]
    for candidate in (f"{prefix}/primed" for prefix in prefixes):
        if evaluator.respond(Request.of("GET", candidate, origin=PAGE)).policy == name:
            return candidate
    raise AssertionError(f"no path found that policy {name} governs")


def _static_policies() -> Iterator[tuple[str, str]]:
    """``(label, text)`` of every policy set holding a static-mode policy, once per such
    policy: the conformance tables, the examples, the shapes."""
    for table in load_tables():
        yield f"table-{table.name}", table.policy_text
    for example in sorted(EXAMPLES.glob("*.cors")):
        yield f"example-{example.stem}", example.read_text()
    for name, body in SHAPES.items():
        yield f"shape-{name}", f"policy {name.replace('-', '_')} {{\n {body}\n}}\n"


def primed_policies() -> list[Primed]:
    primed = []
    for label, text in _static_policies():
        for policy in loaded_set(ConformanceTable(label, "", text, ())).policies:
            if policy.static_origin is None:
                continue
            rewritten = _as_page(text, policy.static_origin)
            name = f"{label}-{policy.name}"
            table = ConformanceTable(name, "", rewritten, ())
            served = loaded_set(table).policy(policy.name)
            assert served is not None and served.static_origin in {"*", PAGE}, name
            sends = GrantPlan.of(0, served.grant).key, GrantPlan.of(0, policy.grant).key
            assert sends[0] == sends[1], f"{name}: rewriting the origin changed what it sends"
            primed.append(Primed(table, policy.name, _governed(rewritten, policy.name)))
    return primed


PRIMED = primed_policies()
BY_NAME = {primed.table.name: primed for primed in PRIMED}


def test_every_static_policy_of_the_tables_and_examples_is_primed() -> None:
    """The catalogue is derived, not listed: it holds every static policy there is, and the
    shapes cover both kinds of fixed Allow-Origin, with and without credentials."""
    assert len(PRIMED) >= len(SHAPES) + 9
    sources = {primed.table.name.split("-")[0] for primed in PRIMED}
    assert sources == {"table", "example", "shape"}
    statics = {
        loaded_set(p.table).policy(p.policy).static_origin  # type: ignore[union-attr]
        for p in PRIMED
    }
    assert statics == {"*", PAGE}


@pytest.fixture(scope="module", params=sorted(SERVED))
def served(request: pytest.FixtureRequest) -> Iterator[tuple[str, Route]]:
    with SERVED[request.param]([primed.table for primed in PRIMED]) as route:
        yield request.param, route


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_a_static_response_primed_without_origin_is_read_as_the_policy_means(
    served: tuple[str, Route], browser_process: Chromium, name: str
) -> None:
    target, route = served
    primed = BY_NAME[name]
    found = route(probe_case(primed.table.name, primed.path, PAGE))
    if isinstance(found, Outcome):
        assert refused_as_declared(target, loaded_set(primed.table), found), (target, found)
        return
    assert isinstance(found, Endpoint)
    resource = f"http://{API_HOST}:{found.port}{primed.path}"
    with browser_process.fresh_tab() as tab:
        first = tab.fetch(f"http://{API_HOST}:{found.port}", resource, cache="default")
        assert first.shared and not first.from_cache, (target, first)
        seen = tab.fetch(PAGE, resource, cache="force-cache")
    vary = {m.strip().lower() for k, v in first.received if k == "vary" for m in v.split(",")}
    # Static mode sends no Vary: Origin, so the cache answers; a target that varies anyway is
    # asked again, which is just as right.
    assert seen.from_cache or "origin" in vary, (target, first.received)
    script = browser.script_request("GET", primed.path, origin=PAGE, credentials="same-origin")
    meant = browser.fetch(browser.evaluator_server(found.evaluator), script)
    assert meant.shared, f"{name}: the policy does not share its own origin's request"
    sent = frozenset(k for k, _ in first.received)
    got = verdict(seen.shared, seen.exposed, sent)
    want = verdict(meant.shared, meant.exposed, sent)
    assert got == want, (target, str(got), str(want), seen.cors_error, first.received)
