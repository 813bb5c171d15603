"""The backend contract, for every registered target: the protocol, a complete capability table,
and check and emit agreeing with the table.

Each feature has a small policy that uses it. For every target, a feature its table marks
``NO`` must give CORS601 at the use (so the target's emitter never sees it), and a feature it
supports must compile: no CORS601 for it, and when the target's check finds no error, ``emit``
returns files. A wrong row in any table fails here.
"""

from __future__ import annotations

import pytest

from corsc import __version__, capabilities
from corsc.backends import EmitOptions, MergingBackend, backends, check, get, target_names
from corsc.capabilities import Feature, Support
from corsc.diagnostics import Severity
from corsc.frontend import load
from corsc.ir import PolicySet
from corsc.source import Source

ONE = '"https://app.example.com"'
TWO = '"https://app.example.com", "https://admin.example.com"'

#: A policy using the feature, and as little else as a valid policy needs.
USING: dict[Feature, str] = {
    Feature.EXACT_ORIGIN: f"policy p {{ origins {ONE} }}",
    Feature.SUBDOMAIN_ORIGIN: 'policy p { origins "https://*.example.com" }',
    Feature.PORT_ORIGIN: 'policy p { origins "http://localhost:*" }',
    Feature.REGEX_ORIGIN: 'policy p { origins regex "https://pr-[0-9]{1,3}\\.example\\.com" }',
    Feature.NULL_ORIGIN: 'policy p { origins "null" }',
    Feature.ANY_ORIGIN: "policy p { origins * }",
    Feature.SEVERAL_ORIGINS: f"policy p {{ origins {TWO} }}",
    Feature.DENY: 'policy p {\n  origins "https://*.example.com"\n  deny "https://old.example.com"\n}',
    Feature.ORIGIN_BLOCKS: (
        f'policy p {{\n  origins {ONE}\n  origin "https://admin.example.com" {{ methods PUT }}\n}}'
    ),
    Feature.UNLISTED_REJECT: f"policy p {{\n  origins {TWO}\n  unlisted reject\n}}",
    Feature.METHODS_ANY: f"policy p {{\n  origins {TWO}\n  methods *\n}}",
    Feature.HEADERS_ANY: f"policy p {{\n  origins {TWO}\n  headers *\n}}",
    Feature.EXPOSE_ANY: "policy p {\n  origins *\n  expose *\n}",
    Feature.CREDENTIALS: f"policy p {{\n  origins {ONE}\n  credentials true\n}}",
    Feature.MAX_AGE: f"policy p {{\n  origins {ONE}\n  max-age 10m\n}}",
    Feature.PRIVATE_NETWORK: f"policy p {{\n  origins {TWO}\n  private-network true\n}}",
    Feature.PREFLIGHT_STATUS: f"policy p {{\n  origins {ONE}\n  preflight-status 200\n}}",
    Feature.PATHS: f'policy p {{\n  paths "/api"\n  origins {ONE}\n}}',
    Feature.SEVERAL_POLICIES: (
        f'policy api {{\n  paths "/api"\n  origins {ONE}\n}}\n'
        f'policy fonts {{\n  paths "/fonts"\n  origins *\n}}'
    ),
}


def policy_set(text: str) -> PolicySet:
    loaded = load(Source("api.cors", text))
    assert loaded.policy_set is not None
    assert not [item for item in loaded.diagnostics if item.severity is Severity.ERROR], text
    return loaded.policy_set


def options_for(target: str) -> EmitOptions:
    backend = get(target)
    values = {option.key: option.default for option in backend.options if option.default}
    return EmitOptions(__version__, "api.cors", target, values)


def test_every_feature_has_a_policy_that_uses_it() -> None:
    assert set(USING) == set(Feature)
    for feature, text in USING.items():
        assert feature in {use.feature for use in capabilities.uses(policy_set(text))}, feature


@pytest.mark.parametrize("target", target_names())
def test_every_target_keeps_the_contract(target: str) -> None:
    backend = get(target)
    assert target in backend.names
    assert backend.summary and "\n" not in backend.summary
    # A complete table: one row per feature, each with a note for what is not plain support.
    assert capabilities.table(list(backend.capabilities.values())) == dict(backend.capabilities)
    for feature, row in backend.capabilities.items():
        assert row.feature is feature
        if row.support in (Support.DEVIATION, Support.UNDOCUMENTED, Support.NO):
            assert row.note, (target, feature)
    assert all(isinstance(note, str) and note for note in backend.deviations)
    if isinstance(backend, MergingBackend):
        assert callable(backend.merge)


def test_target_names_are_unique_and_each_backend_is_listed_once() -> None:
    names = [name for backend in backends() for name in backend.names]
    assert len(names) == len(set(names))
    assert sorted(names) == sorted(target_names())


@pytest.mark.parametrize("target", target_names())
@pytest.mark.parametrize("feature", list(Feature), ids=lambda feature: feature.name.lower())
def test_check_and_emit_agree_with_the_table(target: str, feature: Feature) -> None:
    backend = get(target)
    found = check(backend, policy_set(USING[feature]), options_for(target))
    support = backend.capabilities[feature].support
    cannot = [item for item in found if item.code == "CORS601"]
    uses = [use for use in capabilities.uses(policy_set(USING[feature])) if use.feature is feature]
    if support is Support.NO:
        assert {item.span for item in cannot} >= {use.span for use in uses}, found
        return
    assert not [item for item in cannot if item.span in {use.span for use in uses}], found
    if not [item for item in found if item.severity is Severity.ERROR]:
        assert backend.emit(policy_set(USING[feature]), options_for(target))


@pytest.mark.parametrize("target", target_names())
def test_the_help_offers_only_targets_that_can(target: str) -> None:
    backend = get(target)
    offered = 0
    for feature, row in backend.capabilities.items():
        if row.support is not Support.NO:
            continue
        for item in check(backend, policy_set(USING[feature]), options_for(target)):
            if item.code != "CORS601":
                continue
            for other in backends():
                if f"`--target {other.names[0]}`" in item.help:
                    offered += 1
                    assert other is not backend and other.serves, item.help
                    assert other.capabilities[feature].support is not Support.NO, item.help
    no_rows = [row for row in backend.capabilities.values() if row.support is Support.NO]
    assert offered or not no_rows
