"""corsc.regex.ambiguity: regexes whose backtracking matching could take more than linear time
are refused, and what is refused really is slow on a backtracking engine (counted, not timed:
the timing is bench/bench_redos.py's)."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corsc import regex
from corsc.regex import DIALECTS, render, validate
from tests.regex_engines import (
    BOUNDED_SUPER_LINEAR,
    LINEAR,
    SUPER_LINEAR,
    attack,
    backtrack_steps,
)


def kinds(body: str) -> list[tuple[str, int, int]]:
    return [(issue.kind, issue.start, issue.end) for issue in validate(body)]


def test_exponential_refusal_message() -> None:
    (issue,) = validate(r"https://([a-z]+)+\.test")
    assert (issue.kind, issue.start, issue.end) == ("unsupported", 8, 17)
    assert (issue.message, issue.help) == (
        "`([a-z]+)+` is not supported: it can match the same text in more than one way, which "
        "takes exponential time on origins that almost match",
        "make each repetition end with a character nothing else inside it matches, as in "
        "`(?:[a-z0-9-]+\\.)+`",
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (r"(a|a)*", [("unsupported", 0, 6)]),
        (r"(?:x(a|a)*y)+", [("unsupported", 4, 10)]),
        (r"(\d+\.?)+", [("unsupported", 0, 9)]),
        (r"(.*)*", [("unsupported", 0, 5)]),
        (r"(?:(?:a?)?b)*", [("unsupported", 0, 13)]),
        (r"(?:a{1,2})+", [("unsupported", 0, 11)]),
    ],
)
def test_exponential_refusals(body: str, expected: list[tuple[str, int, int]]) -> None:
    assert kinds(body) == expected


@pytest.mark.parametrize(
    "body",
    [
        r"(?:[a-z0-9-]+\.)+",  # each repetition ends with a dot nothing else inside matches
        r"(?:a{2})+",  # counted repetitions are unrolled: (aa)+ reads each text one way
        r"(a|a){2,5}",  # ambiguous, but bounded: at most 2**5 ways
        r"(a|ab)*",
        r"(?:(?:a|b)+c)*",
    ],
)
def test_repetitions_that_are_not_exponential(body: str) -> None:
    assert validate(body) == []


def _nested(depth: int, inner: str, count: str, between: str = "") -> str:
    body = inner
    for _ in range(depth):
        body = f"({body}{between}){count}"
    return body


#: Counted repetitions nested or alternated: the automaton must not grow with the product of
#: the counts, and every answer comes quickly.
NESTED_COUNTS = [
    *(
        _nested(depth, inner, count, between)
        for depth in (2, 4, 7, 12, 31)
        for inner in ("[a-z]", "[a-z]{0,3}", "(?:[a-z]|[a-z]{2})")
        for count in ("{0,3}", "{1,16}", "{2}", "{3,}", "{1,1000}")
        for between in ("", "x")
    ),
    "(?:" + "|".join(f"[a-z]{{{n}}}" for n in range(1, 30)) + "){1,30}",
]


@contextlib.contextmanager
def never_hangs(seconds: float = 20) -> Iterator[None]:
    """Fail, instead of hanging the run, when the block does not finish: a guard against the
    analysis blowing up (each case takes well under a second), not a performance target —
    those live in bench/bench_redos.py."""

    def expired(*_: object) -> None:
        raise AssertionError(f"did not finish within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("inner", NESTED_COUNTS)
def test_nested_counted_repetitions_are_judged_in_bounded_time(inner: str) -> None:
    body = f"https://{inner}\\.example\\.com"
    with never_hangs():
        issues = validate(body)
        if not issues:
            regex.language(body, lambda name: name == "example.com")
            for dialect in DIALECTS:
                render(body, dialect)
                regex.render_dotted(body, dialect)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            r"((((a{0,9}b){0,9}c){0,9}d){0,9}e){0,9}",
            "the regex is too large for corsc to check: written out, its counted repetitions "
            "would hold more than 10000 characters",
        ),
        (
            r"https://([a-z]{1,4}){1,16}\.example\.com",
            "the counted repetitions can read text such as `https://aaaaaaaa` in more than 64 "
            "ways, which takes exponential time on origins that almost match",
        ),
    ],
)
def test_counted_repetition_refusals(body: str, message: str) -> None:
    assert [issue.message for issue in validate(body)] == [message]


@given(
    st.recursive(
        st.sampled_from(["[a-z]", "a", "\\.", "[0-9]"]),
        lambda inner: st.one_of(
            st.tuples(inner, inner).map("".join),
            st.tuples(inner, inner).map(lambda pair: f"(?:{pair[0]}|{pair[1]})"),
            st.tuples(inner, st.sampled_from(["{0,3}", "{1,9}", "{2}", "{4,}", "{1,64}", "*"])).map(
                lambda pair: f"(?:{pair[0]}){pair[1]}"
            ),
        ),
        max_leaves=12,
    )
)
@settings(max_examples=150, deadline=None)
def test_counted_repetitions_never_take_long_to_judge(body: str) -> None:
    with never_hangs():
        if not validate(body):
            regex.render_dotted(body, "python")


def test_the_exponential_check_has_a_budget() -> None:
    # Every position can follow every other: 300 × 300 pairs to walk.
    body = "(?:" + "[a-z]?" * 300 + "x)+"
    # One issue over the whole regex, and no other: a search given up on says nothing more.
    [issue] = validate(body)
    assert issue.message == "the regex is too complex for corsc to check how long matching takes"
    assert (issue.start, issue.end) == (0, len(body))


def test_refused_regexes_really_are_slow_and_accepted_ones_are_not() -> None:
    """A reality check of the exponential-time analysis on a backtracking engine that tries
    what Python's does: on 22 letters and a failing character, the refused regex compares more
    than 100,000 characters (2**22 ways), the accepted one a few per character. The same two
    regexes are timed on Python's own engine in bench/bench_redos.py."""

    text = "a" * 22 + "!"
    for body, slow in [(r"(?:[a-z]+)+x", True), (r"(?:[a-z]+\.)+x", False)]:
        assert any(issue.kind == "unsupported" for issue in validate(body)) == slow
        steps = backtrack_steps(body, text, 10**5)
        assert (steps > 10**5) == slow
        assert slow or steps <= 3 * len(text)


# ---- super-linear matching: what is refused really is slow on a backtracking engine -------


@pytest.mark.parametrize(("body", "prefix", "pump", "suffix"), SUPER_LINEAR + BOUNDED_SUPER_LINEAR)
def test_refused_regexes_need_super_linear_backtracking(
    body: str, prefix: str, pump: str, suffix: str
) -> None:
    issues = [issue for issue in validate(body) if issue.kind == "unsupported"]
    assert issues and all("time on origins that almost match" in i.message for i in issues)
    small = backtrack_steps(body, attack(prefix, pump, suffix, 12), 10**6)
    large = backtrack_steps(body, attack(prefix, pump, suffix, 48), 10 * small)
    assert large > 8 * small  # four times the text, more than eight times the work


@pytest.mark.parametrize(("body", "prefix", "pump", "suffix"), LINEAR)
def test_accepted_regexes_backtrack_linearly(
    body: str, prefix: str, pump: str, suffix: str
) -> None:
    assert validate(body) == []
    small = backtrack_steps(body, attack(prefix, pump, suffix, 12), 10**6)
    large = backtrack_steps(body, attack(prefix, pump, suffix, 48), 10**6)
    assert large < 5 * small


@pytest.mark.parametrize(
    ("body", "start", "end", "message"),
    [
        (
            r"https://[a-z]+[a-z]+\.test",
            8,
            20,
            "`[a-z]+[a-z]+` is not supported: `[a-z]+` and `[a-z]+` can split text such as "
            "`aaa` between them in many ways, which takes polynomial time on origins that "
            "almost match",
        ),
        (
            r"https://(?:pr-)?\d+\d{0,}\.test",
            16,
            25,
            "`\\d+\\d{0,}` is not supported: `\\d+` and `\\d{0,}` can split text such as "
            "`111` between them in many ways, which takes polynomial time on origins that "
            "almost match",
        ),
        (
            r"https://[a-z0-9.-]+\.[a-z0-9.-]+",
            8,
            32,
            "`[a-z0-9.-]+\\.[a-z0-9.-]+` is not supported: `[a-z0-9.-]+` and `[a-z0-9.-]+` can "
            "split text such as `.a.a.a` between them in many ways, which takes polynomial time on "
            "origins that almost match",
        ),
    ],
)
def test_polynomial_refusal_message(body: str, start: int, end: int, message: str) -> None:
    (issue,) = validate(body)
    assert (issue.kind, issue.start, issue.end, issue.message) == (
        "unsupported",
        start,
        end,
        message,
    )
    assert issue.help == (
        "let one repetition read what the other cannot, as in `[a-z0-9-]+\\.[a-z0-9-]+`, or "
        "merge them into one"
    )


def test_the_polynomial_check_has_a_budget() -> None:
    # 120 optional-or-repeated classes in a row: many pairs of cycles, each walked in triples.
    body = "(?:" + "".join(f"[a-z{i % 10}]+x?" for i in range(120)) + ")"
    messages = [issue.message for issue in validate(body)]
    assert messages and all("time" in m or "too complex" in m for m in messages)
