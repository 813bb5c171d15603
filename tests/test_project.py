"""The project file: the nearest corsc.toml upwards, its targets, its problems as text."""

from __future__ import annotations

from pathlib import Path

from corsc.project import Project, find_project, project_for, read_project


def test_the_nearest_project_file_upwards(tmp_path: Path) -> None:
    (tmp_path / "corsc.toml").write_text('targets = ["nginx"]\n')
    inner = tmp_path / "a" / "b"
    inner.mkdir(parents=True)
    assert find_project(inner / "api.cors") == tmp_path / "corsc.toml"
    (inner / "corsc.toml").write_text('targets = ["iis", "nginx", "iis"]\n')
    assert project_for(inner / "api.cors") == Project(inner / "corsc.toml", ("iis", "nginx"))


def test_problems_are_messages(tmp_path: Path) -> None:
    path = tmp_path / "corsc.toml"
    path.write_text("targets = nginx\n")
    assert read_project(path).problems[0].startswith(f"{path}: Invalid value")
    path.write_text('targets = "nginx"\n')
    assert read_project(path) == Project(
        path, (), (f'{path}: `targets` must be a list of target names, like ["nginx"]',)
    )
    path.write_bytes(b"\xff")
    assert read_project(path).problems == (
        f"{path}: 'utf-8' codec can't decode byte 0xff in position 0: invalid start byte",
    )
