"""Reading an existing web.config (corsc.backends.iis_scan): malformed, mutated, non-UTF-8 or
DOCTYPE-carrying files are refused with CORS616 at their line, never an exception, and left
untouched; a UTF-8 declaration in any spelling merges."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corsc.diagnostics import Diagnostic
from tests.iis_merging import (
    COMPILED,
    FIXTURES,
    SPA,
    TARGETS,
    merge,
    merged_of,
    run,
)
from tests.iis_structure import parse


@pytest.mark.parametrize(
    "content",
    [
        b"<configuration><system.webServer></configuration>",
        b"\xff\xfe<\x00c\x00",
        b'<?xml version="1.0"?><notconfig/>',
        b'<!DOCTYPE configuration [<!ENTITY a "b">]><configuration/>',
        b"",
    ],
    ids=["unclosed", "not-utf8", "wrong-root", "doctype", "empty"],
)
def test_bad_files_are_refused(content: bytes) -> None:
    result = merge(SPA, "iis", content)
    assert isinstance(result, Diagnostic)
    assert result.code == "CORS616" and "not changed" in result.help


def test_cli_malformed_file_exits_2_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "web.config"
    path.write_bytes(b"<configuration>\n  <system.webServer>\n</configuration>\n")
    before = path.read_bytes()
    assert run("--merge", str(path)) == 2
    assert path.read_bytes() == before
    assert "CORS616" in capsys.readouterr().err
    assert run("--merge", str(tmp_path / "missing.config")) == 2


BROKEN = [
    ("<configuration/></a></b>", 1, "not well-formed"),
    ("<configuration>\n  <system.webServer>\n</configuration>\n", 3, "mismatched tag"),
    ('<configuration>\n<add name="a" name="b"/>\n</configuration>', 2, "duplicate attribute"),
    ("<configuration>\n  &nbsp;\n</configuration>", 2, "undefined entity"),
    (
        '<!DOCTYPE configuration [\n<!ENTITY a "b">\n]>\n<configuration>&a;</configuration>',
        1,
        "DOCTYPE",
    ),
    (
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>\n'
        "<configuration>&lol2;</configuration>",
        2,
        "DOCTYPE",
    ),
    ('<!DOCTYPE configuration SYSTEM "http://example.com/x.dtd">\n<configuration/>', 1, "DOCTYPE"),
    ("<configuration>\n<a>\x01</a></configuration>", 2, "not well-formed"),
    ("<configuration><!-- a -- b --></configuration>", 1, "not well-formed"),
    ("<configuration/><configuration/>", 1, "junk after document element"),
    ("   ", 1, "no element found"),
    ("<configuration>\n  <system.webServer>", 2, "no element found"),
    ('<?xml version="1.0"?>\n<notconfig/>', 1, "root element is not <configuration>"),
    ('<?xml version="1.0" encoding="utf-16"?>\n<configuration/>', 1, 'encoding="utf-16"'),
    ('<?xml version="1.0" encoding="ISO-8859-1"?><configuration/>', 1, "as UTF-8"),
    ("<?xml version='1.0' encoding='windows-1252'?>\n<configuration/>", 1, "windows-1252"),
]


@pytest.mark.parametrize("encoding", ["utf-8", "UTF-8", "utf8", "Utf_8"])
def test_a_utf8_declaration_merges(encoding: str) -> None:
    text = f'<?xml version="1.0" encoding="{encoding}"?>\n<configuration/>\n'
    assert merged_of(SPA, "iis", text.encode("utf-8")).text is not None


@pytest.mark.parametrize(("text", "line", "words"), BROKEN)
@pytest.mark.parametrize("target", TARGETS)
def test_malformed_files_get_cors616_at_their_line(
    text: str, line: int, words: str, target: str
) -> None:
    merged = merged_of(SPA, target, text.encode("utf-8"))
    assert merged.text is None
    [diagnostic] = merged.diagnostics
    assert diagnostic.code == "CORS616" and diagnostic.name == "iis-merge-unreadable"
    assert diagnostic.message.startswith("cannot merge into web.config: ")
    assert words in diagnostic.message
    assert diagnostic.span.start.line == line
    assert diagnostic.help == (
        "fix the file (or compile with -o to write a new web.config); it was not changed"
    )


MUTATIONS = st.sampled_from(
    [
        "</a>",
        "<b>",
        "</configuration>",
        "<configuration/>",
        "&foo;",
        "&#0;",
        "&#x110000;",
        "&amp;",
        '<!DOCTYPE x [<!ENTITY a "b">]>',
        "<?pi x?>",
        "<![CDATA[",
        "]]>",
        "<!--",
        "-->",
        '"',
        "'",
        ' name="x" name="y"',
        "\x00",
        "\ufeff",
        "<",
        ">",
        "/>",
        "\r\n",
        "\t",
        "<!-- corsc:begin iis cors -->",
        "<!-- corsc:end iis cors -->",
        '<!-- corsc:begin vary appended=", Origin" -->',
        "<!-- corsc:end vary -->",
    ]
)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    fixture = draw(st.sampled_from(sorted(FIXTURES.glob("*.config"))))
    text = fixture.read_bytes().decode("utf-8")
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        operation = draw(st.sampled_from(["insert", "truncate", "delete", "duplicate"]))
        if operation == "insert":
            text = text[:at] + draw(MUTATIONS) + text[at:]
        elif operation == "truncate":
            text = text[:at]
        else:
            end = draw(st.integers(at, min(len(text), at + 80)))
            text = text[:at] + (text[at:end] * 2 if operation == "duplicate" else "") + text[end:]
    return text.encode("utf-8")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=mutated(), compiled=st.sampled_from(COMPILED))
def test_mutated_files_merge_cleanly_or_get_a_diagnostic(
    document: bytes, compiled: tuple[Path, str]
) -> None:
    merged = merged_of(*compiled, document)
    if merged.text is None:
        assert merged.diagnostics and all(
            item.code in ("CORS616", "CORS641") for item in merged.diagnostics
        )
        assert any(item.severity.value == "error" for item in merged.diagnostics)
        return
    parse(merged.text.removeprefix("\ufeff"))
    again = merged_of(*compiled, merged.text.encode("utf-8"))
    assert again.text == merged.text and again.diagnostics == ()


def test_a_file_that_is_not_utf8_is_refused_at_the_line_of_the_bad_byte() -> None:
    document = b"<configuration>\n  <!-- caf\xe9 -->\n</configuration>\n"
    merged = merged_of(SPA, "iis", document)
    assert merged.text is None
    [diagnostic] = merged.diagnostics
    assert diagnostic.message == "cannot merge into web.config: it is not UTF-8 (byte 26)"
    assert (diagnostic.span.start.line, diagnostic.span.start.column) == (2, 11)
