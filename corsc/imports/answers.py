"""A policy read from what a server answers: the part of ``corsc import`` that the
configurations whose CORS decision is computed (nginx ``map``/``set``/``if``, Caddy matchers)
share.

An importer gives a *run* (a request, as a mapping of nginx's names of its parts —
``$http_origin``, ``$request_method``, ``$http_access_control_request_method``, … — to what
the server sends: :class:`Answer`) and the configuration's origin tests as
:class:`Candidate` entries. :func:`read_level` then works in three steps:

1. **The origins asked about.** Each candidate gets a few origins it admits (its witnesses,
   :func:`witnesses` for a regex); an unlisted origin stands for every other one.
2. **The answers.** Each witness is asked an actual request per method, a preflight per method
   and per header the configuration names, one asking for private network access
   (:class:`Probes`). A candidate whose witnesses are all answered alike is an entry with the
   grant those answers show; refused candidates that the allowed ones would admit are ``deny``
   entries.
3. **The check.** The policy written is evaluated on every witness and request and compared
   with the server's answers as a browser reads them (:func:`normal`); an origin answered
   differently is a finding at the line of the test it came from, so a configuration the
   policy does not mean is never imported silently.
"""

from __future__ import annotations

import re
import re._parser as sre  # type: ignore[import-not-found]
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from attrs import define, field, frozen

from corsc import diagnostics as d
from corsc.imports.common import full_match, literal, names, split_alternatives, unanchored_help
from corsc.imports.draft import Draft, Entry, Findings, Grant, exact, regex, render
from corsc.origins import MAX_ORIGIN_LENGTH
from corsc.records import fields_repr
from corsc.source import Source

#: Origins no configuration names: what they get is what every unlisted origin gets.
UNLISTED = ("https://unlisted.corsc.invalid", "http://unlisted.corsc.invalid:8080")
_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")
_KNOWN_METHODS = {*_METHODS, "HEAD", "OPTIONS"}
_PROBE_HEADER = "x-corsc-probe"
_TOKEN = re.compile(r"^[A-Za-z][A-Za-z0-9-]*$")
_LISTS = (
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-expose-headers",
)


@frozen
class Candidate:
    """One origin test as a policy entry, with the origins it admits and where it is."""

    __repr__ = fields_repr

    entry: Entry | None
    witnesses: tuple[str, ...]
    line: int
    #: The searched regex and its open sides, for CORS706 when the entry is used.
    unanchored: tuple[str, Any] | None = None


class Opaque(Exception):
    """The answer depends on something the machine cannot know; ``line`` is where."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


@frozen
class Answer:
    """What the server sends: ``status`` (``None``: the request goes on to the application)
    and the headers it adds, by lowercase name."""

    __repr__ = fields_repr

    status: int | None
    headers: tuple[tuple[str, str], ...]

    def header(self, name: str) -> str | None:
        values = [value for key, value in self.headers if key == name]
        return ", ".join(values) if values else None


def pcre(pattern: str, ignore_case: bool, line: int) -> re.Pattern[str]:
    """A regex of nginx (PCRE) or Caddy (RE2) as Python's: ``\\z`` is ``\\Z``; what Python
    would not read as PCRE does (``\\K``, ``\\G``, recursion, subroutine calls) is refused."""
    if re.search(r"\\[KGRX]|\(\?(?:[R0-9&]|P>)", pattern):
        raise Opaque(line, f"the regex `{pattern}` uses PCRE syntax corsc does not follow")
    try:
        return re.compile(pattern.replace("\\z", "\\Z"), re.I if ignore_case else 0)
    except (re.error, RecursionError, OverflowError) as error:
        raise Opaque(line, f"the regex `{pattern}` is not one corsc reads ({error})") from error


#: A request (nginx's names of its parts) to what the server answers.
Run = Callable[[Mapping[str, str]], Answer]
#: Builds a draft's policy and answers requests with it (``None``: it does not load).
Check = Callable[[Draft], Run | None]


# ---- witnesses -------------------------------------------------------------------------------


def _char(items: list[tuple[Any, Any]], negate: bool) -> str:
    """A character of a class (lowercase letters, then digits, then other printables)."""
    pool = "abcdefghijklmnopqrstuvwxyz1234567890-._:/ABCDEFGHIJKLMNOPQRSTUVWXYZ"

    def inside(char: str) -> bool:
        code = ord(char)
        for op, arg in items:
            name = str(op)
            if name == "LITERAL" and arg == code:
                return True
            if name == "RANGE" and arg[0] <= code <= arg[1]:
                return True
            if name == "CATEGORY":
                kind = str(arg)
                tests = {
                    "CATEGORY_DIGIT": char.isdigit(),
                    "CATEGORY_NOT_DIGIT": not char.isdigit(),
                    "CATEGORY_SPACE": char.isspace(),
                    "CATEGORY_NOT_SPACE": not char.isspace(),
                    "CATEGORY_WORD": char.isalnum() or char == "_",
                    "CATEGORY_NOT_WORD": not (char.isalnum() or char == "_"),
                }
                if tests.get(kind, False):
                    return True
        return False

    for char in pool:
        if inside(char) != negate:
            return char
    raise ValueError("empty class")


def _generate(tokens: Any, choice: int, extra: int) -> str:
    out: list[str] = []
    for op, arg in tokens:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "NOT_LITERAL":
            out.append("a" if arg != ord("a") else "b")
        elif name == "ANY":
            out.append("a")
        elif name == "IN":
            negate = bool(arg) and str(arg[0][0]) == "NEGATE"
            out.append(_char(arg[1:] if negate else arg, negate))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, body = arg
            count = low + extra if high is sre.MAXREPEAT or low + extra <= high else low
            out.append(_generate(body, choice, extra) * count)
        elif name == "SUBPATTERN":
            out.append(_generate(arg[-1], choice, extra))
        elif name == "BRANCH":
            branches = arg[1]
            out.append(_generate(branches[choice % len(branches)], choice, extra))
        elif name in ("AT",):
            continue
        else:
            raise ValueError(name)
    return "".join(out)


def witnesses(body: str, limit: int = 4) -> tuple[str, ...]:
    """A few strings the full-match regex ``body`` matches (none when it cannot be read)."""
    try:
        compiled = re.compile(body)
        tokens = sre.parse(body)
    except (re.error, RecursionError, OverflowError):
        return ()
    found: list[str] = []
    for choice in range(3):
        for extra in (0, 1):
            try:
                text = _generate(tokens, choice, extra)
            except (ValueError, RecursionError):
                continue
            if text not in found and compiled.fullmatch(text):
                found.append(text)
    return tuple(found[:limit])


def origin_shaped(text: str) -> bool:
    return "://" in text or text == "null"


def regex_candidates(pattern: str, ignore_case: bool, line: int) -> list[Candidate]:
    """A searched origin regex as entries: one per top-level alternative of its full-match
    form (an exact origin when the alternative admits one text)."""
    searched = full_match(pattern, ignore_case=ignore_case)
    body = searched.body
    while body.startswith("(?:") and body.endswith(")") and split_alternatives(body[3:-1]):
        inner = body[3:-1]
        if _balanced(inner):
            body = inner
        else:
            break
    found = []
    for alternative in split_alternatives(body):
        text = literal(alternative) if not searched.unanchored else None
        if text is None and not searched.unanchored:
            text = corsc_pattern(alternative)
        entry: Entry | None = exact(text) if text is not None else regex(alternative)
        shown = witnesses(alternative) if text is None or "*" in text else (text,)
        if shown and all(len(origin) > MAX_ORIGIN_LENGTH for origin in shown):
            entry = None  # only values no browser sends (a length check): asked, never an entry
        note = (pattern, searched) if searched.unanchored else None
        found.append(Candidate(entry, shown, line, note))
    return found


def _unwrapped(body: str) -> str:
    """``body`` without the non-capturing groups around all of it."""
    while body.startswith("(?:") and body.endswith(")") and _balanced(body[3:-1]):
        body = body[3:-1]
    return body


def corsc_pattern(alternative: str) -> str | None:
    """The wildcard pattern (``https://*.example.com``, ``http://localhost:*``) whose nginx
    rendering by corsc is the regex ``alternative``, ``None`` when it is no such rendering."""
    from corsc.origin_regex import render_pattern
    from corsc.origins import parse_pattern

    guess = alternative.replace("(?:[\\-0-9_a-z]+\\.)+", "\0", 1)
    guess, port, _ = guess.partition("(?::(?:")
    text = literal(guess)
    if text is None or guess == alternative:
        return None
    text = text.replace("\0", "*.") + (":*" if port else "")
    parsed = parse_pattern(text, Source("guess", text).span(0, len(text)))
    if parsed.pattern is None or parsed.canonical_text is not None:
        return None
    try:
        rendered = render_pattern(parsed.pattern, "pcre")
    except ValueError:
        return None
    return text if _unwrapped(full_match(rendered).body) == _unwrapped(alternative) else None


def _balanced(text: str) -> bool:
    try:
        re.compile(text)
    except re.error:
        return False
    return True


# ---- answers ---------------------------------------------------------------------------------


@frozen
class Probes:
    """The requests every origin is asked with: methods and headers the configuration names."""

    __repr__ = fields_repr

    methods: tuple[str, ...]
    headers: tuple[str, ...]

    @classmethod
    def of(cls, values: Iterable[str]) -> Probes:
        methods, headers = list(_METHODS), list[str]()
        for value in values:
            listed = names(value)
            # A method list names one of the usual methods; its other names are methods too.
            in_methods = any(item in _KNOWN_METHODS for item in listed)
            for item in listed:
                if not _TOKEN.match(item):
                    continue
                if in_methods:
                    if item not in methods and re.fullmatch("[A-Z][A-Z_-]*", item):
                        methods.append(item)
                elif item.lower() not in {h.lower() for h in headers}:
                    headers.append(item)
        return cls(tuple(methods), (*headers[:24], _PROBE_HEADER))

    def requests(self, origin: str) -> Iterator[tuple[str, dict[str, str]]]:
        yield "get", {"$request_method": "GET", "$http_origin": origin}
        for method in self.methods[1:]:
            yield f"a:{method}", {"$request_method": method, "$http_origin": origin}
        for method in self.methods:
            yield f"m:{method}", _preflight(origin, method)
        for header in self.headers:
            yield f"h:{header}", _preflight(origin, "GET", header)
        yield (
            "pn",
            {
                **_preflight(origin, "GET"),
                "$http_access_control_request_private_network": "true",
            },
        )


def _preflight(origin: str, method: str, headers: str = "") -> dict[str, str]:
    return {
        "$request_method": "OPTIONS",
        "$http_origin": origin,
        "$http_access_control_request_method": method,
        "$http_access_control_request_headers": headers,
    }


Profile = tuple[tuple[str, tuple[Any, ...]], ...]


_SIMPLE = ("GET", "HEAD", "POST")


def normal(answer: Answer, request: Mapping[str, str]) -> tuple[Any, ...]:
    """An answer as a browser reads it. An actual request: its status class and, when the
    Allow-Origin admits the origin, how (``*`` or the origin itself), Allow-Credentials and the
    exposed headers. A preflight: whether a script without and with credentials may go on (the
    Allow-Origin, the method and every header asked for granted; ``*`` counts only without
    credentials), and the cache lifetime and private-network answer that go with it."""
    status = answer.status if answer.status is not None else 200
    origin = request.get("$http_origin")
    allow_origin = answer.header("access-control-allow-origin")
    admitted = allow_origin in (origin, "*")
    credentials = answer.header("access-control-allow-credentials") == "true"
    if request.get("$request_method") != "OPTIONS":
        shown = "ok" if 200 <= status < 300 else str(status)
        if not admitted:
            return (shown,)
        expose = answer.header("access-control-expose-headers") or ""
        exposed = tuple(sorted({item.lower() for item in names(expose)}))
        # Read without credentials always; with them only for the origin itself and `true`.
        return (shown, allow_origin != "*" and credentials, exposed)
    if not admitted or not 200 <= status < 300:
        return ("refused",)
    method = request.get("$http_access_control_request_method", "")
    asked = [
        item.lower() for item in names(request.get("$http_access_control_request_headers", ""))
    ]
    methods = names(answer.header("access-control-allow-methods") or "")
    allowed_headers = {
        item.lower() for item in names(answer.header("access-control-allow-headers") or "")
    }

    def passes(with_credentials: bool) -> bool:
        if with_credentials and (allow_origin == "*" or not credentials):
            return False
        wildcard = not with_credentials
        method_ok = method in _SIMPLE or method in methods or (wildcard and "*" in methods)
        headers_ok = all(
            item in allowed_headers or (wildcard and "*" in allowed_headers) for item in asked
        )
        return method_ok and headers_ok

    passing = (passes(False), passes(True))
    if passing == (False, False):
        return ("refused",)
    private = answer.header("access-control-allow-private-network")
    return ("accepted", *passing, answer.header("access-control-max-age"), private)


def profile(run: Run, probes: Probes, origin: str) -> Profile:
    return tuple((key, normal(run(request), request)) for key, request in probes.requests(origin))


def _allowed(profile: Profile) -> bool:
    """Whether an actual request of this origin may be read (by a script without
    credentials at least)."""
    return len(dict(profile)["get"]) > 1


# ---- a grant from answers ------------------------------------------------------------------


def grant_of(run: Run, probes: Probes, origin: str) -> tuple[Grant, int | None]:
    """The grant ``origin``'s answers show, and the status of its accepted preflights."""
    grant = Grant(credentials=False)
    get = run({"$request_method": "GET", "$http_origin": origin})
    if get.header("access-control-allow-credentials") == "true":
        grant.credentials = True
    expose = get.header("access-control-expose-headers")
    grant.expose = names(expose) if expose else None
    methods: list[str] = []
    status: int | None = None
    max_age: str | None = None
    for method in probes.methods:
        answer = run(_preflight(origin, method))
        if not _accepts(answer, origin):
            continue
        status = status if status is not None else answer.status
        max_age = max_age or answer.header("access-control-max-age")
        for item in names(answer.header("access-control-allow-methods") or ""):
            if item not in methods:
                methods.append(item)
    grant.methods = methods or None
    headers: list[str] = []
    for header in probes.headers:
        answer = run(_preflight(origin, "GET", header))
        if not _accepts(answer, origin):
            continue
        sent = names(answer.header("access-control-allow-headers") or "")
        if header == _PROBE_HEADER and (sent == ["*"] or sent == [header]):
            headers = ["*"]
            break
        headers += [item for item in sent if item.lower() not in {h.lower() for h in headers}]
    grant.headers = headers or None
    if max_age is not None and max_age.isdigit():
        grant.max_age = int(max_age)
    asked = run(
        {**_preflight(origin, "GET"), "$http_access_control_request_private_network": "true"}
    )
    if _accepts(asked, origin) and asked.header("access-control-allow-private-network"):
        grant.private_network = True
    return grant, status


def _accepts(answer: Answer, origin: str) -> bool:
    return (answer.status or 200) < 300 and answer.header("access-control-allow-origin") in (
        origin,
        "*",
    )


# ---- the policy ------------------------------------------------------------------------------


@define
class Reading:
    """The policy of one level read from its answers, and the origins that showed it."""

    draft: Draft
    findings: list[tuple[int, str]] = field(factory=list)
    #: The candidates the policy's entries and denies come from.
    used: list[Candidate] = field(factory=list)


def read_level(
    draft: Draft, run: Run, tests: list[Candidate], probes: Probes, check: Check, server: str
) -> Reading:
    """Fill ``draft`` with the origins and grants ``run`` (``server``'s answers) shows, then
    check it against them: the reading's findings are (line, message) pairs for what the
    policy cannot say."""
    reading = Reading(draft)
    seen: dict[str, Profile] = {}

    def of(origin: str) -> Profile:
        if origin not in seen:
            seen[origin] = profile(run, probes, origin)
        return seen[origin]

    grants: dict[Profile, tuple[Grant, int | None]] = {}

    def grant(found: Profile, origin: str) -> Grant:
        if found not in grants:
            grants[found] = grant_of(run, probes, origin)
        return grants[found][0]

    default = of(UNLISTED[0])
    # Candidates whose witnesses are all answered alike, by what they are answered.
    groups: dict[Profile, list[Candidate]] = {}
    for test in tests:
        shown = [of(origin) for origin in test.witnesses]
        if not shown:
            reading.findings.append((test.line, "corsc finds no origin this test admits"))
        elif test.entry is not None and all(item == shown[0] for item in shown):
            groups.setdefault(shown[0], []).append(test)
    # An origin refused with 403 to an actual request: `unlisted reject`.
    if any(dict(found)["get"] == ("403",) for found in seen.values()):
        draft.unlisted = "reject"
    allowed = {key: value for key, value in groups.items() if _allowed(key)}
    refused = [test for key, value in groups.items() if not _allowed(key) for test in value]
    if _allowed(default):
        main, draft.origins = default, ["*"]
        draft.grant = grant(default, UNLISTED[0])
    elif allowed:
        for found, members in allowed.items():
            grant(found, members[0].witnesses[0])
        # The grant most entries share is the policy's, unless another would have to unset
        # one of its settings; then every grant is an origin block.
        fitting = [
            key
            for key in sorted(allowed, key=lambda key: -len(allowed[key]))
            if all(_expressible(grants[key][0], grants[other][0]) for other in allowed)
        ]
        if fitting:
            main = fitting[0]
            draft.grant = grants[main][0]
            draft.origins = _unique(_entry(test) for test in allowed[main])
            reading.used += allowed[main]
        else:
            main = None
            draft.grant = _common([grants[key][0] for key in allowed])
    blocks: list[tuple[Entry, Grant]] = []
    for found, members in allowed.items():
        if found != main:
            blocks += [(_entry(test), grant(found, test.witnesses[0])) for test in members]
            reading.used += members
    if any(grants[key][1] == 200 for key in grants):
        draft.preflight_status = 200
    draft.grant = _plain(draft.grant)
    for entry, settings in _unique_blocks(blocks):
        over = _over(draft.grant, settings)
        if over.key() == Grant().key() and draft.origins:
            draft.origins.append(entry)  # nothing of its own: one more of the policy's origins
        else:
            draft.blocks.append((entry, over))
    if draft.empty:
        reading.findings.append(
            (
                draft.span.start.line,
                "these Access-Control-* headers allow no origin corsc can find: none of the "
                "origins the configuration tests gets access",
            )
        )
        return reading
    evaluator = check(draft)
    if evaluator is None:
        return reading  # the policy does not load: `corsc check` reports why
    # A refused origin the entries would admit is denied.
    for test in refused:
        admitted = any(_allowed(profile(evaluator, probes, o)) for o in test.witnesses)
        if admitted and _entry(test) not in draft.denies:
            draft.denies.append(_entry(test))
            reading.used.append(test)
    evaluator = check(draft) if draft.denies else evaluator
    if evaluator is None:
        return reading
    reported: set[int] = set()
    for test in [*tests, Candidate(None, UNLISTED, draft.span.start.line)]:
        for origin in test.witnesses:
            theirs, ours = of(origin), profile(evaluator, probes, origin)
            if theirs != ours and test.line not in reported:
                reported.add(test.line)
                reading.findings.append((test.line, _difference(server, origin, theirs, ours)))
    return reading


_FIELDS = ("methods", "headers", "expose", "credentials", "max_age", "private_network")


def _plain(grant: Grant) -> Grant:
    """``grant`` with ``false`` settings left to the language's default."""
    return Grant(
        grant.methods,
        grant.headers,
        grant.expose,
        grant.credentials or None,
        grant.max_age,
        grant.private_network or None,
    )


def _expressible(policy: Grant, block: Grant) -> bool:
    """Whether an origin block can say ``block`` under a policy that says ``policy``: a block
    overrides settings, it cannot unset one."""
    under, over = _plain(policy), _plain(block)
    return all(
        getattr(over, name) is not None or getattr(under, name) is None
        for name in ("methods", "headers", "expose", "max_age")
    )


def _common(grants: list[Grant]) -> Grant:
    """The settings every grant has alike (the rest is left to the blocks)."""
    shared = {
        name: getattr(grants[0], name)
        for name in _FIELDS
        if all(getattr(item, name) == getattr(grants[0], name) for item in grants)
    }
    return Grant(**shared)


def _over(policy: Grant, block: Grant) -> Grant:
    """What an origin block writes: the settings of ``block`` that differ from the policy's
    (a block inherits the rest)."""
    plain = _plain(block)
    kept = {
        name: getattr(plain, name)
        for name in _FIELDS
        if getattr(plain, name) != getattr(policy, name)
    }
    if "credentials" in kept and kept["credentials"] is None:
        kept["credentials"] = False
    if "private_network" in kept and kept["private_network"] is None:
        kept["private_network"] = False
    return Grant(**kept)


def _entry(test: Candidate) -> Entry:
    assert test.entry is not None
    return test.entry


def _unique(entries: Iterable[Entry]) -> list[Entry]:
    return list(dict.fromkeys(entries))


def _unique_blocks(blocks: list[tuple[Entry, Grant]]) -> list[tuple[Entry, Grant]]:
    seen: dict[Entry, Grant] = {}
    for entry, grant in blocks:
        seen.setdefault(entry, grant)
    return list(seen.items())


def _difference(server: str, origin: str, theirs: Profile, ours: Profile) -> str:
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


#: The request header fields a run names, by the nginx names :class:`Probes` gives them.
FIELDS = (
    ("Origin", "$http_origin"),
    ("Access-Control-Request-Method", "$http_access_control_request_method"),
    ("Access-Control-Request-Headers", "$http_access_control_request_headers"),
    ("Access-Control-Request-Private-Network", "$http_access_control_request_private_network"),
)


def request_fields(request: Mapping[str, str]) -> list[tuple[str, str]]:
    """The header fields a request of a run is sent with (the empty ones left out)."""
    return [(header, request[variable]) for header, variable in FIELDS if request.get(variable)]


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


def report(findings: Findings, reading: Reading, server: str) -> None:
    """The findings of a reading: each origin the policy answers otherwise than ``server``
    (CORS703), each unanchored regex an entry or deny came from (CORS706)."""
    for line, message in reading.findings:
        findings.at_line(
            d.IMPORT_NOT_EXPRESSED,
            line,
            message,
            f"the imported policy answers that origin as it says, not as {server} does; "
            "change the configuration or the policy so they agree",
        )
    for test in reading.used:
        if test.unanchored is not None:
            pattern, searched = test.unanchored
            findings.at_line(
                d.IMPORT_UNANCHORED_REGEX,
                test.line,
                f"the origin regex `{pattern}` is not anchored",
                unanchored_help(searched, server),
            )
