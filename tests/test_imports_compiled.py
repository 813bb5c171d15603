"""``corsc import --from python``: the policy file corsc's own middleware reads (what
``--target python`` writes), read back with the middleware's reader."""

from __future__ import annotations

from generated_policies import HEADERS, METHODS, ORIGINS, policies
from hypothesis import HealthCheck, assume, given, settings
from importing import compiled, every, verdicts

from corsc.frontend import load
from corsc.imports import guess, import_source
from corsc.source import Source


def test_a_compiled_file_is_recognised_and_read_back_with_only_what_differs_from_defaults() -> None:
    built = compiled(
        'policy web {\n  paths "/api/"\n  origins "https://app.example.com", "https://*.example.org"\n'
        '  deny "https://old.example.org"\n  methods GET, PUT\n  credentials true\n}\n',
        "python",
    )
    assert built is not None
    text = built[1]
    assert guess(text) == "python"
    result = import_source(Source("corsc.toml", text))
    assert result.family == "python" and result.diagnostics == ()
    assert result.policy is not None
    body = result.policy.split("# from line 1\n", 1)[1]
    assert body == (
        "policy web {\n"
        '  paths       "/api"\n'
        '  origins     "https://app.example.com", "https://*.example.org"\n'
        '  deny        "https://old.example.org"\n'
        "  methods     GET, PUT\n"
        "  credentials true\n"
        "}\n"
    )


def test_a_file_the_middleware_would_refuse_is_cors701_with_the_readers_reason() -> None:
    text = 'format = 1\n\n[[policy]]\nname = "web"\norigins = 7\n'
    result = import_source(Source("corsc.toml", text), "python")
    assert result.policy is None
    (finding,) = result.diagnostics
    assert finding.code == "CORS701"
    assert finding.message == (
        "corsc's middleware would not read this file: corsc.toml: policy #1: missing key(s) "
        "credentials, deny, expose, headers, methods, paths, preflight-status, "
        "private-network, unlisted; recompile the policy with `corsc compile POLICY --target "
        "python`"
    )
    assert finding.help == "import the policy it was compiled from instead, or compile it again"


def test_a_file_of_another_format_version_is_refused() -> None:
    result = import_source(Source("corsc.toml", "format = 99\n\n[[policy]]\n"), "python")
    assert result.policy is None
    assert [item.code for item in result.diagnostics] == ["CORS701"]


@settings(
    max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(text=policies())
def test_generated_policies_round_trip_through_the_compiled_file(text: str) -> None:
    built = compiled(text, "python")
    assume(built is not None)
    assert built is not None
    policy_set, toml = built
    result = import_source(Source("corsc.toml", toml), "python")
    assert result.diagnostics == (), (text, result.diagnostics)
    assert result.policy is not None
    back = load(Source("imported.cors", result.policy))
    assert back.policy_set is not None and not back.has_errors, result.policy
    verdicts(policy_set, back.policy_set, every(ORIGINS, METHODS, HEADERS), reasons=False)  # type: ignore[arg-type]


def test_an_unknown_format_names_every_format_import_reads() -> None:
    result = import_source(Source("notes.txt", "just some words\n"))
    (finding,) = result.diagnostics
    assert finding.code == "CORS700"
    assert finding.message == (
        "corsc cannot tell what this file configures: it is not XML (web.config), has no "
        "nginx, Caddyfile, Apache or HAProxy directive corsc knows, is no policy file "
        "corsc compiled, names no CORS setting of Starlette, Django or flask-cors, and "
        "requires neither express nor cors"
    )
    assert finding.help == (
        "name the format: --from "
        "iis|nginx|caddy|apache|haproxy|starlette|django|flask|python|json|express"
    )
