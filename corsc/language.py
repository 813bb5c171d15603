"""The words of the policy language: its statements, keywords, names and separators.

One table, :data:`STATEMENT_RULES`, says for each statement what it takes and whether an
``origin`` block may set it; the parser's messages, lowering and the checks of where a
statement may stand read it from there. ``grammar/cors.lark`` spells the same statement names
as terminals (tests hold the two together).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from attrs import frozen

from corsc import diagnostics as d
from corsc.records import fields_repr
from corsc.source import Span

#: What the values of a list statement name.
ValueKind = Literal["origin", "method", "header", "path"]

#: A value kind in words, plural: "a list of header names".
KIND_WORDS: dict[ValueKind, str] = {
    "origin": "origins",
    "method": "method names",
    "header": "header names",
    "path": "paths",
}


@frozen
class StatementRule:
    """One statement of a policy block (README: Statements).

    ``takes`` says what follows the statement's name, in words ("expected ``takes`` after
    `methods`"); ``example`` is such a value as a person writes it. ``kind`` is what the values
    of a list statement name, and ``None`` for a statement of one value. ``in_origin_block`` is
    true for the statements an ``origin`` block may override."""

    __repr__ = fields_repr

    name: str
    takes: str
    example: str
    kind: ValueKind | None
    in_origin_block: bool


#: Every statement, in the order the README's statement table lists them.
STATEMENT_RULES = (
    StatementRule("paths", 'a path in quotes such as "/api"', '"/api"', "path", False),
    StatementRule(
        "origins",
        "an origin in quotes, a `let` name or `*`",
        '"https://app.example.com"',
        "origin",
        False,
    ),
    StatementRule(
        "deny", "an origin in quotes or a `let` name", '"https://old.example.com"', "origin", False
    ),
    StatementRule("methods", "a method name or `*`", "GET, POST", "method", True),
    StatementRule("headers", "a header name or `*`", "Content-Type", "header", True),
    StatementRule("expose", "a header name or `*`", "X-Request-Id", "header", True),
    StatementRule("credentials", "`true` or `false`", "true", None, True),
    StatementRule("max-age", "a duration such as `600`, `10m` or `2h`", "10m", None, True),
    StatementRule("private-network", "`true` or `false`", "false", None, True),
    StatementRule("unlisted", "`pass` or `reject`", "reject", None, False),
    StatementRule("preflight-status", "`200` or `204`", "204", None, False),
)

#: Statement names, in the README's order.
STATEMENTS = tuple(rule.name for rule in STATEMENT_RULES)

#: What an ``origin`` block may override, in the README's order.
BLOCK_STATEMENTS = tuple(rule.name for rule in STATEMENT_RULES if rule.in_origin_block)

#: The list statements, with what their values name.
KIND_OF_STATEMENT: dict[str, ValueKind] = {
    rule.name: rule.kind for rule in STATEMENT_RULES if rule.kind is not None
}

#: Words that begin a statement or a block: after a trailing comma and a newline, one of these
#: ends the list (anything else continues it, ``regex "…"`` included).
STATEMENT_STARTS = frozenset({*STATEMENTS, "let", "policy", "origin"})

#: Reserved words: a value spelled like one must be quoted.
KEYWORDS = STATEMENT_STARTS | {"regex"}

#: The grammar's terminal for each keyword (Lark names a keyword's terminal by upper-casing
#: it; the grammar names those with a `-` itself, with `_` in its place).
KEYWORD_TERMINALS = frozenset(word.upper().replace("-", "_") for word in KEYWORDS)

#: The grammar's statement separators (a newline, `;`), and the terminals a value starts with.
SEPARATOR_TERMINALS = frozenset({"_NL", "SEMICOLON"})
VALUE_TERMINALS = frozenset({"WORD", "STRING", "STAR", "REGEX"})

#: Policy and ``let`` names. The grammar reads any word in their place; lowering holds them
#: to this (:func:`name_problem`).
NAME_RE = re.compile(r"[a-z][a-z0-9_]*")


def name_problem(what: str, name: str, span: Span) -> d.Diagnostic | None:
    """CORS007 for a ``what`` (``policy``, ``binding``) name that :data:`NAME_RE` refuses,
    suggesting the nearest valid name; ``None`` for a valid name."""
    if NAME_RE.fullmatch(name):
        return None
    suggestion = re.sub(r"[^a-z0-9_]", "_", name.lower())
    if not suggestion[:1].isalpha():
        suggestion = "p_" + suggestion
    return d.INVALID_NAME.at(
        span,
        f"`{name}` is not a valid {what} name",
        f"names are lowercase letters, digits and `_`, starting with a letter: `{suggestion}`",
    )


def did_you_mean(word: str, choices: Sequence[str]) -> str:
    """``"did you mean `x`?"`` for the closest choice, or an empty string."""
    import difflib  # only a misspelt name needs it: a clean compile starts without it

    matches = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"did you mean `{matches[0]}`?" if matches else ""
