"""The caddy target: every golden snippet is accepted by `caddy validate`, and a real Caddy
2.6 on 127.0.0.1 answers as the evaluator does for allowed, look-alike and refused origins."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from corsc.backends import get
from corsc.capabilities import Feature, Support
from corsc.evaluate import Evaluator, Request
from corsc.frontend import load
from corsc.source import Source
from tests.caddy_launcher import caddy_cli, caddy_or_skip, emit_snippet, running
from tests.conformance_caddy import by_name, compile_or_refuse, serving
from tests.conformance_nginx import send
from tests.docs_tables import check_docs_table
from tests.goldens import GOLDEN
from tests.python_harness import CorsPart, cors_part, expected_part

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
        f"{snippet}\nhttp://127.0.0.1:{port} {{\n\timport {name}\n\t"
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
    name = golden.name.split(".", 1)[1].removesuffix(".caddy")
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
    config.write_text(_caddyfile(emit_snippet(POLICY), "corsc-p", port), "utf-8")
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


PATHS_POLICY = """policy api {
  paths   "/api"
  origins "https://app.example.com"
  methods GET, PUT
}

policy other {
  origins "https://other.example.com"
}
"""


#: One policy with `paths` (its own snippet chooses by path) whose entries, in specificity
#: order, use one grant, another, then the first again: three runs of two distinct grants,
#: then the policy's own grant for the rest.
RUNS_POLICY = """policy runs {
  paths   "/r"
  origins "https://*.z.example.com"
  headers *

  origin "https://a.example.com" {
    methods PUT
  }
  origin "https://b.example.com" {
    methods DELETE
    headers X-B
    private-network true
  }
  origin "https://c.example.com" {
    methods PUT
  }
}
"""


@pytest.fixture(scope="module")
def caddy_ports() -> Iterator[dict[str, int]]:
    """One Caddy serving :data:`PATHS_POLICY` (``t``) and :data:`RUNS_POLICY` (``runs``)."""
    policies = {"t": PATHS_POLICY, "runs": RUNS_POLICY}
    snippets = {name: compile_or_refuse(name, text) for name, text in policies.items()}
    with serving({name: s[1] for name, s in snippets.items() if isinstance(s, tuple)}) as ports:
        assert len(ports) == 2
        yield ports


def _answers(
    port: int, target: str, origin: str, text: str = PATHS_POLICY, method: str = "GET", **asked: str
) -> tuple[CorsPart, CorsPart]:
    """Caddy's CORS part for a request and the evaluator's."""
    loaded = load(Source("t.cors", text))
    assert loaded.policy_set is not None
    headers = (("Origin", origin), *((name.replace("_", "-"), v) for name, v in asked.items()))
    request = Request(method, target, headers)
    got = cors_part(send(port, request))
    return got, expected_part(Evaluator(loaded.policy_set).respond(request))


@pytest.mark.parametrize(
    ("origin", "method", "asked"),
    [
        ("https://a.example.com", "PUT", " ,x-a,, X-B "),
        ("https://a.example.com", "DELETE", ""),
        ("https://b.example.com", "DELETE", "x-b"),
        ("https://b.example.com", "DELETE", "x-c"),
        ("https://b.example.com", "PUT", ""),
        ("https://c.example.com", "PUT", "x-d"),
        ("https://q.z.example.com", "PATCH", ""),
        ("https://w.example.com", "PUT", ""),
    ],
)
def test_each_origin_gets_the_grant_of_its_first_entry(
    caddy_ports: dict[str, int], origin: str, method: str, asked: str
) -> None:
    port = caddy_ports["runs"]
    fields = {
        "Access_Control_Request_Method": method,
        "Access_Control_Request_Private_Network": "true",
    }
    if asked:
        fields["Access_Control_Request_Headers"] = asked
    for path in ("/r/x", "/other"):
        got, want = _answers(port, path, origin, RUNS_POLICY, "OPTIONS", **fields)
        assert by_name(got) == by_name(want), (path, origin, method)
    got, want = _answers(port, "/r", origin, RUNS_POLICY)
    assert by_name(got) == by_name(want)


@pytest.mark.parametrize(
    ("target", "origin"),
    [
        ("/api/x", "https://app.example.com"),
        ("/apix", "https://other.example.com"),
        ("/%61pi/x", "https://app.example.com"),
        ("/api%2Fx", "https://other.example.com"),
        ("/x/../api", "https://app.example.com"),
        ("/api/../x", "https://app.example.com"),
        ("//api", "https://app.example.com"),
        ("/x%2F..%2Fapi", "https://app.example.com"),
    ],
)
def test_the_policy_is_chosen_by_path_as_the_evaluator_chooses(
    caddy_ports: dict[str, int], target: str, origin: str
) -> None:
    got, want = _answers(caddy_ports["t"], target, origin)
    assert got == want


def test_the_declared_path_deviation(caddy_ports: dict[str, int]) -> None:
    """Dot segments and a doubled slash that change only the form with dot segments removed
    and slashes kept: corsc refuses the path (400), Caddy answers for its cleaned path."""
    got, want = _answers(caddy_ports["t"], "/api/..//api", "https://app.example.com")
    assert want.status == 400
    assert got.status is None
    assert dict(got.headers)["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert get("caddy").capabilities[Feature.PATHS].support is Support.DEVIATION


def test_the_docs_table_is_corsc_targets(capsys: pytest.CaptureFixture[str]) -> None:
    check_docs_table("caddy", GOLDEN.parent.parent / "docs" / "caddy.md", capsys)


def _preflight(*fields: tuple[str, str]) -> Request:
    return Request("OPTIONS", "/r/x", (("Access-Control-Request-Method", "DELETE"), *fields))


@pytest.mark.parametrize(
    "fields",
    [
        (("Access-Control-Request-Headers", "x-b"), ("Access-Control-Request-Headers", "x-c")),
        (("Access-Control-Request-Headers", "x-b"), ("Access-Control-Request-Headers", " ")),
        (("Access-Control-Request-Headers", " ,"), ("Access-Control-Request-Headers", "")),
        (("Access-Control-Request-Method", "PUT"),),
    ],
)
def test_repeated_request_fields_are_read_joined_as_the_evaluator_reads_them(
    caddy_ports: dict[str, int], fields: tuple[tuple[str, str], ...]
) -> None:
    loaded = load(Source("t.cors", RUNS_POLICY))
    assert loaded.policy_set is not None
    request = _preflight(("Origin", "https://b.example.com"), *fields)
    got = cors_part(send(caddy_ports["runs"], request))
    assert by_name(got) == by_name(expected_part(Evaluator(loaded.policy_set).respond(request)))


def test_the_declared_repeated_origin_deviation(caddy_ports: dict[str, int]) -> None:
    """Origin sent twice: Caddy matches each value, corsc reads the joined value."""
    loaded = load(Source("t.cors", RUNS_POLICY))
    assert loaded.policy_set is not None
    request = _preflight(("Origin", "https://b.example.com"), ("Origin", "https://b.example.com"))
    got = cors_part(send(caddy_ports["runs"], request))
    assert Evaluator(loaded.policy_set).respond(request).status == 403
    assert got.status == 204
    assert any("Origin field sent more than once" in d for d in get("caddy").deviations)
