"""corsc's own CORS middleware, for ASGI and WSGI applications, reading a compiled policy file.

``corsc compile api.cors --target python -o cors.toml`` writes the policy as TOML (schema:
``backends/python.py``, ``docs/python.md``). At start-up :func:`load` reads it back into the
IR (:class:`~corsc.ir.PolicySet`), validating every value; a malformed file, or one written
for another ``format`` version, raises :class:`PolicyFileError` there and then — never at
request time. Each middleware then prepares a *plan*: per policy, the allow entries in
specificity order with their matchers (``corsc.origins``), and every header that does not
depend on the request already rendered (as bytes for ASGI, as text for WSGI).

Invariant: for every request the middleware sends exactly the status, ``Access-Control-*``
headers (same names, values and order) and ``Vary`` members that
``corsc.evaluate.Evaluator(load(path)).respond(request)`` gives. The plan is a
leaner form of the same decisions, because the evaluator's explanations (reasons, entries)
cost more than a request may; the test suite holds the two to exact agreement.

The middleware owns CORS on every path a policy governs: it removes ``Access-Control-*``
headers the application set (a second Allow-Origin breaks the browser's check), merges its
``Vary`` members into the application's, adds its headers to every response the application
produces whatever the status, and when the application raises before starting its response it
answers 500 with the CORS headers (so the browser shows the error, not a CORS failure) and
re-raises so the server still logs the exception. Paths no policy governs are passed through
untouched.

Imports only the standard library and the light core modules (``ir``, ``origins``, ``paths``,
``evaluate``): never lark or the compiler.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import (
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Mapping,
    MutableMapping,
    Sequence,
)
from types import TracebackType
from typing import Any, Generic, TypeVar

from corsc import origins, paths
from corsc.http import (
    ALLOW_CREDENTIALS,
    ALLOW_HEADERS,
    ALLOW_METHODS,
    ALLOW_ORIGIN,
    ALLOW_PRIVATE_NETWORK,
    EXPOSE_HEADERS,
    MAX_AGE,
    REQUEST_HEADERS,
    REQUEST_METHOD,
    SAFELISTED_METHODS,
)
from corsc.ir import (
    AllowEntry,
    Grant,
    OriginPattern,
    PathPrefix,
    PatternKind,
    Policy,
    PolicySet,
    Setting,
    Token,
    TokenList,
    Unlisted,
)
from corsc.source import Position, Span

#: The version of the TOML schema this runtime reads (the ``format`` key).
FORMAT = 1

#: RFC 9110 ``token``: method and header names, in the policy file and in requests.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
#: HTTP's optional whitespace, stripped around request header values and list items.
_OWS = " \t"


class PolicyFileError(ValueError):
    """A compiled policy file that cannot be used: unreadable, not TOML, another ``format``
    version, or a value that is missing or malformed. The message names the file, the key and
    what to do."""


# ---- loading the TOML file back into the IR ---------------------------------------------

_POLICY_KEYS = frozenset(
    {
        "name",
        "paths",
        "origins",
        "deny",
        "methods",
        "headers",
        "expose",
        "credentials",
        "max-age",
        "private-network",
        "unlisted",
        "preflight-status",
        "static-origin",
        "origin",
    }
)
_GRANT_KEYS = ("methods", "headers", "expose", "credentials", "max-age", "private-network")
_BLOCK_KEYS = frozenset({"origin", *_GRANT_KEYS})
_OPTIONAL_KEYS = frozenset({"max-age", "static-origin", "origin"})
_NAME = re.compile(r"[a-z][a-z0-9_]*")
_RECOMPILE = "recompile the policy with `corsc compile POLICY --target python`"


def load(path: str | os.PathLike[str]) -> PolicySet:
    """Read a file written by ``corsc compile --target python``; raise
    :class:`PolicyFileError` if it cannot be used."""
    name = os.fspath(path)
    try:
        with open(name, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        raise PolicyFileError(
            f"{name}: cannot read the CORS policy file ({error.strerror or error})"
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PolicyFileError(f"{name}: not UTF-8 text; {_RECOMPILE}") from None
    return loads(text, name)


def loads(text: str, name: str = "<string>") -> PolicySet:
    """Like :func:`load`, for the file's text; ``name`` is used in messages and spans."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PolicyFileError(f"{name}: not valid TOML ({error}); {_RECOMPILE}") from None
    return _Reader(name).policy_set(data)


class _Reader:
    """Validates the TOML document and builds the IR. Every node gets one empty span at the
    start of the file: the TOML carries meaning, not the policy's source positions."""

    def __init__(self, name: str) -> None:
        self.name = name
        start = Position(1, 1, 0)
        self.span = Span(name, start, start)

    def fail(self, where: str, problem: str) -> PolicyFileError:
        return PolicyFileError(f"{self.name}: {where}: {problem}; {_RECOMPILE}")

    def policy_set(self, data: Mapping[str, Any]) -> PolicySet:
        if "format" not in data:
            raise PolicyFileError(
                f"{self.name}: no `format` key, so this is not a policy file compiled by "
                f"corsc; {_RECOMPILE}"
            )
        found = data["format"]
        if found != FORMAT or isinstance(found, bool):
            raise PolicyFileError(
                f"{self.name}: format {found!r} is not supported: this corsc runtime reads "
                f"format {FORMAT}; {_RECOMPILE} using the corsc version installed here"
            )
        self.keys("the file", data, {"format", "policy"}, {"format", "policy"})
        policies = data["policy"]
        if not isinstance(policies, list) or not policies:
            raise self.fail("`policy`", "expected one or more [[policy]] tables")
        built = tuple(self.policy(index, table) for index, table in enumerate(policies, 1))
        names = [policy.name for policy in built]
        if len(set(names)) != len(names):
            raise self.fail("`policy`", "two policies have the same name")
        fallbacks = [policy.name for policy in built if policy.is_fallback]
        if len(fallbacks) > 1:
            raise self.fail("`policy`", f"more than one policy without paths ({fallbacks})")
        prefixes = [prefix.value for policy in built for prefix in policy.paths]
        if len(set(prefixes)) != len(prefixes):
            raise self.fail("`policy`", "two policies govern the same path prefix")
        return PolicySet(self.name, built)

    def keys(
        self, where: str, table: object, allowed: frozenset[str] | set[str], required: Iterable[str]
    ) -> None:
        if not isinstance(table, dict):
            raise self.fail(where, "expected a table")
        unknown = sorted(set(table) - allowed)
        if unknown:
            raise self.fail(where, f"unknown key(s) {', '.join(unknown)}")
        missing = [key for key in required if key not in table]
        if missing:
            raise self.fail(where, f"missing key(s) {', '.join(missing)}")

    def policy(self, index: int, table: Any) -> Policy:
        where = f"policy #{index}"
        self.keys(where, table, _POLICY_KEYS, sorted(_POLICY_KEYS - _OPTIONAL_KEYS))
        name = table["name"]
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise self.fail(f"{where} `name`", "expected a name matching [a-z][a-z0-9_]*")
        where = f'policy "{name}"'
        grant = self.grant(where, table)
        entries = [
            AllowEntry(self.pattern(f"{where} `origins`", text), grant, False, self.span)
            for text in self.strings(f"{where} `origins`", table["origins"])
        ]
        blocks = table.get("origin", [])
        if not isinstance(blocks, list):
            raise self.fail(f"{where} `origin`", "expected [[policy.origin]] tables")
        for number, block in enumerate(blocks, 1):
            block_where = f"{where} origin block #{number}"
            self.keys(block_where, block, _BLOCK_KEYS, sorted(_BLOCK_KEYS - _OPTIONAL_KEYS))
            pattern = self.pattern(f"{block_where} `origin`", block["origin"])
            if pattern.kind is PatternKind.ANY:
                raise self.fail(f"{block_where} `origin`", "an origin block cannot be `*`")
            entries.append(AllowEntry(pattern, self.grant(block_where, block), True, self.span))
        if not entries:
            raise self.fail(where, "allows no origin (`origins` is empty and no origin block)")
        denies = tuple(
            self.pattern(f"{where} `deny`", text)
            for text in self.strings(f"{where} `deny`", table["deny"])
        )
        unlisted = table["unlisted"]
        if unlisted not in ("pass", "reject"):
            raise self.fail(f"{where} `unlisted`", 'expected "pass" or "reject"')
        status = table["preflight-status"]
        if status not in (200, 204) or isinstance(status, bool):
            raise self.fail(f"{where} `preflight-status`", "expected 200 or 204")
        static = table.get("static-origin")
        if static is not None and all(entry.pattern.canonical != static for entry in entries):
            raise self.fail(f"{where} `static-origin`", "expected `*` or one of `origins`")
        return Policy(
            name=name,
            span=self.span,
            paths=tuple(
                self.path(where, text) for text in self.strings(f"{where} `paths`", table["paths"])
            ),
            entries=tuple(entries),
            denies=denies,
            grant=grant,
            unlisted=self.setting(Unlisted(unlisted)),
            preflight_status=self.setting(status),
            static_origin=static,
        )

    def setting(self, value: Any) -> Setting[Any]:
        return Setting(value, self.span, True)

    def strings(self, where: str, value: object) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self.fail(where, "expected a list of strings")
        return value

    def path(self, where: str, text: str) -> PathPrefix:
        if not text.startswith("/") or paths.normalize_prefix(text) != text:
            raise self.fail(f"{where} `paths`", f"{text!r} is not a normalised path prefix")
        return PathPrefix(text, text, self.span)

    def pattern(self, where: str, text: object) -> OriginPattern:
        """An origin pattern in the canonical form ``OriginPattern.canonical`` writes:
        ``regex:BODY`` for a regex, else what ``corsc.origins.parse_pattern`` reads back
        unchanged."""
        if not isinstance(text, str):
            raise self.fail(where, "expected an origin pattern string")
        if text.startswith("regex:"):
            pattern = OriginPattern(
                PatternKind.REGEX, text, self.span, regex=text.removeprefix("regex:")
            )
            try:
                origins.matcher(pattern)
            except (ValueError, re.error) as error:
                raise self.fail(where, f"{text!r} is not a regex corsc accepts ({error})") from None
            return pattern
        parsed = origins.parse_pattern(text, self.span)
        if parsed.pattern is None or parsed.canonical_text is not None:
            raise self.fail(where, f"{text!r} is not an origin pattern in canonical form")
        return parsed.pattern

    def tokens(self, where: str, value: object) -> TokenList:
        if value == "*":
            return TokenList((), wildcard=True)
        names = self.strings(where, value)
        bad = [name for name in names if not _TOKEN.fullmatch(name)]
        if bad:
            raise self.fail(where, f"{bad[0]!r} is not a method or header name")
        return TokenList(tuple(Token(name, self.span) for name in names))

    def flag(self, where: str, value: object) -> bool:
        if not isinstance(value, bool):
            raise self.fail(where, "expected true or false")
        return value

    def grant(self, where: str, table: Mapping[str, Any]) -> Grant:
        max_age = table.get("max-age")
        if max_age is not None and (
            not isinstance(max_age, int) or isinstance(max_age, bool) or max_age < 0
        ):
            raise self.fail(f"{where} `max-age`", "expected a whole number of seconds")
        return Grant(
            methods=self.setting(self.tokens(f"{where} `methods`", table["methods"])),
            headers=self.setting(self.tokens(f"{where} `headers`", table["headers"])),
            expose=self.setting(self.tokens(f"{where} `expose`", table["expose"])),
            credentials=self.setting(self.flag(f"{where} `credentials`", table["credentials"])),
            max_age=self.setting(max_age),
            private_network=self.setting(
                self.flag(f"{where} `private-network`", table["private-network"])
            ),
        )


# ---- the plan: the evaluator's decisions, prepared --------------------------------------

#: Header names and values: ``bytes`` for ASGI (names lowercase), ``str`` for WSGI.
H = TypeVar("H", str, bytes)
Headers = list[tuple[H, H]]

#: The body of the 500 the middleware sends when the application raises before answering.
_SERVER_ERROR = b"Internal Server Error"


def _first_ignoring_case(names: Iterable[str]) -> list[str]:
    """Header names in order without case-insensitive repeats (as the evaluator renders lists;
    ``TokenList.values`` already drops exact repeats, which is all methods need)."""
    first: dict[str, str] = {}
    for name in names:
        first.setdefault(name.lower(), name)
    return list(first.values())


class _Codec(Generic[H]):
    """How one server interface spells headers: ``name`` and ``value`` encode a header name
    and value, ``text`` decodes a value; ``vary`` and ``access_control`` are lowercase name
    forms to compare the application's header names with."""

    name: Callable[[str], H]
    value: Callable[[str], H]
    text: Callable[[H], str]
    vary: H
    access_control: H

    def __init__(
        self,
        name: Callable[[str], H],
        value: Callable[[str], H],
        text: Callable[[H], str],
    ) -> None:
        self.name = name
        self.value = value
        self.text = text
        self.vary = name("vary").lower()
        self.access_control = name("access-control-").lower()

    def pair(self, name: str, value: str) -> tuple[H, H]:
        return (self.name(name), self.value(value))


def _latin1(text: str) -> bytes:
    return text.encode("latin-1")


def _from_latin1(data: bytes) -> str:
    return data.decode("latin-1")


def _same(text: str) -> str:
    return text


#: ASGI wants lowercase names (the spec) and bytes; WSGI native strings (PEP 3333).
_ASGI: _Codec[bytes] = _Codec(lambda name: _latin1(name.lower()), _latin1, _from_latin1)
_WSGI: _Codec[str] = _Codec(_same, _same, _same)


class _Vary(Generic[H]):
    """``Vary`` members the CORS layer adds, with the header that sends them alone."""

    __slots__ = ("members", "pair")
    members: tuple[str, ...]
    pair: tuple[H, H]

    def __init__(self, members: tuple[str, ...], codec: _Codec[H]) -> None:
        self.members = members
        self.pair = codec.pair("Vary", ", ".join(members))


class _Grant(Generic[H]):
    """One grant with everything that does not depend on the request rendered.

    ``methods``/``headers`` are ``None`` for ``*`` (reflected); ``headers`` is lowercased.
    ``credentials`` is the Allow-Credentials pair or ``()``; ``actual`` the headers an allowed
    actual request gets after Allow-Origin/Allow-Credentials (Expose-Headers).
    """

    __slots__ = (
        "acah",
        "acam",
        "actual",
        "credentials",
        "headers",
        "max_age",
        "methods",
        "private_network",
    )
    methods: frozenset[str] | None
    acam: tuple[H, H]
    headers: frozenset[str] | None
    acah: tuple[H, H]
    credentials: tuple[tuple[H, H], ...]
    actual: tuple[tuple[H, H], ...]
    max_age: tuple[tuple[H, H], ...]
    private_network: bool

    def __init__(self, grant: Grant, codec: _Codec[H]) -> None:
        methods = grant.methods.value
        headers = grant.headers.value
        expose = grant.expose.value
        method_names = methods.values
        header_names = _first_ignoring_case(headers.values)
        self.methods = None if methods.wildcard else frozenset(method_names)
        self.acam = codec.pair(ALLOW_METHODS, ", ".join(method_names))
        self.headers = None if headers.wildcard else frozenset(n.lower() for n in header_names)
        self.acah = codec.pair(ALLOW_HEADERS, ", ".join(header_names))
        self.credentials = (
            (codec.pair(ALLOW_CREDENTIALS, "true"),) if grant.credentials.value else ()
        )
        exposed = "*" if expose.wildcard else ", ".join(_first_ignoring_case(expose.values))
        self.actual = (codec.pair(EXPOSE_HEADERS, exposed),) if exposed else ()
        age = grant.max_age.value
        self.max_age = () if age is None else (codec.pair(MAX_AGE, str(age)),)
        self.private_network = grant.private_network.value


class _Answer(Generic[H]):
    """What the CORS layer does with one request: ``status`` ``None`` lets the application
    answer; ``headers`` are the ``Access-Control-*`` headers in the evaluator's order; ``vary``
    its ``Vary`` members (``None`` for none)."""

    __slots__ = ("headers", "status", "vary")
    status: int | None
    headers: Headers[H]
    vary: _Vary[H] | None

    def __init__(self, status: int | None, headers: Headers[H], vary: _Vary[H] | None) -> None:
        self.status = status
        self.headers = headers
        self.vary = vary

    @property
    def vary_members(self) -> tuple[str, ...]:
        return () if self.vary is None else self.vary.members

    def merged(self, app_headers: Iterable[tuple[H, H]], codec: _Codec[H]) -> Headers[H]:
        """The application's headers without its ``Access-Control-*`` ones, its ``Vary``
        merged with ours, then our CORS headers."""
        kept: Headers[H] = []
        app_vary: list[str] = []
        vary_name = codec.vary if self.vary is not None else None
        for name, value in app_headers:
            lowered = name.lower()
            if lowered.startswith(codec.access_control):
                continue
            if lowered == vary_name:
                app_vary.append(codec.text(value))
                continue
            kept.append((name, value))
        if self.vary is not None:
            if app_vary:
                kept.append((self.vary.pair[0], codec.value(_vary(app_vary, self.vary.members))))
            else:
                kept.append(self.vary.pair)
        kept.extend(self.headers)
        return kept

    def own(self, status: int, codec: _Codec[H], body: bytes = b"") -> Headers[H]:
        """The headers of a response the CORS layer sends itself: no body for 204."""
        headers = [] if self.vary is None else [self.vary.pair]
        headers.extend(self.headers)
        if status != 204:
            headers.append(codec.pair("Content-Length", str(len(body))))
        if body:
            headers.append(codec.pair("Content-Type", "text/plain; charset=utf-8"))
        return headers


def _vary(app_values: Sequence[str], ours: tuple[str, ...]) -> str:
    """The application's ``Vary`` members followed by those of ours it lacks (members compare
    case-insensitively); ``*`` already varies on everything and stays alone."""
    members = [
        item.strip(_OWS) for value in app_values for item in value.split(",") if item.strip(_OWS)
    ]
    if "*" in members:
        return "*"
    have = {member.lower() for member in members}
    members.extend(member for member in ours if member.lower() not in have)
    return ", ".join(members)


class _PolicyPlan(Generic[H]):
    """One policy, prepared: entries in specificity order (ties in source order, as the
    evaluator keeps them), deny matchers, the static-mode headers (``fixed`` for preflights,
    ``fixed_actual`` with Expose-Headers for every other response), and the answers that do
    not depend on the request."""

    codec: _Codec[H]
    entries: list[tuple[Callable[[str], bool], _Grant[H]]]
    denies: list[Callable[[str], bool]]
    fixed: Headers[H]
    fixed_actual: Headers[H]
    allow_origin: H
    vary: dict[tuple[bool, bool], _Vary[H] | None]
    no_origin: _Answer[H]
    refused: _Answer[H]
    unlisted: _Answer[H]
    preflight_status: int
    pna: tuple[H, H]

    def __init__(self, policy: Policy, codec: _Codec[H]) -> None:
        prepared: dict[int, _Grant[H]] = {}
        ordered = sorted(
            policy.entries, key=lambda entry: origins.specificity(entry.pattern, entry.block)
        )
        self.codec = codec
        self.entries = [
            (
                origins.matcher(entry.pattern),
                prepared.setdefault(id(entry.grant), _Grant(entry.grant, codec)),
            )
            for entry in ordered
        ]
        self.denies = [origins.matcher(pattern) for pattern in policy.denies]
        fixed: Headers[H] = []
        if policy.static_origin is not None:
            fixed.append(codec.pair(ALLOW_ORIGIN, policy.static_origin))
            if policy.grant.credentials.value:
                fixed.append(codec.pair(ALLOW_CREDENTIALS, "true"))
        self.fixed = fixed
        self.fixed_actual = fixed + list(_Grant(policy.grant, codec).actual) if fixed else []
        self.allow_origin = codec.name(ALLOW_ORIGIN)
        # Keyed by (methods reflected, headers reflected): the preflight adds those members.
        base = () if fixed else ("Origin",)
        self.vary = {}
        for methods in (False, True):
            for headers in (False, True):
                members = (
                    base
                    + ((REQUEST_METHOD,) if methods else ())
                    + ((REQUEST_HEADERS,) if headers else ())
                )
                self.vary[methods, headers] = _Vary(members, codec) if members else None
        vary = self.vary[False, False]
        self.no_origin = _Answer(None, self.fixed_actual, vary)
        self.refused = _Answer(403, fixed, vary)
        reject = policy.unlisted.value is Unlisted.REJECT
        self.unlisted = self.refused if reject else self.no_origin
        self.preflight_status = policy.preflight_status.value
        self.pna = codec.pair(ALLOW_PRIVATE_NETWORK, "true")

    def match(self, origin: str) -> _Grant[H] | None:
        if len(origin) > origins.MAX_ORIGIN_LENGTH:
            return None  # before any pattern runs: no browser sends one so long
        if self.denies:
            undotted = origins.without_trailing_dot(origin)
            for denied in self.denies:
                if denied(origin) or (undotted is not None and denied(undotted)):
                    return None
        for matches, grant in self.entries:
            if matches(origin):
                return grant
        return None

    def answer(
        self,
        method: str,
        origin: str | None,
        requested_method: str | None,
        requested_headers: str | None,
        private_network: str | None,
    ) -> _Answer[H]:
        """The evaluator's answer, for a request this policy governs (``requested_*`` are the
        combined values of the Access-Control-Request-* headers, ``None`` when absent)."""
        if origin is None:
            return self.no_origin
        grant: _Grant[H] | None = self.match(origin)
        preflight = method == "OPTIONS" and requested_method is not None
        if grant is None:
            return self.refused if preflight else self.unlisted
        if not preflight and self.fixed:
            return self.no_origin
        if self.fixed:
            headers = list(self.fixed)
        else:
            headers = [(self.allow_origin, self.codec.value(origin))]
            headers.extend(grant.credentials)
        if not preflight:
            headers.extend(grant.actual)
            return _Answer(None, headers, self.no_origin.vary)
        assert requested_method is not None  # implied by `preflight`
        return self.preflight(grant, headers, requested_method, requested_headers, private_network)

    def preflight(
        self,
        grant: _Grant[H],
        headers: Headers[H],
        requested_method: str,
        requested_headers: str | None,
        private_network: str | None,
    ) -> _Answer[H]:
        method = requested_method.strip(_OWS)
        # A granted or safelisted method is a token; only a reflected one needs the check.
        if grant.methods is None:
            if not _TOKEN.fullmatch(method):
                return self.refused
        elif method not in SAFELISTED_METHODS and method not in grant.methods:
            return self.refused
        asked: list[str] = []
        if requested_headers:
            granted = grant.headers
            for item in requested_headers.split(","):
                item = item.strip(_OWS)
                if not item:
                    continue
                # An ASCII name whose lowercase is a granted token is a token itself.
                if (granted is None or not item.isascii()) and not _TOKEN.fullmatch(item):
                    return self.refused
                if granted is not None and item.lower() not in granted:
                    return self.refused
                asked.append(item)
        if grant.methods is None:
            headers.append((grant.acam[0], self.codec.value(method)))
        else:
            headers.append(grant.acam)
        if grant.headers is None:
            if asked:
                headers.append((grant.acah[0], self.codec.value(", ".join(asked))))
        elif asked:
            headers.append(grant.acah)
        headers.extend(grant.max_age)
        if (
            grant.private_network
            and private_network is not None
            and private_network.strip(_OWS) == "true"
        ):
            headers.append(self.pna)
        vary = self.vary[grant.methods is None, grant.headers is None]
        return _Answer(self.preflight_status, headers, vary)


class _Plan(Generic[H]):
    """Every policy of a file, prepared, and the path → policy choice (``corsc.paths``).
    ``everywhere`` is the one policy of a file whose only policy governs every path: the
    common case needs no path work at all."""

    selector: paths.Selector[_PolicyPlan[H]]
    everywhere: _PolicyPlan[H] | None

    def __init__(self, policy_set: PolicySet, codec: _Codec[H]) -> None:
        candidates = [
            (_PolicyPlan(policy, codec), tuple(prefix.value for prefix in policy.paths))
            for policy in policy_set.policies
        ]
        self.selector = paths.Selector(candidates)
        only = candidates[0] if len(candidates) == 1 else None
        self.everywhere = only[0] if only is not None and not only[1] else None

    def select(self, target: bytes) -> _PolicyPlan[H] | _Answer[H] | None:
        """The policy for a raw request target, or — when the raw and the fully decoded path
        choose different policies — the 400 that refuses it (no CORS headers: answering for
        either policy could grant what the other refuses)."""
        choice = self.selector.choose(target)
        return _AMBIGUOUS if choice.ambiguous else choice.policy


_AMBIGUOUS: _Answer[Any] = _Answer(400, [], None)


def _escaped(decoded: bytes) -> bytes:
    """A path the server has already percent-decoded, as a target that decodes to itself: the
    policy is then chosen on the path the application routes."""
    return decoded.replace(b"%", b"%25")


def _policy_set(policy: str | os.PathLike[str] | PolicySet) -> PolicySet:
    return policy if isinstance(policy, PolicySet) else load(policy)


# ---- ASGI -------------------------------------------------------------------------------

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_ORIGIN = b"origin"
_ACRM = _latin1(REQUEST_METHOD.lower())
_ACRH = _latin1(REQUEST_HEADERS.lower())
_ACRPN = b"access-control-request-private-network"
_WANTED = frozenset({_ORIGIN, _ACRM, _ACRH, _ACRPN})


async def _send_own(send: Send, answer: _Answer[bytes], status: int, body: bytes = b"") -> None:
    headers = answer.own(status, _ASGI, body)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class ASGIMiddleware:
    """CORS for an ASGI application (Starlette, FastAPI, Django's ASGI handler, …).

    ``policy`` is the path of a file compiled with ``--target python`` (read now, so a bad
    file stops the application from starting) or a policy set from :func:`load`. Only
    ``http`` scopes are handled; ``websocket`` and ``lifespan`` pass through.

    The policy is chosen on ``raw_path`` (the path as received, which ``corsc.paths`` decodes
    the way the evaluator does) when the server provides it, else on the decoded ``path``.
    Repeated request headers are combined with ``", "``, as the evaluator combines them.
    """

    def __init__(self, app: ASGIApp, policy: str | os.PathLike[str] | PolicySet) -> None:
        self.app = app
        self.policy_set = _policy_set(policy)
        self._plan = _Plan(self.policy_set, _ASGI)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        plan = self._plan.everywhere
        if plan is None:
            raw_path = scope.get("raw_path")
            if not raw_path:
                raw_path = _escaped(scope["path"].encode("utf-8", "surrogatepass"))
            chosen = self._plan.select(raw_path)
            if chosen is None:
                await self.app(scope, receive, send)
                return
            if isinstance(chosen, _Answer):
                await _send_own(send, chosen, 400)
                return
            plan = chosen
        found: dict[bytes, str] = {}
        for name, value in scope["headers"]:
            if name not in _WANTED:
                # Servers send lowercase names (the ASGI spec asks them to); check the rest.
                if name.islower():
                    continue
                name = name.lower()
                if name not in _WANTED:
                    continue
            text = value.decode("latin-1")
            found[name] = f"{found[name]}, {text}" if name in found else text
        get = found.get
        answer = plan.answer(scope["method"], get(_ORIGIN), get(_ACRM), get(_ACRH), get(_ACRPN))
        if answer.status is not None:
            await _send_own(send, answer, answer.status)
            return
        started = False

        async def send_with_cors(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message = dict(message)
                message["headers"] = answer.merged(message.get("headers", ()), _ASGI)
            await send(message)

        try:
            await self.app(scope, receive, send_with_cors)
        except Exception:
            if not started:
                # The browser sees a readable 500 instead of a CORS failure; the exception
                # still reaches the server, which logs it.
                await _send_own(send, answer, 500, _SERVER_ERROR)
            raise


# ---- WSGI -------------------------------------------------------------------------------

Environ = dict[str, Any]
ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]
StartResponse = Callable[..., Callable[[bytes], object]]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]

_STATUS_LINES = {
    200: "200 OK",
    204: "204 No Content",
    400: "400 Bad Request",
    403: "403 Forbidden",
    500: "500 Internal Server Error",
}


class _WSGIResponse:
    """One request's passage through the application: adds the CORS headers when the
    application starts its response, and answers 500 with them when it raises first."""

    __slots__ = ("answer", "start_response", "started")

    def __init__(self, start_response: StartResponse, answer: _Answer[str]) -> None:
        self.start_response = start_response
        self.answer = answer
        self.started = False

    def start(
        self, status: str, headers: list[tuple[str, str]], exc_info: ExcInfo | None = None
    ) -> Callable[[bytes], object]:
        self.started = True
        return self.start_response(status, self.answer.merged(headers, _WSGI), exc_info)

    def fail(self, error: Exception) -> Iterator[bytes]:
        """Answer 500 with the CORS headers, then raise ``error`` once the body is out, so the
        server logs it as it logs any application error. ``exc_info`` lets the 500 replace
        headers the application started but never sent (PEP 3333)."""
        self.start_response(
            _STATUS_LINES[500],
            self.answer.own(500, _WSGI, _SERVER_ERROR),
            (type(error), error, error.__traceback__) if self.started else None,
        )
        yield _SERVER_ERROR
        raise error

    def lazy(self, body: Iterable[bytes]) -> Iterator[bytes]:
        """The body of an application that starts its response only when iterated (a
        generator): an error before it starts still gets the CORS 500."""
        iterator = iter(body)
        try:
            try:
                first = next(iterator)
            except StopIteration:
                return
            except Exception as error:
                if self.started:
                    raise
                yield from self.fail(error)
                return
            yield first
            yield from iterator
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()


_AUTHORITY = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*")


def _wsgi_target(environ: Environ) -> bytes:
    """The request target as received: ``RAW_URI``/``REQUEST_URI`` (WSGI strings hold the
    bytes as Latin-1; an absolute-form target loses its scheme and authority), else the
    decoded ``SCRIPT_NAME`` + ``PATH_INFO``, escaped so that it decodes to itself."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or ""
    authority = None if raw.startswith("/") else _AUTHORITY.match(raw)
    if authority is not None:
        raw = raw[authority.end() :] or "/"
    if raw.startswith("/"):
        return _wsgi_bytes(raw)
    return _escaped(_wsgi_bytes(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")))


def _wsgi_bytes(text: str) -> bytes:
    """The bytes a WSGI string holds (as Latin-1); a string that is not one, as UTF-8."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


class WSGIMiddleware:
    """CORS for a WSGI application (Flask, Django's WSGI handler, …).

    ``policy`` is as for :class:`ASGIMiddleware`. The policy is chosen on the server's raw
    request target (``RAW_URI``, as gunicorn sends it, or ``REQUEST_URI``, decoded by
    ``corsc.paths`` as the evaluator decodes it) when it provides one, else on the decoded
    ``SCRIPT_NAME`` + ``PATH_INFO``. Repeated request headers arrive combined by the server, as
    WSGI defines.
    """

    def __init__(self, app: WSGIApp, policy: str | os.PathLike[str] | PolicySet) -> None:
        self.app = app
        self.policy_set = _policy_set(policy)
        self._plan = _Plan(self.policy_set, _WSGI)

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        plan = self._plan.everywhere
        if plan is None:
            chosen = self._plan.select(_wsgi_target(environ))
            if chosen is None:
                return self.app(environ, start_response)
            if isinstance(chosen, _Answer):
                start_response(_STATUS_LINES[400], chosen.own(400, _WSGI))
                return [b""]
            plan = chosen
        answer = plan.answer(
            environ["REQUEST_METHOD"],
            environ.get("HTTP_ORIGIN"),
            environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD"),
            environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS"),
            environ.get("HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK"),
        )
        if answer.status is not None:
            start_response(_STATUS_LINES[answer.status], answer.own(answer.status, _WSGI))
            return [b""]

        response = _WSGIResponse(start_response, answer)
        try:
            body = self.app(environ, response.start)
        except Exception as error:
            return response.fail(error)
        return body if response.started else response.lazy(body)
