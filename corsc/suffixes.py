"""The Public Suffix List, judged with all its rules: normal (``co.uk``), wildcard
(``*.nagoya.jp``: every label under ``nagoya.jp`` is a public suffix) and exception
(``!city.nagoya.jp``: that one is not), plus the implicit ``*`` rule for top-level domains the
list does not name, where a caller asks for it.

Every check that asks "do these hosts belong to one site" asks here: a wildcard origin's base,
a regex's hosts, the domain in a suggested pattern. A host is canonical (lowercase ASCII,
punycode); the list writes international rules in Unicode, so ``xn--`` labels are decoded
before a lookup.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from pathlib import Path


class _Rules:
    """The rules bundled with the ``publicsuffixlist`` package, as written there (one per
    line), kept as the file's UTF-8 bytes. A compile asks about a few hosts: those lookups
    search the bytes (UTF-8 never puts a newline byte inside a character, so a rule between two
    newlines is found exactly), which costs less than decoding the file, let alone reading ten
    thousand rules into a set; past a few dozen lookups the set is built once. (The package's
    own parser costs more than the rest of a compile.)"""

    _LOOKUPS_BEFORE_A_SET = 64

    def __init__(self, data: bytes) -> None:
        self._data = b"\n" + data.replace(b"\r", b"") + b"\n"
        self._lookups = 0
        self._rules: frozenset[str] | None = None
        self._top_level: frozenset[str] | None = None
        self._below_lookups = 0
        self._below: dict[str, str] | None = None

    def __contains__(self, rule: str) -> bool:
        if self._rules is None:
            self._lookups += 1
            if self._lookups <= self._LOOKUPS_BEFORE_A_SET:
                return _utf8(f"\n{rule}\n") in self._data
            self._rules = frozenset(re.findall(r"^[^/\s]\S*", self._text(), re.MULTILINE))
        return rule in self._rules

    def knows_top_level_domain(self, label: str) -> bool:
        """Whether some rule ends in ``label``."""
        if self._rules is None:
            return _utf8(f"\n{label}\n") in self._data or _utf8(f".{label}\n") in self._data
        if self._top_level is None:
            self._top_level = frozenset(rule.rsplit(".", 1)[-1] for rule in self._rules)
        return label in self._top_level

    def first_below(self, name: str) -> str | None:
        """The first normal or wildcard rule, as written, for a name strictly under ``name``
        (``*.name`` included). Exception rules never stand alone: each carves one name out of
        a wildcard, which is found instead. Like rule lookups, a few search the bytes and
        many build an index of every name with a rule below it."""
        if self._below is None:
            self._below_lookups += 1
            if self._below_lookups > self._LOOKUPS_BEFORE_A_SET:
                self._below = self._index_below()
        if self._below is not None:
            return self._below.get(name)
        needle = _utf8(f".{name}\n")
        index = self._data.find(needle)
        while index != -1:
            start = self._data.rfind(b"\n", 0, index) + 1
            line = self._data[start : index + len(needle) - 1]
            if not line.startswith((b"//", b"!")) and b" " not in line:
                return line.decode()
            index = self._data.find(needle, index + 1)
        return None

    def _text(self) -> str:
        return self._data.decode("utf-8")

    def _index_below(self) -> dict[str, str]:
        below: dict[str, str] = {}
        for rule in re.findall(r"^[^/\s!]\S*", self._text(), re.MULTILINE):
            labels = rule.split(".")
            for start in range(1, len(labels)):
                below.setdefault(".".join(labels[start:]), rule)
        return below


def _utf8(text: str) -> bytes:
    # A label decoded from punycode may hold a lone surrogate, which no rule in the (valid
    # UTF-8) file contains: encoded as is, it simply matches nothing.
    return text.encode("utf-8", "surrogatepass")


def list_file() -> Path:
    """Where the ``publicsuffixlist`` package keeps the list (its ``PSLFILE``), found without
    running the package, whose import costs more than the few lookups a compile makes."""
    spec = importlib.util.find_spec("publicsuffixlist")
    for directory in (spec.submodule_search_locations or []) if spec is not None else []:
        candidate = Path(directory) / "public_suffix_list.dat"
        if candidate.is_file():
            return candidate
    from publicsuffixlist import PSLFILE  # a package laid out otherwise says where

    return Path(PSLFILE)


@functools.cache
def rules() -> _Rules:
    return _Rules(list_file().read_bytes())


def public_suffix(host: str, *, default_rule: bool = False) -> str | None:
    """The longest public suffix of ``host`` by the list's algorithm (the prevailing rule;
    exception rules first). Where no rule matches, the last label when ``default_rule`` is
    set or the list knows that top-level domain, else ``None``."""
    known = rules()
    labels = unicode_host(host).split(".")
    for start in range(len(labels)):
        candidate = ".".join(labels[start:])
        if "!" + candidate in known:
            return ".".join(host.split(".")[start + 1 :])
        if candidate in known or "*." + ".".join(labels[start + 1 :]) in known:
            return ".".join(host.split(".")[start:])
    if default_rule or known.knows_top_level_domain(labels[-1]):
        return host.rsplit(".", 1)[-1]
    return None


def is_public_suffix(host: str, *, default_rule: bool = False) -> bool:
    return public_suffix(host, default_rule=default_rule) == host


def registrable_domain(host: str, *, default_rule: bool = False) -> str | None:
    """The public suffix plus one label (``example.co.uk``), or ``None``."""
    suffix = public_suffix(host, default_rule=default_rule)
    if suffix is None or suffix == host:
        return None
    return ".".join(host.split(".")[-(suffix.count(".") + 2) :])


def rule_below(name: str) -> str | None:
    """A rule of the list that makes some host strictly under ``name`` a public suffix (a
    normal rule below it, or a wildcard at or below it), as written; ``None`` when every host
    under ``name`` belongs to the same site as ``name``'s registrable domain."""
    return rules().first_below(unicode_host(name))


def is_one_site(name: str) -> bool:
    """Whether ``name`` is a registrable domain (by the full rules, unknown top-level domains
    by the implicit ``*`` rule) under which no host is a public suffix: then ``name`` and every
    host under it are one site, whoever writes the labels to its left."""
    return registrable_domain(name, default_rule=True) == name and rule_below(name) is None


def unicode_host(host: str) -> str:
    """A canonical (punycode) host with its ``xn--`` labels decoded, as the list writes them."""
    if "xn--" not in host:
        return host
    return ".".join(_unicode_label(label) for label in host.split("."))


def _unicode_label(label: str) -> str:
    if not label.startswith("xn--"):
        return label
    try:  # plain punycode: the IDNA 2003 codec refuses what UTS #46 allows (`faß`)
        return label[4:].encode("ascii").decode("punycode")
    except UnicodeError:
        return label
