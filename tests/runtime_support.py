"""Helpers the runtime's tests share: compiling a policy to the TOML the runtime reads, reading
it back, the meaning two policy sets must share, and the policies several tests answer for.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from corsc import runtime
from corsc.backends import EmitOptions, get
from corsc.frontend import load as load_source
from corsc.ir import PolicySet
from corsc.source import Source

#: The example policies every agreement test answers for.
EXAMPLES = sorted(Path(__file__).parent.parent.joinpath("examples").glob("*.cors"))
ACRM = "Access-Control-Request-Method"
ACRH = "Access-Control-Request-Headers"
ACRPN = "Access-Control-Request-Private-Network"
APP = "https://app.example.com"


def compile_toml(policy_set: PolicySet) -> str:
    """The file ``corsc compile --target python`` writes for ``policy_set``."""
    options = EmitOptions("0.1.0", policy_set.file, "python")
    return get("python").emit(policy_set, options)[0].content


def from_text(text: str, name: str = "test.cors") -> PolicySet:
    """The policy set of a policy text, which must have no errors."""
    loaded = load_source(Source(name, text))
    assert loaded.policy_set is not None and not loaded.has_errors, loaded.diagnostics
    return loaded.policy_set


def runtime_set(policy_set: PolicySet) -> PolicySet:
    """The policy set as the runtime reads it back from the compiled file."""
    return runtime.loads(compile_toml(policy_set), "cors.toml")


def meaning(policy_set: PolicySet) -> list[Any]:
    """What a policy set means to the evaluator, without spans, spellings or the `written`
    flags of defaults (which the TOML does not carry)."""

    def grant(value: Any) -> tuple[Any, ...]:
        return (
            value.methods.value.wildcard,
            value.methods.value.values,
            value.headers.value.wildcard,
            value.headers.value.values,
            value.expose.value.wildcard,
            value.expose.value.values,
            value.credentials.value,
            value.max_age.value,
            value.private_network.value,
        )

    return [
        (
            policy.name,
            [prefix.value for prefix in policy.paths],
            sorted((e.pattern.canonical, e.block, grant(e.grant)) for e in policy.entries),
            [pattern.canonical for pattern in policy.denies],
            grant(policy.grant),
            policy.unlisted.value,
            policy.preflight_status.value,
            policy.static_origin,
        )
        for policy in policy_set.policies
    ]


#: A policy whose Allow-Origin echoes the Origin, with credentials and an exposed header.
DYNAMIC = from_text(
    'policy api { paths "/api"; origins "https://a.example", "https://b.example"\n'
    "  expose X-Id; credentials true }"
)


#: Two policies, one for ``/api`` and a fallback, so the path chooses.
TWO = from_text(
    'policy api { paths "/api"; origins "https://a.example", "https://b.example" }\n'
    'policy rest { origins "https://c.example", "https://d.example" }'
)


class Boom(Exception):
    """What a test application raises: the middleware must answer 500 and re-raise it."""
