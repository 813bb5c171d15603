"""corsc.fmt: the canonical layout (exact texts), what formatting always keeps (the meaning,
every comment and value, idempotence) as properties over generated and mutated policies, and
the guards that stop a formatter bug before anything is written."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mutation import EXAMPLE_TEXTS, EXAMPLES, Edit, mutated

from corsc.fmt import Formatted, format_text
from corsc.fmt_layout import Lines
from corsc.fmt_reader import FormattingBug, Piece, Reader
from corsc.frontend import load
from corsc.ir import to_data
from corsc.language import STATEMENTS
from corsc.source import Source


def formatted(text: str) -> str:
    result = format_text(text, "t.cors")
    assert result.diagnostics == ()
    assert result.text is not None
    return result.text


# ---- the layout ----------------------------------------------------------------------------

LAYOUT = [
    pytest.param(
        "policy public { origins *; methods GET }",
        "policy public {\n  origins *\n  methods GET\n}\n",
        id="a one-line block: one statement per line",
    ),
    pytest.param(
        'policy api {\n\tcredentials   true\n origins "https://a.example"\n  max-age 10m\n}\n',
        'policy api {\n  credentials true\n  origins     "https://a.example"\n'
        "  max-age     10m\n}\n",
        id="values aligned one space after the longest statement name of the block",
    ),
    pytest.param(
        'policy api {\n  origins "https://a.example"\n  credentials true\n'
        '  origin "https://b.example" { methods GET; max-age 1h }\n}\n',
        'policy api {\n  origins     "https://a.example"\n  credentials true\n\n'
        '  origin "https://b.example" {\n    methods GET\n    max-age 1h\n  }\n}\n',
        id="an origin block aligns its own statements",
    ),
    pytest.param(
        "policy p {\n  methods GET,POST ,  PUT\n}\n",
        "policy p {\n  methods GET, POST, PUT\n}\n",
        id="one space after each comma",
    ),
    pytest.param(
        'let partners = "https://a.example",\n"https://b.example",\n\t"https://c.example"\n',
        'let partners = "https://a.example",\n'
        '               "https://b.example",\n'
        '               "https://c.example"\n',
        id="a list continues where its author broke it, under its first value",
    ),
    pytest.param(
        "policy p {\n  headers " + ", ".join(f"X-Header-{i:02}" for i in range(12)) + "\n}\n",
        "policy p {\n  headers "
        + ", ".join(f"X-Header-{i:02}" for i in range(7))
        + ",\n          "
        + ", ".join(f"X-Header-{i:02}" for i in range(7, 12))
        + "\n}\n",
        id="a list that would pass column 100 continues on the next line",
    ),
    pytest.param(
        'policy p {\n  origins "https://a.example",\n  methods GET,\n}\n',
        'policy p {\n  origins "https://a.example"\n  methods GET\n}\n',
        id="trailing commas dropped",
    ),
    pytest.param(
        "let a = *\nlet b = GET\n\n\n\nlet c = PUT\npolicy p { origins a }\npolicy q {}\n",
        "let a = *\nlet b = GET\n\nlet c = PUT\n\npolicy p {\n  origins a\n}\n\npolicy q {}\n",
        id="one blank line around blocks; a run of blank lines becomes one",
    ),
    pytest.param(
        "\n\npolicy p {\n\n  origins *\n\n\n  methods GET\n\n}\n\n\n",
        "policy p {\n  origins *\n\n  methods GET\n}\n",
        id="no blank line at the start or end of a block or the file",
    ),
    pytest.param(
        "# api.cors\n\n# partners\nlet a = *\n# the policy\npolicy p { # the block\n"
        "  origins a  # who\n  # what\n  methods GET # line\n  # last\n} # after\n# end\n",
        "# api.cors\n\n# partners\nlet a = *\n\n# the policy\npolicy p {  # the block\n"
        "  origins a  # who\n  # what\n  methods GET  # line\n  # last\n}  # after\n\n# end\n",
        id="comments stay where they were; the blank line before a block goes above its comments",
    ),
    pytest.param(
        "policy p {\n  methods GET, # safelisted\n\n  # the rest\n    PUT,  DELETE #\n}\n",
        "policy p {\n  methods GET,  # safelisted\n\n          # the rest\n"
        "          PUT, DELETE  #\n}\n",
        id="comments inside a list stay at its column",
    ),
    pytest.param(
        "policy p {\n  origins *   # trailing spaces \t\n}\n",
        "policy p {\n  origins *  # trailing spaces\n}\n",
        id="a comment loses its trailing whitespace only",
    ),
    pytest.param(
        'policy p {\n  origins "https://a.example", regex "^https://[a-z]+\\.b\\.example$", '
        'regex "^https://[a-z]+\\.c\\.example$"\n}\n',
        'policy p {\n  origins "https://a.example", regex "^https://[a-z]+\\.b\\.example$",\n'
        '          regex "^https://[a-z]+\\.c\\.example$"\n}\n',
        id="a regex value continues a list like any other",
    ),
    pytest.param(
        "policy p {\r\n  origins *;methods GET\r\n}\r\n",
        "policy p {\r\n  origins *\r\n  methods GET\r\n}\r\n",
        id="CRLF files stay CRLF",
    ),
    pytest.param(
        "\ufeffpolicy p { origins * }",
        "\ufeffpolicy p {\n  origins *\n}\n",
        id="a byte-order mark stays",
    ),
    pytest.param(
        "policy p {\n  origins *\n  method GET\n  unknown\n}\n",
        "policy p {\n  origins *\n  method  GET\n  unknown\n}\n",
        id="unknown statements (an error for check) are formatted too",
    ),
    pytest.param("", "", id="an empty file"),
    pytest.param("\n \n\t\n", "", id="a blank file"),
]


@pytest.mark.parametrize(("text", "expected"), LAYOUT)
def test_layout(text: str, expected: str) -> None:
    assert formatted(text) == expected
    assert formatted(expected) == expected


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_the_examples_are_canonical(path: Path) -> None:
    text = path.read_text("utf-8")
    assert formatted(text) == text


def readme_policies() -> list[str]:
    """The README's policy examples: its unlabelled code blocks that begin like a policy."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")
    found, block, language = [], [], None
    for line in readme.split("\n"):
        if not line.startswith("```"):
            block.append(line)
        elif language is None:
            language, block = line[3:], []
        else:
            text = "\n".join(block) + "\n"
            if language == "" and text.split(" ")[0] in {"#", "policy", "let"}:
                found.append(text)
            language = None
    return found


def test_the_readme_policy_examples_are_canonical() -> None:
    examples = readme_policies()
    assert len(examples) >= 2
    for example in examples:
        assert formatted(example) == example


def test_a_file_with_syntax_errors_is_refused_with_its_diagnostics() -> None:
    result = format_text('policy p {\n  origins "https://a.example\n', "bad.cors")
    assert result.text is None
    assert [(item.code, item.message) for item in result.diagnostics] == [
        ("CORS003", "this string is never closed"),
        ("CORS002", "policy `p` opened on line 1 is never closed"),
    ]
    assert {item.span.file for item in result.diagnostics} == {"bad.cors"}


def test_deep_nesting_is_formatted_in_bounded_width_and_time() -> None:
    depth = 5_000
    text = "policy p {\n" + 'origin "https://a.example" {\n' * depth + "}\n" * (depth + 1)
    started = time.perf_counter()
    result = formatted(text)
    assert time.perf_counter() - started < 10
    lines = result.splitlines()
    assert len(lines) == 2 * depth + 1  # the innermost block is empty: `{}`
    assert lines[depth] == " " * 16 + 'origin "https://a.example" {}'
    assert max(len(line) for line in lines) == len(lines[depth])


def test_a_long_unknown_name_neither_aligns_nor_indents_its_block() -> None:
    name = "x" * 500
    text = f"let {name} = GET,\n PUT\npolicy p {{\n  origins *\n  {name} a,\n b\n}}\n"
    assert formatted(text) == (
        f"let {name} = GET,\n    PUT\n\npolicy p {{\n  origins *\n  {name} a,\n      b\n}}\n"
    )


# ---- what formatting keeps -----------------------------------------------------------------


def meaning(text: str) -> tuple[object, list[tuple[str, str]]]:
    """The policy set without spans or spellings, and what corsc check says (positions
    aside)."""
    loaded = load(Source("t.cors", text))
    assert loaded.policy_set is not None
    findings = sorted((item.code, item.message) for item in loaded.diagnostics)
    return to_data(loaded.policy_set, spans=False), findings


def squeezed(text: str) -> str:
    """The text's characters but whitespace, commas and semicolons (the only ones formatting
    adds or removes), in order."""
    return re.sub(r"[\s,;]", "", text.removeprefix("\ufeff"))


def assert_kept(text: str, result: Formatted) -> None:
    assert result.text is not None
    assert squeezed(result.text) == squeezed(text)
    assert meaning(result.text) == meaning(text)
    assert formatted(result.text) == result.text


_NAMES = st.sampled_from(["api", "public", "p_2", "partners", "ports"])
_VALUES = st.sampled_from(
    [
        '"https://a.example"',
        '"https://*.b.example.org"',
        '"http://localhost:*"',
        '"/api"',
        '"a # not a comment, nor ; a separator"',
        '"quote \\" inside"',
        '"é"',
        'regex "^https://pr-\\d+\\.example\\.com$"',
        "*",
        "GET",
        "put",
        "X-Request-Id",
        "partners",
        "10m",
        "true",
        "reject",
        "204",
    ]
)
_COMMENTS = st.sampled_from(["#", "# a note", '# "quoted", {braced}; x', "#\tindented  ", "# é"])
#: Where a line may break: between statements, and inside a list after a comma.
_BREAKS = st.sampled_from(["\n", "\n\n", "\r\n", "\n\n\n", "\n \t\n"])


@st.composite
def _gap(draw: st.DrawFn, *, statement_end: bool) -> str:
    """What may stand between two statements (``statement_end``) or after a list's comma."""
    parts = [draw(st.sampled_from(["", " ", "\t", "  "]))]
    if draw(st.booleans()):
        parts.append(draw(_COMMENTS))
    parts.append(draw(_BREAKS))
    for _ in range(draw(st.integers(0, 2))):
        parts.append(draw(st.sampled_from(["", "  "])) + draw(_COMMENTS) + draw(_BREAKS))
    if statement_end and not draw(st.integers(0, 3)):
        return draw(st.sampled_from([";", " ; ", ";;"]))
    return "".join(parts)


@st.composite
def _list(draw: st.DrawFn) -> str:
    values = draw(st.lists(_VALUES, min_size=1, max_size=5))
    text = values[0]
    for value in values[1:]:
        broken = draw(st.booleans())
        text += "," + (draw(_gap(statement_end=False)) if broken else " ")
        text += value
    if draw(st.integers(0, 4)) == 0:
        text += ","  # a trailing comma: what follows is a statement name, `}` or the end
    return text


@st.composite
def _body(draw: st.DrawFn, depth: int) -> str:
    statements = []
    for _ in range(draw(st.integers(0, 5))):
        if depth < 2 and draw(st.integers(0, 4)) == 0:
            origin = draw(st.sampled_from(['"https://c.example"', "*", 'regex "^https://d$"']))
            statements.append(f"origin {origin} {{{draw(_body(depth + 1))}}}")
        else:
            statements.append(f"{draw(st.sampled_from(STATEMENTS))} {draw(_list())}")
    text = draw(st.sampled_from(["", " ", "\n", "\n\n  "]))
    for statement in statements:
        text += statement + draw(_gap(statement_end=True))
    return text


@st.composite
def policies(draw: st.DrawFn) -> str:
    """Policy files that parse, in random layouts: any spacing, blank lines, comments in
    every place the grammar allows one, `;`, one-line blocks, broken lists, trailing commas,
    CRLF."""
    text = draw(st.sampled_from(["", "\n", "# head\n\n"]))
    for _ in range(draw(st.integers(1, 4))):
        name = draw(_NAMES)
        if draw(st.booleans()):
            text += f"let {name} = {draw(_list())}"
        else:
            text += f"policy {name} {{{draw(_body(1))}}}"
        text += draw(_gap(statement_end=True))
    return text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policies())
def test_formatting_keeps_meaning_comments_and_values_and_is_idempotent(text: str) -> None:
    assert_kept(text, format_text(text, "t.cors"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(EXAMPLE_TEXTS),
    st.lists(
        st.tuples(
            st.integers(0, 10_000),
            st.integers(0, 8),
            st.sampled_from(["", " ", "\n", ",", ";", "#", " # c\n", "}", "{", '"', "\r\n"]),
        ),
        max_size=5,
    ),
)
def test_mutated_examples_are_formatted_faithfully_or_refused(text: str, edits: list[Edit]) -> None:
    text = mutated(text, edits)
    result = format_text(text, "t.cors")
    if result.text is None:
        assert result.diagnostics
        assert load(Source("t.cors", text)).has_errors
    else:
        assert_kept(text, result)


def test_a_formatter_bug_that_would_drop_a_comment_is_caught(monkeypatch) -> None:
    monkeypatch.setattr(Lines, "trailing", lambda self, piece: None)
    with pytest.raises(FormattingBug, match=r"formatting t\.cors would lose comments"):
        format_text("policy p { origins * }  # kept\n", "t.cors")


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        ('"https://b.example"', r"the formatted t\.cors parses to another syntax tree"),
        ('"https://a.example', r"the formatted t\.cors does not parse"),
    ],
)
def test_a_formatter_bug_that_would_change_the_tree_is_caught(
    monkeypatch: pytest.MonkeyPatch, wrong: str, message: str
) -> None:
    # A formatter that rewrites a value it should copy.
    piece = Reader._piece

    def miswritten(self: Reader, text: str) -> Piece:
        return piece(self, wrong if text == '"https://a.example"' else text)

    monkeypatch.setattr(Reader, "_piece", miswritten)
    with pytest.raises(FormattingBug, match=message):
        format_text('policy p { origins "https://a.example", "https://c.example" }', "t.cors")
