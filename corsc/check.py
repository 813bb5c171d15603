"""Check: semantic checks of a lowered policy set (codes 1xx–5xx).

Every check runs and every finding is collected; nothing here names a target. Lowering has
already reported what could not be represented (syntax, unknown names, malformed origins,
paths, max-age and preflight-status values), so this module never repeats those.

The reasons behind each check come from the Fetch standard (fetch.whatwg.org) and what browsers
do; the severities are the catalogue's (corsc.diagnostics).

Cost grows linearly with the number of origins: a policy may list 100,000 of them. Nothing
compares patterns pairwise. Patterns are indexed by ``(scheme, host)`` and wildcards by
``(scheme, base)``; whether a wildcard covers a host is decided by walking the host's label
suffixes through that index, and the public-suffix test costs one lookup per label.

Decisions worth knowing:

- ``http://`` origins with credentials (CORS109) are not warned about on loopback hosts
  (``localhost``, ``*.localhost``, ``127.0.0.0/8``, ``[::1]``): traffic to them never leaves
  the machine, so nobody on the network can inject script into them.
- The public-suffix test (CORS104) uses the Public Suffix List with its private section
  (``github.io``) and all its rules (corsc.suffixes): a wildcard is reported when its base is
  a public suffix or some host under it is one (``*.nagoya.jp``). Without the "unknown TLDs
  are public" rule, so ``*.localhost`` or a private TLD such as ``*.corp`` is not reported.
- A regex entry is judged by the origins it admits (corsc.regex.language): ``null`` as
  ``"null"``, other schemes, and sites it does not spell out (CORS115–CORS118, errors with
  credentials), where unknown TLDs do count as public: the regex spells its hosts out, and a
  class over a TLD nobody owns admits whatever someone registers there later. An unescaped dot
  (CORS112) or a look-alike host (CORS113) already says a regex admits other sites, so the
  site finding is left out then.
- Hosts are IP addresses when the URL standard parses them so (their last label a number):
  ``devbox2`` is a name.
- Whether a deny makes an entry unreachable (CORS508) is decided structurally, by one deny
  containing the entry; a regex entry is judged by its sample origins (CORS509, a warning).
  Whether a deny removes nothing (CORS510) is reported only when certain: a wildcard deny
  beside regex entries, or a regex deny beside wildcard entries, is left alone.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Generic, TypeVar

from corsc import diagnostics as d
from corsc import origins, suffixes
from corsc.ir import (
    AllowEntry,
    Grant,
    OriginPattern,
    PatternKind,
    Policy,
    PolicySet,
    Setting,
    Token,
    TokenList,
    Unlisted,
)
from corsc.source import Position, Span

if TYPE_CHECKING:
    from corsc import regex

T = TypeVar("T")

#: RFC 9110 ``token`` (one or more ``tchar``): what methods and header names must be.
_TOKEN_RE = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")

#: Methods browsers uppercase whatever the script wrote (fetch.bs "normalize").
_NORMALIZED_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"})
_SAFELISTED_METHODS = frozenset({"GET", "HEAD", "POST"})
_FORBIDDEN_METHODS = frozenset({"CONNECT", "TRACE", "TRACK"})

#: Forbidden request-header names (fetch.bs "forbidden request-header"), lowercase; plus the
#: prefixes below.
_FORBIDDEN_HEADERS = frozenset(
    {
        "accept-charset",
        "accept-encoding",
        "access-control-request-headers",
        "access-control-request-method",
        "connection",
        "content-length",
        "cookie",
        "cookie2",
        "date",
        "dnt",
        "expect",
        "host",
        "keep-alive",
        "origin",
        "referer",
        "set-cookie",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "via",
    }
)
_FORBIDDEN_HEADER_PREFIXES = ("proxy-", "sec-")
#: Safelisted request headers whose ordinary values never need a preflight. Content-Type is
#: safelisted for three MIME types only, so granting it is not redundant.
_SAFELISTED_REQUEST_HEADERS = frozenset({"accept", "accept-language", "content-language"})
#: Response headers scripts can always read (fetch.bs "CORS-safelisted response-header name").
_SAFELISTED_RESPONSE_HEADERS = frozenset(
    {
        "cache-control",
        "content-language",
        "content-length",
        "content-type",
        "expires",
        "last-modified",
        "pragma",
    }
)
_UNEXPOSABLE_HEADERS = frozenset({"set-cookie", "set-cookie2"})
_SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "x-api-key", "x-csrf-token"}
)
_SECRET_HEADER_SUFFIXES = ("-token", "-secret", "-key", "-password")
_SECRET_HEADER_PREFIXES = ("x-auth-",)

#: Browsers' caps on how long a preflight is kept, highest first: one diagnostic per value.
_MAX_AGE_CAPS = (
    (86400, d.MAX_AGE_EVERY_CAP, "any browser keeps a preflight (1d at most, in Firefox)"),
    (7200, d.MAX_AGE_CHROMIUM_CAP, "Chromium keeps a preflight (2h)"),
    (600, d.MAX_AGE_SAFARI_CAP, "Safari keeps a preflight (10m)"),
)

_PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)

#: Grant fields as the language spells them, for "differ in …".
_GRANT_FIELDS = (
    ("methods", "methods"),
    ("headers", "headers"),
    ("expose", "expose"),
    ("credentials", "credentials"),
    ("max_age", "max-age"),
    ("private_network", "private-network"),
)


def check(policy_set: PolicySet) -> list[d.Diagnostic]:
    """Every semantic finding for ``policy_set``, each once, in source order."""
    found: dict[tuple[str, str, int, int, str], d.Diagnostic] = {}

    def report(diagnostic: d.Diagnostic) -> None:
        # A `let` list used by several policies yields the same finding at the same place.
        # (Keyed by plain values: hashing a Span runs attrs' Python-level hash, which costs
        # seconds over 100,000 origins.)
        span = diagnostic.span
        key = (diagnostic.code, span.file, span.start.offset, span.end.offset, diagnostic.message)
        found.setdefault(key, diagnostic)

    _check_policy_set(policy_set, report)
    regexes = _Regexes()
    for policy in policy_set.policies:
        _PolicyCheck(policy, policy_set.file, regexes, report).run()
    return sorted(found.values(), key=d.Diagnostic.sort_key)


Report = Callable[[d.Diagnostic], None]


# ---- the policy set: names, paths, fallbacks -----------------------------------------------


def _check_policy_set(policy_set: PolicySet, report: Report) -> None:
    names: dict[str, Policy] = {}
    prefixes: dict[str, tuple[Policy, Span, str]] = {}
    fallback: Policy | None = None
    for policy in policy_set.policies:
        first = names.setdefault(policy.name, policy)
        if first is not policy:
            report(
                d.DUPLICATE_POLICY.at(
                    policy.span,
                    f"two policies are named `{policy.name}`",
                    "rename one of them; the name identifies a policy in outputs and diagnostics",
                    related=[d.Related(first.span, "first defined here")],
                )
            )
        for prefix in policy.paths:
            other = prefixes.setdefault(prefix.value, (policy, prefix.span, prefix.text))
            if other[0] is policy:  # the same prefix twice in one policy selects nothing new
                continue
            if other[2] == prefix.text:
                message = f'"{prefix.text}" is also a path prefix of policy `{other[0].name}`'
            else:
                message = (
                    f'"{prefix.text}" is the same path prefix as "{other[2]}" in policy '
                    f"`{other[0].name}`"
                )
            report(
                d.DUPLICATE_PATH.at(
                    prefix.span,
                    message,
                    "a path is governed by one policy: remove the prefix from one of them, "
                    "or merge the policies",
                    related=[d.Related(other[1], f"policy `{other[0].name}` has it here")],
                )
            )
        if policy.is_fallback:
            if fallback is None:
                fallback = policy
            else:
                report(
                    d.DUPLICATE_FALLBACK.at(
                        policy.span,
                        f"policies `{fallback.name}` and `{policy.name}` both have no `paths`, "
                        "so both claim every path no other policy matches",
                        f"give `{policy.name}` a `paths` statement, or merge the two policies",
                        related=[d.Related(fallback.span, "the other fallback")],
                    )
                )


# ---- regexes: validation and compiled matchers, shared by every policy --------------------


class _Regexes:
    """``regex`` bodies validated and compiled once per run, however often a `let` repeats
    them."""

    def __init__(self) -> None:
        self._issues: dict[str, list[regex.RegexIssue]] = {}
        self._matchers: dict[str, Callable[[str], bool] | None] = {}
        self._languages: dict[str, regex.Language] = {}

    def issues(self, pattern: OriginPattern) -> list[regex.RegexIssue]:
        from corsc import regex  # slow to import; only regexes need it

        if pattern.regex not in self._issues:
            self._issues[pattern.regex] = regex.validate(pattern.regex)
        return self._issues[pattern.regex]

    def language(self, pattern: OriginPattern) -> regex.Language:
        """What a usable regex admits (:func:`corsc.regex.language`)."""
        from corsc import regex  # slow to import; only regexes need it

        if pattern.regex not in self._languages:
            self._languages[pattern.regex] = regex.language(pattern.regex, _one_site)
        return self._languages[pattern.regex]

    def matcher(self, pattern: OriginPattern) -> Callable[[str], bool] | None:
        """A full-match predicate, or ``None`` for a regex that is invalid or outside the
        portable subset (reported as CORS111; matching with it would mean nothing)."""
        if pattern.regex not in self._matchers:
            usable = not any(issue.kind != "unescaped-dot" for issue in self.issues(pattern))
            self._matchers[pattern.regex] = origins.matcher(pattern) if usable else None
        return self._matchers[pattern.regex]


@functools.cache
def _one_site(name: str) -> bool:
    """Whether ``name`` and every host under it are one site: a registrable domain with no
    public suffix below it (an IP address never is, whatever its last labels look like).
    ``localhost`` counts as one: every name under it is the user's own machine, as a
    ``*.localhost`` wildcard is."""
    if name == "localhost":
        return True
    return not origins.ends_in_a_number(name) and suffixes.is_one_site(name)


# ---- origin indexes ------------------------------------------------------------------------


def _proper_suffixes(host: str) -> Iterator[str]:
    """``a.b.example.com`` → ``b.example.com``, ``example.com``, ``com``: the bases a
    subdomain wildcard covering ``host`` could have. O(labels)."""
    index = host.find(".")
    while index != -1:
        yield host[index + 1 :]
        index = host.find(".", index + 1)


class _Ports(Generic[T]):
    """Items whose patterns share a scheme and a host (or a wildcard's base), by port:
    those admitting any port, and those admitting one (``None``: the default)."""

    __slots__ = ("any_port", "ports")

    def __init__(self) -> None:
        self.any_port: list[T] = []
        self.ports: dict[int | None, list[T]] = {}

    def add(self, pattern: OriginPattern, item: T) -> None:
        if pattern.any_port:
            self.any_port.append(item)
        else:
            self.ports.setdefault(pattern.port, []).append(item)

    def covering(self, pattern: OriginPattern) -> Iterator[T]:
        """Items admitting every port ``pattern`` admits."""
        yield from self.any_port
        if not pattern.any_port:
            yield from self.ports.get(pattern.port, ())

    def overlapping(self, pattern: OriginPattern) -> Iterator[T]:
        """Items admitting at least one port ``pattern`` admits."""
        yield from self.any_port
        if pattern.any_port:
            for items in self.ports.values():
                yield from items
        else:
            yield from self.ports.get(pattern.port, ())


class _Index(Generic[T]):
    """Items (allow entries or deny patterns) indexed by their origin patterns, answering
    "which items admit this origin / contain this pattern / overlap it" without scanning.

    Regex patterns are decided by matching, and only where one origin is in question;
    a regex that cannot be compiled takes part in nothing.
    """

    def __init__(
        self, items: Iterable[T], pattern_of: Callable[[T], OriginPattern], regexes: _Regexes
    ) -> None:
        self.items = list(items)
        self.pattern_of = pattern_of
        self.any: list[T] = []
        self.null: list[T] = []
        self.hosts: dict[tuple[str, str], _Ports[T]] = {}  # EXACT and PORT
        self.bases: dict[tuple[str, str], _Ports[T]] = {}  # SUBDOMAIN
        self.regexes: list[tuple[T, Callable[[str], bool]]] = []
        for item in self.items:
            pattern = pattern_of(item)
            kind = pattern.kind
            if kind is PatternKind.ANY:
                self.any.append(item)
            elif kind is PatternKind.NULL:
                self.null.append(item)
            elif kind is PatternKind.SUBDOMAIN:
                _ports(self.bases, pattern.scheme, pattern.host).add(pattern, item)
            elif kind is PatternKind.REGEX:
                match = regexes.matcher(pattern)
                if match is not None:
                    self.regexes.append((item, match))
            else:
                _ports(self.hosts, pattern.scheme, pattern.host).add(pattern, item)

    @functools.cached_property
    def below(self) -> dict[tuple[str, str], _Ports[T]]:
        """Host and wildcard items by every base a wildcard could have to overlap them:
        the proper suffixes of a host, the base and its proper suffixes of a wildcard."""
        below: dict[tuple[str, str], _Ports[T]] = {}
        for item in self.items:
            pattern = self.pattern_of(item)
            if pattern.kind is PatternKind.SUBDOMAIN:
                _ports(below, pattern.scheme, pattern.host).add(pattern, item)
            elif pattern.kind not in (PatternKind.EXACT, PatternKind.PORT):
                continue
            for suffix in _proper_suffixes(pattern.host):
                _ports(below, pattern.scheme, suffix).add(pattern, item)
        return below

    def admitting(self, origin: OriginPattern) -> Iterator[T]:
        """Items whose patterns match the one origin ``origin`` (``EXACT`` or ``NULL``)."""
        yield from self.any
        if origin.kind is PatternKind.NULL:
            yield from self.null
        else:
            yield from self.host_items(origin, _Ports.covering)
        if self.regexes:
            text = origin.canonical
            for item, match in self.regexes:
                if match(text):
                    yield item

    def admitting_text(self, origin: str, span: Span) -> Iterator[T]:
        """Items matching a request's Origin value exactly as given."""
        parsed = origins.parse_pattern(origin, span).pattern
        if (
            parsed is not None
            and parsed.kind in (PatternKind.EXACT, PatternKind.NULL)
            and parsed.canonical == origin
        ):
            yield from self.admitting(parsed)
            return
        # Not as a browser sends an origin: only a regex can match it, or `*`.
        yield from self.any
        for item, match in self.regexes:
            if match(origin):
                yield item

    def containing(self, wildcard: OriginPattern) -> Iterator[T]:
        """Items whose patterns match every origin the ``SUBDOMAIN`` or ``PORT`` pattern
        ``wildcard`` matches. Regex items are left out: that cannot be decided by matching."""
        yield from self.any
        yield from self.host_items(wildcard, _Ports.covering)

    def overlapping(self, wildcard: OriginPattern) -> Iterator[T]:
        """Items matching at least one origin the ``SUBDOMAIN`` or ``PORT`` pattern
        ``wildcard`` matches. Regex items are left out: that cannot be decided by matching."""
        yield from self.any
        if wildcard.kind is PatternKind.SUBDOMAIN:
            below = self.below.get((wildcard.scheme, wildcard.host))
            if below is not None:
                yield from below.overlapping(wildcard)
        yield from self.host_items(wildcard, _Ports.overlapping)

    def host_items(
        self,
        pattern: OriginPattern,
        relation: Callable[[_Ports[T], OriginPattern], Iterator[T]],
    ) -> Iterator[T]:
        """Items related by ``relation`` (on ports) that match ``pattern``'s host: host items
        for that very host (not for a wildcard), wildcard items over it (for a wildcard: over
        its base or above)."""
        scheme, host = pattern.scheme, pattern.host
        if pattern.kind is PatternKind.SUBDOMAIN:
            ports = self.bases.get((scheme, host))
            if ports is not None:
                yield from relation(ports, pattern)
        else:
            ports = self.hosts.get((scheme, host))
            if ports is not None:
                yield from relation(ports, pattern)
        for suffix in _proper_suffixes(host):
            ports = self.bases.get((scheme, suffix))
            if ports is not None:
                yield from relation(ports, pattern)


def _ports(table: dict[tuple[str, str], _Ports[T]], scheme: str, host: str) -> _Ports[T]:
    ports = table.get((scheme, host))
    if ports is None:
        ports = table[(scheme, host)] = _Ports()
    return ports


# ---- one policy ----------------------------------------------------------------------------


def _shown(pattern: OriginPattern) -> str:
    """A pattern as a message quotes it: canonical, in the form a user writes it."""
    if pattern.kind is PatternKind.REGEX:
        return f'regex "{pattern.text}"'
    if pattern.kind is PatternKind.ANY:
        return "`*`"
    return f'"{pattern.canonical}"'


def _entry_shown(entry: AllowEntry) -> str:
    if entry.block:
        return f"the `origin` block for {_shown(entry.pattern)}"
    return _shown(entry.pattern)


def _body_span(pattern: OriginPattern, start: int, end: int, file: str) -> Span:
    """The span of ``pattern.regex[start:end]`` in the source, or the whole pattern's span
    where the characters as written cannot be told apart.

    A regex from the policy file is a string token on one line: its quotes, and a backslash
    before each ``"`` and ``\\`` it escapes (a backslash before anything else is kept as
    written). The token's length tells whether the backslashes that could be either were
    doubled: all or none is assumed, anything in between is ambiguous. A regex from ``--set``
    (another file) is ``regex:`` and the text as typed."""
    span = pattern.span
    text = pattern.text
    lead = 1 if text.startswith("^") else 0  # the one leading `^` regex_pattern removes
    length = span.end.offset - span.start.offset
    offsets: list[int] = []  # where each character of `text` starts in the span, then its end
    if span.file != file:
        if length != len("regex:") + len(text):
            return span
        offsets = [len("regex:") + index for index in range(len(text) + 1)]
    else:
        forced = [
            char == '"' or (char == "\\" and text[index + 1 : index + 2] in {"", '"', "\\"})
            for index, char in enumerate(text)
        ]
        either = [char == "\\" and not forced[index] for index, char in enumerate(text)]
        slack = length - 2 - len(text) - sum(forced)
        if slack not in {0, sum(either)}:
            return span
        doubled = slack > 0
        offset = 1  # the opening quote
        for index in range(len(text)):
            offsets.append(offset)
            offset += 1 + forced[index] + (doubled and either[index])
        offsets.append(offset)
    first, last = offsets[lead + start], offsets[lead + end]
    # A string never spans lines: columns move with offsets.
    return Span(
        span.file,
        Position(span.start.line, span.start.column + first, span.start.offset + first),
        Position(span.start.line, span.start.column + last, span.start.offset + last),
    )


def _credentials_here(grant: Grant) -> d.Related:
    return d.Related(grant.credentials.span, "credentials enabled here")


def _shortest_match(pattern: OriginPattern) -> int:
    """The length of the shortest Origin a host pattern admits: a one-character label before
    a subdomain wildcard's base, no port for a port wildcard."""
    length = len(f"{pattern.scheme}://{pattern.host}")
    if pattern.kind is PatternKind.SUBDOMAIN:
        length += len("a.")
    if pattern.port is not None and not pattern.any_port:
        length += len(f":{pattern.port}")
    return length


def _local_kind(host: str) -> str | None:
    """``"loopback"`` or ``"private-network"`` for such a canonical host, else ``None``."""
    if host == "localhost" or host.endswith(".localhost"):
        return "loopback"
    # An IP literal is recognised the way origins parses hosts (the URL standard's rule), so a
    # name ending in a digit (`devbox2`) is a name; a host that is not an address is not local.
    address: ipaddress.IPv4Address | ipaddress.IPv6Address
    try:
        if host.startswith("["):
            address = ipaddress.IPv6Address(host[1:-1])
        elif host[-1:].isdigit() and origins.ends_in_a_number(host):  # canonical: dotted quad
            number = origins.ipv4_number(host)
            if number is None:
                return None
            address = ipaddress.IPv4Address(number)
        else:
            return None
    except ValueError:
        return None
    if address.is_loopback:
        return "loopback"
    if any(address in network for network in _PRIVATE_NETWORKS):
        return "private-network"
    return None


def _wildcard_spread(pattern: OriginPattern) -> str | None:
    """The message when the wildcard ``pattern`` spans more than one site, else ``None``.
    Unknown top-level domains are not public here: `*.corp` or `*.localhost` names a private
    namespace with no other tenants."""
    base = pattern.host
    if suffixes.is_public_suffix(base):
        return (
            f'{_shown(pattern)} allows every site under the public suffix "{base}", whoever owns it'
        )
    rule = suffixes.rule_below(base)
    if rule is None:
        return None
    return (
        f"{_shown(pattern)} allows many sites, whoever owns them: the public suffix list rule "
        f'"{rule}" makes hosts under "{base}" public suffixes'
    )


def _duration(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit} ({seconds} s)"
    return f"{seconds} s"


class _PolicyCheck:
    def __init__(self, policy: Policy, file: str, regexes: _Regexes, report: Report) -> None:
        self.policy = policy
        self.file = file
        self.regexes = regexes
        self.report = report
        self.entries = policy.entries
        self.blocks = [entry for entry in policy.entries if entry.block]

    def run(self) -> None:
        for pattern in self.policy.denies:
            if pattern.kind is PatternKind.REGEX:
                self.regex_validity(pattern)
        denied = self.deny_and_reachability()
        for index, entry in enumerate(self.entries):
            if index not in denied:  # what an unreachable entry would grant does not matter
                self.entry(entry)
        self.duplicates()
        self.any_beside_others()
        self.grants()
        self.unlisted()
        self.overlapping_blocks()

    # -- each allow entry ----------------------------------------------------------------

    def entry(self, entry: AllowEntry) -> None:
        pattern, grant = entry.pattern, entry.grant
        credentials = grant.credentials.value
        kind = pattern.kind
        if kind is PatternKind.ANY and credentials:
            self.report(
                d.WILDCARD_WITH_CREDENTIALS.at(
                    pattern.span,
                    "origins * cannot be combined with credentials true",
                    "list the origins that need credentials, or use a pattern such as "
                    '"https://*.example.com"',
                    related=[_credentials_here(grant)],
                )
            )
        elif kind is PatternKind.NULL:
            self.null_origin(entry)
        elif kind is PatternKind.REGEX:
            self.regex_entry(entry)
        elif kind is not PatternKind.ANY:
            self.host_entry(entry)
        if grant.private_network.value and kind is not PatternKind.EXACT:
            if kind is PatternKind.ANY:
                what = "admits every website"
            elif kind is PatternKind.NULL:
                what = "is sent by any sandboxed page"
            else:
                what = "is a pattern"
            self.report(
                d.PRIVATE_NETWORK_PATTERN.at(
                    pattern.span,
                    f"private-network access needs exact origins, but {_shown(pattern)} {what}",
                    "grant it in an `origin` block for each exact origin that must reach the "
                    "private network, and leave it off in the policy",
                    related=[d.Related(grant.private_network.span, "private-network enabled here")],
                )
            )

    def null_origin(self, entry: AllowEntry) -> None:
        grant = entry.grant
        if grant.credentials.value:
            self.report(
                d.NULL_ORIGIN_WITH_CREDENTIALS.at(
                    entry.pattern.span,
                    'origin "null" with credentials lets any page read responses with the '
                    "user's cookies: sandboxed iframes and data: URLs send `null`",
                    'remove "null" and list the real origins of the pages that need access',
                    related=[_credentials_here(grant)],
                )
            )
            return
        self.report(
            d.NULL_ORIGIN.at(
                entry.pattern.span,
                'origin "null" is sent by every sandboxed iframe, data: URL and local file, '
                "and after cross-origin redirects: any site can produce it",
                'remove "null" and list the real origins of the pages that need access',
            )
        )

    def host_entry(self, entry: AllowEntry) -> None:
        pattern, grant = entry.pattern, entry.grant
        credentials = grant.credentials.value
        shortest = _shortest_match(pattern)
        if shortest > origins.MAX_ORIGIN_LENGTH:
            # The evaluator refuses such an Origin before matching; a library or server that
            # compares it would admit what the policy's meaning never does.
            self.report(
                d.ORIGIN_TOO_LONG.at(
                    pattern.span,
                    f"{_shown(pattern)} matches only Origins of {shortest} characters or more, "
                    f"and an Origin longer than {origins.MAX_ORIGIN_LENGTH} (https://, a "
                    "253-character DNS name and a port) is never allowed",
                    "check the host name: a DNS name has at most 253 characters, and each "
                    "label at most 63",
                )
            )
        if pattern.kind is PatternKind.SUBDOMAIN:
            spread = _wildcard_spread(pattern)
            if spread is not None:
                self.report(
                    d.WILDCARD_PUBLIC_SUFFIX.at(
                        pattern.span,
                        spread,
                        f'list the sites you trust, such as "{pattern.scheme}://app.'
                        f'{pattern.host}"; a wildcard belongs under a domain you control',
                    )
                )
            elif credentials:
                self.report(
                    d.WILDCARD_WITH_CREDENTIALS_SUBDOMAIN.at(
                        pattern.span,
                        f"every subdomain of {pattern.host} can read responses with the "
                        "user's credentials",
                        f"an XSS flaw or a taken-over subdomain anywhere under {pattern.host} "
                        "then exposes your users' data; list the subdomains that need "
                        "credentials where you can",
                        related=[_credentials_here(grant)],
                    )
                )
        local = _local_kind(pattern.host)
        if pattern.scheme == "http" and credentials and local != "loopback":
            secure = pattern.canonical.replace("http://", "https://", 1)
            self.report(
                d.INSECURE_ORIGIN_WITH_CREDENTIALS.at(
                    pattern.span,
                    f"{_shown(pattern)} is trusted with credentials over plain HTTP",
                    "anyone on the network path can inject script into an http:// page and "
                    f'read your users\' data through it; use "{secure}"',
                    related=[_credentials_here(grant)],
                )
            )
        if local is not None:
            self.report(
                d.LOCAL_ORIGIN.at(
                    pattern.span,
                    f"{_shown(pattern)} is a {local} origin: programs on each user's own "
                    f"{'machine' if local == 'loopback' else 'network'} are trusted",
                    "fine for development; keep it out of production, for example with a "
                    "`let` list that `--set` replaces per environment",
                )
            )

    # -- regexes ---------------------------------------------------------------------------

    def regex_validity(self, pattern: OriginPattern) -> bool:
        """Report CORS111 for each construct outside the portable subset; true when the
        regex is usable (it may still have unescaped dots)."""
        usable = True
        for issue in self.regexes.issues(pattern):
            if issue.kind == "unescaped-dot":
                continue
            usable = False
            self.report(
                d.REGEX_UNSUPPORTED.at(
                    _body_span(pattern, issue.start, issue.end, self.file),
                    issue.message,
                    issue.help,
                )
            )
        return usable

    def regex_entry(self, entry: AllowEntry) -> None:
        pattern = entry.pattern
        if not self.regex_validity(pattern):
            return
        dotted = False
        for issue in self.regexes.issues(pattern):
            if issue.kind == "unescaped-dot":
                dotted = True
                self.report(
                    d.REGEX_UNESCAPED_DOT.at(
                        _body_span(pattern, issue.start, issue.end, self.file),
                        issue.message,
                        issue.help,
                    )
                )
        host_look_alike = self.look_alikes(pattern)
        # An unescaped dot or a look-alike host already says the regex admits other sites.
        self.regex_language(entry, sites=not dotted and not host_look_alike)

    def regex_language(self, entry: AllowEntry, sites: bool) -> None:
        """Judge a regex by the origins it admits: `null`, schemes other than http(s), and
        (when ``sites``) sites it does not spell out, each as the same origin written out
        would be judged."""
        pattern, grant = entry.pattern, entry.grant
        credentials = bool(grant.credentials.value)
        related = [_credentials_here(grant)] if credentials else []
        shown = _shown(pattern)
        language = self.regexes.language(pattern)
        if language.too_complex:
            self.report(
                d.REGEX_TOO_COMPLEX.at(
                    pattern.span,
                    f"{shown} is too complex for corsc to tell which origins it admits",
                    "split it into several `regex` entries, or list the origins it should admit",
                )
            )
        if language.null:
            help = (
                'make the regex spell out the scheme, as in regex "^https://app\\.example\\.com$"'
            )
            if credentials:
                self.report(
                    d.NULL_ORIGIN_WITH_CREDENTIALS.at(
                        pattern.span,
                        f'{shown} admits "null" with credentials: any page can read responses '
                        "with the user's cookies, since sandboxed iframes and data: URLs send "
                        "`null`",
                        help,
                        related=related,
                    )
                )
            else:
                self.report(
                    d.NULL_ORIGIN.at(
                        pattern.span,
                        f'{shown} admits "null", which every sandboxed iframe, data: URL and '
                        "local file sends: any site can produce it",
                        help,
                    )
                )
        if language.other_scheme is not None:
            kind = (
                d.REGEX_ADMITS_OTHER_SCHEMES_WITH_CREDENTIALS
                if credentials
                else d.REGEX_ADMITS_OTHER_SCHEMES
            )
            self.report(
                kind.at(
                    pattern.span,
                    f'{shown} admits "{language.other_scheme}", whose scheme is neither http '
                    "nor https",
                    "spell out the scheme: start the regex with `https://`",
                    related=related,
                )
            )
        if sites and language.spread is not None:
            kind = (
                d.REGEX_ADMITS_OTHER_SITES_WITH_CREDENTIALS
                if credentials
                else d.REGEX_ADMITS_OTHER_SITES
            )
            named = [name for name in language.named if not name.startswith("[")]
            if named:
                listed = ", ".join(named[:3]) + (", …" if len(named) > 3 else "")
                message = f'{shown} admits "{language.spread}" — outside {listed}'
            else:
                message = f'{shown} admits "{language.spread}", and origins of any other site'
            domain = next((name for name in named if _one_site(name)), "example.com")
            self.report(
                kind.at(
                    pattern.span,
                    message,
                    "list the exact origins, or use a subdomain wildcard for a domain you own, "
                    f'such as "https://*.{domain}"',
                    related=related,
                )
            )

    def under_a_named_site(self, pattern: OriginPattern, probe: str) -> bool:
        """Whether the probe's host is a site the regex spells out, or a subdomain of one,
        and the language walk found the regex admits no other site: then it is one of the
        hosts the regex means (``axa.example.com`` for ``([a-z]+\\.)*[a-z]+\\.example\\.com``),
        not a look-alike."""
        language = self.regexes.language(pattern)
        if language.too_complex or language.spread is not None:
            return False
        host = probe.partition("://")[2].rpartition(":")[0] or probe.partition("://")[2]
        if host.startswith("["):
            return False
        host = host.removesuffix(".")
        return any(
            _one_site(site) and (host == site or host.endswith("." + site))
            for site in language.named
        )

    def look_alikes(self, pattern: OriginPattern) -> bool:
        """Report CORS113 for look-alike origins the regex admits; true when one of them is a
        look-alike host (not only an http:// twin or another port)."""
        from corsc import regex  # slow to import; only regexes need it

        match = self.regexes.matcher(pattern)
        if match is None:
            return False
        admitted = [
            (probe, why)
            for probe, why in regex.look_alike_probes(pattern.regex)
            if match(probe) and not self.under_a_named_site(pattern, probe)
        ]
        if not admitted:
            return False
        probe, why = admitted[0]
        more = ""
        if len(admitted) > 1:
            others = len(admitted) - 1
            more = f", and {others} other look-alike{'s' if others > 1 else ''}"
        self.report(
            d.REGEX_ADMITS_LOOK_ALIKE.at(
                pattern.span,
                f'{_shown(pattern)} admits "{probe}" ({why}){more}',
                _safer_regex_help(
                    pattern, self.regexes.issues(pattern), [probe for probe, _ in admitted]
                ),
            )
        )
        return any(not why.startswith(("`http://`", "a port")) for _, why in admitted)

    # -- the lists -------------------------------------------------------------------------

    def duplicates(self) -> None:
        first: dict[str, AllowEntry] = {}
        for entry in self.entries:
            key = entry.pattern.canonical
            other = first.setdefault(key, entry)
            if other is entry:
                continue
            shown = _shown(entry.pattern)
            if entry.block and other.block:
                message = f"two `origin` blocks for {shown}"
                help = "merge them: only the first one applies"
            elif entry.block or other.block:
                message = f"{shown} is both in `origins` and an `origin` block"
                help = "remove it from `origins`: the block's settings apply to it"
            else:
                message = f"{shown} is listed twice"
                help = "remove one of them"
            self.report(
                d.DUPLICATE_ORIGIN.at(
                    entry.pattern.span,
                    message,
                    help,
                    related=[d.Related(other.pattern.span, "first listed here")],
                )
            )
        denied: dict[str, OriginPattern] = {}
        for pattern in self.policy.denies:
            other_pattern = denied.setdefault(pattern.canonical, pattern)
            if other_pattern is not pattern:
                self.report(
                    d.DUPLICATE_ORIGIN.at(
                        pattern.span,
                        f"{_shown(pattern)} is denied twice",
                        "remove one of them",
                        related=[d.Related(other_pattern.span, "first listed here")],
                    )
                )

    def any_beside_others(self) -> None:
        listed = [entry for entry in self.entries if not entry.block]
        stars = [entry for entry in listed if entry.pattern.kind is PatternKind.ANY]
        others = [entry for entry in listed if entry.pattern.kind is not PatternKind.ANY]
        if not stars or not others:
            return
        if len(others) == 1:
            what = "the other entry in `origins` adds nothing"
        else:
            what = f"the {len(others)} other entries in `origins` add nothing"
        self.report(
            d.ANY_BESIDE_OTHERS.at(
                stars[0].pattern.span,
                f"`*` already allows every origin, so {what}",
                "keep `*` alone for a public resource, or remove it and list only the origins "
                "that need access; use `origin` blocks for origins that need other settings",
                related=[d.Related(others[0].pattern.span, "also listed here")],
            )
        )

    # -- methods, headers, expose, max-age, private network ------------------------------

    def grants(self) -> None:
        seen: set[tuple[str, str, int]] = set()  # statements by where they start

        def first_time(name: str, setting: Setting[T]) -> bool:
            key = (name, setting.span.file, setting.span.start.offset)
            if not setting.written or key in seen:
                return False
            seen.add(key)
            return True

        for grant in [self.policy.grant, *(entry.grant for entry in self.blocks)]:
            if first_time("methods", grant.methods):
                self.methods(grant.methods.value)
            if first_time("headers", grant.headers):
                self.request_headers(grant.headers.value)
            if first_time("expose", grant.expose):
                self.exposed_headers(grant.expose.value)
            if first_time("max-age", grant.max_age):
                self.max_age(grant.max_age)
            if first_time("private-network", grant.private_network):
                self.private_network(grant.private_network)
            if grant.expose.value.wildcard and grant.credentials.value:
                self.report(
                    d.EXPOSE_WILDCARD_WITH_CREDENTIALS.at(
                        grant.expose.span,
                        "expose * cannot be combined with credentials true",
                        'with credentials, browsers read "*" as a header named `*`; list the '
                        "response headers scripts need, such as X-Request-Id",
                        related=[_credentials_here(grant)],
                    )
                )

    def methods(self, methods: TokenList) -> None:
        first: dict[str, Span] = {}
        for token in methods.items:
            method = token.value
            if method in first:
                self.report(_duplicate_item(method, token.span, first[method]))
                continue
            first[method] = token.span
            if not _TOKEN_RE.fullmatch(method):
                self.report(
                    d.INVALID_METHOD.at(
                        token.span,
                        f'"{method}" is not a method name',
                        "a method is one HTTP token: letters, digits and !#$%&'*+-.^_`|~, "
                        "such as PATCH",
                    )
                )
                continue
            upper = method.upper()
            if upper in _FORBIDDEN_METHODS:
                self.report(
                    d.FORBIDDEN_METHOD.at(
                        token.span,
                        f"`{method}` can never be sent: browsers refuse {upper} requests from "
                        "scripts",
                        f"remove `{method}`",
                    )
                )
            elif upper in _NORMALIZED_METHODS and method != upper:
                self.report(
                    d.LOWERCASE_METHOD.at(
                        token.span,
                        f"`{method}` never matches: browsers send this method as `{upper}`",
                        f"write `{upper}` — browsers uppercase these and compare case-sensitively",
                        fixes=[d.Fix(f"write `{upper}`", (d.TextEdit(token.span, upper),))],
                    )
                )
            elif method != upper:
                self.report(
                    d.NON_UPPERCASE_METHOD.at(
                        token.span,
                        f"`{method}` is not uppercase: it matches only scripts that send "
                        f"exactly `{method}`, since methods are compared case-sensitively",
                        f"write `{upper}`, as servers and scripts usually spell it",
                    )
                )
            elif method in _SAFELISTED_METHODS:
                self.report(
                    d.SAFELISTED_METHOD.at(
                        token.span,
                        f"`{method}` needs no grant: a preflight always allows GET, HEAD and POST",
                        "you can remove it; listing it changes nothing",
                    )
                )
            elif method == "OPTIONS":
                self.report(
                    d.OPTIONS_METHOD.at(
                        token.span,
                        "preflights never need `OPTIONS` listed; it only lets scripts send "
                        "OPTIONS requests themselves",
                        "remove it unless your scripts send OPTIONS requests",
                    )
                )

    def request_headers(self, headers: TokenList) -> None:
        for token, name in self.header_tokens(headers):
            if name in _FORBIDDEN_HEADERS or name.startswith(_FORBIDDEN_HEADER_PREFIXES):
                if name in {"cookie", "cookie2"}:
                    help = "remove it; with `credentials true` browsers send cookies themselves"
                else:
                    help = "remove it; browsers set this header themselves"
                self.report(
                    d.FORBIDDEN_HEADER.at(
                        token.span,
                        f"scripts cannot set `{token.value}`, so granting it changes nothing",
                        help,
                    )
                )
            elif name in _SAFELISTED_REQUEST_HEADERS:
                self.report(
                    d.SAFELISTED_HEADER.at(
                        token.span,
                        f"`{token.value}` with an ordinary value never needs a preflight",
                        "you can remove it, unless scripts send values browsers do not "
                        "safelist (longer than 128 bytes, or with characters such as `(` "
                        'or `"`)',
                    )
                )

    def exposed_headers(self, expose: TokenList) -> None:
        for token, name in self.header_tokens(expose):
            if name in _UNEXPOSABLE_HEADERS:
                self.report(
                    d.EXPOSE_SET_COOKIE.at(
                        token.span,
                        f"browsers never let scripts read `{token.value}`, exposed or not",
                        "remove it; cookies reach the browser's cookie store without it",
                    )
                )
            elif (
                name in _SECRET_HEADERS
                or name.endswith(_SECRET_HEADER_SUFFIXES)
                or name.startswith(_SECRET_HEADER_PREFIXES)
            ):
                self.report(
                    d.EXPOSE_SENSITIVE.at(
                        token.span,
                        f"`{token.value}` looks like it carries a secret, and scripts of every "
                        "allowed origin can read it",
                        "remove it unless every allowed origin may see its value",
                    )
                )
            elif name in _SAFELISTED_RESPONSE_HEADERS:
                self.report(
                    d.EXPOSE_SAFELISTED.at(
                        token.span,
                        f"scripts can always read `{token.value}`; exposing it changes nothing",
                        "you can remove it",
                    )
                )

    def header_tokens(self, headers: TokenList) -> Iterator[tuple[Token, str]]:
        """The valid names of a header list with their lowercase form, after reporting
        names that are not tokens and names listed twice (header names ignore case)."""
        first: dict[str, Span] = {}
        for token in headers.items:
            name = token.value.lower()
            if name in first:
                self.report(_duplicate_item(token.value, token.span, first[name]))
                continue
            first[name] = token.span
            if not _TOKEN_RE.fullmatch(token.value):
                self.report(
                    d.INVALID_HEADER.at(
                        token.span,
                        f'"{token.value}" is not a header name',
                        "a header name is one HTTP token: letters, digits and "
                        "!#$%&'*+-.^_`|~, such as X-Request-Id",
                    )
                )
                continue
            yield token, name

    def max_age(self, setting: Setting[int | None]) -> None:
        seconds = setting.value
        if seconds is None:  # malformed: reported by lowering
            return
        for cap, kind, who in _MAX_AGE_CAPS:
            if seconds > cap:
                self.report(
                    kind.at(
                        setting.span,
                        f"max-age {_duration(seconds)} is longer than {who}",
                        _max_age_help(cap),
                    )
                )
                return

    def private_network(self, setting: Setting[bool]) -> None:
        if not setting.value:
            return
        self.report(
            d.PRIVATE_NETWORK_ENABLED.at(
                setting.span,
                "`private-network true` lets public websites reach this server on a private "
                "network; browsers have put these preflights on hold",
                "leave it off unless a client you support still sends Private Network Access "
                "preflights (answering them by default was CVE-2024-6221)",
            )
        )

    def unlisted(self) -> None:
        setting = self.policy.unlisted
        if setting.value is not Unlisted.REJECT or any(
            entry.pattern.kind is PatternKind.ANY for entry in self.entries
        ):
            return
        self.report(
            d.UNLISTED_REJECT.at(
                setting.span,
                "`unlisted reject` answers 403 to every request whose Origin is not allowed, "
                "including the site's own POST requests and requests after a cross-origin "
                "redirect (Origin `null`)",
                "list the site's own origin too, or use `unlisted pass` and let browsers "
                "refuse responses without CORS headers",
            )
        )

    # -- deny: unreachable entries, useless denies, empty policies -----------------------

    def deny_and_reachability(self) -> set[int]:
        """Report unreachable entries, denies that remove nothing and a policy that allows
        nothing; return the positions of the entries a deny makes unreachable.

        One pass over the entries, each looked up in an index of the (few) denies: which
        denies overlap it (those remove something) and whether one contains it."""
        denies = self.policy.denies
        if not self.entries:
            self.no_origin_allowed([])
            return set()
        if not denies:
            return set()
        index = _Index(range(len(denies)), denies.__getitem__, self.regexes)
        denied: dict[int, int] = {}  # entry position → a deny containing it
        used: set[int] = set()  # denies known to remove some allowed origin
        # Overlaps that the index cannot decide: a regex entry with a wildcard deny, and a
        # wildcard or regex entry with a regex deny. Such denies are given the benefit.
        regex_entries = wildcard_entries = False
        for position, entry in enumerate(self.entries):
            pattern = entry.pattern
            kind = pattern.kind
            if kind is PatternKind.ANY:
                used.update(range(len(denies)))
            elif kind is PatternKind.REGEX:
                regex_entries = True
                self.regex_overlaps(pattern, used)
                self.regex_denied(entry, index, used)
            elif kind in (PatternKind.EXACT, PatternKind.NULL):
                hits = list(index.admitting(pattern))
                used.update(hits)
                if hits:
                    denied[position] = min(hits)  # the first in the file explains it
            else:
                wildcard_entries = True
                used.update(index.overlapping(pattern))
                container = min(index.containing(pattern), default=None)
                if container is not None:
                    denied[position] = container
        for position, deny_position in denied.items():
            entry, deny = self.entries[position], denies[deny_position]
            self.report(
                d.DENIED_ENTRY.at(
                    entry.span,
                    f"{_entry_shown(entry)} is unreachable: deny {_shown(deny)} covers every "
                    "origin it allows",
                    "deny always wins; remove the entry, or narrow the deny",
                    related=[d.Related(deny.span, "denied here")],
                )
            )
        if len(denied) == len(self.entries):
            self.no_origin_allowed([denies[i] for i in sorted(set(denied.values()))])
        for deny_position, deny in enumerate(denies):
            if deny_position in used:
                continue
            if deny.kind is PatternKind.REGEX:
                if regex_entries or wildcard_entries or self.regexes.matcher(deny) is None:
                    continue
            elif deny.kind in (PatternKind.SUBDOMAIN, PatternKind.PORT) and regex_entries:
                continue
            self.report(
                d.DENY_REMOVES_NOTHING.at(
                    deny.span,
                    f"deny {_shown(deny)} removes nothing: no allowed origin matches it",
                    "remove it, or check it for a typo; `deny` only carves origins out of "
                    "what `origins` and `origin` blocks allow",
                )
            )
        return set(denied)

    def regex_overlaps(self, pattern: OriginPattern, used: set[int]) -> None:
        """Mark the single-origin denies that the regex entry ``pattern`` admits."""
        match = self.regexes.matcher(pattern)
        if match is None:
            return
        for deny_position, deny in enumerate(self.policy.denies):
            if deny.kind in (PatternKind.EXACT, PatternKind.NULL) and match(deny.canonical):
                used.add(deny_position)

    def regex_denied(self, entry: AllowEntry, denies: _Index[int], used: set[int]) -> None:
        """CORS509 when every sample origin of a regex entry is denied; the denies that
        match a sample are marked as removing something."""
        from corsc import regex  # slow to import; only regexes need it

        if not self.policy.denies or self.regexes.matcher(entry.pattern) is None:
            return
        samples = regex.sample_origins(entry.pattern.regex)
        matched: dict[int, None] = {}  # deny positions, in the order found
        every = True
        for sample in samples:
            hits = list(denies.admitting_text(sample, entry.pattern.span))
            used.update(hits)
            matched.update(dict.fromkeys(hits[:1]))
            every = every and bool(hits)
        if not samples or not every:
            return
        shown = ", ".join(f'"{sample}"' for sample in samples[:3])
        self.report(
            d.DENIED_REGEX_ENTRY.at(
                entry.span,
                f"{_entry_shown(entry)} is probably unreachable: every origin corsc tried "
                f"that it admits ({shown}{', …' if len(samples) > 3 else ''}) is denied",
                "deny always wins; check the regex against the `deny` list",
                related=[
                    d.Related(self.policy.denies[position].span, "denied here")
                    for position in matched
                ],
            )
        )

    def no_origin_allowed(self, deniers: list[OriginPattern]) -> None:
        name = self.policy.name
        if not self.policy.entries and self.policy.origins_refused:
            return  # lowering already said why each written origin was refused
        if not self.entries:
            message = f"policy `{name}` allows no origin: it lists none in `origins` or blocks"
            help = (
                'list who may read responses, for example `origins "https://app.example.com"`, '
                "or `origins *` for a public resource"
            )
        else:
            message = f"policy `{name}` allows no origin: `deny` removes every entry"
            help = "remove the denies that cover the entries, or allow other origins"
        self.report(
            d.NO_ORIGIN_ALLOWED.at(
                self.policy.span,
                message,
                help,
                related=[d.Related(deny.span, "denied here") for deny in deniers],
            )
        )

    # -- overlapping origin blocks ---------------------------------------------------------

    def overlapping_blocks(self) -> None:
        if len(self.blocks) < 2:
            return
        index = _Index(self.blocks, lambda entry: entry.pattern, self.regexes)
        reported: set[tuple[int, int]] = set()  # pairs of blocks, by where they start
        for block in self.blocks:
            for other in self.broader_blocks(block, index):
                self.overlap(block, other, reported)

    def broader_blocks(self, block: AllowEntry, index: _Index[AllowEntry]) -> Iterator[AllowEntry]:
        """Blocks matching some origin ``block`` matches, found from the narrower side of each
        pair (an exact origin looks up the wildcards over it, a regex its samples)."""
        from corsc import regex  # slow to import; only regexes need it

        pattern = block.pattern
        kind = pattern.kind
        if kind in (PatternKind.EXACT, PatternKind.NULL):
            yield from index.admitting(pattern)
        elif kind is PatternKind.REGEX:
            if self.regexes.matcher(pattern) is not None:
                for sample in regex.sample_origins(pattern.regex):
                    yield from index.admitting_text(sample, pattern.span)
        else:
            # Wildcards over this one's host or base, and blocks for its host or base that
            # share a port with it.
            yield from index.host_items(pattern, _Ports.overlapping)

    def overlap(self, block: AllowEntry, other: AllowEntry, reported: set[tuple[int, int]]) -> None:
        if other is block or other.pattern.canonical == block.pattern.canonical:
            return  # the same pattern twice is CORS105
        first, second = sorted((block, other), key=lambda entry: entry.span.start.offset)
        pair = (first.span.start.offset, second.span.start.offset)
        if pair in reported:
            return
        reported.add(pair)
        differences = _grant_differences(first.grant, second.grant)
        if not differences:
            return
        winner = min((first, second), key=lambda entry: origins.specificity(entry.pattern, True))
        self.report(
            d.OVERLAPPING_BLOCKS.at(
                second.span,
                f"the `origin` blocks for {_shown(first.pattern)} and {_shown(second.pattern)} "
                f"can match the same origin but differ in {', '.join(differences)}",
                f"an origin both match gets only the settings of {_shown(winner.pattern)}; "
                "give each block every setting it needs, or make the patterns disjoint",
                related=[d.Related(first.span, "the other block")],
            )
        )


def _duplicate_item(name: str, span: Span, first: Span) -> d.Diagnostic:
    return d.DUPLICATE_ITEM.at(
        span,
        f"`{name}` is listed twice",
        f"remove the second `{name}`",
        related=[d.Related(first, "first listed here")],
    )


def _max_age_help(cap: int) -> str:
    if cap == 600:
        return (
            "nothing to do if longer caching in other browsers is intended; Safari uses 10 minutes"
        )
    return (
        "write `2h` or less: browsers clamp longer values, and a shorter cache lets a revoked "
        "grant take effect sooner"
    )


def _grant_differences(a: Grant, b: Grant) -> list[str]:
    """The settings in which two grants differ in meaning (not in spelling or order)."""
    return [
        spelled
        for field, spelled in _GRANT_FIELDS
        if _meaning(field, getattr(a, field)) != _meaning(field, getattr(b, field))
    ]


def _meaning(field: str, setting: Setting[object]) -> object:
    value = setting.value
    if not isinstance(value, TokenList):
        return value
    # Order never changes a verdict; header names ignore case, methods do not.
    names = value.values if field == "methods" else (name.lower() for name in value.values)
    return (value.wildcard, frozenset(names))


def _safer_regex_help(
    pattern: OriginPattern, issues: list[regex.RegexIssue], probes: list[str]
) -> str:
    """Help for CORS113 that shows a safer pattern: the same regex with its dots escaped when
    that shuts out every admitted look-alike, else a pattern built from an origin it admits."""
    from corsc import regex  # slow to import; only regexes need it

    body = pattern.regex
    for issue in sorted(issues, key=lambda issue: -issue.start):
        if issue.kind == "unescaped-dot":
            body = body[: issue.start] + "\\." + body[issue.end :]
    if body != pattern.regex:
        escaped = re.compile(regex.render(body, "python"))
        if not any(escaped.fullmatch(probe) for probe in probes):
            return f'escape the dots, so that `.` cannot stand for any character: regex "^{body}$"'
    example = _example_origin(pattern)
    if example is None:
        return (
            'spell out the scheme, escape every dot as "\\." and end the host with the '
            'domain you own, as in regex "^https://[a-z0-9-]+\\.example\\.com$"'
        )
    scheme, domain, port = example
    suffix = f":{port}" if port is not None else ""
    safer = f"^{scheme}://([a-z0-9-]+\\.)*{regex.escape(domain + suffix)}$"
    return (
        "spell out the scheme and port, escape every dot and end the host with the domain "
        f'you own: regex "{safer}", or "{scheme}://*.{domain}{suffix}" for its subdomains'
    )


def _example_origin(pattern: OriginPattern) -> tuple[str, str, int | None] | None:
    """Scheme, registrable domain and port of the first origin the regex admits that has
    one."""
    from corsc import regex  # slow to import; only regexes need it

    for sample in regex.sample_origins(pattern.regex):
        parsed = origins.parse_pattern(sample, pattern.span).pattern
        if parsed is None or parsed.kind is not PatternKind.EXACT:
            continue
        domain = suffixes.registrable_domain(parsed.host)
        if domain is not None:
            return parsed.scheme, domain, parsed.port
    return None
