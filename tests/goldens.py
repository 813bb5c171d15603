"""Golden files: the one place goldens are written and compared.

A golden set is every file ``<directory>/<stem>.*`` for one example (``tests/golden/<target>/``
and ``tests/golden/nginx/a2/``). Goldens are written only on purpose, under
``CORSC_UPDATE_GOLDEN=1`` (then the diff is read before committing); otherwise a set is
compared byte for byte, with two fields of the provenance line masked: corsc's version (as
``--check`` masks it) and the policy digest. The digest is a hash of the resolved policy's
meaning, so any change to how it is computed would otherwise change every golden at once; what
the digest must look like is asserted on its own (:func:`digests`), and what it means is the
IR's tests' business.
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
UPDATE = os.environ.get("CORSC_UPDATE_GOLDEN") == "1"

#: The two masked fields of a provenance line, as :func:`corsc.provenance.provenance` writes it.
_VERSION = re.compile(r"corsc [^ ;\"]+ from ")
_DIGEST = re.compile(r"; policy sha256:(?P<digest>[^;\s\"]*);")
#: What a digest always is: 16 lowercase hexadecimal digits.
DIGEST = re.compile(r"[0-9a-f]{16}")


def masked(text: str) -> str:
    """``text`` with the version and the digest of its first provenance line masked."""
    text = _VERSION.sub("corsc * from ", text, count=1)
    return _DIGEST.sub("; policy sha256:*;", text, count=1)


def digests(text: str) -> list[str]:
    """The policy digests the provenance lines of ``text`` name (none for a diagnostics
    golden)."""
    return [match["digest"] for match in _DIGEST.finditer(text)]


def golden_set(directory: Path, stem: str) -> dict[str, str]:
    """The golden files of one example in ``directory``, by file name."""
    return {path.name: path.read_text("utf-8") for path in sorted(directory.glob(f"{stem}.*"))}


def check_golden(directory: Path, stem: str, produced: dict[str, str]) -> None:
    """Assert that ``produced`` (file name → text) is the golden set ``directory/stem.*``: the
    same names, the same bytes but for the masked fields. Under ``CORSC_UPDATE_GOLDEN=1`` the
    set is first replaced by ``produced`` (stale files of the set removed)."""
    assert produced, f"nothing produced for {directory.name}/{stem}"
    if UPDATE:
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob(f"{stem}.*"):
            stale.unlink()
        for name, content in produced.items():
            (directory / name).write_text(content, "utf-8")
    expected = golden_set(directory, stem)
    assert sorted(expected) == sorted(produced), f"{directory.name}/{stem}: the files differ"
    for name, content in produced.items():
        want, got = masked(expected[name]), masked(content)
        if want != got:
            diff = difflib.unified_diff(
                want.splitlines(), got.splitlines(), "golden", "produced", lineterm=""
            )
            raise AssertionError(f"{directory.name}/{name} differs:\n" + "\n".join(diff))
