"""Tests for corsc.runtime as a whole: the ASGI and WSGI middleware answering exactly as the
evaluator (every example, each feature, generated policies and requests, hostile values), the two
lines each framework needs, and staying light to import.
"""

from __future__ import annotations

import asyncio
import itertools
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

import irbuild
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from python_harness import (
    APP_BODY,
    asgi,
    asgi_app,
    cors_part,
    expected_part,
    same_part,
    wsgi,
    wsgi_app,
)
from runtime_support import (
    ACRH,
    ACRM,
    ACRPN,
    APP,
    EXAMPLES,
    Boom,
    compile_toml,
    from_text,
    meaning,
    runtime_set,
)

from corsc import runtime
from corsc.evaluate import Evaluator, Request
from corsc.ir import PolicySet
from corsc.runtime import ASGIMiddleware, WSGIMiddleware

# ---- import weight -----------------------------------------------------------------------


def test_importing_the_runtime_imports_neither_lark_nor_the_compiler() -> None:
    code = (
        "import sys, corsc.runtime\n"
        "heavy = [m for m in ('lark', 'corsc.parse', 'corsc.lower', 'corsc.checks',"
        " 'corsc.frontend', 'corsc.backends', 'corsc.cli', 'corsc.render', 'idna',"
        " 'corsc.regex', 'corsc.suffixes', 'publicsuffixlist') "
        "if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


# ---- answering as the evaluator ------------------------------------------------------------


def requests_for(policy_set: PolicySet) -> list[Request]:
    """A spread of requests: every path a policy names and a few it does not, allowed and
    refused origins, preflights with granted and refused methods and headers, PNA."""
    origins = {APP, "https://evil.example", "null", "HTTPS://APP.EXAMPLE.COM"}
    for policy in policy_set.policies:
        for entry in policy.entries:
            if entry.pattern.kind.value == "exact":
                origins.add(entry.pattern.canonical)
    paths = {"/", "/apiary", "/x/../api/y"}
    for policy in policy_set.policies:
        for prefix in policy.paths:
            paths.update({prefix.value, prefix.value + "/sub"})
    requests = []
    for path in sorted(paths):
        requests.append(Request.of("GET", path))
        for origin in sorted(origins):
            requests.append(Request.of("GET", path, origin=origin))
            requests.append(Request.of("POST", path, origin=origin, headers={"X-A": "1"}))
            for method, asked, private in itertools.product(
                ("PUT", "DELETE", "PATCH", "GET"),
                (None, "content-type", "x-b", "Authorization, X-B"),
                (None, "true", " true", "false"),
            ):
                headers = {ACRM: method}
                if asked:
                    headers[ACRH] = asked
                if private:
                    headers[ACRPN] = private
                requests.append(Request.of("OPTIONS", path, origin=origin, headers=headers))
    return requests


def assert_runtime_agrees(policy_set: PolicySet, requests: list[Request]) -> None:
    evaluator = Evaluator(policy_set)
    loaded = runtime_set(policy_set)
    asgi_mw = ASGIMiddleware(asgi_app, loaded)
    wsgi_mw = WSGIMiddleware(wsgi_app, loaded)
    for request in requests:
        want = expected_part(evaluator.respond(request))
        for name, reply in (("asgi", asgi(asgi_mw, request)), ("wsgi", wsgi(wsgi_mw, request))):
            got = cors_part(reply)
            assert same_part(got, want), (name, request, got, want)
            if want.status is not None:
                assert reply.body == b""
            else:
                assert reply.body == APP_BODY


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.name)
def test_the_runtime_answers_every_example_as_the_evaluator(example: Path) -> None:
    policy_set = from_text(example.read_text("utf-8"), example.name)
    assert_runtime_agrees(policy_set, requests_for(policy_set))


FEATURES = {
    "reflection": 'policy p { origins "https://a.example"; methods *; headers *; expose *\n'
    " max-age 0 }",
    "private network": 'policy p { origins "https://app.example.com"; methods PATCH\n'
    " headers X-B; private-network true; credentials true; preflight-status 200 }",
    "blocks and deny": 'policy p { origins "https://*.example.com", "https://a.example"\n'
    ' deny "https://evil.example.com"; methods PUT\n'
    ' origin "https://app.example.com" { methods DELETE, PATCH; headers X-B\n'
    " private-network true } }",
    "regex and null": 'policy p { origins "null", regex "https://(app|a)\\.example(\\.com)?"\n'
    " unlisted reject }",
}


@pytest.mark.parametrize("feature", sorted(FEATURES))
def test_the_runtime_answers_each_feature_as_the_evaluator(feature: str) -> None:
    policy_set = from_text(FEATURES[feature])
    assert_runtime_agrees(policy_set, requests_for(policy_set))


def test_repeated_request_headers_are_combined_as_the_evaluator_combines_them() -> None:
    policy_set = irbuild.policy_set(irbuild.policy(origins=["*"], unlisted="reject"))
    request = Request("GET", "/", (("Origin", APP), ("Origin", "https://b.example")))
    assert_runtime_agrees(policy_set, [request])
    reply = asgi(ASGIMiddleware(asgi_app, runtime_set(policy_set)), request)
    assert reply.values("access-control-allow-origin") == [f"{APP}, https://b.example"]


# ---- property: exact agreement with the evaluator ---------------------------------------------

ORIGIN_PATTERNS = (
    "https://a.example",
    "https://b.example:8443",
    "http://localhost:*",
    "https://*.example.com",
    "null",
    "*",
    "regex:https://pr-[0-9]+\\.example\\.org",
)
REQUEST_ORIGINS = (
    "https://a.example",
    "https://b.example:8443",
    "https://b.example",
    "http://localhost",
    "http://localhost:3000",
    "https://x.example.com",
    "https://x.y.example.com",
    "https://example.com",
    "https://pr-12.example.org",
    "https://pr-12.example.org.evil",
    "null",
    "HTTPS://A.EXAMPLE",
    "",
    "https://x.example.com.",
    "https://a.example.",
    "https://pr-12.example.org.:8443",
    "null.",
    # Longer than any browser sends: refused before a pattern runs.
    "https://" + "a" * 300 + ".example.com",
    "https://pr-" + "1" * 300 + ".example.org",
)
names = st.one_of(
    st.just("*"),
    st.lists(st.sampled_from(("GET", "PUT", "DELETE", "PATCH", "patch")), max_size=3),
)
header_names = st.one_of(
    st.just("*"),
    st.lists(st.sampled_from(("Content-Type", "X-Token", "Authorization", "x-token")), max_size=3),
)
grants = st.fixed_dictionaries(
    {},
    optional={
        "methods": names,
        "headers": header_names,
        "expose": header_names,
        "credentials": st.booleans(),
        "max_age": st.sampled_from((0, 600)),
        "private_network": st.booleans(),
    },
)


@st.composite
def policies(draw: st.DrawFn, name: str, paths: tuple[str, ...]) -> Any:
    origin_list = draw(st.lists(st.sampled_from(ORIGIN_PATTERNS), max_size=3, unique=True))
    blocks = draw(
        st.lists(
            st.tuples(st.sampled_from([p for p in ORIGIN_PATTERNS if p != "*"]), grants),
            max_size=2,
            unique_by=lambda block: block[0],
        )
    )
    if not origin_list and not blocks:
        origin_list = ["https://a.example"]
    return irbuild.policy(
        name,
        origins=origin_list,
        blocks=blocks,
        deny=draw(
            st.lists(
                st.sampled_from(("https://x.example.com", "null", "https://*.example.org")),
                max_size=2,
                unique=True,
            )
        ),
        paths=paths,
        unlisted=draw(st.sampled_from(("pass", "reject"))),
        preflight_status=draw(st.sampled_from((None, 200))),
        **draw(grants),
    )


@st.composite
def policy_sets(draw: st.DrawFn) -> PolicySet:
    chosen = draw(
        st.lists(
            st.sampled_from(((), ("/api",), ("/api/v2", "/v2"))),
            min_size=1,
            max_size=3,
            unique=True,
        )
    )
    return irbuild.policy_set(
        *(draw(policies(f"p{index}", prefixes)) for index, prefixes in enumerate(chosen))
    )


@st.composite
def requests(draw: st.DrawFn) -> Request:
    headers: list[tuple[str, str]] = []
    for origin in draw(st.lists(st.sampled_from(REQUEST_ORIGINS), max_size=2)):
        headers.append(("Origin", origin))
    if draw(st.booleans()):
        headers.append((ACRM, draw(st.sampled_from(("PUT", " PATCH ", "patch", "GET", "a b")))))
    if draw(st.booleans()):
        value = draw(
            st.sampled_from(
                ("content-type", "X-Token, content-type", "authorization", ",,x-token", "a b")
            )
        )
        headers.append((ACRH, value))
    if draw(st.booleans()):
        headers.append((ACRPN, draw(st.sampled_from(("true", "false", " true")))))
    method = draw(st.sampled_from(("GET", "POST", "OPTIONS", "OPTIONS", "PUT", "options")))
    path = draw(
        st.sampled_from(
            (
                *("/", "/api", "/api/x", "/api/v2/y", "/apiary", "/x/../api/z", "/v2?q=1"),
                *("/%61pi/x", "/%41pi", "/api%2Fv2", "/api%2fv2/x", "/x%2F..%2Fapi", "/api%252F"),
                *("/%2E%2E/api", "//api", "/ap%69/v%32/", "/caf%C3%A9", "/café/😀", "/%FF/api"),
            )
        )
    )
    return Request(method, path, tuple(headers))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policy_sets(), st.lists(requests(), min_size=1, max_size=8))
def test_property_the_runtime_agrees_with_the_evaluator_exactly(
    policy_set: PolicySet, generated: list[Request]
) -> None:
    assert meaning(runtime_set(policy_set)) == meaning(policy_set)
    assert_runtime_agrees(policy_set, generated)


# ---- the two lines each framework needs (docs/python.md) ---------------------------------------

TWO_LINES = from_text('policy api { paths "/api"; origins "https://a.example"; methods PUT }')


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "cors.toml"
    path.write_text(compile_toml(TWO_LINES), "utf-8")
    return path


def test_the_two_lines_for_fastapi(policy_file: Path) -> None:
    import httpx
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/api/items")
    def items() -> dict[str, str]:
        raise Boom("unhandled")

    @app.put("/api/items")
    def put() -> dict[str, str]:
        return {}

    app.add_middleware(ASGIMiddleware, policy=runtime.load(policy_file))

    async def call() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            preflight = await client.options(
                "/api/items", headers={"Origin": "https://a.example", ACRM: "PUT"}
            )
            failing = await client.get("/api/items", headers={"Origin": "https://a.example"})
            return [preflight, failing]

    preflight, failing = asyncio.run(call())
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-methods"] == "PUT"
    # The unhandled exception's 500 is readable: it carries the CORS headers.
    assert failing.status_code == 500
    assert failing.headers["access-control-allow-origin"] == "https://a.example"


def test_the_two_lines_for_flask(policy_file: Path) -> None:
    from flask import Flask

    app = Flask("two_lines")

    @app.route("/api/items", methods=["GET", "PUT"])
    def items() -> str:
        return "{}"

    app.wsgi_app = WSGIMiddleware(app.wsgi_app, policy_file)  # type: ignore[method-assign]
    client = app.test_client()
    preflight = client.options("/api/items", headers={"Origin": "https://a.example", ACRM: "PUT"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Methods"] == "PUT"
    actual = client.get("/api/items", headers={"Origin": "https://a.example"})
    assert actual.headers["Access-Control-Allow-Origin"] == "https://a.example"
    outside = client.get("/other", headers={"Origin": "https://a.example"})
    assert "Access-Control-Allow-Origin" not in outside.headers


def test_the_two_lines_for_django(policy_file: Path) -> None:
    import python_harness

    python_harness._django_setup()
    from django.core.handlers.asgi import ASGIHandler
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import override_settings

    request = Request.of("PUT", "/api/items", origin="https://a.example")
    with override_settings(MIDDLEWARE=[]):
        for reply in (
            wsgi(WSGIMiddleware(WSGIHandler(), policy_file), request),
            asgi(ASGIMiddleware(ASGIHandler(), policy_file), request),
        ):
            assert reply.status == 200 and reply.body == b"{}"
            assert reply.values("access-control-allow-origin") == ["https://a.example"]


# ---- values that once broke the TOML or the path ------------------------------------------------

HOSTILE_PATHS = (
    "/café/😀",
    "/caf%C3%A9x",
    "/a%2Fb",
    "/100%25",
    "/\U0010fffd",
    "/" + "x" * 5000,
    "/" + "😀" * 300,
)


def test_the_toml_round_trips_every_value_and_answers_as_the_evaluator() -> None:
    many = [f"https://host{index}.example" for index in range(300)]
    regex = "regex:https://(?:" + "|".join(f"r{index}" for index in range(200)) + r")\.example"
    policy_set = irbuild.policy_set(
        *(
            irbuild.policy(
                f"p{index}", paths=[path], origins=[*many, regex], expose=["X-" + "y" * 500]
            )
            for index, path in enumerate(HOSTILE_PATHS)
        ),
        irbuild.policy("rest", origins=["*"]),
    )
    text = compile_toml(policy_set)
    assert meaning(runtime.loads(text, "cors.toml")) == meaning(policy_set)
    requests = [
        Request.of("GET", sent, origin=origin)
        for path in HOSTILE_PATHS
        for sent in (path, path + "/x", quote(path, safe="/%"))
        for origin in ("https://host299.example", "https://r199.example", "https://no.example")
    ]
    assert_runtime_agrees(policy_set, requests)
    evaluator = Evaluator(policy_set)
    assert evaluator.respond(Request.of("GET", "/caf%C3%A9/%F0%9F%98%80/x")).policy == "p0"
