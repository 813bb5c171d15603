"""The ``flask`` target (backends/flask.py): its options, and TOML where strings mean the same."""

from __future__ import annotations

import re
import tomllib

import irbuild
from pytargets import (
    BOUND,
    emit,
    errors,
    excerpt,
    from_text,
)
from python_harness import load_module

from corsc import origin_regex
from corsc.backends.pycommon import path_regex


def test_flask_options_compile_every_pattern_flask_cors_would_guess() -> None:
    text = 'policy p { origins "https://a.example", "http://[::1]:8080", "https://*.b.example" }'
    namespace = load_module(emit("flask", from_text(text)), "cors_flask")
    ((path, resource),) = namespace["CORS_OPTIONS"]["resources"].items()
    assert path == re.compile(r"\A(?:/)")
    assert resource["origins"] == [
        "https://a.example",
        re.compile(BOUND + r"\A(?:http://\[::1\]:8080)\Z"),
        re.compile(
            BOUND + origin_regex.render_pattern(irbuild.pattern("https://*.b.example"), "python")
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
