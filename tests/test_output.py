"""Output: provenance, stdout rendering of several files, atomic writes, drift detection."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from corsc import output
from corsc.backends import OutputFile
from corsc.frontend import load
from corsc.ir import PolicySet
from corsc.source import Source


def policy_set(text: str) -> PolicySet:
    loaded = load(Source("dir/api.cors", text))
    assert loaded.policy_set is not None
    return loaded.policy_set


def test_provenance_names_version_file_target_and_hash_without_time() -> None:
    line = output.provenance("1.2.3", "dir/api.cors", "nginx", policy_set("policy p { origins * }"))
    assert line.startswith("corsc 1.2.3 from api.cors for target nginx; policy sha256:")
    assert line.endswith("generated — edit the policy, not this file")


def test_hash_ignores_layout_but_not_meaning() -> None:
    one = output.provenance("1", "a", "t", policy_set('policy p { origins "https://a.example" }'))
    reformatted = output.provenance(
        "1", "a", "t", policy_set('# comment\npolicy p {\n  origins  "https://A.example"\n}\n')
    )
    other = output.provenance("1", "a", "t", policy_set('policy p { origins "https://b.example" }'))
    assert one == reformatted
    assert one != other


def test_comparable_masks_only_the_version() -> None:
    text = "# corsc 0.1.0 from api.cors for target nginx; policy sha256:ab; generated\nx\n"
    assert output.comparable(text) == output.comparable(text.replace("0.1.0", "9.9"))
    assert output.comparable(text) != output.comparable(text.replace("sha256:ab", "sha256:cd"))


def test_several_files_on_stdout_are_introduced() -> None:
    files = [
        OutputFile("a.conf", "A\n", "inside http {}"),
        OutputFile("b.conf", "B\n", "inside server {}"),
    ]
    assert output.render_stdout(files) == (
        "# ===== a.conf — inside http {}\nA\n\n# ===== b.conf — inside server {}\nB\n"
    )
    assert output.render_stdout(files[:1]) == "A\n"


def test_plan_single_file_and_directory(tmp_path: Path) -> None:
    one = [OutputFile("web.config", "x", "site root")]
    assert output.plan(one, str(tmp_path / "out.config")).items[0].path == tmp_path / "out.config"
    assert output.plan(one, str(tmp_path)).items[0].path == tmp_path / "web.config"
    two = [OutputFile("a", "1", ""), OutputFile("b", "2", "")]
    assert [p.path for p in output.plan(two, str(tmp_path / "new")).items] == [
        tmp_path / "new" / "a",
        tmp_path / "new" / "b",
    ]


def write(path: Path, content: str) -> None:
    output.write_all(output.plan([OutputFile(path.name, content, "")], str(path)))


def test_write_replaces_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("old")
    write(target, "new")
    assert target.read_text() == "new"
    assert os.listdir(tmp_path) == ["file"]


def test_write_keeps_the_old_file_when_writing_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "file"
    target.write_text("old")

    def fail(*args: object) -> None:
        raise OSError(28, "disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(output.OutputError, match="disk full"):
        write(target, "new")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["file"]


def test_unchanged_files_are_not_rewritten(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.write_text("same")
    before = target.stat().st_mtime_ns
    planned = output.plan([OutputFile("out", "same", "")], str(target))
    assert not planned.items[0].changed
    output.write_all(planned)
    assert target.stat().st_mtime_ns == before
