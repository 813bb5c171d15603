"""Tests for corsc.runtime.wsgi: the CORS 500 when the application raises (also from a generator),
generator applications closed, and the policy chosen on the raw request target.
"""

from __future__ import annotations

from typing import Any

import pytest
from python_harness import (
    WSGIRun,
    vary_members,
    wsgi,
    wsgi_app,
)
from runtime_support import (
    DYNAMIC,
    TWO,
    Boom,
    runtime_set,
)

from corsc.evaluate import Request
from corsc.runtime import WSGIMiddleware


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
