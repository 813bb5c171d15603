"""``corsc import`` of Apache httpd configurations: corsc's own apache output (the goldens, with
``paths`` and several policies, and policies compiled here in the virtualhost and htaccess
placements: deny, credentials, unlisted reject, origin blocks, static ``*``, a regex,
preflight-status 200, private network) reads back to a policy with the same verdicts at every
path prefix; hand-written configurations read to the policy they mean, with their mistakes
at their lines; and the machine that reads a configuration answers as a real Apache does."""

from __future__ import annotations

import re
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from attrs import evolve, frozen
from browser import evaluator_server, fetch, script_request
from generated_policies import ORIGINS as GENERATED_ORIGINS
from generated_policies import policies as generated_policies
from hypothesis import HealthCheck, assume, given, settings
from importing import FIXTURES
from test_imports_caddy import HEADERS as CADDY_HEADERS
from test_imports_caddy import METHODS
from test_imports_caddy import ORIGINS as CADDY_ORIGINS
from test_imports_caddy import POLICIES as CADDY_POLICIES

from corsc import __version__
from corsc.backends import EmitOptions, check, get
from corsc.diagnostics import fails
from corsc.evaluate import Evaluator
from corsc.frontend import load
from corsc.imports import guess, import_source
from corsc.imports.answers import UNLISTED, Probes
from corsc.imports.apache import prefix_of, sites
from corsc.imports.apache_machine import Machine
from corsc.imports.apache_syntax import parse, walk
from corsc.imports.apache_tests import candidates
from corsc.ir import PolicySet
from corsc.source import Source
from tests.apache_launcher import Apache, Upstream, free_ports
from tests.conformance_apache import require_apache, virtual_host
from tests.goldens import GOLDEN

ROOT = Path(__file__).resolve().parent.parent
POLICIES = {
    **CADDY_POLICIES,
    "blocks": """policy p {
  origins "https://app.example.com", "https://staging.example.com"
  methods GET, POST
  origin "https://reports.example.com" {
    methods GET
    credentials true
  }
  origin "https://*.partner.example.org" {
    methods GET, PUT
    expose X-Total
  }
}
""",
    "private": """policy p {
  origins "https://app.example.com"
  methods GET
  private-network true
}
""",
    "paths": """policy api {
  paths   "/api", "/v2"
  origins "https://app.example.com"
  methods GET, POST
  credentials true
}

policy admin {
  paths   "/admin"
  origins "https://staging.example.com"
  unlisted reject
}

policy rest {
  origins *
}
""",
}
ORIGINS = (*CADDY_ORIGINS, "https://reports.example.com", "https://partner.example.net")
HEADERS = (*CADDY_HEADERS, (("X-Requested-With", "x"), ("Accept", "a")))


def compiled(text: str, placement: str = "virtualhost") -> str:
    """What ``--target apache -O placement=…`` writes for the policy ``text``."""
    loaded = load(Source("t.cors", text))
    assert loaded.policy_set is not None
    options = EmitOptions(__version__, "t.cors", "apache", {"placement": placement})
    return get("apache").emit(loaded.policy_set, options)[0].content


def prefixes(policy_set: PolicySet) -> list[str]:
    """Every path the round trips ask: each prefix, a path below it, a look-alike beside it,
    and paths no policy names."""
    found = ["/", "/x", "/other/y"]
    for policy in policy_set.policies:
        for path in policy.paths:
            found += [path.value, path.value.rstrip("/") + "/x", path.value + "x"]
    return found


def same_verdicts(
    original: PolicySet, back: PolicySet, origins: tuple[str, ...], reasons: bool = True
) -> set[bool]:
    """Asserts that ``back`` gives every request at every path the browser verdict
    ``original`` gives (with the reason of a network error too when ``reasons``); returns the
    verdicts seen."""
    before, after = evaluator_server(Evaluator(original)), evaluator_server(Evaluator(back))
    seen = set()
    for path in prefixes(original):
        for origin in origins:
            for method in METHODS:
                for headers in HEADERS:
                    for credentials in ("include", "omit"):
                        request = script_request(
                            method, path, origin=origin, headers=headers, credentials=credentials
                        )
                        expected, got = fetch(before, request), fetch(after, request)
                        if not reasons:
                            expected, got = evolve(expected, reason=""), evolve(got, reason="")
                        assert got == expected, (path, origin, method, headers)
                        seen.add(expected.shared)
    return seen


def round_trip(policy: str, text: str, name: str = "cors.conf") -> None:
    assert guess(text) == "apache"
    result = import_source(Source(name, text))
    assert [(item.code, item.message) for item in result.diagnostics] == []
    assert result.policy is not None
    back = load(Source("imported.cors", result.policy))
    original = load(Source("p.cors", policy))
    assert back.policy_set is not None and original.policy_set is not None, result.policy
    assert same_verdicts(original.policy_set, back.policy_set, ORIGINS) == {True, False}


@pytest.mark.parametrize(
    "golden", sorted((GOLDEN / "apache").glob("*.conf")), ids=lambda path: path.name
)
def test_import_of_the_apache_goldens_keeps_every_verdict(golden: Path) -> None:
    example = (ROOT / "examples" / f"{golden.name.split('.')[0]}.cors").read_text()
    round_trip(example, golden.read_text("utf-8"))


def test_every_apache_golden_is_read_back() -> None:
    assert len(list((GOLDEN / "apache").glob("*.conf"))) >= 3


#: Each policy in each placement that takes it (a .htaccess holds one policy without paths).
COMPILED = [
    (name, placement)
    for name in sorted(POLICIES)
    for placement in ("virtualhost", "htaccess")
    if not (placement == "htaccess" and name == "paths")
]


@pytest.mark.parametrize(("name", "placement"), COMPILED)
def test_import_of_compiled_policies_keeps_every_verdict(name: str, placement: str) -> None:
    text = compiled(POLICIES[name], placement)
    round_trip(POLICIES[name], text, ".htaccess" if placement == "htaccess" else "cors.conf")


def test_the_paths_of_several_policies_read_back_as_prefixes() -> None:
    result = import_source(Source("cors.conf", compiled(POLICIES["paths"])))
    assert result.policy is not None
    assert '  paths       "/api", "/v2"\n' in result.policy
    assert '  paths       "/admin"\n' in result.policy


@settings(
    max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(text=generated_policies())
def test_generated_policies_round_trip_through_apache(text: str) -> None:
    """Any policy the apache target compiles imports back with the same verdicts."""
    loaded = load(Source("t.cors", text))
    assert loaded.policy_set is not None
    options = EmitOptions(__version__, "t.cors", "apache", {})
    diagnostics = list(loaded.diagnostics) + check(get("apache"), loaded.policy_set, options)
    assume(not fails(diagnostics))
    result = import_source(Source("cors.conf", compiled(text)), "apache")
    assert [item.code for item in result.diagnostics] == [], (text, result.diagnostics)
    back = load(Source("imported.cors", result.policy or ""))
    assert back.policy_set is not None, result.policy
    same_verdicts(loaded.policy_set, back.policy_set, GENERATED_ORIGINS, reasons=False)


def fixture(name: str) -> tuple[str | None, list[tuple[str, int]]]:
    result = import_source(Source(name, (FIXTURES / "apache" / name).read_text()))
    assert result.family == "apache"
    body = result.policy.split("\n", 3)[3] if result.policy else None
    return body, [(d.code, d.span.start.line) for d in result.diagnostics]


# ---- the machine against a real Apache ---------------------------------------------------------

#: Fixtures the machine answers nothing for (CORS701, CORS703 before any answer).
NOT_RUN = {"unclosed.conf", "remote-addr.conf", "format-i.conf"}


@frozen
class Live:
    """One configuration served by the live Apache: the text served (a virtual host, or a
    .htaccess of its own directory), the paths asked (as Apache and as the machine sees them)."""

    name: str
    text: str
    htaccess: bool


def live_cases() -> list[Live]:
    found = [Live(path.name, path.read_text(), False) for path in sorted(GOLDEN.glob("apache/*"))]
    found += [
        Live(f"{name}.htaccess", compiled(POLICIES[name], "htaccess"), True)
        for name in ("deny", "regex", "private", "static")
    ]
    found += [
        Live(path.name, path.read_text(), path.suffix == ".htaccess")
        for path in sorted((FIXTURES / "apache").iterdir())
        if path.name not in NOT_RUN
    ]
    return found


def served(case: Live, port: int, root: Path, proxy: str) -> str:
    """The virtual host serving ``case`` on 127.0.0.1:``port`` (static files from ``root``'s
    www when it has a DocumentRoot or a .htaccess, else the upstream)."""
    text = re.sub(r"/var/www/\w+", f"{root}/www", case.text)
    text = re.sub(r"(?m)^(\s*)ProxyPass .*$", lambda m: m.group(1) + proxy.strip(), text)
    if case.htaccess:
        return virtual_host(port, f"    DocumentRoot {root}/www\n")
    if not any(node.key == "virtualhost" for node in parse(text)):
        return virtual_host(port, text + "\n" + proxy)
    if "ProxyPass" not in text and "DocumentRoot" not in text:
        text = text.replace("</VirtualHost>", proxy + "</VirtualHost>")
    return re.sub(r"<VirtualHost [^>]*>", f"<VirtualHost 127.0.0.1:{port}>", text)


def static(case: Live, text: str) -> bool:
    """Whether the case is served from static files (not the upstream)."""
    return case.htaccess or "DocumentRoot" in text


def asked_paths(case: Live, text: str) -> list[str]:
    if static(case, text):
        return ["/app.json"]
    nodes = parse(text)
    found = ["/x"]
    for node in walk(nodes):
        prefix = None
        if node.key == "location" and node.args:
            prefix = node.args[0]
        elif node.key == "rewriterule" and node.args:
            prefix = prefix_of(node.args[0], False)
        if prefix is not None:
            found += [prefix, prefix.rstrip("/") + "/x", prefix + "x"]
    return found


@pytest.fixture(scope="module")
def live() -> Iterator[list[tuple[Live, int, str]]]:
    """One Apache serving every live case in a virtual host of its own (a .htaccess case
    from its own directory), in front of the upstream."""
    require_apache()
    cases = live_cases()
    with tempfile.TemporaryDirectory() as temporary, Upstream() as upstream:
        root = Path(temporary)
        server = Apache(root)
        ports = free_ports(len(cases))
        hosts, texts = [], []
        for number, (case, port) in enumerate(zip(cases, ports, strict=True)):
            if case.htaccess:
                server.write(f"www/c{number}/.htaccess", case.text)
                server.write(f"www/c{number}/app.json", "{}")
            text = served(case, port, root, upstream.proxy())
            hosts.append(text)
            texts.append(text)
        server.configure(ports, "".join(hosts))
        checked = server.check()
        assert checked.returncode == 0, checked.stderr
        server.start(ports)
        try:
            yield [(case, port, text) for case, port, text in zip(cases, ports, texts, strict=True)]
        finally:
            server.stop()


def _ask(port: int, path: str, method: str, fields: list[tuple[str, str]]) -> tuple[int, list]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method)
    for name, value in fields:
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, headers = response.status, response.headers.items()
    except urllib.error.HTTPError as error:
        status, headers = error.code, error.headers.items()
    cors = sorted((k.lower(), v) for k, v in headers if k.lower().startswith("access-control-"))
    return status, cors


_FIELDS = (
    ("Origin", "$http_origin"),
    ("Access-Control-Request-Method", "$http_access_control_request_method"),
    ("Access-Control-Request-Headers", "$http_access_control_request_headers"),
    ("Access-Control-Request-Private-Network", "$http_access_control_request_private_network"),
)


@pytest.mark.parametrize("index", range(len(live_cases())), ids=[c.name for c in live_cases()])
def test_apache_answers_as_the_machine_reads(live: list[tuple[Live, int, str]], index: int) -> None:
    """A real Apache 2.4 serving each configuration answers every origin it tests (and
    unlisted ones, and ``null``), every request import asks, at every path it asks, as the
    machine import reads it with predicts: status and Access-Control-* headers, duplicates
    included."""
    case, port, text = live[index]
    if case.htaccess:
        nodes, relative, number = parse(case.text), True, index
    else:
        nodes, relative, number = sites(parse(text))[0][2], False, None
    tests = candidates(nodes)
    values = [arg for node in walk(nodes) if node.key == "header" for arg in node.args]
    probes = Probes.of(value for value in values if "%" not in value and "=" not in value)
    origins = dict.fromkeys([o for t in tests for o in t.witnesses] + [*UNLISTED, "null"])
    asked = 0
    for path in asked_paths(case, text):
        served_path = f"/c{number}{path}" if number is not None else path
        for origin in origins:
            for key, request in probes.requests(origin):
                if key.startswith("a:") and static(case, text):
                    continue  # static files answer other methods 405 themselves
                expected = Machine(nodes, {**request, "$uri": path}, relative).answer()
                fields = [(h, request[v]) for h, v in _FIELDS if request.get(v)]
                got = _ask(port, served_path, request["$request_method"], fields)
                assert got == (
                    expected.status or 200,
                    sorted(h for h in expected.headers if h[0].startswith("access-control-")),
                ), (path, request)
                asked += 1
    assert asked >= 30
