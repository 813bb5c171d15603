"""Tests for corsc.selection (``--select``/``--ignore``) and corsc.suppression
(``# corsc: allow`` comments), through the front end and the command line."""

from __future__ import annotations

import json

import pytest

from corsc import cli
from corsc import diagnostics as d
from corsc.frontend import load
from corsc.selection import Selection, SelectionError
from corsc.source import Source

POLICY = """\
policy api {
  origins "https://app.example.com", "http://localhost:3000"
  methods GET, PUT
  headers Cookie
}
"""


def codes(diagnostics: list[d.Diagnostic] | tuple[d.Diagnostic, ...]) -> list[str]:
    return [item.code for item in diagnostics]


def found(text: str) -> list[str]:
    return codes(load(Source("p.cors", text)).diagnostics)


def test_the_policy_reports_what_the_tests_below_silence() -> None:
    assert found(POLICY) == ["CORS110", "CORS205", "CORS212"]


# ---- selection ---------------------------------------------------------------------------


def test_select_and_ignore_by_code_slug_and_family() -> None:
    diagnostics = load(Source("p.cors", POLICY)).diagnostics
    assert codes(Selection(select=["CORS1"]).apply(diagnostics)) == ["CORS110"]
    assert codes(Selection(ignore=["local-origin"]).apply(diagnostics)) == ["CORS205", "CORS212"]
    assert codes(Selection(select=["cors1", "CORS20"]).apply(diagnostics)) == [
        "CORS110",
        "CORS205",
    ]
    assert codes(Selection().apply(diagnostics)) == codes(diagnostics)


def test_the_most_specific_selector_decides_and_ignore_wins_a_tie() -> None:
    diagnostics = load(Source("p.cors", POLICY)).diagnostics
    assert codes(Selection(select=["CORS205"], ignore=["CORS2"]).apply(diagnostics)) == ["CORS205"]
    assert codes(Selection(select=["CORS2"], ignore=["CORS205"]).apply(diagnostics)) == ["CORS212"]
    assert codes(Selection(select=["CORS212"], ignore=["CORS212"]).apply(diagnostics)) == []


def test_errors_are_always_reported_and_cannot_be_ignored() -> None:
    error = load(Source("p.cors", "policy p {\n  origins *\n  credentials true\n}\n"))
    assert "CORS301" in codes(
        Selection(select=["CORS9"], ignore=["CORS3"]).apply(error.diagnostics)
    )
    with pytest.raises(SelectionError) as raised:
        Selection(ignore=["wildcard-with-credentials"])
    assert str(raised.value) == (
        "CORS301 (wildcard-with-credentials) is an error and cannot be ignored: an error means "
        "the output would be wrong; fix the policy instead"
    )


def test_unknown_selectors_name_the_closest_code_or_slug() -> None:
    with pytest.raises(SelectionError) as raised:
        Selection(select=["CORS4077"])
    assert str(raised.value) == (
        "`CORS4077` is not a corsc diagnostic code, slug or family (such as CORS407, "
        "unlisted-reject-same-origin or CORS4); did you mean `CORS407`?"
    )
    with pytest.raises(SelectionError, match="did you mean `local-origin`"):
        Selection(ignore=["local-orign"])
    with pytest.raises(SelectionError, match=r"^`CORS8` names no family: no corsc code starts"):
        Selection(select=["CORS8"])


def test_target_codes_are_selectable() -> None:
    assert Selection(ignore=["CORS622", "nginx-path-normalisation", "CORS6"]).ignore


# ---- suppression comments ----------------------------------------------------------------


def test_a_trailing_comment_and_a_comment_above_suppress_their_statement() -> None:
    text = POLICY.replace(
        '"http://localhost:3000"', '"http://localhost:3000"  # corsc: allow CORS110'
    ).replace(
        "  headers Cookie",
        "  # corsc: allow forbidden-request-header -- intended\n  headers Cookie",
    )
    assert found(text) == ["CORS205"]


def test_a_comment_covers_every_line_of_a_continued_list_and_stacks() -> None:
    text = (
        "policy api {\n"
        "  # corsc: allow CORS205\n"
        "  # corsc: allow CORS110\n"
        '  origins "https://app.example.com",\n'
        '          "http://localhost:3000"\n'
        "  methods GET,\n"
        "          PUT  # corsc: allow CORS205\n"
        "}\n"
    )
    # The first comment covers the origins statement, which reports no CORS205.
    loaded = load(Source("p.cors", text))
    assert codes(loaded.diagnostics) == ["CORS901"]
    (unused,) = loaded.diagnostics
    assert unused.message == ("`allow CORS205` suppresses nothing: lines 4–5 report no CORS205")
    assert (
        unused.help == "remove it from the comment; the finding it was written for no longer occurs"
    )
    assert (unused.span.start.line, unused.span.start.column) == (2, 18)


def test_a_hash_inside_a_string_starts_no_comment() -> None:
    text = (
        'policy api {\n  origins "https://app.example.com"\n'
        '  expose "X-#corsc: allow CORS205"\n  methods GET\n}\n'
    )
    # The string is one (invalid) header name, not a comment: CORS205 stays reported.
    assert found(text) == ["CORS211", "CORS205"]


def test_a_comment_not_directly_above_a_statement_covers_nothing() -> None:
    text = "policy api {\n  origins *\n  # corsc: allow CORS205\n\n  methods GET\n}\n"
    loaded = load(Source("p.cors", text))
    assert codes(loaded.diagnostics) == ["CORS901", "CORS205"]
    assert loaded.diagnostics[0].message == (
        "`allow CORS205` covers no statement: no statement follows the comment"
    )


def test_unreadable_directives_unknown_codes_and_errors_are_cors902() -> None:
    text = (
        "policy p {\n"
        "  origins *  # corsc: allow CORS301, CORS9999\n"
        "  credentials true  # corsc: deny CORS301\n"
        "  methods GET  # corsc: allow\n"
        "}\n"
    )
    loaded = load(Source("p.cors", text))
    assert [item.message for item in loaded.diagnostics if item.code == "CORS902"] == [
        "CORS301 (wildcard-with-credentials) is an error and cannot be allowed",
        "`CORS9999` is not a corsc diagnostic code, slug or family (such as CORS407, "
        "unlisted-reject-same-origin or CORS4)",
        "`# corsc: deny CORS301` is not a corsc directive",
        "`# corsc: allow` names no code",
    ]
    assert "CORS301" in codes(loaded.diagnostics)
    # The file has an error, so no suppression is judged unused: the error may hide its finding.
    assert "CORS901" not in codes(loaded.diagnostics)


def test_target_findings_are_suppressed_and_never_reported_unused(
    capsys: pytest.CaptureFixture[str], tmp_path: pytest.TempPathFactory
) -> None:
    policy = tmp_path / "p.cors"  # type: ignore[operator]
    policy.write_text(
        'policy api {\n  paths "/api"  # corsc: allow CORS622, CORS604\n'
        '  origins "https://app.example.com"\n  methods PUT\n}\n'
    )
    assert cli.main(["check", str(policy), "--target", "nginx", "--strict"]) == 0
    assert capsys.readouterr().out == "ok: no problems found\n"
    assert cli.main(["check", str(policy), "--target", "nginx", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["diagnostics"] == []


# ---- the command line --------------------------------------------------------------------


@pytest.fixture
def policy_file(tmp_path: pytest.TempPathFactory) -> str:
    path = tmp_path / "p.cors"  # type: ignore[operator]
    path.write_text(POLICY)
    return str(path)


def test_select_ignore_and_quiet_on_check(
    policy_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    def reported(*flags: str) -> list[str]:
        code = cli.main(["check", policy_file, "--format", "json", *flags])
        assert code == 0
        return [item["code"] for item in json.loads(capsys.readouterr().out)["diagnostics"]]

    assert reported() == ["CORS110", "CORS205", "CORS212"]
    assert reported("--select", "CORS1,CORS212") == ["CORS110", "CORS212"]
    assert reported("--ignore", "CORS212", "--ignore", "local-origin") == ["CORS205"]
    assert reported("--quiet") == ["CORS212"]
    assert cli.main(["check", policy_file, "--quiet", "--ignore", "CORS212"]) == 0
    assert capsys.readouterr().out == ""


def test_strict_counts_only_reported_warnings(
    policy_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["check", policy_file, "--strict"]) == 1
    assert cli.main(["check", policy_file, "--strict", "--ignore", "CORS212"]) == 0
    assert cli.main(["compile", policy_file, "--target", "json", "--strict"]) == 1
    assert (
        cli.main(["compile", policy_file, "--target", "json", "--strict", "--ignore", "CORS2"]) == 0
    )
    capsys.readouterr()


def test_a_bad_selector_is_a_usage_error_on_every_command(
    policy_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv in (
        ["check", policy_file],
        ["compile", policy_file, "--target", "nginx"],
        ["explain", policy_file, "--origin", "https://app.example.com"],
    ):
        assert cli.main([*argv, "--ignore", "CORS8"]) == 2
        assert capsys.readouterr().err == (
            "corsc: error: `CORS8` names no family: no corsc code starts with CORS8\n"
        )


def test_examples_compile_strictly_once_their_intended_findings_are_allowed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The controls combine with --strict on the examples: ignoring codes (here ones the
    # examples no longer give) and --quiet with another format leave it passing.
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    for example in sorted((root / "examples").glob("*.cors")):
        argv = ["compile", str(example), "--target", "python", "--strict"]
        assert cli.main([*argv, "--ignore", "CORS407,CORS212"]) == 0, example
        assert (
            cli.main([*argv, "--quiet", "--ignore", "CORS407,CORS212", "--format", "github"]) == 0
        )
    capsys.readouterr()
