"""No tracked file cites the internal notes corsc was written from: they are not in the
repository, so a reader (or a user reading generated config) could never follow the citation.
Say the fact in the comment, or point to the README's sections or docs/*.md instead."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve()

#: The design note, or a reference note (``reference/<name>.md``, also under ``shared/``).
#: Spelled in pieces so that this file does not match itself.
CITATION = re.compile("design" + r"\.md" + "|" + "reference" + r"/[a-z0-9-]+\.md")


def tracked_files() -> list[Path]:
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [ROOT / name for name in listed.decode("utf-8").split("\0") if name]


def test_the_pattern_finds_what_it_is_for() -> None:
    assert CITATION.search("see " + "design" + ".md §2.1")
    assert CITATION.search("(shared/" + "reference" + "/python-middleware.md §7)")
    assert not CITATION.search("see docs/nginx.md and README.md")


def test_no_tracked_file_cites_an_internal_note() -> None:
    found = []
    for path in tracked_files():
        if path.resolve() == HERE or not path.is_file():
            continue
        text = path.read_bytes().decode("utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), 1):
            if CITATION.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "citations of notes not in the repository:\n" + "\n".join(found)


#: A merge conflict left in a file: the markers git writes at the start of a line, spelled in
#: pieces so that this file does not match itself.
CONFLICT = re.compile("^(?:" + "<" * 7 + " |" + ">" * 7 + " )", re.MULTILINE)


def test_no_tracked_file_holds_a_merge_conflict() -> None:
    assert CONFLICT.search("x\n" + "<" * 7 + " HEAD\n")
    found = []
    for path in tracked_files():
        if not path.is_file():
            continue
        try:
            text = path.read_text("utf-8")
        except UnicodeDecodeError:
            continue
        if CONFLICT.search(text):
            found.append(str(path.relative_to(ROOT)))
    assert found == []
