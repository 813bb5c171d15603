"""Hostile policies and the requests that probe them, written once for every target whose
injection tests serve its output in a real server (Apache, HAProxy): names made of every token
character, path prefixes and regexes holding what configuration languages, shells and URLs
give meaning to, and ``--set`` values of the same. Each target's test serves the policy and
compares every answer with the evaluator's."""

from __future__ import annotations

import urllib.parse

from hypothesis import strategies as st

from corsc.evaluate import Request

#: The characters of an HTTP token (RFC 9110, section 5.6.2), punctuation first.
TCHAR = "!#$%&'*+-.^_`|~" + "abXY09"
TOKENS = st.text(alphabet=TCHAR, min_size=1, max_size=8).filter(lambda t: t != "*")
#: Characters a path prefix may hold that mean something to a server, a shell or a URL.
PATH_TEXT = st.text(alphabet="ab'\"$%{}()!*+,;=@:~-._\\é/#<>", min_size=1, max_size=10)
ORIGIN = "https://a.example.com"


def quoted(value: str) -> str:
    """A string of the policy language."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def get(path: str, origin: str = ORIGIN) -> Request:
    return Request("GET", path, (("Origin", origin),))


def preflight(path: str, method: str, headers: str, origin: str = ORIGIN) -> Request:
    return Request(
        "OPTIONS",
        path,
        (
            ("Origin", origin),
            ("Access-Control-Request-Method", method),
            ("Access-Control-Request-Headers", headers),
        ),
    )


def names_policy(method: str, header: str, expose: str) -> tuple[str, list[Request]]:
    """A policy granting hostile names, and requests asking for them, near them and for them
    in a list with empty items."""
    text = (
        f'policy p {{\n  origins "{ORIGIN}", "https://b.example.com"\n'
        f"  methods {quoted(method)}\n  headers {quoted(header)}\n"
        f"  expose {quoted(expose)}\n  max-age 5\n}}\n"
    )
    requests = [
        preflight("/x", method, header),
        preflight("/x", method + "x", header),
        preflight("/x", method, header + "x"),
        preflight("/x", method, f" {header} ,, {header}"),
        get("/x"),
    ]
    return text, requests


def path_prefix_policy(prefix: str) -> tuple[str, list[Request]]:
    """A policy for the hostile prefix ``/prefix`` beside a fallback, and requests under the
    prefix, below it and beside it, from each policy's origin, sent as a browser sends them
    (every character outside the URL's own set percent-encoded)."""
    written = "/" + prefix
    text = (
        f'policy p {{\n  paths {quoted(written)}\n  origins "https://p.example.com"\n}}\n'
        'policy f {\n  origins "https://f.example.com"\n}\n'
    )
    sent = urllib.parse.quote(written, safe="/%!$&'()*+,;=:@~-._")
    requests = [
        get(path, origin)
        for path in (sent, sent + "/below", sent + "x")
        for origin in ("https://p.example.com", "https://f.example.com")
    ]
    return text, requests


#: Regexes holding quotes, comment and format characters, escapes, braces and angle brackets.
HOSTILE_REGEXES = [
    r"^https://a'b\.example\.com$",
    r"^https://(x|y)#\.example\.com$",
    r"^https://[a-z]{1,3}%\.example\.com$",
    r"^https://a\$b\.example\.com$",
    r"^https://a\\b\.example\.com$",
    r"^https://a\"b\.example\.com$",
    r"^https://a\{b\}\.example\.com$",
    r"^https://a<b>\.example\.com$",
]
#: Origins some hostile regex or the deny may admit, and ones none admits.
REGEX_ORIGINS = [
    "https://a'b.example.com",
    "https://x#.example.com",
    "https://y#.example.com",
    "https://ab%.example.com",
    "https://a$b.example.com",
    "https://a\\b.example.com",
    'https://a"b.example.com',
    "https://a{b}.example.com",
    "https://a<b>.example.com",
    "https://aXb.example.com",
    "https://z.example.com",
]


def regex_policy(pattern: str) -> tuple[str, list[Request]]:
    """A policy allowing the hostile regex ``pattern`` and a `let` name, denying a hostile
    regex, and requests from every origin of :data:`REGEX_ORIGINS` (and preflights from the
    denied one and an allowed one)."""
    text = (
        f'let extra = "https://z.example.com"\npolicy p {{\n  origins regex {quoted(pattern)}, '
        'extra\n  deny regex "^https://x\'#\\\\.example\\\\.com$"\n}\n'
    )
    requests = [get("/", origin) for origin in REGEX_ORIGINS]
    requests += [
        preflight("/", "GET", "", origin) for origin in ("https://x#.example.com", REGEX_ORIGINS[0])
    ]
    return text, requests


#: A policy whose origins a hostile ``--set`` value replaces, the value, and requests from the
#: origins it names and from the one it replaces.
SET_POLICY = 'let extra = "https://z.example.com"\npolicy p {\n  origins extra\n}\n'
SET_OVERRIDES = ("extra=regex:^https://q'%#\\$\\{x\\}\\.example\\.com$,https://w.example.com",)
SET_REQUESTS = [
    get("/", origin)
    for origin in ("https://q'%#${x}.example.com", "https://w.example.com", "https://z.example.com")
]


#: A policy of 1,000 origins (500 exact, 500 subdomain wildcards): the long lists a server
#: holds in pattern files or tries.
LARGE = (
    "policy big {\n  origins "
    + ", ".join(
        [f'"https://app{n}.example.com"' for n in range(500)]
        + [f'"https://*.tenant{n}.example.net"' for n in range(500)]
    )
    + "\n  methods GET, PUT\n}\n"
)
#: Origins :data:`LARGE` admits (first, last, wildcards at depth one and two), near-misses of
#: them (the base itself, a suffix, no dot, another scheme, case, the default port written
#: out) and no Origin: a server must answer each as the evaluator does.
BIG_ORIGINS: list[str | None] = [
    "https://app0.example.com",
    "https://app499.example.com",
    "https://app500.example.com",
    "https://x.tenant0.example.net",
    "https://a.b.tenant499.example.net",
    "https://tenant499.example.net",
    "https://x.tenant500.example.net",
    "https://x.tenant1.example.net.evil.com",
    "https://xtenant1.example.net",
    "http://x.tenant1.example.net",
    "https://X.tenant1.example.net",
    "https://x.tenant1.example.net:443",
    None,
]
