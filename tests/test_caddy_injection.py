"""Hostile policy values against the caddy target: method, header and expose names made of
every character RFC 9110 allows in a token (`#`, `|`, `^`, `'`, `.`, `*`, `+`, backquote…)
either are refused with a diagnostic or come out as exactly the intended header values and
matchers once Caddy 2.6 itself has parsed the snippet (`caddy adapt`)."""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from corsc import paths
from corsc.diagnostics import fails
from corsc.frontend import load
from corsc.source import Source
from tests.caddy_launcher import caddy_cli, caddy_or_skip, emit_snippet

CADDY = caddy_or_skip()

TCHAR = "!#$%&'*+-.^_`|~" + "abcXYZ09"
TOKENS = st.text(alphabet=TCHAR, min_size=1, max_size=8).filter(lambda t: t != "*")


def _adapted(snippet: str, home: Path) -> object:
    config = home / "Caddyfile"
    config.write_text(
        "{\n\tadmin off\n\tauto_https off\n}\n"
        f"{snippet}\nhttp://127.0.0.1:1 {{\n\timport corsc-p\n}}\n",
        "utf-8",
    )
    done = caddy_cli(CADDY, "adapt", config, home)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _walk(node: object) -> Iterator[tuple[str, object]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _set_values(document: object, header: str) -> set[str]:
    return {
        value
        for key, values in _walk(document)
        if key == header and isinstance(values, list)
        for value in values
        if isinstance(value, str)
    }


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(method=TOKENS, header=TOKENS, expose=TOKENS)
def test_hostile_names_are_exactly_what_caddy_reads(
    method: str, header: str, expose: str, tmp_path: Path
) -> None:
    text = (
        'policy p {\n  origins "https://a.example.com", "https://b.example.com"\n'
        f'  methods "{method}"\n  headers "{header}"\n  expose "{expose}"\n}}\n'
    )
    loaded = load(Source("t.cors", text))
    assume(loaded.policy_set is not None and not fails(loaded.diagnostics))
    snippet = emit_snippet(text)
    document = _adapted(snippet, tmp_path)
    assert _set_values(document, "Access-Control-Allow-Methods") == {method}
    assert _set_values(document, "Access-Control-Allow-Headers") == {header}
    assert _set_values(document, "Access-Control-Expose-Headers") == {expose}
    patterns = {
        value.get("pattern")
        for key, value in _walk(document)
        if key == "{http.request.header.Access-Control-Request-Method}" and isinstance(value, dict)
    }
    assert len(patterns) == 1
    (pattern,) = patterns
    assert isinstance(pattern, str)
    compiled = re.compile(pattern.replace("\\z", "\\Z"))
    assert compiled.fullmatch(method) and compiled.fullmatch("GET")
    assert not compiled.fullmatch(method + "x") and not compiled.fullmatch("x" + method)
    # vars_regexp first tests the unset variable its placeholder names, which reads "<nil>".
    lists = [
        value["pattern"]
        for key, value in _walk(document)
        if key.startswith("{http.request.header.Access-Control-Request-")
        and isinstance(value, dict)
    ]
    assert lists and not any(re.search(p.replace("\\z", "\\Z"), "<nil>") for p in lists)


#: Printable path characters, with the ones that mean something to a Caddyfile (braces,
#: quotes, backslashes, `#`) or to RE2, escapes and characters beyond ASCII.
PATH_CHARS = st.sampled_from([*"az09-._~!$&'()*+,;=:@{}\"\\#|^[]%é", "%2F", "%41", "%C3%A9"])
PREFIXES = st.lists(PATH_CHARS, min_size=1, max_size=8).map(lambda parts: "/" + "".join(parts))


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(prefix=PREFIXES)
def test_hostile_path_prefixes_are_only_regexes_caddy_reads(prefix: str, tmp_path: Path) -> None:
    escaped = prefix.replace("\\", "\\\\").replace('"', '\\"')
    text = (
        f'policy a {{\n  paths "{escaped}"\n  origins "https://a.example.com"\n}}\n'
        'policy b {\n  origins "https://b.example.com"\n}\n'
    )
    loaded = load(Source("t.cors", text))
    assume(loaded.policy_set is not None and not fails(loaded.diagnostics))
    decoded = paths.decoded_path(prefix).rstrip("/") or "/"
    assume(decoded != "/")  # "/" governs every path: no prefix to match
    snippet = emit_snippet(text)
    document = _adapted(snippet.replace("\n(corsc)", "\n(corsc-p)", 1), tmp_path)
    patterns = [
        value["pattern"]
        for key, value in _walk(document)
        if key in ("path_regexp", "{http.request.uri.path}", "{http.request.uri}")
        and isinstance(value, dict)
        and isinstance(value.get("pattern"), str)
    ]
    assert len(patterns) == 4, patterns
    path_regexp, unmerged, merged, raw = (re.compile(p.replace("\\z", "\\Z")) for p in patterns)
    # vars_regexp also tests the unset variable its placeholder names, which reads "<nil>".
    assert not any(compiled.match("<nil>") for compiled in (unmerged, merged, raw))
    for compiled in (path_regexp, unmerged, merged):
        assert compiled.match(decoded) and compiled.match(decoded + "/x")
        assert not compiled.match(decoded + "x") and not compiled.match("/x" + decoded)
    # The prefix as a client sends it: a stray `%` escaped, every other character that a
    # request target cannot hold as itself escaped, the policy's own escapes kept.
    request = urllib.parse.quote(
        re.sub("%(?![0-9A-Fa-f]{2})", "%25", prefix), safe="/%!$&'()*+,;=:@"
    )
    assert raw.match(request + "?q") and raw.match(request + "/x")
    assert not raw.match(request + "x")
