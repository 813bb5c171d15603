"""A browser model: the Fetch Standard's CORS protocol as a browser applies it.

Written from the Fetch Standard (fetch.bs) and what browsers do, not from corsc.evaluate, so
that it can judge the evaluator and every target alike. It talks to a *server*: any callable
``(Request) -> (status, headers)`` — the evaluator through :func:`evaluator_server`, or later
real nginx, Starlette, Django, Flask and corsc's runtime.

What it models, for a cross-origin request in ``cors`` mode made by a script:

- :func:`script_request`: what ``fetch()`` does to the method and headers a script passes
  (normalisation, forbidden methods raise ``TypeError``, forbidden headers are dropped).
- :func:`unsafe_header_names` / :func:`needs_preflight`: the CORS-safelisted request-header
  rules (value rules, the 128-byte and 1024-byte limits) and when a preflight is sent.
- :func:`preflight_problem`: the CORS-preflight fetch's checks on the server's answer.
- :func:`cors_problem`: the CORS check on every response.
- :func:`exposed`: which response header names the script can read.
- :func:`fetch`: all of it, giving an :class:`Outcome`.

Out of scope: the preflight cache (every fetch starts with an empty cache), redirects (the
servers under test answer directly), service workers, and the use-CORS-preflight flag.
Private Network Access is modelled: a request to a more private address space always
preflights with ``Access-Control-Request-Private-Network: true`` and needs
``Access-Control-Allow-Private-Network: true`` in reply.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Literal

from attrs import frozen

from corsc.evaluate import Evaluator, Request

Headers = Sequence[tuple[str, str]]
Server = Callable[[Request], tuple[int, Headers]]
Credentials = Literal["omit", "same-origin", "include"]

# ---- vocabulary (fetch.bs) ---------------------------------------------------------------

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
#: HTTP whitespace as Fetch strips it from header values.
HTTP_WHITESPACE = " \t\r\n"

SAFELISTED_METHODS = frozenset({"GET", "HEAD", "POST"})
FORBIDDEN_METHODS = frozenset({"CONNECT", "TRACE", "TRACK"})
#: Methods ``fetch()`` uppercases when they match case-insensitively ("normalize a method").
NORMALIZED_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"})

FORBIDDEN_REQUEST_HEADERS = frozenset(
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
_METHOD_OVERRIDE_HEADERS = frozenset(
    {"x-http-method", "x-http-method-override", "x-method-override"}
)

#: Response headers a script can always read (fetch.bs "CORS-safelisted response-header name").
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
FORBIDDEN_RESPONSE_HEADERS = frozenset({"set-cookie", "set-cookie2"})

#: Bytes that make an ``accept`` or ``content-type`` value unsafe (fetch.bs
#: "CORS-unsafe request-header byte").
_UNSAFE_BYTES = frozenset(
    [b for b in range(0x20) if b != 0x09] + [ord(c) for c in '"():<>?@[\\]{}'] + [0x7F]
)
_LANGUAGE_BYTES = frozenset(
    b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz *,-.;="
)
_SAFELISTED_CONTENT_TYPES = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
)
_MAX_SAFELISTED_VALUE = 128
_MAX_SAFELISTED_TOTAL = 1024


def is_token(text: str) -> bool:
    return _TOKEN.fullmatch(text) is not None


# ---- the script's request ----------------------------------------------------------------


@frozen
class ScriptRequest:
    """A ``fetch()`` call to another origin, after the Request constructor and ``Headers``
    have done their work: ``method`` is normalised, ``headers`` are the author's headers that
    survived (names as the script wrote them, values stripped). ``origin`` is the serialised
    origin of the calling document (``null`` for an opaque one). ``private_network`` says the
    target is in a more private address space than the caller (Private Network Access)."""

    method: str
    path: str
    origin: str
    headers: tuple[tuple[str, str], ...]
    credentials: Credentials
    private_network: bool = False

    @property
    def include(self) -> bool:
        """Whether credentials are sent: for a cross-origin request only in ``include`` mode."""
        return self.credentials == "include"


def script_request(
    method: str,
    path: str = "/",
    *,
    origin: str,
    headers: Iterable[tuple[str, str]] = (),
    credentials: Credentials = "same-origin",
    private_network: bool = False,
) -> ScriptRequest:
    """What ``fetch(url, {method, headers, credentials})`` hands to Fetch.

    Raises ``TypeError`` as ``fetch()`` does for a method that is not a token or is forbidden,
    and for a header name that is not a token or a value with NUL, CR, LF or a character above
    U+00FF. Forbidden request-headers are dropped silently (the ``request`` guard).
    """
    if not is_token(method):
        raise TypeError(f"{method!r} is not a valid HTTP method")
    if method.upper() in FORBIDDEN_METHODS:
        raise TypeError(f"{method!r} HTTP method is unsupported")
    if method.upper() in NORMALIZED_METHODS:
        method = method.upper()
    kept = []
    for name, raw in headers:
        value = raw.strip(HTTP_WHITESPACE)
        if not is_token(name):
            raise TypeError(f"{name!r} is not a valid header name")
        if any(char in value for char in "\0\r\n") or any(ord(char) > 0xFF for char in value):
            raise TypeError(f"{value!r} is not a valid header value")
        if not is_forbidden_request_header(name, value):
            kept.append((name, value))
    return ScriptRequest(method, path, origin, tuple(kept), credentials, private_network)


def is_forbidden_request_header(name: str, value: str) -> bool:
    """fetch.bs "forbidden request-header"."""
    lowered = name.lower()
    if lowered in FORBIDDEN_REQUEST_HEADERS:
        return True
    if lowered.startswith(("proxy-", "sec-")):
        return True
    if lowered in _METHOD_OVERRIDE_HEADERS:
        return any(item.upper() in FORBIDDEN_METHODS for item in split_list(value))
    return False


# ---- safelisted request headers and when to preflight ------------------------------------


def is_safelisted_request_header(name: str, value: str) -> bool:
    """fetch.bs "CORS-safelisted request-header" for one (name, value) pair."""
    data = value.encode("latin-1")
    if len(data) > _MAX_SAFELISTED_VALUE:
        return False
    lowered = name.lower()
    if lowered == "accept":
        return not any(byte in _UNSAFE_BYTES for byte in data)
    if lowered in {"accept-language", "content-language"}:
        return all(byte in _LANGUAGE_BYTES for byte in data)
    if lowered == "content-type":
        if any(byte in _UNSAFE_BYTES for byte in data):
            return False
        essence = mime_essence(value)
        return essence is not None and essence in _SAFELISTED_CONTENT_TYPES
    if lowered == "range":
        start = range_start(value)
        return start is not None
    return False


def mime_essence(value: str) -> str | None:
    """The essence (``type/subtype``, lowercase) of a MIME type per the WHATWG "parse a MIME
    type" algorithm, or ``None`` on failure. Parameters cannot make parsing fail, so they are
    not parsed."""
    text = value.strip(HTTP_WHITESPACE)
    type_, slash, rest = text.partition("/")
    if not slash or not is_token(type_):
        return None
    subtype = rest.partition(";")[0].rstrip(HTTP_WHITESPACE)
    if not is_token(subtype):
        return None
    return f"{type_.lower()}/{subtype.lower()}"


_RANGE = re.compile(r"bytes=([0-9]*)-([0-9]*)", re.IGNORECASE)


def range_start(value: str) -> int | None:
    """fetch.bs "parse a single range header value" without whitespace, for the safelist:
    the start of ``bytes=N-`` or ``bytes=N-M``; ``None`` on failure or a suffix range."""
    match = _RANGE.fullmatch(value)
    if match is None or not match.group(1):
        return None
    start = int(match.group(1))
    if match.group(2) and int(match.group(2)) < start:
        return None
    return start


def unsafe_header_names(headers: Headers) -> tuple[str, ...]:
    """fetch.bs "CORS-unsafe request-header names": lowercase, de-duplicated, sorted. When the
    safelisted values together exceed 1024 bytes, they all count as unsafe."""
    unsafe: list[str] = []
    safelisted: list[str] = []
    total = 0
    for name, value in headers:
        if is_safelisted_request_header(name, value):
            safelisted.append(name)
            total += len(value.encode("latin-1"))
        else:
            unsafe.append(name)
    if total > _MAX_SAFELISTED_TOTAL:
        unsafe.extend(safelisted)
    return tuple(sorted({name.lower() for name in unsafe}))


def needs_preflight(request: ScriptRequest) -> bool:
    """Whether the browser sends a preflight first (empty preflight cache)."""
    return (
        request.method not in SAFELISTED_METHODS
        or bool(unsafe_header_names(request.headers))
        or request.private_network
    )


# ---- what goes on the wire -----------------------------------------------------------------


def preflight_request(request: ScriptRequest) -> Request:
    """The CORS-preflight request: ``OPTIONS``, no credentials, no author headers."""
    headers = [
        ("Origin", request.origin),
        ("Accept", "*/*"),
        ("Access-Control-Request-Method", request.method),
    ]
    names = unsafe_header_names(request.headers)
    if names:
        headers.append(("Access-Control-Request-Headers", ",".join(names)))
    if request.private_network:
        headers.append(("Access-Control-Request-Private-Network", "true"))
    return Request(method="OPTIONS", path=request.path, headers=tuple(headers))


def actual_request(request: ScriptRequest) -> Request:
    """The request itself, with ``Origin`` (cookies are not modelled: no server under test
    reads them for CORS)."""
    return Request(
        method=request.method,
        path=request.path,
        headers=(("Origin", request.origin), *request.headers),
    )


# ---- reading the server's answer -----------------------------------------------------------


def get(headers: Headers, name: str) -> str | None:
    """fetch.bs "get": the values of every header called ``name`` (case-insensitive), each
    stripped of HTTP whitespace, joined by ``", "``; ``None`` when there is none."""
    wanted = name.lower()
    values = [value.strip(HTTP_WHITESPACE) for key, value in headers if key.lower() == wanted]
    return ", ".join(values) if values else None


def split_list(value: str) -> list[str]:
    """fetch.bs "get, decode, and split" for one value: split on commas outside quoted
    strings, each item stripped of spaces and tabs (empty items kept)."""
    items: list[str] = []
    current: list[str] = []
    quoted = False
    escaped = False
    for char in value:
        if quoted:
            current.append(char)
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
            current.append(char)
        elif char == ",":
            items.append("".join(current).strip(" \t"))
            current = []
        else:
            current.append(char)
    items.append("".join(current).strip(" \t"))
    return items


class ListFailure(Exception):
    """A header list that does not parse as ``#token`` (a network error on a preflight)."""


def extract_tokens(headers: Headers, name: str) -> list[str] | None:
    """fetch.bs "extract header list values" for a ``#method`` / ``#field-name`` header:
    ``None`` when absent; empty items are allowed; any other non-token item raises
    :class:`ListFailure`."""
    wanted = name.lower()
    found = False
    values: list[str] = []
    for key, value in headers:
        if key.lower() != wanted:
            continue
        found = True
        for item in split_list(value.strip(HTTP_WHITESPACE)):
            if not item:
                continue
            if not is_token(item):
                raise ListFailure(f"{name} item {item!r} is not a token")
            values.append(item)
    return values if found else None


def cors_problem(request: ScriptRequest, headers: Headers) -> str | None:
    """fetch.bs "CORS check": ``None`` when it passes, else why it fails."""
    allow_origin = get(headers, "Access-Control-Allow-Origin")
    if allow_origin is None:
        return "no Access-Control-Allow-Origin"
    if not request.include and allow_origin == "*":
        return None
    if allow_origin != request.origin:
        return f"Access-Control-Allow-Origin {allow_origin!r} is not {request.origin!r}"
    if not request.include:
        return None
    allow_credentials = get(headers, "Access-Control-Allow-Credentials")
    if allow_credentials != "true":
        return f"credentials: Access-Control-Allow-Credentials is {allow_credentials!r}"
    return None


def preflight_problem(request: ScriptRequest, status: int, headers: Headers) -> str | None:
    """fetch.bs "CORS-preflight fetch" (and PNA): ``None`` when the answer lets ``request``
    go ahead, else why it does not. ``*`` is a wildcard only without credentials, and never
    covers ``Authorization``; methods compare case-sensitively, header names not."""
    if not 200 <= status <= 299:
        return f"preflight status {status} is not an ok status"
    problem = cors_problem(request, headers)
    if problem is not None:
        return problem
    if request.private_network and get(headers, "Access-Control-Allow-Private-Network") != "true":
        return "no Access-Control-Allow-Private-Network: true"
    try:
        methods = extract_tokens(headers, "Access-Control-Allow-Methods") or []
        names = extract_tokens(headers, "Access-Control-Allow-Headers") or []
    except ListFailure as failure:
        return str(failure)
    method = request.method
    if (
        method not in methods
        and method not in SAFELISTED_METHODS
        and (request.include or "*" not in methods)
    ):
        return f"method {method!r} is not in Access-Control-Allow-Methods {methods}"
    allowed = {name.lower() for name in names}
    if any(name.lower() == "authorization" for name, _ in request.headers) and (
        "authorization" not in allowed
    ):
        return "Authorization is not listed in Access-Control-Allow-Headers"
    for name in unsafe_header_names(request.headers):
        if name not in allowed and (request.include or "*" not in allowed):
            return f"header {name!r} is not in Access-Control-Allow-Headers {names}"
    return None


def exposed(request: ScriptRequest, headers: Headers) -> frozenset[str]:
    """fetch.bs "CORS-filtered response": the names (lowercase) of the response's headers a
    script can read. ``Expose-Headers: *`` means every header only without credentials; a
    list that does not parse exposes nothing extra."""
    present = {name.lower() for name, _ in headers}
    try:
        listed = extract_tokens(headers, "Access-Control-Expose-Headers") or []
    except ListFailure:
        listed = []
    allowed = {name.lower() for name in listed}
    if not request.include and "*" in allowed:
        allowed = present
    return frozenset(
        name
        for name in present
        if (name in SAFELISTED_RESPONSE_HEADERS or name in allowed)
        and name not in FORBIDDEN_RESPONSE_HEADERS
    )


# ---- the whole fetch ---------------------------------------------------------------------


@frozen
class Outcome:
    """What the script sees: ``shared`` (the response is readable) or a network error;
    ``preflighted`` says whether a preflight was sent; ``exposed`` the readable header names
    (empty on a network error); ``reason`` explains a network error."""

    shared: bool
    preflighted: bool
    exposed: frozenset[str] = frozenset()
    reason: str = ""


def fetch(server: Server, request: ScriptRequest) -> Outcome:
    """Run ``request`` against ``server`` as a browser does."""
    preflighted = needs_preflight(request)
    if preflighted:
        status, headers = server(preflight_request(request))
        problem = preflight_problem(request, status, headers)
        if problem is not None:
            return Outcome(False, True, reason=f"preflight failed: {problem}")
    _, headers = server(actual_request(request))
    problem = cors_problem(request, headers)
    if problem is not None:
        return Outcome(False, preflighted, reason=f"CORS check failed: {problem}")
    return Outcome(True, preflighted, exposed(request, headers))


# ---- the evaluator as a server ---------------------------------------------------------------

#: What the application answers when the CORS layer lets it: a mix of safelisted, ordinary and
#: forbidden response headers, so exposure can be observed.
APP_HEADERS: tuple[tuple[str, str], ...] = (
    ("Content-Type", "application/json"),
    ("Content-Length", "2"),
    ("Set-Cookie", "session=1"),
    ("X-Request-Id", "r-1"),
    ("X-Total-Count", "7"),
    ("X-Secret", "s"),
)


def evaluator_server(
    evaluator: Evaluator, app_headers: Headers = APP_HEADERS, app_status: int = 200
) -> Server:
    """A server whose CORS layer is ``evaluator``: when the evaluator lets the application
    answer, it answers ``app_status`` with ``app_headers``; ``Vary`` members go out as one
    ``Vary`` header."""

    def serve(request: Request) -> tuple[int, Headers]:
        response = evaluator.respond(request)
        headers = list(response.headers)
        if response.vary:
            headers.append(("Vary", ", ".join(response.vary)))
        if response.status is None:
            return app_status, [*app_headers, *headers]
        return response.status, headers

    return serve
