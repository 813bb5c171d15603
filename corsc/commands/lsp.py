"""``corsc lsp``: the language server for editors (:mod:`corsc.lsp`), over stdio."""

from __future__ import annotations

import argparse

from corsc.commands.common import EXIT_OK, UsageError


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub = commands.add_parser("lsp", help="run the language server for editors (LSP over stdio)")
    sub.add_argument(
        "--stdio", action="store_true", help="talk over stdin and stdout (the only way; accepted)"
    )


def run(args: argparse.Namespace) -> int:
    """Serve until the client says exit (0); without pygls, a usage error saying how to
    install it."""
    try:
        from corsc.lsp.server import serve
    except ImportError as error:
        if (error.name or "").partition(".")[0] not in {"pygls", "lsprotocol"}:
            raise
        raise UsageError(
            "`corsc lsp` needs pygls, which is not installed: pip install 'corsc[lsp]'"
        ) from None
    serve()
    return EXIT_OK
