"""Tests for corsc.runtime.reader: the compiled TOML reads back with the same meaning, and a file
the runtime cannot use is refused when the middleware is built, with a message naming the file,
the key and the fix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from python_harness import (
    asgi_app,
    wsgi_app,
)
from runtime_support import (
    EXAMPLES,
    compile_toml,
    from_text,
    meaning,
    runtime_set,
)

from corsc import runtime
from corsc.runtime import ASGIMiddleware, PolicyFileError, WSGIMiddleware

# ---- the compiled file round-trips -------------------------------------------------------


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.name)
def test_every_example_reads_back_with_the_same_meaning(example: Path) -> None:
    policy_set = from_text(example.read_text("utf-8"), example.name)
    assert meaning(runtime_set(policy_set)) == meaning(policy_set)


def test_load_reads_a_file_and_names_it_in_spans(tmp_path: Path) -> None:
    path = tmp_path / "cors.toml"
    path.write_text(compile_toml(from_text('policy p { origins "https://a.example" }')), "utf-8")
    policy_set = runtime.load(path)
    assert policy_set.file == str(path)
    assert policy_set.policies[0].entries[0].pattern.canonical == "https://a.example"


def test_regex_and_wildcard_patterns_read_back() -> None:
    policy_set = from_text(
        'policy p {\n origins "https://*.example.com:*", "http://localhost:*", "null",'
        ' regex "^https://pr-[0-9]+\\.example\\.org$"\n'
        ' deny "https://bad.example.com"\n}'
    )
    assert meaning(runtime_set(policy_set)) == meaning(policy_set)


# ---- start-up failures ---------------------------------------------------------------------

VALID = compile_toml(from_text('policy p { origins "https://a.example"; methods PUT }'))


def edited(old: str, new: str) -> str:
    assert old in VALID
    return VALID.replace(old, new, 1)


BROKEN = {
    "not TOML": ("format = 1\n[[policy]\n", "not valid TOML"),
    "empty": ("", "no `format` key"),
    "another tool's TOML": ('[tool.poetry]\nname = "x"\n', "no `format` key"),
    "a newer format": (edited("format = 1", "format = 2"), "format 2 is not supported"),
    "format as a string": (edited("format = 1", 'format = "1"'), "format '1' is not supported"),
    "format as a boolean": (edited("format = 1", "format = true"), "format True is not supported"),
    "no policies": ("format = 1\n", "missing key(s) policy"),
    "unknown top-level key": (VALID + "\nextra = 1\n", "unknown key(s) extra"),
    "unknown policy key": (edited('name = "p"', 'name = "p"\norigin-list = []'), "origin-list"),
    "missing policy key": (edited("credentials = false\n", ""), "missing key(s) credentials"),
    "bad policy name": (edited('name = "p"', 'name = "P Q"'), "expected a name"),
    "non-canonical origin": (
        edited('"https://a.example"', '"HTTPS://A.example"'),
        "'HTTPS://A.example' is not an origin pattern in canonical form",
    ),
    "an origin with a path": (
        edited('"https://a.example"', '"https://a.example/x"'),
        "not an origin pattern",
    ),
    "a regex that does not compile": (
        edited('"https://a.example"', '"regex:https://(a"'),
        "is not a regex corsc accepts",
    ),
    "a header injection in a method": (
        edited('"PUT"', '"PUT\\r\\nSet-Cookie: a=b"'),
        "is not a method or header name",
    ),
    "methods as a number": (edited('methods = [\n    "PUT",\n]', "methods = 3"), "list of strings"),
    "credentials as a string": (
        edited("credentials = false", 'credentials = "no"'),
        "expected true or false",
    ),
    "negative max-age": (
        edited("private-network = false", "max-age = -1\nprivate-network = false"),
        "whole number",
    ),
    "unknown unlisted mode": (
        edited('unlisted = "pass"', 'unlisted = "drop"'),
        '"pass" or "reject"',
    ),
    "preflight status 302": (
        edited("preflight-status = 204", "preflight-status = 302"),
        "200 or 204",
    ),
    "a static origin not among the origins": (
        edited('static-origin = "https://a.example"', 'static-origin = "https://b.example"'),
        "`static-origin`",
    ),
    "a path that is not normalised": (edited("paths = []", 'paths = ["/api/"]'), "normalised"),
    "a wildcard origin block": (
        VALID + '\n[[policy.origin]]\norigin = "*"\nmethods = []\nheaders = []\nexpose = []\n'
        "credentials = false\nprivate-network = false\n",
        "cannot be `*`",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
@pytest.mark.parametrize("middleware", [ASGIMiddleware, WSGIMiddleware])
def test_a_broken_file_fails_when_the_middleware_is_built(
    case: str, middleware: Any, tmp_path: Path
) -> None:
    text, message = BROKEN[case]
    path = tmp_path / "cors.toml"
    path.write_text(text, "utf-8")
    with pytest.raises(PolicyFileError) as raised:
        middleware(asgi_app, str(path))
    assert str(raised.value).startswith(f"{path}: ")
    assert message in str(raised.value)
    assert "corsc compile" in str(raised.value)


def test_a_missing_or_binary_file_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(PolicyFileError, match=r"nope\.toml: cannot read the CORS policy file"):
        ASGIMiddleware(asgi_app, tmp_path / "nope.toml")
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"format = 1\n\xff\xfe")
    with pytest.raises(PolicyFileError, match="not UTF-8"):
        WSGIMiddleware(wsgi_app, binary)


def test_the_valid_file_used_above_loads() -> None:
    assert runtime.loads(VALID).policies[0].name == "p"
