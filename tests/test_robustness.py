"""No input text makes corsc raise: it always answers with diagnostics. Random text, mutated
examples, huge files, one very long line and deep nesting all end in diagnostics or output,
never a traceback or a hang."""

from __future__ import annotations

import ast
import contextlib
import io
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from unittest import mock
from xml.etree import ElementTree

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mutation import EXAMPLE_TEXTS, Edit, mutated

from corsc import __version__
from corsc.backends import EmitOptions, backends, check, target_names, validate_options
from corsc.diagnostics import fails
from corsc.frontend import load
from corsc.render_json import render_json
from corsc.render_sarif import render_sarif
from corsc.render_text import render_text
from corsc.source import MAX_SOURCE_BYTES, Source

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


#: A policy every target can express.
SIMPLE = (
    'policy api {\n  origins "https://a.example"\n'
    "  headers Accept, Accept-Language, Content-Language, Content-Type\n}\n"
)


#: Tokens the CLI-level property inserts: the grammar's own, and characters that broke
#: outputs before.
TOKENS = [
    "{",
    "}",
    ",",
    ";",
    "\n",
    '"',
    "*",
    "regex",
    "origin",
    "let",
    "credentials true",
    '"https://*.example.com"',
    '"null"',
    "\u202e",
    "\x00",
    "max-age 1d",
    "--",
    "<!--",
]


def assert_well_formed(text: str) -> None:
    """The whole pipeline runs; every diagnostic has a code and a range inside the text; the
    renderers and, when the policy has no errors, every backend cope with the result."""
    loaded = load(Source("fuzz.cors", text))
    for diagnostic in loaded.diagnostics:
        assert diagnostic.code.startswith("CORS")
        assert diagnostic.message and diagnostic.help
        if diagnostic.span.file == "fuzz.cors":
            assert 0 <= diagnostic.span.start.offset <= diagnostic.span.end.offset <= len(text)
    render_text(loaded.diagnostics, loaded.sources, color=False)
    render_json(loaded.diagnostics, tool_version=__version__)
    render_sarif(loaded.diagnostics, tool_version=__version__)
    if loaded.policy_set is None or loaded.has_errors:
        return
    for backend in backends():
        values, problems = validate_options(backend, [])
        assert not problems
        options = EmitOptions(__version__, "fuzz.cors", backend.names[0], values)
        if fails(check(backend, loaded.policy_set, options)):
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
def test_mutated_examples_never_raise(text: str, edits: list[Edit]) -> None:
    assert_well_formed(mutated(text, edits))


class _Stdin:
    """What ``corsc … -`` reads: ``sys.stdin.buffer``."""

    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)


def cli_outcome(argv: list[str], stdin: bytes = b"") -> int:
    """``corsc`` in-process with ``CORSC_DEBUG=1``, so a bug raises here instead of exit 70;
    what it writes must be encodable as a real stream would need."""
    from corsc import cli

    out, err = io.StringIO(), io.StringIO()
    with (
        mock.patch.dict(os.environ, {"CORSC_DEBUG": "1"}),
        mock.patch.object(sys, "stdin", _Stdin(stdin)),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        code = cli.main(argv)
    out.getvalue().encode("utf-8")
    err.getvalue().encode("utf-8")
    return code


EDITS = st.lists(
    st.tuples(
        st.integers(0, 10_000), st.integers(0, 8), st.sampled_from(TOKENS) | st.text(max_size=4)
    ),
    max_size=3,
)


@settings(
    max_examples=120, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)
@given(
    target=st.sampled_from(target_names()),
    command=st.sampled_from(["check", "compile"]),
    text=st.sampled_from([*EXAMPLE_TEXTS, SIMPLE]),
    edits=EDITS,
    fmt=st.sampled_from(["text", "json", "sarif"]),
    strict=st.booleans(),
)
def test_every_target_survives_mutated_policies_through_the_cli(
    target: str, command: str, text: str, edits: list[Edit], fmt: str, strict: bool
) -> None:
    """The CI-sized twin of ``bench/fuzz.py``: ``check --target T`` and ``compile --target T``
    for every registered target never raise and never exit 70."""
    argv = [command, "-", "--target", target, "--format", fmt, *(["--strict"] if strict else [])]
    code = cli_outcome(argv, mutated(text, edits).encode("utf-8", "surrogatepass"))
    assert code in (0, 1, 2)


@pytest.mark.parametrize("target", target_names())
def test_every_target_compiles_every_example_through_the_cli(target: str) -> None:
    for text in [*EXAMPLE_TEXTS, SIMPLE]:
        assert cli_outcome(["compile", "-", "--target", target], text.encode()) in (0, 1)
        assert cli_outcome(["check", "-", "--target", target], text.encode()) in (0, 1)


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


# ---- inputs that are not policy files ------------------------------------------------------


def in_process(capsys, *argv: str) -> tuple[int, str, str]:
    from corsc import cli

    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(
    ("path", "what"),
    [
        ("/dev/zero", "a character device"),
        ("/dev/urandom", "a character device"),
        ("/dev/null", "a character device"),
        ("/proc", "a directory"),
    ],
)
def test_devices_and_directories_are_refused_before_reading(capsys, path: str, what: str) -> None:
    for argv in (
        ["check", path],
        ["compile", path, "--target", "json"],
        ["explain", path, "--origin", "https://a.example"],
    ):
        code, out, err = in_process(capsys, *argv)
        assert code == 2
        if argv[0] == "check" and what == "a directory":  # check reads the policies in it
            assert err == f"corsc: error: {path} is a directory without any .cors file\n"
            continue
        assert f"error[CORS008 unreadable-input]: {path} is {what}, not a policy file" in out + err


def test_a_fifo_is_refused_without_waiting_for_a_writer(capsys, tmp_path: Path) -> None:
    fifo = tmp_path / "policy.cors"
    os.mkfifo(fifo)
    code, out, _ = in_process(capsys, "check", str(fifo), "--format", "json")
    assert code == 2
    [diagnostic] = json.loads(out)["diagnostics"]
    assert diagnostic["code"] == "CORS008"
    assert diagnostic["message"] == f"{fifo} is a FIFO, not a policy file"
    assert diagnostic["help"] == (
        "name a .cors file; to read a pipe, give `-` and send the policy to stdin"
    )


def test_endless_stdin_reads_only_one_byte_past_the_limit() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "corsc", "check", "-"],
        stdin=open("/dev/zero", "rb"),  # noqa: SIM115 — closed with the process
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert (
        "error[CORS010 input-too-large]: - is too large: corsc reads policy files up to "
        f"{MAX_SOURCE_BYTES:,} bytes"
    ) in result.stdout


def test_read_stream_stops_at_the_limit() -> None:
    from corsc.source import TooLarge, read_stream

    class Endless:
        def __init__(self) -> None:
            self.read_total = 0

        def read(self, size: int, /) -> bytes:
            self.read_total += size
            return b"x" * size

    endless = Endless()
    with pytest.raises(TooLarge):
        read_stream(endless, "-", 1000)
    assert endless.read_total == 1001
    assert read_stream(io.BytesIO(b"y" * 1000), "-", 1000) == b"y" * 1000


HOSTILE_NAMES = [
    "a--b.cors",
    "x\n.cors",
    "\udcff.cors",
    "*/.cors",
    '""".cors',
    "#.cors",
    "$.cors",
    ";.cors",
    "{.cors",
    "}.cors",
    "<!--.cors",
    "-->.cors",
    "a-",
    "\x1b[31m.cors",
    "\u202eevil.cors",
    "\\.cors",
    "%0a.cors",
    "x\r\n.cors",
    "\u2028.cors",
]


def every_target_output(directory: Path, name: str) -> list[tuple[str, str]]:
    """What ``corsc compile NAME --target T -o DIR/`` writes, for every target."""
    from corsc import cli
    from corsc.backends import target_names

    path = os.path.join(os.fsencode(directory), os.fsencode(name))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as stream:
        stream.write(SIMPLE.encode())
    outputs = []
    for target in target_names():
        out = directory / f"out-{target}"
        code = cli.main(["compile", os.fsdecode(path), "--target", target, "-o", f"{out}/"])
        assert code == 0, target
        for written in sorted(out.iterdir()):
            outputs.append((target, written.read_bytes().decode("utf-8")))
    return outputs


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=repr)
def test_hostile_file_names_cannot_break_a_provenance_comment(
    capsys, tmp_path: Path, name: str
) -> None:
    from corsc.provenance import header_of, provenance_name

    shown = provenance_name(name)
    assert shown.isprintable() and shown.encode("utf-8")
    assert not {";", '"', "\\", "\n", "\r"} & set(shown) and "--" not in shown
    for target, content in every_target_output(tmp_path, name):
        assert header_of(content) == (shown, target), target
        if target.startswith("iis"):
            ElementTree.fromstring(content.encode("utf-8"))  # still well-formed XML
        elif target == "json":
            json.loads(content)
        elif target == "python":
            tomllib.loads(content)
        elif target in {"starlette", "fastapi", "django", "flask"}:
            ast.parse(content)
        elif target == "express":
            assert content.split("\n", 1)[0].startswith("// ")  # one JavaScript line comment
        else:
            assert all(line.startswith("#") for line in content.splitlines()[:1])


def test_provenance_names_are_escaped_like_diagnostics() -> None:
    from corsc.provenance import provenance_name

    assert provenance_name("dir/a--b.cors") == "a-<U+002D>b.cors"
    assert provenance_name("a---b") == "a-<U+002D>-b"
    assert provenance_name("x\n.cors") == "x<U+000A>.cors"
    assert provenance_name("\udcff.cors") == "<U+DCFF>.cors"
    assert provenance_name('a;b"c\\d') == "a<U+003B>b<U+0022>c<U+005C>d"
    assert provenance_name("api.cors") == "api.cors"
    assert provenance_name("d/é {$}#*<!>.cors") == "é {$}#*<!>.cors"


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=repr)
@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_hostile_file_names_in_every_diagnostic_format(
    capsys, tmp_path: Path, name: str, fmt: str
) -> None:
    from corsc import cli

    path = os.path.join(os.fsencode(tmp_path), os.fsencode(name))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as stream:
        stream.write(b"policy api {\n  origins *\n  credentials true\n}\n")
    shown = os.fsdecode(path)
    for argv in (
        ["check", shown],
        ["compile", shown, "--target", "nginx"],
        ["check", shown + ".missing"],
        ["check", shown + "\udcfe/"],
    ):
        code = cli.main([*argv, "--format", fmt])
        captured = capsys.readouterr()
        assert code in (1, 2), captured.err
        text = captured.out + captured.err
        text.encode("utf-8")  # writable to a strict UTF-8 stream, whatever the name
        assert "internal error" not in text
        if fmt == "text":
            assert not {"\x1b", "\r", "\u202e", "\u2028"} & set(text)
            assert not any(line.startswith(".cors") for line in text.split("\n"))
        else:
            json.loads(captured.out or captured.err)
