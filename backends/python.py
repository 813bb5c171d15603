"""The ``python`` target: the policy as TOML for corsc's own ASGI/WSGI middleware.

``corsc.runtime`` reads the file at start-up and answers every request exactly as the reference
evaluator does, so every language feature is expressed and nothing is a deviation.

The schema, ``format = 1`` (docs/python.md shows it with an example):

- ``format`` — the integer 1. The runtime refuses any other value.
- ``[[policy]]`` — one table per policy, in source order, with the keys
  ``name``; ``paths`` (normalised prefixes, empty for the fallback); ``origins`` (the
  ``origins`` list items as canonical patterns: ``https://app.example.com``,
  ``https://*.example.com``, ``http://localhost:*``, ``*``, ``null``, or ``regex:BODY`` with
  the body matched against the whole Origin); ``deny`` (the same forms); the policy's grant —
  ``methods``, ``headers``, ``expose`` (lists of names as written, or the string ``"*"``),
  ``credentials``, ``private-network`` (booleans) and ``max-age`` (seconds; absent when not
  sent); ``unlisted`` (``"pass"`` or ``"reject"``); ``preflight-status`` (200 or 204); and
  ``static-origin`` (the fixed Allow-Origin of static mode; absent when Allow-Origin echoes
  the request's Origin).
- ``[[policy.origin]]`` — one table per ``origin "…" { … }`` block, in source order: ``origin``
  (the pattern) and its *effective* grant (the six grant keys, the block's overrides applied),
  so the runtime never resolves inheritance.

Invariant: ``corsc.runtime.loads(emit(ps))`` means what ``ps`` means — the same policies, paths,
canonical patterns, grants and static origins (spans aside). Values are written by tomli-w,
which escapes every string, so no policy value can add a key or a table.
"""

from __future__ import annotations

from typing import Any

import tomli_w

from corsc.backends import EmitOptions, Option, OutputFile
from corsc.backends.pycommon import one_line
from corsc.capabilities import all_supported
from corsc.diagnostics import Diagnostic
from corsc.ir import Grant, Policy, PolicySet, TokenList
from corsc.provenance import provenance

#: The schema version written in ``format``; ``corsc.runtime.FORMAT`` is the one it reads.
FORMAT_VERSION = 1


def _names(value: TokenList) -> str | list[str]:
    return "*" if value.wildcard else list(value.values)


def _grant(grant: Grant) -> dict[str, Any]:
    table: dict[str, Any] = {
        "methods": _names(grant.methods.value),
        "headers": _names(grant.headers.value),
        "expose": _names(grant.expose.value),
        "credentials": grant.credentials.value,
    }
    if grant.max_age.value is not None:
        table["max-age"] = grant.max_age.value
    table["private-network"] = grant.private_network.value
    return table


def _policy(policy: Policy) -> dict[str, Any]:
    table: dict[str, Any] = {
        "name": policy.name,
        "paths": [prefix.value for prefix in policy.paths],
        "origins": [entry.pattern.canonical for entry in policy.entries if not entry.block],
        "deny": [pattern.canonical for pattern in policy.denies],
        **_grant(policy.grant),
        "unlisted": policy.unlisted.value.value,
        "preflight-status": policy.preflight_status.value,
    }
    if policy.static_origin is not None:
        table["static-origin"] = policy.static_origin
    blocks = [
        {"origin": entry.pattern.canonical, **_grant(entry.grant)}
        for entry in policy.entries
        if entry.block
    ]
    if blocks:
        table["origin"] = blocks
    return table


class PythonBackend:
    """corsc's own middleware: every feature as the evaluator answers it, no deviation."""

    names = ("python",)
    platform = "python"
    docs = "python.md"
    runs_on = "any ASGI or WSGI app"
    verified = (
        "in-process and under uvicorn, gunicorn and waitress, with FastAPI, Starlette, "
        "Django and Flask, and through a real Chromium"
    )
    summary = "TOML for corsc's own ASGI/WSGI middleware (corsc.runtime): every feature, exactly"
    capabilities = all_supported()
    deviations: tuple[str, ...] = ()
    serves = True
    options: tuple[Option, ...] = ()

    def check(self, policy_set: PolicySet, options: EmitOptions) -> list[Diagnostic]:
        return []

    def emit(self, policy_set: PolicySet, options: EmitOptions) -> list[OutputFile]:
        header = provenance(options.version, options.source_name, options.target, policy_set)
        document = {
            "format": FORMAT_VERSION,
            "policy": [_policy(policy) for policy in policy_set.policies],
        }
        content = f"# {one_line(header)}\n" + tomli_w.dumps(document)
        stem = policy_set.file.rsplit("/", 1)[-1].removesuffix(".cors") or "policy"
        return [
            OutputFile(
                f"{stem}.toml",
                content,
                "next to the application; load it with corsc.runtime (docs/python.md)",
            )
        ]


BACKEND = PythonBackend()
