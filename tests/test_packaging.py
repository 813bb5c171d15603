"""corsc installs both ways the README shows — ``pip install .`` and ``pip install -e .`` —
with the grammar and the backends shipped inside the package (``corsc.grammar``,
``corsc.backends``), and runs from outside the source tree."""

from __future__ import annotations

import shutil
import subprocess
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _ignore(directory: str, names: list[str]) -> set[str]:
    return {
        n
        for n in names
        if n in {".git", "build", "__pycache__", ".hypothesis"} or n.endswith(".egg-info")
    }


@pytest.mark.slow
@pytest.mark.parametrize("editable", [False, True], ids=["install", "editable"])
def test_install_and_compile(tmp_path: Path, editable: bool) -> None:
    # A copy of the tree, so an editable install does not write into the checkout.
    project = tmp_path / "project"
    shutil.copytree(ROOT, project, ignore=_ignore)
    environment = tmp_path / "venv"
    # The venv sees the test machine's packages (lark, attrs, pip, setuptools), so nothing is
    # downloaded.
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(environment)
    python = environment / "bin" / "python"
    command = [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation"]
    command += ["-e", str(project)] if editable else [str(project)]
    subprocess.run(command, check=True, capture_output=True, cwd=tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    example = project / "examples" / "api.cors"
    result = subprocess.run(
        [str(environment / "bin" / "corsc"), "compile", str(example), "--target", "json"],
        capture_output=True,
        text=True,
        cwd=elsewhere,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert '"generated_by": "corsc ' in result.stdout
    located = subprocess.run(
        [
            str(python),
            "-c",
            "import corsc, corsc.regex, corsc.grammar, corsc.backends; print(corsc.__file__)",
        ],
        capture_output=True,
        text=True,
        cwd=elsewhere,
        check=True,
    )
    inside_copy = located.stdout.strip().startswith(str(project))
    assert inside_copy is editable
    if not editable:
        installed = Path(located.stdout.strip()).parent
        assert (installed / "grammar" / "cors.lark").is_file()
        assert (installed / "backends" / "__init__.py").is_file()
