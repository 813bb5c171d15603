"""The origin tests of an Apache site as candidates for :func:`corsc.imports.answers.read_level`:
``SetEnvIf Origin`` regexes, ``RewriteCond %{HTTP:Origin}``, the Origin tests of ap_expr
expressions (``req('Origin') =~ …``, ``== '…'``, ``-in {…}``) and literal Allow-Origin values.

A regex that admits finitely many origins (corsc's apache output writes its exact origins as
a trie, ``https://(?:app\\.example\\.com|partner\\.example\\.net)``) is one candidate per
origin, and one that admits one or more labels before such a list
(``https://(?:[a-z0-9_-]+\\.)+(?:example\\.org)``) one subdomain wildcard per base, so the
policy names origins rather than regexes.
"""

from __future__ import annotations

import re
import re._parser as sre  # type: ignore[import-not-found]
from collections.abc import Iterator
from typing import Any

from corsc.imports.apache_syntax import Expr, ExprError, Node, parse_expr, walk
from corsc.imports.draft import exact, quote
from corsc.imports.witnesses import Candidate, origin_shaped, regex_candidates

_ORIGIN_CALLS = ("req", "http", "req_novary")
#: The labels before a subdomain wildcard's base, as corsc's apache output writes them.
_LABELS = r"(?:[a-z0-9_-]+\.)+"
_MOST = 64


def header_parts(node: Node) -> tuple[bool, str, list[str]] | None:
    """A ``Header`` directive as (``always``, action, its other arguments)."""
    args = list(node.args)
    always = bool(args) and args[0].lower() == "always"
    if args and args[0].lower() in ("always", "onsuccess"):
        args.pop(0)
    return (always, args[0].lower(), args[1:]) if args else None


def sets_cors(node: Node) -> bool:
    parts = header_parts(node) if node.key == "header" else None
    return (
        parts is not None
        and parts[1] in ("set", "add", "append", "merge", "setifempty")
        and bool(parts[2])
        and parts[2][0].lower().startswith("access-control-")
    )


def expressions(node: Node) -> Iterator[tuple[str, int]]:
    """The ap_expr expressions a directive holds."""
    if node.key in ("if", "elseif") and node.block is not None:
        yield " ".join(node.args), node.line
    elif node.key == "setenvifexpr" and node.args:
        yield node.args[0], node.line
    elif node.key == "rewritecond" and len(node.args) >= 2 and node.args[0] == "expr":
        yield node.args[1], node.line
    elif node.key == "header":
        for arg in node.args[2:]:
            if arg.startswith("expr=") and not arg.startswith("expr=%{"):
                yield arg[5:], node.line


def _origin_tests(tree: Expr, line: int) -> Iterator[Candidate]:
    kind = tree[0]
    if kind in ("and", "or"):
        yield from _origin_tests(tree[1], line)
        yield from _origin_tests(tree[2], line)
    elif kind == "not":
        yield from _origin_tests(tree[1], line)
    elif kind == "match" and _is_origin(tree[2]):
        yield from origin_regex(tree[3][1], tree[3][2], line)
    elif kind == "compare" and tree[1] in ("==", "!="):
        for left, right in ((tree[2], tree[3]), (tree[3], tree[2])):
            text = _literal(right)
            if _is_origin(left) and text and origin_shaped(text):
                yield Candidate(exact(text), (text,), line)
    elif kind == "in" and _is_origin(tree[1]):
        for item in tree[2]:
            text = _literal(item)
            if text and origin_shaped(text):
                yield Candidate(exact(text), (text,), line)


def _is_origin(word: Expr) -> bool:
    """Whether a word of an expression is the request's Origin (``req('Origin')``,
    ``%{HTTP:Origin}``, …)."""
    if word[0] == "string" and len(word[1]) == 1:
        word = word[1][0]
    if word == ("var", "HTTP_ORIGIN"):
        return True
    name = _literal(word[2]) if word[0] == "call" else None
    return word[1] in _ORIGIN_CALLS and (name or "").lower() == "origin"


def _literal(word: Expr) -> str | None:
    if word[0] == "literal":
        return str(word[1])
    if word[0] == "string" and all(part[0] == "literal" for part in word[1]):
        return "".join(str(part[1]) for part in word[1])
    return None


def candidates(nodes: list[Node]) -> list[Candidate]:
    """Every origin test of a site as candidates."""
    found: list[Candidate] = []
    for node in walk(nodes):
        args = node.args
        if node.key in ("setenvif", "setenvifnocase") and len(args) >= 3:
            if args[0].lower() == "origin":
                found += origin_regex(args[1], node.key == "setenvifnocase", node.line)
        elif node.key == "rewritecond" and len(args) >= 2 and args[0].lower() == "%{http:origin}":
            pattern = args[1].removeprefix("!")
            ignore_case = len(args) > 2 and "NC" in args[2].upper()
            if pattern.startswith("=") and origin_shaped(pattern[1:]):
                found.append(Candidate(exact(pattern[1:]), (pattern[1:],), node.line))
            elif not pattern.startswith(("=", "<", ">", "-")):
                found += origin_regex(pattern, ignore_case, node.line)
        elif sets_cors(node):
            parts = header_parts(node)
            assert parts is not None
            if parts[2][0].lower() == "access-control-allow-origin" and len(parts[2]) > 1:
                for value in re.split(r"[\s,]+", parts[2][1]):
                    if origin_shaped(value) and "%" not in value:
                        found.append(Candidate(exact(value), (value,), node.line))
        for text, line in expressions(node):
            try:
                found += _origin_tests(parse_expr(text), line)
            except ExprError:
                continue  # the machine reports it where it matters
    return found


def origin_regex(pattern: str, ignore_case: bool, line: int) -> list[Candidate]:
    """``regex_candidates``, with each regex alternative admitting finitely many origins (or
    subdomains of finitely many bases) split into exact origins (or wildcards)."""
    found: list[Candidate] = []
    for candidate in regex_candidates(pattern, ignore_case, line):
        body = _body(candidate)
        split = _split(body) if body is not None and candidate.unanchored is None else None
        found += split if split is not None else [candidate]
    return [Candidate(c.entry, c.witnesses, line, c.unanchored) for c in found]


def _body(candidate: Candidate) -> str | None:
    entry = candidate.entry or ""
    if not entry.startswith('regex "'):
        return None
    body = entry[len('regex "') : -1].replace('\\"', '"').replace("\\\\", "\\")
    return body if "regex " + quote(body) == entry else None


def _split(body: str) -> list[Candidate] | None:
    scheme, labels, rest = body.partition(_LABELS)
    if labels:
        start = _finite(scheme)
        bases = _finite(rest)
        if start is None or bases is None or len(start) != 1 or not start[0].endswith("://"):
            return None
        return [
            Candidate(
                exact(f"{start[0]}*.{base}"),
                (f"{start[0]}a.{base}", f"{start[0]}a.b.{base}"),
                0,
            )
            for base in bases
        ]
    origins = _finite(body)
    if origins is None or not all(origin_shaped(origin) for origin in origins):
        return None
    return [Candidate(exact(origin), (origin,), 0) for origin in origins]


def _finite(body: str) -> list[str] | None:
    """Every text the full-match regex ``body`` matches, when they are few."""
    try:
        tokens = sre.parse(body)
    except (re.error, RecursionError, OverflowError):
        return None
    return _texts(tokens)


def _texts(tokens: Any) -> list[str] | None:
    found = [""]
    for op, arg in tokens:
        name = str(op)
        if name == "LITERAL":
            options: list[str] | None = [chr(arg)]
        elif name == "SUBPATTERN":
            options = _texts(arg[-1])
        elif name == "BRANCH":
            options = []
            for branch in arg[1]:
                inner = _texts(branch)
                if inner is None:
                    return None
                options += inner
        elif name == "MAX_REPEAT" and arg[0] == 0 and arg[1] == 1:
            inner = _texts(arg[2])
            options = None if inner is None else ["", *inner]
        elif name == "IN" and all(str(item[0]) == "LITERAL" for item in arg):
            options = [chr(item[1]) for item in arg]
        else:
            return None
        if options is None or len(found) * len(options) > _MOST:
            return None
        found = [head + tail for head in found for tail in options]
    return found
