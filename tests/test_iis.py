"""The IIS targets: golden web.config per example, the structural rules (docs/iis.md: Rules
that hold whatever the policy says), the diagnostics of the two stories, and injection
properties (no policy value adds an element or an attribute; every output parses with
defusedxml)."""

from __future__ import annotations

import io
import json
import re
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corsc import capabilities, cli
from corsc.backends import check as backend_check
from corsc.backends import get
from corsc.capabilities import Feature, Support
from corsc.diagnostics import Diagnostic, Severity
from corsc.evaluate import Evaluator
from corsc.frontend import load
from corsc.ir import PolicySet
from corsc.render_text import render_text
from corsc.source import Source
from tests import browser, irbuild
from tests import iis_interpreter as interpreter
from tests import test_backends as contract
from tests.goldens import GOLDEN, UPDATE, check_golden
from tests.iis_structure import parse, problems
from tests.iis_targets import TARGETS, check, codes, emit, options

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.cors"))


def compile_source(path: Path, target: str) -> tuple[str | None, list[Diagnostic], dict]:
    """(web.config or None when refused, every diagnostic, sources) for an example."""
    loaded = load(Source(f"examples/{path.name}", path.read_text("utf-8")))
    assert loaded.policy_set is not None
    backend = get(target)
    diagnostics = list(loaded.diagnostics) + backend_check(
        backend, loaded.policy_set, options(target, name=path.name)
    )
    diagnostics.sort(key=Diagnostic.sort_key)
    if any(item.severity is Severity.ERROR for item in diagnostics):
        return None, diagnostics, loaded.sources
    files = backend.emit(loaded.policy_set, options(target, name=path.name))
    assert len(files) == 1 and files[0].name == "web.config"
    return files[0].content, diagnostics, loaded.sources


# ---- golden files ---------------------------------------------------------------------------


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_golden(example: Path, target: str) -> None:
    content, diagnostics, sources = compile_source(example, target)
    if content is None:
        produced = {
            f"{example.stem}.diagnostics.txt": render_text(diagnostics, sources, color=False)
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
    ]
    assert [h.get("header") for h in rule.iterfind("allowHeaders/add")] == [
        "Content-Type",
        "Accept",
        "X-Requested-With",
    ]
    # The example is the corrected intent: nothing in it is likely a mistake.
    assert [item for item in diagnostics if item.severity is not Severity.INFO] == []
    # What people type by hand, pointed out: OPTIONS as a method, Origin as a request header.
    _, typed, _ = compile_source(
        ROOT / "tests" / "fixtures" / "stories" / "spa-as-typed.cors", "iis"
    )
    found = {
        (item.code, item.severity, item.message.split("`")[1] if "`" in item.message else "")
        for item in typed
    }
    assert ("CORS206", Severity.INFO, "OPTIONS") in found, typed
    assert ("CORS212", Severity.WARNING, "Origin") in found, typed


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
    cannot = [
        (item.span.start.line, item.message, item.help, item.severity)
        for item in diagnostics
        if item.code == "CORS601"
    ]
    instead = (
        "compile with `--target iis` or `--target iis-rewrite`, which can, or change the policy"
    )
    target = "target `iis-headers` cannot express"
    assert cannot == [
        (8, f"{target} an Allow-Origin that echoes the Origin", instead, Severity.ERROR),
        (9, f"{target} `headers *` (reflecting the requested headers)", instead, Severity.ERROR),
        (10, f"{target} `unlisted reject`", instead, Severity.ERROR),
        (12, f'{target} the origin block "https://app.example.com"', instead, Severity.ERROR),
        (17, f'{target} the origin block "https://staging.example.com"', instead, Severity.ERROR),
    ]


def test_every_target_refuses_private_network() -> None:
    policy = irbuild.policy(origins=["https://a.example"], private_network=True)
    for target in TARGETS:
        assert "CORS601" in codes(check(irbuild.policy_set(policy), target)), target


# ---- the capability tables: what they accept gives the evaluator's verdicts ----------------


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("feature", list(Feature), ids=lambda feature: feature.name)
def test_what_the_table_accepts_gives_the_evaluators_verdicts(
    feature: Feature, target: str
) -> None:
    """Beyond the contract every target keeps (tests/test_backends.py: ``no`` is refused at
    each use, the rest compiles): a policy whose features the table all accepts compiles to a
    sound web.config that gives the evaluator's verdicts through the interpreter, so a feature
    wrongly marked ``yes`` fails here."""
    policy_set = contract.policy_set(contract.USING[feature])
    table = get(target).capabilities
    used = {use.feature for use in capabilities.uses(policy_set)}
    if any(table[each].support is Support.NO for each in used):
        return
    found = check(policy_set, target)
    assert not [item for item in found if item.severity is Severity.ERROR], found
    config = emit(policy_set, target)
    assert problems(config) == []
    assert_same_verdicts(policy_set, config)


#: Origins the feature policies admit or refuse, and what scripts send from them.
PROBE_ORIGINS = (
    "https://app.example.com",
    "https://admin.example.com",
    "https://x.example.com",
    "https://old.example.com",
    "http://localhost:8080",
    "https://pr-7.example.com",
    "null",
    "https://evil.test",
)
PROBE_SHAPES = (
    ("GET", (), "same-origin"),
    ("GET", (), "include"),
    ("PUT", (), "same-origin"),
    ("GET", (("X-Custom", "1"),), "same-origin"),
    ("PUT", (("X-Custom", "1"),), "include"),
)


#: Headers the targets declare sending on more responses than the evaluator (Vary everywhere;
#: iis-headers' preflight grants on actual responses), which `expose *` lets a script see.
DECLARED_EXTRA = frozenset(
    {
        "vary",
        "access-control-allow-methods",
        "access-control-allow-headers",
        "access-control-max-age",
    }
)


def assert_same_verdicts(policy_set: PolicySet, config: str) -> None:
    """Every probe gets the evaluator's verdict and exposure from the emitted web.config, run
    through the interpreter of Microsoft's documented behaviour (or an open question)."""
    expected_server = browser.evaluator_server(Evaluator(policy_set))
    actual_server = interpreter.server(config, lambda _: (200, list(browser.APP_HEADERS)))
    for origin in PROBE_ORIGINS:
        for method, headers, credentials in PROBE_SHAPES:
            request = browser.script_request(
                method, origin=origin, headers=headers, credentials=credentials
            )
            expected = browser.fetch(expected_server, request)
            try:
                actual = browser.fetch(actual_server, request)
            except interpreter.Undetermined:
                continue
            shown = (actual.shared, actual.exposed - DECLARED_EXTRA)
            assert shown == (expected.shared, expected.exposed - DECLARED_EXTRA), (request, actual)


def targets_json() -> list[dict]:
    """``corsc targets --format json``'s rows for the IIS targets."""
    out = io.StringIO()
    with redirect_stdout(out):
        assert cli.main(["targets", "--format", "json"]) == 0
    rows = json.loads(out.getvalue())["targets"]
    return [row for row in rows if row["names"][0] in TARGETS]


def capabilities_section() -> str:
    """The docs' capability table and declared differences, made from ``corsc targets``."""
    rows = targets_json()
    lines = [
        "| feature | " + " | ".join(f"`{row['names'][0]}`" for row in rows) + " |",
        "|---" * (len(rows) + 1) + "|",
    ]
    for index, first in enumerate(rows[0]["capabilities"]):
        cells = []
        for row in rows:
            capability = row["capabilities"][index]
            note = f": {capability['note']}" if capability["note"] else ""
            cells.append(f"{capability['support']}{note}")
        lines.append(f"| {first['description']} | " + " | ".join(cells) + " |")
    lines.append("")
    for row in rows:
        lines += [f"- `{row['names'][0]}`: {deviation}" for deviation in row["deviations"]]
    return "\n".join(lines)


def test_the_docs_capability_table_is_corsc_targets() -> None:
    doc = ROOT / "docs" / "iis.md"
    text = doc.read_text("utf-8")
    begin, end = "<!-- capabilities:begin -->\n", "<!-- capabilities:end -->"
    expected = begin + capabilities_section() + "\n" + end
    current = re.search(re.escape(begin) + r".*?" + re.escape(end), text, re.S)
    assert current is not None
    if UPDATE:
        doc.write_text(text.replace(current.group(0), expected), "utf-8")
        return
    assert current.group(0) == expected, "run with CORSC_UPDATE_GOLDEN=1 and read the diff"


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
