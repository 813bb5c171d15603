"""What tests/test_haproxy_adversarial.py serves: policies of every shape the haproxy
target writes differently, the request and the answer as HAProxy reads and writes them (its
declared deviations), and one
HAProxy serving a set of compiled policies whose answers are compared with the evaluator's."""

from __future__ import annotations

import contextlib
import re
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from hypothesis import strategies as st

from corsc.evaluate import Evaluator, Request
from tests import generated_policies
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


def escaped(part: CorsPart) -> CorsPart:
    """``part`` as HAProxy writes it (a declared deviation): every control character but HTAB
    of a header value it echoes written ``%XX``."""
    headers = tuple(
        (name, re.sub(r"[\x00-\x08\x0a-\x1f\x7f]", lambda m: f"%{ord(m[0]):02X}", value))
        for name, value in part.headers
    )
    return CorsPart(part.status, headers, part.vary)


#: Paths under ``/down`` go to a backend whose one server is down: HAProxy answers 503 itself.
DOWN_ROUTE = "    use_backend down if { path_beg /down }\n"
DOWN = "backend down from base\n    retries 0\n    server none 127.0.0.1:1\n"


class Served:
    """Every policy of :data:`POLICIES` behind its own frontend of one HAProxy."""

    def __init__(self, ports: dict[str, int], evaluators: dict[str, Evaluator]) -> None:
        self.ports = ports
        self.evaluators = evaluators

    def answers(self, name: str, request: Request) -> tuple[CorsPart, CorsPart]:
        """HAProxy's CORS part and the evaluator's (under ``/down``, HAProxy's own 503 where
        the application would answer)."""
        got = cors_part(send(self.ports[name], request))
        want = escaped(expected_part(self.evaluators[name].respond(as_read(request))))
        if request.path.startswith("/down") and want.status is None:
            want = CorsPart(503, want.headers, want.vary)
        return got, want

    def check(self, request: Request, names: Sequence[str] | None = None) -> None:
        for name in names or self.ports:
            got, want = self.answers(name, request)
            assert same_part(got, want), (name, request, got, want)


@contextlib.contextmanager
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
        with serving(list(compiled.values()), directory, app_headers, DOWN_ROUTE, DOWN) as ports:
            yield Served(
                dict(zip(compiled, ports, strict=True)),
                {name: Evaluator(c.policy_set) for name, c in compiled.items()},
            )


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


#: Entries of a generated policy, in the shapes the rules test differently.
ENTRIES = (
    '"https://app.example.com"',
    '"https://staging.example.com"',
    '"https://*.partner.example.org"',
    '"https://*.partner.example.org:8443"',
    '"http://localhost:*"',
    'regex "^https://pr-[0-9]+\\\\.preview\\\\.example\\\\.com$"',
    '"null"',
    "*",
)
DENIES = ('"https://legacy.partner.example.org"', '"http://localhost:9999"')
NAMES = ("Content-Type", "X-A", "X-AB", "*")
VERBS = ("GET", "PUT", "DELETE", "PATCH", "*")


def _listed(draw: st.DrawFn, values: Sequence[str]) -> str:
    chosen = draw(st.lists(st.sampled_from(values), min_size=1, max_size=3, unique=True))
    return "*" if "*" in chosen else ", ".join(chosen)


@st.composite
def policies(draw: st.DrawFn) -> str:
    """A policy of one to three entries, perhaps denies, blocks (one with private network
    access), ``*`` lists, ``unlisted reject``, ``preflight-status 200``; it may not compile
    (``null`` or ``*`` with credentials)."""
    credentials = draw(st.booleans())
    entries = draw(st.lists(st.sampled_from(ENTRIES), min_size=1, max_size=3, unique=True))
    lines = ["policy p {", f"  origins {', '.join(entries)}"]
    denies = draw(st.lists(st.sampled_from(DENIES), max_size=2, unique=True))
    if denies:
        lines.append(f"  deny {', '.join(denies)}")
    lines.append(f"  methods {_listed(draw, VERBS)}")
    if draw(st.booleans()):
        lines.append(f"  headers {_listed(draw, NAMES)}")
    if draw(st.booleans()):
        lines.append(f"  expose {draw(st.sampled_from(['X-Id', '*', 'X-Id, X-B']))}")
    lines.append(f"  credentials {str(credentials).lower()}")
    if draw(st.booleans()):
        lines.append(f"  max-age {draw(st.sampled_from([0, 60, 7200]))}")
    if draw(st.booleans()):
        lines.append("  unlisted reject")
    if draw(st.booleans()):
        lines.append("  preflight-status 200")
    for origin in draw(st.lists(st.sampled_from(BLOCKS), max_size=2, unique=True)):
        lines += [
            f'  origin "{origin}" {{',
            f"    methods {_listed(draw, VERBS)}",
            f"    headers {_listed(draw, NAMES)}",
            f"    credentials {str(draw(st.booleans())).lower()}",
            f"    max-age {draw(st.sampled_from([5, 30]))}",
            *(["    private-network true"] if draw(st.booleans()) else []),
            "  }",
        ]
    return "\n".join([*lines, "}", ""])


BLOCKS = ("https://reports.example.com", "https://app.example.com")
#: The Origins a generated policy is asked from: the import round trips' and an Origin of the
#: fixed-port wildcard, a deny's trailing-dot twin, an empty one, one too long, none.
ASKED_FROM = (
    *generated_policies.ORIGINS,
    "https://a.partner.example.org:8443",
    "https://legacy.partner.example.org.",
    "",
    NOT_ALLOWED,
    None,
)


def asked_of_a_policy() -> list[Request]:
    """Every request a generated policy is judged on: from each Origin, an actual request and
    preflights asking for what it may grant and what it may not."""
    found = []
    for origin in ASKED_FROM:
        start = () if origin is None else (("Origin", origin),)
        for method, fields in (
            ("GET", ()),
            ("OPTIONS", ()),
            ("OPTIONS", ((METHOD, "PUT"),)),
            ("OPTIONS", ((METHOD, "PATCH"), (HEADERS, "x-a, content-type"))),
            ("OPTIONS", ((METHOD, "GET"), (HEADERS, "x-ab"), (PRIVATE, "true"))),
            ("OPTIONS", ((METHOD, "DELETE"), (HEADERS, "X-Other"))),
        ):
            found.append(Request(method, "/", (*start, *fields)))
    return found
