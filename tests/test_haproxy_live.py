"""The haproxy target in a real HAProxy 2.6 on 127.0.0.1: look-alike origins get no CORS
headers, error responses (the server's 4xx/5xx, HAProxy's own 503) keep them, ``-O
upstream=hide`` removes the server's own, and a 1,000-origin policy read from pattern files
answers as the evaluator does. One HAProxy serves every frontend of this module."""

from __future__ import annotations

import http.server
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from corsc.evaluate import Evaluator, Request
from tests.conformance_haproxy import Compiled, compile_or_refuse, require_haproxy
from tests.conformance_nginx import send
from tests.haproxy_launcher import BASE, Haproxy, free_ports
from tests.hostile_policies import BIG_ORIGINS, LARGE
from tests.python_harness import APP_BODY, Reply, cors_part, expected_part, same_part
from tests.test_nginx_live import LOOK_ALIKES as NGINX_LOOK_ALIKES

POLICY = """
policy api {
  origins     "https://app.example.com", "http://localhost:3000", "https://*.example.org"
  deny        "https://bad.example.org"
  methods     GET, POST, PUT, DELETE
  headers     Content-Type, Authorization, X-Requested-With
  expose      X-Request-Id
  credentials true
  max-age     600
}
"""

#: nginx's look-alike matrix, and the policy's deny, its trailing-dot twin, a suffix
#: look-alike of the wildcard's base and an Origin longer than any browser sends.
LOOK_ALIKES = [
    *NGINX_LOOK_ALIKES,
    "https://bad.example.org",
    "https://bad.example.org.",
    "https://evilexample.org",
    "https://a..example.org",
    "https://a.example.org:8443",
    "https://" + "a" * 300 + ".example.org",
]
ALLOWED = ["https://app.example.com", "https://a.example.org", "https://a.b.example.org"]

#: 500 exact origins and 500 subdomain wildcards, as the benchmark's policy.


class Upstream(http.server.BaseHTTPRequestHandler):
    """The server behind ``/upstream/``: ``/upstream/code/NNN`` answers NNN with its own
    ``Access-Control-Allow-Origin: *``."""

    def do_GET(self) -> None:
        code = int(self.path.rsplit("/", 1)[-1]) if "/code/" in self.path else 200
        body = b"upstream"
        self.send_response(code)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _routes(upstream: int) -> str:
    return (
        "    use_backend down if { path_beg /down }\n"
        "    use_backend upstream if { path_beg /upstream/ }\n"
    ), (
        "backend down from base\n    retries 0\n    server none 127.0.0.1:1\n"
        f"backend upstream from base\n    server up 127.0.0.1:{upstream}\n"
    )


@pytest.fixture(scope="module")
def ports() -> Iterator[dict[str, int]]:
    require_haproxy()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with tempfile.TemporaryDirectory() as temporary:
            directory = Path(temporary)
            sections = {
                "keep": compile_or_refuse("api", POLICY, directory, "prefix=keep"),
                "hide": compile_or_refuse("api", POLICY, directory, "prefix=hide", "upstream=hide"),
                "big": compile_or_refuse("big", LARGE, directory, "prefix=big"),
            }
            assert all(isinstance(c, Compiled) for c in sections.values())
            compiled = {name: c for name, c in sections.items() if isinstance(c, Compiled)}
            assert compiled["big"].patterns, "the large policy's lists are pattern files"
            chosen = dict(zip(compiled, free_ports(len(compiled)), strict=True))
            routes, backends = _routes(server.server_address[1])
            fronts = "".join(
                f"frontend fe_{name} from {name}\n    bind 127.0.0.1:{port}\n{routes}"
                "    default_backend app\n"
                for name, port in chosen.items()
            )
            haproxy = Haproxy(directory)
            configs = [("base.cfg", BASE + backends)] + [c.config for c in compiled.values()]
            patterns = {n: text for c in compiled.values() for n, text in c.patterns.items()}
            haproxy.configure([*configs, ("fronts.cfg", fronts)], patterns)
            haproxy.start(list(chosen.values()))
            try:
                yield chosen
            finally:
                haproxy.stop()
    finally:
        server.shutdown()
        server.server_close()


def ask(port: int, path: str, origin: str | None, method: str = "GET", **headers: str) -> Reply:
    fields = ([("Origin", origin)] if origin is not None else []) + [
        (name.replace("_", "-"), value) for name, value in headers.items()
    ]
    return send(port, Request(method, path, tuple(fields)))


def cors_names(reply: Reply) -> list[str]:
    return [name.lower() for name, _ in reply.headers if name.lower().startswith("access-control")]


@pytest.mark.parametrize("origin", LOOK_ALIKES)
def test_look_alikes_get_no_cors_headers_but_vary(ports: dict[str, int], origin: str) -> None:
    for method, headers in (("GET", {}), ("OPTIONS", {"Access_Control_Request_Method": "PUT"})):
        reply = ask(ports["keep"], "/ok", origin, method, **headers)
        assert cors_names(reply) == [], (origin, method)
        assert reply.values("Vary") == ["Origin"]
        assert reply.status == (403 if method == "OPTIONS" else 200)


@pytest.mark.parametrize("origin", ALLOWED)
def test_allowed_origins_are_echoed_with_the_grant(ports: dict[str, int], origin: str) -> None:
    reply = ask(ports["keep"], "/ok", origin)
    assert (reply.status, reply.body) == (200, APP_BODY)
    assert reply.values("Access-Control-Allow-Origin") == [origin]
    assert reply.values("Access-Control-Allow-Credentials") == ["true"]
    assert reply.values("Access-Control-Expose-Headers") == ["X-Request-Id"]
    preflight = ask(
        ports["keep"],
        "/ok",
        origin,
        "OPTIONS",
        Access_Control_Request_Method="PUT",
        Access_Control_Request_Headers="content-type, x-requested-with",
    )
    assert (preflight.status, preflight.body) == (204, b"")
    assert preflight.values("Access-Control-Allow-Methods") == ["GET, POST, PUT, DELETE"]
    assert preflight.values("Access-Control-Max-Age") == ["600"]
    assert preflight.values("Access-Control-Expose-Headers") == []


def test_options_without_request_method_reaches_the_application(ports: dict[str, int]) -> None:
    reply = ask(ports["keep"], "/ok", "https://app.example.com", "OPTIONS")
    assert (reply.status, reply.body) == (200, APP_BODY)
    assert reply.values("Access-Control-Allow-Origin") == ["https://app.example.com"]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/down", 503),
        ("/upstream/code/404", 404),
        ("/upstream/code/500", 500),
        ("/upstream/x", 200),
    ],
)
@pytest.mark.parametrize("placement", ["keep", "hide"])
def test_every_status_keeps_cors_and_exactly_one_allow_origin(
    ports: dict[str, int], path: str, status: int, placement: str
) -> None:
    reply = ask(ports[placement], path, "https://app.example.com")
    assert reply.status == status
    assert reply.values("Access-Control-Allow-Origin") == ["https://app.example.com"]
    assert reply.values("Access-Control-Allow-Credentials") == ["true"]
    assert reply.values("Vary") == ["Origin"]


def test_hide_removes_the_servers_own_headers_where_corsc_sets_none(
    ports: dict[str, int],
) -> None:
    kept = ask(ports["keep"], "/upstream/x", "https://other.example")
    assert kept.values("Access-Control-Allow-Origin") == ["*"]
    hidden = ask(ports["hide"], "/upstream/x", "https://other.example")
    assert cors_names(hidden) == []


@pytest.fixture(scope="module")
def big_evaluator() -> Evaluator:
    compiled = compile_or_refuse("big", LARGE, Path("/nonexistent"), "prefix=big")
    assert isinstance(compiled, Compiled)
    return Evaluator(compiled.policy_set)


@pytest.mark.parametrize("origin", BIG_ORIGINS)
def test_a_thousand_origin_policy_answers_as_the_evaluator(
    ports: dict[str, int], big_evaluator: Evaluator, origin: str | None
) -> None:
    evaluator = big_evaluator
    for method, headers in (("GET", ()), ("OPTIONS", (("Access-Control-Request-Method", "PUT"),))):
        fields = ((("Origin", origin),) if origin is not None else ()) + headers
        request = Request(method, "/x", fields)
        got = cors_part(send(ports["big"], request))
        assert same_part(got, expected_part(evaluator.respond(request))), (origin, method, got)
