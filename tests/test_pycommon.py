"""What the Python library targets share (backends/pycommon.py): the document written as a
Python module or TOML — valid, deterministic, every string a literal of the same value, no
policy value able to add a statement, key or line — and the disjoint path regexes."""

from __future__ import annotations

import ast
import re
import tomllib
from typing import Any

import irbuild
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from pytargets import (
    BOUND,
    LIBRARIES,
    PLAIN,
    emit,
    from_text,
    options_for,
)
from python_harness import load_module, options_of

from corsc import origin_regex, paths
from corsc.backends import EmitOptions, check, get
from corsc.backends.pycommon import path_regex, py_string

# ---- the outputs -------------------------------------------------------------------------------


@pytest.mark.parametrize("target", LIBRARIES)
def test_the_output_is_a_python_module_headed_by_its_provenance(target: str) -> None:
    text = emit(target, from_text(PLAIN, "api.cors"))
    first = text.partition("\n")[0]
    assert first.startswith(f"# corsc 0.1.0 from api.cors for target {target}; policy sha256:")
    module = ast.parse(text)
    assert isinstance(module.body[0], ast.Expr)  # the docstring says how to use it
    assert text == emit(target, from_text(PLAIN, "api.cors"))


# ---- TOML outputs --------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["starlette", "django"])
def test_a_toml_output_holds_what_the_module_holds(target: str) -> None:
    policy_set = from_text(PLAIN)
    module = options_of(emit(target, policy_set), f"cors_{target}")
    toml_text = emit(target, policy_set, "toml")
    assert toml_text.startswith(f"# corsc 0.1.0 from test.cors for target {target};")
    # TOML has no null: a None keyword argument is left out, which is the library's default.
    assert tomllib.loads(toml_text) == {k: v for k, v in module.items() if v is not None}
    (item,) = get(target).emit(policy_set, options_for(target, policy_set, "toml"))
    assert item.name == f"cors_{target}.toml"
    (item,) = get(target).emit(policy_set, options_for(target, policy_set, "python"))
    assert item.name == f"cors_{target}.py"
    assert item.content == emit(target, policy_set)  # python is the default


@pytest.mark.parametrize("target", LIBRARIES)
def test_the_format_is_an_option_defaulting_to_python(target: str) -> None:
    (option,) = get(target).options
    assert (option.key, option.default, option.choices) == ("format", "python", ("python", "toml"))


# ---- path regexes --------------------------------------------------------------------------------


prefix_sets = st.lists(
    st.lists(
        st.sampled_from(("/", "/a", "/a/b", "/a/b/c", "/ab", "/b", "/a.b")), max_size=2, unique=True
    ),
    min_size=1,
    max_size=4,
)
request_paths = st.sampled_from(
    ("/", "/a", "/a/", "/a/b", "/a/bc", "/a/b/c/d", "/ab", "/abc", "/b/x", "/a.b", "/axb", "/c")
)


@settings(max_examples=300)
@given(prefix_sets, st.lists(request_paths, min_size=1, max_size=6))
@example([["/", "/a/b"], ["/a"]], ["/a/b", "/a/c", "/b"])
def test_property_path_regexes_choose_the_policy_the_evaluator_chooses(
    prefix_lists: list[list[str]], requests: list[str]
) -> None:
    fallbacks = [index for index, prefixes in enumerate(prefix_lists) if not prefixes]
    assume(len(fallbacks) <= 1)
    all_prefixes = [p for prefixes in prefix_lists for p in prefixes]
    assume(len(set(all_prefixes)) == len(all_prefixes))
    policy_set = irbuild.policy_set(
        *(
            irbuild.policy(f"p{index}", origins=["*"], paths=prefixes)
            for index, prefixes in enumerate(prefix_lists)
        )
    )
    candidates = [(policy.name, [p.value for p in policy.paths]) for policy in policy_set.policies]
    regexes = {
        policy.name: re.compile(path_regex(policy, policy_set)) for policy in policy_set.policies
    }
    for path in requests:
        matching = [name for name, regex in regexes.items() if regex.match(path)]
        expected = paths.select(candidates, path)
        assert matching == ([expected] if expected else []), (path, regexes)


# ---- no value escapes its literal ------------------------------------------------------------


TCHAR = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# `*` alone is the wildcard, never a name.
tokens = st.text(alphabet=TCHAR, min_size=1, max_size=12).filter(lambda name: name != "*")
regex_bodies = st.lists(
    st.sampled_from(
        ('"', "'", "\\.", "a", "#", "\\\\", "[a-z]", "x+", "(?:b|c)", "\\n", "'''", '"""')
    ),
    min_size=1,
    max_size=8,
).map(lambda parts: "https://" + "".join(parts))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(tokens, min_size=1, max_size=3),
    st.lists(tokens, max_size=3),
    st.lists(tokens, max_size=3),
    regex_bodies,
    st.sampled_from(LIBRARIES),
    st.text(min_size=1, max_size=10).map(lambda name: f"{name}.cors"),
    st.text(alphabet="ab/\"'\\#%2F .\n", min_size=1, max_size=8).map(lambda p: "/" + p),
)
def test_property_no_policy_value_can_add_code_or_keys(
    methods: list[str],
    headers: list[str],
    expose: list[str],
    body: str,
    target: str,
    source_name: str,
    prefix: str,
) -> None:
    try:
        origin_regex.render_pattern(irbuild.pattern(f"regex:{body}"), "python")
    except ValueError:
        assume(False)
    if target == "starlette":
        headers = [*headers, "Accept", "Accept-Language", "Content-Language", "Content-Type"]
    policy = irbuild.policy(
        origins=["https://a.example", f"regex:{body}"],
        # Starlette has no paths: there the prefix would only be refused.
        paths=[] if target == "starlette" else [prefix],
        methods=[m.upper() for m in methods] if target == "flask" else methods,
        headers=[h for h in headers if not set(h) & set("*^$")] if target == "flask" else headers,
        expose=expose,
    )
    policy_set = irbuild.policy_set(policy)
    options = EmitOptions("0.1.0", source_name, target)
    assume(not [d for d in check(get(target), policy_set, options) if d.severity.value == "error"])
    text = get(target).emit(policy_set, options)[0].content
    module = ast.parse(text)
    statements = [type(node).__name__ for node in module.body]
    expected = {
        "starlette": ["Expr", "Assign"],
        "django": ["Expr", *["Assign"] * 10],
        "flask": ["Expr", "Import", "ImportFrom", "Assign", "Assign", "FunctionDef", "FunctionDef"],
    }[target]
    assert statements == expected
    assert text.count("\n#") == 0 and text.startswith("# corsc ")  # one comment line, first
    values: dict[str, Any] = options_of(text, f"cors_{target}")
    seen: set[str] = set()
    exposed = [e for e in expose if not (e.lower() in seen or seen.add(e.lower()))]  # type: ignore[func-returns-value]
    written = list(dict.fromkeys(policy.grant.methods.value.values))
    if target == "starlette":
        assert values["allow_methods"][: len(written)] == written
        assert values["expose_headers"] == exposed
    elif target == "django":
        assert values["CORS_ALLOW_METHODS"] == written
        assert values["CORS_EXPOSE_HEADERS"] == exposed
    if target != "starlette":
        path_key = values["CORS_URLS_REGEX"] if target == "django" else None
        regex = path_regex(policy_set.policies[0], policy_set)
        assert path_key == regex if target == "django" else re.compile(regex) in values["resources"]
    rendered = BOUND + origin_regex.render_pattern(irbuild.pattern(f"regex:{body}"), "python")
    if target == "django":
        assert values["CORS_ALLOWED_ORIGIN_REGEXES"] == [rendered]
    if target == "flask":
        resource = next(iter(values["resources"].values()))
        assert resource["methods"][: len(written)] == written
        assert resource["expose_headers"] == exposed
        assert re.compile(rendered) in resource["origins"]


# ---- Python literals for every code point -------------------------------------------------------


HOSTILE = (
    '"',
    "'",
    "\\",
    'a"b\\',
    "line\nbreak",
    "\r\t\b\f\v",
    "nul\x00byte",
    "\x7f\x80\x9f",
    "\u2028\u2029",
    "\ufeff",
    "café",
    "😀",
    "/café/😀",
    "\U0010ffff",
    "\ud800",
    "'''\"\"\"",
    "{}%s",
)


@settings(max_examples=200)
@given(st.text())
@example("/café/😀")
def test_property_every_string_becomes_a_python_literal_of_the_same_value(text: str) -> None:
    literal = py_string(text)
    assert literal.isascii()  # whatever encoding the file is read in
    assert ast.literal_eval(literal) == text


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_strings_round_trip_through_python_literals(text: str) -> None:
    assert ast.literal_eval(py_string(text)) == text


@pytest.mark.parametrize("target", ["django", "flask"])
def test_a_non_bmp_path_prefix_matches_in_the_emitted_module(target: str) -> None:
    """`/café/😀` once came out as a JSON surrogate pair, which Python reads as two lone
    surrogates: the prefix never matched."""
    text = emit(target, from_text('policy p { paths "/café/😀"; origins "https://a.example" }'))
    assert text.partition("\n")[2].isascii()  # below the provenance line
    namespace = load_module(text, f"cors_{target}")
    if target == "django":
        regex = re.compile(namespace["CORS_URLS_REGEX"])
    else:
        (regex,) = namespace["CORS_OPTIONS"]["resources"]
    assert regex.match("/café/😀/x") and not regex.match("/café/x")
    # Written percent-encoded, the prefix is the same one.
    encoded = emit(target, from_text('policy p { paths "/caf%C3%A9/%F0%9F%98%80"; origins * }'))
    assert "\\U0001f600" in encoded and "\\ud83d" not in encoded
