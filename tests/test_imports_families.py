"""Every fixture of every family (tests/fixtures/import/<family>/): the findings corsc
reports, at their lines, and the policy it writes."""

from __future__ import annotations

import pytest
from importing import FIXTURES, codes, imported, policy_of

from corsc.imports import import_source
from corsc.source import Source

#: fixture → (the import's codes in order, lines they point at, text the policy holds).
EXPECTED: dict[str, tuple[list[str], list[int], list[str]]] = {
    "iis/custom-headers-handlers.web.config": (
        ["CORS709", "CORS713", "CORS714"],
        [5, 7, 13],
        ['origins     "https://app.example.com"', "credentials true"],
    ),
    "iis/several-origins.web.config": (
        ["CORS704", "CORS714"],
        [6, 6],
        ['origins     "https://a.example.com", "https://b.example.com"'],
    ),
    "iis/cors-module.web.config": (
        [],
        [],
        ["origins     *", 'deny        "http://*"', "unlisted    reject", "max-age     120"],
    ),
    "iis/cors-module-one-origin.web.config": (
        ["CORS710"],
        [14],
        ['origins     "https://portal.example.com"', "methods     GET, PUT"],
    ),
    "iis/rewrite-reflect.web.config": (
        ["CORS706"],
        [6],
        [r'regex ".*(http(s)?://((.+\.)?domain1\.com|(.+\.)?domain2\.com)).*"'],
    ),
    "iis/rewrite-unchecked.web.config": (
        ["CORS708", "CORS705"],
        [6, 15],
        ["origins     *", "credentials true"],
    ),
    "iis/location-api.web.config": (["CORS714"], [7], ['paths       "/api"']),
    "iis/star-credentials.web.config": (
        ["CORS714", "CORS711", "CORS712"],
        [6, 7, 8],
        ["origins     *"],
    ),
    "iis/aspnet-options-handler.web.config": (
        ["CORS703", "CORS713", "CORS714"],
        [5, 5, 10],
        ["expose      Content-Disposition"],
    ),
    "iis/doctype.web.config": (["CORS701"], [2], []),
    "nginx/if-is-evil.conf": (
        ["CORS707", "CORS708", "CORS707", "CORS707"],
        [7, 14, 16, 22],
        ["origins     *", "methods     GET, POST, OPTIONS", "max-age     1728000"],
    ),
    "nginx/reflect-unchecked.conf": (
        ["CORS705", "CORS711", "CORS708"],
        [5, 6, 10],
        ['paths       "/api/"', "origins     *", "credentials true"],
    ),
    "nginx/if-origin-unanchored.conf": (
        ["CORS706", "CORS707"],
        [5, 5],
        [r'origins     regex ".*example\.com.*"'],
    ),
    "nginx/map-origins.conf": (
        ["CORS708"],
        [22],
        [
            'origins     "https://app.example.com", "https://admin.example.com", '
            r'regex "https://[a-z0-9-]+\.preview\.example\.com"',
            "max-age     600",
        ],
    ),
    "nginx/map-unanchored-case.conf": (
        ["CORS706"],
        [3],
        [r'origins     regex ".*\.example\.org.*"', 'paths       "/v1/"'],
    ),
    "nginx/static-star.conf": (["CORS712"], [5], ["origins     *"]),
    "nginx/several-origins.conf": (["CORS704"], [3], ['"https://a.example.com", "https://b']),
    "nginx/star-credentials.conf": (["CORS711"], [4], ["credentials true"]),
    "nginx/set-under-if.conf": (
        [],
        [],
        [r'origins     regex "https://(www|shop)\.example\.net"', "headers     X-Api-Key"],
    ),
    "nginx/two-locations.conf": (
        ["CORS703"],
        [11],
        ['paths       "/uploads/"', 'origins     "https://www.example.com"'],
    ),
    "nginx/snippet.conf": ([], [], ['origins     "https://dashboard.example.com"']),
    "nginx/map-several-grants.conf": (["CORS708"], [27], ['origin regex "https://[a-z0-9-]+']),
    "nginx/map-deny.conf": ([], [], ['deny        "https://old.example.com"']),
    "nginx/map-chain.conf": (["CORS708"], [30], ['deny        "https://blocked.partner']),
    "nginx/map-by-host.conf": (["CORS703"], [2], []),
    "nginx/map-by-method.conf": (["CORS703", "CORS708"], [5, 18], ["methods     GET, PUT"]),
    "nginx/if-variable.conf": (
        ["CORS703", "CORS703", "CORS707", "CORS708"],
        [6, 8, 13, 19],
        ['deny        "https://old'],
    ),
    "nginx/broken.conf": (["CORS701"], [3], []),
    "caddy/preflight-handle.Caddyfile": (
        [],
        [],
        ['origins     "https://app.example.com", "https://admin.example.com"', "max-age     3600"],
    ),
    "caddy/snippet-unanchored.Caddyfile": (["CORS706"], [3], [r'regex ".*example\.com.*"']),
    "caddy/default-header.Caddyfile": (["CORS714"], [3], ['origins     "https://www.example.com"']),
    "caddy/origin-regexp.Caddyfile": (
        [],
        [],
        [r'origins     regex "https://(app|admin)\.example\.com"', "credentials true"],
    ),
    "caddy/reflect-any.Caddyfile": (["CORS705", "CORS711"], [3, 4], ["origins     *"]),
    "caddy/several-origins.Caddyfile": (
        ["CORS704", "CORS714"],
        [3, 3],
        ['origins     "https://app.example.com", "https://admin.example.com"'],
    ),
    "caddy/snippet-star.Caddyfile": (["CORS708"], [10], ["max-age     86400"]),
    "caddy/wildcard-credentials.Caddyfile": (
        ["CORS711", "CORS714"],
        [3, 3],
        ["origins     *\n  credentials true"],
    ),
    "caddy/path-matcher.Caddyfile": (
        ["CORS714", "CORS735", "CORS735"],
        [3, 3, 3],
        ['paths       "/api"'],
    ),
    "caddy/paths-sorted.Caddyfile": (
        ["CORS714", "CORS735", "CORS714", "CORS714", "CORS735", "CORS735", "CORS735"],
        [5, 6, 7, 8, 8, 8, 9],
        ['paths       "/health"', 'paths       "/api"', "policy site"],
    ),
    "caddy/paths-handle.Caddyfile": (
        ["CORS735", "CORS708", "CORS735", "CORS735", "CORS714"],
        [4, 15, 18, 18, 23],
        ['paths       "/api"', 'paths       "/v2"', "policy site"],
    ),
    "apache/format-i.conf": (["CORS703"], [3], []),
    "apache/location-preflight.conf": (["CORS703", "CORS708"], [5, 5], ["methods     GET, PUT"]),
    "apache/directory-rewrite.conf": (["CORS703"], [11], ['"https://docs.example.com"']),
    "apache/header-add.conf": (["CORS712", "CORS710", "CORS712"], [4, 6, 6], ["origins     *"]),
    "apache/if-origin.conf": ([], [], ["expose      X-Request-Id"]),
    "apache/location-api.conf": ([], [], ['paths       "/public"']),
    "apache/options-200.htaccess": (["CORS708"], [8], ["preflight-status 200"]),
    "apache/reflect-any.conf": (["CORS705", "CORS711"], [2, 3], ["credentials true"]),
    "apache/reflect-setenvif.conf": ([], [], ['"https://www.example.com"']),
    "apache/remote-addr.conf": (["CORS703"], [2], []),
    "apache/rewrite-env.conf": ([], [], ['"https://www.example.org"', "max-age     600"]),
    "apache/setenvifexpr-list.conf": ([], [], ["headers     Authorization"]),
    "apache/several-origins.conf": (["CORS704"], [3], ["methods     GET, POST, PUT"]),
    "apache/star.htaccess": (["CORS712"], [3], ["policy site {"]),
    "apache/unanchored.htaccess": (["CORS706"], [2], [r'regex ".*\.example\.com"']),
    "apache/unclosed.conf": (["CORS701"], [4], []),
    "apache/wildcard-credentials.conf": (["CORS711"], [2], ["methods     GET, POST"]),
    "python/fastapi_app.py": ([], [], ["expose      X-Request-Id", "max-age     3600"]),
    "python/fastapi_env.py": (["CORS703"], [8], []),
    "python/starlette_wildcard.py": ([], [], ["methods     *", "headers     *"]),
    "python/starlette_regex.py": ([], [], [r'regex "https://[a-z0-9-]+\.preview\.example\.com"']),
    "python/django_settings.py": ([], [], ['paths       "/api/"', "credentials true"]),
    "python/django_regexes.py": (
        ["CORS706"],
        [1],
        [r'regex "https://\w+\.example\.com", regex "https://example\.org.*"'],
    ),
    "python/django_allow_all.py": ([], [], ["origins     *", "expose      Content-Disposition"]),
    "python/flask_simple.py": ([], [], ['origins     "https://app.example.com"']),
    "python/flask_resources.py": ([], [], ['paths       "/api"', "max-age     600"]),
    "python/flask_route.py": ([], [], ["origins     *", "methods     GET"]),
    "python/flask_wildcard_string.py": (
        ["CORS706"],
        [6],
        ['origins     regex "https://*.example.com.*", "https://app.example.com"'],
    ),
    "python/broken.py": (["CORS701"], [1], []),
}


def test_every_family_has_ten_fixtures_and_every_fixture_an_expectation() -> None:
    # haproxy/ (with the map and pattern files its fixtures read beside them):
    # tests/test_imports_haproxy_fixtures.py reviews each one.
    present = sorted(
        str(path.relative_to(FIXTURES))
        for path in FIXTURES.rglob("*")
        # express/: tests/test_imports_express.py asserts each one's findings and policy exactly.
        if path.is_file() and path.parent.name not in ("express", "haproxy")
    )
    assert present == sorted(EXPECTED)
    for family in ("iis", "nginx", "python", "apache", "caddy"):
        assert sum(name.startswith(family + "/") for name in present) >= 10


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture(name: str) -> None:
    expected_codes, lines, texts = EXPECTED[name]
    result = imported(FIXTURES / name)
    assert codes(result) == expected_codes
    assert [item.span.start.line for item in result.diagnostics] == lines
    if not texts:
        assert result.policy is None
        return
    policy_of(result)  # it parses and lowers
    assert result.policy is not None
    for text in texts:
        assert text in result.policy, result.policy


def test_the_format_is_guessed_from_the_content() -> None:
    guessed = {
        name.split("/")[0]: imported(FIXTURES / name).family
        for name in ("iis/cors-module.web.config", "nginx/map-origins.conf")
    }
    assert guessed == {"iis": "iis", "nginx": "nginx"}
    assert imported(FIXTURES / "python/fastapi_app.py").family == "starlette"
    assert imported(FIXTURES / "python/django_settings.py").family == "django"
    assert imported(FIXTURES / "python/flask_simple.py").family == "flask"


def test_exact_texts_of_the_classic_mistakes() -> None:
    several = imported(FIXTURES / "iis/several-origins.web.config").diagnostics[0]
    assert several.message == (
        "Access-Control-Allow-Origin `https://a.example.com, https://b.example.com` names 2 "
        "origins in one value; browsers accept exactly one origin (or `*`), so this header "
        "allows none"
    )
    unanchored = imported(FIXTURES / "nginx/map-unanchored-case.conf").diagnostics[0]
    assert unanchored.message == r"the origin regex `\.example\.org` is not anchored"
    assert r'`regex ".*\.example\.org.*"`' in unanchored.help


def test_what_the_cors_module_does_not_document_is_reported() -> None:
    text = (
        '<configuration><system.webServer><cors enabled="true" failUnlisted="true">\n'
        '<add origin="https://a.example.com" allowCredential="true">'
        '<allowHeader><add header="X"/></allowHeader></add>\n'
        "</cors></system.webServer></configuration>\n"
    )
    result = import_source(Source("web.config", text), "iis")
    assert [(item.code, item.span.start.line, item.message) for item in result.diagnostics] == [
        ("CORS712", 1, "the CORS Module documents no attribute `failUnlisted` on <cors>"),
        ("CORS712", 2, "the CORS Module documents no attribute `allowCredential` on <add origin>"),
        ("CORS703", 2, "<allowHeader> inside <add origin> is nothing the CORS Module documents"),
    ]
    assert result.policy is not None and "credentials false" in result.policy


STARLETTE_OPTIONS = """
from starlette.middleware.cors import CORSMiddleware

CORS_OPTIONS = {
    "allow_origins": ["https://app.example.com"],
    "allow_methods": ["GET", "PUT"],
    "allow_credentials": True,
}
"""


@pytest.mark.parametrize(
    ("usage", "policies"),
    [
        ("", 1),  # a dict of keywords alone (corsc's starlette output) is the call it is for
        ("app = CORSMiddleware(app, **CORS_OPTIONS)\n", 1),  # spread: one policy, not two
        ("app.add_middleware(CORSMiddleware, **CORS_OPTIONS, max_age=60)\n", 1),
    ],
)
def test_starlette_keywords_in_a_dict_are_read_as_the_call(usage: str, policies: int) -> None:
    result = import_source(Source("app.py", STARLETTE_OPTIONS + usage), "starlette")
    assert result.policy is not None, result.diagnostics
    assert result.policy.count("policy ") == policies, result.policy
    assert '"https://app.example.com"' in result.policy
    assert "methods     GET, PUT" in result.policy and "credentials true" in result.policy
    assert ("max-age     60\n" in result.policy) == ("max_age=60" in usage), result.policy


def test_a_dict_with_other_keys_is_not_starlette_options() -> None:
    text = 'SETTINGS = {"allow_origins": ["https://a.example"], "DEBUG": True}\n'
    result = import_source(Source("settings.py", text), "starlette")
    assert result.policy is None
    assert codes(result) == ["CORS702"]


def _rewrite_preflight_rule(name: str, status: str, origin: str) -> str:
    return f"""
        <rule name="{name}" stopProcessing="true">
          <match url=".*" />
          <conditions>
            <add input="{{REQUEST_METHOD}}" pattern="^OPTIONS$" />
            <add input="{{HTTP_ORIGIN}}" pattern="^https://{origin}\\.example\\.com$" />
          </conditions>
          <action type="CustomResponse" statusCode="{status}" statusReason="OK" />
        </rule>"""


def _rewrite_config(*rules: str) -> str:
    return f"""<configuration><system.webServer><rewrite>
      <rules>{"".join(rules)}</rules>
      <outboundRules>
        <rule name="acao">
          <match serverVariable="RESPONSE_Access_Control_Allow_Origin" pattern=".*" />
          <conditions>
            <add input="{{HTTP_ORIGIN}}" pattern="^https://(app|admin)\\.example\\.com$" />
          </conditions>
          <action type="Rewrite" value="{{HTTP_ORIGIN}}" />
        </rule>
      </outboundRules>
    </rewrite></system.webServer></configuration>"""


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [(("200",), 200), (("204",), None), (("200", "200"), 200), (("204", "204"), None)],
)
def test_the_inbound_preflight_status_is_carried(
    statuses: tuple[str, ...], expected: int | None
) -> None:
    rules = [
        _rewrite_preflight_rule(f"preflight-{n}", status, ("app", "admin")[n])
        for n, status in enumerate(statuses)
    ]
    result = import_source(Source("web.config", _rewrite_config(*rules)), "iis")
    assert result.policy is not None, result.diagnostics
    assert ("preflight-status 200" in result.policy) == (expected == 200), result.policy
    assert "CORS703" not in codes(result)


def test_preflights_answered_with_two_statuses_are_reported() -> None:
    rules = [
        _rewrite_preflight_rule("preflight-app", "200", "app"),
        _rewrite_preflight_rule("preflight-admin", "204", "admin"),
    ]
    result = import_source(Source("web.config", _rewrite_config(*rules)), "iis")
    assert "CORS703" in codes(result)
    found = next(item for item in result.diagnostics if item.code == "CORS703")
    assert found.message == (
        "the rewrite rule `preflight-app` answers preflights with 200 where others answer "
        "204; a policy answers all of its preflights alike"
    )


ALLOW = 'add_header Access-Control-Allow-Origin "https://app.example.com" always;'


@pytest.mark.parametrize(
    "text",
    [
        f"server {{ include snippets/cors.conf; {ALLOW} }}",
        f"server {{ {ALLOW} location /api {{ include cors/*.conf; }} }}",
        f"include /etc/nginx/cors.conf;\n{ALLOW}",  # a snippet's top level
        f"http {{ include conf.d/*.conf; server {{ {ALLOW} }} }}",  # may bring in servers
    ],
)
def test_an_include_is_reported_as_not_read(text: str) -> None:
    result = import_source(Source("site.conf", text), "nginx")
    found = [item for item in result.diagnostics if item.code == "CORS715"]
    assert len(found) == 1, result.diagnostics
    assert found[0].message.startswith("include ") and found[0].message.endswith(
        "is not read (the configuration was not read from a file, so there is no directory to "
        "look in): CORS headers in the files it brings in are not imported"
    )


@pytest.mark.parametrize(
    ("location", "reported"),
    [("= /api", True), ("/api", False), ("^~ /api", False)],
)
def test_an_exact_location_is_reported_as_a_prefix(location: str, reported: bool) -> None:
    text = f"server {{ location {location} {{ {ALLOW} }} }}"
    result = import_source(Source("site.conf", text), "nginx")
    assert result.policy is not None and 'paths       "/api"' in result.policy
    found = [item.message for item in result.diagnostics if item.code == "CORS716"]
    assert found == (
        [
            "location = /api answers /api only; a policy's paths are prefixes, so the imported "
            "policy also governs the paths below /api"
        ]
        if reported
        else []
    )


def test_an_exact_location_without_cors_headers_is_not_reported() -> None:
    text = f"server {{ {ALLOW} location = /health {{ return 200; }} }}"
    result = import_source(Source("site.conf", text), "nginx")
    assert "CORS716" not in codes(result)
