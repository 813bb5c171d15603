"""What the tests of the Python targets share: policies, and the compile steps as `corsc compile`
takes them (the table's diagnostics, then the backend's own; `-O format=…`)."""

from __future__ import annotations

from pathlib import Path

from corsc.backends import EmitOptions, check, get
from corsc.diagnostics import Diagnostic
from corsc.frontend import load
from corsc.ir import PolicySet
from corsc.source import Source

ROOT = Path(__file__).resolve().parent.parent
LIBRARIES = ("starlette", "django", "flask")
PYTHON_TARGETS = ("python", *LIBRARIES)
#: A policy every library can express.
PLAIN = """policy api {
  origins "https://app.example.com", "https://*.example.org", "http://localhost:*", "null"
  methods PUT, DELETE
  headers Content-Type, Accept, Accept-Language, Content-Language, X-Token
  expose  X-Total, X-Id
  max-age 10m
}
"""


def from_text(text: str, name: str = "test.cors") -> PolicySet:
    loaded = load(Source(name, text))
    assert loaded.policy_set is not None and not loaded.has_errors, loaded.diagnostics
    return loaded.policy_set


def options_for(target: str, policy_set: PolicySet, fmt: str = "") -> EmitOptions:
    """What ``corsc compile --target target [-O format=fmt]`` hands the backend."""
    return EmitOptions("0.1.0", policy_set.file, target, {"format": fmt} if fmt else {})


def diagnose(target: str, policy_set: PolicySet, fmt: str = "") -> list[Diagnostic]:
    """Everything ``corsc compile`` reports for the target: its table's, then its own."""
    return check(get(target), policy_set, options_for(target, policy_set, fmt))


def errors(target: str, text: str, fmt: str = "") -> list[Diagnostic]:
    return [d for d in diagnose(target, from_text(text), fmt) if d.severity.value == "error"]


def emit(target: str, policy_set: PolicySet, fmt: str = "") -> str:
    assert not [d for d in diagnose(target, policy_set, fmt) if d.severity.value == "error"]
    (item,) = get(target).emit(policy_set, options_for(target, policy_set, fmt))
    return item.content


def excerpt(text: str, diagnostic: Diagnostic) -> str:
    """The source text a diagnostic points at."""
    return text[diagnostic.span.start.offset : diagnostic.span.end.offset]


#: What every emitted origin regex starts with: no Origin longer than a browser sends gets past.
BOUND = r"(?=[\s\S]{0,267}\Z)"
