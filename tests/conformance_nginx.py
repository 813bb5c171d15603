"""The conformance harness of the nginx target, and what the live nginx tests share: compiling
a policy with the ``location`` layout CORS604 describes, sending a request as it is, and the
declared deviations nginx's answers are judged with (docs/nginx.md).

The harness runs one nginx (tests/nginx_launcher.py) for the whole table, each table in its own
``server`` with its own ``-O prefix=``, so the compiled files of several policy files live side
by side. The application behind each CORS snippet is ``return 200 "{}";`` (tests/python_harness.py's
stub answer), so a response with another status or body came from the CORS layer.
"""

from __future__ import annotations

import contextlib
import http.client
import re
import tempfile
import urllib.parse
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from attrs import frozen

from corsc import __version__, paths
from corsc.backends import EmitOptions, get
from corsc.backends import nginx_text as r
from corsc.diagnostics import Diagnostic
from corsc.evaluate import Evaluator, Request
from corsc.frontend import load
from corsc.ir import PolicySet
from corsc.source import Source
from tests.conformance_runner import DEVIATES, FAIL, PASS, REFUSED, Judge, Outcome
from tests.conformance_table import ConformanceCase, ConformanceTable
from tests.nginx_launcher import NGINX, Nginx
from tests.python_harness import (
    APP_BODY,
    APP_STATUS,
    CorsPart,
    Reply,
    cors_part,
    expected_part,
    same_part,
)

#: The stub application: what a location answers when the CORS layer lets the request through.
APP = f'return 200 "{APP_BODY.decode()}";'


def send(port: int, request: Request) -> Reply:
    """Send ``request`` as it is (method, path and header fields unchanged, repeats kept)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest(request.method, request.path, skip_accept_encoding=True)
        for name, value in request.headers:
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        body = response.read()
        if request.method == "HEAD" and response.status == APP_STATUS:
            # A HEAD response has no body: the application's answer is known by its status
            # alone, since the CORS layer never answers HEAD with 200.
            body = APP_BODY
        return Reply(response.status, tuple(response.getheaders()), body)
    finally:
        connection.close()


@frozen
class Compiled:
    """A policy file compiled for nginx: its files and, per policy, the ``location`` blocks
    that include its snippet (the layout CORS604 describes)."""

    policy_set: PolicySet
    files: dict[str, str]
    server: str


def compile_policy(name: str, text: str, *options: str) -> Compiled:
    """``name.cors`` compiled for nginx with ``options`` (``key=value``); it must compile."""
    compiled = compile_or_refuse(name, text, *options)
    assert isinstance(compiled, Compiled), compiled
    return compiled


def compile_or_refuse(
    name: str, text: str, *options: str, app: str = APP
) -> Compiled | list[Diagnostic]:
    """``name.cors`` compiled for nginx with ``options`` (``key=value``), or the errors that
    refuse it; ``app`` is what every location answers as the application."""
    loaded = load(Source(f"{name}.cors", text))
    assert loaded.policy_set is not None, loaded.diagnostics
    backend = get("nginx")
    values = dict(option.split("=", 1) for option in options)
    emit_options = EmitOptions(__version__, f"{name}.cors", "nginx", values)
    errors = [
        item
        for item in [*loaded.diagnostics, *backend.check(loaded.policy_set, emit_options)]
        if item.severity.value == "error"
    ]
    if errors:
        return errors
    files = {item.name: item.content for item in backend.emit(loaded.policy_set, emit_options)}
    return Compiled(loaded.policy_set, files, locations(loaded.policy_set, files, app))


def locations(policy_set: PolicySet, files: dict[str, str], app: str = APP) -> str:
    """``location`` blocks as the CORS604 layout says: segment-boundary locations for each
    path prefix, the fallback policy in ``location /``, every location answering as the
    application; an ``.http.conf`` is included at http level by the caller."""
    snippets = {
        name.removesuffix(".conf").split("-", 1)[1]: name for name in files if name.count(".") == 1
    }
    blocks = []
    fallback = "location / { " + app + " }"
    for policy in policy_set.policies:
        snippet = snippets[policy.name]
        include = f"include {snippet}; {app}"
        if not policy.paths or any(prefix.value == "/" for prefix in policy.paths):
            fallback = f"location / {{ {include} }}"
        # Written as the snippet's opening comment tells the user to.
        for prefix_location, exact_location in hint_locations(files[snippet]):
            blocks.append(f"location {prefix_location} {{ {include} }}")
            blocks.append(f"location = {exact_location} {{ {include} }}")
    return "\n".join([*blocks, fallback])


def http_includes(files: dict[str, str]) -> str:
    return "\n".join(f"include {name};" for name in files if name.endswith(".http.conf"))


def server_includes(files: dict[str, str]) -> str:
    return "\n".join(f"include {name};" for name in files if name.endswith(".server.conf"))


def hint_locations(snippet: str) -> list[tuple[str, str]]:
    """The ``location`` prefixes the snippet's opening comment tells the user to write: one
    (prefix, exact) pair per path prefix other than ``/``."""
    return re.findall(r"location (\S+) \{ … \} and location = (\S+) \{ … \}", snippet)


#: Headers nginx reflects as received (``methods *``, ``headers *``): a declared deviation.
REFLECTED = ("access-control-allow-methods", "access-control-allow-headers")


def list_items(value: str) -> list[str]:
    """A header list as a browser reads it: items trimmed, empty items dropped."""
    return [item.strip(" \t") for item in value.split(",") if item.strip(" \t")]


def as_browser_reads(part: CorsPart) -> tuple[object, ...]:
    headers = [
        (name.lower(), list_items(value) if name.lower() in REFLECTED else [value])
        for name, value in part.headers
    ]
    return (part.status, headers, [member.lower() for member in part.vary])


def conforms(got: CorsPart, want: CorsPart, policy_set: PolicySet) -> bool:
    """Exactly the evaluator's CORS part, or — where the policy reflects methods or headers —
    the same once the reflected lists are read as a browser reads them."""
    if same_part(got, want):
        return True
    reflects = any(
        setting.value.wildcard
        for policy in policy_set.policies
        for grant in (policy.grant, *(entry.grant for entry in policy.entries))
        for setting in (grant.methods, grant.headers)
    )
    return reflects and as_browser_reads(got) == as_browser_reads(want)


def decoded_target(target: str) -> str:
    """The request target of the path as servers route ``target``
    (:func:`corsc.paths.decoded_path`), written so that a decoding server reads that path."""
    return urllib.parse.quote(paths.decoded_path(target), safe="/:@!$&'()*+,;=-._~")


def as_nginx_serves(request: Request) -> Request:
    """The request whose meaning nginx follows (its declared deviations):

    - nginx chooses the location on the path as it routes it (every escape decoded, slashes
      merged, CORS622), so where corsc refuses a path whose raw and decoded forms choose
      different policies, nginx answers as the evaluator does for the decoded path; elsewhere
      both forms choose the same policy and the answer is the same;
    - a preflight for a method nginx does not serve (a character other than A-Z, `_`, `-`,
      after trimming) is refused, as the evaluator refuses a requested method that is no token.
    """
    path = decoded_target(request.path)
    method = request.header("Access-Control-Request-Method")
    if method is None or r.NGINX_METHOD.fullmatch(method.strip(" \t")):
        return Request(request.method, path, request.headers)
    headers = [
        (name, "a b" if name.lower() == "access-control-request-method" else value)
        for name, value in request.headers
    ]
    return Request(request.method, path, tuple(headers))


def with_vary(part: CorsPart) -> list[tuple[str, str]]:
    return [*part.headers, *([("Vary", ", ".join(part.vary))] if part.vary else [])]


#: nginx's declared deviations, as the outcomes of the cases they decide.
DECODED_PATH = "nginx chooses the location on the decoded path (CORS622)"
UNSERVED_METHOD = "nginx answers 400 to a method it does not serve, so its preflight is refused"
REFLECTED_LIST = "nginx reflects a requested list as received (`methods *`, `headers *`)"


@contextlib.contextmanager
def nginx_harness(tables: Sequence[ConformanceTable]) -> Iterator[Judge]:
    """Real nginx (the maps variant), one server per table. A case conforms when nginx sends
    exactly the evaluator's CORS part for the request nginx serves (:func:`as_nginx_serves`)
    and that answer is the table's; it *deviates* where a declared deviation applies: the
    request nginx serves is answered otherwise than the table's request, or a reflected list
    is formatted as received (:func:`conforms`)."""
    if NGINX is None:
        pytest.skip("nginx is not installed (Debian: apt-get install nginx)")
    built = {
        table.name: compile_or_refuse(table.name, table.policy_text, f"prefix=t{n}")
        for n, table in enumerate(tables)
    }
    compiled = {name: c for name, c in built.items() if isinstance(c, Compiled)}
    files = {name: text for c in compiled.values() for name, text in c.files.items()}
    evaluators = {name: Evaluator(c.policy_set) for name, c in compiled.items()}

    def build(ports: list[int]) -> tuple[str, dict[str, str]]:
        servers = [
            f"server {{ listen 127.0.0.1:{port};\n{c.server}\n}}"
            for port, c in zip(ports, compiled.values(), strict=True)
        ]
        return http_includes(files) + "\n" + "\n".join(servers), files

    def judge(case: ConformanceCase) -> Outcome:
        refusal = built[case.table]
        if not isinstance(refusal, Compiled):
            return Outcome(REFUSED, ", ".join(sorted({d.code for d in refusal})))
        request = Request(case.method, case.path, case.headers)
        got = cors_part(send(ports[case.table], request))
        evaluator = evaluators[case.table]
        served = as_nginx_serves(request)
        want = expected_part(evaluator.respond(served))
        if not conforms(got, want, refusal.policy_set):
            return Outcome(FAIL, f"nginx {got}, evaluator {want}")
        if expected_part(evaluator.respond(request)) != want:
            # What the table expects for the raw path, or for a preflight of a method nginx
            # does not serve, is not what nginx does: a deviation when nginx's answer differs.
            if not case.mismatches(got.status, with_vary(got)):
                return Outcome(PASS)
            method = "Access-Control-Request-Method"
            if served.header(method) != request.header(method):
                return Outcome(DEVIATES, UNSERVED_METHOD)
            return Outcome(DEVIATES, DECODED_PATH)
        # Where nginx differs only by the declared list formatting, the table is checked
        # against the answer it is equivalent to.
        checked = got if same_part(got, want) else want
        problems = case.mismatches(checked.status, with_vary(checked))
        if problems:
            return Outcome(FAIL, "; ".join(problems))
        if not same_part(got, want):
            return Outcome(DEVIATES, REFLECTED_LIST)
        return Outcome(PASS)

    with tempfile.TemporaryDirectory() as directory:
        nginx = Nginx(Path(directory))
        ports = dict(zip(compiled, nginx.serve(build, len(compiled)), strict=True))
        try:
            yield judge
        finally:
            nginx.stop()
