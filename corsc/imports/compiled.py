"""``corsc import --from python``: a policy file that ``corsc compile --target python`` wrote
(the TOML corsc's own middleware reads), back to the policy it was compiled from.

The file is read by the middleware's own reader (``corsc.runtime.reader``), so import accepts
exactly what the middleware would serve and refuses, with the reader's message, what it would
refuse. Settings equal to the policy language's defaults are left out of the written policy.
"""

from __future__ import annotations

from corsc import diagnostics as d
from corsc.imports.draft import Draft, Entry, Findings, Grant, exact, regex
from corsc.ir import Grant as IrGrant
from corsc.ir import OriginPattern, PatternKind, Policy, Setting, TokenList, Unlisted
from corsc.source import Source

#: The status of an accepted preflight when the policy does not say.
_DEFAULT_STATUS = 204


def _entry(pattern: OriginPattern) -> Entry:
    if pattern.kind is PatternKind.REGEX:
        return regex(pattern.regex)
    return exact(pattern.canonical)


def _names(setting: Setting[TokenList], default: tuple[str, ...]) -> list[str] | None:
    values = ["*"] if setting.value.wildcard else list(setting.value.values)
    return None if tuple(values) == default else values


def _grant(grant: IrGrant, *, full: bool) -> Grant:
    """The statements of ``grant``: all of them for an origin block (it overrides every
    setting), only those that differ from the language's defaults for a policy."""
    methods = _names(grant.methods, () if full else ("GET", "HEAD", "POST"))
    return Grant(
        methods=methods,
        headers=_names(grant.headers, ()),
        expose=_names(grant.expose, ()),
        credentials=grant.credentials.value if full or grant.credentials.value else None,
        max_age=grant.max_age.value,
        private_network=(
            grant.private_network.value if full or grant.private_network.value else None
        ),
    )


def _draft(policy: Policy, source: Source) -> Draft:
    draft = Draft(policy.name, source.span(0), paths=[prefix.text for prefix in policy.paths])
    draft.grant = _grant(policy.grant, full=False)
    for entry in policy.entries:
        if entry.block:
            draft.blocks.append((_entry(entry.pattern), _grant(entry.grant, full=True)))
        else:
            draft.origins.append(_entry(entry.pattern))
    draft.denies = [_entry(pattern) for pattern in policy.denies]
    if policy.unlisted.value is Unlisted.REJECT:
        draft.unlisted = Unlisted.REJECT.value
    if policy.preflight_status.value != _DEFAULT_STATUS:
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
    return [_draft(policy, source) for policy in policy_set.policies], findings.items
