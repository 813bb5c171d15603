"""The machine import reads nginx configurations with (corsc/imports/nginx_machine.py) against
a real nginx: for every hand-written fixture of maps, chains, deny rows and ``if``, and for
every golden nginx output of corsc (both variants), each origin the configuration tests (and
unlisted ones) is asked an actual request per method, a preflight per method and per header,
and a private-network preflight; nginx's status and Access-Control-* headers are the machine's.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import crossplane  # type: ignore[import-untyped]
import pytest
from importing import assembled, nginx_outputs

from corsc.evaluate import Request
from corsc.imports.nginx_config import parse as _parse
from corsc.imports.nginx_config import walk as _walk
from corsc.imports.nginx_machine import Machine, candidates, maps_of
from corsc.imports.probes import UNLISTED, Probes, request_fields
from tests.conformance_nginx import send
from tests.nginx_launcher import NGINX, Nginx, free_port

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "import" / "nginx"
HAND_WRITTEN = (
    "map-several-grants.conf",
    "map-deny.conf",
    "map-chain.conf",
    "map-by-method.conf",
    "if-variable.conf",
    "map-origins.conf",
    "set-under-if.conf",
)
pytestmark = pytest.mark.skipif(
    NGINX is None, reason="nginx is not installed (Debian: apt-get install nginx)"
)
OK = {"directive": "return", "args": ["200", "ok"], "line": 0}


def configurations() -> Iterator[tuple[str, str]]:
    for name in HAND_WRITTEN:
        yield name, (FIXTURES / name).read_text()
    for _, first, second in nginx_outputs():
        yield f"{first.parent.name}/{first.name}", assembled(first, second)


def served(text: str, port: int) -> list[dict[str, Any]]:
    """The configuration's directives as nginx serves them here: every server listens on
    ``port``, and every level that answers (a location, a server without one) ends with
    ``return 200`` instead of an application."""
    top = copy.deepcopy(_parse(text)["config"][0]["parsed"])

    def answering(block: list[dict[str, Any]]) -> None:
        block[:] = [item for item in block if item["directive"] != "proxy_pass"]
        if not any(item["directive"] == "location" for item in block):
            block.append(dict(OK))
        for item in block:
            if item["directive"] == "location":
                answering(item["block"])

    for server in [item for item in top if item["directive"] == "server"]:
        block = [item for item in server["block"] if item["directive"] != "listen"]
        block.insert(0, {"directive": "listen", "args": [f"127.0.0.1:{port}"], "line": 0})
        answering(block)
        server["block"] = block
    return top


def paths(top: list[dict[str, Any]]) -> list[tuple[str, list[list[dict[str, Any]]]]]:
    """A path per prefix location and the levels it runs through."""
    found = []
    for server in [item for item in top if item["directive"] == "server"]:
        locations = [
            item
            for item in server["block"]
            if item["directive"] == "location" and len(item["args"]) == 1
        ]
        for location in locations:
            found.append((location["args"][0] + "x", [server["block"], location["block"]]))
        if not locations:
            found.append(("/x", [server["block"]]))
    return found


CONFIGURATIONS = list(configurations())


@pytest.mark.parametrize(("name", "text"), CONFIGURATIONS, ids=[n for n, _ in CONFIGURATIONS])
def test_nginx_answers_as_the_machine_reads(name: str, text: str, tmp_path: Path) -> None:
    port = free_port()
    top = served(text, port)
    every = list(_walk(top))
    maps = maps_of(every)
    tests, _ = candidates(every, maps)
    origins = dict.fromkeys([o for t in tests for o in t.witnesses] + [*UNLISTED, "null"])
    probes = Probes.of(
        arg
        for item in every
        for arg in (item["args"][1:] if item["directive"] in ("add_header", "set") else [])
        if "$" not in arg
    )
    nginx = Nginx(tmp_path)
    nginx.configure(crossplane.build(top), {})
    assert nginx.test().returncode == 0, nginx.test().stderr
    nginx.start([port])
    try:
        asked = 0
        for path, levels in paths(top):
            for origin in origins:
                for _, request in probes.requests(origin):
                    expected = Machine(maps, request).answer(levels)
                    fields = request_fields(request)
                    reply = send(port, Request(request["$request_method"], path, tuple(fields)))
                    cors = sorted(
                        (key.lower(), value)
                        for key, value in reply.headers
                        if key.lower().startswith("access-control-")
                    )
                    assert (reply.status, cors) == (
                        expected.status or 200,
                        sorted(h for h in expected.headers if h[0].startswith("access-control-")),
                    ), (path, request)
                    asked += 1
        assert asked > 50
    finally:
        nginx.stop()
