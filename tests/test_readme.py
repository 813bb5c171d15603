"""The README stays true: its diagnostics table is the catalogue, every target is in its table
and links to its docs page, and the first-screen commands work."""

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
    """A link to each target's docs page, named by its title (the page's first heading): the
    README points to the per-target documentation and never repeats it."""
    docs = ROOT / "docs"
    links = []
    for name in target_docs():
        title = (docs / name).read_text("utf-8").splitlines()[0].lstrip("#").strip()
        links.append(f"- [{title}](docs/{name})")
    return "\n".join(links)


def test_target_sections_link_to_the_docs() -> None:
    assert all((ROOT / "docs" / name).is_file() for name in target_docs())
    generated("<!-- targets:begin -->\n", "\n<!-- targets:end -->", targets_section())


def test_every_linked_docs_page_exists() -> None:
    for target in re.findall(r"\]\((docs/[^)#]+)", README.read_text("utf-8")):
        assert (ROOT / target).is_file(), target


def test_every_target_is_documented() -> None:
    text = README.read_text("utf-8")
    for name in target_names():
        assert f"`{name}`" in text, name


def corsc(arguments: list[str]) -> subprocess.CompletedProcess[str]:
    """``corsc ARGUMENTS`` run from the checkout, as a reader of the README would."""
    return subprocess.run(
        [sys.executable, "-m", "corsc", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_first_screen_commands() -> None:
    """The first screen installs into a venv (a fresh Debian refuses a bare `pip install`),
    compiles an example for `iis` and for `nginx`, and names the test suite; each compile it
    shows works."""
    first_screen = "\n".join(README.read_text("utf-8").splitlines()[:20])
    assert "python3 -m venv .venv && . .venv/bin/activate" in first_screen
    assert re.search(r"pip install \. && corsc compile \S+ --target \S+", first_screen)
    assert "bash .ci/run" in first_screen and "corsc init" in first_screen
    assert (ROOT / ".ci" / "run").is_file()
    compiles = re.findall(r"(corsc compile \S+ --target \S+)", first_screen)
    assert [command.split()[-1] for command in compiles] == ["iis", "nginx"]
    for command in compiles:
        result = corsc(command.split()[1:])
        assert result.returncode == 0, result.stderr
        assert "generated — edit the policy, not this file" in result.stdout


def test_ci_runs_the_readme_test_command() -> None:
    readme = README.read_text("utf-8")
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    command = re.search(r"the test command, `([^`]+)`", readme)
    assert command is not None
    assert command.group(1) in ci


def test_troubleshooting_starts_from_a_command_that_runs() -> None:
    """docs/troubleshooting.md's `corsc explain` runs as written (on examples/api.cors, the
    policy it shows) and the README points to the guide."""
    guide = (ROOT / "docs" / "troubleshooting.md").read_text("utf-8")
    assert "docs/troubleshooting.md" in README.read_text("utf-8")
    block = re.search(r"```sh\n(corsc explain .*?)\n```", guide, re.S)
    assert block is not None
    command = block.group(1).replace("\\\n", " ").split()
    assert command[2] == "api.cors"
    command[2] = str(ROOT / "examples" / "api.cors")
    result = corsc(command[1:])
    assert result.returncode == 0, result.stderr
    assert "verdict: allowed" in result.stdout


def test_the_license_is_the_one_pyproject_declares() -> None:
    import tomllib

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    assert pyproject["project"]["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text("utf-8").startswith("MIT License\n")
