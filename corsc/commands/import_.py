"""``corsc import``: read an existing configuration and write the equivalent policy.

The policy goes to stdout or ``-o``; the findings about the imported file (CORS7xx, at its
lines) go to stderr, then corsc's own check of the policy written. Exit codes: 0 imported
(warnings allowed), 1 imported with errors (something was not carried over, or the policy
does not check), 2 the file cannot be read or its format cannot be told.
"""

from __future__ import annotations

import argparse
import sys

from corsc import diagnostics as d
from corsc.commands.common import EXIT_OK, EXIT_POLICY, EXIT_USAGE, UsageError, emit_diagnostics


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from corsc.imports import FORMATS

    sub = commands.add_parser(
        "import",
        help="write the policy an existing web.config, nginx.conf, Caddyfile, Apache file, "
        "haproxy.cfg or settings mean",
    )
    sub.add_argument("file", metavar="FILE")
    sub.add_argument("-o", "--output", metavar="OUT", help="write the policy here (default stdout)")
    sub.add_argument(
        "--from",
        dest="family",
        choices=FORMATS,
        help="the file's format (default: guessed from its content)",
    )
    sub.add_argument("--format", choices=("text", "json", "sarif"), default="text")


def run(args: argparse.Namespace) -> int:
    from corsc.backends import OutputFile
    from corsc.frontend import load, read_source
    from corsc.imports import import_source
    from corsc.output_plan import OutputError, plan
    from corsc.output_write import write_all
    from corsc.source import Source

    source, problem = read_source(args.file)
    if problem is not None:
        emit_diagnostics([problem], {}, args.format, sys.stderr)
        return EXIT_USAGE
    assert source is not None
    imported = import_source(source, args.family, path=None if args.file == "-" else args.file)
    diagnostics = list(imported.diagnostics)
    sources = {source.name: source, **{item.name: item for item in imported.sources}}
    if imported.policy is None:
        emit_diagnostics(diagnostics, sources, args.format, sys.stderr)
        unreadable = {d.IMPORT_UNKNOWN_FORMAT.code, d.IMPORT_UNREADABLE.code}
        return EXIT_USAGE if any(item.code in unreadable for item in diagnostics) else EXIT_POLICY
    name = args.output or "<imported policy>"
    checked = load(Source(name, imported.policy))
    diagnostics += checked.diagnostics
    sources.update(checked.sources)
    emit_diagnostics(diagnostics, sources, args.format, sys.stderr, quiet_when_empty=True)
    if args.output:
        try:
            write_all(plan([OutputFile("policy.cors", imported.policy, "")], args.output))
        except OutputError as error:
            raise UsageError(f"cannot write {args.output}: {error}") from None
    else:
        sys.stdout.write(imported.policy)
    return EXIT_POLICY if d.fails(diagnostics) else EXIT_OK
