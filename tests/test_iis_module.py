"""The ``iis`` target (corsc.backends.iis_module): what the CORS Module cannot express or
would not apply (CORS601, CORS611, CORS612), what it declares (CORS602/603), and its
``<cors>`` rules."""

from __future__ import annotations

from corsc.diagnostics import Severity
from tests import irbuild
from tests.iis_structure import parse
from tests.iis_targets import check, codes, emit

ERROR = Severity.ERROR


def test_module_cannot_express_patterns_and_wildcard_methods() -> None:
    policy = irbuild.policy(
        origins=[
            "http://localhost:*",
            "regex:^https://pr-\\d+\\.example\\.com$",
            "null",
            "https://*.example.com:*",
        ],
        methods="*",
    )
    found = check(irbuild.policy_set(policy), "iis")
    cannot = {(item.span, item.message, item.severity) for item in found if item.code == "CORS601"}
    target = "target `iis` cannot express"
    assert cannot == {
        (entry.span, f'{target} the origin pattern "{entry.pattern.text}"', ERROR)
        for entry in policy.entries
    } | {
        (
            policy.grant.methods.span,
            f"{target} `methods *` (reflecting the requested method)",
            ERROR,
        )
    }
    assert len(policy.entries) == 4
    helps = {item.help for item in found if item.code == "CORS601"}
    assert helps == {
        "compile with `--target iis-rewrite` or `--target nginx`, which can, or change the policy"
    }


def test_module_refuses_fallback_beside_paths_and_names_the_question() -> None:
    api = irbuild.policy("api", origins=["https://a.example"], paths=["/api"])
    rest = irbuild.policy("rest", origins=["*"])
    found = [item for item in check(irbuild.policy_set(api, rest), "iis") if item.code == "CORS611"]
    assert len(found) == 1 and "inherited" in found[0].message
    assert found[0].severity is Severity.ERROR


def test_module_deny_must_be_most_specific() -> None:
    shadowed = irbuild.policy(origins=["https://a.example.com"], deny=["https://*.example.com"])
    assert "CORS612" in codes(check(irbuild.policy_set(shadowed), "iis"))
    fine = irbuild.policy(origins=["https://*.example.com"], deny=["https://old.example.com"])
    assert "CORS612" not in codes(check(irbuild.policy_set(fine), "iis"))
    config = parse(emit(irbuild.policy_set(fine), "iis"))
    denied = config.find("system.webServer/cors/add[@allowed='false']")
    assert denied is not None and denied.get("origin") == "https://old.example.com"


def test_module_declares_its_deviations_and_warns_on_preflight_status() -> None:
    policy = irbuild.policy(origins=["https://*.example.com"], preflight_status=200)
    found = check(irbuild.policy_set(policy), "iis")
    # wildcard depth; status, case and ports; no documented bound on the length of Origin
    assert codes(found).count("CORS602") == 3
    assert any("documents no length bound" in item.message for item in found)
    depth = [item for item in found if "how deep" in item.message]
    assert [(item.code, item.severity, item.span) for item in depth] == [
        ("CORS602", Severity.INFO, policy.entries[0].span)
    ]
    assert depth[0].message == (
        "target `iis`: the CORS Module decides how deep `https://*.example.com` rules match "
        "(Microsoft documents neither several labels nor the apex)"
    )
    status = [item for item in found if item.code == "CORS603"]
    assert [(item.severity, item.span) for item in status] == [
        (Severity.WARNING, policy.preflight_status.span)
    ]
    assert status[0].message == (
        "target `iis`: the CORS Module answers accepted preflights with a status of its own "
        "choosing (not documented)"
    )
    assert status[0].help == (
        "test it on your server before relying on it, or compile for a target that documents it"
    )
    assert "CORS604" in codes(found)
