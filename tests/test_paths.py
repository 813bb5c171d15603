"""Path prefixes and policy selection: decoding, dot segments, ambiguity."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from corsc.paths import (
    Selector,
    decoded_path,
    normalize_prefix,
    prefix_matches,
    remove_dot_segments,
    request_path,
    select,
    selection_prefix,
)


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


# ---- decoding --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "selected", "routed"),
    [
        ("/%61pi/x", "/api/x", "/api/x"),
        ("/%41pi", "/Api", "/Api"),
        ("/api%2Fx", "/api%2Fx", "/api/x"),
        ("/api%2fx", "/api%2Fx", "/api/x"),
        ("/api%252Fx", "/api%252Fx", "/api%2Fx"),
        ("/%2E%2E/api", "/api", "/api"),
        ("/x/.%2e/api", "/api", "/api"),
        ("//api", "//api", "/api"),
        ("/caf%C3%A9", "/café", "/café"),
        ("/café", "/café", "/café"),
        (b"/caf\xc3\xa9", "/café", "/café"),
        ("/%FF", "/\ufffd", "/\ufffd"),
        ("/100%", "/100%25", "/100%"),
        ("/a?b=%2F#c", "/a", "/a"),
        ("", "/", "/"),
    ],
)
def test_the_two_decodings(target: str | bytes, selected: str, routed: str) -> None:
    assert (request_path(target), decoded_path(target)) == (selected, routed)


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [("/caf%C3%A9/", "/café"), ("/a%2fb", "/a%2Fb"), ("/%61", "/a"), ("/x/%2E%2E/y", "/y")],
)
def test_selection_prefix_decodes_as_requests_are(prefix: str, expected: str) -> None:
    assert selection_prefix(prefix) == expected
    assert selection_prefix(expected) == expected


CANDIDATES = [("api", ["/api"]), ("v2", ["/api/v2"]), ("cafe", ["/caf%C3%A9"]), ("rest", [])]
path_text = st.lists(
    st.sampled_from(["/", "a", "p", "i", "v2", "%2F", "%2f", "%61", "%25", ".", "..", "%2E", "é"]),
    max_size=10,
).map(lambda parts: "/" + "".join(parts))


@given(path_text)
@example("/api%2Fv2")
@example("//api")
@example("/x%2F..%2Fapi")
def test_property_what_the_application_routes_gets_the_policy_chosen(target: str) -> None:
    """Unless refused as ambiguous, the path a server hands the application (decoded, taken as
    it is) chooses the policy the raw path chose: no encoding moves a request between
    policies."""
    selector = Selector(CANDIDATES)
    choice = selector.choose(target)
    routed = decoded_path(target).replace("%", "%25")
    if not choice.ambiguous:
        assert selector.choose(routed).policy == choice.policy
    else:
        assert choice.decoded_policy == selector.choose(routed).policy != choice.policy


def test_a_prefix_with_an_encoded_slash_is_checked_without_escapes_in_the_path() -> None:
    """`paths "/a%2Fb"` reads `/a/b` once decoded: a plain `/a/b` request is ambiguous too."""
    selector = Selector([("encoded", ["/a%2Fb"]), ("rest", [])])
    assert selector.choose("/a%2Fb/x").policy == "encoded"
    assert selector.choose("/a/b").ambiguous
    assert selector.choose("/a/c").policy == "rest"
