"""The ``starlette`` target (alias ``fastapi``, backends/starlette.py): its keyword arguments and
what only it refuses."""

from __future__ import annotations

import irbuild
from pytargets import (
    BOUND,
    PLAIN,
    emit,
    errors,
    from_text,
)
from python_harness import options_of

from corsc import origin_regex


def test_starlettes_four_headers_error_says_which_are_missing() -> None:
    (error,) = errors("starlette", 'policy p { origins "https://a.example"; headers Accept, X-A }')
    assert "without Accept-Language, Content-Language, Content-Type:" in error.message
    assert error.help.startswith("add Accept-Language, Content-Language, Content-Type to `headers`")


def test_fastapi_reports_under_its_own_name() -> None:
    found = errors("fastapi", 'policy p { origins "https://a.example"; unlisted reject }')
    assert found and all(e.message.startswith("target `fastapi` cannot express ") for e in found)


def test_starlette_keyword_arguments() -> None:
    options = options_of(emit("starlette", from_text(PLAIN)), "cors_starlette")
    assert options == {
        "allow_origins": ["https://app.example.com", "null"],
        "allow_origin_regex": BOUND
        + origin_regex.render_union(
            [irbuild.pattern("https://*.example.org"), irbuild.pattern("http://localhost:*")],
            "python",
        ),
        "allow_methods": ["PUT", "DELETE", "GET", "HEAD", "POST"],
        "allow_headers": [
            "Content-Type",
            "Accept",
            "Accept-Language",
            "Content-Language",
            "X-Token",
        ],
        "allow_credentials": False,
        "allow_private_network": False,
        "expose_headers": ["X-Total", "X-Id"],
        "max_age": 600,
    }


def test_starlette_with_any_origin_and_no_max_age() -> None:
    text = "policy p { origins *; headers *; expose * }"
    options = options_of(emit("starlette", from_text(text)), "cors_starlette")
    assert options["allow_origins"] == ["*"] and options["allow_origin_regex"] is None
    assert (options["allow_headers"], options["expose_headers"]) == (["*"], ["*"])
    assert options["max_age"] == 5
