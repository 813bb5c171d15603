"""Origin regexes (README: Origin patterns): the portable subset, checked, rendered per
dialect, probed.

A ``regex "…"`` pattern must mean the same thing in Python (the runtime and the Python targets),
PCRE (nginx), .NET (IIS URL Rewrite) and ECMAScript. This module parses the body into a small
tree, refuses everything outside the subset with a message that says what to write instead, and
renders the tree again for each dialect, so a backend never pastes the user's text into its
output. Imports only the standard library: the runtime matches through it.

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
- Refused because backtracking matching could take more than linear time: a repetition of
  something that can match the same text in more than one way (``(a+)+``, ``(a|a)*``,
  ``(\\d+\\.?)+``: exponential), and two repetitions one after the other that can split the
  same text between them (``[a-z]+[a-z]+``, ``\\d+\\d*``, ``.*.*``: polynomial, each such pair
  multiplying the work by the length of the Origin). Both are decided on the position
  automaton: two different paths that read the same text and meet again inside one cycle
  (exponential degree of ambiguity), or a text that leads from a position p back to p, from p
  to a position q of a later cycle, and from q back to q (infinite degree of ambiguity).
  ``{m,n}`` whose copies (nested counts unrolled too) hold up to 64 positions is unrolled and
  judged exactly (``[a-z]{1,3}[a-z]+`` is linear); a larger count is analysed as if it were
  unbounded, which may refuse a harmless one. Unrolled copies are acyclic, so their ambiguity
  is finite, but it can be exponential in the count (``([a-z]{1,4}){1,16}``): a regex whose
  automaton reads one text along more than 64 paths is refused. A regex too large for the
  search's budget, or more than 10000 positions with every count written out, is refused as
  too complex to check.

Language. :func:`language` decides what a regex admits among the Origins a browser can send,
on the same automaton: whether it matches ``null``, an origin with another scheme than http(s)
(found breadth first over the automaton and the shape of an origin), and whether its hosts are
a finite set of sites and their subdomains. Hosts are read from their end towards their start
(a subset construction over the reversed automaton, one character at a time), and the caller
says which names are sites, so this module still needs nothing but the standard library.

Rendering. The body is the same in every dialect; only the anchors differ
(:data:`DIALECTS`). Groups are rendered non-capturing, so a regex never sets nginx's ``$1`` or
shifts IIS's ``{C:n}``. ``\\d`` becomes ``[0-9]``: Python ``str`` patterns and .NET also match
non-ASCII digits with ``\\d``. ``.`` and negated classes become positive classes over printable
ASCII (``!`` to ``~``): the engines disagree on what ``.`` leaves out (ECMAScript also ``\\r``,
U+2028 and U+2029; PCRE whatever newline convention it was built with) and on what one
character is (a byte in nginx, a code point in Python, a UTF-16 unit in ECMAScript), while an
origin never contains anything but printable ASCII. So ``.`` never matches a newline or any
control character, anywhere. Characters that mean something to a server configuration
(whitespace, quotes, ``$``, ``;``, ``#``, ``&``, ``<``, ``>``) are written as ``\\xHH``; every
rendering is case-sensitive and uses no flags.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeAlias, TypeVar

#: The dialects and their full-match anchors. Python: ``\\Z`` is the very end of the string (it
#: is PCRE's ``\\z``), and ``\\A`` makes the pattern safe with ``re.match`` and ``re.search``
#: too. PCRE and .NET: ``$`` would also match before a final newline, ``\\z`` does not.
#: ECMAScript: without the ``m`` flag ``$`` is the very end.
DIALECTS: dict[str, tuple[str, str]] = {
    "python": ("\\A(?:", ")\\Z"),
    "pcre": ("^(?:", ")\\z"),
    "dotnet": ("^(?:", ")\\z"),
    "ecmascript": ("^(?:", ")$"),
}

#: What an origin is made of; ``.`` and negated classes are rendered as subsets of it.
PRINTABLE = frozenset(chr(code) for code in range(0x21, 0x7F))
_DIGITS = frozenset(string.digits)
_ALNUM = frozenset(string.ascii_letters + string.digits)
_HEX = frozenset(string.hexdigits)

_MAX_COUNT = 1000
_MAX_DEPTH = 32
#: Pairs of positions the exponential-time check may visit before it gives up.
_MAX_PAIRS = 50_000

# Rendering tables. Outside a class, these are written as they are; metacharacters get a
# backslash (valid in all four dialects, ECMAScript's `u` mode included); anything else \xHH.
_PLAIN = _ALNUM | frozenset("-_:/,=@!%~")
_META = frozenset(".^|?*+()[]{}\\")
# Inside a class. `-`, `^`, `[`, `]` and `\` always get a backslash, wherever they stand.
# Doubled `~`, `|` or `&` (future set operations in Python) cannot occur: a class is written
# from its set of characters, each once.
_CLASS_PLAIN = _ALNUM | frozenset("_:/,=@!%.*+?(){}|~")
_CLASS_META = frozenset("\\]^[-")


@dataclass(frozen=True, slots=True)
class RegexIssue:
    """A problem with a regex body. ``kind`` is ``invalid`` (not a regex at all),
    ``unsupported`` (outside the portable subset) or ``unescaped-dot`` (a ``.`` among host-name
    literals). ``start`` and ``end`` are offsets into the body; ``message`` and ``help`` are
    shown to the user as they are."""

    kind: str
    start: int
    end: int
    message: str
    help: str


# ---- the tree -----------------------------------------------------------------------------
# Nodes compare by identity: two equal literals at different offsets are different positions.


@dataclass(frozen=True, eq=False, slots=True)
class _Literal:
    char: str
    start: int
    end: int


@dataclass(frozen=True, eq=False, slots=True)
class _Class:
    """A class, ``\\d``, or a placeholder; ``chars`` is the set admitted (never empty)."""

    chars: frozenset[str]
    start: int
    end: int


@dataclass(frozen=True, eq=False, slots=True)
class _Any:
    start: int
    end: int


@dataclass(frozen=True, eq=False, slots=True)
class _Group:
    body: _Node
    start: int
    end: int


@dataclass(frozen=True, eq=False, slots=True)
class _Seq:
    items: tuple[_Node, ...]
    start: int
    end: int


@dataclass(frozen=True, eq=False, slots=True)
class _Alt:
    options: tuple[_Node, ...]
    start: int
    end: int


@dataclass(frozen=True, eq=False, slots=True)
class _Repeat:
    """``body`` is a literal, class, ``.`` or group; ``max`` is ``None`` when unbounded."""

    body: _Node
    min: int
    max: int | None
    start: int
    end: int


_Node: TypeAlias = _Literal | _Class | _Any | _Group | _Seq | _Alt | _Repeat
_Leaf: TypeAlias = _Literal | _Class | _Any


# ---- parsing ------------------------------------------------------------------------------


class _TooDeep(Exception):
    def __init__(self, start: int) -> None:
        super().__init__(start)
        self.start = start


_COUNT = re.compile(r"\{([0-9]*)(?:(,)([0-9]*))?\}")
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_ESCAPE_ARGUMENT = re.compile(r"\{[^{}]*\}|<[^<>]*>")

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


class _Parser:
    """Recursive descent over the body. Every problem is recorded and parsing goes on with a
    placeholder, so one call reports them all."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.issues: list[RegexIssue] = []

    def report(self, kind: str, start: int, end: int, message: str, help: str) -> None:
        self.issues.append(RegexIssue(kind, start, end, message, help))

    def peek(self, offset: int = 0) -> str:
        index = self.pos + offset
        return self.text[index] if index < len(self.text) else ""

    def parse(self) -> _Node:
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

    def alternation(self, depth: int) -> _Node:
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
            if isinstance(option, _Seq) and not option.items:
                bar = bars[index - 1] if index else bars[0]
                self.report(
                    "unsupported",
                    bar,
                    bar + 1,
                    "an empty alternative is not supported: it quietly makes the whole group "
                    "optional",
                    "remove the extra `|`; to make a part optional, write `(?:…)?`",
                )
        return _Alt(tuple(options), start, self.pos)

    def sequence(self, depth: int) -> _Node:
        start = self.pos
        items: list[_Node] = []
        while self.pos < len(self.text) and self.peek() not in "|)":
            atom = self.atom(depth)
            if atom is not None:
                items.append(self.quantified(atom))
        if len(items) == 1:
            return items[0]
        return _Seq(tuple(items), start, self.pos)

    def atom(self, depth: int) -> _Node | None:
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
            return _Any(start, self.pos)
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
        return _Literal(char, start, self.pos)

    def non_ascii(self, start: int, char: str, end: int | None = None) -> None:
        self.report(
            "unsupported",
            start,
            start + 1 if end is None else end,
            f"the non-ASCII character `{char}` is not supported: browsers send host names in "
            "punycode",
            "write the host in punycode (`xn--…`), as browsers send it",
        )

    def escape(self) -> _Node:
        """``\\`` outside a class: ``\\d``, an escaped punctuation character or ``\\xHH``."""
        start = self.pos
        chars = self.escaped(in_class=False)
        if len(chars) == 1:
            return _Literal(next(iter(chars)), start, self.pos)
        return _Class(chars, start, self.pos)

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
            return _DIGITS
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
        if char in _ALNUM:
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

    def group(self, depth: int) -> _Node:
        start = self.pos
        if depth >= _MAX_DEPTH:
            raise _TooDeep(start)
        if self.text.startswith("(?:", start):
            self.pos += 3
        elif self.peek(1) == "?":
            if not self.unsupported_group(start):
                return _Literal("(", start, self.pos)
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
            return _Group(body, start, self.pos)
        self.pos += 1
        if isinstance(body, _Seq) and not body.items:
            self.report(
                "unsupported", start, self.pos, "an empty group `()` is not supported", "remove it"
            )
        return _Group(body, start, self.pos)

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

    def char_class(self) -> _Node:
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
        return _Class(chars, start, self.pos)

    def class_atom(self) -> frozenset[str]:
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

    def quantified(self, atom: _Node) -> _Node:
        bounds = self.quantifier()
        if bounds is None:
            return atom
        node = _Repeat(atom, bounds[0], bounds[1], atom.start, self.pos)
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


def _parse(body: str) -> tuple[_Node | None, list[RegexIssue]]:
    """The tree and the syntax issues; the tree is ``None`` only when nesting is too deep."""
    parser = _Parser(body)
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


def _clean_tree(body: str) -> _Node:
    """The tree of a body that has no syntax issues, or ``ValueError``."""
    root, issues = _parse(body)
    if root is None or issues:
        raise ValueError(f"not a portable origin regex: {body!r}: {issues[0].message}")
    return root


# ---- the position automaton -----------------------------------------------------------------


def _capped(count: int) -> int:
    # Only "once" and "more than once" matter to the checks below.
    return min(count, 2)


@dataclass(slots=True)
class _Fragment:
    nullable: int
    first: Counter[int]
    last: Counter[int]


def _scaled(counter: Counter[int], factor: int) -> Counter[int]:
    return Counter({key: _capped(count * factor) for key, count in counter.items() if factor})


def _merged(left: Counter[int], right: Counter[int]) -> Counter[int]:
    merged = Counter(left)
    for key, count in right.items():
        merged[key] = _capped(merged[key] + count)
    return merged


class _Automaton:
    """The position (Glushkov) automaton of a tree, with edge multiplicities.

    A position is one leaf; an edge p → q means q may read the character after p. An edge is
    counted once per way the tree produces it, so ``(a+)+`` has the edge a → a twice: a
    backtracking engine tries both. Positions of a subtree are numbered contiguously, so a
    repetition is known by the range of positions it holds. ``links`` are the edges within
    sequences, ``loops`` each repetition with its range and the edges back to its start.
    """

    def __init__(self, root: _Node) -> None:
        self.leaves: list[_Leaf] = []
        self.chars: list[frozenset[str]] = []
        self.links: Counter[tuple[int, int]] = Counter()
        self.loops: list[tuple[range, _Repeat, Counter[tuple[int, int]]]] = []
        self.parents: dict[_Node, _Node] = {}
        #: The whole regex: where a match may start and end, and whether it may be empty.
        self.root = self.build(root)
        self.edges = self.edges_within(range(len(self.leaves)), len(self.loops))

    def edges_within(self, positions: range, loops: int) -> Counter[tuple[int, int]]:
        """The edges among ``positions`` made by sequences and by the first ``loops``
        repetitions (repetitions are listed inner before outer)."""
        edges = Counter(
            {
                (p, q): count
                for (p, q), count in self.links.items()
                if p in positions and q in positions
            }
        )
        for inner, _, back in self.loops[:loops]:
            if positions.start <= inner.start and inner.stop <= positions.stop:
                for edge, count in back.items():
                    edges[edge] = _capped(edges[edge] + count)
        return edges

    def build(self, node: _Node) -> _Fragment:
        if isinstance(node, _Literal | _Class | _Any):
            position = len(self.leaves)
            self.leaves.append(node)
            if isinstance(node, _Literal):
                self.chars.append(frozenset(node.char))
            else:
                self.chars.append(node.chars if isinstance(node, _Class) else PRINTABLE)
            return _Fragment(0, Counter({position: 1}), Counter({position: 1}))
        for child in _children(node):
            self.parents[child] = node
        if isinstance(node, _Group):
            return self.build(node.body)
        if isinstance(node, _Seq):
            result = _EMPTY
            for item in node.items:
                result = self.concat(result, self.build(item))
            return result
        if isinstance(node, _Alt):
            result = _Fragment(0, Counter(), Counter())
            for option in node.options:
                fragment = self.build(option)
                result = _Fragment(
                    _capped(result.nullable + fragment.nullable),
                    _merged(result.first, fragment.first),
                    _merged(result.last, fragment.last),
                )
            return result
        return self.repeat(node)

    def concat(self, left: _Fragment, right: _Fragment) -> _Fragment:
        _link(self.links, left.last, right.first)
        return _Fragment(
            _capped(left.nullable * right.nullable),
            _merged(left.first, _scaled(right.first, left.nullable)),
            _merged(right.last, _scaled(left.last, right.nullable)),
        )

    def repeat(self, node: _Repeat) -> _Fragment:
        """A repetition: ``?``, a loop for ``*`` and ``+``, and ``{m,n}`` unrolled as
        ``x…x(x(x)?)?`` (``{m,}`` as ``x…xx*``), which is how engines count, so a bounded
        repetition of something ambiguous is not mistaken for an exponential one. Large counts
        are analysed as loops (module docstring)."""
        unroll = _unrolls(node)
        if node.max == 1 or not unroll:
            low = len(self.leaves)
            body = self.build(node.body)
            if node.max != 1:
                back: Counter[tuple[int, int]] = Counter()
                _link(back, body.last, body.first)
                self.loops.append((range(low, len(self.leaves)), node, back))
            # Engines do not repeat an iteration that matched nothing, so only skipping the
            # body adds a way to match the empty string.
            return _optional(body) if node.min == 0 else body
        result = _EMPTY
        for _ in range(node.min):
            result = self.concat(result, self.build(node.body))
        if node.max is None:
            return self.concat(result, self.repeat(_Repeat(node.body, 0, None, 0, 0)))
        optional = [self.build(node.body) for _ in range(node.max - node.min)]
        tail = _EMPTY
        for fragment in reversed(optional):
            tail = _optional(self.concat(fragment, tail))
        return self.concat(result, tail)


_EMPTY = _Fragment(1, Counter(), Counter())
#: Largest number of positions a counted repetition is unrolled into.
_MAX_UNROLLED = 64
#: Largest size of a regex with all its counted repetitions written out (:func:`_expanded_size`):
#: past it, a regex is refused before anything analyses or renders it.
_MAX_EXPANDED = 10_000


def _optional(fragment: _Fragment) -> _Fragment:
    return _Fragment(_capped(fragment.nullable + 1), fragment.first, fragment.last)


def _copies(node: _Repeat) -> int:
    """How many copies of its body a counted repetition is unrolled into."""
    return node.min + 1 if node.max is None else node.max


def _unrolls(node: _Repeat) -> bool:
    """Whether the automaton unrolls a counted repetition: its copies, each of its body's
    own unrolled size, stay within :data:`_MAX_UNROLLED` positions."""
    return _unrolls_body(node, _unrolled_size(node.body))


def _unrolls_body(node: _Repeat, body: int) -> bool:
    return (node.min, node.max) not in ((0, None), (1, None)) and (
        _copies(node) * body <= _MAX_UNROLLED
    )


def _unrolled_size(node: _Node) -> int:
    """The positions the automaton gives ``node``: a counted repetition is unrolled only
    while its copies, each of its body's own unrolled size, stay within the budget; else its
    body appears once, as a loop. So nesting never multiplies positions past the budget."""
    if isinstance(node, _Literal | _Class | _Any):
        return 1
    if isinstance(node, _Repeat):
        body = _unrolled_size(node.body)
        return _copies(node) * body if node.max != 1 and _unrolls_body(node, body) else body
    return sum(map(_unrolled_size, _children(node)))


def _expanded_size(node: _Node) -> int:
    """The size of ``node`` with every counted repetition written out, however large: what
    rendering a ``deny`` with a dot after the host (:func:`render_dotted`) costs."""
    if isinstance(node, _Literal | _Class | _Any):
        return 1
    if isinstance(node, _Repeat):
        return max(_copies(node), 1) * _expanded_size(node.body)
    return sum(map(_expanded_size, _children(node)))


def _link(edges: Counter[tuple[int, int]], lasts: Counter[int], firsts: Counter[int]) -> None:
    for p, p_count in lasts.items():
        for q, q_count in firsts.items():
            edges[p, q] = _capped(edges[p, q] + p_count * q_count)


def _children(node: _Node) -> tuple[_Node, ...]:
    if isinstance(node, _Group | _Repeat):
        return (node.body,)
    if isinstance(node, _Seq):
        return node.items
    if isinstance(node, _Alt):
        return node.options
    return ()


class _TooComplex(Exception):
    pass


def _exponential_loops(automaton: _Automaton) -> list[_Repeat]:
    """The innermost repetitions inside which two different paths read the same text from a
    position back to itself (Weber and Seidl's criterion for exponential ambiguity). A
    repetition that holds a reported one is not reported again. Raises ``_TooComplex`` when
    the pairs to visit exceed the budget."""
    budget = [_MAX_PAIRS]
    reported: list[tuple[range, _Repeat]] = []
    by_size = sorted(enumerate(automaton.loops), key=lambda item: len(item[1][0]))
    for number, (positions, node, _) in by_size:
        if any(
            positions.start <= inner.start and inner.stop <= positions.stop for inner, _ in reported
        ):
            continue
        edges = automaton.edges_within(positions, number + 1)
        if _double_cycle(automaton.chars, positions, edges, budget):
            reported.append((positions, node))
    return [node for _, node in sorted(reported, key=lambda loop: loop[0].start)]


def _double_cycle(
    chars: list[frozenset[str]],
    positions: range,
    edges: Counter[tuple[int, int]],
    budget: list[int],
) -> bool:
    """Whether two different paths among ``positions`` read the same text from a position
    back to itself, using only ``edges`` (those made inside the repetition).

    Pairs of positions are walked from every (p, p); the paths diverge at a pair (p, q) with
    p ≠ q, or where both take different parallel edges between the same positions. A strongly
    connected set of pairs that holds a (p, p) and a divergence is such a double cycle.
    """
    successors: dict[int, list[tuple[int, int]]] = {p: [] for p in positions}
    for (p, q), count in edges.items():
        successors[p].append((q, count))
    index: dict[tuple[int, int], int] = {}
    pairs: list[tuple[int, int]] = []
    arcs: list[list[tuple[int, bool]]] = []

    def visit(pair: tuple[int, int]) -> int:
        if pair not in index:
            budget[0] -= 1
            if budget[0] < 0:
                raise _TooComplex
            index[pair] = len(pairs)
            pairs.append(pair)
            arcs.append([])
        return index[pair]

    for position in positions:
        visit((position, position))
    done = 0
    while done < len(pairs):
        p, q = pairs[done]
        for p_next, p_count in successors[p]:
            for q_next, _ in successors[q]:
                if chars[p_next].isdisjoint(chars[q_next]):
                    continue
                parallel = p == q and p_next == q_next and p_count > 1
                arcs[done].append((visit((p_next, q_next)), parallel))
        done += 1
    for component in _strongly_connected(arcs):
        members = set(component)
        diagonal = [m for m in members if pairs[m][0] == pairs[m][1]]
        if diagonal and (
            len(diagonal) < len(members)
            or any(parallel and target in members for m in members for target, parallel in arcs[m])
        ):
            return True
    return False


#: Triples of positions the polynomial-time check may visit before it gives up.
_MAX_TRIPLES = 200_000


@dataclass(frozen=True, slots=True)
class _Polynomial:
    """Two repetitions that can split one text between them in many ways: from ``first``,
    the text ``pump`` leads back to ``first``, on to ``second``, and from ``second`` back to
    ``second``. Text made of ``n`` copies of ``pump`` can then be split in ``n`` places, and a
    backtracking engine tries every split when the rest of the origin does not match."""

    first: int
    second: int
    pump: str


def _polynomial_pair(automaton: _Automaton) -> _Polynomial | None:
    """Two positions in different cycles of the automaton with a text that reads from the
    first back to itself, from the first to the second, and from the second back to itself
    (infinite degree of ambiguity, the test of Weber and Seidl; within one cycle that would
    be exponential, which :func:`_exponential_loops` reports). The search walks triples of
    positions, each kept in the cycle or between the cycles it must stay in. Raises
    ``_TooComplex`` past the budget."""
    count = len(automaton.leaves)
    successors: list[list[int]] = [[] for _ in range(count)]
    for p, q in automaton.edges:
        successors[p].append(q)
    arcs = [[(q, False) for q in targets] for targets in successors]
    component = [0] * count
    cyclic: list[bool] = []
    for number, members in enumerate(_strongly_connected(arcs)):
        for member in members:
            component[member] = number
        cyclic.append(len(members) > 1 or members[0] in successors[members[0]])
    reach = [_reachable(p, successors) for p in range(count)]
    budget = _MAX_TRIPLES
    chars = automaton.chars
    for p in range(count):
        if not cyclic[component[p]]:
            continue
        for q in sorted(reach[p]):
            if component[q] == component[p] or not cyclic[component[q]]:
                continue
            between = {y for y in reach[p] if q in reach[y]}
            start, goal = (p, p, q), (p, q, q)
            parents: dict[tuple[int, int, int], tuple[tuple[int, int, int], str] | None] = {
                start: None
            }
            queue = [start]
            for x, y, z in queue:
                for x_next in successors[x]:
                    if component[x_next] != component[p]:
                        continue
                    for y_next in successors[y]:
                        if y_next not in between:
                            continue
                        common = chars[x_next] & chars[y_next]
                        if not common:
                            continue
                        for z_next in successors[z]:
                            shared = common & chars[z_next]
                            if component[z_next] != component[q] or not shared:
                                continue
                            triple = (x_next, y_next, z_next)
                            if triple in parents:
                                continue
                            budget -= 1
                            if budget < 0:
                                raise _TooComplex
                            parents[triple] = ((x, y, z), _preferred(shared))
                            if triple == goal:
                                return _Polynomial(p, q, _read_back(parents, goal))
                            queue.append(triple)
    return None


#: Ways of reading one text past which bounded repetitions are refused: ``(a|a){2,5}`` reads
#: ``aaaaa`` in 32, ``([a-z]{1,4}){1,16}`` a 43-character text in billions.
_MAX_WAYS = 64
#: Work (sets of positions with their counts, times the edges followed) for that search.
_MAX_WAYS_WORK = 2_000_000
_NO_POSITION = -1


def _many_ways(automaton: _Automaton) -> str | None:
    """A text the automaton can read along more than :data:`_MAX_WAYS` paths from its start,
    or ``None``. A backtracking engine follows every one of them when the rest of the origin
    does not match. The checks above catch ambiguity that grows with the text; this one the
    ambiguity that grows with a count (unrolled, each copy acyclic), which is finite but can be
    exponential in the count. Breadth first over the sets of positions reached, each with the
    number of paths to it (capped), one class of characters the positions tell apart at a
    time. Raises ``_TooComplex`` past the budget."""
    count = len(automaton.leaves)
    successors: list[list[tuple[int, int]]] = [[] for _ in range(count)]
    for (p, q), multiplicity in automaton.edges.items():
        successors[p].append((q, multiplicity))
    first = list(automaton.root.first.items())
    classes: dict[frozenset[int], str] = {}
    for char in sorted(PRINTABLE, key=lambda c: (_PREFERRED.find(c) % len(PRINTABLE), c)):
        readers = frozenset(q for q in range(count) if char in automaton.chars[q])
        if readers:
            classes.setdefault(readers, char)
    cap = _MAX_WAYS + 1
    start: tuple[tuple[int, int], ...] = ((_NO_POSITION, 1),)
    parents: dict[tuple[tuple[int, int], ...], tuple[tuple[tuple[int, int], ...], str] | None]
    parents = {start: None}
    queue = [start]
    work = 0
    for state in queue:
        for readers, char in classes.items():
            reached: dict[int, int] = {}
            for p, ways in state:
                targets = first if p == _NO_POSITION else successors[p]
                work += len(targets)
                for q, multiplicity in targets:
                    if q in readers:
                        reached[q] = min(reached.get(q, 0) + ways * multiplicity, cap)
            if work > _MAX_WAYS_WORK:
                raise _TooComplex
            if not reached:
                continue
            following = tuple(sorted(reached.items()))
            if following in parents:
                continue
            parents[following] = (state, char)
            if sum(reached.values()) > _MAX_WAYS:
                return _read_back(parents, following)
            queue.append(following)
    return None


def _preferred(chars: frozenset[str]) -> str:
    return next((char for char in _PREFERRED if char in chars), min(chars))


def _reachable(start: int, successors: list[list[int]]) -> set[int]:
    """Positions reachable from ``start`` by one or more edges."""
    seen: set[int] = set()
    stack = list(successors[start])
    while stack:
        position = stack.pop()
        if position not in seen:
            seen.add(position)
            stack.extend(successors[position])
    return seen


_Step = TypeVar("_Step")


def _read_back(parents: dict[_Step, tuple[_Step, str] | None], goal: _Step) -> str:
    """The text a breadth-first search read from its start to ``goal``: each state's parent
    and the character read to reach it, followed back to the start (which has none)."""
    text: list[str] = []
    step = parents[goal]
    while step is not None:
        previous, char = step
        text.append(char)
        step = parents[previous]
    return "".join(reversed(text))


def _enclosing_repeat(node: _Node, parents: dict[_Node, _Node]) -> _Node:
    """The innermost unbounded-or-counted repetition holding ``node``, else ``node``."""
    current: _Node | None = node
    while current is not None:
        if isinstance(current, _Repeat) and current.max != 1:
            return current
        current = parents.get(current)
    return node


def _strongly_connected(arcs: list[list[tuple[int, bool]]]) -> list[list[int]]:
    """Tarjan's algorithm without recursion (the graph may be deep)."""
    order: list[int] = [-1] * len(arcs)
    low: list[int] = [0] * len(arcs)
    on_stack = [False] * len(arcs)
    stack: list[int] = []
    components: list[list[int]] = []
    counter = 0
    for root in range(len(arcs)):
        if order[root] != -1:
            continue
        work = [(root, 0)]
        while work:
            node, next_arc = work.pop()
            if next_arc == 0:
                order[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack[node] = True
            if next_arc < len(arcs[node]):
                work.append((node, next_arc + 1))
                target = arcs[node][next_arc][0]
                if order[target] == -1:
                    work.append((target, 0))
                elif on_stack[target]:
                    low[node] = min(low[node], order[target])
                continue
            if low[node] == order[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack[member] = False
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return components


# ---- the language: which origins a regex admits ---------------------------------------------

_SCHEME_START = frozenset(string.ascii_lowercase)
_SCHEME_CHARS = frozenset(string.ascii_lowercase + string.digits + "+.-")
_LABEL_CHARS = frozenset(string.ascii_lowercase + string.digits + "-_")
_IPV6_CHARS = frozenset("0123456789abcdef:.")
#: The characters tried when a walk builds an example, in the order preferred.
_WALK_ORDER = string.ascii_lowercase + string.digits + "-_.:/[]+"
_PORT_DIGITS = "1234567890"
#: Steps of the walk over a regex's hosts before it gives up, and the named sites it lists.
_MAX_WALK = 20_000
_MAX_NAMED = 64
#: Places where the hosts may stop being spelled out, kept to find an example through one;
#: past them the regex is judged too complex unless an example is found.
_MAX_PROBLEMS = 32
#: Steps of all walks over one regex (positions looked at) before it is too complex to judge.
_MAX_WORK = 3_000_000
_MAX_HOST = 253
_START = -1


@dataclass(frozen=True, slots=True)
class Language:
    """What a regex admits among the Origins a browser can send (``null``, or
    ``scheme://host[:port]`` with a lowercase host and a decimal port).

    ``null``: it matches ``null``. ``other_scheme``: an origin it admits whose scheme is not
    http or https. ``spread``: an http(s) origin it admits outside the sites it spells out
    (``named``), when its hosts are not a finite set of those sites and their subdomains.
    ``too_complex``: the walk over its hosts ran out of budget, and nothing is known.
    """

    null: bool
    other_scheme: str | None
    spread: str | None
    named: tuple[str, ...]
    too_complex: bool


class _TooLarge(Exception):
    pass


class _Walk:
    """The regex's position automaton as a machine to run: forward over whole origins, and
    backward, from the end of the host towards its start, over hosts."""

    def __init__(self, body: str, one_site: Callable[[str], bool]) -> None:
        self.automaton = _Automaton(_clean_tree(body))
        self.one_site = one_site
        automaton = self.automaton
        self.chars = automaton.chars
        count = len(automaton.leaves)
        self.successors: list[list[int]] = [[] for _ in range(count)]
        self.predecessors: list[list[int]] = [[] for _ in range(count)]
        for p, q in automaton.edges:
            self.successors[p].append(q)
            self.predecessors[q].append(p)
        self.first = sorted(automaton.root.first)
        self.final = frozenset(automaton.root.last)
        self.work = 0

    def spend(self, amount: int) -> None:
        """Count the work of the walks; past the budget the regex is too complex to judge."""
        self.work += amount
        if self.work > _MAX_WORK:
            raise _TooLarge

    def step(self, states: frozenset[int], char: str) -> frozenset[int]:
        found: set[int] = set()
        for p in states:
            for q in self.first if p == _START else self.successors[p]:
                if char in self.chars[q]:
                    found.add(q)
        return frozenset(found)

    def run(self, text: str, states: frozenset[int] = frozenset({_START})) -> frozenset[int]:
        for char in text:
            states = self.step(states, char)
        return states

    def accepts(self, states: frozenset[int]) -> bool:
        return bool(states & self.final) or (_START in states and self.automaton.root.nullable > 0)

    def origin_with_host(self, host: str) -> str | None:
        """An origin the regex admits with this host: http(s), and a port when it needs one."""
        for scheme in ("https", "http"):
            states = self.run(f"{scheme}://{host}")
            if self.accepts(states):
                return f"{scheme}://{host}"
            port = self.port_after(states)
            if port is not None:
                return f"{scheme}://{host}:{port}"
        return None

    def port_after(self, states: frozenset[int]) -> str | None:
        level = {"": self.step(states, ":")}
        for _ in range(5):
            following: dict[str, frozenset[int]] = {}
            for digits, current in level.items():
                for digit in _PORT_DIGITS:
                    reached = self.step(current, digit)
                    if reached and reached not in following.values():
                        if self.accepts(reached):
                            return digits + digit
                        following[digits + digit] = reached
            level = following
        return None

    # -- forward: null, schemes, where hosts start ------------------------------------------

    def schemes(self) -> tuple[str | None, frozenset[int]]:
        """An origin with another scheme than http(s), and the positions right after
        ``http://`` or ``https://``."""
        return self.other_scheme(), self.run("https://") | self.run("http://")

    def other_scheme(self) -> str | None:
        """Breadth first over (position, shape of the origin so far), shortest first."""
        start = (_START, "scheme", "")
        parents: dict[tuple[int, str, str], tuple[tuple[int, str, str], str] | None] = {start: None}
        queue = [start]
        for state in queue:
            position, phase, data = state
            if phase in ("label", "v6-end", "port") and data == "other" and position in self.final:
                return _read_back(parents, state)
            targets = self.first if position == _START else self.successors[position]
            self.spend(len(targets))
            for q in targets:
                for char in _WALK_ORDER:
                    if char not in self.chars[q]:
                        continue
                    shape = _origin_shape(phase, data, char)
                    if shape is None:
                        continue
                    following = (q, *shape)
                    if following not in parents:
                        parents[following] = (state, char)
                        queue.append(following)
            if len(parents) > _MAX_WALK:
                raise _TooLarge
        return None

    def exits(self) -> frozenset[int]:
        """Positions where a host may end: the regex ends there, or goes on with a port."""
        digits: set[int] = set()
        changed = True
        while changed:
            changed = False
            for q, chars in enumerate(self.chars):
                if (
                    q not in digits
                    and chars & _DIGITS
                    and (q in self.final or any(r in digits for r in self.successors[q]))
                ):
                    digits.add(q)
                    changed = True
        exits = set(self.final)
        for q in range(len(self.chars)):
            for r in self.successors[q]:
                if ":" in self.chars[r] and any(t in digits for t in self.successors[r]):
                    exits.add(q)
        return frozenset(exits)


def _origin_shape(phase: str, data: str, char: str) -> tuple[str, str] | None:
    """The shape of an origin after one more character: a small automaton for
    ``scheme://host[:port]`` that remembers whether the scheme is http(s) or ``other``."""
    if phase == "scheme":
        if char == ":" and data:
            return "colon", data if data in ("http", "https") else "other"
        if char in (_SCHEME_CHARS if data else _SCHEME_START):
            # Only whether it is still on its way to `http` or `https` matters.
            return "scheme", data + char if "https".startswith(data + char) else "other"
        return None
    transitions = {
        "colon": {"/": "slash"},
        "slash": {"/": "host"},
    }
    if phase in transitions:
        following = transitions[phase].get(char)
        return None if following is None else (following, data)
    if phase in ("host", "dot"):
        if char in _LABEL_CHARS:
            return "label", data
        return ("v6", data) if char == "[" and phase == "host" else None
    if phase == "label":
        if char in _LABEL_CHARS:
            return "label", data
        return {".": ("dot", data), ":": ("colon-port", data)}.get(char)
    if phase == "v6":
        if char in _IPV6_CHARS:
            return "v6", data
        return ("v6-end", data) if char == "]" else None
    if phase == "v6-end":
        return ("colon-port", data) if char == ":" else None
    if phase in ("colon-port", "port"):
        return ("port", data) if char in _DIGITS else None
    return None


#: How a host goes on after each part of it, by the character read: a label never starts
#: with a dot nor is empty, and a bracketed address ends with ``]``. Positions only reachable
#: against this shape (``\\.[a-z]{1,8}`` right after ``https://``) can never read part of a
#: host a browser sends, and the walk leaves them out.
_HOST_STEPS: dict[str, tuple[tuple[frozenset[str], str], ...]] = {
    "host": ((_LABEL_CHARS, "label"), (frozenset("["), "address")),
    "label": ((_LABEL_CHARS, "label"), (frozenset("."), "dot")),
    "dot": ((_LABEL_CHARS, "label"),),
    "address": ((_IPV6_CHARS, "address"), (frozenset("]"), "address-end")),
    "address-end": (),
}

#: A node of the walk over hosts: the positions from which ``suffix`` leads to where a host
#: ends, the suffix (the end of a host, read so far), and which positions read each of its
#: characters.
_HostNode: TypeAlias = tuple[frozenset[int], str, tuple[frozenset[int], ...]]


class _HostWalk:
    """Hosts read from their end towards their start (see :func:`language`)."""

    def __init__(self, walk: _Walk, entry: frozenset[int]) -> None:
        self.walk = walk
        self.entry = entry
        # Positions on some path from the start of a host, reading a name or a bracketed
        # address: the only ones worth walking back to; and those where such a host can end.
        reached = {(p, "host") for p in entry}
        stack = list(reached)
        while stack:
            p, mode = stack.pop()
            for q in walk.successors[p]:
                for chars, following in _HOST_STEPS[mode]:
                    if walk.chars[q] & chars and (q, following) not in reached:
                        reached.add((q, following))
                        stack.append((q, following))
        self.useful = frozenset(p for p, _ in reached)
        self.ends = frozenset(p for p, mode in reached if mode in ("label", "dot", "address-end"))
        #: Sites (and single hosts that belong to no site) the regex spells out, as found.
        self.named: dict[str, None] = {}
        #: Where a site was found: a node from which hosts of it are read.
        self.found_at: dict[str, _HostNode] = {}
        #: For each position, whether it read part of a site's own label or of its suffix.
        self.roles: dict[int, dict[str, str]] = {}
        #: Nodes past which the hosts may not be spelled out, each with the position that reads
        #: several characters there (``None`` for a loop, an over-long host, too many names).
        #: Only an admitted host through one of them makes it a real finding.
        self.problems: list[tuple[_HostNode, int | None]] = []
        #: Whether more problems were found than are kept: then one is always real.
        self.overflow = False
        self.steps = 0

    def back(self, node: _HostNode, char: str, only: int | None = None) -> _HostNode | None:
        """The node for ``char`` read before the suffix (by ``only``, when given)."""
        states, suffix, readers = node
        self.walk.spend(len(states))
        reading = frozenset(q for q in states if char in self.walk.chars[q] and only in (None, q))
        before = frozenset(
            p for q in reading for p in self.walk.predecessors[q] if p in self.useful
        )
        if not before:
            return None
        return before, char + suffix, (reading, *readers)

    def tick(self) -> None:
        self.steps += 1
        if self.steps > _MAX_WALK:
            raise _TooLarge

    def run(self, exits: frozenset[int]) -> None:
        """Depth first from where hosts end. A branch stops where the suffix becomes a site
        all of whose hosts are one site (:func:`language`), or where it stops being spelled
        out: a position that reads several label characters, the same positions again before
        a site is complete (a loop), an over-long host, too many sites."""
        stack: list[tuple[_HostNode, frozenset[frozenset[int]]]] = [((exits, "", ()), frozenset())]
        while stack:
            self.tick()
            node, path = stack.pop()
            states, suffix, _ = node
            if states in path or len(suffix) > _MAX_HOST or len(self.named) > _MAX_NAMED:
                self.problem(node, None)
                continue
            path = path | {states}
            address = suffix.endswith("]")
            if states & self.entry and _host_shaped(suffix):
                self.complete(node)
            if address and suffix.startswith("["):
                continue
            alphabet = _alphabet(suffix) | ({"]"} if not suffix else set())
            wide = self.wide_positions(node, _IPV6_CHARS if address else _LABEL_CHARS)
            for q in wide:
                self.problem(node, q)
            node = (states - frozenset(wide), suffix, node[2])
            for char in reversed(_WALK_ORDER):
                if char not in alphabet:
                    continue
                following = self.back(node, char)
                if following is None:
                    continue
                if char == "." and suffix:  # (first, a host's trailing dot: the same host)
                    if not _host_shaped(suffix):
                        continue
                    if self.walk.one_site(_name(suffix)):
                        self.settle(node, following)
                        continue
                stack.append((following, path))

    def problem(self, node: _HostNode, wide: int | None) -> None:
        if len(self.problems) < _MAX_PROBLEMS:
            self.problems.append((node, wide))
        else:
            self.overflow = True

    def wide_positions(self, node: _HostNode, chars: frozenset[str]) -> list[int]:
        """The positions of the node that read more than one of ``chars`` (a class, ``.``)
        and can be reached from the start of a host. The walk goes on without them, so that
        the sites the rest names are known."""
        return [
            q
            for q in sorted(node[0])
            if len(self.walk.chars[q] & chars) > 1
            and any(p in self.useful for p in self.walk.predecessors[q])
        ]

    def complete(self, node: _HostNode) -> None:
        host = _name(node[1])
        if self.walk.one_site(host):
            self.settle(node, node)
        else:
            self.named.setdefault(host, None)
            self.found_at.setdefault(host, node)

    def settle(self, node: _HostNode, continued: _HostNode) -> None:
        """The suffix of ``node`` is a site: record it, and the role of each position that
        read it (its own label, or its public suffix)."""
        site = _name(node[1])
        self.named.setdefault(site, None)
        self.found_at.setdefault(site, continued)
        label_end = site.find(".")
        for index, positions in enumerate(node[2][: len(site)]):
            if site[index] != ".":
                role = "label" if index < label_end else "suffix"
                for position in positions:
                    self.roles.setdefault(position, {}).setdefault(role, site)

    def confused_site(self) -> str | None:
        """A site whose own label was read by positions that, for another site, read a
        public suffix: ``example\\.(com|co)(\\.uk)?`` names ``example.com`` and so admits
        ``example.com.uk``, a host of the site ``com.uk``."""
        for roles in self.roles.values():
            if len(roles) > 1:
                return roles["label"]
        return None

    def shortest_host(self, node: _HostNode) -> str | None:
        """The shortest host ending with the node's suffix, read back to where hosts start."""
        queue = [node]
        seen: set[tuple[frozenset[int], bool]] = set()
        for current in queue:
            self.tick()
            states, suffix, _ = current
            if states & self.entry and _host_shaped(suffix):
                return suffix
            alphabet = _alphabet(suffix)
            for char in _WALK_ORDER:
                if char not in alphabet:
                    continue
                if char == "." and suffix and not _host_shaped(suffix):
                    continue
                following = self.back(current, char)
                if following is None or len(following[1]) > _MAX_HOST:
                    continue
                key = (following[0], following[1].startswith("."))
                if key not in seen:
                    seen.add(key)
                    queue.append(following)
        return None


def _alphabet(suffix: str) -> frozenset[str]:
    """What may come before the suffix in a host: inside ``[…]`` an address, else a name."""
    return _IPV6_CHARS | {"["} if suffix.endswith("]") else _LABEL_CHARS | {"."}


def _host_shaped(suffix: str) -> bool:
    """Whether the suffix could be a whole host: a name without an empty label (but for a
    trailing dot, which browsers keep), or a bracketed address."""
    if suffix.endswith("]"):
        return suffix.startswith("[")
    name = _name(suffix)
    return bool(name) and not name.startswith(".") and not name.endswith(".")


def _name(host: str) -> str:
    """A host without its trailing dot: ``example.com.`` is a host of the site
    ``example.com``."""
    return host[:-1] if host.endswith(".") else host


def language(body: str, one_site: Callable[[str], bool]) -> Language:
    """Which Origins a browser can send the regex admits, as far as a policy cares.

    ``one_site(name)`` tells whether ``name`` is a registrable domain under which every host
    belongs to that one site (the caller applies the public suffix list). Hosts are walked
    from their end towards their start: a branch is spelled out while each character comes
    from a position that reads that one character; once the suffix read so far is a site and
    a label boundary follows, everything further left is a subdomain of it. A class, ``.``, a
    loop or a long list of names before that point admits other sites, and so does a regex
    that uses the same characters once as a public suffix and once as a site's own label.
    Hosts of no site (IP addresses, single labels) must be spelled out completely.
    Raises ``ValueError`` for a body with ``invalid`` or ``unsupported`` syntax."""
    walk = _Walk(body, one_site)
    null = walk.accepts(walk.run("null"))
    try:
        other, entry = walk.schemes()
        hosts = _HostWalk(walk, entry)
        hosts.run(walk.exits() & hosts.ends)
        confused = hosts.confused_site()
        spread = _spread_example(walk, hosts, confused)
    except _TooLarge:
        return Language(null, None, None, (), True)
    if spread is None and (hosts.problems or hosts.overflow or confused is not None):
        # A place where the hosts stop being spelled out, but no example through it: fail
        # closed, as too complex to judge, never as admitting only the named sites.
        return Language(null, other, None, (), True)
    named = tuple(name for name in hosts.named if name != confused)
    return Language(null, other, spread, named, False)


def _spread_example(walk: _Walk, hosts: _HostWalk, confused: str | None) -> str | None:
    """An origin the regex admits outside the sites it names, or ``None``: a telling one
    when the regex admits it, else the shortest host through where the walk found the hosts
    not spelled out, or through a confused site."""
    if not hosts.problems and confused is None:
        return None
    named = [name for name in hosts.named if name != confused]

    def outside(host: str) -> bool:
        labels = _name(host).split(".")
        for start in range(len(labels) - 1, -1, -1):
            candidate = ".".join(labels[start:])
            if walk.one_site(candidate):
                return candidate not in named
        return host not in named

    telling = ["a.com", "evil.com"]
    for name in named[:8]:
        telling += [f"evil{name}", f"{name}.evil.com", f"evil-{name}"]
    for host in telling:
        origin = walk.origin_with_host(host)
        if origin is not None and outside(host):
            return origin
    candidates: list[str] = []
    if confused is not None:
        candidates.append(hosts.shortest_host(hosts.found_at[confused]) or confused)
    for node, wide in hosts.problems:
        if wide is None:
            shortest = hosts.shortest_host(node)
            if shortest is not None:
                candidates.append(shortest)
        else:
            for char in sorted(
                walk.chars[wide] & (_LABEL_CHARS | _IPV6_CHARS), key=_WALK_ORDER.index
            )[:3]:
                following = hosts.back(node, char, wide)
                shortest = hosts.shortest_host(following) if following is not None else None
                if shortest is not None:
                    candidates.append(shortest)
    found = [(origin, host) for host in candidates if (origin := walk.origin_with_host(host))]
    preferred = [origin for origin, host in found if outside(host)]
    if preferred:
        return preferred[0]
    return found[0][0] if found else None


# ---- unescaped dots -------------------------------------------------------------------------

_HOST_LITERALS = frozenset(string.ascii_letters + string.digits + "-")


def _unescaped_dots(automaton: _Automaton) -> list[_Any]:
    """``.`` that is not repeated and stands between host-name characters, at least one of
    them a literal: ``api.example``, ``(?:www|api).example``, ``.*.example``."""
    predecessors: list[list[int]] = [[] for _ in automaton.leaves]
    successors: list[list[int]] = [[] for _ in automaton.leaves]
    for p, q in automaton.edges:
        predecessors[q].append(p)
        successors[p].append(q)

    def literal(position: int) -> bool:
        leaf = automaton.leaves[position]
        return isinstance(leaf, _Literal) and leaf.char in _HOST_LITERALS

    def hosty(position: int) -> bool:
        return bool(automaton.chars[position] & _HOST_LITERALS)

    found: list[_Any] = []
    for position, leaf in enumerate(automaton.leaves):
        if not isinstance(leaf, _Any) or _repeated(leaf, automaton.parents):
            continue
        before, after = predecessors[position], successors[position]
        if (any(map(literal, before)) and any(map(hosty, after))) or (
            any(map(literal, after)) and any(map(hosty, before))
        ):
            found.append(leaf)
    return found


def _repeated(node: _Node, parents: dict[_Node, _Node]) -> bool:
    """Whether ``node`` is itself the thing a quantifier repeats (``.*``, ``(?:.)+``)."""
    parent = parents.get(node)
    while isinstance(parent, _Group) or (
        isinstance(parent, _Seq | _Alt) and len(_children(parent)) == 1
    ):
        node, parent = parent, parents.get(parent)
    return isinstance(parent, _Repeat) and parent.max != 1


def _dot_issue(body: str, dot: _Any, dots: Iterable[_Any]) -> RegexIssue:
    """The issue for one unescaped dot, with an example built from the literal host text
    around it when there is some."""
    dot_starts = {other.start for other in dots}
    after: list[str] = []
    index = dot.end
    while index < len(body):
        if body.startswith("\\.", index):
            after.append(".")
            index += 2
        elif index in dot_starts or (body[index] in _HOST_LITERALS):
            after.append(body[index])
            index += 1
        else:
            break
    before: list[str] = []
    index = dot.start - 1
    while index >= 0:
        escaped = _escaped_at(body, index)
        if body[index] == "." and escaped:
            before.append(".")
            index -= 2
        elif (index in dot_starts or body[index] in _HOST_LITERALS) and not escaped:
            before.append(body[index])
            index -= 1
        else:
            break
    left, right = "".join(reversed(before)), "".join(after)
    message = "this `.` matches any character, not only a dot"
    if left and right:
        message += f": `{left}.{right}` also admits `{left}x{right}`"
    return RegexIssue("unescaped-dot", dot.start, dot.end, message, "write `\\.` to match a dot")


def _escaped_at(text: str, index: int) -> bool:
    backslashes = 0
    while index - backslashes > 0 and text[index - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


# ---- public API -----------------------------------------------------------------------------


def validate(body: str) -> list[RegexIssue]:
    """Every problem with a regex body (the text of ``OriginPattern.regex``, outer anchors
    already removed), in the order they occur. An empty list means the body renders in every
    dialect and is free of the mistakes corsc knows."""
    root, issues = _parse(body)
    if root is not None and _expanded_size(root) > _MAX_EXPANDED:
        issues.append(
            RegexIssue(
                "unsupported",
                0,
                len(body),
                "the regex is too large for corsc to check: written out, its counted "
                f"repetitions would hold more than {_MAX_EXPANDED} characters",
                "lower the counts, or split it into several `regex` entries",
            )
        )
    elif root is not None:
        automaton = _Automaton(root)
        try:
            loops = _exponential_loops(automaton)
        except _TooComplex:
            issues.append(_too_complex(body))
            loops = [_Repeat(root, 0, 0, 0, 0)]  # nothing more to check
        if not loops:
            try:
                polynomial = _polynomial_pair(automaton)
            except _TooComplex:
                issues.append(_too_complex(body))
                polynomial = None
            if polynomial is not None:
                issues.append(_polynomial_issue(body, automaton, polynomial))
            else:
                issues.extend(_ways_issues(body, automaton))
        for loop in loops:
            text = body[loop.start : loop.end]
            issues.append(
                RegexIssue(
                    "unsupported",
                    loop.start,
                    loop.end,
                    f"`{text}` is not supported: it can match the same text in more than one "
                    "way, which takes exponential time on origins that almost match",
                    "make each repetition end with a character nothing else inside it "
                    "matches, as in `(?:[a-z0-9-]+\\.)+`",
                )
            )
        dots = _unescaped_dots(automaton)
        issues.extend(_dot_issue(body, dot, dots) for dot in dots)
    return sorted(issues, key=lambda issue: (issue.start, issue.end))


def _too_complex(body: str) -> RegexIssue:
    return RegexIssue(
        "unsupported",
        0,
        len(body),
        "the regex is too complex for corsc to check how long matching takes",
        "split it into several `regex` entries",
    )


def _ways_issues(body: str, automaton: _Automaton) -> list[RegexIssue]:
    try:
        text = _many_ways(automaton)
    except _TooComplex:
        return [_too_complex(body)]
    if text is None:
        return []
    return [
        RegexIssue(
            "unsupported",
            0,
            len(body),
            f"the counted repetitions can read text such as `{text}` in more than "
            f"{_MAX_WAYS} ways, which takes exponential time on origins that almost match",
            "lower the counts, or make each repetition end with a character nothing else "
            "inside it matches, as in `(?:[a-z0-9-]{1,63}\\.){1,4}`",
        )
    ]


def _polynomial_issue(body: str, automaton: _Automaton, found: _Polynomial) -> RegexIssue:
    first = _enclosing_repeat(automaton.leaves[found.first], automaton.parents)
    second = _enclosing_repeat(automaton.leaves[found.second], automaton.parents)
    start, end = min(first.start, second.start), max(first.end, second.end)
    pump = found.pump
    return RegexIssue(
        "unsupported",
        start,
        end,
        f"`{body[start:end]}` is not supported: `{body[first.start : first.end]}` and "
        f"`{body[second.start : second.end]}` can split text such as `{pump * 3}` between "
        "them in many ways, which takes polynomial time on origins that almost match",
        "let one repetition read what the other cannot, as in `[a-z0-9-]+\\.[a-z0-9-]+`, "
        "or merge them into one",
    )


def anchor(source: str, dialect: str) -> str:
    """``source`` (a rendered regex) wrapped in ``dialect``'s full-match anchors."""
    try:
        opening, closing = DIALECTS[dialect]
    except KeyError:
        raise ValueError(
            f"unknown regex dialect {dialect!r}; known: {', '.join(DIALECTS)}"
        ) from None
    return opening + source + closing


def render(body: str, dialect: str) -> str:
    """The body, re-emitted from its tree, anchored for a full match in ``dialect``
    (``python``, ``pcre``, ``dotnet`` or ``ecmascript``).

    Raises ``ValueError`` for a body with ``invalid`` or ``unsupported`` syntax. It does not
    repeat :func:`validate`'s slower checks (exponential matching, unescaped dots): lowering
    validates every regex before anything renders it.
    """
    return anchor(_emit(_clean_tree(body)), dialect)


def render_dotted(body: str, dialect: str) -> str | None:
    """An anchored regex in ``dialect`` admitting exactly the Origins that are an origin the
    body admits with one dot added at the end of its host: ``scheme://host.`` or
    ``scheme://host.:port`` (the form a page opened under its fully qualified name sends), or
    ``None`` when no such Origin exists. A ``deny`` refuses both forms.

    The body's tree is rewritten so that the added dot may follow any character, each time
    guarded by a lookahead that only a port (or nothing) follows it; a lookahead at the start
    requires the scheme and host shape. Positions that cannot be followed by a port are left
    out, so the usual regex (ending in a host) gets one alternative."""
    end = DIALECTS[dialect][1][1:]
    dot = rf"\.(?=(?::[0-9]+)?{end})"
    dotted = _dotted(_clean_tree(body), dot)
    if dotted is None:
        return None
    shape = rf"(?=[a-z][a-z0-9+.\-]*://[^/?\x23:]+\.(?::[0-9]+)?{end})"
    return anchor(shape + dotted, dialect)


#: What a port suffix is made of.
_PORT_CHARS = frozenset(":" + string.digits)


def _may_be_port(node: _Node) -> bool:
    """Whether the node admits some string of port characters (the empty one included)."""
    if isinstance(node, _Literal):
        return node.char in _PORT_CHARS
    if isinstance(node, _Class):
        return bool(node.chars & _PORT_CHARS)
    if isinstance(node, _Any):
        return True
    if isinstance(node, _Group):
        return _may_be_port(node.body)
    if isinstance(node, _Seq):
        return all(_may_be_port(item) for item in node.items)
    if isinstance(node, _Alt):
        return any(_may_be_port(option) for option in node.options)
    return node.min == 0 or _may_be_port(node.body)


def _nullable(node: _Node) -> bool:
    if isinstance(node, _Literal | _Class | _Any):
        return False
    if isinstance(node, _Group):
        return _nullable(node.body)
    if isinstance(node, _Seq):
        return all(map(_nullable, node.items))
    if isinstance(node, _Alt):
        return any(map(_nullable, node.options))
    return node.min == 0 or _nullable(node.body)


def _may_start_with_colon(items: Sequence[_Node]) -> bool:
    for item in items:
        if isinstance(item, _Literal):
            return item.char == ":"
        if isinstance(item, _Class):
            return ":" in item.chars
        if isinstance(item, _Any):
            return True
        if isinstance(item, _Alt):
            if any(_may_start_with_colon((option,)) for option in item.options):
                return True
        else:
            inner = item.items if isinstance(item, _Seq) else (item.body,)
            if (not isinstance(item, _Repeat) or item.max != 0) and _may_start_with_colon(inner):
                return True
        if not _nullable(item):
            return False
    return False


def _may_follow_dot(items: Sequence[_Node]) -> bool:
    """Whether ``items`` may admit what follows the added dot: nothing, or ``:`` and digits
    (an over-approximation, which only costs alternatives the lookahead then refuses)."""
    if not all(map(_may_be_port, items)):
        return False
    return all(map(_nullable, items)) or _may_start_with_colon(items)


def _dotted(node: _Node, dot: str) -> str | None:
    """A regex for ``u + dot + v`` where ``u + v`` is a string of ``node`` and ``u`` is not
    empty; ``None`` when the node admits no non-empty string."""
    if isinstance(node, _Literal | _Class | _Any):
        return _emit(node) + dot
    if isinstance(node, _Group):
        inner = _dotted(node.body, dot)
        return None if inner is None else f"(?:{inner})"
    if isinstance(node, _Alt | _Seq):
        if isinstance(node, _Alt):
            found = [_dotted(option, dot) for option in node.options]
        else:
            items = node.items
            found = [
                "".join(map(_emit, items[:index])) + part + "".join(map(_emit, items[index + 1 :]))
                for index, item in enumerate(items)
                if _may_follow_dot(items[index + 1 :]) and (part := _dotted(item, dot)) is not None
            ]
        parts = [part for part in found if part is not None]
        return "(?:" + "|".join(parts) + ")" if parts else None
    inner = _dotted(node.body, dot)
    if inner is None or node.max == 0:
        return None
    repeated = _emit(node.body)

    def times(low: int, high: int | None) -> str:
        return "" if high == 0 else repeated + _quantifier(low, high)

    last = None if node.max is None else node.max - 1
    if not _may_follow_dot((node.body,)) or not _may_start_with_colon((node.body,)):
        # A later iteration would put something other than `:` right after the dot.
        return times(max(node.min - 1, 0), last) + inner
    # The dot in iteration `before + 1`; the iterations after it make up the rest.
    if node.max is None:
        low = max(node.min - 1, 0)
        alternatives = [times(b, b) + inner + times(low - b, None) for b in range(low)]
        alternatives.append(times(low, None) + inner + times(0, None))
    else:
        alternatives = [
            times(b, b) + inner + times(max(node.min - 1 - b, 0), node.max - 1 - b)
            for b in range(node.max)
        ]
    return "(?:" + "|".join(alternatives) + ")"


def escape(text: str) -> str:
    """A body matching exactly ``text`` (ASCII), in the form :func:`render` writes."""
    return "".join(_literal(char) for char in text)


def _emit(node: _Node) -> str:
    if isinstance(node, _Literal):
        return _literal(node.char)
    if isinstance(node, _Class):
        return _class(node.chars)
    if isinstance(node, _Any):
        return _class(PRINTABLE)
    if isinstance(node, _Group):
        return f"(?:{_emit(node.body)})"
    if isinstance(node, _Seq):
        return "".join(_emit(item) for item in node.items)
    if isinstance(node, _Alt):
        return "|".join(_emit(option) for option in node.options)
    return _emit(node.body) + _quantifier(node.min, node.max)


def _quantifier(low: int, high: int | None) -> str:
    if (low, high) == (0, 1):
        return "?"
    if (low, high) == (0, None):
        return "*"
    if (low, high) == (1, None):
        return "+"
    if low == high:
        return f"{{{low}}}"
    return f"{{{low},{'' if high is None else high}}}"


def _literal(char: str) -> str:
    if char in _PLAIN:
        return char
    if char in _META:
        return "\\" + char
    return f"\\x{ord(char):02x}"


def _class_char(char: str) -> str:
    if char in _CLASS_PLAIN:
        return char
    if char in _CLASS_META:
        return "\\" + char
    return f"\\x{ord(char):02x}"


def _class(chars: frozenset[str]) -> str:
    """A positive class from a set of characters: sorted, runs of three or more as ranges."""
    codes = sorted(map(ord, chars))
    parts: list[str] = []
    index = 0
    while index < len(codes):
        end = index
        while end + 1 < len(codes) and codes[end + 1] == codes[end] + 1:
            end += 1
        low, high = chr(codes[index]), chr(codes[end])
        if end - index >= 2:
            parts.append(f"{_class_char(low)}-{_class_char(high)}")
        else:
            parts.extend(_class_char(chr(code)) for code in codes[index : end + 1])
        index = end + 1
    return "[" + "".join(parts) + "]"


# ---- samples and look-alike probes -----------------------------------------------------------

#: A string the regex matches, built along one path through the tree, each character marked
#: true when the regex spells it out (a literal, or a dot meant as one).
_Sample: TypeAlias = tuple[tuple[str, bool], ...]

_MAX_SAMPLES = 12
#: The character a class contributes to a sample: the first of these it admits.
_PREFERRED = string.ascii_lowercase + "123456789" + "0" + "-" + string.ascii_uppercase


def _samples(node: _Node, dots: frozenset[_Any]) -> list[_Sample]:
    """Strings along a few paths: the first path takes every first choice (optional parts
    left out), and each further one changes a single choice."""
    if isinstance(node, _Literal):
        return [((node.char, True),)]
    if isinstance(node, _Any):
        return [((".", True),)] if node in dots else [(("a", False),)]
    if isinstance(node, _Class):
        char = next((c for c in _PREFERRED if c in node.chars), min(node.chars))
        return [((char, False),)]
    if isinstance(node, _Group):
        return _samples(node.body, dots)
    if isinstance(node, _Alt):
        return _first_few(sample for option in node.options for sample in _samples(option, dots))
    if isinstance(node, _Seq):
        choices = [_samples(item, dots) for item in node.items]
        defaults = [options[0] for options in choices]
        results = [_joined(defaults)]
        for index, options in enumerate(choices):
            for option in options[1:]:
                results.append(_joined([*defaults[:index], option, *defaults[index + 1 :]]))
        return _first_few(results)
    if node.max == 0:
        return [()]
    body = _samples(node.body, dots)
    repeated = [sample * max(node.min, 1) for sample in body]
    return _first_few([(), *repeated] if node.min == 0 else repeated)


def _joined(parts: Sequence[_Sample]) -> _Sample:
    return tuple(pair for part in parts for pair in part)


def _first_few(samples: Iterable[_Sample]) -> list[_Sample]:
    unique: dict[_Sample, None] = {}
    for sample in samples:
        unique.setdefault(sample, None)
        if len(unique) == 4 * _MAX_SAMPLES:
            break
    return list(unique)


def _matching_samples(body: str) -> list[_Sample]:
    root = _clean_tree(body)
    dots = frozenset(_unescaped_dots(_Automaton(root)))
    compiled = re.compile(render(body, "python"))
    # Every path through the tree is in the language; the check guards this module's own
    # logic, since a sample that does not match would defeat a deny-coverage test.
    found = [
        sample
        for sample in _samples(root, dots)
        if compiled.fullmatch("".join(char for char, _ in sample))
    ]
    return found[:_MAX_SAMPLES]


def sample_origins(body: str) -> list[str]:
    """A few distinct strings the regex matches: those shaped like origins a browser sends
    when there are any (``https://a.example.com`` for ``https://[a-z]+\\.example\\.com``),
    else whatever it matches. Raises ``ValueError`` for a body with ``invalid`` or
    ``unsupported`` syntax."""
    texts = ["".join(char for char, _ in sample) for sample in _matching_samples(body)]
    origins = [text for text in texts if _ORIGIN.fullmatch(text)]
    return origins or texts


@dataclass(frozen=True, slots=True)
class _SampleOrigin:
    scheme: str
    host: str
    #: Which characters of ``host`` the regex spells out.
    host_literal: tuple[bool, ...]
    port: str | None
    port_literal: bool

    def origin(self, scheme: str | None = None, host: str | None = None, port: str = "=") -> str:
        port_text = self.port if port == "=" else port
        suffix = f":{port_text}" if port_text is not None else ""
        return f"{scheme or self.scheme}://{host or self.host}{suffix}"


#: What a browser could send: lowercase scheme and host name, or an IPv6 address, and a port.
_ORIGIN = re.compile(
    r"(https?)://(\[[0-9a-f:.]+\]|[a-z0-9_-]+(?:\.[a-z0-9_-]+)*)(?::([0-9]+))?", re.ASCII
)


def _as_origin(sample: _Sample) -> _SampleOrigin | None:
    match = _ORIGIN.fullmatch("".join(char for char, _ in sample))
    if match is None:
        return None
    flags = tuple(literal for _, literal in sample)
    return _SampleOrigin(
        match.group(1),
        match.group(2),
        flags[match.start(2) : match.end(2)],
        match.group(3),
        all(flags[match.end(2) :]),
    )


def look_alike_probes(body: str) -> list[tuple[str, str]]:
    """Origins a careless regex admits by mistake, each with a description for a message.

    From each sample origin (:func:`sample_origins`) that has a host: the host with
    ``.evil.test`` appended; ``evil`` put before the host's literal ending (``example.com`` for
    ``[a-z]+\\.example\\.com``); each literal dot of the host replaced by a letter; the
    ``http://`` twin of an ``https://`` origin; a port the regex does not name. A scheme or
    port the regex spells out as a choice is deliberate and not probed: no ``http://`` twins
    when two samples differ only in scheme (``https?://``), no port probes when two samples
    differ only in port (``(:\\d+)?``) or a port is made of classes (``:\\d{4}``).
    Test each probe with the Python rendering: a probe that matches is a look-alike the regex
    admits. Raises ``ValueError`` like :func:`render`.
    """
    samples = _matching_samples(body)
    origins = [origin for origin in map(_as_origin, samples) if origin is not None]
    known = {"".join(char for char, _ in sample) for sample in samples}
    probes: dict[str, str] = {}

    def add(origin: str, description: str) -> None:
        if origin not in known:
            probes.setdefault(origin, description)

    schemes_chosen = _differ_only_in(origins, "scheme")
    ports_chosen = _differ_only_in(origins, "port") or not all(
        origin.port_literal for origin in origins
    )
    for sample in origins:
        host = sample.host
        # An IP address has no look-alike names.
        if not host.startswith("[") and not host.rpartition(".")[2].isdigit():
            _host_probes(sample, add)
        if sample.scheme == "https" and not schemes_chosen:
            add(sample.origin(scheme="http"), "`http://` instead of `https://`")
        if not ports_chosen:
            port = "8444" if sample.port == "8443" else "8443"
            add(sample.origin(port=port), f"a port the regex does not name (`:{port}`)")
    return list(probes.items())


def _differ_only_in(origins: Sequence[_SampleOrigin], field: str) -> bool:
    """Whether two of ``origins`` are the same but for ``field`` (``scheme`` or ``port``)."""
    rest = [name for name in ("scheme", "host", "port") if name != field]
    seen: dict[tuple[str | None, ...], str | None] = {}
    for origin in origins:
        key = tuple(getattr(origin, name) for name in rest)
        value = getattr(origin, field)
        if seen.setdefault(key, value) != value:
            return True
    return False


def _host_probes(sample: _SampleOrigin, add: Callable[[str, str], None]) -> None:
    host = sample.host
    add(sample.origin(host=host + ".evil.test"), "`.evil.test` appended to the host")
    ending = _literal_ending(sample)
    if ending:
        add(sample.origin(host="evil" + ending), f"`evil` put in front of `{ending}`")
    for index, char in enumerate(host):
        if char == "." and sample.host_literal[index]:
            label = host[:index].rpartition(".")[2]
            add(
                sample.origin(host=host[:index] + "x" + host[index + 1 :]),
                f"the `.` after `{label}` replaced by a letter",
            )


def _literal_ending(sample: _SampleOrigin) -> str:
    """The longest end of the host that the regex spells out, without a leading dot."""
    index = len(sample.host)
    while index and sample.host_literal[index - 1]:
        index -= 1
    return sample.host[index:].removeprefix(".")
