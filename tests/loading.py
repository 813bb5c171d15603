"""Helpers for the front-end tests: load a policy text, and what came out of it.

Ranges are ``(line, column, end line, end column)``, 1-based, the end exclusive.
"""

from __future__ import annotations

from corsc.diagnostics import Diagnostic
from corsc.frontend import Loaded, load
from corsc.ir import Policy
from corsc.parse import parse
from corsc.source import Source, Span


def run(text: str, *overrides: str) -> Loaded:
    """``text`` loaded as ``api.cors`` with ``--set`` ``overrides``."""
    return load(Source("api.cors", text), overrides)


def first_policy(text: str, *overrides: str) -> Policy:
    loaded = run(text, *overrides)
    assert loaded.policy_set is not None
    return loaded.policy_set.policies[0]


def where(span: Span) -> tuple[int, int, int, int]:
    return (span.start.line, span.start.column, span.end.line, span.end.column)


def found(text: str, code: str, *overrides: str) -> list[Diagnostic]:
    """The diagnostics of ``code`` that loading ``text`` reports."""
    return [item for item in run(text, *overrides).diagnostics if item.code == code]


def origins_of(policy: Policy) -> list[str]:
    return [entry.pattern.canonical for entry in policy.entries]


def syntax(text: str) -> list[Diagnostic]:
    """The syntax diagnostics of ``text`` (the parser alone)."""
    return list(parse(Source("api.cors", text)).diagnostics)


def summary(items: list[Diagnostic]) -> list[tuple[str, tuple[int, int, int, int], str]]:
    return [(item.code, where(item.span), item.message) for item in items]
