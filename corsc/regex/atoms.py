"""Reading the atoms of a regex body that stand for characters: escapes and classes.

:class:`Reader` holds the cursor over the body and the issues found so far; the parser of the
structure (:mod:`corsc.regex.syntax`) builds on it. Each method consumes what it reads, reports
what lies outside the subset with a message that says what to write instead, and returns a
placeholder after a problem, so reading goes on and one pass reports every issue.
"""

from __future__ import annotations

import re
import string

from corsc.regex.tree import ALNUM, DIGITS, PRINTABLE, CharClass, Literal, Node, RegexIssue

_HEX = frozenset(string.hexdigits)
_ESCAPE_ARGUMENT = re.compile(r"\{[^{}]*\}|<[^<>]*>")


def _letter_escape(letter: str, in_class: bool) -> tuple[str, str]:
    """Message and help for ``\\`` followed by a letter or digit outside the subset."""
    escape = f"`\\{letter}`"
    if letter in "wW":
        example = "[a-z0-9_]" if letter == "w" else "[^a-z0-9_]"
        return (
            f"{escape} is not supported: Python and .NET also match non-ASCII letters with it",
            f"write the characters you mean, such as `{example}`",
        )
    if letter in "sS":
        return (
            f"{escape} is not supported: engines disagree on which characters are whitespace",
            "remove it: an origin never contains whitespace"
            if letter == "s"
            else "write the characters you mean, such as `[a-z0-9.-]`",
        )
    if letter == "D":
        return (
            f"{escape} is not supported: Python and .NET treat non-ASCII digits differently",
            "write `[^0-9]`",
        )
    if letter in "tnrfvae0" or (letter == "b" and in_class):
        return (
            f"{escape} is not supported: it matches a control character, which an origin "
            "never contains",
            "remove it",
        )
    if letter in "bB":
        return (
            f"{escape} is not supported: engines disagree on what a word character is",
            "write the character you expect on each side, such as `\\.` or `/`",
        )
    if letter in "AZzG":
        return (
            f"{escape} is not supported: corsc already matches every regex against the whole "
            "Origin",
            "remove it",
        )
    if letter in "123456789" or letter in "kg":
        return (
            f"backreferences such as {escape} are not supported",
            "write the repeated text out",
        )
    return (
        f"{escape} is not supported: engines disagree on what it means",
        "escape only punctuation, as in `\\.`, and write letters and digits as they are",
    )


class Reader:
    """A cursor over a regex body (``text``, read up to ``pos``) and the issues found so far,
    in the order they were found. ``pos`` never goes past the end of the text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.issues: list[RegexIssue] = []

    def report(self, kind: str, start: int, end: int, message: str, help: str) -> None:
        """Record an issue of ``kind`` over ``text[start:end]``."""
        self.issues.append(RegexIssue(kind, start, end, message, help))

    def peek(self, offset: int = 0) -> str:
        """The character ``offset`` past the cursor, or ``""`` past the end."""
        index = self.pos + offset
        return self.text[index] if index < len(self.text) else ""

    def non_ascii(self, start: int, char: str, end: int | None = None) -> None:
        """Report ``char``, read at ``start`` (to ``end``, for an escape), as not ASCII."""
        self.report(
            "unsupported",
            start,
            start + 1 if end is None else end,
            f"the non-ASCII character `{char}` is not supported: browsers send host names in "
            "punycode",
            "write the host in punycode (`xn--…`), as browsers send it",
        )

    def escape(self) -> Node:
        """``\\`` outside a class: ``\\d``, an escaped punctuation character or ``\\xHH``."""
        start = self.pos
        chars = self.escaped(in_class=False)
        if len(chars) == 1:
            return Literal(next(iter(chars)), start, self.pos)
        return CharClass(chars, start, self.pos)

    def escaped(self, in_class: bool) -> frozenset[str]:
        """Consume ``\\`` and what it escapes; return the characters it stands for (a
        placeholder after a problem). Only ``\\d`` stands for more than one."""
        start = self.pos
        self.pos += 1
        char = self.peek()
        if not char:
            self.report(
                "invalid",
                start,
                self.pos,
                "a `\\` at the end escapes nothing",
                "write `\\\\` for a literal backslash",
            )
            return frozenset("\\")
        self.pos += 1
        if char == "d":
            return DIGITS
        if char == "x":
            digits = self.text[self.pos : self.pos + 2]
            if len(digits) == 2 and set(digits) <= _HEX:
                self.pos += 2
                value = chr(int(digits, 16))
                if not value.isascii():
                    self.non_ascii(start, value, self.pos)
                return frozenset(value)
            self.report(
                "invalid",
                start,
                self.pos,
                "`\\x` needs two hexadecimal digits",
                "write the character itself, as in `-` or `\\.`",
            )
            return frozenset("x")
        if char in ALNUM:
            message, help = _letter_escape(char, in_class)
            # `\p{L}`, `\k<name>`: the braces belong to the escape, not to a count.
            argument = _ESCAPE_ARGUMENT.match(self.text, self.pos) if char in "pPkgNuo" else None
            if argument is not None:
                self.pos = argument.end()
            self.report("unsupported", start, self.pos, message, help)
        elif not char.isascii():
            self.non_ascii(start + 1, char)
        elif char not in PRINTABLE:
            self.report(
                "unsupported",
                start,
                self.pos,
                "a `\\` before a space or control character is not supported",
                "remove it: an origin never contains such characters",
            )
        return frozenset(char)

    def char_class(self) -> Node:
        """``[…]`` or ``[^…]`` (a negated class admits the rest of :data:`PRINTABLE`)."""
        start = self.pos
        self.pos += 1
        negated = self.peek() == "^"
        if negated:
            self.pos += 1
        members: set[str] = set()
        first = True
        while self.pos < len(self.text) and (first or self.peek() != "]"):
            item_start = self.pos
            if first and self.peek() == "]":
                self.report(
                    "unsupported",
                    start,
                    self.pos + 1,
                    f"`{self.text[start : self.pos + 1]}` is not supported: Python reads this "
                    "`]` as a literal, ECMAScript as the end of an empty class",
                    "write `\\]` for a literal bracket",
                )
            if self.peek() == "-" and not first and self.peek(1) not in ("]", ""):
                self.report(
                    "unsupported",
                    item_start,
                    item_start + 1,
                    "this `-` is not supported: engines disagree on whether it is a literal",
                    "write `\\-`, or put the hyphen first or last in the class, as in `[a-z0-9-]`",
                )
            first = False
            low = self.class_atom()
            if self.peek() == "-" and self.peek(1) not in ("]", ""):
                self.pos += 1
                high = self.class_atom()
                members |= self.class_range(low, high, item_start)
            else:
                members |= low
        if self.peek() != "]":
            self.report(
                "invalid",
                start,
                start + 1,
                "`[` starts a character class that is never closed",
                "add `]` where the class ends, or write `\\[` for a literal bracket",
            )
        else:
            self.pos += 1
        chars = frozenset(PRINTABLE - members if negated else members)
        if not chars:
            self.report(
                "unsupported",
                start,
                self.pos,
                "this class matches no character an origin can contain",
                "list the characters it should match, as in `[a-z0-9-]`",
            )
            chars = frozenset("a")
        return CharClass(chars, start, self.pos)

    def class_atom(self) -> frozenset[str]:
        """One item inside a class, or one end of a range: a character or an escape."""
        start = self.pos
        char = self.peek()
        if char == "\\":
            return self.escaped(in_class=True)
        self.pos += 1
        if char == "[":
            self.report(
                "unsupported",
                start,
                self.pos,
                "`[` inside a class is not supported: engines read it as a literal, a POSIX "
                "class or a nested class",
                "write `\\[` for a literal bracket",
            )
        elif not char.isascii():
            self.non_ascii(start, char)
        return frozenset(char)

    def class_range(self, low: frozenset[str], high: frozenset[str], start: int) -> set[str]:
        """The characters of the range ``low-high`` written from ``start`` (after a problem,
        both ends alone)."""
        text = self.text[start : self.pos]
        if len(low) != 1 or len(high) != 1:
            self.report(
                "invalid",
                start,
                self.pos,
                f"`{text}` is not a range: `\\d` cannot be the end of a range",
                "write `\\-` for a literal hyphen",
            )
            return set(low | high)
        (first,), (last,) = low, high
        if first > last:
            self.report(
                "invalid",
                start,
                self.pos,
                f"`{text}` is not a range: `{first}` comes after `{last}`",
                f"write the lower end first: `{last}-{first}`",
            )
            return {first, last}
        return {chr(code) for code in range(ord(first), ord(last) + 1)}
