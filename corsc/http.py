"""The HTTP and Fetch facts corsc relies on, in one place.

Header names, the ``token`` grammar, which methods and headers browsers treat as safelisted or
forbidden, and how lists of names are de-duplicated. The checks, the evaluator, the runtime and
every backend import them from here, so a fact changes in one line and every target follows.
(The browser model in the tests keeps its own copy on purpose: it is the independent reading
of the Fetch Standard that the targets are judged against.)

Standard library only: the runtime imports this on every start-up.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

ORIGIN = "Origin"
VARY = "Vary"

ALLOW_ORIGIN = "Access-Control-Allow-Origin"
ALLOW_CREDENTIALS = "Access-Control-Allow-Credentials"
ALLOW_METHODS = "Access-Control-Allow-Methods"
ALLOW_HEADERS = "Access-Control-Allow-Headers"
MAX_AGE = "Access-Control-Max-Age"
ALLOW_PRIVATE_NETWORK = "Access-Control-Allow-Private-Network"
EXPOSE_HEADERS = "Access-Control-Expose-Headers"

REQUEST_METHOD = "Access-Control-Request-Method"
REQUEST_HEADERS = "Access-Control-Request-Headers"
REQUEST_PRIVATE_NETWORK = "Access-Control-Request-Private-Network"

#: The response headers the CORS layer owns, in the order every target sends them.
RESPONSE_HEADERS = (
    ALLOW_ORIGIN,
    ALLOW_CREDENTIALS,
    ALLOW_METHODS,
    ALLOW_HEADERS,
    MAX_AGE,
    ALLOW_PRIVATE_NETWORK,
    EXPOSE_HEADERS,
)

#: RFC 9110 ``token`` (one or more ``tchar``): what method and header names must be, in the
#: policy file and in requests.
TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")

#: HTTP's optional whitespace, stripped around header values and list items.
OWS = " \t"

#: Methods a browser never preflights (Fetch "CORS-safelisted method"; case-sensitive), in
#: the order targets list them.
SAFELISTED_METHODS = ("GET", "HEAD", "POST")

#: Methods browsers uppercase whatever the script wrote (Fetch "normalize a method").
NORMALIZED_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"})

#: Methods scripts may not use (Fetch "forbidden method").
FORBIDDEN_METHODS = frozenset({"CONNECT", "TRACE", "TRACK"})

#: Forbidden request-header names (Fetch "forbidden request-header"), lowercase; every name
#: starting with one of :data:`FORBIDDEN_HEADER_PREFIXES` is forbidden too.
FORBIDDEN_HEADERS = frozenset(
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
FORBIDDEN_HEADER_PREFIXES = ("proxy-", "sec-")

#: Request headers whose ordinary values never need a preflight (lowercase). Content-Type is
#: safelisted only for :data:`SAFELISTED_CONTENT_TYPES`, so it is not among them.
SAFELISTED_REQUEST_HEADERS = frozenset({"accept", "accept-language", "content-language"})

#: The Content-Type essences a script may send without a preflight.
SAFELISTED_CONTENT_TYPES = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
)

#: Response headers scripts can always read (Fetch "CORS-safelisted response-header name").
SAFELISTED_RESPONSE_HEADERS = frozenset(
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

#: Response headers no script can read, exposed or not.
UNEXPOSABLE_HEADERS = frozenset({"set-cookie", "set-cookie2"})


def is_token(text: str) -> bool:
    """Whether ``text`` is an RFC 9110 token."""
    return TOKEN.fullmatch(text) is not None


def is_forbidden_header(name: str) -> bool:
    """Whether a script may not set the request header ``name`` (any case)."""
    lowered = name.lower()
    return lowered in FORBIDDEN_HEADERS or lowered.startswith(FORBIDDEN_HEADER_PREFIXES)


def unique_methods(names: Iterable[str]) -> tuple[str, ...]:
    """Method names in order, each once: methods are case-sensitive (``patch`` is not
    ``PATCH``), so only exact repeats go."""
    return tuple(dict.fromkeys(names))


def unique_headers(names: Iterable[str]) -> tuple[str, ...]:
    """Header names in order, each once, the first spelling kept: header names compare
    case-insensitively."""
    first: dict[str, str] = {}
    for name in names:
        first.setdefault(name.lower(), name)
    return tuple(first.values())
