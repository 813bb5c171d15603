"""corsc.regex: the portable subset, its messages, the renderings, samples and look-alike probes.

Dialects are checked three ways:

- In Python, for all four renderings. The bodies are identical by construction (asserted), so
  only the anchors need emulating, explicitly: PCRE's and .NET's ``^`` (no multiline) is
  Python's ``^``, their ``\\z`` is Python's ``\\Z``; ECMAScript's ``$`` (no ``m`` flag) is the
  very end, which is Python's ``\\Z`` (Python's own ``$`` would also match before a final
  newline, so it is *not* kept).
- In Node.js for the ECMAScript rendering, with and without the ``u`` flag: one process per
  module, fed a JSON batch.
- In real PCRE2 through ``grep -Pz`` (records separated by NUL, so an origin may end with a
  newline): one process per regex. .NET has no engine here; its rendering is the PCRE
  rendering character for character (asserted), and .NET reads ``^``, ``\\z``, ``(?:``, ``[…]``
  and ``\\xHH`` as PCRE does.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import signal
import subprocess
import time
import warnings
from collections.abc import Callable, Iterable, Iterator

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from corsc import regex
from corsc.regex import (
    DIALECTS,
    look_alike_probes,
    render,
    sample_origins,
    sites,
    syntax,
    tree,
    validate,
)

NODE = shutil.which("node")
GREP = shutil.which("grep")


def as_python(rendered: str, dialect: str) -> str:
    """A rendering in ``dialect`` rewritten for Python's ``re`` (module docstring)."""
    opening, closing = DIALECTS[dialect]
    assert rendered.startswith(opening) and rendered.endswith(closing)
    body = rendered[len(opening) : len(rendered) - len(closing)]
    return r"\A(?:" + body + r")\Z"


def full_match(rendered: str, dialect: str, origin: str) -> bool:
    return re.search(as_python(rendered, dialect), origin) is not None


NODE_SCRIPT = r"""
const cases = JSON.parse(require("fs").readFileSync(0, "utf8"));
const results = cases.map(([source, text]) => ["", "u"].map((flags) => {
  try { return new RegExp(source, flags).test(text); } catch (error) { return String(error); }
}));
process.stdout.write(JSON.stringify(results));
"""


def run_node(pairs: list[tuple[str, str]]) -> dict[tuple[str, str], list[bool | str]]:
    """ECMAScript verdicts for (regex, text) pairs, without and with the ``u`` flag."""
    if NODE is None:
        pytest.skip("node is not installed: the ECMAScript renderings cannot be run")
    completed = subprocess.run(
        [NODE, "-e", NODE_SCRIPT],
        input=json.dumps(pairs),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return dict(zip(pairs, json.loads(completed.stdout), strict=True))


def run_pcre(rendered: str, texts: Iterable[str]) -> set[str]:
    """The texts real PCRE2 matches with ``rendered`` (``grep -Pz``, one process)."""
    if GREP is None:
        pytest.skip("grep is not installed: the PCRE renderings cannot be run")
    texts = list(texts)
    completed = subprocess.run(
        [GREP, "-Pz", "-e", rendered],
        input="".join(text + "\0" for text in texts).encode(),
        capture_output=True,
        env={"LC_ALL": "C"},
        timeout=60,
    )
    if completed.returncode == 2:
        pytest.skip(f"grep -P is not usable here: {completed.stderr.decode(errors='replace')}")
    return {record.decode() for record in completed.stdout.split(b"\0") if record}


def kinds(body: str) -> list[tuple[str, int, int]]:
    return [(issue.kind, issue.start, issue.end) for issue in validate(body)]


# ---- the subset -----------------------------------------------------------------------------

ACCEPTED = [
    r"https://api\.example\.com",
    r"https://[a-z0-9-]+\.example\.com",
    r"https?://(www\.)?example\.com",
    r"https://pr-\d+\.example\.com",
    r"https://(?:[a-z0-9-]+\.)+example\.com(?::\d{1,5})?",
    r"http://localhost:\d{4}",
    r"https://(app|admin)\.example\.(com|net)",
    r"https://[^./:]+\.example\.com",
    r"https://[a-z]{2,8}\.example\.com",
    r"https://x{3,}\.test",
    r"https://a\.example\.com(:8443)?",
    r"null",
    r"https://\x61pi\.example\.com",
    r"https://[-a-z]+\.test",
    r"https://[a-z-]+\.test",
    r"https://[\.\-\]\\]+\.test",
    r"http://\[::1\]:3000",
    r"https://\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}",
    r"https://.*\.example\.com",
    r"https://a\.test|https://b\.test",
    r"https://\/\:\@\_\,\%\~\!\=",
    r"https://(?:[a-z]+-)*[a-z]+\.test",
    r"https://a\.test(?::[1-9][0-9]{0,4})?",
    r"https://[a-z]{1,63}(\.[a-z]{1,63})*\.example\.com",
    r"https://[a-z]{1,3}[a-z]+\.test",  # the count is unrolled: at most three ways to split
]


@pytest.mark.parametrize("body", ACCEPTED)
def test_portable_bodies_are_accepted(body: str) -> None:
    assert validate(body) == []
    for dialect in DIALECTS:
        render(body, dialect)


#: (body, [(kind, start, end)], message of the first issue, its help). Messages are UI copy.
REFUSED: list[tuple[str, list[tuple[str, int, int]], str, str]] = [
    (
        "",
        [("invalid", 0, 0)],
        "the regex is empty",
        "write the origins it should match, such as `https://app\\.example\\.com`",
    ),
    (
        r"https://api\.example\.com\1",
        [("unsupported", 25, 27)],
        "backreferences such as `\\1` are not supported",
        "write the repeated text out",
    ),
    (
        r"https://(?!evil)[a-z]+\.test",
        [("unsupported", 8, 11)],
        "negative lookahead `(?!…)` is not supported",
        "write the origins to allow; to leave some out, list them under `deny`",
    ),
    (
        r"https://a\.test(?<=t)",
        [("unsupported", 15, 19)],
        "lookbehind `(?<=…)` is not supported",
        "write the origins to allow; to leave some out, list them under `deny`",
    ),
    (
        r"(?i)https://a\.test",
        [("unsupported", 0, 4)],
        "inline flags such as `(?i)` are not supported: origins are matched byte for byte",
        "remove them, and write scheme and host in lowercase, as browsers send them",
    ),
    (
        r"https://(?P<sub>[a-z]+)\.test",
        [("unsupported", 8, 16)],
        "named groups such as `(?P<name>…)` are not supported",
        "write a plain group: `(…)` or `(?:…)`",
    ),
    (
        r"https://\w+\.test",
        [("unsupported", 8, 10)],
        "`\\w` is not supported: Python and .NET also match non-ASCII letters with it",
        "write the characters you mean, such as `[a-z0-9_]`",
    ),
    (
        r"https://\S+\.test",
        [("unsupported", 8, 10)],
        "`\\S` is not supported: engines disagree on which characters are whitespace",
        "write the characters you mean, such as `[a-z0-9.-]`",
    ),
    (
        r"https://\bapi\.test",
        [("unsupported", 8, 10)],
        "`\\b` is not supported: engines disagree on what a word character is",
        "write the character you expect on each side, such as `\\.` or `/`",
    ),
    (
        r"https://[^\D]\.test",
        [("unsupported", 10, 12)],
        "`\\D` is not supported: Python and .NET treat non-ASCII digits differently",
        "write `[^0-9]`",
    ),
    (
        r"https://a\.test\z",
        [("unsupported", 15, 17)],
        "`\\z` is not supported: corsc already matches every regex against the whole Origin",
        "remove it",
    ),
    (
        r"(^https://a\.test)",
        [("unsupported", 1, 2)],
        "`^` is only allowed at the very start: corsc already matches every regex against the "
        "whole Origin",
        "remove it, or write `\\^` for a literal `^`",
    ),
    (
        r"https://a\.test$|https://b\.test",
        [("unsupported", 15, 16)],
        "`$` is only allowed at the very end: corsc already matches every regex against the "
        "whole Origin",
        "remove it, or write `\\$` for a literal `$`",
    ),
    (
        r"https://[a-z]+?\.test",
        [("unsupported", 13, 15)],
        "lazy `+?` is not supported",
        "write `+`: lazy and greedy repetition admit the same origins",
    ),
    (
        r"https://[a-z]++\.test",
        [("unsupported", 13, 15)],
        "possessive `++` is not supported: ECMAScript has no possessive quantifiers",
        "write `+`",
    ),
    (
        r"https://a{,3}\.test",
        [("unsupported", 9, 13)],
        "`{,3}` is not supported: Python reads it as `{0,3}`, ECMAScript as literal text",
        "write `{0,3}`",
    ),
    (
        r"https://a\.test|",
        [("unsupported", 15, 16)],
        "an empty alternative is not supported: it quietly makes the whole group optional",
        "remove the extra `|`; to make a part optional, write `(?:…)?`",
    ),
    (
        r"https://(|www\.)a\.test",
        [("unsupported", 9, 10)],
        "an empty alternative is not supported: it quietly makes the whole group optional",
        "remove the extra `|`; to make a part optional, write `(?:…)?`",
    ),
    (
        r"https://()a\.test",
        [("unsupported", 8, 10)],
        "an empty group `()` is not supported",
        "remove it",
    ),
    (
        "https://bücher\\.example",
        [("unsupported", 9, 10)],
        "the non-ASCII character `ü` is not supported: browsers send host names in punycode",
        "write the host in punycode (`xn--…`), as browsers send it",
    ),
    (
        r"https://[]a]\.test",
        [("unsupported", 8, 10)],
        "`[]` is not supported: Python reads this `]` as a literal, ECMAScript as the end of "
        "an empty class",
        "write `\\]` for a literal bracket",
    ),
    (
        r"https://[[:alpha:]]+\.test",
        [("unsupported", 9, 10), ("unsupported", 18, 19)],
        "`[` inside a class is not supported: engines read it as a literal, a POSIX class or "
        "a nested class",
        "write `\\[` for a literal bracket",
    ),
    (
        r"https://[a-z-0]+\.test",
        [("unsupported", 12, 13)],
        "this `-` is not supported: engines disagree on whether it is a literal",
        "write `\\-`, or put the hyphen first or last in the class, as in `[a-z0-9-]`",
    ),
    (
        r"https://a]\.test",
        [("unsupported", 9, 10)],
        "a `]` outside a character class is not supported: engines disagree on whether it is "
        "literal",
        "write `\\]` for a literal `]`",
    ),
    (
        r"https://a{x}\.test",
        [("unsupported", 9, 10), ("unsupported", 11, 12)],
        "a `{` outside a count such as `{2}` or `{1,3}` is not supported: engines disagree on "
        "whether it is literal",
        "write `\\{` for a literal `{`",
    ),
    (
        r"https://[^!-~]\.test",
        [("unsupported", 8, 14)],
        "this class matches no character an origin can contain",
        "list the characters it should match, as in `[a-z0-9-]`",
    ),
    (
        r"https://a{2000}\.test",
        [("unsupported", 9, 15)],
        "`{2000}` is not supported: counts go up to 1000",
        "no origin is that long: write `+`, or a smaller count",
    ),
    (
        r"https://([a-z]+)+\.test",
        [("unsupported", 8, 17)],
        "`([a-z]+)+` is not supported: it can match the same text in more than one way, which "
        "takes exponential time on origins that almost match",
        "make each repetition end with a character nothing else inside it matches, as in "
        "`(?:[a-z0-9-]+\\.)+`",
    ),
    (
        r"https://(a",
        [("invalid", 8, 9)],
        "`(` is never closed",
        "add `)` where the group ends, or write `\\(` for a literal parenthesis",
    ),
    (
        r"https://a)",
        [("invalid", 9, 10)],
        "`)` has no matching `(`",
        "remove it, or write `\\)` for a literal parenthesis",
    ),
    (
        r"https://[a-z",
        [("invalid", 8, 9)],
        "`[` starts a character class that is never closed",
        "add `]` where the class ends, or write `\\[` for a literal bracket",
    ),
    (
        r"*.example\.com",
        [("invalid", 0, 1)],
        "`*` has nothing to repeat",
        "put it after the character or group it repeats, or write `\\*` for a literal `*`",
    ),
    (
        r"https://a**",
        [("invalid", 10, 11)],
        "`*` follows another repetition",
        "keep one; to repeat a repetition, group it first, as in `(?:ab{2})*`",
    ),
    (
        r"https://[z-a]\.test",
        [("invalid", 9, 12)],
        "`z-a` is not a range: `z` comes after `a`",
        "write the lower end first: `a-z`",
    ),
    (
        r"https://a{5,2}\.test",
        [("invalid", 9, 14)],
        "`{5,2}` asks for at least 5 but at most 2",
        "write the smaller number first: `{2,5}`",
    ),
    (
        "https://a\\",
        [("invalid", 9, 10)],
        "a `\\` at the end escapes nothing",
        "write `\\\\` for a literal backslash",
    ),
    (
        r"https://\x4",
        [("invalid", 8, 10)],
        "`\\x` needs two hexadecimal digits",
        "write the character itself, as in `-` or `\\.`",
    ),
    (
        r"https://api.example\.com",
        [("unescaped-dot", 11, 12)],
        "this `.` matches any character, not only a dot: `api.example.com` also admits "
        "`apixexample.com`",
        "write `\\.` to match a dot",
    ),
]


@pytest.mark.parametrize(("body", "expected", "message", "help"), REFUSED)
def test_refusals_and_their_messages(
    body: str, expected: list[tuple[str, int, int]], message: str, help: str
) -> None:
    issues = validate(body)
    assert kinds(body) == expected
    assert (issues[0].message, issues[0].help) == (message, help)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (r"\p{L}", [("unsupported", 0, 5)]),
        (r"\w{2}", [("unsupported", 0, 2)]),
        (r"\u0061", [("unsupported", 0, 2)]),
        (r"a\n", [("unsupported", 1, 3)]),
        (r"[\b]", [("unsupported", 1, 3)]),
        (r"\k<x>", [("unsupported", 0, 5)]),
        (r"(?P=x)", [("unsupported", 0, 6)]),
        (r"(?#note)a", [("unsupported", 0, 8)]),
        (r"(?>a)", [("unsupported", 0, 3)]),
        (r"(?|a)", [("unsupported", 0, 3)]),
        (r"(?(1)a|b)", [("unsupported", 0, 5)]),
        (r"(?R)", [("unsupported", 0, 3)]),
        (r"(?i:a)", [("unsupported", 0, 4)]),
        (r"(?=a)", [("unsupported", 0, 3)]),
        (r"(?<!a)b", [("unsupported", 0, 4)]),
        (r"(?<n>a)", [("unsupported", 0, 5)]),
        (r"a{,}", [("unsupported", 1, 4)]),
        (r"a{}", [("unsupported", 1, 3)]),
        (r"a}", [("unsupported", 1, 2)]),
        (r"\xe9", [("unsupported", 0, 4)]),
        ("a\\\t", [("unsupported", 1, 3)]),
        (r"[\d-z]", [("invalid", 1, 5)]),
        (r"a||b", [("unsupported", 1, 2)]),
        (r"(a|a)*", [("unsupported", 0, 6)]),
        (r"(?:x(a|a)*y)+", [("unsupported", 4, 10)]),
        (r"(\d+\.?)+", [("unsupported", 0, 9)]),
        (r"(.*)*", [("unsupported", 0, 5)]),
        (r"(?:(?:a?)?b)*", [("unsupported", 0, 13)]),
        (r"(?:a{1,2})+", [("unsupported", 0, 11)]),
        ("(" * 40 + "a" + ")" * 40, [("unsupported", 32, 33)]),
    ],
)
def test_more_refusals(body: str, expected: list[tuple[str, int, int]]) -> None:
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
    issue = validate("(?:" + "[a-z]?" * 300 + "x)+")[-1]
    assert issue.message == "the regex is too complex for corsc to check how long matching takes"


def test_refused_regexes_really_are_slow_and_accepted_ones_are_not() -> None:
    """A reality check of the exponential-time analysis on Python's own engine."""

    for body, slow in [(r"(?:[a-z]+)+x", True), (r"(?:[a-z]+\.)+x", False)]:
        assert any(issue.kind == "unsupported" for issue in validate(body)) == slow
        started = time.perf_counter()
        re.fullmatch(body, "a" * 22 + "!")
        assert (time.perf_counter() - started > 0.05) == slow


# ---- super-linear matching: what is refused really is slow on a backtracking engine -------


class _Backtracker:
    """A backtracking matcher over corsc's regex tree that tries alternatives in the order
    Python's engine does (greedy repetitions, options left to right, no empty iterations),
    counting the characters it compares. Counting instead of timing makes the test exact and
    independent of the machine."""

    def __init__(self, body: str, limit: int) -> None:
        root, issues = syntax.parse(body)
        assert root is not None and not issues
        self.root = root
        self.limit = limit
        self.steps = 0

    def fullmatch(self, text: str) -> bool:
        self.steps = 0
        self.text = text
        try:
            return self.match(self.root, 0, lambda end: end == len(text))
        except OverflowError:  # past the limit: super-linear enough
            return False

    def match(self, node: object, index: int, then: Callable[[int], bool]) -> bool:
        if isinstance(node, tree.Literal | tree.CharClass | tree.AnyChar):
            self.steps += 1
            if self.steps > self.limit:
                raise OverflowError
            if isinstance(node, tree.Literal):
                chars: frozenset[str] = frozenset(node.char)
            else:
                chars = node.chars if isinstance(node, tree.CharClass) else regex.PRINTABLE
            return index < len(self.text) and self.text[index] in chars and then(index + 1)
        if isinstance(node, tree.Group):
            return self.match(node.body, index, then)
        if isinstance(node, tree.Alt):
            return any(self.match(option, index, then) for option in node.options)
        if isinstance(node, tree.Seq):
            return self.sequence(node.items, index, then)
        assert isinstance(node, tree.Repeat)
        return self.repeat(node, 0, index, then)

    def sequence(self, items: tuple[object, ...], index: int, then: Callable[[int], bool]) -> bool:
        if not items:
            return then(index)
        return self.match(items[0], index, lambda end: self.sequence(items[1:], end, then))

    def repeat(self, node: tree.Repeat, done: int, index: int, then: Callable[[int], bool]) -> bool:
        if (node.max is None or done < node.max) and self.match(
            node.body, index, lambda end: end != index and self.repeat(node, done + 1, end, then)
        ):
            return True
        return done >= node.min and then(index)


def _steps(body: str, prefix: str, pump: str, suffix: str, copies: int, limit: int) -> int:
    matcher = _Backtracker(body, limit)
    assert not matcher.fullmatch(prefix + pump * copies + suffix)
    return matcher.steps


#: (body, prefix, pump, suffix): the attack text is prefix + pump × n + suffix, which fails.
SUPER_LINEAR = [
    (r"https://[a-z]+[a-z]+[a-z]+[a-z]+\.example\.com", "https://", "a", "!"),
    (r"[a-z]+[a-z]+", "", "a", "!"),
    (r".*.*", "", "a", " "),
    (r"https://.*.*\.test", "https://", "a", "!"),
    (r"[a-z0-9.-]+\.[a-z0-9.-]+", "", ".", "!"),
    (r"\d+\d*", "", "1", "!"),
    (r"[a-z]*\.?[a-z]*", "", "a", "!"),
    (r"https://[a-z]*[a-z]*\.test", "https://", "a", "!"),
    (r"https://(?:a|b)+[ab]+\.test", "https://", "ab", "!"),
    (r"(x+x+)+y", "", "x", "!"),
    (r"(a*)*", "", "a", "!"),
    (r"(?:[a-z]+)+x", "", "a", "!"),
    (r"(a|a)*", "", "a", "!"),
    # Counted repetitions whose copies can split one text in many ways: the ways grow
    # exponentially with the count, within the length the count allows.
    (r"https://([a-z]{1,4}){1,16}\.example\.com", "https://", "a", "!"),
    (r"https://([a-z]|[a-z]{2}){1,32}\.example\.com", "https://", "a", "!"),
    (r"https://([a-z]{1,30}){1,30}\.example\.com", "https://", "a", "!"),
    (r"https://(?:[a-z]{1,3}|[0-9]){1,20}\.test", "https://", "a", "!"),
    (r"([a-z]{1,4}){16}", "", "a", "!"),
    (r"[a-z]{1,8}[a-z]{1,8}[a-z]{1,8}[a-z]{1,8}[a-z]{1,8}[a-z]{1,8}", "", "a", "!"),
    (r"(?:(?:[a-z]{1,2}){1,4}){1,4}", "", "a", "!"),
]

LINEAR = [
    (r"https://[a-z0-9-]+\.example\.com", "https://", "a", "!"),
    (r"https://pr-\d+\.example\.com", "https://pr-", "1", "!"),
    (r"https://([a-z0-9-]+\.)*example\.com", "https://", "a.", "!"),
    (r"https://[a-z]{1,63}(\.[a-z]{1,63})*\.example\.com", "https://a", ".a", "!"),
    (r"[a-z]{1,3}[a-z]+", "", "a", "!"),
    (r"(a|ab)*c", "", "ab", "!"),
    (r"https://(?:[a-z]+-)*[a-z]+\.test", "https://", "a-", "!"),
    (r"[a-z]+\.[a-z]+", "", "a", "!"),
    (r"(?:[a-z]+-)?[a-z]+\.test", "", "a", "!"),  # the `-` tells the repetitions apart
    (r"https?://(www\.)?example\.com(:\d+)?", "https://example.com:", "1", "!"),
    (r"https://([a-z0-9-]{1,63}\.){1,4}example\.com", "https://", "a.", "!"),
    (r"https://[a-z0-9]{1,8}-[a-z0-9]{1,8}\.test", "https://a-", "a", "!"),
    (r"https://(?:ab|a){1,20}\.test", "https://", "ab", "!"),
]


@pytest.mark.parametrize(("body", "prefix", "pump", "suffix"), SUPER_LINEAR)
def test_refused_regexes_need_super_linear_backtracking(
    body: str, prefix: str, pump: str, suffix: str
) -> None:
    issues = [issue for issue in validate(body) if issue.kind == "unsupported"]
    assert issues and all("time on origins that almost match" in i.message for i in issues)
    small = _steps(body, prefix, pump, suffix, 12, 10**6)
    large = _steps(body, prefix, pump, suffix, 48, 10 * small)
    assert large > 8 * small  # four times the text, more than eight times the work


@pytest.mark.parametrize(("body", "prefix", "pump", "suffix"), LINEAR)
def test_accepted_regexes_backtrack_linearly(
    body: str, prefix: str, pump: str, suffix: str
) -> None:
    assert validate(body) == []
    small = _steps(body, prefix, pump, suffix, 12, 10**6)
    large = _steps(body, prefix, pump, suffix, 48, 10**6)
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


# ---- rendering ------------------------------------------------------------------------------

RENDERED = [
    (r"https://api\.example\.com", r"https://api\.example\.com"),
    (r"https://pr-\d+\.example\.com", r"https://pr-[0-9]+\.example\.com"),
    (r"https://[a-z0-9-]+\.example\.com", r"https://[\-0-9a-z]+\.example\.com"),
    (r"https?://(www\.)?example\.com", r"https?://(?:www\.)?example\.com"),
    (r"https://(?:a|b)\.test", r"https://(?:a|b)\.test"),
    (r"https://.+\.test", r"https://[!-~]+\.test"),
    (r"https://[^.]+\.test", r"https://[!-\-/-~]+\.test"),
    (r"https://[^a-z]\.test", r"https://[!-\x60{-~]\.test"),
    (r"https://a{2}b{2,}c{2,3}d?e*f+", r"https://a{2}b{2,}c{2,3}d?e*f+"),
    (r"a{0,1}b{0,}c{1,}", r"a?b*c+"),
    (r"http://\[::1\]:3000", r"http://\[::1\]:3000"),
    (r"\x41\$\"\'\;\#\&\<\> \`", r"A\x24\x22\x27\x3b\x23\x26\x3c\x3e\x20\x60"),
    (r"[$&~|]", r"[\x24\x26|~]"),
    (r"[\^\]\[\\-]", r"[\-\[-\^]"),
    (r"[ab]", r"[ab]"),
    (r"[abc]", r"[a-c]"),
    (r"\/\:\-\_", r"/:-_"),
]


@pytest.mark.parametrize(("body", "expected"), RENDERED)
def test_rendering(body: str, expected: str) -> None:
    assert render(body, "python") == rf"\A(?:{expected})\Z"
    assert render(body, "pcre") == rf"^(?:{expected})\z"
    assert render(body, "dotnet") == render(body, "pcre")
    assert render(body, "ecmascript") == rf"^(?:{expected})$"


def test_rendering_refuses_what_validate_refuses() -> None:
    with pytest.raises(ValueError, match="backreferences"):
        render(r"(a)\1", "python")
    with pytest.raises(ValueError, match="unknown regex dialect 'perl'; known: python, pcre"):
        render("a", "perl")


def test_rendering_is_printable_ascii_without_quotes_or_spaces() -> None:
    for body, _ in RENDERED:
        for dialect in DIALECTS:
            rendered = render(body, dialect)
            assert rendered.isascii() and rendered.isprintable()
            assert not set(rendered) & set(" \"';#&<>`")


def test_escape_round_trips() -> None:
    text = "https://[::1]:8443 $^.*+?()[]{}|\\/-_~"
    assert re.fullmatch(render(regex.escape(text), "python"), text)
    assert validate(regex.escape(text)) == []


# ---- adversarial origins in every dialect -----------------------------------------------------

#: (body, origins it admits, origins it must not admit)
ADVERSARIAL: list[tuple[str, list[str], list[str]]] = [
    (
        r"https://api\.example\.com",
        ["https://api.example.com"],
        [
            "https://api.example.com.evil.net",
            "https://evilapi.example.com",
            "https://apiXexample.com",
            "https://api.exampleXcom",
            "http://api.example.com",
            "https://api.example.com:8443",
            "HTTPS://API.EXAMPLE.COM",
            "https://api.example.com.",
            "https://api.example.com\n",
            "https://api.example.com/",
            "https://user@api.example.com",
            "https://api.example.com@evil.net",
            " https://api.example.com",
            "null",
            "",
        ],
    ),
    (
        r"^https://[a-z0-9-]+\.example\.com$",
        ["https://a.example.com", "https://a-1.example.com"],
        [
            "https://example.com",
            "https://.example.com",
            "https://a.b.example.com",
            "https://a.example.com.evil.net",
            "https://evil.net/.example.com",
            "https://a_b.example.com",
            "https://A.example.com",
            "https://a.example.com\n",
            "https://a.example.com:443",
            "https://a\n.example.com",
        ],
    ),
    (
        r"https?://(www\.)?example\.com(:\d+)?",
        [
            "https://example.com",
            "http://www.example.com",
            "https://example.com:8443",
        ],
        [
            "https://wwwxexample.com",
            "https://evilexample.com",
            "https://example.com.evil.net",
            "ftp://example.com",
            "https://example.com:",
            "https://example.com:84a",
            "https://example.com:\u0661",  # an Arabic-Indic digit: \d must be ASCII
            "https://example.com\n",
            "https://example.com:8443\n",
        ],
    ),
    (
        r"https://.+\.example\.com",
        ["https://a.example.com", "https://a.b.example.com"],
        [
            "https://\n.example.com",
            "https://\r.example.com",
            "https:// .example.com",
            "https://\u2028.example.com",
            "https://é.example.com",
            "https://example.com",
        ],
    ),
    (
        r"null",
        ["null"],
        ["NULL", "null\n", "nul", "nulll", ""],
    ),
]

ADVERSARIAL_CASES = [
    (body.removeprefix("^").removesuffix("$"), origin, admitted)
    for body, good, bad in ADVERSARIAL
    for origins, admitted in ((good, True), (bad, False))
    for origin in origins
]


@pytest.mark.parametrize(("body", "origin", "admitted"), ADVERSARIAL_CASES)
def test_adversarial_origins_in_python_for_every_dialect(
    body: str, origin: str, admitted: bool
) -> None:
    for dialect in DIALECTS:
        assert full_match(render(body, dialect), dialect, origin) == admitted, dialect
    python = render(body, "python")
    # The Python rendering is safe with re.match and re.search too, not only re.fullmatch.
    assert (re.match(python, origin) is not None) == admitted
    assert (re.fullmatch(python, origin) is not None) == admitted


@pytest.fixture(scope="module")
def ecmascript() -> dict[tuple[str, str], list[bool | str]]:
    return run_node([(render(body, "ecmascript"), origin) for body, origin, _ in ADVERSARIAL_CASES])


@pytest.mark.parametrize(("body", "origin", "admitted"), ADVERSARIAL_CASES)
def test_adversarial_origins_in_node(
    ecmascript: dict[tuple[str, str], list[bool | str]], body: str, origin: str, admitted: bool
) -> None:
    assert ecmascript[render(body, "ecmascript"), origin] == [admitted, admitted]


@pytest.mark.parametrize(("body", "good", "bad"), ADVERSARIAL)
def test_adversarial_origins_in_pcre(body: str, good: list[str], bad: list[str]) -> None:
    # Every text but the empty one: grep reads an empty input as no record at all.
    texts = [text for text in good + bad if text]
    body = body.removeprefix("^").removesuffix("$")
    assert run_pcre(render(body, "pcre"), texts) == set(good)


# ---- the rendering means what the body means ---------------------------------------------------

PRINTABLE = "".join(sorted(regex.PRINTABLE))
REGEXISH = [*"ab.-:/\\[]^$()|?*+{},0123dxw", "\\.", "[a-z]", "\\d", "(?:", "é"]


ATOMS = st.sampled_from(["a", "b", "x", "\\.", "-", ":", "/", ".", "\\d", "[a-c]", "[^a]", "[.-]"])


def _compound(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(inner, inner).map("".join),
        st.tuples(inner, inner).map(lambda pair: f"(?:{pair[0]}|{pair[1]})"),
        inner.map(lambda body: f"({body})"),
        st.tuples(inner, st.sampled_from(["?", "*", "+", "{2}", "{1,3}", "{0,}"])).map(
            lambda pair: f"(?:{pair[0]}){pair[1]}"
        ),
    )


#: Well-formed bodies built from the subset (some refused as exponential), and text soup.
BODIES = st.one_of(
    st.recursive(ATOMS, _compound, max_leaves=8),
    st.lists(st.sampled_from(REGEXISH), max_size=14).map("".join),
)


@given(BODIES, st.data())
@settings(max_examples=500, deadline=None)
@example(r"[%--]{2,}", None)
def test_validate_never_raises_and_accepted_bodies_mean_what_python_reads(
    body: str, data: st.DataObject | None
) -> None:
    issues = [issue for issue in validate(body) if issue.kind in ("invalid", "unsupported")]
    # render() refuses what the syntax check refuses; the exponential-time check is
    # validate()'s alone (render's docstring).
    slow = ("exponential", "polynomial", "too complex")
    if any(not any(word in issue.message for word in slow) for issue in issues):
        with pytest.raises(ValueError):
            render(body, "python")
    if issues:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # Python's notes about future set syntax
        raw = re.compile(body)
    rendered = re.compile(render(body, "python"))
    for dialect in DIALECTS:
        re.compile(as_python(render(body, dialect), dialect))
    # On what an origin is made of (printable ASCII), the rendering and Python's reading of
    # the body agree; off it, the rendering admits nothing Python would not.
    samples = sample_origins(body)
    texts = [*samples, *(sample[:-1] for sample in samples if sample)]
    texts += [sample.replace(".", "x", 1) + "a" for sample in samples]
    if data is not None:
        texts += data.draw(st.lists(st.text(PRINTABLE, max_size=8), max_size=5))
    for text in texts:
        assert (raw.fullmatch(text) is None) == (rendered.fullmatch(text) is None), text
    for sample in samples:
        assert rendered.fullmatch(sample + "\n") is None


# ---- samples and probes ------------------------------------------------------------------------


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


# ---- the language: which sites a regex admits ------------------------------------------------


def _one_site(name: str) -> bool:
    from corsc import origins, suffixes

    return not origins.ends_in_a_number(name) and suffixes.is_one_site(name)


def _site(host: str) -> str:
    """The shortest suffix of ``host`` that is a site, else the host itself."""
    labels = host.split(".")
    for start in range(len(labels) - 1, -1, -1):
        candidate = ".".join(labels[start:])
        if _one_site(candidate):
            return candidate
    return host


#: Pieces of host patterns, some careless.
HOST_PIECES = [
    r"[a-z]+\.",
    r"(www\.)?",
    r"([a-z0-9-]+\.)*",
    r"example\.",
    r"com",
    r"(com|co)",
    r"(\.uk)?",
    r"co\.uk",
    r".*",
    r"[a-z]+",
    r"x+",
    r"\.",
    r"github\.io",
    r"nagoya\.jp",
    r"(\.[a-z]+)?",
    r"(:\d+)?",
    r"\.?",
]
#: Hosts tried against each generated regex.
PROBE_HOSTS = [
    "a.com",
    "evil.com",
    "example.com",
    "www.example.com",
    "a.example.com",
    "xexample.com",
    "example.com.uk",
    "example.co.uk",
    "example.co",
    "com.uk",
    "example.com.evil",
    "x.github.io",
    "y.github.io",
    "github.io",
    "a.nagoya.jp",
    "b.nagoya.jp",
    "x.com",
    "xx.com",
    "example.comx",
    "a.b.example.com",
    "example.a",
    "www.example.co.uk",
    "com",
    "example",
    "example.com.",  # browsers keep a trailing dot
    "evil.com.",
    "a.com.",
]


@given(
    st.sampled_from(["https://", "https?://", "http://", ""]),
    st.lists(st.sampled_from(HOST_PIECES), min_size=1, max_size=5),
)
@settings(max_examples=300, deadline=None)
def test_a_regex_passed_as_one_site_admits_no_other(scheme: str, pieces: list[str]) -> None:
    body = scheme + "".join(pieces)
    if any(issue.kind != "unescaped-dot" for issue in validate(body)):
        return
    found = regex.language(body, _one_site)
    compiled = re.compile(render(body, "python"))
    if found.spread is not None:
        # The example is admitted, and lies outside every site named.
        assert compiled.fullmatch(found.spread)
        host = found.spread.split("://", 1)[1].rsplit(":", 1)[0] if "[" not in found.spread else ""
        assert not host or _site(host) not in found.named or host not in found.named
        return
    if found.too_complex:
        return
    for host in PROBE_HOSTS:
        for origin in (f"https://{host}", f"http://{host}", f"https://{host}:8443"):
            if compiled.fullmatch(origin):
                name = host.removesuffix(".")
                assert _site(name) in found.named or name in found.named, (body, origin)


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (r"https://[a-z0-9-]+\.example\.com", ("example.com",)),
        (r"https://(app|admin)\.example\.(com|net)", ("example.net", "example.com")),
        (r"https://example\.com(\.au)?", ("example.com.au", "example.com")),
        (r"http://localhost:\d{4}", ("localhost",)),
        (r"http://\[::1\]:3000", ("[::1]",)),
        # *.nagoya.jp makes c.nagoya.jp a public suffix: the site is b.c.nagoya.jp
        (r"https://a\.b\.c\.nagoya\.jp", ("b.c.nagoya.jp",)),
        (r"https://x\.city\.nagoya\.jp", ("city.nagoya.jp",)),
    ],
)
def test_language_names_the_sites_spelled_out(body: str, named: tuple[str, ...]) -> None:
    found = regex.language(body, _one_site)
    assert (found.spread, found.other_scheme, found.null, found.too_complex) == (
        None,
        None,
        False,
        False,
    )
    assert set(found.named) == set(named)


@given(BODIES)
@settings(max_examples=300, deadline=None)
def test_language_never_raises_and_its_examples_are_admitted(body: str) -> None:
    issues = [issue for issue in validate(body) if issue.kind in ("invalid", "unsupported")]
    slow = ("exponential", "polynomial", "too complex")
    if any(not any(word in issue.message for word in slow) for issue in issues):
        with pytest.raises(ValueError):
            regex.language(body, _one_site)
        return
    found = regex.language(body, _one_site)
    compiled = re.compile(render(body, "python"))
    assert found.null == bool(compiled.fullmatch("null"))
    for admitted in (found.spread, found.other_scheme):
        if admitted is not None:
            assert compiled.fullmatch(admitted), admitted
    if found.other_scheme is not None:
        assert not found.other_scheme.startswith(("http://", "https://"))


#: Branches that can never be part of a host a browser sends: they start with a dot, hold an
#: empty label, or put a name character inside brackets.
DEAD_BRANCHES = [
    r"\.[a-z]{1,8}",
    r"\.\.[a-z0-9]+",
    r"\.[a-z]+\.[a-z]{2,6}",
    r"\.(?:[a-z]|[0-9]){1,6}",
    r"\.[a-z0-9-]{1,8}\.\.",
]
#: Branches that admit sites nobody spelled out.
PERMISSIVE_BRANCHES = [r"app[a-z0-9-]*", r"z[a-z]+q", r"[a-z]{2}", r"evil(?:[0-9]+)?x*"]


@pytest.mark.parametrize("dead", DEAD_BRANCHES)
@pytest.mark.parametrize("copies", [1, 8, 40])
@pytest.mark.parametrize("permissive", PERMISSIVE_BRANCHES)
def test_a_problem_found_is_never_lost_behind_dead_branches(
    dead: str, copies: int, permissive: str
) -> None:
    body = "https://(" + "|".join([dead] * copies + [permissive]) + r")\.com"
    found = regex.language(body, _one_site)
    assert found.too_complex or found.spread is not None, body
    if found.spread is not None:
        assert re.compile(render(body, "python")).fullmatch(found.spread)


@pytest.mark.parametrize("dead", DEAD_BRANCHES)
def test_dead_branches_are_not_problems(dead: str) -> None:
    found = regex.language(rf"https://(?:{dead}|app|www)\.example\.com", _one_site)
    assert (found.spread, found.too_complex, found.named) == (None, False, ("example.com",))


@pytest.mark.parametrize("count", [8, 9, 40])
@pytest.mark.parametrize("permissive", PERMISSIVE_BRANCHES)
def test_many_long_literal_branches_do_not_hide_a_permissive_one(
    count: int, permissive: str
) -> None:
    literals = [f"b{index:02d}" * 40 for index in range(count)]
    for branches in ([*literals, permissive], [permissive, *literals]):
        body = "https://(" + "|".join(branches) + r")\.com"
        if validate(body):
            continue  # too large to judge at all: refused, which is closed too
        found = regex.language(body, _one_site)
        assert found.too_complex or found.spread is not None, body


@given(
    st.lists(st.sampled_from([*DEAD_BRANCHES, r"[a-z]{300}", r"ok"]), max_size=50),
    st.sampled_from(PERMISSIVE_BRANCHES),
    st.integers(min_value=0, max_value=50),
)
@settings(max_examples=60, deadline=None)
def test_problems_never_overflow_into_ok(others: list[str], permissive: str, at: int) -> None:
    branches = list(others)
    branches.insert(min(at, len(branches)), permissive)
    body = "https://(?:" + "|".join(branches) + r")\.com"
    if validate(body):
        return
    found = regex.language(body, _one_site)
    assert found.too_complex or found.spread is not None, body


def test_an_unexplained_problem_fails_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    # When no example can be built through a problem, the verdict is too complex, not ok.
    monkeypatch.setattr(sites, "_spread_example", lambda walk, hosts, confused: None)
    found = regex.language(r"https://app[a-z]*\.com", _one_site)
    assert found.too_complex and found.spread is None
    found = regex.language(r"https://app\.example\.com", _one_site)
    assert not found.too_complex
