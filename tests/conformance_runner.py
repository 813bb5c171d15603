"""The one runner of the shared conformance table (tests/conformance_table.py) over every target.

A *harness* brings one target up for the whole table and judges one case at a time: it is a
context manager ``harness(tables)`` (start servers, compile each table once) that yields a
:data:`Judge`, a function from a case to its :class:`Outcome`. Every case gets an outcome of one
of the kinds below; tests/test_conformance.py runs every case on every target and compares the
outcome with the target's table of expected non-passes, so nothing passes by being skipped.

The reference evaluator's harness is here; the others are tests/conformance_iis.py (the
web.config interpreter), tests/conformance_nginx.py (real nginx) and
tests/conformance_python.py (corsc's runtime and the Python libraries).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Final

from attrs import frozen

from corsc.evaluate import Evaluator, Request, Response
from corsc.frontend import load
from corsc.ir import PolicySet
from corsc.source import Source
from tests.conformance_table import ConformanceCase, ConformanceTable

#: The response conforms (how strictly depends on the target: exactly for corsc's own layers, by
#: the browser's verdict for the others).
PASS: Final = "pass"
#: The target refuses to compile the case's policy (an error diagnostic says what it cannot
#: express).
REFUSED: Final = "refused"
#: The target answers otherwise, as one of its declared deviations says it does.
DEVIATES: Final = "deviates"
#: Nothing documented decides the target's answer (the IIS modules): counted apart, never a pass.
UNDETERMINED: Final = "undetermined"
#: No configuration of the target answers this request: a target configured for one policy at a
#: time is mounted only where that policy governs, and no policy governs the case's path.
OUTSIDE: Final = "outside"
#: The response does not conform.
FAIL: Final = "fail"
KINDS: Final = (PASS, REFUSED, DEVIATES, UNDETERMINED, OUTSIDE, FAIL)


@frozen
class Outcome:
    """What one target did with one case: ``kind`` is one of :data:`KINDS`; ``detail`` says why
    (the differences for a failure, the codes of a refusal, the open question, …)."""

    kind: str
    detail: str = ""

    def __attrs_post_init__(self) -> None:
        assert self.kind in KINDS, self.kind


@frozen
class Listed:
    """An expected outcome other than a pass, with the reason the target cannot do better."""

    kind: str
    reason: str

    def __attrs_post_init__(self) -> None:
        assert self.kind in KINDS and self.kind not in (PASS, FAIL), self.kind
        assert self.reason, "a listing says why"


Judge = Callable[[ConformanceCase], Outcome]
Harness = Callable[[Sequence[ConformanceTable]], AbstractContextManager[Judge]]


def loaded_set(table: ConformanceTable) -> PolicySet:
    """The table's policy set through the real text front end (it must load without errors)."""
    loaded = load(Source(f"{table.name}.cors", table.policy_text))
    assert loaded.policy_set is not None and not loaded.has_errors, loaded.diagnostics
    return loaded.policy_set


def by_table(tables: Sequence[ConformanceTable]) -> dict[str, PolicySet]:
    """Every table's policy set, by table name."""
    return {table.name: loaded_set(table) for table in tables}


def exactly(
    case: ConformanceCase, status: int | None, headers: Sequence[tuple[str, str]]
) -> Outcome:
    """Pass when the response is exactly the table's (no ``Access-Control-*`` header beyond
    those the case expects), fail with the differences otherwise."""
    problems = case.mismatches(status, headers, exact=True)
    return Outcome(FAIL, "; ".join(problems)) if problems else Outcome(PASS)


def response_headers(response: Response) -> list[tuple[str, str]]:
    """The evaluator's headers as a server sends them: its Vary members as one ``Vary``."""
    vary = [("Vary", ", ".join(response.vary))] if response.vary else []
    return [*response.headers, *vary]


@contextlib.contextmanager
def evaluator_harness(tables: Sequence[ConformanceTable]) -> Iterator[Judge]:
    """The reference evaluator: the definition of meaning, so it must match every case
    exactly."""
    evaluators = {name: Evaluator(policy_set) for name, policy_set in by_table(tables).items()}

    def judge(case: ConformanceCase) -> Outcome:
        response = evaluators[case.table].respond(Request(case.method, case.path, case.headers))
        return exactly(case, response.status, response_headers(response))

    yield judge
