"""The Python targets as a family — ``python`` (TOML for corsc.runtime) and the libraries
``starlette``/``fastapi``, ``django`` and ``flask`` — against the backend contract.

Diagnostics are what ``corsc compile`` reports: the capability table's (CORS601 at every use of
a feature a library cannot express, CORS602 for a deviation a feature brings), then the
backend's own — CORS631 for what is finer than a feature (a name the library would misread),
CORS602 for deviations the policy's values trigger. A table and its emitter cannot disagree: a
policy using a feature marked ``no`` is refused, one using any other feature compiles. The docs'
capability table is what ``corsc targets`` prints. Each module's own tests are in
test_pycommon.py, test_starlette.py, test_django.py and test_flask.py; behaviour in the real
libraries is tested in test_python_conformance.py.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import irbuild
import pytest
from pytargets import (
    BOUND,
    LIBRARIES,
    PLAIN,
    PYTHON_TARGETS,
    ROOT,
    diagnose,
    emit,
    errors,
    excerpt,
    from_text,
    options_for,
)
from python_harness import load_module

from corsc import capabilities, origin_regex, origins
from corsc.backends import backends, get
from corsc.backends.django import DJANGO
from corsc.backends.flask import FLASK
from corsc.backends.starlette import STARLETTE
from corsc.capabilities import Feature, Support

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


# ---- Origins longer than a browser sends -------------------------------------------------------


LONG_POLICY = """policy p {
  origins "https://*.example.com", regex "^https://pr-[0-9]+\\.example\\.org$", "http://[::1]:8080"
  headers Accept, Accept-Language, Content-Language, Content-Type
}"""


@pytest.mark.parametrize("target", LIBRARIES)
def test_a_long_origin_matching_a_pattern_is_refused_by_the_bound_in_the_real_library(
    target: str,
) -> None:
    """Refused without trying the pattern: every regex the library gets opens with the length
    bound, so the library's anchored match gives up after at most 268 characters of any Origin,
    however long (how long that takes is bench/bench_long_origin.py's)."""
    from python_harness import library_server, long_origin

    from corsc.evaluate import Request

    text = emit(target, from_text(LONG_POLICY))
    serve = library_server(target, text)
    limit = origins.MAX_ORIGIN_LENGTH
    longest, too_long = long_origin(limit), long_origin(limit + 1)
    assert (len(longest), len(too_long)) == (limit, limit + 1)
    assert origin_regex.matcher(irbuild.pattern("https://*.example.com"))(too_long)
    pr = "https://pr-" + "1" * (limit - len("https://pr-.example.org") + 1) + ".example.org"
    # A megabyte of Origin is refused by the bound before the pattern is tried at all.
    huge = "https://" + "a." * 500_000 + "example.com"
    regexes = emitted_regexes(target, text)
    bound = re.compile(BOUND)
    for origin, allowed in ((longest, True), (too_long, False), (pr, False), (huge, False)):
        reply = serve(Request.of("GET", "/", origin=origin))
        granted = dict((n.lower(), v) for n, v in reply.headers).get("access-control-allow-origin")
        assert granted == (origin if allowed else None), (target, len(origin))
        assert (bound.match(origin) is not None) is allowed, len(origin)
    assert regexes and all(regex.startswith(BOUND) for regex in regexes)


def emitted_regexes(target: str, text: str) -> list[str]:
    """The origin regexes a library's compiled output configures."""
    namespace = load_module(text, f"cors_{target}")
    if target == "starlette":
        return [namespace["CORS_OPTIONS"]["allow_origin_regex"]]
    if target == "django":
        return list(namespace["CORS_ALLOWED_ORIGIN_REGEXES"])
    (resource,) = namespace["CORS_OPTIONS"]["resources"].values()
    return [o.pattern for o in resource["origins"] if isinstance(o, re.Pattern)]


@pytest.mark.parametrize("target", ["starlette", "django", "flask"])
def test_every_emitted_origin_regex_is_bounded(target: str) -> None:
    regexes = emitted_regexes(target, emit(target, from_text(LONG_POLICY)))
    assert regexes
    assert all(regex.startswith(BOUND) for regex in regexes)
