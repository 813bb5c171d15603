"""Tests for corsc.runtime.response: the middleware owns CORS on the application's responses
(Access-Control-* removed, Vary merged, every status) and its own answers carry the right length
and no body.
"""

from __future__ import annotations

from typing import Any

import pytest
from python_harness import (
    asgi,
    asgi_app,
    vary_members,
    wsgi,
)
from runtime_support import (
    ACRM,
    APP,
    DYNAMIC,
    from_text,
    runtime_set,
)

from corsc.evaluate import Request
from corsc.runtime import ASGIMiddleware, WSGIMiddleware


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
