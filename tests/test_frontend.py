"""corsc.frontend: one call from text to a checked policy set, touching no global state."""

from __future__ import annotations

import gc

import pytest

from corsc.frontend import load
from corsc.source import Source


def test_load_leaves_the_cycle_collector_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> None:
        raise AssertionError("a library call switched the cycle collector")

    monkeypatch.setattr(gc, "disable", refuse)
    monkeypatch.setattr(gc, "enable", refuse)
    loaded = load(Source("api.cors", 'policy api {\n  origins "https://a.example"\n}\n'))
    assert not loaded.has_errors
    assert gc.isenabled()
