"""Drivers for the Python targets, in-process, and how their answers are compared.

Every driver turns a :class:`~corsc.evaluate.Request` into ``Reply(status, headers, body)``,
headers as ``(name, value)`` text pairs in the order sent. Behind every CORS layer stands the
same application: it answers ``200`` with the body ``{}`` and the browser model's
``APP_HEADERS`` (safelisted, ordinary and forbidden response headers, so exposure can be
observed). So a reply with that status and body is the application's; anything else is the
CORS layer's own answer.

- :func:`asgi` and :func:`wsgi` call an ASGI or WSGI application directly, with the path and
  headers exactly as given (repeated headers included; WSGI combines them with ``", "``).
- :func:`starlette_server`, :func:`django_server`, :func:`flask_server` run each library
  in-process: Starlette's ``CORSMiddleware`` through ASGI, Django's test client with
  ``override_settings``, Flask's test client with the compiled module's ``init_cors``.
- :func:`library_server` is the one of them a compiled output configures.
- :func:`cors_part` extracts what the evaluator decides from a reply: the status (``None``
  when the application answered), the ``Access-Control-*`` headers, the ``Vary`` members.
"""

from __future__ import annotations

import asyncio
import io
import sys
import tomllib
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import unquote_to_bytes

from attrs import frozen
from browser import APP_HEADERS

from corsc.evaluate import Request, Response

APP_STATUS = 200
APP_BODY = b"{}"

Headers = tuple[tuple[str, str], ...]
Server = Callable[[Request], "Reply"]


@frozen
class Reply:
    """One response as a client sees it."""

    status: int
    headers: Headers
    body: bytes

    def values(self, name: str) -> list[str]:
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]

    @property
    def app_answered(self) -> bool:
        return self.status == APP_STATUS and self.body == APP_BODY


@frozen
class CorsPart:
    """What a CORS layer decided, in the evaluator's terms: ``status`` is ``None`` when the
    application answered."""

    status: int | None
    headers: Headers
    vary: tuple[str, ...]


def vary_members(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(item.strip() for value in values for item in value.split(",") if item.strip())


def cors_part(reply: Reply) -> CorsPart:
    headers = tuple(
        (name, value) for name, value in reply.headers if name.lower().startswith("access-control-")
    )
    status = None if reply.app_answered else reply.status
    return CorsPart(status, headers, vary_members(reply.values("vary")))


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


def lacks_vary(reply: Reply, members: Iterable[str]) -> list[str]:
    """The members of ``members`` the reply's Vary does not include (``*`` includes all)."""
    present = {member.lower() for member in vary_members(reply.values("vary"))}
    if "*" in present:
        return []
    return [member for member in members if member.lower() not in present]


# ---- the application ---------------------------------------------------------------------


async def asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    headers = [(name.lower().encode(), value.encode()) for name, value in APP_HEADERS]
    await send({"type": "http.response.start", "status": APP_STATUS, "headers": headers})
    await send({"type": "http.response.body", "body": APP_BODY})


def wsgi_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", list(APP_HEADERS))
    return [APP_BODY]


# ---- ASGI and WSGI -------------------------------------------------------------------------


def wire(text: str) -> bytes:
    """A request target's text as the bytes sent: characters beyond ASCII as UTF-8."""
    return text.encode("utf-8", "surrogatepass")


def asgi_scope(request: Request) -> dict[str, Any]:
    """As a server builds it: ``raw_path`` as received, ``path`` percent-decoded (UTF-8)."""
    path, _, query = request.path.partition("?")
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": "http",
        "path": unquote_to_bytes(path).decode("utf-8", "replace"),
        "raw_path": wire(path),
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
    """Call an ASGI application with ``request``. Exceptions propagate; the messages sent
    before are in ``asgi.last``."""
    sent: list[dict[str, Any]] = []
    asgi.last = sent  # type: ignore[attr-defined]
    received = []

    async def receive() -> dict[str, Any]:
        if received:
            # The client stays connected: a second receive waits until it is cancelled.
            await asyncio.get_running_loop().create_future()
        received.append(True)
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
    """As a server builds it: ``PATH_INFO`` percent-decoded, ``REQUEST_URI`` as received (both
    WSGI strings: the bytes as Latin-1)."""
    path, _, query = request.path.partition("?")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
        "QUERY_STRING": query,
        "REQUEST_URI": wire(request.path).decode("latin-1"),
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


# ---- the libraries ---------------------------------------------------------------------------


def load_module(text: str, name: str) -> dict[str, Any]:
    """Execute a compiled Python module's text; its namespace."""
    namespace: dict[str, Any] = {"__name__": name}
    exec(compile(text, f"{name}.py", "exec"), namespace)
    return namespace


def options_of(text: str, name: str, *, toml: bool = False) -> dict[str, Any]:
    """What a compiled output configures: ``CORS_OPTIONS`` (Starlette, Flask) or the
    ``CORS_*`` settings (Django), from a Python module or, with ``toml``, a TOML file."""
    if toml:
        return tomllib.loads(text)
    namespace = load_module(text, name)
    if "CORS_OPTIONS" in namespace:
        options: dict[str, Any] = namespace["CORS_OPTIONS"]
        return options
    return {key: value for key, value in namespace.items() if key.startswith("CORS_")}


def starlette_server(kwargs: dict[str, Any]) -> Server:
    from starlette.middleware.cors import CORSMiddleware

    app = CORSMiddleware(asgi_app, **kwargs)
    return lambda request: asgi(app, request)


def _django_setup() -> None:
    """Configure Django once per process. The settings are global, while this module may be
    imported twice (as ``python_harness`` and as ``tests.python_harness``): whichever copy
    configures them first serves the URLs of every copy."""
    global urlpatterns
    import django
    from django.conf import settings

    if settings.configured:
        return
    settings.configure(
        SECRET_KEY="corsc-tests",
        ALLOWED_HOSTS=["*"],
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=["corsheaders"],
        MIDDLEWARE=["corsheaders.middleware.CorsMiddleware"],
        USE_TZ=True,
    )
    django.setup()
    from django.http import HttpResponse
    from django.urls import re_path

    def view(request: Any) -> Any:
        return HttpResponse(APP_BODY, headers=dict(APP_HEADERS))

    urlpatterns = [re_path(r"^.*$", view)]


urlpatterns: list[Any] = []


def django_wsgi(cors_settings: dict[str, Any]) -> Callable[..., Iterable[bytes]]:
    """Django's WSGI handler with django-cors-headers set up by ``cors_settings``, for a real
    WSGI server that calls it from one thread (the settings are overridden per request)."""
    _django_setup()
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import override_settings

    handler = WSGIHandler()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with override_settings(**cors_settings):
            return handler(environ, start_response)  # type: ignore[no-any-return]

    return app


def django_server(cors_settings: dict[str, Any]) -> Server:
    """django-cors-headers with ``cors_settings`` (``override_settings`` per request, as the
    library re-reads its settings on every request)."""
    _django_setup()
    from django.test import Client, override_settings

    def serve(request: Request) -> Reply:
        headers: dict[str, str] = {}
        for name, value in request.headers:
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        with override_settings(**cors_settings):
            response = Client().generic(request.method, request.path, headers=headers)
        return Reply(response.status_code, tuple(response.headers.items()), response.content)

    return serve


def flask_app(module_text: str) -> Any:
    """A Flask application with a route for every path (Flask answers OPTIONS itself), set
    up with the compiled module's ``init_cors``."""
    from flask import Flask

    app = Flask("probe")

    def view(path: str = "") -> Any:
        return APP_BODY, APP_STATUS, list(APP_HEADERS)

    methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "PROPFIND"]
    app.add_url_rule("/", "root", view, methods=methods)
    app.add_url_rule("/<path:path>", "any", view, methods=methods)
    load_module(module_text, "cors_flask")["init_cors"](app)
    return app


def flask_server(module_text: str) -> Server:
    """:func:`flask_app` through Flask's test client."""
    client = flask_app(module_text).test_client()

    def serve(request: Request) -> Reply:
        response = client.open(request.path, method=request.method, headers=list(request.headers))
        return Reply(response.status_code, tuple(response.headers.to_wsgi_list()), response.data)

    return serve


def library_server(library: str, text: str, *, toml: bool = False) -> Server:
    """``library`` (``starlette``, ``django`` or ``flask``) in-process, configured with corsc's
    compiled output ``text`` (with ``toml``, the TOML file instead of the Python module)."""
    if library == "flask":
        return flask_server(text)
    options = options_of(text, f"cors_{library}", toml=toml)
    return starlette_server(options) if library == "starlette" else django_server(options)


def long_origin(length: int) -> str:
    """An Origin of exactly ``length`` characters that ``https://*.example.com`` matches."""
    labels = length - len("https://") - len(".example.com")
    body = ".".join(["a" * 62] * (labels // 63))
    rest = labels - len(body) - (1 if body else 0)
    return "https://" + (body + "." if body else "") + "b" * rest + ".example.com"
