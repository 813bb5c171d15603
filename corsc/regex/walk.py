"""A regex's automaton run as a machine over the Origins a browser can send.

Forward, over whole origins: whether the regex matches ``null``, an origin with another scheme
than http(s) (found breadth first over the automaton and the shape of an origin), where hosts
start and where they may end, and a port an origin needs. The walk backward over hosts
(:mod:`corsc.regex.sites`) runs on the same machine and shares its budgets.
"""

from __future__ import annotations

import string
from collections.abc import Callable

from corsc.regex.automaton import Automaton
from corsc.regex.search import read_back
from corsc.regex.syntax import clean_tree
from corsc.regex.tree import DIGITS

_SCHEME_START = frozenset(string.ascii_lowercase)
_SCHEME_CHARS = frozenset(string.ascii_lowercase + string.digits + "+.-")
#: What a label of a host name, and a bracketed address, are made of.
LABEL_CHARS = frozenset(string.ascii_lowercase + string.digits + "-_")
IPV6_CHARS = frozenset("0123456789abcdef:.")
#: The characters tried when a walk builds an example, in the order preferred.
WALK_ORDER = string.ascii_lowercase + string.digits + "-_.:/[]+"
_PORT_DIGITS = "1234567890"
#: Steps (or states kept) of one walk over a regex before it gives up.
MAX_WALK = 20_000
#: Steps of all walks over one regex (positions looked at) before it is too complex to judge.
_MAX_WORK = 3_000_000
#: The state before the first character: no position has read anything yet.
START = -1


class TooLarge(Exception):
    """A walk ran past its budget: nothing is known of the regex's language."""


class Walk:
    """The regex's position automaton as a machine to run: forward over whole origins, and
    backward, from the end of the host towards its start, over hosts."""

    def __init__(self, body: str, one_site: Callable[[str], bool]) -> None:
        self.automaton = Automaton(clean_tree(body))
        self.one_site = one_site
        automaton = self.automaton
        self.chars = automaton.chars
        count = len(automaton.leaves)
        self.successors: list[list[int]] = [[] for _ in range(count)]
        self.predecessors: list[list[int]] = [[] for _ in range(count)]
        for p, q in automaton.edges:
            self.successors[p].append(q)
            self.predecessors[q].append(p)
        self.first = sorted(automaton.root.first)
        self.final = frozenset(automaton.root.last)
        self.work = 0

    def spend(self, amount: int) -> None:
        """Count the work of the walks; past the budget the regex is too complex to judge."""
        self.work += amount
        if self.work > _MAX_WORK:
            raise TooLarge

    def bound(self, size: int) -> None:
        """A walk has taken ``size`` steps (or holds that many states); past
        :data:`MAX_WALK` the regex is too complex to judge."""
        if size > MAX_WALK:
            raise TooLarge

    def step(self, states: frozenset[int], char: str) -> frozenset[int]:
        """The positions ``states`` lead to by reading ``char``."""
        found: set[int] = set()
        for p in states:
            for q in self.first if p == START else self.successors[p]:
                if char in self.chars[q]:
                    found.add(q)
        return frozenset(found)

    def run(self, text: str, states: frozenset[int] = frozenset({START})) -> frozenset[int]:
        """The positions ``states`` (by default the start) lead to by reading ``text``."""
        for char in text:
            states = self.step(states, char)
        return states

    def accepts(self, states: frozenset[int]) -> bool:
        """Whether a match may end at ``states``."""
        return bool(states & self.final) or (START in states and self.automaton.root.nullable > 0)

    def origin_with_host(self, host: str) -> str | None:
        """An origin the regex admits with this host: http(s), and a port when it needs one."""
        for scheme in ("https", "http"):
            states = self.run(f"{scheme}://{host}")
            if self.accepts(states):
                return f"{scheme}://{host}"
            port = self.port_after(states)
            if port is not None:
                return f"{scheme}://{host}:{port}"
        return None

    def port_after(self, states: frozenset[int]) -> str | None:
        """The shortest port (up to five digits) the regex admits after ``states``."""
        level = {"": self.step(states, ":")}
        for _ in range(5):
            following: dict[str, frozenset[int]] = {}
            for digits, current in level.items():
                for digit in _PORT_DIGITS:
                    reached = self.step(current, digit)
                    if reached and reached not in following.values():
                        if self.accepts(reached):
                            return digits + digit
                        following[digits + digit] = reached
            level = following
        return None

    # -- forward: null, schemes, where hosts start ------------------------------------------

    def schemes(self) -> tuple[str | None, frozenset[int]]:
        """An origin with another scheme than http(s), and the positions right after
        ``http://`` or ``https://``."""
        return self.other_scheme(), self.run("https://") | self.run("http://")

    def other_scheme(self) -> str | None:
        """Breadth first over (position, shape of the origin so far), shortest first."""
        start = (START, "scheme", "")
        parents: dict[tuple[int, str, str], tuple[tuple[int, str, str], str] | None] = {start: None}
        queue = [start]
        for state in queue:
            position, phase, data = state
            if phase in ("label", "v6-end", "port") and data == "other" and position in self.final:
                return read_back(parents, state)
            targets = self.first if position == START else self.successors[position]
            self.spend(len(targets))
            for q in targets:
                for char in WALK_ORDER:
                    if char not in self.chars[q]:
                        continue
                    shape = _origin_shape(phase, data, char)
                    if shape is None:
                        continue
                    following = (q, *shape)
                    if following not in parents:
                        parents[following] = (state, char)
                        queue.append(following)
            self.bound(len(parents))
        return None

    def exits(self) -> frozenset[int]:
        """Positions where a host may end: the regex ends there, or goes on with a port."""
        digits: set[int] = set()
        changed = True
        while changed:
            changed = False
            for q, chars in enumerate(self.chars):
                if (
                    q not in digits
                    and chars & DIGITS
                    and (q in self.final or any(r in digits for r in self.successors[q]))
                ):
                    digits.add(q)
                    changed = True
        exits = set(self.final)
        for q in range(len(self.chars)):
            for r in self.successors[q]:
                if ":" in self.chars[r] and any(t in digits for t in self.successors[r]):
                    exits.add(q)
        return frozenset(exits)


def _origin_shape(phase: str, data: str, char: str) -> tuple[str, str] | None:
    """The shape of an origin after one more character: a small automaton for
    ``scheme://host[:port]`` that remembers whether the scheme is http(s) or ``other``."""
    if phase == "scheme":
        if char == ":" and data:
            return "colon", data if data in ("http", "https") else "other"
        if char in (_SCHEME_CHARS if data else _SCHEME_START):
            # Only whether it is still on its way to `http` or `https` matters.
            return "scheme", data + char if "https".startswith(data + char) else "other"
        return None
    transitions = {
        "colon": {"/": "slash"},
        "slash": {"/": "host"},
    }
    if phase in transitions:
        following = transitions[phase].get(char)
        return None if following is None else (following, data)
    if phase in ("host", "dot"):
        if char in LABEL_CHARS:
            return "label", data
        return ("v6", data) if char == "[" and phase == "host" else None
    if phase == "label":
        if char in LABEL_CHARS:
            return "label", data
        return {".": ("dot", data), ":": ("colon-port", data)}.get(char)
    if phase == "v6":
        if char in IPV6_CHARS:
            return "v6", data
        return ("v6-end", data) if char == "]" else None
    if phase == "v6-end":
        return ("colon-port", data) if char == ":" else None
    if phase in ("colon-port", "port"):
        return ("port", data) if char in DIGITS else None
    return None
