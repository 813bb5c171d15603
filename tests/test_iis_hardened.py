"""The IIS targets follow the hardened meaning, judged through the test interpreter of
Microsoft's documented behaviour with explicit expected headers per definition:

1. an Origin longer than 267 characters is never allowed (URL Rewrite: a length condition
   before any origin regex; the CORS Module documents no bound: undetermined, declared);
2. a ``deny`` refuses the Origin with one trailing dot removed from its host too;
3. static mode sends the fixed Allow-Origin, Allow-Credentials and Expose-Headers on every
   actual response, with or without an Origin (the CORS Module answers only requests with an
   Origin: declared, and ``Vary: Origin`` keeps caches apart).
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corsc.backends import EmitOptions, check, get
from corsc.diagnostics import Diagnostic, Severity
from corsc.evaluate import Request
from corsc.frontend import load
from corsc.source import Source
from tests.deny_cases import DENY_PATTERNS, PROBES, dotted, policy_text, refused
from tests.iis_interpreter import Undetermined, inbound_status, server
from tests.iis_structure import parse, problems

APP_HEADERS = [("Content-Type", "text/plain")]


def app(request: Request) -> tuple[int, list[tuple[str, str]]]:
    return 200, list(APP_HEADERS)


def build(text: str, target: str) -> tuple[str, list[Diagnostic]]:
    loaded = load(Source("hardened.cors", text))
    assert loaded.policy_set is not None and not any(
        item.severity is Severity.ERROR for item in loaded.diagnostics
    ), loaded.diagnostics
    backend = get(target)
    values = {o.key: o.default for o in backend.options if o.default}
    options = EmitOptions("0.1.0", "hardened.cors", target, values)
    found = check(backend, loaded.policy_set, options)
    assert not any(item.severity is Severity.ERROR for item in found), found
    config = backend.emit(loaded.policy_set, options)[0].content
    assert problems(config) == []
    return config, found


def answer(config: str, method: str, origin: str | None, **headers: str) -> tuple[int, dict]:
    fields = [(name.replace("_", "-"), value) for name, value in headers.items()]
    status, sent = server(config, app)(Request.of(method, "/", origin=origin, headers=fields))
    return status, {name.lower(): value for name, value in sent}


def cors(sent: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in sent.items() if name.startswith("access-control-")}


LONG = [
    "https://" + "a." * 350 + "example.com",
    "https://" + "a" * 248 + ".example.com",
]

# ---- 1. Origin length ---------------------------------------------------------------------------

REWRITE_LONG = r"""policy p {
  origins regex "^https://([a-z0-9]+\.)*example\.com$", *
  deny "https://evil.test"
  unlisted UNLISTED
}
"""


@pytest.mark.parametrize("origin", LONG)
@pytest.mark.parametrize("unlisted", ["pass", "reject"])
def test_rewrite_refuses_an_origin_longer_than_any_origin(origin: str, unlisted: str) -> None:
    config, _ = build(REWRITE_LONG.replace("UNLISTED", unlisted), "iis-rewrite")
    if unlisted == "reject":
        assert inbound("GET", origin, config) == 403
    else:
        status, sent = answer(config, "GET", origin)
        assert (status, cors(sent), sent["vary"]) == (200, {}, "Origin")
    assert inbound("OPTIONS", origin, config, Access_Control_Request_Method="GET") == 403


def inbound(method: str, origin: str, config: str, **headers: str) -> int | None:
    fields = [(name.replace("_", "-"), value) for name, value in headers.items()]
    return inbound_status(config, Request.of(method, "/", origin=origin, headers=fields))


def test_rewrite_length_condition_comes_before_every_origin_regex() -> None:
    config, _ = build(REWRITE_LONG.replace("UNLISTED", "reject"), "iis-rewrite")
    root = parse(config)
    for rule in root.iter("rule"):
        origin_conditions = [
            c for c in rule.iterfind("conditions/add") if c.get("input") == "{HTTP_ORIGIN}"
        ]
        regexes = [c for c in origin_conditions if c.get("pattern") != ".+"]
        name = rule.get("name", "")
        if regexes and not name.endswith(("-denied", "-unlisted")):  # those follow -too-long
            first = regexes[0]
            assert first.get("pattern") == r"^[\s\S]{268,}$", name
            assert first.get("negate") == (None if name.endswith("-too-long") else "true")
    names = [rule.get("name", "") for rule in root.iterfind(".//rewrite/rules/rule")]
    assert names.index("corsc-p-too-long") < names.index("corsc-p-denied")
    assert names.index("corsc-p-too-long") < names.index("corsc-p-unlisted")


def test_rewrite_the_longest_origin_is_still_allowed() -> None:
    config, _ = build(REWRITE_LONG.replace("UNLISTED", "pass"), "iis-rewrite")
    origin = "https://" + "a" * 247 + ".example.com"
    assert len(origin) == 267
    assert cors(answer(config, "GET", origin)[1]) == {"access-control-allow-origin": origin}


def test_module_length_is_undetermined_and_declared() -> None:
    config, found = build('policy p { origins *; deny "https://evil.test" }', "iis")
    with pytest.raises(Undetermined, match="longer than any origin"):
        answer(config, "GET", LONG[0])
    assert any("documents no length bound" in item.message for item in found)


# ---- 2. deny and the trailing dot ---------------------------------------------------------------

DENY = r"""policy p {
  origins *
  deny "http://evil.test:18300", "https://*.bad.test", "http://ports.test:*", regex "^https://pr-\d+\.rx\.test$"
}
"""
DENIED = [
    "http://evil.test.:18300",
    "https://a.bad.test.",
    "https://a.b.bad.test.",
    "http://ports.test.",
    "http://ports.test.:8080",
    "https://pr-12.rx.test.",
]
NOT_DENIED = ["http://evil.test.:18301", "http://evil.test..:18300", "https://pr-x.rx.test."]


@pytest.mark.parametrize("origin", DENIED)
def test_rewrite_deny_refuses_the_trailing_dot_form(origin: str) -> None:
    config, _ = build(DENY, "iis-rewrite")
    status, sent = answer(config, "GET", origin)
    assert (status, cors(sent)) == (200, {})
    assert inbound("OPTIONS", origin, config, Access_Control_Request_Method="GET") == 403


@pytest.mark.parametrize("origin", NOT_DENIED)
def test_rewrite_deny_refuses_only_the_trailing_dot_form(origin: str) -> None:
    config, _ = build(DENY, "iis-rewrite")
    assert cors(answer(config, "GET", origin)[1]) == {"access-control-allow-origin": origin}


def test_rewrite_reject_answers_403_to_the_dotted_form() -> None:
    config, _ = build(DENY.replace("origins *", "origins *\n  unlisted reject"), "iis-rewrite")
    for origin in DENIED:
        assert inbound("GET", origin, config) == 403, origin
    for origin in NOT_DENIED:
        assert inbound("GET", origin, config) is None, origin


MODULE_DENY = """policy p {
  origins *
  deny "https://evil.test", "http://evil.test:8080", "https://*.bad.test"
}
"""


def test_module_writes_the_dotted_twin_of_every_deny() -> None:
    config, found = build(MODULE_DENY, "iis")
    rules = [(rule.get("origin"), rule.get("allowed")) for rule in parse(config).iter("add")]
    for twin in ("https://evil.test.", "http://evil.test.:8080", "https://*.bad.test."):
        assert (twin, "false") in rules
    assert any('"https://*.bad.test." for hosts with a trailing dot' in d.message for d in found)


@pytest.mark.parametrize("origin", ["https://evil.test.", "http://evil.test.:8080"])
def test_module_refuses_the_dotted_form_of_an_exact_deny(origin: str) -> None:
    config, _ = build(MODULE_DENY, "iis")
    assert cors(answer(config, "GET", origin)[1]) == {}


def test_module_dotted_wildcard_is_undetermined() -> None:
    config, _ = build(MODULE_DENY, "iis")
    with pytest.raises(Undetermined, match=r"trailing dot|domain\."):
        answer(config, "GET", "https://a.bad.test.")


# ---- 3. static mode -----------------------------------------------------------------------------

STATIC_ANY = "policy p { origins *; expose X-Request-Id, X-Total; methods PUT }"
STATIC_EXACT = 'policy p { origins "https://app.example.com"; credentials true; expose X-Id }'
FIXED_ANY = {
    "access-control-allow-origin": "*",
    "access-control-expose-headers": "X-Request-Id, X-Total",
}
FIXED_EXACT = {
    "access-control-allow-origin": "https://app.example.com",
    "access-control-allow-credentials": "true",
    "access-control-expose-headers": "X-Id",
}


@pytest.mark.parametrize("target", ["iis-rewrite", "iis-headers"])
@pytest.mark.parametrize("origin", [None, "https://other.example", "null", LONG[0]])
@pytest.mark.parametrize(("text", "fixed"), [(STATIC_ANY, FIXED_ANY), (STATIC_EXACT, FIXED_EXACT)])
def test_static_mode_sends_the_fixed_headers_on_every_actual_response(
    target: str, origin: str | None, text: str, fixed: dict[str, str]
) -> None:
    config, _ = build(text, target)
    status, sent = answer(config, "GET", origin)
    got = cors(sent)
    if target == "iis-headers":  # custom headers carry the preflight grants too (declared)
        got = {k: v for k, v in got.items() if k in fixed}
    assert (status, got) == (200, fixed)


def test_rewrite_static_preflight_refused_keeps_only_the_fixed_headers() -> None:
    config, _ = build(STATIC_ANY, "iis-rewrite")
    preflight = {"Access_Control_Request_Method": "DELETE"}
    assert inbound("OPTIONS", "https://a.example", config, **preflight) == 403
    rules = {rule.get("name"): rule for rule in parse(config).iter("rule")}
    expose = rules["corsc-p-static-expose"]
    conditions = [(c.get("input"), c.get("negate")) for c in expose.iterfind("conditions/add")]
    assert conditions == [("{HTTP_ACCESS_CONTROL_REQUEST_METHOD}", "true")]  # not preflights
    assert [c for c in rules["corsc-p-static-origin"].iterfind("conditions/add")] == []


@pytest.mark.parametrize("origin", [None, "https://app.example.com", "https://other.example"])
def test_module_static_mode_varies_by_origin_on_every_response(origin: str | None) -> None:
    config, found = build(STATIC_ANY, "iis")
    _, sent = answer(config, "GET", origin)
    assert re.fullmatch(r"Origin(, .*)?", sent.get("vary", "")), sent
    assert any("only to requests with an Origin" in item.message for item in found)


@settings(max_examples=60, deadline=None)
@given(
    denies=st.lists(DENY_PATTERNS, min_size=1, max_size=4, unique=True),
    probes=st.lists(PROBES, min_size=1, max_size=10),
)
def test_rewrite_generated_denies_refuse_their_trailing_dot_forms(
    denies: list[str], probes: list[str]
) -> None:
    text = policy_text(denies)
    config, _ = build(text, "iis-rewrite")
    policy_set = load(Source("d.cors", text)).policy_set
    assert policy_set is not None
    denied = list(policy_set.policies[0].denies)
    for origin in [o for probe in probes for o in (probe, dotted(probe), dotted(dotted(probe)))]:
        expected = {} if refused(denied, origin) else {"access-control-allow-origin": origin}
        assert cors(answer(config, "GET", origin)[1]) == expected, (text, origin)
