"""Checks of ``regex`` patterns (CORS111–CORS113, CORS115–CORS119, and CORS107/CORS108 for a
regex admitting ``null``), each reading the regex through the run's ``Regexes``
(corsc.checks.compiled).

A regex entry is judged by the origins it admits (:func:`corsc.regex.language`): ``null`` as
``"null"``, other schemes, and sites it does not spell out (CORS115–CORS118, errors with
credentials), where unknown TLDs do count as public: the regex spells its hosts out, and a
class over a TLD nobody owns admits whatever someone registers there later. An unescaped dot
(CORS112) or a look-alike host (CORS113) already says a regex admits other sites, so the site
finding is left out then. A regex that is outside the portable subset (CORS111) is judged no
further: matching with it would mean nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from corsc import diagnostics as d
from corsc import origins, suffixes
from corsc.checks.compiled import one_site
from corsc.checks.context import PolicyContext, credentials_here, shown
from corsc.ir import AllowEntry, OriginPattern, PatternKind
from corsc.source import Position, Span

if TYPE_CHECKING:
    from corsc import regex

#: What a look-alike probe's reason starts with when it is the same host over ``http://`` or
#: on another port: not a look-alike host, so other sites may still be reported.
_SAME_HOST = ("`http://`", "a port")


# ---- the rules -------------------------------------------------------------------------------


def _regex_entries(context: PolicyContext) -> Iterator[AllowEntry]:
    """The reachable regex entries."""
    return (entry for entry in context.reachable if entry.pattern.kind is PatternKind.REGEX)


def _usable_regex_entries(context: PolicyContext) -> Iterator[AllowEntry]:
    """The reachable regex entries inside the portable subset: the only ones judged further."""
    return (entry for entry in _regex_entries(context) if context.regexes.usable(entry.pattern))


def _report_issues(context: PolicyContext, pattern: OriginPattern, dots: bool) -> None:
    """Report the regex's unescaped dots (CORS112) when ``dots``, else the constructs outside
    the portable subset (CORS111), each at the construct."""
    kind = d.REGEX_UNESCAPED_DOT if dots else d.REGEX_UNSUPPORTED
    for issue in context.regexes.issues(pattern):
        if (issue.kind == "unescaped-dot") == dots:
            context.report(
                kind.at(
                    _body_span(pattern, issue.start, issue.end, context.file),
                    issue.message,
                    issue.help,
                )
            )


def unsupported_in_denies(context: PolicyContext) -> None:
    """CORS111 for each construct outside the portable subset in a `deny` regex."""
    for pattern in context.policy.denies:
        if pattern.kind is PatternKind.REGEX:
            _report_issues(context, pattern, dots=False)


def unsupported_in_entries(context: PolicyContext) -> None:
    """CORS111 for each construct outside the portable subset in an allowed regex."""
    for entry in _regex_entries(context):
        _report_issues(context, entry.pattern, dots=False)


def unescaped_dots(context: PolicyContext) -> None:
    """CORS112 for each unescaped `.` in a usable allowed regex."""
    for entry in _usable_regex_entries(context):
        _report_issues(context, entry.pattern, dots=True)


def look_alikes(context: PolicyContext) -> None:
    """CORS113: the first look-alike origin a usable regex admits, how many others, and a
    safer pattern."""
    for entry in _usable_regex_entries(context):
        pattern = entry.pattern
        admitted = context.regexes.look_alikes(pattern)
        if not admitted:
            continue
        probe, why = admitted[0]
        more = ""
        if len(admitted) > 1:
            others = len(admitted) - 1
            more = f", and {others} other look-alike{'s' if others > 1 else ''}"
        context.report(
            d.REGEX_ADMITS_LOOK_ALIKE.at(
                pattern.span,
                f'{shown(pattern)} admits "{probe}" ({why}){more}',
                _safer_regex_help(
                    pattern, context.regexes.issues(pattern), [probe for probe, _ in admitted]
                ),
            )
        )


def _credentials(entry: AllowEntry) -> tuple[bool, list[d.Related]]:
    """Whether the entry grants credentials, and the related location that says so."""
    credentials = bool(entry.grant.credentials.value)
    return credentials, [credentials_here(entry.grant)] if credentials else []


def too_complex(context: PolicyContext) -> None:
    """CORS119: a usable regex whose admitted origins corsc cannot work out."""
    for entry in _usable_regex_entries(context):
        pattern = entry.pattern
        if context.regexes.language(pattern).too_complex:
            context.report(
                d.REGEX_TOO_COMPLEX.at(
                    pattern.span,
                    f"{shown(pattern)} is too complex for corsc to tell which origins it admits",
                    "split it into several `regex` entries, or list the origins it should admit",
                )
            )


def admits_null(context: PolicyContext) -> None:
    """A usable regex admitting ``null`` is judged as ``"null"`` written out: CORS107, or
    CORS108 with credentials."""
    help = 'make the regex spell out the scheme, as in regex "^https://app\\.example\\.com$"'
    for entry in _usable_regex_entries(context):
        pattern = entry.pattern
        if not context.regexes.language(pattern).null:
            continue
        credentials, related = _credentials(entry)
        if credentials:
            context.report(
                d.NULL_ORIGIN_WITH_CREDENTIALS.at(
                    pattern.span,
                    f'{shown(pattern)} admits "null" with credentials: any page can read '
                    "responses with the user's cookies, since sandboxed iframes and data: URLs "
                    "send `null`",
                    help,
                    related=related,
                )
            )
        else:
            context.report(
                d.NULL_ORIGIN.at(
                    pattern.span,
                    f'{shown(pattern)} admits "null", which every sandboxed iframe, data: URL '
                    "and local file sends: any site can produce it",
                    help,
                )
            )


def other_schemes(context: PolicyContext) -> None:
    """CORS117 (CORS118 with credentials): a usable regex admitting a scheme other than
    http and https."""
    for entry in _usable_regex_entries(context):
        pattern = entry.pattern
        other = context.regexes.language(pattern).other_scheme
        if other is None:
            continue
        credentials, related = _credentials(entry)
        kind = (
            d.REGEX_ADMITS_OTHER_SCHEMES_WITH_CREDENTIALS
            if credentials
            else d.REGEX_ADMITS_OTHER_SCHEMES
        )
        context.report(
            kind.at(
                pattern.span,
                f'{shown(pattern)} admits "{other}", whose scheme is neither http nor https',
                "spell out the scheme: start the regex with `https://`",
                related=related,
            )
        )


def other_sites(context: PolicyContext) -> None:
    """CORS115 (CORS116 with credentials): a usable regex admitting hosts of sites it does
    not spell out, unless an unescaped dot or a look-alike host already said so."""
    for entry in _usable_regex_entries(context):
        pattern = entry.pattern
        regexes = context.regexes
        language = regexes.language(pattern)
        if (
            language.spread is None
            or any(issue.kind == "unescaped-dot" for issue in regexes.issues(pattern))
            or any(not why.startswith(_SAME_HOST) for _, why in regexes.look_alikes(pattern))
        ):
            continue
        credentials, related = _credentials(entry)
        kind = (
            d.REGEX_ADMITS_OTHER_SITES_WITH_CREDENTIALS
            if credentials
            else d.REGEX_ADMITS_OTHER_SITES
        )
        named = [name for name in language.named if not name.startswith("[")]
        if named:
            listed = ", ".join(named[:3]) + (", …" if len(named) > 3 else "")
            message = f'{shown(pattern)} admits "{language.spread}" — outside {listed}'
        else:
            message = f'{shown(pattern)} admits "{language.spread}", and origins of any other site'
        domain = next((name for name in named if one_site(name)), "example.com")
        context.report(
            kind.at(
                pattern.span,
                message,
                "list the exact origins, or use a subdomain wildcard for a domain you own, "
                f'such as "https://*.{domain}"',
                related=related,
            )
        )


# ---- where a construct is written, and a safer pattern -------------------------------------


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
