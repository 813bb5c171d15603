"""The plan of a compile's outputs: where each file goes, whether it differs from what is there,
and the stale files of earlier compiles — every destination checked before anything is written.

Every output starts with a provenance line naming corsc's version, the source's base name, the
target and a hash of the resolved policy — never a timestamp, so the same input gives the same
bytes. A file is compared with the version field masked, so upgrading corsc is not drift
unless the output really changes. :func:`plan_set` accepts only regular files (symbolic links
followed to their final target) in directories, or paths that can become them; anything else
is an :class:`OutputError` before any file changes. Nothing here writes:
:func:`corsc.output_write.write_all` does.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path

from attrs import frozen

from corsc.backends import OutputFile
from corsc.output_stale import stale_files
from corsc.provenance import comparable
from corsc.records import fields_repr
from corsc.source import file_kind, read_bounded, visible


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
COMPARE_LIMIT = 64 * 1024 * 1024


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
        stale.extend(stale_files(directory, files, produced))
    return Plan(tuple(planned), tuple(stale))


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
        existing = read_bounded(str(path), COMPARE_LIMIT).decode("utf-8")
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
