"""The text of outputs as corsc prints or writes it: several files on stdout, one after another,
and a file in the newline style a project declares.

Nothing here reads or writes a file, so printing a compile's output needs no more than this
module; every output's content is LF, as every backend writes it, until :func:`with_newlines`.
"""

from __future__ import annotations

from collections.abc import Sequence

from corsc.backends import OutputFile


def render_stdout(files: Sequence[OutputFile]) -> str:
    """One file as it is; several one after another, each introduced by a comment naming its
    file and where it goes."""
    if len(files) == 1:
        return files[0].content
    parts = []
    for item in files:
        banner = f"{item.comment} ===== {item.name} — {item.placement}{item.comment_end}".strip()
        parts.append(f"{banner}\n{item.content}")
    return "\n".join(parts)


def with_newlines(content: str, newline: str) -> str:
    """``content`` (LF, as every backend writes) in the newline style ``lf`` or ``crlf``."""
    return content.replace("\n", "\r\n") if newline == "crlf" else content
