"""Type-check corsc as it is installed: ``corsc/``, with ``backends/`` as ``corsc.backends`` and
``grammar/`` as ``corsc.grammar``.

The repository keeps the three directories side by side and setuptools maps them into one
package (``[tool.setuptools.package-dir]``). mypy has no such mapping, so this builds the
installed layout as a tree of symbolic links in a temporary directory, runs mypy there with the
project's ``[tool.mypy]`` settings, and writes its report with the repository's paths. Every
import between the three parts is then resolved and checked; nothing is hidden by
``ignore_missing_imports``.

Usage: ``python3 tools/typecheck.py [MYPY OPTIONS]``; the exit status is mypy's.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from mypy import api

ROOT = Path(__file__).resolve().parent.parent
#: Where each part of the repository sits in the installed package.
LAYOUT = {
    "corsc": ROOT / "corsc",
    "corsc/backends": ROOT / "backends",
    "corsc/grammar": ROOT / "grammar",
}


def link_tree(destination: Path) -> Path:
    """The installed layout under ``destination``, as links to the repository's files."""
    package = destination / "corsc"
    package.mkdir()
    mapped = {name.removeprefix("corsc/") for name in LAYOUT}
    for entry in sorted((ROOT / "corsc").iterdir()):
        # A checkout may link corsc/backends and corsc/grammar itself, so that `import
        # corsc.backends` finds its own files without an editable install: those are mapped
        # below.
        if entry.name != "__pycache__" and entry.name not in mapped:
            (package / entry.name).symlink_to(entry)
    for name, source in LAYOUT.items():
        if name != "corsc":
            (destination / name).symlink_to(source, target_is_directory=True)
    return package


def repository_paths(report: str) -> str:
    """mypy's report with the installed layout's paths written as the repository's."""
    lines = []
    for line in report.splitlines(keepends=True):
        for name in sorted(LAYOUT, key=len, reverse=True):
            prefix = name + "/"
            if line.startswith(prefix):
                line = str(LAYOUT[name].relative_to(ROOT)) + "/" + line[len(prefix) :]
                break
        lines.append(line)
    return "".join(lines)


def main(arguments: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="corsc-typecheck-") as directory:
        package = link_tree(Path(directory))
        config = [
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(ROOT / ".mypy_cache"),
        ]
        previous = os.getcwd()
        os.chdir(directory)
        try:
            out, err, status = api.run([*config, *arguments, package.name])
        finally:
            os.chdir(previous)
    sys.stdout.write(repository_paths(out))
    sys.stderr.write(err)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
