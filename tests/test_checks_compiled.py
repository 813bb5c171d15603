"""corsc.checks.compiled: regexes validated, compiled and judged once per run, and the
one-site test."""

from __future__ import annotations

import pytest
from checking import policy

from corsc.checks.compiled import Regexes, one_site
from corsc.frontend import load
from corsc.ir import OriginPattern
from corsc.source import Source


def regex_pattern(body: str) -> OriginPattern:
    loaded = load(Source("api.cors", policy(f'origins regex "{body}"')))
    assert loaded.policy_set is not None
    return loaded.policy_set.policies[0].entries[0].pattern


def test_each_regex_is_validated_and_compiled_once() -> None:
    regexes = Regexes()
    pattern = regex_pattern(r"^https://app\.example\.com$")
    assert regexes.issues(pattern) is regexes.issues(pattern)
    match = regexes.matcher(pattern)
    assert match is not None and match is regexes.matcher(pattern)
    assert match("https://app.example.com")
    assert not match("https://app.example.com.evil.net")
    assert regexes.language(pattern) is regexes.language(pattern)
    assert regexes.look_alikes(pattern) == []


def test_a_regex_outside_the_portable_subset_is_never_matched() -> None:
    regexes = Regexes()
    pattern = regex_pattern(r"https://(app\.example\.com")
    assert not regexes.usable(pattern)
    assert regexes.matcher(pattern) is None
    assert regexes.look_alikes(pattern) == []


def test_unescaped_dots_leave_a_regex_usable_and_admit_look_alikes() -> None:
    regexes = Regexes()
    pattern = regex_pattern(r"^https://app.example\.com$")
    assert regexes.usable(pattern)
    assert regexes.matcher(pattern) is not None
    probes = [probe for probe, _ in regexes.look_alikes(pattern)]
    assert probes and all(probe != "https://app.example.com" for probe in probes)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("example.com", True),
        ("a.example.com", False),  # under a site, not a registrable domain itself
        ("localhost", True),
        ("co.uk", False),
        ("nagoya.jp", False),  # `*.nagoya.jp` makes its subdomains public suffixes
        ("city.nagoya.jp", True),
        ("127.0.0.1", False),
    ],
)
def test_one_site(name: str, expected: bool) -> None:
    assert one_site(name) is expected
