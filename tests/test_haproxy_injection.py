"""Hostile policy values against the haproxy target: method, header and expose names made of
every character RFC 9110 allows in a token (`'`, `#`, `%`, `$`, `|`, backquote…), path
prefixes with quotes, escapes and non-ASCII, and regexes and ``--set`` values with HAProxy's
own metacharacters either are refused with a diagnostic or are served by a real HAProxy 2.6
exactly as the evaluator answers: same status, same header values, nothing added."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings

from corsc.diagnostics import fails
from corsc.evaluate import Evaluator, Request
from corsc.frontend import load
from corsc.source import Source
from tests.conformance_haproxy import Compiled, compile_or_refuse, require_haproxy, serving
from tests.conformance_nginx import send
from tests.hostile_policies import (
    HOSTILE_REGEXES,
    PATH_TEXT,
    SET_OVERRIDES,
    SET_POLICY,
    SET_REQUESTS,
    TOKENS,
    names_policy,
    path_prefix_policy,
    regex_policy,
)
from tests.python_harness import cors_part, expected_part, same_part


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


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(method=TOKENS, header=TOKENS, expose=TOKENS)
def test_hostile_names_are_sent_exactly_as_written(method: str, header: str, expose: str) -> None:
    require_haproxy()
    text, requests = names_policy(method, header, expose)
    loaded = load(Source("t.cors", text))
    assume(loaded.policy_set is not None and not fails(loaded.diagnostics))
    _served_as_the_evaluator_answers(text, requests)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prefix=PATH_TEXT)
def test_hostile_path_prefixes_choose_exactly_their_policy(prefix: str) -> None:
    require_haproxy()
    text, requests = path_prefix_policy(prefix)
    loaded = load(Source("t.cors", text))
    assume(loaded.policy_set is not None and not fails(loaded.diagnostics))
    compiled = compile_or_refuse("t", text, Path("/nonexistent"))
    if not isinstance(compiled, Compiled):
        assert {item.code for item in compiled} == {"CORS601"}, compiled
        return
    _served_as_the_evaluator_answers(text, requests)


@pytest.mark.parametrize("pattern", HOSTILE_REGEXES)
def test_hostile_regexes_admit_exactly_what_they_say(pattern: str) -> None:
    require_haproxy()
    text, requests = regex_policy(pattern)
    loaded = load(Source("t.cors", text))
    assert loaded.policy_set is not None and not fails(loaded.diagnostics), loaded.diagnostics
    _served_as_the_evaluator_answers(text, requests)


def test_hostile_set_values_are_served_as_the_evaluator_answers() -> None:
    require_haproxy()
    loaded = load(Source("t.cors", SET_POLICY), SET_OVERRIDES)
    assert loaded.policy_set is not None and not fails(loaded.diagnostics), loaded.diagnostics
    _served_as_the_evaluator_answers(SET_POLICY, SET_REQUESTS, SET_OVERRIDES)


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
