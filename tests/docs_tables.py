"""A target's docs page holds its capability table as ``corsc targets`` prints it, between
``<!-- <target>-capabilities:begin -->`` and ``<!-- <target>-capabilities:end -->``
(``CORSC_UPDATE_README=1`` rewrites it)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from corsc import cli
from corsc.backends import get
from corsc.capabilities import Feature


def capability_section(target: str, row: dict[str, Any]) -> str:
    """The docs page's table and declared differences, from ``corsc targets``' row."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = [f"| feature | support | how {target} does it, or what differs |", "|---|---|---|"]
    lines += [
        f"| {cell(item['description'])} | {item['support']} | {cell(item['note'])} |"
        for item in row["capabilities"]
    ]
    lines += ["", "Declared differences, whatever the policy says:", ""]
    lines += [f"- {deviation}" for deviation in row["deviations"]]
    begin, end = markers(target)
    return begin + "\n".join(lines) + "\n" + end


def markers(target: str) -> tuple[str, str]:
    return f"<!-- {target}-capabilities:begin -->\n", f"<!-- {target}-capabilities:end -->"


def check_docs_table(target: str, docs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The table on ``docs`` is ``corsc targets``' row for ``target``, which is the backend's."""
    assert cli.main(["targets", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["targets"]
    (row,) = [row for row in rows if row["names"][0] == target]
    backend = get(target)
    assert [item["support"] for item in row["capabilities"]] == [
        backend.capabilities[feature].support.value for feature in Feature
    ]
    expected = capability_section(target, row)
    begin, end = markers(target)
    text = docs.read_text("utf-8")
    current = re.search(re.escape(begin) + ".*?" + re.escape(end), text, re.S)
    assert current is not None, f"{docs} has no {begin.strip()} … {end} section"
    if os.environ.get("CORSC_UPDATE_README") == "1":
        docs.write_text(text.replace(current.group(0), expected), "utf-8")
        return
    assert current.group(0) == expected, "run with CORSC_UPDATE_README=1 and read the diff"
