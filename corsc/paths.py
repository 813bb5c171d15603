"""Request paths and policy selection (design.md §1.4).

A policy's ``paths`` prefixes match on segment boundaries, a trailing slash is not significant,
dot segments are removed before comparing, nothing is percent-decoded (``%2F`` stays three
characters) and case matters. The longest matching prefix wins; a policy without ``paths`` is
the fallback. Imports nothing heavy: the evaluator and the runtime use it per request.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar


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


def normalize_prefix(prefix: str) -> str:
    """The canonical form of a ``paths`` prefix: dot segments removed, no trailing slash
    (except ``/`` itself). The caller has checked that it starts with ``/``."""
    normalized = remove_dot_segments(prefix)
    return normalized.rstrip("/") or "/"


def request_path(target: str) -> str:
    """The path a request is matched by: the target without query or fragment, dot segments
    removed."""
    path = target.split("?", 1)[0].split("#", 1)[0] or "/"
    if not path.startswith("/"):
        path = "/" + path
    return remove_dot_segments(path)


def prefix_matches(prefix: str, path: str) -> bool:
    """Whether a normalised prefix matches a request path on a segment boundary."""
    return prefix == "/" or path == prefix or path.startswith(prefix + "/")


T = TypeVar("T")


def select(candidates: Sequence[tuple[T, Sequence[str]]], path: str) -> T | None:
    """The candidate for ``path`` among ``(policy, normalised prefixes)`` pairs: the longest
    matching prefix wins, else the fallback (the first candidate without prefixes), else
    ``None``."""
    path = request_path(path)
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
