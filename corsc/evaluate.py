"""The reference evaluator: what a policy set means for one request.

For a resolved :class:`~corsc.ir.PolicySet` and a request (method, path, headers) the evaluator
decides the CORS part of the response: the ``Access-Control-*`` headers, the ``Vary`` members
the CORS layer adds, and whether the CORS layer answers by itself (a status) or lets the
application answer (``None``). Every target must reach the same browser verdicts;
``corsc explain`` shows :attr:`Response.reason`.

It imports nothing heavy (only the standard library, attrs and the light core modules): the
Python runtime is held to exact agreement with it. An :class:`Evaluator` prepares the policy set's
:class:`~corsc.plan.Plan` once — entries ordered by specificity and indexed, grants numbered and
rendered — so a request costs one policy selection, a few look-ups and string comparisons.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from attrs import frozen

from corsc import http, origins, paths
from corsc.ir import AllowEntry, PatternKind, PolicySet
from corsc.plan import EntryPlan, GrantPlan, HeaderList, Plan, PolicyPlan
from corsc.records import fields_repr

_DEFAULT_PORT_SUFFIX = {"http": ":80", "https": ":443"}


@frozen
class Request:
    """A request as the CORS layer sees it.

    ``method`` is exactly as sent (case matters: ``OPTIONS`` is a preflight, ``options`` is
    not). ``path`` is the request target; its query and fragment are ignored and dot segments
    removed when choosing the policy. ``headers`` keeps every field in order, repeats included;
    names compare case-insensitively.
    """

    __repr__ = fields_repr

    method: str
    path: str = "/"
    headers: HeaderList = ()

    @classmethod
    def of(
        cls,
        method: str,
        path: str = "/",
        *,
        origin: str | None = None,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
    ) -> Request:
        """A request with ``Origin: origin`` (when given) before ``headers``."""
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        fields = [("Origin", origin)] if origin is not None else []
        fields.extend((str(name), str(value)) for name, value in pairs)
        return cls(method, path, tuple(fields))

    def header(self, name: str) -> str | None:
        """The field's value (case-insensitive name), repeats joined by ``", "``; ``None`` when
        absent."""
        return _combined(self.headers, name)


@frozen
class Response:
    """The CORS part of the response to one request.

    - ``status``: ``None`` when the application answers; otherwise the CORS layer answers by
      itself with this status and no body (an accepted preflight, a refused preflight, an
      origin refused under ``unlisted reject``, or 400 for an ambiguous path).
    - ``headers``: the ``Access-Control-*`` headers by HTTP name, each at most once, in the
      order Allow-Origin, Allow-Credentials, Allow-Methods, Allow-Headers, Max-Age,
      Allow-Private-Network, Expose-Headers.
    - ``vary``: the ``Vary`` members the CORS layer adds, in the order Origin,
      Access-Control-Request-Method, Access-Control-Request-Headers.
    - ``policy``: the name of the policy that governs the path, ``None`` when none does (then
      ``status``, ``headers`` and ``vary`` are empty) or when the path is ambiguous: its raw
      and fully decoded forms choose different policies (then ``status`` is 400 and
      ``headers`` and ``vary`` are empty).
    - ``entry``: the allow entry whose settings applied; ``None`` when the origin is not
      allowed or the request has no Origin.
    - ``preflight``: whether the request is a preflight (``OPTIONS`` with Origin and
      Access-Control-Request-Method).
    - ``allowed``: ``None`` when no policy governs the path or the request has no Origin;
      otherwise whether the CORS layer grants the request (a preflight accepted, or an actual
      request's origin allowed).
    - ``reason``: one sentence for a person, saying why.
    """

    __repr__ = fields_repr

    status: int | None
    headers: HeaderList
    vary: tuple[str, ...]
    policy: str | None
    entry: AllowEntry | None
    preflight: bool
    allowed: bool | None
    reason: str

    def header(self, name: str) -> str | None:
        """The value of a CORS header (case-insensitive name), ``None`` when not sent."""
        return _combined(self.headers, name)


def _combined(fields: HeaderList, name: str) -> str | None:
    wanted = name.lower()
    values = [value for key, value in fields if key.lower() == wanted]
    return ", ".join(values) if values else None


def _match(chosen: PolicyPlan, origin: str) -> tuple[EntryPlan | None, str]:
    """The entry whose settings apply to ``origin`` (``None`` when it is not allowed) and a
    sentence saying why."""
    name = chosen.name
    if len(origin) > origins.MAX_ORIGIN_LENGTH:
        # Refused before any pattern runs: no browser sends it, and a regex over an unbounded
        # value can take unbounded time.
        return None, (
            f'origin "{origin[:40]}…" ({len(origin)} characters) is longer than '
            f"{origins.MAX_ORIGIN_LENGTH} characters, which no browser sends, so no entry "
            f'of policy "{name}" admits it'
        )
    found_deny = chosen.denied(origin)
    if found_deny is not None:
        denied, form = found_deny
        via = "" if form == origin else f' (its host without the trailing dot, "{form}")'
        return None, (
            f'origin "{origin}"{via} is denied by "{denied.text}" on line '
            f'{denied.span.start.line} of policy "{name}"'
        )
    found = chosen.find(origin)
    if found is not None:
        return found, f'origin "{origin}" matched {_describe(found.entry, name)}'
    reason = f'origin "{origin}" matches no allowed origin of policy "{name}"'
    browser_form = _browser_form(origin)
    if browser_form != origin and chosen.find(browser_form) is not None:
        reason += f' (origins are compared byte for byte; a browser would send "{browser_form}")'
    return None, reason


def _describe(entry: AllowEntry, policy: str) -> str:
    line = entry.span.start.line
    if entry.block:
        return f'the origin block on line {line} of policy "{policy}"'
    shown = "*" if entry.pattern.kind is PatternKind.ANY else f'"{entry.pattern.text}"'
    # A list item may come from a `let` binding, written outside the policy.
    return f'{shown}, written on line {line}, in the origins of policy "{policy}"'


def _browser_form(origin: str) -> str:
    """How a browser would serialise ``origin``, for the hint about non-canonical Origins:
    lowercase, default port dropped."""
    lowered = origin.lower()
    scheme = lowered.partition("://")[0]
    suffix = _DEFAULT_PORT_SUFFIX.get(scheme)
    if suffix is not None and lowered.endswith(suffix):
        return lowered.removesuffix(suffix)
    return lowered


class Evaluator:
    """The meaning of one policy set. Build it once; :meth:`respond` is the per-request path
    (it neither sorts nor compiles: the :class:`~corsc.plan.Plan` has everything that does not
    depend on the request)."""

    def __init__(self, policy_set: PolicySet | Plan) -> None:
        self.plan = policy_set if isinstance(policy_set, Plan) else Plan.of(policy_set)
        self.policy_set = self.plan.policy_set

    def respond(self, request: Request) -> Response:
        """The CORS part of the response to ``request``."""
        choice = self.plan.selector.choose(request.path)
        origin = request.header(http.ORIGIN)
        requested_method = request.header(http.REQUEST_METHOD)
        preflight = (
            request.method == "OPTIONS" and origin is not None and requested_method is not None
        )
        if choice.ambiguous:
            return _ambiguous(choice, preflight, None if origin is None else False)
        chosen = choice.policy
        if chosen is None:
            return Response(
                status=None,
                headers=(),
                vary=(),
                policy=None,
                entry=None,
                preflight=False,
                allowed=None,
                reason=f'no policy governs path "{choice.path}"; the CORS layer adds nothing',
            )
        name = chosen.name
        if origin is None:
            sends = "its fixed headers" if chosen.static else "only Vary: Origin"
            return Response(
                status=None,
                headers=chosen.static_actual,
                vary=chosen.vary,
                policy=name,
                entry=None,
                preflight=False,
                allowed=None,
                reason=f'no Origin header: not a CORS request; policy "{name}" sends {sends}',
            )
        entry, why = _match(chosen, origin)
        if entry is None:
            if preflight:
                status: int | None = 403
                outcome = "the preflight is refused with 403"
            elif chosen.reject:
                status = 403
                outcome = "unlisted reject: the CORS layer answers 403"
            else:
                status = None
                outcome = "the application answers without granting CORS access"
            return Response(
                status=status,
                headers=chosen.static_preflight if preflight else chosen.static_actual,
                vary=chosen.vary,
                policy=name,
                entry=None,
                preflight=preflight,
                allowed=False,
                reason=f"{why}; {outcome}",
            )
        if preflight:
            assert requested_method is not None  # implied by `preflight`
            return _preflight(chosen, entry, request, origin, requested_method, why)
        grant = entry.grant
        if chosen.static:
            headers = chosen.static_actual
        else:
            headers = _allow_origin(chosen, grant, origin)
            if grant.expose is not None:
                headers += ((http.EXPOSE_HEADERS, grant.expose),)
        return Response(
            status=None,
            headers=headers,
            vary=chosen.vary,
            policy=name,
            entry=entry.entry,
            preflight=False,
            allowed=True,
            reason=why,
        )


def _name(policy: PolicyPlan | None) -> str:
    return "no policy" if policy is None else f'policy "{policy.name}"'


def _ambiguous(choice: paths.Choice[PolicyPlan], preflight: bool, allowed: bool | None) -> Response:
    """The answer to a path whose policy depends on how it is decoded (``%2F``, doubled
    slashes): 400 from the CORS layer, with no CORS headers — answering for either policy
    could grant what the policy of the path the application routes does not."""
    return Response(
        status=400,
        headers=(),
        vary=(),
        policy=None,
        entry=None,
        preflight=preflight,
        allowed=allowed,
        reason=(
            f'the path "{choice.path}" chooses {_name(choice.policy)}, but decoded as servers '
            f'route it ("{choice.decoded}") it chooses {_name(choice.decoded_policy)}: the raw '
            "and decoded paths choose different policies, so the CORS layer answers 400"
        ),
    )


def _allow_origin(chosen: PolicyPlan, grant: GrantPlan, origin: str) -> HeaderList:
    """Allow-Origin and Allow-Credentials for an allowed origin: the fixed pair in static mode,
    else the echoed Origin."""
    if chosen.static:
        return chosen.static_preflight
    if grant.credentials:
        return ((http.ALLOW_ORIGIN, origin), (http.ALLOW_CREDENTIALS, "true"))
    return ((http.ALLOW_ORIGIN, origin),)


def _preflight(
    chosen: PolicyPlan,
    entry: EntryPlan,
    request: Request,
    origin: str,
    requested: str,
    matched: str,
) -> Response:
    """Answer a preflight whose origin is allowed: accepted with the grant, or refused (403,
    only the static headers and ``Vary: Origin``)."""
    name = chosen.name
    grant = entry.grant

    def refuse(problem: str) -> Response:
        return Response(
            status=403,
            headers=chosen.static_preflight,
            vary=chosen.vary,
            policy=name,
            entry=entry.entry,
            preflight=True,
            allowed=False,
            reason=f"preflight refused: {problem}; {matched}",
        )

    method = requested.strip(http.OWS)
    if not http.is_token(method):
        return refuse(f'the requested method "{method}" is not a method token')
    if not (method in http.SAFELISTED_METHODS or grant.methods is None or method in grant.methods):
        return refuse(
            f'method "{method}" is not granted (granted: {grant.allow_methods or "none"})'
        )
    items = [
        item.strip(http.OWS) for item in (request.header(http.REQUEST_HEADERS) or "").split(",")
    ]
    asked = [item for item in items if item]
    for item in asked:
        if not http.is_token(item):
            return refuse(f'the requested header "{item}" is not a header name')
        if grant.header_keys is not None and item.lower() not in grant.header_keys:
            granted = grant.allow_headers or "no request headers are granted"
            return refuse(f'header "{item}" is not granted (granted: {granted})')

    headers = _allow_origin(chosen, grant, origin)
    if grant.methods is None:
        headers += ((http.ALLOW_METHODS, method),)
    else:
        headers += ((http.ALLOW_METHODS, grant.allow_methods),)
    if grant.headers is None:
        if asked:
            headers += ((http.ALLOW_HEADERS, ", ".join(asked)),)
    elif asked:
        headers += ((http.ALLOW_HEADERS, grant.allow_headers),)
    if grant.max_age is not None:
        headers += ((http.MAX_AGE, grant.max_age),)
    private = request.header(http.REQUEST_PRIVATE_NETWORK)
    if grant.private_network and private is not None and private.strip(http.OWS) == "true":
        headers += ((http.ALLOW_PRIVATE_NETWORK, "true"),)
    return Response(
        status=chosen.preflight_status,
        headers=headers,
        vary=chosen.preflight_vary(grant),
        policy=name,
        entry=entry.entry,
        preflight=True,
        allowed=True,
        reason=f"preflight accepted: {matched}",
    )


def evaluate(policy_set: PolicySet, request: Request) -> Response:
    """One-off :meth:`Evaluator.respond`; build an :class:`Evaluator` to answer many."""
    return Evaluator(policy_set).respond(request)
