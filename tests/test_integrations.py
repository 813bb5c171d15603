"""Tests for corsc's integrations: the pre-commit hooks (``.pre-commit-hooks.yaml``, run for real
with ``pre-commit try-repo`` against a temporary git repository, offline) and the
shell-completion scripts (``corsc completion``), run in real bash, zsh and fish."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from corsc import cli
from corsc.commands import completion

ROOT = Path(__file__).resolve().parents[1]

GOOD = 'policy p {\n  origins "https://app.example.com"\n  methods PUT\n}\n'
BAD = "policy p {\n  origins *\n  credentials true\n}\n"


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def _try_repo(repo: Path, home: Path, hook: str) -> subprocess.CompletedProcess[str]:
    """``pre-commit try-repo`` of this repository's hooks in ``repo``, offline: pip may use
    no index, and the hook's environment sees the installed dependencies (corsc itself is
    installed from this repository, without build isolation)."""
    environment = {
        **os.environ,
        "PRE_COMMIT_HOME": str(home),
        "PIP_NO_INDEX": "1",
        "PIP_NO_BUILD_ISOLATION": "0",
        "VIRTUALENV_SYSTEM_SITE_PACKAGES": "1",
        "NO_COLOR": "1",
    }
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), hook, "--all-files"],
        cwd=repo,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_the_check_hook_checks_the_policy_files_of_a_repository(tmp_path: Path) -> None:
    # One run (pre-commit builds the hook's environment for each try-repo, most of its time):
    # the hook is given the .cors files only, reports each one's findings and fails on the
    # error of one of them.
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "good.cors").write_text(GOOD.replace("methods PUT", "methods PUT, GET"))
    (repo / "bad.cors").write_text(BAD)
    (repo / "notes.txt").write_text("not a policy")
    _git(repo, "add", "-A")
    run = _try_repo(repo, tmp_path / "home", "corsc-check")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "corsc check" in run.stdout and "Failed" in run.stdout
    assert "error[CORS301 wildcard-with-credentials]" in run.stdout
    assert "--> bad.cors:2:11" in run.stdout
    assert "--> good.cors:3:16" in run.stdout  # its CORS205 info: good.cors was checked too
    assert "notes.txt" not in run.stdout


def test_the_hooks_file_names_commands_corsc_has() -> None:
    import yaml

    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert [hook["id"] for hook in hooks] == ["corsc-check", "corsc-build-check"]
    check, build = hooks
    assert check["entry"] == "corsc check" and check["files"] == r"\.cors$"
    assert build["entry"] == "corsc build --check" and build["pass_filenames"] is False
    assert all(hook["language"] == "python" for hook in hooks)
    assert "check" in cli.COMMANDS


@pytest.mark.skipif("build" not in cli.COMMANDS, reason="`corsc build` is not on this branch")
@pytest.mark.slow
def test_the_build_hook_runs_corsc_build_check(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "api.cors").write_text(GOOD)
    (repo / "corsc.toml").write_text(
        '[[outputs]]\ntarget = "json"\npolicy_file = "api.cors"\npath = "cors.json"\n'
    )
    _git(repo, "add", "-A")
    drift = _try_repo(repo, tmp_path / "home", "corsc-build-check")
    assert drift.returncode == 1, drift.stdout + drift.stderr
    assert "corsc build --check" in drift.stdout and "Failed" in drift.stdout


# ---- shell completion --------------------------------------------------------------------


def _script(shell: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert cli.main(["completion", shell]) == 0
    return capsys.readouterr().out


def test_every_script_offers_every_command_and_option(capsys: pytest.CaptureFixture[str]) -> None:
    parsed = completion.commands(cli.parser())
    assert [command.name for command in parsed] == list(cli.COMMANDS)
    for shell in completion.SHELLS:
        script = _script(shell, capsys)
        for command in parsed:
            assert command.name in script
            for argument in command.arguments:
                for flag in argument.flags:
                    spelled = flag if shell != "fish" else flag.lstrip("-")
                    assert spelled in script, (shell, command.name, flag)


def _bash_complete(script: str, words: list[str]) -> list[str]:
    """What bash offers for the last of ``words`` (``corsc`` first), by calling ``_corsc``."""
    line = " ".join(f"'{word}'" for word in words)
    program = (
        f"{script}\nCOMP_WORDS=({line}); COMP_CWORD={len(words) - 1}; _corsc\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    result = subprocess.run(["bash", "-c", program], capture_output=True, text=True, check=True)
    return result.stdout.split()


def test_bash_completes_commands_options_values_and_files(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = _script("bash", capsys)
    assert _bash_complete(script, ["corsc", "c"]) == ["check", "compile", "completion"]
    assert _bash_complete(script, ["corsc", "compile", "x.cors", "--target", "ii"]) == [
        "iis",
        "iis-headers",
        "iis-rewrite",
    ]
    assert _bash_complete(script, ["corsc", "check", "--format", "g"]) == ["github"]
    assert _bash_complete(script, ["corsc", "check", "--ignore", "CORS40"]) == [
        f"CORS40{digit}" for digit in range(1, 10)
    ]
    assert _bash_complete(script, ["corsc", "check", "--str"]) == ["--strict"]
    assert _bash_complete(script, ["corsc", "completion", ""]) == ["bash", "zsh", "fish"]
    assert _bash_complete(script, ["corsc", "explain", "f", "--origin", ""]) == []
    (tmp_path / "api.cors").write_text(GOOD)
    monkeypatch.chdir(tmp_path)
    assert _bash_complete(script, ["corsc", "check", "ap"]) == ["api.cors"]


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_loads_the_script_and_registers_it(capsys: pytest.CaptureFixture[str]) -> None:
    script = _script("zsh", capsys)
    program = f"autoload -Uz compinit && compinit -u -D\n{script}\nprint -r -- $_comps[corsc]\n"
    result = subprocess.run(["zsh", "-f", "-c", program], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "_corsc"


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_completes_commands_and_target_names(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    script = tmp_path / "corsc.fish"
    script.write_text(_script("fish", capsys))

    def complete(line: str) -> list[str]:
        result = subprocess.run(
            ["fish", "--no-config", "-c", f"source {script}; complete -C '{line}'"],
            capture_output=True,
            text=True,
            check=True,
        )
        return [row.split("\t")[0] for row in result.stdout.splitlines()]

    assert complete("corsc comp") == ["compile", "completion"]
    assert "nginx" in complete("corsc compile x.cors --target ")
    assert complete("corsc check --stri") == ["--strict"]
