"""The editor files stay true: the TextMate grammar names the grammar's statements, and the
configuration docs/editors.md gives can be copied as it is."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from corsc.lsp.outline import statement_names

ROOT = Path(__file__).resolve().parent.parent
EDITORS = ROOT / "editors" / "vscode"


def test_the_textmate_grammar_names_every_statement() -> None:
    grammar = json.loads((EDITORS / "syntaxes" / "cors.tmLanguage.json").read_text("utf-8"))
    match = re.search(r"\((paths\|[^)]*)\)", grammar["repository"]["statement"]["match"])
    assert match is not None
    assert tuple(match.group(1).split("|")) == statement_names()


def test_the_extension_points_at_its_files() -> None:
    manifest = json.loads((EDITORS / "package.json").read_text("utf-8"))
    (language,) = manifest["contributes"]["languages"]
    (grammar,) = manifest["contributes"]["grammars"]
    assert language["extensions"] == [".cors"]
    assert (EDITORS / language["configuration"]).is_file()
    assert (EDITORS / grammar["path"]).is_file()


def test_the_documented_configuration_parses() -> None:
    text = (ROOT / "docs" / "editors.md").read_text("utf-8")
    blocks = re.findall(r"```(\w+)\n(.*?)```", text, re.S)
    languages = [language for language, _ in blocks]
    assert {"toml", "json", "lua", "elisp"} <= set(languages)
    for language, body in blocks:
        if language == "toml":
            tomllib.loads(body)
        elif language == "json":
            json.loads(body)
