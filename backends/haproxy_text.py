"""HAProxy's configuration syntax for the ``haproxy`` target: quoted words, log-format values,
pattern files, and the regexes its rules match request headers with.

Invariants of everything written here (HAProxy 2.6's configuration manual, section 2.2,
"Quoting and escaping", https://docs.haproxy.org/2.6/configuration.html#2.2):

- every word that carries a policy value is single-quoted by :func:`word`: inside single
  quotes HAProxy expands nothing (no ``$VAR``, no backslash escape, ``#`` is not a comment),
  and a ``'`` of the value is written as ``'\\''`` (close, an escaped quote, reopen), which
  HAProxy joins into the same word; control characters and non-ASCII are refused, so no value
  can end a line or a word;
- a header value is also a log-format string, where ``%`` starts a sample expression:
  :func:`fixed` writes every ``%`` of a value as ``%%``, so a value is sent as written; the
  only ``%[…]`` in the output are the request fields the target reflects;
- a pattern file holds one pattern per line, read as written (HAProxy strips leading blanks
  and skips lines starting with ``#``): :func:`pattern_file` refuses a pattern that starts
  with a blank or ``#``, holds a line break or is longer than HAProxy reads;
- regexes are PCRE (HAProxy is built with PCRE2 on Debian); origin patterns are rendered by
  :mod:`corsc.origin_regex`, anchored and escaped, and the list regexes here write every
  character of a name that PCRE could read as an operator as ``\\xHH``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from corsc import origins

#: HAProxy reads a pattern-file line into a buffer of ``tune.bufsize`` (16384 bytes by
#: default); this leaves room for the line break.
MAX_PATTERN = 16000

#: HAProxy splits a configuration line into at most 64 words; a list of more patterns than
#: this goes into a pattern file (``-f``), where there is no such limit.
MAX_INLINE = 16

#: The request fields the rules read, as HAProxy sample fetches (``req.fhdr``: the whole value
#: of the last occurrence, not split at commas; trimmed of blanks by HAProxy's parser).
ORIGIN = "req.fhdr(origin)"
ACRM = "req.fhdr(access-control-request-method)"
#: The last Access-Control-Request-Headers line (in an ACL too).
ACRH_LAST = "req.fhdr(access-control-request-headers,-1)"
#: The last Access-Control-Request-Private-Network line only (in an ACL, ``req.fhdr`` without
#: an occurrence would try every line).
ACRPN_LAST = "req.fhdr(access-control-request-private-network,-1)"

# The request path in the forms corsc's meaning compares (README: Paths), as HAProxy sample
# expressions, each written as one single-quoted word (their converter arguments are
# double-quoted, and hold no `'`). A `%` that starts no escape is kept as it is (``url_dec``
# alone would fail on it, and the path would get no policy); no regex here uses a backslash.
_LENIENT = 'regsub("%(?![0-9A-Fa-f]{2})",%25,g)'
#: Dot segments removed (RFC 3986 5.2.4): single dots, then up to three levels of ``..``,
#: then ``..`` at the root; a ``..`` left over is refused as ambiguous (:data:`DOT_DOT`).
_NO_DOTS = ",".join(
    [
        'regsub("/[.](?=/|$)","",g)',
        *['regsub("/(?![.][.](?:/|$))[^/]+/[.][.](?=/|$)","",g)'] * 3,
        'regsub("^(?:/[.][.](?=/|$))+","")',
    ]
)
#: Decoded once with ``%2F`` kept as the text ``%2F`` (data, not a boundary), dots removed:
#: the path a policy is chosen by.
KEPT_PATH = f'path,{_LENIENT},regsub("%2[Ff]",%252F,g),url_dec,{_NO_DOTS}'
#: Every escape decoded, ``%2F`` too: how servers may route it.
DECODED_PATH = f"path,{_LENIENT},url_dec"
MERGE_SLASHES = 'regsub("/+",/,g)'
NO_DOTS = _NO_DOTS
#: Converters that write a request header list as the evaluator reflects it: items trimmed,
#: empty ones dropped, joined by ``, ``.
LIST_AS_REFLECTED = ",".join(
    [
        'regsub("[[:blank:]]*,[[:blank:]]*",",",g)',
        'regsub(",+",",",g)',
        'regsub("^,|,$","",g)',
        'regsub(",",", ",g)',
    ]
)
#: A ``..`` segment.
DOT_DOT = "(?:^|/)[.][.](?:/|$)"

#: One token character, as a PCRE class (`#`, `'` and the backtick as \xHH).
_TOKEN_CHAR = r"[!\x23$%&\x27*+.^_\x60|~0-9A-Za-z-]"
#: HTTP's optional whitespace as a PCRE class.
_WS = r"[ \x09]"
#: A request header list that names something: an item with a character other than blanks.
ASKED = r"[^ \x09,]"
#: The shape of an origin whose host is labels joined by dots: what a subdomain wildcard
#: admits before its base is compared with ``-m end`` (README: Origin patterns).
LABELLED = rf"^[a-z]+://{origins.LABEL}(?:\.{origins.LABEL})*(?::[0-9]+)?\z"


class Unwritable(ValueError):
    """A value that cannot be written into HAProxy's configuration. The backend's check
    reports every such value first (CORS601, CORS672); reaching this is a bug."""


def _printable(value: str) -> str:
    if any(not " " <= char <= "~" for char in value):
        raise Unwritable(f"no HAProxy word for {value!r}: a control or non-ASCII character")
    return value


def word(value: str) -> str:
    """``value`` as one single-quoted HAProxy word that HAProxy reads back as written."""
    return "'" + _printable(value).replace("'", "'\\''") + "'"


def fixed(value: str) -> str:
    """A header value that HAProxy sends as written: a quoted word, ``%`` as ``%%``."""
    return word(value.replace("%", "%%"))


def path_word(value: str) -> str:
    """A decoded path prefix as a quoted word; non-ASCII (UTF-8) is kept, since HAProxy
    compares bytes and its configuration is read as bytes, but control characters are not."""
    if any(char < " " or "\x7f" <= char <= "\x9f" for char in value):
        raise Unwritable(f"no HAProxy word for the path {value!r}")
    return "'" + value.replace("'", "'\\''") + "'"


def pattern_file(patterns: Iterable[str]) -> str:
    """The text of a pattern file: one pattern a line, as HAProxy reads them back."""
    lines = []
    for pattern in patterns:
        if (
            not pattern
            or pattern[0] in " \t#"
            or "\n" in pattern
            or "\r" in pattern
            or len(pattern) > MAX_PATTERN
        ):
            raise Unwritable(f"no pattern-file line for {pattern!r}")
        lines.append(pattern)
    return "".join(line + "\n" for line in lines)


def _token_regex(token: str) -> str:
    """An RFC 9110 token as PCRE text: every character but a letter or digit as ``\\xHH``."""
    return "".join(c if c.isascii() and c.isalnum() else f"\\x{ord(c):02x}" for c in token)


#: What a preflight asks, as one variable: the Access-Control-Request-Method, a colon (never
#: in a method token) and the last Access-Control-Request-Headers line ("" for none).
PREFLIGHT_QUESTION = f'"%[{ACRM}]:%[{ACRH_LAST}]"'


def question_regex(methods: Sequence[str] | None, headers: Sequence[str] | None) -> str:
    """A PCRE for :data:`PREFLIGHT_QUESTION` that a grant answers: the method one of
    ``methods`` (case-sensitive; ``None``, ``methods *``: any token), then every header item
    granted (caseless; items split at commas, blanks around them and empty items ignored, as
    the evaluator reads them; ``None``, ``headers *``: any token).

    Each item is blanks, then optionally a whole name (no token character after it) followed
    by blanks, then a comma or the end, so no text can be split two ways and every quantifier
    is possessive: PCRE keeps no backtracking state per item, which HAProxy's JIT stack (32 kB)
    would run out of on a list of a few hundred items, refusing what the evaluator accepts.
    The item is written once, so a long list of granted names is one alternation."""
    if methods is None:
        method = f"{_TOKEN_CHAR}++"
    else:
        method = "(?:" + "|".join(_token_regex(name) for name in methods) + ")"
    if headers is None:
        name = f"{_TOKEN_CHAR}++"
    elif headers:
        names = "|".join(_token_regex(header.lower()) for header in headers)
        name = f"(?:{names})(?!{_TOKEN_CHAR})"
    else:
        name = ""
    item = f"{_WS}*+" + (f"(?:{name}{_WS}*+)?+" if name else "")
    return f"^{method}:(?i:(?:{item}(?:,|\\z))*+)\\z"


def comment(text: str) -> str:
    """A comment line: nothing in it may end the line (UTF-8 is fine in a comment)."""
    if any(char < " " or "\x7f" <= char <= "\x9f" for char in text):
        raise Unwritable(f"no HAProxy comment for {text!r}")
    return "# " + text if text else "#"


def proxy_name(value: str) -> bool:
    """Whether ``value`` is usable as a HAProxy section name (letters, digits, ``-_.:``)."""
    return re.fullmatch(r"[A-Za-z0-9_.:-]+", value) is not None


#: The ``-m len`` range of an Origin that may be allowed: not empty, no longer than an origin.
ORIGIN_LENGTHS = f"1:{origins.MAX_ORIGIN_LENGTH}"
