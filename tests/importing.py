"""Helpers for the import tests: import a fixture, and what came of it."""

from __future__ import annotations

from pathlib import Path

from corsc.frontend import Loaded, load
from corsc.imports import Imported, import_source
from corsc.source import Source

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "import"


def imported(path: Path, family: str | None = None) -> Imported:
    return import_source(Source(path.name, path.read_text("utf-8")), family)


def codes(result: Imported) -> list[str]:
    """The import's own codes (CORS7xx), in order of position."""
    return [item.code for item in result.diagnostics]


def policy_of(result: Imported) -> Loaded:
    """The imported policy, loaded; it always parses."""
    assert result.policy is not None
    loaded = load(Source("imported.cors", result.policy))
    assert loaded.policy_set is not None, result.policy
    return loaded
