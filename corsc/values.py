"""Written values → IR values: origin patterns, path prefixes, name lists, durations, the
settings of one value, and the defaults of what is not written.

Each function lowers one value or statement (a list statement's values already expanded by
:mod:`corsc.bindings`). What cannot be represented is appended to ``report`` and left out, so
lowering goes on with the rest and one run reports every problem.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import TypeVar

from corsc import diagnostics as d
from corsc import origins
from corsc.http import SAFELISTED_METHODS
from corsc.ir import Grant, OriginPattern, PathPrefix, PatternKind, Setting, TokenList, Unlisted
from corsc.ir import Token as NameToken
from corsc.language import KIND_OF_STATEMENT, KIND_WORDS
from corsc.paths import normalize_prefix
from corsc.source import Span
from corsc.syntax import Statement, Value

DURATION_RE = re.compile(r"([0-9]+)([smhd]?)")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}

_T = TypeVar("_T")


def origin_pattern(value: Value, report: list[d.Diagnostic]) -> OriginPattern | None:
    """The pattern a string, regex or ``*`` stands for (a word is a name, which
    :mod:`corsc.bindings` resolves or reports); ``None`` if it is none. A spelling browsers
    never send is canonicalised, with a warning and its fix."""
    assert value.form != "word"
    if value.form == "star" or (value.form == "string" and value.text == "*"):
        return OriginPattern(PatternKind.ANY, "*", value.span)
    if value.form == "regex":
        return origins.regex_pattern(value.text, value.span)
    parsed = origins.parse_pattern(value.text, value.span)
    if parsed.problem is not None:
        kind = (
            d.WILDCARD_NOT_LEADING_LABEL
            if parsed.problem.code == "wildcard-not-leading-label"
            else d.NOT_AN_ORIGIN
        )
        report.append(kind.at(value.span, parsed.problem.message, parsed.problem.help))
        return None
    if parsed.canonical_text is not None:
        fix_text = f'"{parsed.canonical_text}"'
        report.append(
            d.ORIGIN_NOT_CANONICAL.at(
                value.span,
                f'"{value.text}" is not how browsers send this origin: {parsed.why_not_canonical}',
                f"write {fix_text}; it is compared byte for byte",
                fixes=[d.Fix(f"write {fix_text}", (d.TextEdit(value.span, fix_text),))],
            )
        )
    return parsed.pattern


def path_prefixes(values: Iterable[Value], report: list[d.Diagnostic]) -> tuple[PathPrefix, ...]:
    """The prefixes of a ``paths`` statement: absolute, printable, without query or fragment,
    normalised (README: Paths)."""
    result = []
    for value in values:
        if value.form != "string" or not value.text.startswith("/"):
            shown = value.text if value.form != "string" else f'"{value.text}"'
            report.append(
                d.INVALID_PATH.at(
                    value.span,
                    f"{shown} is not a path prefix",
                    'write an absolute path in quotes, such as "/api"; leave `paths` out '
                    "for a policy that covers every path",
                )
            )
            continue
        if any(char.isspace() or not char.isprintable() for char in value.text):
            report.append(
                d.INVALID_PATH.at(
                    value.span,
                    f'"{value.text}" contains spaces or control characters',
                    "write the path as it appears in requests, percent-encoded",
                )
            )
            continue
        cut = next((char for char in value.text if char in "?#"), None)
        if cut is not None:
            # The request's path ends where its query or fragment starts: such a prefix
            # would silently govern the shorter path before the `?` or `#`.
            part = "query" if cut == "?" else "fragment"
            before = value.text.split(cut, 1)[0] or "/"
            report.append(
                d.INVALID_PATH.at(
                    value.span,
                    f'"{value.text}" holds a {part} (`{cut}`): paths are matched without '
                    "their query or fragment",
                    f'write the path alone ("{before}"), or `%{ord(cut):02X}` for a `{cut}` '
                    "that is part of the path",
                )
            )
            continue
        result.append(PathPrefix(normalize_prefix(value.text), value.text, value.span))
    return tuple(result)


def grant(
    statements: Mapping[str, Statement],
    values_of: Callable[[Statement], list[Value]],
    base: Grant | None,
    default_span: Span,
    report: list[d.Diagnostic],
) -> Grant:
    """What a policy (``base`` is ``None``) or an ``origin`` block grants: each setting as
    written in ``statements``, else the policy's (``base``), else its default, not written,
    at ``default_span``. ``values_of`` gives a list statement's expanded values."""
    inherited = base if base is not None else _default_grant(default_span)

    def names(statement: Statement, report: list[d.Diagnostic]) -> Setting[TokenList]:
        return token_list(statement, values_of(statement), report)

    def setting(
        name: str,
        build: Callable[[Statement, list[d.Diagnostic]], Setting[_T]],
        other: Setting[_T],
    ) -> Setting[_T]:
        statement = statements.get(name)
        return other if statement is None else build(statement, report)

    return Grant(
        methods=setting("methods", names, inherited.methods),
        headers=setting("headers", names, inherited.headers),
        expose=setting("expose", names, inherited.expose),
        credentials=setting("credentials", boolean, inherited.credentials),
        max_age=setting("max-age", max_age, inherited.max_age),
        private_network=setting("private-network", boolean, inherited.private_network),
    )


def _default_grant(span: Span) -> Grant:
    """What a policy grants where it writes nothing: the safelisted methods, no headers, no
    credentials, no max-age, no private network; each setting at ``span``, not written."""
    return Grant(
        methods=Setting(
            TokenList(tuple(NameToken(method, span) for method in SAFELISTED_METHODS)), span, False
        ),
        headers=Setting(TokenList(), span, False),
        expose=Setting(TokenList(), span, False),
        credentials=Setting(False, span, False),
        max_age=Setting(None, span, False),
        private_network=Setting(False, span, False),
    )


def token_list(
    statement: Statement, values: list[Value], report: list[d.Diagnostic]
) -> Setting[TokenList]:
    """The method or header names of ``statement`` (``values``, expanded), or ``*`` standing
    alone."""
    stars = [value for value in values if value.form == "star" or value.text == "*"]
    if stars:
        if len(values) > 1:
            report.append(
                d.INVALID_VALUE.at(
                    stars[0].span,
                    "`*` must stand alone in its list",
                    "write `*` for every name, or list the names without `*`",
                )
            )
        return Setting(TokenList((), True), statement.span, True)
    items = []
    for value in values:
        if value.form == "regex":
            report.append(
                d.INVALID_VALUE.at(
                    value.span,
                    f"a regex cannot name {KIND_WORDS[KIND_OF_STATEMENT[statement.name]]}",
                    "list the names, or `*`",
                )
            )
            continue
        items.append(NameToken(value.text, value.span))
    return Setting(TokenList(tuple(items), False), statement.span, True)


def boolean(statement: Statement, report: list[d.Diagnostic]) -> Setting[bool]:
    """``true`` or ``false``; anything else is reported and taken as ``false``."""
    value = _one_of(
        statement,
        "true/false",
        {"true", "false"},
        report,
        lambda found: d.INVALID_VALUE.at(
            found.span,
            f"expected `true` or `false`, found {_shown(found)}",
            "write `true` or `false`",
        ),
    )
    return Setting(value == "true", statement.span, True)


def unlisted(
    statement: Statement | None, default_span: Span, report: list[d.Diagnostic]
) -> Setting[Unlisted]:
    """``unlisted pass`` or ``reject``; ``pass`` when not written or not either."""
    if statement is None:
        return Setting(Unlisted.PASS, default_span, False)
    value = _one_of(
        statement,
        "unlisted",
        {member.value for member in Unlisted},
        report,
        lambda found: d.INVALID_VALUE.at(
            found.span,
            f"expected `pass` or `reject`, found {_shown(found)}",
            "`unlisted pass` serves other origins without CORS headers; "
            "`unlisted reject` answers them 403",
        ),
    )
    return Setting(Unlisted.PASS if value is None else Unlisted(value), statement.span, True)


def max_age(statement: Statement, report: list[d.Diagnostic]) -> Setting[int | None]:
    """A duration in seconds (whole seconds, or a whole number with one unit of ``s m h d``);
    ``None`` (not sent) when it is none."""
    value = _single(statement, "max-age", report)
    match = DURATION_RE.fullmatch(value.text) if value.form == "word" else None
    if match is None:
        report.append(
            d.MAX_AGE_INVALID.at(
                value.span,
                f"max-age cannot be negative: {value.text}"
                if value.text.startswith("-")
                else f"expected a duration, found {_shown(value)}",
                "write whole seconds (`600`) or one unit: `30s`, `10m`, `2h`, `1d`",
            )
        )
        return Setting(None, statement.span, True)
    return Setting(int(match.group(1)) * _UNITS[match.group(2)], statement.span, True)


def preflight_status(
    statement: Statement | None, default_span: Span, report: list[d.Diagnostic]
) -> Setting[int]:
    """The status of an accepted preflight, 200 or 204; 204 when not written or neither."""
    if statement is None:
        return Setting(204, default_span, False)
    value = _one_of(
        statement,
        "preflight-status",
        {"200", "204"},
        report,
        lambda found: d.PREFLIGHT_STATUS_INVALID.at(
            found.span,
            f"the preflight status must be 200 or 204, found {_shown(found)}",
            "write `preflight-status 204` (the default) or `200` for old clients",
        ),
    )
    return Setting(204 if value is None else int(value), statement.span, True)


def _one_of(
    statement: Statement,
    name: str,
    choices: Collection[str],
    report: list[d.Diagnostic],
    problem: Callable[[Value], d.Diagnostic],
) -> str | None:
    """The word of a statement that takes one of ``choices``; ``None`` when it is none (then
    ``problem`` of the value is reported)."""
    value = _single(statement, name, report)
    if value.form == "word" and value.text in choices:
        return value.text
    report.append(problem(value))
    return None


def _single(statement: Statement, name: str, report: list[d.Diagnostic]) -> Value:
    """The value of a statement that takes one (the first, if more are written)."""
    values = statement.values
    if len(values) > 1:
        report.append(
            d.INVALID_VALUE.at(
                values[1].span,
                f"`{name}` takes one value",
                f"keep one value: `{name} {values[0].text}`",
            )
        )
    return values[0]


def _shown(value: Value) -> str:
    """A value as a message quotes it: a string in quotes, a word in backticks."""
    if value.form == "string":
        return f'"{value.text}"'
    if value.form == "regex":
        return "a regex"
    return f"`{value.text}`"
