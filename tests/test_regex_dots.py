"""corsc.regex.dots: a ``.`` among host-name literals is reported as an unescaped dot."""

from __future__ import annotations

import pytest

from corsc.regex import validate


def test_unescaped_dot_message() -> None:
    body = r"https://api.example\.com"
    (issue,) = validate(body)
    assert (issue.kind, issue.start, issue.end) == ("unescaped-dot", 11, 12)
    assert (issue.message, issue.help) == (
        "this `.` matches any character, not only a dot: `api.example.com` also admits "
        "`apixexample.com`",
        "write `\\.` to match a dot",
    )


@pytest.mark.parametrize(
    ("body", "dots"),
    [
        (r"https://api.example\.com", [11]),
        (r"https://api\.example.com", [20]),
        (r"https://(?:www|api).example\.com", [19]),
        (r"https://[a-z]+.example\.com", [14]),
        (r"https://.*.example\.com", [10]),
        (r"https://(?:www.)?example\.com", [14]),
        (r"10.0.0.1", [2, 4, 6]),
        # not mistakes: a repeated dot, a dot after `//`, a dot between classes
        (r"https://.+\.example\.com", []),
        (r"https://.example\.com", []),
        (r"https://[a-z].[a-z]\.test", []),
        (r"https://a\.test[.]", []),
    ],
)
def test_unescaped_dots(body: str, dots: list[int]) -> None:
    found = [issue.start for issue in validate(body) if issue.kind == "unescaped-dot"]
    assert found == dots
