"""``corsc import`` of Caddyfiles: corsc's own caddy output reads back to a policy with the same
verdicts (the golden and policies compiled here: deny, credentials, unlisted reject, static
``*``, expose, max-age, a regex, preflight-status 200, several policies chosen by nested and
escaped ``paths``) at every prefix and at paths none selects, hand-written site blocks (path
matchers too) read to the policies they mean, and what no policy says is a finding at its
line. The machine that reads a Caddyfile is checked against a real Caddy, request by request,
at every path import asks."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from generated_policies import ORIGINS as GENERATED_ORIGINS
from generated_policies import policies as generated_policies
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from importing import FIXTURES, ask, every, policy_of, verdicts

from corsc import __version__
from corsc.backends import EmitOptions, check, get
from corsc.diagnostics import fails
from corsc.frontend import load
from corsc.imports import guess, import_source
from corsc.imports.caddy import prepare, snippets_of
from corsc.imports.caddyfile import parse
from corsc.imports.draft import quote
from corsc.imports.probes import UNLISTED, request_fields
from corsc.ir import PolicySet
from corsc.source import Source
from tests.caddy_launcher import caddy_or_skip, emit_snippet, running
from tests.goldens import GOLDEN

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

POLICIES = {
    "deny": """policy p {
  origins "https://app.example.com", "https://*.partner.example.org"
  deny    "https://legacy.partner.example.org"
  methods GET, PUT
  headers Content-Type
  credentials true
}
""",
    "reject": """policy p {
  origins  "https://app.example.com", "http://localhost:*"
  methods  GET, POST, DELETE
  expose   X-Request-Id
  max-age  600
  unlisted reject
}
""",
    "static": """policy p {
  origins *
  methods GET
  headers X-Api-Key
}
""",
    "regex": """policy p {
  origins regex "^https://pr-[0-9]+\\.preview\\.example\\.com$", "https://staging.example.com"
  headers Authorization
  preflight-status 200
}
""",
    "paths": """policy api {
  paths       "/api", "/caf%C3%A9"
  origins     "https://app.example.com"
  credentials true
}

policy admin {
  paths   "/api/admin"
  origins "https://admin.example.com"
  methods GET, DELETE
}

policy public {
  origins *
}
""",
}
ORIGINS = (
    "https://app.example.com",
    "https://admin.example.com",
    "https://staging.example.com",
    "https://a.partner.example.org",
    "https://legacy.partner.example.org",
    "https://partner.example.org",
    "https://pr-12.preview.example.com",
    "https://pr-x.preview.example.com",
    "http://localhost:3000",
    "https://localhost:3000",
    "http://localhost",
    "https://evil.example",
    "https://app.example.com.evil.example",
    "null",
)
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")
HEADERS = (
    (),
    (("Content-Type", "application/json"),),
    (("Authorization", "Bearer x"),),
    (("X-Api-Key", "1"),),
)


def outputs() -> list[tuple[str, str, str]]:
    """(name, policy text, its caddy snippet): the golden and the policies above."""
    found = []
    for path in sorted((GOLDEN / "caddy").glob("*.caddy")):
        example = path.name.split(".")[0]
        policy = (EXAMPLES / f"{example}.cors").read_text()
        found.append((path.name, policy, path.read_text()))
    for name, text in POLICIES.items():
        found.append((name, text, emit_snippet(text)))
    return found


def site(snippet: str, port: int = 8080) -> str:
    """The snippet imported in a site block whose application answers 200."""
    name = snippet.split("\n(", 1)[1].split(")", 1)[0]
    return (
        "{\n\tadmin off\n\tauto_https off\n}\n"
        f'{snippet}\nhttp://127.0.0.1:{port} {{\n\timport {name}\n\trespond "ok" 200\n}}\n'
    )


@pytest.mark.parametrize(("name", "policy", "snippet"), outputs(), ids=[o[0] for o in outputs()])
@pytest.mark.parametrize("placement", ["snippet", "site"])
def test_import_of_caddy_output_keeps_every_verdict(
    name: str, policy: str, snippet: str, placement: str
) -> None:
    text = snippet if placement == "snippet" else site(snippet)
    assert guess(text) == "caddy"
    result = import_source(Source("Caddyfile", text))
    assert [item.code for item in result.diagnostics] == [], result.diagnostics
    assert result.policy is not None
    back = load(Source("imported.cors", result.policy))
    original = load(Source("p.cors", policy))
    assert back.policy_set is not None and original.policy_set is not None, result.policy
    requests = every(ORIGINS, METHODS, HEADERS)
    for path in paths_of(original.policy_set):
        assert verdicts(original.policy_set, back.policy_set, requests, path=path) == {
            True,
            False,
        }, path


def paths_of(policy_set: PolicySet) -> list[str]:
    """Each prefix of the policies, a path below it, and a path none of them selects."""
    found = ["/x", "/unmatched/x"]
    for policy in policy_set.policies:
        for prefix in policy.paths:
            found += [prefix.value, prefix.value + "/x"]
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ask(
    port: int, method: str, fields: list[tuple[str, str]], target: str = "/x"
) -> tuple[int, list[tuple[str, str]]]:
    status, headers = ask(port, target, method, fields)
    return status, sorted((k, v) for k, v in headers if k.startswith("access-control-"))


def live_configurations() -> list[tuple[str, str]]:
    found = [(name, site(snippet, 0)) for name, _, snippet in outputs()]
    found += [(path.name, path.read_text()) for path in sorted((FIXTURES / "caddy").glob("*"))]
    return found


@pytest.mark.parametrize(
    ("name", "text"), live_configurations(), ids=[n for n, _ in live_configurations()]
)
def test_caddy_answers_as_the_machine_reads(name: str, text: str, tmp_path: Path) -> None:
    """Caddy 2.6 serving the configuration (its sites on one local port) answers every origin
    the configuration tests, and unlisted ones, at every path import asks (each prefix its
    path matchers tell apart, a path below it, in other case, and a path none selects), as the
    machine import reads it with does."""
    caddy = caddy_or_skip()
    port = _free_port()
    served = _local(text, port)
    top = parse(served)
    snippets = snippets_of(top)
    sites = [node for node in top if node.block is not None and node.name.startswith("http://")]
    assert len(sites) == 1, served
    prepared = prepare(sites[0], snippets)
    assert prepared is not None
    run, tests, probes = prepared.run, prepared.tests, prepared.probes
    config = tmp_path / "Caddyfile"
    config.write_text(served, "utf-8")
    with running(caddy, config, tmp_path, port):
        origins = dict.fromkeys([o for t in tests for o in t.witnesses] + [*UNLISTED, "null"])
        asked = 0
        for sample, origin in ((s, o) for s in prepared.samples for o in origins):
            for _, request in probes.requests(origin):
                expected = run(sample.request(request))
                fields = request_fields(request)
                assert _ask(port, request["$request_method"], fields, sample.target) == (
                    expected.status or 200,
                    sorted(h for h in expected.headers if h[0].startswith("access-control-")),
                ), (sample.target, request)
                asked += 1
        assert asked > 30


def _local(text: str, port: int) -> str:
    """``text`` with its one site on 127.0.0.1:``port``, without TLS or the admin endpoint."""
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        if (
            line
            and not line[0].isspace()
            and stripped.endswith("{")
            and not stripped.startswith(("(", "{", "@"))
        ):
            line = f"http://127.0.0.1:{port} {{"
        if stripped.startswith("reverse_proxy "):
            line = '\trespond "ok" 200'  # the application
        lines.append(line)
    body = "\n".join(lines)
    if not body.lstrip().startswith("{"):
        body = "{\n\tadmin off\n\tauto_https off\n}\n" + body
    return body + "\n"


def caddy_fixture(name: str) -> tuple[str | None, list[tuple[str, int, str]]]:
    result = import_source(Source(name, (FIXTURES / "caddy" / name).read_text()))
    assert result.family == "caddy"
    body = result.policy.split("\n", 3)[3] if result.policy else None
    return body, [(d.code, d.span.start.line, d.message) for d in result.diagnostics]


def test_a_hand_written_site_with_a_handle_for_preflights() -> None:
    assert caddy_fixture("preflight-handle.Caddyfile") == (
        "# from line 2\n"
        "policy site {\n"
        '  origins     "https://app.example.com", "https://admin.example.com"\n'
        "  methods     GET, POST, PUT\n"
        "  headers     Content-Type, Authorization\n"
        "  expose      X-Request-Id\n"
        "  credentials true\n"
        "  max-age     3600\n"
        "}\n",
        [],
    )


def test_an_unanchored_header_regexp_in_an_imported_snippet() -> None:
    assert caddy_fixture("snippet-unanchored.Caddyfile") == (
        '# from line 11\npolicy site {\n  origins     regex ".*example\\.com.*"\n'
        "  methods     GET, POST\n}\n",
        [("CORS706", 3, "the origin regex `example\\.com` is not anchored")],
    )


def test_a_path_matcher_is_a_policy_for_its_prefix() -> None:
    """`header /api/* …` is a policy for the prefix /api; that Caddy's matcher leaves /api
    itself out and ignores case, where the policy's prefix does not, is CORS735."""
    assert caddy_fixture("path-matcher.Caddyfile") == (
        '# from line 3\npolicy api {\n  paths       "/api"\n  origins     *\n}\n',
        [
            (
                "CORS714",
                3,
                "these headers answer every request the same, whatever its Origin and method",
            ),
            (
                "CORS735",
                3,
                "the matcher `/api/*` does not select /api itself, but the imported policy's "
                'path "/api" governs it and the paths below it alike',
            ),
            (
                "CORS735",
                3,
                "the matcher `/api/*` ignores case and selects /API/x too; a policy's paths "
                'match case-sensitively, so the imported path "/api" does not',
            ),
        ],
    )


def test_handles_by_path_are_one_policy_per_prefix() -> None:
    """`handle @api` (`path /api /api/*`), `handle /v2/*` and a `handle` for the rest: a
    policy per prefix and the fallback; `path /api /api/*` selects /api and below it as the
    prefix does, so only case is reported there."""
    policy, found = caddy_fixture("paths-handle.Caddyfile")
    assert policy is not None
    assert policy.split("\n\n") == [
        "# from line 4\npolicy api {\n"
        '  paths       "/api"\n'
        '  origins     "https://app.example.com"\n'
        "  methods     GET, POST, PUT\n"
        "  credentials true\n}",
        '# from line 18\npolicy v2 {\n  paths       "/v2"\n'
        '  origins     "https://partner.example.org"\n}',
        "# from line 3\npolicy site {\n  origins     *\n  preflight-status 200\n}\n",
    ]
    # `respond @preflight 204` in the /api handle answers every OPTIONS there (CORS708); the
    # rest of the site's `*` is the same for every request (CORS714).
    assert [(code, line) for code, line, _ in found] == [
        ("CORS735", 4),
        ("CORS708", 15),
        ("CORS735", 18),
        ("CORS735", 18),
        ("CORS714", 23),
    ]
    assert "selects /API too" in found[0][2] and "not select /v2 itself" in found[2][2]


def test_header_lines_with_paths_run_in_caddys_order() -> None:
    """Caddy runs `header` lines longest path first and the one without a matcher last: /api/*
    has the last word below /api/v2, so /api/v2 is no policy of its own, and `?` fills in the
    rest. The origin an Allow-Origin line names is asked about, as a matcher's would be."""
    policy, found = caddy_fixture("paths-sorted.Caddyfile")
    assert policy is not None
    assert [block.split("\n")[1:4] for block in policy.split("\n\n")] == [
        [
            "policy health {",
            '  paths       "/health"',
            '  origins     "https://status.example.com"',
        ],
        ["policy api {", '  paths       "/api"', '  origins     "https://app.example.com"'],
        ["policy site {", "  origins     *", "  preflight-status 200"],
    ]
    # Each path's Allow-Origin is one fixed value, the same for every request (CORS714).
    assert [(code, line) for code, line, _ in found] == [
        ("CORS714", 5),
        ("CORS735", 6),
        ("CORS714", 7),
        ("CORS714", 8),
        ("CORS735", 8),
        ("CORS735", 8),
        ("CORS735", 9),
    ]


@pytest.mark.parametrize(
    ("matcher", "reported"),
    [
        ("path_regexp ^/api(/|$)", []),
        ("path_regexp ^/api/", ["does not select /api itself"]),
        ("path /api", ["selects /api only, not /api/x", "ignores case and selects /API too"]),
        ("path /api /api/*", ["ignores case and selects /API too"]),
    ],
)
def test_a_hand_written_path_matcher_is_a_prefix(matcher: str, reported: list[str]) -> None:
    """Each reads to the policy for /api; what its matcher selects otherwise than the prefix
    is CORS735 at its line, one per path answered otherwise."""
    text = (
        f"example.com {{\n\t@api {matcher}\n"
        '\theader @api Access-Control-Allow-Origin "https://a.example"\n}\n'
    )
    result = import_source(Source("Caddyfile", text), "caddy")
    assert result.policy is not None
    assert 'paths       "/api"\n  origins     "https://a.example"\n' in result.policy
    # The fixed Allow-Origin is the same for every request under the prefix (CORS714).
    assert [(d.code, d.span.start.line) for d in result.diagnostics] == [("CORS735", 2)] * len(
        reported
    ) + [("CORS714", 3)]
    for item, words in zip(result.diagnostics[:-1], reported, strict=True):
        assert words in item.message, item.message


def test_a_path_matcher_that_names_no_prefix_is_cors703() -> None:
    text = 'example.com {\n\t@json path *.json\n\theader @json Access-Control-Allow-Origin "*"\n}\n'
    result = import_source(Source("Caddyfile", text), "caddy")
    assert [(d.code, d.span.start.line) for d in result.diagnostics] == [("CORS703", 2)]
    assert "*.json selects paths no prefix names" in result.diagnostics[0].message


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ('example.com {\n\theader Access-Control-Allow-Origin "*\n}\n', 2, "never closed"),
        ("example.com {\n\trespond 200\n", 1, "never closed"),
        ("}\n", 1, "closes no block"),
    ],
)
def test_an_unreadable_caddyfile_is_cors701(text: str, line: int, message: str) -> None:
    result = import_source(Source("Caddyfile", text), "caddy")
    assert [(d.code, d.span.start.line) for d in result.diagnostics] == [("CORS701", line)]
    assert message in result.diagnostics[0].message


def test_what_the_machine_cannot_know_is_cors703_at_its_line() -> None:
    text = (
        "example.com {\n"
        "\t@local remote_ip 10.0.0.0/8\n"
        '\theader @local Access-Control-Allow-Origin "*"\n'
        "\theader Access-Control-Allow-Methods {http.request.host}\n"
        "}\n"
    )
    result = import_source(Source("Caddyfile", text), "caddy")
    assert [(d.code, d.span.start.line) for d in result.diagnostics] == [("CORS703", 2)]
    assert "`remote_ip`" in result.diagnostics[0].message


def test_a_matcher_on_another_request_header_is_cors703() -> None:
    text = (
        "example.com {\n"
        "\t@api header X-Api-Version 2\n"
        '\theader @api Access-Control-Allow-Origin "*"\n'
        "}\n"
    )
    result = import_source(Source("Caddyfile", text), "caddy")
    assert [(d.code, d.span.start.line) for d in result.diagnostics] == [("CORS703", 2)]
    assert "request header X-Api-Version" in result.diagnostics[0].message


@settings(
    max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(text=generated_policies())
def test_generated_policies_round_trip_through_caddy(text: str) -> None:
    """Any policy the caddy target compiles (those of the nginx round trip it can say)
    imports back from its snippet with the same verdicts."""
    loaded = load(Source("t.cors", text))
    assert loaded.policy_set is not None
    options = EmitOptions(__version__, "t.cors", "caddy", {})
    diagnostics = list(loaded.diagnostics) + check(get("caddy"), loaded.policy_set, options)
    assume(not fails(diagnostics))
    # The caddy target answers a denied origin's request with the application's response
    # under `unlisted reject`, where the policy says 403: import reports that (CORS703).
    assume(not ("deny" in text and "unlisted reject" in text))
    snippet = get("caddy").emit(loaded.policy_set, options)[0].content
    result = import_source(Source("Caddyfile", site(snippet)), "caddy")
    assert [item.code for item in result.diagnostics] == [], (text, result.diagnostics)
    back = load(Source("imported.cors", result.policy or ""))
    assert back.policy_set is not None, result.policy
    requests = every(GENERATED_ORIGINS, METHODS, HEADERS)
    verdicts(loaded.policy_set, back.policy_set, requests, reasons=False)


PREFIXES = ("/api", "/api/v2", "/v2", "/caf%C3%A9", "/a-b.c", "/API")


@settings(
    max_examples=12, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    first=st.lists(st.sampled_from(PREFIXES), min_size=1, max_size=2, unique=True),
    second=st.lists(st.sampled_from(PREFIXES), min_size=1, max_size=2, unique=True),
    fallback=st.booleans(),
)
def test_policies_chosen_by_generated_paths_round_trip(
    first: list[str], second: list[str], fallback: bool
) -> None:
    """Two policies on generated prefixes (nested, escaped, differing only in case), with a
    fallback or without: the caddy output reads back with nothing to report and the same
    verdicts at each prefix, below it and at a path none selects."""
    assume(not set(first) & set(second))
    text = (
        f"policy a {{\n  paths {', '.join(map(quote, first))}\n"
        '  origins "https://app.example.com"\n  credentials true\n}\n'
        f"policy b {{\n  paths {', '.join(map(quote, second))}\n"
        '  origins "https://admin.example.com"\n  methods GET, DELETE\n}\n'
    ) + ("policy public {\n  origins *\n}\n" if fallback else "")
    original = load(Source("t.cors", text))
    assert original.policy_set is not None and not fails(original.diagnostics), text
    result = import_source(Source("Caddyfile", site(emit_snippet(text))), "caddy")
    assert [item.code for item in result.diagnostics] == [], (text, result.diagnostics)
    back = policy_of(result)
    assert back.policy_set is not None
    requests = every(("https://app.example.com", "https://admin.example.com"), METHODS, HEADERS)
    for path in paths_of(original.policy_set):
        verdicts(original.policy_set, back.policy_set, requests, path=path)


def test_a_denied_origin_under_unlisted_reject_imports_as_the_policy_says() -> None:
    """corsc's caddy output answers a denied origin under `unlisted reject` with 403, as the
    policy says: it reads back with nothing to report and the same verdicts."""
    text = (
        'policy p {\n  origins "https://*.partner.example.org"\n'
        '  deny "https://legacy.partner.example.org"\n  unlisted reject\n}\n'
    )
    result = import_source(Source("Caddyfile", site(emit_snippet(text))), "caddy")
    assert [item.code for item in result.diagnostics] == [], result.diagnostics
    assert result.policy is not None
    back = load(Source("imported.cors", result.policy))
    original = load(Source("p.cors", text))
    assert back.policy_set is not None and original.policy_set is not None
    requests = every((*ORIGINS, "https://legacy.partner.example.org"), METHODS, HEADERS)
    assert verdicts(original.policy_set, back.policy_set, requests) == {True, False}


def test_caddy_output_choosing_by_path_reads_back_to_its_policies() -> None:
    """A file with `paths` and several policies chooses the policy with `path_regexp` and
    `vars_regexp` on the path: it reads back to one policy per distinct answer, the prefixes
    with it as `paths`, with nothing to report and the same verdicts at every prefix, below
    it and at a path no prefix selects."""
    golden = (GOLDEN / "caddy" / "api.corsc.caddy").read_text("utf-8")
    result = import_source(Source("Caddyfile", site(golden)), "caddy")
    assert [item.code for item in result.diagnostics] == [], result.diagnostics
    back = policy_of(result)
    assert back.policy_set is not None
    assert [[p.value for p in policy.paths] for policy in back.policy_set.policies] == [
        ["/v2", "/api"],
        [],
    ]
    original = load(Source("api.cors", (EXAMPLES / "api.cors").read_text("utf-8")))
    assert original.policy_set is not None
    requests = every(ORIGINS, METHODS, HEADERS)
    for path in ("/api", "/api/x", "/v2", "/v2/orders/1", "/x", "/apix", "/API/x"):
        assert verdicts(original.policy_set, back.policy_set, requests, path=path) == {
            True,
            False,
        }, path
