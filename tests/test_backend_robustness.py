"""Backends accept every IR the front end produces, errors included: editors run
`corsc check --target T` on half-typed files, and `compile` must answer with diagnostics or
output, never an internal error (exit 70). Driven through the CLI's own entry point,
in-process, for every target."""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mutation import EXAMPLE_TEXTS, Edit, mutated

from corsc import cli
from corsc.backends import backends
from corsc.commands.common import EXIT_BUG, EXIT_POLICY

TARGETS = [backend.names[0] for backend in backends()]

#: Pieces of policy text: statements half typed, values of every kind, odd characters.
PIECES = st.sampled_from(
    [
        *'{}",;=*#\\\n \t/:.-_(',
        *("policy p {", "}", "origins ", "origin ", "deny ", "paths ", "methods ", "headers "),
        *("expose ", "credentials ", "max-age ", "unlisted ", "private-network ", "let x = "),
        *("preflight-status ", "true", "false", "reject", "pass", "204", "10m", "frobnicate "),
        *('"https://a.example"', '"https://*.b.example"', '"http://c.example:*"', '"null"'),
        *('regex "^https://(a\\.example"', 'regex "^https://pr-\\d+\\.example\\.com$"', "*"),
        *('"/café"', '"/api"', '"/x"', "GET", "PUT", "patch", "M1", "FOO.BAR", "X-Custom", "é"),
    ]
)


def run(args: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(args)
    return code, out.getvalue() + err.getvalue()


def assert_answers(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "edit.cors"
        path.write_text(text, "utf-8")
        for target in TARGETS:
            for command in (["check", str(path), "--target", target], ["compile", str(path)]):
                if command[0] == "compile":
                    command += ["--target", target]
                code, shown = run(command)
                assert code != EXIT_BUG, (target, command[0], text, shown)
                assert "internal error" not in shown


#: The half-typed inputs that used to end in an internal error, one per mechanism.
KNOWN = [
    pytest.param("", id="empty-file"),
    pytest.param("policy p {\n  frobnicate x\n}\n", id="unknown-statement-no-origins"),
    pytest.param(
        'policy p {\n  origins "https://a.com", "https://b.com"\n  frobnicate\n}\n',
        id="unknown-statement",
    ),
    pytest.param(
        'policy p {\n  origins regex "^https://(a\\.example\\.com"\n}\n', id="unclosed-group"
    ),
    pytest.param(
        'policy p {\n  origins *\n  deny regex "^https://(a"\n}\n', id="unclosed-group-deny"
    ),
    pytest.param('policy p {\n  origins *\n  headers "/x"\n}\n', id="path-in-headers"),
    pytest.param('policy p {\n  origins *\n  methods "/x", GET\n}\n', id="path-in-methods"),
    pytest.param('policy p {\n  origins *\n  expose "a b"\n}\n', id="space-in-expose"),
    pytest.param('policy p {\n  paths "/café"\n  origins *\n}\n', id="non-ascii-path"),
    pytest.param('policy p {\n  paths "/a b", "/q\\"x"\n  origins *\n}\n', id="odd-paths"),
    pytest.param("policy p {\n  origins\n}\n", id="empty-origins"),
    pytest.param('policy p {\n  origin "https://a.example" {\n}\n', id="unclosed-block"),
]


@pytest.mark.parametrize("text", KNOWN)
def test_half_typed_inputs_get_diagnostics(text: str) -> None:
    assert_answers(text)


def test_empty_file_with_an_iis_target_is_an_ordinary_diagnostic() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "empty.cors"
        path.write_text("", "utf-8")
        for target in ("iis", "iis-headers", "iis-rewrite"):
            code, shown = run(["check", str(path), "--target", target, "--format", "json"])
            report = json.loads(shown)
            assert code == EXIT_POLICY
            assert [item["code"] for item in report["diagnostics"]] == ["CORS517"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(PIECES, max_size=30).map("".join))
def test_random_policy_text_never_crashes_a_backend(text: str) -> None:
    assert_answers(text)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(EXAMPLE_TEXTS),
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 8), PIECES), max_size=4),
)
def test_mutated_examples_never_crash_a_backend(text: str, edits: list[Edit]) -> None:
    assert_answers(mutated(text, edits))
