"""A browser's verdict on an answer, and how the server's answer differs from the policy's.

A browser does not compare headers: it decides. For an actual request it runs the CORS check
(Fetch "CORS check": Allow-Origin ``*`` only without credentials, else the Origin exactly, and
Allow-Credentials ``true`` with them) and then lets a script read the safelisted response
headers and the exposed ones; for a preflight it also requires an ok status and the method and
headers to be allowed (``*`` counts only without credentials and never covers
``Authorization``). :func:`verdict` applies that to any answer — the server's, or the
evaluator's own (:func:`expected`) — and :func:`compare` reports where the two verdicts differ:

- ``verdict``: one is allowed and the other blocked;
- ``exposed``: both allowed, but scripts could read other response headers;
- ``vary``: the server's ``Vary`` lacks a member the policy adds (a cache could then hand one
  origin's answer to another).

This is corsc's own reading of the Fetch Standard, from :mod:`corsc.http`'s facts; the tests'
browser model (tests/browser.py) is the independent one it is checked against.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

from attrs import frozen

from corsc import http
from corsc.evaluate import Evaluator, Request, Response
from corsc.probe.plan import Fields, Probe
from corsc.records import fields_repr

Headers = Sequence[tuple[str, str]]


class Aspect(enum.Enum):
    """What a mismatch is about."""

    VERDICT = "verdict"
    EXPOSED = "exposed"
    VARY = "vary"


@frozen
class Verdict:
    """What a browser concludes from one answer.

    - ``allowed``: ``None`` for a request without Origin (not a CORS request: nothing to
      decide); else whether the script gets the response (an actual request) or may send its
      request (a preflight). ``why`` says why not, for a person.
    - ``exposed``: for an allowed actual request, the response header names (lowercase) a
      script may read beyond the safelisted ones; ``"*"`` among them means every header.
    - ``vary``: the ``Vary`` members of the answer, lowercase (``*`` for everything).
    """

    __repr__ = fields_repr

    allowed: bool | None
    why: str
    exposed: frozenset[str]
    vary: frozenset[str]


def _get(headers: Headers, name: str) -> str | None:
    """Fetch "get": every value of ``name`` stripped and joined by ``", "``; ``None`` when
    absent."""
    wanted = name.lower()
    values = [value.strip(" \t") for key, value in headers if key.lower() == wanted]
    return ", ".join(values) if values else None


def _tokens(headers: Headers, name: str) -> list[str] | None:
    """The list items of ``name`` (empty ones dropped); ``None`` when an item is not a token,
    which fails a preflight."""
    items = [item.strip(http.OWS) for item in (_get(headers, name) or "").split(",")]
    kept = [item for item in items if item]
    return kept if all(http.is_token(item) for item in kept) else None


def _cors_problem(origin: str, credentials: bool, headers: Headers) -> str | None:
    allow_origin = _get(headers, http.ALLOW_ORIGIN)
    if allow_origin is None:
        return f"no {http.ALLOW_ORIGIN}"
    if allow_origin == "*" and not credentials:
        return None
    if allow_origin == "*":
        return f"{http.ALLOW_ORIGIN} is * but the request carries credentials"
    if allow_origin != origin:
        return f"{http.ALLOW_ORIGIN} is {allow_origin!r}, not the Origin {origin!r}"
    if credentials and _get(headers, http.ALLOW_CREDENTIALS) != "true":
        return f"credentials, but {http.ALLOW_CREDENTIALS} is not true"
    return None


def _preflight_problem(probe: Probe, status: int, headers: Headers) -> str | None:
    if not 200 <= status <= 299:
        return f"status {status} is not an ok status"
    assert probe.origin is not None
    problem = _cors_problem(probe.origin, probe.credentials, headers)
    if problem is not None:
        return problem
    methods = _tokens(headers, http.ALLOW_METHODS)
    names = _tokens(headers, http.ALLOW_HEADERS)
    if methods is None or names is None:
        return "an Allow-Methods or Allow-Headers item is not a token"
    method = probe.requested_method or ""
    wildcard = not probe.credentials
    if method not in (*methods, *http.SAFELISTED_METHODS) and not (wildcard and "*" in methods):
        return f"method {method} is not allowed"
    allowed = {name.lower() for name in names}
    for name in probe.requested_headers:
        lowered = name.lower()
        covered = wildcard and "*" in allowed and lowered != "authorization"
        if lowered not in allowed and not covered:
            return f"header {name} is not allowed"
    return None


def verdict(probe: Probe, status: int, headers: Headers) -> Verdict:
    """What a browser concludes from ``status`` and ``headers`` as the answer to ``probe``."""
    vary = frozenset(
        item.strip(http.OWS).lower()
        for item in (_get(headers, http.VARY) or "").split(",")
        if item.strip(http.OWS)
    )
    origin = probe.origin
    if origin is None:
        return Verdict(None, "", frozenset(), vary)
    if probe.preflight:
        problem = _preflight_problem(probe, status, headers)
        return Verdict(problem is None, problem or "", frozenset(), vary)
    problem = _cors_problem(origin, probe.credentials, headers)
    if problem is not None:
        return Verdict(False, problem, frozenset(), vary)
    listed = {name.lower() for name in _tokens(headers, http.EXPOSE_HEADERS) or ()}
    if probe.credentials:
        listed.discard("*")  # with credentials `*` is a header name, not a wildcard
    exposed = frozenset(listed - http.SAFELISTED_RESPONSE_HEADERS - http.UNEXPOSABLE_HEADERS)
    return Verdict(True, "", exposed, vary)


def request_of(probe: Probe) -> Request:
    """The probe as the evaluator reads it."""
    return Request(probe.method, probe.path, probe.fields)


def expected(evaluator: Evaluator, probe: Probe) -> tuple[Response, int, Fields]:
    """What the policy answers: the evaluator's response, and its status and headers as they
    go out (an application answer counts as 200; ``Vary`` as one header)."""
    response = evaluator.respond(request_of(probe))
    headers = response.headers
    if response.vary:
        headers += ((http.VARY, ", ".join(response.vary)),)
    return response, 200 if response.status is None else response.status, headers


@frozen
class Mismatch:
    """One way the server's verdict differs from the policy's, in a sentence."""

    __repr__ = fields_repr

    aspect: Aspect
    text: str


def _shown(allowed: bool | None) -> str:
    return "allowed" if allowed else "blocked"


def compare(policy: Verdict, server: Verdict) -> list[Mismatch]:
    """How the server's verdict differs from the policy's (empty when a browser could not tell
    them apart)."""
    found: list[Mismatch] = []
    if policy.allowed != server.allowed:
        because = f" ({server.why})" if server.why else ""
        found.append(
            Mismatch(
                Aspect.VERDICT,
                f"the browser finds it {_shown(server.allowed)}{because}; the policy says "
                f"{_shown(policy.allowed)}",
            )
        )
    elif policy.allowed and policy.exposed != server.exposed:
        found.append(
            Mismatch(
                Aspect.EXPOSED,
                f"scripts may read {_names(server.exposed)}; the policy exposes "
                f"{_names(policy.exposed)}",
            )
        )
    missing = sorted(policy.vary - server.vary) if "*" not in server.vary else []
    if missing:
        found.append(
            Mismatch(Aspect.VARY, f"Vary lacks {', '.join(missing)}, which the policy sends")
        )
    return found


def _names(names: frozenset[str]) -> str:
    if "*" in names:
        return "every header"
    return ", ".join(sorted(names)) if names else "no other header"
