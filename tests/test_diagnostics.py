"""The catalogue: stable codes in the ranges of README: Diagnostics, unique slugs, one severity
each."""

from __future__ import annotations

import re

import pytest

from corsc import diagnostics as d
from corsc.backends import backends
from corsc.source import Source

RANGES = {
    "0": "syntax and input",
    "1": "origins and patterns",
    "2": "methods and headers",
    "3": "credentials and exposure",
    "4": "max-age, preflight and private network",
    "5": "structure, names and paths",
    "6": "targets",
    "7": "corsc import (CORS700–CORS749)",
    "9": "suppression comments",
}


def test_every_code_is_in_a_range_and_every_name_is_a_unique_slug() -> None:
    backends()  # the backends register their 6xx kinds when imported
    names = [kind.name for kind in d.CATALOGUE.values()]
    assert len(names) == len(set(names))
    for code, kind in d.CATALOGUE.items():
        assert code == kind.code
        assert re.fullmatch(r"CORS(?:[0-69][0-9]{2}|7[0-4][0-9])", code), code
        assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", kind.name), kind.name
        assert kind.summary and kind.summary == kind.summary.strip()


def test_target_codes_come_from_backends_only() -> None:
    core = {code for code in d.CATALOGUE if not code.startswith("CORS6")}
    assert core and all(code[4] in RANGES for code in core)
    assert {"CORS601", "CORS602", "CORS603", "CORS604"} <= set(d.CATALOGUE)


def test_registering_a_code_or_name_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="code CORS001 registered twice"):
        d.kind("CORS001", "another-name", d.Severity.ERROR, "x")
    with pytest.raises(ValueError, match="name syntax-error registered twice"):
        d.kind("CORS099", "syntax-error", d.Severity.ERROR, "x")
    assert "CORS099" not in d.CATALOGUE


def test_fails_counts_warnings_only_when_strict() -> None:
    span = Source("a.cors", "x").span(0, 1)
    warning = d.DUPLICATE_ORIGIN.at(span, "m", "h")
    info = d.LOCAL_ORIGIN.at(span, "m", "h")
    assert not d.fails([warning, info])
    assert d.fails([warning], strict=True)
    assert not d.fails([info], strict=True)
    assert d.fails([d.SYNTAX_ERROR.at(span, "m", "h")])
