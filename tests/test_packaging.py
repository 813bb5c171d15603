"""corsc installs both ways the README shows — ``pip install .`` and ``pip install -e .`` —
with the grammar and the backends shipped inside the package (``corsc.grammar``,
``corsc.backends``), and runs from outside the source tree.

The install builds with the packages of the interpreter running the tests (a venv's, or the
system's when run as root), never downloading: so those must meet pyproject's
``build-system.requires``, which states the real minimum (``license = "MIT"`` needs
setuptools 77)."""

from __future__ import annotations

import re
import shutil
import site
import subprocess
import sys
import tomllib
import venv
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _ignore(directory: str, names: list[str]) -> set[str]:
    return {
        n
        for n in names
        if n in {".git", "build", "__pycache__", ".hypothesis"} or n.endswith(".egg-info")
    }


def test_the_build_requirement_is_met_here() -> None:
    """pyproject declares the setuptools its metadata needs, and the interpreter running the
    tests has it (`.ci/run` upgrades setuptools before the suite)."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    (requirement,) = pyproject["build-system"]["requires"]
    match = re.fullmatch(r"setuptools>=(\d+)(?:\.\d+)*", requirement)
    assert match is not None and int(match.group(1)) >= 77, requirement
    installed = int(version("setuptools").split(".")[0])
    assert installed >= int(match.group(1)), (
        f"{sys.executable} has setuptools {version('setuptools')}; install {requirement}"
    )


@pytest.mark.slow
@pytest.mark.parametrize("editable", [False, True], ids=["install", "editable"])
def test_install_and_compile(tmp_path: Path, editable: bool) -> None:
    # A copy of the tree, so an editable install does not write into the checkout.
    project = tmp_path / "project"
    shutil.copytree(ROOT, project, ignore=_ignore)
    environment = tmp_path / "venv"
    # The venv sees the packages of the interpreter running the tests (lark, attrs, pip,
    # setuptools) before the base interpreter's, so nothing is downloaded and a venv's newer
    # setuptools is the one that builds.
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(environment)
    python = environment / "bin" / "python"
    inner = subprocess.run(
        [str(python), "-c", "import site; print(site.getsitepackages()[0])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    outer = [path for path in (*site.getsitepackages(), site.getusersitepackages()) if path]
    (Path(inner) / "_outer.pth").write_text("\n".join(outer) + "\n", "utf-8")
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
        assert (installed / "schema" / "diagnostics.schema.json").is_file()
        assert (installed / "py.typed").is_file()
