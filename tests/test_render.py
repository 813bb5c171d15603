"""Tests for corsc.render*: exact text excerpts, the JSON document, SARIF structure, colour."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest

from corsc import diagnostics as d
from corsc.render_github import render_github
from corsc.render_json import render_json
from corsc.render_sarif import render_sarif
from corsc.render_text import render_text, use_color
from corsc.source import Source, Span

ANSI = re.compile(r"\x1b\[[0-9;]*m")

API_TEXT = "policy api {\n  origins *\n  credentials true\n}\n"


def api() -> Source:
    return Source("api.cors", API_TEXT)


def find(source: Source, needle: str, length: int | None = None) -> Span:
    """The span of the first ``needle`` in ``source`` (or of its first ``length`` chars)."""
    start = source.text.index(needle)
    return source.span(start, start + (len(needle) if length is None else length))


def wildcard_with_credentials(source: Source) -> d.Diagnostic:
    return d.WILDCARD_WITH_CREDENTIALS.at(
        find(source, "*"),
        "origins * cannot be combined with credentials true",
        "list the origins that need credentials",
        related=[d.Related(find(source, "true"), "credentials enabled here")],
        fixes=[
            d.Fix(
                'replace `*` with "https://app.example.com"',
                (d.TextEdit(find(source, "*"), '"https://app.example.com"'),),
            )
        ],
    )


# ---- text: exact output ----------------------------------------------------------------------


def test_text_error_with_note_help_and_fix() -> None:
    source = api()
    expected = (
        "error[CORS301 wildcard-with-credentials]: origins * cannot be combined with credentials"
        " true\n"
        "  --> api.cors:2:11\n"
        "   |\n"
        " 2 |   origins *\n"
        "   |           ^\n"
        "   |\n"
        "   = help: list the origins that need credentials\n"
        '   = fix: replace `*` with "https://app.example.com"\n'
        "note: credentials enabled here\n"
        "  --> api.cors:3:15\n"
        "   |\n"
        " 3 |   credentials true\n"
        "   |               ^^^^\n"
        "\n"
        "error: 1 error, 0 warnings, 0 infos\n"
    )
    text = render_text([wildcard_with_credentials(source)], {"api.cors": source}, color=False)
    assert text == expected


LIST_TEXT = (
    "let spare =\n"
    '  "https://x.example"\n'
    "policy api {\n"
    "  origins\n"
    '    "https://a.example",\n'
    '    "https://b.example",\n'
    '    "https://c.example",\n'
    '    "https://d.example",\n'
    '    "https://e.example",\n'
    '    "https://f.example",\n'
    '    "https://a.example"\n'
    "}\n"
)


def test_text_two_diagnostics_in_order_with_wide_gutter_and_multiline_range() -> None:
    source = Source("api.cors", LIST_TEXT)
    first_a = find(source, '"https://a.example"')
    last = LIST_TEXT.rindex('"https://a.example"')
    second_a = source.span(last, last + len('"https://a.example"'))
    duplicate = d.DUPLICATE_ORIGIN.at(
        second_a,
        '"https://a.example" is listed twice',
        "remove one of the two entries",
        related=[d.Related(first_a, "first listed here")],
    )
    # The whole `let` statement: two lines, so carets run to the end of the first.
    let_statement = find(source, 'let spare =\n  "https://x.example"')
    unused = d.UNUSED_BINDING.at(let_statement, "`spare` is never used", "")
    expected = (
        "info[CORS515 unused-binding]: `spare` is never used\n"
        "  --> api.cors:1:1\n"
        "   |\n"
        " 1 | let spare =\n"
        "   | ^^^^^^^^^^^\n"
        "\n"
        'warning[CORS105 duplicate-origin]: "https://a.example" is listed twice\n'
        "   --> api.cors:11:5\n"
        "    |\n"
        ' 11 |     "https://a.example"\n'
        "    |     ^^^^^^^^^^^^^^^^^^^\n"
        "    |\n"
        "    = help: remove one of the two entries\n"
        "note: first listed here\n"
        "   --> api.cors:5:5\n"
        "    |\n"
        '  5 |     "https://a.example",\n'
        "    |     ^^^^^^^^^^^^^^^^^^^\n"
        "\n"
        "warning: 0 errors, 1 warning, 1 info\n"
    )
    # Given out of order: the renderer sorts by file and offset.
    assert render_text([duplicate, unused], {"api.cors": source}, color=False) == expected


def test_text_without_diagnostics() -> None:
    assert render_text([], {}, color=False) == "ok: no problems found\n"


def test_text_multiline_message_and_help_stay_aligned() -> None:
    source = api()
    diagnostic = d.WILDCARD_WITH_CREDENTIALS.at(find(source, "*"), "first\nsecond", "do\nthis")
    lines = render_text([diagnostic], {"api.cors": source}, color=False).splitlines()
    assert lines[0] == "error[CORS301 wildcard-with-credentials]: first"
    assert lines[1] == " " * len("error[CORS301 wildcard-with-credentials]: ") + "second"
    assert lines[-4:-2] == ["   = help: do", "           this"]


# ---- text: edge cases ------------------------------------------------------------------------


def excerpt(text: str) -> list[str]:
    """The source and caret lines of the first excerpt in rendered text."""
    lines = text.splitlines()
    return lines[3:5]


def test_text_tabs_expand_the_same_in_line_and_carets() -> None:
    source = Source("t.cors", "\torigins\t*\n")
    text = render_text(
        [d.NULL_ORIGIN.at(find(source, "*"), "m", "h")], {"t.cors": source}, color=False
    )
    # tab → 4 columns, "origins" → 7, tab → to column 12, then `*`.
    assert "  --> t.cors:1:10" in text
    assert excerpt(text) == [" 1 |     origins *", "   | " + " " * 12 + "^"]


def test_text_non_ascii_columns_count_characters_and_carets_follow_display_width() -> None:
    source = Source("t.cors", '"例え.jp" *\n')
    star = d.NULL_ORIGIN.at(find(source, "*"), "m", "h")
    text = render_text([star], {"t.cors": source}, color=False)
    assert "  --> t.cors:1:9" in text  # `*` is the ninth character
    # 例 and え take two terminal columns each: `"例え.jp" ` is ten columns wide.
    assert excerpt(text) == [' 1 | "例え.jp" *', "   | " + " " * 10 + "^"]
    wide = d.NULL_ORIGIN.at(find(source, "例え"), "m", "h")
    assert excerpt(render_text([wide], {"t.cors": source}, color=False))[1] == "   |  ^^^^"


def test_text_range_of_zero_width_characters_gets_one_caret() -> None:
    source = Source("t.cors", "e\u0301x\n")
    accent = d.NULL_ORIGIN.at(source.span(1, 2), "m", "h")
    assert excerpt(render_text([accent], {"t.cors": source}, color=False)) == [
        " 1 | e\u0301x",
        "   |  ^",
    ]


def test_text_crlf_line_endings() -> None:
    source = Source("api.cors", API_TEXT.replace("\n", "\r\n"))
    text = render_text([wildcard_with_credentials(source)], {"api.cors": source}, color=False)
    assert "\r" not in text
    assert "  --> api.cors:2:11" in text
    assert excerpt(text) == [" 2 |   origins *", "   |           ^"]
    # A range over the line ending itself points just past the visible text.
    ending = d.NULL_ORIGIN.at(find(source, "\r\n"), "m", "h")
    shown = excerpt(render_text([ending], {"api.cors": source}, color=False))
    assert shown == [" 1 | policy api {", "   | " + " " * 12 + "^"]


def test_text_empty_file() -> None:
    source = Source("empty.cors", "")
    diagnostic = d.NO_ORIGIN_ALLOWED.at(source.span(0), "the policy file is empty", "add a policy")
    assert render_text([diagnostic], {"empty.cors": source}, color=False) == (
        "error[CORS512 no-origin-allowed]: the policy file is empty\n"
        "  --> empty.cors:1:1\n"
        "   |\n"
        " 1 |\n"
        "   | ^\n"
        "   |\n"
        "   = help: add a policy\n"
        "\n"
        "error: 1 error, 0 warnings, 0 infos\n"
    )


def test_text_missing_source_renders_without_excerpt() -> None:
    source = Source("gone.cors", "policy api {}\n")
    diagnostic = d.UNREADABLE_INPUT.at(source.span(0), "cannot read gone.cors", "check the path")
    assert render_text([diagnostic], {}, color=False) == (
        "error[CORS008 unreadable-input]: cannot read gone.cors\n"
        "  --> gone.cors:1:1\n"
        "   |\n"
        "   = help: check the path\n"
        "\n"
        "error: 1 error, 0 warnings, 0 infos\n"
    )


def test_text_related_in_a_missing_file_renders_without_its_excerpt() -> None:
    source = api()
    elsewhere = Source("other.cors", "credentials true\n")
    diagnostic = d.WILDCARD_WITH_CREDENTIALS.at(
        find(source, "*"), "m", "", related=[d.Related(elsewhere.span(12, 16), "set here")]
    )
    lines = render_text([diagnostic], {"api.cors": source}, color=False).splitlines()
    assert lines[5:7] == ["note: set here", "  --> other.cors:1:13"]
    assert lines[7] == ""


def test_text_span_past_the_end_of_its_source() -> None:
    # Spans made from a longer text, rendered against a shorter one (a file that changed).
    longer = Source("api.cors", API_TEXT + "policy other {\n  origins *\n}\n")
    shorter = Source("api.cors", "policy x\n")
    past_last_line = d.NULL_ORIGIN.at(find(longer, "origins *\n}", 9), "m", "h")
    past_line_end = d.NULL_ORIGIN.at(longer.span(20, 21), "m", "h")
    text = render_text([past_last_line, past_line_end], {"api.cors": shorter}, color=False)
    assert "  --> api.cors:6:3\n   |\n   = help: h\n" in text
    # Line 2, column 8 of the longer text: the shorter line 2 is empty, so one caret at its end.
    assert "  --> api.cors:2:8\n   |\n 2 |\n   | ^\n" in text


def test_text_very_long_line_is_cut_around_the_range() -> None:
    source = Source("min.cors", "a" * 300 + "*" + "b" * 300)
    diagnostic = d.NULL_ORIGIN.at(find(source, "*"), "m", "h")
    text = render_text([diagnostic], {"min.cors": source}, color=False)
    assert "  --> min.cors:1:301" in text
    # 120 characters either side of the start: columns 181 to 420.
    assert excerpt(text) == [
        " 1 | ..." + "a" * 120 + "*" + "b" * 119 + "...",
        "   | " + " " * 123 + "^",
    ]


def test_text_control_and_bidi_characters_cannot_reach_the_terminal() -> None:
    source = Source("t\x1b.cors", 'origins "\x1b[2J\u202e", *\n')
    diagnostic = d.NULL_ORIGIN.at(find(source, "*"), "bad \x1b[31m", "h\u202e")
    text = render_text([diagnostic], {"t\x1b.cors": source}, color=False)
    assert "\x1b" not in text and "\u202e" not in text
    assert "bad <U+001B>[31m" in text and "--> t<U+001B>.cors:1:" in text
    # `origins "` is 9 columns, the two escapes 16, `[2J", ` 6.
    assert excerpt(text) == [
        ' 1 | origins "<U+001B>[2J<U+202E>", *',
        "   | " + " " * 31 + "^",
    ]


def test_text_empty_and_reversed_ranges_get_one_caret() -> None:
    source = api()
    offset = API_TEXT.index("*")
    empty = d.NULL_ORIGIN.at(source.span(offset), "m", "h")
    reversed_span = Span("api.cors", source.position(offset), source.position(offset - 3))
    backwards = d.NULL_ORIGIN.at(reversed_span, "m", "h")
    for diagnostic in (empty, backwards):
        text = render_text([diagnostic], {"api.cors": source}, color=False)
        assert excerpt(text)[1] == "   |           ^"


# ---- colour ----------------------------------------------------------------------------------


def test_colour_only_when_asked_and_otherwise_identical() -> None:
    source = api()
    diagnostics = [wildcard_with_credentials(source)]
    plain = render_text(diagnostics, {"api.cors": source}, color=False)
    coloured = render_text(diagnostics, {"api.cors": source}, color=True)
    assert "\x1b" not in plain
    assert "\x1b[1;31merror[CORS301 wildcard-with-credentials]\x1b[0m" in coloured
    assert ANSI.sub("", coloured) == plain
    assert "\x1b" not in render_text([], {}, color=False)


class FakeStream:
    def __init__(self, tty: bool) -> None:
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_use_color_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    assert use_color(FakeStream(tty=True))
    monkeypatch.delenv("TERM")
    assert use_color(FakeStream(tty=True))


@pytest.mark.parametrize("value", ["", "1", "0"])
def test_no_color_disables_whatever_its_value(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("NO_COLOR", value)
    monkeypatch.setenv("TERM", "xterm")
    assert not use_color(FakeStream(tty=True))


def test_no_colour_for_dumb_terminals_pipes_and_closed_streams(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "dumb")
    assert not use_color(FakeStream(tty=True))
    monkeypatch.setenv("TERM", "xterm")
    assert not use_color(FakeStream(tty=False))
    assert not use_color(io.StringIO())
    closed = io.StringIO()
    closed.close()
    assert not use_color(closed)


# ---- JSON ------------------------------------------------------------------------------------


def test_json_document_shape_and_values() -> None:
    source = api()
    warning = d.DUPLICATE_ORIGIN.at(find(source, "policy"), "w", "h")
    text = render_json([wildcard_with_credentials(source), warning], tool_version="0.1.0")
    assert text.endswith("}\n")
    assert text.splitlines()[:2] == ["{", '  "version": 1,']
    document = json.loads(text)
    assert list(document) == ["version", "tool", "position_encoding", "diagnostics", "summary"]
    assert document["tool"] == {"name": "corsc", "version": "0.1.0"}
    assert document["position_encoding"] == "code-points"
    assert document["summary"] == {"errors": 1, "warnings": 1, "infos": 0}
    assert [item["code"] for item in document["diagnostics"]] == ["CORS105", "CORS301"]
    error = document["diagnostics"][1]
    assert list(error) == [
        "code",
        "name",
        "severity",
        "message",
        "file",
        "range",
        "help",
        "related",
        "fixes",
    ]
    assert error["name"] == "wildcard-with-credentials"
    assert error["severity"] == "error"
    assert error["file"] == "api.cors"
    # `*` is on line 2 ("  origins *", which starts at offset 13), column 11; end is exclusive.
    assert error["range"] == {
        "start": {"line": 2, "column": 11, "offset": 23},
        "end": {"line": 2, "column": 12, "offset": 24},
    }
    assert error["help"] == "list the origins that need credentials"
    assert error["related"] == [
        {
            "file": "api.cors",
            "range": {
                "start": {"line": 3, "column": 15, "offset": 39},
                "end": {"line": 3, "column": 19, "offset": 43},
            },
            "message": "credentials enabled here",
        }
    ]
    assert error["fixes"][0]["edits"] == [
        {"range": error["range"], "new_text": '"https://app.example.com"'}
    ]


def test_json_is_deterministic_and_ascii() -> None:
    source = Source("ü.cors", "origins *, *\n")
    first = d.DUPLICATE_ORIGIN.at(source.span(8, 9), "„*“ twice", "h")
    second = d.DUPLICATE_ORIGIN.at(source.span(11, 12), "„*“ twice", "h")
    other_file = d.NULL_ORIGIN.at(Source("a.cors", "x").span(0, 1), "m", "h")
    forward = render_json([first, second, other_file], tool_version="1")
    assert forward == render_json([other_file, second, first], tool_version="1")
    assert forward.isascii()
    document = json.loads(forward)
    assert [item["file"] for item in document["diagnostics"]] == ["a.cors", "ü.cors", "ü.cors"]
    assert document["diagnostics"][1]["message"] == "„*“ twice"


def test_json_without_diagnostics() -> None:
    document = json.loads(render_json([], tool_version="0.1.0"))
    assert document["diagnostics"] == []
    assert document["summary"] == {"errors": 0, "warnings": 0, "infos": 0}


# ---- SARIF -----------------------------------------------------------------------------------

# The parts of the SARIF 2.1.0 schema corsc's output uses, written from the specification.
_MESSAGE = {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}
_LEVEL = {"enum": ["none", "note", "warning", "error"]}
_REGION = {
    "type": "object",
    "required": ["startLine", "startColumn", "endLine", "endColumn", "charOffset", "charLength"],
    "properties": {
        "startLine": {"type": "integer", "minimum": 1},
        "startColumn": {"type": "integer", "minimum": 1},
        "endLine": {"type": "integer", "minimum": 1},
        "endColumn": {"type": "integer", "minimum": 1},
        "charOffset": {"type": "integer", "minimum": 0},
        "charLength": {"type": "integer", "minimum": 0},
    },
    "additionalProperties": False,
}
_ARTIFACT_LOCATION = {
    "type": "object",
    "required": ["uri"],
    "properties": {"uri": {"type": "string"}},
}
_PHYSICAL_LOCATION = {
    "type": "object",
    "required": ["artifactLocation", "region"],
    "properties": {"artifactLocation": _ARTIFACT_LOCATION, "region": _REGION},
}
_RELATED_LOCATION = {
    "type": "object",
    "required": ["physicalLocation"],
    "properties": {
        "id": {"type": "integer", "minimum": 0},
        "physicalLocation": _PHYSICAL_LOCATION,
        "message": _MESSAGE,
    },
}
_REPLACEMENT = {
    "type": "object",
    "required": ["deletedRegion"],
    "properties": {"deletedRegion": _REGION, "insertedContent": _MESSAGE},
}
_ARTIFACT_CHANGE = {
    "type": "object",
    "required": ["artifactLocation", "replacements"],
    "properties": {
        "artifactLocation": _ARTIFACT_LOCATION,
        "replacements": {"type": "array", "minItems": 1, "items": _REPLACEMENT},
    },
}
_FIX = {
    "type": "object",
    "required": ["artifactChanges"],
    "properties": {
        "description": _MESSAGE,
        "artifactChanges": {"type": "array", "minItems": 1, "items": _ARTIFACT_CHANGE},
    },
}
_RESULT = {
    "type": "object",
    "required": ["ruleId", "ruleIndex", "level", "message", "locations"],
    "properties": {
        "ruleId": {"type": "string"},
        "ruleIndex": {"type": "integer", "minimum": 0},
        "level": _LEVEL,
        "message": _MESSAGE,
        "locations": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["physicalLocation"],
                "properties": {"physicalLocation": _PHYSICAL_LOCATION},
            },
        },
        "relatedLocations": {"type": "array", "uniqueItems": True, "items": _RELATED_LOCATION},
        "fixes": {"type": "array", "items": _FIX},
    },
}
_RULE = {
    "type": "object",
    "required": [
        "id",
        "name",
        "shortDescription",
        "fullDescription",
        "help",
        "helpUri",
        "defaultConfiguration",
    ],
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "shortDescription": _MESSAGE,
        "fullDescription": _MESSAGE,
        "help": _MESSAGE,
        "helpUri": {"type": "string", "pattern": "^https://"},
        "defaultConfiguration": {"type": "object", "properties": {"level": _LEVEL}},
    },
}
_RUN = {
    "type": "object",
    "required": ["tool", "results"],
    "properties": {
        "columnKind": {"enum": ["utf16CodeUnits", "unicodeCodePoints"]},
        "tool": {
            "type": "object",
            "required": ["driver"],
            "properties": {
                "driver": {
                    "type": "object",
                    "required": ["name", "version", "rules"],
                    "properties": {
                        "name": {"type": "string"},
                        "version": {"type": "string"},
                        "rules": {"type": "array", "uniqueItems": True, "items": _RULE},
                    },
                }
            },
        },
        "results": {"type": "array", "items": _RESULT},
    },
}
SARIF_SUBSET = {
    "type": "object",
    "required": ["$schema", "version", "runs"],
    "properties": {
        "$schema": {"const": "https://json.schemastore.org/sarif-2.1.0.json"},
        "version": {"const": "2.1.0"},
        "runs": {"type": "array", "minItems": 1, "maxItems": 1, "items": _RUN},
    },
}


def sample_sarif() -> Any:
    source = api()
    diagnostics = [
        wildcard_with_credentials(source),
        d.LOCAL_ORIGIN.at(find(source, "policy"), "local", "fine in development"),
        d.DUPLICATE_ORIGIN.at(find(source, "origins"), "twice", "remove one"),
        d.DUPLICATE_ORIGIN.at(find(source, "credentials"), "twice again", "remove one"),
    ]
    return json.loads(render_sarif(diagnostics, tool_version="0.1.0"))


def test_sarif_matches_the_schema_subset() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(sample_sarif(), SARIF_SUBSET)


def test_sarif_rules_levels_and_indices() -> None:
    document = sample_sarif()
    assert document["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert document["version"] == "2.1.0"
    (run,) = document["runs"]
    assert run["columnKind"] == "unicodeCodePoints"
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("corsc", "0.1.0")
    rules = driver["rules"]
    # One rule per code that occurs, in code order, described by the catalogue.
    assert [rule["id"] for rule in rules] == ["CORS105", "CORS110", "CORS301"]
    assert rules[1] == {
        "id": "CORS110",
        "name": "local-origin",
        "shortDescription": {"text": "a loopback or private-address origin"},
        "fullDescription": {
            "text": "A loopback or private-address origin. An info: something a reader of the "
            "policy would want to know. Hide it with `--quiet`, `# corsc: allow CORS110` on the "
            "statement, or `--ignore CORS110`."
        },
        "help": {
            "text": "CORS110 (local-origin): a loopback or private-address origin. An info: "
            "something a reader of the policy would want to know. Hide it with `--quiet`, "
            "`# corsc: allow CORS110` on the statement, or `--ignore CORS110`. Every rule is "
            "described in the Diagnostics section of corsc's documentation: "
            "https://pypi.org/project/corsc/#diagnostics"
        },
        "helpUri": "https://pypi.org/project/corsc/#diagnostics",
        "defaultConfiguration": {"level": "note"},
    }
    assert [rule["defaultConfiguration"]["level"] for rule in rules] == ["warning", "note", "error"]
    results = run["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [
        ("CORS110", "note"),
        ("CORS105", "warning"),
        ("CORS301", "error"),
        ("CORS105", "warning"),
    ]
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_sarif_result_locations_help_and_fixes() -> None:
    (run,) = sample_sarif()["runs"]
    error = run["results"][2]
    assert error["message"] == {
        "text": "origins * cannot be combined with credentials true\n"
        "help: list the origins that need credentials"
    }
    star = {
        "startLine": 2,
        "startColumn": 11,
        "endLine": 2,
        "endColumn": 12,
        "charOffset": 23,
        "charLength": 1,
    }
    assert error["locations"] == [
        {"physicalLocation": {"artifactLocation": {"uri": "api.cors"}, "region": star}}
    ]
    assert error["relatedLocations"] == [
        {
            "id": 0,
            "physicalLocation": {
                "artifactLocation": {"uri": "api.cors"},
                "region": {
                    "startLine": 3,
                    "startColumn": 15,
                    "endLine": 3,
                    "endColumn": 19,
                    "charOffset": 39,
                    "charLength": 4,
                },
            },
            "message": {"text": "credentials enabled here"},
        }
    ]
    assert error["fixes"] == [
        {
            "description": {"text": 'replace `*` with "https://app.example.com"'},
            "artifactChanges": [
                {
                    "artifactLocation": {"uri": "api.cors"},
                    "replacements": [
                        {
                            "deletedRegion": star,
                            "insertedContent": {"text": '"https://app.example.com"'},
                        }
                    ],
                }
            ],
        }
    ]
    assert "relatedLocations" not in run["results"][0]
    assert "fixes" not in run["results"][0]


def test_sarif_is_deterministic_and_handles_unknown_codes_and_odd_paths() -> None:
    source = Source("my policies/ü.cors", "origins *\n")
    unknown = d.Diagnostic("CORS699", "made-up", d.Severity.INFO, "m", source.span(0, 7), "")
    absolute = d.NULL_ORIGIN.at(Source("/etc/corsc/a.cors", "x").span(0, 1), "m", "h")
    empty_fix = d.NULL_ORIGIN.at(source.span(8, 9), "m", "h", fixes=[d.Fix("nothing", ())])
    forward = render_sarif([unknown, absolute, empty_fix], tool_version="1")
    assert forward == render_sarif([empty_fix, absolute, unknown], tool_version="1")
    assert forward.isascii() and forward.endswith("}\n")
    (run,) = json.loads(forward)["runs"]
    made_up = run["tool"]["driver"]["rules"][1]
    assert {key: made_up[key] for key in ("id", "name", "shortDescription", "helpUri")} == {
        "id": "CORS699",
        "name": "made-up",
        "shortDescription": {"text": "made-up"},
        "helpUri": "https://pypi.org/project/corsc/#diagnostics",
    }
    assert made_up["defaultConfiguration"] == {"level": "note"}
    assert made_up["fullDescription"]["text"].startswith("Made-up. An info: ")
    uris = [
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]
    ]
    assert uris == [
        "file:///etc/corsc/a.cors",
        "my%20policies/%C3%BC.cors",
        "my%20policies/%C3%BC.cors",
    ]
    assert run["results"][1]["message"] == {"text": "m"}  # no help line when help is empty
    assert "fixes" not in run["results"][2]  # a fix without edits cannot be said in SARIF


def test_target_notes_fold_into_one_line_per_target() -> None:
    source = Source("t.cors", "policy p { origins * }\n")
    span = find(source, "p")
    notes = [
        d.TARGET_DEVIATION.at(span, "target `iis`: one", "h"),
        d.TARGET_DEVIATION.at(span, "target `iis`: two", "h"),
        d.TARGET_LAYOUT.at(span, "target `iis` writes web.config", "h"),
        d.TARGET_DEVIATION.at(span, "target `nginx`: three", "h"),
    ]
    folded = render_text(notes, {"t.cors": source}, color=False, fold_target_notes=True)
    assert folded == (
        "info: target `iis`: 2 declared deviations (none changes a browser's verdict) and "
        "1 note on where the output goes; `--verbose` shows them\n\n"
        "info: target `nginx`: 1 declared deviation (it never changes a browser's verdict); "
        "`--verbose` shows them\n\n"
        "info: 0 errors, 0 warnings, 4 infos\n"
    )
    full = render_text(notes, {"t.cors": source}, color=False)
    assert full.count("info[CORS602 target-declared-deviation]") == 3
    # Anything else is shown as always, before the folded lines.
    other = d.UNUSED_BINDING.at(span, "unused", "h")
    text = render_text([*notes, other], {"t.cors": source}, color=False, fold_target_notes=True)
    assert text.startswith("info[CORS515 unused-binding]: unused\n")


# ---- colour modes --------------------------------------------------------------------------


def test_color_flag_decides_and_force_color_colours_a_pipe() -> None:
    pipe, terminal = FakeStream(tty=False), FakeStream(tty=True)
    assert use_color(pipe, "always", environ={"NO_COLOR": "1"})
    assert not use_color(terminal, "never", environ={"FORCE_COLOR": "1"})
    assert use_color(pipe, "auto", environ={"FORCE_COLOR": "1"})
    assert not use_color(pipe, "auto", environ={"FORCE_COLOR": ""})
    assert not use_color(terminal, "auto", environ={"FORCE_COLOR": "1", "NO_COLOR": ""})
    assert use_color(terminal, "auto", environ={"TERM": "xterm"})


# ---- GitHub annotations --------------------------------------------------------------------


def test_github_annotations_escape_data_and_properties() -> None:
    source = Source("dir,a:b%.cors", API_TEXT)
    diagnostic = d.WILDCARD_WITH_CREDENTIALS.at(
        find(source, "*"), "50% of\r\nthis: bad, really", "list, them: all"
    )
    info = d.LOCAL_ORIGIN.at(find(source, "origins *\n  cred", 20), "spans two lines", "")
    assert render_github([diagnostic, info], {source.name: source}) == (
        "::notice file=dir%2Ca%3Ab%25.cors,line=2,col=3,endLine=3,"
        "title=CORS110 local-origin::spans two lines\n"
        "::error file=dir%2Ca%3Ab%25.cors,line=2,col=11,endLine=2,endColumn=12,"
        "title=CORS301 wildcard-with-credentials::50%25 of%0D%0Athis: bad, really"
        "%0Ahelp: list, them: all\n"
    )


def test_github_annotations_count_utf16_and_name_set_arguments() -> None:
    source = Source("e.cors", 'let a = "😀", "https://x"\n')
    span = find(source, '"https://x"')
    override = Source("<--set #2>", "a=http://y")
    diagnostics = [
        d.DUPLICATE_ORIGIN.at(span, "m", ""),
        d.INSECURE_ORIGIN_WITH_CREDENTIALS.at(override.span(2, 10), "insecure", "use https"),
    ]
    sources = {source.name: source, override.name: override}
    assert render_github(diagnostics, sources).splitlines() == [
        "::warning title=CORS109 insecure-origin-with-credentials::--set #2: insecure%0Ahelp: "
        "use https",
        "::warning file=e.cors,line=1,col=15,endLine=1,endColumn=26,"
        "title=CORS105 duplicate-origin::m",
    ]
    # In code points the emoji is one column, so the range starts one column earlier.
    assert "col=14," in render_github(diagnostics, sources, encoding="code-points")


# ---- position encodings --------------------------------------------------------------------


def test_utf16_positions_in_json_and_sarif() -> None:
    source = Source("e.cors", 'policy p {\n  origins "https://😀.example", *\n}\n')
    star = find(source, "*")
    diagnostic = d.ANY_BESIDE_OTHERS.at(star, "m", "h", fixes=[d.Fix("f", (d.TextEdit(star, ""),))])
    sources = {"e.cors": source}
    document = json.loads(render_json([diagnostic], tool_version="1", sources=sources))
    assert document["position_encoding"] == "code-points"
    assert document["diagnostics"][0]["range"]["start"] == {"line": 2, "column": 32, "offset": 42}
    utf16 = json.loads(
        render_json([diagnostic], tool_version="1", sources=sources, encoding="utf-16")
    )
    assert utf16["position_encoding"] == "utf-16"
    (item,) = utf16["diagnostics"]
    assert item["range"] == {
        "start": {"line": 2, "column": 33, "offset": 43},
        "end": {"line": 2, "column": 34, "offset": 44},
    }
    assert item["fixes"][0]["edits"][0]["range"] == item["range"]
    (run,) = json.loads(
        render_sarif([diagnostic], tool_version="1", sources=sources, encoding="utf-16")
    )["runs"]
    assert run["columnKind"] == "utf16CodeUnits"
    region = run["results"][0]["locations"][0]["physicalLocation"]["region"]
    assert (region["startColumn"], region["charOffset"]) == (33, 43)


def test_source_encoded_counts_astral_characters_twice() -> None:
    source = Source("e.cors", "a😀b\n😀😀c\n")
    assert [source.encoded(source.position(i), "utf-16") for i in (2, 4, 6, 7)] == [
        source.position(2).__class__(1, 4, 3),
        source.position(4).__class__(2, 1, 5),
        source.position(6).__class__(2, 5, 9),
        source.position(7).__class__(2, 6, 10),
    ]
    assert source.encoded(source.position(6), "code-points") == source.position(6)


# ---- SARIF: --set arguments ----------------------------------------------------------------


def test_sarif_set_arguments_are_logical_locations_not_uris() -> None:
    override = Source("<--set #1>", "a=http://y")
    diagnostic = d.INSECURE_ORIGIN_WITH_CREDENTIALS.at(
        override.span(2, 10),
        "insecure",
        "h",
        fixes=[d.Fix("use https", (d.TextEdit(override.span(2, 6), "https"),))],
    )
    (run,) = json.loads(render_sarif([diagnostic], tool_version="1"))["runs"]
    (result,) = run["results"]
    assert result["locations"] == [
        {"logicalLocations": [{"name": "--set #1", "kind": "parameter"}]}
    ]
    assert "fixes" not in result  # an edit of an argument changes no file


# ---- the JSON Schema, against real output --------------------------------------------------


def test_json_output_of_the_command_validates_against_the_shipped_schema(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    import importlib.resources

    import jsonschema

    from corsc import cli

    schema = json.loads(
        (importlib.resources.files("corsc") / "schema" / "diagnostics.schema.json").read_text()
    )
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    policy = tmp_path / "p.cors"
    policy.write_text(
        'let extra = "https://b.example"\npolicy p {\n  origins *, "https://😀.example"\n'
        "  credentials true\n  methods get\n}\n"
    )
    runs = [
        ["check", str(policy), "--set", "extra=http://c.example", "--target", "nginx"],
        ["check", str(policy), "--position-encoding", "utf-16"],
        ["check", str(tmp_path / "missing.cors")],
    ]
    for argv in runs:
        cli.main([*argv, "--format", "json"])
        document = json.loads(capsys.readouterr().out)
        validator.validate(document)
        assert document["diagnostics"]
    broken = json.loads(render_json([], tool_version="1"))
    broken["diagnostics"] = [{"code": "X"}]
    assert not validator.is_valid(broken)
