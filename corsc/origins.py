"""Origins: what an origin looks like, and patterns parsed into canonical form.

This is the one place that knows the shape of an origin. Lowering parses with
:func:`parse_pattern`; :func:`specificity` orders allow entries; :func:`without_trailing_dot`
gives the form a ``deny`` also refuses. Matching and rendering patterns as regexes is
:mod:`corsc.origin_regex`'s. Imports nothing heavy at module level (``idna`` is imported only to
canonicalise a non-ASCII host).
"""

from __future__ import annotations

import ipaddress
import re

from attrs import frozen

from corsc.ir import OriginPattern, PatternKind
from corsc.records import fields_repr
from corsc.source import Span

DEFAULT_PORTS = {"http": 80, "https": 443}
SCHEMES = tuple(DEFAULT_PORTS)

#: The longest Origin any target matches: ``https://``, a 253-character DNS name and ``:65535``.
#: No browser sends a longer one, so a longer Origin is never allowed, and it is refused before
#: any pattern (a regex in particular) is run against it.
MAX_ORIGIN_LENGTH = len("https://") + 253 + len(":65535")
_TRAILING_DOT = re.compile(r"([a-z][a-z0-9+.-]*://[^/?#:]+)\.(:[0-9]+)?")

#: One DNS label as wildcard matching reads it: one or more of ``a-z 0-9 - _`` (README: Origin
#: patterns).
LABEL = r"[a-z0-9_-]+"
_LABEL_RE = re.compile(LABEL)
_PORT_RE = re.compile(r"[0-9]+")
_CANONICAL_HOST_PATTERN = re.compile(
    r"(https?)://(\*\.)?((?:[a-z0-9_-]+\.)*[a-z0-9_-]+)(?::([1-9][0-9]{0,4}|\*))?"
)


@frozen
class OriginProblem:
    """Why a written pattern is not usable. ``code`` is ``not-an-origin`` or
    ``wildcard-not-leading-label``; the lowering turns it into a diagnostic."""

    __repr__ = fields_repr

    code: str
    message: str
    help: str


@frozen
class ParsedPattern:
    """A pattern in canonical form, or the problem that kept it from being one.

    ``canonical_text`` is what the user should have written when it differs from the text
    (the fix of ``origin-not-canonical``); ``None`` when the text is already canonical.
    """

    __repr__ = fields_repr

    pattern: OriginPattern | None
    problem: OriginProblem | None = None
    canonical_text: str | None = None
    why_not_canonical: str = ""


def _not_an_origin(message: str, help: str) -> ParsedPattern:
    return ParsedPattern(None, OriginProblem("not-an-origin", message, help))


def _as_browsers_send(origin: str, span: Span) -> str:
    """``origin`` as a suggestion: in its canonical spelling when it parses as a pattern
    (``HTTPS://App.Example.com:443`` → ``https://app.example.com``), else as it is."""
    parsed = parse_pattern(origin, span)
    return parsed.canonical_text or origin


def parse_pattern(text: str, span: Span) -> ParsedPattern:
    """Parse a quoted origin pattern (everything but ``regex``): exact, ``*.`` subdomain
    wildcard, ``:*`` port wildcard, ``*`` or ``null``."""
    if text == "*":
        return ParsedPattern(OriginPattern(PatternKind.ANY, text, span))
    fast = _CANONICAL_HOST_PATTERN.fullmatch(text)
    if fast is not None:  # already canonical, the common case: skip the general parser
        scheme, wildcard, host, port_text = fast.groups()
        fast_port = None if port_text in (None, "*") else int(port_text)
        if not ends_in_a_number(host) and (
            fast_port is None or (fast_port < 65536 and fast_port != DEFAULT_PORTS[scheme])
        ):
            kind = PatternKind.SUBDOMAIN if wildcard else PatternKind.PORT
            if not wildcard and port_text != "*":
                kind = PatternKind.EXACT
            return ParsedPattern(
                OriginPattern(
                    kind,
                    text,
                    span,
                    scheme=scheme,
                    host=host,
                    port=fast_port,
                    any_port=port_text == "*",
                )
            )
    if text.lower() == "null":
        canonical = None if text == "null" else "null"
        return ParsedPattern(
            OriginPattern(PatternKind.NULL, text, span), None, canonical, "`null` is lowercase"
        )
    if text != text.strip():
        return _not_an_origin(
            "an origin cannot have spaces around it",
            f'write "{text.strip()}"',
        )
    scheme, separator, rest = text.partition("://")
    if not separator:
        guess = _as_browsers_send(f"https://{text.split('/', 1)[0]}", span)
        return _not_an_origin(
            f'"{text}" has no scheme',
            f'write the scheme browsers use, for example "{guess}"',
        )
    lower_scheme = scheme.lower()
    if lower_scheme not in SCHEMES:
        return _not_an_origin(
            f"unsupported scheme `{scheme}` in an origin",
            "origins in a CORS policy use `https://` (or `http://` for local development)",
        )
    for mark, what in (("/", "a path"), ("?", "a query"), ("#", "a fragment")):
        index = rest.find(mark)
        if index != -1:
            origin = _as_browsers_send(f"{scheme}://{rest[:index]}", span)
            if mark == "/" and index == len(rest) - 1:
                return _not_an_origin(
                    f'"{text}" ends with `/`; an origin never does',
                    f'remove the trailing slash: "{origin}"',
                )
            return _not_an_origin(
                f'"{text}" has {what}; an origin is only scheme, host and port',
                f'write the origin alone, "{origin}", and restrict paths with `paths`',
            )
    if "@" in rest:
        return _not_an_origin(
            f'"{text}" has user information (`…@`); an origin never does',
            f'write "{scheme}://{rest.rpartition("@")[2]}"',
        )
    host, port_text, any_port = _split_port(rest)
    if host is None:
        return _not_an_origin(f'"{text}" has a malformed port', "a port is a number or `*`")
    if not host:
        return _not_an_origin(f'"{text}" has no host', 'write a host, as in "https://example.com"')
    port: int | None = None
    if port_text is not None:
        port = int(port_text)
        if not 0 < port < 65536:
            return _not_an_origin(f"port {port_text} is out of range", "ports go from 1 to 65535")
        if port == DEFAULT_PORTS[lower_scheme]:
            port = None
    subdomains = host.startswith("*.")
    base = host[2:] if subdomains else host
    if "*" in base:
        return ParsedPattern(
            None,
            OriginProblem(
                "wildcard-not-leading-label",
                f'`*` in "{text}" is not a whole leading label',
                'write the wildcard as the whole first label, as in "https://*.example.com" '
                "(one or more labels deep, never the apex), or use `regex`",
            ),
        )
    canonical_host, host_problem = canonical_host_of(base, allow_ip=not subdomains)
    if canonical_host is None:
        return _not_an_origin(f'"{text}": {host_problem}', "write a valid host name or address")
    if subdomains:
        kind = PatternKind.SUBDOMAIN
    elif any_port:
        kind = PatternKind.PORT
    else:
        kind = PatternKind.EXACT
    pattern = OriginPattern(
        kind, text, span, scheme=lower_scheme, host=canonical_host, port=port, any_port=any_port
    )
    canonical = pattern.canonical
    if canonical == text:
        return ParsedPattern(pattern)
    return ParsedPattern(
        pattern, None, canonical, _why_not_canonical(text, lower_scheme, port_text)
    )


def _why_not_canonical(text: str, scheme: str, port_text: str | None) -> str:
    if port_text is not None and int(port_text) == DEFAULT_PORTS[scheme]:
        return f"browsers never send the default port {port_text}"
    if not text.isascii():
        return "browsers send international host names in punycode"
    if text != text.lower():
        return "browsers send scheme and host in lowercase"
    return "browsers send it in another form"


def _split_port(rest: str) -> tuple[str | None, str | None, bool]:
    """``host[:port]`` → (host, port digits or None, any_port). Host ``None`` = malformed."""
    if rest.startswith("["):
        close = rest.find("]")
        if close == -1:
            return None, None, False
        host, after = rest[: close + 1], rest[close + 1 :]
    else:
        host, colon, port = rest.partition(":")
        after = colon + port
    if not after:
        return host, None, False
    if after == ":*":
        return host, None, True
    if after.startswith(":") and _PORT_RE.fullmatch(after[1:]) and len(after) <= 7:
        return host, after[1:], False
    return None, None, False


def canonical_host_of(host: str, *, allow_ip: bool = True) -> tuple[str | None, str]:
    """The host as browsers serialise it (lowercase, punycode by UTS #46 non-transitional,
    RFC 5952 IPv6), or ``None`` and the reason."""
    if host.startswith("["):
        if not allow_ip:
            return None, "a wildcard cannot stand over an IP address"
        # URLs have no zone identifiers (`%25eth0`), though `ipaddress` accepts them.
        try:
            address = ipaddress.IPv6Address(host[1:-1]) if "%" not in host else None
        except ValueError:
            address = None
        if address is None:
            return None, f"`{host}` is not an IPv6 address"
        return f"[{address.compressed}]", ""
    if host.endswith("."):
        return None, "the host ends with `.`"
    if host.isascii():
        lowered = host.lower()
    else:
        import idna  # only for international names: it is slow to import

        try:
            lowered = idna.encode(host, uts46=True, transitional=False).decode("ascii")
        except idna.IDNAError as error:
            return None, f"`{host}` is not a valid international host name ({error})"
    labels = lowered.split(".")
    if any(not _LABEL_RE.fullmatch(label) for label in labels):
        return None, f"`{host}` is not a valid host name"
    if ends_in_a_number(lowered):
        if not allow_ip:
            return None, "a wildcard cannot stand over an IP address"
        number = ipv4_number(lowered)
        if number is None:
            return None, f"`{host}` is not a valid IPv4 address"
        return str(ipaddress.IPv4Address(number)), ""
    return lowered, ""


def ends_in_a_number(host: str) -> bool:
    """Whether the URL standard parses ``host`` (ASCII, lowercase) as an IPv4 address: its last
    label is decimal digits or a ``0x`` hexadecimal number. ``devbox2`` and ``a.b.c.d3`` are
    names; ``1.2.3.4.5`` and ``999.1.1.1`` are IPv4 addresses that fail to parse."""
    last = host.removesuffix(".").rpartition(".")[2]
    # Decimal and octal numbers are digits; anything else that parses is `0x` hexadecimal.
    return last.isdigit() or (last.startswith("0x") and _ipv4_part(last) is not None)


def ipv4_number(host: str) -> int | None:
    """The URL standard's IPv4 parser: one to four dot-separated parts, each decimal, octal
    (leading ``0``) or hexadecimal (``0x``), the last filling the remaining bytes (``1.2.3`` is
    ``1.2.0.3``, ``0x7f.1`` is ``127.0.0.1``). ``None`` where a browser refuses the host."""
    parts = host.split(".")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()
    if len(parts) > 4:
        return None
    numbers = [_ipv4_part(part) for part in parts]
    if None in numbers:
        return None
    *leading, last = (number for number in numbers if number is not None)
    if any(number > 255 for number in leading) or last >= 256 ** (5 - len(parts)):
        return None
    return last + sum(number << (8 * (3 - index)) for index, number in enumerate(leading))


def _ipv4_part(text: str) -> int | None:
    radix = 10
    if text[:2] == "0x":
        radix, text = 16, text[2:]
    elif len(text) > 1 and text.startswith("0"):
        radix, text = 8, text[1:]
    if text == "":
        return 0 if radix != 10 else None
    digits = "0123456789abcdef"[:radix]
    if any(char not in digits for char in text):
        return None
    return int(text, radix)


def without_trailing_dot(origin: str) -> str | None:
    """``origin`` with the trailing dot of its host removed (``http://evil.test.:8080`` is
    ``http://evil.test:8080``), or ``None`` when its host has none. A page opened under the
    fully qualified name sends the dotted form; a ``deny`` entry refuses both forms."""
    found = _TRAILING_DOT.fullmatch(origin)
    if found is None:
        return None
    return found.group(1) + (found.group(2) or "")


def specificity(pattern: OriginPattern, block: bool) -> tuple[int, int, int]:
    """Sort key for the most specific matching allow entry (README: What a policy means):
    an ``origin`` block before a list item, then exact, subdomain wildcard (longer base
    first), port wildcard, regex, ``*``. Ties are broken by source order, which the caller keeps."""
    rank = {
        PatternKind.EXACT: 0,
        PatternKind.NULL: 0,
        PatternKind.SUBDOMAIN: 1,
        PatternKind.PORT: 2,
        PatternKind.REGEX: 3,
        PatternKind.ANY: 4,
    }[pattern.kind]
    length = -len(pattern.host) if pattern.kind is PatternKind.SUBDOMAIN else 0
    return (0 if block else 1, rank, length)


def regex_pattern(text: str, span: Span) -> OriginPattern:
    """A ``regex "…"`` pattern: full-match semantics whatever anchors are written, so one
    leading ``^`` and one unescaped trailing ``$`` are dropped from the stored body."""
    body = text[1:] if text.startswith("^") else text
    if body.endswith("$") and not _escaped_at(body, len(body) - 1):
        body = body[:-1]
    return OriginPattern(PatternKind.REGEX, text, span, regex=body)


def _escaped_at(text: str, index: int) -> bool:
    backslashes = 0
    while index - backslashes - 1 >= 0 and text[index - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1
