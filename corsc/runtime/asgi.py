"""corsc's CORS middleware for ASGI applications (Starlette, FastAPI, Django's ASGI handler, …).

The middleware owns CORS on every path a policy governs: it removes ``Access-Control-*``
headers the application set, merges its ``Vary`` members into the application's, adds its
headers to every response the application produces whatever the status, and when the
application raises before starting its response it answers 500 with the CORS headers (so the
browser shows the error, not a CORS failure) and re-raises so the server still logs the
exception. Paths no policy governs, and scopes other than ``http``, are passed through
untouched.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from corsc import http
from corsc.ir import PolicySet
from corsc.plan import Plan
from corsc.runtime.answer import PreparedPlan, escaped
from corsc.runtime.reader import policy_set_of
from corsc.runtime.response import ASGI, SERVER_ERROR, Answer, latin1

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: The request headers the CORS layer reads, as ASGI servers send their names (lowercase).
_ORIGIN = latin1(http.ORIGIN.lower())
_ACRM = latin1(http.REQUEST_METHOD.lower())
_ACRH = latin1(http.REQUEST_HEADERS.lower())
_ACRPN = latin1(http.REQUEST_PRIVATE_NETWORK.lower())
#: In the order :func:`_cors_headers` returns their values.
_WANTED = (_ORIGIN, _ACRM, _ACRH, _ACRPN)


async def _send_own(send: Send, answer: Answer[bytes], status: int, body: bytes = b"") -> None:
    headers = answer.own(status, ASGI, body)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _target(scope: Scope) -> bytes:
    """The request target as received (``raw_path``), else the decoded ``path`` escaped so
    that it decodes to itself."""
    raw_path: bytes | None = scope.get("raw_path")
    return raw_path or escaped(scope["path"].encode("utf-8", "surrogatepass"))


def _cors_headers(headers: Iterable[tuple[bytes, bytes]]) -> list[str | None]:
    """The values of Origin and the Access-Control-Request-Method, -Headers and
    -Private-Network headers, in that order (``None`` when absent), repeats combined with
    ``", "`` as the evaluator combines them."""
    found: dict[bytes, str] = {}
    for name, value in headers:
        if name not in _WANTED:
            # Servers send lowercase names (the ASGI spec asks them to); check the rest.
            if name.islower():
                continue
            name = name.lower()
            if name not in _WANTED:
                continue
        text = value.decode("latin-1")
        found[name] = f"{found[name]}, {text}" if name in found else text
    return [found.get(name) for name in _WANTED]


class ASGIMiddleware:
    """CORS for an ASGI application (Starlette, FastAPI, Django's ASGI handler, …).

    ``policy`` is the path of a file compiled with ``--target python`` (read now, so a bad
    file stops the application from starting) or a policy set from
    :func:`corsc.runtime.load`. Only ``http`` scopes are handled; ``websocket`` and
    ``lifespan`` pass through.

    The policy is chosen on ``raw_path`` (the path as received, which ``corsc.paths`` decodes
    the way the evaluator does) when the server provides it, else on the decoded ``path``.
    Repeated request headers are combined with ``", "``, as the evaluator combines them.
    """

    def __init__(self, app: ASGIApp, policy: str | os.PathLike[str] | PolicySet) -> None:
        self.app = app
        self.policy_set = policy_set_of(policy)
        self._prepared = PreparedPlan(Plan.of(self.policy_set), ASGI)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chosen = self._prepared.choose(lambda: _target(scope))
        if chosen is None:
            await self.app(scope, receive, send)
            return
        if isinstance(chosen, Answer):
            answer = chosen
        else:
            origin, method, headers, private = _cors_headers(scope["headers"])
            answer = chosen.answer(scope["method"], origin, method, headers, private)
        if answer.status is not None:
            await _send_own(send, answer, answer.status)
            return
        started = False

        async def send_with_cors(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message = dict(message)
                message["headers"] = answer.merged(message.get("headers", ()), ASGI)
            await send(message)

        try:
            await self.app(scope, receive, send_with_cors)
        except Exception:
            if not started:
                # The browser sees a readable 500 instead of a CORS failure; the exception
                # still reaches the server, which logs it.
                await _send_own(send, answer, 500, SERVER_ERROR)
            raise
