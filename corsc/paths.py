"""Request paths and policy selection.

A policy's ``paths`` prefixes match on segment boundaries, a trailing slash is not significant,
and case matters. The longest matching prefix wins; a policy without ``paths`` is the fallback.

Servers and frameworks route a request on its percent-decoded path, so corsc chooses the policy
on the decoded path too — otherwise ``/%61pi/secret`` would be routed to ``/api/secret`` while
the CORS layer answered for another policy. One escape stays encoded: ``%2F``, because an
encoded slash is data inside a segment, not a boundary (and ``%25``, the escaped ``%``, so that
the form is unambiguous and decoding it again changes nothing). Decoded bytes are read as UTF-8
(``/caf%C3%A9`` is ``/café``); dot segments are removed after decoding (``/%2E%2E/`` is
``/../``). Where the path as servers may hand it to the application — ``%2F`` decoded too,
with or without runs of slashes merged (waitress turns ``//api`` into ``/api``) and dot segments
removed (uvicorn passes ``/api/../x`` as it is) — would choose a different policy, the request
is ambiguous and :meth:`Selector.choose` says so; the CORS layer refuses it.

Imports nothing heavy: the evaluator and the runtime use it per request.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Generic, TypeVar

from attrs import frozen

from corsc.records import fields_repr

#: A percent-escape, or a ``%`` that starts none (kept as the escape ``%25``).
_ESCAPE = re.compile(rb"%(?:([0-9A-Fa-f]{2}))?")
#: Escapes that stay encoded in the selection form: ``/`` and ``%`` itself.
_KEPT = {b"2f": b"%2F", b"25": b"%25"}
_SLASHES = re.compile(r"//+")


def remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4, on an absolute path."""
    output: list[str] = []
    segments = path.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == ".":
            if last:
                output.append("")
            continue
        if segment == "..":
            if len(output) > 1:
                output.pop()
            if last:
                output.append("")
            continue
        output.append(segment)
    result = "/".join(output)
    return result if result.startswith("/") else "/" + result


def _bytes(path: str | bytes) -> bytes:
    """A path as the bytes it stands for: characters outside ASCII as their UTF-8 encoding
    (a lone surrogate included, so nothing raises; it decodes as U+FFFD)."""
    return path if isinstance(path, bytes) else path.encode("utf-8", "surrogatepass")


def _decode(raw: bytes, *, keep: bool) -> str:
    """``raw`` percent-decoded in one pass (never twice: ``%2541`` is ``%41``), read as UTF-8
    with U+FFFD for invalid sequences. With ``keep``, the escapes of ``/`` and ``%`` stay
    (uppercase), and a stray ``%`` becomes ``%25``."""

    def replace(found: re.Match[bytes]) -> bytes:
        digits = found.group(1)
        if digits is None:
            return b"%25" if keep else b"%"
        kept = _KEPT.get(digits.lower()) if keep else None
        return kept if kept is not None else bytes((int(digits, 16),))

    if b"%" in raw:
        raw = _ESCAPE.sub(replace, raw)
    return raw.decode("utf-8", "replace")


def _path_part(target: str | bytes) -> bytes:
    """The path of a request target: no query or fragment, starting with ``/``."""
    raw = _bytes(target).split(b"?", 1)[0].split(b"#", 1)[0]
    return raw if raw.startswith(b"/") else b"/" + raw


def request_path(target: str | bytes) -> str:
    """The path a request's policy is chosen by: the target without query or fragment,
    percent-decoded except for ``%2F`` and ``%25``, dot segments removed."""
    return remove_dot_segments(_decode(_path_part(target), keep=True))


def decoded_path(target: str | bytes) -> str:
    """The path fully normalised, as a server that decodes before routing sees it: every
    escape decoded (``%2F`` too), runs of slashes merged, dot segments removed."""
    return remove_dot_segments(_SLASHES.sub("/", _decode(_path_part(target), keep=False)))


def normalize_prefix(prefix: str) -> str:
    """The canonical form of a ``paths`` prefix as written to every target: dot segments
    removed, no trailing slash (except ``/`` itself), percent-escapes kept as written. The
    caller has checked that it starts with ``/``."""
    return remove_dot_segments(prefix).rstrip("/") or "/"


def selection_prefix(prefix: str) -> str:
    """A prefix in the form request paths are compared with: decoded as :func:`request_path`
    decodes a path (``/caf%C3%A9`` is ``/café``), no trailing slash. Idempotent."""
    return request_path(prefix).rstrip("/") or "/"


def prefix_matches(prefix: str, path: str) -> bool:
    """Whether a normalised prefix matches a request path on a segment boundary."""
    return prefix == "/" or path == prefix or path.startswith(prefix + "/")


T = TypeVar("T")


def _longest(candidates: Sequence[tuple[T, Sequence[str]]], path: str) -> T | None:
    best: T | None = None
    best_length = -1
    fallback: T | None = None
    for policy, prefixes in candidates:
        if not prefixes:
            if fallback is None:
                fallback = policy
            continue
        for prefix in prefixes:
            if len(prefix) > best_length and prefix_matches(prefix, path):
                best, best_length = policy, len(prefix)
    return best if best is not None else fallback


def select(candidates: Sequence[tuple[T, Sequence[str]]], path: str | bytes) -> T | None:
    """The candidate for ``path`` among ``(policy, normalised prefixes)`` pairs: the longest
    prefix matching :func:`request_path` wins, else the fallback (the first candidate without
    prefixes), else ``None``. Ambiguity aside: :class:`Selector` also checks it."""
    return Selector(candidates).choose(path).policy


@frozen
class Choice(Generic[T]):
    """The policy chosen for a request path.

    ``policy`` is chosen on ``path`` (:func:`request_path`). ``ambiguous`` is true when the
    fully decoded path ``decoded`` (:func:`decoded_path`, how servers route) would choose
    another policy (``decoded_policy``); the request must then be refused.
    """

    __repr__ = fields_repr

    policy: T | None
    path: str
    ambiguous: bool = False
    decoded: str = ""
    decoded_policy: T | None = None


class Selector(Generic[T]):
    """Policy selection prepared once for ``(policy, normalised prefixes)`` pairs: both decoded
    forms of every prefix are computed here, not per request."""

    def __init__(self, candidates: Sequence[tuple[T, Sequence[str]]]) -> None:
        self.candidates = tuple(
            (policy, tuple(selection_prefix(prefix) for prefix in prefixes))
            for policy, prefixes in candidates
        )
        self.decoded = tuple(
            (policy, tuple(decoded_path(prefix).rstrip("/") or "/" for prefix in prefixes))
            for policy, prefixes in candidates
        )
        # Without any prefix every path gets the fallback: nothing to decode or compare.
        self.trivial = all(not prefixes for _, prefixes in self.candidates)
        # When no prefix holds an escape or a doubled slash, a path without either (and
        # without dot segments) reads the same every way and cannot be ambiguous.
        self.plain = all(
            mine == theirs
            for (_, mine), (_, theirs) in zip(self.candidates, self.decoded, strict=True)
        )

    def choose(self, target: str | bytes) -> Choice[T]:
        """The policy for a request target (``str``: characters beyond ASCII stand for their
        UTF-8 bytes; ``bytes``: the target as received)."""
        raw = _path_part(target)
        path = remove_dot_segments(_decode(raw, keep=True))
        policy = _longest(self.candidates, path)
        if self.trivial or (
            self.plain and b"%" not in raw and b"//" not in raw and b"/." not in raw
        ):
            return Choice(policy, path)  # servers see the same path: no ambiguity
        for decoded in _as_servers_may_route(raw):
            other = _longest(self.decoded, decoded)
            if other is not policy:
                return Choice(policy, path, True, decoded, other)
        return Choice(policy, path)


def _as_servers_may_route(raw: bytes) -> tuple[str, ...]:
    """The path as servers may hand it to the application: every escape decoded (``%2F``
    too), then with or without runs of slashes merged (waitress merges them) and with or
    without dot segments removed (nginx removes them; uvicorn, gunicorn and waitress pass
    ``/api/../x``, which a router sends to ``/api``)."""
    decoded = _decode(raw, keep=False)
    merged = _SLASHES.sub("/", decoded)
    forms = (decoded, merged, remove_dot_segments(decoded), remove_dot_segments(merged))
    return tuple(dict.fromkeys(forms))
