"""Inputs for the robustness tests: the examples, and edits that mutate a text."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.cors"))
EXAMPLE_TEXTS = [path.read_text("utf-8") for path in EXAMPLES]

#: One edit: a position (taken modulo the text's length + 1), a length to remove, a text to
#: insert there.
Edit = tuple[int, int, str]


def mutated(text: str, edits: list[Edit]) -> str:
    """``text`` with each edit applied in turn."""
    for position, length, insert in edits:
        position %= len(text) + 1
        text = text[:position] + insert + text[position + length :]
    return text
