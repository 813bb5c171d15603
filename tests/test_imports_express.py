"""``corsc import`` of Express apps: corsc's own express output reads back from its ``POLICIES``
data to a policy with the same verdicts (the goldens at every path prefix, policies compiled
here, generated policies), hand-written apps (the ``cors`` package, hand-rolled middleware) read
to the policy they mean with what no policy says at its line, and the imported policies answer
as the real apps do under Node.js, request by request."""

from __future__ import annotations

import random
from pathlib import Path

import cors_options
import pytest
from browser import evaluator_server, fetch, script_request
from generated_policies import HEADERS as GENERATED_HEADERS
from generated_policies import METHODS as GENERATED_METHODS
from generated_policies import ORIGINS as GENERATED_ORIGINS
from generated_policies import policies as generated_policies
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from importing import FIXTURES, every, verdicts
from test_imports_caddy import HEADERS, METHODS
from test_imports_roundtrip import ORIGINS as ROUNDTRIP_ORIGINS

from corsc import __version__
from corsc.backends import EmitOptions, check, get
from corsc.diagnostics import fails
from corsc.evaluate import Evaluator, Request
from corsc.frontend import load
from corsc.imports import guess, import_source
from corsc.imports.draft import Findings
from corsc.imports.express import App
from corsc.imports.express_level import chain_run
from corsc.imports.javascript import Values, parse
from corsc.imports.machine import Answer
from corsc.imports.probes import Probes, normal, request_fields
from corsc.ir import PatternKind, PolicySet
from corsc.source import Source
from tests.conformance_express import compile_or_refuse
from tests.goldens import GOLDEN

ROOT = Path(__file__).resolve().parent.parent
EXPRESS = FIXTURES / "express"
ORIGINS = (
    *ROUNDTRIP_ORIGINS,
    "https://pr-12.preview.example.com",
    "https://pr-x.preview.example.com",
)
POLICIES = {
    "deny-credentials": """policy p {
  origins "https://app.example.com", "https://*.partner.example.org"
  deny    "https://legacy.partner.example.org"
  methods GET, PUT
  headers Content-Type
  credentials true
}
""",
    "reject-blocks": """policy api {
  paths "/api"
  origins  "https://app.example.com", "http://localhost:*"
  methods  GET, POST, DELETE
  expose   X-Request-Id
  max-age  600
  unlisted reject

  origin "https://reports.example.com" {
    methods GET
    credentials true
  }
  origin "https://*.partner.example.org" {
    headers *
  }
}

policy rest {
  origins *
  methods GET
  headers X-Api-Key
}
""",
    "regex-private-network": """policy p {
  origins regex "^https://pr-[0-9]+\\.preview\\.example\\.com$", "https://staging.example.com"
  headers Authorization
  preflight-status 200

  origin "https://app.example.com" {
    private-network true
  }
}
""",
    "star-methods": """policy p {
  paths "/v2"
  origins *
  methods *
  headers *
  expose *
}
""",
}


def _express(text: str) -> str:
    module = compile_or_refuse("p", text)
    assert isinstance(module, str), module
    return module


def _same_verdicts(original: PolicySet, back: PolicySet, paths: list[str]) -> set[bool]:
    """Asserts every request at each path gets the same browser verdict from both."""
    before, after = evaluator_server(Evaluator(original)), evaluator_server(Evaluator(back))
    seen = set()
    for path in paths:
        for origin, method, fields, credentials in every(ORIGINS, METHODS, HEADERS):
            request = script_request(
                method, path, origin=origin, headers=fields, credentials=credentials
            )
            expected = fetch(before, request)
            assert fetch(after, request) == expected, (path, origin, method, fields, credentials)
            seen.add(expected.shared)
    return seen


def _paths(policy_set: PolicySet) -> list[str]:
    """A path under each prefix of every policy, and one no prefix governs."""
    found = [p.value.rstrip("/") + "/x" for q in policy_set.policies for p in q.paths]
    return [*found, "/other/x"]


def _round_trip(name: str, policy: str, module: str) -> None:
    assert guess(module) == "express"
    result = import_source(Source(name, module))
    assert result.family == "express"
    assert [item.code for item in result.diagnostics] == [], result.diagnostics
    assert result.policy is not None
    back = load(Source("imported.cors", result.policy))
    original = load(Source("p.cors", policy))
    assert back.policy_set is not None and original.policy_set is not None, result.policy
    assert not fails(back.diagnostics), result.policy
    assert _same_verdicts(original.policy_set, back.policy_set, _paths(original.policy_set)) == {
        True,
        False,
    }


GOLDENS = sorted((GOLDEN / "express").glob("*.js"))


@pytest.mark.parametrize("path", GOLDENS, ids=lambda path: path.name)
def test_import_of_express_golden_keeps_every_verdict_at_every_path(path: Path) -> None:
    example = (ROOT / "examples" / f"{path.name.split('.')[0]}.cors").read_text()
    loaded = load(Source("p.cors", example))
    assert loaded.policy_set is not None
    named = {
        e.pattern.text
        for p in loaded.policy_set.policies
        for e in p.entries
        if e.pattern.kind is PatternKind.EXACT
    }
    assert named <= set(ORIGINS), named - set(ORIGINS)  # every grant and deny is asked about
    _round_trip(path.name, example, path.read_text("utf-8"))


def test_every_express_golden_is_covered() -> None:
    assert len(GOLDENS) >= 3


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_import_of_compiled_express_module_keeps_every_verdict(name: str) -> None:
    _round_trip(f"{name}.js", POLICIES[name], _express(POLICIES[name]))


def test_origin_blocks_and_deny_read_back_as_written() -> None:
    result = import_source(Source("cors_express.js", _express(POLICIES["reject-blocks"])))
    assert result.policy is not None
    assert result.policy.split("# from line 1\n", 1)[1] == (
        "policy api {\n"
        '  paths       "/api"\n'
        '  origins     "https://app.example.com", "http://localhost:*"\n'
        "  methods     GET, POST, DELETE\n"
        "  expose      X-Request-Id\n"
        "  max-age     600\n"
        "  unlisted    reject\n"
        "\n"
        '  origin "https://reports.example.com" {\n'
        "    methods     GET\n"
        "    expose      X-Request-Id\n"
        "    credentials true\n"
        "    max-age     600\n"
        "    private-network false\n"
        "  }\n"
        "\n"
        '  origin "https://*.partner.example.org" {\n'
        "    methods     GET, POST, DELETE\n"
        "    headers     *\n"
        "    expose      X-Request-Id\n"
        "    credentials false\n"
        "    max-age     600\n"
        "    private-network false\n"
        "  }\n"
        "}\n"
        "\n"
        "# from line 1\n"
        "policy rest {\n"
        "  origins     *\n"
        "  methods     GET\n"
        "  headers     X-Api-Key\n"
        "}\n"
    )


@settings(
    max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(text=generated_policies())
def test_generated_policies_round_trip_through_express(text: str) -> None:
    """Any policy the express target compiles imports back from its module with nothing to
    report and the same verdicts."""
    loaded = load(Source("t.cors", text))
    assert loaded.policy_set is not None
    options = EmitOptions(__version__, "t.cors", "express", {})
    assume(not fails(list(loaded.diagnostics) + check(get("express"), loaded.policy_set, options)))
    module = get("express").emit(loaded.policy_set, options)[0].content
    result = import_source(Source("cors_express.js", module), "express")
    assert [item.code for item in result.diagnostics] == [], (text, result.diagnostics)
    back = load(Source("imported.cors", result.policy or ""))
    assert back.policy_set is not None, result.policy
    requests = every(GENERATED_ORIGINS, GENERATED_METHODS, GENERATED_HEADERS)
    verdicts(loaded.policy_set, back.policy_set, requests, reasons=False)


def test_an_edited_module_is_cors703_at_the_first_line_that_differs() -> None:
    """Data no policy compiles to (here without the Vary its echoed Origin needs), or code
    that is not corsc's middleware, would not mean what the policy read from it means."""
    module = _express(POLICIES["deny-credentials"])
    vary = '"vary": [\n      "Origin"\n    ]'
    assert vary in module
    edited = module.replace(vary, '"vary": []')
    number = edited[: edited.index('"vary": []')].count("\n") + 1
    result = import_source(Source("cors_express.js", edited), "express")
    assert [(d.code, d.span.start.line) for d in result.diagnostics] == [("CORS703", number)]
    edited = module.replace("if (grant === null) return refused();", "")
    result = import_source(Source("cors_express.js", edited), "express")
    assert [d.code for d in result.diagnostics] == ["CORS703"]
    assert "edited middleware" in result.diagnostics[0].message


def test_policy_data_that_is_no_literal_is_cors701() -> None:
    text = 'const cors = require("cors");\nconst POLICIES = load();\nfunction corsMiddleware() {}\n'
    result = import_source(Source("cors_express.js", text))
    assert [(d.code, d.span.start.line, d.span.start.column) for d in result.diagnostics] == [
        ("CORS701", 2, 18)
    ]


def test_javascript_that_does_not_parse_is_cors701_at_its_line() -> None:
    text = 'const cors = require("cors");\napp.use(cors({ origin: [1,, }));\n'
    result = import_source(Source("app.js", text))
    assert [(d.code, d.span.start.line) for d in result.diagnostics] == [("CORS701", 2)]
    assert result.policy is None


def test_a_module_without_cors_is_cors702() -> None:
    text = 'const express = require("express");\nconst app = express();\napp.listen(3000);\n'
    result = import_source(Source("app.js", text))
    assert [d.code for d in result.diagnostics] == ["CORS702"]


# ---- hand-written apps -----------------------------------------------------------------------

#: Each fixture: the imported policy (after its header) and its findings (code, line, column).
EXPECTED: dict[str, tuple[str | None, list[tuple[str, int, int]]]] = {
    "basic-cors.js": (
        "# from line 6\npolicy app {\n  origins     *\n"
        "  methods     GET, HEAD, PUT, PATCH, POST, DELETE\n  headers     *\n}\n",
        [("CORS708", 6, 9)],
    ),
    "allowlist-options.js": (
        "# from line 16\npolicy app {\n"
        '  origins     "https://app.example.com", "https://admin.example.com", '
        'regex "https://[a-z0-9-]+\\.preview\\.example\\.com"\n'
        "  methods     GET, POST, PUT, DELETE\n  headers     Content-Type, Authorization\n"
        "  expose      X-Request-Id\n  credentials true\n  max-age     600\n}\n",
        [("CORS708", 16, 9)],
    ),
    "single-origin.js": (
        '# from line 8\npolicy app {\n  origins     "https://www.example.com"\n'
        "  methods     GET, HEAD, PUT, PATCH, POST, DELETE\n  headers     *\n"
        "  preflight-status 200\n}\n",
        [("CORS708", 8, 3)],
    ),
    "unanchored-regex.js": (
        '# from line 6\npolicy app {\n  origins     regex ".*example\\.com"\n'
        "  methods     GET, POST\n  headers     *\n}\n",
        [("CORS706", 6, 1), ("CORS708", 6, 9)],
    ),
    "reflect-credentials.js": (
        "# from line 7\npolicy app {\n  origins     *\n"
        "  methods     GET, HEAD, PUT, PATCH, POST, DELETE\n  headers     *\n"
        "  credentials true\n}\n",
        [("CORS705", 7, 9), ("CORS708", 7, 9), ("CORS711", 7, 9)],
    ),
    "origin-function.js": (None, [("CORS703", 8, 11), ("CORS730", 17, 9)]),
    "env-origin.js": (None, [("CORS703", 9, 13)]),
    "per-route.js": (
        '# from line 8\npolicy products {\n  paths       "/products"\n'
        '  origins     "https://shop.example.com"\n  methods     GET, DELETE\n'
        "  headers     *\n}\n",
        [
            ("CORS703", 8, 1),
            ("CORS730", 8, 13),
            ("CORS708", 8, 30),
            ("CORS730", 9, 9),
            ("CORS730", 10, 12),
        ],
    ),
    "handwritten-star.js": (
        "# from line 5\npolicy app {\n  origins     *\n"
        "  headers     Origin, X-Requested-With, Content-Type, Accept\n}\n",
        [("CORS714", 6, 3)],
    ),
    "handwritten-reflect.js": (
        "# from line 5\npolicy app {\n  origins     *\n"
        "  methods     GET, POST, PUT, DELETE, OPTIONS\n"
        "  headers     Content-Type, Authorization\n  credentials true\n"
        "  preflight-status 200\n}\n",
        [("CORS711", 5, 9), ("CORS705", 6, 3), ("CORS708", 11, 12)],
    ),
    "handwritten-allowlist.js": (
        "# from line 7\npolicy app {\n"
        '  origins     "https://app.example.com", "https://staging.example.com"\n'
        "  methods     GET, POST, PATCH\n  headers     Content-Type, X-Api-Key\n"
        "  max-age     86400\n}\n",
        [("CORS708", 17, 12)],
    ),
    "router-mount.js": (
        '# from line 9\npolicy api {\n  paths       "/api"\n'
        '  origins     "https://app.example.com", "http://localhost:3000"\n'
        "  methods     GET, HEAD, PUT, PATCH, POST, DELETE\n  headers     *\n"
        "  expose      X-Total-Count\n}\n",
        [("CORS708", 9, 3)],
    ),
    "dev-only.js": (
        '# from line 8\npolicy app {\n  origins     "http://localhost:5173"\n'
        "  methods     GET, HEAD, PUT, PATCH, POST, DELETE\n  headers     *\n"
        "  credentials true\n}\n",
        [("CORS703", 7, 5), ("CORS708", 8, 11)],
    ),
    "handwritten-set.js": (
        "# from line 8\npolicy app {\n"
        '  origins     "https://app.example.com", "https://partner.example.net"\n'
        "  methods     GET, PUT\n  headers     Content-Type, If-Match\n  expose      ETag\n"
        "  credentials true\n}\n",
        [],
    ),
    "spread-options.js": (
        '# from line 13\npolicy account {\n  paths       "/account"\n'
        '  origins     "https://app.example.com", regex "https://(www\\.)?example\\.org"\n'
        "  methods     GET, POST\n  credentials true\n  max-age     300\n}\n\n"
        '# from line 12\npolicy public {\n  paths       "/public"\n'
        '  origins     "https://app.example.com", regex "https://(www\\.)?example\\.org"\n'
        "  methods     GET, POST\n}\n",
        [("CORS708", 12, 20), ("CORS730", 13, 9), ("CORS708", 13, 26)],
    ),
    "handwritten-suffix.js": (
        "# from line 5\npolicy app {\n"
        '  origins     regex ".*\\.example\\.com", "https://example.com"\n}\n',
        [],
    ),
    "middleware-module.js": (
        "# from line 4\npolicy app {\n"
        '  origins     "https://app.example.com", "https://admin.example.com"\n'
        "  methods     GET, POST, PUT, DELETE\n  headers     *\n  credentials true\n"
        "  max-age     600\n}\n",
        [("CORS708", 15, 12)],
    ),
    "esm-private-network.mjs": (
        '# from line 8\npolicy app {\n  origins     "https://console.example.com"\n'
        "  methods     GET, HEAD, PUT, PATCH, POST, DELETE\n  headers     Content-Type\n"
        "  private-network true\n}\n",
        [("CORS708", 14, 9)],
    ),
}


def test_every_fixture_has_its_expectation() -> None:
    assert sorted(path.name for path in EXPRESS.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_hand_written_app_imports_to_the_policy_it_means(name: str) -> None:
    text = (EXPRESS / name).read_text("utf-8")
    assert guess(text) == "express"
    result = import_source(Source(name, text))
    body = result.policy.split("\n", 3)[3] if result.policy else None
    found = [(d.code, d.span.start.line, d.span.start.column) for d in result.diagnostics]
    assert (body, found) == EXPECTED[name]
    if result.policy is not None:
        assert load(Source("imported.cors", result.policy)).policy_set is not None


@pytest.mark.parametrize(
    ("snippet", "code", "words"),
    [
        ("cors({ origin: /x\\.example\\.com/g })", "CORS703", "lastIndex"),
        ("cors(makeOptions())", "CORS703", "computed"),
        ('cors({ origin: "https://a.example, https://b.example" })', "CORS704", "no list"),
        ('cors({ origin: "*", optionsSuccessStatus: 201 })', "CORS712", "201"),
        ('cors({ origin: "*", preflightContinue: true })', "CORS713", "next handler"),
        ('process.env.OPEN ? cors() : cors({ origin: "https://a.example" })', "CORS703", "chosen"),
        ("cors({ origin: ['https://a.example', process.env.B] })", "CORS703", "computed"),
    ],
)
def test_what_a_cors_call_cannot_say_is_a_finding(snippet: str, code: str, words: str) -> None:
    text = (
        f'const cors = require("cors");\nconst app = require("express")();\napp.use({snippet});\n'
    )
    result = import_source(Source("app.js", text), "express")
    assert code in [d.code for d in result.diagnostics], result.diagnostics
    assert any(words in d.message for d in result.diagnostics if d.code == code)


def test_layers_set_up_under_one_condition_are_one_cors703_at_the_condition() -> None:
    text = (
        'const cors = require("cors");\nconst app = require("express")();\n'
        "if (process.env.DEV) {\n  app.use(cors());\n  app.options('*', cors());\n}\n"
    )
    result = import_source(Source("app.js", text), "express")
    found = [(d.code, d.span.start.line, d.span.start.column) for d in result.diagnostics]
    assert found == [("CORS703", 3, 5), ("CORS708", 4, 11)]
    assert "`process.env.DEV`" in result.diagnostics[0].message
    assert result.policy is not None and "origins     *" in result.policy


def test_cors_passed_uncalled_is_cors703() -> None:
    text = 'const cors = require("cors");\nconst app = require("express")();\napp.use(cors);\n'
    result = import_source(Source("app.js", text), "express")
    assert [(d.code, d.span.start.line, d.span.start.column) for d in result.diagnostics] == [
        ("CORS703", 3, 9)
    ]
    assert "never answered" in result.diagnostics[0].message


def test_a_named_group_and_the_i_flag_are_read_as_ecmascript_means_them() -> None:
    text = (
        'const cors = require("cors");\nconst app = require("express")();\n'
        "app.use(cors({ origin: /^https:\\/\\/(?<site>APP|admin)\\.example\\.com$/i }));\n"
    )
    result = import_source(Source("app.js", text), "express")
    assert [d.code for d in result.diagnostics] == ["CORS708"], result.diagnostics
    assert result.policy is not None
    assert '  origins     regex "https://(?:app|admin)\\.example\\.com"\n' in result.policy


def test_a_middleware_that_reads_another_header_is_cors703_at_its_line() -> None:
    text = (
        'const app = require("express")();\n'
        "app.use((req, res, next) => {\n"
        '  if (req.headers["x-tenant"] === "a") {\n'
        '    res.header("Access-Control-Allow-Origin", "https://a.example.com");\n'
        "  }\n"
        "  next();\n"
        "});\n"
    )
    result = import_source(Source("app.js", text), "express")
    assert [(d.code, d.span.start.line) for d in result.diagnostics] == [("CORS703", 3)]
    assert "x-tenant" in result.diagnostics[0].message


@settings(max_examples=60, deadline=None, database=None)
@given(rng=st.randoms(use_true_random=False))
def test_generated_cors_options_import_to_a_policy_that_answers_as_cors_does(
    rng: random.Random,
) -> None:
    """An app calling ``cors(options)``: the import reports nothing it cannot say unless the
    options reflect every Origin or pair ``*`` with credentials, and the imported policy's
    evaluator answers every request as the package does, as a browser reads the answers —
    also when corsc's checks refuse the policy (``null`` or an unanchored regex with
    credentials: the app does allow them)."""
    written = cors_options.options(rng)
    source = Source("app.js", cors_options.app(written))
    result = import_source(source, "express")
    found = {d.code for d in result.diagnostics}
    star = "origin" not in written or 'origin: "*"' in written
    if "origin: true" in written or (star and "credentials: true" in written):
        assert found & {"CORS705", "CORS711"}, (written, result.diagnostics)
        return
    assert found <= {"CORS708", "CORS706"}, (written, result.diagnostics)
    assert result.policy is not None, written
    loaded = load(Source("imported.cors", result.policy))
    assert loaded.policy_set is not None, result.policy
    evaluator = Evaluator(loaded.policy_set)
    findings = Findings(source)
    tree = parse(findings)
    values = Values(tree)
    ((_, chain),) = App(findings, tree, values).chains()
    run = chain_run(values, chain)
    probes = Probes(METHODS, ("Content-Type", "Authorization", "x-corsc-probe"))
    for origin in cors_options.ASKED:
        for key, request in probes.requests(origin):
            fields = tuple(request_fields(request))
            response = evaluator.respond(Request(request["$request_method"], "/x", fields))
            ours = Answer(response.status, tuple((k.lower(), v) for k, v in response.headers))
            assert normal(run(request), request) == normal(ours, request), (written, origin, key)
