"""Hostile policy values against the apache target: method, header and expose names made of
every character RFC 9110 allows in a token (`'`, `#`, `%`, `$`, `|`, backquote…), path
prefixes with quotes, escapes, `${`, backslashes and non-ASCII, and regexes and ``--set``
values with Apache's own metacharacters either are refused with a diagnostic or pass
``apache2 -t`` and are served by a real Apache exactly as the evaluator answers: same status,
same header values, nothing added (or, for a path, as the declared deviations say)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings

from corsc.diagnostics import fails
from corsc.evaluate import Evaluator, Request
from corsc.frontend import load
from corsc.source import Source
from tests.conformance_apache import Compiled, compile_or_refuse, judged, require_apache, serving
from tests.conformance_nginx import send
from tests.conformance_runner import DEVIATES, PASS
from tests.hostile_policies import (
    HOSTILE_REGEXES,
    PATH_TEXT,
    SET_OVERRIDES,
    SET_POLICY,
    SET_REQUESTS,
    TOKENS,
    names_policy,
    path_prefix_policy,
    preflight,
    regex_policy,
)
from tests.python_harness import cors_part


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


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(method=TOKENS, header=TOKENS, expose=TOKENS)
def test_hostile_names_are_sent_exactly_as_written(method: str, header: str, expose: str) -> None:
    require_apache()
    text, requests = names_policy(method, header, expose)
    loaded = load(Source("t.cors", text))
    assume(loaded.policy_set is not None and not fails(loaded.diagnostics))
    _served_as_the_evaluator_answers(text, requests)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(method=TOKENS, header=TOKENS)
def test_hostile_requests_are_reflected_only_as_tokens(method: str, header: str) -> None:
    """`methods *` and `headers *` reflect what a request asks; whatever it holds, the answer
    is the evaluator's (a value that is no token list is refused)."""
    require_apache()
    text = 'policy p {\n  origins "https://a.example.com"\n  methods *\n  headers *\n}\n'
    _served_as_the_evaluator_answers(
        text,
        [
            preflight("/x", method, header),
            preflight("/x", method, f"{header}, ,{header}x ,"),
            preflight("/x", f"{method} x", header),
            preflight("/x", method, f'{header} "x"'),
        ],
    )


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prefix=PATH_TEXT)
def test_hostile_path_prefixes_choose_exactly_their_policy(prefix: str) -> None:
    require_apache()
    text, requests = path_prefix_policy(prefix)
    loaded = load(Source("t.cors", text))
    assume(loaded.policy_set is not None and not fails(loaded.diagnostics))
    compiled = compile_or_refuse("t", text)
    if not isinstance(compiled, Compiled):
        assert {item.code for item in compiled} <= {"CORS601"}, compiled
        return
    _served_as_the_evaluator_answers(text, requests, paths=True)


@pytest.mark.parametrize("pattern", HOSTILE_REGEXES)
def test_hostile_regexes_admit_exactly_what_they_say(pattern: str) -> None:
    require_apache()
    text, requests = regex_policy(pattern)
    loaded = load(Source("t.cors", text))
    assert loaded.policy_set is not None and not fails(loaded.diagnostics), loaded.diagnostics
    _served_as_the_evaluator_answers(text, requests)


def test_hostile_set_values_are_served_as_the_evaluator_answers() -> None:
    require_apache()
    loaded = load(Source("t.cors", SET_POLICY), SET_OVERRIDES)
    assert loaded.policy_set is not None and not fails(loaded.diagnostics), loaded.diagnostics
    _served_as_the_evaluator_answers(SET_POLICY, SET_REQUESTS, SET_OVERRIDES)
