"""corsc's runtime middleware against the libraries, on the same application and requests.

- ASGI: ``corsc.runtime.ASGIMiddleware`` against Starlette's ``CORSMiddleware``, each around
  the same stub application, with the same policy (compiled by corsc for ``python`` and for
  ``starlette``). Target: at least 1.5 times Starlette's requests per second on an accepted
  preflight, an allowed actual request, a refused preflight and a refused actual request.
- WSGI: ``corsc.runtime.WSGIMiddleware`` around a Flask application against flask-cors on the
  same Flask application (``CORS(app, **CORS_OPTIONS)`` from corsc's ``flask`` output). Target:
  at least 1.5 times on accepted and refused preflights (corsc answers them before Flask runs),
  and no slower (at least 1.0 times) on an allowed actual request.

Each call is driven directly — an ASGI coroutine stepped without an event loop (nothing in it
waits), a WSGI call with its body consumed — so what is measured is the middleware and the
application, not a server. One process, one run: rounds alternate between the two sides, and
each side's rate is its median round. Prints one JSON line; exit status 1 when a target is
missed.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from corsc import runtime
from corsc.backends import EmitOptions, get
from corsc.frontend import load
from corsc.source import Source

POLICY = """policy api {
  origins "https://app.example.com", "https://admin.example.com"
  methods GET, PUT, DELETE
  headers Content-Type, Accept, Accept-Language, Content-Language, X-Token
  expose  X-Request-Id
  max-age 600
}
"""
ALLOWED = "https://app.example.com"
REFUSED = "https://evil.example"
ASGI_TARGET = 1.5
WSGI_TARGETS = {"accepted_preflight": 1.5, "refused_preflight": 1.5, "allowed_actual": 1.0}

#: name → (method, headers) of the requests compared.
REQUESTS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "accepted_preflight": (
        "OPTIONS",
        [
            ("Origin", ALLOWED),
            ("Access-Control-Request-Method", "PUT"),
            ("Access-Control-Request-Headers", "content-type,x-token"),
        ],
    ),
    "allowed_actual": ("GET", [("Origin", ALLOWED), ("Accept", "*/*")]),
    "refused_preflight": (
        "OPTIONS",
        [("Origin", REFUSED), ("Access-Control-Request-Method", "PUT")],
    ),
    "refused_actual": ("GET", [("Origin", REFUSED), ("Accept", "*/*")]),
}
COMMON_HEADERS = [("Host", "api.example.com"), ("User-Agent", "bench"), ("Accept-Encoding", "gzip")]


def compiled(target: str) -> str:
    loaded = load(Source("bench.cors", POLICY))
    assert loaded.policy_set is not None and not loaded.has_errors
    backend = get(target)
    options = EmitOptions("bench", "bench.cors", target)
    assert not [d for d in backend.check(loaded.policy_set, options) if d.severity.value == "error"]
    return backend.emit(loaded.policy_set, options)[0].content


def namespace_of(text: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "compiled"}
    exec(compile(text, "compiled.py", "exec"), namespace)
    return namespace


# ---- ASGI ---------------------------------------------------------------------------------


async def stub(scope: Any, receive: Any, send: Any) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"x-request-id", b"1")],
        }
    )
    await send({"type": "http.response.body", "body": b"{}"})


async def receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def send(message: Any) -> None:
    return None


def asgi_call(app: Any, method: str, headers: list[tuple[str, str]]) -> Callable[[], None]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "https",
        "path": "/api/items",
        "raw_path": b"/api/items",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (name.lower().encode(), value.encode()) for name, value in [*COMMON_HEADERS, *headers]
        ],
    }

    def call() -> None:
        coroutine = app(scope, receive, send)
        try:
            coroutine.send(None)
        except StopIteration:
            return
        raise RuntimeError("the middleware waited on something")

    return call


# ---- WSGI ---------------------------------------------------------------------------------


def flask_app() -> Any:
    from flask import Flask

    app = Flask("bench")

    @app.route("/api/items", methods=["GET", "PUT", "DELETE"])
    def items() -> tuple[str, int, dict[str, str]]:
        return "{}", 200, {"Content-Type": "application/json", "X-Request-Id": "1"}

    return app


def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
    return None


def wsgi_call(app: Any, method: str, headers: list[tuple[str, str]]) -> Callable[[], None]:
    base = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": "/api/items",
        "QUERY_STRING": "",
        "SERVER_NAME": "api.example.com",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "https",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in [*COMMON_HEADERS, *headers]:
        base["HTTP_" + name.upper().replace("-", "_")] = value

    def call() -> None:
        environ = dict(base)
        environ["wsgi.input"] = io.BytesIO(b"")
        body = app(environ, start_response)
        for _ in body:
            pass
        close = getattr(body, "close", None)
        if close is not None:
            close()

    return call


# ---- measuring ----------------------------------------------------------------------------


def rate(call: Callable[[], None], count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        call()
    return count / (time.perf_counter() - start)


def compare(
    ours: Callable[[], None], theirs: Callable[[], None], rounds: int, count: int
) -> tuple[float, float]:
    """Median requests/s of each side over alternating rounds."""
    for call in (ours, theirs):
        rate(call, count // 10)  # warm up
    our_rates, their_rates = [], []
    for _ in range(rounds):
        our_rates.append(rate(ours, count))
        their_rates.append(rate(theirs, count))
    return statistics.median(our_rates), statistics.median(their_rates)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--count", type=int, default=3000)
    args = parser.parse_args()

    from flask_cors import CORS
    from starlette.middleware.cors import CORSMiddleware

    policy_set = runtime.loads(compiled("python"), "bench.toml")
    corsc_asgi = runtime.ASGIMiddleware(stub, policy_set)
    starlette = CORSMiddleware(stub, **namespace_of(compiled("starlette"))["CORS_OPTIONS"])
    corsc_wsgi = runtime.WSGIMiddleware(flask_app().wsgi_app, policy_set)
    with_flask_cors = flask_app()
    CORS(with_flask_cors, **namespace_of(compiled("flask"))["CORS_OPTIONS"])

    result: dict[str, Any] = {"benchmark": "python-middleware", "asgi": {}, "wsgi": {}}
    met = True
    for name, (method, headers) in REQUESTS.items():
        ours, theirs = compare(
            asgi_call(corsc_asgi, method, headers),
            asgi_call(starlette, method, headers),
            args.rounds,
            args.count,
        )
        ratio = ours / theirs
        met &= ratio >= ASGI_TARGET
        result["asgi"][name] = {
            "corsc_rps": round(ours),
            "starlette_rps": round(theirs),
            "ratio": round(ratio, 2),
            "target": ASGI_TARGET,
        }
    for name, (method, headers) in REQUESTS.items():
        ours, theirs = compare(
            wsgi_call(corsc_wsgi, method, headers),
            wsgi_call(with_flask_cors.wsgi_app, method, headers),
            args.rounds,
            args.count,
        )
        ratio = ours / theirs
        target = WSGI_TARGETS.get(name)
        met &= target is None or ratio >= target
        result["wsgi"][name] = {
            "corsc_rps": round(ours),
            "flask_cors_rps": round(theirs),
            "ratio": round(ratio, 2),
            "target": target,
        }
    result["met"] = met
    print(json.dumps(result, separators=(",", ":")))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
