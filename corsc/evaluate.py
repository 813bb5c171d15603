"""The reference evaluator: what a policy set means for one request.

For a resolved :class:`~corsc.ir.PolicySet` and a request (method, path, headers) the evaluator
decides the CORS part of the response: the ``Access-Control-*`` headers, the ``Vary`` members
the CORS layer adds, and whether the CORS layer answers by itself (a status) or lets the
application answer (``None``). Every target must reach the same browser verdicts;
``corsc explain`` shows :attr:`Response.reason`.

It imports nothing heavy (only the standard library, attrs and the core modules ``ir``,
``origins`` and ``paths``): the Python runtime calls :meth:`Evaluator.respond` per request.
An :class:`Evaluator` does all the preparation once — matchers compiled, entries ordered by
specificity, grant headers rendered — so a request costs one policy selection, a walk over the
matchers and a few string comparisons.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

from attrs import frozen

from corsc import origins, paths
from corsc.ir import AllowEntry, Grant, OriginPattern, PatternKind, Policy, PolicySet, Unlisted

ALLOW_ORIGIN = "Access-Control-Allow-Origin"
ALLOW_CREDENTIALS = "Access-Control-Allow-Credentials"
ALLOW_METHODS = "Access-Control-Allow-Methods"
ALLOW_HEADERS = "Access-Control-Allow-Headers"
MAX_AGE = "Access-Control-Max-Age"
ALLOW_PRIVATE_NETWORK = "Access-Control-Allow-Private-Network"
EXPOSE_HEADERS = "Access-Control-Expose-Headers"
REQUEST_METHOD = "Access-Control-Request-Method"
REQUEST_HEADERS = "Access-Control-Request-Headers"
REQUEST_PRIVATE_NETWORK = "Access-Control-Request-Private-Network"

#: Methods a browser never preflights (fetch.bs "CORS-safelisted method"; case-sensitive).
SAFELISTED_METHODS = frozenset({"GET", "HEAD", "POST"})

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_HTTP_WHITESPACE = " \t"
_DEFAULT_PORT_SUFFIX = {"http": ":80", "https": ":443"}

HeaderList = tuple[tuple[str, str], ...]


@frozen
class Request:
    """A request as the CORS layer sees it.

    ``method`` is exactly as sent (case matters: ``OPTIONS`` is a preflight, ``options`` is
    not). ``path`` is the request target; its query and fragment are ignored and dot segments
    removed when choosing the policy. ``headers`` keeps every field in order, repeats included;
    names compare case-insensitively.
    """

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


def _unique(names: Iterable[str], *, fold_case: bool) -> tuple[str, ...]:
    """``names`` in order without duplicates (compared case-insensitively when ``fold_case``)."""
    seen: set[str] = set()
    result = []
    for name in names:
        key = name.lower() if fold_case else name
        if key not in seen:
            seen.add(key)
            result.append(name)
    return tuple(result)


@frozen
class _Rendered:
    """A grant prepared for answering.

    ``methods`` is the granted set (case-sensitive), ``None`` for ``methods *``; ``headers``
    the granted names lowercased, ``None`` for ``headers *``. The strings are the header
    values as sent: ``allow_methods`` and ``allow_headers`` are used only when the grant is not
    a wildcard; ``expose`` is ``None`` when nothing is exposed.
    """

    grant: Grant
    methods: frozenset[str] | None
    allow_methods: str
    headers: frozenset[str] | None
    allow_headers: str
    expose: str | None
    max_age: str | None

    @classmethod
    def of(cls, grant: Grant) -> _Rendered:
        methods = grant.methods.value
        headers = grant.headers.value
        expose = grant.expose.value
        method_names = _unique((token.value for token in methods.items), fold_case=False)
        header_names = _unique((token.value for token in headers.items), fold_case=True)
        expose_names = _unique((token.value for token in expose.items), fold_case=True)
        if expose.wildcard:
            expose_value: str | None = "*"
        else:
            expose_value = ", ".join(expose_names) or None
        max_age = grant.max_age.value
        return cls(
            grant=grant,
            methods=None if methods.wildcard else frozenset(method_names),
            allow_methods=", ".join(method_names),
            headers=None if headers.wildcard else frozenset(n.lower() for n in header_names),
            allow_headers=", ".join(header_names),
            expose=expose_value,
            max_age=None if max_age is None else str(max_age),
        )


@frozen
class _Entry:
    entry: AllowEntry
    matches: Callable[[str], bool]
    rendered: _Rendered
    described: str


#: Pattern kinds that admit exactly one origin, their canonical form (looked up, not scanned).
_SINGLE = (PatternKind.EXACT, PatternKind.NULL)


@frozen
class _Policy:
    """A policy prepared for answering.

    ``entries`` are ordered most specific first (ties in source order), so the first that
    admits an origin supplies the settings. To find it without scanning every origin, the
    single-origin entries are indexed: ``exact`` maps a canonical origin to the position of its
    first entry, and ``patterned`` holds the other entries with their positions, in order.
    Denies are split the same way. ``fixed`` holds the static-mode headers of preflights
    (Allow-Origin and Allow-Credentials), empty when dynamic; ``fixed_actual`` those of every
    other response, Expose-Headers included: a response without ``Vary: Origin`` may be cached
    and served to any origin (or to none), so nothing on it may depend on the Origin. ``vary``
    is ``("Origin",)`` exactly when dynamic.
    """

    policy: Policy
    entries: tuple[_Entry, ...]
    exact: dict[str, int]
    patterned: tuple[tuple[int, _Entry], ...]
    exact_denies: dict[str, OriginPattern]
    patterned_denies: tuple[tuple[OriginPattern, Callable[[str], bool]], ...]
    fixed: HeaderList
    fixed_actual: HeaderList
    vary: tuple[str, ...]
    reject: bool
    preflight_status: int

    @classmethod
    def of(cls, policy: Policy) -> _Policy:
        rendered: dict[Grant, _Rendered] = {}

        def render(grant: Grant) -> _Rendered:
            # Entries of one policy usually share their grant: render it once.
            if grant not in rendered:
                rendered[grant] = _Rendered.of(grant)
            return rendered[grant]

        ordered = sorted(
            policy.entries, key=lambda entry: origins.specificity(entry.pattern, entry.block)
        )
        entries = tuple(
            _Entry(
                entry,
                origins.matcher(entry.pattern),
                render(entry.grant),
                _describe(entry, policy.name),
            )
            for entry in ordered
        )
        exact: dict[str, int] = {}
        patterned = []
        for index, prepared in enumerate(entries):
            pattern = prepared.entry.pattern
            if pattern.kind in _SINGLE:
                exact.setdefault(pattern.canonical, index)
            else:
                patterned.append((index, prepared))
        exact_denies: dict[str, OriginPattern] = {}
        patterned_denies = []
        for pattern in policy.denies:
            if pattern.kind in _SINGLE:
                exact_denies.setdefault(pattern.canonical, pattern)
            else:
                patterned_denies.append((pattern, origins.matcher(pattern)))
        fixed: HeaderList = ()
        fixed_actual: HeaderList = ()
        if policy.static_origin is not None:
            fixed = ((ALLOW_ORIGIN, policy.static_origin),)
            if policy.grant.credentials.value:
                fixed += ((ALLOW_CREDENTIALS, "true"),)
            expose = render(policy.grant).expose
            fixed_actual = fixed + (((EXPOSE_HEADERS, expose),) if expose is not None else ())
        return cls(
            policy=policy,
            entries=entries,
            exact=exact,
            patterned=tuple(patterned),
            exact_denies=exact_denies,
            patterned_denies=tuple(patterned_denies),
            fixed=fixed,
            fixed_actual=fixed_actual,
            vary=() if policy.static_origin is not None else ("Origin",),
            reject=policy.unlisted.value is Unlisted.REJECT,
            preflight_status=policy.preflight_status.value,
        )

    def _find(self, origin: str) -> _Entry | None:
        """The most specific entry admitting ``origin`` (denies aside)."""
        best = self.exact.get(origin)
        for index, prepared in self.patterned:
            if best is not None and index > best:
                break
            if prepared.matches(origin):
                return prepared
        return None if best is None else self.entries[best]

    def _denied_by(self, origin: str) -> tuple[OriginPattern, str] | None:
        """The deny entry refusing ``origin`` and the form it matched. A host with a trailing
        dot names the same site as without it, so a deny entry also refuses that form (allow
        entries do not: they compare the Origin as sent, failing closed)."""
        undotted = origins.without_trailing_dot(origin)
        for form in (origin,) if undotted is None else (origin, undotted):
            denied = self.exact_denies.get(form)
            if denied is None:
                denied = next(
                    (pattern for pattern, matches in self.patterned_denies if matches(form)), None
                )
            if denied is not None:
                return denied, form
        return None

    def match(self, origin: str) -> tuple[_Entry | None, str]:
        """The entry whose settings apply to ``origin`` (``None`` when it is not allowed) and a
        sentence saying why."""
        if len(origin) > origins.MAX_ORIGIN_LENGTH:
            # Refused before any pattern runs: no browser sends it, and a regex over an
            # unbounded value can take unbounded time.
            return None, (
                f'origin "{origin[:40]}…" ({len(origin)} characters) is longer than '
                f"{origins.MAX_ORIGIN_LENGTH} characters, which no browser sends, so no entry "
                f'of policy "{self.policy.name}" admits it'
            )
        found_deny = self._denied_by(origin)
        if found_deny is not None:
            denied, form = found_deny
            via = "" if form == origin else f' (its host without the trailing dot, "{form}")'
            return None, (
                f'origin "{origin}"{via} is denied by "{denied.text}" on line '
                f'{denied.span.start.line} of policy "{self.policy.name}"'
            )
        found = self._find(origin)
        if found is not None:
            return found, f'origin "{origin}" matched {found.described}'
        reason = f'origin "{origin}" matches no allowed origin of policy "{self.policy.name}"'
        browser_form = _browser_form(origin)
        if browser_form != origin and self._find(browser_form) is not None:
            reason += (
                f' (origins are compared byte for byte; a browser would send "{browser_form}")'
            )
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
    (it neither sorts nor compiles: everything that does not depend on the request is ready)."""

    def __init__(self, policy_set: PolicySet) -> None:
        self.policy_set = policy_set
        self._selector = paths.Selector(
            [
                (_Policy.of(policy), tuple(prefix.value for prefix in policy.paths))
                for policy in policy_set.policies
            ]
        )

    def respond(self, request: Request) -> Response:
        """The CORS part of the response to ``request``."""
        choice = self._selector.choose(request.path)
        origin = request.header("Origin")
        requested_method = request.header(REQUEST_METHOD)
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
        name = chosen.policy.name
        if origin is None:
            sends = "its fixed headers" if chosen.fixed else "only Vary: Origin"
            return Response(
                status=None,
                headers=chosen.fixed_actual,
                vary=chosen.vary,
                policy=name,
                entry=None,
                preflight=False,
                allowed=None,
                reason=f'no Origin header: not a CORS request; policy "{name}" sends {sends}',
            )
        entry, why = chosen.match(origin)
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
                headers=chosen.fixed if preflight else chosen.fixed_actual,
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
        rendered = entry.rendered
        if chosen.fixed_actual:
            headers = chosen.fixed_actual
        else:
            headers = _allow_origin(chosen, rendered, origin)
            if rendered.expose is not None:
                headers += ((EXPOSE_HEADERS, rendered.expose),)
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


def _name(policy: _Policy | None) -> str:
    return "no policy" if policy is None else f'policy "{policy.policy.name}"'


def _ambiguous(choice: paths.Choice[_Policy], preflight: bool, allowed: bool | None) -> Response:
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


def _allow_origin(chosen: _Policy, rendered: _Rendered, origin: str) -> HeaderList:
    """Allow-Origin and Allow-Credentials for an allowed origin: the fixed pair in static mode,
    else the echoed Origin."""
    if chosen.fixed:
        return chosen.fixed
    if rendered.grant.credentials.value:
        return ((ALLOW_ORIGIN, origin), (ALLOW_CREDENTIALS, "true"))
    return ((ALLOW_ORIGIN, origin),)


def _preflight(
    chosen: _Policy, entry: _Entry, request: Request, origin: str, requested: str, matched: str
) -> Response:
    """Answer a preflight whose origin is allowed: accepted with the grant, or refused (403,
    only the static headers and ``Vary: Origin``)."""
    name = chosen.policy.name
    rendered = entry.rendered

    def refuse(problem: str) -> Response:
        return Response(
            status=403,
            headers=chosen.fixed,
            vary=chosen.vary,
            policy=name,
            entry=entry.entry,
            preflight=True,
            allowed=False,
            reason=f"preflight refused: {problem}; {matched}",
        )

    method = requested.strip(_HTTP_WHITESPACE)
    if not _TOKEN.fullmatch(method):
        return refuse(f'the requested method "{method}" is not a method token')
    if not (method in SAFELISTED_METHODS or rendered.methods is None or method in rendered.methods):
        return refuse(
            f'method "{method}" is not granted (granted: {rendered.allow_methods or "none"})'
        )
    items = [
        item.strip(_HTTP_WHITESPACE) for item in (request.header(REQUEST_HEADERS) or "").split(",")
    ]
    asked = [item for item in items if item]
    for item in asked:
        if not _TOKEN.fullmatch(item):
            return refuse(f'the requested header "{item}" is not a header name')
        if rendered.headers is not None and item.lower() not in rendered.headers:
            granted = rendered.allow_headers or "no request headers are granted"
            return refuse(f'header "{item}" is not granted (granted: {granted})')

    headers = _allow_origin(chosen, rendered, origin)
    vary = chosen.vary
    if rendered.methods is None:
        headers += ((ALLOW_METHODS, method),)
        vary += (REQUEST_METHOD,)
    else:
        headers += ((ALLOW_METHODS, rendered.allow_methods),)
    if rendered.headers is None:
        vary += (REQUEST_HEADERS,)
        if asked:
            headers += ((ALLOW_HEADERS, ", ".join(asked)),)
    elif asked:
        headers += ((ALLOW_HEADERS, rendered.allow_headers),)
    if rendered.max_age is not None:
        headers += ((MAX_AGE, rendered.max_age),)
    grant = rendered.grant
    private = request.header(REQUEST_PRIVATE_NETWORK)
    if (
        grant.private_network.value
        and private is not None
        and private.strip(_HTTP_WHITESPACE) == "true"
    ):
        headers += ((ALLOW_PRIVATE_NETWORK, "true"),)
    return Response(
        status=chosen.preflight_status,
        headers=headers,
        vary=vary,
        policy=name,
        entry=entry.entry,
        preflight=True,
        allowed=True,
        reason=f"preflight accepted: {matched}",
    )


def evaluate(policy_set: PolicySet, request: Request) -> Response:
    """One-off :meth:`Evaluator.respond`; build an :class:`Evaluator` to answer many."""
    return Evaluator(policy_set).respond(request)
