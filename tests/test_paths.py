"""Path prefixes and policy selection (design.md §1.4)."""

from __future__ import annotations

import pytest

from corsc.paths import normalize_prefix, prefix_matches, remove_dot_segments, request_path, select


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api", "/api"),
        ("/api/../admin", "/admin"),
        ("/a/./b/../c/", "/a/c/"),
        ("/..", "/"),
        ("/a/b/..", "/a/"),
        ("/a/%2E%2E/b", "/a/%2E%2E/b"),  # not decoded
    ],
)
def test_remove_dot_segments(path: str, expected: str) -> None:
    assert remove_dot_segments(path) == expected


@pytest.mark.parametrize(
    ("prefix", "expected"), [("/api/", "/api"), ("/", "/"), ("/a/./b/", "/a/b"), ("//", "/")]
)
def test_normalize_prefix(prefix: str, expected: str) -> None:
    assert normalize_prefix(prefix) == expected


def test_request_path_drops_query_and_fragment() -> None:
    assert request_path("/api/x?next=/admin#top") == "/api/x"
    assert request_path("") == "/"


@pytest.mark.parametrize(
    ("path", "matches"),
    [
        ("/api", True),
        ("/api/", True),
        ("/api/x", True),
        ("/apiary", False),
        ("/API", False),  # case-sensitive
        ("/api%2Fx", False),  # %2F is not a separator
        ("/", False),
    ],
)
def test_segment_boundary(path: str, matches: bool) -> None:
    assert prefix_matches("/api", request_path(path)) is matches


def test_longest_prefix_wins_then_fallback() -> None:
    candidates = [("api", ["/api"]), ("fallback", []), ("v2", ["/api/v2"]), ("other", [])]
    assert select(candidates, "/api/v2/x") == "v2"
    assert select(candidates, "/api/v1") == "api"
    assert select(candidates, "/apiary") == "fallback"
    assert select(candidates, "/api/v2/../v1") == "api"
    assert select([("api", ["/api"])], "/elsewhere") is None
