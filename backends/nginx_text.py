"""nginx's configuration syntax for the ``nginx`` target: quoted parameters, comments, and the
regexes its files match request headers and origins with.

Invariants of everything written here:

- every parameter is double-quoted by :func:`literal` or :func:`text`, which refuse control
  characters and non-ASCII, escape ``"`` and the backslashes nginx would otherwise read as an
  escape, and (:func:`text`, for parameters nginx expands) refuse ``$``; the only ``$`` in the
  output starts a variable the target names, so no policy value can add a directive, a
  variable or a header;
- an origin pattern is matched by a regex from :mod:`corsc.origins` (PCRE dialect, ``^…\\z``),
  or by a hash whose hits are confirmed by one of two regexes built here from
  :data:`corsc.origins.LABEL` ("origins in hashes" below); no regex captures, so a ``map``
  never overwrites the ``$1`` of a user's ``location``;
- no parameter is longer than :data:`MAX_PARAMETER` (nginx refuses longer ones): unions of
  origins are split into several keys (:func:`union_chunks`), and what cannot be split is
  refused by the backend's check (CORS620) before emission;
- comments never contain a control character, so nothing ends a comment early.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from corsc import http, origin_regex, origins, regex
from corsc.ir import OriginPattern

#: nginx reads one parameter into a 4096-byte buffer (``NGX_CONF_BUFFER``) and refuses a longer
#: one ("too long parameter"); this leaves room for the quotes and a ``~*``.
MAX_PARAMETER = 4000

#: The request headers as nginx variables.
ORIGIN = "$http_origin"
ACRM = "$http_access_control_request_method"
ACRH = "$http_access_control_request_headers"
ACRPN = "$http_access_control_request_private_network"

#: HTTP's optional whitespace as the evaluator strips it (nginx itself strips only spaces),
#: as regex set members (the tab written as ``\x09``) and as a set.
_OWS = http.OWS.replace("\t", r"\x09")
_WS = f"[{_OWS}]"
#: One token character, with the characters that mean something to nginx written as \xHH.
_TOKEN_CHAR = r"[!\x23\x24%&\x27*+.^_\x60|~0-9A-Za-z-]"
#: Backslash sequences nginx's parser rewrites inside a quoted string (``\\t`` becomes a tab,
#: ``\\"`` a quote …); a backslash before anything else is kept as it is.
_NGINX_ESCAPES = frozenset("\"'\\trn")
#: The methods nginx serves: its request parser answers 400 to a method with any other
#: character (a lowercase letter, a digit, a dot …) before a location is chosen, so a
#: preflight granting one would lead to an actual request nginx refuses without CORS headers.
NGINX_METHOD = re.compile(r"[A-Z_-]+")
#: An Origin that may be the dotted twin of a denied one: a dot before the port or the end.
MAY_BE_DOTTED = r"\.(?::[0-9]+)?\z"

#: Regex tails (the caller writes ``^`` and what precedes the value): Access-Control-Request-
#: Headers that names no header (absent, empty, only commas); Access-Control-Request-Private-
#: Network asking for access; a preflight, as ``<method>:<Access-Control-Request-Method>``.
NOTHING_ASKED = rf"[{_OWS},]*\z"
PRIVATE_NETWORK_ASKED = f"{_WS}*true{_WS}*\\z"
PREFLIGHT = r"OPTIONS:."


class Unwritable(ValueError):
    """A value that cannot be written into nginx's configuration language. The backend's check
    reports every such value first (CORS601, CORS620); reaching this is a bug."""


class TooLong(Unwritable):
    """A parameter longer than nginx reads."""


# ---- nginx strings ----------------------------------------------------------------------------


def literal(value: str, *, utf8: bool = False) -> str:
    """``value`` as a double-quoted nginx parameter that nginx reads back byte for byte, for
    parameters nginx does not expand (``map`` keys, regexes). With ``utf8``, non-ASCII
    characters are kept (the file is UTF-8, and nginx compares bytes): for a ``location``
    prefix, which nginx matches against the percent-decoded path."""
    if any(not " " <= char <= "~" and not (utf8 and char > "\x9f") for char in value):
        raise Unwritable(f"{value!r} holds a control or non-ASCII character")
    out = []
    for index, char in enumerate(value):
        if char == '"':
            out.append('\\"')
        elif char == "\\":
            following = value[index + 1 : index + 2]
            # Doubled only where nginx would rewrite it; `\.` stays readable as `\.`.
            out.append("\\\\" if following in _NGINX_ESCAPES or not following else "\\")
        else:
            out.append(char)
    quoted = '"' + "".join(out) + '"'
    if len(quoted) > MAX_PARAMETER:
        raise TooLong(f"a parameter of {len(quoted)} bytes (nginx reads at most 4095)")
    return quoted


def text(value: str) -> str:
    """``value`` as a double-quoted parameter of a directive that expands variables
    (``add_header``, ``map`` values, ``set``): :func:`literal`, refusing ``$``, for which
    nginx has no escape."""
    if "$" in value:
        raise Unwritable(f"{value!r} holds `$`, which nginx would read as a variable")
    return literal(value)


def comment(line: str) -> str:
    """A ``#`` comment line; control characters are shown as ``\\xHH`` so nothing in ``line``
    (a file name, a path) can end the comment and start a directive."""
    shown = "".join(
        char if char >= " " and char != "\x7f" else f"\\x{ord(char):02x}" for char in line
    )
    return f"# {shown}".rstrip()


# ---- request headers as regexes -------------------------------------------------------------


def _token_regex(value: str) -> str:
    """A token as a PCRE literal: letters, digits, ``_`` and ``-`` as they are, ``.`` escaped,
    every other character as ``\\xHH`` (so no ``$``, quote or ``#`` reaches the file)."""
    if not http.is_token(value):
        raise Unwritable(f"{value!r} is not a token")
    out = []
    for char in value:
        if char.isalnum() or char in "_-":
            out.append(char)
        elif char == ".":
            out.append(r"\.")
        else:
            out.append(f"\\x{ord(char):02x}")
    return "".join(out)


def method_regex(methods: Sequence[str] | None) -> str:
    """The tail of a regex admitting an Access-Control-Request-Method that is one of
    ``methods`` (case-sensitive; a grant's :attr:`~corsc.plan.GrantPlan.preflight_methods`),
    or for ``None`` (``methods *``) any method nginx serves (:data:`NGINX_METHOD`); whitespace
    around it allowed."""
    if methods is None:
        name = NGINX_METHOD.pattern
    else:
        name = "(?:" + "|".join(_token_regex(method) for method in methods) + ")"
    return f"{_WS}*{name}{_WS}*\\z"


def headers_regex(headers: Sequence[str] | None) -> str:
    """The tail of a regex (match with ``~*``: names compare case-insensitively) admitting
    Access-Control-Request-Headers whose every non-empty item is a granted name, or a token
    for ``headers *``. Items are split on ``,`` with whitespace around them and empty items
    ignored, as the evaluator does; each character is read once, so matching is linear."""
    if headers is None:
        name = _TOKEN_CHAR + "+"
    elif headers:
        name = "(?:" + "|".join(_token_regex(header) for header in headers) + ")"
    else:
        return NOTHING_ASKED
    item = f"(?:{name}{_WS}*)?"
    return f"{_WS}*{item}(?:,{_WS}*{item})*\\z"


# ---- origins in hashes --------------------------------------------------------------------------
# A map's string keys are hashed and compared case-insensitively, so exact origins are looked
# up in a hash of the raw Origin, and a hit is confirmed by the absence of uppercase letters
# (canonical origins have none). Fixed-port subdomain wildcards are looked up in a `hostnames`
# hash per scheme: nginx compares the Origin label by label from the end, so
# `https://a.b.example.org` finds `*.example.org` (the scheme rides in the first label) and
# `https://a.example.org:8443` finds `*.example.org:8443`. That lookup also folds case, drops a
# trailing dot and ignores what precedes the labels, so a hit is confirmed by the scheme's
# *shape*: the scheme, dot-separated labels (origins.LABEL) and digits for a port. Given the
# shape, a hit means exactly that the host is one or more labels below the key's base (with
# its port), and every key of one hash has the same value, so which key nginx finds does not
# matter. Regexes run only on hits; a refused origin costs hash lookups only.


def shape(scheme: str) -> str:
    """The PCRE regex of an origin of ``scheme`` whose host is labels (see above)."""
    body = regex.escape(f"{scheme}://") + f"(?:{origins.LABEL}\\.)*{origins.LABEL}(?::[0-9]+)?"
    return regex.render(body, "pcre")


def mask(pattern: OriginPattern) -> str:
    """The ``hostnames`` key of a fixed-port subdomain wildcard: ``*.example.org`` or
    ``*.example.org:8443`` (in the hash of its scheme)."""
    port = f":{pattern.port}" if pattern.port is not None else ""
    return f"*.{pattern.host}{port}"


def union_chunks(patterns: Sequence[OriginPattern]) -> list[str]:
    """Regexes that together admit exactly the origins some pattern admits, each short enough
    to be one nginx parameter; a single pattern that is too long on its own is returned as it
    is (the backend's check refuses it first)."""
    rendered = origin_regex.render_union(patterns, "pcre")
    if len(patterns) == 1 or len(rendered) + 8 <= MAX_PARAMETER:
        return [rendered]
    half = len(patterns) // 2
    return union_chunks(patterns[:half]) + union_chunks(patterns[half:])
