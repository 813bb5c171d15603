"""The front end as one call: read → parse → lower → check.

``load`` never raises on bad input; it returns the policy set (``None`` when the text could not
be parsed at all) and every diagnostic, sorted by position.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from attrs import field, frozen

from corsc import diagnostics as d
from corsc import suppression
from corsc.bindings import Override, parse_override
from corsc.checks import check
from corsc.ir import PolicySet
from corsc.lower import lower
from corsc.parse import parse
from corsc.records import fields_repr
from corsc.source import (
    MAX_SOURCE_BYTES,
    NotAFile,
    Source,
    TooLarge,
    read_bounded,
    read_stream,
    visible,
)


@frozen
class Loaded:
    """The result of the front end. ``sources`` maps file names (including the synthetic
    sources of ``--set`` values) to their text, for rendering excerpts. ``diagnostics`` already
    leave out what the policy's ``# corsc: allow`` comments cover; :meth:`allowed` applies the
    same comments to what a target's check reports."""

    __repr__ = fields_repr

    policy_set: PolicySet | None
    diagnostics: tuple[d.Diagnostic, ...]
    sources: dict[str, Source]
    suppressions: suppression.Suppressions = field(factory=suppression.Suppressions)

    def allowed(self, diagnostics: Sequence[d.Diagnostic]) -> list[d.Diagnostic]:
        """``diagnostics`` (a target's) without those the policy's comments cover."""
        return self.suppressions.filter(diagnostics)

    @property
    def has_errors(self) -> bool:
        return any(item.severity is d.Severity.ERROR for item in self.diagnostics)


def load(source: Source, overrides: Sequence[str] = ()) -> Loaded:
    """Parse, lower and check one source; ``overrides`` are ``--set`` arguments."""
    diagnostics: list[d.Diagnostic] = []
    sources = {source.name: source}
    parsed_overrides: list[Override] = []
    for index, text in enumerate(overrides):
        override, problems = parse_override(text, index)
        diagnostics.extend(problems)
        if override is not None:
            parsed_overrides.append(override)
            sources[override.span.file] = Source(override.span.file, text)
    parsed = parse(source)
    diagnostics.extend(parsed.diagnostics)
    policy_set = None
    if parsed.tree is not None:
        policy_set, lowered = lower(source, parsed.tree, parsed_overrides)
        diagnostics.extend(lowered)
        diagnostics.extend(check(policy_set))
    allows = suppression.scan(source)
    diagnostics = allows.apply(diagnostics, complete=policy_set is not None)
    diagnostics.sort(key=d.Diagnostic.sort_key)
    return Loaded(policy_set, tuple(diagnostics), sources, allows)


def read_source(path: str) -> tuple[Source | None, d.Diagnostic | None]:
    """Read a policy file (``-`` is stdin) as UTF-8 text. A missing, unreadable, non-regular
    (directory, device, FIFO), binary, non-UTF-8 or oversized file is a diagnostic (exit 2),
    never an exception; at most one byte past the limit is ever read."""
    # The name every diagnostic, output and IR field shows: hidden characters (a line break, a
    # terminal escape, the bytes of a name that is not UTF-8) as <U+XXXX>, so no output can be
    # broken by a file name or fail to encode it.
    shown = visible(path)
    empty = Source(shown, "")
    try:
        data = (
            read_stream(sys.stdin.buffer, path, MAX_SOURCE_BYTES)
            if path == "-"
            else read_bounded(path, MAX_SOURCE_BYTES)
        )
    except FileNotFoundError:
        return None, _input_problem(
            d.UNREADABLE_INPUT, empty, f"{shown}: no such file", "check the path"
        )
    except NotAFile as error:
        return None, _input_problem(
            d.UNREADABLE_INPUT,
            empty,
            f"{shown} is {error.what}, not a policy file",
            "name a .cors file; to read a pipe, give `-` and send the policy to stdin",
        )
    except TooLarge:
        return None, _input_problem(
            d.INPUT_TOO_LARGE,
            empty,
            f"{shown} is too large: corsc reads policy files up to {MAX_SOURCE_BYTES:,} bytes",
            "split the policy, or move long origin lists into `--set` values",
        )
    except (OSError, ValueError) as error:  # ValueError: a NUL byte in the path
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        return None, _input_problem(
            d.UNREADABLE_INPUT,
            empty,
            f"{shown} cannot be read: {reason}",
            "check the path and the file's permissions",
        )
    if b"\x00" in data:
        return None, _input_problem(
            d.NOT_UTF8, empty, f"{shown} is a binary file, not a policy", "name a .cors text file"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        return None, _input_problem(
            d.NOT_UTF8,
            empty,
            f"{shown} is not UTF-8 text (byte {error.start} cannot be decoded)",
            "save the file as UTF-8",
        )
    return Source(shown, text.removeprefix("\ufeff")), None


def _input_problem(kind: d.Kind, source: Source, message: str, help: str) -> d.Diagnostic:
    return kind.at(source.span(0), message, help)
