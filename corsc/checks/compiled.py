"""The ``regex`` patterns of a run, validated, compiled and judged once however often a `let`
repeats them, and the one-site test that judging them relies on.

Every family reads regexes through :class:`Regexes`: the regex checks, the deny analysis and
the block overlaps all match with the same compiled predicate, so a regex outside the portable
subset takes part in none of them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

from corsc import origin_regex, origins, suffixes
from corsc.ir import OriginPattern

if TYPE_CHECKING:
    from corsc import regex


class Regexes:
    """``regex`` bodies validated, compiled and judged once per run, however often a `let`
    repeats them."""

    def __init__(self) -> None:
        self._issues: dict[str, list[regex.RegexIssue]] = {}
        self._matchers: dict[str, Callable[[str], bool] | None] = {}
        self._languages: dict[str, regex.Language] = {}
        self._look_alikes: dict[str, list[tuple[str, str]]] = {}

    def issues(self, pattern: OriginPattern) -> list[regex.RegexIssue]:
        """What :func:`corsc.regex.validate` finds in the regex, unescaped dots included."""
        from corsc import regex  # slow to import; only regexes need it

        if pattern.regex not in self._issues:
            self._issues[pattern.regex] = regex.validate(pattern.regex)
        return self._issues[pattern.regex]

    def usable(self, pattern: OriginPattern) -> bool:
        """Whether the regex is inside the portable subset (it may still have unescaped
        dots): only then does matching with it mean anything."""
        return not any(issue.kind != "unescaped-dot" for issue in self.issues(pattern))

    def language(self, pattern: OriginPattern) -> regex.Language:
        """What a usable regex admits (:func:`corsc.regex.language`)."""
        from corsc import regex  # slow to import; only regexes need it

        if pattern.regex not in self._languages:
            self._languages[pattern.regex] = regex.language(pattern.regex, one_site)
        return self._languages[pattern.regex]

    def matcher(self, pattern: OriginPattern) -> Callable[[str], bool] | None:
        """A full-match predicate, or ``None`` for a regex that is invalid or outside the
        portable subset (reported as CORS111; matching with it would mean nothing)."""
        if pattern.regex not in self._matchers:
            usable = self.usable(pattern)
            self._matchers[pattern.regex] = origin_regex.matcher(pattern) if usable else None
        return self._matchers[pattern.regex]

    def look_alikes(self, pattern: OriginPattern) -> list[tuple[str, str]]:
        """The look-alike probes (:func:`corsc.regex.look_alike_probes`) a usable regex
        admits, each with why it is one, in probe order; hosts the regex means (under a site
        it names) are left out."""
        from corsc import regex  # slow to import; only regexes need it

        if pattern.regex not in self._look_alikes:
            match = self.matcher(pattern)
            self._look_alikes[pattern.regex] = (
                []
                if match is None
                else [
                    (probe, why)
                    for probe, why in regex.look_alike_probes(pattern.regex)
                    if match(probe) and not self._under_a_named_site(pattern, probe)
                ]
            )
        return self._look_alikes[pattern.regex]

    def _under_a_named_site(self, pattern: OriginPattern, probe: str) -> bool:
        """Whether the probe's host is a site the regex spells out, or a subdomain of one,
        and the language walk found the regex admits no other site: then it is one of the
        hosts the regex means (``axa.example.com`` for ``([a-z]+\\.)*[a-z]+\\.example\\.com``),
        not a look-alike."""
        language = self.language(pattern)
        if language.too_complex or language.spread is not None:
            return False
        host = probe.partition("://")[2].rpartition(":")[0] or probe.partition("://")[2]
        if host.startswith("["):
            return False
        host = host.removesuffix(".")
        return any(
            one_site(site) and (host == site or host.endswith("." + site))
            for site in language.named
        )


@functools.cache
def one_site(name: str) -> bool:
    """Whether ``name`` and every host under it are one site: a registrable domain with no
    public suffix below it (an IP address never is, whatever its last labels look like).
    ``localhost`` counts as one: every name under it is the user's own machine, as a
    ``*.localhost`` wildcard is."""
    if name == "localhost":
        return True
    return not origins.ends_in_a_number(name) and suffixes.is_one_site(name)
