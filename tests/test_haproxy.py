"""The haproxy target: its goldens pass ``haproxy -c``, its options and values HAProxy could
misread are refused with 67x diagnostics, and long lists go into pattern files that HAProxy
loads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from corsc import __version__
from corsc.backends import EmitOptions, get
from corsc.backends import haproxy_text as t
from corsc.diagnostics import Diagnostic
from corsc.frontend import load
from corsc.source import Source
from tests.conformance_haproxy import require_haproxy
from tests.goldens import GOLDEN
from tests.haproxy_launcher import BASE, Haproxy, free_ports

GOLDENS = sorted((GOLDEN / "haproxy").glob("*.cfg"))


def compiled(text: str, **options: str) -> tuple[list[Diagnostic], dict[str, str]]:
    """The diagnostics of ``text`` for haproxy, and its files when none is an error."""
    loaded = load(Source("t.cors", text))
    assert loaded.policy_set is not None, loaded.diagnostics
    backend = get("haproxy")
    emit_options = EmitOptions(__version__, "t.cors", "haproxy", options)
    found = [*loaded.diagnostics, *backend.check(loaded.policy_set, emit_options)]
    if any(item.severity.value == "error" for item in found):
        return found, {}
    files = backend.emit(loaded.policy_set, emit_options)
    return found, {item.name: item.content for item in files}


def codes(found: list[Diagnostic]) -> set[str]:
    return {item.code for item in found}


def checked(directory: Path, section: str, defaults: str = "corsc") -> Haproxy:
    """HAProxy configured with the user's part, ``section`` and a frontend using it."""
    server = Haproxy(directory)
    (port,) = free_ports(1)
    front = (
        f"frontend www from {defaults}\n    bind 127.0.0.1:{port}\n"
        "    timeout client 10s\n    default_backend app\n"
    )
    server.configure([("base.cfg", BASE), ("corsc.cfg", section), ("www.cfg", front)])
    return server


@pytest.mark.parametrize("golden", GOLDENS, ids=[path.name for path in GOLDENS])
def test_haproxy_accepts_every_golden_without_a_warning(golden: Path, tmp_path: Path) -> None:
    require_haproxy()
    result = checked(tmp_path, golden.read_text("utf-8")).check()
    assert result.returncode == 0, result.stderr
    assert "[WARNING]" not in result.stderr and "[ALERT]" not in result.stderr, result.stderr


def test_the_goldens_cover_every_example() -> None:
    assert len(GOLDENS) == len(list((GOLDEN.parent.parent / "examples").glob("*.cors")))


POLICY = 'policy p {\n  origins "https://a.example.com", "https://b.example.com"\n}\n'


@pytest.mark.parametrize(
    ("option", "value", "code"),
    [
        ("prefix", "Corsc", "CORS670"),
        ("prefix", "a-b", "CORS670"),
        ("from", "my defaults", "CORS671"),
        ("from", "x'y", "CORS671"),
        ("pattern-dir", "/etc/ha proxy", "CORS672"),
        ("pattern-dir", "/etc/'x", "CORS672"),
        ("pattern-dir", "", "CORS672"),
    ],
)
def test_options_haproxy_would_misread_are_refused(option: str, value: str, code: str) -> None:
    found, files = compiled(POLICY, **{option: value})
    assert code in codes(found) and files == {}


def test_options_name_the_section_its_parent_and_the_pattern_files(tmp_path: Path) -> None:
    origins = ", ".join(f'"https://o{n}.example.com"' for n in range(40))
    subdomains = ", ".join(f'"https://*.s{n}.example.net"' for n in range(40))
    text = f"policy p {{\n  origins {origins}, {subdomains}\n}}\n"
    _, files = compiled(text, prefix="edge", **{"from": "base", "pattern-dir": str(tmp_path)})
    assert sorted(files) == ["edge-p-t1-exact.lst", "edge-p-t1-https.lst", "edge.cfg"]
    assert files["edge-p-t1-exact.lst"].splitlines()[0] == "https://o0.example.com"
    assert sorted(files["edge-p-t1-https.lst"].splitlines()) == sorted(
        f".s{n}.example.net" for n in range(40)
    )
    section = files["edge.cfg"]
    assert "\ndefaults edge from base\n" in section
    assert f"-f '{tmp_path}/edge-p-t1-exact.lst'" in section
    assert not re.search(r"txn\.corsc_", section)
    require_haproxy()
    for name, content in files.items():
        (tmp_path / name).write_text(content, "utf-8")
    result = checked(tmp_path, section, "edge").check()
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("prefix", ["/a%0Ab", "/caf%E9", "/x\ufffd"])
def test_a_path_prefix_haproxy_cannot_compare_cannot_be_expressed(prefix: str) -> None:
    text = f'policy p {{\n  paths "{prefix}"\n  origins "https://a.example.com"\n}}\n'
    found, files = compiled(text)
    assert "CORS601" in codes(found) and files == {}


def test_a_regex_longer_than_a_pattern_line_is_refused() -> None:
    body = "|".join(f"a{n}" for n in range(4000))
    text = f'policy p {{\n  origins regex "^https://({body})\\.example\\.com$"\n}}\n'
    found, files = compiled(text)
    assert "CORS673" in codes(found) and files == {}


def test_headers_larger_than_the_rewrite_space_are_a_warning() -> None:
    names = ", ".join(f"X-Header-Number-{n}" for n in range(80))
    found, files = compiled(
        f'policy p {{\n  origins "https://a.example.com"\n  headers {names}\n}}\n'
    )
    assert "CORS674" in codes(found) and files


def test_hide_removes_the_upstream_headers_first() -> None:
    _, files = compiled(POLICY, upstream="hide")
    lines = files["corsc.cfg"].splitlines()
    deleted = [
        n for n, line in enumerate(lines) if "del-header Access-Control-Allow-Origin" in line
    ]
    set_at = [n for n, line in enumerate(lines) if "set-header Access-Control-Allow-Origin" in line]
    assert deleted and set_at and deleted[0] < set_at[0]
    _, kept = compiled(POLICY)
    assert "del-header" not in kept["corsc.cfg"]


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("plain", "'plain'"),
        ("it's", "'it'\\''s'"),
        ("a#b $HOME \\x", "'a#b $HOME \\x'"),
    ],
)
def test_words_are_single_quoted(value: str, written: str) -> None:
    assert t.word(value) == written


def test_header_values_escape_the_log_format_percent() -> None:
    assert t.fixed("100%[x]") == "'100%%[x]'"


@pytest.mark.parametrize("value", ["a\nb", "a\rb", "caf\u00e9", "\x00"])
def test_no_word_holds_a_line_break_or_non_ascii(value: str) -> None:
    with pytest.raises(t.Unwritable):
        t.word(value)


@pytest.mark.parametrize("pattern", ["", " lead", "#comment", "a\nb", "x" * (t.MAX_PATTERN + 1)])
def test_no_pattern_line_is_read_otherwise(pattern: str) -> None:
    with pytest.raises(t.Unwritable):
        t.pattern_file([pattern])


def _question(methods: tuple[str, ...] | None, headers: tuple[str, ...] | None) -> re.Pattern:
    return re.compile(t.question_regex(methods, headers).replace("\\z", "\\Z"))


def test_the_question_regex_reads_header_lists_as_the_evaluator_does() -> None:
    granted = _question(("PUT",), ("Content-Type", "X-A.b"))
    for accepted in ("content-type", " Content-Type , x-a.b ", "x-a.b,,", ", ,", ""):
        assert granted.match("PUT:" + accepted), accepted
    for refused in ("x-other", "content-type x-a.b", "x-aXb", "content-typex", "a:b"):
        assert not granted.match("PUT:" + refused), refused
    anything = _question(("PUT",), None)
    assert anything.match("PUT:a, b,c") and not anything.match("PUT:a b")
    assert not anything.match("PUT:a;b") and not anything.match("PUT:a:b")
    nothing = _question(("PUT",), ())
    assert nothing.match("PUT: , ") and not nothing.match("PUT:a")


def test_the_question_regex_takes_each_granted_name_whole() -> None:
    # Its quantifiers are possessive: a name that is a prefix of another must not hide it.
    for granted in (("X-A", "X-AB"), ("X-AB", "X-A")):
        regex = _question(("PUT",), granted)
        for accepted in ("x-a", "x-ab", "x-ab, x-a", "x-a,x-ab,,"):
            assert regex.match("PUT:" + accepted), (granted, accepted)
        for refused in ("x-abc", "x-", "x-a x-ab", "x-ax-ab"):
            assert not regex.match("PUT:" + refused), (granted, refused)


def test_the_question_regex_takes_only_the_methods_granted_as_written() -> None:
    listed = _question(("GET", "PUT"), ())
    assert listed.match("GET:") and listed.match("PUT:")
    # Methods are case-sensitive; a colon in the asked method cannot shift the split.
    for refused in ("put:", "PATCH:", "PUT :", "PUT:x:", "GET:PUT:", ":", "GETPUT:"):
        assert not listed.match(refused), refused
    token = _question(None, ())
    assert token.match("PATCH:") and token.match("X-Y~1:")
    for refused in (":", "A B:", "A(B):", "A:B:"):
        assert not token.match(refused), refused
