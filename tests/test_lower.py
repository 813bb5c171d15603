"""corsc.lower: names and overrides, canonical origins, durations, defaults, origin blocks,
paths and static mode — the IR a policy lowers to, and what lowering reports.

Ranges are ``(line, column, end line, end column)``, 1-based, the end exclusive.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from corsc.bindings import parse_override
from corsc.diagnostics import Diagnostic, Severity
from corsc.frontend import Loaded, load
from corsc.ir import PatternKind, Policy, Unlisted
from corsc.source import Source, Span


def run(text: str, *overrides: str) -> Loaded:
    return load(Source("api.cors", text), overrides)


def first_policy(text: str, *overrides: str) -> Policy:
    loaded = run(text, *overrides)
    assert loaded.policy_set is not None
    return loaded.policy_set.policies[0]


def where(span: Span) -> tuple[int, int, int, int]:
    return (span.start.line, span.start.column, span.end.line, span.end.column)


def found(text: str, code: str, *overrides: str) -> list[Diagnostic]:
    return [item for item in run(text, *overrides).diagnostics if item.code == code]


def origins_of(policy: Policy) -> list[str]:
    return [entry.pattern.canonical for entry in policy.entries]


# ---- let and --set -------------------------------------------------------------------------


def test_let_bindings_are_order_independent_and_expand_in_place() -> None:
    text = (
        "policy api {\n"
        '  origins "https://app.example.com", partners\n'
        "  methods writes\n"
        "}\n"
        'let partners = "https://a.example", more\n'
        'let more = "https://b.example"\n'
        "let writes = PUT, DELETE\n"
    )
    loaded = run(text)
    assert loaded.diagnostics == ()
    assert loaded.policy_set is not None
    api = loaded.policy_set.policies[0]
    assert origins_of(api) == [
        "https://app.example.com",
        "https://a.example",
        "https://b.example",
    ]
    # An expanded value keeps the span where it was written: in the `let`.
    assert where(api.entries[1].span) == (5, 16, 5, 35)
    assert [token.value for token in api.grant.methods.value.items] == ["PUT", "DELETE"]


def test_set_replaces_a_binding() -> None:
    text = 'let partners = "https://old.example"\npolicy api {\n  origins partners\n}\n'
    loaded = run(text, "partners=https://a.example,https://b.example")
    assert loaded.diagnostics == ()
    assert loaded.policy_set is not None
    api = loaded.policy_set.policies[0]
    assert origins_of(api) == ["https://a.example", "https://b.example"]
    spans = [entry.span for entry in api.entries]
    assert [span.file for span in spans] == ["<--set #1>", "<--set #1>"]
    assert [where(span) for span in spans] == [(1, 10, 1, 27), (1, 28, 1, 45)]
    assert loaded.sources["<--set #1>"].text == "partners=https://a.example,https://b.example"


def test_set_with_star_and_regex() -> None:
    text = 'let allowed = "https://old.example"\npolicy api {\n  origins allowed\n}\n'
    assert first_policy(text, "allowed=*").entries[0].pattern.kind is PatternKind.ANY
    pattern = first_policy(text, r"allowed=regex:^https://pr-\d+\.example\.com$").entries[0]
    assert pattern.pattern.kind is PatternKind.REGEX
    assert pattern.pattern.regex == r"https://pr-\d+\.example\.com"


def test_set_values_are_canonicalised_too() -> None:
    text = 'let allowed = "https://old.example"\npolicy api {\n  origins allowed\n}\n'
    (item,) = found(text, "CORS102", "allowed=https://A.example:443")
    assert item.span.file == "<--set #1>"
    assert where(item.span) == (1, 9, 1, 30)
    assert origins_of(first_policy(text, "allowed=https://A.example:443")) == ["https://a.example"]


def test_set_naming_no_binding() -> None:
    text = 'let partners = "https://a.example"\npolicy api {\n  origins partners\n}\n'
    (item,) = found(text, "CORS011", "partner=https://b.example")
    assert item.severity is Severity.ERROR
    assert item.message == "`--set partner` names no `let` binding in api.cors"
    assert item.help == "did you mean `partners`?"
    assert where(item.span) == (1, 1, 1, 8)


def test_malformed_set() -> None:
    (item,) = found("policy api {\n  origins *\n}\n", "CORS011", "partners")
    assert item.message == "`--set partners` is not NAME=VALUE[,VALUE…]"
    assert item.span.file == "<--set #1>"


#: A policy using one binding in every list statement, with the binding's file value.
BINDING_USES = {
    "paths": ('"/api"', "paths b"),
    "origins": ('"https://a.example"', "origins b"),
    "deny": ('"https://x.example"', 'origins "https://*.example"\n  deny b'),
    "methods": ("PUT", 'origins "https://a.example"\n  methods b'),
    "headers": ("X-Token", 'origins "https://a.example"\n  headers b'),
    "expose": ("X-Total", 'origins "https://a.example"\n  expose b'),
    "block": ("PUT", 'origins "https://a.example"\n  origin "https://c.example" { methods b }'),
}


def binding_policy(statement: str) -> str:
    value, body = BINDING_USES[statement]
    origins = "" if "origins" in body else '\n  origins "https://a.example"'
    return f"let b = {value}\npolicy api {{{origins}\n  {body}\n}}\n"


@pytest.mark.parametrize("statement", sorted(BINDING_USES))
@pytest.mark.parametrize("empty", ["b=", "b= ", "b=,", "b= , ,", "b=\t"])
def test_an_empty_set_is_an_error_for_every_statement(statement: str, empty: str) -> None:
    text = binding_policy(statement)
    assert not run(text).has_errors  # the file itself is fine
    loaded = run(text, empty)
    (item,) = [item for item in loaded.diagnostics if item.severity is Severity.ERROR]
    assert item.code == "CORS011"
    assert item.message == "`--set b=` gives the binding no value"
    assert item.help == (
        "give at least one value; to change what the policy means without it, edit the policy "
        "(an empty list is never a default)"
    )
    assert item.span.file == "<--set #1>"


@pytest.mark.parametrize("statement", sorted(BINDING_USES))
def test_an_empty_let_is_an_error_for_every_statement(statement: str) -> None:
    text = binding_policy(statement).replace(f"let b = {BINDING_USES[statement][0]}", "let b =")
    loaded = run(text)
    assert loaded.has_errors
    assert {item.code for item in loaded.diagnostics} & {"CORS001"}


def test_an_empty_set_never_makes_a_path_scoped_policy_global() -> None:
    text = 'let scoped = "/admin"\npolicy api {\n  paths scoped\n  origins *\n}\n'
    assert first_policy(text).paths[0].text == "/admin"
    assert run(text, "scoped=").has_errors


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a.example", [("string", "a.example")]),
        (
            "https://a.example,https://b.example",
            [("string", "https://a.example"), ("string", "https://b.example")],
        ),
        (" https://a.example , * ,", [("string", "https://a.example"), ("star", "*")]),
        (r"regex:^https://a{1,3}\.example$", [("regex", r"^https://a{1,3}\.example$")]),
        (
            r"regex:^https://(a|b,c)\.x$,https://d.x",
            [("regex", r"^https://(a|b,c)\.x$"), ("string", "https://d.x")],
        ),
        (r"regex:^https://[a,b]+\.x$", [("regex", r"^https://[a,b]+\.x$")]),
        (r"regex:^https://[{(]\.x$,y", [("regex", r"^https://[{(]\.x$"), ("string", "y")]),
        (r'regex:"^https://a{1,3}\.x$"', [("regex", r"^https://a{1,3}\.x$")]),
        (
            '"https://a.example","https://b.example"',
            [("string", "https://a.example"), ("string", "https://b.example")],
        ),
        ('"a,b",c', [("string", "a,b"), ("string", "c")]),
        (r'"a\"b,c"', [("string", 'a"b,c')]),
        (r"a\,b,c", [("string", r"a\,b"), ("string", "c")]),
        ("regex:a{1,2},regex:b{3,4}", [("regex", "a{1,2}"), ("regex", "b{3,4}")]),
    ],
)
def test_set_splits_at_commas_outside_quotes_and_brackets(value: str, expected) -> None:
    override, problems = parse_override(f"b={value}")
    assert problems == []
    assert override is not None
    assert [(item.form, item.text) for item in override.values] == expected
    for item in override.values:  # each span covers what was written for it
        start, end = item.span.start.offset, item.span.end.offset
        assert f"b={value}"[start:end].strip() == f"b={value}"[start:end]


@pytest.mark.parametrize(
    ("value", "opener", "column"),
    [("regex:a{1,3", "{", 10), ('"https://a.example', '"', 3), ("x,(y", "(", 5), ("[a,b", "[", 3)],
)
def test_set_with_an_unclosed_quote_or_bracket(value: str, opener: str, column: int) -> None:
    override, (problem,) = parse_override(f"b={value}")
    assert override is None
    assert problem.code == "CORS011"
    assert problem.message == f"`--set b` has an unclosed `{opener}`"
    assert problem.span.start.column == column


def test_a_regex_with_commas_is_writable_with_set() -> None:
    text = 'let allowed = "https://old.example"\npolicy api {\n  origins allowed\n}\n'
    entry = first_policy(text, r"allowed=regex:^https://pr-[0-9]{1,3}\.example\.com$").entries[0]
    assert entry.pattern.kind is PatternKind.REGEX
    assert entry.pattern.regex == r"https://pr-[0-9]{1,3}\.example\.com"


@given(
    st.lists(
        st.sampled_from(["https://a.example", "*", "regex:^https://a{1,3}\\.x$", '"q,uoted"', "b"]),
        min_size=1,
        max_size=6,
    )
)
def test_set_round_trips_a_list_joined_with_commas(items: list[str]) -> None:
    override, problems = parse_override("b=" + ",".join(items))
    assert problems == [] and override is not None
    assert len(override.values) == len(items)


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_a_long_chain_of_bindings_resolves_without_recursion(depth: int) -> None:
    chain = "".join(f"let b{i} = b{i + 1}\n" for i in range(depth))
    text = f'{chain}let b{depth} = "https://a.example"\npolicy api {{\n  origins b0\n}}\n'
    loaded = run(text)
    assert not loaded.has_errors, loaded.diagnostics[:3]
    assert loaded.policy_set is not None
    assert origins_of(loaded.policy_set.policies[0]) == ["https://a.example"]


def test_a_long_cycle_is_reported_without_recursion() -> None:
    depth = 5_000
    chain = "".join(f"let b{i} = b{(i + 1) % depth}\n" for i in range(depth))
    (item,) = found(f"{chain}policy api {{\n  origins b0\n}}\n", "CORS506")
    assert item.message.startswith("`let` bindings refer to each other in a cycle: b0 → b1 → ")
    assert item.message.endswith(f" → b{depth - 1} → b0")


def test_bindings_that_double_at_every_level_are_bounded() -> None:
    levels = "".join(f"let b{i} = b{i + 1}, b{i + 1}\n" for i in range(40))
    text = f'{levels}let b40 = "https://a.example"\npolicy api {{\n  origins b0\n}}\n'
    (item,) = found(text, "CORS518")
    assert item.message == (
        "the lists of this file expand to more than 1,000,000 values here: its `let` bindings "
        "list one another over and over"
    )


def test_undefined_name_suggests_the_closest_binding() -> None:
    text = 'let partners = "https://a.example"\npolicy api {\n  origins partner\n}\n'
    (item,) = found(text, "CORS505")
    assert where(item.span) == (3, 11, 3, 18)
    assert item.message == "`partner` is not defined"
    assert item.help == (
        'did you mean `partners`? origins are written in quotes: "https://partner"'
    )


def test_undefined_name_without_a_close_binding() -> None:
    (item,) = found("policy api {\n  origins example\n}\n", "CORS505")
    assert item.help == 'define it with `let`, or origins are written in quotes: "https://example"'


def test_cyclic_bindings() -> None:
    text = "let a = b\nlet b = a\npolicy api {\n  origins a\n}\n"
    (item,) = found(text, "CORS506")
    assert item.message == "`let` bindings refer to each other in a cycle: a → b → a"
    assert where(item.span) == (2, 9, 2, 10)


def test_a_binding_that_lists_itself() -> None:
    text = 'let a = a, "https://x.example"\npolicy api {\n  origins a\n}\n'
    (item,) = found(text, "CORS506")
    assert item.message == "`let` bindings refer to each other in a cycle: a → a"
    assert origins_of(first_policy(text)) == ["https://x.example"]


def test_binding_used_as_two_kinds() -> None:
    text = (
        "let names = X-A, X-B\n"
        'policy api {\n  origins "https://a.example"\n  methods names\n  headers names\n}\n'
    )
    (item,) = found(text, "CORS507")
    assert where(item.span) == (5, 11, 5, 16)
    assert item.message == (
        "`names` is used here as a list of header names but elsewhere as a list of method names"
    )
    assert where(item.related[0].span) == (4, 11, 4, 16)


def test_binding_kind_conflict_is_reported_at_the_later_use() -> None:
    text = 'let a = "https://x.example"\npolicy api {\n  origins a\n  methods a\n}\n'
    loaded = run(text)
    assert [item.code for item in loaded.diagnostics] == ["CORS507"]
    assert where(loaded.diagnostics[0].span) == (4, 11, 4, 12)


def test_duplicate_and_unused_bindings() -> None:
    text = 'let a = "https://a.example"\nlet a = "https://b.example"\nlet b = PUT\n'
    text += "policy api {\n  origins a\n}\n"
    loaded = run(text)
    assert [(item.code, where(item.span)) for item in loaded.diagnostics] == [
        ("CORS516", (2, 5, 2, 6)),
        ("CORS515", (3, 5, 3, 6)),
    ]
    assert loaded.policy_set is not None
    assert origins_of(loaded.policy_set.policies[0]) == ["https://a.example"]


# ---- origins -------------------------------------------------------------------------------


PUNYCODE = "browsers send international host names in punycode"
LOWERCASE = "browsers send scheme and host in lowercase"
DEFAULT_PORT = "browsers never send the default port "


@pytest.mark.parametrize(
    ("written", "canonical", "why"),
    [
        ("https://faß.de", "https://xn--fa-hia.de", PUNYCODE),
        ("https://élève.example", "https://xn--lve-6lad.example", PUNYCODE),
        ("HTTPS://App.Example.COM", "https://app.example.com", LOWERCASE),
        ("https://app.example.com:443", "https://app.example.com", DEFAULT_PORT + "443"),
        ("http://app.example.com:80", "http://app.example.com", DEFAULT_PORT + "80"),
        ("https://[0:0::1]:8443", "https://[::1]:8443", "browsers send it in another form"),
    ],
)
def test_origins_are_canonicalised_with_a_fix(written: str, canonical: str, why: str) -> None:
    text = f'policy api {{\n  origins "{written}"\n}}\n'
    assert origins_of(first_policy(text)) == [canonical]
    (item,) = found(text, "CORS102")
    assert item.severity is Severity.WARNING
    assert where(item.span) == (2, 11, 2, 13 + len(written))
    assert item.message == f'"{written}" is not how browsers send this origin: {why}'
    (fix,) = item.fixes
    assert [edit.new_text for edit in fix.edits] == [f'"{canonical}"']


def test_canonical_origins_and_patterns() -> None:
    text = (
        "policy api {\n"
        '  origins "https://a.example:8443", "https://*.example.com", "http://localhost:*",\n'
        '    "https://*.example.org:*", "null", *\n'
        "}\n"
    )
    api = first_policy(text)
    assert [(entry.pattern.kind, entry.pattern.canonical) for entry in api.entries] == [
        (PatternKind.EXACT, "https://a.example:8443"),
        (PatternKind.SUBDOMAIN, "https://*.example.com"),
        (PatternKind.PORT, "http://localhost:*"),
        (PatternKind.SUBDOMAIN, "https://*.example.org:*"),
        (PatternKind.NULL, "null"),
        (PatternKind.ANY, "*"),
    ]
    assert api.entries[0].pattern.port == 8443
    assert api.entries[1].pattern.host == "example.com"


@pytest.mark.parametrize(
    ("written", "code", "message"),
    [
        ("https://a.example/", "CORS101", "{} ends with `/`; an origin never does"),
        (
            "https://a.example/x",
            "CORS101",
            "{} has a path; an origin is only scheme, host and port",
        ),
        ("a.example", "CORS101", "{} has no scheme"),
        ("ftp://a.example", "CORS101", "unsupported scheme `ftp` in an origin"),
        ("https://u@a.example", "CORS101", "{} has user information (`…@`); an origin never does"),
        ("https://a.example:99999", "CORS101", "port 99999 is out of range"),
        ("https://a.*.example", "CORS103", "`*` in {} is not a whole leading label"),
    ],
)
def test_what_is_not_an_origin(written: str, code: str, message: str) -> None:
    text = f'policy api {{\n  origins "https://ok.example", "{written}"\n}}\n'
    (item,) = found(text, code)
    assert item.severity is Severity.ERROR
    assert item.message == message.format(f'"{written}"')
    assert where(item.span) == (2, 33, 2, 35 + len(written))
    assert origins_of(first_policy(text)) == ["https://ok.example"]


def test_deny_star_is_refused() -> None:
    text = 'policy api {\n  origins "https://a.example"\n  deny *\n}\n'
    (item,) = found(text, "CORS514")
    assert item.message == "`deny *` denies every origin"
    assert first_policy(text).denies == ()


def test_regex_anchors_are_stripped_from_the_body() -> None:
    text = 'policy api {\n  origins regex "^https://a\\.example\\.com$", regex "b\\$"\n}\n'
    bodies = [entry.pattern.regex for entry in first_policy(text).entries]
    assert bodies == [r"https://a\.example\.com", r"b\$"]


# ---- durations and defaults ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "seconds"),
    [("0", 0), ("90", 90), ("45s", 45), ("10m", 600), ("2h", 7200), ("1d", 86400)],
)
def test_durations(written: str, seconds: int) -> None:
    text = f"policy api {{\n  origins *\n  max-age {written}\n}}\n"
    setting = first_policy(text).grant.max_age
    assert (setting.value, setting.written) == (seconds, True)
    assert where(setting.span) == (3, 3, 3, 11 + len(written))


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("1.5h", "expected a duration, found `1.5h`"),
        ("5w", "expected a duration, found `5w`"),
        ("-5", "max-age cannot be negative: -5"),
        ('"10m"', 'expected a duration, found "10m"'),
    ],
)
def test_invalid_durations(written: str, message: str) -> None:
    text = f"policy api {{\n  origins *\n  max-age {written}\n}}\n"
    (item,) = found(text, "CORS401")
    assert item.message == message
    assert where(item.span) == (3, 11, 3, 11 + len(written))
    assert first_policy(text).grant.max_age.value is None


def test_defaults_point_at_the_policy_name() -> None:
    api = first_policy('policy api {\n  origins "https://a.example"\n}\n')
    grant = api.grant
    name = (1, 8, 1, 11)
    assert [token.value for token in grant.methods.value.items] == ["GET", "HEAD", "POST"]
    for setting in (
        grant.methods,
        grant.headers,
        grant.expose,
        grant.credentials,
        grant.max_age,
        grant.private_network,
        api.unlisted,
        api.preflight_status,
    ):
        assert not setting.written
        assert where(setting.span) == name
    assert grant.headers.value.items == () and not grant.headers.value.wildcard
    assert grant.expose.value.items == ()
    assert grant.credentials.value is False
    assert grant.max_age.value is None
    assert grant.private_network.value is False
    assert api.unlisted.value is Unlisted.PASS
    assert api.preflight_status.value == 204
    assert api.paths == () and api.is_fallback


def test_written_settings() -> None:
    text = (
        "policy api {\n"
        "  origins *\n"
        "  headers *\n"
        "  expose X-Id\n"
        "  unlisted reject\n"
        "  preflight-status 200\n"
        "}\n"
    )
    api = first_policy(text)
    assert api.grant.headers.value.wildcard and api.grant.headers.written
    assert [token.value for token in api.grant.expose.value.items] == ["X-Id"]
    assert api.unlisted.value is Unlisted.REJECT
    assert api.preflight_status.value == 200


def test_star_must_stand_alone() -> None:
    (item,) = found("policy api {\n  origins *\n  methods GET, *\n}\n", "CORS006")
    assert item.message == "`*` must stand alone in its list"
    assert where(item.span) == (3, 16, 3, 17)


def test_invalid_preflight_status() -> None:
    (item,) = found("policy api {\n  origins *\n  preflight-status 201\n}\n", "CORS408")
    assert item.message == "the preflight status must be 200 or 204, found `201`"


# ---- origin blocks -------------------------------------------------------------------------


def test_origin_blocks_override_the_policy_and_keep_source_order() -> None:
    text = (
        "policy api {\n"
        '  origin "https://b.example" { methods PATCH }\n'
        '  origins "https://a.example", "https://c.example"\n'
        "  methods PUT\n"
        "  credentials true\n"
        "  max-age 10m\n"
        '  origin "https://d.example" {\n'
        "    credentials false\n"
        "    max-age 1m\n"
        "  }\n"
        "}\n"
    )
    api = first_policy(text)
    assert [(entry.pattern.canonical, entry.block) for entry in api.entries] == [
        ("https://b.example", True),
        ("https://a.example", False),
        ("https://c.example", False),
        ("https://d.example", True),
    ]
    b, a, _, d = api.entries
    assert a.grant == api.grant
    assert [token.value for token in b.grant.methods.value.items] == ["PATCH"]
    assert b.grant.credentials == api.grant.credentials  # inherited, with the policy's span
    assert where(b.grant.credentials.span) == (5, 3, 5, 19)
    assert (d.grant.credentials.value, d.grant.max_age.value) == (False, 60)
    assert [token.value for token in d.grant.methods.value.items] == ["PUT"]
    # A block's span is its header; its pattern's span the origin itself.
    assert where(b.span) == (2, 3, 2, 29)
    assert where(b.pattern.span) == (2, 10, 2, 29)


def test_statements_an_origin_block_cannot_hold() -> None:
    text = (
        "policy api {\n"
        "  origins *\n"
        '  origin "https://a.example" {\n'
        '    paths "/x"\n'
        '    origin "https://b.example" { methods GET }\n'
        "  }\n"
        "  origin * { methods GET }\n"
        "}\n"
    )
    assert [(item.code, where(item.span), item.message) for item in run(text).diagnostics] == [
        ("CORS514", (4, 5, 4, 10), "`paths` cannot be set inside an `origin` block"),
        ("CORS514", (5, 12, 5, 31), "an `origin` block cannot be nested in another"),
        ("CORS514", (7, 10, 7, 11), "an `origin` block needs a pattern, not `*`"),
    ]


def test_duplicate_and_unknown_statements() -> None:
    text = "policy api {\n  origins *\n  methods GET\n  methods PUT\n  method GET\n}\n"
    items = [item for item in run(text).diagnostics if item.code in {"CORS501", "CORS005"}]
    assert [(item.code, where(item.span), item.help) for item in items] == [
        ("CORS501", (4, 3, 4, 10), "merge the two `methods` statements into one"),
        ("CORS005", (5, 3, 5, 9), "did you mean `methods`?"),
    ]
    # The first statement stands.
    assert [token.value for token in first_policy(text).grant.methods.value.items] == ["GET"]


def test_invalid_policy_name() -> None:
    (item,) = found("policy Api {\n  origins *\n}\n", "CORS007")
    assert item.message == "`Api` is not a valid policy name"
    assert item.help == (
        "names are lowercase letters, digits and `_`, starting with a letter: `api`"
    )


# ---- paths ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("/api", "/api"),
        ("/api/", "/api"),
        ("/", "/"),
        ("/v2/./x/../y", "/v2/y"),
        ("/a/..", "/"),
        ("/files%2Fraw", "/files%2Fraw"),  # never decoded
        ("/API", "/API"),  # case is kept
    ],
)
def test_paths_are_normalised(written: str, normalised: str) -> None:
    (prefix,) = first_policy(f'policy api {{\n  paths "{written}"\n  origins *\n}}\n').paths
    assert (prefix.value, prefix.text) == (normalised, written)


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ('"api"', '"api" is not a path prefix'),
        ('"/a b"', '"/a b" contains spaces or control characters'),
        (
            '"/admin#x"',
            '"/admin#x" holds a fragment (`#`): paths are matched without their query or fragment',
        ),
        (
            '"/b?y=1"',
            '"/b?y=1" holds a query (`?`): paths are matched without their query or fragment',
        ),
        ('"/?"', '"/?" holds a query (`?`): paths are matched without their query or fragment'),
        (
            '"/a#b?c"',
            '"/a#b?c" holds a fragment (`#`): paths are matched without their query or fragment',
        ),
    ],
)
def test_invalid_paths(written: str, message: str) -> None:
    text = f"policy api {{\n  paths {written}\n  origins *\n}}\n"
    (item,) = found(text, "CORS513")
    assert item.message == message
    assert where(item.span) == (2, 9, 2, 9 + len(written))
    assert first_policy(text).paths == ()


def test_a_query_in_a_path_says_how_to_write_it() -> None:
    (item,) = found('policy api {\n  paths "/admin#x"\n  origins *\n}\n', "CORS513")
    assert (
        item.help == 'write the path alone ("/admin"), or `%23` for a `#` that is part of the path'
    )


# ---- static mode ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("statements", "static"),
    [
        ("origins *", "*"),
        ("origins *; credentials true", None),
        ('origins "https://a.example"', "https://a.example"),
        ('origins "https://a.example"; credentials true', "https://a.example"),
        ('origins "https://a.example", "https://b.example"', None),
        ('origins "https://a.example"; unlisted reject', None),
        ('origins "https://a.example"; deny "https://b.example"', None),
        ('origins "https://*.a.example"', None),
        ('origin "https://a.example" { methods GET }', None),
    ],
)
def test_static_origin(statements: str, static: str | None) -> None:
    assert first_policy(f"policy api {{ {statements} }}").static_origin == static
