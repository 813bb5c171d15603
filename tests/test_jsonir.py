"""The ``json`` target (backends/jsonir.py): its capability table."""

from __future__ import annotations

from corsc.backends import get
from corsc.capabilities import Support


def test_json_expresses_everything_and_serves_nothing() -> None:
    backend = get("json")
    assert backend.serves is False and backend.deviations == ()
    assert all(row.support is Support.YES for row in backend.capabilities.values())
