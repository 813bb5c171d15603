"""The IIS targets: golden web.config per example, the structural rules (docs/iis.md: Rules
that hold whatever the policy says), the diagnostics of the two stories, and injection
properties (no policy value adds an element or an attribute; every output parses with
defusedxml)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corsc import render
from corsc.backends import EmitOptions, get
from corsc.diagnostics import Diagnostic, Severity
from corsc.frontend import load
from corsc.ir import PolicySet
from corsc.source import Source
from tests import irbuild
from tests.goldens import GOLDEN, check_golden
from tests.iis_structure import parse, problems

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.cors"))
TARGETS = ("iis", "iis-headers", "iis-rewrite")


def options(
    target: str, values: dict[str, str] | None = None, name: str = "test.cors"
) -> EmitOptions:
    backend = get(target)
    defaults = {o.key: o.default for o in backend.options if o.default}
    return EmitOptions("0.1.0", name, target, {**defaults, **(values or {})})


def compile_source(path: Path, target: str) -> tuple[str | None, list[Diagnostic], dict]:
    """(web.config or None when refused, every diagnostic, sources) for an example."""
    loaded = load(Source(f"examples/{path.name}", path.read_text("utf-8")))
    assert loaded.policy_set is not None
    backend = get(target)
    diagnostics = list(loaded.diagnostics) + backend.check(
        loaded.policy_set, options(target, name=path.name)
    )
    diagnostics.sort(key=Diagnostic.sort_key)
    if any(item.severity is Severity.ERROR for item in diagnostics):
        return None, diagnostics, loaded.sources
    files = backend.emit(loaded.policy_set, options(target, name=path.name))
    assert len(files) == 1 and files[0].name == "web.config"
    return files[0].content, diagnostics, loaded.sources


def emit(policy_set: PolicySet, target: str, values: dict[str, str] | None = None) -> str:
    return get(target).emit(policy_set, options(target, values))[0].content


def check(policy_set: PolicySet, target: str) -> list[Diagnostic]:
    return get(target).check(policy_set, options(target))


def codes(diagnostics: list[Diagnostic]) -> list[str]:
    return [item.code for item in diagnostics]


# ---- golden files ---------------------------------------------------------------------------


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_golden(example: Path, target: str) -> None:
    content, diagnostics, sources = compile_source(example, target)
    if content is None:
        produced = {
            f"{example.stem}.diagnostics.txt": render.render_text(diagnostics, sources, color=False)
        }
    else:
        produced = {f"{example.stem}.web.config": content}
        assert problems(content) == []
    check_golden(GOLDEN / target, example.stem, produced)


def test_same_input_same_bytes() -> None:
    for example in EXAMPLES:
        for target in TARGETS:
            assert compile_source(example, target)[0] == compile_source(example, target)[0]


# ---- the two stories ------------------------------------------------------------------------


def story(name: str, target: str) -> tuple[str | None, list[Diagnostic]]:
    content, diagnostics, _ = compile_source(ROOT / "examples" / f"{name}.cors", target)
    return content, diagnostics


def test_spa_story_module_output_and_hand_written_mistakes() -> None:
    content, diagnostics = story("spa-localhost", "iis")
    assert content is not None
    rule = parse(content).find("system.webServer/cors/add")
    assert rule is not None
    assert rule.attrib == {"origin": "https://localhost:3000", "allowCredentials": "true"}
    assert [m.get("method") for m in rule.iterfind("allowMethods/add")] == [
        "GET",
        "HEAD",
        "POST",
        "PUT",
        "DELETE",
        "OPTIONS",
    ]
    # What people type by hand, pointed out: OPTIONS as a method, Origin as a request header.
    found = {
        (item.code, item.message.split("`")[1] if "`" in item.message else "")
        for item in diagnostics
    }
    assert any(code == "CORS206" for code, _ in found), diagnostics
    assert any(code == "CORS212" and "Origin" in word for code, word in found), diagnostics


def test_production_staging_story() -> None:
    content, _ = story("production-staging", "iis")
    assert content is not None
    cors = parse(content).find("system.webServer/cors")
    assert cors is not None and cors.get("failUnlistedOrigins") == "true"
    rules = {rule.get("origin"): rule for rule in cors.findall("add")}
    assert set(rules) == {"https://app.example.com", "https://staging.example.com"}
    assert rules["https://app.example.com"].get("maxAge") == "7200"
    assert rules["https://staging.example.com"].get("maxAge") == "3600"
    for rule in rules.values():
        assert rule.find("allowHeaders").get("allowAllRequestedHeaders") == "true"  # type: ignore[union-attr]
    assert [
        m.get("method") for m in rules["https://staging.example.com"].iterfind("allowMethods/add")
    ] == ["GET", "POST"]
    rewrite, _ = story("production-staging", "iis-rewrite")
    assert rewrite is not None and problems(rewrite) == []
    refused, diagnostics = story("production-staging", "iis-headers")
    assert refused is None
    static = [item for item in diagnostics if item.code == "CORS613"]
    assert (
        len(static) == 1 and "`--target iis`" in static[0].help and "iis-rewrite" in static[0].help
    )
    assert "CORS601" in codes(diagnostics)  # unlisted reject and headers * as well


# ---- what each target refuses, warns about, or declares ----------------------------------------


def test_module_cannot_express_patterns_and_wildcard_methods() -> None:
    policy = irbuild.policy(
        origins=["http://localhost:*", "regex:^https://pr-\\d+\\.example\\.com$", "null"],
        methods="*",
    )
    found = check(irbuild.policy_set(policy), "iis")
    cannot = [item for item in found if item.code == "CORS601"]
    assert len(cannot) == 4
    assert all("iis-rewrite" in item.help for item in cannot)


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
    assert "CORS615" in codes(found)
    assert "CORS604" in codes(found)


def test_every_target_refuses_private_network() -> None:
    policy = irbuild.policy(origins=["https://a.example"], private_network=True)
    for target in TARGETS:
        assert "CORS601" in codes(check(irbuild.policy_set(policy), target)), target


def test_headers_static_policies_and_options() -> None:
    spa = irbuild.policy(origins=["https://a.example"], methods=["GET", "PUT"], credentials=True)
    found = check(irbuild.policy_set(spa), "iis-headers")
    assert "CORS613" not in codes(found) and "CORS602" in codes(found)
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


def test_rewrite_rules_are_unique_and_scoped() -> None:
    api = irbuild.policy("api", origins=["https://a.example"], paths=["/api"], unlisted="reject")
    rest = irbuild.policy("rest", origins=["*"])
    content = emit(irbuild.policy_set(api, rest), "iis-rewrite")
    assert problems(content) == []
    names = [rule.get("name") for rule in parse(content).iter("rule")]
    assert len(names) == len(set(names))


# ---- structure and injection over generated policies ------------------------------------------

ORIGINS = st.sampled_from(
    [
        "https://a.example",
        "https://b.example:8443",
        "http://localhost:3000",
        "https://*.example.org",
        "*",
    ]
)
TOKENS = st.lists(
    st.sampled_from(["GET", "PUT", "DELETE", "PATCH", "X-Custom", "Content-Type", "x-b"]),
    max_size=3,
)


@st.composite
def policies(draw: st.DrawFn) -> PolicySet:
    found = draw(st.lists(ORIGINS, min_size=1, max_size=3, unique=True))
    credentials = draw(st.booleans()) and "*" not in found
    blocks = []
    if draw(st.booleans()):
        blocks = [
            ("https://c.example", {"methods": draw(TOKENS), "max_age": draw(st.integers(0, 9000))})
        ]
    policy = irbuild.policy(
        "main",
        origins=found,
        blocks=blocks,
        methods=draw(TOKENS),
        headers=draw(st.one_of(TOKENS, st.just("*"))),
        expose=draw(TOKENS),
        credentials=credentials,
        max_age=draw(st.one_of(st.none(), st.integers(0, 86400))),
        unlisted=draw(st.sampled_from(["pass", "reject"])),
    )
    extra = []
    if draw(st.booleans()):
        extra.append(irbuild.policy("scoped", origins=["https://d.example"], paths=["/api"]))
    return irbuild.policy_set(policy, *extra)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policies(), st.sampled_from(TARGETS))
def test_generated_outputs_pass_the_structural_checks(policy_set: PolicySet, target: str) -> None:
    found = check(policy_set, target)
    if any(item.severity is Severity.ERROR for item in found):
        return
    assert problems(emit(policy_set, target)) == []


#: Text that would break out of an attribute, a comment or an element if pasted into markup.
HOSTILE = st.text(
    alphabet=st.sampled_from(list("<>&\"'=/-!\n\t ]x:;{}\\")), min_size=1, max_size=12
)


@settings(max_examples=80, deadline=None)
@given(HOSTILE, HOSTILE, HOSTILE, st.sampled_from(TARGETS))
def test_no_policy_value_adds_an_element_or_attribute(
    method: str, header: str, source_name: str, target: str
) -> None:
    """Values the front end would refuse still cannot change the document's shape: they come
    back as exactly the attribute values they were, and nothing else appears."""
    policy = irbuild.policy(
        origins=["https://a.example"], methods=[method], headers=[header], expose=[header]
    )
    policy_set = irbuild.policy_set(policy)
    backend = get(target)
    content = backend.emit(policy_set, options(target, name=source_name))[0].content
    root = parse(content)
    values = [value for element in root.iter() for value in element.attrib.values()]
    baseline = parse(
        backend.emit(
            irbuild.policy_set(
                irbuild.policy(
                    origins=["https://a.example"], methods=["M"], headers=["H"], expose=["H"]
                )
            ),
            options(target),
        )[0].content
    )
    assert [e.tag for e in root.iter()] == [e.tag for e in baseline.iter()]
    assert [sorted(e.attrib) for e in root.iter()] == [sorted(e.attrib) for e in baseline.iter()]
    if target == "iis":
        assert method in values and header in values
    else:
        assert any(header in value for value in values)
    assert re.match(r'<\?xml version="1.0" encoding="utf-8"\?>\n<!--', content)
    assert content.count("-->") == len(re.findall("<!--", content))
