"""The haproxy target against requests and policies chosen to break it: what a preflight asks
(several Access-Control-Request-* lines, empty ones, methods with ``:`` or other non-token
characters, ``%`` and quotes, header lists with odd blanks and commas, lists of hundreds of
items), Origins of every length around 267 characters under ``*``, regexes, wildcards, denies
and ``unlisted reject``, several or empty Origin lines, ``null``, ``methods *`` and ``headers
*`` reflected, private network access asked once, twice or not, origin blocks with their own
max-age and credentials, static mode, ``-O upstream=hide`` behind an application that sends
its own CORS headers, paths with several policies, ``preflight-status 200`` and HAProxy's own
503. One real HAProxy 2.6 serves each set; every answer is compared with the evaluator's
(status, CORS headers in order, Vary) on the request as HAProxy reads it: the declared
deviations of docs/haproxy.md (the last of repeated Access-Control-Request-* lines, several
Origin lines taken as an origin that is not allowed) are :func:`as_read`."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corsc.evaluate import Evaluator, Request
from tests.conformance_haproxy import Compiled, compile_or_refuse, require_haproxy, serving
from tests.conformance_nginx import send
from tests.python_harness import CorsPart, cors_part, expected_part, same_part

METHOD = "Access-Control-Request-Method"
HEADERS = "Access-Control-Request-Headers"
PRIVATE = "Access-Control-Request-Private-Network"

#: An Origin no entry admits: longer than any origin (269 characters).
NOT_ALLOWED = "https://" + "a" * 256 + ".test"
#: A host of 253 characters (four labels of 50, one of 49): the longest origin is this with
#: ``https://`` and ``:65535``.
HOST_253 = ".".join(["a" * 50] * 4) + "." + "b" * 49
LONGEST = f"https://{HOST_253}:65535"

#: A regex, the longest exact origin, a subdomain and a port wildcard on a 50-letter label.
_LENGTH_ORIGINS = ", ".join(
    [
        'regex "^https://[a-z0-9.]+\\\\.example\\\\.com$"',
        f'"{LONGEST}"',
        f'"https://*.{"c" * 50}.com"',
        f'"https://{"c" * 50}.com:*"',
    ]
)

#: Policies of every shape the rules write differently, each served behind its own frontend.
POLICIES = {
    "listed": """
policy listed {
  origins "https://app.example.com", "https://*.example.org", "http://localhost:*"
  deny "https://bad.example.org"
  methods GET, PUT, A'B, X%M
  headers Content-Type, X-A, X-AB, X'Q, X-%41
  expose X-Id
  credentials true
  max-age 600
  origin "https://pn.example.com" {
    private-network true
    max-age 5
    credentials false
  }
  origin "null" {
    methods DELETE
    credentials false
  }
}
""",
    "reflect": """
policy reflect {
  origins *
  deny "https://bad.example.org"
  methods *
  headers *
  expose *
  max-age 1
}
""",
    "static": """
policy static {
  origins *
  methods PUT
  headers X-A
  expose X-Id
  max-age 5
}
""",
    "one": """
policy one {
  origins "https://app.example.com"
  methods *
  headers *
  credentials true
  private-network true
  expose X-O
}
""",
    "reject": """
policy reject {
  origins "https://app.example.com", regex "^https://[a-z0-9.]+\\\\.example\\\\.net$"
  deny regex "^https://x[a-z0-9.]*\\\\.example\\\\.net$", "https://bad.example.org"
  methods PUT
  headers X-A
  unlisted reject
  preflight-status 200
}
""",
    "blocks": """
policy blocks {
  origins "https://x.example.com"
  methods PUT
  headers *
  origin "https://a.example.com" {
    methods DELETE
    max-age 10
    credentials true
  }
  origin "https://*.example.com" {
    methods *
    max-age 20
  }
  origin "https://b.example.com" {
    private-network true
    headers X-B
  }
}
""",
    "lengths": f"""
policy lengths {{
  origins {_LENGTH_ORIGINS}
  deny "https://bad.example.com"
  methods PUT
}}
""",
    "paths": """
policy api {
  paths "/api"
  origins "https://app.example.com", "https://*.example.org"
  methods PUT
  headers X-A
  credentials true
  expose X-Id
}
policy pub {
  paths "/pub"
  origins *
  headers *
  preflight-status 200
}
policy rest {
  origins *
  deny "https://bad.example.org"
  max-age 0
  unlisted reject
}
""",
}


def as_read(request: Request) -> Request:
    """``request`` as HAProxy reads it (docs/haproxy.md, declared deviations): of repeated
    Access-Control-Request-* lines only the last, and several Origin lines as one Origin that
    is not allowed."""
    names = [name.lower() for name, _ in request.headers]
    fields: list[tuple[str, str]] = []
    for index, (name, value) in enumerate(request.headers):
        key = name.lower()
        later = key in names[index + 1 :]
        if key.startswith("access-control-request-") and later:
            continue
        if key == "origin" and names.count("origin") > 1:
            if later:
                continue
            value = NOT_ALLOWED
        fields.append((name, value))
    return Request(request.method, request.path, tuple(fields))


class Served:
    """Every policy of :data:`POLICIES` behind its own frontend of one HAProxy."""

    def __init__(self, ports: dict[str, int], evaluators: dict[str, Evaluator]) -> None:
        self.ports = ports
        self.evaluators = evaluators

    def answers(self, name: str, request: Request) -> tuple[CorsPart, CorsPart]:
        """HAProxy's CORS part and the evaluator's."""
        got = cors_part(send(self.ports[name], request))
        want = expected_part(self.evaluators[name].respond(as_read(request)))
        return got, want

    def check(self, request: Request, names: Sequence[str] | None = None) -> None:
        for name in names or self.ports:
            got, want = self.answers(name, request)
            assert same_part(got, want), (name, request, got, want)


def serve(
    policies: dict[str, str], *options: str, app_headers: Sequence[tuple[str, str]] = ()
) -> Iterator[Served]:
    """Compile every policy (each with its own prefix) and serve them in one HAProxy."""
    require_haproxy()
    with tempfile.TemporaryDirectory() as temporary:
        directory = Path(temporary)
        compiled: dict[str, Compiled] = {}
        for name, text in policies.items():
            found = compile_or_refuse(name, text, directory, f"prefix={name}", *options)
            assert isinstance(found, Compiled), found
            compiled[name] = found
        with serving(list(compiled.values()), directory, app_headers) as ports:
            yield Served(
                dict(zip(compiled, ports, strict=True)),
                {name: Evaluator(c.policy_set) for name, c in compiled.items()},
            )


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    yield from serve(POLICIES)


#: What an application might send of its own: every CORS response header.
APP_CORS = (
    ("Access-Control-Allow-Origin", "https://evil.example"),
    ("Access-Control-Allow-Credentials", "true"),
    ("Access-Control-Allow-Methods", "DELETE"),
    ("Access-Control-Allow-Headers", "X-Evil"),
    ("Access-Control-Max-Age", "99"),
    ("Access-Control-Allow-Private-Network", "true"),
    ("Access-Control-Expose-Headers", "X-Secret"),
)


@pytest.fixture(scope="module")
def hidden() -> Iterator[Served]:
    yield from serve(POLICIES, "upstream=hide", app_headers=APP_CORS)


ORIGINS = [
    "https://app.example.com",
    "https://a.example.org",
    "https://a.example.com",
    "https://b.example.com",
    "https://x.example.com",
    "https://pn.example.com",
    "https://q.example.net",
    "https://xq.example.net",
    "https://bad.example.org",
    "https://bad.example.org.",
    "http://localhost:3000",
    "null",
    "",
    "https://other.test",
]


def request(method: str, path: str, *fields: tuple[str, str]) -> Request:
    return Request(method, path, tuple(fields))


# ---- what a preflight asks -------------------------------------------------------------------

#: Methods as sent: granted, safelisted, reflected, lowercase, empty, with `:`, `%`, quotes,
#: blanks, commas.
ASKED_METHODS = st.sampled_from(
    [
        "PUT",
        "GET",
        "DELETE",
        "put",
        "A'B",
        "X%M",
        "X%%M",
        "PATCH",
        "",
        "PUT:x",
        "PUT:",
        ":",
        'P"T',
        "P T",
        "PUT,GET",
        "%[src]",
        "{x}",
        "P#T",
        "P|T",
        "P`T",
        "P~T",
    ]
)
#: Header items: granted in any case, prefixes and extensions of granted names, reflected
#: tokens, non-tokens.
ITEMS = st.sampled_from(
    [
        "x-a",
        "X-A",
        "x-ab",
        "x-abc",
        "x",
        "content-type",
        "x'q",
        "x-%41",
        "x-b",
        "X-B",
        "%",
        "a:b",
        'a"b',
        "a;b",
        "a b",
        "é",
        "{x}",
        "x-a\tx-a",
        "",
    ]
)
BLANKS = st.sampled_from(["", " ", "\t", "  ", " \t "])
LISTS = st.lists(st.tuples(BLANKS, ITEMS, BLANKS), max_size=5).map(
    lambda items: ",".join(f"{before}{item}{after}" for before, item, after in items)
)
PRIVATE_VALUES = st.sampled_from(["true", "false", "TRUE", "", "true "])


@st.composite
def preflights(draw: st.DrawFn) -> Request:
    """An OPTIONS request asking a question: zero to two lines of each request header."""
    fields: list[tuple[str, str]] = [("Origin", draw(st.sampled_from(ORIGINS)))]
    for name, values in ((METHOD, ASKED_METHODS), (HEADERS, LISTS), (PRIVATE, PRIVATE_VALUES)):
        count = draw(st.integers(0, 2) if name != METHOD else st.integers(1, 2))
        fields += [(name, draw(values)) for _ in range(count)]
    order = draw(st.permutations(fields))
    path = draw(st.sampled_from(["/", "/api/x", "/pub"]))
    return Request(
        draw(st.sampled_from(["OPTIONS", "OPTIONS", "GET", "options"])), path, tuple(order)
    )


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(preflights())
def test_every_question_is_answered_as_the_evaluator_answers(
    served: Served, asked: Request
) -> None:
    served.check(asked)


@pytest.mark.parametrize("count", [100, 300, 1000, 2000])
@pytest.mark.parametrize("separator", [",", ", ", " ,\t", ",,"])
def test_long_header_lists_are_read_to_their_end(
    served: Served, count: int, separator: str
) -> None:
    """A list of a few hundred items exhausted the 32 kB JIT stack HAProxy gives PCRE when
    the list regex kept backtracking state per item, and the preflight was refused. (Every
    request stays below the 15 kB of headers HAProxy reads.)"""
    for items in (["x-a"] * count, ["X-A", "content-type"] * (count // 4), [""] * count):
        listed = request(
            "OPTIONS",
            "/",
            ("Origin", "https://app.example.com"),
            (METHOD, "PUT"),
            (HEADERS, separator.join(items)),
        )
        served.check(listed, ["listed", "reflect", "one", "blocks"])
    refused = request(
        "OPTIONS",
        "/",
        ("Origin", "https://app.example.com"),
        (METHOD, "PUT"),
        (HEADERS, separator.join(["x-a"] * count + ["x-nope"])),
    )
    served.check(refused, ["listed", "reflect"])


def test_a_name_is_granted_whole(served: Served) -> None:
    """``X-A`` and ``X-AB`` are both granted: neither admits the other's prefix or extension."""
    for items in ("x-a", "x-ab", "x-abc", "x-", "x-a x-ab", "x-ab,x-a", "x-a-b", "x-%41", "x-%4"):
        served.check(
            request(
                "OPTIONS",
                "/",
                ("Origin", "https://app.example.com"),
                (METHOD, "PUT"),
                (HEADERS, items),
            ),
            ["listed"],
        )


# ---- the Origin ------------------------------------------------------------------------------


def _origin_of(length: int, shape: str) -> str:
    """An Origin of exactly ``length`` characters shaped to reach one kind of test."""
    c50 = "c" * 50
    if shape == "regex":
        return "https://" + "y" * (length - 8 - len(".example.com")) + ".example.com"
    if shape == "wildcard":
        return "https://" + "z" * (length - 8 - len(c50) - 5) + f".{c50}.com"
    if shape == "port":
        port = ":8080"
        return f"https://{c50}.com" + port + "0" * (length - 8 - len(c50) - 4 - len(port))
    if shape == "denied":
        return "https://" + "x" * (length - 8 - len(".example.net")) + ".example.net"
    return "https://" + "o" * (length - 8 - len(".test")) + ".test"


@pytest.mark.parametrize("length", [265, 266, 267, 268, 269, 300, 1000])
@pytest.mark.parametrize("shape", ["regex", "wildcard", "port", "denied", "other"])
def test_origins_around_the_longest_are_judged_by_length_first(
    served: Served, length: int, shape: str
) -> None:
    origin = _origin_of(length, shape)
    assert len(origin) == length
    for fields in ((), ((METHOD, "PUT"),)):
        for sent in (origin, origin + "."):
            for method in ("GET", "OPTIONS"):
                served.check(request(method, "/", ("Origin", sent), *fields))


def test_the_longest_exact_origin_is_allowed(served: Served) -> None:
    for origin in (LONGEST, LONGEST[:-1], LONGEST + "5", LONGEST[:-1] + "4"):
        served.check(request("GET", "/", ("Origin", origin)), ["lengths"])
        served.check(request("OPTIONS", "/", ("Origin", origin), (METHOD, "PUT")), ["lengths"])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lines=st.lists(st.sampled_from([*ORIGINS, LONGEST, "https://a.example.org:443"]), max_size=3),
    preflight=st.booleans(),
    path=st.sampled_from(["/", "/api", "/pub/x"]),
)
def test_zero_one_or_several_origin_lines(
    served: Served, lines: list[str], preflight: bool, path: str
) -> None:
    fields = [("Origin", line) for line in lines]
    if preflight:
        fields.append((METHOD, "PUT"))
    served.check(request("OPTIONS" if preflight else "POST", path, *fields))


# ---- what the application and HAProxy itself send -------------------------------------------


@pytest.mark.parametrize("origin", [*ORIGINS, None])
@pytest.mark.parametrize("path", ["/", "/api/x", "/pub"])
def test_upstream_hide_sends_only_corscs_headers(
    hidden: Served, origin: str | None, path: str
) -> None:
    start = () if origin is None else (("Origin", origin),)
    for method, fields in (
        ("GET", ()),
        ("OPTIONS", ()),
        ("OPTIONS", ((METHOD, "PUT"),)),
        ("OPTIONS", ((METHOD, "PUT"), (HEADERS, "x-a"), (PRIVATE, "true"))),
        ("OPTIONS", ((METHOD, "PATCH"), (HEADERS, "x-b"))),
    ):
        hidden.check(request(method, path, *start, *fields))
