"""The ``json`` target: the resolved IR, for other tools.

Key order is stable (IR field order). Spans are included so tools can point back into the
policy. The provenance is the first key, ``generated_by``. Each entry and deny sits on one line
— ``origin`` (canonical), ``kind``, ``text`` (as written), the parsed fields, and ``start`` /
``end`` as ``[line, column, offset]`` — so a policy with 100,000 origins stays small, fast to
write and readable in a diff. An entry's ``grant`` is written only when it differs from its
policy's (an ``origin`` block); ``null`` means "the policy's grant".
"""

from __future__ import annotations

import json
from typing import Any

from corsc.backends import EmitOptions, Option, OutputFile
from corsc.capabilities import all_supported
from corsc.diagnostics import Diagnostic
from corsc.ir import OriginPattern, PatternKind, Policy, PolicySet, to_data
from corsc.provenance import provenance
from corsc.source import Span

FORMAT_VERSION = 1


def policy_data(policy: Policy, file: str) -> dict[str, object]:
    """A policy as JSON data. Entries and denies are flat, with spans relative to ``file``
    (a ``file`` key appears only for values from elsewhere, such as a ``--set``)."""
    return {
        "name": policy.name,
        "span": to_data(policy.span),
        "paths": to_data(policy.paths),
        "static_origin": policy.static_origin,
        "unlisted": to_data(policy.unlisted),
        "preflight_status": to_data(policy.preflight_status),
        "grant": to_data(policy.grant),
        "denies": [_pattern(deny, deny.span, file) for deny in policy.denies],
        "entries": [
            {
                **_pattern(entry.pattern, entry.span, file),
                "block": entry.block,
                "grant": None if entry.grant is policy.grant else to_data(entry.grant),
            }
            for entry in policy.entries
        ],
    }


_KIND_NAMES = {kind: kind.value for kind in PatternKind}  # Enum.value is slow, 100,000 times
_ONE_LINE_ENCODER = json.JSONEncoder(ensure_ascii=False)  # dumps() would build one per call


def _pattern(pattern: OriginPattern, span: Span, file: str) -> dict[str, object]:
    """A pattern's fields, written out: thousands of them make the generic walk slow."""
    data: dict[str, object] = {
        "origin": pattern.canonical,
        "kind": _KIND_NAMES[pattern.kind],
        "text": pattern.text,
        "scheme": pattern.scheme,
        "host": pattern.host,
        "port": pattern.port,
        "any_port": pattern.any_port,
        "regex": pattern.regex,
        "start": [span.start.line, span.start.column, span.start.offset],
        "end": [span.end.line, span.end.column, span.end.offset],
    }
    if span.file != file:
        data["file"] = span.file
    return data


class JsonBackend:
    """The resolved IR for other tools: every feature is written, nothing answers requests."""

    names = ("json",)
    platform = "any"
    docs = "python.md"
    runs_on = "— (for other tools)"
    verified = "golden files"
    summary = "the resolved policy as JSON, for other tools"
    capabilities = all_supported()
    deviations: tuple[str, ...] = ()
    serves = False
    options: tuple[Option, ...] = ()

    def check(self, policy_set: PolicySet, options: EmitOptions) -> list[Diagnostic]:
        return []

    def emit(self, policy_set: PolicySet, options: EmitOptions) -> list[OutputFile]:
        document = {
            "generated_by": provenance(
                options.version, options.source_name, options.target, policy_set
            ),
            "format": FORMAT_VERSION,
            "file": policy_set.file,
            "policies": [policy_data(policy, policy_set.file) for policy in policy_set.policies],
        }
        content = _dumps(document) + "\n"
        stem = policy_set.file.rsplit("/", 1)[-1].removesuffix(".cors") or "policy"
        return [OutputFile(f"{stem}.json", content, "anywhere a tool reads it", comment="")]


BACKEND = JsonBackend()


_ONE_LINE = ("entries", "denies")


def _dumps(document: dict[str, Any]) -> str:
    """JSON indented for reading, except that the items of the long lists of a policy are one
    line each (the C encoder writes those; the indenting encoder is pure Python and slow on
    large lists). Built by structure, never by replacing text, so no value can shift it."""
    lines = ["{"]
    for key, value in document.items():
        if key == "policies":
            rendered = _list([_policy(policy) for policy in value], depth=1)
        else:
            rendered = _value(value, depth=1)
        lines.append(f"  {json.dumps(key)}: {rendered},")
    lines[-1] = lines[-1].removesuffix(",")
    return "\n".join([*lines, "}"])


def _policy(policy: dict[str, Any]) -> str:
    members = []
    for key, value in policy.items():
        if key in _ONE_LINE:
            rendered = _list([_ONE_LINE_ENCODER.encode(item) for item in value], 3)
        else:
            rendered = _value(value, depth=3)
        members.append(f"      {json.dumps(key)}: {rendered}")
    return "{\n" + ",\n".join(members) + "\n    }"


def _value(value: object, depth: int) -> str:
    text = json.dumps(value, indent=2, ensure_ascii=False)
    return text.replace("\n", "\n" + "  " * depth)


def _list(rendered: list[str], depth: int) -> str:
    if not rendered:
        return "[]"
    pad = "  " * (depth + 1)
    return "[\n" + ",\n".join(pad + item for item in rendered) + "\n" + "  " * depth + "]"
