"""Regex engines for the tests and benchmarks: each dialect corsc renders, run where it runs.

- Python's ``re``, for all four renderings. The bodies are identical by construction, so only
  the anchors need emulating, explicitly (:func:`as_python`): PCRE's and .NET's ``^`` (no
  multiline) is Python's ``^``, their ``\\z`` is Python's ``\\Z``; ECMAScript's ``$`` (no ``m``
  flag) is the very end, which is Python's ``\\Z`` (Python's own ``$`` would also match before a
  final newline, so it is *not* kept).
- Node.js for the ECMAScript rendering, with and without the ``u`` flag (:func:`run_node`): one
  process for a batch of pairs, fed as JSON.
- Real PCRE2 through ``grep -Pz`` (:func:`run_pcre`; records separated by NUL, so an origin may
  end with a newline): one process per regex. .NET has no engine here; its rendering is the PCRE
  rendering character for character, and .NET reads ``^``, ``\\z``, ``(?:``, ``[…]`` and
  ``\\xHH`` as PCRE does.
- A backtracking matcher over corsc's own regex tree that counts the characters it compares
  (:class:`Backtracker`), so how much work a match takes is measured exactly, independent of the
  machine.

A missing engine skips the test that needs it. What the engines are fed lives here too: the
attack texts of the super-linear and linear regexes (counted by the tests, timed by
bench/bench_redos.py), and the bodies the property tests draw.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable, Iterable

import pytest
from hypothesis import strategies as st

from corsc.regex import DIALECTS, PRINTABLE
from corsc.regex.syntax import parse
from corsc.regex.tree import Alt, AnyChar, CharClass, Group, Literal, Node, Repeat, Seq

NODE = shutil.which("node")
GREP = shutil.which("grep")


def as_python(rendered: str, dialect: str) -> str:
    """A rendering in ``dialect`` rewritten for Python's ``re`` (the module's docstring)."""
    opening, closing = DIALECTS[dialect]
    assert rendered.startswith(opening) and rendered.endswith(closing)
    body = rendered[len(opening) : len(rendered) - len(closing)]
    return r"\A(?:" + body + r")\Z"


def full_match(rendered: str, dialect: str, origin: str) -> bool:
    """Whether the rendering in ``dialect`` admits ``origin``, read by Python's ``re``."""
    return re.search(as_python(rendered, dialect), origin) is not None


NODE_SCRIPT = r"""
const cases = JSON.parse(require("fs").readFileSync(0, "utf8"));
const results = cases.map(([source, text]) => ["", "u"].map((flags) => {
  try { return new RegExp(source, flags).test(text); } catch (error) { return String(error); }
}));
process.stdout.write(JSON.stringify(results));
"""


def run_node(pairs: list[tuple[str, str]]) -> dict[tuple[str, str], list[bool | str]]:
    """ECMAScript verdicts for (regex, text) pairs, without and with the ``u`` flag (a verdict
    is the error's text when the regex does not compile)."""
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
    """The texts real PCRE2 matches with ``rendered`` (``grep -Pz``, one process). An empty
    text cannot be tried: grep reads an empty input as no record at all."""
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


def attack(prefix: str, pump: str, suffix: str, copies: int) -> str:
    """An attack text: ``prefix``, ``copies`` times ``pump``, and a ``suffix`` that fails."""
    return prefix + pump * copies + suffix


#: (body, prefix, pump, suffix) of regexes corsc refuses as super-linear: the attack text
#: (:func:`attack`) fails, and matching it takes more than linear work in a backtracking engine,
#: growing with the text.
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
]
#: Like :data:`SUPER_LINEAR`, but the counts bound the text the regex can read to a few dozen
#: characters: the work is exponential in the counts, yet an attack text longer than that bound
#: fails at once, so the work stops growing with the text. Counted by the tests, not timed.
BOUNDED_SUPER_LINEAR = [
    (r"[a-z]{1,8}[a-z]{1,8}[a-z]{1,8}[a-z]{1,8}[a-z]{1,8}[a-z]{1,8}", "", "a", "!"),
    (r"(?:(?:[a-z]{1,2}){1,4}){1,4}", "", "a", "!"),
]

#: (body, prefix, pump, suffix) of common regexes corsc accepts: matching the attack text takes
#: linear work.
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
    (r"https://\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}", "https://1.1.1.", "1", "!"),
    (r"(?:[a-z]+\.)+x", "", "a", "!"),
]


class Backtracker:
    """A backtracking matcher over corsc's regex tree that tries alternatives in the order
    Python's engine does (greedy repetitions, options left to right, no empty iterations),
    counting the characters it compares. Counting instead of timing makes the test exact and
    independent of the machine."""

    def __init__(self, body: str, limit: int) -> None:
        root, issues = parse(body)
        assert root is not None and not issues
        self.root = root
        self.limit = limit
        self.steps = 0
        self.text = ""

    def fullmatch(self, text: str) -> bool:
        """Whether the body matches all of ``text``; false, with :attr:`steps` past the limit,
        when the limit is reached first."""
        self.steps = 0
        self.text = text
        try:
            return self.match(self.root, 0, lambda end: end == len(text))
        except OverflowError:  # past the limit: super-linear enough
            return False

    def match(self, node: Node, index: int, then: Callable[[int], bool]) -> bool:
        if isinstance(node, Literal | CharClass | AnyChar):
            self.steps += 1
            if self.steps > self.limit:
                raise OverflowError
            if isinstance(node, Literal):
                chars: frozenset[str] = frozenset(node.char)
            else:
                chars = node.chars if isinstance(node, CharClass) else PRINTABLE
            return index < len(self.text) and self.text[index] in chars and then(index + 1)
        if isinstance(node, Group):
            return self.match(node.body, index, then)
        if isinstance(node, Alt):
            return any(self.match(option, index, then) for option in node.options)
        if isinstance(node, Seq):
            return self.sequence(node.items, index, then)
        assert isinstance(node, Repeat)
        return self.repeat(node, 0, index, then)

    def sequence(self, items: tuple[Node, ...], index: int, then: Callable[[int], bool]) -> bool:
        if not items:
            return then(index)
        return self.match(items[0], index, lambda end: self.sequence(items[1:], end, then))

    def repeat(self, node: Repeat, done: int, index: int, then: Callable[[int], bool]) -> bool:
        if (node.max is None or done < node.max) and self.match(
            node.body, index, lambda end: end != index and self.repeat(node, done + 1, end, then)
        ):
            return True
        return done >= node.min and then(index)


def backtrack_steps(body: str, text: str, limit: int) -> int:
    """The characters :class:`Backtracker` compares before it finds that ``body`` does not
    match ``text`` (past ``limit``, ``limit + 1``)."""
    matcher = Backtracker(body, limit)
    assert not matcher.fullmatch(text)
    return matcher.steps


_REGEXISH = [*"ab.-:/\\[]^$()|?*+{},0123dxw", "\\.", "[a-z]", "\\d", "(?:", "é"]
_ATOMS = st.sampled_from(["a", "b", "x", "\\.", "-", ":", "/", ".", "\\d", "[a-c]", "[^a]", "[.-]"])


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
    st.recursive(_ATOMS, _compound, max_leaves=8),
    st.lists(st.sampled_from(_REGEXISH), max_size=14).map("".join),
)
