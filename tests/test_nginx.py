"""The nginx target without nginx: goldens of the A2 variant, the structure of every output
(the rules docs/nginx.md states for every output), its diagnostics, and injection properties.

Outputs are read back with :class:`Config`, a reader of nginx's configuration syntax as
``ngx_conf_read_token`` reads it (quotes, the backslash escapes it rewrites, comments, blocks),
so the tests see the directives nginx would see. tests/test_nginx_live.py checks that nginx
itself agrees (``nginx -t``, and strings read back byte for byte).
"""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from attrs import frozen
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from corsc import __version__, output, provenance
from corsc.backends import EmitOptions, OutputFile, get, validate_options
from corsc.backends import nginx_render as r
from corsc.diagnostics import Diagnostic, Severity, fails
from corsc.frontend import load
from corsc.ir import PolicySet
from corsc.source import Source
from tests.goldens import GOLDEN, check_golden

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.cors"))
A2_GOLDEN = GOLDEN / "nginx" / "a2"
BACKEND = get("nginx")
VARIANTS = ("maps", "a2")
CORS_HEADERS = {name.lower() for name in r.RESPONSE_HEADERS} | {"vary"}
BUILTIN = re.compile(r"\$(?:http_[a-z_]+|request_method)\b")


# ---- reading nginx configuration -------------------------------------------------------------


@frozen
class Directive:
    """One directive: its words as nginx reads them, and its block (``None`` without one)."""

    words: tuple[str, ...]
    block: tuple[Directive, ...] | None = None

    @property
    def name(self) -> str:
        return self.words[0]


def read_config(text: str) -> list[Directive]:
    """Parse nginx configuration text; raises ``ValueError`` where nginx would refuse it."""
    tokens = _tokens(text)
    directives, rest = _directives(tokens, 0)
    if rest != len(tokens):
        raise ValueError("unbalanced `}`")
    return directives


def _tokens(text: str) -> list[tuple[str, str]]:
    """(kind, value): ``word`` (quotes removed, escapes applied), ``;``, ``{``, ``}``."""
    found: list[tuple[str, str]] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char in " \t\r\n":
            index += 1
        elif char == "#":
            end = text.find("\n", index)
            index = len(text) if end == -1 else end
        elif char in ";{}":
            found.append((char, char))
            index += 1
        elif char in "\"'":
            value, index = _quoted(text, index)
            found.append(("word", value))
        else:
            end = index
            while end < len(text) and text[end] not in " \t\r\n;{}\"'":
                end += 1
            if text[end : end + 1] in ("'", '"'):
                raise ValueError(f"a quote inside a word at {end}")
            found.append(("word", text[index:end]))
            index = end
    return found


def _quoted(text: str, start: int) -> tuple[str, int]:
    quote = text[start]
    out = []
    index = start + 1
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            following = text[index + 1]
            escapes = {"t": "\t", "r": "\r", "n": "\n", '"': '"', "'": "'", "\\": "\\"}
            if following in escapes:
                out.append(escapes[following])
                index += 2
                continue
        if char == quote:
            after = text[index + 1 : index + 2]
            if after and after not in " \t\r\n;{)":
                raise ValueError(f"unexpected {after!r} after a quoted string")
            return "".join(out), index + 1
        out.append(char)
        index += 1
    raise ValueError("unterminated string")


def _directives(tokens: list[tuple[str, str]], index: int) -> tuple[list[Directive], int]:
    directives = []
    words: list[str] = []
    while index < len(tokens):
        kind, value = tokens[index]
        if kind == "word":
            words.append(value)
            index += 1
        elif kind == ";":
            if not words:
                raise ValueError("empty directive")
            directives.append(Directive(tuple(words)))
            words = []
            index += 1
        elif kind == "{":
            block, index = _directives(tokens, index + 1)
            if index >= len(tokens) or tokens[index][0] != "}":
                raise ValueError("unclosed block")
            directives.append(Directive(tuple(words), tuple(block)))
            words = []
            index += 1
        else:
            break
    if words:
        raise ValueError(f"directive without `;`: {words}")
    return directives, index


# ---- compiling --------------------------------------------------------------------------------


def compile_text(
    text: str, *raw: str, source: str = "test.cors"
) -> tuple[PolicySet, list[Diagnostic], list[OutputFile]]:
    """Load, check and (when nothing fails) emit; options as ``KEY=VALUE``."""
    loaded = load(Source(source, text))
    assert loaded.policy_set is not None, loaded.diagnostics
    values, problems = validate_options(BACKEND, raw)
    assert not problems, problems
    options = EmitOptions(__version__, source, "nginx", values)
    diagnostics = list(loaded.diagnostics)
    if not fails(diagnostics):
        diagnostics += BACKEND.check(loaded.policy_set, options)
    files = [] if fails(diagnostics) else BACKEND.emit(loaded.policy_set, options)
    return loaded.policy_set, diagnostics, files


def example_text(example: Path) -> str:
    return example.read_text("utf-8")


# ---- goldens of the A2 variant (the maps variant's are tests/test_golden.py's) -----------------


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.stem)
def test_a2_golden(example: Path) -> None:
    _, _, files = compile_text(example_text(example), "variant=a2", source=example.name)
    produced = {f"{example.stem}.{item.name}": item.content for item in files}
    check_golden(A2_GOLDEN, example.stem, produced)


# ---- structure: the rules of every output -----------------------------------------------------


def check_structure(files: list[OutputFile], policy_set: PolicySet, prefix: str = "corsc") -> None:
    """The emission rules, for every file of one compilation."""
    by_name = {item.name: item for item in files}
    defined: set[str] = set()
    for policy in policy_set.policies:
        stem = f"{prefix}-{policy.name}"
        first = by_name.get(f"{stem}.http.conf") or by_name[f"{stem}.server.conf"]
        snippet = by_name[f"{stem}.conf"]
        for item in (first, snippet):
            lines = item.content.splitlines()
            assert lines[0].startswith("# corsc ") and provenance.NOTICE in lines[0]
        namespace = f"${prefix}_{policy.name}_"
        for directive in read_config(first.content):
            if first.name.endswith(".http.conf"):
                # Only maps at http level, each defining one namespaced variable.
                assert directive.name == "map" and directive.block is not None
                assert directive.words[2].startswith(namespace)
                defined.add(directive.words[2])
            elif directive.name == "set":
                assert directive.words[1].startswith(namespace)
                defined.add(directive.words[1])
            else:  # A2: server-level `if`s that set one variable, nothing else
                assert directive.name == "if" and directive.block is not None
                assert [d.name for d in directive.block] == ["set"]
                assert directive.block[0].words[1].startswith(namespace)
        for directive in read_config(snippet.content):
            if directive.name == "if":
                # The only `if`s wrap a `return`: safe in a location (if is evil).
                assert directive.block is not None
                assert [d.name for d in directive.block] == ["return"]
            elif directive.name == "add_header":
                assert len(directive.words) == 4 and directive.words[3] == "always"
                assert directive.words[1].lower() in CORS_HEADERS
            else:
                assert directive.name.endswith("_hide_header"), directive
        words = [
            w for item in (first, snippet) for d in walk(read_config(item.content)) for w in d.words
        ]
        used = {v for word in words for v in re.findall(r"\$[a-z0-9_]+", word)}
        assert {v for v in used if not BUILTIN.fullmatch(v)} <= defined


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.stem)
def test_examples_follow_the_emission_rules(example: Path, variant: str) -> None:
    policy_set, _, files = compile_text(example_text(example), f"variant={variant}")
    check_structure(files, policy_set)


def test_the_http_file_maps_in_the_evaluator_s_order() -> None:
    """deny before allow entries, origin blocks before list items, exact before wildcard; a
    hash hit is confirmed by a regex that falls through to the next link."""
    _, _, files = compile_text(
        """policy p {
          origins "https://*.example.com", "https://a.example.com", regex "https://r[0-9]\\.example\\.net"
          deny "https://bad.example.com"
          origin "https://*.b.example.com" { credentials true }
        }"""
    )
    maps = {d.words[2]: d for d in read_config(files[0].content)}
    rows = {
        name: {row.words[0]: row.words[-1] for row in m.block or () if len(row.words) == 2}
        for name, m in maps.items()
    }
    # an Origin too long to be one first, without a regex of the policy; then deny's exact
    # origin and its trailing-dot twin (only for an Origin with a dot before the port or end),
    # then the block's wildcard, then the list's exact origin
    assert rows["$corsc_p_grant"] == {"": "", r"~^[\s\S]{268}": "0", "default": "$corsc_p_t1"}
    assert rows["$corsc_p_t1"] == {
        "default": "$corsc_p_t1_dot",
        "https://bad.example.com": "$corsc_p_t1_0",
    }
    assert rows["$corsc_p_t1_0"] == {"default": "0", "~[A-Z]": "$corsc_p_t1_dot"}
    assert rows["$corsc_p_t1_dot"] == {
        "default": "$corsc_p_t2_https",
        r"~\.(?::[0-9]+)?\z": "$corsc_p_t1_dots",
    }
    assert rows["$corsc_p_t1_dots"] == {
        "default": "$corsc_p_t2_https",
        r"~^(?:https://bad\.example\.com\.)\z": "0",
    }
    assert rows["$corsc_p_t2_https"]["*.b.example.com"] == "$corsc_p_t2_https_1"
    assert rows["$corsc_p_t2_https"]["default"] == "$corsc_p_t3"
    assert rows["$corsc_p_t3"]["https://a.example.com"] == "$corsc_p_t3_2"
    assert rows["$corsc_p_t3"]["default"] == "$corsc_p_t3_https"
    assert rows["$corsc_p_t3_https"]["*.example.com"] == "$corsc_p_t3_https_2"
    assert rows["$corsc_p_t3_https"]["default"] == "$corsc_p_t3_rx"
    assert rows["$corsc_p_t3_rx"]["default"] == "0"
    assert [k for k in rows["$corsc_p_t3_rx"] if "r[0-9]" in k]


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
        assert hidden == set(r.RESPONSE_HEADERS)


def test_prefix_names_variables_and_files() -> None:
    _, _, files = compile_text('policy api { origins "https://a.example.com" }', "prefix=site_1")
    assert [item.name for item in files] == ["site_1-api.http.conf", "site_1-api.conf"]
    assert "$site_1_api_state" in files[0].content


def test_output_is_deterministic_and_printed_with_banners() -> None:
    text = example_text(ROOT / "examples" / "api.cors")
    first = compile_text(text)[2]
    assert first == compile_text(text)[2]
    printed = output.render_stdout(first)
    assert "# ===== corsc-api.http.conf — inside http {}, once" in printed
    assert "# ===== corsc-public.conf — inside server {} or location {}" in printed


def test_long_unions_are_split_into_parameters_nginx_reads() -> None:
    patterns = ", ".join(f'"http://h{n}.example.com:*"' for n in range(400))
    _, diagnostics, files = compile_text(f"policy p {{ origins {patterns} }}")
    assert not fails(diagnostics)
    regexes = [
        d.words[0]
        for m in read_config(files[0].content)
        for d in m.block or ()
        if d.words[0].startswith("~^(?:http://h")
    ]
    assert len(regexes) > 1 and all(len(r.literal(x)) <= r.MAX_PARAMETER for x in regexes)
    assert all("||" not in x and "(?:|" not in x and "|)" not in x for x in regexes)
    assert sum(x.count("http://h") for x in regexes) == 400


# ---- diagnostics ------------------------------------------------------------------------------


def codes(diagnostics: list[Diagnostic]) -> list[str]:
    return [d.code for d in diagnostics if d.code.startswith("CORS6")]


@pytest.mark.parametrize("method", ["patch", "M1", "FOO.BAR", "Mkcol", "x-custom", "A~B"])
def test_a_method_nginx_does_not_serve_cannot_be_listed(method: str) -> None:
    text = f'policy p {{\n  origins "https://a.example.com"\n  methods PUT, {method}\n}}\n'
    _, diagnostics, files = compile_text(text)
    (error,) = [d for d in diagnostics if d.code == "CORS601"]
    assert error.severity is Severity.ERROR
    assert error.message == (
        f"target `nginx` cannot express the method `{method}`: nginx answers 400 to a request "
        "whose method has a character other than A-Z, `_` and `-`, before any location or "
        "CORS header, so the actual request a preflight grants would fail"
    )
    assert error.help == (
        "name methods with capitals, `_` and `-` only (nginx's clients send `PATCH`, not "
        "`patch`), or compile with `--target python`, whose middleware serves any method"
    )
    assert text[error.span.start.offset : error.span.end.offset] == method
    assert files == []


@pytest.mark.parametrize(
    "prefix", ["/x%00", "/x%01/y", "/x%09", "/x%0A", "/x%0d", "/x%7F", "/x%C2%85"]
)
def test_a_prefix_that_decodes_to_a_control_character_cannot_be_a_location(prefix: str) -> None:
    text = (
        f'policy a {{\n  paths "{prefix}"\n  origins "https://a.example.com"\n}}\n'
        "policy b { origins * }\n"
    )
    _, diagnostics, files = compile_text(text)
    (error,) = [d for d in diagnostics if d.code == "CORS601"]
    assert error.message == (
        f"target `nginx` cannot express the path prefix `{prefix}`: decoded, it holds a "
        "control character, and nginx compares locations with the decoded path"
    )
    assert text[error.span.start.offset : error.span.end.offset] == f'"{prefix}"'
    assert files == []


@pytest.mark.parametrize("prefix", ["/x%20y", "/caf%C3%A9", "/%E2%80%A8"])
def test_a_prefix_that_decodes_to_printable_text_is_a_location(prefix: str) -> None:
    text = f'policy a {{ paths "{prefix}"; origins * }}\npolicy b {{ origins * }}\n'
    _, diagnostics, files = compile_text(text)
    assert "CORS601" not in codes(diagnostics) and files


@pytest.mark.parametrize("method", ["PATCH", "X_CUSTOM", "FOO-BAR", "M-"])
def test_methods_nginx_serves_are_listed(method: str) -> None:
    _, diagnostics, files = compile_text(f"policy p {{ origins *; methods {method} }}")
    assert "CORS601" not in codes(diagnostics) and files


def test_methods_star_declares_the_refused_methods() -> None:
    _, diagnostics, files = compile_text("policy p { origins *; methods * }")
    (note,) = [d for d in diagnostics if d.code == "CORS602" and "Method" in d.message]
    assert note.message == (
        "target `nginx`: `methods *` reflects Access-Control-Request-Method as nginx received "
        "it; a preflight for a method nginx does not serve (any character but A-Z, `_` and "
        "`-`, such as `patch` or `M1`) is refused with 403, since nginx would answer the "
        "actual request 400 without CORS headers"
    )
    http = files[0].content
    assert '"~^[ \\x09]*[A-Z_-]+[ \\x09]*\\z" "1";' in http  # the method check of `*`


def test_a_dollar_in_a_name_cannot_be_expressed() -> None:
    text = 'policy p {\n  origins "https://a.example.com"\n  headers X-$pid\n}\n'
    _, diagnostics, files = compile_text(text)
    (error,) = [d for d in diagnostics if d.code == "CORS601"]
    assert error.severity is Severity.ERROR and "`$`" in error.message
    assert text[error.span.start.offset : error.span.end.offset] == "X-$pid"
    assert "--target python" in error.help
    assert files == []


def test_a_list_nginx_cannot_read_in_one_parameter_is_refused() -> None:
    headers = ", ".join(f"X-Header-Number-{n}" for n in range(300))
    text = f'policy p {{\n  origins "https://a.example.com"\n  headers {headers}\n}}\n'
    _, diagnostics, files = compile_text(text)
    (error,) = [d for d in diagnostics if d.code == "CORS620"]
    assert text[error.span.start.offset :].startswith("headers X-Header-Number-0")
    assert "--target python" in error.help and files == []


def test_reflection_is_a_declared_deviation() -> None:
    text = 'policy p {\n  origins "https://a.example.com"\n  methods *\n  headers *\n}\n'
    _, diagnostics, _ = compile_text(text)
    deviations = [d for d in diagnostics if d.code == "CORS602"]
    assert [d.severity for d in deviations] == [Severity.INFO] * 2
    assert [text[d.span.start.offset : d.span.end.offset] for d in deviations] == [
        "methods *",
        "headers *",
    ]
    assert any(row.startswith("headers * (deviation)") for row in BACKEND.deviations)


def test_paths_get_a_layout_diagnostic_and_a_comment() -> None:
    text = example_text(ROOT / "examples" / "api.cors")
    _, diagnostics, files = compile_text(text)
    layout = [d for d in diagnostics if d.code == "CORS604"]
    assert len(layout) == 2
    assert "location /api/ { … } and location = /api { … }" in layout[0].message
    assert "location / { … }, not in server {}" in layout[1].message
    snippet = next(item for item in files if item.name == "corsc-api.conf").content
    assert "#   location /v2/ { … } and location = /v2 { … }" in snippet
    _, diagnostics, _ = compile_text('policy p { origins "https://a.example.com" }')
    assert "CORS604" not in codes(diagnostics)


def test_path_policies_warn_that_nginx_decodes_paths() -> None:
    text = example_text(ROOT / "examples" / "api.cors")
    _, diagnostics, files = compile_text(text)
    (warning,) = [d for d in diagnostics if d.code == "CORS622"]
    assert warning.severity is Severity.WARNING and "%2F" in warning.message
    assert text[warning.span.start.offset : warning.span.end.offset] == '"/api"'
    assert "--target python" in warning.help and files
    _, diagnostics, _ = compile_text('policy p { origins "https://a.example.com" }')
    assert "CORS622" not in codes(diagnostics)


def test_a_bad_prefix_is_refused() -> None:
    _, diagnostics, files = compile_text(
        'policy p { origins "https://a.example.com" }', "prefix=Bad-1"
    )
    assert codes(diagnostics) == ["CORS621"] and files == []


def test_unknown_option_values_are_refused() -> None:
    assert validate_options(BACKEND, ["variant=c"])[1]
    assert validate_options(BACKEND, ["hide-upstream=apache"])[1]


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
    grant = policy_set.policies[0].grant
    methods = grant.methods.value
    # `methods *` reflects the requested method (the evaluator's meaning); `expose *` is `*`.
    reflected = r.ACRM if methods.wildcard else ", ".join(r.names(methods, fold_case=False))
    assert assigned(files, "$corsc_p_acam") == {reflected} - {""}
    expose = grant.expose.value
    listed = "*" if expose.wildcard else ", ".join(r.names(expose, fold_case=True))
    assert assigned(files, "$corsc_p_expose") == {listed} - {""}
    for item in files:
        for directive in walk(read_config(item.content)):
            for word in directive.words[1:]:
                # A variable is only ever the whole value or part of a composed key.
                for reference in re.findall(r"\$[^\s\"]*", word):
                    assert re.fullmatch(r"\$[a-z0-9_]+(?:/https?|/|:\S*)?", reference), word
    snippet = next(item for item in files if item.name == "corsc-p.conf").content
    sent = {d.words[1]: d.words[2] for d in read_config(snippet) if d.name == "add_header"}
    assert set(sent) <= {name for name in r.RESPONSE_HEADERS} | {"Vary"}


def assigned(files: list[OutputFile], variable: str) -> set[str]:
    """The non-empty values a variable is given, by a map or by ``set``."""
    values = set()
    for item in files:
        for directive in walk(read_config(item.content)):
            if directive.name == "map" and directive.words[2] == variable:
                values |= {d.words[1] for d in directive.block or () if d.name != "default"}
            elif directive.name == "set" and directive.words[1] == variable:
                values.add(directive.words[2])
    return values - {""}


def walk(directives: list[Directive] | tuple[Directive, ...]) -> list[Directive]:
    found = []
    for directive in directives:
        found.append(directive)
        found += walk(directive.block or ())
    return found


@given(value=st.text(st.characters(min_codepoint=32, max_codepoint=126)))
def test_literal_reads_back_as_written(value: str) -> None:
    ((_, read),) = [(kind, word) for kind, word in _tokens(r.literal(value))]
    assert read == value


@given(value=st.text(st.characters(min_codepoint=32, max_codepoint=126)))
def test_text_refuses_a_dollar(value: str) -> None:
    if "$" in value:
        with pytest.raises(r.Unwritable):
            r.text(value)
    else:
        assert r.text(value) == r.literal(value)


@pytest.mark.parametrize("bad", ["a\nb", "tab\there", "é", "nul\x00"])
def test_literal_refuses_control_and_non_ascii(bad: str) -> None:
    with pytest.raises(r.Unwritable):
        r.literal(bad)


def test_a_file_name_cannot_end_a_comment() -> None:
    _, _, files = compile_text(
        'policy p { origins "https://a.example.com" }',
        source="evil\nadd_header X-Injected yes always;\n.cors",
    )
    for item in files:
        assert "X-Injected" not in {w for d in walk(read_config(item.content)) for w in d.words}
