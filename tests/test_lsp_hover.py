"""Hover texts: statement names, values, origin patterns tried with their matchers, bindings."""

from __future__ import annotations

import pytest

from corsc.lsp.analysis import analyse
from corsc.lsp.hover import hover

TEXT = """\
let partners = "https://partner.example.net", "https://*.partner.example.org"
policy api {
  paths       "/api"
  origins     "HTTPS://App.Example.com:443", partners, regex "^https://pr-\\d+\\.example\\.com$"
  methods     GET, PUT, trace
  headers     Cookie, X-Trace
  expose      Content-Type
  credentials true
  max-age     2h
  unlisted    reject
}
"""


def _hover(word: str, nth: int = 0) -> str | None:
    offset = -1
    for _ in range(nth + 1):
        offset = TEXT.index(word, offset + 1)
    found = hover(analyse(TEXT, None, "t.cors"), offset + 1)
    return None if found is None else found[0]


@pytest.mark.parametrize(
    ("word", "nth", "expected"),
    [
        (
            "max-age",
            0,
            "**max-age** a duration (`600`, `10m`, `2h`)\n\nHow long a browser caches a preflight.",
        ),
        (
            "methods",
            0,
            "**methods** method names or `*`\n\nMethods a preflight grants.\n\n"
            "Default: `GET, HEAD, POST`.",
        ),
        ("GET", 0, "**GET**: never needs a grant; a preflight always allows GET, HEAD and POST."),
        ("PUT", 0, "**PUT**: a preflight grants it to scripts."),
        ("trace", 0, "**trace**: browsers refuse to send it from scripts."),
        ("Cookie", 0, "**Cookie**: scripts cannot set it; browsers do."),
        ("X-Trace", 0, "**X-Trace**: scripts may send it once a preflight grants it."),
        ("Content-Type", 0, "**Content-Type**: scripts can always read it."),
        ("2h", 0, "**max-age 2h**: preflights are cached for 7200 s (Safari caps it at 600 s)."),
        (
            "reject",
            0,
            "**unlisted reject**: requests with an Origin that is not allowed get 403, "
            "same-origin requests that send Origin included.",
        ),
        ('"/api"', 0, "**paths**: requests to `/api` and `/api/…`, on segment boundaries."),
        (
            "HTTPS://App",
            0,
            "**exact origin pattern** `https://app.example.com`\n\nAdmits `https://app.example.com`."
            "\n\nRefuses `https://app.app.example.com`, `https://a.b.app.example.com`, "
            "`http://app.example.com`.",
        ),
        (
            "https://*.partner",
            0,
            "**subdomain origin pattern** `https://*.partner.example.org`\n\n"
            "Admits `https://app.partner.example.org`, `https://a.b.partner.example.org`.\n\n"
            "Refuses `https://partner.example.org`, `http://partner.example.org`, "
            "`https://partner.example.org:8443`.",
        ),
        (
            "regex",
            0,
            "**regex origin pattern** `regex:https://pr-\\d+\\.example\\.com`\n\n"
            "Admits `https://pr-1.example.com`.\n\nRefuses `https://pr-1.example.com.evil.test`, "
            "`https://evilexample.com`, `https://pr-1xexample.com`.",
        ),
        (
            "partners",
            1,
            '```cors\nlet partners = "https://partner.example.net", "https://*.partner.example.org"'
            "\n```\n\nUsed once.",
        ),
    ],
)
def test_hover(word: str, nth: int, expected: str) -> None:
    assert _hover(word, nth) == expected


def test_nothing_to_say() -> None:
    assert _hover("{") is None
    assert _hover("api") is None
