"""``corsc explain``: the browser's view of one request, through the reference evaluator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corsc import cli
from corsc.explain import explain, preflight_reasons
from corsc.frontend import load
from corsc.ir import PolicySet
from corsc.source import Source

ROOT = Path(__file__).resolve().parent.parent
API = ROOT / "examples" / "api.cors"


def policy_set(text: str) -> PolicySet:
    loaded = load(Source("api.cors", text))
    assert loaded.policy_set is not None and not loaded.has_errors, loaded.diagnostics
    return loaded.policy_set


def api() -> PolicySet:
    return policy_set(API.read_text("utf-8"))


def test_simple_request_needs_no_preflight_and_is_shared() -> None:
    report = explain(api(), origin="https://app.example.com", path="/api/x", credentials=True)
    assert report.policy == "api"
    assert report.preflight is None
    assert report.actual is not None
    headers = dict(report.actual.response.headers)
    assert headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert headers["Access-Control-Allow-Credentials"] == "true"
    assert report.actual.response.vary == ("Origin",)
    assert report.verdict == "allowed: the script can read the response"


def test_preflight_then_actual_request() -> None:
    report = explain(
        api(),
        origin="https://app.example.com",
        method="put",  # browsers uppercase put
        headers=["Content-Type: application/json"],
        path="/api/x",
    )
    assert report.preflight is not None and report.actual is not None
    assert report.preflight.request.method == "OPTIONS"
    assert dict(report.preflight.request.headers) == {
        "Origin": "https://app.example.com",
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "content-type",
    }
    assert report.preflight.response.status == 204
    assert report.actual.request.method == "PUT"
    assert report.verdict.startswith("allowed")


def test_refused_preflight_stops_the_request() -> None:
    report = explain(api(), origin="https://reports.example.com", method="PUT", path="/api/x")
    assert report.preflight is not None and report.preflight.response.status == 403
    assert report.actual is None
    assert 'method "PUT" is not granted (granted: GET)' in report.preflight.response.reason
    assert report.verdict == (
        "blocked: the browser refuses the preflight, so the request is never sent"
    )


def test_unlisted_origin_is_rejected_with_403() -> None:
    report = explain(api(), origin="https://evil.example", path="/api/x")
    assert report.actual is not None and report.actual.response.status == 403
    assert report.verdict.startswith("blocked: the CORS layer answers 403")


def test_wildcard_is_unreadable_with_credentials() -> None:
    report = explain(api(), origin="https://anyone.example", path="/other", credentials=True)
    assert report.policy == "public"
    assert report.actual is not None
    assert dict(report.actual.response.headers)["Access-Control-Allow-Origin"] == "*"
    assert report.verdict == (
        "blocked: the script cannot read the response (no matching Allow-Origin)"
    )
    assert explain(api(), origin="https://anyone.example", path="/other").verdict.startswith(
        "allowed"
    )


@pytest.mark.parametrize(
    ("method", "headers", "reasons"),
    [
        ("GET", [], []),
        ("POST", [("Content-Type", "text/plain; charset=utf-8")], []),
        (
            "POST",
            [("Content-Type", "application/json")],
            ["Content-Type 'application/json' is not a safelisted type"],
        ),
        (
            "PATCH",
            [("X-Token", "x")],
            ["PATCH is not GET, HEAD or POST", "X-Token is not a CORS-safelisted header"],
        ),
    ],
)
def test_preflight_reasons(method: str, headers: list[tuple[str, str]], reasons: list[str]) -> None:
    assert preflight_reasons(method, headers) == reasons


def test_cli_text_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["explain", str(API), "--origin", "https://app.example.com", "--method", "DELETE"]
    assert cli.main([*argv, "--path", "/v2/items/7"]) == 0
    text = capsys.readouterr().out
    assert "preflight: yes — DELETE is not GET, HEAD or POST" in text
    assert "  < 204 (answered by the CORS layer, no body)" in text
    assert "  < Access-Control-Allow-Methods: GET, POST, PUT, DELETE" in text
    assert cli.main([*argv, "--path", "/v2/items/7", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["policy"] == "api"
    assert document["preflight"]["response"]["headers"]["Access-Control-Max-Age"] == "7200"
    assert document["preflight"]["response"]["headers"]["Vary"] == "Origin"
    assert document["actual"]["response"]["answered_by"] == "application"


def test_cli_explain_refuses_a_policy_with_errors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "bad.cors"
    path.write_text("policy p { origins *; credentials true }\n", "utf-8")
    assert cli.main(["explain", str(path), "--origin", "https://a.example"]) == 1
    assert "CORS301" in capsys.readouterr().err


def test_cli_bad_header_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["explain", str(API), "--origin", "https://a.example", "--header", ":x"])
    assert code == 2
    assert "expected NAME or NAME:VALUE" in capsys.readouterr().err


ENCODED = """
policy api { paths "/api"; origins "https://a.example", "https://b.example"; credentials true }
policy public { origins "https://*.example.com" }
"""


def test_an_ambiguous_path_is_explained_as_refused_with_400() -> None:
    report = explain(policy_set(ENCODED), origin="https://www.example.com", path="/api%2Fsecret")
    assert report.actual is not None and report.actual.response.status == 400
    text = report.to_text()
    assert text.startswith("policy: (none: the raw and decoded paths choose different policies)")
    assert (
        'why: the path "/api%2Fsecret" chooses policy "public", but decoded as servers route it '
        '("/api/secret") it chooses policy "api"' in text
    )
    assert "blocked" in report.verdict


def test_an_encoded_path_is_explained_under_the_decoded_policy() -> None:
    report = explain(policy_set(ENCODED), origin="https://www.example.com", path="/%61pi/secret")
    assert report.policy == "api"
    assert "blocked" in report.verdict


def test_a_long_origin_is_explained_by_its_length() -> None:
    origin = "https://" + "a" * 300 + ".example.com"
    report = explain(policy_set(ENCODED), origin=origin, path="/x")
    assert report.actual is not None
    assert "(320 characters) is longer than 267 characters" in report.actual.response.reason


@pytest.mark.parametrize(
    ("origin", "why"),
    [
        ("app.example.com", "it has no scheme"),
        ("HTTPS://App.Example.com:443", "browsers never send the default port 443"),
    ],
)
def test_an_origin_no_browser_sends_gets_the_one_it_does_and_its_verdict(
    origin: str, why: str
) -> None:
    report = explain(api(), origin=origin, path="/api")
    assert report.verdict.startswith("blocked")
    assert report.origin_note == (
        f"no browser sends `Origin: {origin}` ({why}); a page on https://app.example.com sends "
        "`Origin: https://app.example.com`, and its verdict is: allowed: the script can read "
        "the response"
    )
    assert report.to_text().endswith(f"note: {report.origin_note}\n")
    assert report.to_dict()["origin_note"] == report.origin_note


def test_an_origin_browsers_send_gets_no_note() -> None:
    assert explain(api(), origin="https://app.example.com", path="/api").origin_note is None
    assert explain(api(), origin="null", path="/api").origin_note is None
    slash = explain(api(), origin="https://app.example.com/", path="/api").origin_note
    assert slash == (
        'no browser sends `Origin: https://app.example.com/`: "https://app.example.com/" ends '
        "with `/`; an origin never does"
    )
