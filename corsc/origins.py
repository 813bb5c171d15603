"""Origins: parsing patterns into canonical form, matching request Origins, and rendering
patterns as anchored, escaped regexes for every dialect a backend needs.

This is the one place that knows what an origin looks like. Lowering parses with
:func:`parse_pattern`; the evaluator and the runtime match with :func:`matcher`; every backend
takes its regexes from the rendering functions below. Imports nothing heavy at module level
(``idna`` is imported only to canonicalise a non-ASCII host).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Sequence

from attrs import frozen

from corsc.ir import OriginPattern, PatternKind
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

    code: str
    message: str
    help: str


@frozen
class ParsedPattern:
    """A pattern in canonical form, or the problem that kept it from being one.

    ``canonical_text`` is what the user should have written when it differs from the text
    (the fix of ``origin-not-canonical``); ``None`` when the text is already canonical.
    """

    pattern: OriginPattern | None
    problem: OriginProblem | None = None
    canonical_text: str | None = None
    why_not_canonical: str = ""


def _not_an_origin(message: str, help: str) -> ParsedPattern:
    return ParsedPattern(None, OriginProblem("not-an-origin", message, help))


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
        guess = text.split("/", 1)[0]
        return _not_an_origin(
            f'"{text}" has no scheme',
            f'write the scheme browsers use, for example "https://{guess}"',
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
            origin = f"{scheme}://{rest[:index]}"
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


# ---- matching ---------------------------------------------------------------------------


def _same_length_range(low: str, high: str) -> str:
    """A regex body for the decimal numbers from ``low`` to ``high`` (same digit count)."""
    if low == high:
        return low
    if len(low) == 1:
        return _digit_class(int(low), int(high))
    rest = len(low) - 1
    if low[0] == high[0]:
        return low[0] + _group(_same_length_range(low[1:], high[1:]))
    parts = []
    first, last = int(low[0]), int(high[0])
    if low[1:] != "0" * rest:
        parts.append(low[0] + _group(_same_length_range(low[1:], "9" * rest)))
        first += 1
    tail = ""
    if high[1:] != "9" * rest:
        tail = high[0] + _group(_same_length_range("0" * rest, high[1:]))
        last -= 1
    if first <= last:
        parts.append(_digit_class(first, last) + "[0-9]" + (f"{{{rest}}}" if rest > 1 else ""))
    if tail:
        parts.append(tail)
    return "|".join(parts)


def _digit_class(first: int, last: int) -> str:
    return str(first) if first == last else f"[{first}-{last}]"


def _group(body: str) -> str:
    return f"(?:{body})" if "|" in body else body


def _number_range(low: int, high: int) -> list[str]:
    """Alternatives admitting exactly ``low``..``high`` written without leading zeros."""
    parts = []
    while low <= high:
        top = min(high, 10 ** len(str(low)) - 1)
        parts.append(_same_length_range(str(low), str(top)))
        low = top + 1
    return parts


def _port_suffix(scheme: str) -> str:
    """``:`` and a port as browsers write one: 1–65535, no leading zero, never the scheme's
    default port (browsers leave that out)."""
    default = DEFAULT_PORTS[scheme]
    ports = _number_range(1, default - 1) + _number_range(default + 1, 65535)
    return ":(?:" + "|".join(ports) + ")"


def python_regex(pattern: OriginPattern) -> str:
    """A Python regex admitting exactly the origins of ``pattern``, anchored at both ends
    (safe with ``re.fullmatch``, ``re.match`` and ``re.search``): :func:`render_pattern` for
    the ``python`` dialect."""
    return render_pattern(pattern, "python")


def matcher(pattern: OriginPattern) -> Callable[[str], bool]:
    """A predicate telling whether a request's Origin header value matches ``pattern``,
    byte for byte against the canonical forms (README: Origin patterns)."""
    if pattern.kind is PatternKind.ANY:
        return bool
    if pattern.kind is PatternKind.NULL:
        return "null".__eq__
    if pattern.kind is PatternKind.EXACT:
        return pattern.canonical.__eq__
    # REGEX included: the Python rendering reads `\\d` as ASCII digits and `.` as printable
    # ASCII, as every other target does.
    compiled = re.compile(python_regex(pattern))
    return lambda origin: compiled.fullmatch(origin) is not None


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


# ---- rendering for regex dialects ------------------------------------------------------------
# Every backend takes its origin regexes from here. Each pattern becomes a body in the portable
# subset of corsc.regex, which writes it for the dialect: the same escapes everywhere, only the
# anchors differ. Byte for byte: no dialect is ever asked to ignore case.

#: ``*`` admits any non-empty Origin value, whatever it holds, so it is not restricted to
#: printable ASCII as a `.` in a body is. `[\\s\\S]` is "any character" in all four dialects.
_ANY_VALUE = r"[\s\S]+"


def _body(pattern: OriginPattern, *, dotted: bool = False) -> str:
    """The pattern as a body in corsc.regex's portable subset (not for ``ANY``); with
    ``dotted``, the host is followed by one dot (not for ``REGEX``)."""
    from corsc import regex  # slow to import: only rendering and matching patterns need it

    if pattern.kind is PatternKind.REGEX:
        return pattern.regex
    if pattern.kind is PatternKind.NULL:
        return "null"
    host = regex.escape(pattern.host)
    if pattern.kind is PatternKind.SUBDOMAIN:
        host = rf"(?:{LABEL}\.)+" + host
    if dotted:
        host += r"\."
    if pattern.any_port:
        port = f"(?:{_port_suffix(pattern.scheme)})?"
    elif pattern.port is not None:
        port = regex.escape(f":{pattern.port}")
    else:
        port = ""
    return regex.escape(f"{pattern.scheme}://") + host + port


def render_pattern(pattern: OriginPattern, dialect: str) -> str:
    """An anchored regex in ``dialect`` (``python``, ``pcre``, ``dotnet``, ``ecmascript``)
    admitting exactly the origins ``pattern`` admits: the canonical origin for ``EXACT``;
    one or more labels of ``[a-z0-9_-]`` before the base for ``SUBDOMAIN``, never the base
    itself; no port or ``:`` and 1–5 digits without a leading zero for a port wildcard;
    exactly ``null`` for ``NULL``; any non-empty value for ``ANY``; the body through
    :func:`corsc.regex.render` for ``REGEX`` (``ValueError`` if it is not in the subset)."""
    from corsc import regex

    if pattern.kind is PatternKind.ANY:
        return regex.anchor(_ANY_VALUE, dialect)
    return regex.render(_body(pattern), dialect)


def render_union(patterns: Sequence[OriginPattern], dialect: str) -> str:
    """One anchored regex in ``dialect`` admitting exactly the origins that some pattern
    admits. Duplicates are written once and no alternative is empty; a ``*`` among them
    makes the union ``*``. Raises ``ValueError`` for an empty sequence (a regex admitting
    nothing is not a useful configuration) or a regex outside the subset."""
    from corsc import regex

    if not patterns:
        raise ValueError("render_union needs at least one pattern")
    if any(pattern.kind is PatternKind.ANY for pattern in patterns):
        return regex.anchor(_ANY_VALUE, dialect)
    bodies = dict.fromkeys(_body(pattern) for pattern in patterns)
    # `|` binds loosest, so a body with its own top-level `|` stays one alternative of the union.
    return regex.render("|".join(bodies), dialect)


def render_dotted(pattern: OriginPattern, dialect: str) -> str | None:
    """An anchored regex in ``dialect`` admitting exactly the Origins whose
    :func:`without_trailing_dot` form ``pattern`` admits (``http://evil.test.:8080`` for
    ``http://evil.test:8080``), for a ``deny``, which refuses both forms; ``None`` when no
    Origin has such a form (``null``, an IPv6 host). A host pattern gets its dot after the
    host; a regex is rewritten by :func:`corsc.regex.render_dotted`."""
    from corsc import regex

    if pattern.kind is PatternKind.REGEX:
        return regex.render_dotted(pattern.regex, dialect)
    if pattern.kind in (PatternKind.ANY, PatternKind.NULL) or ":" in pattern.host:
        return None
    return regex.render(_body(pattern, dotted=True), dialect)
