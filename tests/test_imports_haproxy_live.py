"""The machine ``corsc import --from haproxy`` reads a configuration with, against a real
HAProxy 2.6: for the goldens, every hand-written fixture and policies compiled here, HAProxy
answers every request import asks as the machine says; and each converter, fetch and match
method the machine follows gives, on one request, what HAProxy gives."""

from __future__ import annotations

import http.server
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_imports_haproxy import GOLDENS, POLICIES, compiled
from test_imports_haproxy_fixtures import FIXTURE_POLICIES, HAPROXY_FIXTURES

from corsc.imports.haproxy import OTHER_PATH, prepare
from corsc.imports.haproxy_config import sections
from corsc.imports.haproxy_proxies import Files, proxies_of
from corsc.imports.probes import UNLISTED
from corsc.source import Source
from tests.conformance_haproxy import require_haproxy
from tests.haproxy_launcher import Haproxy, free_ports

# ---- the machine against a real HAProxy -----------------------------------------------------


class _Application(http.server.BaseHTTPRequestHandler):
    """The server behind every backend: 200 ``{}`` to any method, no CORS header."""

    def answer(self) -> None:
        body = b"{}"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_HEAD = do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = answer

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def application() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Application)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def _served(text: str, port: int, upstream: int) -> str:
    """``text`` listening on 127.0.0.1:``port`` with its servers at the application; a file of
    defaults sections alone gets a frontend that takes their rules."""
    text = re.sub(r"(?m)^(\s*)bind\s.*$", rf"\g<1>bind 127.0.0.1:{port}", text)
    text = re.sub(r"(?m)^(\s*)server\s+(\S+)\s.*$", rf"\g<1>server \2 127.0.0.1:{upstream}", text)
    if not re.search(r"(?m)^(?:frontend|listen)\s", text):
        name = re.search(r"(?m)^defaults\s+(\S+)", text)
        assert name is not None
        text += (
            f"\nfrontend fe from {name.group(1)}\n    bind 127.0.0.1:{port}\n"
            "    timeout client 10s\n    default_backend app\n"
            "defaults base\n    mode http\n    timeout connect 5s\n    timeout server 10s\n"
            f"backend app from base\n    server app 127.0.0.1:{upstream}\n"
        )
    return text


class _Unfollowed(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer to compare, not one to follow."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_Unfollowed)


def _ask(
    port: int, path: str, request: dict[str, str], prefix: str = "access-"
) -> tuple[int, list[tuple[str, str]]]:
    asked = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", method=request["$request_method"]
    )
    for name, key in (
        ("Origin", "$http_origin"),
        ("Access-Control-Request-Method", "$http_access_control_request_method"),
        ("Access-Control-Request-Headers", "$http_access_control_request_headers"),
        ("Access-Control-Request-Private-Network", "$http_access_control_request_private_network"),
    ):
        if request.get(key):
            asked.add_header(name, request[key])
    try:
        with _OPENER.open(asked, timeout=10) as response:
            status, headers = response.status, response.headers.items()
    except urllib.error.HTTPError as error:
        status, headers = error.code, error.headers.items()
    return status, sorted((k.lower(), v) for k, v in headers if k.lower().startswith(prefix))


LIVE: list[Path | str] = [
    *GOLDENS,
    *(HAPROXY_FIXTURES / name for name in sorted(FIXTURE_POLICIES) if name != "broken.cfg"),
    "paths",
    "blocks",
    "deny",
]


@pytest.mark.parametrize("path", LIVE, ids=[p if isinstance(p, str) else p.name for p in LIVE])
def test_haproxy_answers_as_the_machine_reads(
    path: Path | str, tmp_path: Path, application: int
) -> None:
    """HAProxy 2.6 serving the configuration (a golden, a fixture, or a policy compiled here)
    answers every origin it tests, and unlisted ones, at each path prefix it compares and
    elsewhere, as the machine import reads it with does: the same status and the same
    Access-Control-* headers."""
    require_haproxy()
    if isinstance(path, str):
        path = compiled(POLICIES[path], tmp_path)
    files = {p.name: p.read_text() for p in path.parent.glob("*") if p.suffix in (".map", ".lst")}
    server = Haproxy(tmp_path)
    port = free_ports(1)[0]
    served = _served(path.read_text(), port, application)
    server.configure([("haproxy.cfg", served)], files)
    found = sections(served)
    backends, fronts = proxies_of(found)
    section, proxy = fronts[0]
    level = prepare(section, proxy, backends, Files(Source(str(tmp_path / "haproxy.cfg"), "")))
    origins = dict.fromkeys([o for t in level.tests for o in t.witnesses] + [*UNLISTED, "null"])
    paths = [OTHER_PATH, *(p + suffix for p in level.prefixes for suffix in ("", "/x"))]
    server.start([port])
    try:
        asked = 0
        for where in paths:
            machine = level.trace(where)
            for origin in origins:
                for _, request in level.probes.requests(origin):
                    expected = machine(request).answer()
                    want = sorted(h for h in expected.headers if h[0].startswith("access-"))
                    got = _ask(port, where, request)
                    assert got == (expected.status or 200, want), (where, request)
                    asked += 1
        assert asked > 30
    finally:
        server.stop()


#: Sample expressions, each given as HAProxy computes it in a log-format.
EXPRESSIONS = (
    "req.hdr(origin),lower",
    "req.hdr(origin),upper",
    'req.hdr(origin),regsub("^https?://","")',
    'req.hdr(origin),regsub("([a-z]+)\\.","<\\1>",gi)',
    'req.hdr(origin),regsub("[[:alpha:]]+",x)',
    "req.hdr(origin),field(2,:)",
    "req.hdr(origin),field(3,:)",
    "req.hdr(origin),field(-1,.)",
    "req.hdr(origin),word(2,/.)",
    "req.hdr(access-control-request-headers)",
    "req.fhdr(access-control-request-headers)",
    "req.hdr(access-control-request-headers,1)",
    "req.hdr_cnt(access-control-request-headers)",
    "req.fhdr_cnt(access-control-request-headers)",
    "req.hdr_cnt(access-control-request-method)",
    "req.hdr(access-control-request-method)",
    "path",
    "path,url_dec",
    'path,url_dec,regsub("/+",/,g)',
    "var(txn.one),add(txn.two),mul(10),sub(3),div(4),mod(5)",
    "var(txn.one),neg",
    "var(txn.two),not",
    "var(txn.two),bool",
    "var(txn.two),odd",
    "var(txn.two),even",
    "req.hdr(origin),length",
    "req.hdr(origin),ltrim(h),rtrim(3480:)",
    "req.hdr(origin),concat(<,txn.s,>)",
    "req.hdr(origin),map_beg(beg.map,none)",
    "req.hdr(origin),map_end(end.map,none)",
    "req.hdr(origin),map_reg(reg.map,none)",
    "req.hdr(origin),map_sub(sub.map,none)",
    "req.hdr(origin),map_str(str.map,none)",
    "req.hdr(origin),lower,map(str.map)",
    'req.hdr(origin),regsub("\\\\.",_,g)',
    'req.hdr(origin),regsub("[.]","\\"",g)',
    "str(abc),strcmp(txn.s)",
    "method",
    "var(txn.nothing)",
    "var(txn.nothing,fallback)",
)
#: Expressions read after rules changed the request's headers.
CHANGED = (
    "req.fhdr(access-control-request-method)",
    "req.hdr_cnt(access-control-request-headers)",
    "req.fhdr(access-control-request-headers)",
    "req.hdr_cnt(origin)",
)
#: ACLs, each given as whether it matches.
ACLS = (
    "req.hdr(origin) -m beg https://App",
    "req.hdr(origin) -i -m beg https://app",
    "req.hdr(origin) -m end :8443",
    "req.hdr(origin) -m sub Example",
    "req.hdr(origin) -m reg -i ^https://app\\.example",
    "req.hdr(origin) -m reg ^https://app\\.example",
    "req.hdr(origin) -m dom Example",
    "req.hdr(origin) -m dom ample",
    "req.hdr(origin) -m len 28",
    "req.hdr(origin) -m len 1:10",
    "req.hdr(origin),lower -m str https://app.example.com:8443",
    "hdr_beg(origin) https://",
    "hdr_end(origin) -i EXAMPLE.COM:8443",
    "req.hdr(access-control-request-headers) -m str x-a",
    "req.hdr(access-control-request-headers) -i x-a",
    "req.fhdr(access-control-request-headers) -m str X-A",
    "req.fhdr(access-control-request-headers) -m str Content-Type, X-A",
    "req.hdr_cnt(access-control-request-headers) gt 1",
    "req.hdr_cnt(access-control-request-headers) -m int 2",
    "req.hdr(access-control-request-method) -m found",
    "var(txn.one) -m int 0:1",
    "var(txn.one),add(0) ge 2",
    "var(txn.one),add(0) le 2",
    "var(txn.two) -m bool",
    "var(txn.nothing) -m found",
    "var(txn.s) -m str b a",
    "path -m dir b",
    "path_beg /a",
    "path_dir c%20d",
    "path -m sub %2F",
    "path,url_dec -m sub /b/",
    "method -m str OPTIONS",
    "method GET",
    "req.hdr(origin) -m str -f o.lst",
    "req.hdr(origin) -m end -f o.lst",
)
#: One map per converter: HAProxy shares the look-ups of list maps read from one file, so a
#: file read by map_end and map_sub answers both with the first one's cached result.
MAP = "https://App beg\n:8443 end\n^https://app\\. reg\nExample sub\n"
MAPS = {f"{kind}.map": MAP for kind in ("beg", "end", "reg", "sub", "str")}
LIST = "# origins\n  https://elsewhere.example\n.example.com:8443\n"


def samples_config() -> str:
    lines = [
        "frontend samples",
        "    mode http",
        "    timeout client 10s",
        "    bind :80",
        "    http-request set-var(txn.one) int(1)",
        "    http-request set-var(txn.two) int(2)",
        "    http-request set-var(txn.s) str(b)",
    ]
    for number, text in enumerate(EXPRESSIONS):
        lines.append(f"    http-request set-var-fmt(txn.e{number}) '%[{text}]'")
    for number, text in enumerate(ACLS):
        lines.append(f"    http-request set-var(txn.m{number}) bool(1) if {{ {text} }}")
    # The request's headers changed by rules, then read again.
    lines += [
        "    http-request set-header Access-Control-Request-Method"
        " 'X-%[req.hdr(access-control-request-method)]'",
        "    http-request add-header Access-Control-Request-Headers extra",
        "    http-request del-header Origin",
    ]
    after = len(EXPRESSIONS)
    for number, text in enumerate(CHANGED, after):
        lines.append(f"    http-request set-var-fmt(txn.e{number}) '%[{text}]'")
    lines.append("    http-request return status 200")
    for number in range(len(EXPRESSIONS) + len(CHANGED)):
        lines.append(f"    http-after-response set-header X-E{number} '<%[var(txn.e{number})]>'")
    for number in range(len(ACLS)):
        lines.append(
            f"    http-after-response set-header X-M{number} yes"
            f" if {{ var(txn.m{number}) -m bool }}"
        )
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("method", ["GET", "OPTIONS"])
def test_each_converter_fetch_and_match_gives_what_haproxy_gives(
    method: str, tmp_path: Path
) -> None:
    require_haproxy()
    port = free_ports(1)[0]
    served = _served(samples_config(), port, 1)
    server = Haproxy(tmp_path)
    server.configure([("haproxy.cfg", served)], {**MAPS, "o.lst": LIST})
    backends, fronts = proxies_of(sections(served))
    section, proxy = fronts[0]
    level = prepare(section, proxy, backends, Files(Source(str(tmp_path / "haproxy.cfg"), "")))
    path = "/a%2Fb//c%20d"
    request = {
        "$request_method": method,
        "$http_origin": "https://App.Example.com:8443",
        "$http_access_control_request_method": "PUT",
        "$http_access_control_request_headers": "Content-Type, X-A",
    }
    expected = level.trace(path)(request).answer()
    server.start([port])
    try:
        status, got = _ask(port, path, request, "x-")
    finally:
        server.stop()
    want = sorted((name, value) for name, value in expected.headers if name.startswith("x-"))
    named = dict(want)
    assert len([n for n in named if n.startswith("x-e")]) == len(EXPRESSIONS) + len(CHANGED)
    assert {n for n in named if n.startswith("x-m")} not in (
        set(),
        {f"x-m{i}" for i in range(len(ACLS))},
    )
    theirs = dict(got)
    differing = {
        _named(name): (theirs.get(name), named.get(name))
        for name in sorted({*theirs, *named})
        if theirs.get(name) != named.get(name)
    }
    assert (status, differing) == (expected.status, {})


def _named(header: str) -> str:
    """What an X-E or X-M header of :func:`samples_config` stands for."""
    number = int(header[3:])
    return (*EXPRESSIONS, *CHANGED)[number] if header.startswith("x-e") else ACLS[number]
