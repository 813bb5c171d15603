"""``corsc import --from json``: the document ``--target json`` writes, read back strictly into
the policy set it was written from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from generated_policies import HEADERS, METHODS, ORIGINS, policies
from hypothesis import HealthCheck, assume, given, settings
from importing import GOLDEN, compiled, every, verdicts

from corsc.frontend import load
from corsc.imports import guess, import_source
from corsc.imports.irjson import policy_set_of
from corsc.ir import digest
from corsc.source import Source

DOCUMENTS = sorted(GOLDEN.glob("json/*.json"))


def _written_digest(document: str) -> str:
    return json.loads(document)["generated_by"].split("policy sha256:", 1)[1].split(";", 1)[0]


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_every_golden_document_reads_back_to_the_policy_set_it_was_written_from(
    document: Path,
) -> None:
    text = document.read_text("utf-8")
    assert guess(text) == "json"
    # The digest of the policy set read equals the one the document's provenance names: the
    # reading is the compiled policy set, every setting and pattern, not an approximation.
    read = policy_set_of(text, Source(document.name, text).span(0))
    assert digest(read)[:16] == _written_digest(text)
    result = import_source(Source(document.name, text))
    assert result.family == "json" and result.diagnostics == ()
    # Its verdicts: tests/test_imports_roundtrip.py, with every other golden output.


def test_a_document_reads_back_with_only_what_differs_from_defaults() -> None:
    built = compiled(
        'policy web {\n  paths "/api/"\n  origins "https://app.example.com", '
        '"https://*.example.org", regex "https://[a-z]+\\\\.example\\\\.net"\n'
        '  deny "https://old.example.org"\n  methods GET, PUT\n  credentials true\n\n'
        '  origin "https://app.example.com" {\n    max-age 60\n  }\n}\n',
        "json",
    )
    assert built is not None
    result = import_source(Source("web.json", built[1]))
    assert result.family == "json" and result.diagnostics == ()
    assert result.policy is not None
    assert result.policy.split("# from line 1\n", 1)[1] == (
        "policy web {\n"
        '  paths       "/api/"\n'
        '  origins     "https://app.example.com", "https://*.example.org", '
        'regex "https://[a-z]+\\.example\\.net"\n'
        '  deny        "https://old.example.org"\n'
        "  methods     GET, PUT\n"
        "  credentials true\n"
        "\n"
        '  origin "https://app.example.com" {\n'
        "    methods     GET, PUT\n"
        "    credentials true\n"
        "    max-age     60\n"
        "    private-network false\n"
        "  }\n"
        "}\n"
    )


def _edited(change: str) -> str:
    built = compiled('policy web {\n  origins "https://app.example.com"\n}\n', "json")
    assert built is not None
    document = json.loads(built[1])
    policy = document["policies"][0]
    entry = policy["entries"][0]
    if change == "format":
        document["format"] = 2
    elif change == "origin":
        entry["origin"] = "https://evil.example"
    elif change == "kind":
        entry["kind"] = "everything"
    elif change == "credentials":
        policy["grant"]["credentials"]["value"] = "yes"
    elif change == "status":
        policy["preflight_status"]["value"] = 302
    elif change == "block":
        entry["block"] = True
    elif change == "missing":
        del policy["unlisted"]
    elif change == "wildcard":
        policy["grant"]["methods"]["value"]["wildcard"] = True
    elif change == "port":
        entry["port"] = True
    return json.dumps(document)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("format", "format: format 2, this corsc reads format 1"),
        (
            "origin",
            "policies[0].entries[0].origin: 'https://evil.example' is not the pattern its fields "
            "describe",
        ),
        ("kind", "policies[0].entries[0].kind: no pattern kind 'everything'"),
        ("credentials", "policies[0].grant.credentials.value: expected true or false"),
        ("status", "policies[0].preflight_status.value: expected 200 or 204"),
        ("block", "policies[0].entries[0].grant: an origin block has its grant, an entry none"),
        ("missing", "policies[0]: missing key 'unlisted'"),
        ("wildcard", "policies[0].grant.methods.value: a wildcard list has no items"),
        ("port", "policies[0].entries[0].port: expected a port number or null"),
    ],
)
def test_a_document_corsc_would_not_write_is_cors701_naming_the_key(
    change: str, message: str
) -> None:
    result = import_source(Source("web.json", _edited(change)), "json")
    assert result.policy is None
    (finding,) = result.diagnostics
    assert finding.code == "CORS701"
    assert finding.message == f"this is not a document corsc's json target writes: {message}"
    assert finding.help == (
        "import the policy it was compiled from instead, or compile it again with `--target json`"
    )


@pytest.mark.parametrize("text", ["", "{", "[]", "null", '{"format": 1}', "7", '"x"'])
def test_what_is_no_json_document_is_cors701_never_a_traceback(text: str) -> None:
    result = import_source(Source("web.json", text), "json")
    assert result.policy is None
    assert [item.code for item in result.diagnostics] == ["CORS701"]


@settings(
    max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(text=policies())
def test_generated_policies_round_trip_through_the_json_document(text: str) -> None:
    built = compiled(text, "json")
    assume(built is not None)
    assert built is not None
    policy_set, document = built
    assert digest(policy_set_of(document, Source("p.json", document).span(0))) == digest(policy_set)
    result = import_source(Source("p.json", document), "json")
    assert result.diagnostics == (), (text, result.diagnostics)
    assert result.policy is not None
    back = load(Source("imported.cors", result.policy))
    assert back.policy_set is not None and not back.has_errors, result.policy
    verdicts(policy_set, back.policy_set, every(ORIGINS, METHODS, HEADERS), reasons=False)  # type: ignore[arg-type]
