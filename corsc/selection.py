"""Which diagnostics a run reports: ``--select`` / ``--ignore`` (and a project's ``select`` /
``ignore`` keys), by code (``CORS407``), slug (``unlisted-reject-same-origin``) or family (a
code's prefix: ``CORS4``, ``CORS40``).

What always holds:

- Errors are always reported. An error means the output would be wrong or cannot be made, so
  no selection hides one, and naming an error's code in ``ignore`` is refused.
- Without ``select`` every diagnostic is selected. A diagnostic is reported when the most
  specific selector that names it is a ``select`` one; a code or slug is more specific than a
  family, a longer family than a shorter one, and on a tie ``ignore`` wins. So
  ``--ignore CORS2 --select CORS212`` keeps CORS212 alone of the 2xx family.
- Every selector names something in the catalogue (the core's codes and every backend's); an
  unknown one is a :class:`SelectionError` with the closest known code or slug.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from attrs import frozen

from corsc import diagnostics as d
from corsc.records import fields_repr

#: A family: ``CORS`` and one or two digits of a code (three digits are a code).
_FAMILY = re.compile(r"CORS[0-9]{1,2}")


class SelectionError(ValueError):
    """A selector that names nothing corsc reports, or an error's code in ``ignore``."""


@frozen
class Rule:
    """One selector, resolved: ``prefix`` is a whole code or a family prefix; ``specificity``
    is how many of a code's characters it fixes (a whole code: all of them)."""

    __repr__ = fields_repr

    text: str
    prefix: str

    @property
    def specificity(self) -> int:
        return len(self.prefix)

    def names(self, code: str) -> bool:
        return code.startswith(self.prefix)


def catalogue() -> dict[str, d.Kind]:
    """Every code corsc can report: the core's and every backend's (backends register their
    codes when their module is imported)."""
    _import_backends()
    return d.CATALOGUE


@functools.cache
def _import_backends() -> None:
    """Import every backend, once: loading the registry checks each backend's contract, far
    too slow to repeat for every selector of every suppression comment."""
    from corsc.backends import backends

    backends()


def resolve(text: str) -> Rule:
    """The rule a selector names (a code, a slug or a family, any case);
    :class:`SelectionError` naming the closest known one otherwise."""
    known = catalogue()
    wanted = text.strip()
    upper = wanted.upper()
    if upper in known:
        return Rule(wanted, upper)
    by_name = {kind.name: code for code, kind in known.items()}
    if wanted.lower() in by_name:
        return Rule(wanted, by_name[wanted.lower()])
    if _FAMILY.fullmatch(upper):
        if any(code.startswith(upper) for code in known):
            return Rule(wanted, upper)
        raise SelectionError(f"`{wanted}` names no family: no corsc code starts with {upper}")
    # A close cutoff: a code one digit off is a typo; a code merely sharing digits is not.
    import difflib  # only a misspelt name needs it: a clean compile starts without it

    close = difflib.get_close_matches(
        upper, list(known), n=1, cutoff=0.85
    ) or difflib.get_close_matches(wanted.lower(), list(by_name), n=1, cutoff=0.85)
    hint = f"; did you mean `{close[0]}`?" if close else ""
    raise SelectionError(
        f"`{wanted}` is not a corsc diagnostic code, slug or family (such as CORS407, "
        f"unlisted-reject-same-origin or CORS4){hint}"
    )


class Selection:
    """The diagnostics a run reports (module docstring). ``Selection()`` reports everything."""

    def __init__(self, select: Iterable[str] = (), ignore: Iterable[str] = ()) -> None:
        self.select = tuple(resolve(text) for text in select)
        self.ignore = tuple(resolve(text) for text in ignore)
        # Only a selector needs the whole catalogue (every backend imported): a run without
        # one never pays for it.
        known = catalogue() if self.ignore else {}
        for rule in self.ignore:
            kind = known.get(rule.prefix)
            if kind is not None and kind.severity is d.Severity.ERROR:
                raise SelectionError(
                    f"{kind.code} ({kind.name}) is an error and cannot be ignored: an error "
                    "means the output would be wrong; fix the policy instead"
                )

    def selects(self, diagnostic: d.Diagnostic) -> bool:
        """Whether ``diagnostic`` is reported."""
        if diagnostic.severity is d.Severity.ERROR:
            return True
        best = 0 if not self.select else -1  # without select, everything starts selected
        chosen = True
        for rules, verdict in ((self.select, True), (self.ignore, False)):
            for rule in rules:
                if rule.names(diagnostic.code) and rule.specificity >= best:
                    best, chosen = rule.specificity, verdict
        return chosen and best >= 0

    def apply(self, diagnostics: Iterable[d.Diagnostic]) -> list[d.Diagnostic]:
        """The diagnostics reported, in their order."""
        if not self.select and not self.ignore:
            return list(diagnostics)
        return [item for item in diagnostics if self.selects(item)]
