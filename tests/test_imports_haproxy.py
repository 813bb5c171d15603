"""``corsc import`` of HAProxy configurations: corsc's own haproxy output reads back to policies
with the same verdicts at every path (the goldens and policies compiled here: deny,
credentials, unlisted reject, several grants, origin blocks, ``*``, 1,000 origins in pattern
files), hand-written frontends read to the policy they mean with their mistakes reported at
their lines, and the machine that reads a configuration is checked against a real HAProxy,
request by request."""

from __future__ import annotations

from pathlib import Path

import pytest
from generated_policies import ORIGINS as GENERATED_ORIGINS
from generated_policies import policies as generated_policies
from hypothesis import HealthCheck, assume, given, settings
from importing import every, verdicts
from test_imports_apache import same_verdicts
from test_imports_caddy import HEADERS, METHODS
from test_imports_caddy import ORIGINS as CADDY_ORIGINS
from test_imports_caddy import POLICIES as SHARED_POLICIES

from corsc import __version__
from corsc.backends import EmitOptions, check, get
from corsc.diagnostics import fails
from corsc.frontend import load
from corsc.imports import guess, import_source
from corsc.source import Source
from tests.goldens import GOLDEN
from tests.hostile_policies import BIG_ORIGINS, LARGE

ROOT = Path(__file__).resolve().parent.parent
POLICIES = {
    **SHARED_POLICIES,
    "blocks": """policy p {
  origins "https://app.example.com", "https://staging.example.com"
  methods GET, POST
  headers *
  credentials true

  origin "https://reports.example.com" {
    methods GET
    credentials false
    max-age 30
  }
}
""",
    "paths": """policy api {
  paths "/api", "/v2"
  origins "https://app.example.com"
  methods GET, PUT
  credentials true
}

policy rest {
  origins "https://staging.example.com"
}
""",
}
#: The caddy round trip's origins, and the origins of api.cors's grants.
ORIGINS = (*CADDY_ORIGINS, "https://reports.example.com", "https://partner.example.net")


def compiled(text: str, directory: Path) -> Path:
    """``text`` compiled for HAProxy into ``directory`` (its pattern files read from there)."""
    loaded = load(Source("p.cors", text))
    assert loaded.policy_set is not None, loaded.diagnostics
    options = EmitOptions(__version__, "p.cors", "haproxy", {"pattern-dir": str(directory)})
    for item in get("haproxy").emit(loaded.policy_set, options):
        (directory / item.name).write_text(item.content, "utf-8")
    return directory / "corsc.cfg"


def round_trip(path: Path, original_text: str, origins: tuple[str, ...] = ORIGINS) -> str:
    text = path.read_text("utf-8")
    assert guess(text) == "haproxy"
    result = import_source(Source(str(path), text))
    assert [item.code for item in result.diagnostics] == [], result.diagnostics
    assert result.policy is not None
    back = load(Source("imported.cors", result.policy))
    original = load(Source("p.cors", original_text))
    assert back.policy_set is not None and original.policy_set is not None, result.policy
    assert not fails(back.diagnostics), (back.diagnostics, result.policy)
    assert same_verdicts(original.policy_set, back.policy_set, origins) == {True, False}
    return result.policy


GOLDENS = sorted((GOLDEN / "haproxy").glob("*.cfg"))


@pytest.mark.parametrize("path", GOLDENS, ids=[p.name for p in GOLDENS])
def test_import_of_the_haproxy_goldens_keeps_every_verdict(path: Path) -> None:
    example = (ROOT / "examples" / (path.name.split(".")[0] + ".cors")).read_text()
    round_trip(path, example)


def test_the_goldens_are_all_read() -> None:
    assert len(GOLDENS) >= 3


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_import_of_compiled_policies_keeps_every_verdict(name: str, tmp_path: Path) -> None:
    round_trip(compiled(POLICIES[name], tmp_path), POLICIES[name])


def test_the_paths_read_back_as_prefixes_of_their_policy(tmp_path: Path) -> None:
    policy = round_trip(compiled(POLICIES["paths"], tmp_path), POLICIES["paths"])
    assert '  paths       "/api", "/v2"\n' in policy
    assert policy.count("\n  paths ") == 1


def test_a_thousand_origins_in_pattern_files_read_back(tmp_path: Path) -> None:
    """LARGE compiles to pattern files next to the configuration; import reads them."""
    config = compiled(LARGE, tmp_path)
    assert sorted(p.name for p in tmp_path.glob("*.lst")) == [
        "corsc-big-t1-exact.lst",
        "corsc-big-t1-https.lst",
    ]
    origins = tuple(origin for origin in BIG_ORIGINS if origin is not None)
    policy = round_trip(config, LARGE, origins)
    assert policy.count('"https://app') == 500
    assert policy.count('"https://*.tenant') == 500


def test_a_pattern_file_that_is_not_there_is_cors703(tmp_path: Path) -> None:
    config = compiled(LARGE, tmp_path)
    (tmp_path / "corsc-big-t1-exact.lst").unlink()
    result = import_source(Source(str(config), config.read_text()))
    assert [item.code for item in result.diagnostics] == ["CORS703"]
    assert "corsc-big-t1-exact.lst is not next to the configuration" in (
        result.diagnostics[0].message
    )
    assert result.policy is None


@settings(
    max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(text=generated_policies())
def test_generated_policies_round_trip_through_haproxy(text: str) -> None:
    """Any policy the haproxy target compiles (those of the nginx round trip) imports back
    with the same verdicts."""
    loaded = load(Source("t.cors", text))
    assert loaded.policy_set is not None
    options = EmitOptions(__version__, "t.cors", "haproxy", {})
    diagnostics = list(loaded.diagnostics) + check(get("haproxy"), loaded.policy_set, options)
    assume(not fails(diagnostics))
    output = get("haproxy").emit(loaded.policy_set, options)
    assert len(output) == 1  # few origins: no pattern file
    result = import_source(Source("corsc.cfg", output[0].content), "haproxy")
    assert [item.code for item in result.diagnostics] == [], (text, result.diagnostics)
    back = load(Source("imported.cors", result.policy or ""))
    assert back.policy_set is not None, result.policy
    requests = every(GENERATED_ORIGINS, METHODS, HEADERS)
    verdicts(loaded.policy_set, back.policy_set, requests, reasons=False)


def test_a_thousand_origins_in_map_files_read_back(tmp_path: Path) -> None:
    """A frontend choosing the grant by two maps of 500 origins and 500 host ends (the shape a
    map-based output has) reads back to LARGE's policy, with its verdicts."""
    (tmp_path / "exact.map").write_text(
        "".join(f"https://app{n}.example.com 1\n" for n in range(500))
    )
    (tmp_path / "ends.map").write_text("".join(f".tenant{n}.example.net 1\n" for n in range(500)))
    config = tmp_path / "haproxy.cfg"
    config.write_text(
        "frontend www\n    bind :80\n"
        "    http-request set-var(txn.o) req.fhdr(origin) if { req.fhdr_cnt(origin) eq 1 }\n"
        "    http-request set-var(txn.g) var(txn.o),map_str(exact.map)\n"
        "    http-request set-var(txn.g) var(txn.o),map_end(ends.map) if !{ var(txn.g) -m found }"
        " { var(txn.o) -m reg '^https://[a-z0-9-]+(\\.[a-z0-9-]+)*$' }\n"
        "    http-request return status 204 hdr Access-Control-Allow-Origin '%[var(txn.o)]'"
        " hdr Access-Control-Allow-Methods 'GET, PUT' if METH_OPTIONS { var(txn.g) -m found }"
        " { req.fhdr(access-control-request-method) -m str GET HEAD POST PUT }"
        " !{ req.fhdr(access-control-request-headers) -m found }\n"
        "    http-after-response set-header Access-Control-Allow-Origin '%[var(txn.o)]'"
        " if { var(txn.g) -m found } !{ status 204 }\n"
        "    http-after-response add-header Vary Origin\n"
        "    default_backend app\nbackend app\n    server a 10.0.0.1:80\n"
    )
    origins = tuple(origin for origin in BIG_ORIGINS if origin is not None)
    policy = round_trip(config, LARGE, origins)
    assert policy.count('"https://app') == 500
    assert policy.count('"https://*.tenant') == 500
