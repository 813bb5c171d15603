"""Diagnostic renderers: text for people, JSON for editors, SARIF for code-scanning services.

Every renderer orders diagnostics the same way — file, start offset, end offset, code, then
message as a tiebreak — so the same findings always render byte for byte the same.

``render_json`` writes the document the README describes (ASCII-only, so any terminal or pipe
encoding can carry it).

``render_text`` writes rustc-style excerpts. The format, for a diagnostic with one related
location::

    error[CORS301 wildcard-with-credentials]: origins * cannot be combined with credentials true
      --> api.cors:2:11
       |
     2 |   origins *
       |           ^
       |
       = help: list the origins that need credentials
       = fix: replace `*` with "https://app.example.com"
    note: credentials enabled here
      --> api.cors:3:15
       |
     3 |   credentials true
       |               ^^^^

    error: 1 error, 0 warnings, 0 infos

- The header is ``severity[CODE slug]: message``; ``-->`` gives file:line:column (1-based,
  in characters).
- The excerpt shows the first line of the range; carets run to the end of the range, or to
  the end of that line when the range spans several lines; an empty range gets one caret.
  Tabs expand to stops every 4 columns and wide (East Asian) characters take two columns, so
  the carets sit under what the terminal shows. Control, format and surrogate characters are
  shown as ``<U+XXXX>`` so a policy file cannot send escape sequences or reorder the line
  (bidi overrides) in the reader's terminal.
- A line longer than ``LINE_CONTEXT`` characters either side of the range's start is cut to
  that window, with ``...`` where it was cut.
- When the file is not in ``sources``, or the range lies past its end, the excerpt is left out.
- ``= help:`` and one ``= fix:`` per suggested fix follow; each related location is a
  ``note:`` with its own excerpt.
- Diagnostics are separated by a blank line; the last line is a summary labelled by the worst
  severity (``error: 1 error, 2 warnings, 0 infos``), or ``ok: no problems found``.
- With ``fold_target_notes``, a target's notes (the kinds in ``diagnostics.TARGET_NOTES``:
  declared deviations and output layout, which never call for a change to the policy) are not
  shown one by one but as one ``info: target `T`: …`` line per target before the summary;
  the summary still counts each of them. JSON and SARIF always carry every one.

``render_sarif`` writes SARIF 2.1.0 with one run. Columns count Unicode code points
(``columnKind: unicodeCodePoints``, not SARIF's UTF-16 default) like corsc's own spans. The
help is the second line of ``message.text`` (``help: …``) because code-scanning services show
only the message. Related locations and fixes are included only when a diagnostic has them.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import PurePath
from typing import Protocol
from urllib.parse import quote

from attrs import evolve, frozen

from corsc.diagnostics import (
    CATALOGUE,
    TARGET_DEVIATION,
    TARGET_NOTES,
    Diagnostic,
    Fix,
    Kind,
    Related,
    Severity,
    TextEdit,
)
from corsc.records import fields_repr
from corsc.source import CODE_POINTS, UTF16, Source, Span, visible

#: The ``version`` of the ``--format json`` document; bump it when its shape changes.
JSON_FORMAT_VERSION = 1

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"

TAB_STOP = 4

#: Characters shown either side of where a range starts; a longer line is cut (and marked
#: "..."), so one huge line such as a minified file cannot flood the terminal or stall.
LINE_CONTEXT = 120

_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_SARIF_COLUMN_KIND = {CODE_POINTS: "unicodeCodePoints", UTF16: "utf16CodeUnits"}

#: Where every rule is documented (the README's Diagnostics section, as the package index
#: shows it); SARIF's ``helpUri``.
RULES_URL = "https://pypi.org/project/corsc/#diagnostics"

#: The name of the synthetic source of the N-th ``--set`` argument (corsc.bindings names them):
#: a command-line argument, not a file, so no format shows it as a path or URI.
_OVERRIDE = re.compile(r"<--set #([0-9]+)>")

# ANSI SGR parameters, after rustc's palette.
_RED, _YELLOW, _CYAN, _GREEN, _BLUE, _BOLD = "1;31", "1;33", "1;36", "1;32", "1;34", "1"
_SEVERITY_COLOR = {Severity.ERROR: _RED, Severity.WARNING: _YELLOW, Severity.INFO: _CYAN}


def _ordered(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    return sorted(diagnostics, key=lambda item: (*item.sort_key(), item.message))


def _summary(diagnostics: list[Diagnostic]) -> dict[str, int]:
    counts = {"errors": 0, "warnings": 0, "infos": 0}
    for item in diagnostics:
        counts[item.severity.value + "s"] += 1
    return counts


def _dump(document: object) -> str:
    return json.dumps(document, indent=2) + "\n"


def encoded(diagnostic: Diagnostic, sources: Mapping[str, Source], encoding: str) -> Diagnostic:
    """``diagnostic`` with every position (its span, its notes', its fixes') counted in
    ``encoding`` (``code-points`` or ``utf-16``; corsc.source converts). A span of a file
    missing from ``sources`` is left as it is: its text is unknown."""
    if encoding == CODE_POINTS:
        return diagnostic

    def span(item: Span) -> Span:
        source = sources.get(item.file)
        if source is None:
            return item
        return Span(
            item.file, source.encoded(item.start, encoding), source.encoded(item.end, encoding)
        )

    return evolve(
        diagnostic,
        span=span(diagnostic.span),
        related=tuple(Related(span(item.span), item.message) for item in diagnostic.related),
        fixes=tuple(
            Fix(fix.message, tuple(TextEdit(span(edit.span), edit.new_text) for edit in fix.edits))
            for fix in diagnostic.fixes
        ),
    )


def override_argument(file: str) -> str | None:
    """``--set #N`` when ``file`` is the synthetic source of a ``--set`` argument."""
    match = _OVERRIDE.fullmatch(file)
    return f"--set #{match.group(1)}" if match else None


# ---- JSON ----------------------------------------------------------------------------------


def render_json(
    diagnostics: Iterable[Diagnostic],
    *,
    tool_version: str,
    sources: Mapping[str, Source] | None = None,
    encoding: str = CODE_POINTS,
) -> str:
    """The ``--format json`` document (the README shows its shape; ``corsc/schema/
    diagnostics.schema.json`` is its JSON Schema). Columns and offsets count ``encoding``
    (``position_encoding`` in the document says which)."""
    ordered = _ordered(diagnostics)
    return _dump(
        {
            "version": JSON_FORMAT_VERSION,
            "tool": {"name": "corsc", "version": tool_version},
            "position_encoding": encoding,
            "diagnostics": [encoded(item, sources or {}, encoding).to_dict() for item in ordered],
            "summary": _summary(ordered),
        }
    )


# ---- text ----------------------------------------------------------------------------------


class SupportsIsatty(Protocol):
    def isatty(self) -> bool: ...


#: The choices of ``--color``.
COLOR_MODES = ("auto", "always", "never")


def use_color(
    stream: SupportsIsatty, mode: str = "auto", environ: Mapping[str, str] = os.environ
) -> bool:
    """Whether to colour output to ``stream``. ``--color always`` / ``never`` decide; ``auto``
    (the default) colours a terminal, unless ``NO_COLOR`` is set (any value, even empty;
    no-color.org) or ``TERM`` is ``dumb``; a non-empty ``FORCE_COLOR`` (force-color.org)
    colours even a pipe. ``NO_COLOR`` wins over ``FORCE_COLOR``: declining colour is the safe
    side."""
    if mode != "auto":
        return mode == "always"
    if "NO_COLOR" in environ:
        return False
    if environ.get("FORCE_COLOR"):
        return True
    if environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (ValueError, OSError):  # a closed or detached stream is no terminal
        return False


@frozen
class _Paint:
    __repr__ = fields_repr

    color: bool

    def __call__(self, text: str, sgr: str) -> str:
        return f"\x1b[{sgr}m{text}\x1b[0m" if self.color and text else text


def _cells(char: str) -> int:
    """Terminal columns one visible character takes."""
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in {"W", "F"} else 1


@frozen
class _Excerpt:
    __repr__ = fields_repr

    line: int
    text: str
    carets: str


def _excerpt(span: Span, source: Source | None) -> _Excerpt | None:
    """The first line of ``span`` as shown, with carets under the range; ``None`` when there
    is no source or the span lies outside it (a stale or foreign span must not crash)."""
    if source is None or not 1 <= span.start.line <= source.line_count:
        return None
    line = source.line_text(span.start.line)
    start = min(max(span.start.column, 1), len(line) + 1)
    end = len(line) + 1 if span.end.line > span.start.line else span.end.column
    # The window of columns [first, last) shown; cut ends are marked with "...".
    first = max(1, start - LINE_CONTEXT)
    last = min(len(line) + 1, start + LINE_CONTEXT)
    shown = ["..." if first > 1 else ""]
    cells = len(shown[0])
    segment = line[first - 1 : last - 1]
    if segment.isascii() and segment.isprintable():  # the common case: one cell a column
        marks = (
            " " * (cells + max(start, first) - first) + "^" * (min(end, last) - start)
        ).rstrip()
        if "^" not in marks:
            marks = " " * (cells + start - first) + "^"
        cut = "..." if last <= len(line) else ""
        return _Excerpt(span.start.line, shown[0] + segment + cut, marks)
    carets = [" " * cells]
    cells_before_start = None
    for column, char in enumerate(line[first - 1 : last - 1], start=first):
        if column == start:
            cells_before_start = cells
        if char == "\t":
            glyph = " " * (TAB_STOP - cells % TAB_STOP)
            width = len(glyph)
        else:
            glyph = visible(char)
            width = sum(_cells(part) for part in glyph)
        shown.append(glyph)
        carets.append(("^" if start <= column < end else " ") * width)
        cells += width
    if last <= len(line):
        shown.append("...")
    marks = "".join(carets).rstrip()
    if "^" not in marks:
        # An empty range, one past the line's end, or only zero-width characters: one caret.
        marks = " " * (cells if cells_before_start is None else cells_before_start) + "^"
    return _Excerpt(span.start.line, "".join(shown), marks)


def _indented(text: str, indent: int) -> str:
    """``text`` made visible, its continuation lines aligned ``indent`` columns in."""
    return ("\n" + " " * indent).join(visible(line) for line in text.split("\n"))


def _location(span: Span) -> str:
    return f"{visible(span.file)}:{span.start.line}:{span.start.column}"


def _render_diagnostic(
    diagnostic: Diagnostic, sources: Mapping[str, Source], paint: _Paint
) -> list[str]:
    primary = _excerpt(diagnostic.span, sources.get(diagnostic.span.file))
    notes = [
        (item, _excerpt(item.span, sources.get(item.span.file))) for item in diagnostic.related
    ]
    excerpts = [primary, *(excerpt for _, excerpt in notes)]
    shown_lines = [excerpt.line for excerpt in excerpts if excerpt is not None]
    width = max((len(str(line)) for line in shown_lines), default=1)
    gutter = " " * (width + 2)
    color = _SEVERITY_COLOR[diagnostic.severity]

    def located(span: Span, excerpt: _Excerpt | None, caret_color: str) -> list[str]:
        lines = [" " * (width + 1) + paint("-->", _BLUE) + " " + _location(span)]
        if excerpt is not None:
            number = paint(f" {excerpt.line:>{width}} |", _BLUE)
            carets = excerpt.carets.lstrip(" ")
            indent = " " * (len(excerpt.carets) - len(carets))
            lines += [
                paint(gutter + "|", _BLUE),
                f"{number} {excerpt.text}".rstrip(),
                paint(gutter + "|", _BLUE) + " " + indent + paint(carets, caret_color),
            ]
        return lines

    title = f"{diagnostic.severity.value}[{diagnostic.code} {diagnostic.name}]"
    lines = [
        paint(title, color) + paint(": " + _indented(diagnostic.message, len(title) + 2), _BOLD),
        *located(diagnostic.span, primary, color),
    ]
    remarks = [("help", diagnostic.help)] if diagnostic.help else []
    remarks += [("fix", fix.message) for fix in diagnostic.fixes]
    if remarks:
        lines.append(paint(gutter + "|", _BLUE))
    for label, text in remarks:
        prefix = f"= {label}: "
        lines.append(gutter + paint(prefix, _BOLD) + _indented(text, len(gutter + prefix)))
    for related, excerpt in notes:
        lines.append(paint("note", _GREEN) + paint(": " + _indented(related.message, 6), _BOLD))
        lines += located(related.span, excerpt, _GREEN)
    return lines


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


_TARGET_NAME = re.compile(r"target `([^`]+)`")


def _folded_notes(notes: list[Diagnostic], paint: _Paint) -> list[str]:
    """One line per target for its notes (CORS602 deviations, CORS604 layout), in the order
    the targets first appear."""
    by_target: dict[str, list[Diagnostic]] = {}
    for item in notes:
        found = _TARGET_NAME.search(item.message)
        by_target.setdefault(found.group(1) if found else "?", []).append(item)
    lines = []
    for target, items in by_target.items():
        deviations = sum(item.code == TARGET_DEVIATION.code for item in items)
        layout = len(items) - deviations
        parts = []
        if deviations:
            parts.append(
                _plural(deviations, "declared deviation")
                + (" (it never changes" if deviations == 1 else " (none changes")
                + " a browser's verdict)"
            )
        if layout:
            parts.append(_plural(layout, "note") + " on where the output goes")
        lines.append(
            paint("info", _SEVERITY_COLOR[Severity.INFO])
            + f": target `{target}`: "
            + " and ".join(parts)
            + "; `--verbose` shows them"
        )
    return lines


def render_text(
    diagnostics: Iterable[Diagnostic],
    sources: Mapping[str, Source],
    *,
    color: bool,
    fold_target_notes: bool = False,
) -> str:
    """Diagnostics as rustc-style excerpts and a summary line (format: module docstring).
    ``sources`` maps file names to their text; a file missing from it renders without
    excerpts. ANSI colour only when ``color`` is true (see :func:`use_color`); a target's
    notes as one line when ``fold_target_notes``."""
    paint = _Paint(color)
    ordered = _ordered(diagnostics)
    if not ordered:
        return paint("ok", _GREEN) + ": no problems found\n"
    folded = {id(item) for item in ordered if fold_target_notes and item.code in TARGET_NOTES}
    blocks = [
        "\n".join(_render_diagnostic(item, sources, paint))
        for item in ordered
        if id(item) not in folded
    ]
    notes = [item for item in ordered if id(item) in folded]
    blocks.extend(_folded_notes(notes, paint))
    counts = _summary(ordered)
    worst = min((item.severity for item in ordered), key=lambda severity: severity.rank)
    summary = ", ".join(_plural(counts[level.value + "s"], level.value) for level in Severity)
    blocks.append(paint(worst.value, _SEVERITY_COLOR[worst]) + ": " + summary)
    return "\n\n".join(blocks) + "\n"


# ---- SARIF ---------------------------------------------------------------------------------


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
    ordered = [encoded(item, sources or {}, encoding) for item in _ordered(diagnostics)]
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
    return _dump({"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]})


# ---- GitHub Actions workflow commands ------------------------------------------------------

_GITHUB_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _github_data(text: str) -> str:
    """A workflow command's message escaped as the runner reads it: ``%``, CR and LF."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _github_property(text: str) -> str:
    """A workflow command's property value escaped: as a message, and ``:`` and ``,``."""
    return _github_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(
    diagnostics: Iterable[Diagnostic],
    sources: Mapping[str, Source] | None = None,
    *,
    encoding: str = UTF16,
) -> str:
    """GitHub Actions annotations, one workflow command a line::

        ::warning file=api.cors,line=16,col=3,endLine=16,endColumn=18,title=CORS407 …::message

    Infos are ``notice``. The message carries the help on a second line. A ``--set`` argument
    is no file: its annotation names the argument in the message and has no location. Columns
    count ``encoding``; ``endColumn`` is given only for a range on one line (GitHub ignores it
    otherwise)."""
    lines = []
    for item in (encoded(item, sources or {}, encoding) for item in _ordered(diagnostics)):
        span = item.span
        message = item.message + (f"\nhelp: {item.help}" if item.help else "")
        argument = override_argument(span.file)
        properties: list[tuple[str, object]] = []
        if argument is not None:
            message = f"{argument}: {message}"
        else:
            properties += [("file", span.file), ("line", span.start.line)]
            properties += [("col", span.start.column), ("endLine", span.end.line)]
            if span.end.line == span.start.line:
                properties.append(("endColumn", span.end.column))
        properties.append(("title", f"{item.code} {item.name}"))
        shown = ",".join(f"{key}={_github_property(str(value))}" for key, value in properties)
        lines.append(f"::{_GITHUB_COMMAND[item.severity]} {shown}::{_github_data(message)}\n")
    return "".join(lines)
