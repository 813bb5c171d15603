"""Tests for corsc.runtime.asgi: the CORS 500 when the application raises, other scopes passed
through, and the policy chosen on ``raw_path``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from python_harness import (
    asgi,
    asgi_app,
    asgi_reply,
    asgi_scope,
    vary_members,
)
from runtime_support import (
    DYNAMIC,
    TWO,
    Boom,
    runtime_set,
)

from corsc.evaluate import Request
from corsc.runtime import ASGIMiddleware


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
