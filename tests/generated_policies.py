"""Policies for the import round trips: what the nginx and caddy targets compile from them
imports back with the same verdicts on these origins, methods and header sets."""

from __future__ import annotations

from hypothesis import strategies as st

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
