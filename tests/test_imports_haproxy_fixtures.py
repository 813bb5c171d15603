"""``corsc import`` of hand-written HAProxy configurations: each fixture (the classic static
``*``, an Origin reflected unchecked, look-alike tests, every OPTIONS answered, ``*`` with
credentials, several origins in one value, maps and pattern files of origins, http-response
against http-after-response, paths, backends, converters, captures) reads to the policy
reviewed here with its findings at their lines; words split as HAProxy splits them; what
HAProxy refuses is CORS701 and what the machine cannot know CORS703."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from importing import FIXTURES

from corsc.cli import main
from corsc.diagnostics import Severity
from corsc.frontend import load
from corsc.imports import guess, import_source
from corsc.imports.haproxy_config import words
from corsc.source import Source

HAPROXY_FIXTURES = FIXTURES / "haproxy"


def fixture(name: str) -> tuple[str | None, list[tuple[str, int]]]:
    path = HAPROXY_FIXTURES / name
    result = import_source(Source(str(path), path.read_text()))
    assert result.family == "haproxy"
    if result.policy is not None:
        back = load(Source("imported.cors", result.policy))
        assert back.policy_set is not None, result.policy
    body = result.policy.split("\n", 3)[3] if result.policy else None
    return body, [(item.code, item.span.start.line) for item in result.diagnostics]


FIXTURE_POLICIES: dict[str, tuple[str | None, list[tuple[str, int]]]] = {
    "static-star.cfg": (
        "# from line 10\npolicy www {\n  origins     *\n  methods     GET, POST, OPTIONS\n"
        "  headers     Content-Type\n}\n",
        [("CORS712", 13), ("CORS714", 13)],
    ),
    "reflect-unchecked.cfg": (
        "# from line 10\npolicy www {\n  origins     *\n  credentials true\n}\n",
        [("CORS705", 13), ("CORS711", 14)],
    ),
    "reg-unanchored.cfg": (
        '# from line 10\npolicy www {\n  origins     regex ".*example\\.com.*"\n'
        "  methods     GET, POST\n}\n",
        [("CORS706", 12)],
    ),
    "sub-look-alike.cfg": (
        '# from line 10\npolicy www {\n  origins     regex ".*example\\.com.*"\n}\n',
        [("CORS706", 12)],
    ),
    "end-look-alike.cfg": (
        '# from line 10\npolicy www {\n  origins     regex ".*example\\.com", '
        '"https://app.example.net"\n  expose      X-Request-Id\n}\n',
        [("CORS706", 12)],
    ),
    "options-answered.cfg": (
        "# from line 10\npolicy www {\n  origins     *\n  methods     GET, PUT, DELETE\n"
        "  headers     *\n  max-age     86400\n  preflight-status 200\n}\n",
        [("CORS708", 13)],
    ),
    "star-credentials.cfg": (
        "# from line 10\npolicy www {\n  origins     *\n  credentials true\n}\n",
        [("CORS714", 12), ("CORS711", 13)],
    ),
    "several-origins.cfg": (
        '# from line 10\npolicy www {\n  origins     "https://app.example.com", '
        '"https://admin.example.com"\n  methods     GET, POST\n}\n',
        [("CORS704", 12), ("CORS714", 12)],
    ),
    "map-origins.cfg": (
        "# from line 10\npolicy www {\n"
        '  origins     "https://app.example.com", "https://admin.example.com"\n'
        "  methods     GET, POST, PUT\n  headers     Content-Type, Authorization\n"
        "  credentials true\n  max-age     600\n\n"
        '  origin "https://reports.example.com" {\n    methods     GET\n'
        "    credentials false\n  }\n}\n",
        [],
    ),
    "pattern-file.cfg": (
        "# from line 10\npolicy www {\n"
        '  origins     "https://app.example.com", "https://partner.example.org"\n'
        "  methods     GET, POST\n  headers     Content-Type\n}\n",
        [],
    ),
    "path-api.cfg": (
        '# from line 10\npolicy api {\n  paths       "/api"\n'
        '  origins     "https://app.example.com"\n  credentials true\n}\n',
        [],
    ),
    "backend-rules.cfg": (
        '# from line 10\npolicy v1 {\n  paths       "/v1"\n'
        '  origins     "https://app.example.com", "https://m.example.com"\n'
        "  methods     GET, PATCH\n  max-age     300\n}\n",
        [("CORS703", 10)],
    ),
    "path-beg.cfg": (
        '# from line 10\npolicy api {\n  paths       "/api"\n'
        '  origins     "https://app.example.com"\n}\n',
        [("CORS703", 10)],
    ),
    "converters.cfg": (
        "# from line 10\npolicy www {\n"
        '  origins     "https://*.example.com", "http://*.example.com"\n'
        '  deny        "https://legacy.example.com", "http://legacy.example.com"\n'
        "  methods     GET, POST, PUT\n  expose      X-Kind-INTERNAL\n  max-age     60\n\n"
        '  origin "https://*.partner.example.org" {\n    methods     GET, PATCH\n'
        "    expose      X-Kind-PARTNER\n  }\n\n"
        '  origin "http://*.partner.example.org" {\n    methods     GET, PATCH\n'
        "    expose      X-Kind-PARTNER\n  }\n\n"
        '  origin regex "https://pr-[0-9]+\\.preview\\.example\\.com" {\n'
        "    methods     GET\n    expose      X-Kind-PREVIEW\n  }\n}\n",
        [],
    ),
    "capture-tls.cfg": (
        "# from line 10\npolicy www {\n"
        '  origins     "https://app.example.com", "https://admin.example.com"\n'
        "  methods     GET, POST, DELETE\n  headers     Authorization\n"
        "  credentials true\n}\n",
        [],
    ),
    "broken.cfg": (None, [("CORS701", 3)]),
    "response-acl.cfg": (None, [("CORS712", 14), ("CORS712", 14)]),
}


@pytest.mark.parametrize("name", sorted(FIXTURE_POLICIES))
def test_a_hand_written_configuration_imports_as_reviewed(name: str) -> None:
    assert fixture(name) == FIXTURE_POLICIES[name]


def test_every_fixture_is_reviewed() -> None:
    assert {p.name for p in HAPROXY_FIXTURES.glob("*.cfg")} == set(FIXTURE_POLICIES)
    assert len(FIXTURE_POLICIES) >= 10


def test_the_findings_say_what_haproxy_does() -> None:
    path = HAPROXY_FIXTURES / "end-look-alike.cfg"
    result = import_source(Source(str(path), path.read_text()))
    assert result.diagnostics[0].message == (
        "the Origin test `-m end example.com` also admits look-alikes such as "
        "https://evilexample.com"
    )
    path = HAPROXY_FIXTURES / "static-star.cfg"
    result = import_source(Source(str(path), path.read_text()))
    assert "its own (a `return`, a `deny`, a 503" in result.diagnostics[0].message
    assert result.diagnostics[1].severity is Severity.INFO


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("acl a hdr(o) -m reg example\\.com", ["acl", "a", "hdr(o)", "-m", "reg", "example\\.com"]),
        ("x 'a b' \"c d\" e\\ f", ["x", "a b", "c d", "e f"]),
        ("x 'it'\\''s' # a comment", ["x", "it's"]),
        ('x "a\\"b" \'\\n\' "\\x41"', ["x", 'a"b', "\\n", "A"]),
        ("x a$b 'a$' \"a\\$\" a\\$", ["x", "a$b", "a$", "a$", "a\\$"]),
        ("x a#b", ["x", "a"]),
    ],
)
def test_words_are_split_as_haproxy_splits_them(raw: str, expected: list[str]) -> None:
    assert list(words(raw, 1).words) == expected


#: Configurations HAProxy would not read (CORS701), or whose answers hang on what the machine
#: cannot know (CORS703): the findings (code, line) and a part of one's message.
REFUSED = [
    ("frontend www\n    http-request set-var(txn.x) 'a\n", [("CORS701", 2)], "never closed"),
    (
        "frontend www\n    http-request deny if { hdr(origin) -m str x\n",
        [("CORS701", 2)],
        "never closed",
    ),
    ("frontend www\n    acl a req.hdr(origin) -z x\n", [("CORS701", 2)], "flag -z"),
    ('frontend www\n    acl a req.hdr(origin) -m reg "x$"\n', [("CORS701", 2)], "forbidden"),
    ("frontend www\n    acl a var(txn.a) eq 1\n", [("CORS701", 2)], "needs its match method"),
    (
        "frontend www\n"
        '    http-after-response set-header Access-Control-Allow-Origin "%[req.hdr(origin)]"\n',
        [("CORS701", 2)],
        "req.hdr may not be reliably used here",
    ),
    (
        "frontend www\n    bind :80\n    acl ours hdr(host) -m str api.example.com\n"
        "    http-request set-var(txn.ours) bool(1) if ours\n"
        "    http-after-response set-header Access-Control-Allow-Origin *"
        " if { var(txn.ours) -m bool }\n",
        [("CORS703", 3)],
        "request header host",
    ),
    (
        "frontend www\n    bind :80\n    bind :443 ssl crt /etc/site.pem\n"
        "    http-request redirect scheme https unless { ssl_fc }\n"
        '    http-after-response set-header Access-Control-Allow-Origin "*"\n',
        [("CORS703", 4)],
        "ssl_fc depends on the bind line the request came in by",
    ),
    (
        "frontend www\n    bind :80\n    http-request lua.cors\n"
        '    http-after-response set-header Access-Control-Allow-Origin "*"\n',
        [("CORS703", 3)],
        "http-request lua.cors is an action corsc does not follow",
    ),
    (
        "frontend www\n    http-request set-var(txn.a) ''\n",
        [("CORS701", 2)],
        "an empty sample expression",
    ),
    (
        "frontend www\n    bind :80\n    default_backend app\nbackend app\n"
        "    server a 1.2.3.4:80\n"
        '    http-request set-var-fmt(txn.a) "$ALLOWED"\n'
        '    http-after-response set-header Access-Control-Allow-Origin "%[var(txn.a)]"\n',
        [("CORS703", 1), ("CORS703", 6)],
        "$ALLOWED is an environment variable",
    ),
]


@pytest.mark.parametrize(("text", "found", "message"), REFUSED)
def test_what_haproxy_refuses_or_the_machine_cannot_know_is_reported_at_its_line(
    text: str, found: list[tuple[str, int]], message: str
) -> None:
    result = import_source(Source("haproxy.cfg", text), "haproxy")
    assert [(d.code, d.span.start.line) for d in result.diagnostics] == found
    assert any(message in item.message for item in result.diagnostics)
    assert result.policy is None


def test_a_configuration_without_cors_is_cors702() -> None:
    text = (
        "frontend www\n    bind :80\n    default_backend app\n"
        "backend app\n    server a 1.2.3.4:80\n"
    )
    assert guess(text) == "haproxy"
    result = import_source(Source("haproxy.cfg", text))
    assert [d.code for d in result.diagnostics] == ["CORS702"]


#: Rules HAProxy would refuse or that read what no request tells: each is a finding, never a
#: traceback.
MALFORMED = [
    "http-request set-var(txn.x)",
    "http-request set-var(txn.x) int(abc)",
    "http-request set-var-fmt(txn.x)",
    "http-request return status abc",
    "http-request return status",
    "http-request deny deny_status x",
    "http-request capture req.hdr(origin) len x",
    "http-request capture",
    "capture request header Origin len x",
    "capture request header",
    "acl a",
    "acl",
    "acl a req.hdr(origin) -m int abc\n    http-request deny if a",
    "acl a req.hdr(origin) -m len x:y\n    http-request deny if a",
    "acl a req.hdr(origin) -m\n    http-request deny if a",
    "http-request deny if { }",
    "http-request deny if",
    "http-request deny if !",
    "http-request deny if { req.hdr(origin) }",
    "http-request set-header",
    "http-request del-header",
    "http-response set-status abc",
    "http-after-response set-status",
    "http-request set-var(txn.x) req.hdr(origin),field(a,:)",
    "http-request set-var(txn.x) req.hdr(origin),field()",
    "http-request set-var(txn.x) req.hdr(origin),regsub((,x)",
    "http-request set-var(txn.x) req.hdr(origin),regsub()",
    "http-request set-var(txn.x) req.hdr(origin),map_str()",
    "http-request set-var(txn.x) req.hdr(origin),add(x)",
    "http-request set-var(txn.x) req.hdr(origin),word(1)",
    "http-request set-var(txn.x) int(1),div(0)",
    "http-request set-var(txn.x) req.hdr(origin,abc)",
    "http-request set-var(txn.x) capture.req.hdr(x)",
    "http-request set-var(txn.x) capture.req.hdr(5)",
    "http-request set-var(txn.x) bool()",
    "http-request set-var(txn.x) int()",
    "use_backend",
    "use_backend x if",
    "default_backend",
    "http-request redirect",
    "http-request redirect location /x code abc",
    "http-request set-var(txn.x req.hdr(origin)",
    "http-request set-var() req.hdr(origin)",
    "http-request set-var-fmt(txn.x) %[",
    "http-request set-var-fmt(txn.x) %{+Q}[req.hdr(origin)]",
    "http-request set-var-fmt(txn.x) %ci",
    "http-after-response set-header X %[var(txn.x)",
    "http-request set-var(txn.x) str(a),concat()",
    "http-request set-var(txn.x) str(a),strcmp()",
    "http-request set-var(txn.x) str(a),set-var()",
    "http-request set-var(txn.x) ,lower",
    "http-request set-var(txn.x) lower,",
    "acl a req.hdr(origin) -f\n    http-request deny if a",
    "acl a req.hdr(origin) -m reg (\n    http-request deny if a",
    "acl a req.hdr(origin) -m reg [[:foo:]]\n    http-request deny if a",
    "acl a req.hdr(origin) eq\n    http-request deny if a",
    "acl a req.hdr(origin) -m int eq x\n    http-request deny if a",
    "acl a path_beg\n    http-request deny if a",
    "http-request deny if { req.hdr(origin) -m found } or",
    "http-request deny if || a",
]


@pytest.mark.parametrize("line", MALFORMED)
def test_a_malformed_rule_is_a_finding(line: str) -> None:
    text = (
        "frontend www\n    bind :80\n"
        "    http-after-response set-header Access-Control-Allow-Origin '*'\n"
        f"    {line}\n    default_backend app\nbackend app\n    server a 1.2.3.4:80\n"
    )
    result = import_source(Source("haproxy.cfg", text), "haproxy")
    assert {d.code for d in result.diagnostics} & {"CORS701", "CORS703", "CORS714"}


WORDS = st.sampled_from(
    [
        "http-request", "http-response", "http-after-response", "acl", "a", "if", "unless",
        "!", "{", "}", "||", "set-var(txn.a)", "set-header", "del-header", "return", "deny",
        "status", "204", "hdr", "Access-Control-Allow-Origin", "%[var(txn.a)]", "%[",
        "req.hdr(origin)", "var(txn.a)", "-m", "str", "reg", "int", "found", "len", "-i", "-f",
        "x.map", "https://a.example", "'", '"', "#", "\\", "METH_OPTIONS", "eq", "1:", "capture",
        "use_backend", "b", "req.hdr(origin),map_str(x.map,0)", "regsub(a,b)", "str(x)",
    ]
)  # fmt: skip


@settings(max_examples=150, deadline=None, database=None)
@given(st.lists(st.lists(WORDS, min_size=1, max_size=9), min_size=1, max_size=6))
def test_any_words_give_findings_not_tracebacks(rules: list[list[str]]) -> None:
    body = "".join("    " + " ".join(words) + "\n" for words in rules)
    text = f"frontend www\n    bind :80\n{body}backend b\n    server s 1.2.3.4:80\n"
    result = import_source(Source("haproxy.cfg", text), "haproxy")
    assert result.policy is not None or result.diagnostics


def test_the_command_reads_the_maps_next_to_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`corsc import haproxy.cfg`, run from another directory, reads the map the file names
    beside it, and another file with the same configuration and no map is CORS703."""
    monkeypatch.chdir(tmp_path)
    assert main(["import", str(HAPROXY_FIXTURES / "map-origins.cfg")]) == 0
    out = capsys.readouterr().out
    assert 'origin "https://reports.example.com" {' in out
    alone = tmp_path / "haproxy.cfg"
    alone.write_text((HAPROXY_FIXTURES / "map-origins.cfg").read_text())
    assert main(["import", str(alone)]) == 1
    assert "the file origins.map is not next to the configuration" in capsys.readouterr().err
