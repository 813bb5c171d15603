"""Parsing a regex body (the text of ``OriginPattern.regex``, outer anchors removed) into its
tree, with every issue of syntax found on the way.

The subset, and the choices made at its edges:

- Literals; ``\\`` before any ASCII punctuation; ``\\xHH`` for an ASCII character; ``.``;
  classes ``[…]`` and ``[^…]`` with ranges; ``\\d``; groups ``( )`` and ``(?: )``; ``|``;
  quantifiers ``? * + {m} {m,} {m,n}`` (``{m,}`` is read alike by all four engines), counts up
  to 1000 (no origin is that long; PCRE refuses counts above 65535).
- Refused as ``unsupported``: backreferences, lookaround, named, atomic and conditional groups,
  inline flags and comments; ``\\w \\W \\s \\S \\D \\b \\B`` and every other letter escape
  (their meaning differs between engines); anchors (``^``, ``$``, ``\\A``, ``\\Z``, ``\\z``,
  ``\\G``) inside the body (:func:`corsc.origins.regex_pattern` strips the outer ones); lazy and
  possessive quantifiers; ``{,n}``; a ``{``, ``}`` or ``]`` that is not part of a count or a
  class (literal in some engines, an error in others); ``[]`` and ``[^]``; ``[`` inside a class
  (POSIX classes in PCRE, nested classes elsewhere); a ``-`` inside a class that is neither a
  range nor first or last; empty alternatives and empty groups; non-ASCII characters (browsers
  send hosts in punycode); groups nested more than 32 deep.

Groups nested too deep stop the parse (:func:`parse` returns no tree); every other problem is
reported and parsing goes on, so one call reports them all.
"""

from __future__ import annotations

import re

from corsc.regex.atoms import Reader
from corsc.regex.tree import Alt, AnyChar, Group, Literal, Node, RegexIssue, Repeat, Seq

_MAX_COUNT = 1000
_MAX_DEPTH = 32


class _TooDeep(Exception):
    """Groups nested past :data:`_MAX_DEPTH`, at ``start``: the parse stops there."""

    def __init__(self, start: int) -> None:
        super().__init__(start)
        self.start = start


_COUNT = re.compile(r"\{([0-9]*)(?:(,)([0-9]*))?\}")
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"

_LOOK_HELP = "write the origins to allow; to leave some out, list them under `deny`"
_FLAGS_MESSAGE = "inline flags such as `(?i)` are not supported: origins are matched byte for byte"
_FLAGS_HELP = "remove them, and write scheme and host in lowercase, as browsers send them"

#: Group openers outside the subset: (pattern, message, help, has a body to parse).
_GROUP_OPENERS: tuple[tuple[re.Pattern[str], str, str, bool], ...] = tuple(
    (re.compile(pattern), message, help, has_body)
    for pattern, message, help, has_body in (
        (r"\(\?=", "lookahead `(?=…)` is not supported", _LOOK_HELP, True),
        (r"\(\?!", "negative lookahead `(?!…)` is not supported", _LOOK_HELP, True),
        (r"\(\?<=", "lookbehind `(?<=…)` is not supported", _LOOK_HELP, True),
        (r"\(\?<!", "negative lookbehind `(?<!…)` is not supported", _LOOK_HELP, True),
        (
            rf"\(\?P?<{_NAME}>|\(\?'{_NAME}'",
            "named groups such as `(?P<name>…)` are not supported",
            "write a plain group: `(…)` or `(?:…)`",
            True,
        ),
        (
            rf"\(\?P={_NAME}\)",
            "named backreferences such as `(?P=name)` are not supported",
            "write the repeated text out",
            False,
        ),
        (
            r"\(\?#[^)]*\)",
            "comments `(?#…)` are not supported",
            "remove it, and write the comment on its own line in the policy file, after `#`",
            False,
        ),
        (r"\(\?>", "atomic groups `(?>…)` are not supported", "write `(?:…)`", True),
        (r"\(\?\|", "branch reset groups `(?|…)` are not supported", "write `(?:…)`", True),
        (
            r"\(\?\([^)]*\)",
            "conditionals `(?(…)…)` are not supported",
            "write the alternatives with `|`",
            True,
        ),
        (r"\(\?[aiLmnsuxJU^-]+\)", _FLAGS_MESSAGE, _FLAGS_HELP, False),
        (r"\(\?[aiLmnsuxJU^-]+:", _FLAGS_MESSAGE, _FLAGS_HELP, True),
    )
)


class Parser(Reader):
    """Recursive descent over the body. Every problem is recorded and parsing goes on with a
    placeholder, so one call reports them all."""

    def parse(self) -> Node:
        """The tree of the whole body."""
        if not self.text:
            self.report(
                "invalid",
                0,
                0,
                "the regex is empty",
                "write the origins it should match, such as `https://app\\.example\\.com`",
            )
        root = self.alternation(0)
        while self.pos < len(self.text):  # only a `)` stops the top-level alternation early
            self.report(
                "invalid",
                self.pos,
                self.pos + 1,
                "`)` has no matching `(`",
                "remove it, or write `\\)` for a literal parenthesis",
            )
            self.pos += 1
            self.alternation(0)
        return root

    def alternation(self, depth: int) -> Node:
        """Options separated by ``|``, up to a ``)`` or the end, ``depth`` groups deep."""
        start = self.pos
        options = [self.sequence(depth)]
        bars: list[int] = []
        while self.peek() == "|":
            bars.append(self.pos)
            self.pos += 1
            options.append(self.sequence(depth))
        if len(options) == 1:
            return options[0]
        for index, option in enumerate(options):
            if isinstance(option, Seq) and not option.items:
                bar = bars[index - 1] if index else bars[0]
                self.report(
                    "unsupported",
                    bar,
                    bar + 1,
                    "an empty alternative is not supported: it quietly makes the whole group "
                    "optional",
                    "remove the extra `|`; to make a part optional, write `(?:…)?`",
                )
        return Alt(tuple(options), start, self.pos)

    def sequence(self, depth: int) -> Node:
        """Quantified atoms up to a ``|``, a ``)`` or the end."""
        start = self.pos
        items: list[Node] = []
        while self.pos < len(self.text) and self.peek() not in "|)":
            atom = self.atom(depth)
            if atom is not None:
                items.append(self.quantified(atom))
        if len(items) == 1:
            return items[0]
        return Seq(tuple(items), start, self.pos)

    def atom(self, depth: int) -> Node | None:
        """One atom, or ``None`` where a quantifier stands with nothing to repeat."""
        start = self.pos
        char = self.peek()
        if char == "(":
            return self.group(depth)
        if char == "[":
            return self.char_class()
        if char == "\\":
            return self.escape()
        self.pos += 1
        if char == ".":
            return AnyChar(start, self.pos)
        count = _COUNT.match(self.text, start) if char == "{" else None
        if char in "*+?" or count is not None:
            self.report(
                "invalid",
                start,
                start + 1,
                f"`{char}` has nothing to repeat",
                f"put it after the character or group it repeats, or write `\\{char}` for a "
                f"literal `{char}`",
            )
            if count is not None:
                self.pos = count.end()
            return None
        if char in "^$":
            where = "start" if char == "^" else "end"
            self.report(
                "unsupported",
                start,
                self.pos,
                f"`{char}` is only allowed at the very {where}: corsc already matches every "
                "regex against the whole Origin",
                f"remove it, or write `\\{char}` for a literal `{char}`",
            )
        elif char in "{}]":
            what = "a count such as `{2}` or `{1,3}`" if char != "]" else "a character class"
            self.report(
                "unsupported",
                start,
                self.pos,
                f"a `{char}` outside {what} is not supported: engines disagree on whether it "
                "is literal",
                f"write `\\{char}` for a literal `{char}`",
            )
        elif not char.isascii():
            self.non_ascii(start, char)
        return Literal(char, start, self.pos)

    def group(self, depth: int) -> Node:
        """``(…)`` or ``(?:…)``; an opener outside the subset is reported, its body still read."""
        start = self.pos
        if depth >= _MAX_DEPTH:
            raise _TooDeep(start)
        if self.text.startswith("(?:", start):
            self.pos += 3
        elif self.peek(1) == "?":
            if not self.unsupported_group(start):
                return Literal("(", start, self.pos)
        else:
            self.pos += 1
        body = self.alternation(depth + 1)
        if self.peek() != ")":
            self.report(
                "invalid",
                start,
                start + 1,
                "`(` is never closed",
                "add `)` where the group ends, or write `\\(` for a literal parenthesis",
            )
            return Group(body, start, self.pos)
        self.pos += 1
        if isinstance(body, Seq) and not body.items:
            self.report(
                "unsupported", start, self.pos, "an empty group `()` is not supported", "remove it"
            )
        return Group(body, start, self.pos)

    def unsupported_group(self, start: int) -> bool:
        """Report a ``(?…`` opener outside the subset and consume it; true when a body
        follows."""
        for pattern, message, help, has_body in _GROUP_OPENERS:
            match = pattern.match(self.text, start)
            if match is not None:
                self.report("unsupported", start, match.end(), message, help)
                self.pos = match.end()
                return has_body
        opener = self.text[start : start + 3]
        self.report(
            "unsupported",
            start,
            start + len(opener),
            f"`{opener}` is not supported",
            "write `(?:…)` for a group",
        )
        self.pos = start + 2
        return True

    def quantified(self, atom: Node) -> Node:
        """``atom`` with the quantifier that follows it, if any (lazy, possessive and doubled
        quantifiers are reported and left out)."""
        bounds = self.quantifier()
        if bounds is None:
            return atom
        node = Repeat(atom, bounds[0], bounds[1], atom.start, self.pos)
        symbol = self.text[atom.end : self.pos]
        if self.peek() in ("?", "+"):
            start = self.pos
            self.pos += 1
            if self.text[start] == "?":
                self.report(
                    "unsupported",
                    start - len(symbol),
                    self.pos,
                    f"lazy `{symbol}?` is not supported",
                    f"write `{symbol}`: lazy and greedy repetition admit the same origins",
                )
            else:
                self.report(
                    "unsupported",
                    start - len(symbol),
                    self.pos,
                    f"possessive `{symbol}+` is not supported: ECMAScript has no possessive "
                    "quantifiers",
                    f"write `{symbol}`",
                )
        while True:
            start = self.pos
            if self.quantifier() is None:
                return node
            self.report(
                "invalid",
                start,
                self.pos,
                f"`{self.text[start : self.pos]}` follows another repetition",
                "keep one; to repeat a repetition, group it first, as in `(?:ab{2})*`",
            )

    def quantifier(self) -> tuple[int, int | None] | None:
        """Consume a quantifier and return its bounds, or ``None`` when there is none."""
        char = self.peek()
        if char in ("?", "*", "+"):
            self.pos += 1
            return {"?": (0, 1), "*": (0, None), "+": (1, None)}[char]
        match = _COUNT.match(self.text, self.pos) if char == "{" else None
        if match is None:
            return None
        self.pos = match.end()
        low_text, comma, high_text = match.group(1), match.group(2), match.group(3)
        text = match.group(0)
        if not low_text:
            suggestion = f"{{0,{high_text}}}" if high_text else "*"
            if comma:
                self.report(
                    "unsupported",
                    match.start(),
                    match.end(),
                    f"`{text}` is not supported: Python reads it as `{suggestion}`, ECMAScript "
                    "as literal text",
                    f"write `{suggestion}`",
                )
            else:
                self.report(
                    "unsupported",
                    match.start(),
                    match.end(),
                    "`{}` is not supported: engines disagree on whether it is literal",
                    "write `\\{\\}` for literal braces",
                )
            return (0, None)
        if any(len(part) > 4 or int(part) > _MAX_COUNT for part in (low_text, high_text) if part):
            self.report(
                "unsupported",
                match.start(),
                match.end(),
                f"`{text}` is not supported: counts go up to {_MAX_COUNT}",
                "no origin is that long: write `+`, or a smaller count",
            )
            return (1, None)
        low = int(low_text)
        if not comma:
            return (low, low)
        if not high_text:
            return (low, None)
        high = int(high_text)
        if low > high:
            self.report(
                "invalid",
                match.start(),
                match.end(),
                f"`{text}` asks for at least {low} but at most {high}",
                f"write the smaller number first: `{{{high},{low}}}`",
            )
            return (high, low)
        return (low, high)


def parse(body: str) -> tuple[Node | None, list[RegexIssue]]:
    """The tree and the syntax issues; the tree is ``None`` only when nesting is too deep."""
    parser = Parser(body)
    try:
        root = parser.parse()
    except _TooDeep as deep:
        parser.report(
            "unsupported",
            deep.start,
            deep.start + 1,
            f"groups nested more than {_MAX_DEPTH} deep are not supported",
            "simplify the regex, or split it into several `regex` entries",
        )
        return None, parser.issues
    return root, parser.issues


def clean_tree(body: str) -> Node:
    """The tree of a body that has no syntax issues, or ``ValueError``."""
    root, issues = parse(body)
    if root is None or issues:
        raise ValueError(f"not a portable origin regex: {body!r}: {issues[0].message}")
    return root
