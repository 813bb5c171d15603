"""Origin regexes (README: Origin patterns): the portable subset, checked, rendered per
dialect, probed.

A ``regex "…"`` pattern must mean the same thing in Python (the runtime and the Python targets),
PCRE (nginx), .NET (IIS URL Rewrite) and ECMAScript. The body is parsed into a small tree
(:mod:`~corsc.regex.syntax`, on :mod:`~corsc.regex.tree`), everything outside the subset is
refused with a message that says what to write instead, and so is every regex whose
backtracking matching could take more than linear time (:mod:`~corsc.regex.ambiguity`, on the
position automaton of :mod:`~corsc.regex.automaton`). The tree is rendered again for each
dialect (:mod:`~corsc.regex.emit`, :mod:`~corsc.regex.dotted`), so a backend never pastes the
user's text into its output. :mod:`~corsc.regex.sites` decides which origins a regex admits;
:mod:`~corsc.regex.samples` builds strings it matches and look-alikes it should not.

Imports only the standard library: the runtime matches through it. Importing the package costs
tens of milliseconds (compiled tables, many dataclasses), so :mod:`corsc.origins` and
:mod:`corsc.checks` import it only when a pattern needs it.
"""

from __future__ import annotations

from corsc.regex.dotted import render_dotted
from corsc.regex.emit import DIALECTS, anchor, escape, render
from corsc.regex.samples import look_alike_probes, sample_origins
from corsc.regex.sites import Language, language
from corsc.regex.tree import PRINTABLE, RegexIssue
from corsc.regex.validation import validate

__all__ = [
    "DIALECTS",
    "PRINTABLE",
    "Language",
    "RegexIssue",
    "anchor",
    "escape",
    "language",
    "look_alike_probes",
    "render",
    "render_dotted",
    "sample_origins",
    "validate",
]
