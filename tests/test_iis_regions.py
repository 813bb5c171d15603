"""corsc's regions in an existing web.config (corsc.backends.iis_regions): an older corsc
section is replaced, not duplicated; switching targets takes the old regions out; damaged
markers are refused so that no user entry is lost; comments that merely mention corsc are the
user's."""

from __future__ import annotations

import pytest

from tests.iis_merging import (
    FIXTURES,
    SPA,
    TARGETS,
    merge,
    merged_of,
)
from tests.iis_structure import parse


def test_older_corsc_section_is_replaced_not_duplicated() -> None:
    merged = merge(SPA, "iis", (FIXTURES / "older-corsc.config").read_bytes())
    assert isinstance(merged, str)
    assert "old.example.com" not in merged and "0.0.9" not in merged
    assert merged.count("corsc:begin iis cors") == 1
    origins = [e.get("origin") for e in parse(merged).iter("add") if e.get("origin")]
    assert origins == ["https://localhost:3000"]


def test_switching_targets_takes_the_old_regions_out() -> None:
    original = (FIXTURES / "headers-comments.config").read_bytes()
    first = merge(SPA, "iis-rewrite", original)
    assert isinstance(first, str)
    second = merge(SPA, "iis-headers", first.encode("utf-8"))
    assert second == merge(SPA, "iis-headers", original)


def _spa_headers(inner: str) -> bytes:
    return (
        "<configuration>\n  <system.webServer>\n    <httpProtocol>\n      <customHeaders>\n"
        f"{inner}"
        '        <add name="X-Frame-Options" value="DENY" />\n'
        "      </customHeaders>\n    </httpProtocol>\n  </system.webServer>\n</configuration>\n"
    ).encode()


@pytest.mark.parametrize(
    "inner",
    [
        "        <!-- corsc:begin stray -->\n",
        "        <!-- corsc:end iis-headers headers -->\n",
        "        <!-- corsc:begin iis headers -->\n        <!-- corsc:end iis cors -->\n",
        "        <!-- corsc:begin a -->\n        <!-- corsc:begin b -->\n"
        "        <!-- corsc:end b -->\n        <!-- corsc:end a -->\n",
        '        <!-- corsc:begin vary appended=", Origin" -->\n        <!-- corsc:end vary -->\n',
        '        <!-- corsc:begin vary appended=", Origin" -->\n        <add name="A" value="1"'
        " />\n"
        '        <add name="Vary" value="x, Origin" />\n        <!-- corsc:end vary -->\n',
    ],
    ids=["begin-alone", "end-alone", "names-differ", "nested", "vary-empty", "vary-two"],
)
@pytest.mark.parametrize("target", TARGETS)
def test_damaged_markers_are_refused_so_no_user_entry_is_lost(inner: str, target: str) -> None:
    merged = merged_of(SPA, target, _spa_headers(inner))
    assert merged.text is None
    [diagnostic] = merged.diagnostics
    assert (
        diagnostic.code == "CORS616" and "has no partner in the same element" in diagnostic.message
    )
    assert diagnostic.span.start.line == 5


def test_comments_that_merely_mention_corsc_are_the_users() -> None:
    inner = "        <!-- corsc:beginning of the headers -->\n        <!-- see corsc:end -->\n"
    merged = merged_of(SPA, "iis-headers", _spa_headers(inner))
    assert merged.text is not None and inner in merged.text
    assert merged_of(SPA, "iis-headers", merged.text.encode()).text == merged.text
