"""Reading and compiling for the nginx target's tests, without nginx.

Outputs are read back with :func:`read_config`, a reader of nginx's configuration syntax as
``ngx_conf_read_token`` reads it (quotes, the backslash escapes it rewrites, comments, blocks),
so the tests see the directives nginx would see (tests/test_nginx_live.py checks that nginx
itself agrees: ``nginx -t``, and strings read back byte for byte). :func:`check_structure`
states the rules docs/nginx.md gives for every output.
"""

from __future__ import annotations

import re
from pathlib import Path

from attrs import frozen

from corsc import __version__, http, provenance
from corsc.backends import EmitOptions, OutputFile, check, get, validate_options
from corsc.diagnostics import Diagnostic, fails
from corsc.frontend import load
from corsc.ir import PolicySet
from corsc.source import Source

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.cors"))
BACKEND = get("nginx")
VARIANTS = ("maps", "a2")
CORS_HEADERS = {name.lower() for name in http.RESPONSE_HEADERS} | {"vary"}
BUILTIN = re.compile(r"\$(?:http_[a-z_]+|request_method)\b")


# ---- reading nginx configuration -------------------------------------------------------------


@frozen
class Directive:
    """One directive: its words as nginx reads them, and its block (``None`` without one)."""

    words: tuple[str, ...]
    block: tuple[Directive, ...] | None = None

    @property
    def name(self) -> str:
        return self.words[0]


def read_config(text: str) -> list[Directive]:
    """Parse nginx configuration text; raises ``ValueError`` where nginx would refuse it."""
    found = tokens(text)
    directives, rest = _directives(found, 0)
    if rest != len(found):
        raise ValueError("unbalanced `}`")
    return directives


def tokens(text: str) -> list[tuple[str, str]]:
    """(kind, value): ``word`` (quotes removed, escapes applied), ``;``, ``{``, ``}``."""
    found: list[tuple[str, str]] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char in " \t\r\n":
            index += 1
        elif char == "#":
            end = text.find("\n", index)
            index = len(text) if end == -1 else end
        elif char in ";{}":
            found.append((char, char))
            index += 1
        elif char in "\"'":
            value, index = _quoted(text, index)
            found.append(("word", value))
        else:
            end = index
            while end < len(text) and text[end] not in " \t\r\n;{}\"'":
                end += 1
            if text[end : end + 1] in ("'", '"'):
                raise ValueError(f"a quote inside a word at {end}")
            found.append(("word", text[index:end]))
            index = end
    return found


def _quoted(text: str, start: int) -> tuple[str, int]:
    quote = text[start]
    out = []
    index = start + 1
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            following = text[index + 1]
            escapes = {"t": "\t", "r": "\r", "n": "\n", '"': '"', "'": "'", "\\": "\\"}
            if following in escapes:
                out.append(escapes[following])
                index += 2
                continue
        if char == quote:
            after = text[index + 1 : index + 2]
            if after and after not in " \t\r\n;{)":
                raise ValueError(f"unexpected {after!r} after a quoted string")
            return "".join(out), index + 1
        out.append(char)
        index += 1
    raise ValueError("unterminated string")


def _directives(stream: list[tuple[str, str]], index: int) -> tuple[list[Directive], int]:
    directives = []
    words: list[str] = []
    while index < len(stream):
        kind, value = stream[index]
        if kind == "word":
            words.append(value)
            index += 1
        elif kind == ";":
            if not words:
                raise ValueError("empty directive")
            directives.append(Directive(tuple(words)))
            words = []
            index += 1
        elif kind == "{":
            block, index = _directives(stream, index + 1)
            if index >= len(stream) or stream[index][0] != "}":
                raise ValueError("unclosed block")
            directives.append(Directive(tuple(words), tuple(block)))
            words = []
            index += 1
        else:
            break
    if words:
        raise ValueError(f"directive without `;`: {words}")
    return directives, index


# ---- compiling --------------------------------------------------------------------------------


def compile_text(
    text: str, *raw: str, source: str = "test.cors"
) -> tuple[PolicySet, list[Diagnostic], list[OutputFile]]:
    """Load, check (the capability table's diagnostics and the backend's own, as the CLI
    does) and, when nothing fails, emit; options as ``KEY=VALUE``."""
    loaded = load(Source(source, text))
    assert loaded.policy_set is not None, loaded.diagnostics
    values, problems = validate_options(BACKEND, raw)
    assert not problems, problems
    options = EmitOptions(__version__, source, "nginx", values)
    diagnostics = list(loaded.diagnostics)
    if not fails(diagnostics):
        diagnostics += check(BACKEND, loaded.policy_set, options)
    files = [] if fails(diagnostics) else BACKEND.emit(loaded.policy_set, options)
    return loaded.policy_set, diagnostics, files


def example_text(example: Path) -> str:
    return example.read_text("utf-8")


# ---- the rules of every output ------------------------------------------------------------


def check_structure(files: list[OutputFile], policy_set: PolicySet, prefix: str = "corsc") -> None:
    """The emission rules, for every file of one compilation."""
    by_name = {item.name: item for item in files}
    defined: set[str] = set()
    for policy in policy_set.policies:
        stem = f"{prefix}-{policy.name}"
        first = by_name.get(f"{stem}.http.conf") or by_name[f"{stem}.server.conf"]
        snippet = by_name[f"{stem}.conf"]
        for item in (first, snippet):
            lines = item.content.splitlines()
            assert lines[0].startswith("# corsc ") and provenance.NOTICE in lines[0]
        namespace = f"${prefix}_{policy.name}_"
        for directive in read_config(first.content):
            if first.name.endswith(".http.conf"):
                # Only maps at http level, each defining one namespaced variable.
                assert directive.name == "map" and directive.block is not None
                assert directive.words[2].startswith(namespace)
                defined.add(directive.words[2])
            elif directive.name == "set":
                assert directive.words[1].startswith(namespace)
                defined.add(directive.words[1])
            else:  # A2: server-level `if`s that set one variable, nothing else
                assert directive.name == "if" and directive.block is not None
                assert [d.name for d in directive.block] == ["set"]
                assert directive.block[0].words[1].startswith(namespace)
        for directive in read_config(snippet.content):
            if directive.name == "if":
                # The only `if`s wrap a `return`: safe in a location (if is evil).
                assert directive.block is not None
                assert [d.name for d in directive.block] == ["return"]
            elif directive.name == "add_header":
                assert len(directive.words) == 4 and directive.words[3] == "always"
                assert directive.words[1].lower() in CORS_HEADERS
            else:
                assert directive.name.endswith("_hide_header"), directive
        words = [
            w for item in (first, snippet) for d in walk(read_config(item.content)) for w in d.words
        ]
        used = {v for word in words for v in re.findall(r"\$[a-z0-9_]+", word)}
        assert {v for v in used if not BUILTIN.fullmatch(v)} <= defined


def assigned(files: list[OutputFile], variable: str) -> set[str]:
    """The non-empty values a variable is given, by a map or by ``set``."""
    values = set()
    for item in files:
        for directive in walk(read_config(item.content)):
            if directive.name == "map" and directive.words[2] == variable:
                values |= {d.words[1] for d in directive.block or () if d.name != "default"}
            elif directive.name == "set" and directive.words[1] == variable:
                values.add(directive.words[2])
    return values - {""}


def walk(directives: list[Directive] | tuple[Directive, ...]) -> list[Directive]:
    found = []
    for directive in directives:
        found.append(directive)
        found += walk(directive.block or ())
    return found
