"""Every Python target over the shared conformance table, and property tests, against the
evaluator.

- corsc's runtime, under ASGI and under WSGI, must match every case exactly, as the evaluator
  does (no ``Access-Control-*`` header beyond those a case expects).
- Each library is judged within its declared capabilities (docs/python.md): for every policy
  of the table it can express — per policy for Starlette and Django, which take one
  configuration — each case a browser could send must get the browser verdict (tests/browser.py)
  the evaluator's answer gets, with the same exposed headers; and every reply's ``Vary`` must
  include the evaluator's members. Cases no browser sends (an uppercase Origin, a non-token
  method, an Origin-less request) are judged on ``Vary`` only. Starlette always grants the four
  safelisted request headers, so its runs grant them in the policy too (what its CORS631 error
  asks the user to do).
- What a library cannot express is refused with CORS601, from its capability table — checked
  against the table below, so a refusal is asserted behaviour, not a skip.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

import attrs
import browser
import irbuild
import pytest
from attrs import frozen
from conformance_table import ConformanceCase, ConformanceTable, load_tables
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from python_harness import (
    APP_BODY,
    APP_STATUS,
    Reply,
    asgi,
    asgi_app,
    django_server,
    flask_server,
    lacks_vary,
    options_of,
    starlette_server,
    wsgi,
    wsgi_app,
)

from corsc import origins
from corsc import runtime as corsc_runtime
from corsc.backends import EmitOptions, check, get
from corsc.checks import check as core_check
from corsc.evaluate import Evaluator, Request
from corsc.frontend import load
from corsc.http import REQUEST_HEADERS, REQUEST_METHOD
from corsc.ir import Grant, Policy, PolicySet, Token
from corsc.source import Source

TABLES = load_tables()
LIBRARIES = ("starlette", "django", "flask")
ACRPN = "Access-Control-Request-Private-Network"
STARLETTE_SAFELISTED = ("Accept", "Accept-Language", "Content-Language", "Content-Type")


@cache
def table_set(table: str, text: str) -> PolicySet:
    loaded = load(Source(f"{table}.cors", text))
    assert loaded.policy_set is not None and not loaded.has_errors, loaded.diagnostics
    return loaded.policy_set


def compile_for(target: str, policy_set: PolicySet, fmt: str = "") -> tuple[list[Any], str]:
    """(error diagnostics, output text) of ``corsc compile --target target [-O format=fmt]``."""
    backend = get(target)
    options = EmitOptions("0.1.0", policy_set.file, target, {"format": fmt} if fmt else {})
    errors = [d for d in check(backend, policy_set, options) if d.severity.value == "error"]
    if errors:
        return errors, ""
    return [], backend.emit(policy_set, options)[0].content


# ---- the evaluator's answer, as a server would send it ---------------------------------------


def evaluator_reply(evaluator: Evaluator, request: Request) -> tuple[Reply, tuple[str, ...]]:
    """The evaluator's answer as a reply (the application's status, headers and body when it
    lets the application answer) and its Vary members."""
    response = evaluator.respond(request)
    headers = list(response.headers)
    if response.vary:
        headers.append(("Vary", ", ".join(response.vary)))
    if response.status is None:
        return Reply(APP_STATUS, (*browser.APP_HEADERS, *headers), APP_BODY), response.vary
    return Reply(response.status, tuple(headers), b""), response.vary


# ---- corsc's runtime: exact ------------------------------------------------------------------

CASES = [case for table in TABLES for case in table.cases]


@cache
def runtime_apps(table: str, text: str) -> tuple[Any, Any]:
    options = EmitOptions("0.1.0", f"{table}.cors", "python")
    compiled = get("python").emit(table_set(table, text), options)[0].content
    loaded = corsc_runtime.loads(compiled, f"{table}.toml")
    return (
        corsc_runtime.ASGIMiddleware(asgi_app, loaded),
        corsc_runtime.WSGIMiddleware(wsgi_app, loaded),
    )


@pytest.mark.parametrize("interface", ["asgi", "wsgi"])
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_the_runtime_matches_the_table_exactly(case: ConformanceCase, interface: str) -> None:
    asgi_mw, wsgi_mw = runtime_apps(case.table, case.policy_text)
    request = Request(case.method, case.path, case.headers)
    reply = asgi(asgi_mw, request) if interface == "asgi" else wsgi(wsgi_mw, request)
    status = None if reply.app_answered else reply.status
    case.assert_matches(status, reply.headers, exact=True)
    if status is not None:
        assert reply.body == b""


# ---- the libraries: what a browser concludes -------------------------------------------------


def browser_origin(origin: str) -> bool:
    """Whether a browser could send this Origin: ``null`` or a canonical serialisation no longer
    than a DNS name allows."""
    if origin == "null":
        return True
    if len(origin) > origins.MAX_ORIGIN_LENGTH:
        return False
    parsed = origins.parse_pattern(origin, irbuild.span())
    return (
        parsed.pattern is not None
        and parsed.pattern.kind.value == "exact"
        and parsed.canonical_text is None
    )


#: A value no safelist admits for any header name (a `"` is CORS-unsafe everywhere).
UNSAFE_VALUE = '"x"'


#: Dot segments as browsers recognise them, percent-encoded dots included (lowercased).
DOT_SEGMENTS = frozenset({".", "..", "%2e", ".%2e", "%2e.", "%2e%2e"})


def has_dot_segments(path: str) -> bool:
    return any(segment.lower() in DOT_SEGMENTS for segment in path.split("?", 1)[0].split("/"))


def browser_path(path: str) -> bool:
    """Whether a browser could send this path: browsers remove dot segments."""
    return not has_dot_segments(path)


def decoded_differently(path: str) -> bool:
    """Whether a framework that matches paths as it decodes them (the declared deviation of the
    `paths` of Django and Flask) may choose another policy for ``path`` than corsc, which
    refuses a path that `%2F` or doubled slashes make ambiguous and removes dot segments:
    flask-cors also decodes a second time (`%25`)."""
    raw = path.split("?", 1)[0]
    lowered = raw.lower()
    return "%2f" in lowered or "%25" in lowered or "//" in raw or has_dot_segments(raw)


def script_for(case: ConformanceCase) -> browser.ScriptRequest | None:
    """The script request a case's request stands for, when a browser would send exactly
    that request; ``None`` otherwise."""
    if case.origin is None or not browser_origin(case.origin) or not browser_path(case.path):
        return None
    headers = dict((name.lower(), value) for name, value in case.request_headers)
    requested = headers.get(REQUEST_METHOD.lower())
    try:
        if case.method == "OPTIONS" and requested is not None:
            names = [n for n in headers.get(REQUEST_HEADERS.lower(), "").split(",") if n]
            script = browser.script_request(
                requested,
                case.path,
                origin=case.origin,
                headers=[(name, UNSAFE_VALUE) for name in names],
                credentials=case.credentials,  # type: ignore[arg-type]
                private_network=headers.get(ACRPN.lower()) == "true",
            )
            sent = browser.preflight_request(script)
            wire = {n.lower(): v for n, v in sent.headers if n.lower() != "accept"}
            return script if wire == {"origin": case.origin, **headers} else None
        script = browser.script_request(
            case.method,
            case.path,
            origin=case.origin,
            headers=case.request_headers,
            credentials=case.credentials,  # type: ignore[arg-type]
        )
    except TypeError:
        return None
    if script.method != case.method or len(script.headers) != len(case.request_headers):
        return None
    return script


def exposable(script: browser.ScriptRequest, reply: Reply) -> frozenset[str]:
    """What the CORS layer lets a script read of the application's headers (whoever answered:
    Flask answers OPTIONS itself, without the application's headers)."""
    cors = [(n, v) for n, v in reply.headers if n.lower().startswith("access-control-")]
    return browser.exposed(script, [*browser.APP_HEADERS, *cors])


def judge(
    request: Request,
    script: browser.ScriptRequest | None,
    got: Reply,
    want: Reply,
    vary: Iterable[str],
) -> list[str]:
    """How a library's reply differs from the evaluator's in what every target must match: the
    browser's verdict, the exposed headers, and Vary including the evaluator's members."""
    problems = [f"Vary lacks {member}" for member in lacks_vary(got, vary)]
    if script is None:
        return problems
    if request.method == "OPTIONS" and request.header(REQUEST_METHOD) is not None:
        verdicts = [browser.preflight_problem(script, r.status, r.headers) for r in (got, want)]
    else:
        verdicts = [browser.cors_problem(script, r.headers) for r in (got, want)]
        if verdicts == [None, None] and exposable(script, got) != exposable(script, want):
            problems.append("different headers exposed")
    if (verdicts[0] is None) != (verdicts[1] is None):
        problems.append(
            f"browser verdict {verdicts[0] or 'shared'!r}, evaluator's {verdicts[1] or 'shared'!r}"
        )
    return problems


def widened(grant: Grant) -> Grant:
    """``grant`` also granting the request headers Starlette always grants."""
    headers = grant.headers
    if headers.value.wildcard:
        return grant
    have = {name.lower() for name in headers.value.values}
    extra = tuple(
        Token(name, headers.span) for name in STARLETTE_SAFELISTED if name.lower() not in have
    )
    value = attrs.evolve(headers.value, items=headers.value.items + extra)
    return attrs.evolve(grant, headers=attrs.evolve(headers, value=value))


def for_starlette(policy: Policy) -> Policy:
    """One policy as a Starlette application wrapping the paths it governs would use it:
    without ``paths`` (the Mount does that), granting the four headers Starlette grants."""
    grants: dict[int, Grant] = {}

    def widen(grant: Grant) -> Grant:
        return grants.setdefault(id(grant), widened(grant))

    entries = tuple(attrs.evolve(entry, grant=widen(entry.grant)) for entry in policy.entries)
    return attrs.evolve(policy, paths=(), grant=widen(policy.grant), entries=entries)


@frozen
class Run:
    """One library configuration over (part of) one table: ``policy_set`` is what the library
    is compiled from; ``policy`` names the policy whose cases it is judged on (``None``: all)."""

    library: str
    table: ConformanceTable
    policy_set: PolicySet
    policy: str | None

    @property
    def id(self) -> str:
        return f"{self.library}-{self.table.name}" + (f"-{self.policy}" if self.policy else "")


def runs() -> list[Run]:
    found = []
    for table in TABLES:
        full = table_set(table.name, table.policy_text)
        found.append(Run("flask", table, full, None))
        for policy in full.policies:
            found.append(Run("django", table, attrs.evolve(full, policies=(policy,)), policy.name))
            one = attrs.evolve(full, policies=(for_starlette(policy),))
            found.append(Run("starlette", table, one, policy.name))
    return found


RUNS = runs()
REFUSALS = {run.id: compile_for(run.library, run.policy_set)[0] for run in RUNS}
EXPRESSIBLE = [run for run in RUNS if not REFUSALS[run.id]]

#: What each library refuses, by run, and the statements that need corsc's own middleware.
EXPECTED_REFUSALS = {
    "deny": {"starlette", "django", "flask"},
    "trailing-dot": {"starlette", "django", "flask"},
    "origin-blocks": {"starlette", "django", "flask"},
    "unlisted-reject": {"starlette", "django", "flask"},
    "wildcards": {"starlette", "django", "flask"},
}


def test_each_library_refuses_exactly_what_it_cannot_express() -> None:
    refused: dict[str, set[str]] = {}
    for run in RUNS:
        errors = REFUSALS[run.id]
        assert all(error.code == "CORS601" for error in errors), (run.id, errors)
        assert all("`--target " in error.help for error in errors)
        if errors:
            refused.setdefault(run.table.name, set()).add(run.library)
    assert refused == EXPECTED_REFUSALS


def library_server(run: Run, toml: bool = False) -> Callable[[Request], Reply]:
    errors, text = compile_for(run.library, run.policy_set, "toml" if toml else "")
    assert not errors, errors
    if run.library == "flask":
        return flask_server(text)
    options = options_of(text, f"cors_{run.library}", toml=toml)
    return starlette_server(options) if run.library == "starlette" else django_server(options)


def judged_cases(run: Run) -> list[ConformanceCase]:
    """The table's cases this run answers: all of them, or those whose path the table's policy
    set gives to ``run.policy``."""
    if run.policy is None:
        return list(run.table.cases)
    full = Evaluator(table_set(run.table.name, run.table.policy_text))
    return [
        case
        for case in run.table.cases
        if full.respond(Request(case.method, case.path, case.headers)).policy == run.policy
    ]


JUDGED: dict[str, int] = {}
#: Cases left to a declared deviation (by run id), asserted on in their own test.
DEVIATED: dict[str, list[str]] = {}


def has_paths(run: Run) -> bool:
    return any(policy.paths for policy in run.policy_set.policies)


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


def check_run(run: Run, toml: bool = False) -> None:
    serve = library_server(run, toml)
    evaluator = Evaluator(run.policy_set)
    problems = []
    for case in judged_cases(run):
        request = Request(case.method, case.path, case.headers)
        script = script_for(case)
        if has_paths(run) and decoded_differently(case.path):
            # Another path than corsc's is matched: judged by the test of the declaration.
            DEVIATED.setdefault(run.id, []).append(case.name)
            continue
        want, vary = evaluator_reply(evaluator, request)
        for problem in judge(request, script, serve(request), want, vary):
            problems.append(f"{case.id}: {problem}")
        if script is not None:
            JUDGED[run.library] = JUDGED.get(run.library, 0) + 1
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("run", EXPRESSIBLE, ids=[run.id for run in EXPRESSIBLE])
def test_each_library_reaches_the_evaluators_verdicts(run: Run) -> None:
    check_run(run)


TOML_RUNS = [run for run in EXPRESSIBLE if run.library != "flask"]


@pytest.mark.parametrize("run", TOML_RUNS, ids=[run.id for run in TOML_RUNS])
def test_the_toml_output_configures_the_same(run: Run) -> None:
    check_run(run, toml=True)


def test_the_table_judged_enough_browser_requests_per_library() -> None:
    """Guards against a vacuous pass: every library's runs judged many browser verdicts."""
    for run in EXPRESSIBLE:
        if run.library not in JUDGED:
            check_run(run)
    assert all(JUDGED.get(library, 0) >= 40 for library in LIBRARIES), JUDGED


def test_fastapi_uses_the_starlette_output_unchanged() -> None:
    import asyncio

    import httpx
    from fastapi import FastAPI
    from fastapi.middleware.cors import CORSMiddleware
    from starlette.middleware.cors import CORSMiddleware as StarletteCORSMiddleware

    assert CORSMiddleware is StarletteCORSMiddleware
    policy_set = table_set(
        "exact-origins", next(t for t in TABLES if t.name == "exact-origins").policy_text
    )
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
    if library == "flask":
        serve = flask_server(text)
    else:
        options = options_of(text, f"cors_{library}")
        serve = starlette_server(options) if library == "starlette" else django_server(options)
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


def cache_problems(run: Run) -> list[str]:
    """Static mode's answers carry no ``Vary: Origin``, so one cached copy may serve every
    request: a library that answers otherwise must vary on Origin (its declared deviation)."""
    serve = library_server(run)
    evaluator = Evaluator(run.policy_set)
    problems = []
    for case in judged_cases(run):
        request = Request(case.method, case.path, case.headers)
        want = evaluator.respond(request)
        if want.preflight or "Origin" in want.vary or want.policy is None:
            continue
        if has_paths(run) and decoded_differently(case.path):
            continue  # another path than corsc's: the declared path deviation
        reply = serve(request)
        cors = sorted((n.lower(), v) for n, v in reply.headers if n.lower().startswith("access-"))
        if cors != sorted((n.lower(), v) for n, v in want.headers) and lacks_vary(
            reply, ["Origin"]
        ):
            problems.append(f"{case.id}: {cors} without Vary: Origin")
    return problems


STATIC_RUNS = [run for run in EXPRESSIBLE if any(p.static_origin for p in run.policy_set.policies)]


@pytest.mark.parametrize("run", STATIC_RUNS, ids=[run.id for run in STATIC_RUNS])
def test_static_mode_answers_are_safe_to_cache_in_every_library(run: Run) -> None:
    assert not cache_problems(run)


def test_static_mode_runs_cover_every_library() -> None:
    assert {run.library for run in STATIC_RUNS} == set(LIBRARIES)
