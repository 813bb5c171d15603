"""The policy ``corsc import`` wrote, asked as the server was: :func:`evaluator_for` builds
corsc's evaluator of a draft as a :data:`~corsc.imports.machine.Run`, so the policy is asked the
same requests (:class:`~corsc.imports.probes.Probes`) and its answers are read as the server's
are; :func:`difference` words the first request an origin is answered otherwise, as the finding
(CORS703) that keeps a configuration the policy does not mean from being imported silently.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from corsc.imports.draft import Draft, Findings, render
from corsc.imports.machine import Answer, Run
from corsc.imports.probes import Profile, request_fields
from corsc.source import Source

#: Builds a draft's policy and answers requests with it (``None``: it does not load).
Check = Callable[[Draft], Run | None]


def evaluator_for(findings: Findings) -> Check:
    """Builds, for a draft, the corsc evaluator of the policy it renders as a ``Run``."""
    from corsc.diagnostics import fails
    from corsc.evaluate import Evaluator, Request
    from corsc.frontend import load

    def build(draft: Draft) -> Run | None:
        text = render([draft], findings.source, "nginx")
        loaded = load(Source("imported.cors", text))
        if loaded.policy_set is None or fails(loaded.diagnostics):
            return None
        evaluator = Evaluator(loaded.policy_set)
        path = draft.paths[0] if draft.paths else "/"

        def run(request: Mapping[str, str]) -> Answer:
            headers = tuple(request_fields(request))
            response = evaluator.respond(Request(request["$request_method"], path, headers))
            return Answer(
                response.status,
                tuple((name.lower(), value) for name, value in response.headers),
            )

        return run

    return build


def difference(server: str, origin: str, theirs: Profile, ours: Profile) -> str:
    for (key, answered), (_, policy) in zip(theirs, ours, strict=True):
        if answered != policy:
            if key == "get" or key.startswith("a:"):
                request = f"an actual {'GET' if key == 'get' else key[2:]}"
            elif key == "pn":
                request = "a preflight asking for private network access"
            elif key.startswith("h:"):
                request = f"a preflight asking for the header {key[2:]}"
            else:
                request = f"a preflight asking for {key[2:]}"
            return (
                f"no policy says what {server} answers Origin {origin}: to {request} "
                f"{server} gives {_shown(answered)}, the imported policy gives {_shown(policy)}"
            )
    return f"no policy says what {server} answers Origin {origin}"


def _shown(normal: tuple[Any, ...]) -> str:
    if normal[0] == "refused":
        return "a refusal"
    if normal[0] == "accepted":
        _, plain, credentialed, max_age, private = normal
        if plain and credentialed:
            mode = "with and without credentials"
        else:
            mode = "with credentials only" if credentialed else "without credentials only"
        extras = (f", max-age {max_age}" if max_age else "") + (
            f", private network {private}" if private else ""
        )
        return f"an acceptance ({mode}{extras})"
    status = "2xx" if normal[0] == "ok" else normal[0]
    if len(normal) == 1:
        return f"no access (status {status}, no Allow-Origin for it)"
    _, credentials, exposed = normal
    return (
        f"access (status {status}, "
        + ("with and without credentials" if credentials else "without credentials only")
        + (f", exposing {', '.join(exposed)}" if exposed else "")
        + ")"
    )
