"""``corsc lsp``: the command that runs the language server, in the shape of every command
(``add_parser(commands)`` declares its arguments, ``run(args)`` carries it out)."""

from __future__ import annotations

import argparse


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub = commands.add_parser("lsp", help="run the language server for editors (LSP over stdio)")
    sub.add_argument(
        "--stdio", action="store_true", help="talk over stdin and stdout (the only way; accepted)"
    )


def run(args: argparse.Namespace) -> int:
    """Serve until the client says exit (0); without pygls, a usage error saying how to
    install it."""
    from corsc.cli import EXIT_OK, UsageError

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
