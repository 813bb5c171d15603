"""The requests ``corsc probe`` plans (corsc.probe.plan): every kind of allowed origin, its
look-alikes, ``null``, denied and unlisted origins, preflights inside and outside each grant,
with and without credentials, on a path under each prefix."""

from __future__ import annotations

import pytest

from corsc.evaluate import Evaluator
from corsc.frontend import load
from corsc.probe.judge import request_of
from corsc.probe.plan import Probe, browser_sends, look_alikes, probes
from corsc.source import Source

POLICY = r"""
policy api {
  paths       "/api", "/café"
  origins     "https://app.example.com", "https://*.example.org",
              "http://localhost:*", regex "^https://pr-[0-9]+\.example\.net$"
  deny        "https://bad.example.org"
  methods     GET, PUT
  headers     Content-Type
  credentials true
  origin "https://reports.example.com" { methods * }
}

policy public {
  origins *
}
"""


@pytest.fixture(scope="module")
def planned() -> tuple[Evaluator, list[Probe]]:
    loaded = load(Source("plan.cors", POLICY))
    assert loaded.policy_set is not None and not loaded.has_errors, loaded.diagnostics
    evaluator = Evaluator(loaded.policy_set)
    return evaluator, probes(evaluator)


def origins_for(found: list[Probe], purpose: str, path: str = "/api/corsc-probe") -> list[str]:
    return list(
        dict.fromkeys(
            probe.origin or ""
            for probe in found
            if probe.path == path and probe.purpose.startswith(purpose)
        )
    )


def test_a_path_under_each_prefix_and_the_fallback_at_the_root(
    planned: tuple[Evaluator, list[Probe]],
) -> None:
    evaluator, found = planned
    assert list(dict.fromkeys((p.policy, p.path) for p in found)) == [
        ("api", "/api/corsc-probe"),
        ("api", "/caf%C3%A9/corsc-probe"),
        ("public", "/"),
    ]
    for probe in found:
        assert evaluator.plan.selector.choose(probe.path).policy.name == probe.policy


def test_one_allowed_origin_per_kind_and_grant(planned: tuple[Evaluator, list[Probe]]) -> None:
    evaluator, found = planned
    assert origins_for(found, "allowed origin") == [
        "https://reports.example.com",
        "https://app.example.com",
        "https://corsc-probe.example.org",
        "http://localhost:8443",
        "https://pr-1.example.net",
    ]
    assert origins_for(found, "allowed origin", "/") == ["https://corsc-probe.example"]
    assert origins_for(found, "denied by") == ["https://bad.example.org"]
    assert origins_for(found, "an origin the policy does not list") == [
        "https://corsc-probe-unlisted.example"
    ]
    for probe in found:
        response = evaluator.respond(request_of(probe))
        if probe.purpose.startswith(("look-alike", "denied", "an origin")):
            assert response.allowed is False, probe
        elif probe.purpose.startswith("allowed origin") and "not granted" not in probe.purpose:
            assert response.allowed is True, probe


def test_look_alikes_come_from_corscs_own_builders(planned: tuple[Evaluator, list[Probe]]) -> None:
    _, found = planned
    assert origins_for(found, "look-alike of https://app.example.com") == [
        # `null` was already asked as a look-alike of the first sample.
        origin
        for origin in look_alikes("https://app.example.com")
        if origin != "null"
    ]
    # A regex's look-alikes are corsc.regex.look_alike_probes'.
    assert origins_for(found, "look-alike of https://pr-1.example.net") == [
        "https://pr-1.example.net.evil.test",
        "https://evilexample.net",
        "https://pr-1xexample.net",
        "https://pr-1.examplexnet",
        "http://pr-1.example.net",
        "https://pr-1.example.net:8443",
    ]


def test_preflights_inside_and_outside_each_grant(planned: tuple[Evaluator, list[Probe]]) -> None:
    _, found = planned
    app = [
        (p.requested_method, p.requested_headers, p.credentials)
        for p in found
        if p.path == "/api/corsc-probe" and p.preflight and p.origin == "https://app.example.com"
    ]
    assert app == [
        ("PUT", ("content-type",), False),
        ("PUT", ("content-type",), True),
        ("DELETE", (), False),
        ("PUT", ("content-type", "x-corsc-probe"), False),
    ]
    # `methods *` refuses no method: only the header outside the grant is tried.
    reports = [
        (p.requested_method, p.requested_headers)
        for p in found
        if p.path == "/api/corsc-probe"
        and p.preflight
        and p.origin == "https://reports.example.com"
    ]
    assert reports == [
        ("PUT", ("content-type",)),
        ("PUT", ("content-type",)),
        ("PUT", ("content-type", "x-corsc-probe")),
    ]


def test_only_what_a_browser_sends(planned: tuple[Evaluator, list[Probe]]) -> None:
    _, found = planned
    for probe in found:
        names = [name for name, _ in probe.fields]
        if probe.method == "GET":
            assert (
                names == (["Origin", "Cookie"] if probe.credentials else ["Origin"])[: len(names)]
            )
            assert probe.credentials == ("Cookie" in names)
        else:
            assert probe.method == "OPTIONS" and probe.preflight and "Cookie" not in names
    # A credentialed preflight is the same request, judged in the include mode.
    preflights = [probe for probe in found if probe.preflight]
    assert {p.wire for p in preflights if p.credentials} <= {
        p.wire for p in preflights if not p.credentials
    }


@pytest.mark.parametrize(
    ("origin", "sent"),
    [
        ("https://app.example.com", True),
        ("http://localhost:8443", True),
        ("null", True),
        ("HTTPS://APP.EXAMPLE.COM", False),
        ("https://app.example.com/", False),
        ("https://app.example.com:443", False),
        ("https://" + "a" * 300 + ".example", False),
    ],
)
def test_which_origins_a_browser_sends(origin: str, sent: bool) -> None:
    assert browser_sends(origin) is sent
