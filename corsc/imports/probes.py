"""The requests ``corsc import`` asks a server about each origin, and what their answers show.

:class:`Probes` holds the methods and headers asked for: the usual methods, then those the
configuration names, and a probe header no configuration names (``*`` or a reflection shows on
it). Every origin is asked the same requests (:meth:`Probes.requests`), so two origins answered
alike have equal profiles (:func:`profile`): each answer as a browser reads it (:func:`normal`),
keyed by the request. :func:`grant_of` reads the settings of a grant from an origin's answers.
:data:`UNLISTED` are origins no configuration names; what they get is what every unlisted
origin gets. A request is sent with the header fields :func:`request_fields` gives.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from attrs import frozen

from corsc.imports.common import names
from corsc.imports.draft import Grant
from corsc.imports.machine import Answer, Run
from corsc.records import fields_repr

#: Origins no configuration names: what they get is what every unlisted origin gets.
UNLISTED = ("https://unlisted.corsc.invalid", "http://unlisted.corsc.invalid:8080")
_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")
_KNOWN_METHODS = {*_METHODS, "HEAD", "OPTIONS"}
_PROBE_HEADER = "x-corsc-probe"
_TOKEN = re.compile(r"^[A-Za-z][A-Za-z0-9-]*$")


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
