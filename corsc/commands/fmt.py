"""``corsc fmt``: policy files rewritten in the canonical layout (:mod:`corsc.fmt`).

Each file named, every ``*.cors`` file under each directory named (in sorted order, hidden
files and directories left out), and stdin for ``-`` (written to stdout). A file is rewritten,
atomically, only when its text changes; with ``--check`` or ``--diff`` nothing is written:
``--check`` names each file that would change, ``--diff`` prints its unified diff on stdout,
and either exits 3 when some file would change. A file that cannot be read or has syntax
errors is left as it is, its diagnostics on stderr as ``corsc check`` shows them, and the exit
code is 2; the other files are still formatted.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys

from corsc.commands.common import EXIT_DRIFT, EXIT_OK, EXIT_USAGE
from corsc.source import visible

_BOM = "\ufeff"


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub = commands.add_parser("fmt", help="rewrite policy files in the canonical layout")
    sub.add_argument(
        "files", nargs="+", metavar="PATH", help="a file, a directory (its *.cors files) or -"
    )
    sub.add_argument(
        "--check", action="store_true", help="write nothing; exit 3 if a file would change"
    )
    sub.add_argument("--diff", action="store_true", help="write nothing; show what would change")


#: How bad each exit code is: a refusal outranks a file that would change.
_RANK = {EXIT_OK: 0, EXIT_DRIFT: 1, EXIT_USAGE: 2}


def run(args: argparse.Namespace) -> int:
    worst = EXIT_OK
    for path in args.files:
        if path != "-" and os.path.isdir(path):
            files, problems = _policy_files(path)
            for problem in problems:
                print(f"corsc: error: {problem}", file=sys.stderr)
                worst = EXIT_USAGE
            if not files and not problems:
                print(f"corsc: warning: no .cors files under {visible(path)}", file=sys.stderr)
        else:
            files = [path]
        for file in files:
            worst = max(worst, _format_file(file, args.check, args.diff), key=_RANK.__getitem__)
    return worst


def _format_file(path: str, check: bool, diff: bool) -> int:
    from corsc.fmt import format_text
    from corsc.frontend import read_source
    from corsc.render_text import render_text, use_color

    source, problem = read_source(path)
    if problem is not None:
        sys.stderr.write(render_text([problem], {}, color=use_color(sys.stderr)))
        return EXIT_USAGE
    assert source is not None
    # The reader drops a byte-order mark; a file that had one keeps it.
    before = (_BOM if path != "-" and _starts_with_bom(path) else "") + source.text
    formatted = format_text(before, source.name)
    if formatted.text is None:
        color = use_color(sys.stderr)
        sys.stderr.write(render_text(formatted.diagnostics, {source.name: source}, color=color))
        return EXIT_USAGE
    after = formatted.text
    if path == "-" and not (check or diff):
        sys.stdout.write(after)
        return EXIT_OK
    if after == before:
        return EXIT_OK
    if diff:
        sys.stdout.write(unified_diff(before, after, source.name))
    if check:
        print(f"corsc: {source.name} would be reformatted", file=sys.stderr)
    if check or diff:
        return EXIT_DRIFT
    from corsc.backends import OutputFile
    from corsc.output_plan import OutputError, plan
    from corsc.output_write import write_all

    try:
        write_all(plan([OutputFile(os.path.basename(path), after, "")], path))
    except OutputError as error:
        print(f"corsc: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    print(f"corsc: reformatted {source.name}", file=sys.stderr)
    return EXIT_OK


def _policy_files(directory: str) -> tuple[list[str], list[str]]:
    """The ``*.cors`` files under ``directory``, sorted, outside hidden directories (``.git``)
    and not hidden themselves; and the directories that could not be read, in words.
    Symbolic links to directories are not followed (no loops); links to files are formatted
    through."""
    found: list[str] = []
    problems: list[str] = []

    def unreadable(error: OSError) -> None:
        problems.append(f"cannot read {visible(str(error.filename))}: {error.strerror or error}")

    for root, directories, names in os.walk(directory, onerror=unreadable):
        directories[:] = [name for name in directories if not name.startswith(".")]
        found.extend(
            os.path.join(root, name)
            for name in names
            if name.endswith(".cors") and not name.startswith(".")
        )
    return sorted(found), problems


def _starts_with_bom(path: str) -> bool:
    from corsc.source import read_bounded

    try:
        return read_bounded(path, 3, head=True) == _BOM.encode("utf-8")
    except OSError:
        return False


def unified_diff(before: str, after: str, name: str) -> str:
    """The unified diff from ``before`` to ``after``, both headed ``name``; a last line
    without a line break is marked as ``diff`` marks it."""
    lines = difflib.unified_diff(_lines(before), _lines(after), name, name)
    return "".join(
        line if line.endswith("\n") else f"{line}\n\\ No newline at end of file\n" for line in lines
    )


def _lines(text: str) -> list[str]:
    """The lines of ``text`` with their ``\\n``: only ``\\n`` ends a line, as in the grammar
    (``str.splitlines`` would also split at form feeds and separators inside comments)."""
    lines = text.split("\n")
    last = lines.pop()
    return [line + "\n" for line in lines] + ([last] if last else [])
