"""The language of a regex: which Origins a browser can send it admits, as far as a policy
cares (:func:`language`).

On the regex's automaton (:mod:`corsc.regex.walk`): whether it matches ``null``, an origin
with another scheme than http(s), and whether its hosts are a finite set of sites and their
subdomains. Hosts are read from their end towards their start (a subset construction over the
reversed automaton, one character at a time), and the caller says which names are sites, so
the package still needs nothing but the standard library.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias

from corsc.regex.walk import IPV6_CHARS, LABEL_CHARS, WALK_ORDER, TooLarge, Walk

#: Named sites the walk over hosts lists before it stops spelling them out.
_MAX_NAMED = 64
#: Places where the hosts may stop being spelled out, kept to find an example through one;
#: past them the regex is judged too complex unless an example is found.
_MAX_PROBLEMS = 32
_MAX_HOST = 253


@dataclass(frozen=True, slots=True)
class Language:
    """What a regex admits among the Origins a browser can send (``null``, or
    ``scheme://host[:port]`` with a lowercase host and a decimal port).

    ``null``: it matches ``null``. ``other_scheme``: an origin it admits whose scheme is not
    http or https. ``spread``: an http(s) origin it admits outside the sites it spells out
    (``named``), when its hosts are not a finite set of those sites and their subdomains.
    ``too_complex``: the walk over its hosts ran out of budget, and nothing is known.
    """

    null: bool
    other_scheme: str | None
    spread: str | None
    named: tuple[str, ...]
    too_complex: bool


#: How a host goes on after each part of it, by the character read: a label never starts
#: with a dot nor is empty, and a bracketed address ends with ``]``. Positions only reachable
#: against this shape (``\\.[a-z]{1,8}`` right after ``https://``) can never read part of a
#: host a browser sends, and the walk leaves them out.
_HOST_STEPS: dict[str, tuple[tuple[frozenset[str], str], ...]] = {
    "host": ((LABEL_CHARS, "label"), (frozenset("["), "address")),
    "label": ((LABEL_CHARS, "label"), (frozenset("."), "dot")),
    "dot": ((LABEL_CHARS, "label"),),
    "address": ((IPV6_CHARS, "address"), (frozenset("]"), "address-end")),
    "address-end": (),
}

#: A node of the walk over hosts: the positions from which ``suffix`` leads to where a host
#: ends, the suffix (the end of a host, read so far), and which positions read each of its
#: characters.
_HostNode: TypeAlias = tuple[frozenset[int], str, tuple[frozenset[int], ...]]


class _HostWalk:
    """Hosts read from their end towards their start (see :func:`language`)."""

    def __init__(self, walk: Walk, entry: frozenset[int]) -> None:
        self.walk = walk
        self.entry = entry
        # Positions on some path from the start of a host, reading a name or a bracketed
        # address: the only ones worth walking back to; and those where such a host can end.
        reached = {(p, "host") for p in entry}
        stack = list(reached)
        while stack:
            p, mode = stack.pop()
            for q in walk.successors[p]:
                for chars, following in _HOST_STEPS[mode]:
                    if walk.chars[q] & chars and (q, following) not in reached:
                        reached.add((q, following))
                        stack.append((q, following))
        self.useful = frozenset(p for p, _ in reached)
        self.ends = frozenset(p for p, mode in reached if mode in ("label", "dot", "address-end"))
        #: Sites (and single hosts that belong to no site) the regex spells out, as found.
        self.named: dict[str, None] = {}
        #: Where a site was found: a node from which hosts of it are read.
        self.found_at: dict[str, _HostNode] = {}
        #: For each position, whether it read part of a site's own label or of its suffix.
        self.roles: dict[int, dict[str, str]] = {}
        #: Nodes past which the hosts may not be spelled out, each with the position that reads
        #: several characters there (``None`` for a loop, an over-long host, too many names).
        #: Only an admitted host through one of them makes it a real finding.
        self.problems: list[tuple[_HostNode, int | None]] = []
        #: Whether more problems were found than are kept: then one is always real.
        self.overflow = False
        self.steps = 0

    def back(self, node: _HostNode, char: str, only: int | None = None) -> _HostNode | None:
        """The node for ``char`` read before the suffix (by ``only``, when given)."""
        states, suffix, readers = node
        self.walk.spend(len(states))
        reading = frozenset(q for q in states if char in self.walk.chars[q] and only in (None, q))
        before = frozenset(
            p for q in reading for p in self.walk.predecessors[q] if p in self.useful
        )
        if not before:
            return None
        return before, char + suffix, (reading, *readers)

    def tick(self) -> None:
        """Count one step of the walk over hosts (:meth:`Walk.bound`)."""
        self.steps += 1
        self.walk.bound(self.steps)

    def run(self, exits: frozenset[int]) -> None:
        """Depth first from where hosts end. A branch stops where the suffix becomes a site
        all of whose hosts are one site (:func:`language`), or where it stops being spelled
        out: a position that reads several label characters, the same positions again before
        a site is complete (a loop), an over-long host, too many sites."""
        stack: list[tuple[_HostNode, frozenset[frozenset[int]]]] = [((exits, "", ()), frozenset())]
        while stack:
            self.tick()
            node, path = stack.pop()
            states, suffix, _ = node
            if states in path or len(suffix) > _MAX_HOST or len(self.named) > _MAX_NAMED:
                self.problem(node, None)
                continue
            path = path | {states}
            address = suffix.endswith("]")
            if states & self.entry and _host_shaped(suffix):
                self.complete(node)
            if address and suffix.startswith("["):
                continue
            alphabet = _alphabet(suffix) | ({"]"} if not suffix else set())
            wide = self.wide_positions(node, IPV6_CHARS if address else LABEL_CHARS)
            for q in wide:
                self.problem(node, q)
            node = (states - frozenset(wide), suffix, node[2])
            for char in reversed(WALK_ORDER):
                if char not in alphabet:
                    continue
                following = self.back(node, char)
                if following is None:
                    continue
                if char == "." and suffix:  # (first, a host's trailing dot: the same host)
                    if not _host_shaped(suffix):
                        continue
                    if self.walk.one_site(_name(suffix)):
                        self.settle(node, following)
                        continue
                stack.append((following, path))

    def problem(self, node: _HostNode, wide: int | None) -> None:
        """Keep a place where the hosts stop being spelled out (up to :data:`_MAX_PROBLEMS`)."""
        if len(self.problems) < _MAX_PROBLEMS:
            self.problems.append((node, wide))
        else:
            self.overflow = True

    def wide_positions(self, node: _HostNode, chars: frozenset[str]) -> list[int]:
        """The positions of the node that read more than one of ``chars`` (a class, ``.``)
        and can be reached from the start of a host. The walk goes on without them, so that
        the sites the rest names are known."""
        return [
            q
            for q in sorted(node[0])
            if len(self.walk.chars[q] & chars) > 1
            and any(p in self.useful for p in self.walk.predecessors[q])
        ]

    def complete(self, node: _HostNode) -> None:
        """The suffix of ``node`` is a whole host: record it, or its site."""
        host = _name(node[1])
        if self.walk.one_site(host):
            self.settle(node, node)
        else:
            self.named.setdefault(host, None)
            self.found_at.setdefault(host, node)

    def settle(self, node: _HostNode, continued: _HostNode) -> None:
        """The suffix of ``node`` is a site: record it, and the role of each position that
        read it (its own label, or its public suffix)."""
        site = _name(node[1])
        self.named.setdefault(site, None)
        self.found_at.setdefault(site, continued)
        label_end = site.find(".")
        for index, positions in enumerate(node[2][: len(site)]):
            if site[index] != ".":
                role = "label" if index < label_end else "suffix"
                for position in positions:
                    self.roles.setdefault(position, {}).setdefault(role, site)

    def confused_site(self) -> str | None:
        """A site whose own label was read by positions that, for another site, read a
        public suffix: ``example\\.(com|co)(\\.uk)?`` names ``example.com`` and so admits
        ``example.com.uk``, a host of the site ``com.uk``."""
        for roles in self.roles.values():
            if len(roles) > 1:
                return roles["label"]
        return None

    def shortest_host(self, node: _HostNode) -> str | None:
        """The shortest host ending with the node's suffix, read back to where hosts start."""
        queue = [node]
        seen: set[tuple[frozenset[int], bool]] = set()
        for current in queue:
            self.tick()
            states, suffix, _ = current
            if states & self.entry and _host_shaped(suffix):
                return suffix
            alphabet = _alphabet(suffix)
            for char in WALK_ORDER:
                if char not in alphabet:
                    continue
                if char == "." and suffix and not _host_shaped(suffix):
                    continue
                following = self.back(current, char)
                if following is None or len(following[1]) > _MAX_HOST:
                    continue
                key = (following[0], following[1].startswith("."))
                if key not in seen:
                    seen.add(key)
                    queue.append(following)
        return None


def _alphabet(suffix: str) -> frozenset[str]:
    """What may come before the suffix in a host: inside ``[…]`` an address, else a name."""
    return IPV6_CHARS | {"["} if suffix.endswith("]") else LABEL_CHARS | {"."}


def _host_shaped(suffix: str) -> bool:
    """Whether the suffix could be a whole host: a name without an empty label (but for a
    trailing dot, which browsers keep), or a bracketed address."""
    if suffix.endswith("]"):
        return suffix.startswith("[")
    name = _name(suffix)
    return bool(name) and not name.startswith(".") and not name.endswith(".")


def _name(host: str) -> str:
    """A host without its trailing dot: ``example.com.`` is a host of the site
    ``example.com``."""
    return host[:-1] if host.endswith(".") else host


def language(body: str, one_site: Callable[[str], bool]) -> Language:
    """Which Origins a browser can send the regex admits, as far as a policy cares.

    ``one_site(name)`` tells whether ``name`` is a registrable domain under which every host
    belongs to that one site (the caller applies the public suffix list). Hosts are walked
    from their end towards their start: a branch is spelled out while each character comes
    from a position that reads that one character; once the suffix read so far is a site and
    a label boundary follows, everything further left is a subdomain of it. A class, ``.``, a
    loop or a long list of names before that point admits other sites, and so does a regex
    that uses the same characters once as a public suffix and once as a site's own label.
    Hosts of no site (IP addresses, single labels) must be spelled out completely.
    Raises ``ValueError`` for a body with ``invalid`` or ``unsupported`` syntax."""
    walk = Walk(body, one_site)
    null = walk.accepts(walk.run("null"))
    try:
        other, entry = walk.schemes()
        hosts = _HostWalk(walk, entry)
        hosts.run(walk.exits() & hosts.ends)
        confused = hosts.confused_site()
        spread = _spread_example(walk, hosts, confused)
    except TooLarge:
        return Language(null, None, None, (), True)
    if spread is None and (hosts.problems or hosts.overflow or confused is not None):
        # A place where the hosts stop being spelled out, but no example through it: fail
        # closed, as too complex to judge, never as admitting only the named sites.
        return Language(null, other, None, (), True)
    named = tuple(name for name in hosts.named if name != confused)
    return Language(null, other, spread, named, False)


def _spread_example(walk: Walk, hosts: _HostWalk, confused: str | None) -> str | None:
    """An origin the regex admits outside the sites it names, or ``None``: a telling one
    when the regex admits it, else the shortest host through where the walk found the hosts
    not spelled out, or through a confused site."""
    if not hosts.problems and confused is None:
        return None
    named = [name for name in hosts.named if name != confused]

    def outside(host: str) -> bool:
        labels = _name(host).split(".")
        for start in range(len(labels) - 1, -1, -1):
            candidate = ".".join(labels[start:])
            if walk.one_site(candidate):
                return candidate not in named
        return host not in named

    telling = ["a.com", "evil.com"]
    for name in named[:8]:
        telling += [f"evil{name}", f"{name}.evil.com", f"evil-{name}"]
    for host in telling:
        origin = walk.origin_with_host(host)
        if origin is not None and outside(host):
            return origin
    candidates: list[str] = []
    if confused is not None:
        candidates.append(hosts.shortest_host(hosts.found_at[confused]) or confused)
    for node, wide in hosts.problems:
        if wide is None:
            shortest = hosts.shortest_host(node)
            if shortest is not None:
                candidates.append(shortest)
        else:
            for char in sorted(walk.chars[wide] & (LABEL_CHARS | IPV6_CHARS), key=WALK_ORDER.index)[
                :3
            ]:
                following = hosts.back(node, char, wide)
                shortest = hosts.shortest_host(following) if following is not None else None
                if shortest is not None:
                    candidates.append(shortest)
    found = [(origin, host) for host in candidates if (origin := walk.origin_with_host(host))]
    preferred = [origin for origin, host in found if outside(host)]
    if preferred:
        return preferred[0]
    return found[0][0] if found else None
