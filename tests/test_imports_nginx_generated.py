"""Round trip on generated policies: any policy the nginx target compiles (both variants) —
exact, subdomain, port and regex origins, deny, origin blocks with grants of their own,
credentials, max-age, expose, every requested header, unlisted reject — imports back to a
policy with the same browser verdicts (a property test, beyond the examples' goldens)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from importing import every, verdicts

from corsc.diagnostics import fails
from corsc.frontend import load
from corsc.imports import import_source
from corsc.source import Source
from tests.nginx_config import compile_text

ENTRIES = (
    '"https://app.example.com"',
    '"https://staging.example.com"',
    '"https://*.partner.example.org"',
    '"http://localhost:*"',
    'regex "^https://pr-[0-9]+\\.preview\\.example\\.com$"',
)
DENIES = ('"https://legacy.partner.example.org"', '"http://localhost:9999"')
ORIGINS = (
    "https://app.example.com",
    "https://staging.example.com",
    "https://reports.example.com",
    "https://a.partner.example.org",
    "https://a.b.partner.example.org",
    "https://legacy.partner.example.org",
    "https://partner.example.org",
    "http://localhost",
    "http://localhost:9999",
    "http://localhost:3000",
    "https://pr-7.preview.example.com",
    "https://pr-x.preview.example.com",
    "https://evil.example",
    "null",
)
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")
HEADERS = ((), (("Content-Type", "application/json"),), (("Authorization", "x"), ("X-Trace", "1")))


def _names(values: list[str]) -> str:
    return ", ".join(values)


def some_methods(most: int) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(METHODS), min_size=1, max_size=most, unique=True)


@st.composite
def policies(draw: st.DrawFn) -> str:
    credentials = draw(st.booleans())
    any_origin = not credentials and draw(st.booleans()) and draw(st.booleans())
    origins = (
        ["*"]
        if any_origin
        else draw(st.lists(st.sampled_from(ENTRIES), min_size=1, max_size=4, unique=True))
    )
    lines = ["policy p {", f"  origins {', '.join(origins)}"]
    denies = draw(st.lists(st.sampled_from(DENIES), max_size=2, unique=True))
    if denies:
        lines.append(f"  deny {', '.join(denies)}")
    methods = draw(st.lists(st.sampled_from(METHODS), min_size=1, max_size=4, unique=True))
    lines.append(f"  methods {_names(methods)}")
    headers = draw(
        st.sampled_from([[], ["Content-Type"], ["Content-Type", "Authorization"], ["*"]])
    )
    if headers:
        lines.append(f"  headers {_names(headers)}")
    if draw(st.booleans()):
        lines.append("  expose X-Request-Id")
    if credentials:
        lines.append("  credentials true")
    if draw(st.booleans()):
        lines.append(f"  max-age {draw(st.sampled_from([60, 600, 7200]))}")
    if draw(st.booleans()):
        lines.append("  unlisted reject")
    if not any_origin and draw(st.booleans()):
        lines += [
            '  origin "https://reports.example.com" {',
            f"    methods {_names(draw(some_methods(3)))}",
            f"    credentials {'false' if credentials else 'true'}",
            "    max-age 30",
            "  }",
        ]
    return "\n".join([*lines, "}", ""])


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
