"""``corsc import`` of hand-written Express apps, checked against the apps themselves: each
fixture runs in Node.js with real Express and cors (its ``listen`` moved to a local ephemeral
port, nothing else changed), and every request import asks — actual requests and preflights,
per origin, method and requested header — is answered by the real app with the CORS headers
import's reading of the JavaScript says, and, where the import reports no error, as the
imported policy's evaluator answers it, as a browser reads the answers."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import cors_options
import pytest
from importing import FIXTURES, ask
from test_imports_caddy import METHODS
from test_imports_roundtrip import ORIGINS

from corsc.diagnostics import fails
from corsc.evaluate import Evaluator, Request
from corsc.frontend import load
from corsc.imports import import_source
from corsc.imports.draft import Findings
from corsc.imports.express import App
from corsc.imports.express_level import chain_run
from corsc.imports.javascript import Values, parse
from corsc.imports.machine import Answer, Run
from corsc.imports.probes import UNLISTED, Probes, normal, request_fields
from corsc.paths import prefix_matches
from corsc.source import Source
from tests.conformance_express import MODULES, require_express

EXPRESS = FIXTURES / "express"
#: The fixtures run for real, and a path each serves.
LIVE = {
    "basic-cors.js": "/api/items",
    "allowlist-options.js": "/api/me",
    "single-origin.js": "/products/7",
    "unanchored-regex.js": "/data",
    "handwritten-star.js": "/",
    "handwritten-reflect.js": "/api/orders",
    "handwritten-allowlist.js": "/v1/status",
    "router-mount.js": "/api/users",
    "per-route.js": "/products/7",
    "esm-private-network.mjs": "/status",
    "dev-only.js": "/api/session",
    "handwritten-set.js": "/docs/1",
    "middleware-module.js": "/anything",
    "handwritten-suffix.js": "/api/feed",
}
#: Fixtures that are a middleware module, not an app: run in an app that uses it for every path.
MIDDLEWARE = {"middleware-module.js"}
#: Loads an app as it is (CommonJS or an ES module), its `listen` moved to an ephemeral port on
#: 127.0.0.1, which it prints.
_LAUNCHER = """
const http = require("http");
const { pathToFileURL } = require("url");
http.Server.prototype.listen = ((listen) =>
  function () {
    return listen.call(this, 0, "127.0.0.1", () =>
      process.stdout.write(`CORSC_PORT ${this.address().port}\\n`),
    );
  })(http.Server.prototype.listen);
if (process.argv[3] === "middleware") {
  const app = require("express")();
  app.use(require(process.argv[2]));
  app.all("*", (req, res) => res.json({}));
  app.listen();
} else {
  import(pathToFileURL(process.argv[2]).href);
}
"""
ORIGINS_ASKED = (
    *ORIGINS,
    "https://www.example.com",
    "https://admin.example.com",
    "https://a.preview.example.com",
    "https://shop.example.com",
    "https://console.example.com",
    "http://localhost:3000",
    "http://localhost:5173",
    "https://example.com",
    "https://api.example.com",
    "http://a.b.example.com",
    "https://evilexample.com",
    *UNLISTED,
)
PROBES = Probes(METHODS, ("Content-Type", "Authorization", "X-Api-Key", "x-corsc-probe"))


@contextmanager
def _node(launcher: str, arguments: list[str], directory: Path) -> Iterator[IO[str]]:
    """``launcher`` run by Node.js in ``directory`` with ``arguments``: its standard output,
    until the block ends (then the process is killed)."""
    require_express()
    script = directory / "launch.js"
    script.write_text(launcher, "utf-8")
    server = subprocess.Popen(
        ["node", str(script), *arguments],
        cwd=directory,
        env={**os.environ, "NODE_PATH": str(MODULES)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        yield server.stdout
    finally:
        server.kill()
        server.wait()


@contextmanager
def _running(app: Path, directory: Path) -> Iterator[int]:
    """The app served by Node.js, copied beside the test app's node_modules (an ES module
    finds its packages from where it lies, not through NODE_PATH)."""
    require_express()
    (directory / "node_modules").symlink_to(MODULES, target_is_directory=True)
    copy = directory / app.name
    shutil.copyfile(app, copy)
    mode = "middleware" if app.name in MIDDLEWARE else "app"
    with _node(_LAUNCHER, [str(copy), mode], directory) as output:
        line = output.readline()
        assert line.startswith("CORSC_PORT "), line
        yield int(line.split()[1])


def _ask(port: int, path: str, request: Mapping[str, str]) -> Answer:
    status, headers = ask(port, path, request["$request_method"], request_fields(request))
    return Answer(status, tuple(headers))


def _cors(answer: Answer) -> list[tuple[str, str]]:
    return sorted(item for item in answer.headers if item[0].startswith("access-control-"))


def _reading(source: Source, path: str) -> tuple[Run, Evaluator | None]:
    """What import's reading of the app answers at ``path``, and the imported policy's
    evaluator (``None`` when the import reports an error: the policy does not say what the app
    does, and the finding says so)."""
    findings = Findings(source)
    tree = parse(findings)
    values = Values(tree)
    chains = App(findings, tree, values).chains()
    governing = [
        (prefix, chain)
        for prefix, chain in chains
        if prefix is None or prefix_matches(prefix, path)
    ]
    _, chain = max(governing, key=lambda item: len(item[0] or ""))
    result = import_source(source, "express")
    if fails(result.diagnostics):
        return chain_run(values, chain), None
    assert result.policy is not None
    loaded = load(Source("imported.cors", result.policy))
    assert loaded.policy_set is not None
    return chain_run(values, chain), Evaluator(loaded.policy_set)


def _fixture(name: str) -> tuple[Run, Evaluator | None]:
    return _reading(Source(name, (EXPRESS / name).read_text("utf-8")), LIVE[name])


def _compare(
    port: int, path: str, run: Run, evaluator: Evaluator | None, origins: tuple[str, ...]
) -> set[bool]:
    """Asks the app on ``port`` every probe of each origin at ``path``, asserting that it sends
    the CORS headers (and, to a preflight, the status) ``run`` says, and that a browser reads
    its answer as the imported policy's; returns whether each such answer let the script
    read."""
    shared = set()
    for origin in origins:
        for key, request in PROBES.requests(origin):
            theirs = _ask(port, path, request)
            expected = run(request)
            assert _cors(theirs) == _cors(expected), (origin, key)
            if request["$request_method"] == "OPTIONS":
                assert theirs.status == (expected.status or 200), (origin, key)
            else:
                # An actual request's status is the app's routes' (a POST to a GET route is a
                # 404), not its CORS handling's.
                theirs = Answer(None, theirs.headers)
            if evaluator is None:
                continue
            fields = tuple(request_fields(request))
            response = evaluator.respond(Request(request["$request_method"], path, fields))
            ours = Answer(response.status, tuple((k.lower(), v) for k, v in response.headers))
            assert normal(theirs, request) == normal(ours, request), (origin, key)
            shared.add(len(normal(ours, request)) > 1)
    return shared


@pytest.mark.parametrize("name", sorted(LIVE))
def test_the_real_app_answers_as_the_import_reads_it(name: str, tmp_path: Path) -> None:
    run, evaluator = _fixture(name)
    with _running(EXPRESS / name, tmp_path) as port:
        shared = _compare(port, LIVE[name], run, evaluator, ORIGINS_ASKED)
    # Not vacuous: the policy allows some of these requests, and refuses some.
    assert evaluator is None or True in shared
    assert evaluator is None or False in shared or name in ("basic-cors.js", "handwritten-star.js")


def test_every_error_free_live_fixture_is_checked_against_its_policy() -> None:
    checked = [name for name in LIVE if _fixture(name)[1] is not None]
    assert len(checked) >= 11, checked


#: Serves each app named on the command line (CommonJS), printing `CORSC_PORT index port`.
_MANY = """
const http = require("http");
http.Server.prototype.listen = ((listen) =>
  function () {
    const index = globalThis.corscIndex;
    return listen.call(this, 0, "127.0.0.1", () =>
      process.stdout.write(`CORSC_PORT ${index} ${this.address().port}\\n`),
    );
  })(http.Server.prototype.listen);
process.argv.slice(2).forEach((path, index) => {
  globalThis.corscIndex = index;
  require(path);
});
"""


def test_generated_cors_options_answer_under_node_as_the_import_reads_them(
    tmp_path: Path,
) -> None:
    """Thirty generated ``cors(options)`` apps, served by the real package: each answers every
    request with the CORS headers import's reading of its options says, and, when the import
    reports no error, as its imported policy does."""
    require_express()
    written = cors_options.sample(30)
    paths = []
    for number, text in enumerate(written):
        path = tmp_path / f"app_{number}.js"
        path.write_text(cors_options.app(text), "utf-8")
        paths.append(str(path))
    with _node(_MANY, paths, tmp_path) as output:
        ports: dict[int, int] = {}
        while len(ports) < len(paths):
            _, index, port = output.readline().split()
            ports[int(index)] = int(port)
        checked = 0
        for number, text in enumerate(written):
            run, evaluator = _reading(Source("app.js", cors_options.app(text)), "/x")
            checked += evaluator is not None
            _compare(ports[number], "/x", run, evaluator, cors_options.ASKED)
    assert checked >= 15
