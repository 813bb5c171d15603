"""Tests for corsc.runtime: loading the compiled TOML (and refusing bad files at start-up), the
ASGI and WSGI middleware answering exactly as the evaluator, owning CORS on the application's
responses (Access-Control-* removed, Vary merged, every status, a CORS 500 when the application
raises), and staying light to import.
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
    WSGIRun,
    asgi,
    asgi_app,
    asgi_reply,
    asgi_scope,
    cors_part,
    expected_part,
    same_part,
    vary_members,
    wsgi,
    wsgi_app,
)

from corsc import runtime
from corsc.backends import EmitOptions, get
from corsc.evaluate import Evaluator, Request
from corsc.frontend import load as load_source
from corsc.ir import PolicySet
from corsc.runtime import ASGIMiddleware, PolicyFileError, WSGIMiddleware
from corsc.source import Source

EXAMPLES = sorted(Path(__file__).parent.parent.joinpath("examples").glob("*.cors"))
ACRM = "Access-Control-Request-Method"
ACRH = "Access-Control-Request-Headers"
ACRPN = "Access-Control-Request-Private-Network"
APP = "https://app.example.com"


def compile_toml(policy_set: PolicySet) -> str:
    options = EmitOptions("0.1.0", policy_set.file, "python")
    return get("python").emit(policy_set, options)[0].content


def from_text(text: str, name: str = "test.cors") -> PolicySet:
    loaded = load_source(Source(name, text))
    assert loaded.policy_set is not None and not loaded.has_errors, loaded.diagnostics
    return loaded.policy_set


def runtime_set(policy_set: PolicySet) -> PolicySet:
    """The policy set as the runtime reads it back from the compiled file."""
    return runtime.loads(compile_toml(policy_set), "cors.toml")


def meaning(policy_set: PolicySet) -> list[Any]:
    """What a policy set means to the evaluator, without spans, spellings or the `written`
    flags of defaults (which the TOML does not carry)."""

    def grant(value: Any) -> tuple[Any, ...]:
        return (
            value.methods.value.wildcard,
            value.methods.value.values,
            value.headers.value.wildcard,
            value.headers.value.values,
            value.expose.value.wildcard,
            value.expose.value.values,
            value.credentials.value,
            value.max_age.value,
            value.private_network.value,
        )

    return [
        (
            policy.name,
            [prefix.value for prefix in policy.paths],
            sorted((e.pattern.canonical, e.block, grant(e.grant)) for e in policy.entries),
            [pattern.canonical for pattern in policy.denies],
            grant(policy.grant),
            policy.unlisted.value,
            policy.preflight_status.value,
            policy.static_origin,
        )
        for policy in policy_set.policies
    ]


# ---- import weight -----------------------------------------------------------------------


def test_importing_the_runtime_imports_neither_lark_nor_the_compiler() -> None:
    code = (
        "import sys, corsc.runtime\n"
        "heavy = [m for m in ('lark', 'corsc.parse', 'corsc.lower', 'corsc.checks',"
        " 'corsc.frontend', 'corsc.backends', 'corsc.cli', 'corsc.render', 'idna') "
        "if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


# ---- the compiled file round-trips -------------------------------------------------------


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.name)
def test_every_example_reads_back_with_the_same_meaning(example: Path) -> None:
    policy_set = from_text(example.read_text("utf-8"), example.name)
    assert meaning(runtime_set(policy_set)) == meaning(policy_set)


def test_load_reads_a_file_and_names_it_in_spans(tmp_path: Path) -> None:
    path = tmp_path / "cors.toml"
    path.write_text(compile_toml(from_text('policy p { origins "https://a.example" }')), "utf-8")
    policy_set = runtime.load(path)
    assert policy_set.file == str(path)
    assert policy_set.policies[0].entries[0].pattern.canonical == "https://a.example"


def test_regex_and_wildcard_patterns_read_back() -> None:
    policy_set = from_text(
        'policy p {\n origins "https://*.example.com:*", "http://localhost:*", "null",'
        ' regex "^https://pr-[0-9]+\\.example\\.org$"\n'
        ' deny "https://bad.example.com"\n}'
    )
    assert meaning(runtime_set(policy_set)) == meaning(policy_set)


# ---- start-up failures ---------------------------------------------------------------------

VALID = compile_toml(from_text('policy p { origins "https://a.example"; methods PUT }'))


def edited(old: str, new: str) -> str:
    assert old in VALID
    return VALID.replace(old, new, 1)


BROKEN = {
    "not TOML": ("format = 1\n[[policy]\n", "not valid TOML"),
    "empty": ("", "no `format` key"),
    "another tool's TOML": ('[tool.poetry]\nname = "x"\n', "no `format` key"),
    "a newer format": (edited("format = 1", "format = 2"), "format 2 is not supported"),
    "format as a string": (edited("format = 1", 'format = "1"'), "format '1' is not supported"),
    "format as a boolean": (edited("format = 1", "format = true"), "format True is not supported"),
    "no policies": ("format = 1\n", "missing key(s) policy"),
    "unknown top-level key": (VALID + "\nextra = 1\n", "unknown key(s) extra"),
    "unknown policy key": (edited('name = "p"', 'name = "p"\norigin-list = []'), "origin-list"),
    "missing policy key": (edited("credentials = false\n", ""), "missing key(s) credentials"),
    "bad policy name": (edited('name = "p"', 'name = "P Q"'), "expected a name"),
    "non-canonical origin": (
        edited('"https://a.example"', '"HTTPS://A.example"'),
        "'HTTPS://A.example' is not an origin pattern in canonical form",
    ),
    "an origin with a path": (
        edited('"https://a.example"', '"https://a.example/x"'),
        "not an origin pattern",
    ),
    "a regex that does not compile": (
        edited('"https://a.example"', '"regex:https://(a"'),
        "is not a regex corsc accepts",
    ),
    "a header injection in a method": (
        edited('"PUT"', '"PUT\\r\\nSet-Cookie: a=b"'),
        "is not a method or header name",
    ),
    "methods as a number": (edited('methods = [\n    "PUT",\n]', "methods = 3"), "list of strings"),
    "credentials as a string": (
        edited("credentials = false", 'credentials = "no"'),
        "expected true or false",
    ),
    "negative max-age": (
        edited("private-network = false", "max-age = -1\nprivate-network = false"),
        "whole number",
    ),
    "unknown unlisted mode": (
        edited('unlisted = "pass"', 'unlisted = "drop"'),
        '"pass" or "reject"',
    ),
    "preflight status 302": (
        edited("preflight-status = 204", "preflight-status = 302"),
        "200 or 204",
    ),
    "a static origin not among the origins": (
        edited('static-origin = "https://a.example"', 'static-origin = "https://b.example"'),
        "`static-origin`",
    ),
    "a path that is not normalised": (edited("paths = []", 'paths = ["/api/"]'), "normalised"),
    "a wildcard origin block": (
        VALID + '\n[[policy.origin]]\norigin = "*"\nmethods = []\nheaders = []\nexpose = []\n'
        "credentials = false\nprivate-network = false\n",
        "cannot be `*`",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
@pytest.mark.parametrize("middleware", [ASGIMiddleware, WSGIMiddleware])
def test_a_broken_file_fails_when_the_middleware_is_built(
    case: str, middleware: Any, tmp_path: Path
) -> None:
    text, message = BROKEN[case]
    path = tmp_path / "cors.toml"
    path.write_text(text, "utf-8")
    with pytest.raises(PolicyFileError) as raised:
        middleware(asgi_app, str(path))
    assert str(raised.value).startswith(f"{path}: ")
    assert message in str(raised.value)
    assert "corsc compile" in str(raised.value)


def test_a_missing_or_binary_file_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(PolicyFileError, match=r"nope\.toml: cannot read the CORS policy file"):
        ASGIMiddleware(asgi_app, tmp_path / "nope.toml")
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"format = 1\n\xff\xfe")
    with pytest.raises(PolicyFileError, match="not UTF-8"):
        WSGIMiddleware(wsgi_app, binary)


def test_the_valid_file_used_above_loads() -> None:
    assert runtime.loads(VALID).policies[0].name == "p"


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


def test_an_own_answer_has_no_body_and_the_right_length() -> None:
    policy_set = from_text(
        'policy p { origins "https://a.example", "https://b.example"; methods PUT\n'
        " preflight-status 200 }"
    )
    middleware = ASGIMiddleware(asgi_app, runtime_set(policy_set))
    accepted = asgi(
        middleware, Request.of("OPTIONS", "/", origin="https://a.example", headers={ACRM: "PUT"})
    )
    assert (accepted.status, accepted.body) == (200, b"")
    assert accepted.values("content-length") == ["0"]
    refused = asgi(middleware, Request.of("OPTIONS", "/", origin=APP, headers={ACRM: "PUT"}))
    assert (refused.status, refused.values("content-length")) == (403, ["0"])
    policy_set = from_text('policy p { origins "https://a.example"; methods PUT }')
    no_content = asgi(
        ASGIMiddleware(asgi_app, runtime_set(policy_set)),
        Request.of("OPTIONS", "/", origin="https://a.example", headers={ACRM: "PUT"}),
    )
    assert (no_content.status, no_content.values("content-length")) == (204, [])


# ---- owning CORS on the application's responses ----------------------------------------------

DYNAMIC = from_text(
    'policy api { paths "/api"; origins "https://a.example", "https://b.example"\n'
    "  expose X-Id; credentials true }"
)


def asgi_answering(status: int, headers: list[tuple[bytes, bytes]]) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"x"})

    return app


def wsgi_answering(status: str, headers: list[tuple[str, str]]) -> Any:
    def app(environ: Any, start_response: Any) -> list[bytes]:
        start_response(status, list(headers))
        return [b"x"]

    return app


def both(status: int, headers: list[tuple[str, str]], request: Request) -> list[Any]:
    """The replies of the ASGI and the WSGI middleware around an application answering
    ``status`` with ``headers``."""
    loaded = runtime_set(DYNAMIC)
    asgi_headers = [(n.encode(), v.encode()) for n, v in headers]
    return [
        asgi(ASGIMiddleware(asgi_answering(status, asgi_headers), loaded), request),
        wsgi(WSGIMiddleware(wsgi_answering(f"{status} X", headers), loaded), request),
    ]


@pytest.mark.parametrize("status", [200, 201, 301, 404, 500, 503])
def test_cors_headers_go_on_every_status_the_application_answers(status: int) -> None:
    request = Request.of("GET", "/api/x", origin="https://a.example")
    for reply in both(status, [("Content-Type", "text/plain")], request):
        assert reply.status == status
        assert reply.values("access-control-allow-origin") == ["https://a.example"]
        assert reply.values("access-control-allow-credentials") == ["true"]
        assert reply.values("access-control-expose-headers") == ["X-Id"]
        assert vary_members(reply.values("vary")) == ("Origin",)


def test_access_control_headers_the_application_set_are_removed() -> None:
    app_headers = [
        ("Access-Control-Allow-Origin", "*"),
        ("access-control-allow-methods", "GET"),
        ("X-Kept", "1"),
        ("ACCESS-CONTROL-EXPOSE-HEADERS", "X-Secret"),
    ]
    allowed = Request.of("GET", "/api/x", origin="https://a.example")
    for reply in both(200, app_headers, allowed):
        names = [name.lower() for name, _ in reply.headers]
        assert names.count("access-control-allow-origin") == 1
        assert reply.values("access-control-allow-origin") == ["https://a.example"]
        assert reply.values("access-control-expose-headers") == ["X-Id"]
        assert "access-control-allow-methods" not in names
        assert reply.values("x-kept") == ["1"]
    refused = Request.of("GET", "/api/x", origin="https://evil.example")
    for reply in both(200, app_headers, refused):
        assert not [name for name, _ in reply.headers if name.lower().startswith("access-control")]


def test_paths_no_policy_governs_are_left_to_the_application() -> None:
    app_headers = [("Access-Control-Allow-Origin", "*"), ("Vary", "Accept")]
    request = Request.of("GET", "/other", origin="https://a.example")
    for reply in both(200, app_headers, request):
        assert list(reply.headers) == app_headers


@pytest.mark.parametrize(
    ("app_vary", "merged"),
    [
        ([], ("Origin",)),
        (["Accept-Encoding"], ("Accept-Encoding", "Origin")),
        (["Accept-Encoding, origin"], ("Accept-Encoding", "origin")),
        (["Accept", "Cookie"], ("Accept", "Cookie", "Origin")),
        (["*"], ("*",)),
    ],
)
def test_vary_members_are_merged_into_the_applications(
    app_vary: list[str], merged: tuple[str, ...]
) -> None:
    request = Request.of("GET", "/api/x", origin="https://a.example")
    for reply in both(200, [("Vary", value) for value in app_vary], request):
        assert len(reply.values("vary")) == 1
        assert vary_members(reply.values("vary")) == merged


def test_a_static_policy_leaves_the_applications_vary_alone() -> None:
    loaded = runtime_set(from_text('policy p { origins "https://a.example" }'))
    app = asgi_answering(200, [(b"vary", b"Accept"), (b"vary", b"Cookie")])
    reply = asgi(ASGIMiddleware(app, loaded), Request.of("GET", "/", origin="https://a.example"))
    assert reply.values("vary") == ["Accept", "Cookie"]
    assert reply.values("access-control-allow-origin") == ["https://a.example"]


class Boom(Exception):
    pass


async def asgi_raising(scope: Any, receive: Any, send: Any) -> None:
    raise Boom("the application failed")


def test_asgi_answers_500_with_cors_when_the_application_raises_and_re_raises() -> None:
    middleware = ASGIMiddleware(asgi_raising, runtime_set(DYNAMIC))
    with pytest.raises(Boom):
        asgi(middleware, Request.of("GET", "/api/x", origin="https://a.example"))
    reply = asgi_reply(asgi.last)  # type: ignore[attr-defined]
    assert reply.status == 500
    assert reply.body == b"Internal Server Error"
    assert reply.values("access-control-allow-origin") == ["https://a.example"]
    assert reply.values("access-control-allow-credentials") == ["true"]
    assert vary_members(reply.values("vary")) == ("Origin",)


def test_asgi_does_not_answer_twice_when_the_application_raises_after_starting() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise Boom("mid-body")

    middleware = ASGIMiddleware(app, runtime_set(DYNAMIC))
    with pytest.raises(Boom):
        asgi(middleware, Request.of("GET", "/api/x", origin="https://a.example"))
    starts = [m for m in asgi.last if m["type"] == "http.response.start"]  # type: ignore[attr-defined]
    assert [start["status"] for start in starts] == [200]


def test_asgi_passes_other_scopes_through() -> None:
    seen = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    middleware = ASGIMiddleware(app, runtime_set(DYNAMIC))
    for kind in ("lifespan", "websocket"):
        scope = asgi_scope(Request.of("GET", "/api/x", origin="https://a.example"))
        scope["type"] = kind
        asyncio.run(middleware(scope, None, None))  # type: ignore[arg-type]
    assert seen == ["lifespan", "websocket"]


def wsgi_raising(environ: Any, start_response: Any) -> list[bytes]:
    raise Boom("the application failed")


def wsgi_raising_after_start(environ: Any, start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    raise Boom("after start_response")


def wsgi_generator_raising(environ: Any, start_response: Any) -> Any:
    raise Boom("in the body, before start_response")
    yield b""  # pragma: no cover - makes this a generator


@pytest.mark.parametrize("app", [wsgi_raising, wsgi_raising_after_start, wsgi_generator_raising])
def test_wsgi_answers_500_with_cors_then_raises_for_the_server_to_log(app: Any) -> None:
    run = WSGIRun(
        WSGIMiddleware(app, runtime_set(DYNAMIC)),
        Request.of("GET", "/api/x", origin="https://a.example"),
    )
    assert isinstance(run.error, Boom)
    reply = run.reply
    assert reply.status == 500
    assert reply.body == b"Internal Server Error"
    assert reply.values("content-length") == [str(len(reply.body))]
    assert reply.values("access-control-allow-origin") == ["https://a.example"]
    assert reply.values("content-type") == ["text/plain; charset=utf-8"]
    assert vary_members(reply.values("vary")) == ("Origin",)


def test_wsgi_generator_applications_get_cors_headers_and_are_closed() -> None:
    closed = []

    def app(environ: Any, start_response: Any) -> Any:
        try:
            start_response("200 OK", [])
            yield b"a"
            yield b"b"
        finally:
            closed.append(True)

    reply = wsgi(
        WSGIMiddleware(app, runtime_set(DYNAMIC)),
        Request.of("GET", "/api/x", origin="https://a.example"),
    )
    assert (reply.status, reply.body) == (200, b"ab")
    assert reply.values("access-control-allow-origin") == ["https://a.example"]
    assert closed == [True]


def test_wsgi_path_falls_back_to_script_name_and_path_info() -> None:
    middleware = WSGIMiddleware(wsgi_app, runtime_set(DYNAMIC))
    run_environ = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "/api",
        "PATH_INFO": "/x",
        "HTTP_ORIGIN": "https://a.example",
    }
    statuses: list[Any] = []
    middleware(run_environ, lambda status, headers, exc_info=None: statuses.append(headers))
    assert ("Access-Control-Allow-Origin", "https://a.example") in statuses[0]


TWO = from_text(
    'policy api { paths "/api"; origins "https://a.example", "https://b.example" }\n'
    'policy rest { origins "https://c.example", "https://d.example" }'
)


def wsgi_granted(environ: dict[str, Any]) -> tuple[str, str | None]:
    """The status line and Allow-Origin the WSGI middleware answers ``environ`` with."""
    middleware = WSGIMiddleware(wsgi_app, runtime_set(TWO))
    got: list[Any] = []
    middleware(
        {"REQUEST_METHOD": "GET", "SCRIPT_NAME": "", **environ},
        lambda status, headers, exc_info=None: got.append((status, dict(headers))),
    )
    status, headers = got[0]
    return status, headers.get("Access-Control-Allow-Origin")


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        # The raw target wins over PATH_INFO, and is decoded as the evaluator decodes it.
        ({"RAW_URI": "/%61pi/x", "PATH_INFO": "/api/x"}, ("200 OK", "https://a.example")),
        ({"REQUEST_URI": "/api%2Fx", "PATH_INFO": "/api/x"}, ("400 Bad Request", None)),
        # An absolute-form target loses its scheme and authority.
        (
            {"RAW_URI": "http://h:80/api/x?q", "PATH_INFO": "/api/x"},
            ("200 OK", "https://a.example"),
        ),
        ({"RAW_URI": "http://h", "PATH_INFO": "/"}, ("200 OK", "https://c.example")),
        # UTF-8 bytes arrive as Latin-1 in a WSGI string.
        (
            {"RAW_URI": "/café".encode().decode("latin-1"), "PATH_INFO": "/"},
            ("200 OK", "https://c.example"),
        ),
        # Without a raw target, PATH_INFO is already decoded: it is taken as it is, `%` included.
        ({"PATH_INFO": "/api%2Fx"}, ("200 OK", "https://c.example")),
        ({"PATH_INFO": "/api/x"}, ("200 OK", "https://a.example")),
        ({"RAW_URI": "*", "PATH_INFO": "/api"}, ("200 OK", "https://a.example")),
    ],
)
def test_wsgi_chooses_the_policy_on_the_raw_target(
    environ: dict[str, str], expected: tuple[str, str | None]
) -> None:
    origin = expected[1] or "https://a.example"
    assert wsgi_granted({**environ, "HTTP_ORIGIN": origin}) == expected


@pytest.mark.parametrize(
    ("raw_path", "path", "expected"),
    [
        (b"/%61pi/x", "/api/x", (200, "https://a.example")),
        (b"/api%2Fx", "/api/x", (400, None)),
        (b"//api/x", "//api/x", (400, None)),
        (None, "/api%2Fx", (200, "https://c.example")),  # decoded `path`, taken as it is
        (None, "/api/x", (200, "https://a.example")),
        (b"/caf\xc3\xa9", "/café", (200, "https://c.example")),
    ],
)
def test_asgi_chooses_the_policy_on_raw_path(
    raw_path: bytes | None, path: str, expected: tuple[int, str | None]
) -> None:
    middleware = ASGIMiddleware(asgi_app, runtime_set(TWO))
    origin = expected[1] or "https://a.example"
    scope = asgi_scope(Request.of("GET", "/", origin=origin))
    scope["path"] = path
    if raw_path is None:
        del scope["raw_path"]
    else:
        scope["raw_path"] = raw_path
    sent: list[Any] = []

    async def receive() -> Any:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        sent.append(message)

    asyncio.run(middleware(scope, receive, send))
    reply = asgi_reply(sent)
    assert (reply.status, dict(reply.headers).get("access-control-allow-origin")) == expected
    if reply.status == 400:
        assert reply.body == b"" and not [n for n, _ in reply.headers if n.startswith("access")]


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
