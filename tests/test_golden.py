"""Golden outputs per example and target: ``tests/golden/<target>/<example>.<file>``, or
``<example>.diagnostics.txt`` when the target refuses the example. Updated only on purpose:
``CORSC_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py``, then read the diff."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from corsc import __version__, provenance, render
from corsc.backends import EmitOptions, backends, check, validate_options
from corsc.diagnostics import Diagnostic, fails
from corsc.frontend import load
from corsc.source import Source

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
EXAMPLES = sorted((ROOT / "examples").glob("*.cors"))
TARGETS = [backend.names[0] for backend in backends()]
UPDATE = os.environ.get("CORSC_UPDATE_GOLDEN") == "1"


def compile_example(example: Path, target: str) -> dict[str, str]:
    """What ``corsc compile examples/<example> --target <target>`` produces, by golden name."""
    loaded = load(Source(f"examples/{example.name}", example.read_text("utf-8")))
    assert loaded.policy_set is not None
    backend = next(b for b in backends() if b.names[0] == target)
    values, problems = validate_options(backend, [])
    assert not problems
    options = EmitOptions(__version__, example.name, target, values)
    diagnostics = sorted(
        [*loaded.diagnostics, *check(backend, loaded.policy_set, options)],
        key=Diagnostic.sort_key,
    )
    if fails(diagnostics):
        text = render.render_text(diagnostics, loaded.sources, color=False)
        return {f"{example.stem}.diagnostics.txt": text}
    return {
        f"{example.stem}.{item.name}": item.content
        for item in backend.emit(loaded.policy_set, options)
    }


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.stem)
def test_golden(example: Path, target: str) -> None:
    produced = compile_example(example, target)
    directory = GOLDEN / target
    if UPDATE:
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob(f"{example.stem}.*"):
            stale.unlink()
        for name, content in produced.items():
            (directory / name).write_text(content, "utf-8")
    expected = {path.name: path.read_text("utf-8") for path in directory.glob(f"{example.stem}.*")}
    assert sorted(expected) == sorted(produced)
    for name, content in produced.items():
        assert provenance.comparable(content) == provenance.comparable(expected[name]), name


@pytest.mark.parametrize("target", TARGETS)
def test_same_input_same_bytes(target: str) -> None:
    for example in EXAMPLES:
        assert compile_example(example, target) == compile_example(example, target)
