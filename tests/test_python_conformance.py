"""The Python targets beyond the shared table's cases (which tests/test_conformance.py runs on
every target, through tests/conformance_python.py): property tests against the evaluator, the
declaration of the decoded-paths deviation, FastAPI, and caching in static mode.

- Each library is judged within its declared capabilities (docs/python.md): for generated
  policies it can express, generated browser requests get the browser verdict
  (tests/browser.py) the evaluator's answer gets, with the same exposed headers, and every
  reply's ``Vary`` includes the evaluator's members.
- The cases the table leaves to the decoded-paths deviation are declared by the library's
  CORS602 warning, and the table judges enough browser requests on every library.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from corsc.backends import EmitOptions, check, get
from corsc.checks import check as core_check
from corsc.evaluate import Evaluator, Request
from corsc.ir import PolicySet
from tests import browser, irbuild
from tests.conformance_python import (
    LIBRARIES,
    STARLETTE_SAFELISTED,
    Run,
    compile_for,
    decoded_differently,
    evaluator_reply,
    exposable,
    for_starlette,
    has_paths,
    judged_cases,
    run_server,
    runs,
    script_for,
    table_set,
)
from tests.conformance_table import load_tables
from tests.python_harness import Reply, lacks_vary, library_server, options_of

TABLES = load_tables()
RUNS = runs(TABLES)
EXPRESSIBLE = [run for run in RUNS if not compile_for(run.library, run.policy_set)[0]]


def test_cases_left_to_the_decoded_paths_deviation_are_declared() -> None:
    deviated = [
        (run, case)
        for run in EXPRESSIBLE
        if has_paths(run)
        for case in judged_cases(run)
        if decoded_differently(case.path)
    ]
    assert deviated, "the table has a case with an encoded slash"
    for run, case in deviated:
        backend = get(run.library)
        options = EmitOptions("0.1.0", run.policy_set.file, run.library)
        declared = [
            d.message
            for d in check(backend, run.policy_set, options)
            if d.code == "CORS602" and "decodes them" in d.message
        ]
        assert declared, (run.id, case.name)


def test_the_table_judged_enough_browser_requests_per_library() -> None:
    """Guards against a vacuous pass: on every library, many of the table's cases a library can
    express are judged by the browser's verdict (not by Vary only, and not left to the
    decoded-paths deviation)."""
    judged = {
        library: sum(
            1
            for run in EXPRESSIBLE
            if run.library == library
            for case in judged_cases(run)
            if script_for(case) is not None
            and not (has_paths(run) and decoded_differently(case.path))
        )
        for library in LIBRARIES
    }
    assert all(count >= 40 for count in judged.values()), judged


def test_fastapi_uses_the_starlette_output_unchanged() -> None:
    import asyncio

    import httpx
    from fastapi import FastAPI
    from fastapi.middleware.cors import CORSMiddleware
    from starlette.middleware.cors import CORSMiddleware as StarletteCORSMiddleware

    assert CORSMiddleware is StarletteCORSMiddleware
    policy_set = table_set(next(t for t in TABLES if t.name == "exact-origins"))
    errors, text = compile_for(
        "fastapi",
        attrs.evolve(policy_set, policies=tuple(for_starlette(p) for p in policy_set.policies)),
    )
    assert not errors
    app = FastAPI()

    @app.get("/items")
    def items() -> dict[str, str]:
        return {}

    wrapped = CORSMiddleware(app, **options_of(text, "cors_starlette"))

    async def call() -> tuple[httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=wrapped)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            allowed = await client.get("/items", headers={"Origin": "https://app.example.com"})
            refused = await client.get("/items", headers={"Origin": "https://evil.example"})
            return allowed, refused

    allowed, refused = asyncio.run(call())
    assert allowed.headers["access-control-allow-origin"] == "https://app.example.com"
    assert "access-control-allow-origin" not in refused.headers
    assert "origin" in allowed.headers["vary"].lower()


# ---- properties: generated policies and browser requests -------------------------------------

BROWSER_ORIGINS = (
    "https://a.example",
    "https://b.example:8443",
    "http://localhost",
    "http://localhost:3000",
    "https://x.example.com",
    "https://x.y.example.com",
    "https://example.com",
    "https://pr-12.example.org",
    "http://[::1]:8080",
    "https://evil.example",
    "null",
)
PATTERNS = (
    "https://a.example",
    "https://b.example:8443",
    "http://localhost:*",
    "https://*.example.com",
    "http://[::1]:8080",
    "null",
    "*",
    "regex:https://pr-[0-9]+\\.example\\.org",
)
METHODS = ("PUT", "DELETE", "PATCH", "GET")
HEADERS = ("Content-Type", "X-Token", "Authorization", "Accept-Language")
SCRIPT_HEADERS = (
    ("Content-Type", "application/json"),
    ("Content-Type", "text/plain"),
    ("X-Token", "1"),
    ("Authorization", "Bearer t"),
    ("Accept-Language", "en"),
    ("Accept-Language", "nn_NO"),
)
PATHS = ("/", "/api", "/api/x", "/api/v2/y", "/apiary", "/v2")


@st.composite
def library_policy_sets(draw: st.DrawFn, library: str) -> PolicySet:
    """Policies each library declares it can express: no origin blocks, deny, unlisted reject
    or `methods *`; one policy without paths for Starlette (granting its four headers), one
    policy for Django (no `headers *`), up to three with paths for Flask."""
    if library == "flask":
        prefixes = draw(
            st.lists(
                st.sampled_from(((), ("/api",), ("/api/v2", "/v2"))),
                min_size=1,
                max_size=3,
                unique=True,
            )
        )
    elif library == "django":
        prefixes = [draw(st.sampled_from(((), ("/api",))))]
    else:
        prefixes = [()]
    policies = []
    for index, paths in enumerate(prefixes):
        headers = draw(
            st.one_of(st.just("*"), st.lists(st.sampled_from(HEADERS), max_size=3, unique=True))
            if library != "django"
            else st.lists(st.sampled_from(HEADERS), max_size=3, unique=True)
        )
        if library == "starlette" and headers != "*":
            headers = list(headers) + [h for h in STARLETTE_SAFELISTED if h not in headers]
        policies.append(
            irbuild.policy(
                f"p{index}",
                origins=draw(
                    st.lists(st.sampled_from(PATTERNS), min_size=1, max_size=3, unique=True)
                ),
                paths=paths,
                methods=draw(
                    st.lists(st.sampled_from(METHODS), min_size=1, max_size=3, unique=True)
                ),
                headers=headers,
                expose=draw(
                    st.one_of(
                        st.just("*"),
                        st.lists(
                            st.sampled_from(("X-Request-Id", "X-Total-Count")),
                            max_size=2,
                            unique=True,
                        ),
                    )
                ),
                credentials=draw(st.booleans()),
                max_age=draw(st.sampled_from((None, 0, 600))),
                private_network=draw(st.booleans()),
                preflight_status=draw(st.sampled_from((None, 200))),
            )
        )
    policy_set = irbuild.policy_set(*policies)
    # Only what compiles: the core's errors (`*` or null with credentials, private-network with
    # patterns, …) stop `corsc compile` before any backend runs.
    assume(not [d for d in core_check(policy_set) if d.severity.value == "error"])
    return policy_set


#: Browser origins each pattern admits (and `*` any), so that generated requests hit them.
ADMITTED = {
    "https://a.example": ("https://a.example",),
    "https://b.example:8443": ("https://b.example:8443",),
    "http://localhost:*": ("http://localhost", "http://localhost:3000"),
    "https://*.example.com": ("https://x.example.com", "https://x.y.example.com"),
    "http://[::1]:8080": ("http://[::1]:8080",),
    "null": ("null",),
    "*": ("https://evil.example",),
    "regex:https://pr-[0-9]+\\.example\\.org": ("https://pr-12.example.org",),
}


def script_requests(policy_set: PolicySet) -> st.SearchStrategy[browser.ScriptRequest]:
    """Browser requests, most of them from an origin some policy of ``policy_set`` admits."""
    admitted = sorted(
        {
            origin
            for policy in policy_set.policies
            for entry in policy.entries
            for origin in ADMITTED[
                entry.pattern.text
                if entry.pattern.kind.value != "regex"
                else "regex:" + entry.pattern.regex
            ]
        }
    )
    return st.builds(
        browser.ScriptRequest,
        method=st.sampled_from(
            ("GET", "POST", "PUT", "DELETE", "PATCH", "patch", "PROPFIND", "HEAD")
        ),
        path=st.sampled_from(PATHS),
        origin=st.one_of(st.sampled_from(admitted), st.sampled_from(BROWSER_ORIGINS)),
        headers=st.lists(st.sampled_from(SCRIPT_HEADERS), max_size=3, unique_by=lambda h: h[0]).map(
            tuple
        ),
        credentials=st.sampled_from(("omit", "same-origin", "include")),
        private_network=st.sampled_from((False, False, False, True)),
    )


def recorded(serve: Callable[[Request], Reply], log: list[tuple[Request, Reply]]) -> browser.Server:
    def server(request: Request) -> tuple[int, browser.Headers]:
        reply = serve(request)
        log.append((request, reply))
        return reply.status, reply.headers

    return server


def check_property(
    library: str, policy_set: PolicySet, scripts: list[browser.ScriptRequest]
) -> None:
    errors, text = compile_for(library, policy_set)
    assert not errors, errors
    serve = library_server(library, text)
    evaluator = Evaluator(policy_set)
    for script in scripts:
        log: list[tuple[Request, Reply]] = []
        got = browser.fetch(recorded(serve, log), script)
        want = browser.fetch(browser.evaluator_server(evaluator), script)
        assert got.shared == want.shared, (script, got, want, text)
        if got.shared:
            actual = browser.actual_request(script)
            assert exposable(script, log[-1][1]) == exposable(
                script, evaluator_reply(evaluator, actual)[0]
            ), (script, text)
        for request, reply in log:
            missing = lacks_vary(reply, evaluator.respond(request).vary)
            assert not missing, (request, reply, missing)


@pytest.mark.parametrize("library", LIBRARIES)
def test_property_each_library_agrees_with_the_evaluator_within_its_capabilities(
    library: str,
) -> None:
    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(library_policy_sets(library), st.data())
    def agree(policy_set: PolicySet, data: st.DataObject) -> None:
        scripts = data.draw(st.lists(script_requests(policy_set), min_size=1, max_size=6))
        check_property(library, policy_set, scripts)

    agree()


def cache_problems(run: Run) -> tuple[list[str], int]:
    """Static mode's answers carry no ``Vary: Origin``, so one cached copy may serve every
    request: a library that answers otherwise must vary on Origin (its declared deviation).
    The problems, and how many of the table's cases were checked."""
    serve = run_server(run)
    evaluator = Evaluator(run.policy_set)
    problems = []
    checked = 0
    for case in judged_cases(run):
        request = Request(case.method, case.path, case.headers)
        want = evaluator.respond(request)
        if want.preflight or "Origin" in want.vary or want.policy is None:
            continue
        if has_paths(run) and decoded_differently(case.path):
            continue  # another path than corsc's: the declared path deviation
        reply = serve(request)
        checked += 1
        cors = sorted((n.lower(), v) for n, v in reply.headers if n.lower().startswith("access-"))
        if cors != sorted((n.lower(), v) for n, v in want.headers) and lacks_vary(
            reply, ["Origin"]
        ):
            problems.append(f"{case.id}: {cors} without Vary: Origin")
    return problems, checked


STATIC_RUNS = [run for run in EXPRESSIBLE if any(p.static_origin for p in run.policy_set.policies)]


@pytest.mark.parametrize("run", STATIC_RUNS, ids=[run.id for run in STATIC_RUNS])
def test_static_mode_answers_are_safe_to_cache_in_every_library(run: Run) -> None:
    problems, checked = cache_problems(run)
    assert not problems
    assert checked > 0


def test_static_mode_runs_cover_every_library() -> None:
    assert {run.library for run in STATIC_RUNS} == set(LIBRARIES)
