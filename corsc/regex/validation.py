"""Validation: every issue of a regex body, from its syntax to how long matching it takes."""

from __future__ import annotations

from corsc.regex.ambiguity import ambiguity_issues
from corsc.regex.automaton import MAX_EXPANDED, Automaton, expanded_size
from corsc.regex.dots import dot_issues
from corsc.regex.syntax import parse
from corsc.regex.tree import RegexIssue


def validate(body: str) -> list[RegexIssue]:
    """Every problem with a regex body (the text of ``OriginPattern.regex``, outer anchors
    already removed), in the order they occur. An empty list means the body renders in every
    dialect and is free of the mistakes corsc knows."""
    root, issues = parse(body)
    if root is not None and expanded_size(root) > MAX_EXPANDED:
        issues.append(
            RegexIssue(
                "unsupported",
                0,
                len(body),
                "the regex is too large for corsc to check: written out, its counted "
                f"repetitions would hold more than {MAX_EXPANDED} characters",
                "lower the counts, or split it into several `regex` entries",
            )
        )
    elif root is not None:
        automaton = Automaton(root)
        issues.extend(ambiguity_issues(body, automaton))
        issues.extend(dot_issues(body, automaton))
    return sorted(issues, key=lambda issue: (issue.start, issue.end))
