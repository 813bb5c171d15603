"""Provenance: the first line of every file corsc writes, and reading it back.

The line names corsc's version, the source's base name, the target and a hash of the resolved
policy's meaning — never a timestamp, so the same input gives the same bytes. ``--check``
compares outputs with the version field masked (:func:`comparable`), so upgrading corsc is not
drift unless the output really changes; :func:`header_of` finds the files of earlier compiles.
"""

from __future__ import annotations

import os
import re

from corsc.ir import digest
from corsc.source import visible

NOTICE = "generated — edit the policy, not this file"
_VERSION_FIELD = re.compile(r"corsc [^ ;\"]+ from ")


def provenance(version: str, source_name: str, target: str, node: object) -> str:
    """The provenance text (without comment markers) for an output of ``node``."""
    return (
        f"corsc {version} from {provenance_name(source_name)} for target {target}; "
        f"policy sha256:{digest(node)}; {NOTICE}"
    )


def provenance_name(source_name: str) -> str:
    """The source's base name as the provenance shows it: hidden characters (line breaks,
    escapes, the undecodable bytes of a non-UTF-8 name) as ``<U+XXXX>`` like everywhere else,
    and the few characters that would end or break the comment of some output language or
    make the line ambiguous written the same way: ``;`` (ends the name field), ``"`` and
    ``\\`` (JSON), and the second ``-`` of ``--`` (forbidden inside an XML comment). What is
    left is printable UTF-8 that every target's comment or string holds as it is."""
    shown: list[str] = []
    for char in visible(os.path.basename(source_name)):
        if char in _PROVENANCE_ESCAPED or (char == "-" and shown and shown[-1].endswith("-")):
            shown.append(f"<U+{ord(char):04X}>")
        else:
            shown.append(char)
    return "".join(shown)


_PROVENANCE_ESCAPED = frozenset(';"\\')

#: A provenance line at the start of a comment (or of the JSON ``generated_by`` string): the
#: header of a file corsc wrote. The source and target fields cannot hold ``;`` or ``"``.
_HEADER = re.compile(
    r'^(?:#|//|<!--|\s*"generated_by":\s*")\s*corsc [^ ;"]+ from (?P<source>[^;"\n]*) '
    r"for target (?P<target>[^ ;\"\n]+); policy sha256:[0-9a-f]+; generated",
    re.MULTILINE,
)


def comparable(text: str) -> str:
    """The text with the version field of its provenance masked, for ``--check``."""
    return _VERSION_FIELD.sub("corsc * from ", text, count=1)


def header_of(text: str) -> tuple[str, str] | None:
    """The (source, target) a corsc provenance header in the first two lines names."""
    match = _HEADER.search("\n".join(text.split("\n", 2)[:2]))
    return (match["source"], match["target"]) if match else None
