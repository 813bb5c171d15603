"""Round trip: importing what corsc wrote gives back a policy with the same browser verdicts
as the policy it was compiled from, for generated requests (a property test)."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser import evaluator_server, fetch, script_request
from hypothesis import given, settings
from hypothesis import strategies as st
from importing import GOLDEN, assembled, nginx_outputs

from corsc.evaluate import Evaluator
from corsc.frontend import load
from corsc.imports import import_source
from corsc.ir import PatternKind
from corsc.source import Source

ROOT = Path(__file__).resolve().parent.parent
#: Every golden output corsc writes in one file that import reads (nginx's, two files per
#: policy, are assembled below).
OUTPUTS = sorted(
    path
    for pattern in (
        "iis*/*.web.config",
        "starlette/*.py",
        "django/*.py",
        "flask/*.py",
        "python/*.toml",
        "json/*.json",
        "express/*.js",
        "haproxy/*.cfg",
    )
    for path in GOLDEN.glob(pattern)
)
ORIGINS = (
    "https://app.example.com",
    "https://staging.example.com",
    "https://localhost:3000",
    "http://localhost:8080",
    "http://localhost",
    "https://partner.example.net",
    "https://a.partner.example.org",
    "https://legacy.partner.example.org",
    "https://reports.example.com",
    "https://evil.example",
    "https://app.example.com.evil.example",
    "null",
)
PATHS = ("/", "/api", "/api/x", "/v2/y", "/other")
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")
HEADERS = (
    (),
    (("Content-Type", "application/json"),),
    (("Authorization", "Bearer x"),),
    (("X-Other", "1"),),
    (("X-Requested-With", "x"), ("Accept", "a")),
)


def evaluators(output: Path) -> tuple[Evaluator, Evaluator]:
    stem = output.name.split(".")[0]
    original = load(Source(f"{stem}.cors", (ROOT / "examples" / f"{stem}.cors").read_text()))
    family = {
        "starlette": "starlette",
        "django": "django",
        "flask": "flask",
        "python": "python",
        "json": "json",
        "express": "express",
        "haproxy": "haproxy",
    }.get(output.parent.name, "iis")
    result = import_source(Source(output.name, output.read_text("utf-8")), family)
    assert result.policy is not None, result.diagnostics
    back = load(Source("imported.cors", result.policy))
    assert original.policy_set is not None and back.policy_set is not None, result.policy
    return Evaluator(original.policy_set), Evaluator(back.policy_set)


#: Where the golden outputs of each target are read back with the same verdicts, besides
#: OUTPUTS here: the targets whose output is several files or chooses by path have their own.
READ_BACK_ELSEWHERE = {
    "nginx": "test_import_of_nginx_output_keeps_every_verdict (below)",
    "apache": "tests/test_imports_apache.py",
    "caddy": "tests/test_imports_caddy.py",
}


def test_every_golden_output_is_covered() -> None:
    """Every target corsc writes goldens for has them read back: nothing corsc writes is left
    out of the round trip (a new target's goldens fail here until import reads them)."""
    assert len(OUTPUTS) >= 8
    assert len(nginx_outputs()) == len(list(GOLDEN.glob("nginx/*.http.conf"))) * 2 >= 8
    targets = {path.name for path in GOLDEN.iterdir() if path.is_dir()}
    covered = {path.parent.name for path in OUTPUTS} | set(READ_BACK_ELSEWHERE)
    assert targets == covered, targets ^ covered
    for name, where in READ_BACK_ELSEWHERE.items():
        if where.startswith("tests/"):
            assert (ROOT / where).read_text().count(f'GOLDEN / "{name}"') > 0, where


@pytest.mark.parametrize("output", OUTPUTS, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_import_of_corsc_output_keeps_every_verdict(output: Path) -> None:
    before, after = evaluators(output)

    @settings(max_examples=150, deadline=None, database=None)
    @given(
        origin=st.sampled_from(ORIGINS),
        path=st.sampled_from(PATHS),
        method=st.sampled_from(METHODS),
        headers=st.sampled_from(HEADERS),
        credentials=st.sampled_from(("include", "same-origin")),
    )
    def same(origin: str, path: str, method: str, headers: tuple, credentials: str) -> None:
        request = script_request(
            method, path, origin=origin, headers=headers, credentials=credentials
        )
        assert fetch(evaluator_server(after), request) == fetch(
            evaluator_server(before), request
        ), (origin, path, method, headers, credentials)

    same()
    # Not vacuous: among the origins asked about, the policy allows some and refuses some,
    # and every origin it names is one of them.
    shared = {
        fetch(evaluator_server(before), script_request("GET", path, origin=origin)).shared
        for origin in ORIGINS
        for path in PATHS
    }
    assert shared == {True, False}
    named = {
        entry.pattern.text
        for policy in before.policy_set.policies
        for entry in policy.entries
        if entry.pattern.kind is PatternKind.EXACT
    }
    assert named <= set(ORIGINS), named - set(ORIGINS)


@pytest.mark.parametrize(
    ("name", "first", "second"),
    nginx_outputs(),
    ids=lambda v: f"{v.parent.name}/{v.name}" if isinstance(v, Path) else v,
)
def test_import_of_nginx_output_keeps_every_verdict(name: str, first: Path, second: Path) -> None:
    """Every nginx output, both variants, one grant or several, with deny: import reads it
    back (nothing it cannot express) to a policy with the same verdicts on every origin,
    method, header set and credentials mode, at the policy's paths."""
    stem = first.name.split(".")[0]
    original = load(Source(f"{stem}.cors", (ROOT / "examples" / f"{stem}.cors").read_text()))
    assert original.policy_set is not None
    policy = next(p for p in original.policy_set.policies if p.name == name)
    result = import_source(Source("nginx.conf", assembled(first, second)), "nginx")
    assert [item.code for item in result.diagnostics] == [], result.diagnostics
    assert result.policy is not None
    back = load(Source("imported.cors", result.policy))
    assert back.policy_set is not None, result.policy
    # Each origin the policy names is asked about, so every grant and deny is exercised.
    named = {e.pattern.text for e in policy.entries if e.pattern.kind is PatternKind.EXACT}
    named |= {deny.text for deny in policy.denies}
    assert named <= set(ORIGINS), named - set(ORIGINS)
    before, after = (
        evaluator_server(Evaluator(original.policy_set)),
        evaluator_server(Evaluator(back.policy_set)),
    )
    paths = [prefix.value + "/x" for prefix in policy.paths] or ["/other"]
    verdicts = set()
    for origin in ORIGINS:
        for method in METHODS:
            for headers in HEADERS:
                for credentials in ("include", "omit"):
                    for path in paths:
                        request = script_request(
                            method, path, origin=origin, headers=headers, credentials=credentials
                        )
                        expected = fetch(before, request)
                        assert fetch(after, request) == expected, (
                            origin,
                            method,
                            headers,
                            credentials,
                            path,
                            result.policy,
                        )
                        verdicts.add((expected.shared, expected.preflighted))
    # Not vacuous: some requests pass, some fail, some of them preflighted.
    assert {shared for shared, _ in verdicts} == {True, False}
    assert any(preflighted for _, preflighted in verdicts)


def test_several_grants_and_deny_read_back_as_written() -> None:
    """api.cors's policy with two grants and a deny reads back as the policy it was."""
    first = GOLDEN / "nginx" / "api.corsc-api.http.conf"
    result = import_source(
        Source("nginx.conf", assembled(first, first.with_name("api.corsc-api.conf"))), "nginx"
    )
    assert result.policy is not None
    body = result.policy.split("policy site {\n", 1)[1]
    assert body == (
        '  origins     "https://app.example.com", "https://partner.example.net", '
        '"https://*.partner.example.org", "http://localhost:*"\n'
        '  deny        "https://legacy.partner.example.org"\n'
        "  methods     GET, POST, PUT, DELETE\n"
        "  headers     Content-Type, Authorization\n"
        "  expose      X-Request-Id\n"
        "  credentials true\n"
        "  max-age     7200\n"
        "  unlisted    reject\n"
        "\n"
        '  origin "https://reports.example.com" {\n'
        "    methods     GET\n"
        "    credentials false\n"
        "    max-age     600\n"
        "  }\n"
        "}\n"
    )


@pytest.mark.parametrize(
    ("name", "first", "second"),
    nginx_outputs(),
    ids=lambda v: f"{v.parent.name}/{v.name}" if isinstance(v, Path) else v,
)
def test_nginx_output_in_its_locations_reads_back_per_location(
    name: str, first: Path, second: Path
) -> None:
    """The snippet included where its comment says, in ``location /api/ { … }`` and
    ``location /v2/ { … }`` (``location / { … }`` for the paths no other policy governs):
    each location is a policy for its prefix, with the original's verdicts there."""
    stem = first.name.split(".")[0]
    original = load(Source(f"{stem}.cors", (ROOT / "examples" / f"{stem}.cors").read_text()))
    assert original.policy_set is not None
    policy = next(p for p in original.policy_set.policies if p.name == name)
    prefixes = [prefix.value.rstrip("/") + "/" for prefix in policy.paths] or ["/"]
    locations = "".join(f"location {p} {{\n{second.read_text()}\n}}\n" for p in prefixes)
    if first.name.endswith(".http.conf"):
        text = f"{first.read_text()}\nserver {{\n{locations}}}\n"
    else:
        text = f"server {{\n{first.read_text()}\n{locations}}}\n"
    result = import_source(Source("nginx.conf", text), "nginx")
    assert [item.code for item in result.diagnostics] == [], result.diagnostics
    back = load(Source("imported.cors", result.policy or ""))
    assert back.policy_set is not None, result.policy
    assert sorted(p for q in back.policy_set.policies for p in (x.value for x in q.paths)) == (
        sorted(p.rstrip("/") for p in prefixes if p != "/")
    )
    before = evaluator_server(Evaluator(original.policy_set))
    after = evaluator_server(Evaluator(back.policy_set))
    for prefix in prefixes:
        for origin in ORIGINS:
            for method in METHODS:
                for headers in HEADERS:
                    request = script_request(
                        method, prefix + "x", origin=origin, headers=headers, credentials="include"
                    )
                    assert fetch(after, request) == fetch(before, request), (prefix, origin)
