"""The shared conformance table judged by a real Chromium (tests/chromium.py), on every target
that runs here, each served by a real server a browser can reach.

- :data:`SERVED` brings a target up for a list of tables: nginx in both variants (one nginx,
  one ``server`` per table), corsc's runtime as ASGI under uvicorn and as WSGI under waitress,
  Starlette's ``CORSMiddleware`` in a FastAPI application under uvicorn, Django with
  django-cors-headers and Flask with flask-cors under waitress (one configuration per policy
  for Starlette and Django, as tests/conformance_python.py runs them). Every server of a
  target listens on its own port of 127.0.0.1; one uvicorn or one waitress serves all of a
  target's ports, choosing the application by the port in ``Host``. Behind every CORS layer
  the application answers ``200`` with the browser model's ``APP_HEADERS``.
- :func:`browser_cases` is the part of the table a browser can send: derived once, for every
  target alike, from what a script can ask for (tests/conformance_python.py's ``script_for``:
  its own canonical Origin, a method ``fetch()`` allows, no forbidden header, a path without dot
  segments) and what Chromium sends here (a host name a resolver accepts, a path its URL parser
  keeps as written; no Private Network Access preflight, :data:`NO_PNA`).
- :func:`judge` runs one case three ways — Chromium against the target, the browser model
  (tests/browser.py) against the target's real answers, the model against the reference
  evaluator — and says what each concluded.
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import re
import socket
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Final

import uvicorn
from attrs import frozen
from waitress import wasyncore
from waitress.server import create_server

from corsc import backends
from corsc.capabilities import Support, uses
from corsc.evaluate import Evaluator, Request
from corsc.ir import PolicySet
from tests import browser
from tests import conformance_apache as apache
from tests import conformance_caddy as caddy
from tests import conformance_haproxy as haproxy
from tests.chromium import API_HOST, Seen, Tab
from tests.conformance_express import compiled_tables, serving
from tests.conformance_nginx import APP as NGINX_APP
from tests.conformance_nginx import Compiled, compile_or_refuse, http_includes, server_includes
from tests.conformance_python import (
    Run,
    compile_for,
    run_for,
    runs,
    runtime_apps,
    script_for,
    table_set,
)
from tests.conformance_runner import REFUSED, Outcome
from tests.conformance_table import ConformanceCase, ConformanceTable
from tests.nginx_launcher import NGINX, Nginx
from tests.python_harness import (
    APP_BODY,
    APP_STATUS,
    django_wsgi,
    flask_app,
    options_of,
)

#: Why no case of the table that asks for Private Network Access is sent by this Chromium:
#: what tests/test_browser_scenarios.py asserts of it.
NO_PNA: Final = (
    "Chromium 156 sends no Private Network Access preflight: every page here is served from "
    "127.0.0.1, as the API is, and a page in the public address space may not reach the "
    "loopback server at all (Local Network Access)"
)

#: The characters a path keeps through the URL parser (no percent-encoding added, nothing
#: normalised).
_KEPT_PATH = re.compile(r"/[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*(\?[A-Za-z0-9\-._~!$&'()*+,;=:@/%?]*)?")

#: The longest DNS name (RFC 1035: 255 octets on the wire, 253 characters written).
MAX_HOST_NAME: Final = 253

#: The application's header names, whose exposure is compared (lowercase).
APP_NAMES: Final = frozenset(name.lower() for name, _ in browser.APP_HEADERS)


def browser_script(case: ConformanceCase) -> browser.ScriptRequest | None:
    """The script request Chromium sends for ``case``, or ``None`` when no script here sends
    exactly the case's request."""
    script = script_for(case)
    if script is None or script.private_network or not _KEPT_PATH.fullmatch(case.path):
        return None
    host = urllib.parse.urlsplit(script.origin).hostname or ""
    # Longer names are no DNS names: Chromium does not resolve them, so no page has them.
    return script if len(host.rstrip(".")) <= MAX_HOST_NAME else None


def browser_cases(tables: Sequence[ConformanceTable]) -> list[ConformanceCase]:
    """Every case of ``tables`` a browser here sends (:func:`browser_script`)."""
    return [case for table in tables for case in table.cases if browser_script(case)]


def probe_case(table: str, path: str, origin: str) -> ConformanceCase:
    """A simple ``GET`` of ``path`` from ``origin``: what a route is asked to find where a
    target answers ``table`` for that path."""
    return ConformanceCase(
        table=table,
        policy_text="",
        name="probe",
        method="GET",
        path=path,
        origin=origin,
        request_headers=(),
        credentials="omit",
        status=None,
        expect=(),
        absent=(),
        vary=(),
    )


# ---- the targets as servers --------------------------------------------------------------


@frozen
class Endpoint:
    """Where a case is sent (``port`` of :data:`~tests.chromium.API_HOST`) and what it means
    there: ``evaluator`` holds the policy set the target was compiled from."""

    port: int
    evaluator: Evaluator


#: A target brought up: a case's endpoint, or the outcome when the target cannot answer it
#: (its policy is refused, or no configuration governs its path).
Route = Callable[[ConformanceCase], Endpoint | Outcome]
Serving = Callable[[Sequence[ConformanceTable]], AbstractContextManager[Route]]


def _port_of(host: str) -> int:
    return int(host.rpartition(":")[2] or 80)


def _listening(count: int) -> list[socket.socket]:
    sockets = []
    for _ in range(count):
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        sockets.append(sock)
    return sockets


@contextlib.contextmanager
def asgi_served(apps: Sequence[Any]) -> Iterator[list[int]]:
    """One uvicorn serving each of ``apps`` on its own port (chosen by ``Host``)."""
    sockets = _listening(len(apps))
    ports = [int(sock.getsockname()[1]) for sock in sockets]
    by_port = dict(zip(ports, apps, strict=True))

    async def dispatch(scope: dict[str, Any], receive: Any, send: Any) -> None:
        host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
        await by_port[_port_of(host)](scope, receive, send)

    server = uvicorn.Server(
        uvicorn.Config(dispatch, log_level="warning", lifespan="off", access_log=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": sockets}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield ports
    finally:
        server.should_exit = True
        thread.join(10)
        for sock in sockets:
            sock.close()


@contextlib.contextmanager
def wsgi_served(apps: Sequence[Any]) -> Iterator[list[int]]:
    """One waitress (one worker thread) serving each of ``apps`` on its own port."""
    sockets = _listening(len(apps))
    ports = [int(sock.getsockname()[1]) for sock in sockets]
    by_port = dict(zip(ports, apps, strict=True))

    def dispatch(environ: dict[str, Any], start_response: Any) -> Any:
        return by_port[_port_of(environ.get("HTTP_HOST", ""))](environ, start_response)

    # The loop runs in steps and closes every channel in its own thread when told to stop:
    # closing them from this thread would race with the select() the loop is blocked in.
    channels: dict[int, Any] = {}
    server = create_server(
        dispatch, map=channels, sockets=sockets, threads=1, clear_untrusted_proxy_headers=True
    )
    stopping = threading.Event()

    def run() -> None:
        while not stopping.is_set():
            wasyncore.loop(timeout=0.05, map=channels, count=1)
        server.task_dispatcher.shutdown()
        wasyncore.close_all(channels)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield ports
    finally:
        stopping.set()
        thread.join(10)


def runtime_served(interface: str) -> Serving:
    """corsc's runtime, one middleware per table: ``asgi`` under uvicorn, ``wsgi`` under
    waitress."""

    @contextlib.contextmanager
    def served(tables: Sequence[ConformanceTable]) -> Iterator[Route]:
        apps = [runtime_apps(table)[0 if interface == "asgi" else 1] for table in tables]
        serve = asgi_served if interface == "asgi" else wsgi_served
        with serve(apps) as ports:
            endpoints = {
                table.name: Endpoint(port, Evaluator(table_set(table)))
                for table, port in zip(tables, ports, strict=True)
            }
            yield lambda case: endpoints[case.table]

    return served


def library_app(run: Run) -> Any:
    """The run's library as the application a real server runs."""
    errors, text = compile_for(run.library, run.policy_set)
    assert not errors, errors
    if run.library == "flask":
        return flask_app(text)
    options = options_of(text, f"cors_{run.library}")
    if run.library == "django":
        return django_wsgi(options)
    return fastapi_app(options)


def fastapi_app(options: dict[str, Any]) -> Any:
    """A FastAPI application answering every path and method as the stub application does,
    with Starlette's ``CORSMiddleware`` (what ``fastapi.middleware.cors`` is) set up by
    ``options``, as the compiled module tells FastAPI users to."""
    from fastapi import FastAPI
    from fastapi.middleware.cors import CORSMiddleware
    from fastapi.responses import Response

    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.add_middleware(CORSMiddleware, **options)
    headers = {name: value for name, value in browser.APP_HEADERS if name != "Content-Length"}

    def answer() -> Response:
        return Response(APP_BODY, APP_STATUS, headers=headers)

    methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "PROPFIND"]
    app.add_api_route("/{path:path}", answer, methods=methods)
    return app


def library_served(library: str) -> Serving:
    """One library, each run (tests/conformance_python.py) on its own port: Starlette under
    uvicorn, Django and Flask under waitress."""

    @contextlib.contextmanager
    def served(tables: Sequence[ConformanceTable]) -> Iterator[Route]:
        mine = [run for run in runs(tables) if run.library == library]
        refusals = {run.id: compile_for(library, run.policy_set)[0] for run in mine}
        good = [run for run in mine if not refusals[run.id]]
        full = {table.name: Evaluator(table_set(table)) for table in tables}
        serve = asgi_served if library == "starlette" else wsgi_served
        with serve([library_app(run) for run in good]) as ports:
            endpoints = {
                run.id: Endpoint(port, Evaluator(run.policy_set))
                for run, port in zip(good, ports, strict=True)
            }

            def route(case: ConformanceCase) -> Endpoint | Outcome:
                run = run_for(mine, full[case.table], case)
                if isinstance(run, Outcome):
                    return run
                if refusals[run.id]:
                    return Outcome(REFUSED, ", ".join(sorted({e.code for e in refusals[run.id]})))
                return endpoints[run.id]

            yield route

    return served


#: What nginx's stub application sends besides its body: the application headers whose
#: exposure the browser reads (``Content-Type`` and ``Content-Length`` come with the body).
NGINX_BROWSER_APP = (
    " ".join(
        f"add_header {name} {value};"
        for name, value in browser.APP_HEADERS
        if name.lower() not in {"content-type", "content-length"}
    )
    + " "
    + NGINX_APP
)


def nginx_served(variant: str) -> Serving:
    """Real nginx in ``variant`` (``maps`` or ``a2``), one ``server`` per table."""

    @contextlib.contextmanager
    def served(tables: Sequence[ConformanceTable]) -> Iterator[Route]:
        assert NGINX is not None, "nginx is not installed (Debian: apt-get install nginx)"
        built = {
            table.name: compile_or_refuse(
                table.name,
                table.policy_text,
                f"prefix=b{n}",
                f"variant={variant}",
                app=NGINX_BROWSER_APP,
            )
            for n, table in enumerate(tables)
        }
        compiled = {name: c for name, c in built.items() if isinstance(c, Compiled)}
        files = {name: text for c in compiled.values() for name, text in c.files.items()}

        def build(ports: list[int]) -> tuple[str, dict[str, str]]:
            servers = [
                f"server {{ listen 127.0.0.1:{port};\n{server_includes(c.files)}\n{c.server}\n}}"
                for port, c in zip(ports, compiled.values(), strict=True)
            ]
            return http_includes(files) + "\n" + "\n".join(servers), files

        with tempfile.TemporaryDirectory() as directory:
            nginx = Nginx(Path(directory))
            ports = dict(zip(compiled, nginx.serve(build, len(compiled)), strict=True))
            endpoints = {
                name: Endpoint(ports[name], Evaluator(c.policy_set)) for name, c in compiled.items()
            }

            def route(case: ConformanceCase) -> Endpoint | Outcome:
                refusal = built[case.table]
                if not isinstance(refusal, Compiled):
                    return Outcome(REFUSED, ", ".join(sorted({d.code for d in refusal})))
                return endpoints[case.table]

            try:
                yield route
            finally:
                nginx.stop()

    return served


@contextlib.contextmanager
def express_served(tables: Sequence[ConformanceTable]) -> Iterator[Route]:
    """Real Express with the cors package, one Node.js process, one port per table."""
    built, compiled, evaluators = compiled_tables(tables)
    with serving(list(compiled.values()), browser.APP_HEADERS) as port_list:
        ports = dict(zip(compiled, port_list, strict=True))

        def route(case: ConformanceCase) -> Endpoint | Outcome:
            refusal = built[case.table]
            if not isinstance(refusal, str):
                return Outcome(REFUSED, ", ".join(sorted(set(refusal))))
            return Endpoint(ports[case.table], evaluators[case.table])

        yield route


@contextlib.contextmanager
def haproxy_served(tables: Sequence[ConformanceTable]) -> Iterator[Route]:
    """Real HAProxy, one process, one frontend per table."""
    with tempfile.TemporaryDirectory() as temporary:
        directory = Path(temporary)
        built = {
            table.name: haproxy.compile_or_refuse(
                table.name, table.policy_text, directory, f"prefix=b{n}"
            )
            for n, table in enumerate(tables)
        }
        compiled = {name: c for name, c in built.items() if isinstance(c, haproxy.Compiled)}
        with haproxy.serving(list(compiled.values()), directory, browser.APP_HEADERS) as ports:
            endpoints = {
                name: Endpoint(port, Evaluator(c.policy_set))
                for (name, c), port in zip(compiled.items(), ports, strict=True)
            }

            def route(case: ConformanceCase) -> Endpoint | Outcome:
                refusal = built[case.table]
                if not isinstance(refusal, haproxy.Compiled):
                    return Outcome(REFUSED, ", ".join(sorted({d.code for d in refusal})))
                return endpoints[case.table]

            yield route


@contextlib.contextmanager
def apache_served(tables: Sequence[ConformanceTable]) -> Iterator[Route]:
    """Real Apache, one process, one virtual host per table."""
    built = {
        table.name: apache.compile_or_refuse(table.name, table.policy_text) for table in tables
    }
    compiled = {name: c for name, c in built.items() if isinstance(c, apache.Compiled)}
    with (
        tempfile.TemporaryDirectory() as temporary,
        apache.serving(list(compiled.values()), Path(temporary), browser.APP_HEADERS) as ports,
    ):
        endpoints = {
            name: Endpoint(port, Evaluator(c.policy_set))
            for (name, c), port in zip(compiled.items(), ports, strict=True)
        }

        def route(case: ConformanceCase) -> Endpoint | Outcome:
            refusal = built[case.table]
            if not isinstance(refusal, apache.Compiled):
                return Outcome(REFUSED, ", ".join(sorted({d.code for d in refusal})))
            return endpoints[case.table]

        yield route


@contextlib.contextmanager
def caddy_served(tables: Sequence[ConformanceTable]) -> Iterator[Route]:
    """Real Caddy, one process, one site per table."""
    built = {table.name: caddy.compile_or_refuse(table.name, table.policy_text) for table in tables}
    compiled = {name: c for name, c in built.items() if isinstance(c, tuple)}
    app = [(name, value) for name, value in browser.APP_HEADERS if name != "Content-Length"]
    with caddy.serving({name: c[1] for name, c in compiled.items()}, app) as ports:
        endpoints = {name: Endpoint(ports[name], Evaluator(c[0])) for name, c in compiled.items()}

        def route(case: ConformanceCase) -> Endpoint | Outcome:
            refusal = built[case.table]
            if not isinstance(refusal, tuple):
                return Outcome(REFUSED, ", ".join(sorted({d.code for d in refusal})))
            return endpoints[case.table]

        yield route


#: Every target the browser judges, and how it is served; ``nginx-a2`` shares nginx's listing
#: in tests/conformance_expected.py.
SERVED: dict[str, Serving] = {
    "nginx": nginx_served("maps"),
    "nginx-a2": nginx_served("a2"),
    "runtime-asgi": runtime_served("asgi"),
    "runtime-wsgi": runtime_served("wsgi"),
    "starlette": library_served("starlette"),
    "django": library_served("django"),
    "flask": library_served("flask"),
    "express": express_served,
    "haproxy": haproxy_served,
    "apache": apache_served,
    "caddy": caddy_served,
}
LISTING: dict[str, str] = {"nginx-a2": "nginx"}


#: The registered backend each served target compiles with, where the names differ.
BACKEND: dict[str, str] = {
    "nginx-a2": "nginx",
    "runtime-asgi": "python",
    "runtime-wsgi": "python",
}


def refused_as_declared(target: str, policy_set: PolicySet, outcome: Outcome) -> bool:
    """Whether ``outcome`` is the capability contract's refusal: CORS601 alone, for a policy
    set that uses a feature the target's capability table marks unsupported."""
    table = backends.get(BACKEND.get(target, target)).capabilities
    unsupported = {
        use.feature for use in uses(policy_set) if table[use.feature].support is Support.NO
    }
    return outcome.kind == REFUSED and outcome.detail == "CORS601" and bool(unsupported)


# ---- one case, three ways ------------------------------------------------------------------


def wire_server(port: int) -> Callable[[Request], tuple[int, browser.Headers]]:
    """The target on ``port`` as the browser model's server: each request sent as it is, with
    the ``Host`` Chromium sends."""

    def serve(request: Request) -> tuple[int, browser.Headers]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            connection.putrequest(
                request.method, request.path, skip_host=True, skip_accept_encoding=True
            )
            connection.putheader("Host", f"{API_HOST}:{port}")
            for name, value in request.headers:
                connection.putheader(name, value)
            connection.endheaders()
            response = connection.getresponse()
            response.read()
            return response.status, response.getheaders()
        finally:
            connection.close()

    return serve


@frozen
class Verdict:
    """What a script concludes: ``shared`` or a network error, and the application's headers
    it can read (lowercase; :data:`APP_NAMES` only, since servers add headers of their own)."""

    shared: bool
    exposed: frozenset[str] = frozenset()

    def __str__(self) -> str:
        if not self.shared:
            return "blocked"
        return "shared, reads " + (", ".join(sorted(self.exposed)) or "nothing")


def verdict(shared: bool, exposed: frozenset[str], sent: frozenset[str]) -> Verdict:
    """The verdict on a response that carried the application headers ``sent``."""
    return Verdict(shared, exposed & APP_NAMES & sent if shared else frozenset())


@frozen
class Judged:
    """One case at one target: Chromium's verdict and what it saw, the model's verdict on the
    same real answers (and its reason for a network error), and the model's verdict on the
    evaluator's answers (the meaning)."""

    chromium: Verdict
    seen: Seen
    model: Verdict
    model_preflighted: bool
    model_reason: str
    meaning: Verdict


_counter = itertools.count()


def judge(tab: Tab, endpoint: Endpoint, case: ConformanceCase) -> Judged:
    """Send ``case`` from a page at its origin to the target, with a fresh URL each time (a
    query the policies ignore) so that no preflight or response is served from a cache."""
    script = browser_script(case)
    assert script is not None, case.id
    path = f"{case.path}{'&' if '?' in case.path else '?'}browser={next(_counter)}"
    script = browser.ScriptRequest(
        script.method, path, script.origin, script.headers, script.credentials
    )
    seen = tab.fetch(
        case.origin or "null",
        f"http://{API_HOST}:{endpoint.port}{path}",
        method=script.method,
        headers=script.headers,
        credentials=script.credentials,
    )
    answers: list[browser.Headers] = []
    serve = wire_server(endpoint.port)

    def recorded(request: Request) -> tuple[int, browser.Headers]:
        status, headers = serve(request)
        answers.append(headers)
        return status, headers

    real = browser.fetch(recorded, script)
    sent = frozenset(name.lower() for name, _ in answers[-1]) if real.shared else frozenset()
    meant = browser.fetch(browser.evaluator_server(endpoint.evaluator), script)
    return Judged(
        chromium=verdict(seen.shared, seen.exposed, sent),
        seen=seen,
        model=verdict(real.shared, real.exposed, sent),
        model_preflighted=real.preflighted,
        model_reason=real.reason,
        meaning=verdict(meant.shared, meant.exposed, sent),
    )
