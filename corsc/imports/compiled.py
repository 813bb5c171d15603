"""``corsc import --from python``: a policy file that ``corsc compile --target python`` wrote
(the TOML corsc's own middleware reads), back to the policy it was compiled from.

The file is read by the middleware's own reader (``corsc.runtime.reader``), so import accepts
exactly what the middleware would serve and refuses, with the reader's message, what it would
refuse. Settings equal to the policy language's defaults are left out of the written policy.
"""

from __future__ import annotations

import functools
from typing import Any

from corsc import diagnostics as d
from corsc.imports.draft import Draft, Entry, Findings, Grant, exact, regex
from corsc.ir import Grant as IrGrant
from corsc.ir import OriginPattern, PatternKind, Policy, Setting, TokenList
from corsc.source import Source


def _entry(pattern: OriginPattern) -> Entry:
    if pattern.kind is PatternKind.REGEX:
        return regex(pattern.regex)
    return exact(pattern.canonical)


@functools.cache
def _defaults() -> Policy:
    """What a policy that writes no statement gets: the language's own defaults, read from
    the language rather than restated here."""
    from corsc.frontend import load

    loaded = load(Source("defaults.cors", "policy defaults {\n  origins *\n}\n"))
    assert loaded.policy_set is not None
    return loaded.policy_set.policies[0]


def _names(setting: Setting[TokenList]) -> list[str]:
    return ["*"] if setting.value.wildcard else list(setting.value.values)


def _block_grant(grant: IrGrant) -> Grant:
    """An origin block's statements, all of them: it overrides every setting."""
    return Grant(
        methods=_names(grant.methods),
        headers=_names(grant.headers) or None,
        expose=_names(grant.expose) or None,
        credentials=grant.credentials.value,
        max_age=grant.max_age.value,
        private_network=grant.private_network.value,
    )


def _policy_grant(grant: IrGrant) -> Grant:
    """A policy's statements that differ from the language's defaults."""
    default = _defaults().grant

    def differing(mine: Setting[Any], theirs: Setting[Any]) -> Any:
        return None if mine.value == theirs.value else mine.value

    def listed(mine: Setting[TokenList], theirs: Setting[TokenList]) -> list[str] | None:
        return None if _names(mine) == _names(theirs) else _names(mine)

    return Grant(
        methods=listed(grant.methods, default.methods),
        headers=listed(grant.headers, default.headers),
        expose=listed(grant.expose, default.expose),
        credentials=differing(grant.credentials, default.credentials),
        max_age=differing(grant.max_age, default.max_age),
        private_network=differing(grant.private_network, default.private_network),
    )


def draft_of(policy: Policy, source: Source) -> Draft:
    """A policy the middleware's reader built, as the policy text that says it."""
    draft = Draft(policy.name, source.span(0), paths=[prefix.text for prefix in policy.paths])
    draft.grant = _policy_grant(policy.grant)
    for entry in policy.entries:
        if entry.block:
            draft.blocks.append((_entry(entry.pattern), _block_grant(entry.grant)))
        else:
            draft.origins.append(_entry(entry.pattern))
    draft.denies = [_entry(pattern) for pattern in policy.denies]
    defaults = _defaults()
    if policy.unlisted.value != defaults.unlisted.value:
        draft.unlisted = policy.unlisted.value.value
    if policy.preflight_status.value != defaults.preflight_status.value:
        draft.preflight_status = policy.preflight_status.value
    return draft


def read(source: Source) -> tuple[list[Draft], list[d.Diagnostic]]:
    """The policies a compiled policy file holds, or why corsc's middleware would refuse it."""
    from corsc.runtime.reader import PolicyFileError, loads

    findings = Findings(source)
    try:
        policy_set = loads(source.text, source.name)
    except PolicyFileError as problem:
        findings.add(
            d.IMPORT_UNREADABLE,
            0,
            0,
            f"corsc's middleware would not read this file: {problem}",
            "import the policy it was compiled from instead, or compile it again",
        )
        return [], findings.items
    return [draft_of(policy, source) for policy in policy_set.policies], findings.items
