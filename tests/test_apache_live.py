"""The apache target in a real Apache httpd 2.4 on 127.0.0.1, in each placement: look-alike
origins get no CORS headers; error responses (the upstream's 500, Apache's own 404 and 503)
keep them and the server's own CORS headers give way; a <Location> and a .htaccess answer as
the evaluator does; a 1,000-origin policy answers as the evaluator does in a <VirtualHost>
and (its unions cut for ap_expr) in a <Location>. One Apache serves every host of this module.
"""

from __future__ import annotations

import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from corsc.evaluate import Evaluator, Request
from tests.apache_launcher import Apache, Upstream, free_ports
from tests.conformance_apache import (
    Compiled,
    compile_or_refuse,
    require_apache,
    serving,
    virtual_host,
)
from tests.conformance_nginx import send
from tests.hostile_policies import BIG_ORIGINS, LARGE
from tests.probing import probe, problems
from tests.python_harness import APP_BODY, Reply, cors_part, expected_part, same_part
from tests.test_haproxy_live import LOOK_ALIKES as HAPROXY_LOOK_ALIKES

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

#: HAProxy's look-alike matrix (nginx's, the deny and its trailing-dot twin, suffix
#: look-alikes, an Origin longer than any browser sends), and two repeated-Origin forms.
LOOK_ALIKES = [*HAPROXY_LOOK_ALIKES, "https://app.example.com, https://evil.com", " "]
ALLOWED = ["https://app.example.com", "https://a.example.org", "https://a.b.example.org"]
PLACEMENTS = ("virtualhost", "location", "htaccess")
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "api.cors"


def _compiled(name: str, text: str, *options: str) -> Compiled:
    compiled = compile_or_refuse(name, text, *options)
    assert isinstance(compiled, Compiled), compiled
    return compiled


@pytest.fixture(scope="module")
def ports() -> Iterator[dict[str, int]]:
    """Hosts ``virtualhost`` (the policy in the host, the upstream behind it: every path but
    ``/static/`` and ``/down/``), ``location`` (the policy in ``<Location /api>``, static
    files) and ``htaccess`` (the policy as ``www/api/.htaccess``), and ``big`` and
    ``big-location`` for the 1,000-origin policy."""
    require_apache()
    with tempfile.TemporaryDirectory() as temporary, Upstream() as upstream:
        server = Apache(Path(temporary))
        server.write("www/api/index.json", "{}")
        names = ["virtualhost", "location", "htaccess", "big", "big-location", "example"]
        chosen = dict(zip(names, free_ports(len(names)), strict=True))
        vhost = server.write("policies/api.conf", _compiled("api", POLICY).text)
        location = _compiled("api", POLICY, "placement=location")
        located = server.write("policies/api-location.conf", location.text)
        server.write("www/api/.htaccess", _compiled("api", POLICY, "placement=htaccess").text)
        big = server.write("policies/big.conf", _compiled("big", LARGE).text)
        example = server.write("policies/example.conf", _compiled("api", EXAMPLE.read_text()).text)
        big_location = _compiled("big", LARGE, "placement=location")
        big_located = server.write("policies/big-location.conf", big_location.text)
        proxied = (
            "    ProxyPass /static/ !\n    ProxyPass /down/ http://127.0.0.1:1/\n"
            f"    ProxyPass / http://127.0.0.1:{upstream.port}/\n"
        )
        static = f"    DocumentRoot {temporary}/www\n    DirectoryIndex index.json\n"
        hosts = [
            virtual_host(chosen["virtualhost"], f"    Include {vhost}\n{proxied}"),
            virtual_host(
                chosen["location"],
                f"{static}    <Location /api>\n        Include {located}\n    </Location>\n",
            ),
            virtual_host(chosen["htaccess"], static),
            virtual_host(chosen["big"], f"    Include {big}\n{upstream.proxy()}"),
            virtual_host(chosen["example"], f"    Include {example}\n{upstream.proxy()}"),
            virtual_host(
                chosen["big-location"],
                f"    <Location />\n        Include {big_located}\n    </Location>\n"
                + upstream.proxy(),
            ),
        ]
        server.configure(list(chosen.values()), "".join(hosts))
        checked = server.check()
        assert checked.returncode == 0, checked.stderr
        server.start(list(chosen.values()))
        try:
            yield chosen
        finally:
            server.stop()


#: Where each placement serves the policy.
PATH = {"virtualhost": "/ok", "location": "/api/", "htaccess": "/api/"}


def ask(port: int, path: str, origin: str | None, method: str = "GET", **headers: str) -> Reply:
    fields = ([("Origin", origin)] if origin is not None else []) + [
        (name.replace("_", "-"), value) for name, value in headers.items()
    ]
    return send(port, Request(method, path, tuple(fields)))


def cors_names(reply: Reply) -> list[str]:
    return [name.lower() for name, _ in reply.headers if name.lower().startswith("access-control")]


@pytest.mark.parametrize("placement", PLACEMENTS)
@pytest.mark.parametrize("origin", LOOK_ALIKES)
def test_look_alikes_get_no_cors_headers_but_vary(
    ports: dict[str, int], origin: str, placement: str
) -> None:
    for method, headers in (("GET", {}), ("OPTIONS", {"Access_Control_Request_Method": "PUT"})):
        reply = ask(ports[placement], PATH[placement], origin, method, **headers)
        assert cors_names(reply) == [], (origin, method)
        assert reply.values("Vary") == ["Origin"], reply.headers
        if origin.strip():
            assert reply.status == (403 if method == "OPTIONS" else 200), (origin, method)


@pytest.mark.parametrize("placement", PLACEMENTS)
@pytest.mark.parametrize("origin", ALLOWED)
def test_allowed_origins_are_echoed_with_the_grant(
    ports: dict[str, int], origin: str, placement: str
) -> None:
    port, path = ports[placement], PATH[placement]
    reply = ask(port, path, origin)
    assert (reply.status, reply.body) == (200, APP_BODY)
    assert reply.values("Access-Control-Allow-Origin") == [origin]
    assert reply.values("Access-Control-Allow-Credentials") == ["true"]
    assert reply.values("Access-Control-Expose-Headers") == ["X-Request-Id"]
    preflight = ask(
        port,
        path,
        origin,
        "OPTIONS",
        Access_Control_Request_Method="PUT",
        Access_Control_Request_Headers="content-type, x-requested-with",
    )
    assert (preflight.status, preflight.body) == (204, b"")
    assert preflight.values("Access-Control-Allow-Origin") == [origin]
    assert preflight.values("Access-Control-Allow-Methods") == ["GET, POST, PUT, DELETE"]
    assert preflight.values("Access-Control-Allow-Headers") == [
        "Content-Type, Authorization, X-Requested-With"
    ]
    assert preflight.values("Access-Control-Max-Age") == ["600"]
    assert preflight.values("Access-Control-Expose-Headers") == []
    refused = ask(port, path, origin, "OPTIONS", Access_Control_Request_Method="PATCH")
    assert refused.status == 403 and cors_names(refused) == []


@pytest.mark.parametrize(
    ("path", "status"),
    [("/status/500", 500), ("/static/missing", 404), ("/down/x", 503), ("/x", 200)],
)
def test_every_status_keeps_cors_and_exactly_one_allow_origin(
    ports: dict[str, int], path: str, status: int
) -> None:
    reply = ask(ports["virtualhost"], path, "https://app.example.com")
    assert reply.status == status
    assert reply.values("Access-Control-Allow-Origin") == ["https://app.example.com"]
    assert reply.values("Access-Control-Allow-Credentials") == ["true"]
    assert reply.values("Vary") == ["Origin"]


def test_corsc_probe_finds_every_verdict_as_the_policy_says(
    ports: dict[str, int], tmp_path: Path
) -> None:
    """``corsc probe`` (allowed origins of every kind, look-alikes, null, denied, preflights
    inside and outside the grant) against the virtual host: every verdict matches."""
    policy = tmp_path / "api.cors"
    policy.write_text(POLICY, "utf-8")
    code, report = probe(ports["virtualhost"], policy)
    assert (code, problems(report)) == (0, [])
    assert report["summary"]["probes"] > 20


def test_corsc_probe_accepts_the_declared_deviations_of_the_example(
    ports: dict[str, int],
) -> None:
    """examples/api.cors (two policies, paths, deny, an origin block, unlisted reject) in a
    virtual host: ``corsc probe --target apache`` finds every verdict as the policy says, or
    as the target declares."""
    code, report = probe(ports["example"], EXAMPLE, "--target", "apache")
    assert (code, problems(report)) == (0, [])
    assert report["summary"]["probes"] > 40


def test_the_servers_own_cors_headers_give_way(ports: dict[str, int]) -> None:
    """Under a policy corsc's headers are the only ones: the upstream's own Allow-Origin and
    Expose-Headers are removed, for an allowed origin (which gets corsc's) and another."""
    allowed = ask(ports["virtualhost"], "/own-cors", "https://app.example.com")
    assert allowed.values("Access-Control-Allow-Origin") == ["https://app.example.com"]
    assert allowed.values("Access-Control-Expose-Headers") == ["X-Request-Id"]
    other = ask(ports["virtualhost"], "/own-cors", "https://other.example")
    assert cors_names(other) == []


@pytest.mark.parametrize("placement", ["location", "htaccess"])
def test_a_missing_file_under_a_placement_keeps_cors(ports: dict[str, int], placement: str) -> None:
    reply = ask(ports[placement], "/api/missing", "https://app.example.com")
    assert reply.status == 404
    assert reply.values("Access-Control-Allow-Origin") == ["https://app.example.com"]


@pytest.mark.parametrize("placement", PLACEMENTS)
def test_options_without_request_method_reaches_the_application(
    ports: dict[str, int], placement: str
) -> None:
    reply = ask(ports[placement], PATH[placement], "https://app.example.com", "OPTIONS")
    assert reply.status == 200 and reply.values("Access-Control-Allow-Origin") == [
        "https://app.example.com"
    ]


@pytest.fixture(scope="module")
def big_evaluator() -> Evaluator:
    return Evaluator(_compiled("big", LARGE).policy_set)


@pytest.mark.parametrize("host", ["big", "big-location"])
@pytest.mark.parametrize("origin", BIG_ORIGINS)
def test_a_thousand_origin_policy_answers_as_the_evaluator(
    ports: dict[str, int], big_evaluator: Evaluator, origin: str | None, host: str
) -> None:
    for method, headers in (("GET", ()), ("OPTIONS", (("Access-Control-Request-Method", "PUT"),))):
        fields = ((("Origin", origin),) if origin is not None else ()) + headers
        request = Request(method, "/x", fields)
        got = cors_part(send(ports[host], request))
        want = expected_part(big_evaluator.respond(request))
        assert same_part(got, want), (origin, method, got, want)


def test_preflights_meet_authentication_only_in_a_htaccess() -> None:
    """A path behind Basic authentication: in a <VirtualHost> (mod_rewrite at URL translation)
    and in a <Location> (its <If>) the preflight is answered before authentication; in a
    .htaccess authentication comes first and the preflight gets 401 (CORS650 says so)."""
    require_apache()
    with tempfile.TemporaryDirectory() as temporary:
        _authenticated(Path(temporary))


def _authenticated(tmp_path: Path) -> None:
    server = Apache(tmp_path)
    server.write("www/private/x", "{}")
    server.write("htpasswd", "someone:$apr1$xxxxxxxx$xxxxxxxxxxxxxxxxxxxxxx\n")
    auth = f"AuthType Basic\nAuthName corsc\nAuthUserFile {tmp_path}/htpasswd\nRequire valid-user\n"
    server.write("www/htaccess/x", "{}")
    server.write(
        "www/htaccess/.htaccess", _compiled("api", POLICY, "placement=htaccess").text + auth
    )
    vhost = server.write("policies/v.conf", _compiled("api", POLICY).text)
    located = server.write("policies/l.conf", _compiled("api", POLICY, "placement=location").text)
    protected = "    <Location /private>\n" + auth + "    </Location>\n"
    first, second, third = free_ports(3)
    server.configure(
        [first, second, third],
        virtual_host(first, f"    Include {vhost}\n{protected}")
        + virtual_host(second, protected.replace("</Location>", f"Include {located}\n</Location>"))
        + virtual_host(third, ""),
    )
    checked = server.check()
    assert checked.returncode == 0, checked.stderr
    server.start([first, second, third])
    try:
        origin = "https://app.example.com"
        for port, path, status in ((first, "/private/x", 204), (second, "/private/x", 204)):
            reply = ask(port, path, origin, "OPTIONS", Access_Control_Request_Method="PUT")
            assert reply.status == status, (port, reply)
            assert reply.values("Access-Control-Allow-Origin") == [origin]
            actual = ask(port, path, origin)
            assert actual.status == 401 and actual.values("Access-Control-Allow-Origin") == [origin]
        reply = ask(third, "/htaccess/x", origin, "OPTIONS", Access_Control_Request_Method="PUT")
        assert reply.status == 401
    finally:
        server.stop()


def test_the_conformance_table_in_a_location() -> None:
    """Every table a ``<Location>`` can hold (one policy without ``paths``; the others are
    CORS651, listed here) answered in ``<Location />`` of its own host, in front of the
    upstream: every case exactly as the evaluator answers."""
    from tests.conformance_table import load_tables

    require_apache()
    tables = load_tables()
    built = {t.name: compile_or_refuse(t.name, t.policy_text, "placement=location") for t in tables}
    refused = sorted(name for name, c in built.items() if not isinstance(c, Compiled))
    for name in refused:
        found = built[name]
        assert isinstance(found, list) and {d.code for d in found} == {"CORS651"}, name
    assert refused == [
        "deny",
        "encoded-paths",
        "expose",
        "long-origin",
        "paths",
        "paths-no-fallback",
        "private-network",
        "static-expose",
        "trailing-dot",
    ]
    compiled = {name: c for name, c in built.items() if isinstance(c, Compiled)}
    with tempfile.TemporaryDirectory() as temporary, Upstream() as upstream:
        server = Apache(Path(temporary))
        ports = dict(zip(compiled, free_ports(len(compiled)), strict=True))
        hosts = []
        for name, item in compiled.items():
            path = server.write(f"policies/{name}.conf", item.text)
            inside = f"    <Location />\n        Include {path}\n    </Location>\n"
            hosts.append(virtual_host(ports[name], inside + upstream.proxy()))
        server.configure(list(ports.values()), "".join(hosts))
        checked = server.check()
        assert checked.returncode == 0, checked.stderr
        server.start(list(ports.values()))
        try:
            cases = [case for table in tables if table.name in compiled for case in table.cases]
            assert len(cases) > 80
            for case in cases:
                request = Request(case.method, case.path, case.headers)
                got = cors_part(send(ports[case.table], request))
                want = expected_part(Evaluator(compiled[case.table].policy_set).respond(request))
                assert same_part(got, want), (case.id, got, want)
        finally:
            server.stop()


def test_preflight_status_200_has_a_one_space_body_in_every_placement() -> None:
    """The declared deviation of `preflight-status 200`: Apache's page for a status set by a
    rule is replaced by one space (an ErrorDocument cannot be empty), in every placement."""
    require_apache()
    text = POLICY.replace("max-age     600", "max-age     600\n  preflight-status 200")
    with tempfile.TemporaryDirectory() as temporary:
        server = Apache(Path(temporary))
        server.write("www/api/index.json", "{}")
        server.write("www/api/.htaccess", _compiled("s", text, "placement=htaccess").text)
        vhost = server.write("policies/v.conf", _compiled("s", text).text)
        located = server.write("policies/l.conf", _compiled("s", text, "placement=location").text)
        first, second, third = free_ports(3)
        static = f"    DocumentRoot {temporary}/www\n    DirectoryIndex index.json\n"
        server.configure(
            [first, second, third],
            virtual_host(first, f"    Include {vhost}\n{static}")
            + virtual_host(
                second, f"{static}    <Location /api>\n    Include {located}\n    </Location>\n"
            )
            + virtual_host(third, static),
        )
        checked = server.check()
        assert checked.returncode == 0, checked.stderr
        server.start([first, second, third])
        try:
            for port in (first, second, third):
                reply = ask(
                    port,
                    "/api/",
                    "https://app.example.com",
                    "OPTIONS",
                    Access_Control_Request_Method="PUT",
                )
                assert (reply.status, reply.body) == (200, b" "), port
                assert reply.values("Access-Control-Allow-Methods") == ["GET, POST, PUT, DELETE"]
        finally:
            server.stop()


def test_a_local_error_document_keeps_cors_only_where_the_directives_cover_it() -> None:
    """``ErrorDocument 404 /err.html``: the page keeps the CORS headers in a <VirtualHost>; a
    <Location /api> does not cover /err.html, so there the page has none (docs/apache.md)."""
    require_apache()
    with tempfile.TemporaryDirectory() as temporary:
        server = Apache(Path(temporary))
        server.write("www/err.html", "oops")
        server.write("www/api/index.json", "{}")
        vhost = server.write("policies/v.conf", _compiled("api", POLICY).text)
        located = server.write(
            "policies/l.conf", _compiled("api", POLICY, "placement=location").text
        )
        first, second = free_ports(2)
        error = "    ErrorDocument 404 /err.html\n"
        server.configure(
            [first, second],
            virtual_host(first, f"    Include {vhost}\n{error}")
            + virtual_host(
                second, f"{error}    <Location /api>\n    Include {located}\n</Location>\n"
            ),
        )
        checked = server.check()
        assert checked.returncode == 0, checked.stderr
        server.start([first, second])
        try:
            origin = "https://app.example.com"
            kept = ask(first, "/api/missing", origin)
            assert (kept.status, kept.body) == (404, b"oops")
            assert kept.values("Access-Control-Allow-Origin") == [origin]
            lost = ask(second, "/api/missing", origin)
            assert (lost.status, lost.body) == (404, b"oops") and cors_names(lost) == []
        finally:
            server.stop()


def test_the_conformance_table_in_a_htaccess() -> None:
    """Every table a ``.htaccess`` can hold, each in the directory its host maps every path
    to (a static file): the cases a static file answers as the stub application does (GET and
    HEAD) and the preflights, exactly as the evaluator answers."""
    from tests.conformance_table import load_tables

    require_apache()
    tables = load_tables()
    built = {t.name: compile_or_refuse(t.name, t.policy_text, "placement=htaccess") for t in tables}
    compiled = {name: c for name, c in built.items() if isinstance(c, Compiled)}
    with tempfile.TemporaryDirectory() as temporary:
        server = Apache(Path(temporary))
        ports = dict(zip(compiled, free_ports(len(compiled)), strict=True))
        hosts = []
        for number, (name, item) in enumerate(compiled.items()):
            server.write(f"h{number}/app.json", "{}")
            server.write(f"h{number}/.htaccess", item.text)
            directory = f"{temporary}/h{number}"
            hosts.append(
                virtual_host(
                    ports[name],
                    f'    AliasMatch "^/" "{directory}/app.json"\n'
                    f"    <Directory {directory}>\n        AllowOverride FileInfo\n"
                    "        Require all granted\n    </Directory>\n",
                )
            )
        server.configure(list(ports.values()), "".join(hosts))
        checked = server.check()
        assert checked.returncode == 0, checked.stderr
        server.start(list(ports.values()))
        try:
            cases = [
                case
                for table in tables
                if table.name in compiled
                for case in table.cases
                if case.method in ("GET", "HEAD") or _is_preflight(case.method, case.headers)
            ]
            assert len(cases) > 60
            for case in cases:
                request = Request(case.method, case.path, case.headers)
                got = cors_part(send(ports[case.table], request))
                want = expected_part(Evaluator(compiled[case.table].policy_set).respond(request))
                assert same_part(got, want), (case.id, got, want)
        finally:
            server.stop()


def _is_preflight(method: str, headers: tuple[tuple[str, str], ...]) -> bool:
    names = {name.lower() for name, _ in headers}
    return method == "OPTIONS" and {"origin", "access-control-request-method"} <= names


def test_an_empty_origin_or_requested_method_is_taken_as_absent() -> None:
    """The declared deviation: Apache's expressions read an empty header as a missing one.
    An empty Origin under `unlisted reject` reaches the application (the evaluator: 403), and
    an OPTIONS with an empty Access-Control-Request-Method is no preflight (the evaluator:
    a refused one); browsers send neither."""
    require_apache()
    text = 'policy p {\n  origins "https://a.example.com"\n  unlisted reject\n}\n'
    compiled = _compiled("p", text)
    evaluator = Evaluator(compiled.policy_set)
    with (
        tempfile.TemporaryDirectory() as temporary,
        serving([compiled], Path(temporary)) as (port,),
    ):
        empty_origin = Request("GET", "/x", (("Origin", ""),))
        assert expected_part(evaluator.respond(empty_origin)).status == 403
        got = cors_part(send(port, empty_origin))
        assert (got.status, got.headers, got.vary) == (None, (), ("Origin",))
        empty_method = Request(
            "OPTIONS",
            "/x",
            (("Origin", "https://a.example.com"), ("Access-Control-Request-Method", "")),
        )
        assert expected_part(evaluator.respond(empty_method)).status == 403
        got = cors_part(send(port, empty_method))
        assert got.status is None
        assert got.headers == (("Access-Control-Allow-Origin", "https://a.example.com"),)


def test_an_error_before_the_directives_has_no_cors_headers(ports: dict[str, int]) -> None:
    """The declared deviation: a request Apache refuses while reading it (a header field
    without a colon) is answered 400 before any directive runs, without CORS headers."""
    with socket.create_connection(("127.0.0.1", ports["virtualhost"]), timeout=10) as sock:
        sock.sendall(
            b"GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://app.example.com\r\n"
            b"Broken header line\r\nConnection: close\r\n\r\n"
        )
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    assert head.startswith("HTTP/1.1 400 "), head
    assert "access-control-" not in head.lower(), head
