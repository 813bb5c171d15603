"""Hostile policy values against the haproxy target: method, header and expose names made of
every character RFC 9110 allows in a token (`'`, `#`, `%`, `$`, `|`, backquote…), path
prefixes with quotes, escapes and non-ASCII, and regexes and ``--set`` values with HAProxy's
own metacharacters either are refused with a diagnostic or are served by a real HAProxy 2.6
exactly as the evaluator answers: same status, same header values, nothing added."""

from __future__ import annotations

import tempfile
import urllib.parse
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from corsc.diagnostics import fails
from corsc.evaluate import Evaluator, Request
from corsc.frontend import load
from corsc.source import Source
from tests.conformance_haproxy import Compiled, compile_or_refuse, require_haproxy, serving
from tests.conformance_nginx import send
from tests.python_harness import cors_part, expected_part, same_part

TCHAR = "!#$%&'*+-.^_`|~" + "abXY09"
TOKENS = st.text(alphabet=TCHAR, min_size=1, max_size=8).filter(lambda t: t != "*")
#: Characters a path prefix may hold that mean something to HAProxy, a shell or a URL.
PATH_TEXT = st.text(alphabet="ab'\"$%{}()!*+,;=@:~-._\\é/", min_size=1, max_size=10)


def _quoted(value: str) -> str:
    """A string of the policy language."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _served_as_the_evaluator_answers(
    text: str, requests: list[Request], overrides: tuple[str, ...] = ()
) -> None:
    """Compile ``text`` (it must compile), serve it in HAProxy and compare every answer."""
    loaded = load(Source("t.cors", text), overrides)
    assert loaded.policy_set is not None
    evaluator = Evaluator(loaded.policy_set)
    with tempfile.TemporaryDirectory() as temporary:
        directory = Path(temporary)
        compiled = compile_or_refuse("t", text, directory, overrides=overrides)
        assert isinstance(compiled, Compiled), compiled
        with serving([compiled], directory) as (port,):
            for request in requests:
                got = cors_part(send(port, request))
                want = expected_part(evaluator.respond(request))
                assert same_part(got, want), (request, got, want)


def _preflight(origin: str, path: str, method: str, headers: str) -> Request:
    return Request(
        "OPTIONS",
        path,
        (
            ("Origin", origin),
            ("Access-Control-Request-Method", method),
            ("Access-Control-Request-Headers", headers),
        ),
    )


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(method=TOKENS, header=TOKENS, expose=TOKENS)
def test_hostile_names_are_sent_exactly_as_written(method: str, header: str, expose: str) -> None:
    require_haproxy()
    text = (
        'policy p {\n  origins "https://a.example.com", "https://b.example.com"\n'
        f"  methods {_quoted(method)}\n  headers {_quoted(header)}\n"
        f"  expose {_quoted(expose)}\n}}\n"
    )
    loaded = load(Source("t.cors", text))
    assume(loaded.policy_set is not None and not fails(loaded.diagnostics))
    origin = "https://a.example.com"
    _served_as_the_evaluator_answers(
        text,
        [
            _preflight(origin, "/x", method, header),
            _preflight(origin, "/x", method + "x", header),
            _preflight(origin, "/x", method, header + "x"),
            Request("GET", "/x", (("Origin", origin),)),
        ],
    )


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prefix=PATH_TEXT)
def test_hostile_path_prefixes_choose_exactly_their_policy(prefix: str) -> None:
    require_haproxy()
    written = "/" + prefix
    text = (
        f'policy p {{\n  paths {_quoted(written)}\n  origins "https://p.example.com"\n}}\n'
        'policy f {\n  origins "https://f.example.com"\n}\n'
    )
    loaded = load(Source("t.cors", text))
    assume(loaded.policy_set is not None and not fails(loaded.diagnostics))
    compiled = compile_or_refuse("t", text, Path("/nonexistent"))
    if not isinstance(compiled, Compiled):
        assert {item.code for item in compiled} == {"CORS601"}, compiled
        return
    # As a browser sends it: every character outside the URL's own set percent-encoded.
    sent = urllib.parse.quote(written, safe="/%!$&'()*+,;=:@~-._")
    requests = [
        Request("GET", path, (("Origin", origin),))
        for path in (sent, sent + "/below", sent + "x")
        for origin in ("https://p.example.com", "https://f.example.com")
    ]
    _served_as_the_evaluator_answers(text, requests)


HOSTILE_REGEXES = [
    r"^https://a'b\.example\.com$",
    r"^https://(x|y)#\.example\.com$",
    r"^https://[a-z]{1,3}%\.example\.com$",
    r"^https://a\$b\.example\.com$",
    r"^https://a\\b\.example\.com$",
]


@pytest.mark.parametrize("pattern", HOSTILE_REGEXES)
def test_hostile_regexes_admit_exactly_what_they_say(pattern: str) -> None:
    require_haproxy()
    text = (
        f'let extra = "https://z.example.com"\npolicy p {{\n  origins regex {_quoted(pattern)}, '
        'extra\n  deny regex "^https://x\'#\\\\.example\\\\.com$"\n}\n'
    )
    loaded = load(Source("t.cors", text))
    assert loaded.policy_set is not None and not fails(loaded.diagnostics), loaded.diagnostics
    origins = [
        "https://a'b.example.com",
        "https://x#.example.com",
        "https://y#.example.com",
        "https://ab%.example.com",
        "https://a$b.example.com",
        "https://a\\b.example.com",
        "https://aXb.example.com",
        "https://z.example.com",
    ]
    requests = [Request("GET", "/", (("Origin", origin),)) for origin in origins]
    _served_as_the_evaluator_answers(text, requests)


def test_hostile_set_values_are_served_as_the_evaluator_answers() -> None:
    require_haproxy()
    text = 'let extra = "https://z.example.com"\npolicy p {\n  origins extra\n}\n'
    overrides = ("extra=regex:^https://q'%#\\$\\.example\\.com$,https://w.example.com",)
    loaded = load(Source("t.cors", text), overrides)
    assert loaded.policy_set is not None and not fails(loaded.diagnostics), loaded.diagnostics
    origins = ["https://q'%#$.example.com", "https://w.example.com", "https://z.example.com"]
    requests = [Request("GET", "/", (("Origin", origin),)) for origin in origins]
    _served_as_the_evaluator_answers(text, requests, overrides)


PATHS_POLICY = (
    'policy api {\n  paths "/api"\n  origins "https://a.example.com"\n  credentials true\n}\n'
    "policy public {\n  origins *\n}\n"
)


def test_paths_servers_may_route_elsewhere_are_refused_as_the_evaluator_refuses() -> None:
    require_haproxy()
    targets = [
        "/api/a/../b",
        "/x/../api/y",
        "/api/../x",
        "/a/b/../../api/x",
        "/api%2F..%2Fx",
        "//api/x",
        "/api//x",
        "/api/./x",
        "/./api/x",
        "/api%2fx",
        "/api/x%2Fy",
        "/%2e%2e/api",
        "/api/%",
        "/%/api",
    ]
    requests = [Request("GET", path, (("Origin", "https://a.example.com"),)) for path in targets]
    _served_as_the_evaluator_answers(PATHS_POLICY, requests)


def test_dot_segments_too_deep_to_remove_are_refused() -> None:
    """The declared deviation: four levels of `..` are refused even where every form chooses
    one policy (the evaluator serves this path under the fallback)."""
    require_haproxy()
    with tempfile.TemporaryDirectory() as temporary:
        directory = Path(temporary)
        compiled = compile_or_refuse("t", PATHS_POLICY, directory)
        assert isinstance(compiled, Compiled)
        with serving([compiled], directory) as (port,):
            deep = Request("GET", "/a/b/c/d/../../../../x", (("Origin", "https://a.example.com"),))
            got = cors_part(send(port, deep))
            assert (got.status, got.headers, got.vary) == (400, (), ())
            want = expected_part(Evaluator(compiled.policy_set).respond(deep))
            assert want.status is None
