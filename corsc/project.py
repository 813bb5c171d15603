"""The project a policy file belongs to: the nearest ``corsc.toml`` in its directory or above.

Today a project names the targets its policies are compiled for::

    # corsc.toml
    targets = ["nginx", "iis"]

so that tools reading a policy on its own (the language server) report what those targets
cannot express, as ``corsc check --target`` does. Reading a project never raises: a file that
cannot be read or says something corsc does not understand is a list of problems, and the
targets it could read are still used.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from attrs import frozen

from corsc.source import read_bounded, visible

#: The name of a project file.
PROJECT_FILE = "corsc.toml"

#: The largest project file read (a project file is a few lines; this bounds a mistake).
_MAX_PROJECT_BYTES = 1024 * 1024


@frozen
class Project:
    """A project file and what it says. ``targets`` are target names as written (unknown
    names are the caller's to report, with the registry at hand); ``problems`` are
    one-line messages about the file itself, each naming it."""

    path: Path
    targets: tuple[str, ...]
    problems: tuple[str, ...] = ()


def find_project(start: Path) -> Path | None:
    """The nearest ``corsc.toml`` in ``start`` (a policy file or a directory) or one of its
    parents, or ``None``."""
    directory = start if start.is_dir() else start.parent
    for candidate in (directory, *directory.parents):
        path = candidate / PROJECT_FILE
        if path.is_file():
            return path
    return None


def read_project(path: Path) -> Project:
    """Read a project file; every problem is reported in ``problems``, never raised."""
    shown = visible(str(path))
    try:
        data = tomllib.loads(read_bounded(str(path), _MAX_PROJECT_BYTES).decode("utf-8"))
    except (OSError, ValueError) as error:  # unreadable, too large, not UTF-8, not TOML
        return Project(path, (), (f"{shown}: {visible(str(error))}",))
    targets = data.get("targets", [])
    if not isinstance(targets, list) or not all(isinstance(item, str) for item in targets):
        return Project(
            path, (), (f'{shown}: `targets` must be a list of target names, like ["nginx"]',)
        )
    return Project(path, tuple(dict.fromkeys(targets)))


def project_for(start: Path) -> Project | None:
    """The project of the policy file (or directory) ``start``, or ``None`` outside one."""
    path = find_project(start)
    return None if path is None else read_project(path)
