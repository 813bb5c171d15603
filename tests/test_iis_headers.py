"""The ``iis-headers`` target (corsc.backends.iis_headers): static policies, its options
(who answers OPTIONS, WebDAV), and locations that remove what the site root sets."""

from __future__ import annotations

from corsc.diagnostics import Severity
from tests import irbuild
from tests.iis_structure import parse, problems
from tests.iis_targets import check, codes, emit


def test_headers_static_policies_and_options() -> None:
    spa = irbuild.policy(origins=["https://a.example"], methods=["GET", "PUT"], credentials=True)
    found = check(irbuild.policy_set(spa), "iis-headers")
    assert not [item for item in found if item.severity is Severity.ERROR]
    assert codes(found) == ["CORS602", "CORS604"]
    iis_handled = parse(emit(irbuild.policy_set(spa), "iis-headers"))
    assert iis_handled.find("system.webServer/handlers/remove[@name='OPTIONSVerbHandler']") is None
    assert iis_handled.find("system.webServer/modules/remove[@name='WebDAVModule']") is not None
    app = parse(emit(irbuild.policy_set(spa), "iis-headers", {"options": "app", "webdav": "keep"}))
    handlers = app.find("system.webServer/handlers")
    assert handlers is not None
    assert [(h.tag, h.get("name")) for h in handlers] == [
        ("remove", "OPTIONSVerbHandler"),
        ("remove", "ExtensionlessUrlHandler-Integrated-4.0"),
        ("add", "ExtensionlessUrlHandler-Integrated-4.0"),
    ]
    assert handlers[2].get("verb") == "*"
    assert app.find("system.webServer/modules") is None
    for config in (iis_handled, app):
        assert "ProtocolSupportModule" not in str([e.attrib for e in config.iter()])


def test_headers_locations_remove_what_the_root_sets() -> None:
    api = irbuild.policy("api", origins=["https://a.example"], paths=["/api"], credentials=True)
    rest = irbuild.policy("rest", origins=["*"], expose=["X-Total"])
    content = emit(irbuild.policy_set(api, rest), "iis-headers")
    assert problems(content) == []
    location = parse(content).find(
        "location[@path='api']/system.webServer/httpProtocol/customHeaders"
    )
    assert location is not None
    assert ("remove", "Access-Control-Expose-Headers") in [(e.tag, e.get("name")) for e in location]


def test_static_headers_in_the_order_every_target_sends_them() -> None:
    policy = irbuild.policy(
        origins=["https://a.example"],
        methods=["PUT", "PUT"],
        headers=["X-A", "x-a"],
        expose=["X-Total"],
        credentials=True,
        max_age=600,
    )
    headers = parse(emit(irbuild.policy_set(policy), "iis-headers")).find(
        "system.webServer/httpProtocol/customHeaders"
    )
    assert headers is not None
    assert [(e.get("name"), e.get("value")) for e in headers if e.tag == "add"] == [
        ("Access-Control-Allow-Origin", "https://a.example"),
        ("Access-Control-Allow-Credentials", "true"),
        ("Access-Control-Allow-Methods", "PUT"),
        ("Access-Control-Allow-Headers", "X-A"),
        ("Access-Control-Max-Age", "600"),
        ("Access-Control-Expose-Headers", "X-Total"),
        ("Vary", "Origin"),
    ]


def test_a_fixed_star_has_no_vary_and_other_preflight_statuses_warn() -> None:
    star = irbuild.policy(origins=["*"], methods=[], preflight_status=204)
    found = check(irbuild.policy_set(star), "iis-headers")
    status = [item for item in found if item.code == "CORS615"]
    assert [(item.severity, item.span, item.message) for item in status] == [
        (
            Severity.WARNING,
            star.preflight_status.span,
            "target `iis-headers`: OPTIONSVerbHandler answers preflights with 200, not 204",
        )
    ]
    headers = parse(emit(irbuild.policy_set(star), "iis-headers")).find(
        "system.webServer/httpProtocol/customHeaders"
    )
    assert headers is not None
    assert [e.get("name") for e in headers if e.tag == "add"] == ["Access-Control-Allow-Origin"]
    ok = irbuild.policy(origins=["*"], methods=[], preflight_status=200)
    assert "CORS615" not in codes(check(irbuild.policy_set(ok), "iis-headers"))


def test_an_echoed_allow_origin_is_refused_at_the_policy() -> None:
    two = irbuild.policy(origins=["https://a.example", "https://b.example"])
    found = check(irbuild.policy_set(two), "iis-headers")
    first = found[0]
    assert (first.code, first.severity, first.span, first.message, first.help) == (
        "CORS601",
        Severity.ERROR,
        two.span,
        "target `iis-headers` cannot express an Allow-Origin that echoes the Origin",
        "compile with `--target iis` or `--target iis-rewrite`, which can, or change the policy",
    )
    assert codes(found) == ["CORS601", "CORS604"]
