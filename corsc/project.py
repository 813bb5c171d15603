"""The project: ``corsc.toml`` (or ``[tool.corsc]`` in ``pyproject.toml``), the nearest one in a
policy file's directory or above.

A project names its policy files, the rules it selects or ignores, and its outputs — each a
target, a policy file, target options (``-O``), ``--set`` values (for every environment and per
environment), a newline style and a path::

    policies = ["cors"]                 # files or directories `corsc check` checks
    ignore = ["CORS602"]

    [[output]]
    target = "nginx"
    policy = "cors/api.cors"
    path = "deploy/nginx/"              # nginx writes several files: a directory
    set = { trusted = ["https://app.example.com"] }
    env.staging.set = { trusted = ["https://staging.example.com"] }

Paths are relative to the project file's directory. Reading a project never raises: a file that
cannot be read, or says something corsc does not understand, gives ``problems`` (one line each,
naming the file), and what could be read is still there, so that the language server can use
``targets`` (the targets of the outputs, and of ``targets = [...]``, in order, each once).
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attrs import field, frozen

from corsc import diagnostics as d
from corsc.records import fields_repr
from corsc.source import Source, read_bounded, visible

if TYPE_CHECKING:
    from corsc.selection import Selection

#: The name of a project file.
PROJECT_FILE = "corsc.toml"
#: The other file a project may live in, under ``[tool.corsc]``.
PYPROJECT_FILE = "pyproject.toml"
#: The newline styles an output may be written in.
NEWLINES = ("lf", "crlf")

#: The largest project file read (a project file is a few lines; this bounds a mistake).
_MAX_PROJECT_BYTES = 1024 * 1024

_TOP_KEYS = ("policies", "select", "ignore", "targets", "newline", "env", "output")
_OUTPUT_KEYS = ("target", "policy", "path", "options", "set", "env", "newline")


@frozen
class Output:
    """One output of ``corsc build``: ``policy`` compiled for ``target`` into ``path`` (both
    absolute). ``sets`` are ``--set`` values for every environment, ``environments`` the values
    that replace or add to them in one (``NAME → binding → values``). ``newline_declared``:
    the project states the newline style (on the output or for the project) — only then does
    ``--check`` accept a file that differs from the output in newline style alone, since a
    checkout that converts line endings is the only thing that changes a style the project
    fixed (docs/projects.md)."""

    __repr__ = fields_repr

    target: str
    policy: Path
    path: Path
    written_path: str
    options: tuple[str, ...] = ()
    sets: Mapping[str, tuple[str, ...]] = field(factory=dict)
    environments: Mapping[str, Mapping[str, tuple[str, ...]]] = field(factory=dict)
    newline: str = "lf"
    newline_declared: bool = False

    def overrides(self, environment: str | None) -> list[str]:
        """The ``--set NAME=VALUE,…`` arguments of this output in ``environment`` (or for no
        environment): its own values, those of the environment replacing them by name."""
        values = dict(self.sets)
        if environment is not None:
            values.update(self.environments.get(environment, {}))
        return [f"{name}={','.join(items)}" for name, items in values.items()]


@frozen
class Project:
    """A project file and what it says. ``targets`` are target names as written (unknown
    names are the caller's to report, with the registry at hand); ``problems`` are one-line
    messages about the file itself, each naming it; ``policies`` the files and directories
    ``corsc check`` checks (the outputs' policy files when the project names none)."""

    __repr__ = fields_repr

    path: Path
    targets: tuple[str, ...]
    problems: tuple[str, ...] = ()
    policies: tuple[Path, ...] = ()
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    outputs: tuple[Output, ...] = ()
    environments: tuple[str, ...] = ()

    @property
    def root(self) -> Path:
        """The directory every path of the project is relative to."""
        return self.path.parent

    def diagnostics(self) -> list[d.Diagnostic]:
        """The problems as CORS030 diagnostics against the project file."""
        span = Source(visible(str(self.path)), "").span(0)
        return [
            d.INVALID_PROJECT.at(span, problem, "see docs/projects.md for the project file's keys")
            for problem in self.problems
        ]

    def keeps(self, diagnostic: d.Diagnostic) -> bool:
        """Whether the project's rule selection reports ``diagnostic``: the same selection as
        ``--select``/``--ignore`` (:mod:`corsc.selection`: codes, slugs or families; the most
        specific decides; errors are always reported)."""
        return _selection(self.select, self.ignore).selects(diagnostic)


@functools.cache
def _selection(select: tuple[str, ...], ignore: tuple[str, ...]) -> Selection:
    """A project's selection, built once (``keeps`` runs for every finding of a build)."""
    from corsc.selection import Selection

    return Selection(select, ignore)


def find_project(start: Path) -> Path | None:
    """The nearest ``corsc.toml`` — or ``pyproject.toml`` with a ``[tool.corsc]`` table — in
    ``start`` (a policy file or a directory) or one of its parents, or ``None``. In one
    directory ``corsc.toml`` wins."""
    directory = start if start.is_dir() else start.parent
    for candidate in (directory.absolute(), *directory.absolute().parents):
        path = candidate / PROJECT_FILE
        if path.is_file():
            return path
        pyproject = candidate / PYPROJECT_FILE
        if pyproject.is_file() and _has_tool_table(pyproject):
            return pyproject
    return None


def _has_tool_table(path: Path) -> bool:
    data, _ = _read_toml(path)
    tool = data.get("tool") if data else None
    return isinstance(tool, dict) and isinstance(tool.get("corsc"), dict)


def _read_toml(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    try:
        return tomllib.loads(read_bounded(str(path), _MAX_PROJECT_BYTES).decode("utf-8")), None
    except (OSError, ValueError) as error:  # unreadable, too large, not UTF-8, not TOML
        return None, visible(str(error))


def project_for(start: Path) -> Project | None:
    """The project of the policy file (or directory) ``start``, or ``None`` outside one."""
    path = find_project(start)
    return None if path is None else read_project(path)


def read_project(path: Path) -> Project:
    """Read a project file; every problem is reported in ``problems``, never raised."""
    path = path.absolute()
    shown = visible(str(path))
    data, error = _read_toml(path)
    if data is None:
        return Project(path, (), (f"{shown}: {error}",))
    if path.name == PYPROJECT_FILE:
        shown = f"{shown} [tool.corsc]"
        data = data.get("tool", {}).get("corsc", {})
        if not isinstance(data, dict):
            return Project(path, (), (f"{shown}: must be a table",))
    reader = _Reader(shown, path.parent)
    return reader.project(path, data)


class _Reader:
    """Reads the keys of a project file, collecting a problem for each wrong one."""

    def __init__(self, shown: str, root: Path) -> None:
        self.shown = shown
        self.root = root
        self.problems: list[str] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{self.shown}: {where}: {message}")

    def unknown_keys(self, where: str, table: Mapping[str, Any], known: Sequence[str]) -> None:
        import difflib

        for key in table:
            if key not in known:
                close = difflib.get_close_matches(key, known, n=1)
                hint = f"; did you mean `{close[0]}`?" if close else ""
                self.problem(where, f"unknown key `{visible(key)}`{hint}")

    def strings(self, where: str, value: object, example: str) -> tuple[str, ...]:
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self.problem(where, f"must be a list of strings, like {example}")
            return ()
        return tuple(dict.fromkeys(value))

    def rules(self, where: str, value: object) -> tuple[str, ...]:
        names = self.strings(where, value, '["CORS602", "unlisted-reject-same-origin"]')
        from corsc.selection import Selection, SelectionError

        for name in names:
            try:
                Selection(ignore=[name]) if where == "ignore" else Selection(select=[name])
            except SelectionError as error:
                self.problem(where, str(error))
        return names

    def newline(self, where: str, value: object, default: str) -> str:
        if value is None:
            return default
        if value not in NEWLINES:
            self.problem(where, 'must be "lf" or "crlf"')
            return default
        assert isinstance(value, str)
        return value

    def sets(self, where: str, value: object) -> dict[str, tuple[str, ...]]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem(where, 'must be a table of bindings, like { trusted = ["https://…"] }')
            return {}
        return {
            name: self.strings(f"{where}.{name}", items, '["https://app.example.com"]')
            for name, items in value.items()
        }

    def environments(self, where: str, value: object) -> dict[str, dict[str, tuple[str, ...]]]:
        if value is None:
            return {}
        if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
            self.problem(where, "must be a table of environments, like staging.set = { … }")
            return {}
        environments = {}
        for name, table in value.items():
            self.unknown_keys(f"{where}.{name}", table, ("set",))
            environments[name] = self.sets(f"{where}.{name}.set", table.get("set"))
        return environments

    def path(self, where: str, value: object) -> tuple[Path, str] | None:
        if not isinstance(value, str) or not value:
            self.problem(where, "must be a path (relative to the project file)")
            return None
        return self.root / value, value

    def project(self, path: Path, data: Mapping[str, Any]) -> Project:
        self.unknown_keys("the project", data, _TOP_KEYS)
        newline_declared = "newline" in data
        newline = self.newline("newline", data.get("newline"), "lf")
        shared = self.environments("env", data.get("env"))
        outputs = data.get("output", [])
        if not isinstance(outputs, list) or not all(isinstance(o, dict) for o in outputs):
            self.problem("output", "must be a list of tables: write each as [[output]]")
            outputs = []
        read = [
            output
            for number, table in enumerate(outputs, start=1)
            if (output := self.output(number, table, shared, newline, newline_declared))
        ]
        self.same_paths(read)
        environments = set(shared)
        for output in read:
            environments.update(output.environments)
        listed = self.strings("policies", data.get("policies"), '["cors/api.cors"]')
        policies = [self.root / item for item in listed] or [output.policy for output in read]
        explicit = self.strings("targets", data.get("targets"), '["nginx"]')
        select = self.rules("select", data.get("select"))
        ignore = self.rules("ignore", data.get("ignore"))
        return Project(
            path=path,
            targets=tuple(dict.fromkeys([*explicit, *(output.target for output in read)])),
            problems=tuple(self.problems),
            policies=tuple(dict.fromkeys(policies)),
            select=select,
            ignore=ignore,
            outputs=tuple(read),
            environments=tuple(sorted(environments)),
        )

    def output(
        self,
        number: int,
        table: Mapping[str, Any],
        shared: Mapping[str, Mapping[str, tuple[str, ...]]],
        newline: str,
        newline_declared: bool,
    ) -> Output | None:
        where = f"output {number}"
        self.unknown_keys(where, table, _OUTPUT_KEYS)
        target = table.get("target")
        if not isinstance(target, str) or not target:
            self.problem(where, 'needs `target`, a target name like "nginx" (`corsc targets`)')
        policy = self.path(f"{where}: `policy`", table.get("policy"))
        path = self.path(f"{where}: `path`", table.get("path"))
        options = table.get("options", {})
        if not isinstance(options, dict) or not all(
            isinstance(value, str) for value in options.values()
        ):
            self.problem(where, '`options` must be a table of strings, like { format = "toml" }')
            options = {}
        environments = {name: dict(values) for name, values in shared.items()}
        for name, values in self.environments(f"{where}: `env`", table.get("env")).items():
            environments.setdefault(name, {}).update(values)
        style = self.newline(f"{where}: `newline`", table.get("newline"), newline)
        if not isinstance(target, str) or policy is None or path is None:
            return None
        return Output(
            target=target,
            policy=policy[0],
            path=path[0],
            written_path=path[1],
            options=tuple(f"{key}={value}" for key, value in options.items()),
            sets=self.sets(f"{where}: `set`", table.get("set")),
            environments=environments,
            newline=style,
            newline_declared=newline_declared or "newline" in table,
        )

    def same_paths(self, outputs: Iterable[Output]) -> None:
        seen: dict[Path, int] = {}
        for number, output in enumerate(outputs, start=1):
            first = seen.setdefault(output.path, number)
            if first != number:
                self.problem(
                    f"output {number}",
                    f"writes `{visible(output.written_path)}` like output {first}; "
                    "give each output its own path",
                )
