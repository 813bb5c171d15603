"""Tests for the Python targets' compilers: ``python`` (TOML for corsc.runtime, in
backends/python.py) and the library targets ``starlette``/``fastapi``, ``django`` and ``flask``
(backends/starlette.py, django.py, flask.py, sharing backends/pycommon.py).

Diagnostics are what ``corsc compile`` reports: the capability table's (CORS601 at every use of
a feature a library cannot express, CORS602 for a deviation a feature brings), then the
backend's own — CORS631 for what is finer than a feature (a name the library would misread),
CORS602 for deviations the policy's values trigger, CORS632 for a TOML output that would lose
meaning. A table and its emitter cannot disagree: a policy using a feature marked ``no`` is
refused, one using any other feature compiles. Outputs are valid Python (or TOML), deterministic,
and no policy value can add a statement, key or line to them. Behaviour in the real libraries is
tested in test_python_conformance.py.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

import irbuild
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from python_harness import load_module, options_of

from corsc import capabilities, origins, paths
from corsc.backends import EmitOptions, backends, check, get
from corsc.backends.django import DJANGO
from corsc.backends.flask import FLASK
from corsc.backends.pycommon import path_regex, py_string
from corsc.backends.starlette import STARLETTE
from corsc.capabilities import Feature, Support
from corsc.diagnostics import Diagnostic
from corsc.frontend import load
from corsc.ir import PolicySet
from corsc.source import Source

ROOT = Path(__file__).resolve().parent.parent
LIBRARIES = ("starlette", "django", "flask")
PYTHON_TARGETS = ("python", *LIBRARIES)
#: A policy every library can express.
PLAIN = """policy api {
  origins "https://app.example.com", "https://*.example.org", "http://localhost:*", "null"
  methods PUT, DELETE
  headers Content-Type, Accept, Accept-Language, Content-Language, X-Token
  expose  X-Total, X-Id
  max-age 10m
}
"""


def from_text(text: str, name: str = "test.cors") -> PolicySet:
    loaded = load(Source(name, text))
    assert loaded.policy_set is not None and not loaded.has_errors, loaded.diagnostics
    return loaded.policy_set


def options_for(target: str, policy_set: PolicySet, fmt: str = "") -> EmitOptions:
    """What ``corsc compile --target target [-O format=fmt]`` hands the backend."""
    return EmitOptions("0.1.0", policy_set.file, target, {"format": fmt} if fmt else {})


def diagnose(target: str, policy_set: PolicySet, fmt: str = "") -> list[Diagnostic]:
    """Everything ``corsc compile`` reports for the target: its table's, then its own."""
    return check(get(target), policy_set, options_for(target, policy_set, fmt))


def errors(target: str, text: str, fmt: str = "") -> list[Diagnostic]:
    return [d for d in diagnose(target, from_text(text), fmt) if d.severity.value == "error"]


def emit(target: str, policy_set: PolicySet, fmt: str = "") -> str:
    assert not [d for d in diagnose(target, policy_set, fmt) if d.severity.value == "error"]
    (item,) = get(target).emit(policy_set, options_for(target, policy_set, fmt))
    return item.content


def excerpt(text: str, diagnostic: Diagnostic) -> str:
    """The source text a diagnostic points at."""
    return text[diagnostic.span.start.offset : diagnostic.span.end.offset]


# ---- the registry ----------------------------------------------------------------------------


def test_every_python_target_name_resolves() -> None:
    assert get("python").names == ("python",)
    assert get("starlette") is STARLETTE and get("fastapi") is STARLETTE
    assert get("django") is DJANGO and get("flask") is FLASK
    names = [backend.names for backend in backends()]
    assert ("starlette", "fastapi") in names and names.count(("starlette", "fastapi")) == 1


def test_corsc_targets_lists_them_with_their_capabilities() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "corsc", "targets"], capture_output=True, text=True, check=True
    )
    assert "starlette (alias: fastapi)" in result.stdout
    for name in ("python", "django", "flask"):
        assert f"\n{name}\n" in f"\n{result.stdout}"
    assert "refused preflight" in result.stdout


# ---- what a library cannot express -----------------------------------------------------------

STARLETTE_FOUR = (
    "target `starlette` cannot express `headers` without Accept, Accept-Language, "
    "Content-Language, Content-Type: Starlette grants Accept, Accept-Language, Content-Language, "
    "Content-Type whatever it is told"
)

REFUSED = [
    # (policy text, the text the error points at, the feature whose table row refuses it —
    # None for a library's own CORS631 —, the exact message, the libraries that refuse it)
    (
        'policy p { origins "https://a.example"\n origin "https://b.example" { methods PUT } }',
        'origin "https://b.example"',
        Feature.ORIGIN_BLOCKS,
        'target `{target}` cannot express the origin block "https://b.example"',
        LIBRARIES,
    ),
    (
        'policy p { origins "https://*.a.example"; deny "https://x.a.example" }',
        '"https://x.a.example"',
        Feature.DENY,
        'target `{target}` cannot express the deny pattern "https://x.a.example"',
        LIBRARIES,
    ),
    (
        'policy p { origins "https://a.example"; unlisted reject }',
        "unlisted reject",
        Feature.UNLISTED_REJECT,
        "target `{target}` cannot express `unlisted reject`",
        LIBRARIES,
    ),
    (
        'policy p { origins "https://a.example"; methods * }',
        "methods *",
        Feature.METHODS_ANY,
        "target `{target}` cannot express `methods *` (reflecting the requested method)",
        LIBRARIES,
    ),
    (
        'policy p { origins "https://a.example"; headers * }',
        "headers *",
        Feature.HEADERS_ANY,
        "target `{target}` cannot express `headers *` (reflecting the requested headers)",
        ("django",),
    ),
    (
        'policy p { paths "/api"; origins "https://a.example"\n headers *}',
        '"/api"',
        Feature.PATHS,
        "target `{target}` cannot express `paths`",
        ("starlette",),
    ),
    (
        'policy p { paths "/p"; origins "https://a.example" }\n'
        'policy q { origins "https://b.example" }',
        "q",
        Feature.SEVERAL_POLICIES,
        "target `{target}` cannot express several policies",
        ("starlette", "django"),
    ),
    (
        'policy p { origins "https://a.example"; methods patch }',
        "patch",
        None,
        "target `{target}` cannot express the method `patch` (flask-cors sends it as `PATCH`, "
        "which a browser does not match)",
        ("flask",),
    ),
    (
        'policy p { origins "https://a.example"; headers X-A$, X-B }',
        "X-A$",
        None,
        "target `{target}` cannot express the header name `X-A$` (flask-cors reads it as a regex)",
        ("flask",),
    ),
    (
        'policy p { origins "https://a.example"; headers X-Token }',
        "headers X-Token",
        None,
        STARLETTE_FOUR,
        ("starlette",),
    ),
    ('policy p { origins "https://a.example" }', "p", None, STARLETTE_FOUR, ("starlette",)),
]


def able_targets(feature: Feature) -> set[str]:
    """The targets a CORS601's help may offer for ``feature``: those that serve and whose
    table expresses it."""
    return {
        backend.names[0]
        for backend in backends()
        if backend.serves
        and backend.capabilities[feature].support in (Support.YES, Support.DEVIATION)
    }


def offered(help: str) -> list[str]:
    return re.findall(r"`--target ([a-z-]+)`", help)


@pytest.mark.parametrize(("text", "at", "feature", "message", "refusing"), REFUSED)
@pytest.mark.parametrize("target", LIBRARIES)
def test_what_a_library_cannot_express_is_an_error_at_the_statement(
    target: str,
    text: str,
    at: str,
    feature: Feature | None,
    message: str,
    refusing: tuple[str, ...],
) -> None:
    found = [e for e in errors(target, text) if excerpt(text, e) == at]
    if target not in refusing:
        assert not found, found
        return
    (error,) = [e for e in found if e.message == message.format(target=target)]
    assert error.severity.value == "error"
    if feature is None:
        assert (error.code, error.name) == ("CORS631", "library-cannot-express")
        assert "`--target python`" in error.help
        return
    assert (error.code, error.name) == ("CORS601", "target-cannot-express")
    assert get(target).capabilities[feature].support is Support.NO
    # The help offers other targets whose tables can express the feature.
    names = offered(error.help)
    assert names and set(names) <= able_targets(feature) - {target}, error.help
    assert error.help.endswith(", which can, or change the policy")


def test_an_inherited_setting_is_refused_once() -> None:
    """Origin blocks inherit `headers *` from their policy, span and all: one error, not one per
    block."""
    text = (
        'policy p { origins "https://a.example"; headers *\n'
        ' origin "https://b.example" { methods PUT }\n origin "https://c.example" { methods GET } }'
    )
    found = [e for e in errors("django", text) if excerpt(text, e) == "headers *"]
    assert [e.code for e in found] == ["CORS601"]


def test_starlettes_four_headers_error_says_which_are_missing() -> None:
    (error,) = errors("starlette", 'policy p { origins "https://a.example"; headers Accept, X-A }')
    assert "without Accept-Language, Content-Language, Content-Type:" in error.message
    assert error.help.startswith("add Accept-Language, Content-Language, Content-Type to `headers`")


def test_fastapi_reports_under_its_own_name() -> None:
    found = errors("fastapi", 'policy p { origins "https://a.example"; unlisted reject }')
    assert found and all(e.message.startswith("target `fastapi` cannot express ") for e in found)


# ---- declared deviations -----------------------------------------------------------------------


def deviations(target: str, text: str) -> list[str]:
    return [d.message for d in diagnose(target, from_text(text)) if d.code == "CORS602"]


@pytest.mark.parametrize(
    ("target", "text", "expected"),
    [
        ("starlette", PLAIN, "a refused preflight is answered 400"),
        ("starlette", PLAIN, "an accepted preflight is answered 200 with the body `OK`, not 204"),
        ("starlette", PLAIN, "Allow-Methods also lists GET, HEAD and POST"),
        ("starlette", PLAIN.replace("  max-age 10m\n", ""), "Max-Age: 5 is sent"),
        ("django", PLAIN, "a refused preflight is answered 200 with an empty body"),
        ("django", PLAIN, "(django-cors-headers does not check them); the browser refuses them"),
        ("django", PLAIN.replace("10m", "0"), "max-age 0 is not sent"),
        ("flask", PLAIN, "preflights are answered by Flask (200 on its routes, 404 on unknown"),
        ("flask", PLAIN, "Expose-Headers is sorted"),
        ("flask", PLAIN, "Allow-Private-Network `false`"),
        ("flask", 'policy p { paths "/a"; origins "https://a.example" }', "decodes them"),
        ("django", 'policy p { origins "https://a.example" }', 'only to requests from "https://a'),
    ],
)
def test_declared_deviations_are_reported_as_info(target: str, text: str, expected: str) -> None:
    found = deviations(target, text)
    assert any(expected in message for message in found), found


def test_deviations_that_the_policy_does_not_trigger_are_not_reported() -> None:
    text = PLAIN.replace("PUT, DELETE", "DELETE, GET, HEAD, POST, PUT").replace(
        "X-Total, X-Id", "X-Id, X-Total"
    )
    assert not [m for m in deviations("flask", text) if "sorted" in m and "Allow-Methods" in m]
    assert not [m for m in deviations("flask", text) if "Expose-Headers" in m]
    assert not [m for m in deviations("starlette", text) if "Allow-Methods" in m]
    assert not [m for m in deviations("django", PLAIN) if "max-age 0" in m]


@pytest.mark.parametrize("target", PYTHON_TARGETS)
def test_each_table_row_is_ui_text_and_the_deviations_are_plain(target: str) -> None:
    """Every refusal and every deviation in a library's table says why (the note is the
    CORS602 message, and what `corsc targets` shows); the declared deviations are sentences,
    no longer the old "(yes)"/"(no)" rows, which the table holds now."""
    backend = get(target)
    assert list(backend.capabilities) == list(Feature)
    for feature, row in backend.capabilities.items():
        assert row.feature is feature
        if row.support is not Support.YES:
            assert row.note and not row.note.endswith("."), (target, feature)
        assert row.support is not Support.UNDOCUMENTED, "every library was observed"
    for deviation in backend.deviations:
        assert deviation and not re.search(r"\((yes|no|deviation)\)", deviation), deviation
    if target == "python":
        assert backend.deviations == ()
        assert all(row.support is Support.YES for row in backend.capabilities.values())
    else:
        supports = {row.support for row in backend.capabilities.values()}
        assert {Support.YES, Support.NO} <= supports and backend.deviations


def test_json_expresses_everything_and_serves_nothing() -> None:
    backend = get("json")
    assert backend.serves is False and backend.deviations == ()
    assert all(row.support is Support.YES for row in backend.capabilities.values())


#: One policy per feature, using it and otherwise expressible by every library (Starlette needs
#: the four headers it always grants listed): the statements of policy `p`.
FOUR = "headers Accept, Accept-Language, Content-Language, Content-Type"
EXACT = 'origins "https://a.example"'
FEATURE_STATEMENTS = {
    Feature.EXACT_ORIGIN: [EXACT, FOUR],
    Feature.SUBDOMAIN_ORIGIN: ['origins "https://*.a.example"', FOUR],
    Feature.PORT_ORIGIN: ['origins "http://localhost:*"', FOUR],
    Feature.REGEX_ORIGIN: ['origins regex "^https://x[0-9]+\\.a\\.example$"', FOUR],
    Feature.NULL_ORIGIN: ['origins "null"', FOUR],
    Feature.ANY_ORIGIN: ["origins *", FOUR],
    Feature.SEVERAL_ORIGINS: ['origins "https://a.example", "https://b.example"', FOUR],
    Feature.DENY: ['origins "https://*.a.example"', 'deny "https://x.a.example"', FOUR],
    Feature.ORIGIN_BLOCKS: [EXACT, FOUR, 'origin "https://b.example" { methods PUT }'],
    Feature.UNLISTED_REJECT: [EXACT, "unlisted reject", FOUR],
    Feature.METHODS_ANY: [EXACT, "methods *", FOUR],
    Feature.HEADERS_ANY: [EXACT, "headers *"],
    Feature.EXPOSE_ANY: [EXACT, "expose *", FOUR],
    Feature.CREDENTIALS: [EXACT, "credentials true", FOUR],
    Feature.MAX_AGE: [EXACT, "max-age 10m", FOUR],
    Feature.PRIVATE_NETWORK: [EXACT, "private-network true", FOUR],
    Feature.PREFLIGHT_STATUS: [EXACT, "preflight-status 200", FOUR],
    Feature.PATHS: ['paths "/api"', EXACT, FOUR],
    Feature.SEVERAL_POLICIES: ['paths "/api"', EXACT, FOUR],
}


def feature_policy(feature: Feature) -> str:
    text = "policy p {\n  " + "\n  ".join(FEATURE_STATEMENTS[feature]) + "\n}\n"
    if feature is Feature.SEVERAL_POLICIES:
        text += f'policy q {{\n  origins "https://b.example"\n  {FOUR}\n}}\n'
    return text


@pytest.mark.parametrize("feature", list(Feature), ids=lambda feature: feature.name)
@pytest.mark.parametrize("target", PYTHON_TARGETS)
def test_the_table_and_the_emitter_agree(target: str, feature: Feature) -> None:
    """Driven by the table, so a wrong row fails: a feature marked ``no`` is CORS601 at its
    use; any other compiles (and a deviation is reported with the row's note)."""
    policy_set = from_text(feature_policy(feature))
    used = [use for use in capabilities.uses(policy_set) if use.feature is feature]
    assert used, "the sample policy uses the feature"
    row = get(target).capabilities[feature]
    found = diagnose(target, policy_set)
    at_use = [d for d in found if d.span == used[0].span]
    if row.support is Support.NO:
        assert any(d.code == "CORS601" for d in at_use), found
        return
    assert not [d for d in found if d.severity.value == "error"], found
    (item,) = get(target).emit(policy_set, options_for(target, policy_set))
    assert item.content.startswith("# corsc 0.1.0 from test.cors")
    if row.support is Support.DEVIATION:
        assert f"target `{target}`: {row.note}" in [
            d.message for d in at_use if d.code == "CORS602"
        ]


# ---- the docs' capability table -------------------------------------------------------------

DOCS = ROOT / "docs" / "python.md"
DOCS_BEGIN, DOCS_END = "<!-- capabilities:begin -->\n", "<!-- capabilities:end -->"


def targets_rows() -> list[dict[str, Any]]:
    """What ``corsc targets --format json`` says about the Python targets, in registry order."""
    shown = subprocess.run(
        [sys.executable, "-m", "corsc", "targets", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    rows: list[dict[str, Any]] = json.loads(shown.stdout)["targets"]
    return [row for row in rows if row["names"][0] in PYTHON_TARGETS]


def capabilities_section(rows: list[dict[str, Any]]) -> str:
    """The docs' table of what each Python target does with each feature, and each target's
    declared deviations, from ``corsc targets``' rows."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    heading = [f"`{row['names'][0]}`" for row in rows]
    lines = ["| feature | " + " | ".join(heading) + " |", "|---" * (len(rows) + 1) + "|"]
    for index, capability in enumerate(rows[0]["capabilities"]):
        cells = []
        for row in rows:
            this = row["capabilities"][index]
            assert this["feature"] == capability["feature"]
            cells.append(this["support"] + (f": {this['note']}" if this["note"] else ""))
        lines.append(
            f"| {cell(capability['description'])} | " + " | ".join(map(cell, cells)) + " |"
        )
    lines += ["", "Declared deviations, whatever the policy says (CORS602 where one applies):"]
    for row in rows:
        if row["deviations"]:
            aliases = row["names"][1:]
            shown = f"`{row['names'][0]}`" + (f" (`{'`, `'.join(aliases)}`)" if aliases else "")
            lines.append(f"- {shown}:")
            lines.extend(f"  - {deviation}" for deviation in row["deviations"])
    return "\n".join(lines)


def test_the_docs_capability_table_is_what_corsc_targets_prints() -> None:
    """docs/python.md (and so the README) shows the tables the check uses; regenerate with
    ``CORSC_UPDATE_README=1 python -m pytest tests/test_python_targets.py tests/test_readme.py``."""
    rows = targets_rows()
    assert [row["names"][0] for row in rows] == ["python", "starlette", "django", "flask"]
    text = DOCS.read_text("utf-8")
    expected = DOCS_BEGIN + capabilities_section(rows) + "\n" + DOCS_END
    current = re.search(re.escape(DOCS_BEGIN) + r".*?" + re.escape(DOCS_END), text, re.S)
    assert current is not None
    if os.environ.get("CORSC_UPDATE_README") == "1":
        DOCS.write_text(text.replace(current.group(0), expected), "utf-8")
        return
    assert current.group(0) == expected, "run with CORSC_UPDATE_README=1 and read the diff"


# ---- the outputs -------------------------------------------------------------------------------


@pytest.mark.parametrize("target", LIBRARIES)
def test_the_output_is_a_python_module_headed_by_its_provenance(target: str) -> None:
    text = emit(target, from_text(PLAIN, "api.cors"))
    first = text.partition("\n")[0]
    assert first.startswith(f"# corsc 0.1.0 from api.cors for target {target}; policy sha256:")
    module = ast.parse(text)
    assert isinstance(module.body[0], ast.Expr)  # the docstring says how to use it
    assert text == emit(target, from_text(PLAIN, "api.cors"))


#: What every emitted origin regex starts with: no Origin longer than a browser sends gets past.
BOUND = r"(?=[\s\S]{0,267}\Z)"


def test_starlette_keyword_arguments() -> None:
    options = options_of(emit("starlette", from_text(PLAIN)), "cors_starlette")
    assert options == {
        "allow_origins": ["https://app.example.com", "null"],
        "allow_origin_regex": BOUND
        + origins.render_union(
            [irbuild.pattern("https://*.example.org"), irbuild.pattern("http://localhost:*")],
            "python",
        ),
        "allow_methods": ["PUT", "DELETE", "GET", "HEAD", "POST"],
        "allow_headers": [
            "Content-Type",
            "Accept",
            "Accept-Language",
            "Content-Language",
            "X-Token",
        ],
        "allow_credentials": False,
        "allow_private_network": False,
        "expose_headers": ["X-Total", "X-Id"],
        "max_age": 600,
    }


def test_starlette_with_any_origin_and_no_max_age() -> None:
    text = "policy p { origins *; headers *; expose * }"
    options = options_of(emit("starlette", from_text(text)), "cors_starlette")
    assert options["allow_origins"] == ["*"] and options["allow_origin_regex"] is None
    assert (options["allow_headers"], options["expose_headers"]) == (["*"], ["*"])
    assert options["max_age"] == 5


def test_django_settings() -> None:
    text = PLAIN.replace("policy api {", 'policy api {\n  paths "/api", "/v2/"')
    settings_ = options_of(emit("django", from_text(text)), "cors_django")
    assert settings_ == {
        "CORS_ALLOW_ALL_ORIGINS": False,
        "CORS_ALLOWED_ORIGINS": ["https://app.example.com", "null"],
        "CORS_ALLOWED_ORIGIN_REGEXES": [
            BOUND + origins.render_pattern(irbuild.pattern("https://*.example.org"), "python"),
            BOUND + origins.render_pattern(irbuild.pattern("http://localhost:*"), "python"),
        ],
        "CORS_URLS_REGEX": r"\A(?:/api(?:/|\Z)|/v2(?:/|\Z))",
        "CORS_ALLOW_METHODS": ["PUT", "DELETE"],
        "CORS_ALLOW_HEADERS": [
            "Content-Type",
            "Accept",
            "Accept-Language",
            "Content-Language",
            "X-Token",
        ],
        "CORS_EXPOSE_HEADERS": ["X-Total", "X-Id"],
        "CORS_ALLOW_CREDENTIALS": False,
        "CORS_PREFLIGHT_MAX_AGE": 600,
        "CORS_ALLOW_PRIVATE_NETWORK": False,
    }


def test_flask_options_compile_every_pattern_flask_cors_would_guess() -> None:
    text = 'policy p { origins "https://a.example", "http://[::1]:8080", "https://*.b.example" }'
    namespace = load_module(emit("flask", from_text(text)), "cors_flask")
    ((path, resource),) = namespace["CORS_OPTIONS"]["resources"].items()
    assert path == re.compile(r"\A(?:/)")
    assert resource["origins"] == [
        "https://a.example",
        re.compile(BOUND + r"\A(?:http://\[::1\]:8080)\Z"),
        re.compile(
            BOUND + origins.render_pattern(irbuild.pattern("https://*.b.example"), "python")
        ),
    ]
    assert namespace["VARY"] == ["Origin"]
    assert callable(namespace["init_cors"])


def test_flask_without_vary_members_installs_only_flask_cors() -> None:
    namespace = load_module(emit("flask", from_text("policy p { origins * }")), "cors_flask")
    assert namespace["VARY"] == [] and "_vary" not in namespace
    resource = next(iter(namespace["CORS_OPTIONS"]["resources"].values()))
    assert (resource["origins"], resource["send_wildcard"], resource["always_send"]) == (
        "*",
        True,
        True,
    )


# ---- TOML outputs --------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["starlette", "django"])
def test_a_toml_output_holds_what_the_module_holds(target: str) -> None:
    policy_set = from_text(PLAIN)
    module = options_of(emit(target, policy_set), f"cors_{target}")
    toml_text = emit(target, policy_set, "toml")
    assert toml_text.startswith(f"# corsc 0.1.0 from test.cors for target {target};")
    # TOML has no null: a None keyword argument is left out, which is the library's default.
    assert tomllib.loads(toml_text) == {k: v for k, v in module.items() if v is not None}
    (item,) = get(target).emit(policy_set, options_for(target, policy_set, "toml"))
    assert item.name == f"cors_{target}.toml"
    (item,) = get(target).emit(policy_set, options_for(target, policy_set, "python"))
    assert item.name == f"cors_{target}.py"
    assert item.content == emit(target, policy_set)  # python is the default


@pytest.mark.parametrize("target", LIBRARIES)
def test_the_format_is_an_option_defaulting_to_python(target: str) -> None:
    (option,) = get(target).options
    assert (option.key, option.default, option.choices) == ("format", "python", ("python", "toml"))


def test_flask_toml_is_refused_where_it_would_lose_meaning() -> None:
    text = 'policy p { origins "https://a.example", "https://*.b.example", "http://[::1]:80" }'
    found = errors("flask", text, "toml")
    assert {d.code for d in found} == {"CORS632"}
    assert sorted(excerpt(text, d) for d in found) == [
        '"http://[::1]:80"',
        '"https://*.b.example"',
        "p",
    ]
    assert {d.help for d in found} == {
        "write a Python module (-O format=python, the default) and call init_cors(app)"
    }
    assert not errors("flask", text)
    assert not errors("flask", text, "python")


def test_flask_toml_is_accepted_where_strings_mean_the_same() -> None:
    policy_set = from_text('policy p { paths "/api"; origins *; methods PUT }')
    text = emit("flask", policy_set, "toml")
    data = tomllib.loads(text)
    assert set(data) == {"resources", "intercept_exceptions"}
    (path,) = data["resources"]
    assert path == path_regex(policy_set.policies[0], policy_set)


def test_the_cli_writes_toml_when_asked_and_never_guesses_it(tmp_path: Path) -> None:
    policy = tmp_path / "api.cors"
    policy.write_text(PLAIN, "utf-8")
    out = tmp_path / "settings.toml"
    run = [sys.executable, "-m", "corsc", "compile", str(policy), "-o", str(out)]
    # A .toml name without -O format=toml: a usage error, and nothing written.
    for target in ("fastapi", "django", "flask"):
        refused = subprocess.run([*run, "--target", target], capture_output=True, text=True)
        assert refused.returncode == 2 and not out.exists()
        assert refused.stderr == (
            f"corsc: error: -o {out}: target `{target}` writes format `python` unless told "
            "otherwise; add `-O format=toml` to write TOML\n"
        )
    toml = [*run, "-O", "format=toml"]
    subprocess.run([*toml, "--target", "fastapi"], check=True, capture_output=True)
    assert tomllib.loads(out.read_text("utf-8"))["allow_methods"][0] == "PUT"
    refused = subprocess.run([*toml, "--target", "flask"], capture_output=True, text=True)
    assert refused.returncode == 1 and "CORS632" in refused.stderr
    # A Python module goes wherever -o says when it is not named for another format.
    module = tmp_path / "cors_settings.py"
    python = [sys.executable, "-m", "corsc", "compile", str(policy), "-o", str(module)]
    subprocess.run([*python, "--target", "django"], check=True, capture_output=True)
    assert module.read_text("utf-8").startswith("# corsc ")
    assert "CORS_ALLOWED_ORIGINS = [" in module.read_text("utf-8")


# ---- path regexes --------------------------------------------------------------------------------

prefix_sets = st.lists(
    st.lists(
        st.sampled_from(("/", "/a", "/a/b", "/a/b/c", "/ab", "/b", "/a.b")), max_size=2, unique=True
    ),
    min_size=1,
    max_size=4,
)
request_paths = st.sampled_from(
    ("/", "/a", "/a/", "/a/b", "/a/bc", "/a/b/c/d", "/ab", "/abc", "/b/x", "/a.b", "/axb", "/c")
)


@settings(max_examples=300)
@given(prefix_sets, st.lists(request_paths, min_size=1, max_size=6))
@example([["/", "/a/b"], ["/a"]], ["/a/b", "/a/c", "/b"])
def test_property_path_regexes_choose_the_policy_the_evaluator_chooses(
    prefix_lists: list[list[str]], requests: list[str]
) -> None:
    fallbacks = [index for index, prefixes in enumerate(prefix_lists) if not prefixes]
    assume(len(fallbacks) <= 1)
    all_prefixes = [p for prefixes in prefix_lists for p in prefixes]
    assume(len(set(all_prefixes)) == len(all_prefixes))
    policy_set = irbuild.policy_set(
        *(
            irbuild.policy(f"p{index}", origins=["*"], paths=prefixes)
            for index, prefixes in enumerate(prefix_lists)
        )
    )
    candidates = [(policy.name, [p.value for p in policy.paths]) for policy in policy_set.policies]
    regexes = {
        policy.name: re.compile(path_regex(policy, policy_set)) for policy in policy_set.policies
    }
    for path in requests:
        matching = [name for name, regex in regexes.items() if regex.match(path)]
        expected = paths.select(candidates, path)
        assert matching == ([expected] if expected else []), (path, regexes)


# ---- no value escapes its literal ------------------------------------------------------------

TCHAR = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# `*` alone is the wildcard, never a name.
tokens = st.text(alphabet=TCHAR, min_size=1, max_size=12).filter(lambda name: name != "*")
regex_bodies = st.lists(
    st.sampled_from(
        ('"', "'", "\\.", "a", "#", "\\\\", "[a-z]", "x+", "(?:b|c)", "\\n", "'''", '"""')
    ),
    min_size=1,
    max_size=8,
).map(lambda parts: "https://" + "".join(parts))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(tokens, min_size=1, max_size=3),
    st.lists(tokens, max_size=3),
    st.lists(tokens, max_size=3),
    regex_bodies,
    st.sampled_from(LIBRARIES),
    st.text(min_size=1, max_size=10).map(lambda name: f"{name}.cors"),
    st.text(alphabet="ab/\"'\\#%2F .\n", min_size=1, max_size=8).map(lambda p: "/" + p),
)
def test_property_no_policy_value_can_add_code_or_keys(
    methods: list[str],
    headers: list[str],
    expose: list[str],
    body: str,
    target: str,
    source_name: str,
    prefix: str,
) -> None:
    try:
        origins.render_pattern(irbuild.pattern(f"regex:{body}"), "python")
    except ValueError:
        assume(False)
    if target == "starlette":
        headers = [*headers, "Accept", "Accept-Language", "Content-Language", "Content-Type"]
    policy = irbuild.policy(
        origins=["https://a.example", f"regex:{body}"],
        # Starlette has no paths: there the prefix would only be refused.
        paths=[] if target == "starlette" else [prefix],
        methods=[m.upper() for m in methods] if target == "flask" else methods,
        headers=[h for h in headers if not set(h) & set("*^$")] if target == "flask" else headers,
        expose=expose,
    )
    policy_set = irbuild.policy_set(policy)
    options = EmitOptions("0.1.0", source_name, target)
    assume(not [d for d in check(get(target), policy_set, options) if d.severity.value == "error"])
    text = get(target).emit(policy_set, options)[0].content
    module = ast.parse(text)
    statements = [type(node).__name__ for node in module.body]
    expected = {
        "starlette": ["Expr", "Assign"],
        "django": ["Expr", *["Assign"] * 10],
        "flask": ["Expr", "Import", "ImportFrom", "Assign", "Assign", "FunctionDef", "FunctionDef"],
    }[target]
    assert statements == expected
    assert text.count("\n#") == 0 and text.startswith("# corsc ")  # one comment line, first
    values: dict[str, Any] = options_of(text, f"cors_{target}")
    seen: set[str] = set()
    exposed = [e for e in expose if not (e.lower() in seen or seen.add(e.lower()))]  # type: ignore[func-returns-value]
    written = list(dict.fromkeys(policy.grant.methods.value.values))
    if target == "starlette":
        assert values["allow_methods"][: len(written)] == written
        assert values["expose_headers"] == exposed
    elif target == "django":
        assert values["CORS_ALLOW_METHODS"] == written
        assert values["CORS_EXPOSE_HEADERS"] == exposed
    if target != "starlette":
        path_key = values["CORS_URLS_REGEX"] if target == "django" else None
        regex = path_regex(policy_set.policies[0], policy_set)
        assert path_key == regex if target == "django" else re.compile(regex) in values["resources"]
    rendered = BOUND + origins.render_pattern(irbuild.pattern(f"regex:{body}"), "python")
    if target == "django":
        assert values["CORS_ALLOWED_ORIGIN_REGEXES"] == [rendered]
    if target == "flask":
        resource = next(iter(values["resources"].values()))
        assert resource["methods"][: len(written)] == written
        assert resource["expose_headers"] == exposed
        assert re.compile(rendered) in resource["origins"]


# ---- Origins longer than a browser sends -------------------------------------------------------

LONG_POLICY = """policy p {
  origins "https://*.example.com", regex "^https://pr-[0-9]+\\.example\\.org$", "http://[::1]:8080"
  headers Accept, Accept-Language, Content-Language, Content-Type
}"""


def long_origin(length: int) -> str:
    """An Origin of exactly ``length`` characters that ``https://*.example.com`` matches."""
    labels = length - len("https://") - len(".example.com")
    body = ".".join(["a" * 62] * (labels // 63))
    rest = labels - len(body) - (1 if body else 0)
    return "https://" + (body + "." if body else "") + "b" * rest + ".example.com"


@pytest.mark.parametrize("target", LIBRARIES)
def test_a_long_origin_matching_a_pattern_is_refused_quickly_in_the_real_library(
    target: str,
) -> None:
    from python_harness import django_server, flask_server, starlette_server

    from corsc.evaluate import Request

    policy_set = from_text(LONG_POLICY)
    text = emit(target, policy_set)
    if target == "flask":
        serve = flask_server(text)
    else:
        options = options_of(text, f"cors_{target}")
        serve = starlette_server(options) if target == "starlette" else django_server(options)
    limit = origins.MAX_ORIGIN_LENGTH
    longest, too_long = long_origin(limit), long_origin(limit + 1)
    assert (len(longest), len(too_long)) == (limit, limit + 1)
    pr = "https://pr-" + "1" * (limit - len("https://pr-.example.org") + 1) + ".example.org"
    for origin, allowed in ((longest, True), (too_long, False), (pr, False)):
        assert origins.matcher(irbuild.pattern("https://*.example.com"))(longest)
        started = time.perf_counter()
        reply = serve(Request.of("GET", "/", origin=origin))
        elapsed = time.perf_counter() - started
        granted = dict((n.lower(), v) for n, v in reply.headers).get("access-control-allow-origin")
        assert granted == (origin if allowed else None), (target, len(origin))
        assert elapsed < 2
    # A megabyte of Origin is refused by the bound before the pattern is tried at all.
    huge = "https://" + "a." * 500_000 + "example.com"
    started = time.perf_counter()
    reply = serve(Request.of("GET", "/", origin=huge))
    assert time.perf_counter() - started < 2
    assert "access-control-allow-origin" not in {n.lower() for n, _ in reply.headers}


@pytest.mark.parametrize("target", ["starlette", "django", "flask"])
def test_every_emitted_origin_regex_is_bounded(target: str) -> None:
    namespace = load_module(emit(target, from_text(LONG_POLICY)), f"cors_{target}")
    if target == "starlette":
        regexes = [namespace["CORS_OPTIONS"]["allow_origin_regex"]]
    elif target == "django":
        regexes = namespace["CORS_ALLOWED_ORIGIN_REGEXES"]
    else:
        (resource,) = namespace["CORS_OPTIONS"]["resources"].values()
        regexes = [o.pattern for o in resource["origins"] if isinstance(o, re.Pattern)]
    assert regexes
    assert all(regex.startswith(BOUND) for regex in regexes)


# ---- Python literals for every code point -------------------------------------------------------

HOSTILE = (
    '"',
    "'",
    "\\",
    'a"b\\',
    "line\nbreak",
    "\r\t\b\f\v",
    "nul\x00byte",
    "\x7f\x80\x9f",
    "\u2028\u2029",
    "\ufeff",
    "café",
    "😀",
    "/café/😀",
    "\U0010ffff",
    "\ud800",
    "'''\"\"\"",
    "{}%s",
)


@settings(max_examples=200)
@given(st.text())
@example("/café/😀")
def test_property_every_string_becomes_a_python_literal_of_the_same_value(text: str) -> None:
    literal = py_string(text)
    assert literal.isascii()  # whatever encoding the file is read in
    assert ast.literal_eval(literal) == text


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_strings_round_trip_through_python_literals(text: str) -> None:
    assert ast.literal_eval(py_string(text)) == text


@pytest.mark.parametrize("target", ["django", "flask"])
def test_a_non_bmp_path_prefix_matches_in_the_emitted_module(target: str) -> None:
    """`/café/😀` once came out as a JSON surrogate pair, which Python reads as two lone
    surrogates: the prefix never matched."""
    text = emit(target, from_text('policy p { paths "/café/😀"; origins "https://a.example" }'))
    assert text.partition("\n")[2].isascii()  # below the provenance line
    namespace = load_module(text, f"cors_{target}")
    if target == "django":
        regex = re.compile(namespace["CORS_URLS_REGEX"])
    else:
        (regex,) = namespace["CORS_OPTIONS"]["resources"]
    assert regex.match("/café/😀/x") and not regex.match("/café/x")
    # Written percent-encoded, the prefix is the same one.
    encoded = emit(target, from_text('policy p { paths "/caf%C3%A9/%F0%9F%98%80"; origins * }'))
    assert "\\U0001f600" in encoded and "\\ud83d" not in encoded
