"""corsc's middleware under real servers — uvicorn (ASGI), gunicorn and waitress (WSGI) — with
percent-encoded request paths.

Each server runs in a subprocess on 127.0.0.1 and gets raw request lines over a socket, so the
path reaches it exactly as written here. Two things must hold for every path:

- the middleware answers exactly as the evaluator does for that raw path;
- whenever it lets the application answer, the path the application was handed (the server's
  decoded ``path`` / ``PATH_INFO``, which frameworks route on) chooses the same policy: no
  encoding lets a request be answered under one policy and routed as another's.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from corsc.backends import EmitOptions, get
from corsc.evaluate import Evaluator, Request
from corsc.frontend import load
from corsc.source import Source
from tests.server_process import wait_for_ports

POLICY = """
policy api {
  paths       "/api"
  origins     "https://admin.example.com"
  credentials true
  unlisted    reject
}

policy cafe {
  paths   "/café", "/emoji/😀"
  origins "https://cafe.example.com"
}

policy public {
  origins     "https://*.example.com"
  credentials true
}
"""
ADMIN = "https://admin.example.com"
WWW = "https://www.example.com"
CAFE = "https://cafe.example.com"

#: Raw paths as a client may send them; each is sent from every origin above.
PATHS = (
    "/api/secret",
    "/%61pi/secret",
    "/%61%70%69/secret",
    "/%41pi/secret",
    "/API/secret",
    "/api%2Fsecret",
    "/api%2fsecret",
    "/x%2F..%2Fapi/secret",
    "/api%2F..%2Fx",
    "/api%2f%2e%2e%2fpublic",
    "/api%252Fsecret",
    "/%252561pi",
    "/./api/secret",
    "/x/../api/secret",
    "/%2E%2E/api/secret",
    "/x/%2e%2e/api/secret",
    "/.%2E/api",
    "//api/secret",
    "/x//../api/secret",
    "/api//secret",
    "/ap%69/x?y=%2F",
    "/public/x",
    "/caf%C3%A9/menu",
    "/caf%c3%a9",
    "/cafe%CC%81",
    "/caf%E9",
    "/emoji/%F0%9F%98%80/x",
    "/%FF/api",
    "/%",
    "/api%",
)

APP_MODULE = """
import os
from corsc.runtime import ASGIMiddleware, WSGIMiddleware

POLICY = os.environ["CORSC_TEST_POLICY"]


async def asgi_app(scope, receive, send):
    if scope["type"] != "http":
        return
    seen = scope["path"].encode("utf-8", "surrogatepass").hex()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"x-path", seen.encode())]})
    await send({"type": "http.response.body", "body": b"app"})


def wsgi_app(environ, start_response):
    # PATH_INFO holds the decoded bytes as Latin-1 (PEP 3333).
    seen = (environ.get("SCRIPT_NAME", "") + environ["PATH_INFO"]).encode("latin-1").hex()
    start_response("200 OK", [("X-Path", seen)])
    return [b"app"]


asgi = ASGIMiddleware(asgi_app, POLICY)
wsgi = WSGIMiddleware(wsgi_app, POLICY)
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def commands(port: int) -> dict[str, list[str]]:
    bind = f"127.0.0.1:{port}"
    return {
        "uvicorn": [
            *(sys.executable, "-m", "uvicorn", "serverapp:asgi", "--host", "127.0.0.1"),
            *("--port", str(port), "--log-level", "warning"),
        ],
        "gunicorn": [sys.executable, "-m", "gunicorn", "-b", bind, "-w", "1", "serverapp:wsgi"],
        "waitress": [sys.executable, "-m", "waitress", f"--listen={bind}", "serverapp:wsgi"],
    }


def wait_for(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    try:
        wait_for_ports(process, [port], 20)
    except AssertionError as failure:
        raise RuntimeError(f"server: {failure}: {log.read_text('utf-8', 'replace')}") from None


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Evaluator]:
    directory = tmp_path_factory.mktemp("servers")
    loaded = load(Source("servers.cors", POLICY))
    assert loaded.policy_set is not None and not loaded.has_errors, loaded.diagnostics
    options = EmitOptions("0.1.0", "servers.cors", "python")
    (directory / "cors.toml").write_text(
        get("python").emit(loaded.policy_set, options)[0].content, "utf-8"
    )
    (directory / "serverapp.py").write_text(textwrap.dedent(APP_MODULE), "utf-8")
    return directory, Evaluator(loaded.policy_set)


@pytest.fixture(scope="module", params=["uvicorn", "gunicorn", "waitress"])
def server(request: pytest.FixtureRequest, compiled: tuple[Path, Evaluator]) -> Iterator[int]:
    directory, _ = compiled
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(directory), *sys.path]),
        "CORSC_TEST_POLICY": str(directory / "cors.toml"),
    }
    log = directory / f"{request.param}.log"
    with log.open("wb") as output:  # a file, not a pipe nobody reads: it cannot fill up
        process = subprocess.Popen(
            commands(port)[request.param], cwd=directory, env=env, stdout=output, stderr=output
        )
    try:
        wait_for(port, process, log)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def send(port: int, method: str, target: str, origin: str) -> tuple[int, list[tuple[str, str]]]:
    """One request with ``target`` sent as written (UTF-8 beyond ASCII), and the answer."""
    head = f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: {origin}\r\n"
    data = (head + "Connection: close\r\n\r\n").encode("utf-8")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(data)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    lines = received.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = [
        (name, value.strip()) for name, _, value in (line.partition(":") for line in lines[1:])
    ]
    return status, headers


@pytest.mark.parametrize("origin", [ADMIN, WWW, CAFE])
def test_every_encoding_is_answered_as_the_evaluator_answers_and_routed_alike(
    server: int, compiled: tuple[Path, Evaluator], origin: str
) -> None:
    _, evaluator = compiled
    selector = evaluator.plan.selector
    problems = []
    for target in PATHS:
        status, headers = send(server, "GET", target, origin)
        want = evaluator.respond(Request("GET", target, (("Origin", origin),)))
        seen = headers_named(headers, "x-path")
        got = cors_part_of(None if seen else status, headers)
        expected = cors_part_of(want.status, [*want.headers, ("Vary", ", ".join(want.vary))])
        if got != expected:
            problems.append(f"{target}: got {got}, evaluator {expected}")
        if seen:
            routed = bytes.fromhex(seen[0]).replace(b"%", b"%25")
            chosen = selector.choose(routed).policy
            if (chosen and chosen.policy.name) != want.policy:
                problems.append(f"{target}: answered as {want.policy}, routed as {chosen}")
    assert not problems, "\n".join(problems)


def headers_named(headers: list[tuple[str, str]], name: str) -> list[str]:
    return [value for key, value in headers if key.lower() == name]


def cors_part_of(
    status: int | None, headers: list[tuple[str, str]]
) -> tuple[int | None, tuple[tuple[str, str], ...], tuple[str, ...]]:
    """Status, the CORS headers (names lowercased, in order) and the Vary members."""
    # Sorted: waitress reorders response headers.
    cors = tuple(
        sorted(
            (name.lower(), value)
            for name, value in headers
            if name.lower().startswith("access-control-")
        )
    )
    vary = tuple(
        member.strip()
        for value in headers_named(headers, "vary")
        for member in value.split(",")
        if member.strip()
    )
    return status, cors, vary


def test_the_bypasses_are_closed(server: int) -> None:
    """The reported requests: the api policy's answer (403 under `unlisted reject`) or the
    ambiguous-path 400, never the public policy's credentialed grant."""
    expected = {
        "/%61pi/secret": 403,
        "/%61%70%69/secret": 403,
        "/api%2Fsecret": 400,
        "/api%2fsecret": 400,
        "/x%2F..%2Fapi/secret": 400,
        # Decoded, `/api/../x` reaches the application as it is, and a router sends it to /api.
        "/api%2F..%2Fx": 400,
        "/api%2f..%2fpublic": 400,
        "/api%2F%2E%2E%2Fx": 400,
        # waitress hands `//api/secret` to the application as `/api/secret`.
        "//api/secret": 400,
        "/x//../api/secret": 400,
    }
    for target, status in expected.items():
        got, headers = send(server, "GET", target, WWW)
        assert (got, headers_named(headers, "access-control-allow-origin")) == (status, []), target
    # `/%41pi` is `/Api`: paths are case-sensitive, so the public policy answers.
    got, headers = send(server, "GET", "/%41pi/secret", WWW)
    assert (got, headers_named(headers, "access-control-allow-origin")) == (200, [WWW])


def test_a_unicode_prefix_matches_what_browsers_send(server: int) -> None:
    """Browsers send `/café` as `/caf%C3%A9`: the `paths "/café"` policy governs it."""
    for target in ("/caf%C3%A9/menu", "/caf%c3%a9", "/emoji/%F0%9F%98%80"):
        got, headers = send(server, "GET", target, CAFE)
        assert (got, headers_named(headers, "access-control-allow-origin")) == (200, [CAFE])
        assert headers_named(headers, "access-control-allow-credentials") == []  # not public's
