"""``corsc import`` of Apache httpd configurations: corsc's own apache output (the goldens, with
``paths`` and several policies, and policies compiled here in the virtualhost and htaccess
placements: deny, credentials, unlisted reject, origin blocks, static ``*``, a regex,
preflight-status 200, private network) reads back to a policy with the same verdicts at every
path prefix; hand-written configurations read to the policy they mean, with their mistakes
at their lines; and the machine that reads a configuration answers as a real Apache does."""

from __future__ import annotations

from pathlib import Path

import pytest
from attrs import evolve
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
from corsc.ir import PolicySet
from corsc.source import Source
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
