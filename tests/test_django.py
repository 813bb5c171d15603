"""The ``django`` target (backends/django.py): its settings and what only it refuses."""

from __future__ import annotations

import irbuild
from pytargets import (
    BOUND,
    PLAIN,
    emit,
    errors,
    excerpt,
    from_text,
)
from python_harness import options_of

from corsc import origin_regex


def test_an_inherited_setting_is_refused_once() -> None:
    """Origin blocks inherit `headers *` from their policy, span and all: one error, not one per
    block."""
    text = (
        'policy p { origins "https://a.example"; headers *\n'
        ' origin "https://b.example" { methods PUT }\n origin "https://c.example" { methods GET } }'
    )
    found = [e for e in errors("django", text) if excerpt(text, e) == "headers *"]
    assert [e.code for e in found] == ["CORS601"]


def test_django_settings() -> None:
    text = PLAIN.replace("policy api {", 'policy api {\n  paths "/api", "/v2/"')
    settings_ = options_of(emit("django", from_text(text)), "cors_django")
    assert settings_ == {
        "CORS_ALLOW_ALL_ORIGINS": False,
        "CORS_ALLOWED_ORIGINS": ["https://app.example.com", "null"],
        "CORS_ALLOWED_ORIGIN_REGEXES": [
            BOUND + origin_regex.render_pattern(irbuild.pattern("https://*.example.org"), "python"),
            BOUND + origin_regex.render_pattern(irbuild.pattern("http://localhost:*"), "python"),
        ],
        "CORS_URLS_REGEX": r"\A(?:/api(?:/|\Z)|/v2(?:/|\Z))",
        "CORS_ALLOW_METHODS": ["PUT", "DELETE"],
        "CORS_ALLOW_HEADERS": [
            "Content-Type",
            "Accept",
            "Accept-Language",
            "Content-Language",
            "X-Token",
        ],
        "CORS_EXPOSE_HEADERS": ["X-Total", "X-Id"],
        "CORS_ALLOW_CREDENTIALS": False,
        "CORS_PREFLIGHT_MAX_AGE": 600,
        "CORS_ALLOW_PRIVATE_NETWORK": False,
    }
