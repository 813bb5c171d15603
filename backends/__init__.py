"""Backends: one module per target family, and the registry that maps target names to them.

A backend is data plus small functions, with one contract (:class:`Backend`):

- ``names``: the target names it answers to (the first is canonical, the rest aliases);
- ``summary``: one line for ``corsc targets``;
- ``capabilities``: its capability table, one :class:`~corsc.capabilities.Capability` per
  :class:`~corsc.capabilities.Feature` (built with :func:`corsc.capabilities.table`, which
  refuses a table that forgets a feature). :func:`check` turns the table into CORS601/602/603
  diagnostics for the features a policy uses, the same way for every target;
- ``deviations``: the declared differences that hold whatever the policy (shown by
  ``corsc targets`` and in the target's docs page);
- ``serves``: whether the output answers requests (a server configuration or middleware), so
  that it may be offered as the target to use instead;
- ``platform``: the server family (``iis``, ``nginx``, ``python``; ``any`` for the IR), so that
  the target offered instead is first one its users already run;
- ``docs``: its page under ``docs/``; ``runs_on`` and ``verified``: where its output runs and
  how the tests verify it here (the README's table of targets is written from these);
- ``options``: the ``-O KEY=VALUE`` options it takes (:class:`Option`) — the output's format
  among them, never guessed from the ``-o`` file name;
- ``check(policy_set, options)``: the diagnostics only this target can give (what its table
  cannot say: a value its server would misread, a layout note);
- ``emit(policy_set, options)``: the output files (:class:`OutputFile`), called only when
  :func:`check` found no error, so a feature the table marks ``NO`` never reaches it;
- optionally ``merge(existing, files, options, path)`` for ``--merge``
  (:class:`MergingBackend`): the emitted files merged into the existing file's bytes.

Adding a target: write its module (with its docs page and tests) and add one line to
:data:`MODULES`. Backends never import each other; the core never names a target.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol, runtime_checkable

from attrs import field, frozen

from corsc import capabilities
from corsc.capabilities import Capability, Feature, Support
from corsc.diagnostics import Diagnostic, Severity
from corsc.ir import PolicySet
from corsc.records import fields_repr
from corsc.source import Source

#: Target name → ``module`` (its ``BACKEND``) or ``module:NAME``. One line per target name.
MODULES: dict[str, str] = {
    "iis": "corsc.backends.iis_module",
    "iis-headers": "corsc.backends.iis_headers",
    "iis-rewrite": "corsc.backends.iis_rewrite",
    "nginx": "corsc.backends.nginx",
    "python": "corsc.backends.python",
    "starlette": "corsc.backends.starlette:STARLETTE",
    "fastapi": "corsc.backends.starlette:STARLETTE",
    "django": "corsc.backends.django:DJANGO",
    "flask": "corsc.backends.flask:FLASK",
    "express": "corsc.backends.express",
    "caddy": "corsc.backends.caddy",
    "haproxy": "corsc.backends.haproxy",
    "apache": "corsc.backends.apache",
    "json": "corsc.backends.jsonir",
}


@frozen
class Option:
    """A backend option, set with ``-O KEY=VALUE``."""

    __repr__ = fields_repr

    key: str
    help: str
    default: str = ""
    choices: tuple[str, ...] = ()


@frozen
class EmitOptions:
    """What every backend receives: the tool version, the source's base name (for the
    provenance comment), the ``-O`` options after validation, and ``output``, the ``-o`` path
    as given (``""`` for stdout), from which a backend may choose its output's format."""

    __repr__ = fields_repr

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

    __repr__ = fields_repr

    name: str
    content: str
    placement: str
    comment: str = "#"
    comment_end: str = ""


@runtime_checkable
class Backend(Protocol):
    """What every target provides (the module docstring says what each member means)."""

    # Read-only members (properties here), so that a backend may declare them as plain class
    # attributes of narrower types.
    @property
    def names(self) -> tuple[str, ...]: ...

    @property
    def summary(self) -> str: ...

    @property
    def capabilities(self) -> Mapping[Feature, Capability]: ...

    @property
    def deviations(self) -> tuple[str, ...]: ...

    @property
    def serves(self) -> bool: ...

    @property
    def platform(self) -> str: ...

    @property
    def docs(self) -> str: ...

    @property
    def runs_on(self) -> str: ...

    @property
    def verified(self) -> str: ...

    @property
    def options(self) -> tuple[Option, ...]: ...

    def check(self, policy_set: PolicySet, options: EmitOptions) -> list[Diagnostic]:
        """The diagnostics only this target can give (its table's are :func:`check`'s)."""
        ...

    def emit(self, policy_set: PolicySet, options: EmitOptions) -> list[OutputFile]:
        """The output files for a policy set :func:`check` found no error in."""
        ...


@frozen
class Merged:
    """What ``--merge`` gives: the merged text (``None`` when the existing file is refused),
    the diagnostics about the existing file, and that file (for excerpts)."""

    __repr__ = fields_repr

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
        import difflib  # only a misspelt name needs it: a clean compile starts without it

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
            import difflib  # only a misspelt name needs it: a clean compile starts without it

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


def alternatives(backend: Backend, policy_set: PolicySet) -> Callable[[Feature | None], list[str]]:
    """For a feature ``backend`` cannot express (``None`` for a condition finer than a
    feature, which only the backend's own check knows): up to two other serving targets that
    can express it, preferring those that can express everything the policy set uses, then
    those of the same platform (an IIS user is offered IIS targets first), in registry order."""
    used = {use.feature for use in capabilities.uses(policy_set)}

    def instead(feature: Feature | None) -> list[str]:
        able = [
            other
            for other in backends()
            if other is not backend
            and other.serves
            and (
                feature is None
                or other.capabilities[feature].support in (Support.YES, Support.DEVIATION)
            )
        ]
        complete = [
            other
            for other in able
            if all(other.capabilities[each].support is not Support.NO for each in used)
        ]
        offered = sorted(complete or able, key=lambda other: other.platform != backend.platform)
        return [other.names[0] for other in offered][:2]

    return instead


def check(backend: Backend, policy_set: PolicySet, options: EmitOptions) -> list[Diagnostic]:
    """Everything a target says about a policy set: its capability table's diagnostics
    (:func:`corsc.capabilities.check`), then its own ``check``'s."""
    found = capabilities.check(
        options.target, backend.capabilities, policy_set, alternatives(backend, policy_set)
    )
    return found + backend.check(policy_set, options)
