"""What the tests of the IIS targets share: the targets, their options as the command line
gives them, and compiling a policy set through the registry as the command line does."""

from __future__ import annotations

from corsc.backends import EmitOptions, get
from corsc.backends import check as backend_check
from corsc.diagnostics import Diagnostic
from corsc.ir import PolicySet

TARGETS = ("iis", "iis-headers", "iis-rewrite")


def options(
    target: str, values: dict[str, str] | None = None, name: str = "test.cors"
) -> EmitOptions:
    """The target's options: its defaults, then ``values``; ``name`` is the source's name."""
    backend = get(target)
    defaults = {o.key: o.default for o in backend.options if o.default}
    return EmitOptions("0.1.0", name, target, {**defaults, **(values or {})})


def emit(policy_set: PolicySet, target: str, values: dict[str, str] | None = None) -> str:
    """The web.config the target emits (whether or not check would refuse the policy)."""
    return get(target).emit(policy_set, options(target, values))[0].content


def check(policy_set: PolicySet, target: str) -> list[Diagnostic]:
    """Everything the target says about the policy set: its table's diagnostics and its own."""
    return backend_check(get(target), policy_set, options(target))


def codes(diagnostics: list[Diagnostic]) -> list[str]:
    """The diagnostics' codes, in order."""
    return [item.code for item in diagnostics]
