"""The maps variant's file for ``http {}``: the origin chain in the evaluator's order, and
unions of origins split into parameters nginx reads."""

from __future__ import annotations

from corsc.backends import nginx_text as r
from corsc.diagnostics import fails
from tests.nginx_config import compile_text, read_config


def test_the_http_file_maps_in_the_evaluator_s_order() -> None:
    """deny before allow entries, origin blocks before list items, exact before wildcard; a
    hash hit is confirmed by a regex that falls through to the next link."""
    _, _, files = compile_text(
        """policy p {
          origins "https://*.example.com", "https://a.example.com", regex "https://r[0-9]\\.example\\.net"
          deny "https://bad.example.com"
          origin "https://*.b.example.com" { credentials true }
        }"""
    )
    maps = {d.words[2]: d for d in read_config(files[0].content)}
    rows = {
        name: {row.words[0]: row.words[-1] for row in m.block or () if len(row.words) == 2}
        for name, m in maps.items()
    }
    # an Origin too long to be one first, without a regex of the policy; then deny's exact
    # origin and its trailing-dot twin (only for an Origin with a dot before the port or end),
    # then the block's wildcard, then the list's exact origin
    assert rows["$corsc_p_grant"] == {"": "", r"~^[\s\S]{268}": "0", "default": "$corsc_p_t1"}
    assert rows["$corsc_p_t1"] == {
        "default": "$corsc_p_t1_dot",
        "https://bad.example.com": "$corsc_p_t1_0",
    }
    assert rows["$corsc_p_t1_0"] == {"default": "0", "~[A-Z]": "$corsc_p_t1_dot"}
    assert rows["$corsc_p_t1_dot"] == {
        "default": "$corsc_p_t2_https",
        r"~\.(?::[0-9]+)?\z": "$corsc_p_t1_dots",
    }
    assert rows["$corsc_p_t1_dots"] == {
        "default": "$corsc_p_t2_https",
        r"~^(?:https://bad\.example\.com\.)\z": "0",
    }
    assert rows["$corsc_p_t2_https"]["*.b.example.com"] == "$corsc_p_t2_https_1"
    assert rows["$corsc_p_t2_https"]["default"] == "$corsc_p_t3"
    assert rows["$corsc_p_t3"]["https://a.example.com"] == "$corsc_p_t3_2"
    assert rows["$corsc_p_t3"]["default"] == "$corsc_p_t3_https"
    assert rows["$corsc_p_t3_https"]["*.example.com"] == "$corsc_p_t3_https_2"
    assert rows["$corsc_p_t3_https"]["default"] == "$corsc_p_t3_rx"
    assert rows["$corsc_p_t3_rx"]["default"] == "0"
    assert [k for k in rows["$corsc_p_t3_rx"] if "r[0-9]" in k]


def test_long_unions_are_split_into_parameters_nginx_reads() -> None:
    patterns = ", ".join(f'"http://h{n}.example.com:*"' for n in range(400))
    _, diagnostics, files = compile_text(f"policy p {{ origins {patterns} }}")
    assert not fails(diagnostics)
    regexes = [
        d.words[0]
        for m in read_config(files[0].content)
        for d in m.block or ()
        if d.words[0].startswith("~^(?:http://h")
    ]
    assert len(regexes) > 1 and all(len(r.literal(x)) <= r.MAX_PARAMETER for x in regexes)
    assert all("||" not in x and "(?:|" not in x and "|)" not in x for x in regexes)
    assert sum(x.count("http://h") for x in regexes) == 400
