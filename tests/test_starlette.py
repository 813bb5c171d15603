"""The ``starlette`` target (alias ``fastapi``, backends/starlette.py): its keyword arguments and
what only it refuses."""

from __future__ import annotations

import irbuild
from pytargets import (
    BOUND,
    PLAIN,
    diagnose,
    emit,
    errors,
    from_text,
)
from python_harness import options_of

from corsc import origin_regex
from corsc.diagnostics import Diagnostic, Severity

INFO = Severity.INFO


def notes(target: str, text: str) -> list[Diagnostic]:
    """What the target reports for ``text`` beyond the policy's own checks."""
    return diagnose(target, from_text(text))


def test_an_ordinary_policy_compiles_with_an_info_about_the_four_headers() -> None:
    for text in ("policy p { origins *; methods GET }", 'policy p { origins "https://a.example" }'):
        assert not errors("fastapi", text)
        (item,) = [n for n in notes("fastapi", text) if n.code == "CORS633"]
        assert (item.name, item.severity) == ("library-grants-safelisted-headers", INFO)
        assert item.message == (
            "target `fastapi` also grants Accept, Accept-Language, Content-Language and "
            "Content-Type, which the policy does not list: Starlette grants them whatever it "
            "is told"
        )
        assert item.help == (
            "this matters only for values browsers do not safelist (such as "
            "`Content-Type: application/json`), which then need no grant in the policy; "
            "compile with `--target python` where that must not happen"
        )


def test_the_four_headers_info_names_the_missing_and_is_quiet_when_all_are_granted() -> None:
    (item,) = [
        n
        for n in notes("starlette", 'policy p { origins "https://a.example"; headers Accept, X-A }')
        if n.code == "CORS633"
    ]
    assert "also grants Accept-Language, Content-Language and Content-Type, which" in item.message
    granted = "headers Accept, Accept-Language, Content-Language, Content-Type"
    text = f'policy p {{ origins "https://a.example"; {granted} }}'
    assert "CORS633" not in [n.code for n in notes("starlette", text)]
    any_header = "policy p { origins *; headers * }"
    assert "CORS633" not in [n.code for n in notes("starlette", any_header)]


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
