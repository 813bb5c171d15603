"""The README stays true: its diagnostics table is the catalogue, every target is documented,
and the first-screen commands work."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from corsc import diagnostics as d
from corsc.backends import backends, target_names

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def diagnostics_table() -> str:
    backends()  # backends register their 6xx kinds on import
    rows = ["| code | name | severity | meaning |", "|---|---|---|---|"]
    for kind in sorted(d.CATALOGUE.values(), key=lambda kind: kind.code):
        rows.append(f"| {kind.code} | `{kind.name}` | {kind.severity.value} | {kind.summary} |")
    return "\n".join(rows)


def generated(begin: str, end: str, content: str) -> None:
    """The README's text between ``begin`` and ``end`` is ``content``; with
    ``CORSC_UPDATE_README=1`` it is rewritten so (then read the diff)."""
    text = README.read_text("utf-8")
    expected = begin + content + end
    current = re.search(re.escape(begin) + r".*?" + re.escape(end), text, re.S)
    assert current is not None, begin
    if os.environ.get("CORSC_UPDATE_README") == "1":
        README.write_text(text.replace(current.group(0), expected), "utf-8")
        return
    assert current.group(0) == expected, "run with CORSC_UPDATE_README=1 and read the diff"


def test_diagnostics_table_is_the_catalogue() -> None:
    generated("<!-- diagnostics:begin -->\n", "\n<!-- diagnostics:end -->", diagnostics_table())


def targets_table() -> str:
    """One row per target, from the registry: names, output, where it runs, how it is
    verified here."""
    rows = [
        "| target | output | where it runs | how it is verified here |",
        "|---|---|---|---|",
    ]
    for backend in backends():
        name, *aliases = backend.names
        shown = f"`{name}`" + "".join(f" (alias `{alias}`)" for alias in aliases)
        rows.append(f"| {shown} | {backend.summary} | {backend.runs_on} | {backend.verified} |")
    return "\n".join(rows)


def test_targets_table_is_the_registry() -> None:
    generated("<!-- target-table:begin -->\n", "\n<!-- target-table:end -->", targets_table())


def target_docs() -> list[str]:
    """The targets' docs pages, in registry order, each once."""
    return list(dict.fromkeys(backend.docs for backend in backends()))


def targets_section() -> str:
    """The targets' docs pages, one heading level down (they sit under the README's
    "Targets")."""
    docs = ROOT / "docs"
    parts = [_demoted((docs / name).read_text("utf-8").strip()) for name in target_docs()]
    return "\n\n".join(parts)


def _demoted(markdown: str) -> str:
    lines, in_code = [], False
    for line in markdown.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        lines.append("#" + line if line.startswith("#") and not in_code else line)
    return "\n".join(lines)


def test_target_sections_are_the_docs() -> None:
    assert all((ROOT / "docs" / name).is_file() for name in target_docs())
    generated("<!-- targets:begin -->\n", "\n<!-- targets:end -->", targets_section())


def test_every_target_is_documented() -> None:
    text = README.read_text("utf-8")
    for name in target_names():
        assert f"`{name}`" in text, name


def test_first_screen_commands() -> None:
    first_screen = "\n".join(README.read_text("utf-8").splitlines()[:20])
    match = re.search(r"pip install \. && (corsc compile \S+ --target \S+)", first_screen)
    assert match is not None
    assert "bash .ci/run" in first_screen
    assert (ROOT / ".ci" / "run").is_file()
    command = match.group(1).split()
    result = subprocess.run(
        [sys.executable, "-m", "corsc", *command[1:]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "generated — edit the policy, not this file" in result.stdout


def test_ci_runs_the_readme_test_command() -> None:
    readme = README.read_text("utf-8")
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    command = re.search(r"the test command, `([^`]+)`", readme)
    assert command is not None
    assert command.group(1) in ci
