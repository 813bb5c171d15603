"""The nginx target's files: every example follows the emission rules in both variants,
static mode's fixed headers, ``hide-upstream``, ``prefix``, deterministic output, and no policy
value reaching nginx as syntax."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from corsc import http
from corsc.backends import nginx_text as r
from corsc.output_text import render_stdout
from corsc.plan import GrantPlan
from tests.nginx_config import (
    EXAMPLES,
    ROOT,
    VARIANTS,
    assigned,
    check_structure,
    compile_text,
    example_text,
    read_config,
    walk,
)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.stem)
def test_examples_follow_the_emission_rules(example: Path, variant: str) -> None:
    policy_set, _, files = compile_text(example_text(example), f"variant={variant}")
    check_structure(files, policy_set)


def test_static_mode_sends_fixed_headers_without_vary() -> None:
    _, _, files = compile_text('policy p { origins "https://app.example.com"; credentials true }')
    snippet = files[1].content
    assert 'add_header Access-Control-Allow-Origin "https://app.example.com" always;' in snippet
    assert 'add_header Access-Control-Allow-Credentials "true" always;' in snippet
    assert "Vary" not in snippet
    _, _, files = compile_text("policy p { origins *; methods * }")
    snippet = files[1].content
    assert 'add_header Access-Control-Allow-Origin "*" always;' in snippet
    # Reflection needs Vary on the preflights that reflect, static or not.
    assert "add_header Vary $corsc_p_vary always;" in snippet


@pytest.mark.parametrize(
    ("option", "directives"),
    [
        ("none", set()),
        ("proxy", {"proxy_hide_header"}),
        ("grpc", {"grpc_hide_header"}),
        (
            "all",
            {"proxy_hide_header", "fastcgi_hide_header", "uwsgi_hide_header", "grpc_hide_header"},
        ),
    ],
)
def test_hide_upstream(option: str, directives: set[str]) -> None:
    _, _, files = compile_text(
        'policy p { origins "https://a.example.com", "https://b.example.com" }',
        f"hide-upstream={option}",
    )
    found = [d for d in read_config(files[1].content) if d.name.endswith("_hide_header")]
    assert {d.name for d in found} == directives
    for name in directives:
        hidden = {d.words[1] for d in found if d.name == name}
        assert hidden == set(http.RESPONSE_HEADERS)


def test_prefix_names_variables_and_files() -> None:
    _, _, files = compile_text('policy api { origins "https://a.example.com" }', "prefix=site_1")
    assert [item.name for item in files] == ["site_1-api.http.conf", "site_1-api.conf"]
    assert "$site_1_api_state" in files[0].content


def test_output_is_deterministic_and_printed_with_banners() -> None:
    text = example_text(ROOT / "examples" / "api.cors")
    first = compile_text(text)[2]
    assert first == compile_text(text)[2]
    printed = render_stdout(first)
    assert "# ===== corsc-api.http.conf — inside http {}, once" in printed
    assert "# ===== corsc-public.conf — inside server {} or location {}" in printed


# ---- injection --------------------------------------------------------------------------------

TCHAR = "!#$%&'*+-.^_`|~" + string.ascii_letters + string.digits
#: Mostly valid names, with every token character (`$` among them: CORS601) now and then.
NAMES = st.one_of(
    st.text(TCHAR.replace("$", ""), min_size=1, max_size=12), st.text(TCHAR, min_size=1, max_size=4)
)
#: Regex bodies in corsc.regex's subset, full of what means something to nginx (corsc.regex
#: writes those as \xHH), and a little raw text the subset may refuse.
REGEX_PIECES = [
    "https://",
    "a",
    "x-1",
    r"\.",
    r"\$",
    r"\"",
    r"\;",
    r"\{",
    r"\}",
    r"\#",
    r"\'",
    r"\\",
    "[a-z]",
    r'[$;"#\\]',
    r"\d+",
    "(?:ab|cd)",
    "z?",
    " ",
    "$",
    ";",
]
REGEX_BODY = st.lists(st.sampled_from(REGEX_PIECES), min_size=1, max_size=8).map("".join)
PATH = st.text(string.ascii_letters + "/.%;{}$#\"'\\ ", min_size=1, max_size=12).map(
    lambda path: "/" + path
)


def quoted(value: str) -> str:
    """A policy-language string: only `"` and `\\` are escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@st.composite
def hostile_policies(draw: st.DrawFn) -> str:
    lines = [
        f'origins "https://a.example.com", regex {quoted(draw(REGEX_BODY))}',
        f"methods {', '.join(draw(st.lists(NAMES, min_size=1, max_size=3)))}",
        f"headers {', '.join(draw(st.lists(NAMES, min_size=1, max_size=3)))}",
        f"expose {', '.join(draw(st.lists(NAMES, min_size=1, max_size=3)))}",
        f"paths {quoted(draw(PATH))}",
    ]
    return "policy p {\n  " + "\n  ".join(lines) + "\n}\npolicy q { origins * }\n"


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(text=hostile_policies(), variant=st.sampled_from(VARIANTS))
def test_no_policy_value_reaches_nginx_as_syntax(text: str, variant: str) -> None:
    """Whatever the names, regexes and paths hold, the output is the directives corsc writes,
    every ``$`` starts one of its variables, and values read back as the policy wrote them."""
    policy_set, _, files = compile_text(text, f"variant={variant}")
    assume(files)
    check_structure(files, policy_set)
    grant = GrantPlan.of(1, policy_set.policies[0].grant)
    # `methods *` reflects the requested method (the evaluator's meaning); `expose *` is `*`.
    reflected = r.ACRM if grant.methods is None else grant.allow_methods
    assert assigned(files, "$corsc_p_acam") == {reflected} - {""}
    assert assigned(files, "$corsc_p_expose") == {grant.expose or ""} - {""}
    for item in files:
        for directive in walk(read_config(item.content)):
            for word in directive.words[1:]:
                # A variable is only ever the whole value or part of a composed key.
                for reference in re.findall(r"\$[^\s\"]*", word):
                    assert re.fullmatch(r"\$[a-z0-9_]+(?:/https?|/|:\S*)?", reference), word
    snippet = next(item for item in files if item.name == "corsc-p.conf").content
    sent = {d.words[1]: d.words[2] for d in read_config(snippet) if d.name == "add_header"}
    assert set(sent) <= {*http.RESPONSE_HEADERS, http.VARY}


def test_a_file_name_cannot_end_a_comment() -> None:
    _, _, files = compile_text(
        'policy p { origins "https://a.example.com" }',
        source="evil\nadd_header X-Injected yes always;\n.cors",
    )
    for item in files:
        assert "X-Injected" not in {w for d in walk(read_config(item.content)) for w in d.words}
