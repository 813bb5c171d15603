"""corsc.lower: how a policy is put together — origin blocks, statements where they belong,
`deny`, policy names and static mode.

Ranges are ``(line, column, end line, end column)``, 1-based, the end exclusive.
"""

from __future__ import annotations

import pytest

from tests.loading import first_policy, found, run, where

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


def test_deny_star_is_refused() -> None:
    text = 'policy api {\n  origins "https://a.example"\n  deny *\n}\n'
    (item,) = found(text, "CORS514")
    assert item.message == "`deny *` denies every origin"
    assert first_policy(text).denies == ()


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
