"""What each target declares it does differently, as the probe recognises it.

A target's declared deviations are prose in the registry (its capability table's
``DEVIATION`` rows and its ``deviations``). Each :class:`Declared` here recognises the
differences one of them causes in a probe's answer, and carries the registry's own text, so a
deviation is reported in the words the target's documentation uses. A declaration whose
feature the target's table no longer marks as a deviation recognises nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from attrs import frozen

from corsc.capabilities import Feature, Support
from corsc.evaluate import Response
from corsc.probe.client import Reply
from corsc.probe.judge import Aspect, Mismatch
from corsc.probe.plan import Probe

Test = Callable[[Probe, Response, Reply], bool]


@frozen
class Declared:
    """One declared difference: the mismatch ``aspect`` it causes, the probes whose answer it
    changes (``applies``), and the target's text for it."""

    aspect: Aspect
    applies: Test
    text: str

    def covers(self, probe: Probe, response: Response, reply: Reply, mismatch: Mismatch) -> bool:
        return mismatch.aspect is self.aspect and self.applies(probe, response, reply)


def declared_for(target: str) -> tuple[Declared, ...]:
    """The declared differences of ``target`` (a registry name; ``KeyError`` when unknown)."""
    from corsc.backends import get

    backend = get(target)
    found = []
    for feature, aspect, applies in _RECOGNISED.get(backend.names[0], ()):
        row = backend.capabilities[feature]
        if row.support is Support.DEVIATION:
            found.append(Declared(aspect, applies, f"{target}: {feature.value}: {row.note}"))
    return tuple(found)


_RECOGNISED: dict[str, tuple[tuple[Feature, Aspect, Test], ...]] = {}
