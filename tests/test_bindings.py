"""corsc.bindings: `let` names, `--set` overrides and how their values expand — what reaches
the IR through a name, and what expansion reports.

Ranges are ``(line, column, end line, end column)``, 1-based, the end exclusive.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from corsc.bindings import parse_override
from corsc.diagnostics import Severity
from corsc.ir import PatternKind
from tests.loading import first_policy, found, origins_of, run, where


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
