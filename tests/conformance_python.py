"""The conformance harnesses of the Python targets: corsc's runtime under ASGI and under WSGI,
and the libraries (Starlette, Django, Flask), each run in-process by tests/python_harness.py.

- corsc's runtime must match every case exactly, as the evaluator does (no
  ``Access-Control-*`` header beyond those a case expects, no body on its own answers).
- Each library is judged within its declared capabilities (docs/python.md): for every policy
  of a table it can express — per policy for Starlette and Django, which take one
  configuration — each case a browser could send must get the browser verdict (tests/browser.py)
  the evaluator's answer gets, with the same exposed headers; and every reply's ``Vary`` must
  include the evaluator's members. Cases no browser sends (an uppercase Origin, a non-token
  method, an Origin-less request) are judged on ``Vary`` only. Starlette always grants the four
  safelisted request headers (its declared deviation, info CORS633), so its runs grant them in
  the policy too, where the verdicts are then the evaluator's. Starlette and Django are judged
  with the Python module and with the TOML output alike.
- What a library cannot express is refused: CORS601 from its capability table (CORS631 where a
  condition is finer than a feature), as the listing of expected refusals says.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import cache
from typing import Any

import attrs
from attrs import frozen

from corsc import origins
from corsc import runtime as corsc_runtime
from corsc.backends import EmitOptions, check, get
from corsc.evaluate import Evaluator, Request
from corsc.http import REQUEST_HEADERS, REQUEST_METHOD
from corsc.ir import Grant, Policy, PolicySet, Token
from tests import browser, irbuild, python_harness
from tests.conformance_runner import (
    DEVIATES,
    FAIL,
    OUTSIDE,
    PASS,
    REFUSED,
    Harness,
    Judge,
    Outcome,
    exactly,
    loaded_set,
    response_headers,
)
from tests.conformance_table import ConformanceCase, ConformanceTable
from tests.python_harness import (
    APP_BODY,
    APP_STATUS,
    Reply,
    Server,
    asgi,
    asgi_app,
    lacks_vary,
    wsgi,
    wsgi_app,
)

LIBRARIES = ("starlette", "django", "flask")
ACRPN = "Access-Control-Request-Private-Network"
STARLETTE_SAFELISTED = ("Accept", "Accept-Language", "Content-Language", "Content-Type")


@cache
def table_set(table: ConformanceTable) -> PolicySet:
    """The table's policy set (loaded once per table)."""
    return loaded_set(table)


def compile_for(target: str, policy_set: PolicySet, fmt: str = "") -> tuple[list[Any], str]:
    """(error diagnostics, output text) of ``corsc compile --target target [-O format=fmt]``:
    the capability table's diagnostics, then the backend's own."""
    backend = get(target)
    options = EmitOptions("0.1.0", policy_set.file, target, {"format": fmt} if fmt else {})
    errors = [d for d in check(backend, policy_set, options) if d.severity.value == "error"]
    if errors:
        return errors, ""
    return [], backend.emit(policy_set, options)[0].content


# ---- the evaluator's answer, as a server would send it ---------------------------------------


def evaluator_reply(evaluator: Evaluator, request: Request) -> tuple[Reply, tuple[str, ...]]:
    """The evaluator's answer as a reply (the application's status, headers and body when it
    lets the application answer) and its Vary members."""
    response = evaluator.respond(request)
    headers = response_headers(response)
    if response.status is None:
        return Reply(APP_STATUS, (*browser.APP_HEADERS, *headers), APP_BODY), response.vary
    return Reply(response.status, tuple(headers), b""), response.vary


# ---- corsc's runtime: exact ------------------------------------------------------------------


def runtime_apps(table: ConformanceTable) -> tuple[Any, Any]:
    """The ASGI and the WSGI middleware configured with the table's ``--target python``
    output."""
    options = EmitOptions("0.1.0", f"{table.name}.cors", "python")
    compiled = get("python").emit(table_set(table), options)[0].content
    loaded = corsc_runtime.loads(compiled, f"{table.name}.toml")
    return (
        corsc_runtime.ASGIMiddleware(asgi_app, loaded),
        corsc_runtime.WSGIMiddleware(wsgi_app, loaded),
    )


def runtime_harness(interface: str) -> Harness:
    """corsc's runtime under ``interface`` (``asgi`` or ``wsgi``): exactly the table."""

    @contextlib.contextmanager
    def harness(tables: Sequence[ConformanceTable]) -> Iterator[Judge]:
        apps = {table.name: runtime_apps(table) for table in tables}

        def judge(case: ConformanceCase) -> Outcome:
            asgi_mw, wsgi_mw = apps[case.table]
            request = Request(case.method, case.path, case.headers)
            reply = asgi(asgi_mw, request) if interface == "asgi" else wsgi(wsgi_mw, request)
            status = None if reply.app_answered else reply.status
            outcome = exactly(case, status, reply.headers)
            if outcome.kind == PASS and status is not None and reply.body != b"":
                return Outcome(FAIL, f"a body on the runtime's own answer: {reply.body!r}")
            return outcome

        yield judge

    return harness


# ---- the libraries: what a browser concludes -------------------------------------------------


def browser_origin(origin: str) -> bool:
    """Whether a browser could send this Origin: ``null`` or a canonical serialisation no longer
    than a DNS name allows."""
    if origin == "null":
        return True
    if len(origin) > origins.MAX_ORIGIN_LENGTH:
        return False
    parsed = origins.parse_pattern(origin, irbuild.span())
    return (
        parsed.pattern is not None
        and parsed.pattern.kind.value == "exact"
        and parsed.canonical_text is None
    )


#: A value no safelist admits for any header name (a `"` is CORS-unsafe everywhere).
UNSAFE_VALUE = '"x"'


#: Dot segments as browsers recognise them, percent-encoded dots included (lowercased).
DOT_SEGMENTS = frozenset({".", "..", "%2e", ".%2e", "%2e.", "%2e%2e"})


def has_dot_segments(path: str) -> bool:
    return any(segment.lower() in DOT_SEGMENTS for segment in path.split("?", 1)[0].split("/"))


def browser_path(path: str) -> bool:
    """Whether a browser could send this path: browsers remove dot segments."""
    return not has_dot_segments(path)


def decoded_differently(path: str) -> bool:
    """Whether a framework that matches paths as it decodes them (the declared deviation of the
    `paths` of Django and Flask) may choose another policy for ``path`` than corsc, which
    refuses a path that `%2F` or doubled slashes make ambiguous and removes dot segments:
    flask-cors also decodes a second time (`%25`)."""
    raw = path.split("?", 1)[0]
    lowered = raw.lower()
    return "%2f" in lowered or "%25" in lowered or "//" in raw or has_dot_segments(raw)


def script_for(case: ConformanceCase) -> browser.ScriptRequest | None:
    """The script request a case's request stands for, when a browser would send exactly
    that request; ``None`` otherwise."""
    if case.origin is None or not browser_origin(case.origin) or not browser_path(case.path):
        return None
    headers = dict((name.lower(), value) for name, value in case.request_headers)
    requested = headers.get(REQUEST_METHOD.lower())
    try:
        if case.method == "OPTIONS" and requested is not None:
            names = [n for n in headers.get(REQUEST_HEADERS.lower(), "").split(",") if n]
            script = browser.script_request(
                requested,
                case.path,
                origin=case.origin,
                headers=[(name, UNSAFE_VALUE) for name in names],
                credentials=case.credentials,  # type: ignore[arg-type]
                private_network=headers.get(ACRPN.lower()) == "true",
            )
            sent = browser.preflight_request(script)
            wire = {n.lower(): v for n, v in sent.headers if n.lower() != "accept"}
            return script if wire == {"origin": case.origin, **headers} else None
        script = browser.script_request(
            case.method,
            case.path,
            origin=case.origin,
            headers=case.request_headers,
            credentials=case.credentials,  # type: ignore[arg-type]
        )
    except TypeError:
        return None
    if script.method != case.method or len(script.headers) != len(case.request_headers):
        return None
    return script


def exposable(script: browser.ScriptRequest, reply: Reply) -> frozenset[str]:
    """What the CORS layer lets a script read of the application's headers (whoever answered:
    Flask answers OPTIONS itself, without the application's headers)."""
    cors = [(n, v) for n, v in reply.headers if n.lower().startswith("access-control-")]
    return browser.exposed(script, [*browser.APP_HEADERS, *cors])


def judge_reply(
    request: Request,
    script: browser.ScriptRequest | None,
    got: Reply,
    want: Reply,
    vary: Iterable[str],
) -> list[str]:
    """How a library's reply differs from the evaluator's in what every target must match: the
    browser's verdict, the exposed headers, and Vary including the evaluator's members."""
    problems = [f"Vary lacks {member}" for member in lacks_vary(got, vary)]
    if script is None:
        return problems
    if request.method == "OPTIONS" and request.header(REQUEST_METHOD) is not None:
        verdicts = [browser.preflight_problem(script, r.status, r.headers) for r in (got, want)]
    else:
        verdicts = [browser.cors_problem(script, r.headers) for r in (got, want)]
        if verdicts == [None, None] and exposable(script, got) != exposable(script, want):
            problems.append("different headers exposed")
    if (verdicts[0] is None) != (verdicts[1] is None):
        problems.append(
            f"browser verdict {verdicts[0] or 'shared'!r}, evaluator's {verdicts[1] or 'shared'!r}"
        )
    return problems


def widened(grant: Grant) -> Grant:
    """``grant`` also granting the request headers Starlette always grants."""
    headers = grant.headers
    if headers.value.wildcard:
        return grant
    have = {name.lower() for name in headers.value.values}
    extra = tuple(
        Token(name, headers.span) for name in STARLETTE_SAFELISTED if name.lower() not in have
    )
    value = attrs.evolve(headers.value, items=headers.value.items + extra)
    return attrs.evolve(grant, headers=attrs.evolve(headers, value=value))


def for_starlette(policy: Policy) -> Policy:
    """One policy as a Starlette application wrapping the paths it governs would use it:
    without ``paths`` (the Mount does that), granting the four headers Starlette grants."""
    grants: dict[int, Grant] = {}

    def widen(grant: Grant) -> Grant:
        return grants.setdefault(id(grant), widened(grant))

    entries = tuple(attrs.evolve(entry, grant=widen(entry.grant)) for entry in policy.entries)
    return attrs.evolve(policy, paths=(), grant=widen(policy.grant), entries=entries)


@frozen
class Run:
    """One library configuration over (part of) one table: ``policy_set`` is what the library
    is compiled from; ``policy`` names the policy whose cases it is judged on (``None``: all)."""

    library: str
    table: ConformanceTable
    policy_set: PolicySet
    policy: str | None

    @property
    def id(self) -> str:
        return f"{self.library}-{self.table.name}" + (f"-{self.policy}" if self.policy else "")


def runs(tables: Sequence[ConformanceTable]) -> list[Run]:
    """Every library's runs over ``tables``: Flask takes a whole policy file, Django and
    Starlette one policy each."""
    found = []
    for table in tables:
        full = table_set(table)
        found.append(Run("flask", table, full, None))
        for policy in full.policies:
            found.append(Run("django", table, attrs.evolve(full, policies=(policy,)), policy.name))
            one = attrs.evolve(full, policies=(for_starlette(policy),))
            found.append(Run("starlette", table, one, policy.name))
    return found


def run_server(run: Run, toml: bool = False) -> Callable[[Request], Reply]:
    """The run's library configured with its compiled output (with ``toml``, the TOML file
    instead of the Python module)."""
    errors, text = compile_for(run.library, run.policy_set, "toml" if toml else "")
    assert not errors, errors
    return python_harness.library_server(run.library, text, toml=toml)


def judged_cases(run: Run) -> list[ConformanceCase]:
    """The table's cases this run answers: all of them, or those whose path the table's policy
    set gives to ``run.policy``."""
    if run.policy is None:
        return list(run.table.cases)
    full = Evaluator(table_set(run.table))
    return [
        case
        for case in run.table.cases
        if full.respond(Request(case.method, case.path, case.headers)).policy == run.policy
    ]


def has_paths(run: Run) -> bool:
    """Whether the run's configuration chooses policies by path (so the declared deviation of
    paths matched as the framework decodes them applies)."""
    return any(policy.paths for policy in run.policy_set.policies)


#: The outcomes of the cases a library is not judged on by the evaluator's answer.
DECODED_PATHS = "paths are matched as the framework decodes them (CORS602)"
UNGOVERNED = "no policy governs the path: one configuration per policy, mounted on its paths"
AMBIGUOUS = (
    "corsc refuses the path as ambiguous (400): the router that mounts one configuration per "
    "policy decodes it and chooses"
)


def run_for(mine: Sequence[Run], full: Evaluator, case: ConformanceCase) -> Run | Outcome:
    """The run of ``mine`` that answers ``case`` (``full`` is the evaluator of the case's
    whole table: it chooses the policy), or the outcome when none does."""
    request = Request(case.method, case.path, case.headers)
    chosen = full.respond(request)
    run = next(
        (r for r in mine if r.table.name == case.table and r.policy in (None, chosen.policy)),
        None,
    )
    if run is None:
        return Outcome(OUTSIDE, UNGOVERNED if chosen.status is None else AMBIGUOUS)
    return run


def library_harness(library: str) -> Harness:
    """One library over every table: each case judged by the run its policy belongs to."""

    @contextlib.contextmanager
    def harness(tables: Sequence[ConformanceTable]) -> Iterator[Judge]:
        mine = [run for run in runs(tables) if run.library == library]
        refusals = {run.id: compile_for(library, run.policy_set)[0] for run in mine}
        # Flask has no TOML output; the others are judged with both of theirs.
        outputs = (False,) if library == "flask" else (False, True)
        servers = {
            run.id: [run_server(run, toml) for toml in outputs]
            for run in mine
            if not refusals[run.id]
        }
        evaluators = {run.id: Evaluator(run.policy_set) for run in mine}
        full = {table.name: Evaluator(table_set(table)) for table in tables}

        def judge(case: ConformanceCase) -> Outcome:
            run = run_for(mine, full[case.table], case)
            if isinstance(run, Outcome):
                return run
            return run_outcome(run, case, refusals[run.id], servers.get(run.id, []))

        def run_outcome(
            run: Run, case: ConformanceCase, errors: list[Any], serves: list[Server]
        ) -> Outcome:
            if errors:
                return Outcome(REFUSED, ", ".join(sorted({e.code for e in errors})))
            if has_paths(run) and decoded_differently(case.path):
                # Another path than corsc's is matched: the declared deviation, whose
                # declaration tests/test_python_conformance.py asserts.
                return Outcome(DEVIATES, DECODED_PATHS)
            request = Request(case.method, case.path, case.headers)
            want, vary = evaluator_reply(evaluators[run.id], request)
            script = script_for(case)
            problems = [
                problem
                for serve in serves
                for problem in judge_reply(request, script, serve(request), want, vary)
            ]
            return Outcome(FAIL, "; ".join(problems)) if problems else Outcome(PASS)

        yield judge

    return harness
