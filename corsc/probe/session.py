"""One probing run: every probe sent, judged, and compared with the policy.

:func:`run` gives one :class:`Result` per probe. A result's differences are split in two: the
``mismatches`` (what the server gets wrong) and the ``deviations`` (what the target named with
``--target`` declares it does differently, :mod:`corsc.probe.deviations`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from attrs import frozen

from corsc.evaluate import Evaluator, Response
from corsc.probe import judge
from corsc.probe.client import Reply, Sender
from corsc.probe.deviations import declared_for
from corsc.probe.plan import Probe
from corsc.records import fields_repr


@frozen
class Deviation:
    """A difference the target declares: the difference and the declaration's text."""

    __repr__ = fields_repr

    mismatch: judge.Mismatch
    declared: str


@frozen
class Result:
    """A probe, the server's reply, and how it compares with the policy's answer."""

    __repr__ = fields_repr

    probe: Probe
    reply: Reply
    expected: Response
    expected_status: int
    expected_headers: tuple[tuple[str, str], ...]
    policy: judge.Verdict
    server: judge.Verdict
    mismatches: tuple[judge.Mismatch, ...]
    deviations: tuple[Deviation, ...]

    @property
    def ok(self) -> bool:
        return not self.mismatches


def run(
    evaluator: Evaluator,
    probes: Sequence[Probe],
    sender: Sender,
    target: str | None = None,
    progress: Callable[[Result], None] | None = None,
) -> list[Result]:
    """Send every probe through ``sender`` and judge its reply; with ``target``, the
    differences that target declares are deviations."""
    declared = declared_for(target) if target is not None else ()
    results = []
    for probe in probes:
        reply = sender.reply(probe)
        response, status, headers = judge.expected(evaluator, probe)
        policy = judge.verdict(probe, status, headers)
        server = judge.verdict(probe, reply.status, reply.headers)
        mismatches: list[judge.Mismatch] = []
        deviations: list[Deviation] = []
        for mismatch in judge.compare(policy, server):
            excuse = next((item.text for item in declared if item.covers(probe, mismatch)), None)
            if excuse is None:
                mismatches.append(mismatch)
            else:
                deviations.append(Deviation(mismatch, excuse))
        result = Result(
            probe,
            reply,
            response,
            status,
            headers,
            policy,
            server,
            tuple(mismatches),
            tuple(deviations),
        )
        results.append(result)
        if progress is not None:
            progress(result)
    return results
