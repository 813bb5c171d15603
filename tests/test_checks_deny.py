"""corsc.checks.deny: entries a deny makes unreachable, denies that remove nothing, and a
policy left with no origin (CORS508–CORS510, CORS512).

Each test loads a small policy with ``corsc.frontend.load`` and asserts the code, severity and
range of what it reports (see ``checking``).
"""

from __future__ import annotations

import pytest
from checking import ERROR, WARNING, at, codes, found, one, policy, where


def test_entry_unreachable_by_deny() -> None:
    text = policy(
        'origins "https://a.example.com", "https://keep.example.org"',
        'deny "https://*.example.com"',
    )
    item = one(text, "CORS508")
    assert item.severity is ERROR
    assert where(item.span) == at(text, '"https://a.example.com"')
    assert item.message == (
        '"https://a.example.com" is unreachable: deny "https://*.example.com" covers every '
        "origin it allows"
    )
    assert item.help == "deny always wins; remove the entry, or narrow the deny"
    assert [(where(r.span), r.message) for r in item.related] == [
        (at(text, '"https://*.example.com"'), "denied here")
    ]


def test_origin_block_unreachable_by_deny_is_reported_at_its_header() -> None:
    text = policy(
        'origins "https://keep.example.org"',
        'deny "https://a.example.com"',
        'origin "https://a.example.com" { methods PUT }',
    )
    item = one(text, "CORS508")
    assert where(item.span) == at(text, 'origin "https://a.example.com"')
    assert item.message.startswith('the `origin` block for "https://a.example.com" is unreachable')


#: (allow entry, deny, whether the deny covers every origin of the entry)
CONTAINMENT = [
    ("https://a.example.com", "https://a.example.com", True),
    ("https://a.example.com", "https://b.example.com", False),
    ("https://a.example.com", "https://*.example.com", True),
    ("https://a.b.example.com", "https://*.example.com", True),
    ("https://example.com", "https://*.example.com", False),  # never the apex
    ("https://a.example.com", "http://*.example.com", False),  # other scheme
    ("https://a.example.com:8443", "https://*.example.com", False),  # other port
    ("https://a.example.com:8443", "https://*.example.com:*", True),
    ("https://a.example.com", "https://*.example.com:*", True),  # the default port too
    ("https://a.example.com:8443", "https://a.example.com:*", True),
    ("https://a.example.com", "https://a.example.com:*", True),
    ("https://ab.example.com", "https://*.b.example.com", False),  # label boundary
    ("https://*.a.example.com", "https://*.example.com", True),
    ("https://*.example.com", "https://*.example.com", True),
    ("https://*.example.com", "https://*.a.example.com", False),  # narrower deny
    ("https://*.example.com", "https://a.example.com", False),
    ("https://*.example.com:*", "https://*.example.com", False),  # other ports stay
    ("https://*.example.com:8443", "https://*.example.com:*", True),
    ("https://*.example.com:8443", "https://*.example.com:9443", False),
    ("https://*.a.example.com", "http://*.example.com", False),
    ("http://localhost:*", "http://localhost:*", True),
    ("http://localhost:*", "http://localhost:3000", False),
    ("http://a.localhost:*", "http://*.localhost:*", True),
    ("http://a.localhost:*", "http://*.localhost", False),
    ("null", "null", True),
    ("https://a.example.com", r"regex:https://[a-z]+\.example\.com", True),
    ("https://a-1.example.com", r"regex:https://[a-z]+\.example\.com", False),
    ("https://*.example.com", r"regex:https://.*\.example\.com", False),  # not decided
]


@pytest.mark.parametrize(("entry", "deny", "contained"), CONTAINMENT)
def test_containment_of_an_entry_in_a_deny(entry: str, deny: str, contained: bool) -> None:
    text = 'let allowed = "https://x.example"\nlet denied = "https://y.example"\n' + policy(
        'origins allowed, "https://keep.example.org"', "deny denied"
    )
    items = found(text, "CORS508", f"allowed={entry}", f"denied={deny}")
    assert bool(items) is contained


def test_regex_entry_whose_samples_are_all_denied() -> None:
    text = policy(
        r'origins regex "^https://pr-\d+\.example\.com$", "https://keep.example.org"',
        'deny "https://*.example.com"',
    )
    item = one(text, "CORS509")
    assert item.severity is WARNING
    assert where(item.span) == at(text, r'"^https://pr-\d+\.example\.com$"')
    assert where(item.related[0].span) == at(text, '"https://*.example.com"')
    assert "CORS508" not in codes(text)


#: (allowed origins, deny, whether the deny removes nothing)
USELESS_DENIES = [
    ('"https://a.example.com"', "https://b.example.com", True),
    ('"https://a.example.com"', "https://a.example.com", False),
    ('"https://*.example.com"', "https://a.example.com", False),
    ('"https://*.example.com"', "https://example.com", True),  # the apex is not allowed
    ('"https://*.example.com"', "https://*.a.example.com", False),
    ('"https://*.a.example.com"', "https://*.example.com", False),
    ('"https://a.b.example.com"', "https://*.example.com", False),
    ('"https://a.example.com:8443"', "https://*.example.com", True),
    ('"https://a.example.com:8443"', "https://*.example.com:*", False),
    ('"http://localhost:*"', "http://localhost:3000", False),
    ('"http://localhost:3000"', "http://localhost:*", False),
    ('"https://a.example.com"', "null", True),
    ('"https://a.example.com", "null"', "null", False),
    ("*", "https://b.example.com", False),
    (r'regex "^https://[a-z]+\.example\.com$"', "https://b.example.com", False),
    (r'regex "^https://[a-z]+\.example\.com$"', "https://b-1.example.com", True),
    (r'regex "^https://[a-z]+\.example\.com$"', "https://*.example.org", False),  # undecided
    ('"https://a.example.com"', r"regex:https://b\.example\.com", True),
    ('"https://a.example.com"', r"regex:https://[a-z]\.example\.com", False),
    ('"https://*.example.com"', r"regex:https://b\.example\.org", False),  # undecided
]


@pytest.mark.parametrize(("allowed", "deny", "useless"), USELESS_DENIES)
def test_deny_that_removes_nothing(allowed: str, deny: str, useless: bool) -> None:
    text = 'let denied = "https://y.example"\n' + policy(f"origins {allowed}", "deny denied")
    items = found(text, "CORS510", f"denied={deny}")
    assert bool(items) is useless
    if useless:
        assert items[0].severity is WARNING
        assert items[0].span.file == "<--set #1>"


def test_deny_that_removes_nothing_message() -> None:
    text = policy('origins "https://a.example.com"', 'deny "https://b.example.com"')
    item = one(text, "CORS510")
    assert where(item.span) == at(text, '"https://b.example.com"')
    assert (
        item.message == 'deny "https://b.example.com" removes nothing: no allowed origin matches it'
    )


def test_policy_without_origins() -> None:
    text = policy("methods PUT")
    item = one(text, "CORS512")
    assert item.severity is ERROR
    assert where(item.span) == (1, 8, 1, 11)
    assert item.message == "policy `api` allows no origin: it lists none in `origins` or blocks"
    assert item.help == (
        'list who may read responses, for example `origins "https://app.example.com"`, or '
        "`origins *` for a public resource"
    )


def test_policy_whose_set_override_is_empty() -> None:
    # An empty `--set` is refused where it is written (CORS011), before any statement sees it.
    text = 'let allowed = "https://a.example"\n' + policy("origins allowed")
    assert codes(text, "allowed=") == ["CORS011"]


def test_policy_whose_every_entry_is_denied() -> None:
    text = policy(
        'origins "https://a.example.com", "https://*.b.example.com"', 'deny "https://*.example.com"'
    )
    item = one(text, "CORS512")
    assert where(item.span) == (1, 8, 1, 11)
    assert item.message == "policy `api` allows no origin: `deny` removes every entry"
    assert [where(r.span) for r in item.related] == [at(text, '"https://*.example.com"')]
    assert len(found(text, "CORS508")) == 2


@pytest.mark.parametrize("statement", ['origins "https://a.example/"', "origins undefined_list"])
def test_no_origin_allowed_is_not_piled_on_lowering_errors(statement: str) -> None:
    assert "CORS512" not in codes(policy(statement))
