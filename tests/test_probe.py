"""``corsc probe`` as a command: its arguments, exit codes, reports and the requests it sends,
against a corsc runtime served by wsgiref in a thread (a real socket, real HTTP). The requests
it plans are in tests/test_probe_plan.py, its judge in tests/test_probe_judge.py, the servers it
is proven on in tests/test_probe_nginx.py and tests/test_probe_servers.py.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from xml.etree import ElementTree

import pytest

from corsc.cli import main
from corsc.frontend import load
from corsc.runtime import WSGIMiddleware
from corsc.source import Source
from tests.nginx_launcher import free_port

POLICY = """\
policy p {
  origins "https://a.example", "https://b.example"
  methods GET
}
"""

Environ = dict[str, Any]
Application = Callable[[Environ, Callable[..., Any]], Iterable[bytes]]


def app(environ: Environ, start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "application/json")])
    return [b"{}"]


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def serving(
    application: Application, tls: ssl.SSLContext | None = None
) -> Iterator[tuple[int, list[Environ]]]:
    """``application`` on 127.0.0.1 in a thread (over TLS with ``tls``); the port and the
    environs it was called with."""
    seen: list[Environ] = []

    def recording(environ: Environ, start_response: Callable[..., Any]) -> Iterable[bytes]:
        seen.append(dict(environ))
        return application(environ, start_response)

    server = make_server("127.0.0.1", 0, recording, WSGIServer, _Quiet)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port, seen
    finally:
        server.shutdown()
        server.server_close()


def runtime() -> Application:
    loaded = load(Source("p.cors", POLICY))
    assert loaded.policy_set is not None
    return WSGIMiddleware(app, loaded.policy_set)


def star(environ: Environ, start_response: Callable[..., Any]) -> Iterable[bytes]:
    """A hand-written mistake: ``*`` for everyone, no Vary."""
    start_response("200 OK", [("Access-Control-Allow-Origin", "*")])
    return [b"{}"]


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    path = tmp_path / "p.cors"
    path.write_text(POLICY, "utf-8")
    return path


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_a_server_that_follows_the_policy_exits_0_with_a_table(policy: Path) -> None:
    with serving(runtime()) as (port, seen):
        code, out, err = run("probe", f"http://127.0.0.1:{port}", str(policy), "--rate", "0")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == f"corsc probe http://127.0.0.1:{port}"
    assert lines[1] == "  ok        p            GET / without Origin"
    assert "  ok        p            preflight PUT / from https://a.example" in lines
    assert (
        lines[-1]
        == f"{len(lines) - 3} probes ({len(seen)} requests): 0 mismatches, 0 declared deviations"
    )
    # Only what a browser sends: GET and OPTIONS, no body, and the cookie only when credentialed.
    assert {environ["REQUEST_METHOD"] for environ in seen} == {"GET", "OPTIONS"}
    assert all(environ.get("CONTENT_LENGTH", "") in ("", "0") for environ in seen)
    cookies = [environ for environ in seen if "HTTP_COOKIE" in environ]
    assert cookies and all(
        environ["HTTP_COOKIE"] == "corsc-probe=1" and environ["REQUEST_METHOD"] == "GET"
        for environ in cookies
    )


def test_a_mismatch_exits_1_and_says_what_came_back_what_the_policy_says_and_how_to_replay(
    policy: Path,
) -> None:
    with serving(star) as (port, _):
        code, out, _ = run("probe", f"http://127.0.0.1:{port}", str(policy), "--rate", "0")
    assert code == 1
    block = out.split("\n\n")[1]
    assert block == (
        "MISMATCH: GET / without Origin — not a CORS request\n"
        "  Vary lacks origin, which the policy sends\n"
        "  server answered 200:\n"
        "    Access-Control-Allow-Origin: *\n"
        "  the policy answers 200:\n"
        "    Vary: Origin\n"
        '    because no Origin header: not a CORS request; policy "p" sends only Vary: Origin\n'
        f"  replay: curl -si -X GET http://127.0.0.1:{port}/"
    )
    assert (
        "MISMATCH: GET / from https://a.example.evil.example — look-alike of https://a.example\n"
        "  the browser finds it allowed; the policy says blocked\n"
    ) in out
    assert re.search(
        r"\n\d+ probes \(\d+ requests\): \d+ mismatches, 0 declared deviations\n$", out
    )


def test_json_and_junit_list_every_probe(policy: Path) -> None:
    with serving(star) as (port, _):
        url = f"http://127.0.0.1:{port}"
        _, text, _ = run("probe", url, str(policy), "--rate", "0", "--format", "json")
        code, xml, _ = run("probe", url, str(policy), "--rate", "0", "--format", "junit")
    report = json.loads(text)
    assert report["server"] == url
    first = report["results"][0]
    assert first["status"] == "mismatch"
    assert first["request"] == {
        "method": "GET",
        "headers": [],
        "credentials": False,
        "curl": f"curl -si -X GET {url}/",
    }
    assert first["mismatches"] == [
        {"aspect": "vary", "message": "Vary lacks origin, which the policy sends"}
    ]
    assert code == 1
    suite = ElementTree.fromstring(xml)
    cases = suite.findall("testcase")
    assert len(cases) == report["summary"]["probes"] == int(suite.get("tests", ""))
    failures = [case for case in cases if case.find("failure") is not None]
    assert len(failures) == report["summary"]["mismatches"] == int(suite.get("failures", ""))
    assert failures[0].get("classname") == "p /"


def test_resolve_connects_to_the_address_and_keeps_the_name(policy: Path) -> None:
    with serving(runtime()) as (port, seen):
        code, _, err = run(
            "probe",
            f"http://api.probe.test:{port}",
            str(policy),
            "--rate",
            "0",
            "--resolve",
            "api.probe.test:127.0.0.1",
            "--header",
            "Authorization: Bearer t",
        )
    assert (code, err) == (0, "")
    assert {environ["HTTP_HOST"] for environ in seen} == {f"api.probe.test:{port}"}
    assert {environ["HTTP_AUTHORIZATION"] for environ in seen} == {"Bearer t"}


def test_the_rate_spaces_requests(policy: Path) -> None:
    with serving(runtime()) as (port, seen):
        start = time.monotonic()
        code, _, _ = run("probe", f"http://127.0.0.1:{port}", str(policy), "--rate", "200")
        took = time.monotonic() - start
    assert code == 0
    assert took >= (len(seen) - 1) / 200


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["ftp://h"], "corsc: error: `ftp://h` is not an http:// or https:// URL with a host\n"),
        (
            ["http://h/api"],
            "corsc: error: `http://h/api`: give the server only (scheme, host, port); the paths "
            "probed come from the policy\n",
        ),
        (["http://h", "--policy", "q"], "corsc: error: --policy q: the file's policies are p\n"),
        (
            ["http://h", "--max-requests", "3"],
            "corsc: error: probing this policy takes 16 requests, more than --max-requests 3; "
            "raise it or probe one --policy at a time\n",
        ),
        (
            ["http://h", "--resolve", "g:127.0.0.1"],
            "corsc: error: --resolve `g:127.0.0.1`: write h:IP\n",
        ),
        (
            ["http://h", "--header", "Origin: x"],
            "corsc: error: --header `Origin: x`: corsc probe sets Origin itself\n",
        ),
        (
            ["http://h", "--header", "nocolon"],
            "corsc: error: --header `nocolon`: write NAME: VALUE\n",
        ),
        (
            ["http://h", "--target", "ngnix"],
            "corsc: error: unknown target `ngnix`; did you mean `nginx`? (`corsc targets` "
            "lists them)\n",
        ),
    ],
)
def test_usage_errors_exit_2_with_one_line(policy: Path, argv: list[str], message: str) -> None:
    url, *rest = argv
    assert run("probe", url, str(policy), *rest) == (2, "", message)


def test_a_server_that_does_not_answer_exits_2(policy: Path) -> None:
    port = free_port()
    code, out, err = run("probe", f"http://127.0.0.1:{port}", str(policy))
    assert (code, out) == (2, "")
    assert err.startswith(f"corsc: error: cannot probe the server: GET http://127.0.0.1:{port}/: ")
    assert err.count("\n") == 1


def test_a_policy_with_errors_exits_1_with_its_diagnostics(tmp_path: Path) -> None:
    path = tmp_path / "bad.cors"
    path.write_text("policy p { origins * ; credentials true }\n", "utf-8")
    code, out, err = run("probe", "http://127.0.0.1:1", str(path))
    assert (code, out) == (1, "")
    assert "error[CORS" in err


def test_a_redirect_is_an_answer_never_followed(policy: Path) -> None:
    def redirect(environ: Environ, start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response("302 Found", [("Location", "/elsewhere")])
        return [b""]

    with serving(redirect) as (port, seen):
        code, out, _ = run("probe", f"http://127.0.0.1:{port}", str(policy), "--rate", "0")
    assert code == 1
    assert {environ["PATH_INFO"] for environ in seen} == {"/"}
    assert "the browser finds it blocked (no Access-Control-Allow-Origin)" in out


def test_a_server_that_accepts_but_never_answers_times_out(policy: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)  # connections queue in the kernel; nothing ever reads them
        port = listener.getsockname()[1]
        start = time.monotonic()
        code, _, err = run("probe", f"http://127.0.0.1:{port}", str(policy), "--timeout", "0.2")
    assert time.monotonic() - start < 5
    assert (code, err) == (
        2,
        f"corsc: error: cannot probe the server: GET http://127.0.0.1:{port}/: no answer "
        "within the timeout\n",
    )


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> ssl.SSLContext:
    """A TLS context with a self-signed certificate for api.probe.test."""
    directory = tmp_path_factory.mktemp("tls")
    key, cert = directory / "key.pem", directory / "cert.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=api.probe.test", "-addext", "subjectAltName=DNS:api.probe.test"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def test_tls_is_verified_unless_insecure(policy: Path, certificate: ssl.SSLContext) -> None:
    with serving(runtime(), certificate) as (port, seen):
        url = f"https://api.probe.test:{port}"
        resolve = ("--resolve", "api.probe.test:127.0.0.1", "--rate", "0")
        code, _, err = run("probe", url, str(policy), *resolve)
        assert code == 2
        assert err.startswith(f"corsc: error: cannot probe the server: GET {url}/: ")
        assert "CERTIFICATE_VERIFY_FAILED" in err
        assert seen == []
        code, _, err = run("probe", url, str(policy), *resolve, "--insecure")
    assert (code, err) == (0, "")
    assert {environ["HTTP_HOST"] for environ in seen} == {f"api.probe.test:{port}"}
