"""corsc fmt, the command: rewriting in place (atomically, only when the text changes),
--check, --diff, directories, stdin, and what it refuses."""

from __future__ import annotations

import errno
import io
import os
from pathlib import Path

import pytest

from corsc import cli
from corsc.fmt_layout import Lines

UGLY = "policy p { origins *; methods GET }\n"
PRETTY = "policy p {\n  origins *\n  methods GET\n}\n"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(["fmt", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_fmt_rewrites_a_file_and_says_so(tmp_path: Path, capsys) -> None:
    path = tmp_path / "a.cors"
    path.write_text(UGLY, "utf-8")
    os.chmod(path, 0o640)
    assert run(capsys, str(path)) == (0, "", f"corsc: reformatted {path}\n")
    assert path.read_text("utf-8") == PRETTY
    assert os.stat(path).st_mode & 0o777 == 0o640
    assert [item.name for item in tmp_path.iterdir()] == ["a.cors"]  # no temporary left


def test_fmt_leaves_a_canonical_file_untouched(tmp_path: Path, capsys) -> None:
    path = tmp_path / "a.cors"
    path.write_text(PRETTY, "utf-8")
    before = os.stat(path)
    assert run(capsys, str(path)) == (0, "", "")
    after = os.stat(path)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_fmt_writes_through_a_symbolic_link(tmp_path: Path, capsys) -> None:
    target = tmp_path / "real.cors"
    target.write_text(UGLY, "utf-8")
    link = tmp_path / "link.cors"
    link.symlink_to(target)
    assert run(capsys, str(link))[0] == 0
    assert link.is_symlink()
    assert target.read_text("utf-8") == PRETTY


def test_check_lists_what_would_change_and_writes_nothing(tmp_path: Path, capsys) -> None:
    ugly, pretty = tmp_path / "ugly.cors", tmp_path / "pretty.cors"
    ugly.write_text(UGLY, "utf-8")
    pretty.write_text(PRETTY, "utf-8")
    assert run(capsys, "--check", str(ugly), str(pretty)) == (
        3,
        "",
        f"corsc: {ugly} would be reformatted\n",
    )
    assert ugly.read_text("utf-8") == UGLY
    assert run(capsys, "--check", str(pretty)) == (0, "", "")


def test_diff_shows_a_unified_diff_and_writes_nothing(tmp_path: Path, capsys) -> None:
    path = tmp_path / "a.cors"
    path.write_text("policy p { origins * }", "utf-8")
    code, out, err = run(capsys, "--diff", str(path))
    assert (code, err) == (3, "")
    assert out == (
        f"--- {path}\n+++ {path}\n@@ -1 +1,3 @@\n-policy p {{ origins * }}\n"
        "\\ No newline at end of file\n+policy p {\n+  origins *\n+}\n"
    )
    assert path.read_text("utf-8") == "policy p { origins * }"


def test_a_directory_means_its_cors_files_in_sorted_order(tmp_path: Path, capsys) -> None:
    for name in ["b.cors", "a/z.cors", "a/b/c.cors", ".hidden/x.cors", "notes.txt", ".h.cors"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(UGLY, "utf-8")
    code, out, err = run(capsys, "--check", str(tmp_path))
    assert (code, out) == (3, "")
    assert err.splitlines() == [
        f"corsc: {tmp_path / name} would be reformatted"
        for name in ["a/b/c.cors", "a/z.cors", "b.cors"]
    ]
    assert run(capsys, str(tmp_path))[0] == 0
    assert (tmp_path / "a/b/c.cors").read_text("utf-8") == PRETTY
    assert (tmp_path / ".hidden/x.cors").read_text("utf-8") == UGLY


def test_a_directory_without_policies_is_a_warning(tmp_path: Path, capsys) -> None:
    assert run(capsys, str(tmp_path)) == (
        0,
        "",
        f"corsc: warning: no .cors files under {tmp_path}\n",
    )


def test_stdin_is_formatted_to_stdout(capsys, monkeypatch) -> None:
    monkeypatch.setattr("sys.stdin", _Stdin(UGLY.encode()))
    assert run(capsys, "-") == (0, PRETTY, "")
    monkeypatch.setattr("sys.stdin", _Stdin(UGLY.encode()))
    assert run(capsys, "--check", "-") == (3, "", "corsc: - would be reformatted\n")


def test_syntax_errors_are_refused_as_check_shows_them(tmp_path: Path, capsys) -> None:
    bad, good = tmp_path / "bad.cors", tmp_path / "good.cors"
    bad.write_text("policy p {\n  origins *\n", "utf-8")
    good.write_text(UGLY, "utf-8")
    code, out, err = run(capsys, str(bad), str(good))
    assert (code, out) == (2, "")
    check_output = capsys.readouterr() if cli.main(["check", str(bad)]) else None
    assert check_output is not None
    assert err == check_output.out + f"corsc: reformatted {good}\n"
    assert "error[CORS002 unclosed-block]: policy `p` opened on line 1 is never closed" in err
    assert bad.read_text("utf-8") == "policy p {\n  origins *\n"
    assert good.read_text("utf-8") == PRETTY


def test_an_unreadable_input_is_exit_2(tmp_path: Path, capsys) -> None:
    code, out, err = run(capsys, str(tmp_path / "missing.cors"))
    assert (code, out) == (2, "")
    assert f"error[CORS008 unreadable-input]: {tmp_path / 'missing.cors'}: no such file" in err


def test_a_file_that_cannot_be_replaced_is_exit_2_and_kept(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    path = tmp_path / "a.cors"
    path.write_text(UGLY, "utf-8")

    def read_only(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr("tempfile.mkstemp", read_only)
    assert run(capsys, str(path)) == (
        2,
        "",
        f"corsc: error: cannot write {path}: Read-only file system\n",
    )
    assert path.read_text("utf-8") == UGLY


def test_a_formatter_bug_is_exit_70_and_writes_nothing(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setattr(Lines, "trailing", lambda self, piece: None)
    path = tmp_path / "a.cors"
    path.write_text("policy p { origins * }  # kept\n", "utf-8")
    code, out, err = run(capsys, str(path))
    assert (code, out) == (70, "")
    assert err.startswith("corsc: internal error (FormattingBug: formatting")
    assert path.read_text("utf-8") == "policy p { origins * }  # kept\n"


class _Stdin:
    """What ``corsc fmt -`` reads: ``sys.stdin.buffer``."""

    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)
