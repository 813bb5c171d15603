"""``corsc import`` on the command line: the policy on stdout or in ``-o``, findings on
stderr, exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest
from importing import FIXTURES

from corsc.cli import main


def test_policy_to_stdout_and_findings_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["import", str(FIXTURES / "iis/several-origins.web.config")])
    out, err = capsys.readouterr()
    assert code == 1
    assert 'origins     "https://a.example.com", "https://b.example.com"' in out
    assert "error[CORS704 import-several-origins-one-header]" in err
    assert "several-origins.web.config:6:" in err


def test_output_file_and_exit_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "api.cors"
    code = main(["import", str(FIXTURES / "python/fastapi_app.py"), "-o", str(target)])
    assert code == 0
    assert capsys.readouterr().out == ""
    assert "policy app {" in target.read_text("utf-8")


def test_unknown_format_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = tmp_path / "notes.txt"
    plain.write_text("hello\n", "utf-8")
    assert main(["import", str(plain)]) == 2
    assert "CORS700" in capsys.readouterr().err
    assert main(["import", str(FIXTURES / "nginx/broken.conf")]) == 2
