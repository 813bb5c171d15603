"""``corsc probe`` against real nginx (tests/nginx_launcher.py): corsc's own output matches on
every probe, and each mistake planted in a hand-written configuration is found.

The hand-written configuration is correct as written in ``CORRECT`` (the probe finds nothing);
each planted mistake changes one thing the way people get it wrong: ``*`` with credentials, the
Origin reflected unchecked, an unanchored regex, headers missing on error pages, the preflight
left to the application, no ``Vary``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conformance_nginx import compile_policy, http_includes
from tests.nginx_launcher import NGINX, Nginx
from tests.probing import aspects, mismatched, probe, problems

pytestmark = pytest.mark.skipif(
    NGINX is None, reason="nginx is not installed (Debian: apt-get install nginx)"
)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

POLICY = """\
policy api {
  paths       "/api"
  origins     "https://app.example.com", "https://admin.example.com"
  methods     GET, POST, PUT
  headers     Content-Type
  expose      X-Request-Id
  credentials true
}
"""

#: A correct hand-written nginx configuration of POLICY: the server block's body, with MAPS at
#: http level. (The origin is matched by an anchored regex: a map's plain strings compare
#: ignoring case, which the probe reports, since a browser compares Allow-Origin exactly.)
CORRECT = """
location /api {
    add_header Vary Origin always;
    add_header Access-Control-Allow-Origin $cors_origin always;
    add_header Access-Control-Allow-Credentials $cors_credentials always;
    add_header Access-Control-Expose-Headers $cors_expose always;
    add_header Access-Control-Allow-Methods $cors_methods always;
    add_header Access-Control-Allow-Headers $cors_headers always;
    if ($cors_preflight) { return 204; }
    return 200 "{}";
}
"""

MAPS = r"""
map $http_origin $cors_allowed {
    default 0; "~^https://app\.example\.com$" 1; "~^https://admin\.example\.com$" 1;
}
map $cors_allowed $cors_origin { default ""; 1 $http_origin; }
map $cors_allowed $cors_credentials { default ""; 1 true; }
map $cors_allowed $cors_expose { default ""; 1 X-Request-Id; }
map "$request_method:$cors_allowed:$http_access_control_request_method" $cors_preflight {
    default 0; "~^OPTIONS:1:." 1;
}
map $cors_preflight $cors_methods { default ""; 1 "GET, POST, PUT"; }
map "$cors_preflight:$http_access_control_request_headers" $cors_headers {
    default ""; "~^1:." Content-Type;
}
"""

#: Each planted mistake: the configuration, and a (purpose, aspect) it must be found by.
PLANTED = {
    "star with credentials": (
        CORRECT.replace("$cors_origin always", "* always"),
        ("allowed origin (exact)", "verdict"),
    ),
    "Origin reflected without a check": (
        CORRECT.replace("$cors_origin always", "$http_origin always").replace(
            "$cors_credentials always", "true always"
        ),
        ("look-alike of https://app.example.com", "verdict"),
    ),
    "unanchored regex": (
        CORRECT,
        ("look-alike of https://app.example.com", "verdict"),
    ),
    "headers missing on error pages": (
        CORRECT.replace(" always;", ";").replace('return 200 "{}";', "return 404;"),
        ("allowed origin (exact)", "verdict"),
    ),
    "preflight swallowed by the application": (
        CORRECT.replace(
            "if ($cors_preflight) { return 204; }",
            # The application's own OPTIONS answer (and `add_header` in `if` drops the others).
            'if ($request_method = OPTIONS) { add_header Allow "GET, POST, PUT"; return 200; }',
        ),
        ("allowed origin (exact): preflight within the grant", "verdict"),
    ),
    "missing Vary": (
        CORRECT.replace("add_header Vary Origin always;", ""),
        ("an origin the policy does not list", "vary"),
    ),
}

UNANCHORED = MAPS.replace("~^https://app\\.example\\.com$", "~https://app\\.example\\.com")


@pytest.fixture(scope="module")
def ports() -> Iterator[dict[str, int]]:
    """One nginx: the correct configuration, each planted mistake (the unanchored one with its
    own maps, under a prefix of its own) and corsc's output for every example."""
    compiled = {
        example.name: compile_policy(example.stem, example.read_text("utf-8"), f"prefix=e{n}")
        for n, example in enumerate(sorted(EXAMPLES.glob("*.cors")))
    }
    names = ["correct", *PLANTED, *compiled]
    files = {name: text for c in compiled.values() for name, text in c.files.items()}

    def body(name: str) -> str:
        if name == "correct":
            return CORRECT
        if name in PLANTED:
            text = PLANTED[name][0]
            return text.replace("$cors_", "$bad_") if name == "unanchored regex" else text
        return compiled[name].server

    def build(numbers: list[int]) -> tuple[str, dict[str, str]]:
        servers = [
            f"server {{ listen 127.0.0.1:{port};\n{body(name)}\n}}"
            for port, name in zip(numbers, names, strict=True)
        ]
        maps = MAPS + UNANCHORED.replace("$cors_", "$bad_")
        return maps + http_includes(files) + "\n" + "\n".join(servers), files

    with tempfile.TemporaryDirectory() as directory:
        nginx = Nginx(Path(directory))
        numbers = nginx.serve(build, len(names))
        try:
            yield dict(zip(names, numbers, strict=True))
        finally:
            nginx.stop()


@pytest.fixture(scope="module")
def policy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("probe") / "api.cors"
    path.write_text(POLICY, "utf-8")
    return path


@pytest.mark.parametrize("example", sorted(path.name for path in EXAMPLES.glob("*.cors")))
def test_corsc_output_matches_on_every_probe(ports: dict[str, int], example: str) -> None:
    code, report = probe(ports[example], EXAMPLES / example)
    assert (code, problems(report)) == (0, [])
    assert report["summary"]["probes"] > 10


def test_the_correct_hand_written_configuration_matches(
    ports: dict[str, int], policy: Path
) -> None:
    code, report = probe(ports["correct"], policy)
    assert (code, problems(report)) == (0, [])


@pytest.mark.parametrize("mistake", sorted(PLANTED))
def test_every_planted_mistake_is_found(ports: dict[str, int], policy: Path, mistake: str) -> None:
    code, report = probe(ports[mistake], policy)
    assert code == 1
    assert PLANTED[mistake][1] in aspects(report)
    for result in mismatched(report):
        assert result["request"]["curl"].startswith("curl -si -X ")
        assert result["policy_says"]["reason"]
