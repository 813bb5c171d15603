"""Checks of what a policy or an `origin` block grants (CORS201–CORS213, CORS302–CORS305,
CORS402–CORS406): methods, request headers, exposed headers, max-age and private network.

Each written statement is checked once, where it is written: a block that does not write one
inherits the policy's, and a `let` list repeats none. Which names are tokens, safelisted,
forbidden or unexposable is HTTP's (corsc.http); which exposed headers look secret and which
max-age is too long are corsc's advice, and stay here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

from corsc import diagnostics as d
from corsc import http
from corsc.checks.context import PolicyContext, credentials_here, duplicate_item, shown
from corsc.ir import Grant, PatternKind, Setting, Token, TokenList
from corsc.source import Span

T = TypeVar("T")

#: Exposed response headers that look like they carry a secret: these names, and names with
#: these suffixes or prefixes (lowercase).
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


def _written(
    context: PolicyContext, setting_of: Callable[[Grant], Setting[T]]
) -> Iterator[Setting[T]]:
    """The written statements among the policy's and its blocks' grants, each once (by
    where it starts), in source order."""
    seen: set[tuple[str, int]] = set()
    for grant in context.grants:
        setting = setting_of(grant)
        key = (setting.span.file, setting.span.start.offset)
        if setting.written and key not in seen:
            seen.add(key)
            yield setting


def methods(context: PolicyContext) -> None:
    """CORS201–CORS207 for each written `methods` list: names that are not tokens, listed
    twice (methods are case-sensitive), forbidden, spelled in a case browsers change or keep,
    or granted already (CORS205, once per list)."""
    policy_methods = context.policy.grant.methods.span
    for setting in _written(context, lambda grant: grant.methods):
        first: dict[str, Span] = {}
        safelisted: list[Token] = []
        for token in setting.value.items:
            method = token.value
            if method in first:
                context.report(duplicate_item(method, token.span, first[method]))
                continue
            first[method] = token.span
            if method in http.SAFELISTED_METHODS:
                safelisted.append(token)
                continue
            diagnostic = _method_finding(token)
            if diagnostic is not None:
                context.report(diagnostic)
        in_block = setting.span != policy_methods
        # In an `origin` block a list of safelisted methods only is not redundant: without it
        # the block would inherit the policy's methods. So there is nothing to advise.
        if safelisted and not (in_block and len(safelisted) == len(first)):
            context.report(_safelisted_methods(safelisted))


def _safelisted_methods(tokens: list[Token]) -> d.Diagnostic:
    """CORS205 for the safelisted methods of one list, named together."""
    listed = d.and_list([f"`{token.value}`" for token in tokens])
    one = len(tokens) == 1
    return d.SAFELISTED_METHOD.at(
        tokens[0].span,
        f"{listed} {'needs' if one else 'need'} no grant: a preflight always allows GET, HEAD "
        "and POST",
        f"you can remove {'it' if one else 'them'}; listing {'it' if one else 'them'} "
        "changes nothing",
    )


def _method_finding(token: Token) -> d.Diagnostic | None:
    """What is wrong with the method ``token`` listed once, if anything."""
    method = token.value
    upper = method.upper()
    if not http.is_token(method):
        return d.INVALID_METHOD.at(
            token.span,
            f'"{method}" is not a method name',
            "a method is one HTTP token: letters, digits and !#$%&'*+-.^_`|~, such as PATCH",
        )
    if upper in http.FORBIDDEN_METHODS:
        return d.FORBIDDEN_METHOD.at(
            token.span,
            f"`{method}` can never be sent: browsers refuse {upper} requests from scripts",
            f"remove `{method}`",
        )
    if upper in http.NORMALIZED_METHODS and method != upper:
        return d.LOWERCASE_METHOD.at(
            token.span,
            f"`{method}` never matches: browsers send this method as `{upper}`",
            f"write `{upper}` — browsers uppercase these and compare case-sensitively",
            fixes=[d.Fix(f"write `{upper}`", (d.TextEdit(token.span, upper),))],
        )
    if method != upper:
        return d.NON_UPPERCASE_METHOD.at(
            token.span,
            f"`{method}` is not uppercase: it matches only scripts that send "
            f"exactly `{method}`, since methods are compared case-sensitively",
            f"write `{upper}`, as servers and scripts usually spell it",
        )
    if method == "OPTIONS":
        return d.OPTIONS_METHOD.at(
            token.span,
            "preflights never need `OPTIONS` listed; it only lets scripts send "
            "OPTIONS requests themselves",
            "remove it unless your scripts send OPTIONS requests",
        )
    return None


def _header_tokens(context: PolicyContext, headers: TokenList) -> Iterator[tuple[Token, str]]:
    """The valid names of a header list with their lowercase form, after reporting names
    that are not tokens (CORS211) and names listed twice (CORS207; header names ignore
    case)."""
    first: dict[str, Span] = {}
    for token in headers.items:
        name = token.value.lower()
        if name in first:
            context.report(duplicate_item(token.value, token.span, first[name]))
            continue
        first[name] = token.span
        if not http.is_token(token.value):
            context.report(
                d.INVALID_HEADER.at(
                    token.span,
                    f'"{token.value}" is not a header name',
                    "a header name is one HTTP token: letters, digits and "
                    "!#$%&'*+-.^_`|~, such as X-Request-Id",
                )
            )
            continue
        yield token, name


def request_headers(context: PolicyContext) -> None:
    """CORS207, CORS211–CORS213 for each written `headers` list: names scripts cannot set,
    and names that never need a preflight (Content-Type does, for most types)."""
    for setting in _written(context, lambda grant: grant.headers):
        safelisted: list[Token] = []
        for token, name in _header_tokens(context, setting.value):
            if http.is_forbidden_header(name):
                if name in {"cookie", "cookie2"}:
                    help = "remove it; with `credentials true` browsers send cookies themselves"
                else:
                    help = "remove it; browsers set this header themselves"
                context.report(
                    d.FORBIDDEN_HEADER.at(
                        token.span,
                        f"scripts cannot set `{token.value}`, so granting it changes nothing",
                        help,
                    )
                )
            elif name in http.SAFELISTED_REQUEST_HEADERS:
                safelisted.append(token)
        if safelisted:
            context.report(_safelisted_headers(safelisted))


def _safelisted_headers(tokens: list[Token]) -> d.Diagnostic:
    """CORS213 for the safelisted request headers of one list, named together."""
    one = len(tokens) == 1
    return d.SAFELISTED_HEADER.at(
        tokens[0].span,
        f"{d.and_list([f'`{token.value}`' for token in tokens])} with an ordinary value "
        f"{'needs' if one else 'need'} no preflight",
        f"you can remove {'it' if one else 'them'}, unless scripts send values browsers do not "
        'safelist (longer than 128 bytes, or with characters such as `(` or `"`)',
    )


def exposed_headers(context: PolicyContext) -> None:
    """CORS207, CORS211, CORS303–CORS305 for each written `expose` list: headers no script
    can read, headers that look secret, and headers scripts can always read."""
    for setting in _written(context, lambda grant: grant.expose):
        for token, name in _header_tokens(context, setting.value):
            if name in http.UNEXPOSABLE_HEADERS:
                context.report(
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
                context.report(
                    d.EXPOSE_SENSITIVE.at(
                        token.span,
                        f"`{token.value}` looks like it carries a secret, and scripts of every "
                        "allowed origin can read it",
                        "remove it unless every allowed origin may see its value",
                    )
                )
            elif name in http.SAFELISTED_RESPONSE_HEADERS:
                context.report(
                    d.EXPOSE_SAFELISTED.at(
                        token.span,
                        f"scripts can always read `{token.value}`; exposing it changes nothing",
                        "you can remove it",
                    )
                )


def expose_wildcard_with_credentials(context: PolicyContext) -> None:
    """CORS302: `expose *` in a grant with credentials, where browsers read `*` as a name."""
    for grant in context.grants:
        if grant.expose.value.wildcard and grant.credentials.value:
            context.report(
                d.EXPOSE_WILDCARD_WITH_CREDENTIALS.at(
                    grant.expose.span,
                    "expose * cannot be combined with credentials true",
                    'with credentials, browsers read "*" as a header named `*`; list the '
                    "response headers scripts need, such as X-Request-Id",
                    related=[credentials_here(grant)],
                )
            )


def max_age(context: PolicyContext) -> None:
    """CORS402–CORS404: a written max-age above a browser's cap, the highest cap passed."""
    for setting in _written(context, lambda grant: grant.max_age):
        seconds = setting.value
        if seconds is None:  # malformed: reported by lowering
            continue
        for cap, kind, who in _MAX_AGE_CAPS:
            if seconds > cap:
                context.report(
                    kind.at(
                        setting.span,
                        f"max-age {_duration(seconds)} is longer than {who}",
                        _max_age_help(cap),
                    )
                )
                break


def private_network_enabled(context: PolicyContext) -> None:
    """CORS406: each written `private-network true`."""
    for setting in _written(context, lambda grant: grant.private_network):
        if setting.value:
            context.report(
                d.PRIVATE_NETWORK_ENABLED.at(
                    setting.span,
                    "`private-network true` lets public websites reach this server on a "
                    "private network; browsers have put these preflights on hold",
                    "leave it off unless a client you support still sends Private Network "
                    "Access preflights (answering them by default was CVE-2024-6221)",
                )
            )


def private_network_patterns(context: PolicyContext) -> None:
    """CORS405: private-network access granted to a reachable entry that is not one exact
    origin."""
    for entry in context.reachable:
        pattern, grant = entry.pattern, entry.grant
        kind = pattern.kind
        if not grant.private_network.value or kind is PatternKind.EXACT:
            continue
        if kind is PatternKind.ANY:
            what = "admits every website"
        elif kind is PatternKind.NULL:
            what = "is sent by any sandboxed page"
        else:
            what = "is a pattern"
        context.report(
            d.PRIVATE_NETWORK_PATTERN.at(
                pattern.span,
                f"private-network access needs exact origins, but {shown(pattern)} {what}",
                "grant it in an `origin` block for each exact origin that must reach the "
                "private network, and leave it off in the policy",
                related=[d.Related(grant.private_network.span, "private-network enabled here")],
            )
        )


def _duration(seconds: int) -> str:
    """``7200`` → ``2h (7200 s)``: the largest unit that divides, and the seconds."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit} ({seconds} s)"
    return f"{seconds} s"


def _max_age_help(cap: int) -> str:
    """What to do about a max-age above ``cap``."""
    if cap == 600:
        return (
            "nothing to do if longer caching in other browsers is intended; Safari uses 10 minutes"
        )
    return (
        "write `2h` or less: browsers clamp longer values, and a shorter cache lets a revoked "
        "grant take effect sooner"
    )
