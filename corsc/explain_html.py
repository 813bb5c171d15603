"""``corsc explain --html``: one page per policy file, the matrix of origins × request kinds.

Each policy gets a table: a row per origin a browser may come from (every exact origin the
policy lists or denies, a sample origin for each wildcard pattern, ``null`` and an origin the
policy does not list), a column per request kind (:data:`KINDS`), and in each cell the
reference evaluator's verdict (corsc.explain). When a file of browser verdicts is given — what a
real browser concluded for the same cells in the last test run (written by
tests/test_browser_explain.py) — each cell shows that verdict too, and a cell where the two
differ is marked.

The verdicts file is JSON: ``{"browser": "Chrome/…", "target": "…", "cells": {"<policy>
<origin> <kind>": "allowed" | "blocked"}}``.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from pathlib import Path

from attrs import frozen

from corsc import explain
from corsc.ir import PatternKind, Policy, PolicySet
from corsc.records import fields_repr


@frozen
class Kind:
    """A request kind: what the script asks for (``headers`` as ``--header`` texts)."""

    __repr__ = fields_repr

    label: str
    method: str
    headers: tuple[str, ...] = ()
    credentials: bool = False


#: The request kinds of every matrix, left to right.
KINDS: tuple[Kind, ...] = (
    Kind("GET", "GET"),
    Kind("GET with cookies", "GET", credentials=True),
    Kind("POST form", "POST", ("Content-Type:text/plain",)),
    Kind("PUT (preflight)", "PUT"),
    Kind("DELETE with cookies (preflight)", "DELETE", credentials=True),
    Kind("GET + X-Custom (preflight)", "GET", ("X-Custom:1",)),
)

#: An origin no policy is expected to list.
UNLISTED = "https://unlisted.example"


def sample_path(policy: Policy) -> str:
    """A path the policy governs."""
    return policy.paths[0].value.rstrip("/") + "/x" if policy.paths else "/"


def origins_of(policy: Policy) -> list[str]:
    """The rows of a policy's matrix: listed and denied origins (a sample for a wildcard), then
    ``null`` and :data:`UNLISTED`, each once, in that order."""
    found: list[str] = []
    patterns = [entry.pattern for entry in policy.entries] + list(policy.denies)
    for pattern in patterns:
        if pattern.kind is PatternKind.EXACT or pattern.kind is PatternKind.NULL:
            found.append(pattern.canonical)
        elif pattern.kind is PatternKind.SUBDOMAIN:
            port = f":{pattern.port}" if pattern.port is not None else ""
            found.append(f"{pattern.scheme}://sample.{pattern.host}{port}")
        elif pattern.kind is PatternKind.PORT:
            found.append(f"{pattern.scheme}://{pattern.host}:8080")
    found += ["null", UNLISTED]
    return list(dict.fromkeys(found))


def cell_key(policy: str, origin: str, kind: Kind) -> str:
    """A cell's key in the verdicts file."""
    return f"{policy} {origin} {kind.label}"


@frozen
class Cell:
    """One cell: the evaluator's verdict (``allowed`` / ``blocked``) and why, and the browser's
    verdict from the last run (``None``: not in the verdicts file)."""

    __repr__ = fields_repr

    meaning: str
    why: str
    browser: str | None


def matrix(policy_set: PolicySet, policy: Policy) -> dict[str, dict[str, Cell]]:
    """Origin → kind label → cell, for one policy (browser verdicts left out)."""
    rows: dict[str, dict[str, Cell]] = {}
    for origin in origins_of(policy):
        row = {}
        for kind in KINDS:
            report = explain.explain(
                policy_set,
                origin=origin,
                method=kind.method,
                headers=kind.headers,
                path=sample_path(policy),
                credentials=kind.credentials,
            )
            word, _, why = report.verdict.partition(": ")
            row[kind.label] = Cell(word, why, None)
        rows[origin] = row
    return rows


_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #1b1b1b; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 28px; }
table { border-collapse: collapse; }
th, td { border: 1px solid #c8c8c8; padding: 6px 10px; text-align: left; vertical-align: top; }
th { background: #f0f0f0; } td.origin { font-family: monospace; }
td.allowed { background: #d7f5dd; } td.blocked { background: #f8d7da; }
td.differs { outline: 3px solid #b00020; outline-offset: -3px; }
small { color: #555; display: block; }
"""


def render(
    policy_set: PolicySet, verdicts: Mapping[str, object] | None = None, title: str = ""
) -> str:
    """The HTML page for ``policy_set``; ``verdicts`` is a parsed verdicts file or ``None``."""
    cells: Mapping[str, object] = {}
    if verdicts is not None:
        found = verdicts.get("cells", {})
        cells = found if isinstance(found, Mapping) else {}
    source = (
        f"browser verdicts: {verdicts.get('browser', '?')} against {verdicts.get('target', '?')}"
        if verdicts is not None
        else "no browser verdicts given: the evaluator's verdicts only"
    )
    parts = [
        "<!doctype html><html><head><meta charset=utf-8>",
        f"<title>{html.escape(title or policy_set.file)}</title><style>{_STYLE}</style>",
        f"</head><body><h1>{html.escape(title or policy_set.file)}</h1>",
        f"<p>{html.escape(source)}. Each cell: the evaluator's verdict; the browser's below it."
        " A red frame marks a cell where they differ.</p>",
    ]
    for policy in policy_set.policies:
        path = sample_path(policy)
        parts.append(f"<h2>policy {html.escape(policy.name)} — {html.escape(path)}</h2>")
        parts.append("<table><tr><th>origin</th>")
        parts.extend(f"<th>{html.escape(kind.label)}</th>" for kind in KINDS)
        parts.append("</tr>")
        for origin, row in matrix(policy_set, policy).items():
            parts.append(f"<tr><td class=origin>{html.escape(origin)}</td>")
            for kind in KINDS:
                cell = row[kind.label]
                seen = cells.get(cell_key(policy.name, origin, kind))
                classes = cell.meaning
                if isinstance(seen, str) and seen != cell.meaning:
                    classes += " differs"
                browser = (
                    f"<small>browser: {html.escape(seen)}</small>" if isinstance(seen, str) else ""
                )
                parts.append(
                    f"<td class='{classes}' title='{html.escape(cell.why)}'>"
                    f"{html.escape(cell.meaning)}{browser}</td>"
                )
            parts.append("</tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def read_verdicts(path: Path) -> dict[str, object]:
    """A verdicts file; raises ``ValueError`` when it is not one."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f"--verdicts {path}: {error}") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), dict):
        raise ValueError(f"--verdicts {path}: expected an object with `cells`")
    return data
