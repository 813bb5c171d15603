"""The nginx backend without nginx: its capability table (every row true of ``check`` and
``emit``, and the docs page's table generated from it), its declared deviations, its options,
and the diagnostics only nginx needs (tests/test_nginx_emit.py and the other tests/test_nginx_*
files test the files; tests/test_nginx_live.py runs them in nginx)."""

from __future__ import annotations

import pytest

from corsc import capabilities
from corsc.backends import alternatives, get, validate_options
from corsc.capabilities import Feature, Support
from corsc.diagnostics import Diagnostic, Severity, fails
from corsc.ir import PolicySet
from tests.docs_tables import check_docs_table
from tests.nginx_config import BACKEND, ROOT, compile_text, example_text

# ---- diagnostics ------------------------------------------------------------------------------


def codes(diagnostics: list[Diagnostic]) -> list[str]:
    return [d.code for d in diagnostics if d.code.startswith("CORS6")]


def instead(policy_set: PolicySet) -> str:
    """The help offering other targets for what only nginx cannot do: computed from the
    registry (serving targets other than nginx), never written in the backend."""
    names = alternatives(BACKEND, policy_set)(None)
    assert names and "nginx" not in names and all(get(name).serves for name in names)
    return capabilities.compile_with(names)


@pytest.mark.parametrize("method", ["patch", "M1", "FOO.BAR", "Mkcol", "x-custom", "A~B"])
def test_a_method_nginx_does_not_serve_cannot_be_listed(method: str) -> None:
    text = f'policy p {{\n  origins "https://a.example.com"\n  methods PUT, {method}\n}}\n'
    policy_set, diagnostics, files = compile_text(text)
    (error,) = [d for d in diagnostics if d.code == "CORS601"]
    assert error.severity is Severity.ERROR
    assert error.message == (
        f"target `nginx` cannot express the method `{method}`: nginx answers 400 to a request "
        "whose method has a character other than A-Z, `_` and `-`, before any location or "
        "CORS header, so the actual request a preflight grants would fail"
    )
    assert error.help == (
        "name methods with capitals, `_` and `-` only (nginx's clients send `PATCH`, not "
        f"`patch`); or {instead(policy_set)}"
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
    policy_set, diagnostics, files = compile_text(text)
    (error,) = [d for d in diagnostics if d.code == "CORS601"]
    assert error.severity is Severity.ERROR
    assert error.help == instead(policy_set)
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
    policy_set, diagnostics, files = compile_text(text)
    (error,) = [d for d in diagnostics if d.code == "CORS601"]
    assert error.severity is Severity.ERROR
    assert error.message == "target `nginx` cannot express `$` in the name `X-$pid`"
    assert text[error.span.start.offset : error.span.end.offset] == "X-$pid"
    assert error.help == instead(policy_set)
    assert files == []


def test_a_list_nginx_cannot_read_in_one_parameter_is_refused() -> None:
    headers = ", ".join(f"X-Header-Number-{n}" for n in range(300))
    text = f'policy p {{\n  origins "https://a.example.com"\n  headers {headers}\n}}\n'
    policy_set, diagnostics, files = compile_text(text)
    (error,) = [d for d in diagnostics if d.code == "CORS620"]
    assert error.severity is Severity.ERROR
    assert error.message == (
        "the `headers` list would become an nginx parameter over 4000 bytes, which nginx "
        "refuses to read"
    )
    assert text[error.span.start.offset :].startswith("headers X-Header-Number-0")
    assert error.help == f"shorten it or split the policy; or {instead(policy_set)}"
    assert files == []


def test_reflection_is_a_declared_deviation() -> None:
    text = 'policy p {\n  origins "https://a.example.com"\n  methods *\n  headers *\n}\n'
    _, diagnostics, _ = compile_text(text)
    deviations = [d for d in diagnostics if d.code == "CORS602"]
    assert [d.severity for d in deviations] == [Severity.INFO] * 2
    assert [text[d.span.start.offset : d.span.end.offset] for d in deviations] == [
        "methods *",
        "headers *",
    ]
    assert BACKEND.capabilities[Feature.METHODS_ANY].support is Support.DEVIATION
    assert BACKEND.capabilities[Feature.HEADERS_ANY].support is Support.DEVIATION
    # Once per policy, from the capability table: the message is the row's note.
    assert [d.message for d in deviations] == [
        f"target `nginx`: {BACKEND.capabilities[feature].note}"
        for feature in (Feature.METHODS_ANY, Feature.HEADERS_ANY)
    ]
    assert deviations[1].message == (
        "target `nginx`: `headers *` reflects Access-Control-Request-Headers as nginx received "
        "it, not re-joined with `, ` (a browser reads the same list)"
    )
    assert all(
        d.help == "no browser verdict changes; this is listed among the target's declared "
        "deviations"
        for d in deviations
    )


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


def test_path_policies_say_that_nginx_decodes_paths() -> None:
    text = example_text(ROOT / "examples" / "api.cors")
    _, diagnostics, files = compile_text(text)
    (warning,) = [d for d in diagnostics if d.code == "CORS622"]
    assert warning.severity is Severity.INFO
    assert warning.message == (
        "target `nginx`: nginx chooses the location after decoding %XX (%2F included) and "
        "merging slashes; a request such as `//api`, whose path as sent and decoded choose "
        "different policies, is refused by corsc (400) but answered by nginx with the decoded "
        "path's policy"
    )
    assert text[warning.span.start.offset : warning.span.end.offset] == '"/api"'
    assert warning.help == (
        "fine when clients never send such paths; otherwise compile for a middleware target, "
        "where the application chooses the policy (`corsc targets` lists them)"
    )
    assert files
    _, diagnostics, _ = compile_text('policy p { origins "https://a.example.com" }')
    assert "CORS622" not in codes(diagnostics)


def test_path_notes_cite_the_policys_own_path() -> None:
    _, diagnostics, _ = compile_text('policy fonts { paths "/fonts"; origins * }')
    (note,) = [d for d in diagnostics if d.code == "CORS622"]
    assert "a request such as `//fonts`, whose" in note.message
    (layout,) = [d for d in diagnostics if d.code == "CORS604"]
    assert layout.message.endswith("A plain `location /fonts` would also match /fontsx.")
    assert "/api" not in note.message + layout.message + layout.help


def test_a_bad_prefix_is_refused() -> None:
    _, diagnostics, files = compile_text(
        'policy p { origins "https://a.example.com" }', "prefix=Bad-1"
    )
    assert codes(diagnostics) == ["CORS621"] and files == []


def test_unknown_option_values_are_refused() -> None:
    assert validate_options(BACKEND, ["variant=c"])[1]
    assert validate_options(BACKEND, ["hide-upstream=apache"])[1]


# ---- the capability table -------------------------------------------------------------------

#: A policy using each feature (and, apart from the policy around it, little else).
USES = {
    Feature.EXACT_ORIGIN: 'policy p { origins "https://a.example.com" }',
    Feature.SUBDOMAIN_ORIGIN: 'policy p { origins "https://*.example.com" }',
    Feature.PORT_ORIGIN: 'policy p { origins "http://localhost:*" }',
    Feature.REGEX_ORIGIN: 'policy p { origins regex "https://r[0-9]\\\\.example\\\\.net" }',
    Feature.NULL_ORIGIN: 'policy p { origins "null" }',
    Feature.ANY_ORIGIN: "policy p { origins * }",
    Feature.SEVERAL_ORIGINS: 'policy p { origins "https://a.example.com", "https://b.test" }',
    Feature.DENY: 'policy p { origins "https://*.example.com"; deny "https://bad.example.com" }',
    Feature.ORIGIN_BLOCKS: (
        'policy p {\n  origins "https://a.example.com"\n'
        '  origin "https://b.example.com" { max-age 60 }\n}'
    ),
    Feature.UNLISTED_REJECT: 'policy p { origins "https://a.example.com"; unlisted reject }',
    Feature.METHODS_ANY: 'policy p { origins "https://a.example.com"; methods * }',
    Feature.HEADERS_ANY: 'policy p { origins "https://a.example.com"; headers * }',
    Feature.EXPOSE_ANY: 'policy p { origins "https://a.example.com"; expose * }',
    Feature.CREDENTIALS: 'policy p { origins "https://a.example.com"; credentials true }',
    Feature.MAX_AGE: 'policy p { origins "https://a.example.com"; max-age 600 }',
    Feature.PRIVATE_NETWORK: 'policy p { origins "https://a.example.com"; private-network true }',
    Feature.PREFLIGHT_STATUS: 'policy p { origins "https://a.example.com"; preflight-status 200 }',
    Feature.PATHS: (
        'policy a { paths "/api"; origins "https://a.example.com" }\n'
        'policy b { origins "https://b.example.com" }'
    ),
    Feature.SEVERAL_POLICIES: (
        'policy a { paths "/v1"; origins "https://a.example.com" }\n'
        'policy b { paths "/v2"; origins "https://b.example.com" }'
    ),
}


def test_every_feature_has_a_policy_using_it() -> None:
    assert set(USES) == set(Feature)


@pytest.mark.parametrize("feature", list(Feature), ids=lambda feature: feature.name.lower())
def test_check_and_emit_agree_with_the_table(feature: Feature) -> None:
    """A feature the table marks ``no`` is refused (CORS601 at its use) and never emitted; any
    other compiles, a deviation with its row's note as CORS602 (once per policy), an open
    question as CORS603."""
    text = USES[feature]
    policy_set, diagnostics, files = compile_text(text)
    used = [use for use in capabilities.uses(policy_set) if use.feature is feature]
    assert used, f"the policy for {feature.name} does not use it"
    row = BACKEND.capabilities[feature]
    if row.support is Support.NO:
        refused = {d.span for d in diagnostics if d.code == "CORS601"}
        assert refused >= {use.span for use in used}
        assert files == []
        return
    assert not fails(diagnostics), diagnostics
    assert files
    noted = [d for d in diagnostics if d.code in ("CORS602", "CORS603") and row.note in d.message]
    if row.support is Support.DEVIATION:
        assert [(d.code, d.message, d.span) for d in noted] == [
            ("CORS602", f"target `nginx`: {row.note}", used[0].span)
        ]
    elif row.support is Support.UNDOCUMENTED:
        assert [(d.code, d.span) for d in noted] == [("CORS603", used[0].span)]
    else:
        assert not [d for d in diagnostics if d.code in ("CORS602", "CORS603")]


def test_the_table_s_deviations_are_notes_that_say_what_differs() -> None:
    for feature, row in BACKEND.capabilities.items():
        if row.support in (Support.DEVIATION, Support.UNDOCUMENTED):
            assert len(row.note) > 40, feature
    # Plain declared differences: the support of each feature is the table's, not a row here.
    for deviation in BACKEND.deviations:
        assert "(yes)" not in deviation and "(no)" not in deviation
        assert "(deviation)" not in deviation, deviation


# ---- the docs page's table is `corsc targets`' ----------------------------------------------

DOCS = ROOT / "docs" / "nginx.md"


def test_the_docs_table_is_corsc_targets(capsys: pytest.CaptureFixture[str]) -> None:
    check_docs_table("nginx", DOCS, capsys)
