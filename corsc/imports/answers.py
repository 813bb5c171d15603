"""A policy read from what a server answers: the part of ``corsc import`` that the importers
which work a configuration out request by request (nginx, Caddy, Apache, HAProxy, Express)
share.

An importer gives a machine (a :data:`~corsc.imports.machine.Run`: a request, as a mapping of
nginx's names of its parts, to the :class:`~corsc.imports.machine.Answer` the server sends) and
the configuration's origin tests as :class:`~corsc.imports.witnesses.Candidate` entries.
:func:`read_level` then works in three steps:

1. **The origins asked about.** Each candidate gets a few origins it admits (its witnesses,
   :mod:`corsc.imports.witnesses`); an unlisted origin stands for every other one.
2. **The answers.** Each witness is asked an actual request per method, a preflight per method
   and per header the configuration names, one asking for private network access
   (:mod:`corsc.imports.probes`). A candidate whose witnesses are all answered alike is an
   entry with the grant those answers show; refused candidates that the allowed ones would
   admit are ``deny`` entries.
3. **The check.** The policy written is evaluated on every witness and request
   (:mod:`corsc.imports.answers_check`) and compared with the server's answers as a browser
   reads them; an origin answered differently is a finding at the line of the test it came
   from, so a configuration the policy does not mean is never imported silently.

:func:`report` turns a reading's findings into diagnostics (CORS703, CORS706).
"""

from __future__ import annotations

from collections.abc import Iterable

from attrs import define, field

from corsc import diagnostics as d
from corsc.imports.answers_check import Check, difference
from corsc.imports.common import unanchored_help
from corsc.imports.draft import Draft, Entry, Findings, Grant
from corsc.imports.machine import Run
from corsc.imports.probes import UNLISTED, Probes, Profile, grant_of, profile
from corsc.imports.witnesses import Candidate


@define
class Reading:
    """The policy of one level read from its answers, and the origins that showed it."""

    draft: Draft
    findings: list[tuple[int, str]] = field(factory=list)
    #: The candidates the policy's entries and denies come from.
    used: list[Candidate] = field(factory=list)


def read_level(
    draft: Draft, run: Run, tests: list[Candidate], probes: Probes, check: Check, server: str
) -> Reading:
    """Fill ``draft`` with the origins and grants ``run`` (``server``'s answers) shows, then
    check it against them: the reading's findings are (line, message) pairs for what the
    policy cannot say."""
    reading = Reading(draft)
    seen: dict[str, Profile] = {}

    def of(origin: str) -> Profile:
        if origin not in seen:
            seen[origin] = profile(run, probes, origin)
        return seen[origin]

    grants: dict[Profile, tuple[Grant, int | None]] = {}

    def grant(found: Profile, origin: str) -> Grant:
        if found not in grants:
            grants[found] = grant_of(run, probes, origin)
        return grants[found][0]

    default = of(UNLISTED[0])
    # Candidates whose witnesses are all answered alike, by what they are answered.
    groups: dict[Profile, list[Candidate]] = {}
    for test in tests:
        shown = [of(origin) for origin in test.witnesses]
        if not shown:
            reading.findings.append((test.line, "corsc finds no origin this test admits"))
        elif test.entry is not None and all(item == shown[0] for item in shown):
            groups.setdefault(shown[0], []).append(test)
    # An origin refused with 403 to an actual request: `unlisted reject`.
    if any(dict(found)["get"] == ("403",) for found in seen.values()):
        draft.unlisted = "reject"
    allowed = {key: value for key, value in groups.items() if _allowed(key)}
    refused = [test for key, value in groups.items() if not _allowed(key) for test in value]
    if _allowed(default):
        main, draft.origins = default, ["*"]
        draft.grant = grant(default, UNLISTED[0])
    elif allowed:
        for found, members in allowed.items():
            grant(found, members[0].witnesses[0])
        # The grant most entries share is the policy's, unless another would have to unset
        # one of its settings; then every grant is an origin block.
        fitting = [
            key
            for key in sorted(allowed, key=lambda key: -len(allowed[key]))
            if all(_expressible(grants[key][0], grants[other][0]) for other in allowed)
        ]
        if fitting:
            main = fitting[0]
            draft.grant = grants[main][0]
            draft.origins = _unique(_entry(test) for test in allowed[main])
            reading.used += allowed[main]
        else:
            main = None
            draft.grant = _common([grants[key][0] for key in allowed])
    blocks: list[tuple[Entry, Grant]] = []
    for found, members in allowed.items():
        if found != main:
            blocks += [(_entry(test), grant(found, test.witnesses[0])) for test in members]
            reading.used += members
    if any(grants[key][1] == 200 for key in grants):
        draft.preflight_status = 200
    draft.grant = _plain(draft.grant)
    for entry, settings in _unique_blocks(blocks):
        over = _over(draft.grant, settings)
        if over.key() == Grant().key() and draft.origins:
            draft.origins.append(entry)  # nothing of its own: one more of the policy's origins
        else:
            draft.blocks.append((entry, over))
    if draft.empty:
        reading.findings.append(
            (
                draft.span.start.line,
                "these Access-Control-* headers allow no origin corsc can find: none of the "
                "origins the configuration tests gets access",
            )
        )
        return reading
    evaluator = check(draft)
    if evaluator is None:
        return reading  # the policy does not load: `corsc check` reports why
    # A refused origin the entries would admit is denied.
    for test in refused:
        admitted = any(_allowed(profile(evaluator, probes, o)) for o in test.witnesses)
        if admitted and _entry(test) not in draft.denies:
            draft.denies.append(_entry(test))
            reading.used.append(test)
    evaluator = check(draft) if draft.denies else evaluator
    if evaluator is None:
        return reading
    reported: set[int] = set()
    for test in [*tests, Candidate(None, UNLISTED, draft.span.start.line)]:
        for origin in test.witnesses:
            theirs, ours = of(origin), profile(evaluator, probes, origin)
            if theirs != ours and test.line not in reported:
                reported.add(test.line)
                reading.findings.append((test.line, difference(server, origin, theirs, ours)))
    return reading


def _allowed(profile: Profile) -> bool:
    """Whether an actual request of this origin may be read (by a script without
    credentials at least)."""
    return len(dict(profile)["get"]) > 1


_FIELDS = ("methods", "headers", "expose", "credentials", "max_age", "private_network")


def _plain(grant: Grant) -> Grant:
    """``grant`` with ``false`` settings left to the language's default."""
    return Grant(
        grant.methods,
        grant.headers,
        grant.expose,
        grant.credentials or None,
        grant.max_age,
        grant.private_network or None,
    )


def _expressible(policy: Grant, block: Grant) -> bool:
    """Whether an origin block can say ``block`` under a policy that says ``policy``: a block
    overrides settings, it cannot unset one."""
    under, over = _plain(policy), _plain(block)
    return all(
        getattr(over, name) is not None or getattr(under, name) is None
        for name in ("methods", "headers", "expose", "max_age")
    )


def _common(grants: list[Grant]) -> Grant:
    """The settings every grant has alike (the rest is left to the blocks)."""
    shared = {
        name: getattr(grants[0], name)
        for name in _FIELDS
        if all(getattr(item, name) == getattr(grants[0], name) for item in grants)
    }
    return Grant(**shared)


def _over(policy: Grant, block: Grant) -> Grant:
    """What an origin block writes: the settings of ``block`` that differ from the policy's
    (a block inherits the rest)."""
    plain = _plain(block)
    kept = {
        name: getattr(plain, name)
        for name in _FIELDS
        if getattr(plain, name) != getattr(policy, name)
    }
    if "credentials" in kept and kept["credentials"] is None:
        kept["credentials"] = False
    if "private_network" in kept and kept["private_network"] is None:
        kept["private_network"] = False
    return Grant(**kept)


def _entry(test: Candidate) -> Entry:
    assert test.entry is not None
    return test.entry


def _unique(entries: Iterable[Entry]) -> list[Entry]:
    return list(dict.fromkeys(entries))


def _unique_blocks(blocks: list[tuple[Entry, Grant]]) -> list[tuple[Entry, Grant]]:
    seen: dict[Entry, Grant] = {}
    for entry, grant in blocks:
        seen.setdefault(entry, grant)
    return list(seen.items())


def report(findings: Findings, reading: Reading, server: str) -> None:
    """The findings of a reading: each origin the policy answers otherwise than ``server``
    (CORS703), each unanchored regex an entry or deny came from (CORS706)."""
    for line, message in reading.findings:
        findings.at_line(
            d.IMPORT_NOT_EXPRESSED,
            line,
            message,
            f"the imported policy answers that origin as it says, not as {server} does; "
            "change the configuration or the policy so they agree",
        )
    for test in reading.used:
        if test.unanchored is not None:
            pattern, searched = test.unanchored
            findings.at_line(
                d.IMPORT_UNANCHORED_REGEX,
                test.line,
                f"the origin regex `{pattern}` is not anchored",
                unanchored_help(searched, server),
            )
