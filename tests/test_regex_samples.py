"""corsc.regex.samples: strings a regex matches, and the look-alike origins it should not."""

from __future__ import annotations

import re

import pytest

from corsc.regex import look_alike_probes, render, sample_origins


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (r"https://api\.example\.com", ["https://api.example.com"]),
        (r"https://api.example.com", ["https://api.example.com"]),
        (r"https://[a-z0-9-]+\.example\.com", ["https://a.example.com"]),
        (
            r"https?://(www\.)?example\.com(:\d+)?",
            [
                "http://example.com",
                "https://example.com",
                "http://www.example.com",
                "http://example.com:1",
            ],
        ),
        (r"https://.*\.example\.com", ["https://a.example.com"]),
        (r"http://localhost:\d{4}", ["http://localhost:1111"]),
        (r"https://(app|admin)\.example\.(com|net)", None),
        (r"null", ["null"]),
        (r"[A-Z]+", ["A"]),
    ],
)
def test_sample_origins(body: str, expected: list[str] | None) -> None:
    samples = sample_origins(body)
    if expected is not None:
        assert samples == expected
    assert samples and len(samples) == len(set(samples)) <= 12
    for sample in samples:
        assert re.fullmatch(render(body, "python"), sample)


def admitted_probes(body: str) -> set[str]:
    python = render(body, "python")
    return {
        description
        for origin, description in look_alike_probes(body)
        if re.fullmatch(python, origin)
    }


APPENDED = "`.evil.test` appended to the host"
OTHER_PORT = "a port the regex does not name (`:8443`)"


@pytest.mark.parametrize(
    ("body", "admitted"),
    [
        (r"https://api\.example\.com", set()),
        (r"https://[a-z0-9-]+\.example\.com", set()),
        (r"https://(?:[a-z0-9-]+\.)+example\.com", set()),
        (r"https?://(www\.)?example\.com(:\d+)?", set()),
        (r"https://a\.example\.com(:8080|:8443)", set()),
        (r"http://localhost:\d{4}", set()),
        (r"http://\[::1\]:3000", set()),
        (r"http://127\.0\.0\.1(?::\d+)?", set()),
        (r"https://.*\.example\.com", set()),
        (r"[a-z]+://api\.example\.com", set()),  # no sample is an origin: nothing to mutate
        (
            r"https://api.example.com",
            {
                "the `.` after `api` replaced by a letter",
                "the `.` after `example` replaced by a letter",
            },
        ),
        (r"https://api\.example\.com.*", {APPENDED, OTHER_PORT}),
        (r"https://api\.example\.com(?:\..*)?", {APPENDED, OTHER_PORT}),
        (r"https://[a-z]*example\.com", {"`evil` put in front of `example.com`"}),
        (r"https://api\.example\.com(?::.*)?", {OTHER_PORT}),
        (r"https://api\.example\.com|http://api\.example\.com", set()),
        (
            r"https://api\.example\.com|http://[a-z]+\.example\.com",
            {"`http://` instead of `https://`"},
        ),
    ],
)
def test_look_alike_probes(body: str, admitted: set[str]) -> None:
    assert admitted_probes(body) == admitted


def test_probes_of_a_plain_origin() -> None:
    assert look_alike_probes(r"https://api\.example\.com") == [
        ("https://api.example.com.evil.test", APPENDED),
        ("https://evilapi.example.com", "`evil` put in front of `api.example.com`"),
        ("https://apixexample.com", "the `.` after `api` replaced by a letter"),
        ("https://api.examplexcom", "the `.` after `example` replaced by a letter"),
        ("http://api.example.com", "`http://` instead of `https://`"),
        ("https://api.example.com:8443", OTHER_PORT),
    ]


def test_probes_leave_out_what_the_regex_spells_out() -> None:
    descriptions = {
        description for _, description in look_alike_probes(r"https?://example\.com(:\d+)?")
    }
    assert descriptions == {
        APPENDED,
        "`evil` put in front of `example.com`",
        "the `.` after `example` replaced by a letter",
    }
    probes = dict(look_alike_probes(r"https://example\.com:8443"))
    assert probes["https://example.com:8444"] == "a port the regex does not name (`:8444`)"


def test_samples_and_probes_refuse_bodies_outside_the_subset() -> None:
    with pytest.raises(ValueError):
        sample_origins(r"(?=a)a")
    with pytest.raises(ValueError):
        look_alike_probes(r"\w")
