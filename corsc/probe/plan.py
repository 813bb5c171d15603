"""The requests that decide a policy set: what ``corsc probe`` sends, before anything is sent.

For each policy and each of its paths (a path under each prefix, ``/`` for a policy without
``paths``), :func:`probes` asks:

- no Origin at all (a response a cache may store for everyone: its ``Vary`` matters);
- each allowed origin, one sample per pattern kind and grant (an origin block is a grant of its
  own), without and with credentials, and preflights for a granted method with the granted
  headers, for a method and for a header nothing grants;
- look-alikes of each sample the policy does not allow (:func:`look_alikes`, and
  :func:`corsc.regex.look_alike_probes` for a regex): what a careless pattern lets in;
- ``null``, each ``deny`` pattern, and an origin the policy does not list.

Only what a browser sends: ``GET`` and ``OPTIONS`` preflights, never a body. Credentials are a
synthetic ``Cookie`` (:data:`COOKIE`) on actual requests only: a preflight never carries them,
so a credentialed preflight probe is the same request judged in the ``include`` mode.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

from attrs import frozen

from corsc import http, origins
from corsc.evaluate import Evaluator
from corsc.ir import OriginPattern, PatternKind
from corsc.plan import EntryPlan, GrantPlan, PolicyPlan
from corsc.records import fields_repr
from corsc.source import Position, Span

#: The cookie a credentialed actual request carries: made up, so that no real session is sent.
COOKIE = ("Cookie", "corsc-probe=1")

#: The last segment of the path probed under each prefix: a path no application is likely to
#: route, so the answer also shows whether CORS headers survive an error page.
PROBE_SEGMENT = "corsc-probe"

#: A request header no policy is expected to grant, for the refused-header preflight.
UNGRANTED_HEADER = "x-corsc-probe"

#: Methods tried, in order, for the refused-method preflight.
REFUSABLE_METHODS = ("PUT", "DELETE", "PATCH")

#: An origin no policy is expected to list.
UNLISTED_ORIGIN = "https://corsc-probe-unlisted.example"

#: What stands for an origin that ``*`` allows.
ANY_SAMPLE = "https://corsc-probe.example"

Fields = tuple[tuple[str, str], ...]


@frozen
class Probe:
    """One question to the server, and how a browser would ask it.

    - ``policy``: the policy the evaluator chooses for ``path`` (``None`` when none governs it);
      ``path`` is the request target as sent (prefixes beyond ASCII percent-encoded as UTF-8).
    - ``purpose``: what the question is, for a person (``allowed origin (exact)``).
    - ``method`` and ``fields``: the request line's method and the header fields sent (Origin
      first), exactly; never a body.
    - ``credentials``: the browser's credentials mode is ``include`` (the CORS check then needs
      ``Access-Control-Allow-Credentials: true``); an actual request then carries
      :data:`COOKIE`, a preflight never does.
    """

    __repr__ = fields_repr

    policy: str | None
    path: str
    purpose: str
    method: str
    fields: Fields
    credentials: bool = False

    @property
    def origin(self) -> str | None:
        return _field(self.fields, http.ORIGIN)

    @property
    def browser_origin(self) -> bool:
        """Whether a browser could send this probe's Origin (see :func:`browser_sends`)."""
        origin = self.origin
        return origin is None or browser_sends(origin)

    @property
    def preflight(self) -> bool:
        """Whether this is a CORS preflight (``OPTIONS`` with Origin and
        Access-Control-Request-Method)."""
        return (
            self.method == "OPTIONS"
            and self.origin is not None
            and _field(self.fields, http.REQUEST_METHOD) is not None
        )

    @property
    def requested_method(self) -> str | None:
        return _field(self.fields, http.REQUEST_METHOD)

    @property
    def requested_headers(self) -> tuple[str, ...]:
        value = _field(self.fields, http.REQUEST_HEADERS) or ""
        return tuple(item.strip(http.OWS) for item in value.split(",") if item.strip(http.OWS))

    @property
    def wire(self) -> tuple[str, str, Fields]:
        """What goes on the wire: two probes with equal ``wire`` are one request."""
        return (self.method, self.path, self.fields)


def _field(fields: Fields, name: str) -> str | None:
    wanted = name.lower()
    return next((value for key, value in fields if key.lower() == wanted), None)


_NOWHERE = Span("<probe>", Position(1, 1, 0), Position(1, 1, 0))


def browser_sends(origin: str) -> bool:
    """Whether a browser could send ``origin``: ``null``, or an origin in the form browsers
    serialise (lowercase, no default port, no path), no longer than a DNS name allows. An
    uppercase or slashed look-alike is not: it tests that a server compares Origin exactly,
    which no browser could exploit."""
    if origin == "null":
        return True
    if len(origin) > origins.MAX_ORIGIN_LENGTH:
        return False
    parsed = origins.parse_pattern(origin, _NOWHERE)
    return (
        parsed.pattern is not None
        and parsed.pattern.kind is PatternKind.EXACT
        and parsed.canonical_text is None
    )


def look_alikes(origin: str) -> list[str]:
    """Origins an attacker could use against a pattern written for ``origin``: another domain
    ending in it or starting with it, the other scheme, another port, another case, a trailing
    slash, the default port written out, and ``null``."""
    scheme, _, host = origin.partition("://")
    twin = "http" if scheme == "https" else "https"
    return [
        f"{origin}.evil.example",
        f"{scheme}://evil{host}",
        f"{scheme}://evil.{host}",
        f"{twin}://{host}",
        f"{origin}:8444" if ":" not in host else origin.rsplit(":", 1)[0] + ":1",
        origin.upper(),
        f"{origin}/",
        f"{origin}{'' if ':' in host else (':443' if scheme == 'https' else ':80')}",
        "null",
    ]


def sample(pattern: OriginPattern) -> str | None:
    """An origin ``pattern`` admits (``None`` for a regex corsc cannot sample)."""
    kind = pattern.kind
    if kind is PatternKind.EXACT or kind is PatternKind.NULL:
        return pattern.canonical
    if kind is PatternKind.SUBDOMAIN:
        return f"{pattern.scheme}://{PROBE_SEGMENT}.{pattern.host}"
    if kind is PatternKind.PORT:
        return f"{pattern.scheme}://{pattern.host}:8443"
    if kind is PatternKind.ANY:
        return ANY_SAMPLE
    from corsc import regex

    try:
        found = regex.sample_origins(pattern.regex)
    except ValueError:
        return None
    return found[0] if found else None


def _adversaries(pattern: OriginPattern, origin: str) -> list[str]:
    """The look-alikes to try against ``pattern``, whose sample is ``origin``."""
    if pattern.kind is PatternKind.REGEX:
        from corsc import regex

        try:
            return [probe for probe, _ in regex.look_alike_probes(pattern.regex)]
        except ValueError:
            return []
    if pattern.kind in (PatternKind.ANY, PatternKind.NULL):
        return []
    return look_alikes(origin)


def probe_paths(plan: PolicyPlan) -> tuple[str, ...]:
    """The paths probed for a policy: one under each prefix, ``/`` without ``paths``."""
    prefixes = [prefix.value for prefix in plan.policy.paths]
    if not prefixes:
        return ("/",)
    return tuple(
        dict.fromkeys(
            quote(prefix.rstrip("/") + "/" + PROBE_SEGMENT, safe="/%!$&'()*+,;=:@-._~")
            for prefix in prefixes
        )
    )


def _kind(pattern: OriginPattern) -> str:
    return pattern.kind.name.lower()


def _granted_preflight(grant: GrantPlan) -> tuple[str, tuple[str, ...]] | None:
    """The method and headers of a preflight the grant accepts; ``None`` when a browser would
    never preflight within the grant (only safelisted methods, no request headers)."""
    headers = (UNGRANTED_HEADER,) if grant.headers is None else grant.headers
    names = tuple(sorted({name.lower() for name in headers}))
    if grant.methods is None:
        return "PUT", names
    unsafe = [method for method in grant.methods if method not in http.SAFELISTED_METHODS]
    if unsafe:
        return unsafe[0], names
    return ("POST", names) if names else None


def _preflight_fields(origin: str, method: str, headers: tuple[str, ...]) -> Fields:
    fields: Fields = ((http.ORIGIN, origin), (http.REQUEST_METHOD, method))
    if headers:
        # As browsers send it: lowercase, sorted, no spaces.
        fields += ((http.REQUEST_HEADERS, ",".join(headers)),)
    return fields


class _Builder:
    """Collects the probes of one path, each question once."""

    def __init__(self, policy: str | None, path: str) -> None:
        self.policy = policy
        self.path = path
        self.found: list[Probe] = []
        self._asked: set[tuple[str, Fields, bool]] = set()

    def add(self, purpose: str, method: str, fields: Fields, credentials: bool = False) -> None:
        key = (method, fields, credentials)
        if key not in self._asked:
            self._asked.add(key)
            self.found.append(Probe(self.policy, self.path, purpose, method, fields, credentials))

    def actual(self, purpose: str, origin: str, *, credentials: bool = False) -> None:
        fields: Fields = ((http.ORIGIN, origin),)
        self.add(purpose, "GET", (*fields, COOKIE) if credentials else fields, credentials)

    def preflight(
        self, purpose: str, origin: str, method: str, headers: tuple[str, ...], both: bool
    ) -> None:
        """A preflight, judged without credentials and, with ``both``, with them too."""
        fields = _preflight_fields(origin, method, headers)
        self.add(purpose, "OPTIONS", fields)
        if both:
            self.add(purpose, "OPTIONS", fields, credentials=True)


def _samples(plan: PolicyPlan) -> Iterator[tuple[EntryPlan, str]]:
    """One allowed origin per pattern kind and grant, with the entry it stands for: only
    samples the policy really allows (a deny may carve a sample out)."""
    seen: set[tuple[PatternKind, int]] = set()
    for entry in plan.reachable:
        key = (entry.pattern.kind, entry.grant.number)
        origin = sample(entry.pattern)
        if key in seen or origin is None or plan.match(origin) is None:
            continue
        seen.add(key)
        yield entry, origin


def _path_probes(plan: PolicyPlan, chosen: PolicyPlan | None, path: str) -> list[Probe]:
    """The probes of ``plan`` on ``path``; ``chosen`` is the policy the path really gets."""
    ask = _Builder(None if chosen is None else chosen.name, path)
    ask.add("not a CORS request", "GET", ())
    tried: set[str] = set()
    for entry, origin in _samples(plan):
        kind = _kind(entry.pattern)
        tried.add(origin)
        what = f"allowed origin ({kind}{', origin block' if entry.entry.block else ''})"
        ask.actual(what, origin)
        ask.actual(what, origin, credentials=True)
        grant = entry.grant
        granted = _granted_preflight(grant)
        if granted is not None:
            ask.preflight(f"{what}: preflight within the grant", origin, *granted, both=True)
        allowed = grant.preflight_methods
        refused = next((m for m in REFUSABLE_METHODS if allowed and m not in allowed), None)
        if refused is not None:
            ask.preflight(f"{what}: preflight for a method not granted", origin, refused, (), False)
        if grant.header_keys is not None and UNGRANTED_HEADER not in grant.header_keys:
            method = granted[0] if granted is not None else "POST"
            ask.preflight(
                f"{what}: preflight for a header not granted",
                origin,
                method,
                tuple(sorted({*(name.lower() for name in grant.headers or ()), UNGRANTED_HEADER})),
                False,
            )
        for other in _adversaries(entry.pattern, origin):
            if other not in tried and plan.match(other) is None:
                tried.add(other)
                ask.actual(f"look-alike of {origin}", other)
    if "null" not in tried:
        ask.actual("the null origin", "null")
    refusals: list[tuple[str, str | None]] = [
        (f"denied by {deny.text}", sample(deny)) for deny in plan.policy.denies
    ]
    refusals.append(("an origin the policy does not list", UNLISTED_ORIGIN))
    for what, refused_origin in refusals:
        if refused_origin is None or refused_origin in tried or plan.match(refused_origin):
            continue
        tried.add(refused_origin)
        ask.actual(what, refused_origin)
        ask.preflight(f"{what}: preflight", refused_origin, "PUT", (), False)
    return ask.found


def probes(evaluator: Evaluator, policy: str | None = None) -> list[Probe]:
    """Every probe of the evaluator's policy set (only the policy named ``policy`` when given),
    policy by policy in source order, path by path. Raises ``KeyError`` for an unknown
    ``policy``."""
    plans = evaluator.plan.policies
    if policy is not None:
        chosen = evaluator.plan.policy(policy)
        if chosen is None:
            raise KeyError(policy)
        plans = (chosen,)
    found: list[Probe] = []
    for plan in plans:
        for path in probe_paths(plan):
            governing = evaluator.plan.selector.choose(path).policy
            found.extend(_path_probes(plan, governing, path))
    return found
