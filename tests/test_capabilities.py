"""The capability contract: where a policy uses each feature, and how a table becomes
diagnostics."""

from __future__ import annotations

import pytest

from corsc import capabilities
from corsc.capabilities import Capability, Feature, Support
from corsc.frontend import load
from corsc.ir import PolicySet
from corsc.source import Source

EVERYTHING = """\
policy api {
  paths "/api"
  origins "https://app.example.com", "https://*.example.com", "http://localhost:*", "null"
  deny "https://old.example.com", regex "https://[a-z]+\\.old\\.example\\.org"
  methods *
  headers *
  expose *
  max-age 10m
  unlisted reject
  preflight-status 204
  origin "https://admin.example.com" {
    credentials true
    expose "X-Total"
    private-network true
    methods PUT
  }
}

policy rest {
  origins *
}
"""


def policy_set(text: str) -> PolicySet:
    loaded = load(Source("api.cors", text))
    assert loaded.policy_set is not None, loaded.diagnostics
    return loaded.policy_set


def used(text: str) -> dict[Feature, list[str]]:
    found: dict[Feature, list[str]] = {}
    for use in capabilities.uses(policy_set(text)):
        start = use.span.start
        found.setdefault(use.feature, []).append(f"{start.line}:{start.column}")
    return found


def test_every_feature_is_found_where_it_is_written() -> None:
    found = used(EVERYTHING)
    assert set(found) == set(Feature), set(Feature) - set(found)
    # Patterns at their text, statements and blocks at their start, each use once.
    assert found[Feature.EXACT_ORIGIN] == ["3:11", "11:3", "4:8"]
    assert found[Feature.PORT_ORIGIN] == ["3:63"]
    assert found[Feature.REGEX_ORIGIN] == ["4:41"]
    assert found[Feature.DENY] == ["4:8", "4:41"]
    assert found[Feature.METHODS_ANY] == ["5:3"]
    assert found[Feature.HEADERS_ANY] == ["6:3"]
    assert found[Feature.MAX_AGE] == ["8:3"]
    assert found[Feature.UNLISTED_REJECT] == ["9:3"]
    assert found[Feature.PREFLIGHT_STATUS] == ["10:3"]
    assert found[Feature.ORIGIN_BLOCKS] == ["11:3"]
    assert found[Feature.CREDENTIALS] == ["12:5"]
    assert found[Feature.PRIVATE_NETWORK] == ["14:5"]
    assert found[Feature.ANY_ORIGIN] == ["20:11"]
    assert found[Feature.SEVERAL_POLICIES] == ["19:8"]


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ('policy p { origins "https://a.example" }', Feature.SEVERAL_ORIGINS),
        ("policy p { origins * }", Feature.SEVERAL_ORIGINS),
        ('policy p { origins "https://a.example" }', Feature.PATHS),
        ('policy p { origins "https://a.example" }', Feature.SEVERAL_POLICIES),
        ('policy p { origins "https://a.example"\n preflight-status 200 }', Feature.MAX_AGE),
        ('policy p { origins "https://a.example"\n credentials false }', Feature.CREDENTIALS),
    ],
)
def test_a_feature_not_written_is_not_used(text: str, absent: Feature) -> None:
    assert absent not in used(text)


def test_a_preflight_status_written_is_used_even_at_its_default() -> None:
    assert Feature.PREFLIGHT_STATUS in used(
        'policy p { origins "https://a.example"\n preflight-status 204 }'
    )


def test_a_block_that_overrides_nothing_adds_no_uses_of_the_policy_grant() -> None:
    found = used('policy p {\n  credentials true\n  origin "https://a.example" { }\n}')
    assert found[Feature.CREDENTIALS] == ["2:3"]


def test_a_table_must_name_every_feature_once() -> None:
    rows = [Capability(feature, Support.YES) for feature in Feature]
    assert len(capabilities.table(rows)) == len(Feature)
    with pytest.raises(ValueError, match="no row for PATHS"):
        capabilities.table([row for row in rows if row.feature is not Feature.PATHS])
    with pytest.raises(ValueError, match="DENY has two rows"):
        capabilities.table([*rows, Capability(Feature.DENY, Support.NO)])


def table_with(**support: Capability) -> dict[Feature, Capability]:
    rows = {feature: Capability(feature, Support.YES) for feature in Feature}
    rows.update({Feature[name]: row for name, row in support.items()})
    return rows


def test_no_is_an_error_at_every_use_with_the_alternatives_offered() -> None:
    table = table_with(
        PORT_ORIGIN=Capability(Feature.PORT_ORIGIN, Support.NO, "no documented form"),
        DENY=Capability(Feature.DENY, Support.NO),
    )
    text = 'policy p {\n  origins "http://localhost:*", "http://127.0.0.1:*"\n  deny "https://x.example"\n}'
    found = capabilities.check("t", table, policy_set(text), lambda feature: ["a", "b"])
    assert [(item.code, item.span.start.line, item.span.start.column) for item in found] == [
        ("CORS601", 2, 11),
        ("CORS601", 2, 33),
        ("CORS601", 3, 8),
    ]
    first = found[0]
    assert first.message == 'target `t` cannot express the origin pattern "http://localhost:*"'
    assert (
        first.help == "compile with `--target a` or `--target b`, which can, or change the policy"
    )
    nowhere = capabilities.check("t", table, policy_set(text), lambda feature: [])
    assert nowhere[2].help == "change the policy: no target can express it"


def test_a_deviation_is_an_info_once_per_policy_with_its_note() -> None:
    table = table_with(
        SUBDOMAIN_ORIGIN=Capability(
            Feature.SUBDOMAIN_ORIGIN, Support.DEVIATION, "the server decides the depth"
        ),
        MAX_AGE=Capability(Feature.MAX_AGE, Support.UNDOCUMENTED, "whether Max-Age is kept"),
    )
    text = (
        'policy a {\n  paths /a\n  origins "https://*.x.example", "https://*.y.example"\n'
        "  max-age 10m\n}\n"
        'policy b {\n  origins "https://*.z.example"\n}\n'
    )
    found = capabilities.check("t", table, policy_set(text), lambda feature: [])
    assert [(item.code, item.severity.value, item.span.start.line) for item in found] == [
        ("CORS602", "info", 3),
        ("CORS603", "info", 4),
        ("CORS602", "info", 7),
    ]
    assert found[0].message == "target `t`: the server decides the depth"
    assert found[1].message == "target `t`: whether Max-Age is kept"
