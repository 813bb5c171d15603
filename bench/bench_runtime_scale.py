"""Runtime scale: the per-request time of corsc's ASGI and WSGI middleware does not grow with the
number of origins a policy lists.

Two policies of the form ``bench_scale.py`` generates (four exact origins for each subdomain
wildcard), one of 100,000 origins and one of 10, each compiled with ``--target python`` and read
back with ``corsc.runtime.loads``, answer the same kinds of request: an allowed exact origin,
an allowed subdomain of a wildcard, a refused origin that looks like the exact ones, and a
refused apex of a wildcard. Each middleware wraps an application that answers at once, and is
driven without an event loop or a server, so the time measured is the middleware's own.

Target: for every middleware and kind of request, the 100,000-origin time is at most 1.2 times
the 10-origin time (best of interleaved rounds, measured in one run).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

from bench_scale import policy_text

from corsc import __version__
from corsc.backends import EmitOptions, get
from corsc.frontend import load
from corsc.ir import PolicySet
from corsc.runtime import ASGIMiddleware, WSGIMiddleware, loads
from corsc.source import Source

TARGET = 1.2
SMALL = 10
LARGE = 100_000


def runtime_policy(count: int) -> PolicySet:
    """The ``count``-origin policy as the runtime reads it from the compiled file."""
    loaded = load(Source("scale.cors", policy_text(count)))
    assert loaded.policy_set is not None and not loaded.has_errors, loaded.diagnostics[:3]
    options = EmitOptions(__version__, "scale.cors", "python")
    return loads(get("python").emit(loaded.policy_set, options)[0].content, "scale.toml")


def origins_for(count: int) -> dict[str, tuple[str, bool]]:
    """Per kind of request, an Origin and whether the ``count``-origin policy allows it. The
    allowed ones are the policy's last exact origin and wildcard (index ``count - 1`` is a
    wildcard: ``count`` is a multiple of 5)."""
    last = count - 1
    return {
        "allowed_exact": (f"https://app{last - 1}.example{(last - 1) % 97}.com", True),
        "allowed_subdomain": (f"https://a.b.tenant{last}.example.net", True),
        "refused_exact": ("https://app1.example2.com", False),
        "refused_subdomain": (f"https://tenant{last}.example.net", False),
    }


async def _app(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


def asgi_call(middleware: ASGIMiddleware, origin: str) -> Callable[[], object]:
    """One request through the ASGI middleware; the coroutine never suspends, so it is run to
    its end with ``send(None)``, without an event loop."""
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/api/x",
        "raw_path": b"/api/x",
        "headers": [(b"host", b"api.example.com"), (b"origin", origin.encode("latin-1"))],
    }
    sent: list[Any] = []

    async def send(message: Any) -> None:
        sent.append(message)

    def call() -> object:
        sent.clear()
        coroutine = middleware(scope, _receive, send)
        with contextlib.suppress(StopIteration):
            coroutine.send(None)
        return sent[0]["headers"]

    return call


def _wsgi_app(environ: Any, start_response: Any) -> Iterable[bytes]:
    start_response("200 OK", [])
    return [b""]


def wsgi_call(middleware: WSGIMiddleware, origin: str) -> Callable[[], object]:
    """One request through the WSGI middleware, its body consumed."""
    environ = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/api/x",
        "HTTP_HOST": "api.example.com",
        "HTTP_ORIGIN": origin,
    }
    got: list[Any] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        got.append(headers)
        return None

    def call() -> object:
        got.clear()
        for _ in middleware(environ, start_response):
            pass
        return got[0]

    return call


def allow_origin(headers: Any) -> str | None:
    for name, value in headers:
        text = name.decode("latin-1") if isinstance(name, bytes) else name
        if text.lower() == "access-control-allow-origin":
            return value.decode("latin-1") if isinstance(value, bytes) else value
    return None


def per_request(call: Callable[[], object], number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        call()
    return (time.perf_counter() - start) / number


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--number", type=int, default=5000, help="requests per round")
    arguments = parser.parse_args()
    policies = {SMALL: runtime_policy(SMALL), LARGE: runtime_policy(LARGE)}
    calls: dict[tuple[str, str, int], Callable[[], object]] = {}
    for count, policy_set in policies.items():
        # One middleware of each kind per policy, as a server process holds.
        asgi = ASGIMiddleware(_app, policy_set)
        wsgi = WSGIMiddleware(_wsgi_app, policy_set)
        for kind, (origin, allowed) in origins_for(count).items():
            for interface, call in (
                ("asgi", asgi_call(asgi, origin)),
                ("wsgi", wsgi_call(wsgi, origin)),
            ):
                # Each request is answered as the policy says before it is timed.
                assert (allow_origin(call()) == origin) is allowed, (interface, kind, count)
                calls[interface, kind, count] = call
    best = dict.fromkeys(calls, float("inf"))
    for _ in range(arguments.rounds):
        for key, call in calls.items():  # interleaved: load on the machine hits both sizes
            best[key] = min(best[key], per_request(call, arguments.number))
    results: dict[str, Any] = {}
    met = True
    for interface, kind, count in calls:
        if count != LARGE:
            continue
        small = best[interface, kind, SMALL]
        large = best[interface, kind, LARGE]
        ratio = large / small
        met = met and ratio <= TARGET
        results[f"{interface}_{kind}"] = {
            "us_10": round(small * 1e6, 2),
            "us_100k": round(large * 1e6, 2),
            "ratio": round(ratio, 3),
        }
    print(json.dumps({"benchmark": "runtime_scale", **results, "target": TARGET, "met": met}))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
