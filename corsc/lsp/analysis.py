"""What the language server knows about one version of one document.

An :class:`Analysis` is built from the buffer's text exactly as ``corsc check`` would read the
file: :func:`corsc.frontend.load` on the text, then — when the document lies in a project
whose ``corsc.toml`` names targets — :func:`corsc.backends.check` for each of them, as
``corsc check --target`` does. Building one never raises on any text.
"""

from __future__ import annotations

from pathlib import Path

from attrs import frozen

from corsc import __version__
from corsc import diagnostics as d
from corsc.frontend import Loaded, load
from corsc.lsp.outline import Outline, outline
from corsc.project import Project, project_for
from corsc.records import fields_repr
from corsc.source import Source, visible

#: A byte order mark is not part of the policy (``corsc check`` drops it); the editor counts
#: it, so it is read as a space, which keeps every offset where the editor has it.
_BOM = "\ufeff"


@frozen
class Analysis:
    """One version of a document: its text, the front end's and the project's targets'
    diagnostics (sorted by position), the outline, and problems with the project file itself
    (each one line naming it)."""

    __repr__ = fields_repr

    text: str
    source: Source
    loaded: Loaded
    diagnostics: tuple[d.Diagnostic, ...]
    outline: Outline
    project_problems: tuple[str, ...] = ()


def analyse(text: str, path: Path | None, name: str) -> Analysis:
    """The analysis of ``text``, the content of the file at ``path`` (``None`` for a buffer
    that is not a file: no project), shown in diagnostics as ``name``."""
    policy_text = " " + text[1:] if text.startswith(_BOM) else text
    source = Source(visible(name), policy_text)
    loaded = load(source)
    diagnostics = list(loaded.diagnostics)
    problems: tuple[str, ...] = ()
    project = project_for(path) if path is not None else None
    if project is not None:
        target_diagnostics, problems = _target_diagnostics(project, loaded, source.name)
        diagnostics.extend(target_diagnostics)
        diagnostics.sort(key=d.Diagnostic.sort_key)
    return Analysis(text, source, loaded, tuple(diagnostics), outline(text), problems)


def _target_diagnostics(
    project: Project, loaded: Loaded, name: str
) -> tuple[list[d.Diagnostic], tuple[str, ...]]:
    """What the project's targets say about the policy (nothing when it could not be
    parsed), and the project file's problems, an unknown target name among them."""
    from corsc.backends import EmitOptions, UnknownTarget, check, get, validate_options

    problems = list(project.problems)
    found: list[d.Diagnostic] = []
    shown = visible(str(project.path))
    for target in project.targets:
        try:
            backend = get(target)
        except UnknownTarget as error:
            hint = f"; did you mean `{error.suggestion}`?" if error.suggestion else ""
            problems.append(f"{shown}: unknown target `{visible(target)}`{hint}")
            continue
        if loaded.policy_set is None:
            continue
        values, _ = validate_options(backend, [])  # the defaults: no option is given
        options = EmitOptions(__version__, name, target, values, "")
        found.extend(check(backend, loaded.policy_set, options))
    return found, tuple(problems)
