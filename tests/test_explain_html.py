"""``corsc explain --html``: the matrix of origins × request kinds (corsc/explain_html.py), the
evaluator's verdict in each cell, and a browser's verdicts from a file marked where they
differ. tests/test_browser_explain.py fills that file with Chromium's verdicts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corsc import cli, explain_html
from tests.test_explain import API, api


def test_rows_are_the_policys_origins_then_null_and_an_unlisted_one() -> None:
    policy = api().policies[0]
    assert explain_html.origins_of(policy) == [
        "https://app.example.com",
        "http://localhost:8080",
        "https://partner.example.net",
        "https://sample.partner.example.org",
        "https://reports.example.com",
        "https://legacy.partner.example.org",
        "null",
        "https://unlisted.example",
    ]
    assert explain_html.sample_path(policy) == "/api/x"


def test_cells_hold_the_evaluators_verdicts() -> None:
    policy_set = api()
    rows = explain_html.matrix(policy_set, policy_set.policies[0])
    assert rows["https://app.example.com"]["GET with cookies"].meaning == "allowed"
    assert rows["https://reports.example.com"]["GET with cookies"].meaning == "blocked"
    assert rows["https://legacy.partner.example.org"]["GET"].meaning == "blocked"
    assert rows["https://app.example.com"]["GET + X-Custom (preflight)"].meaning == "blocked"


def test_a_browser_verdict_that_differs_is_marked(tmp_path: Path) -> None:
    policy_set = api()
    kind = explain_html.KINDS[0]
    same = explain_html.cell_key("api", "https://app.example.com", kind)
    other = explain_html.cell_key("api", "null", kind)
    page = explain_html.render(
        policy_set, {"browser": "B/1", "target": "t", "cells": {same: "allowed", other: "allowed"}}
    )
    body = page.split("</style>", 1)[1]
    assert "browser verdicts: B/1 against t" in body
    assert body.count("<small>browser: allowed</small>") == 2
    assert body.count("differs") == 1
    assert "<td class='blocked differs'" in body


def test_the_command_writes_the_page(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    verdicts = tmp_path / "v.json"
    verdicts.write_text(json.dumps({"browser": "B/1", "target": "t", "cells": {}}))
    assert cli.main(["explain", str(API), "--html", "--verdicts", str(verdicts)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("<!doctype html>") and "policy public" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "corsc: error: --origin is required (or --html for the whole matrix)\n"),
        (["--origin", "https://a.example", "--verdicts", "v.json"], "--verdicts goes with --html"),
        (["--html", "--verdicts", "/nonexistent/v.json"], "--verdicts /nonexistent/v.json: "),
    ],
)
def test_usage_errors(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["explain", str(API), *argv]) == 2
    assert message in capsys.readouterr().err


def test_a_verdicts_file_without_cells_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    verdicts = tmp_path / "v.json"
    verdicts.write_text("[]")
    assert cli.main(["explain", str(API), "--html", "--verdicts", str(verdicts)]) == 2
    err = capsys.readouterr().err
    assert f"--verdicts {verdicts}: expected an object with `cells`" in err
