"""The stale files of earlier compiles: files in an output directory that corsc wrote from the
same source for the same target, and which this compile no longer produces (a renamed policy's
snippets, which an ``include`` would still pick up).

A file is stale only when its provenance header names the same source and target as one of
the set's files and its name has the extension of one of them; a file without such a header,
a symbolic link, a hidden file (corsc's own temporaries) and a file the set writes are never
stale. Nothing here removes a file: :func:`corsc.output_write.write_all` does.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from corsc.backends import OutputFile
from corsc.provenance import header_of
from corsc.source import read_bounded

#: How much of a file in the output directory is read to recognise a provenance header.
_HEADER_LIMIT = 4096


def stale_files(directory: Path, files: Sequence[OutputFile], produced: set[Path]) -> list[Path]:
    """Regular files in ``directory`` (not symbolic links, not corsc's temporaries) whose
    header names the same source and target as one of this set's files, and which the set
    does not produce. A file without such a header is never touched."""
    own = {header for item in files if (header := header_of(item.content)) is not None}
    if not own:
        return []
    # Only names of the kind this compile writes (`corsc-api.http.conf` beside
    # `corsc-web.http.conf`): a copy, a backup or notes that start with a copied header stay.
    extensions = {_extension(item.name) for item in files}
    try:
        entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
    except OSError:  # a directory that does not exist yet holds nothing stale
        return []
    stale = []
    for entry in entries:
        if (
            Path(entry.path).absolute() in produced
            or entry.name.startswith(".")
            or _extension(entry.name) not in extensions
        ):
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            head = read_bounded(entry.path, _HEADER_LIMIT, head=True)
        except OSError:
            continue
        if header_of(head.decode("utf-8", "replace")) in own:
            stale.append(Path(entry.path))
    return stale


def _extension(name: str) -> str:
    """Everything from the first dot of a file name on (``.http.conf``)."""
    return name[name.find(".") :] if "." in name else ""
