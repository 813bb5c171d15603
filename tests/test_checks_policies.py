"""corsc.checks.policies: names and paths shared between policies, two fallbacks, and
`unlisted reject` (CORS407, CORS502–CORS504).

Each test loads a small policy with ``corsc.frontend.load`` and asserts the code, severity and
range of what it reports (see ``checking``).
"""

from __future__ import annotations

from checking import ERROR, INFO, at, codes, one, policy, where


def test_unlisted_reject() -> None:
    text = policy('origins "https://a.example"', "unlisted reject")
    item = one(text, "CORS407")
    # `unlisted reject` states the choice; what it also refuses is worth knowing, not a mistake.
    assert item.severity is INFO
    assert item.message == (
        "`unlisted reject` answers 403 to every request whose Origin is not allowed, including "
        "the site's own POST requests and requests after a cross-origin redirect (Origin `null`)"
    )
    assert where(item.span) == at(text, "unlisted reject")
    assert "CORS407" not in codes(policy("origins *", "unlisted reject"))
    assert "CORS407" not in codes(policy('origins "https://a.example"', "unlisted pass"))


def test_two_policies_with_one_name() -> None:
    text = policy('paths "/a"', "origins *") + policy('paths "/b"', "origins *")
    item = one(text, "CORS502")
    assert item.severity is ERROR
    assert where(item.span) == at(text, "api", 2)
    assert where(item.related[0].span) == at(text, "api")


def test_two_fallbacks_of_one_name_are_not_called_p_and_p() -> None:
    text = policy("origins *", name="p") + policy("origins *", name="p")
    assert one(text, "CORS504").message == (
        "both policies named `p` have no `paths`, so both claim every path no other policy matches"
    )
    text = policy('paths "/a"', "origins *", name="p") + policy('paths "/a"', "origins *", name="p")
    assert one(text, "CORS503").message == '"/a" is also a path prefix of the other policy `p`'


def test_two_policies_with_the_same_normalised_path() -> None:
    text = policy('paths "/api"', "origins *") + policy(
        'paths "/v2", "/x/../api/"', "origins *", name="other"
    )
    item = one(text, "CORS503")
    assert item.severity is ERROR
    assert where(item.span) == at(text, '"/x/../api/"')
    assert item.message == '"/x/../api/" is the same path prefix as "/api" in policy `api`'
    assert where(item.related[0].span) == at(text, '"/api"')


def test_the_same_path_twice_in_one_policy_is_not_two_policies() -> None:
    assert "CORS503" not in codes(policy('paths "/api", "/api/"', "origins *"))


def test_two_fallbacks() -> None:
    text = policy("origins *") + policy("origins *", name="public")
    item = one(text, "CORS504")
    assert item.severity is ERROR
    assert where(item.span) == at(text, "public")
    assert where(item.related[0].span) == at(text, "api")
    assert item.message == (
        "policies `api` and `public` both have no `paths`, so both claim every path no other "
        "policy matches"
    )
