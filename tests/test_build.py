"""``corsc build`` and ``corsc init``: a project's outputs written as one set, checked for
drift, shown as a diff, stale files removed — and the result served by a real nginx."""

from __future__ import annotations

import os
import urllib.request
from pathlib import Path

import pytest

from corsc import cli
from tests.nginx_launcher import Nginx

POLICY = 'let trusted = "https://app.example.com"\n\npolicy api {\n  origins trusted\n}\n'
PROJECT = """\
ignore = ["target-declared-deviation", "target-output-layout"]

[env.staging]
set = { trusted = ["https://staging.example.com"] }

[[output]]
target = "json"
policy = "api.cors"
path = "out/api.json"

[[output]]
target = "nginx"
policy = "api.cors"
path = "out/nginx/"

[[output]]
target = "iis"
policy = "api.cors"
path = "site/web.config"
newline = "crlf"
"""


def corsc(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project of three outputs in ``tmp_path``, the working directory."""
    (tmp_path / "api.cors").write_text(POLICY)
    (tmp_path / "corsc.toml").write_text(PROJECT)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def files(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.name not in ("api.cors", "corsc.toml")
    }


def test_build_writes_every_output_then_check_finds_no_drift(capsys, project: Path) -> None:
    code, out, err = corsc(capsys, "build")
    assert (code, out) == (0, "")
    assert err == "corsc: wrote 4 of 4 files in 3 directories (3 outputs); 0 up to date\n"
    written = files(project)
    assert sorted(written) == [
        "out/api.json",
        "out/nginx/corsc-api.conf",
        "out/nginx/corsc-api.http.conf",
        "site/web.config",
    ]
    assert b'"file": "api.cors"' in written["out/api.json"]
    web_config = written["site/web.config"]
    assert web_config.count(b"\r\n") == web_config.count(b"\n") > 0  # newline = "crlf"
    assert corsc(capsys, "build", "--check") == (0, "", "")
    code, _, err = corsc(capsys, "build")
    assert err == "corsc: up to date: 4 files in 3 directories (3 outputs)\n"
    assert files(project) == written  # nothing rewritten


def test_check_and_diff_show_drift_and_write_nothing(capsys, project: Path) -> None:
    assert corsc(capsys, "build")[0] == 0
    before = files(project)
    code, out, err = corsc(capsys, "build", "--env", "staging", "--check")
    assert (code, out) == (3, "")
    assert err.splitlines() == [
        "corsc: out/api.json is out of date",
        "corsc: out/nginx/corsc-api.http.conf is out of date",
        "corsc: out/nginx/corsc-api.conf is out of date",
        "corsc: site/web.config is out of date",
    ]
    code, out, _ = corsc(capsys, "build", "--env", "staging", "--diff")
    assert code == 3
    assert "--- out/api.json\n+++ out/api.json\n" in out
    assert '-      "static_origin": "https://app.example.com",\n' in out
    assert '+      "static_origin": "https://staging.example.com",\n' in out
    assert files(project) == before


def test_an_error_in_any_output_writes_nothing(capsys, project: Path) -> None:
    (project / "corsc.toml").write_text(
        PROJECT + '\n[[output]]\ntarget = "json"\npolicy = "bad.cors"\npath = "out/bad.json"\n'
    )
    (project / "bad.cors").write_text("policy bad {\n  origins *\n  credentials true\n}\n")
    code, _, err = corsc(capsys, "build")
    assert code == 1
    assert "error[CORS301 wildcard-with-credentials]" in err
    assert files(project) == {"bad.cors": (project / "bad.cors").read_bytes()}


def test_a_write_that_fails_leaves_every_output_as_it_was(
    capsys, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert corsc(capsys, "build")[0] == 0
    before = files(project)
    real = os.replace
    calls: list[object] = []

    def replace(source: object, target: object) -> None:
        calls.append(target)
        if len(calls) == 3:
            raise OSError(5, "Input/output error")
        real(source, target)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", replace)
    code, _, err = corsc(capsys, "build", "--env", "staging")
    assert code == 2 and "Input/output error" in err
    assert files(project) == before  # the two files renamed before the failure are put back


def test_stale_files_of_a_renamed_policy_are_reported_and_removed(capsys, project: Path) -> None:
    assert corsc(capsys, "build")[0] == 0
    (project / "api.cors").write_text(POLICY.replace("policy api", "policy web"))
    code, _, err = corsc(capsys, "build", "--check")
    assert code == 3
    assert "corsc: out/nginx/corsc-api.conf is no longer produced" in err.splitlines()
    assert corsc(capsys, "build")[0] == 0
    assert sorted(os.listdir(project / "out" / "nginx")) == [
        "corsc-web.conf",
        "corsc-web.http.conf",
    ]


def test_a_crlf_checkout_is_not_drift_when_the_style_is_declared(capsys, project: Path) -> None:
    (project / "corsc.toml").write_text(
        PROJECT.replace('path = "out/api.json"\n', 'path = "out/api.json"\nnewline = "lf"\n')
    )
    assert corsc(capsys, "build")[0] == 0
    converted = project / "out" / "api.json"
    converted.write_bytes(converted.read_bytes().replace(b"\n", b"\r\n"))  # git autocrlf
    nginx = project / "out" / "nginx" / "corsc-api.conf"
    nginx.write_bytes(nginx.read_bytes().replace(b"\n", b"\r\n"))  # no style declared: drift
    code, _, err = corsc(capsys, "build", "--check")
    assert (code, err) == (3, "corsc: out/nginx/corsc-api.conf is out of date\n")
    # A file edited in both styles is not a checkout's conversion.
    mixed = converted.read_bytes().replace(b"\r\n", b"\n", 1)
    converted.write_bytes(mixed)
    assert "out/api.json is out of date" in corsc(capsys, "build", "--check")[2]


def test_usage_errors(capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = corsc(capsys, "build")
    assert code == 2
    assert err == (
        f"corsc: error: no corsc.toml in {tmp_path} or above (nor a pyproject.toml with "
        "[tool.corsc]); `corsc init` writes one\n"
    )
    (tmp_path / "corsc.toml").write_text(PROJECT.replace('path = "site/web.config"\n', ""))
    code, _, err = corsc(capsys, "build")
    assert code == 2
    assert "error[CORS030 invalid-project]: " in err
    assert "output 3: `path`: must be a path (relative to the project file)" in err
    (tmp_path / "corsc.toml").write_text(PROJECT)
    (tmp_path / "api.cors").write_text(POLICY)
    (tmp_path / "corsc.toml").write_text(PROJECT.replace('"iis"', '"iss"'))
    code, _, err = corsc(capsys, "build")
    assert (code, err) == (
        2,
        f"corsc: error: {tmp_path / 'corsc.toml'}: output 3: unknown target `iss`; did you "
        "mean `iis`? (`corsc targets` lists them)\n",
    )
    (tmp_path / "corsc.toml").write_text(PROJECT)
    code, _, err = corsc(capsys, "build", "--env", "prod")
    assert (code, err) == (
        2,
        f"corsc: error: no environment `prod` in {tmp_path / 'corsc.toml'} "
        "(environments: staging)\n",
    )


def test_project_selection_applies_to_build_and_check(capsys, project: Path) -> None:
    (project / "api.cors").write_text(POLICY.replace("}", "  unlisted reject\n}"))
    assert "CORS407" in corsc(capsys, "build", "--check")[2]
    (project / "corsc.toml").write_text(
        PROJECT.replace("ignore = [", 'ignore = ["unlisted-reject-same-origin", ')
    )
    assert "CORS407" not in corsc(capsys, "build", "--check", "--strict")[2]
    code, out, _ = corsc(capsys, "check", "--strict")  # no FILE: the project's policies
    assert code == 0 and "CORS407" not in out


def test_init_writes_a_project_that_builds_and_refuses_to_overwrite(
    capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for server in ("iis", "nginx", "python", "starlette", "fastapi", "django", "flask"):
        code, _, err = corsc(capsys, "init", server, "--server", server)
        assert code == 0, err
        assert err == (
            f"corsc: wrote {server}/policy.cors and {server}/corsc.toml for {server}; edit the "
            f"policy, then run `corsc build` in {server}\n"
        )
        monkeypatch.chdir(tmp_path / server)
        code, _, err = corsc(capsys, "build", "--strict")
        assert code == 0, err
        assert corsc(capsys, "build", "--env", "staging", "--check")[0] == 3
        monkeypatch.chdir(tmp_path)
    before = (tmp_path / "nginx" / "corsc.toml").read_text()
    code, _, err = corsc(capsys, "init", "nginx")
    assert (code, err) == (
        2,
        "corsc: error: nginx/policy.cors, nginx/corsc.toml already exist; corsc init never "
        "overwrites a file (choose another DIR, or remove them)\n",
    )
    assert (tmp_path / "nginx" / "corsc.toml").read_text() == before


def test_a_built_nginx_project_is_served_by_nginx(capsys, tmp_path: Path, monkeypatch) -> None:
    """The starter project, built for staging, in a real nginx: the staging origin is
    allowed, the production one is not."""
    monkeypatch.chdir(tmp_path)
    assert corsc(capsys, "init", "site", "--server", "nginx")[0] == 0
    monkeypatch.chdir(tmp_path / "site")
    assert corsc(capsys, "build", "--env", "staging")[0] == 0
    built = tmp_path / "site" / "nginx"
    server = Nginx(tmp_path / "nginx-prefix")

    def configure(ports: list[int]) -> tuple[str, dict[str, str]]:
        http = (
            f"include {built}/corsc-api.http.conf;\n"
            f"server {{ listen 127.0.0.1:{ports[0]}; location / {{ "
            f"include {built}/corsc-api.conf; return 200 ok; }} }}"
        )
        return http, {}

    [port] = server.serve(configure, 1)
    try:
        for origin, allowed in (
            ("https://staging.example.com", True),
            ("https://app.example.com", False),
        ):
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/", headers={"Origin": origin}
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                # A browser shares the response only when Allow-Origin is its origin.
                assert (response.headers.get("Access-Control-Allow-Origin") == origin) is allowed
    finally:
        server.stop()
