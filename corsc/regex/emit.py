"""Rendering a regex body for each dialect: Python, PCRE (nginx), .NET (IIS URL Rewrite) and
ECMAScript, so a backend never pastes the user's text into its output.

The body is the same in every dialect; only the anchors differ
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

from corsc.regex.syntax import clean_tree
from corsc.regex.tree import ALNUM, PRINTABLE, Alt, AnyChar, CharClass, Group, Literal, Node, Seq

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

# Rendering tables. Outside a class, these are written as they are; metacharacters get a
# backslash (valid in all four dialects, ECMAScript's `u` mode included); anything else \xHH.
_PLAIN = ALNUM | frozenset("-_:/,=@!%~")
_META = frozenset(".^|?*+()[]{}\\")
# Inside a class. `-`, `^`, `[`, `]` and `\` always get a backslash, wherever they stand.
# Doubled `~`, `|` or `&` (future set operations in Python) cannot occur: a class is written
# from its set of characters, each once.
_CLASS_PLAIN = ALNUM | frozenset("_:/,=@!%.*+?(){}|~")
_CLASS_META = frozenset("\\]^[-")


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
    repeat the slower checks of :func:`corsc.regex.validation.validate` (exponential matching,
    unescaped dots): lowering validates every regex before anything renders it.
    """
    return anchor(emit_node(clean_tree(body)), dialect)


def escape(text: str) -> str:
    """A body matching exactly ``text`` (ASCII), in the form :func:`render` writes."""
    return "".join(_literal(char) for char in text)


def emit_node(node: Node) -> str:
    """The source of ``node`` in the portable form every dialect reads alike (no anchors)."""
    if isinstance(node, Literal):
        return _literal(node.char)
    if isinstance(node, CharClass):
        return _class(node.chars)
    if isinstance(node, AnyChar):
        return _class(PRINTABLE)
    if isinstance(node, Group):
        return f"(?:{emit_node(node.body)})"
    if isinstance(node, Seq):
        return "".join(emit_node(item) for item in node.items)
    if isinstance(node, Alt):
        return "|".join(emit_node(option) for option in node.options)
    return emit_node(node.body) + quantifier(node.min, node.max)


def quantifier(low: int, high: int | None) -> str:
    """The shortest quantifier for ``low`` to ``high`` repetitions (``None``: unbounded)."""
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
    """One character outside a class."""
    return _written(char, _PLAIN, _META)


def _class_char(char: str) -> str:
    """One character inside a class."""
    return _written(char, _CLASS_PLAIN, _CLASS_META)


def _written(char: str, plain: frozenset[str], meta: frozenset[str]) -> str:
    """``char`` as it is when ``plain``, after a backslash when ``meta``, else as ``\\xHH``."""
    if char in plain:
        return char
    if char in meta:
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
