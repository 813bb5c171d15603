"""What a real Chromium does with corsc's output beyond one request at a time, on every target
that runs here (tests/conformance_browser.py serves them): cookies set and sent, ``PUT`` and
``DELETE`` with a header that forces a preflight, exposed headers read by ``fetch()`` and
``XMLHttpRequest``, a response that varies on Origin kept apart in the HTTP cache, and Private
Network Access (every static-mode policy primed into the cache: tests/test_browser_priming.py).

The page is ``http://app.api.test``: cross-origin to the API (``http://api.test:<port>``) but
on the same site, so the cookie the API sets (``SameSite`` defaults to ``Lax``) is sent back, and
a top-level page of the API's own origin shares the HTTP cache partition with it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.chromium import API_HOST, PUBLIC_SUFFIX, Chromium, Tab
from tests.conformance_browser import SERVED, Endpoint, Route, probe_case, refused_as_declared
from tests.conformance_runner import Outcome, loaded_set
from tests.conformance_table import ConformanceCase, ConformanceTable

PAGE = f"http://app.{API_HOST}"

#: A policy with credentials, methods beyond the safelisted ones, a granted header and an
#: exposed one (static mode: one exact origin).
SCENARIOS = """
policy api {
  origins     "http://app.api.test"
  methods     GET, PUT, DELETE
  headers     X-Custom
  expose      X-Request-Id
  credentials true
}
"""

#: A policy whose Allow-Origin depends on the Origin (the contrast to static mode).
DYNAMIC = (
    'policy p { origins "http://app.api.test", "http://other.api.test"\n expose X-Request-Id }'
)

#: Private Network Access: a page on the public internet calls this API on loopback.
PRIVATE = (
    'policy p { origins "https://www.public.example", "https://app.example.com"\n'
    " private-network true }"
)


def table(name: str, text: str) -> ConformanceTable:
    return ConformanceTable(name, "", text, ())


TABLES = [
    table("scenarios", SCENARIOS),
    table("dynamic", DYNAMIC),
    table("private", PRIVATE),
]


def probe(table_name: str, origin: str = PAGE) -> ConformanceCase:
    """A simple request from ``origin`` under ``/``: where a target answers a table."""
    return probe_case(table_name, "/", origin)


@pytest.fixture(scope="module", params=sorted(SERVED))
def served(request: pytest.FixtureRequest) -> Iterator[tuple[str, Route]]:
    with SERVED[request.param](TABLES) as route:
        yield request.param, route


@pytest.fixture
def fresh(browser_process: Chromium) -> Iterator[Tab]:
    """A page in a browser context of its own: no cookies, no cache from other tests."""
    with browser_process.fresh_tab() as tab:
        yield tab


def endpoint(served: tuple[str, Route], table_name: str, origin: str = PAGE) -> Endpoint:
    name, route = served
    found = route(probe(table_name, origin))
    assert isinstance(found, Endpoint), f"{name} does not serve {table_name}: {found}"
    return found


def url(found: Endpoint, path: str = "/") -> str:
    return f"http://{API_HOST}:{found.port}{path}"


def test_a_cookie_the_api_sets_is_sent_back_with_credentials_only(
    served: tuple[str, Route], fresh: Tab
) -> None:
    api = endpoint(served, "scenarios")
    first = fresh.fetch(PAGE, url(api, "/login"), credentials="include")
    assert first.shared and first.header("cookie") is None
    assert ("set-cookie", "session=1") in first.received
    again = fresh.fetch(PAGE, url(api, "/me"), credentials="include")
    assert again.shared and again.header("cookie") == "session=1", again.sent
    xhr = fresh.fetch(PAGE, url(api, "/me/xhr"), credentials="include", xhr=True)
    assert xhr.shared and xhr.header("cookie") == "session=1", xhr.sent
    for xhr in (False, True):
        anonymous = fresh.fetch(PAGE, url(api, f"/anonymous/{xhr}"), credentials="omit", xhr=xhr)
        assert anonymous.shared and anonymous.header("cookie") is None, anonymous.sent


@pytest.mark.parametrize("xhr", [False, True], ids=["fetch", "xhr"])
@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_put_and_delete_with_a_custom_header_are_preflighted_and_read(
    served: tuple[str, Route], tab: Tab, method: str, xhr: bool
) -> None:
    api = endpoint(served, "scenarios")
    seen = tab.fetch(
        PAGE,
        url(api, f"/items/{method.lower()}/{int(xhr)}"),
        method=method,
        headers=[("X-Custom", "1")],
        credentials="include",
        xhr=xhr,
    )
    assert seen.preflighted and seen.shared, seen
    # Exposed: the listed header and the safelisted ones; never the others, nor Set-Cookie.
    assert {"x-request-id", "content-type"} <= seen.exposed
    assert not seen.exposed & {"x-total-count", "x-secret", "set-cookie"}, seen.exposed
    assert seen.header("x-custom") == "1"


def test_a_header_nothing_grants_is_refused_by_the_preflight(
    served: tuple[str, Route], tab: Tab
) -> None:
    api = endpoint(served, "scenarios")
    seen = tab.fetch(PAGE, url(api, "/refused"), method="PUT", headers=[("X-Other", "1")])
    assert seen.preflighted and not seen.shared
    # corsc's own layers refuse the preflight (403); the libraries leave the header out.
    assert seen.cors_error in {
        "PreflightInvalidStatus()",
        "HeaderDisallowedByPreflightResponse(x-other)",
    }, seen.cors_error


def test_a_response_that_varies_on_origin_is_not_taken_from_the_cache_of_another(
    served: tuple[str, Route], fresh: Tab
) -> None:
    api = endpoint(served, "dynamic")
    resource = url(api, "/varies")
    primed = fresh.fetch(resource.rsplit("/", 1)[0], resource, cache="default")
    assert primed.shared
    seen = fresh.fetch(PAGE, resource, cache="force-cache")
    assert seen.shared and "x-request-id" in seen.exposed, (served[0], seen)


def test_private_network_access_from_a_public_page(served: tuple[str, Route], fresh: Tab) -> None:
    """Chromium 156 replaced Private Network Access preflights by Local Network Access: a page
    in the public address space gets a network error for a loopback API (the permission is
    denied to a headless browser), with nothing sent to the API, whatever the policy allows; a
    page on loopback, as the API, reaches it without any preflight."""
    name, route = served
    public = f"https://www.{PUBLIC_SUFFIX}"
    found = route(probe("private", public))
    if isinstance(found, Outcome):
        # Where the capability table says the target cannot express `private-network`.
        policy_set = loaded_set(table("private", PRIVATE))
        assert refused_as_declared(name, policy_set, found), (name, found)
        return
    for method in ("GET", "PUT"):
        seen = fresh.fetch(public, url(found, f"/private/{method}"), method=method)
        assert not seen.shared and seen.sent == (), seen
        assert set(seen.cors_error.split()) == {"LocalNetworkAccessPermissionDenied()"}, seen
    local = fresh.fetch("https://app.example.com", url(found, "/private/local"))
    assert local.shared and not local.preflighted, local
    assert local.header("access-control-request-private-network") is None
