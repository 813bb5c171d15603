"""Output: stdout rendering, all-or-nothing writes and ``--check`` drift detection.

Every output starts with a provenance line naming corsc's version, the source's base name, the
target and a hash of the resolved policy — never a timestamp, so the same input gives the same
bytes. ``--check`` compares with the version field masked, so upgrading corsc is not drift
unless the output really changes. :func:`plan` checks every destination before anything is
written (only regular files, symbolic links followed to their final target) and finds the
stale files of earlier compiles; :func:`write_all` stages every file beside its target and
renames them only when all are staged, so a failure leaves the old files as they were.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Sequence
from pathlib import Path

from attrs import frozen

from corsc.backends import OutputFile
from corsc.provenance import comparable, header_of
from corsc.records import fields_repr
from corsc.source import file_kind, read_bounded, visible


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


class OutputError(Exception):
    """An output that cannot or must not be written: exit 2, naming the path and what is
    wrong. Raised before anything on disk has changed."""

    def __init__(self, path: Path | str, problem: str) -> None:
        super().__init__(f"cannot write {visible(str(path))}: {visible(problem)}")
        self.path = path
        self.problem = problem


@frozen
class Planned:
    """Where one output file goes and whether it differs from what is there. ``path`` is the
    path as named (shown to the user); ``target`` the regular file actually replaced — the
    final target when ``path`` is a symbolic link, so the link stays a link."""

    __repr__ = fields_repr

    path: Path
    target: Path
    file: OutputFile
    changed: bool


@frozen
class Plan:
    """Every file of one compile, and ``stale``: files corsc wrote earlier into the same
    directory, from the same source and for the same target, that this compile no longer
    produces (a renamed policy's snippets, which an ``include`` would still pick up)."""

    __repr__ = fields_repr

    items: tuple[Planned, ...]
    stale: tuple[Path, ...]

    @property
    def drift(self) -> list[Path]:
        """What ``--check`` reports: files to write and files to remove."""
        return [item.path for item in self.items if item.changed] + list(self.stale)


#: The most of an existing output corsc reads to compare it: outputs are far smaller, so a
#: longer file is different without reading the rest.
_COMPARE_LIMIT = 64 * 1024 * 1024
#: How much of a file in the output directory is read to recognise a provenance header.
_HEADER_LIMIT = 4096


@frozen
class Destination:
    """One output of a set: its files and where they go (``-o``, or a project output's
    ``path``). ``target`` names the target in messages. ``newline_tolerant``: a file on disk
    that differs from its output only in newline style (every line ending LF, or every one
    CRLF) is up to date — set when the project declares the style, so that a checkout that
    converts line endings is not drift."""

    __repr__ = fields_repr

    files: tuple[OutputFile, ...]
    path: str
    target: str = ""
    newline_tolerant: bool = False


def plan(files: Sequence[OutputFile], destination: str, target: str = "") -> Plan:
    """The plan of one output: :func:`plan_set` of one destination."""
    return plan_set([Destination(tuple(files), destination, target)])


def plan_set(destinations: Sequence[Destination]) -> Plan:
    """Map every output file of a set to its path and find the set's stale files. A single
    file goes to its destination unless that is an existing directory or ends with ``/``;
    several go into the directory it names, which must exist or end with ``/`` (a target that
    writes several files never turns ``-o cors.conf`` into a directory). Every path is checked
    here, before anything is written: a target that is not a regular file (or a symbolic link
    to one), a directory that is not one, two outputs on one path, or a path the system
    refuses (too long, too deep) is an :class:`OutputError`."""
    for destination in destinations:
        if not destination.path or "\0" in destination.path:
            raise OutputError(destination.path, "not a usable path")
    try:
        return _plan(destinations)
    except OSError as error:
        raise OutputError(error.filename or "", error.strerror or str(error)) from None


def _plan(destinations: Sequence[Destination]) -> Plan:
    planned: list[Planned] = []
    directories: list[Path] = []
    for destination in destinations:
        named = Path(destination.path)
        into_directory = named.is_dir() or destination.path.endswith(("/", os.sep))
        if len(destination.files) > 1 and not into_directory:
            _require_directory(named, named)  # an existing file: "it is a file, not a directory"
            shown = visible(destination.path)
            names = ", ".join(visible(item.name) for item in destination.files)
            raise OutputError(
                destination.path,
                f"target {destination.target or 'this target'} writes "
                f"{len(destination.files)} files ({names}), so the path names a directory: "
                f"an existing one, or `{shown}/` to create it",
            )
        if into_directory:
            _require_directory(named, named)
            directories.append(named)
        for file in destination.files:
            path = named / file.name if into_directory else named
            target = _final_target(path)
            changed = _differs(target, file.content, destination.newline_tolerant)
            planned.append(Planned(path, target, file, changed))
    seen: set[Path] = set()
    for item in planned:
        if item.target.absolute() in seen:
            raise OutputError(item.path, "two outputs of this set write it")
        seen.add(item.target.absolute())
    files = [item for destination in destinations for item in destination.files]
    produced = seen | {item.path.absolute() for item in planned}
    stale: list[Path] = []
    for directory in dict.fromkeys(directories):
        stale.extend(_stale(directory, files, produced))
    return Plan(tuple(planned), tuple(stale))


def drift_report(plan: Plan) -> list[str]:
    """What ``--check`` says about a plan: one line per file to write or remove."""
    return [
        f"{visible(str(path))} is "
        + ("no longer produced" if path in plan.stale else "out of date")
        for path in plan.drift
    ]


def summary(plan: Plan, what: str) -> str:
    """The line that says what writing ``plan`` did (``what``: the target or the outputs):
    the file written, or how many of the set's files changed."""
    changed = [item for item in plan.items if item.changed]
    if len(plan.items) == 1:
        item = plan.items[0]
        state = "wrote" if item.changed else "up to date:"
        return f"{state} {visible(str(item.path))} ({what})"
    places = sorted({visible(str(item.path.parent)) for item in plan.items})
    where = places[0] if len(places) == 1 else f"{len(places)} directories"
    if not changed:
        return f"up to date: {len(plan.items)} files in {where} ({what})"
    return (
        f"wrote {len(changed)} of {len(plan.items)} files in {where} ({what}); "
        f"{len(plan.items) - len(changed)} up to date"
    )


def unified_diff(plan: Plan) -> str:
    """What writing ``plan`` would change, as one unified diff (``--diff``): each changed
    file against what is on disk (nothing, for a new file), each stale file against
    nothing."""
    import difflib

    def lines(path: Path | None) -> list[str]:
        if path is None:
            return []
        try:
            return (
                read_bounded(str(path), _COMPARE_LIMIT)
                .decode("utf-8", "replace")
                .splitlines(keepends=True)
            )
        except OSError:
            return []

    parts: list[str] = []
    for item in plan.items:
        if item.changed:
            shown = visible(str(item.path))
            new = item.file.content.splitlines(keepends=True)
            parts.extend(difflib.unified_diff(lines(item.target), new, shown, shown))
    for path in plan.stale:
        shown = visible(str(path))
        parts.extend(difflib.unified_diff(lines(path), [], shown, "/dev/null"))
    return "".join(part if part.endswith("\n") else part + "\n" for part in parts)


def _require_directory(directory: Path, path: Path) -> None:
    """``directory`` (where ``path`` goes) is a directory, or can become one: nothing but
    directories above it."""
    for ancestor in (directory, *directory.parents):
        try:
            mode = ancestor.stat().st_mode
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError as error:
            raise OutputError(path, error.strerror or str(error)) from None
        if not stat.S_ISDIR(mode):
            where = "it" if ancestor == path else visible(str(ancestor))
            raise OutputError(path, f"{where} is {file_kind(mode)}, not a directory")
        return


def _final_target(path: Path) -> Path:
    """The regular file that writing ``path`` replaces: ``path`` itself, or the final target
    of a chain of symbolic links. A directory, device, FIFO or socket is refused: replacing
    it with a file would destroy it, writing into it would block or go nowhere."""
    try:
        target = path.resolve() if path.is_symlink() else path
    except (OSError, RuntimeError) as error:  # RuntimeError: a symlink loop (Python < 3.13)
        raise OutputError(path, f"its symbolic links do not resolve ({error})") from None
    try:
        mode = target.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        _require_directory(target.parent, path)
        return target
    except OSError as error:
        raise OutputError(path, error.strerror or str(error)) from None
    if not stat.S_ISREG(mode):
        raise OutputError(path, f"it is {file_kind(mode)}; corsc writes only regular files")
    return target


def _differs(path: Path, content: str, newline_tolerant: bool = False) -> bool:
    try:
        # Bytes, then decode: read_text would turn CRLF into LF, so a merged CRLF file (IIS
        # web.config) would always look out of date.
        existing = read_bounded(str(path), _COMPARE_LIMIT).decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return True
    if comparable(existing) == comparable(content):
        return False
    return not (newline_tolerant and _one_style(existing) and _lf(existing) == _lf(content))


def _lf(text: str) -> str:
    return comparable(text).replace("\r\n", "\n")


def _one_style(text: str) -> bool:
    """Every line of ``text`` ends the same way: all LF, or all CRLF (a conversion made by a
    checkout, never a file edited in two styles)."""
    crlf = text.count("\r\n")
    return crlf in (0, text.count("\n")) and text.count("\r") == crlf


def with_newlines(content: str, newline: str) -> str:
    """``content`` (LF, as every backend writes) in the newline style ``lf`` or ``crlf``."""
    return content.replace("\n", "\r\n") if newline == "crlf" else content


def _stale(directory: Path, files: Sequence[OutputFile], produced: set[Path]) -> list[Path]:
    """Regular files in ``directory`` (not symbolic links, not corsc's temporaries) whose
    header names the same source and target as one of this set's files, and which the set
    does not produce. A file without such a header is never touched."""
    own = {header for item in files if (header := header_of(item.content)) is not None}
    if not own:
        return []
    # Only names of the kind this compile writes (`corsc-api.http.conf` beside
    # `corsc-web.http.conf`): a copy, a backup or notes that start with a copied header stay.
    extensions = {_extension(item.name) for item in files}
    try:
        entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
    except OSError:  # a directory that does not exist yet holds nothing stale
        return []
    stale = []
    for entry in entries:
        if (
            Path(entry.path).absolute() in produced
            or entry.name.startswith(".")
            or _extension(entry.name) not in extensions
        ):
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            head = read_bounded(entry.path, _HEADER_LIMIT, head=True)
        except OSError:
            continue
        if header_of(head.decode("utf-8", "replace")) in own:
            stale.append(Path(entry.path))
    return stale


def _extension(name: str) -> str:
    """Everything from the first dot of a file name on (``.http.conf``)."""
    return name[name.find(".") :] if "." in name else ""


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
