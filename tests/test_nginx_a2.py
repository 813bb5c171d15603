"""The A2 variant's goldens (``-O variant=a2``; the maps variant's are tests/test_golden.py's):
``tests/golden/nginx/a2/<example>.<file>``, updated only on purpose with
``CORSC_UPDATE_GOLDEN=1``, then the diff read."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from corsc import provenance
from tests.nginx_config import EXAMPLES, ROOT, compile_text, example_text

A2_GOLDEN = ROOT / "tests" / "golden" / "nginx" / "a2"
UPDATE = os.environ.get("CORSC_UPDATE_GOLDEN") == "1"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.stem)
def test_a2_golden(example: Path) -> None:
    _, _, files = compile_text(example_text(example), "variant=a2", source=example.name)
    produced = {f"{example.stem}.{item.name}": item.content for item in files}
    if UPDATE:
        A2_GOLDEN.mkdir(parents=True, exist_ok=True)
        for stale in A2_GOLDEN.glob(f"{example.stem}.*"):
            stale.unlink()
        for name, content in produced.items():
            (A2_GOLDEN / name).write_text(content, "utf-8")
    expected = {p.name: p.read_text("utf-8") for p in A2_GOLDEN.glob(f"{example.stem}.*")}
    assert sorted(expected) == sorted(produced)
    for name, content in produced.items():
        assert provenance.comparable(content) == provenance.comparable(expected[name]), name
