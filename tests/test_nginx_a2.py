"""The A2 variant's goldens (``-O variant=a2``; the maps variant's are tests/test_golden.py's):
``tests/golden/nginx/a2/<example>.<file>``, updated only on purpose with
``CORSC_UPDATE_GOLDEN=1``, then the diff read."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.goldens import GOLDEN, check_golden
from tests.nginx_config import EXAMPLES, compile_text, example_text

A2_GOLDEN = GOLDEN / "nginx" / "a2"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.stem)
def test_a2_golden(example: Path) -> None:
    _, _, files = compile_text(example_text(example), "variant=a2", source=example.name)
    produced = {f"{example.stem}.{item.name}": item.content for item in files}
    check_golden(A2_GOLDEN, example.stem, produced)
