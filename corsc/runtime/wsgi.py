"""corsc's CORS middleware for WSGI applications (Flask, Django's WSGI handler, …).

It owns CORS on every path a policy governs as the ASGI middleware does
(:mod:`corsc.runtime.asgi`): the application's ``Access-Control-*`` headers removed, ``Vary``
merged, the CORS headers on every status, and a CORS 500 when the application raises before
its response starts (also when a generator application raises on its first item), after which
the error is re-raised for the server to log. Paths no policy governs are passed through
untouched.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import Any

from corsc import http
from corsc.ir import PolicySet
from corsc.plan import Plan
from corsc.runtime.answer import PreparedPlan, escaped
from corsc.runtime.reader import policy_set_of
from corsc.runtime.response import SERVER_ERROR, WSGI, Answer

Environ = dict[str, Any]
ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]
StartResponse = Callable[..., Callable[[bytes], object]]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]


def _environ_key(name: str) -> str:
    """The WSGI environ key of a request header (CGI: ``HTTP_`` and the name uppercased, ``-``
    as ``_``)."""
    return "HTTP_" + name.upper().replace("-", "_")


#: The request headers the CORS layer reads, as WSGI environ keys.
_ORIGIN = _environ_key(http.ORIGIN)
_ACRM = _environ_key(http.REQUEST_METHOD)
_ACRH = _environ_key(http.REQUEST_HEADERS)
_ACRPN = _environ_key(http.REQUEST_PRIVATE_NETWORK)

_STATUS_LINES = {
    200: "200 OK",
    204: "204 No Content",
    400: "400 Bad Request",
    403: "403 Forbidden",
    500: "500 Internal Server Error",
}


class _WSGIResponse:
    """One request's passage through the application: adds the CORS headers when the
    application starts its response, and answers 500 with them when it raises first."""

    __slots__ = ("answer", "start_response", "started")

    def __init__(self, start_response: StartResponse, answer: Answer[str]) -> None:
        self.start_response = start_response
        self.answer = answer
        self.started = False

    def start(
        self, status: str, headers: list[tuple[str, str]], exc_info: ExcInfo | None = None
    ) -> Callable[[bytes], object]:
        self.started = True
        return self.start_response(status, self.answer.merged(headers, WSGI), exc_info)

    def fail(self, error: Exception) -> Iterator[bytes]:
        """Answer 500 with the CORS headers, then raise ``error`` once the body is out, so the
        server logs it as it logs any application error. ``exc_info`` lets the 500 replace
        headers the application started but never sent (PEP 3333)."""
        self.start_response(
            _STATUS_LINES[500],
            self.answer.own(500, WSGI, SERVER_ERROR),
            (type(error), error, error.__traceback__) if self.started else None,
        )
        yield SERVER_ERROR
        raise error

    def lazy(self, body: Iterable[bytes]) -> Iterator[bytes]:
        """The body of an application that starts its response only when iterated (a
        generator): an error before it starts still gets the CORS 500."""
        iterator = iter(body)
        try:
            try:
                first = next(iterator)
            except StopIteration:
                return
            except Exception as error:
                if self.started:
                    raise
                yield from self.fail(error)
                return
            yield first
            yield from iterator
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()


_AUTHORITY = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*")


def _wsgi_target(environ: Environ) -> bytes:
    """The request target as received: ``RAW_URI``/``REQUEST_URI`` (WSGI strings hold the
    bytes as Latin-1; an absolute-form target loses its scheme and authority), else the
    decoded ``SCRIPT_NAME`` + ``PATH_INFO``, escaped so that it decodes to itself."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or ""
    authority = None if raw.startswith("/") else _AUTHORITY.match(raw)
    if authority is not None:
        raw = raw[authority.end() :] or "/"
    if raw.startswith("/"):
        return _wsgi_bytes(raw)
    return escaped(_wsgi_bytes(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")))


def _wsgi_bytes(text: str) -> bytes:
    """The bytes a WSGI string holds (as Latin-1); a string that is not one, as UTF-8."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


class WSGIMiddleware:
    """CORS for a WSGI application (Flask, Django's WSGI handler, …).

    ``policy`` is as for :class:`corsc.runtime.ASGIMiddleware`. The policy is chosen on the
    server's raw request target (``RAW_URI``, as gunicorn sends it, or ``REQUEST_URI``, decoded
    by ``corsc.paths`` as the evaluator decodes it) when it provides one, else on the decoded
    ``SCRIPT_NAME`` + ``PATH_INFO``. Repeated request headers arrive combined by the server, as
    WSGI defines.
    """

    def __init__(self, app: WSGIApp, policy: str | os.PathLike[str] | PolicySet) -> None:
        self.app = app
        self.policy_set = policy_set_of(policy)
        self._prepared = PreparedPlan(Plan.of(self.policy_set), WSGI)

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        chosen = self._prepared.choose(lambda: _wsgi_target(environ))
        if chosen is None:
            return self.app(environ, start_response)
        if isinstance(chosen, Answer):
            answer = chosen
        else:
            answer = chosen.answer(
                environ["REQUEST_METHOD"],
                environ.get(_ORIGIN),
                environ.get(_ACRM),
                environ.get(_ACRH),
                environ.get(_ACRPN),
            )
        if answer.status is not None:
            start_response(_STATUS_LINES[answer.status], answer.own(answer.status, WSGI))
            return [b""]
        response = _WSGIResponse(start_response, answer)
        try:
            body = self.app(environ, response.start)
        except Exception as error:
            return response.fail(error)
        return body if response.started else response.lazy(body)
