"""Output: provenance, stdout rendering, atomic writes and ``--check`` drift detection.

Every output starts with a provenance line naming corsc's version, the source's base name, the
target and a hash of the resolved policy — never a timestamp, so the same input gives the same
bytes. ``--check`` compares with the version field masked, so upgrading corsc is not drift
unless the output really changes. Files are written atomically (a temporary file in the same
directory, flushed, then renamed over the target): a reader sees the old file or the new one.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

from attrs import frozen

from corsc.backends import OutputFile
from corsc.ir import digest

NOTICE = "generated — edit the policy, not this file"
_VERSION_FIELD = re.compile(r"corsc [^ ;\"]+ from ")


def provenance(version: str, source_name: str, target: str, node: object) -> str:
    """The provenance text (without comment markers) for an output of ``node``."""
    base = os.path.basename(source_name)
    return (
        f"corsc {version} from {base} for target {target}; policy sha256:{digest(node)}; {NOTICE}"
    )


def comparable(text: str) -> str:
    """The text with the version field of its provenance masked, for ``--check``."""
    return _VERSION_FIELD.sub("corsc * from ", text, count=1)


def render_stdout(files: Sequence[OutputFile]) -> str:
    """One file as it is; several one after another, each introduced by a comment naming its
    file and where it goes."""
    if len(files) == 1:
        return files[0].content
    parts = []
    for item in files:
        banner = f"{item.comment} ===== {item.name} — {item.placement}{item.comment_end}".strip()
        parts.append(f"{banner}\n{item.content}")
    return "\n".join(parts)


@frozen
class Planned:
    """Where one output file goes and whether it differs from what is there."""

    path: Path
    file: OutputFile
    changed: bool


def plan(files: Sequence[OutputFile], destination: str) -> list[Planned]:
    """Map output files to paths: a single file goes to ``destination`` unless it is an
    existing directory; several always go into the directory ``destination``."""
    target = Path(destination)
    into_directory = len(files) > 1 or target.is_dir() or destination.endswith(os.sep)
    planned = []
    for item in files:
        path = target / item.name if into_directory else target
        planned.append(Planned(path, item, _differs(path, item.content)))
    return planned


def _differs(path: Path, content: str) -> bool:
    try:
        # Bytes, then decode: read_text would turn CRLF into LF, so a merged CRLF file (IIS
        # web.config) would always look out of date.
        existing = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return True
    return comparable(existing) != comparable(content)


def write_atomic(path: Path, content: str | bytes) -> None:
    """Replace ``path`` with ``content`` atomically, keeping an existing file's permissions."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode: int | None = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = None
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_all(planned: Sequence[Planned]) -> None:
    """Write every changed file of a plan (each atomically); unchanged files are untouched."""
    for item in planned:
        if item.changed:
            write_atomic(item.path, item.file.content)
