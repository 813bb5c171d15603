"""Samples and look-alike probes: strings a regex matches, built from its tree, and the origins a
careless regex admits by mistake (for the checks that a ``deny`` or a regex means what it says).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeAlias

from corsc.regex.automaton import Automaton
from corsc.regex.dots import unescaped_dots
from corsc.regex.emit import render
from corsc.regex.search import preferred
from corsc.regex.syntax import clean_tree
from corsc.regex.tree import Alt, AnyChar, CharClass, Group, Literal, Node, Seq

#: A string the regex matches, built along one path through the tree, each character marked
#: true when the regex spells it out (a literal, or a dot meant as one).
_Sample: TypeAlias = tuple[tuple[str, bool], ...]

_MAX_SAMPLES = 12


def _samples(node: Node, dots: frozenset[AnyChar]) -> list[_Sample]:
    """Strings along a few paths: the first path takes every first choice (optional parts
    left out), and each further one changes a single choice."""
    if isinstance(node, Literal):
        return [((node.char, True),)]
    if isinstance(node, AnyChar):
        return [((".", True),)] if node in dots else [(("a", False),)]
    if isinstance(node, CharClass):
        return [((preferred(node.chars), False),)]
    if isinstance(node, Group):
        return _samples(node.body, dots)
    if isinstance(node, Alt):
        return _first_few(sample for option in node.options for sample in _samples(option, dots))
    if isinstance(node, Seq):
        choices = [_samples(item, dots) for item in node.items]
        defaults = [options[0] for options in choices]
        results = [_joined(defaults)]
        for index, options in enumerate(choices):
            for option in options[1:]:
                results.append(_joined([*defaults[:index], option, *defaults[index + 1 :]]))
        return _first_few(results)
    if node.max == 0:
        return [()]
    body = _samples(node.body, dots)
    repeated = [sample * max(node.min, 1) for sample in body]
    return _first_few([(), *repeated] if node.min == 0 else repeated)


def _joined(parts: Sequence[_Sample]) -> _Sample:
    """The samples one after the other, as one."""
    return tuple(pair for part in parts for pair in part)


def _first_few(samples: Iterable[_Sample]) -> list[_Sample]:
    """The distinct samples in order, at most four times :data:`_MAX_SAMPLES`."""
    unique: dict[_Sample, None] = {}
    for sample in samples:
        unique.setdefault(sample, None)
        if len(unique) == 4 * _MAX_SAMPLES:
            break
    return list(unique)


def _matching_samples(body: str) -> list[_Sample]:
    """Up to :data:`_MAX_SAMPLES` samples of ``body``, each checked to match it."""
    root = clean_tree(body)
    dots = frozenset(unescaped_dots(Automaton(root)))
    compiled = re.compile(render(body, "python"))
    # Every path through the tree is in the language; the check guards this module's own
    # logic, since a sample that does not match would defeat a deny-coverage test.
    found = [
        sample
        for sample in _samples(root, dots)
        if compiled.fullmatch("".join(char for char, _ in sample))
    ]
    return found[:_MAX_SAMPLES]


def sample_origins(body: str) -> list[str]:
    """A few distinct strings the regex matches: those shaped like origins a browser sends
    when there are any (``https://a.example.com`` for ``https://[a-z]+\\.example\\.com``),
    else whatever it matches. Raises ``ValueError`` for a body with ``invalid`` or
    ``unsupported`` syntax."""
    texts = ["".join(char for char, _ in sample) for sample in _matching_samples(body)]
    origins = [text for text in texts if _ORIGIN.fullmatch(text)]
    return origins or texts


@dataclass(frozen=True, slots=True)
class _SampleOrigin:
    """A sample shaped like an origin, with what of it the regex spells out."""

    scheme: str
    host: str
    #: Which characters of ``host`` the regex spells out.
    host_literal: tuple[bool, ...]
    port: str | None
    port_literal: bool

    def origin(self, scheme: str | None = None, host: str | None = None, port: str = "=") -> str:
        """The origin with ``scheme``, ``host`` or ``port`` changed (``"="``: the same port)."""
        port_text = self.port if port == "=" else port
        suffix = f":{port_text}" if port_text is not None else ""
        return f"{scheme or self.scheme}://{host or self.host}{suffix}"


#: What a browser could send: lowercase scheme and host name, or an IPv6 address, and a port.
_ORIGIN = re.compile(
    r"(https?)://(\[[0-9a-f:.]+\]|[a-z0-9_-]+(?:\.[a-z0-9_-]+)*)(?::([0-9]+))?", re.ASCII
)


def _as_origin(sample: _Sample) -> _SampleOrigin | None:
    """The sample read as an origin a browser could send, or ``None``."""
    match = _ORIGIN.fullmatch("".join(char for char, _ in sample))
    if match is None:
        return None
    flags = tuple(literal for _, literal in sample)
    return _SampleOrigin(
        match.group(1),
        match.group(2),
        flags[match.start(2) : match.end(2)],
        match.group(3),
        all(flags[match.end(2) :]),
    )


def look_alike_probes(body: str) -> list[tuple[str, str]]:
    """Origins a careless regex admits by mistake, each with a description for a message.

    From each sample origin (:func:`sample_origins`) that has a host: the host with
    ``.evil.test`` appended; ``evil`` put before the host's literal ending (``example.com`` for
    ``[a-z]+\\.example\\.com``); each literal dot of the host replaced by a letter; the
    ``http://`` twin of an ``https://`` origin; a port the regex does not name. A scheme or
    port the regex spells out as a choice is deliberate and not probed: no ``http://`` twins
    when two samples differ only in scheme (``https?://``), no port probes when two samples
    differ only in port (``(:\\d+)?``) or a port is made of classes (``:\\d{4}``).
    Test each probe with the Python rendering: a probe that matches is a look-alike the regex
    admits. Raises ``ValueError`` like :func:`render`.
    """
    samples = _matching_samples(body)
    origins = [origin for origin in map(_as_origin, samples) if origin is not None]
    known = {"".join(char for char, _ in sample) for sample in samples}
    probes: dict[str, str] = {}

    def add(origin: str, description: str) -> None:
        if origin not in known:
            probes.setdefault(origin, description)

    schemes_chosen = _differ_only_in(origins, "scheme")
    ports_chosen = _differ_only_in(origins, "port") or not all(
        origin.port_literal for origin in origins
    )
    for sample in origins:
        host = sample.host
        # An IP address has no look-alike names.
        if not host.startswith("[") and not host.rpartition(".")[2].isdigit():
            _host_probes(sample, add)
        if sample.scheme == "https" and not schemes_chosen:
            add(sample.origin(scheme="http"), "`http://` instead of `https://`")
        if not ports_chosen:
            port = "8444" if sample.port == "8443" else "8443"
            add(sample.origin(port=port), f"a port the regex does not name (`:{port}`)")
    return list(probes.items())


def _differ_only_in(origins: Sequence[_SampleOrigin], field: str) -> bool:
    """Whether two of ``origins`` are the same but for ``field`` (``scheme`` or ``port``)."""
    rest = [name for name in ("scheme", "host", "port") if name != field]
    seen: dict[tuple[str | None, ...], str | None] = {}
    for origin in origins:
        key = tuple(getattr(origin, name) for name in rest)
        value = getattr(origin, field)
        if seen.setdefault(key, value) != value:
            return True
    return False


def _host_probes(sample: _SampleOrigin, add: Callable[[str, str], None]) -> None:
    """The probes that change the host: a suffix appended, a prefix put before the literal
    ending, each literal dot replaced by a letter."""
    host = sample.host
    add(sample.origin(host=host + ".evil.test"), "`.evil.test` appended to the host")
    ending = _literal_ending(sample)
    if ending:
        add(sample.origin(host="evil" + ending), f"`evil` put in front of `{ending}`")
    for index, char in enumerate(host):
        if char == "." and sample.host_literal[index]:
            label = host[:index].rpartition(".")[2]
            add(
                sample.origin(host=host[:index] + "x" + host[index + 1 :]),
                f"the `.` after `{label}` replaced by a letter",
            )


def _literal_ending(sample: _SampleOrigin) -> str:
    """The longest end of the host that the regex spells out, without a leading dot."""
    index = len(sample.host)
    while index and sample.host_literal[index - 1]:
        index -= 1
    return sample.host[index:].removeprefix(".")
