"""nginx's string syntax: quoted parameters read back as written, ``$`` refused where nginx
expands variables, control characters and non-ASCII refused."""

from __future__ import annotations

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
