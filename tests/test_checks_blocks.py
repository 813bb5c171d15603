"""corsc.checks.blocks: `origin` blocks that can match the same origin but grant different
things (CORS511).

Each test loads a small policy with ``corsc.frontend.load`` and asserts the code, severity and
range of what it reports (see ``checking``).
"""

from __future__ import annotations

import pytest
from checking import WARNING, codes, found, one, policy, where


@pytest.mark.parametrize(
    ("first", "second", "overlap"),
    [
        ("https://a.example.com", "https://*.example.com", True),
        ("https://*.example.com", "https://*.a.example.com", True),
        ("https://*.a.example.com", "https://*.b.example.com", False),
        ("https://*.example.com:*", "https://*.example.com", True),
        ("https://*.example.com:8443", "https://*.example.com", False),
        ("http://localhost:*", "http://localhost:3000", True),
        ("http://localhost:3000", "http://localhost:4000", False),
        ("https://a.example.com", "http://*.example.com", False),
        (r'regex "^https://[a-z]+\.example\.com$"', "https://*.example.com", True),
        (r'regex "^https://[a-z]+\.example\.com$"', "https://ab.example.com", True),
        (r'regex "^https://[a-z]+\.example\.com$"', "https://a1.example.com", False),
    ],
)
def test_overlapping_origin_blocks_with_different_settings(
    first: str, second: str, overlap: bool
) -> None:
    def block(pattern: str, settings: str) -> str:
        target = pattern if pattern.startswith("regex") else f'"{pattern}"'
        return f"origin {target} {{ {settings} }}"

    text = policy(block(first, "methods PUT"), block(second, "methods PATCH; credentials true"))
    items = found(text, "CORS511")
    assert bool(items) is overlap
    if overlap:
        item = items[0]
        assert item.severity is WARNING
        assert where(item.span)[:2] == (3, 3)  # the later block's header
        assert where(item.related[0].span)[:2] == (2, 3)
        assert item.message.endswith("can match the same origin but differ in methods, credentials")


def test_overlapping_blocks_with_the_same_meaning_are_fine() -> None:
    text = policy(
        'origin "https://*.example.com" { headers X-A, X-B }',
        'origin "https://a.example.com" { headers x-b, x-a }',
    )
    assert "CORS511" not in codes(text)


def test_overlapping_blocks_help_names_the_winner() -> None:
    text = policy(
        'origin "https://*.example.com" { methods PUT }',
        'origin "https://a.example.com" { methods PATCH }',
    )
    item = one(text, "CORS511")
    assert item.help == (
        'an origin both match gets only the settings of "https://a.example.com"; give each '
        "block every setting it needs, or make the patterns disjoint"
    )
