"""Origin patterns as regexes: the predicate that matches a request's Origin, and anchored,
escaped regexes for every dialect a backend needs.

The evaluator and the runtime match with :func:`matcher`; every backend takes its regexes from
the rendering functions here. Each pattern becomes a body in the portable subset of
:mod:`corsc.regex`, which writes it for the dialect: the same escapes everywhere, only the
anchors differ. Byte for byte: no dialect is ever asked to ignore case. ``corsc.regex`` is slow
to import, so it is imported only when a pattern is rendered.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from corsc.ir import OriginPattern, PatternKind
from corsc.origins import DEFAULT_PORTS, LABEL, MAX_ORIGIN_LENGTH

#: An Origin longer than any origin (``corsc.origins.MAX_ORIGIN_LENGTH``), in every PCRE-like
#: dialect: refused by this test before any regex of a policy runs on it.
TOO_LONG = rf"^[\s\S]{{{MAX_ORIGIN_LENGTH + 1}}}"


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


def render_denied(pattern: OriginPattern, dialect: str) -> list[str]:
    """What a ``deny`` of ``pattern`` refuses, as anchored regexes in ``dialect``: the pattern
    and, when it has one, its trailing-dot twin (:func:`render_dotted`)."""
    twin = render_dotted(pattern, dialect)
    return [render_pattern(pattern, dialect)] + ([] if twin is None else [twin])
