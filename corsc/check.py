"""Check: semantic checks of a lowered policy set (design.md §4, codes 1xx–5xx).

Every check runs; all findings are collected. Nothing here names a target.
"""

from __future__ import annotations

from corsc import diagnostics as d
from corsc.ir import PolicySet


def check(policy_set: PolicySet) -> list[d.Diagnostic]:
    """Every semantic finding for ``policy_set``."""
    return []
