"""Round trip on generated policies: any policy the nginx target compiles (both variants) —
exact, subdomain, port and regex origins, deny, origin blocks with grants of their own,
credentials, max-age, expose, every requested header, unlisted reject — imports back to a
policy with the same browser verdicts (a property test, beyond the examples' goldens)."""

from __future__ import annotations

import pytest
from generated_policies import HEADERS, METHODS, ORIGINS, policies
from hypothesis import HealthCheck, assume, given, settings
from importing import every, verdicts

from corsc.diagnostics import fails
from corsc.frontend import load
from corsc.imports import import_source
from corsc.source import Source
from tests.nginx_config import compile_text


def assembled(files: dict[str, str]) -> str:
    """The configuration nginx assembles from a compile's files (one policy)."""
    http = next((text for name, text in files.items() if name.endswith(".http.conf")), None)
    server = next((text for name, text in files.items() if name.endswith(".server.conf")), None)
    snippet = next(
        text
        for name, text in files.items()
        if name.endswith(".conf") and not name.endswith((".http.conf", ".server.conf"))
    )
    if http is not None:
        return f"{http}\nserver {{\n{snippet}\n}}\n"
    return f"server {{\n{server}\n{snippet}\n}}\n"


@pytest.mark.parametrize("variant", ["maps", "a2"])
@settings(
    max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(text=policies())
def test_generated_policies_round_trip_through_nginx(variant: str, text: str) -> None:
    options = ("variant=a2",) if variant == "a2" else ()
    policy_set, diagnostics, files = compile_text(text, *options)
    assume(not fails(diagnostics))
    result = import_source(
        Source("nginx.conf", assembled({f.name: f.content for f in files})), "nginx"
    )
    assert [item.code for item in result.diagnostics] == [], (text, result.diagnostics)
    assert result.policy is not None
    back = load(Source("imported.cors", result.policy))
    assert back.policy_set is not None, result.policy
    verdicts(policy_set, back.policy_set, every(ORIGINS, METHODS, HEADERS), reasons=False)
