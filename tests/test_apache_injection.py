"""Hostile policy values against the apache target: method, header and expose names made of
every character RFC 9110 allows in a token (`'`, `#`, `%`, `$`, `|`, backquote…), path
prefixes with quotes, escapes, `${`, backslashes and non-ASCII, and regexes and ``--set``
values with Apache's own metacharacters either are refused with a diagnostic or pass
``apache2 -t`` and are served by a real Apache exactly as the evaluator answers: same status,
same header values, nothing added (or, for a path, as the declared deviations say)."""

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
from tests.conformance_apache import Compiled, compile_or_refuse, judged, require_apache, serving
from tests.conformance_nginx import send
from tests.conformance_runner import DEVIATES, PASS
from tests.python_harness import cors_part

TCHAR = "!#$%&'*+-.^_`|~" + "abXY09"
TOKENS = st.text(alphabet=TCHAR, min_size=1, max_size=8).filter(lambda t: t != "*")
#: Characters a path prefix may hold that mean something to Apache, a shell or a URL.
PATH_TEXT = st.text(alphabet="ab'\"$%{}()!*+,;=@:~-._\\é/#<>", min_size=1, max_size=10)


def _quoted(value: str) -> str:
    """A string of the policy language."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _served_as_the_evaluator_answers(
    text: str, requests: list[Request], overrides: tuple[str, ...] = (), *, paths: bool = False
) -> None:
    """Compile ``text`` (it must compile), serve it in Apache (after ``apache2 -t``) and
    compare every answer; with ``paths``, a declared path deviation is accepted too."""
    loaded = load(Source("t.cors", text), overrides)
    assert loaded.policy_set is not None
    evaluator = Evaluator(loaded.policy_set)
    compiled = compile_or_refuse("t", text, overrides=overrides)
    assert isinstance(compiled, Compiled), compiled
    allowed = (PASS, DEVIATES) if paths else (PASS,)
    with (
        tempfile.TemporaryDirectory() as temporary,
        serving([compiled], Path(temporary)) as (port,),
    ):
        for request in requests:
            outcome = judged(cors_part(send(port, request)), request, evaluator)
            assert outcome.kind in allowed, (request, outcome)


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
    require_apache()
    text = (
        'policy p {\n  origins "https://a.example.com", "https://b.example.com"\n'
        f"  methods {_quoted(method)}\n  headers {_quoted(header)}\n"
        f"  expose {_quoted(expose)}\n  max-age 5\n}}\n"
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
            _preflight(origin, "/x", method, f" {header} ,, {header}"),
            Request("GET", "/x", (("Origin", origin),)),
        ],
    )


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(method=TOKENS, header=TOKENS)
def test_hostile_requests_are_reflected_only_as_tokens(method: str, header: str) -> None:
    """`methods *` and `headers *` reflect what a request asks; whatever it holds, the answer
    is the evaluator's (a value that is no token list is refused)."""
    require_apache()
    text = 'policy p {\n  origins "https://a.example.com"\n  methods *\n  headers *\n}\n'
    origin = "https://a.example.com"
    _served_as_the_evaluator_answers(
        text,
        [
            _preflight(origin, "/x", method, header),
            _preflight(origin, "/x", method, f"{header}, ,{header}x ,"),
            _preflight(origin, "/x", f"{method} x", header),
            _preflight(origin, "/x", method, f'{header} "x"'),
        ],
    )


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prefix=PATH_TEXT)
def test_hostile_path_prefixes_choose_exactly_their_policy(prefix: str) -> None:
    require_apache()
    written = "/" + prefix
    text = (
        f'policy p {{\n  paths {_quoted(written)}\n  origins "https://p.example.com"\n}}\n'
        'policy f {\n  origins "https://f.example.com"\n}\n'
    )
    loaded = load(Source("t.cors", text))
    assume(loaded.policy_set is not None and not fails(loaded.diagnostics))
    compiled = compile_or_refuse("t", text)
    if not isinstance(compiled, Compiled):
        assert {item.code for item in compiled} <= {"CORS601"}, compiled
        return
    # As a browser sends it: every character outside the URL's own set percent-encoded.
    sent = urllib.parse.quote(written, safe="/%!$&'()*+,;=:@~-._")
    requests = [
        Request("GET", path, (("Origin", origin),))
        for path in (sent, sent + "/below", sent + "x")
        for origin in ("https://p.example.com", "https://f.example.com")
    ]
    _served_as_the_evaluator_answers(text, requests, paths=True)


HOSTILE_REGEXES = [
    r"^https://a'b\.example\.com$",
    r"^https://(x|y)#\.example\.com$",
    r"^https://[a-z]{1,3}%\.example\.com$",
    r"^https://a\$b\.example\.com$",
    r"^https://a\\b\.example\.com$",
    r"^https://a\"b\.example\.com$",
    r"^https://a\{b\}\.example\.com$",
    r"^https://a<b>\.example\.com$",
]


@pytest.mark.parametrize("pattern", HOSTILE_REGEXES)
def test_hostile_regexes_admit_exactly_what_they_say(pattern: str) -> None:
    require_apache()
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
        'https://a"b.example.com',
        "https://a{b}.example.com",
        "https://a<b>.example.com",
        "https://aXb.example.com",
        "https://z.example.com",
    ]
    requests = [Request("GET", "/", (("Origin", origin),)) for origin in origins]
    requests += [
        _preflight(origin, "/", "GET", "") for origin in ("https://x#.example.com", origins[0])
    ]
    _served_as_the_evaluator_answers(text, requests)


def test_hostile_set_values_are_served_as_the_evaluator_answers() -> None:
    require_apache()
    text = 'let extra = "https://z.example.com"\npolicy p {\n  origins extra\n}\n'
    overrides = ("extra=regex:^https://q'%#\\$\\{x\\}\\.example\\.com$,https://w.example.com",)
    loaded = load(Source("t.cors", text), overrides)
    assert loaded.policy_set is not None and not fails(loaded.diagnostics), loaded.diagnostics
    origins = ["https://q'%#${x}.example.com", "https://w.example.com", "https://z.example.com"]
    requests = [Request("GET", "/", (("Origin", origin),)) for origin in origins]
    _served_as_the_evaluator_answers(text, requests, overrides)
