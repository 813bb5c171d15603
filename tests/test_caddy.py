"""The caddy target: every golden snippet is accepted by `caddy validate`, and a real Caddy
2.6 on 127.0.0.1 answers as the evaluator does for allowed, look-alike and refused origins."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.caddy_launcher import caddy_cli, caddy_or_skip, emit_snippet, running
from tests.goldens import GOLDEN

CADDY = caddy_or_skip()

SNIPPETS = sorted((GOLDEN / "caddy").glob("*.caddy"))

POLICY = """policy p {
  origins "https://app.example.com", "https://*.partner.example.org"
  deny    "https://old.partner.example.org"
  methods GET, PUT
  headers Content-Type
  credentials true
}
"""


def _caddyfile(snippet: str, name: str, port: int) -> str:
    return (
        "{\n\tadmin off\n\tauto_https off\n}\n"
        f"{snippet}\nhttp://127.0.0.1:{port} {{\n\timport corsc-{name}\n\t"
        'respond /fail "no" 500\n\trespond "ok" 200\n}\n'
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_there_are_snippets() -> None:
    assert SNIPPETS


@pytest.mark.parametrize("golden", SNIPPETS, ids=lambda path: path.name)
def test_caddy_validates_every_golden(golden: Path, tmp_path: Path) -> None:
    name = golden.name.split(".corsc-")[1].removesuffix(".caddy")
    config = tmp_path / "Caddyfile"
    config.write_text(_caddyfile(golden.read_text("utf-8"), name, _free_port()), "utf-8")
    done = caddy_cli(CADDY, "validate", config, tmp_path)
    assert done.returncode == 0, done.stderr


def _request(port: int, method: str, headers: dict[str, str]) -> tuple[int, dict[str, str]]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/x", method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}


@pytest.fixture(scope="module")
def caddy_port(tmp_path_factory: pytest.TempPathFactory) -> object:
    home = tmp_path_factory.mktemp("caddy")
    port = _free_port()
    config = home / "Caddyfile"
    config.write_text(_caddyfile(emit_snippet(POLICY), "p", port), "utf-8")
    with running(CADDY, config, home, port):
        yield port


def test_allowed_origin_is_echoed_with_vary(caddy_port: int) -> None:
    status, headers = _request(caddy_port, "GET", {"Origin": "https://a.partner.example.org"})
    assert status == 200
    assert headers["access-control-allow-origin"] == "https://a.partner.example.org"
    assert headers["access-control-allow-credentials"] == "true"
    assert "Origin" in headers["vary"]


LOOK_ALIKES = [
    "https://app.example.com.evil.net",
    "https://evilapp.example.com",
    "https://APP.EXAMPLE.COM",
    "https://app.example.com.",
    "https://app.example.com:443",
    "http://app.example.com",
    "https://partner.example.org",
    "https://old.partner.example.org",
    "https://old.partner.example.org.",
    "null",
]


@pytest.mark.parametrize("origin", LOOK_ALIKES)
def test_look_alikes_get_no_cors_headers(caddy_port: int, origin: str) -> None:
    status, headers = _request(caddy_port, "GET", {"Origin": origin})
    assert status == 200
    assert not [name for name in headers if name.startswith("access-control-")]
    status, headers = _request(
        caddy_port, "OPTIONS", {"Origin": origin, "Access-Control-Request-Method": "PUT"}
    )
    assert status == 403
    assert not [name for name in headers if name.startswith("access-control-")]


def test_preflight_accepted_and_refused(caddy_port: int) -> None:
    origin = {"Origin": "https://app.example.com", "Access-Control-Request-Method": "PUT"}
    status, headers = _request(caddy_port, "OPTIONS", origin)
    assert status == 204
    assert headers["access-control-allow-methods"] == "GET, PUT"
    assert "access-control-allow-headers" not in headers
    status, headers = _request(
        caddy_port, "OPTIONS", {**origin, "Access-Control-Request-Headers": "content-type"}
    )
    assert (status, headers["access-control-allow-headers"]) == (204, "Content-Type")
    for refused in (
        {**origin, "Access-Control-Request-Method": "DELETE"},
        {**origin, "Access-Control-Request-Headers": "x-other"},
    ):
        status, headers = _request(caddy_port, "OPTIONS", refused)
        assert status == 403
        assert "access-control-allow-methods" not in headers


def test_error_status_from_the_handler_keeps_the_cors_headers(caddy_port: int) -> None:
    request = urllib.request.Request(
        f"http://127.0.0.1:{caddy_port}/fail", headers={"Origin": "https://app.example.com"}
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=10)
    assert raised.value.code == 500
    assert raised.value.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "Origin" in raised.value.headers["Vary"]
