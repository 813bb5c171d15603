"""What ``--check``, ``--diff`` and a write say about a plan (:mod:`corsc.output_plan`): one
line per file out of date or no longer produced, the summary line, and the unified diff.

Nothing here changes a file: the diff reads what is on disk (at most
:data:`corsc.output_plan.COMPARE_LIMIT` of each), and every path shown passes through
:func:`corsc.source.visible`, so a file name cannot send escape sequences to a terminal.
"""

from __future__ import annotations

from pathlib import Path

from corsc.output_plan import COMPARE_LIMIT, Plan
from corsc.source import read_bounded, visible


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
                read_bounded(str(path), COMPARE_LIMIT)
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
