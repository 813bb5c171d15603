"""No input text makes corsc raise: it always answers with diagnostics. Random text, mutated
examples, huge files, one very long line and deep nesting all end in diagnostics or output,
never a traceback or a hang."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corsc import __version__, render
from corsc.backends import EmitOptions, backends, validate_options
from corsc.diagnostics import fails
from corsc.frontend import load
from corsc.source import MAX_SOURCE_BYTES, Source

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.cors"))
EXAMPLE_TEXTS = [path.read_text("utf-8") for path in EXAMPLES]

#: Characters the grammar cares about, plus a few it does not, so random text gets past the
#: lexer often enough to exercise the parser, lowering and checks.
ALPHABET = st.sampled_from(
    [
        *'{}",;=*#\\\n \t/:.-_',
        *("policy", "origins", "origin", "let", "regex", "methods", "headers", "credentials"),
        *("true", "max-age", "deny", "paths", "unlisted", "reject", "GET", "PUT", "x", "é"),
        *('"https://a.example"', '"https://*.b.example"', '"null"', "\r"),
    ]
)


def assert_well_formed(text: str) -> None:
    """The whole pipeline runs; every diagnostic has a code and a range inside the text; the
    renderers and, when the policy has no errors, every backend cope with the result."""
    loaded = load(Source("fuzz.cors", text))
    for diagnostic in loaded.diagnostics:
        assert diagnostic.code.startswith("CORS")
        assert diagnostic.message and diagnostic.help
        if diagnostic.span.file == "fuzz.cors":
            assert 0 <= diagnostic.span.start.offset <= diagnostic.span.end.offset <= len(text)
    render.render_text(loaded.diagnostics, loaded.sources, color=False)
    render.render_json(loaded.diagnostics, tool_version=__version__)
    render.render_sarif(loaded.diagnostics, tool_version=__version__)
    if loaded.policy_set is None or loaded.has_errors:
        return
    for backend in backends():
        values, problems = validate_options(backend, [])
        assert not problems
        options = EmitOptions(__version__, "fuzz.cors", backend.names[0], values)
        if fails(backend.check(loaded.policy_set, options)):
            continue  # the CLI emits nothing then either
        for output in backend.emit(loaded.policy_set, options):
            assert output.content


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ALPHABET, max_size=60).map("".join))
def test_random_text_never_raises(text: str) -> None:
    assert_well_formed(text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(EXAMPLE_TEXTS),
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 8), st.text(max_size=6)), max_size=5),
)
def test_mutated_examples_never_raise(text: str, edits: list[tuple[int, int, str]]) -> None:
    for position, length, insert in edits:
        position %= len(text) + 1
        text = text[:position] + insert + text[position + length :]
    assert_well_formed(text)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "corsc", *args], capture_output=True, text=True, check=False
    )


def test_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.cors"
    path.write_bytes(b"# padding\n" * (MAX_SOURCE_BYTES // 10 + 1))  # just over the limit
    result = run_cli("check", str(path))
    assert result.returncode == 2
    assert "CORS010" in result.stdout and "corsc reads policy files up to" in result.stdout


def test_ten_megabyte_file_is_answered_quickly(tmp_path: Path) -> None:
    path = tmp_path / "ten.cors"
    path.write_bytes(b'policy p { origins "https://a.example" }\n' + b"#" * 10_000_000 + b"\n")
    result = run_cli("check", str(path))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_one_very_long_line_compiles(tmp_path: Path) -> None:
    origins = ", ".join(f'"https://app{index}.example.com"' for index in range(20_000))
    path = tmp_path / "long.cors"
    path.write_text(f"policy p {{ origins {origins}; methods GET, PUT }}\n", "utf-8")
    result = run_cli("compile", str(path), "--target", "json")
    assert result.returncode == 0, result.stderr[-2000:]
    assert '"https://app19999.example.com"' in result.stdout


def test_deeply_nested_braces(tmp_path: Path) -> None:
    path = tmp_path / "deep.cors"
    path.write_text("policy p {" + " {" * 50_000 + " }" * 50_000 + "}\n", "utf-8")
    result = run_cli("check", str(path))
    assert result.returncode == 1
    assert "CORS001" in result.stdout
    assert "Traceback" not in result.stderr


def test_deeply_nested_origin_blocks(tmp_path: Path) -> None:
    depth = 20_000
    text = "policy p {\n" + 'origin "https://a.example" {\n' * depth + "}\n" * (depth + 1)
    path = tmp_path / "nested.cors"
    path.write_text(text, "utf-8")
    result = run_cli("check", str(path))
    assert result.returncode == 1
    assert "CORS514" in result.stdout  # an `origin` block cannot be nested in another
    assert "Traceback" not in result.stderr
