"""``corsc explain --html`` with a real browser's verdicts: Chromium runs every cell of an
example's matrix (origins × request kinds, corsc/explain_html.py) against real servers, the
verdicts are written where ``--verdicts`` reads them (``build/browser/``, the last run's), and
the page made from them is opened in Chromium and photographed, to check that it renders.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from corsc import explain_html
from corsc.explain import parse_header
from corsc.ir import PolicySet
from tests.chromium import API_HOST, Chromium, Tab
from tests.conformance_browser import SERVED, Endpoint
from tests.conformance_runner import loaded_set
from tests.conformance_table import ConformanceTable
from tests.test_browser_scenarios import probe

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "api.cors"
#: Where the last run's verdicts and pages are kept (ignored by git).
REPORTS = ROOT / "build" / "browser"
WIDTH, HEIGHT = 1200, 900


def browser_verdicts(tab: Tab, policy_set: PolicySet, target: str) -> dict[str, str]:
    """Chromium's verdict for every cell of every policy's matrix at ``target``."""
    table = ConformanceTable(EXAMPLE.stem, "", EXAMPLE.read_text("utf-8"), ())
    cells = {}
    with SERVED[target]([table]) as route:
        for policy in policy_set.policies:
            path = explain_html.sample_path(policy)
            for origin in explain_html.origins_of(policy):
                found = route(probe(table.name, origin))
                assert isinstance(found, Endpoint), found
                for kind in explain_html.KINDS:
                    seen = tab.fetch(
                        origin,
                        f"http://{API_HOST}:{found.port}{path}?cell={len(cells)}",
                        method=kind.method,
                        headers=[parse_header(text) for text in kind.headers],
                        credentials="include" if kind.credentials else "same-origin",
                    )
                    key = explain_html.cell_key(policy.name, origin, kind)
                    cells[key] = "allowed" if seen.shared else "blocked"
    return cells


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def png_colours(data: bytes) -> int:
    """How many distinct byte values the image's pixel data holds (1 or 2 for a blank page)."""
    chunks, offset = [], 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        if kind == b"IDAT":
            chunks.append(data[offset + 8 : offset + 8 + length])
        offset += 12 + length
    return len(set(zlib.decompress(b"".join(chunks))))


@pytest.mark.parametrize("target", ["nginx", "runtime-asgi"])
def test_the_matrix_page_shows_the_browsers_verdicts_and_renders(
    browser_process: Chromium, tab: Tab, target: str
) -> None:
    policy_set = loaded_set(ConformanceTable(EXAMPLE.name, "", EXAMPLE.read_text("utf-8"), ()))
    cells = browser_verdicts(tab, policy_set, target)
    REPORTS.mkdir(parents=True, exist_ok=True)
    verdicts = REPORTS / f"{EXAMPLE.stem}.{target}.verdicts.json"
    record = {"browser": browser_process.version, "target": target, "cells": cells}
    verdicts.write_text(json.dumps(record, indent=2) + "\n", "utf-8")
    page = subprocess.run(
        [sys.executable, "-m", "corsc", "explain", str(EXAMPLE), "--html", "--verdicts", verdicts],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    (REPORTS / f"{EXAMPLE.stem}.{target}.html").write_text(page, "utf-8")
    # Every cell has the browser's verdict, and it is the evaluator's: no cell is marked.
    rows = sum(len(explain_html.origins_of(policy)) for policy in policy_set.policies)
    assert page.count("<small>browser: ") == len(cells) == rows * len(explain_html.KINDS)
    assert "differs" not in page.split("</style>", 1)[1]
    assert "browser: allowed" in page and "browser: blocked" in page
    tab.show(page)
    shot = tab.screenshot(WIDTH, HEIGHT)
    (REPORTS / f"{EXAMPLE.stem}.{target}.png").write_bytes(shot)
    assert png_size(shot) == (WIDTH, HEIGHT)
    assert png_colours(shot) > 16
