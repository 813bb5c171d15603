"""corsc.suffixes: the Public Suffix List as corsc applies it — the list's official vectors,
the rule found below a name, and the two ways of finding it agreeing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("nagoya.jp", "*.nagoya.jp"),
        ("city.nagoya.jp", None),
        ("example.com", None),
        ("compute.amazonaws.com", "*.compute.amazonaws.com"),
        ("com", None),  # `com` has normal rules below; the first is found
    ],
)
def test_rule_below_names_a_normal_or_wildcard_rule(base: str, expected: str | None) -> None:
    from corsc import suffixes

    found = suffixes.rule_below(base)
    if base == "com":
        assert found is not None and found.endswith(".com") and not found.startswith("!")
    else:
        assert found == expected


def psl_vectors() -> list[tuple[str, str | None]]:
    """The list's official test vectors, shipped with the ``publicsuffixlist`` package: those
    for lowercase ASCII names under TLDs the list knows (corsc does not treat unknown TLDs as
    public, and canonicalises names before it looks them up)."""
    from publicsuffixlist import PSLFILE

    text = (Path(PSLFILE).parent / "test_psl.txt").read_text("utf-8")
    vectors = []
    for name, expected in re.findall(r"checkPublicSuffix\('([^']*)', '?([^')]*)'?\);", text):
        if not name or name != name.lower() or not name.isascii() or name.startswith("."):
            continue
        vectors.append((name, None if expected == "null" else expected))
    return vectors


def test_public_suffix_list_official_vectors() -> None:
    from corsc import suffixes

    checked = 0
    for name, expected in psl_vectors():
        if not suffixes.rules().knows_top_level_domain(name.rsplit(".", 1)[-1]):
            continue
        assert suffixes.registrable_domain(name) == expected, name
        checked += 1
    assert checked >= 50


def test_rules_below_agree_between_text_search_and_index() -> None:
    from publicsuffixlist import PSLFILE

    from corsc import suffixes

    names = [
        "nagoya.jp",
        "city.nagoya.jp",
        "kawasaki.jp",
        "compute.amazonaws.com",
        "amazonaws.com",
        "s3.amazonaws.com",
        "example.com",
        "co.uk",
        "github.io",
        "user.github.io",
        "com",
        "ck",
        "рф",
        "xn--p1ai",
        "uk",
        "com.uk",
        "a.b.c",
        "jp",
    ]
    data = Path(PSLFILE).read_bytes()
    searched = suffixes._Rules(data)
    indexed = suffixes._Rules(data)
    indexed._below = indexed._index_below()
    for name in names:
        assert searched.first_below(name) == indexed.first_below(name), name


def test_the_list_is_the_file_the_package_names() -> None:
    from publicsuffixlist import PSLFILE

    from corsc import suffixes

    assert suffixes.list_file() == Path(PSLFILE)


def test_rule_lookups_agree_between_bytes_search_and_set() -> None:
    """A few lookups search the file's bytes, many build a set of the decoded rules: both
    answer alike, for ASCII, Unicode, exception and wildcard rules, and for a label punycode
    decodes to a lone surrogate."""
    from publicsuffixlist import PSLFILE

    from corsc import suffixes

    questions = ["com", "co.uk", "рф", "*.nagoya.jp", "!city.nagoya.jp", "example.com"]
    questions += ["github.io", "*.ck", "!www.ck", "\ud800", "uk", "nope.invalid"]
    data = Path(PSLFILE).read_bytes()
    searched = suffixes._Rules(data)
    indexed = suffixes._Rules(data)
    for _ in range(suffixes._Rules._LOOKUPS_BEFORE_A_SET + 1):
        "com" in indexed  # noqa: B015 - past the threshold the set is built
    assert indexed._rules is not None
    for question in questions:
        assert (question in searched) == (question in indexed), question
        label = question.rsplit(".", 1)[-1]
        assert searched.knows_top_level_domain(label) == indexed.knows_top_level_domain(label)
    assert searched._rules is None
    assert [q in searched for q in questions[:5]] == [True, True, True, True, True]
    assert "example.com" not in searched and "\ud800" not in searched
