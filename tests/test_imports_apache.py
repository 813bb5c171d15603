"""``corsc import`` of Apache httpd configurations: corsc's own apache output (the goldens, with
``paths`` and several policies, and policies compiled here in the virtualhost and htaccess
placements: deny, credentials, unlisted reject, origin blocks, static ``*``, a regex,
preflight-status 200, private network) reads back to a policy with the same verdicts at every
path prefix; hand-written configurations read to the policy they mean, with their mistakes
at their lines; and the machine that reads a configuration answers as a real Apache does."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from attrs import frozen
from generated_policies import ORIGINS as GENERATED_ORIGINS
from generated_policies import policies as generated_policies
from hypothesis import HealthCheck, assume, given, settings
from importing import FIXTURES, ask, every, policy_of, verdicts
from test_imports_caddy import HEADERS as CADDY_HEADERS
from test_imports_caddy import METHODS
from test_imports_caddy import ORIGINS as CADDY_ORIGINS
from test_imports_caddy import POLICIES as CADDY_POLICIES

from corsc import __version__
from corsc.backends import EmitOptions, check, get
from corsc.diagnostics import fails
from corsc.frontend import load
from corsc.imports import guess, import_source
from corsc.imports.apache import prefix_of, sites
from corsc.imports.apache_machine import Machine
from corsc.imports.apache_syntax import parse, walk
from corsc.imports.apache_tests import candidates
from corsc.imports.probes import UNLISTED, Probes
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
    requests = every(origins, METHODS, HEADERS)
    return {
        shared
        for path in prefixes(original)
        for shared in verdicts(original, back, requests, reasons=reasons, path=path)
    }


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


#: Each policy in each placement that takes it (a .htaccess or a <Location> holds one policy
#: without paths).
COMPILED = [
    (name, placement)
    for name in sorted(POLICIES)
    for placement in ("virtualhost", "htaccess", "location")
    if not (placement != "virtualhost" and name == "paths")
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


@pytest.mark.parametrize("placement", ["virtualhost", "htaccess"])
@settings(
    max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(text=generated_policies())
def test_generated_policies_round_trip_through_apache(placement: str, text: str) -> None:
    """Any policy the apache target compiles imports back with the same verdicts, from a
    virtual host or a .htaccess."""
    loaded = load(Source("t.cors", text))
    assert loaded.policy_set is not None
    options = EmitOptions(__version__, "t.cors", "apache", {})
    diagnostics = list(loaded.diagnostics) + check(get("apache"), loaded.policy_set, options)
    assume(not fails(diagnostics))
    name = ".htaccess" if placement == "htaccess" else "cors.conf"
    result = import_source(Source(name, compiled(text, placement)), "apache")
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

#: Fixtures the machine answers nothing for (CORS701, CORS703 before any answer); the last is
#: served all the same, to show what Apache sends instead.
NOT_RUN = {"unclosed.conf", "remote-addr.conf"}
SERVED_ONLY = "format-i.conf"


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
    status, headers = ask(port, path, method, fields)
    return status, sorted((k, v) for k, v in headers if k.startswith("access-control-"))


_FIELDS = (
    ("Origin", "$http_origin"),
    ("Access-Control-Request-Method", "$http_access_control_request_method"),
    ("Access-Control-Request-Headers", "$http_access_control_request_headers"),
    ("Access-Control-Request-Private-Network", "$http_access_control_request_private_network"),
)


MACHINE_CASES = [i for i, case in enumerate(live_cases()) if case.name != SERVED_ONLY]


@pytest.mark.parametrize("index", MACHINE_CASES, ids=[live_cases()[i].name for i in MACHINE_CASES])
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


def test_percent_i_in_a_header_value_is_apaches_idle_percentage(
    live: list[tuple[Live, int, str]],
) -> None:
    """What CORS703 says of ``%{Origin}i`` (format-i.conf) is what Apache sends: ``i=``
    and a number, not the Origin."""
    (port,) = [port for case, port, _ in live if case.name == SERVED_ONLY]
    _, headers = _ask(port, "/x", "GET", [("Origin", "https://partner.example")])
    assert len(headers) == 1 and headers[0][0] == "access-control-allow-origin", headers
    assert re.fullmatch(r"i=\d+", headers[0][1]), headers


# ---- hand-written configurations --------------------------------------------------------------

FIXTURE_POLICIES = {
    "star.htaccess": (
        "# from line 1\npolicy site {\n  origins     *\n}\n",
        [("CORS712", 3)],
    ),
    "reflect-setenvif.conf": (
        "# from line 1\npolicy api_example_com {\n"
        '  origins     "http://example.com", "http://www.example.com", "https://example.com", '
        '"https://www.example.com"\n'
        "  methods     GET, POST, OPTIONS\n"
        "  headers     Content-Type, Authorization\n"
        "  credentials true\n}\n",
        [],
    ),
    "unanchored.htaccess": (
        '# from line 1\npolicy site {\n  origins     regex ".*\\.example\\.com"\n'
        "  methods     GET, POST\n}\n",
        [("CORS706", 2)],
    ),
    "several-origins.conf": (
        "# from line 1\npolicy api_example_com {\n"
        '  origins     "https://app.example.com", "https://admin.example.com"\n'
        "  methods     GET, POST, PUT\n}\n",
        [("CORS704", 3)],
    ),
    "wildcard-credentials.conf": (
        "# from line 1\npolicy site {\n  origins     *\n  methods     GET, POST\n"
        "  credentials true\n}\n",
        [("CORS711", 2)],
    ),
    "options-200.htaccess": (
        '# from line 1\npolicy site {\n  origins     "https://app.example.com"\n'
        "  methods     GET, POST, PUT, DELETE, OPTIONS\n"
        "  headers     Content-Type, Authorization, X-Requested-With\n"
        "  max-age     86400\n  preflight-status 200\n}\n",
        [("CORS708", 8)],
    ),
    "header-add.conf": (
        "# from line 1\npolicy cdn_example_com {\n  origins     *\n}\n",
        [("CORS712", 4), ("CORS710", 6), ("CORS712", 6)],
    ),
    "if-origin.conf": (
        "# from line 1\npolicy api_example_com {\n"
        '  origins     "https://app.example.com", "https://admin.example.com"\n'
        "  methods     GET, POST, DELETE\n  expose      X-Request-Id\n  credentials true\n}\n",
        [],
    ),
    "rewrite-env.conf": (
        "# from line 1\npolicy api_example_com {\n"
        '  origins     "https://example.com", "https://example.org", "https://www.example.com", '
        '"https://www.example.org"\n'
        "  methods     GET, POST, PUT, DELETE\n  headers     Content-Type, Authorization\n"
        "  max-age     600\n}\n",
        [],
    ),
    "location-api.conf": (
        '# from line 3\npolicy api {\n  paths       "/api"\n'
        '  origins     "https://app.example.com"\n  methods     GET, POST\n'
        "  headers     Content-Type\n}\n\n"
        '# from line 8\npolicy public {\n  paths       "/public"\n  origins     *\n}\n',
        [],
    ),
    "setenvifexpr-list.conf": (
        "# from line 1\npolicy site {\n"
        '  origins     "https://app.example.com", "https://admin.example.com"\n'
        "  headers     Authorization\n  credentials true\n}\n",
        [],
    ),
    "reflect-any.conf": (
        "# from line 1\npolicy site {\n  origins     *\n  credentials true\n}\n",
        [("CORS705", 2), ("CORS711", 3)],
    ),
    "location-preflight.conf": (
        '# from line 5\npolicy api {\n  paths       "/api/"\n'
        '  origins     "https://app.example.com"\n  methods     GET, PUT\n}\n',
        [("CORS703", 5), ("CORS708", 5)],
    ),
    "directory-rewrite.conf": (
        "# from line 1\npolicy static_example_com {\n"
        '  origins     "https://docs.example.com", "https://www.example.com"\n'
        "  methods     GET\n}\n",
        [("CORS703", 11)],
    ),
    "format-i.conf": (None, [("CORS703", 3)]),
    "remote-addr.conf": (None, [("CORS703", 2)]),
    "unclosed.conf": (None, [("CORS701", 4)]),
}


def test_every_fixture_has_its_expected_import() -> None:
    assert sorted(FIXTURE_POLICIES) == sorted(p.name for p in (FIXTURES / "apache").iterdir())


@pytest.mark.parametrize("name", sorted(FIXTURE_POLICIES))
def test_a_hand_written_configuration_imports_to_the_policy_it_means(name: str) -> None:
    assert fixture(name) == FIXTURE_POLICIES[name]


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("star.htaccess", "without `always`"),
        ("unanchored.htaccess", "`\\.example\\.com$` is not anchored"),
        ("several-origins.conf", "names 2 origins in one value"),
        ("header-add.conf", "access-control-allow-origin is sent twice"),
        ("options-200.htaccess", "every OPTIONS request is answered"),
        ("reflect-any.conf", "sends back every request's Origin, unchecked"),
        ("format-i.conf", "%{Origin}i in a Header value is mod_headers' idle percentage"),
        ("remote-addr.conf", "SetEnvIf Remote_Addr tests what corsc cannot know"),
        ("unclosed.conf", "</VirtualHost> closes <IfModule> (opened on line 2)"),
        ("location-preflight.conf", "while a policy's path /api/ also governs /api"),
        ("directory-rewrite.conf", "RewriteRule ^app\\.json$ selects paths by a regex"),
    ],
)
def test_each_finding_says_what_apache_does(name: str, words: str) -> None:
    result = import_source(Source(name, (FIXTURES / "apache" / name).read_text()))
    assert any(words in item.message for item in result.diagnostics), result.diagnostics


def test_every_imported_fixture_policy_parses() -> None:
    for name, (policy, _) in FIXTURE_POLICIES.items():
        if policy is not None:
            result = import_source(Source(name, (FIXTURES / "apache" / name).read_text()))
            policy_of(result)


# ---- the reading, piece by piece -------------------------------------------------------------


def codes_at(text: str, name: str = "httpd.conf") -> list[tuple[str, int]]:
    result = import_source(Source(name, text), "apache")
    return [(item.code, item.span.start.line) for item in result.diagnostics]


def policy_text(text: str, name: str = "httpd.conf") -> str:
    result = import_source(Source(name, text), "apache")
    assert result.policy is not None, result.diagnostics
    return result.policy


def test_words_and_lines_are_read_as_apache_reads_them() -> None:
    text = (
        "# a comment\n"
        'Header always set Access-Control-Allow-Origin "https://a.example" \\\n'
        "    env=!NOPE\n"
        "Header always set Access-Control-Allow-Methods 'GET, \"PUT\"' # not a comment\n"
    )
    (node, other) = parse(text)
    assert (node.name, node.args, node.line) == (
        "Header",
        ["always", "set", "Access-Control-Allow-Origin", "https://a.example", "env=!NOPE"],
        2,
    )
    assert other.args[3:] == ['GET, "PUT"', "#", "not", "a", "comment"]
    assert parse('Header set X "a \\"b\\" c"')[0].args == ["set", "X", 'a "b" c']


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("<IfModule mod_headers.c>\nHeader set A b\n", 1, "never closed"),
        ("</Location>\n", 1, "closes no section"),
        ('<If "true">\n</Location>\n', 2, "closes <If>"),
        ("<Location /a\n</Location>\n", 1, "lacks its `>`"),
    ],
)
def test_an_unreadable_configuration_is_cors701(text: str, line: int, words: str) -> None:
    result = import_source(Source("httpd.conf", text), "apache")
    assert [(d.code, d.span.start.line) for d in result.diagnostics] == [("CORS701", line)]
    assert words in result.diagnostics[0].message


def test_expressions_with_parentheses_negation_and_alternatives() -> None:
    text = (
        "<If \"!(%{REQUEST_METHOD} == 'OPTIONS') && (req('Origin') == 'https://a.example' "
        "|| %{HTTP:Origin} == 'https://b.example') && -z req('Access-Control-Request-Method')\">\n"
        '    Header always set Access-Control-Allow-Origin "expr=%{req:Origin}"\n'
        "</If>\n"
    )
    assert '  origins     "https://a.example", "https://b.example"\n' in policy_text(text)


def test_rewrite_conditions_chained_with_or() -> None:
    text = (
        "RewriteEngine On\n"
        "RewriteCond %{HTTP:Origin} =https://a.example [OR]\n"
        "RewriteCond %{HTTP:Origin} =https://b.example\n"
        "RewriteRule ^ - [E=OK:1]\n"
        'Header always set Access-Control-Allow-Origin "%{OK}e"\n'
    )
    result = import_source(Source("httpd.conf", text), "apache")
    # %{OK}e is the text 1 (or "(null)"), never an origin: nothing is allowed.
    assert [d.code for d in result.diagnostics] == ["CORS703"]
    text = text.replace('"%{OK}e"', '"expr=%{req:Origin}" env=OK')
    assert '  origins     "https://a.example", "https://b.example"\n' in policy_text(text)


def test_an_include_is_cors715_and_what_selects_by_regex_is_cors703() -> None:
    text = (
        "Include conf.d/cors.conf\n"
        '<LocationMatch "^/api/">\n'
        '    Header always set Access-Control-Allow-Origin "*"\n'
        "</LocationMatch>\n"
        'Header always set Access-Control-Allow-Origin "https://a.example"\n'
        "RewriteEngine On\n"
        'RewriteRule "\\.json$" - [E=JSON:1]\n'
    )
    assert codes_at(text) == [("CORS715", 1), ("CORS703", 2), ("CORS703", 7)]


def test_a_rule_that_rewrites_the_url_is_cors703() -> None:
    text = (
        "RewriteEngine On\n"
        "RewriteRule ^/old/(.*)$ /new/$1 [L]\n"
        'Header always set Access-Control-Allow-Origin "*"\n'
    )
    assert codes_at(text) == [("CORS703", 2)]


def test_header_unset_edit_and_setifempty_are_followed() -> None:
    text = (
        'Header always set Access-Control-Allow-Origin "https://a.example"\n'
        'Header always setifempty Access-Control-Allow-Origin "https://c.example"\n'
        'Header always set Access-Control-Allow-Methods "GET, PUT, DELETE"\n'
        'Header always edit* Access-Control-Allow-Methods ",\\s*DELETE" ""\n'
        "Header always unset Access-Control-Max-Age \"expr=%{REQUEST_METHOD} == 'OPTIONS'\"\n"
        'Header always set Access-Control-Max-Age "60"\n'
    )
    policy = policy_text(text)
    assert '  origins     "https://a.example"\n' in policy
    assert "  methods     GET, PUT\n" in policy
    assert "  max-age     60\n" in policy


def test_location_is_a_segment_prefix_and_nested_sections_merge_in_order() -> None:
    text = (
        "<VirtualHost *:80>\n"
        '  Header always set Access-Control-Allow-Origin "https://a.example"\n'
        "  <Location /api/>\n"
        '    Header always set Access-Control-Allow-Origin "https://b.example"\n'
        "  </Location>\n"
        "</VirtualHost>\n"
    )
    policy = policy_text(text)
    assert 'paths       "/api/"' in policy and 'origins     "https://b.example"' in policy
    assert 'origins     "https://a.example"' in policy


def test_the_format_is_guessed_from_apache_directives_only() -> None:
    assert guess("<IfModule mod_headers.c>\n  Header set A b\n</IfModule>\n") == "apache"
    assert guess("SetEnvIf Origin x y\n") == "apache"
    assert guess('<?xml version="1.0"?>\n<configuration/>\n') == "iis"
    assert guess("server {\n  add_header X y;\n}\n") == "nginx"


def test_setenvif_on_the_method_and_unsetting_a_variable() -> None:
    text = (
        'SetEnvIf Origin "^https://(a|b)\\.example$" CORS=$0\n'
        'SetEnvIf Origin "^https://b\\.example$" !CORS\n'
        "SetEnvIf Request_Method OPTIONS PREFLIGHT\n"
        "RewriteEngine On\n"
        "RewriteCond %{ENV:PREFLIGHT} =1\n"
        "RewriteCond %{ENV:CORS} !^$\n"
        "RewriteRule ^ - [R=204,L]\n"
        'Header always set Access-Control-Allow-Origin "%{CORS}e" env=CORS\n'
        'Header always set Access-Control-Allow-Methods "PUT" env=PREFLIGHT\n'
    )
    result = import_source(Source("httpd.conf", text), "apache")
    assert result.diagnostics == ()
    assert (result.policy or "").split("\n", 3)[3] == (
        '# from line 1\npolicy site {\n  origins     "https://a.example"\n  methods     PUT\n}\n'
    )


def test_setenvif_on_another_request_header_is_cors703() -> None:
    text = (
        'SetEnvIf User-Agent "curl" CLI\n'
        'Header always set Access-Control-Allow-Origin "*" env=!CLI\n'
    )
    result = import_source(Source("httpd.conf", text), "apache")
    assert [(d.code, d.span.start.line) for d in result.diagnostics] == [("CORS703", 1)]
    assert "SetEnvIf User-Agent tests what corsc cannot know" in result.diagnostics[0].message


def test_a_rule_prefix_of_text_is_cors703_and_still_a_policy_for_its_path() -> None:
    text = (
        "RewriteEngine On\n"
        'RewriteRule "^/api" - [E=API:1]\n'
        'Header always set Access-Control-Allow-Origin "https://a.example" env=API\n'
    )
    result = import_source(Source("httpd.conf", text), "apache")
    assert [(d.code, d.span.start.line) for d in result.diagnostics] == [("CORS703", 2)]
    assert "/apix is answered as /api is" in result.diagnostics[0].message
    assert (result.policy or "").split("\n", 3)[3] == (
        '# from line 2\npolicy api {\n  paths       "/api"\n  origins     "https://a.example"\n}\n'
    )
