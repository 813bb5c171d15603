"""``corsc explain``: how a script's request is answered under a policy, and why.

It plays the browser's part the simple way: a request needs a preflight when its method is not
GET, HEAD or POST, or when it sets a header that is not CORS-safelisted; the preflight and then
the actual request go through the reference evaluator, and the report shows which policy and
which entry matched, the exact status and headers, and the reasons.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
from attrs import frozen

from corsc import http, origins
from corsc.evaluate import Evaluator, Request, Response
from corsc.ir import PatternKind, PolicySet
from corsc.records import fields_repr
from corsc.source import Position, Span


@frozen
class Exchange:
    """One request a browser sends and how the reference evaluator answers it."""

    __repr__ = fields_repr

    request: Request
    response: Response

    def to_dict(self) -> dict[str, object]:
        return {
            "request": {
                "method": self.request.method,
                "path": self.request.path,
                "headers": dict(self.request.headers),
            },
            "response": {
                "answered_by": "application" if self.response.status is None else "cors",
                "status": self.response.status,
                "headers": _response_headers(self.response),
                "allowed": self.response.allowed,
                "reason": self.response.reason,
            },
        }


@frozen
class Report:
    """What ``corsc explain`` shows: the policy that governs the path (``None``: none
    does, or the raw and decoded paths disagree), why a preflight is needed (empty: it is
    not), the preflight and the actual request (``None`` when not sent: the actual request
    is never sent after a refused preflight), and the browser's verdict. ``origin_note`` is
    set when no browser sends the Origin asked about (``app.example.com``, without a scheme):
    what a browser sends instead, and that origin's verdict."""

    __repr__ = fields_repr

    policy: str | None
    preflight_reasons: tuple[str, ...]
    preflight: Exchange | None
    actual: Exchange | None
    verdict: str
    origin_note: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "policy": self.policy,
            "preflight_needed": bool(self.preflight_reasons),
            "preflight_reasons": list(self.preflight_reasons),
            "preflight": self.preflight.to_dict() if self.preflight else None,
            "actual": self.actual.to_dict() if self.actual else None,
            "verdict": self.verdict,
            "origin_note": self.origin_note,
        }

    def to_text(self) -> str:
        first = self.preflight or self.actual
        if self.policy is not None:
            shown = self.policy
        elif first is not None and first.response.status == 400:
            shown = "(none: the raw and decoded paths choose different policies)"
        else:
            shown = "(none: no policy covers this path)"
        lines = [f"policy: {shown}"]
        if self.preflight is not None:
            lines.append("preflight: yes — " + "; ".join(self.preflight_reasons))
            lines.extend(_exchange_lines("preflight", self.preflight))
        else:
            lines.append("preflight: no (a simple request)")
        if self.actual is not None:
            lines.extend(_exchange_lines("actual request", self.actual))
        lines.append(f"verdict: {self.verdict}")
        if self.origin_note is not None:
            lines.append(f"note: {self.origin_note}")
        return "\n".join(lines) + "\n"


def _response_headers(response: Response) -> dict[str, str]:
    """The response's headers as sent, ``Vary`` last."""
    headers = dict(response.headers)
    if response.vary:
        headers[http.VARY] = ", ".join(response.vary)
    return headers


def _exchange_lines(title: str, exchange: Exchange) -> list[str]:
    """The text report's lines for one exchange: request, response and why."""
    request, response = exchange.request, exchange.response
    lines = [f"{title}:", f"  > {request.method} {request.path}"]
    lines.extend(f"  > {name}: {value}" for name, value in request.headers)
    if response.status is None:
        lines.append("  < (the application answers; the CORS layer adds these headers)")
    else:
        lines.append(f"  < {response.status} (answered by the CORS layer, no body)")
    lines.extend(f"  < {name}: {value}" for name, value in _response_headers(response).items())
    lines.append(f"  why: {response.reason}")
    return lines


def parse_header(text: str) -> tuple[str, str]:
    """``--header NAME[:VALUE]`` as a name and a value (``x`` when none is given)."""
    name, colon, value = text.partition(":")
    name = name.strip()
    if not name:
        raise ValueError(f"--header {text!r}: expected NAME or NAME:VALUE")
    return name, value.strip() if colon else "x"


def preflight_reasons(method: str, headers: Sequence[tuple[str, str]]) -> list[str]:
    """Why a browser would preflight this request (empty: it would not)."""
    reasons = []
    if method not in http.SAFELISTED_METHODS:
        reasons.append(f"{method} is not GET, HEAD or POST")
    for name, value in headers:
        lowered = name.lower()
        if lowered in http.SAFELISTED_REQUEST_HEADERS:
            continue
        if lowered == "content-type":
            essence = value.split(";", 1)[0].strip().lower()
            if essence in http.SAFELISTED_CONTENT_TYPES:
                continue
            reasons.append(f"Content-Type {value!r} is not a safelisted type")
            continue
        reasons.append(f"{name} is not a CORS-safelisted header")
    return reasons


def explain(
    policy_set: PolicySet,
    *,
    origin: str,
    method: str = "GET",
    headers: Sequence[str] = (),
    path: str = "/",
    credentials: bool = False,
) -> Report:
    """Evaluate what a browser would send for a script's request from ``origin`` (with a note
    when no browser sends that Origin)."""
    report = _explain(policy_set, origin, method, headers, path, credentials)
    sent = _as_browsers_send(origin)
    if sent is None:
        return report
    meant, why = sent
    if meant is None:
        note = f"no browser sends `Origin: {origin}`: {why}"
    else:
        verdict = _explain(policy_set, meant, method, headers, path, credentials).verdict
        note = (
            f"no browser sends `Origin: {origin}` ({why}); a page on {meant} sends "
            f"`Origin: {meant}`, and its verdict is: {verdict}"
        )
    return attrs.evolve(report, origin_note=note)


def _as_browsers_send(origin: str) -> tuple[str | None, str] | None:
    """``None`` when ``origin`` is a serialised origin as browsers send it (or ``null``);
    else the origin a browser would send for what was probably meant (``None`` when there
    is no such guess) and why the text is not one."""
    if origin == "null":
        return None
    start = Position(1, 1, 0)
    span = Span("<--origin>", start, start)
    text = origin if "://" in origin else f"https://{origin}"
    parsed = origins.parse_pattern(text, span)
    pattern = parsed.pattern
    if pattern is None or pattern.kind is not PatternKind.EXACT:
        problem = parsed.problem.message if parsed.problem else "it is not one origin"
        return (None, problem)
    if text != origin:
        return (parsed.canonical_text or text, "it has no scheme")
    if parsed.canonical_text is not None:
        return (parsed.canonical_text, parsed.why_not_canonical)
    return None


def _explain(
    policy_set: PolicySet,
    origin: str,
    method: str,
    headers: Sequence[str],
    path: str,
    credentials: bool,
) -> Report:
    if method.upper() in http.NORMALIZED_METHODS:
        method = method.upper()  # browsers do (Fetch "normalize a method")
    parsed = [parse_header(text) for text in headers]
    evaluator = Evaluator(policy_set)
    reasons = preflight_reasons(method, parsed)
    preflight = None
    if reasons:
        unsafe = sorted(
            {name.lower() for name, value in parsed if preflight_reasons("GET", [(name, value)])}
        )
        preflight_headers = [(http.ORIGIN, origin), (http.REQUEST_METHOD, method)]
        if unsafe:
            preflight_headers.append((http.REQUEST_HEADERS, ",".join(unsafe)))
        request = Request.of("OPTIONS", path, headers=preflight_headers)
        preflight = Exchange(request, evaluator.respond(request))
    actual_request = Request.of(method, path, headers=[(http.ORIGIN, origin), *parsed])
    actual = Exchange(actual_request, evaluator.respond(actual_request))
    policy = (preflight or actual).response.policy
    verdict = _verdict(preflight, actual, origin, credentials)
    if preflight is not None and not _preflight_ok(preflight, origin, credentials):
        return Report(policy, tuple(reasons), preflight, None, verdict)  # never sent
    return Report(policy, tuple(reasons), preflight, actual, verdict)


def _allow_origin_ok(response: Response, origin: str, credentials: bool) -> bool:
    """Whether a browser lets the script from ``origin`` read ``response`` (the CORS check)."""
    allow = response.header(http.ALLOW_ORIGIN)
    if allow is None:
        return False
    if allow == "*" and not credentials:
        return True
    if allow != origin:
        return False
    return not credentials or response.header(http.ALLOW_CREDENTIALS) == "true"


def _preflight_ok(exchange: Exchange, origin: str, credentials: bool) -> bool:
    """Whether a browser accepts the preflight: an ok status and a passing CORS check."""
    status = exchange.response.status
    return (
        status is not None
        and 200 <= status <= 299
        and _allow_origin_ok(exchange.response, origin, credentials)
    )


def _verdict(preflight: Exchange | None, actual: Exchange, origin: str, credentials: bool) -> str:
    """The browser's verdict, in one line."""
    if preflight is not None and not _preflight_ok(preflight, origin, credentials):
        return "blocked: the browser refuses the preflight, so the request is never sent"
    if actual.response.status == 403:
        return "blocked: the CORS layer answers 403 and the script cannot read the response"
    if not _allow_origin_ok(actual.response, origin, credentials):
        return "blocked: the script cannot read the response (no matching Allow-Origin)"
    return "allowed: the script can read the response"
