"""corsc.checks.index: which indexed patterns admit an origin, contain a wildcard or overlap
it, found by host and label suffix instead of by comparing every pair."""

from __future__ import annotations

from checking import policy

from corsc.checks.compiled import Regexes
from corsc.checks.index import Index, proper_suffixes
from corsc.frontend import load
from corsc.ir import OriginPattern
from corsc.source import Source

INDEXED = [
    "*",
    '"https://*.example.com"',
    '"https://a.example.com"',
    '"https://a.example.com:8443"',
    '"http://localhost:*"',
    '"null"',
    r'regex "^https://pr-\d+\.example\.org$"',
    r'regex "https://(broken\.example\.org"',  # outside the portable subset: never matched
]


def patterns(*written: str) -> list[OriginPattern]:
    """The allow patterns of a policy listing ``written``, in order."""
    loaded = load(Source("api.cors", policy(f"origins {', '.join(written)}")))
    assert loaded.policy_set is not None
    return [entry.pattern for entry in loaded.policy_set.policies[0].entries]


def index() -> Index[int]:
    listed = patterns(*INDEXED)
    return Index(range(len(listed)), listed.__getitem__, Regexes())


def test_proper_suffixes_are_the_bases_a_wildcard_over_the_host_could_have() -> None:
    assert list(proper_suffixes("a.b.example.com")) == ["b.example.com", "example.com", "com"]
    assert list(proper_suffixes("localhost")) == []


def test_admitting_one_origin() -> None:
    (exact,) = patterns('"https://a.example.com"')
    assert sorted(index().admitting(exact)) == [0, 1, 2]
    (null,) = patterns('"null"')
    assert sorted(index().admitting(null)) == [0, 5]
    (other_port,) = patterns('"http://localhost:3000"')
    assert sorted(index().admitting(other_port)) == [0, 4]


def test_admitting_text_matches_regexes_and_only_canonical_origins_otherwise() -> None:
    span = patterns('"https://a.example.com"')[0].span
    assert sorted(index().admitting_text("https://pr-12.example.org", span)) == [0, 6]
    assert sorted(index().admitting_text("https://a.example.com", span)) == [0, 1, 2]
    # Not as a browser sends an origin: only `*` (or a regex) can match it.
    assert sorted(index().admitting_text("HTTPS://A.EXAMPLE.COM", span)) == [0]


def test_containing_and_overlapping_a_wildcard() -> None:
    (deeper,) = patterns('"https://*.a.example.com"')
    assert sorted(index().containing(deeper)) == [0, 1]
    (wildcard,) = patterns('"https://*.example.com"')
    assert sorted(index().containing(wildcard)) == [0, 1]
    # Not `https://a.example.com:8443`: the wildcard admits the default port only.
    assert sorted(set(index().overlapping(wildcard))) == [0, 1, 2]
    (any_port,) = patterns('"https://a.example.com:*"')
    assert sorted(index().containing(any_port)) == [0]
    assert sorted(set(index().overlapping(any_port))) == [0, 1, 2, 3]
