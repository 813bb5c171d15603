"""Diagnostics as SARIF 2.1.0, the log code-scanning services read.

``render_sarif`` writes SARIF 2.1.0 with one run. Columns count Unicode code points
(``columnKind: unicodeCodePoints``, not SARIF's UTF-16 default) like corsc's own spans. The
help is the second line of ``message.text`` (``help: …``) because code-scanning services show
only the message. Related locations and fixes are included only when a diagnostic has them.
Every rule of a code that occurs is described (what it reports, what its level means, how to
silence it) and points to where every rule is documented (``corsc.render.RULES_URL``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import PurePath
from urllib.parse import quote

from corsc.diagnostics import CATALOGUE, Diagnostic, Fix, Kind, Severity
from corsc.render import RULES_URL, encoded, in_order, json_text, override_argument
from corsc.source import CODE_POINTS, UTF16, Source, Span

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"

_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_SARIF_COLUMN_KIND = {CODE_POINTS: "unicodeCodePoints", UTF16: "utf16CodeUnits"}


def _uri(file: str) -> str:
    """A URI reference for a file name: ``file://`` when absolute, else a relative reference
    with ``/`` separators; bytes a file name could not decode are percent-encoded as-is."""
    path = PurePath(file)
    if path.is_absolute():
        return path.as_uri()
    return quote(path.as_posix(), errors="surrogateescape")


def _region(span: Span) -> dict[str, int]:
    return {
        "startLine": span.start.line,
        "startColumn": span.start.column,
        "endLine": span.end.line,
        "endColumn": span.end.column,
        "charOffset": span.start.offset,
        "charLength": max(0, span.end.offset - span.start.offset),
    }


def _sarif_location(span: Span) -> dict[str, object]:
    """Where ``span`` is, as SARIF says it: a file and a region, or — for a ``--set``
    argument, which is no file — a logical location naming the argument."""
    argument = override_argument(span.file)
    if argument is not None:
        return {"logicalLocations": [{"name": argument, "kind": "parameter"}]}
    return {
        "physicalLocation": {"artifactLocation": {"uri": _uri(span.file)}, "region": _region(span)}
    }


def _sarif_fix(fix: Fix) -> dict[str, object] | None:
    """A SARIF fix: the edits of files (an edit of a ``--set`` argument changes no file);
    ``None`` when no edit is left, as SARIF wants at least one artifactChange."""
    by_file: dict[str, list[dict[str, object]]] = {}
    for edit in fix.edits:
        if override_argument(edit.span.file) is None:
            by_file.setdefault(edit.span.file, []).append(
                {"deletedRegion": _region(edit.span), "insertedContent": {"text": edit.new_text}}
            )
    if not by_file:
        return None
    return {
        "description": {"text": fix.message},
        "artifactChanges": [
            {"artifactLocation": {"uri": _uri(file)}, "replacements": replacements}
            for file, replacements in by_file.items()
        ],
    }


def _sarif_result(diagnostic: Diagnostic, rule_index: int) -> dict[str, object]:
    text = diagnostic.message + (f"\nhelp: {diagnostic.help}" if diagnostic.help else "")
    result: dict[str, object] = {
        "ruleId": diagnostic.code,
        "ruleIndex": rule_index,
        "level": _SARIF_LEVEL[diagnostic.severity],
        "message": {"text": text},
        "locations": [_sarif_location(diagnostic.span)],
    }
    if diagnostic.related:
        # Ids keep two identical notes distinct: SARIF wants relatedLocations unique.
        result["relatedLocations"] = [
            {"id": index, **_sarif_location(item.span), "message": {"text": item.message}}
            for index, item in enumerate(diagnostic.related)
        ]
    fixes = [fix for fix in map(_sarif_fix, diagnostic.fixes) if fix is not None]
    if fixes:
        result["fixes"] = fixes
    return result


_LEVEL_WORDS = {
    Severity.ERROR: "An error: the policy is wrong or cannot be compiled as written, so corsc "
    "writes no output until it is fixed; no selection or comment hides it.",
    Severity.WARNING: "A warning: likely a mistake. It fails `--strict`; where the policy means "
    "it, say so with `# corsc: allow {code}` on the statement, or `--ignore {code}`.",
    Severity.INFO: "An info: something a reader of the policy would want to know. Hide it with "
    "`--quiet`, `# corsc: allow {code}` on the statement, or `--ignore {code}`.",
}


def _sarif_rule(kind: Kind) -> dict[str, object]:
    """A SARIF rule for a catalogue entry: what it reports, what its level means and how to
    silence it, and where every rule is documented."""
    summary = kind.summary[:1].upper() + kind.summary[1:]
    level = _LEVEL_WORDS[kind.severity].format(code=kind.code)
    help = (
        f"{kind.code} ({kind.name}): {kind.summary}. {level} Every rule is described in the "
        f"Diagnostics section of corsc's documentation: {RULES_URL}"
    )
    return {
        "id": kind.code,
        "name": kind.name,
        "shortDescription": {"text": kind.summary},
        "fullDescription": {"text": f"{summary}. {level}"},
        "help": {"text": help},
        "helpUri": RULES_URL,
        "defaultConfiguration": {"level": _SARIF_LEVEL[kind.severity]},
    }


def render_sarif(
    diagnostics: Iterable[Diagnostic],
    *,
    tool_version: str,
    rules: Mapping[str, Kind] = CATALOGUE,
    sources: Mapping[str, Source] | None = None,
    encoding: str = CODE_POINTS,
) -> str:
    """A SARIF 2.1.0 log with one run: a rule for every code that occurs (taken from
    ``rules``, or from the diagnostic itself for a code ``rules`` lacks) and one result per
    diagnostic. Columns and offsets count ``encoding`` (the run's ``columnKind`` says which);
    a ``--set`` argument is a logical location, never a file URI."""
    ordered = [encoded(item, sources or {}, encoding) for item in in_order(diagnostics)]
    kinds: dict[str, Kind] = {}
    for item in ordered:
        if item.code not in kinds:
            kinds[item.code] = rules.get(item.code) or Kind(
                item.code, item.name, item.severity, item.name
            )
    codes = sorted(kinds)
    index = {code: position for position, code in enumerate(codes)}
    driver = {
        "name": "corsc",
        "version": tool_version,
        "informationUri": RULES_URL,
        "rules": [_sarif_rule(kinds[code]) for code in codes],
    }
    run = {
        "tool": {"driver": driver},
        "columnKind": _SARIF_COLUMN_KIND[encoding],
        "results": [_sarif_result(item, index[item.code]) for item in ordered],
    }
    return json_text({"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]})
