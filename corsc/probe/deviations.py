"""What a target declares it does differently, as the probe recognises it in an answer.

The probe judges as a browser does, so most of what targets declare never shows: a refused
preflight answered 200 or 400 instead of 403, an accepted one answered 200 instead of 204,
Allow-Methods listing more, Allow-Headers sorted or reflected as received, Max-Age sent where
the policy sends none — a browser reaches the same verdict, and the probe reports a match. The
rest of the registry's declared deviations concern requests the probe never sends
(percent-encoded or dot-segment paths, lowercase or non-token methods, repeated header lines,
Private Network Access).

What remains is how a library compares an Origin that no browser sends (an uppercase or
slashed look-alike, a default port written out): flask-cors ignores case, django-cors-headers
reads the Origin through ``urlsplit``. corsc judges the libraries only on what a browser can
send (their conformance runs judge such requests on ``Vary`` alone), so with ``--target`` of a
library target, a different verdict for such an Origin is a deviation. For corsc's own
middleware and for nginx it stays a mismatch: they promise byte-exact comparison.
"""

from __future__ import annotations

from collections.abc import Callable

from attrs import frozen

from corsc.probe.judge import Aspect, Mismatch
from corsc.probe.plan import Probe
from corsc.records import fields_repr

Test = Callable[[Probe], bool]


@frozen
class Declared:
    """One declared difference: the mismatch ``aspect`` it causes, the probes whose answer it
    changes (``applies``), and the text that says so."""

    __repr__ = fields_repr

    aspect: Aspect
    applies: Test
    text: str

    def covers(self, probe: Probe, mismatch: Mismatch) -> bool:
        return mismatch.aspect is self.aspect and self.applies(probe)


def declared_for(target: str) -> tuple[Declared, ...]:
    """The declared differences of ``target``, a name of the registry (``corsc targets``;
    :class:`corsc.backends.UnknownTarget` when it is none)."""
    from corsc.backends import get
    from corsc.backends.pycommon import LibraryBackend

    backend = get(target)
    if not isinstance(backend, LibraryBackend):
        return ()
    return (
        Declared(
            Aspect.VERDICT,
            lambda probe: not probe.browser_origin,
            f"target `{target}`: the library compares an Origin no browser sends (not as "
            "browsers serialise it) its own way, so only its Vary is judged",
        ),
    )
