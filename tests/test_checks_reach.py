"""corsc.checks.reach: what a policy's denies cover — the entries they make unreachable (the
first deny containing each), the denies that remove something, and regex entries whose every
sample origin is denied."""

from __future__ import annotations

from checking import policy

from corsc.checks.compiled import Regexes
from corsc.checks.reach import DeniedRegex, Reach, reach
from corsc.frontend import load
from corsc.ir import Policy
from corsc.source import Source


def loaded(*statements: str) -> Policy:
    result = load(Source("api.cors", policy(*statements)))
    assert result.policy_set is not None
    return result.policy_set.policies[0]


def test_no_entries_or_no_denies_cover_nothing() -> None:
    assert reach(loaded('origins "https://a.example.com"'), Regexes()) == Reach()
    assert reach(loaded('deny "https://a.example.com"'), Regexes()) == Reach()


def test_entries_contained_in_a_deny_are_unreachable() -> None:
    found = reach(
        loaded(
            'origins "https://a.example.com", "https://*.b.example.com", "https://c.example.org"',
            'deny "https://x.example.net", "https://*.example.com", "https://a.example.com"',
        ),
        Regexes(),
    )
    assert found.denied == {0: 1, 1: 1}  # the first deny in the file explains each
    assert found.used == frozenset({1, 2})
    assert not found.regex_entries
    assert found.wildcard_entries
    assert found.denied_regexes == ()


def test_any_origin_uses_every_deny() -> None:
    found = reach(loaded("origins *", 'deny "https://a.example.com", "https://*.b.com"'), Regexes())
    assert found.denied == {}
    assert found.used == frozenset({0, 1})


def test_a_regex_entry_is_judged_by_its_samples() -> None:
    found = reach(
        loaded(
            r'origins regex "^https://pr-\d+\.example\.com$", "https://keep.example.org"',
            'deny "https://*.example.com", "https://pr-1.example.com"',
        ),
        Regexes(),
    )
    assert found.regex_entries
    assert found.denied == {}
    assert found.used == frozenset({0, 1})  # the exact deny is admitted by the regex
    (denied,) = found.denied_regexes
    assert isinstance(denied, DeniedRegex)
    assert denied.position == 0
    assert denied.samples == ("https://pr-1.example.com",)
    # For each sample, the first deny the index finds: an exact deny before a wildcard over it.
    assert denied.deniers == (1,)


def test_a_regex_outside_the_portable_subset_is_not_judged() -> None:
    found = reach(
        loaded(r'origins regex "https://(a\.example\.com"', 'deny "https://a.example.com"'),
        Regexes(),
    )
    assert found.regex_entries
    assert found.used == frozenset()
    assert found.denied_regexes == ()
