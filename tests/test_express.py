"""The express target in a real Node.js with Express and the cors package (installed by
``npm ci`` in tests/express_app): every golden passes ``node --check``, and a compiled policy
served by Express answers as the policy says — look-alike origins get no CORS headers."""

from __future__ import annotations

import http.client
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from corsc import backends
from tests.chromium import IN_CI
from tests.conformance_express import compile_or_refuse, serving
from tests.test_nginx_live import LOOK_ALIKES as NGINX_LOOK_ALIKES

ROOT = Path(__file__).resolve().parent
APP = ROOT / "express_app"
MODULES = APP / "node_modules"
GOLDENS = sorted((ROOT / "golden" / "express").glob("*.js"))

POLICY = """
policy api {
  paths       "/api"
  origins     "https://app.example.com", "https://*.example.org"
  deny        "https://bad.example.org"
  methods     GET, PUT
  headers     Content-Type
  expose      X-Request-Id
  credentials true
  max-age     10m
  unlisted    reject
  origin "https://ro.example.org" {
    methods GET
    credentials false
  }
}

policy public {
  origins *
  methods GET
}
"""

#: nginx's look-alike matrix, and the policy's deny, its trailing-dot twin and an Origin
#: longer than any browser sends.
LOOK_ALIKES = [
    *NGINX_LOOK_ALIKES,
    "https://bad.example.org",
    "https://bad.example.org.",
    "https://evilexample.org",
    "https://" + "a" * 300 + ".example.org",
]


@pytest.mark.parametrize("golden", GOLDENS, ids=[path.name for path in GOLDENS])
def test_every_golden_is_valid_javascript(golden: Path) -> None:
    if shutil.which("node") is None:
        if IN_CI:
            pytest.fail("CI=true but node is not installed")
        pytest.skip("node is not installed")
    checked = subprocess.run(["node", "--check", str(golden)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


def test_the_goldens_cover_every_example() -> None:
    assert len(GOLDENS) == len(list((ROOT.parent / "examples").glob("*.cors")))


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    with serving([compile_policy("api", POLICY)]) as ports:
        yield ports[0]


def compile_policy(name: str, text: str) -> str:
    compiled = compile_or_refuse(name, text)
    assert isinstance(compiled, str), compiled
    return compiled


def ask(
    port: int, path: str, origin: str | None, method: str = "GET", **headers: str
) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    sent = {name.replace("_", "-"): value for name, value in headers.items()}
    if origin is not None:
        sent["Origin"] = origin
    connection.request(method, path, headers=sent)
    reply = connection.getresponse()
    reply.read()
    connection.close()
    return reply


def cors_names(reply: http.client.HTTPResponse) -> list[str]:
    return sorted(
        name.lower() for name, _ in reply.getheaders() if name.lower().startswith("access-control-")
    )


def test_an_allowed_origin_is_echoed_with_its_grant(port: int) -> None:
    reply = ask(port, "/api/x", "https://a.b.example.org")
    assert reply.status == 200
    assert reply.getheader("Access-Control-Allow-Origin") == "https://a.b.example.org"
    assert reply.getheader("Access-Control-Allow-Credentials") == "true"
    assert reply.getheader("Access-Control-Expose-Headers") == "X-Request-Id"
    assert reply.getheader("Vary") == "Origin"


def test_errors_written_by_the_application_keep_cors_headers(port: int) -> None:
    reply = ask(port, "/api/x", "https://app.example.com", X_App_Status="500")
    assert reply.status == 500
    assert reply.getheader("Access-Control-Allow-Origin") == "https://app.example.com"


def test_express_default_error_handler_keeps_cors_headers(port: int) -> None:
    reply = ask(port, "/api/x", "https://app.example.com", X_App_Throw="1")
    assert reply.status == 500
    assert reply.getheader("Access-Control-Allow-Origin") == "https://app.example.com"
    assert reply.getheader("Vary") == "Origin"


def test_an_accepted_preflight_is_answered_with_the_policy_status(port: int) -> None:
    reply = ask(
        port,
        "/api/x",
        "https://app.example.com",
        "OPTIONS",
        Access_Control_Request_Method="PUT",
        Access_Control_Request_Headers="content-type",
    )
    assert reply.status == 204
    assert reply.getheader("Access-Control-Allow-Methods") == "GET, PUT"
    assert reply.getheader("Access-Control-Allow-Headers") == "Content-Type"
    assert reply.getheader("Access-Control-Max-Age") == "600"


def test_an_origin_block_has_its_own_grant(port: int) -> None:
    reply = ask(
        port, "/api/x", "https://ro.example.org", "OPTIONS", Access_Control_Request_Method="PUT"
    )
    assert (reply.status, cors_names(reply)) == (403, [])
    reply = ask(port, "/api/x", "https://ro.example.org")
    assert reply.getheader("Access-Control-Allow-Credentials") is None


@pytest.mark.parametrize("origin", LOOK_ALIKES)
def test_look_alikes_get_no_cors_headers(port: int, origin: str) -> None:
    reply = ask(port, "/api/x", origin)
    assert (reply.status, cors_names(reply)) == (403, [])  # unlisted reject
    reply = ask(port, "/api/x", origin, "OPTIONS", Access_Control_Request_Method="GET")
    assert (reply.status, cors_names(reply)) == (403, [])
    assert reply.getheader("Vary") == "Origin"


def test_the_fallback_sends_a_fixed_star(port: int) -> None:
    reply = ask(port, "/other", None)
    assert reply.getheader("Access-Control-Allow-Origin") == "*"


@pytest.mark.parametrize("path", ["/api%2Fx", "//api/x", "/other/../api"])
def test_an_ambiguous_path_is_refused(port: int, path: str) -> None:
    reply = ask(port, path, "https://app.example.com")
    assert (reply.status, cors_names(reply)) == (400, [])


def test_the_backend_is_registered() -> None:
    assert backends.get("express").platform == "node"
