"""nginx configurations whose CORS headers hang on maps, ``set`` and ``if``: several grants
chosen by one map, deny rows, chains of maps, ``if ($var)``. The policy import writes, to the
byte, and the findings for what no policy says, to the word; then the imported policy is
checked against what nginx answers, origin by origin (tests/test_imports_nginx_live.py
holds the machine that reads nginx to what a real nginx answers)."""

from __future__ import annotations

import pytest
from importing import FIXTURES, imported

from corsc.imports import import_source
from corsc.imports.machine import Opaque
from corsc.imports.nginx_machine import Machine, MapBlock, maps_of
from corsc.imports.witnesses import corsc_pattern, regex_candidates, witnesses
from corsc.source import Source


def body(name: str) -> str:
    """The imported policy without its two header lines."""
    result = imported(FIXTURES / "nginx" / name)
    assert result.policy is not None, result.diagnostics
    return result.policy.split("\n", 3)[3]


def test_several_grants_chosen_by_one_map() -> None:
    assert body("map-several-grants.conf") == (
        "# from line 25\n"
        "policy api {\n"
        '  paths       "/api/"\n'
        '  origins     "https://app.example.com"\n'
        "  methods     GET, POST, PUT, DELETE\n"
        "  headers     Content-Type\n"
        "  credentials true\n"
        "  max-age     3600\n"
        "\n"
        '  origin regex "https://[a-z0-9-]+\\.partner\\.example\\.com" {\n'
        "    methods     GET\n"
        "    credentials false\n"
        "    max-age     600\n"
        "  }\n"
        "}\n"
    )


def test_a_row_mapped_to_nothing_before_the_regex_is_a_deny() -> None:
    assert body("map-deny.conf") == (
        "# from line 8\n"
        "policy site {\n"
        '  origins     regex "https://[a-z0-9-]+\\.example\\.com"\n'
        '  deny        "https://old.example.com"\n'
        "  methods     GET, POST\n"
        "  expose      X-Total-Count\n"
        "}\n"
    )
    assert imported(FIXTURES / "nginx" / "map-deny.conf").diagnostics == ()


def test_a_chain_of_maps_with_a_deny_in_the_second() -> None:
    # The partners' grant has no expose: it cannot be a block under a policy that exposes,
    # so the front end's grant is the block.
    assert body("map-chain.conf") == (
        "# from line 24\n"
        "policy site {\n"
        '  origins     regex "https://[a-z]+\\.partner\\.example\\.net"\n'
        '  deny        "https://blocked.partner.example.net"\n'
        "  methods     GET, POST\n"
        "\n"
        '  origin "https://app.example.com" {\n'
        "    expose      X-Request-Id\n"
        "    credentials true\n"
        "  }\n"
        "}\n"
    )


def test_headers_under_if_of_a_variable_the_map_fills() -> None:
    # Actual requests are read back; preflights, which the second `if` answers without the
    # first one's headers, are refused by nginx and the finding says so at each origin test.
    assert body("if-variable.conf") == (
        "# from line 12\n"
        "policy site {\n"
        '  origins     "https://app.example.com", regex "https://[a-z]+\\.example\\.net"\n'
        '  deny        "https://old.example.net"\n'
        "}\n"
    )
    result = imported(FIXTURES / "nginx" / "if-variable.conf")
    assert [(d.code, d.span.start.line, d.message) for d in result.diagnostics][:2] == [
        (
            "CORS703",
            6,
            "no policy says what nginx answers Origin https://app.example.com: to a preflight "
            "asking for GET nginx gives a refusal, the imported policy gives an acceptance "
            "(without credentials only)",
        ),
        (
            "CORS703",
            8,
            "no policy says what nginx answers Origin https://a.example.net: to a preflight "
            "asking for GET nginx gives a refusal, the imported policy gives an acceptance "
            "(without credentials only)",
        ),
    ]


def test_what_no_policy_says_is_reported_at_its_line() -> None:
    by_host = imported(FIXTURES / "nginx" / "map-by-host.conf")
    assert by_host.policy is None
    assert [(d.code, d.span.start.line, d.message, d.help) for d in by_host.diagnostics] == [
        (
            "CORS703",
            2,
            "the answer depends on $host, which corsc cannot know, so corsc cannot tell which "
            "origins this level allows",
            "write the policy's origins and settings by hand",
        )
    ]
    by_method = imported(FIXTURES / "nginx" / "map-by-method.conf")
    assert [(d.code, d.span.start.line, d.message) for d in by_method.diagnostics] == [
        (
            "CORS703",
            5,
            "no policy says what nginx answers Origin https://a.partner.example.org: to an "
            "actual POST nginx gives no access (status 2xx, no Allow-Origin for it), the "
            "imported policy gives access (status 2xx, without credentials only)",
        ),
        (
            "CORS708",
            18,
            "return 204 answers every OPTIONS request, for any origin and whatever it asks",
        ),
    ]
    assert by_method.diagnostics[0].help == (
        "the imported policy answers that origin as it says, not as nginx does; change the "
        "configuration or the policy so they agree"
    )


def test_an_unanchored_regex_row_used_as_an_entry_is_reported() -> None:
    text = (
        "map $http_origin $grant {\n"
        '    default "";\n'
        '    "https://a.example.com" "1";\n'
        '    "~example\\.org" "2";\n'
        "}\n"
        'map $grant $acao { "" ""; default $http_origin; }\n'
        'map $grant $creds { "1" "true"; }\n'
        "server {\n"
        "    add_header Access-Control-Allow-Origin $acao always;\n"
        "    add_header Access-Control-Allow-Credentials $creds always;\n"
        "}\n"
    )
    result = import_source(Source("nginx.conf", text), "nginx")
    assert [(d.code, d.span.start.line) for d in result.diagnostics] == [("CORS706", 4)]
    assert result.policy is not None
    assert 'regex ".*example\\.org.*"' in result.policy


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        (
            'map $http_x_forwarded_host $g { default ""; api.example.com 1; }\n'
            "map $g $a { 1 $http_origin; }\n"
            "server { add_header Access-Control-Allow-Origin $a always; }",
            1,
            "depends on $http_x_forwarded_host",
        ),
        (
            'map $uri $x { default ""; }\nserver { add_header Access-Control-Allow-Origin $x; }',
            1,
            "depends on $uri",
        ),
        (
            'map $http_origin $g { "~(?R)" 1; }\nmap $g $a { 1 $http_origin; }\n'
            "server { add_header Access-Control-Allow-Origin $a always; }",
            1,
            "(?R)",
        ),
        (
            "map $http_origin $g { default 1; }\nmap $g $a { 1 $http_origin; }\n"
            "server { rewrite ^ /x; add_header Access-Control-Allow-Origin $a always; }",
            3,
            "rewrite changes the request",
        ),
    ],
)
def test_what_the_machine_cannot_follow_is_cors703(text: str, line: int, reason: str) -> None:
    result = import_source(Source("nginx.conf", text), "nginx")
    found = [d for d in result.diagnostics if d.code == "CORS703"]
    assert found and found[0].span.start.line == line and reason in found[0].message, found


def test_the_machine_runs_maps_as_nginx_does() -> None:
    text = (
        "map $http_origin $v {\n"
        "    hostnames;\n"
        "    default d;\n"
        "    https://a.example.com exact;\n"
        "    *.example.com mask;\n"
        "    ~^https://a regex;\n"
        "}\n"
        'map "$v:$request_method" $w { default none; "mask:GET" both; }\n'
    )
    from corsc.imports.nginx_config import parse as _parse

    maps = maps_of(item for item in _parse(text)["config"][0]["parsed"])
    assert isinstance(maps["$v"], MapBlock)

    def value(origin: str, name: str = "$v", method: str = "GET") -> str:
        machine = Machine(maps, {"$http_origin": origin, "$request_method": method})
        return machine.variable(name, 1)

    assert value("HTTPS://A.EXAMPLE.COM") == "exact"  # hashes ignore case
    assert value("https://b.example.com.") == "mask"  # hostnames: the trailing dot goes
    assert value("https://ab.example.org") == "regex"
    assert value("https://x.example.org") == "d"
    assert value("https://b.example.com", "$w") == "both"
    assert value("https://b.example.com", "$w", "PUT") == "none"
    with pytest.raises(Opaque):
        Machine(maps, {}).variable("$host", 1)


def test_corsc_renderings_of_wildcards_read_back_as_the_patterns() -> None:
    assert corsc_pattern(r"https://(?:[\-0-9_a-z]+\.)+partner\.example\.org") == (
        "https://*.partner.example.org"
    )
    assert corsc_pattern(r"https://(?:[\-0-9_a-z]+\.)+partner\.example\.org\.") is None
    assert corsc_pattern(r"http://localhost(?::(?:[1-9]))?") is None  # not corsc's port range
    [candidate] = regex_candidates(r"^(?:https://a\.example\.com)\z", False, 1)
    assert candidate.entry == '"https://a.example.com"'


def test_witnesses_match_their_regex() -> None:
    found = witnesses(r"https://(?:[a-z]+\.)+example\.com(?::[0-9]+)?")
    assert "https://a.example.com" in found and "https://aa.aa.example.com:11" in found
    assert witnesses(r"a{2}|b") == ("aa", "b")
    assert witnesses("(") == ()
