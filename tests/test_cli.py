"""The command line: commands, exit codes, outputs on disk, and robustness on bad input."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from corsc import __version__, cli
from corsc.backends import target_names

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

GOOD = 'policy api {\n  origins "https://app.example.com"\n  methods GET, PUT\n}\n'
WARNS = 'policy api {\n  origins "https://a.example", "https://a.example"\n}\n'  # CORS105
NOTES = 'policy api {\n  origins "https://App.example.com"\n}\n'  # CORS102, an info
BAD = "policy api {\n  origins *\n  credentials true\n}\n"  # CORS301, an error


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def policy(tmp_path: Path):
    def write(text: str, name: str = "api.cors") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


# ---- check -------------------------------------------------------------------------------


def test_check_examples_pass(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", *map(str, sorted(EXAMPLES.glob("*.cors"))))
    assert code == 0, out


def test_check_reports_errors_with_exit_1(capsys, policy) -> None:
    code, out, _ = run(capsys, "check", str(policy(BAD)), "--format", "json")
    assert code == 1
    document = json.loads(out)
    assert document["summary"]["errors"] >= 1
    assert "CORS301" in {item["code"] for item in document["diagnostics"]}


def test_warnings_pass_unless_strict(capsys, policy) -> None:
    path = str(policy(WARNS))
    assert run(capsys, "check", path)[0] == 0
    assert run(capsys, "check", path, "--strict")[0] == 1


def test_check_json_shape(capsys, policy) -> None:
    code, out, _ = run(capsys, "check", str(policy(NOTES)), "--format", "json")
    document = json.loads(out)
    assert code == 0
    assert document["version"] == 1
    assert document["tool"] == {"name": "corsc", "version": __version__}
    [item] = [x for x in document["diagnostics"] if x["code"] == "CORS102"]
    assert item["range"]["start"] == {"line": 2, "column": 11, "offset": 23}
    assert item["range"]["end"] == {"line": 2, "column": 36, "offset": 48}
    assert item["fixes"][0]["edits"][0]["new_text"] == '"https://app.example.com"'


def test_check_sarif(capsys, policy) -> None:
    code, out, _ = run(capsys, "check", str(policy(BAD)), "--format", "sarif")
    document = json.loads(out)
    assert code == 1
    assert document["version"] == "2.1.0"
    assert any(r["ruleId"] == "CORS301" for r in document["runs"][0]["results"])


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no such file"),
        (b"\x00\x01binary", "binary file"),
        (b"policy \xff\xfe {}", "not UTF-8"),
    ],
)
def test_unreadable_input_exit_2(capsys, tmp_path: Path, content, expected) -> None:
    path = tmp_path / "in.cors"
    if content is not None:
        path.write_bytes(content)
    code, out, _ = run(capsys, "check", str(path))
    assert code == 2
    assert expected in out
    assert "Traceback" not in out


def test_directory_input_exit_2(capsys, tmp_path: Path) -> None:
    # A directory stands for its policies; one without any is a usage error.
    code, _, err = run(capsys, "check", str(tmp_path))
    assert code == 2 and "is a directory without any .cors file" in err


def test_byte_order_mark_is_accepted(capsys, tmp_path: Path) -> None:
    path = tmp_path / "bom.cors"
    path.write_bytes("\ufeff".encode() + GOOD.encode())
    assert run(capsys, "check", str(path))[0] == 0


# ---- compile -------------------------------------------------------------------------------


def test_unknown_target_suggests(capsys, policy) -> None:
    code, _, err = run(capsys, "compile", str(policy(GOOD)), "--target", "jsn")
    assert code == 2
    assert err == (
        "corsc: error: unknown target `jsn`; did you mean `json`? (`corsc targets` lists them)\n"
    )


def test_compile_to_stdout_is_deterministic(capsys, policy) -> None:
    path = str(policy(GOOD))
    first = run(capsys, "compile", path, "--target", "json")
    second = run(capsys, "compile", path, "--target", "json")
    assert first[0] == 0 and first == second
    document = json.loads(first[1])
    assert document["generated_by"].startswith(f"corsc {__version__} from api.cors for target json")
    assert "generated — edit the policy, not this file" in document["generated_by"]


def test_compile_writes_file_and_check_detects_drift(capsys, policy, tmp_path: Path) -> None:
    source = policy(GOOD)
    out = tmp_path / "out" / "api.json"
    assert run(capsys, "compile", str(source), "--target", "json", "-o", str(out))[0] == 0
    written = out.read_text("utf-8")
    assert json.loads(written)["policies"][0]["name"] == "api"
    assert (
        run(capsys, "compile", str(source), "--target", "json", "-o", str(out), "--check")[0] == 0
    )
    source.write_text(GOOD.replace("GET, PUT", "GET, PATCH"), encoding="utf-8")
    code, _, err = run(
        capsys, "compile", str(source), "--target", "json", "-o", str(out), "--check"
    )
    assert code == 3 and "out of date" in err
    assert out.read_text("utf-8") == written  # --check writes nothing


def test_check_ignores_the_version_field(capsys, policy, tmp_path: Path) -> None:
    source = policy(GOOD)
    out = tmp_path / "api.json"
    run(capsys, "compile", str(source), "--target", "json", "-o", str(out))
    out.write_text(out.read_text("utf-8").replace(f"corsc {__version__} ", "corsc 0.0.1 "), "utf-8")
    assert (
        run(capsys, "compile", str(source), "--target", "json", "-o", str(out), "--check")[0] == 0
    )


def test_check_missing_output_is_drift(capsys, policy, tmp_path: Path) -> None:
    code, _, _ = run(
        capsys,
        "compile",
        str(policy(GOOD)),
        "--target",
        "json",
        "-o",
        str(tmp_path / "x.json"),
        "--check",
    )
    assert code == 3


def test_failed_compile_leaves_existing_output_untouched(capsys, policy, tmp_path: Path) -> None:
    out = tmp_path / "api.json"
    out.write_text("previous output\n", encoding="utf-8")
    code, stdout, err = run(capsys, "compile", str(policy(BAD)), "--target", "json", "-o", str(out))
    assert code == 1
    assert stdout == ""
    assert "CORS301" in err
    assert out.read_text("utf-8") == "previous output\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["api.cors", "api.json"]  # no temp files


def test_compile_keeps_file_mode(capsys, policy, tmp_path: Path) -> None:
    out = tmp_path / "api.json"
    out.write_text("old", encoding="utf-8")
    out.chmod(0o640)
    assert run(capsys, "compile", str(policy(GOOD)), "--target", "json", "-o", str(out))[0] == 0
    assert out.stat().st_mode & 0o777 == 0o640


def test_compile_into_directory(capsys, policy, tmp_path: Path) -> None:
    directory = tmp_path / "dist"
    directory.mkdir()
    assert (
        run(capsys, "compile", str(policy(GOOD)), "--target", "json", "-o", str(directory))[0] == 0
    )
    assert (directory / "api.json").is_file()


def test_policy_selection(capsys, policy) -> None:
    path = str(EXAMPLES / "api.cors")
    code, out, _ = run(capsys, "compile", path, "--target", "json", "--policy", "public")
    assert code == 0
    assert [p["name"] for p in json.loads(out)["policies"]] == ["public"]
    code, _, err = run(capsys, "compile", path, "--target", "json", "--policy", "publik")
    assert code == 2 and "did you mean `public`?" in err


def test_set_overrides_a_binding(capsys, policy) -> None:
    path = str(EXAMPLES / "api.cors")
    code, out, _ = run(
        capsys,
        "compile",
        path,
        "--target",
        "json",
        "--policy",
        "api",
        "--set",
        "partners=https://staging-partner.example.net",
    )
    assert code == 0
    hosts = [entry["host"] for entry in json.loads(out)["policies"][0]["entries"]]
    assert "staging-partner.example.net" in hosts
    assert "partner.example.net" not in hosts


def test_set_unknown_binding_is_an_error(capsys, policy) -> None:
    code, out, _ = run(capsys, "check", str(policy(GOOD)), "--set", "partnrs=https://a.example")
    assert code == 1
    assert "CORS011" in out


def test_unknown_option(capsys, policy) -> None:
    code, _, err = run(capsys, "compile", str(policy(GOOD)), "--target", "json", "-O", "x=1")
    assert code == 2 and "json has no option `x`" in err


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("variant", "corsc: error: -O variant: give a value, as -O variant=VALUE (maps, a2)\n"),
        ("prefix", "corsc: error: -O prefix: give a value, as -O prefix=VALUE\n"),
        (
            "variant=a3",
            "corsc: error: -O variant: expected one of maps, a2, got `a3`\n",
        ),
    ],
)
def test_option_without_a_value(capsys, policy, option: str, message: str) -> None:
    code, _, err = run(capsys, "compile", str(policy(GOOD)), "--target", "nginx", "-O", option)
    assert (code, err) == (2, message)


def test_check_requires_a_destination(capsys, policy) -> None:
    code, _, err = run(capsys, "compile", str(policy(GOOD)), "--target", "json", "--check")
    assert code == 2 and "--check compares with files on disk" in err


# ---- targets, version, internal errors --------------------------------------------------------


def test_targets_lists_every_registered_name_once(capsys) -> None:
    code, out, _ = run(capsys, "targets", "--format", "json")
    assert code == 0
    names = [name for row in json.loads(out)["targets"] for name in row["names"]]
    assert sorted(names) == sorted(target_names())
    code, text, _ = run(capsys, "targets")
    assert code == 0 and "starlette (alias: fastapi)" in text


def test_internal_error_is_one_line_exit_70(capsys, policy, monkeypatch) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("corsc.frontend.load", explode)
    monkeypatch.delenv("CORSC_DEBUG", raising=False)
    code, _, err = run(capsys, "check", str(policy(GOOD)))
    assert code == 70
    assert err.count("\n") == 1 and "internal error (RuntimeError: boom)" in err
    assert "Traceback" not in err


def test_python_dash_m_and_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "corsc", "--version"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert result.stdout == f"corsc {__version__}\n"


def test_usage_error_exit_2() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "corsc", "compile"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2


def test_no_color_when_not_a_terminal(capsys, policy) -> None:
    _, out, _ = run(capsys, "check", str(policy(WARNS)))
    assert "\x1b[" not in out
    assert "warning[CORS105" in out


def test_no_color_env(tmp_path: Path, policy) -> None:
    env = {**os.environ, "NO_COLOR": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "corsc", "check", str(policy(WARNS))],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert "\x1b[" not in result.stdout


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "{file}", "--set", "b=https://\udcff.example"],
        ["compile", "{file}", "--target", "nginx", "-O", "prefix=\udcff"],
        ["compile", "{file}", "--target", "json", "--policy", "\udcff"],
        ["explain", "{file}", "--origin", "https://\udcff.example"],
        ["explain", "{file}", "--origin", "https://a.example", "--header", "X-\udcfe"],
    ],
)
def test_arguments_that_are_not_utf8_are_a_usage_error(capsys, policy, argv) -> None:
    path = str(policy(GOOD))
    code, out, err = run(capsys, *[item.replace("{file}", path) for item in argv])
    assert code == 2 and out == ""
    assert err.startswith("corsc: error: the argument `")
    assert err.endswith(
        "` is not UTF-8 text; corsc reads option values as UTF-8 (file names may be any bytes)\n"
    )
    assert "<U+DC" in err
    err.encode("utf-8")


def test_a_file_name_that_is_not_utf8_is_fine(capsys, tmp_path: Path) -> None:
    path = os.path.join(os.fsencode(tmp_path), b"\xff\xfe.cors")
    with open(path, "wb") as stream:
        stream.write(GOOD.encode())
    code, out, err = run(capsys, "compile", os.fsdecode(path), "--target", "json")
    assert code == 0, err
    assert (
        f'"generated_by": "corsc {__version__} from <U+DCFF><U+DCFE>.cors for target json;' in out
    )
    out.encode("utf-8")


def test_the_cycle_collector_is_off_for_a_command_and_restored_after(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen: list[bool] = []
    run = cli._run

    def recording(argv: Sequence[str] | None) -> int:
        seen.append(gc.isenabled())
        return run(argv)

    monkeypatch.setattr(cli, "_run", recording)
    policy = tmp_path / "api.cors"
    policy.write_text('policy api {\n  origins "https://a.example"\n}\n', "utf-8")
    assert gc.isenabled()
    assert cli.main(["check", str(policy)]) == 0
    assert gc.isenabled()
    gc.disable()
    try:
        assert cli.main(["check", str(policy)]) == 0
        assert not gc.isenabled()  # a caller's choice stands
    finally:
        gc.enable()
    assert seen == [False, False]


def test_target_notes_are_one_line_unless_verbose(capsys: pytest.CaptureFixture[str]) -> None:
    example = str(EXAMPLES / "api.cors")
    code, _, err = run(capsys, "compile", example, "--target", "fastapi", "--policy", "public")
    assert code == 0
    assert "info[CORS602" not in err
    assert (
        "info: target `fastapi`: 6 declared deviations (none changes a browser's verdict); "
        "`--verbose` shows them"
    ) in err
    _, _, verbose = run(
        capsys, "compile", example, "--target", "fastapi", "--policy", "public", "--verbose"
    )
    assert verbose.count("info[CORS602 target-declared-deviation]") == 6
    _, _, document = run(
        capsys, "compile", example, "--target", "fastapi", "--policy", "public", "--format", "json"
    )
    assert [item["code"] for item in json.loads(document)["diagnostics"]].count("CORS602") == 6


# ---- the CLI contract: several inputs, one target per compile, -o, explain --expect ---------


def test_check_takes_files_and_directories_each_once_sorted(capsys, tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.cors").write_text(WARNS)
    (tmp_path / "b" / "deeper").mkdir()
    (tmp_path / "b" / "deeper" / "a.cors").write_text(WARNS)
    (tmp_path / "b" / "notes.txt").write_text("not a policy")
    (tmp_path / "b" / ".venv").mkdir()  # hidden directories are not searched
    (tmp_path / "b" / ".venv" / "x.cors").write_text(BAD)
    (tmp_path / "a.cors").write_text(WARNS)
    named = [str(tmp_path / "b"), str(tmp_path / "a.cors"), str(tmp_path / "b" / "z.cors")]
    code, out, _ = run(capsys, "check", *named, "--format", "json")
    assert code == 0
    files = [item["file"] for item in json.loads(out)["diagnostics"]]
    assert files == [
        str(tmp_path / "a.cors"),
        str(tmp_path / "b" / "deeper" / "a.cors"),
        str(tmp_path / "b" / "z.cors"),
    ]
    (tmp_path / "empty").mkdir()
    code, _, err = run(capsys, "check", str(tmp_path / "empty"))
    assert (code, err) == (
        2,
        f"corsc: error: {tmp_path / 'empty'} is a directory without any .cors file\n",
    )


def test_stdin_filename_names_the_policy_read_from_dash(
    capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(WARNS.encode())))
    code, out, _ = run(capsys, "check", "-", "--stdin-filename", "cors/api.cors")
    assert code == 0
    assert "--> cors/api.cors:2:11" in out
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(GOOD.encode())))
    code, out, _ = run(capsys, "compile", "-", "--target", "json", "--stdin-filename", "a.cors")
    assert code == 0
    assert '"generated_by": "corsc ' in out and " from a.cors for target json;" in out
    assert '"file": "a.cors"' in out


def test_several_targets_on_compile_point_to_build(capsys, policy) -> None:
    code, out, err = run(
        capsys, "compile", str(policy(GOOD)), "--target", "nginx", "--target", "iis"
    )
    assert (code, out) == (2, "")
    assert err == (
        "corsc: error: compile writes one target, and --target was given 2 times (nginx, iis); "
        "to write several, list them as outputs in corsc.toml and run `corsc build` "
        "(`corsc init` writes a starter project)\n"
    )


def test_o_is_a_file_for_one_file_targets_and_a_directory_for_several(
    capsys, policy, tmp_path: Path
) -> None:
    path = str(policy(GOOD))
    code, _, err = run(
        capsys, "compile", path, "--target", "nginx", "-o", str(tmp_path / "cors.conf")
    )
    assert code == 2
    assert err.splitlines()[-1] == (
        f"corsc: error: cannot write {tmp_path / 'cors.conf'}: target nginx writes 2 files "
        "(corsc-api.http.conf, corsc-api.conf), so the path names a directory: an existing "
        f"one, or `{tmp_path / 'cors.conf'}/` to create it"
    )
    assert not (tmp_path / "cors.conf").exists()
    code, _, err = run(capsys, "compile", path, "--target", "nginx", "-o", f"{tmp_path / 'conf'}/")
    assert code == 0
    assert err.splitlines()[-1] == (
        f"corsc: wrote 2 of 2 files in {tmp_path / 'conf'} (nginx); 0 up to date"
    )
    code, _, err = run(capsys, "compile", path, "--target", "iis", "-o", str(tmp_path / "w.config"))
    assert (code, err.splitlines()[-1]) == (0, f"corsc: wrote {tmp_path / 'w.config'} (iis)")
    code, _, err = run(capsys, "compile", path, "--target", "iis", "-o", str(tmp_path / "w.config"))
    assert err.splitlines()[-1] == f"corsc: up to date: {tmp_path / 'w.config'} (iis)"


def test_json_bytes_do_not_depend_on_the_working_directory(
    capsys, policy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = policy(GOOD)
    outputs = []
    for cwd, named in ((tmp_path, "api.cors"), (tmp_path.parent, f"{tmp_path.name}/api.cors")):
        monkeypatch.chdir(cwd)
        outputs.append(run(capsys, "compile", named, "--target", "json")[1])
    outputs.append(run(capsys, "compile", str(path), "--target", "json")[1])
    assert outputs[0] == outputs[1] == outputs[2]
    assert '"file": "api.cors"' in outputs[0]


def test_targets_name_shows_only_that_target(capsys) -> None:
    code, out, _ = run(capsys, "targets", "fastapi", "--format", "json")
    assert code == 0
    assert [row["names"] for row in json.loads(out)["targets"]] == [["starlette", "fastapi"]]
    code, text, _ = run(capsys, "targets", "nginx")
    assert code == 0 and text.startswith("nginx\n") and "\niis" not in text
    code, _, err = run(capsys, "targets", "ngnix")
    assert code == 2 and "did you mean `nginx`?" in err


EXPECT = 'policy api {\n  origins "https://app.example.com"\n}\n'


@pytest.mark.parametrize(
    ("origin", "expect", "code"),
    [
        ("https://app.example.com", "allow", 0),
        ("https://app.example.com", "block", 1),
        ("https://evil.example", "block", 0),
        ("https://evil.example", "allow", 1),
    ],
)
def test_explain_expect(capsys, policy, origin: str, expect: str, code: int) -> None:
    result = run(capsys, "explain", str(policy(EXPECT)), "--origin", origin, "--expect", expect)
    assert result[0] == code
    if code:
        assert result[2].startswith(f"corsc: expected {expect}, but the browser's verdict is: ")


@pytest.mark.parametrize(
    ("origin", "warning"),
    [
        (
            "app.example.com",
            'no browser sends the Origin `app.example.com`: "app.example.com" has no scheme; '
            'write the scheme browsers use, for example "https://app.example.com"',
        ),
        (
            "https://app.example.com:443",
            "no browser sends the Origin `https://app.example.com:443` (browsers never send "
            "the default port 443); it sends `https://app.example.com`",
        ),
        (
            "https://*.example.com",
            "no browser sends the Origin `https://*.example.com`: it is a pattern, and a "
            "browser sends one origin",
        ),
    ],
)
def test_explain_warns_on_an_origin_no_browser_sends(capsys, policy, origin, warning) -> None:
    code, out, err = run(capsys, "explain", str(policy(EXPECT)), "--origin", origin)
    assert code == 0 and "verdict: blocked" in out
    assert err == f"corsc: warning: {warning}\n"
    assert run(capsys, "explain", str(policy(EXPECT)), "--origin", "null")[2] == ""
    assert run(capsys, "explain", str(policy(EXPECT)), "--origin", "https://a.example")[2] == ""


def test_a_compile_imports_only_its_command_and_its_target() -> None:
    """A cold ``corsc compile --target json`` imports neither the other commands' modules nor
    the other backends (the start-up time a build step pays on every run, bench/
    bench_cold_start.py), while ``corsc --help`` still lists every command."""
    probe = (
        "import contextlib, io, json, sys\n"
        "from corsc import cli\n"
        "quiet = io.StringIO()\n"
        "with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):\n"
        "    code = cli.main(sys.argv[1:])\n"
        "print(code, json.dumps(sorted(m for m in sys.modules if m.startswith(('corsc.commands.', "
        "'corsc.backends.', 'corsc.imports', 'corsc.probe', 'corsc.lsp')))))\n"
    )
    example = str(ROOT / "examples" / "api.cors")
    ran = subprocess.run(
        [sys.executable, "-c", probe, "compile", example, "--target", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    code, loaded = ran.stdout.split(" ", 1)
    assert code == "0"
    assert json.loads(loaded) == [
        "corsc.backends.jsonir",
        "corsc.commands.common",
        "corsc.commands.compile",
    ]
    listed = subprocess.run(
        [sys.executable, "-m", "corsc", "--help"], capture_output=True, text=True, check=True
    )
    for name in cli.COMMANDS:
        assert name in listed.stdout, name
