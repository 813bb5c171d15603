"""The nginx target in a real nginx (Debian's package) on 127.0.0.1, judged against the
reference evaluator (docs/nginx.md: What was verified, and how).

- ``nginx -t`` accepts every golden output, with the snippet at server level and at location
  level, for both variants.
- The shared conformance table runs on nginx in tests/test_conformance.py (one nginx for every
  table, tests/conformance_nginx.py); every nginx here is started by tests/nginx_launcher.py.
- A matrix of placements: error statuses keep CORS, ``try_files`` keeps
  working, one Allow-Origin when the upstream sends its own (with ``hide-upstream``),
  look-alike origins refused, ``OPTIONS`` without Access-Control-Request-Method reaches the
  application.
- Hypothesis: generated policies, compiled and served by a fresh nginx, answer generated
  requests with the evaluator's CORS headers.

The application behind each CORS snippet is ``APP`` (tests/conformance_nginx.py), so a
response with another status or body came from the CORS layer.
"""

from __future__ import annotations

import http.client
import http.server
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from corsc import regex
from corsc.backends import nginx_text as r
from corsc.diagnostics import fails
from corsc.evaluate import Evaluator, Request
from corsc.frontend import load
from corsc.ir import PatternKind, PolicySet
from corsc.source import Source
from tests.conformance_nginx import (
    APP,
    Compiled,
    as_nginx_serves,
    compile_policy,
    conforms,
    hint_locations,
    http_includes,
    send,
    server_includes,
)
from tests.deny_cases import DENY_PATTERNS, dotted, policy_text, refused
from tests.goldens import GOLDEN as GOLDENS
from tests.nginx_launcher import NGINX, Nginx, free_port
from tests.python_harness import APP_BODY, Reply, cors_part, expected_part

GOLDEN = GOLDENS / "nginx"
pytestmark = pytest.mark.skipif(
    NGINX is None, reason="nginx is not installed (Debian: apt-get install nginx)"
)


# ---- nginx -t on every golden output ----------------------------------------------------------

GOLDEN_SETS = sorted(
    {
        (directory, path.name.split(".", 1)[0])
        for directory in (GOLDEN, GOLDEN / "a2")
        for path in directory.glob("*.conf")
    }
)


@pytest.mark.parametrize("level", ["server", "location"])
@pytest.mark.parametrize(
    ("directory", "example"),
    GOLDEN_SETS,
    ids=[f"{d.name}-{e}" for d, e in GOLDEN_SETS],
)
def test_nginx_accepts_the_golden_files(
    tmp_path: Path, directory: Path, example: str, level: str
) -> None:
    files = {
        path.name.removeprefix(f"{example}."): path.read_text("utf-8")
        for path in directory.glob(f"{example}.*.conf")
    }
    snippets = [name for name in files if name.count(".") == 1]
    assert snippets
    nginx = Nginx(tmp_path)
    includes = "\n".join(f"include {name};" for name in snippets)
    if level == "server":
        body = f"{server_includes(files)}\n{includes}\nlocation / {{ {APP} }}"
    else:
        body = f"{server_includes(files)}\nlocation / {{ {includes}\n{APP} }}"
    nginx.configure(
        f"{http_includes(files)}\nserver {{ listen 127.0.0.1:{free_port()};\n{body}\n}}", files
    )
    result = nginx.test()
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


# ---- the matrix of placements -----------------------------------------------------------------

MATRIX_POLICY = """
policy api {
  origins     "https://app.example.com", "http://localhost:3000", "https://*.example.org"
  methods     GET, POST, PUT, DELETE
  headers     Content-Type, Authorization, X-Requested-With
  expose      X-Request-Id, X-Total-Count
  credentials true
  max-age     600
}
"""
#: Look-alikes of the matrix policy's origins: none may be allowed.
LOOK_ALIKES = [
    "https://APP.example.com",
    "http://app.example.com",
    "https://app.example.com:8443",
    "http://localhost:30001",
    "http://localhost",
    "https://app.example.com.",
    "https://app.example.com/",
    "https://app.example.com.evil.com",
    "https://evilapp.example.com",
    "https://a.example.org.evil.com",
    "https://evil.com/.example.org",
    "https://example.org",
    "https://.example.org",
    "null",
    "xhttps://app.example.com",
    "https://a.example.org:443",
    "HTTPS://A.EXAMPLE.ORG",
]
ALLOWED = ["https://app.example.com", "https://a.example.org", "https://a.b.example.org"]
PREFLIGHT_ONLY = (
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-max-age",
)
#: The four placements: (variant, level), each with hide-upstream=proxy; and one without it.
PLACEMENTS = [("maps", "server"), ("maps", "location"), ("a2", "server"), ("a2", "location")]


class Upstream(http.server.BaseHTTPRequestHandler):
    """The application behind ``proxy_pass``: ``/code/NNN`` answers NNN with its own
    ``Access-Control-Allow-Origin: *`` (the duplicate that hide-upstream removes)."""

    def do_GET(self) -> None:
        code = int(self.path.rsplit("/", 1)[-1]) if "/code/" in self.path else 200
        body = b"upstream"
        self.send_response(code)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test reads responses, not logs."""


def matrix_server(
    port: int, snippet: str, server_file: str, level: str, upstream: int, dead: int, www: Path
) -> str:
    """A server with one location per case of the matrix (an error status, a dead upstream, a
    static file, an upstream, ``try_files``), the snippet at ``level``; the A2 file
    (``server_file``) always at server level."""
    at_server = f"include {snippet};" if level == "server" else ""
    inside = f"include {snippet};" if level == "location" else ""
    return f"""server {{
    listen 127.0.0.1:{port};
    root {www};
    {f"include {server_file};" if server_file else ""}
    {at_server}
    location = /ok {{ {inside} {APP} }}
    location = /err500 {{ {inside} return 500; }}
    location = /down {{ {inside} proxy_pass http://127.0.0.1:{dead}; }}
    location /static/ {{ {inside} }}
    location /upstream/ {{ {inside} proxy_pass http://127.0.0.1:{upstream}; }}
    location /spa/ {{ {inside} try_files $uri /spa/index.html; }}
}}"""


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, int]]:
    """One nginx with a server per placement (and ``nohide``: maps at server level without
    hide-upstream), an upstream thread, and a port nobody listens on (502)."""
    root = tmp_path_factory.mktemp("nginx-matrix")
    www = root / "www"
    (www / "spa").mkdir(parents=True)
    (www / "static").mkdir()
    (www / "spa" / "index.html").write_text("spa\n")
    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    thread = threading.Thread(target=upstream.serve_forever, daemon=True)
    thread.start()
    compiled = {
        "maps": compile_policy("matrix", MATRIX_POLICY, "prefix=mx", "hide-upstream=proxy"),
        "a2": compile_policy(
            "matrix", MATRIX_POLICY, "prefix=ax", "variant=a2", "hide-upstream=proxy"
        ),
        "nohide": compile_policy("matrix", MATRIX_POLICY, "prefix=nh"),
    }
    files = {name: text for c in compiled.values() for name, text in c.files.items()}
    names = [f"{variant}-{level}" for variant, level in PLACEMENTS] + ["nohide"]
    nginx = Nginx(root)
    dead = free_port()

    def build(ports: list[int]) -> tuple[str, dict[str, str]]:
        servers = []
        for port, name in zip(ports, names, strict=True):
            variant, _, level = name.partition("-")
            prefix = {"maps": "mx", "a2": "ax", "nohide": "nh"}[variant]
            server_file = f"{prefix}-api.server.conf" if variant == "a2" else ""
            servers.append(
                matrix_server(
                    port,
                    f"{prefix}-api.conf",
                    server_file,
                    level or "server",
                    upstream.server_address[1],
                    dead,
                    www,
                )
            )
        return http_includes(files) + "\n" + "\n".join(servers), files

    try:
        ports = nginx.serve(build, len(names))
        yield dict(zip(names, ports, strict=True))
    finally:
        nginx.stop()
        upstream.shutdown()
        upstream.server_close()


def cors_names(reply: Reply) -> list[str]:
    return [name.lower() for name, _ in reply.headers if name.lower().startswith("access-control-")]


def ask(
    port: int, path: str, origin: str | None = None, method: str = "GET", **headers: str
) -> Reply:
    fields = [(name.replace("_", "-"), value) for name, value in headers.items()]
    return send(port, Request.of(method, path, origin=origin, headers=fields))


@pytest.fixture(params=[f"{variant}-{level}" for variant, level in PLACEMENTS])
def port(request: pytest.FixtureRequest, matrix: dict[str, int]) -> int:
    return matrix[request.param]


@pytest.mark.parametrize("origin", ALLOWED)
def test_an_allowed_preflight_is_answered_204_with_the_grant(port: int, origin: str) -> None:
    reply = ask(
        port,
        "/ok",
        origin,
        "OPTIONS",
        Access_Control_Request_Method="PUT",
        Access_Control_Request_Headers="content-type",
    )
    assert reply.status == 204 and reply.body == b""
    assert sorted(cors_names(reply)) == sorted(
        [
            "access-control-allow-origin",
            "access-control-allow-credentials",
            "access-control-allow-methods",
            "access-control-allow-headers",
            "access-control-max-age",
        ]
    )
    assert reply.values("Access-Control-Allow-Origin") == [origin]
    assert reply.values("Access-Control-Allow-Methods") == ["GET, POST, PUT, DELETE"]
    assert reply.values("Vary") == ["Origin"]
    assert not reply.values("Content-Length") and not reply.values("Content-Type")


@pytest.mark.parametrize("origin", ALLOWED)
def test_an_allowed_get_gets_the_actual_response_headers(port: int, origin: str) -> None:
    reply = ask(port, "/ok", origin)
    assert (reply.status, reply.body) == (200, APP_BODY)
    assert reply.values("Access-Control-Allow-Origin") == [origin]
    assert reply.values("Access-Control-Allow-Credentials") == ["true"]
    assert reply.values("Access-Control-Expose-Headers") == ["X-Request-Id, X-Total-Count"]
    assert reply.values("Vary") == ["Origin"]
    assert not set(cors_names(reply)) & set(PREFLIGHT_ONLY)


@pytest.mark.parametrize("origin", [None, "https://other.example", *LOOK_ALIKES])
def test_other_origins_get_no_cors_headers_but_vary(port: int, origin: str | None) -> None:
    for method, headers in (("GET", {}), ("OPTIONS", {"Access_Control_Request_Method": "PUT"})):
        reply = ask(port, "/ok", origin, method, **headers)
        assert cors_names(reply) == []
        assert reply.values("Vary") == ["Origin"]
        refused_preflight = method == "OPTIONS" and origin is not None
        assert reply.status == (403 if refused_preflight else 200)


def test_options_without_request_method_reaches_the_application(port: int) -> None:
    reply = ask(port, "/ok", "https://app.example.com", "OPTIONS")
    assert (reply.status, reply.body) == (200, APP_BODY)
    assert reply.values("Access-Control-Allow-Origin") == ["https://app.example.com"]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/err500", 500),
        ("/down", 502),
        ("/static/missing", 404),
        ("/upstream/code/404", 404),
        ("/upstream/code/500", 500),
        ("/upstream/code/200", 200),
    ],
)
def test_every_status_keeps_cors_and_exactly_one_allow_origin(
    port: int, path: str, status: int
) -> None:
    reply = ask(port, path, "https://a.example.org")
    assert reply.status == status
    assert reply.values("Access-Control-Allow-Origin") == ["https://a.example.org"]
    assert reply.values("Access-Control-Allow-Credentials") == ["true"]
    assert reply.values("Vary") == ["Origin"]


def test_try_files_keeps_working_with_an_origin(port: int) -> None:
    reply = ask(port, "/spa/deep/link", "https://app.example.com")
    assert (reply.status, reply.body) == (200, b"spa\n")
    assert reply.values("Access-Control-Allow-Origin") == ["https://app.example.com"]


def test_without_hide_upstream_the_upstream_allow_origin_stays(matrix: dict[str, int]) -> None:
    """Why hide-upstream exists: add_header adds, it never replaces (nginx's
    ngx_http_headers_module documentation)."""
    reply = ask(matrix["nohide"], "/upstream/code/200", "https://a.example.org")
    assert sorted(reply.values("Access-Control-Allow-Origin")) == ["*", "https://a.example.org"]


# ---- generated policies and requests ----------------------------------------------------------

LABELS = st.sampled_from(["a", "b", "app", "x-1", "api_v2"])
EXACT = st.one_of(
    st.builds(lambda label: f'"https://{label}.example.com"', LABELS),
    st.builds(lambda port: f'"http://localhost:{port}"', st.sampled_from([3000, 8080])),
)
WILDCARDS = st.one_of(
    st.builds(lambda label: f'"https://*.{label}.example.org"', LABELS),
    st.sampled_from(
        [
            '"https://*.example.net:8443"',
            '"http://*.example.net:*"',
            '"http://dev.test:*"',
            r'regex "https://pr-\d+\.preview\.example"',
        ]
    ),
)
PATTERNS = st.one_of(EXACT, WILDCARDS, st.just('"null"'))
#: Methods a policy may list for nginx, which serves only methods of A-Z, `_` and `-`.
METHODS = st.sampled_from(["GET", "PUT", "DELETE", "PATCH", "X-CUSTOM"])
HEADERS = st.sampled_from(["Content-Type", "X-A", "x-b", "Authorization"])


def names_list(values: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.just("*"), st.lists(values, min_size=1, max_size=3, unique=True).map(", ".join)
    )


@st.composite
def policies(draw: st.DrawFn) -> str:
    """A policy text using every statement (a few draws still have errors: the test assumes
    them away)."""
    credentials = draw(st.booleans())
    allowed = st.one_of(EXACT, WILDCARDS) if credentials else PATTERNS
    origins = draw(st.lists(allowed, min_size=1, max_size=4, unique=True))
    if not credentials and draw(st.booleans()):
        origins.append("*")
    lines = [f"origins {', '.join(origins)}"]
    deny = st.lists(PATTERNS.filter(lambda text: text not in origins), min_size=1, max_size=2)
    optional = {
        "deny": deny.map(lambda items: ", ".join(dict.fromkeys(items))),
        "methods": names_list(METHODS),
        "headers": names_list(HEADERS),
        "expose": st.lists(
            st.sampled_from(["X-Request-Id", "X-Total"]), min_size=1, unique=True
        ).map(", ".join),
        "max-age": st.sampled_from(["0", "600", "2h"]),
        "unlisted": st.just("reject"),
        "preflight-status": st.just("200"),
    }
    for statement, values in optional.items():
        if draw(st.booleans()):
            lines.append(f"{statement} {draw(values)}")
    lines.append(f"credentials {str(credentials).lower()}")
    for pattern in draw(st.lists(EXACT, max_size=2, unique=True)):
        body = [f"methods {draw(names_list(METHODS))}"] if draw(st.booleans()) else []
        if draw(st.booleans()):
            body.append(f"headers {draw(names_list(HEADERS))}")
        body.append(f"private-network {str(draw(st.booleans())).lower()}")
        lines.append(f"origin {pattern} {{ {'; '.join(body)} }}")
    return "policy generated {\n  " + "\n  ".join(lines) + "\n}\n"


#: Origins every generated policy is asked about, besides its own patterns' instances.
OTHER_ORIGINS = [
    "https://APP.example.com",
    "http://localhost:30000",
    "https://app.example.org",
    "https://a.example.net",
    "http://a.example.net:1",
    "https://dev.test:1",
    "https://pr-x.preview.example",
    "null",
    "Null",
    "https://evil.example",
]
REQUESTED_METHODS = ["PUT", "GET", "PATCH", "X-Custom", "PUT ", "a b"]
REQUESTED_HEADERS = ["content-type", "X-A, x-b", "x-a,,X-B", "authorization", "x-c", "a b"]


def instances(policy_set: PolicySet) -> list[str]:
    """Origins a policy's patterns admit, and near misses of each (case, scheme, port, depth)."""
    found = []
    for policy in policy_set.policies:
        for pattern in [entry.pattern for entry in policy.entries] + list(policy.denies):
            if pattern.kind is PatternKind.REGEX:
                samples = regex.sample_origins(pattern.regex)[:2]
            elif pattern.kind in (PatternKind.EXACT, PatternKind.NULL):
                samples = [pattern.canonical]
            elif pattern.kind is PatternKind.SUBDOMAIN:
                port = f":{pattern.port}" if pattern.port else ":5173" if pattern.any_port else ""
                samples = [
                    f"{pattern.scheme}://q.{pattern.host}{port}",
                    f"{pattern.scheme}://q.r.{pattern.host}",
                ]
            elif pattern.kind is PatternKind.PORT:
                samples = [
                    f"{pattern.scheme}://{pattern.host}",
                    f"{pattern.scheme}://{pattern.host}:5173",
                ]
            else:
                samples = []
            found += samples + [sample.upper() for sample in samples[:1]]
    return list(dict.fromkeys(found))


def requests_for(policy_set: PolicySet) -> st.SearchStrategy[Request]:
    """Actual requests and preflights from the policy's own origins and others; preflights ask
    for its methods and headers, in other cases too, and for things nobody grants."""
    methods, headers = set(REQUESTED_METHODS), set(REQUESTED_HEADERS)
    for policy in policy_set.policies:
        for grant in (policy.grant, *(entry.grant for entry in policy.entries)):
            methods |= {name for name in grant.methods.value.values}
            methods |= {name.lower() for name in grant.methods.value.values}
            headers |= {name.upper() for name in grant.headers.value.values}
    origin = st.one_of(st.none(), st.sampled_from(instances(policy_set) + OTHER_ORIGINS))
    actual = st.builds(
        lambda method, origin: Request.of(method, "/", origin=origin),
        st.sampled_from(["GET", "POST", "OPTIONS"]),
        origin,
    )
    preflight = st.builds(
        lambda origin, method, asked, private: Request.of(
            "OPTIONS",
            "/",
            origin=origin,
            headers=[("Access-Control-Request-Method", method)]
            + ([("Access-Control-Request-Headers", asked)] if asked else [])
            + ([("Access-Control-Request-Private-Network", "true")] if private else []),
        ),
        origin,
        st.sampled_from(sorted(methods)),
        st.one_of(st.just(""), st.sampled_from(sorted(headers))),
        st.booleans(),
    )
    return st.one_of(actual, preflight, preflight)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=policies(), data=st.data())
def test_generated_policies_answer_as_the_evaluator(text: str, data: st.DataObject) -> None:
    """Both variants of a generated policy, served by a fresh nginx, give generated requests
    the evaluator's CORS part (with the declared reflection formatting)."""
    loaded = load(Source("generated.cors", text))
    assume(loaded.policy_set is not None and not fails(loaded.diagnostics))
    maps = compile_policy("generated", text, "prefix=gm")
    a2 = compile_policy("generated", text, "prefix=ga", "variant=a2")
    requests = data.draw(st.lists(requests_for(maps.policy_set), min_size=30, max_size=30))
    files = {**maps.files, **a2.files}
    evaluator = Evaluator(maps.policy_set)
    with tempfile.TemporaryDirectory() as directory:
        nginx = Nginx(Path(directory))

        def build(ports: list[int]) -> tuple[str, dict[str, str]]:
            servers = [
                f"server {{ listen 127.0.0.1:{ports[0]};\n{maps.server}\n}}",
                f"server {{ listen 127.0.0.1:{ports[1]};\n{server_includes(a2.files)}\n"
                f"{a2.server}\n}}",
            ]
            return http_includes(files) + "\n" + "\n".join(servers), files

        try:
            ports = nginx.serve(build, 2)
            for request in requests:
                want = expected_part(evaluator.respond(as_nginx_serves(request)))
                for port in ports:
                    got = cors_part(send(port, request))
                    assert conforms(got, want, maps.policy_set), (text, request, got, want)
        finally:
            nginx.stop()


# ---- nginx reads corsc's strings back byte for byte --------------------------------------------

MAP_WORDS = ("default", "hostnames", "include", "volatile")
TRICKY = ['a"b', "a'b", "a\\", "\\\\", '\\"', "\\t\\n\\r", "x\\.y\\z", "{;}#", "  a  b", "~^x\\z"]


@settings(max_examples=5, deadline=None)
@given(
    values=st.lists(
        st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=24),
        min_size=20,
        max_size=20,
    )
)
def test_nginx_reads_quoted_strings_back(values: list[str]) -> None:
    """What literal() and text() write, nginx reads as written: as a ``return`` body (an
    expanded parameter, so without ``$``) and as a ``map`` key (not expanded, ``$`` allowed;
    keys are compared case-insensitively and a leading ``~`` or ``\\`` means something)."""
    values = TRICKY + values
    keys = {
        v.lower(): v
        for v in values
        if v == v.strip()
        and v[0] not in "~\\"
        and v.lower() not in ("default", "hostnames", "include", "volatile")
    }
    with tempfile.TemporaryDirectory() as directory:
        nginx = Nginx(Path(directory))

        def build(ports: list[int]) -> tuple[str, dict[str, str]]:
            rows = "\n".join(f"{r.literal(v)} {n};" for n, v in enumerate(keys.values()))
            returns = "\n".join(
                f"location = /r/{n} {{ return 200 {r.text(v)}; }}"
                for n, v in enumerate(values)
                if "$" not in v
            )
            return (
                f'map $http_x_probe $probe {{ default "none"; {rows} }}\n'
                f"server {{ listen 127.0.0.1:{ports[0]};\n{returns}\n"
                "location = /key { return 200 $probe; } }",
                {},
            )

        try:
            (port,) = nginx.serve(build, 1)
            for n, value in enumerate(values):
                if "$" not in value:
                    assert send(port, Request.of("GET", f"/r/{n}")).body == value.encode()
            for n, value in enumerate(keys.values()):
                probe = send(port, Request.of("GET", "/key", headers=[("X-Probe", value)]))
                assert probe.body == str(n).encode(), value
        finally:
            nginx.stop()


# ---- the hardened meaning, in the real server ---------------------------------------------------
# Explicit expectations per definition (not the evaluator's answers): Origin length, deny of the
# trailing-dot form, static mode's fixed headers, methods nginx does not serve, a UTF-8 path.

HARDENED = {
    "deny": r"""policy denying {
  origins *
  deny "http://evil.test:18300", "https://*.bad.test", "http://ports.test:*", regex "^https://pr-\d+\.rx\.test$"
  methods *
}
""",
    "long": r"""policy long {
  origins regex "^https://([a-z0-9]+\.)*example\.com$", "https://app.example.org"
  unlisted reject
}
""",
    "static": """policy static {
  origins *
  expose X-Request-Id, X-Total
  methods PUT
}
""",
    "static_exact": """policy exact {
  origins "https://app.example.com"
  credentials true
  expose X-Request-Id
}
""",
    "cafe": """policy cafe {
  paths "/café"
  origins "https://app.example.com"
}
""",
}


@pytest.fixture(scope="module", params=["maps", "a2"])
def hardened(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[dict[str, int], Path]]:
    """One nginx with a server per policy of HARDENED, in the variant of the parameter."""
    variant = request.param
    compiled = {
        name: compile_policy(name, text, f"prefix=h{n}", f"variant={variant}")
        for n, (name, text) in enumerate(HARDENED.items())
    }
    files = {name: text for c in compiled.values() for name, text in c.files.items()}
    root = tmp_path_factory.mktemp(f"nginx-hardened-{variant}")
    nginx = Nginx(root)

    def server(port: int, name: str, c: Compiled) -> str:
        snippet = next(f for f in c.files if f.count(".") == 1)
        body = f"location / {{ include {snippet}; {APP} }}"
        if name == "cafe":
            [(first, second)] = hint_locations(c.files[snippet])
            body = (
                f"location {first} {{ include {snippet}; {APP} }}\n"
                f"location = {second} {{ include {snippet}; {APP} }}\nlocation / {{ {APP} }}"
            )
        return f"server {{ listen 127.0.0.1:{port};\n{server_includes(c.files)}\n{body}\n}}"

    def build(ports: list[int]) -> tuple[str, dict[str, str]]:
        servers = [
            server(port, name, c) for port, (name, c) in zip(ports, compiled.items(), strict=True)
        ]
        return http_includes(files) + "\n" + "\n".join(servers), files

    ports = nginx.serve(build, len(compiled))
    try:
        yield dict(zip(compiled, ports, strict=True)), root
    finally:
        nginx.stop()


DENIED_DOTTED = [
    "http://evil.test.:18300",
    "http://evil.test:18300",
    "https://a.bad.test.",
    "https://a.b.bad.test.",
    "https://a.bad.test",
    "http://ports.test.",
    "http://ports.test.:8080",
    "https://pr-12.rx.test.",
    "https://pr-12.rx.test",
]
STILL_ALLOWED = [
    "http://evil.test.:18301",
    "http://evil.test..:18300",
    "https://bad.test.",
    "https://pr-x.rx.test.",
    "http://good.test.:18300",
    "https://a.bad.test.x",
]


@pytest.mark.parametrize("origin", DENIED_DOTTED)
def test_deny_refuses_the_trailing_dot_form(
    hardened: tuple[dict[str, int], Path], origin: str
) -> None:
    port = hardened[0]["deny"]
    reply = ask(port, "/", origin)
    assert (reply.status, cors_names(reply)) == (200, [])
    preflight = ask(port, "/", origin, "OPTIONS", Access_Control_Request_Method="PUT")
    assert (preflight.status, cors_names(preflight)) == (403, [])


@pytest.mark.parametrize("origin", STILL_ALLOWED)
def test_deny_refuses_only_the_trailing_dot_form(
    hardened: tuple[dict[str, int], Path], origin: str
) -> None:
    reply = ask(hardened[0]["deny"], "/", origin)
    assert reply.values("Access-Control-Allow-Origin") == [origin]


@pytest.mark.parametrize(
    "origin",
    [
        "https://" + "a." * 350 + "example.com",  # matches the permissive regex
        "https://" + "a" * 700 + ".example.com",
        "https://" + "a" * 248 + ".example.com",  # 268 characters
    ],
)
def test_an_origin_longer_than_any_origin_is_refused_before_any_regex(
    hardened: tuple[dict[str, int], Path], origin: str
) -> None:
    ports, root = hardened
    assert len(origin) > 267
    reply = ask(ports["long"], "/", origin)
    assert (reply.status, cors_names(reply)) == (403, [])  # unlisted reject
    preflight = ask(ports["long"], "/", origin, "OPTIONS", Access_Control_Request_Method="GET")
    assert (preflight.status, cors_names(preflight)) == (403, [])
    deny = ask(ports["deny"], "/", origin)  # `origins *`: not allowed either
    assert (deny.status, cors_names(deny)) == (200, [])
    assert "pcre" not in (root / "logs" / "error.log").read_text()


def test_the_longest_origin_is_still_allowed(hardened: tuple[dict[str, int], Path]) -> None:
    origin = "https://" + "a" * 247 + ".example.com"
    assert len(origin) == 267
    reply = ask(hardened[0]["long"], "/", origin)
    assert reply.values("Access-Control-Allow-Origin") == [origin]


@pytest.mark.parametrize("origin", [None, "https://any.example", "null", "https://a" * 100])
def test_static_mode_sends_expose_on_every_actual_response(
    hardened: tuple[dict[str, int], Path], origin: str | None
) -> None:
    ports = hardened[0]
    reply = ask(ports["static"], "/", origin)
    assert reply.values("Access-Control-Allow-Origin") == ["*"]
    assert reply.values("Access-Control-Expose-Headers") == ["X-Request-Id, X-Total"]
    assert reply.values("Vary") == []
    exact = ask(ports["static_exact"], "/", origin)
    assert exact.values("Access-Control-Allow-Origin") == ["https://app.example.com"]
    assert exact.values("Access-Control-Allow-Credentials") == ["true"]
    assert exact.values("Access-Control-Expose-Headers") == ["X-Request-Id"]
    assert exact.values("Vary") == []


def test_static_mode_preflights_carry_no_expose(hardened: tuple[dict[str, int], Path]) -> None:
    ports = hardened[0]
    for method, status in (("PUT", 204), ("DELETE", 403)):
        reply = ask(
            ports["static"],
            "/",
            "https://a.example",
            "OPTIONS",
            Access_Control_Request_Method=method,
        )
        assert reply.status == status
        assert reply.values("Access-Control-Allow-Origin") == ["*"]
        assert reply.values("Access-Control-Expose-Headers") == []


@pytest.mark.parametrize("method", ["patch", "M1", "FOO.BAR", "Get", "x-custom"])
def test_nginx_answers_400_to_a_method_it_does_not_serve_so_its_preflight_is_refused(
    hardened: tuple[dict[str, int], Path], method: str
) -> None:
    port = hardened[0]["deny"]
    actual = ask(port, "/", "https://app.example", method)
    assert (actual.status, cors_names(actual)) == (400, [])
    preflight = ask(
        port, "/", "https://app.example", "OPTIONS", Access_Control_Request_Method=method
    )
    assert (preflight.status, cors_names(preflight)) == (403, [])


@pytest.mark.parametrize("method", ["PATCH", "X_CUSTOM", "FOO-BAR"])
def test_methods_nginx_serves_are_reflected(
    hardened: tuple[dict[str, int], Path], method: str
) -> None:
    port = hardened[0]["deny"]
    preflight = ask(
        port, "/", "https://app.example", "OPTIONS", Access_Control_Request_Method=method
    )
    assert preflight.status == 204
    assert preflight.values("Access-Control-Allow-Methods") == [method]
    assert ask(port, "/", "https://app.example", method).status == 200


@pytest.mark.parametrize(
    ("path", "governed"),
    [("/caf%C3%A9", True), ("/caf%C3%A9/x", True), ("/caf%C3%A9x", False), ("/cafe", False)],
)
def test_a_utf8_path_prefix_is_matched_on_the_decoded_path(
    hardened: tuple[dict[str, int], Path], path: str, governed: bool
) -> None:
    reply = ask(hardened[0]["cafe"], path, "https://app.example.com")
    assert reply.status == 200
    assert reply.values("Access-Control-Allow-Origin") == (
        ["https://app.example.com"] if governed else []
    )


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    denies=st.lists(DENY_PATTERNS, min_size=1, max_size=4, unique=True),
    variant=st.sampled_from(["maps", "a2"]),
)
def test_generated_denies_refuse_their_trailing_dot_forms(denies: list[str], variant: str) -> None:
    """Whatever is denied, nginx refuses the Origin with a dot at the end of the host exactly
    when the Origin without it is denied (the definition, not the evaluator's answer)."""
    text = policy_text(denies)
    compiled = compile_policy("dots", text, "prefix=dd", f"variant={variant}")
    denied = list(compiled.policy_set.policies[0].denies)
    probes = [o for sample in instances(compiled.policy_set) for o in (sample, dotted(sample))]
    probes += [dotted(o) for o in ("https://evil.test", "http://bad.test:81", "https://q-7.test")]
    with tempfile.TemporaryDirectory() as directory:
        nginx = Nginx(Path(directory))

        def build(ports: list[int]) -> tuple[str, dict[str, str]]:
            server = (
                f"server {{ listen 127.0.0.1:{ports[0]};\n{server_includes(compiled.files)}\n"
                f"{compiled.server}\n}}"
            )
            return http_includes(compiled.files) + "\n" + server, compiled.files

        twins_refused = 0
        try:
            (port,) = nginx.serve(build, 1)
            for origin in probes:
                denied_here = refused(denied, origin)
                reply = ask(port, "/", origin)
                expected = [] if denied_here else [origin]
                assert reply.values("Access-Control-Allow-Origin") == expected, (text, origin)
                twins_refused += denied_here and (origin.endswith(".") or ".:" in origin)
        finally:
            nginx.stop()
    assert twins_refused  # the probes reach the dotted form of some denied origin
