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
Origin lines taken as an origin that is not allowed) are ``as_read`` of
tests/haproxy_adversarial.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from corsc.diagnostics import fails
from corsc.evaluate import Request
from corsc.frontend import load
from corsc.source import Source
from tests.haproxy_adversarial import (
    APP_CORS,
    HEADERS,
    LONGEST,
    METHOD,
    ORIGINS,
    POLICIES,
    PRIVATE,
    Served,
    asked_of_a_policy,
    policies,
    request,
    serve,
)
from tests.python_harness import CorsPart, same_part


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    with serve(POLICIES) as found:
        yield found


@pytest.fixture(scope="module")
def hidden() -> Iterator[Served]:
    with serve(POLICIES, "upstream=hide", app_headers=APP_CORS) as found:
        yield found


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


@pytest.mark.parametrize("control", ["\x01", "\x1f", "\x7f"])
def test_a_control_character_in_the_question_refuses_it(served: Served, control: str) -> None:
    origin = ("Origin", "https://app.example.com")
    for method, listed in (
        (f"PUT{control}", "x-a"),
        (f"P{control}T", "x-a"),
        ("PUT", f"x-a{control}"),
        ("PUT", f"x-a{control}, evil"),
        ("PUT", control),
    ):
        served.check(request("OPTIONS", "/", origin, (METHOD, method), (HEADERS, listed)))
        served.check(request("OPTIONS", "/", origin, (METHOD, "GET"), (METHOD, method)))


@pytest.mark.parametrize("tail", ["\x00", "\x00x", "\x00https://app.example.com"])
def test_a_nul_never_ends_a_path_or_a_private_network_request(served: Served, tail: str) -> None:
    """HAProxy's ``-m str`` looks a value up as a C string: a policy's path followed by
    ``%00`` (which a browser sends) chose that policy, and ``true`` followed by a NUL asked
    for private network access."""
    allowed = ("Origin", "https://pn.example.com")
    served.check(request("OPTIONS", "/", allowed, (METHOD, "PUT"), (PRIVATE, "true" + tail)))
    encoded = tail.replace("\x00", "%00")
    for path in ("/api", "/pub", "/api/x", "/pub/x"):
        for origin in (allowed, ("Origin", "https://app.example.com")):
            served.check(request("GET", path + encoded, origin))
            served.check(request("GET", path.replace("/x", encoded + "/x"), origin))
            served.check(request("OPTIONS", path + encoded, origin, (METHOD, "PUT")))


@pytest.mark.parametrize("tail", ["\x00", "\x00x", "\x00https://evil.example"])
def test_a_nul_ends_the_origin_and_the_question(served: Served, tail: str) -> None:
    """The declared deviation: HAProxy compares the Origin, the method and the header list
    asked up to a NUL (no browser sends one there), and echoes the Origin whole, escaped."""
    allowed = "https://app.example.com"
    for fields in ((), ((METHOD, "PUT"),)):
        sent = request("OPTIONS" if fields else "GET", "/", ("Origin", allowed + tail), *fields)
        read = request(sent.method, "/", ("Origin", allowed), *fields)
        got, _ = served.answers("listed", sent)
        _, want = served.answers("listed", read)
        echoed = tuple(
            (name, allowed + tail.replace("\x00", "%00") if value == allowed else value)
            for name, value in want.headers
        )
        assert same_part(got, CorsPart(want.status, echoed, want.vary)), (got, want)
    origin = ("Origin", allowed)
    for method, listed in (("PUT" + tail, "x-a"), ("PUT", "x-a" + tail)):
        sent = request("OPTIONS", "/", origin, (METHOD, method), (HEADERS, listed))
        read = request("OPTIONS", "/", origin, (METHOD, "PUT"), (HEADERS, "x-a"))
        got, _ = served.answers("listed", sent)
        _, want = served.answers("listed", read)
        assert same_part(got, want), (got, want)


@pytest.mark.parametrize("control", ["\x00", "\x01", "\x1f", "\x7f"])
def test_an_origin_holding_a_control_character_is_echoed_with_it_escaped(
    served: Served, control: str
) -> None:
    """The declared deviation: HAProxy writes a control character as ``%XX`` in the headers it
    writes, and that is all that differs (``Served`` compares with it escaped)."""
    origin = f"https://a{control}b.example.org"
    for fields in ((), ((METHOD, "PUT"), (HEADERS, "x-a"))):
        asked = request("OPTIONS" if fields else "GET", "/", ("Origin", origin), *fields)
        got, _ = served.answers("reflect", asked)
        assert ("access-control-allow-origin", origin.replace(control, f"%{ord(control):02X}")) in [
            (name.lower(), value) for name, value in got.headers
        ], got
        served.check(asked)


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
@pytest.mark.parametrize("path", ["/", "/api/x", "/pub", "/down", "/down/api"])
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


@pytest.mark.parametrize("origin", [*ORIGINS, None])
def test_haproxys_own_errors_keep_the_cors_headers(served: Served, origin: str | None) -> None:
    start = () if origin is None else (("Origin", origin),)
    for path in ("/down", "/down/api", "/down/pub"):
        served.check(request("GET", path, *start))
        served.check(request("OPTIONS", path, *start))
        served.check(request("OPTIONS", path, *start, (METHOD, "PUT"), (PRIVATE, "true")))


# ---- policies whose lists outgrow a line -----------------------------------------------------


def _blocks(count: int, credentials: bool) -> str:
    """A policy of ``count`` origin blocks differing only in what they expose: ``count``
    grants sharing one preflight answer, one Allow-Credentials, one Vary."""
    blocks = "".join(
        f'  origin "https://o{number}.example.com" {{\n    expose X-E{number}\n  }}\n'
        for number in range(count)
    )
    return (
        f'policy many {{\n  origins "https://z.example.com"\n  methods PUT\n  headers X-A\n'
        f"  credentials {str(credentials).lower()}\n  max-age 9\n{blocks}}}\n"
    )


@pytest.mark.parametrize("count", [17, 40, 70])
@pytest.mark.parametrize("credentials", [False, True])
def test_many_grants_sharing_an_answer_are_served(count: int, credentials: bool) -> None:
    """Each rule testing the grants that share a value listed them all: past some 30 grants
    the line had more than the 64 words HAProxy reads, and HAProxy refused the configuration."""
    policies = {"many": _blocks(count, credentials)}
    with serve(policies) as served:
        for number in (0, count // 2, count - 1):
            origin = ("Origin", f"https://o{number}.example.com")
            served.check(request("GET", "/", origin))
            served.check(request("OPTIONS", "/", origin, (METHOD, "PUT"), (HEADERS, "x-a")))
            served.check(request("OPTIONS", "/", origin, (METHOD, "PATCH")))
        served.check(request("GET", "/", ("Origin", "https://z.example.com")))


# ---- generated policies ----------------------------------------------------------------------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=policies(), hide=st.booleans())
def test_generated_policies_answer_as_the_evaluator(text: str, hide: bool) -> None:
    loaded = load(Source("p.cors", text))
    assume(loaded.policy_set is not None and not fails(loaded.diagnostics))
    options = ("upstream=hide",) if hide else ()
    with serve({"p": text}, *options, app_headers=APP_CORS if hide else ()) as served:
        for asked in asked_of_a_policy():
            served.check(asked)
