"""nginx's string syntax: quoted parameters read back as written, ``$`` refused where nginx
expands variables, control characters and non-ASCII refused."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from corsc.backends import nginx_text as r
from tests.nginx_config import tokens


@given(value=st.text(st.characters(min_codepoint=32, max_codepoint=126)))
def test_literal_reads_back_as_written(value: str) -> None:
    ((_, read),) = [(kind, word) for kind, word in tokens(r.literal(value))]
    assert read == value


@given(value=st.text(st.characters(min_codepoint=32, max_codepoint=126)))
def test_text_refuses_a_dollar(value: str) -> None:
    if "$" in value:
        with pytest.raises(r.Unwritable):
            r.text(value)
    else:
        assert r.text(value) == r.literal(value)


@pytest.mark.parametrize("bad", ["a\nb", "tab\there", "é", "nul\x00"])
def test_literal_refuses_control_and_non_ascii(bad: str) -> None:
    with pytest.raises(r.Unwritable):
        r.literal(bad)


def python_regex(tail: str, flags: int = 0) -> re.Pattern[str]:
    """A regex tail as Python reads it (PCRE's ``\\z`` is Python's ``\\Z``)."""
    return re.compile("^" + tail.replace(r"\z", r"\Z"), flags)


def test_method_regex_admits_the_methods_given_case_sensitively() -> None:
    listed = python_regex(r.method_regex(("GET", "HEAD", "POST", "PUT")))
    assert [bool(listed.match(m)) for m in ("PUT", " PUT\t", "GET", "put", "PATCH", "PUTX")] == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]
    served = python_regex(r.method_regex(None))  # `methods *`: any method nginx serves
    assert [bool(served.match(m)) for m in ("PATCH", "X_Y-Z", "patch", "M1", "A.B")] == [
        True,
        True,
        False,
        False,
        False,
    ]


def test_headers_regex_admits_lists_of_granted_names_in_any_case() -> None:
    granted = python_regex(r.headers_regex(("X-A", "Content-Type")), re.IGNORECASE)
    for asked in ("x-a", "X-A, content-type", " x-a ,, Content-Type\t", ","):
        assert granted.match(asked), asked
    for asked in ("x-b", "x-a, x-b", "x-ab"):
        assert not granted.match(asked), asked
    assert r.headers_regex(()) == r.NOTHING_ASKED
    assert python_regex(r.headers_regex(None)).match("x-a, y_b")


def test_token_characters_nginx_reads_are_written_as_hex() -> None:
    tail = r.headers_regex(("X$'`#",))
    assert "$" not in tail.replace("\\x24", "") and "'" not in tail and "#" not in tail
    assert python_regex(tail, re.IGNORECASE).match("x$'`#")
    with pytest.raises(r.Unwritable):
        r.method_regex(("NOT A TOKEN",))
