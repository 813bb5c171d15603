"""``corsc probe`` against live Python servers: corsc's runtime under uvicorn (ASGI) and
gunicorn (WSGI), and Starlette's, django-cors-headers' and flask-cors's middleware configured by
corsc's output (Starlette under uvicorn, Django and Flask under gunicorn). Every verdict matches
the policy's; where a library answers otherwise, ``--target`` accepts what its capability table
declares and reports it as a deviation, and without ``--target`` it is a mismatch.

Each server is a subprocess on 127.0.0.1 serving one application module (``SERVER_APP``) that
answers every path with the tests' stub application.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from corsc.backends import EmitOptions, get
from corsc.frontend import load
from corsc.source import Source
from tests.probing import mismatched, probe, problems
from tests.test_runtime_servers import free_port, wait_for

POLICY = """\
policy api {
  origins     "https://app.example.com", "https://*.partner.example.org"
  methods     GET, POST, PUT, DELETE
  headers     Accept, Accept-Language, Content-Language, Content-Type, Authorization
  expose      X-Request-Id
  credentials true
  max-age     10m
}
"""

#: The application module every server runs: ``asgi`` and ``wsgi``, built for the library in
#: ``PROBE_LIBRARY`` from corsc's output in the same directory.
SERVER_APP = """
import os

LIBRARY = os.environ["PROBE_LIBRARY"]
HEADERS = [("Content-Type", "application/json"), ("X-Request-Id", "r-1"), ("X-Secret", "s")]


async def asgi_app(scope, receive, send):
    if scope["type"] != "http":
        return
    headers = [(name.lower().encode(), value.encode()) for name, value in HEADERS]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"{}"})


def wsgi_app(environ, start_response):
    start_response("200 OK", list(HEADERS))
    return [b"{}"]


asgi = wsgi = None
if LIBRARY == "runtime":
    from corsc.runtime import ASGIMiddleware, WSGIMiddleware

    asgi = ASGIMiddleware(asgi_app, "policy.toml")
    wsgi = WSGIMiddleware(wsgi_app, "policy.toml")
elif LIBRARY == "starlette":
    from cors_starlette import CORS_OPTIONS
    from starlette.middleware.cors import CORSMiddleware

    asgi = CORSMiddleware(asgi_app, **CORS_OPTIONS)
elif LIBRARY == "flask":
    from cors_flask import init_cors
    from flask import Flask

    app = Flask("probe")

    def view(path=""):
        return b"{}", 200, HEADERS

    methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
    app.add_url_rule("/", "root", view, methods=methods)
    app.add_url_rule("/<path:path>", "any", view, methods=methods)
    init_cors(app)
    wsgi = app
elif LIBRARY == "django":
    import cors_django
    from django.conf import settings

    settings.configure(
        SECRET_KEY="corsc-probe",
        ALLOWED_HOSTS=["*"],
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=["corsheaders"],
        MIDDLEWARE=["corsheaders.middleware.CorsMiddleware"],
        **{key: getattr(cors_django, key) for key in dir(cors_django) if key.startswith("CORS_")},
    )
    from django.core.wsgi import get_wsgi_application
    from django.http import HttpResponse
    from django.urls import re_path

    urlpatterns = [re_path(r"^.*$", lambda request: HttpResponse(b"{}", headers=dict(HEADERS)))]
    wsgi = get_wsgi_application()
"""

#: (library, server, the corsc target whose output configures it).
SERVERS = [
    ("runtime", "uvicorn", "python"),
    ("runtime", "gunicorn", "python"),
    ("starlette", "uvicorn", "starlette"),
    ("django", "gunicorn", "django"),
    ("flask", "gunicorn", "flask"),
]


def command(server: str, port: int) -> list[str]:
    if server == "uvicorn":
        return [
            *(sys.executable, "-m", "uvicorn", "serverapp:asgi", "--host", "127.0.0.1"),
            *("--port", str(port), "--log-level", "warning"),
        ]
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "-b",
        f"127.0.0.1:{port}",
        "-w",
        "1",
        "serverapp:wsgi",
    ]


def emitted(target: str) -> tuple[str, str]:
    """corsc's output of POLICY for ``target``: its file name and text."""
    loaded = load(Source("probe.cors", POLICY))
    assert loaded.policy_set is not None and not loaded.has_errors, loaded.diagnostics
    output = get(target).emit(loaded.policy_set, EmitOptions("0.1.0", "probe.cors", target))[0]
    return ("policy.toml" if target == "python" else output.name), output.content


@pytest.fixture(scope="module")
def policy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("probe-policy") / "probe.cors"
    path.write_text(POLICY, "utf-8")
    return path


@pytest.fixture(scope="module", params=SERVERS, ids=[f"{lib}-{srv}" for lib, srv, _ in SERVERS])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, int]]:
    """The server running, and the target that configured it."""
    library, server, target = request.param
    directory = tmp_path_factory.mktemp(f"{library}-{server}")
    name, content = emitted(target)
    (directory / name).write_text(content, "utf-8")
    (directory / "serverapp.py").write_text(textwrap.dedent(SERVER_APP), "utf-8")
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(directory), *sys.path]),
        "PROBE_LIBRARY": library,
    }
    log = directory / "server.log"
    with log.open("wb") as output:  # a file, not a pipe nobody reads: it cannot fill up
        process = subprocess.Popen(
            command(server, port), cwd=directory, env=env, stdout=output, stderr=output
        )
    try:
        wait_for(port, process, log)
        yield target, port
    finally:
        process.terminate()
        process.wait(timeout=10)


#: The Origins whose verdict each target's library reaches its own way (a declared deviation):
#: django-cors-headers reads the Origin through urlsplit, flask-cors ignores case.
OWN_WAY = {
    "python": set(),
    "starlette": set(),
    "django": {"https://app.example.com/"},
    "flask": {"HTTPS://APP.EXAMPLE.COM"},
}


def test_every_verdict_matches_with_the_targets_declared_deviations(
    served: tuple[str, int], policy: Path
) -> None:
    target, port = served
    code, report = probe(port, policy, "--target", target)
    assert (code, problems(report)) == (0, [])
    assert report["summary"]["probes"] > 20
    deviating = [result for result in report["results"] if result["deviations"]]
    assert {dict(r["request"]["headers"])["Origin"] for r in deviating} == OWN_WAY[target]
    for result in deviating:
        assert result["deviations"][0]["declared"].startswith(f"target `{target}`: ")
    # Without --target the same answers are mismatches, and nothing else is.
    code, plain = probe(port, policy)
    assert code == (1 if deviating else 0)
    assert [r["request"] for r in mismatched(plain)] == [r["request"] for r in deviating]
