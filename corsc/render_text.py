"""Diagnostics as text for people: rustc-style excerpts, colour, a summary line.

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
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Protocol

from attrs import frozen

from corsc.diagnostics import TARGET_DEVIATION, TARGET_NOTES, Diagnostic, Severity
from corsc.records import fields_repr
from corsc.render import in_order, severity_counts
from corsc.source import Source, Span, visible

TAB_STOP = 4

#: Characters shown either side of where a range starts; a longer line is cut (and marked
#: "..."), so one huge line such as a minified file cannot flood the terminal or stall.
LINE_CONTEXT = 120

# ANSI SGR parameters, after rustc's palette.
_RED, _YELLOW, _CYAN, _GREEN, _BLUE, _BOLD = "1;31", "1;33", "1;36", "1;32", "1;34", "1"
_SEVERITY_COLOR = {Severity.ERROR: _RED, Severity.WARNING: _YELLOW, Severity.INFO: _CYAN}


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
    ordered = in_order(diagnostics)
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
    counts = severity_counts(ordered)
    worst = min((item.severity for item in ordered), key=lambda severity: severity.rank)
    summary = ", ".join(_plural(counts[level.value + "s"], level.value) for level in Severity)
    blocks.append(paint(worst.value, _SEVERITY_COLOR[worst]) + ": " + summary)
    return "\n\n".join(blocks) + "\n"
