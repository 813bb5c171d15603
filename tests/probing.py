"""What the probe tests share: running ``corsc probe`` against a port and reading its JSON."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

from corsc.cli import main


def probe(port: int, policy: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    """``corsc probe http://127.0.0.1:PORT POLICY --format json`` (no rate limit): the exit code
    and the report."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        url = f"http://127.0.0.1:{port}"
        code = main(["probe", url, str(policy), "--format", "json", "--rate", "0", *extra])
    return code, json.loads(out.getvalue())


def mismatched(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The results with a mismatch."""
    return [result for result in report["results"] if result["mismatches"]]


def aspects(report: dict[str, Any]) -> set[tuple[str, str]]:
    """(purpose, aspect) of every mismatch."""
    return {
        (result["purpose"], mismatch["aspect"])
        for result in mismatched(report)
        for mismatch in result["mismatches"]
    }


def problems(report: dict[str, Any]) -> list[str]:
    """Every mismatch as ``purpose: request: message``, for an assertion that shows them."""
    return [
        f"{result['purpose']}: {result['request']['curl']}: {mismatch['message']}"
        for result in mismatched(report)
        for mismatch in result["mismatches"]
    ]
