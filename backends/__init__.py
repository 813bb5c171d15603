"""Backends: one module per target family, and the registry that maps target names to them.

A backend is data plus small functions:

- ``names``: the target names it answers to (the first is canonical, the rest aliases);
- ``summary`` and ``capabilities``: what it can express, as data (:class:`Capability`),
  including its declared deviations (differences from the evaluator's answer that never
  change a browser's verdict);
- ``options``: the ``-O KEY=VALUE`` options it takes (:class:`Option`);
- ``check(policy_set, options)``: 6xx diagnostics for what the target cannot express;
- ``emit(policy_set, options)``: the output files (:class:`OutputFile`);
- optionally ``merge(existing, files, options, path)`` for ``--merge``
  (:class:`MergingBackend`): the emitted files merged into the existing file's bytes.

Adding a target: write its module and add one line to :data:`MODULES`. Backends never import
each other; the core never names a target.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

from attrs import field, frozen

from corsc import diagnostics as d
from corsc.diagnostics import Diagnostic, Severity
from corsc.ir import PolicySet
from corsc.source import Source, Span

#: Target name → ``module`` (its ``BACKEND``) or ``module:NAME``. One line per target name.
MODULES: dict[str, str] = {
    "json": "corsc.backends.jsonir",
    "iis": "corsc.backends.iis",
    "iis-headers": "corsc.backends.iis:HEADERS",
    "iis-rewrite": "corsc.backends.iis:REWRITE",
    "python": "corsc.backends.python",
    "nginx": "corsc.backends.nginx",
    "starlette": "corsc.backends.pyframeworks:STARLETTE",
    "fastapi": "corsc.backends.pyframeworks:STARLETTE",
    "django": "corsc.backends.pyframeworks:DJANGO",
    "flask": "corsc.backends.pyframeworks:FLASK",
}


@frozen
class Capability:
    """One row of a capability table: a language feature and how the target handles it.

    ``support`` is ``"yes"``, ``"no"`` (an error-level 6xx when a policy needs it),
    ``"deviation"`` (works, with a declared difference that never changes a browser's verdict:
    an info-level 6xx) or ``"undocumented"`` (the server's behaviour is not documented: a
    warning-level 6xx that names the open question).
    """

    feature: str
    support: str
    note: str = ""


@frozen
class Option:
    """A backend option, set with ``-O KEY=VALUE``."""

    key: str
    help: str
    default: str = ""
    choices: tuple[str, ...] = ()


@frozen
class EmitOptions:
    """What every backend receives: the tool version, the source's base name (for the
    provenance comment), the ``-O`` options after validation, and ``output``, the ``-o`` path
    as given (``""`` for stdout), from which a backend may choose its output's format."""

    version: str
    source_name: str
    target: str
    values: Mapping[str, str] = field(factory=dict)
    output: str = ""

    def get(self, key: str, default: str = "") -> str:
        return self.values.get(key, default)


@frozen
class OutputFile:
    """One emitted file. ``name`` is its default file name; ``placement`` says where it goes
    (shown on stdout and in ``--format json`` listings); ``comment`` is the line-comment
    prefix of its language, ``""`` for formats without comments (JSON)."""

    name: str
    content: str
    placement: str
    comment: str = "#"
    comment_end: str = ""


@runtime_checkable
class Backend(Protocol):
    names: tuple[str, ...]
    summary: str
    capabilities: tuple[Capability, ...]
    options: tuple[Option, ...]

    def check(self, policy_set: PolicySet, options: EmitOptions) -> list[Diagnostic]: ...

    def emit(self, policy_set: PolicySet, options: EmitOptions) -> list[OutputFile]: ...


@frozen
class Merged:
    """What ``--merge`` gives: the merged text (``None`` when the existing file is refused),
    the diagnostics about the existing file, and that file (for excerpts)."""

    text: str | None
    diagnostics: tuple[Diagnostic, ...]
    source: Source

    def fails(self, *, strict: bool) -> bool:
        """Whether the result must not be written: refused, or a warning under ``--strict``
        (a removed hand-written header is one)."""
        return self.text is None or (
            strict and any(item.severity is Severity.WARNING for item in self.diagnostics)
        )


@runtime_checkable
class MergingBackend(Backend, Protocol):
    """A backend that can update an existing configuration file in place (``--merge``)."""

    def merge(
        self, existing: bytes, files: Sequence[OutputFile], options: EmitOptions, path: str
    ) -> Merged:
        """``files`` (what :meth:`emit` returned) merged into ``existing``, the bytes of the
        file at ``path``; everything corsc does not own is preserved."""
        ...


class UnknownTarget(LookupError):
    """A target name no backend declares; ``suggestion`` is the closest known name or ``""``."""

    def __init__(self, name: str, suggestion: str) -> None:
        super().__init__(name)
        self.name = name
        self.suggestion = suggestion


def target_names() -> list[str]:
    """Every target name, aliases included, in registry order."""
    return list(MODULES)


def get(name: str) -> Backend:
    """The backend for a target name."""
    location = MODULES.get(name)
    if location is None:
        matches = difflib.get_close_matches(name, target_names(), n=1, cutoff=0.5)
        raise UnknownTarget(name, matches[0] if matches else "")
    return _load(location)


def backends() -> list[Backend]:
    """Every backend once, in registry order."""
    seen: dict[str, Backend] = {}
    for location in MODULES.values():
        seen.setdefault(location, _load(location))
    return list(seen.values())


def _load(location: str) -> Backend:
    """``"package.module"`` loads its ``BACKEND``; ``"package.module:NAME"`` loads ``NAME``
    (for a target family with several backends in one module)."""
    module_name, _, attribute = location.partition(":")
    backend = getattr(importlib.import_module(module_name), attribute or "BACKEND")
    assert isinstance(backend, Backend)
    return backend


def validate_options(backend: Backend, raw: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """Parse ``-O KEY=VALUE`` arguments against a backend's options: (values, problems)."""
    known = {option.key: option for option in backend.options}
    values = {option.key: option.default for option in backend.options if option.default}
    problems = []
    for item in raw:
        key, equals, value = item.partition("=")
        option = known.get(key)
        if option is not None and not equals:
            shown = f" ({', '.join(option.choices)})" if option.choices else ""
            problems.append(f"-O {item}: give a value, as -O {key}=VALUE{shown}")
            continue
        if option is None:
            hint = difflib.get_close_matches(key, list(known), n=1)
            problems.append(
                f"-O {item}: {backend.names[0]} has no option `{key}`"
                + (f"; did you mean `{hint[0]}`?" if hint else "")
                + (f" (options: {', '.join(known)})" if known else " (it takes no options)")
            )
            continue
        if option.choices and value not in option.choices:
            problems.append(f"-O {key}: expected one of {', '.join(option.choices)}, got `{value}`")
            continue
        values[key] = value
    return values, problems


def cannot_express(target: str, what: str, span: Span, instead: Sequence[str]) -> Diagnostic:
    """CORS601: the target cannot reproduce this construct's verdicts (an error at the
    statement that needs it), with help naming targets that can."""
    return d.TARGET_CANNOT_EXPRESS.at(
        span,
        f"target `{target}` cannot express {what}",
        "compile with "
        + " or ".join(f"`--target {name}`" for name in instead)
        + ", which can, or change the policy",
    )


def deviation(target: str, what: str, span: Span) -> Diagnostic:
    """CORS602: a declared deviation this policy triggers (a difference from the evaluator's
    answer that never changes a browser's verdict)."""
    return d.TARGET_DEVIATION.at(
        span,
        f"target `{target}`: {what}",
        "no browser verdict changes; this is listed among the target's declared deviations",
    )


def undocumented(target: str, question: str, span: Span, advice: str) -> Diagnostic:
    """CORS603: the server's behaviour is not documented here; corsc does not guess."""
    return d.TARGET_UNDOCUMENTED.at(span, f"target `{target}`: {question}", advice)
