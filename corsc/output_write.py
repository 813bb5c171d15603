"""Writing a plan (:mod:`corsc.output_plan`) all or nothing, and removing its stale files.

Every changed file is staged beside its target (flushed to disk, with the target's
permissions) and renamed over it only when all are staged; should a rename still fail, the
files already renamed are put back. So a failure leaves every existing file as it was and no
temporary behind, and an unchanged file is never touched.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from pathlib import Path

from corsc.output_plan import OutputError, Plan, Planned
from corsc.source import visible


def write_all(plan: Plan) -> list[Path]:
    """Write a plan all or nothing, and remove its stale files; returns the removed paths.

    Every changed file is first written to a temporary file beside its target (flushed to
    disk, with the target's permissions); only when all of them exist are they renamed over
    their targets, so a failure anywhere — a read-only directory, a full disk, a parent that
    is a file — removes the temporaries and leaves every existing file as it was. Unchanged
    files are not touched. Raises :class:`OutputError`."""
    pending = [item for item in plan.items if item.changed]
    created: list[Path] = []
    staged: list[tuple[Path, Planned]] = []
    try:
        for item in pending:
            created.extend(_make_directories(item.path, item.target.parent))
            staged.append((_stage(item), item))
        _rename_all(staged)
        staged = []
    finally:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        if staged:
            for directory in reversed(created):
                with contextlib.suppress(OSError):
                    directory.rmdir()
    removed = []
    for path in plan.stale:
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        except OSError as error:
            raise OutputError(path, f"cannot remove it: {error.strerror or error}") from None
        removed.append(path)
    return removed


def _rename_all(staged: Sequence[tuple[Path, Planned]]) -> None:
    """Rename every staged file over its target. Should one rename fail (the targets were
    checked, so only a change on disk meanwhile or an I/O error does that), the files already
    renamed are put back: each old file is kept under a hard link until the end."""
    done: list[tuple[Planned, Path | None]] = []
    try:
        for temporary, item in staged:
            backup: Path | None = temporary.with_suffix(".bak")
            try:
                os.link(item.target, temporary.with_suffix(".bak"))
            except OSError:  # no old file (or no hard links here): nothing to put back
                backup = None
            try:
                os.replace(temporary, item.target)
            except OSError as error:
                if backup is not None:
                    backup.unlink(missing_ok=True)
                raise OutputError(item.path, error.strerror or str(error)) from None
            done.append((item, backup))
    except BaseException:
        for item, backup in reversed(done):
            with contextlib.suppress(OSError):
                if backup is None:
                    item.target.unlink()
                else:
                    os.replace(backup, item.target)
        raise
    for _, backup in done:
        if backup is not None:
            backup.unlink(missing_ok=True)


def _make_directories(path: Path, directory: Path) -> list[Path]:
    """Create ``directory`` and its missing parents; the ones created, outermost first."""
    missing = [each for each in (directory, *directory.parents) if not each.exists()]
    missing.reverse()
    for each in missing:
        try:
            each.mkdir()
        except FileExistsError:
            if not each.is_dir():
                raise OutputError(path, f"{visible(str(each))} is not a directory") from None
        except OSError as error:
            raise OutputError(
                path, f"cannot create {visible(str(each))}: {error.strerror or error}"
            ) from None
    return missing


def _stage(item: Planned) -> Path:
    """A temporary file beside ``item.target`` holding its new content."""
    import tempfile  # only a compile that writes files needs it: printing stays quick to start

    target = item.target
    data = item.file.content.encode("utf-8")
    try:
        mode: int | None = target.stat().st_mode & 0o7777
    except OSError:
        mode = None
    try:
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as error:
        raise OutputError(item.path, error.strerror or str(error)) from None
    temporary = Path(name)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        if mode is None:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(temporary, mode)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise OutputError(item.path, error.strerror or str(error)) from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary
