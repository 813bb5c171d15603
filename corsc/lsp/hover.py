"""Hover: what the word under the cursor means, in Markdown.

Statement names and keywords get their meaning and default (README: Statements); methods and
headers what browsers do with them; durations their seconds and the browsers' caps; origin
patterns their canonical form and, tried against the pattern's own matcher, a few origins it
admits and refuses; a ``let`` name (bound or used) its value as written.
"""

from __future__ import annotations

from corsc import http
from corsc.ir import Grant, OriginPattern, PatternKind
from corsc.lsp.analysis import Analysis
from corsc.lsp.outline import Item, Statement, Token
from corsc.origin_regex import matcher
from corsc.origins import parse_pattern, regex_pattern
from corsc.regex.samples import look_alike_probes, sample_origins
from corsc.source import Source

#: The span of a pattern read for a hover (no diagnostic is ever reported at it).
_NOWHERE = Source("", "").span(0)

#: Each keyword: what it takes and means, and its default (README: Statements).
KEYWORD_HELP = {
    "paths": ("path prefixes in quotes", "the request paths this policy governs", "every path"),
    "origins": (
        "origin patterns, `let` names or `*`",
        "who may read responses; required unless `origin` blocks allow origins",
        "",
    ),
    "deny": ("origin patterns or `let` names", "carve-outs; deny always wins", "none"),
    "methods": ("method names or `*`", "methods a preflight grants", "`GET, HEAD, POST`"),
    "headers": ("request header names or `*`", "request headers a preflight grants", "none"),
    "expose": ("response header names or `*`", "response headers scripts may read", "none"),
    "credentials": ("`true` or `false`", "cookies and HTTP authentication allowed", "`false`"),
    "max-age": ("a duration (`600`, `10m`, `2h`)", "how long a browser caches a preflight", ""),
    "private-network": (
        "`true` or `false`",
        "answer Private Network Access preflights",
        "`false`",
    ),
    "unlisted": (
        "`pass` or `reject`",
        "requests from origins that are not allowed: `pass` serves them without CORS "
        "headers, `reject` answers 403",
        "`pass`",
    ),
    "preflight-status": ("`200` or `204`", "the status of an accepted preflight", "`204`"),
    "let": ("`NAME = VALUE, …`", "binds a list for reuse wherever a list is expected", ""),
    "policy": ("`NAME { … }`", "the CORS settings of some paths", ""),
    "origin": (
        "an origin pattern and a block",
        "allows that pattern and overrides `methods`, `headers`, `expose`, `credentials`, "
        "`max-age` and `private-network` for it",
        "",
    ),
    "regex": ("a string", "an origin regex, matched against the whole Origin", ""),
}

#: What the values of the statements of one word mean.
VALUE_HELP = {
    ("credentials", "true"): "browsers send cookies and HTTP authentication, and scripts "
    "may read the response",
    ("credentials", "false"): "no cookies or HTTP authentication cross origins (the default)",
    ("private-network", "true"): "answer Private Network Access preflights from public pages",
    ("private-network", "false"): "Private Network Access preflights are refused (the default)",
    ("unlisted", "pass"): "origins that are not allowed are served without CORS headers "
    "(the default)",
    ("unlisted", "reject"): "requests with an Origin that is not allowed get 403, same-origin "
    "requests that send Origin included",
    ("preflight-status", "200"): "accepted preflights get 200, for old clients",
    ("preflight-status", "204"): "accepted preflights get 204 No Content (the default)",
}

#: Browser caps on a preflight cache (Safari, Chromium, every engine), in seconds.
_CAPS = ((600, "Safari"), (7200, "Chromium"), (86400, "every engine"))


def hover(analysis: Analysis, offset: int) -> tuple[str, Token] | None:
    """The Markdown for the token at ``offset`` and the token, or ``None``."""
    token = analysis.outline.token_at(offset)
    if token is None:
        return None
    chain = analysis.outline.innermost(offset)
    statement = chain[-1] if chain else None
    bindings = analysis.outline.bindings()
    if statement is not None and statement.name == token and token.text in bindings:
        return _binding(analysis, bindings[token.text]), token
    if statement is not None and token == statement.keyword:
        return _keyword(token.text), token
    item = _item(statement, token)
    if statement is None or item is None:
        return None
    if item.form == "word" and item.text in bindings:
        return _binding(analysis, bindings[item.text]), token
    markdown = _value(analysis, statement, item)
    return None if markdown is None else (markdown, token)


def _item(statement: Statement | None, token: Token) -> Item | None:
    if statement is None:
        return None
    return next((i for i in statement.items if i.start <= token.start < i.end), None)


def _keyword(word: str) -> str:
    found = KEYWORD_HELP.get(word)
    if found is None:
        return f"`{word}` is not a statement name"
    takes, means, default = found
    shown = f"\n\nDefault: {default}." if default else ""
    return f"**{word}** {takes}\n\n{means[0].upper()}{means[1:]}.{shown}"


def _binding(analysis: Analysis, binding: Statement) -> str:
    written = analysis.text[binding.start : binding.end].rstrip()
    uses = len(analysis.outline.references(binding.name.text if binding.name else ""))
    times = "once" if uses == 1 else f"{uses} times"
    return f"```cors\n{written}\n```\n\nUsed {times}."


def _value(analysis: Analysis, statement: Statement, item: Item) -> str | None:
    keyword = statement.keyword.text
    if keyword == "let":  # a binding takes its kind from where it is used; guess it
        if item.form == "string" and _unquoted(item.text).startswith("/"):
            keyword = "paths"
        elif item.form != "word":
            keyword = "origins"
        else:
            keyword = "methods" if item.text.isupper() else "headers"
    if keyword in ("origins", "deny", "origin"):
        return _origin(item) if item.form != "word" else None
    if keyword == "methods":
        return _method(item.text)
    if keyword in ("headers", "expose"):
        return _header(item.text, request=keyword == "headers")
    if keyword == "max-age":
        return _max_age(analysis, item)
    if keyword == "paths" and item.form == "string":
        prefix = _unquoted(item.text).rstrip("/") or "/"
        below = "every path" if prefix == "/" else f"`{prefix}` and `{prefix}/…`"
        return f"**paths**: requests to {below}, on segment boundaries."
    meaning = VALUE_HELP.get((keyword, item.text))
    return f"**{keyword} {item.text}**: {meaning}." if meaning else None


def _method(method: str) -> str:
    if method == "*":
        return "**methods \\***: every method, by reflecting the requested one."
    if method.upper() in http.FORBIDDEN_METHODS:
        return f"**{method}**: browsers refuse to send it from scripts."
    if method in http.SAFELISTED_METHODS:
        return f"**{method}**: never needs a grant; a preflight always allows GET, HEAD and POST."
    note = ""
    if method.upper() in http.NORMALIZED_METHODS and method != method.upper():
        note = f" Browsers send it as `{method.upper()}`, and methods compare case-sensitively."
    return f"**{method}**: a preflight grants it to scripts.{note}"


def _header(name: str, *, request: bool) -> str:
    if name == "*":
        what = "every request header, by reflecting the requested ones" if request else "`*`"
        return f"**\\***: {what}."
    lowered = name.lower()
    if request and http.is_forbidden_header(lowered):
        return f"**{name}**: scripts cannot set it; browsers do."
    if request and lowered in http.SAFELISTED_REQUEST_HEADERS:
        return f"**{name}**: with an ordinary value it never needs a preflight."
    if not request and lowered in http.SAFELISTED_RESPONSE_HEADERS:
        return f"**{name}**: scripts can always read it."
    if not request and lowered in http.UNEXPOSABLE_HEADERS:
        return f"**{name}**: browsers never let scripts read it."
    if request:
        return f"**{name}**: scripts may send it once a preflight grants it."
    return f"**{name}**: scripts of allowed origins may read it."


def _max_age(analysis: Analysis, item: Item) -> str | None:
    seconds = next(
        (
            grant.max_age.value
            for grant in _grants(analysis)
            if grant.max_age.written
            and grant.max_age.value is not None
            and grant.max_age.span.start.offset <= item.start < grant.max_age.span.end.offset
        ),
        None,
    )
    if seconds is None:
        return None
    capped = [f"{browser} caps it at {cap} s" for cap, browser in _CAPS if seconds > cap]
    note = f" ({'; '.join(capped)})" if capped else ""
    return f"**max-age {item.text}**: preflights are cached for {seconds} s{note}."


def _grants(analysis: Analysis) -> list[Grant]:
    policy_set = analysis.loaded.policy_set
    if policy_set is None:
        return []
    return [
        grant
        for policy in policy_set.policies
        for grant in (policy.grant, *(entry.grant for entry in policy.entries if entry.block))
    ]


def _unquoted(text: str) -> str:
    """A string's content: the quotes removed, ``\\"`` and ``\\\\`` unescaped (README:
    Lexical rules — every other backslash is kept)."""
    body = text[1:-1] if len(text) >= 2 and text.endswith('"') else text[1:]
    result, index = [], 0
    while index < len(body):
        if body[index] == "\\" and body[index + 1 : index + 2] in ('"', "\\"):
            index += 1
        result.append(body[index])
        index += 1
    return "".join(result)


def _origin(item: Item) -> str:
    text = item.text if item.form == "star" else _unquoted(item.text)
    span = _NOWHERE
    if item.form == "regex":
        pattern: OriginPattern | None = regex_pattern(text, span)
    elif text == "*":
        pattern = OriginPattern(PatternKind.ANY, "*", span)
    else:
        parsed = parse_pattern(text, span)
        if parsed.pattern is None:
            return f"Not an origin pattern: {parsed.problem.message if parsed.problem else text}."
        pattern = parsed.pattern
    assert pattern is not None
    lines = [f"**{pattern.kind.value} origin pattern** `{pattern.canonical}`"]
    if pattern.kind in (PatternKind.ANY, PatternKind.NULL):
        lines.append(
            "Every origin, `null` included."
            if pattern.kind is PatternKind.ANY
            else "The opaque origin of sandboxed iframes, `data:` URLs and local files."
        )
        return "\n\n".join(lines)
    admitted, refused = _examples(pattern)
    if admitted:
        lines.append("Admits " + ", ".join(f"`{origin}`" for origin in admitted) + ".")
    if refused:
        lines.append("Refuses " + ", ".join(f"`{origin}`" for origin in refused) + ".")
    return "\n\n".join(lines)


def _examples(pattern: OriginPattern, limit: int = 3) -> tuple[list[str], list[str]]:
    """A few origins the pattern admits and refuses, each tried with its matcher."""
    if pattern.kind is PatternKind.REGEX:
        try:
            candidates = sample_origins(pattern.regex) + [
                probe for probe, _ in look_alike_probes(pattern.regex)
            ]
            matches = matcher(pattern)
        except ValueError:  # a regex outside the portable subset: its diagnostic says why
            return [], []
    else:
        scheme, host = pattern.scheme, pattern.host
        other = "http" if scheme == "https" else "https"
        port = f":{pattern.port}" if pattern.port is not None else ""
        candidates = [
            f"{scheme}://{host}{port}",
            f"{scheme}://app.{host}{port}",
            f"{scheme}://a.b.{host}{port}",
            f"{other}://{host}{port}",
            f"{scheme}://{host}:8443",
            f"{scheme}://{host}.evil.test{port}",
            f"{scheme}://evil{host}{port}",
        ]
        matches = matcher(pattern)
    admitted = [origin for origin in dict.fromkeys(candidates) if matches(origin)]
    refused = [origin for origin in dict.fromkeys(candidates) if not matches(origin)]
    return admitted[:limit], refused[:limit]
