"""Quick fixes: each one applied to the text and the text checked again."""

from __future__ import annotations

import pytest

from corsc import diagnostics as d
from corsc.frontend import load
from corsc.lsp.analysis import analyse
from corsc.lsp.fixes import apply, fixes
from corsc.source import Source

ORIGINS = 'origins "https://a.example.com"'


def _fixed(text: str, code: str) -> list[tuple[str, str]]:
    """(title, fixed text) of every fix of the first ``code`` diagnostic, after checking that
    the fixed text no longer has that diagnostic and has no error the text did not have."""
    analysis = analyse(text, None, "t.cors")
    diagnostic = next(item for item in analysis.diagnostics if item.code == code)
    results = []
    for fix in fixes(analysis, diagnostic):
        after = apply(text, fix.edits)
        found = load(Source("t.cors", after)).diagnostics
        assert (diagnostic.code, diagnostic.message) not in [(i.code, i.message) for i in found]
        errors_before = {i.message for i in analysis.diagnostics if i.severity is d.Severity.ERROR}
        assert {i.message for i in found if i.severity is d.Severity.ERROR} <= errors_before
        results.append((fix.message, after))
    return results


def _policy(*lines: str) -> str:
    return "policy p {\n" + "".join(f"  {line}\n" for line in lines) + "}\n"


@pytest.mark.parametrize(
    ("code", "before", "title", "after"),
    [
        (
            "CORS205",
            _policy(ORIGINS, "methods GET, PUT"),
            "remove `GET`",
            _policy(ORIGINS, "methods PUT"),
        ),
        (
            "CORS206",
            _policy(ORIGINS, "methods PUT, OPTIONS"),
            "remove `OPTIONS`",
            _policy(ORIGINS, "methods PUT"),
        ),
        (
            "CORS212",
            _policy(ORIGINS, "headers Content-Type,\n    Cookie,\n    X-Trace"),
            "remove `Cookie`",
            _policy(ORIGINS, "headers Content-Type,\n    X-Trace"),
        ),
        (
            "CORS212",
            _policy(ORIGINS, "headers Cookie", "max-age 10m"),
            "remove `Cookie`",
            _policy(ORIGINS, "max-age 10m"),
        ),
        (
            "CORS102",
            _policy('origins "HTTPS://App.Example.com:443"'),
            'write "https://app.example.com"',
            _policy('origins "https://app.example.com"'),
        ),
        (
            "CORS101",
            _policy('origins "app.example.com"'),
            'write "https://app.example.com"',
            _policy('origins "https://app.example.com"'),
        ),
        (
            "CORS505",
            _policy("origins app.example.com"),
            'write "https://app.example.com"',
            _policy('origins "https://app.example.com"'),
        ),
        (
            "CORS005",
            _policy(ORIGINS, "mehtods PUT"),
            "write `methods`",
            _policy(ORIGINS, "methods PUT"),
        ),
        (
            "CORS106",
            _policy('origins *, "https://a.example.com"'),
            "remove `*`",
            _policy(ORIGINS),
        ),
        (
            "CORS301",
            _policy('origins "https://a.example.com", *', "credentials true"),
            "remove `*`",
            _policy(ORIGINS, "credentials true"),
        ),
        (
            "CORS203",
            _policy(ORIGINS, "methods Patch"),
            "write `PATCH`",
            _policy(ORIGINS, "methods PATCH"),
        ),
        (
            "CORS112",
            _policy('origins regex "^https://app.example\\.com$"'),
            "write `\\.`",
            _policy('origins regex "^https://app\\.example\\.com$"'),
        ),
        (
            "CORS113",
            _policy('origins regex "^https://app.example\\.com$"'),
            'write "^https://app\\.example\\.com$"',
            _policy('origins regex "^https://app\\.example\\.com$"'),
        ),
        (
            "CORS007",
            "policy Api {\n  " + ORIGINS + "\n}\n",
            "write `api`",
            _policy(ORIGINS).replace("policy p", "policy api"),
        ),
        (
            "CORS515",
            'let unused = "https://b.example.com"\n' + _policy(ORIGINS),
            "remove `let unused`",
            _policy(ORIGINS),
        ),
    ],
)
def test_fix(code: str, before: str, title: str, after: str) -> None:
    assert (title, after) in _fixed(before, code)


def test_a_near_miss_binding_name() -> None:
    text = 'let partners = "https://b.example.com"\n' + _policy("origins partnrs")
    assert _fixed(text, "CORS505")[0] == (
        "write `partners`",
        'let partners = "https://b.example.com"\n' + _policy("origins partners"),
    )


def test_comments_between_items_stay() -> None:
    text = _policy(ORIGINS, "methods PUT, # the editor\n    GET")
    assert _fixed(text, "CORS205") == [
        ("remove `GET`", _policy(ORIGINS, "methods PUT # the editor\n    "))
    ]


def test_a_fix_that_would_bring_an_error_is_not_offered() -> None:
    # The only origin: removing `*` leaves a policy that allows no origin.
    assert _fixed(_policy("origins *", "credentials true"), "CORS301") == []
    # `methods` is already set: the suggested name would be set twice.
    assert _fixed(_policy(ORIGINS, "methods PUT", "mehtods GET"), "CORS005") == []
