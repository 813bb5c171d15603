"""Drivers for the Python targets, in-process, and the comparison with the evaluator.

Every driver answers one request as ``Reply(status, headers, body)``, headers as ``(name,
value)`` text pairs in the order sent. The application behind every CORS layer is the same
stub: it answers ``200`` with the body ``app`` (``APP_BODY``) and a ``Content-Type`` header, so
what the CORS layer did is what differs from that.

- :func:`asgi` and :func:`wsgi` call any ASGI or WSGI application directly (no server, no event
  loop beyond one ``asyncio.run``), with the request path and headers exactly as given,
  repeated headers included (WSGI combines them with ``", "``, as servers do).
- :func:`cors_part` extracts what the evaluator decides from a reply: the ``Access-Control-*``
  headers in order (names compared case-insensitively) and the ``Vary`` members.
"""

from __future__ import annotations

import asyncio
import io
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from attrs import frozen

from corsc.evaluate import Request, Response

APP_BODY = b"app"
APP_STATUS = 200

Headers = tuple[tuple[str, str], ...]


@frozen
class Reply:
    """One response as a client sees it."""

    status: int
    headers: Headers
    body: bytes

    def values(self, name: str) -> list[str]:
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]


@frozen
class CorsPart:
    """What a CORS layer decided, in the evaluator's terms: ``status`` is ``None`` when the
    application answered (the stub's status and body came through)."""

    status: int | None
    headers: Headers
    vary: tuple[str, ...]


def vary_members(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(item.strip() for value in values for item in value.split(",") if item.strip())


def cors_part(reply: Reply) -> CorsPart:
    app_answered = reply.status == APP_STATUS and reply.body == APP_BODY
    headers = tuple(
        (name, value) for name, value in reply.headers if name.lower().startswith("access-control-")
    )
    return CorsPart(
        None if app_answered else reply.status, headers, vary_members(reply.values("vary"))
    )


def expected_part(response: Response) -> CorsPart:
    return CorsPart(response.status, response.headers, response.vary)


def same_part(got: CorsPart, want: CorsPart) -> bool:
    """Exact agreement: status, headers (names case-insensitive; values, order and count
    exact) and Vary members (case-insensitive, in order)."""
    return (
        got.status == want.status
        and [(name.lower(), value) for name, value in got.headers]
        == [(name.lower(), value) for name, value in want.headers]
        and [member.lower() for member in got.vary] == [member.lower() for member in want.vary]
    )


# ---- the stub applications -------------------------------------------------------------------


async def asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": APP_STATUS,
            "headers": [(b"content-type", b"text/plain")],
        }
    )
    await send({"type": "http.response.body", "body": APP_BODY})


def wsgi_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [APP_BODY]


# ---- drivers --------------------------------------------------------------------------------


def asgi_scope(request: Request) -> dict[str, Any]:
    path, _, query = request.path.partition("?")
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode("latin-1"),
        "query_string": query.encode("latin-1"),
        "root_path": "",
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
        "headers": [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in request.headers
        ],
    }


def asgi(app: Any, request: Request) -> Reply:
    """Call an ASGI application with ``request``; exceptions propagate after the messages
    sent so far are recorded in ``asgi.last``."""
    sent: list[dict[str, Any]] = []
    asgi.last = sent  # type: ignore[attr-defined]

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(asgi_scope(request), receive, send))
    return asgi_reply(sent)


def asgi_reply(sent: Sequence[dict[str, Any]]) -> Reply:
    start = next(message for message in sent if message["type"] == "http.response.start")
    return Reply(
        start["status"],
        tuple(
            (name.decode("latin-1"), value.decode("latin-1")) for name, value in start["headers"]
        ),
        b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body"),
    )


def wsgi_environ(request: Request) -> dict[str, Any]:
    path, _, query = request.path.partition("?")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "REQUEST_URI": request.path,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in request.headers:
        key = "HTTP_" + name.upper().replace("-", "_")
        if key in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
            key = key.removeprefix("HTTP_")
        environ[key] = f"{environ[key]}, {value}" if key in environ else value
    return environ


class WSGIRun:
    """One WSGI call: the status line and headers of the last ``start_response``, the body
    chunks, and the exception the body raised, if any."""

    def __init__(self, app: Any, request: Request) -> None:
        self.status = ""
        self.headers: list[tuple[str, str]] = []
        self.calls = 0
        self.chunks: list[bytes] = []
        self.error: BaseException | None = None
        body = app(wsgi_environ(request), self.start_response)
        try:
            for chunk in body:
                self.chunks.append(chunk)
        except Exception as error:
            self.error = error
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()

    def start_response(
        self, status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], None]:
        if self.calls and exc_info is None:
            raise AssertionError("start_response called twice without exc_info (PEP 3333)")
        self.calls += 1
        self.status = status
        self.headers = list(headers)
        return self.chunks.append

    @property
    def reply(self) -> Reply:
        return Reply(int(self.status.split()[0]), tuple(self.headers), b"".join(self.chunks))


def wsgi(app: Any, request: Request) -> Reply:
    run = WSGIRun(app, request)
    if run.error is not None:
        raise run.error
    return run.reply
