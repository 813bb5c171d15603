"""The CORS layer's part of one response, and how it joins the application's headers.

An :class:`Answer` is what the middleware does with one request: answer by itself (a status)
or let the application answer, with the ``Access-Control-*`` headers and the ``Vary`` members
the evaluator gives. A :class:`Codec` spells headers the way one server interface wants them:
bytes with lowercase names for ASGI, native strings for WSGI. Both middlewares share every
line here; only the codec differs.

What always holds: a response that carries an :class:`Answer` has exactly its
``Access-Control-*`` headers (the application's are removed: a second Allow-Origin breaks the
browser's check) and a ``Vary`` with its members merged into the application's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Generic, TypeVar

from corsc import http

#: Header names and values: ``bytes`` for ASGI (names lowercase), ``str`` for WSGI.
H = TypeVar("H", str, bytes)
Headers = list[tuple[H, H]]

#: The body of the 500 the middleware sends when the application raises before answering.
SERVER_ERROR = b"Internal Server Error"


class Codec(Generic[H]):
    """How one server interface spells headers: ``name`` and ``value`` encode a header name
    and value, ``text`` decodes a value; ``vary`` and ``access_control`` are lowercase name
    forms to compare the application's header names with."""

    name: Callable[[str], H]
    value: Callable[[str], H]
    text: Callable[[H], str]
    vary: H
    access_control: H

    def __init__(
        self,
        name: Callable[[str], H],
        value: Callable[[str], H],
        text: Callable[[H], str],
    ) -> None:
        self.name = name
        self.value = value
        self.text = text
        self.vary = name(http.VARY).lower()
        self.access_control = name("access-control-").lower()

    def pair(self, name: str, value: str) -> tuple[H, H]:
        return (self.name(name), self.value(value))

    def pairs(self, headers: Iterable[tuple[str, str]]) -> Headers[H]:
        return [self.pair(name, value) for name, value in headers]


def latin1(text: str) -> bytes:
    """HTTP header bytes of a value: ASGI carries headers as bytes, read as Latin-1."""
    return text.encode("latin-1")


def _from_latin1(data: bytes) -> str:
    return data.decode("latin-1")


def _same(text: str) -> str:
    return text


#: ASGI wants lowercase names (the spec) and bytes; WSGI native strings (PEP 3333).
ASGI: Codec[bytes] = Codec(lambda name: latin1(name.lower()), latin1, _from_latin1)
WSGI: Codec[str] = Codec(_same, _same, _same)


class Vary(Generic[H]):
    """``Vary`` members the CORS layer adds (never empty), with the header that sends them
    alone."""

    __slots__ = ("members", "pair")
    members: tuple[str, ...]
    pair: tuple[H, H]

    def __init__(self, members: tuple[str, ...], codec: Codec[H]) -> None:
        self.members = members
        self.pair = codec.pair(http.VARY, ", ".join(members))

    @classmethod
    def of(cls, members: tuple[str, ...], codec: Codec[H]) -> Vary[H] | None:
        """The members prepared, ``None`` when there are none (no ``Vary`` is added)."""
        return cls(members, codec) if members else None


class Answer(Generic[H]):
    """What the CORS layer does with one request: ``status`` ``None`` lets the application
    answer; ``headers`` are the ``Access-Control-*`` headers in the evaluator's order; ``vary``
    its ``Vary`` members (``None`` for none)."""

    __slots__ = ("headers", "status", "vary")
    status: int | None
    headers: Headers[H]
    vary: Vary[H] | None

    def __init__(self, status: int | None, headers: Headers[H], vary: Vary[H] | None) -> None:
        self.status = status
        self.headers = headers
        self.vary = vary

    def merged(self, app_headers: Iterable[tuple[H, H]], codec: Codec[H]) -> Headers[H]:
        """The application's headers without its ``Access-Control-*`` ones, its ``Vary``
        merged with ours, then our CORS headers."""
        kept: Headers[H] = []
        app_vary: list[str] = []
        vary_name = codec.vary if self.vary is not None else None
        for name, value in app_headers:
            lowered = name.lower()
            if lowered.startswith(codec.access_control):
                continue
            if lowered == vary_name:
                app_vary.append(codec.text(value))
                continue
            kept.append((name, value))
        if self.vary is not None:
            if app_vary:
                merged = _merge_vary(app_vary, self.vary.members)
                kept.append((self.vary.pair[0], codec.value(merged)))
            else:
                kept.append(self.vary.pair)
        kept.extend(self.headers)
        return kept

    def own(self, status: int, codec: Codec[H], body: bytes = b"") -> Headers[H]:
        """The headers of a response the CORS layer sends itself: no body for 204."""
        headers = [] if self.vary is None else [self.vary.pair]
        headers.extend(self.headers)
        if status != 204:
            headers.append(codec.pair("Content-Length", str(len(body))))
        if body:
            headers.append(codec.pair("Content-Type", "text/plain; charset=utf-8"))
        return headers


#: The answer to a path whose raw and decoded forms choose different policies: 400 with no
#: CORS headers (answering for either policy could grant what the other refuses).
AMBIGUOUS: Answer[Any] = Answer(400, [], None)


def _merge_vary(app_values: Sequence[str], ours: tuple[str, ...]) -> str:
    """The application's ``Vary`` members followed by those of ours it lacks (members compare
    case-insensitively); ``*`` already varies on everything and stays alone."""
    members = [
        item.strip(http.OWS)
        for value in app_values
        for item in value.split(",")
        if item.strip(http.OWS)
    ]
    if "*" in members:
        return "*"
    have = {member.lower() for member in members}
    members.extend(member for member in ours if member.lower() not in have)
    return ", ".join(members)
