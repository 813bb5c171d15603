"""The ``iis-rewrite`` target (corsc.backends.iis_rewrite): rule names unique in the whole
configuration and scoped per policy."""

from __future__ import annotations

from corsc.diagnostics import Severity
from tests import irbuild
from tests.iis_structure import parse, problems
from tests.iis_targets import check, codes, emit


def test_rewrite_rules_are_unique_and_scoped() -> None:
    api = irbuild.policy("api", origins=["https://a.example"], paths=["/api"], unlisted="reject")
    rest = irbuild.policy("rest", origins=["*"])
    content = emit(irbuild.policy_set(api, rest), "iis-rewrite")
    assert problems(content) == []
    names = [rule.get("name") for rule in parse(content).iter("rule")]
    assert len(names) == len(set(names))


def test_every_policy_gets_the_open_question_of_customresponse() -> None:
    api = irbuild.policy("api", origins=["https://a.example"], paths=["/api"])
    rest = irbuild.policy("rest", origins=["*"])
    found = check(irbuild.policy_set(api, rest), "iis-rewrite")
    questions = [item for item in found if item.code == "CORS603"]
    assert [(item.span, item.severity) for item in questions] == [
        (api.span, Severity.WARNING),
        (rest.span, Severity.WARNING),
    ]
    assert questions[0].message == (
        "target `iis-rewrite`: Microsoft does not document whether outbound rules (and custom "
        "headers) apply to a response made by an inbound CustomResponse, which is how "
        "preflights are answered here"
    )
    assert codes(found) == ["CORS603", "CORS603", "CORS614", "CORS604"]


def test_entries_with_one_grant_share_their_rules() -> None:
    policy = irbuild.policy(
        origins=["https://a.example", "https://b.example"],
        blocks=[("https://c.example", {"methods": ["PUT"]})],
    )
    content = emit(irbuild.policy_set(policy), "iis-rewrite")
    names = [rule.get("name") for rule in parse(content).iterfind(".//rewrite/rules/rule")]
    assert names == ["corsc-p-1-preflight", "corsc-p-2-preflight", "corsc-p-preflight-refused"]
    assert problems(content) == []
