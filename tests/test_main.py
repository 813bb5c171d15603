"""``python -m corsc`` and the ``corsc`` command (``corsc.__main__``): a cold ``compile
--target json`` imports only what that compile uses — not the other commands, the other
backends, the language server, the prober, the importers, nor what only some diagnostics
need — so a slower start cannot creep back in unnoticed."""

from __future__ import annotations

import gc
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from corsc import __main__ as entry

ROOT = Path(__file__).resolve().parent.parent

#: Modules (and the packages below them) a cold json compile of examples/api.cors must not
#: import. ``difflib`` is for misspelt names, ``publicsuffixlist`` is read as a file.
NOT_IMPORTED = (
    "corsc.lsp",
    "corsc.probe",
    "corsc.imports",
    "corsc.runtime",
    "corsc.fmt",
    "corsc.fmt_reader",
    "corsc.fmt_layout",
    "corsc.output_plan",
    "corsc.output_stale",
    "corsc.output_report",
    "corsc.output_write",
    "corsc.explain",
    "corsc.explain_html",
    "corsc.project",
    "corsc.rules",
    "corsc.evaluate",
    "corsc.commands.build",
    "corsc.commands.check",
    "corsc.commands.fmt",
    "corsc.commands.lsp",
    "corsc.commands.probe",
    "corsc.commands.import_",
    "corsc.backends.nginx",
    "corsc.backends.iis_module",
    "corsc.backends.express",
    "corsc.backends.python",
    "corsc.backends.caddy",
    "difflib",
    "publicsuffixlist",
    "tomllib",
    "asyncio",
    "http.client",
    "urllib.request",
)

#: What a cold json compile of examples/api.cors does need: the check that the list above is
#: measured on a compile that really ran.
IMPORTED = ("corsc.commands.compile", "corsc.backends.jsonir", "corsc.checks", "lark")


def cold_compile_modules(tmp_path: Path) -> list[str]:
    """The modules loaded once ``python -m corsc compile api.cors --target json`` has run,
    in a fresh interpreter."""
    policy = tmp_path / "api.cors"
    policy.write_text((ROOT / "examples" / "api.cors").read_text("utf-8"), "utf-8")
    listing = tmp_path / "modules.txt"
    probe = (
        "import sys\n"
        "from corsc.__main__ import run\n"
        "sys.argv = ['corsc', 'compile', 'api.cors', '--target', 'json']\n"
        "status = run()\n"
        f"open({str(listing)!r}, 'w').write('\\n'.join(sorted(sys.modules)))\n"
        "sys.exit(status)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["file"] == "api.cors"
    return listing.read_text("utf-8").split("\n")


def test_a_cold_json_compile_imports_only_what_it_uses(tmp_path: Path) -> None:
    modules = cold_compile_modules(tmp_path)
    assert [name for name in IMPORTED if name not in modules] == []
    unwanted = [
        module
        for module in modules
        if any(module == name or module.startswith(f"{name}.") for name in NOT_IMPORTED)
    ]
    assert unwanted == []


@pytest.mark.parametrize("name", NOT_IMPORTED)
def test_every_module_kept_out_exists(name: str) -> None:
    assert importlib.util.find_spec(name) is not None


def test_run_collects_no_cycles_and_answers_like_the_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["corsc", "--version"])
    was_enabled = gc.isenabled()
    try:
        with pytest.raises(SystemExit) as exit_:
            entry.run()
        assert exit_.value.code == 0
        assert capsys.readouterr().out.startswith("corsc ")
        assert not gc.isenabled()
    finally:
        if was_enabled:
            gc.enable()
