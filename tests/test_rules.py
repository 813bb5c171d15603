"""Every rule is documented (what, why, an example, the fix), its example triggers it, and
``corsc rule`` prints it."""

from __future__ import annotations

import json

import pytest

from corsc import cli, rules
from corsc.backends import MODULES, EmitOptions, check, get
from corsc.frontend import load
from corsc.source import Source


def test_every_code_has_its_documentation() -> None:
    catalogue = rules.catalogue()
    assert sorted(catalogue) == sorted(rules.DOCS), "add the rule's entry to corsc.rules.DOCS"
    for code, (why, example, fix) in rules.DOCS.items():
        assert why.strip() and example.strip() and fix.strip(), code
        assert why.endswith(".") and fix.endswith("."), code


@pytest.mark.parametrize(
    "code",
    [code for code, (_, example, _) in rules.DOCS.items() if example.startswith(("policy", "let"))],
)
def test_a_policy_example_triggers_its_rule(code: str) -> None:
    example = rules.DOCS[code][1]
    loaded = load(Source("example.cors", example))
    codes = {item.code for item in loaded.diagnostics}
    if code not in codes and loaded.policy_set is not None:
        for target in MODULES:
            options = EmitOptions("0", "example.cors", target)
            codes |= {item.code for item in check(get(target), loaded.policy_set, options)}
    assert code in codes


def test_rule_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["rule", "cors407"]) == 0
    text = capsys.readouterr().out
    assert text.startswith(
        "CORS407 unlisted-reject-same-origin (info)\n\n"
        "What: `unlisted reject` also refuses same-origin requests with Origin.\n\nWhy: "
    )
    assert "Example:\n\n    policy api {\n      origins" in text
    assert cli.main(["rule", "nginx-path-normalisation", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["code"], document["severity"]) == ("CORS622", "info")
    assert set(document) == {"code", "name", "severity", "what", "why", "example", "fix"}
    assert cli.main(["rule", "CORS999"]) == 2
    assert capsys.readouterr().err == (
        "corsc: error: no rule `CORS999`; did you mean `CORS902`? (codes are listed in the "
        "README)\n"
    )
