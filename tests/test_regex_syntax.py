"""corsc.regex.syntax (and corsc.regex.atoms, which it builds on): the portable subset, and the
message and help of every refusal, as :func:`corsc.regex.validate` reports them."""

from __future__ import annotations

import pytest

from corsc.regex import DIALECTS, render, validate


def kinds(body: str) -> list[tuple[str, int, int]]:
    return [(issue.kind, issue.start, issue.end) for issue in validate(body)]


ACCEPTED = [
    r"https://api\.example\.com",
    r"https://[a-z0-9-]+\.example\.com",
    r"https?://(www\.)?example\.com",
    r"https://pr-\d+\.example\.com",
    r"https://(?:[a-z0-9-]+\.)+example\.com(?::\d{1,5})?",
    r"http://localhost:\d{4}",
    r"https://(app|admin)\.example\.(com|net)",
    r"https://[^./:]+\.example\.com",
    r"https://[a-z]{2,8}\.example\.com",
    r"https://x{3,}\.test",
    r"https://a\.example\.com(:8443)?",
    r"null",
    r"https://\x61pi\.example\.com",
    r"https://[-a-z]+\.test",
    r"https://[a-z-]+\.test",
    r"https://[\.\-\]\\]+\.test",
    r"http://\[::1\]:3000",
    r"https://\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}",
    r"https://.*\.example\.com",
    r"https://a\.test|https://b\.test",
    r"https://\/\:\@\_\,\%\~\!\=",
    r"https://(?:[a-z]+-)*[a-z]+\.test",
    r"https://a\.test(?::[1-9][0-9]{0,4})?",
    r"https://[a-z]{1,63}(\.[a-z]{1,63})*\.example\.com",
    r"https://[a-z]{1,3}[a-z]+\.test",  # the count is unrolled: at most three ways to split
]


@pytest.mark.parametrize("body", ACCEPTED)
def test_portable_bodies_are_accepted(body: str) -> None:
    assert validate(body) == []
    for dialect in DIALECTS:
        render(body, dialect)


#: (body, [(kind, start, end)], message of the first issue, its help). Messages are UI copy.
REFUSED: list[tuple[str, list[tuple[str, int, int]], str, str]] = [
    (
        "",
        [("invalid", 0, 0)],
        "the regex is empty",
        "write the origins it should match, such as `https://app\\.example\\.com`",
    ),
    (
        r"https://api\.example\.com\1",
        [("unsupported", 25, 27)],
        "backreferences such as `\\1` are not supported",
        "write the repeated text out",
    ),
    (
        r"https://(?!evil)[a-z]+\.test",
        [("unsupported", 8, 11)],
        "negative lookahead `(?!…)` is not supported",
        "write the origins to allow; to leave some out, list them under `deny`",
    ),
    (
        r"https://a\.test(?<=t)",
        [("unsupported", 15, 19)],
        "lookbehind `(?<=…)` is not supported",
        "write the origins to allow; to leave some out, list them under `deny`",
    ),
    (
        r"(?i)https://a\.test",
        [("unsupported", 0, 4)],
        "inline flags such as `(?i)` are not supported: origins are matched byte for byte",
        "remove them, and write scheme and host in lowercase, as browsers send them",
    ),
    (
        r"https://(?P<sub>[a-z]+)\.test",
        [("unsupported", 8, 16)],
        "named groups such as `(?P<name>…)` are not supported",
        "write a plain group: `(…)` or `(?:…)`",
    ),
    (
        r"https://\w+\.test",
        [("unsupported", 8, 10)],
        "`\\w` is not supported: Python and .NET also match non-ASCII letters with it",
        "write the characters you mean, such as `[a-z0-9_]`",
    ),
    (
        r"https://\S+\.test",
        [("unsupported", 8, 10)],
        "`\\S` is not supported: engines disagree on which characters are whitespace",
        "write the characters you mean, such as `[a-z0-9.-]`",
    ),
    (
        r"https://\bapi\.test",
        [("unsupported", 8, 10)],
        "`\\b` is not supported: engines disagree on what a word character is",
        "write the character you expect on each side, such as `\\.` or `/`",
    ),
    (
        r"https://[^\D]\.test",
        [("unsupported", 10, 12)],
        "`\\D` is not supported: Python and .NET treat non-ASCII digits differently",
        "write `[^0-9]`",
    ),
    (
        r"https://a\.test\z",
        [("unsupported", 15, 17)],
        "`\\z` is not supported: corsc already matches every regex against the whole Origin",
        "remove it",
    ),
    (
        r"(^https://a\.test)",
        [("unsupported", 1, 2)],
        "`^` is only allowed at the very start: corsc already matches every regex against the "
        "whole Origin",
        "remove it, or write `\\^` for a literal `^`",
    ),
    (
        r"https://a\.test$|https://b\.test",
        [("unsupported", 15, 16)],
        "`$` is only allowed at the very end: corsc already matches every regex against the "
        "whole Origin",
        "remove it, or write `\\$` for a literal `$`",
    ),
    (
        r"https://[a-z]+?\.test",
        [("unsupported", 13, 15)],
        "lazy `+?` is not supported",
        "write `+`: lazy and greedy repetition admit the same origins",
    ),
    (
        r"https://[a-z]++\.test",
        [("unsupported", 13, 15)],
        "possessive `++` is not supported: ECMAScript has no possessive quantifiers",
        "write `+`",
    ),
    (
        r"https://a{,3}\.test",
        [("unsupported", 9, 13)],
        "`{,3}` is not supported: Python reads it as `{0,3}`, ECMAScript as literal text",
        "write `{0,3}`",
    ),
    (
        r"https://a\.test|",
        [("unsupported", 15, 16)],
        "an empty alternative is not supported: it quietly makes the whole group optional",
        "remove the extra `|`; to make a part optional, write `(?:…)?`",
    ),
    (
        r"https://(|www\.)a\.test",
        [("unsupported", 9, 10)],
        "an empty alternative is not supported: it quietly makes the whole group optional",
        "remove the extra `|`; to make a part optional, write `(?:…)?`",
    ),
    (
        r"https://()a\.test",
        [("unsupported", 8, 10)],
        "an empty group `()` is not supported",
        "remove it",
    ),
    (
        "https://bücher\\.example",
        [("unsupported", 9, 10)],
        "the non-ASCII character `ü` is not supported: browsers send host names in punycode",
        "write the host in punycode (`xn--…`), as browsers send it",
    ),
    (
        r"https://[]a]\.test",
        [("unsupported", 8, 10)],
        "`[]` is not supported: Python reads this `]` as a literal, ECMAScript as the end of "
        "an empty class",
        "write `\\]` for a literal bracket",
    ),
    (
        r"https://[[:alpha:]]+\.test",
        [("unsupported", 9, 10), ("unsupported", 18, 19)],
        "`[` inside a class is not supported: engines read it as a literal, a POSIX class or "
        "a nested class",
        "write `\\[` for a literal bracket",
    ),
    (
        r"https://[a-z-0]+\.test",
        [("unsupported", 12, 13)],
        "this `-` is not supported: engines disagree on whether it is a literal",
        "write `\\-`, or put the hyphen first or last in the class, as in `[a-z0-9-]`",
    ),
    (
        r"https://a]\.test",
        [("unsupported", 9, 10)],
        "a `]` outside a character class is not supported: engines disagree on whether it is "
        "literal",
        "write `\\]` for a literal `]`",
    ),
    (
        r"https://a{x}\.test",
        [("unsupported", 9, 10), ("unsupported", 11, 12)],
        "a `{` outside a count such as `{2}` or `{1,3}` is not supported: engines disagree on "
        "whether it is literal",
        "write `\\{` for a literal `{`",
    ),
    (
        r"https://[^!-~]\.test",
        [("unsupported", 8, 14)],
        "this class matches no character an origin can contain",
        "list the characters it should match, as in `[a-z0-9-]`",
    ),
    (
        r"https://a{2000}\.test",
        [("unsupported", 9, 15)],
        "`{2000}` is not supported: counts go up to 1000",
        "no origin is that long: write `+`, or a smaller count",
    ),
    (
        r"https://(a",
        [("invalid", 8, 9)],
        "`(` is never closed",
        "add `)` where the group ends, or write `\\(` for a literal parenthesis",
    ),
    (
        r"https://a)",
        [("invalid", 9, 10)],
        "`)` has no matching `(`",
        "remove it, or write `\\)` for a literal parenthesis",
    ),
    (
        r"https://[a-z",
        [("invalid", 8, 9)],
        "`[` starts a character class that is never closed",
        "add `]` where the class ends, or write `\\[` for a literal bracket",
    ),
    (
        r"*.example\.com",
        [("invalid", 0, 1)],
        "`*` has nothing to repeat",
        "put it after the character or group it repeats, or write `\\*` for a literal `*`",
    ),
    (
        r"https://a**",
        [("invalid", 10, 11)],
        "`*` follows another repetition",
        "keep one; to repeat a repetition, group it first, as in `(?:ab{2})*`",
    ),
    (
        r"https://[z-a]\.test",
        [("invalid", 9, 12)],
        "`z-a` is not a range: `z` comes after `a`",
        "write the lower end first: `a-z`",
    ),
    (
        r"https://a{5,2}\.test",
        [("invalid", 9, 14)],
        "`{5,2}` asks for at least 5 but at most 2",
        "write the smaller number first: `{2,5}`",
    ),
    (
        "https://a\\",
        [("invalid", 9, 10)],
        "a `\\` at the end escapes nothing",
        "write `\\\\` for a literal backslash",
    ),
    (
        r"https://\x4",
        [("invalid", 8, 10)],
        "`\\x` needs two hexadecimal digits",
        "write the character itself, as in `-` or `\\.`",
    ),
]


@pytest.mark.parametrize(("body", "expected", "message", "help"), REFUSED)
def test_refusals_and_their_messages(
    body: str, expected: list[tuple[str, int, int]], message: str, help: str
) -> None:
    issues = validate(body)
    assert kinds(body) == expected
    assert (issues[0].message, issues[0].help) == (message, help)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (r"\p{L}", [("unsupported", 0, 5)]),
        (r"\w{2}", [("unsupported", 0, 2)]),
        (r"\u0061", [("unsupported", 0, 2)]),
        (r"a\n", [("unsupported", 1, 3)]),
        (r"[\b]", [("unsupported", 1, 3)]),
        (r"\k<x>", [("unsupported", 0, 5)]),
        (r"(?P=x)", [("unsupported", 0, 6)]),
        (r"(?#note)a", [("unsupported", 0, 8)]),
        (r"(?>a)", [("unsupported", 0, 3)]),
        (r"(?|a)", [("unsupported", 0, 3)]),
        (r"(?(1)a|b)", [("unsupported", 0, 5)]),
        (r"(?R)", [("unsupported", 0, 3)]),
        (r"(?i:a)", [("unsupported", 0, 4)]),
        (r"(?=a)", [("unsupported", 0, 3)]),
        (r"(?<!a)b", [("unsupported", 0, 4)]),
        (r"(?<n>a)", [("unsupported", 0, 5)]),
        (r"a{,}", [("unsupported", 1, 4)]),
        (r"a{}", [("unsupported", 1, 3)]),
        (r"a}", [("unsupported", 1, 2)]),
        (r"\xe9", [("unsupported", 0, 4)]),
        ("a\\\t", [("unsupported", 1, 3)]),
        (r"[\d-z]", [("invalid", 1, 5)]),
        (r"a||b", [("unsupported", 1, 2)]),
        ("(" * 40 + "a" + ")" * 40, [("unsupported", 32, 33)]),
    ],
)
def test_more_refusals(body: str, expected: list[tuple[str, int, int]]) -> None:
    assert kinds(body) == expected
