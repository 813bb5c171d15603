"""Lower: syntax tree → IR.

:class:`corsc.syntax.Syntax` reads the parser's tree; ``let`` names resolve through
:mod:`corsc.bindings` (after ``--set`` overrides) and values through :mod:`corsc.values`. Here
each policy is put together: its statements by name (each at most once, and only where it
belongs), its allow entries in source order, its ``deny`` list, its ``origin`` blocks resolved
against the policy, and static mode. What cannot be represented is a diagnostic, and lowering
goes on with the rest, so one run reports every problem. Semantic checks of the resulting IR
live in ``corsc.checks``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from lark import Token, Tree

from corsc import diagnostics as d
from corsc import values
from corsc.bindings import Bindings, Override
from corsc.ir import AllowEntry, Grant, OriginPattern, PatternKind, Policy, PolicySet, Unlisted
from corsc.language import BLOCK_STATEMENTS, STATEMENTS, did_you_mean, name_problem
from corsc.source import Source, Span
from corsc.syntax import (
    BodyItem,
    LetBinding,
    OriginBlock,
    PolicyBlock,
    Statement,
    Syntax,
    UnknownStatement,
)


def lower(
    source: Source, tree: Tree[Token], overrides: Sequence[Override] = ()
) -> tuple[PolicySet, list[d.Diagnostic]]:
    """Lower a parsed file. The policy set holds every policy that could be lowered."""
    items = Syntax(source.name).transform(tree)
    report: list[d.Diagnostic] = []
    lets = (item for item in items if isinstance(item, LetBinding))
    bindings = Bindings(lets, overrides, source.name, report)
    policies = [_policy(item, bindings, report) for item in items if isinstance(item, PolicyBlock)]
    if not policies:
        report.append(
            d.NO_POLICY.at(
                source.span(0, 0),
                f"{source.name} defines no policy",
                'write one, for example `policy api { origins "https://app.example.com" }`',
            )
        )
    bindings.report_unused()
    return PolicySet(source.name, tuple(policies)), report


def _policy(block: PolicyBlock, bindings: Bindings, report: list[d.Diagnostic]) -> Policy:
    name_span = block.name_span
    problem = name_problem("policy", block.name, name_span)
    if problem is not None:
        report.append(problem)
    statements = _statements(block.body, "policy", report)
    blocks = [
        (item, _statements(item.body, "block", report))
        for item in block.body
        if isinstance(item, OriginBlock)
    ]
    bindings.expand_in_source_order(
        [*statements.values(), *(statement for _, own in blocks for statement in own.values())]
    )
    grant = values.grant(statements, bindings.expanded, None, name_span, report)
    paths = statements.get("paths")
    prefixes = values.path_prefixes(bindings.expanded(paths), report) if paths else ()
    # Source order: list items at their `origins` statement (values from a `let` too),
    # blocks where they stand.
    ordered: list[tuple[int, int, AllowEntry]] = []
    origins = statements.get("origins")
    # A written origin was refused if its expansion (names) or its pattern (or block) failed.
    refused = origins is not None and bindings.failed(origins)
    reported = len(report)
    if origins is not None:
        at = origins.span.start.offset
        for index, value in enumerate(bindings.expanded(origins)):
            pattern = values.origin_pattern(value, report)
            if pattern is not None:
                ordered.append((at, index, AllowEntry(pattern, grant, False, value.span)))
    for item, own in blocks:
        entry = _origin_block(item, own, grant, name_span, bindings, report)
        if entry is not None:
            ordered.append((entry.span.start.offset, 0, entry))
    refused = refused or any(item.severity is d.Severity.ERROR for item in report[reported:])
    entries = [entry for _, _, entry in sorted(ordered, key=lambda item: item[:2])]
    denies = []
    deny = statements.get("deny")
    for value in bindings.expanded(deny) if deny else []:
        pattern = values.origin_pattern(value, report)
        if pattern is None:
            continue
        if pattern.kind is PatternKind.ANY:
            report.append(
                d.MISPLACED_STATEMENT.at(
                    value.span,
                    "`deny *` denies every origin",
                    "remove the policy, or deny specific origins",
                )
            )
            continue
        denies.append(pattern)
    unlisted = values.unlisted(statements.get("unlisted"), name_span, report)
    status = values.preflight_status(statements.get("preflight-status"), name_span, report)
    return Policy(
        name=block.name,
        span=name_span,
        paths=prefixes,
        entries=tuple(entries),
        denies=tuple(denies),
        grant=grant,
        unlisted=unlisted,
        preflight_status=status,
        static_origin=_static_origin(entries, denies, unlisted.value, grant),
        origins_refused=refused,
    )


def _statements(
    body: Sequence[BodyItem], where: Literal["policy", "block"], report: list[d.Diagnostic]
) -> dict[str, Statement]:
    """A policy's or an ``origin`` block's statements by name (the first of each), reporting
    duplicates, unknown names and statements that do not belong in this kind of block."""
    seen: dict[str, Statement] = {}
    allowed = STATEMENTS if where == "policy" else BLOCK_STATEMENTS
    for item in body:
        if isinstance(item, UnknownStatement):
            report.append(
                d.UNKNOWN_STATEMENT.at(
                    item.span,
                    f"unknown statement `{item.word}`",
                    did_you_mean(item.word, [*STATEMENTS, "origin"])
                    or "statements are " + ", ".join(allowed),
                )
            )
            continue
        if isinstance(item, OriginBlock):
            if where == "block":
                report.append(
                    d.MISPLACED_STATEMENT.at(
                        item.target.span,
                        "an `origin` block cannot be nested in another",
                        "put each `origin` block directly inside the policy",
                    )
                )
            continue
        if item.name not in allowed:
            report.append(
                d.MISPLACED_STATEMENT.at(
                    item.name_span,
                    f"`{item.name}` cannot be set inside an `origin` block",
                    "an `origin` block may set only "
                    + ", ".join(BLOCK_STATEMENTS)
                    + f"; move `{item.name}` to the policy",
                )
            )
            continue
        if item.name in seen:
            report.append(
                d.DUPLICATE_STATEMENT.at(
                    item.name_span,
                    f"`{item.name}` is set twice in this block",
                    f"merge the two `{item.name}` statements into one",
                    related=[d.Related(seen[item.name].span, "first set here")],
                )
            )
            continue
        seen[item.name] = item
    return seen


def _origin_block(
    block: OriginBlock,
    statements: dict[str, Statement],
    base: Grant,
    policy_span: Span,
    bindings: Bindings,
    report: list[d.Diagnostic],
) -> AllowEntry | None:
    """The entry of ``origin PATTERN { … }``: the policy's grant (``base``) with the block's
    settings over it; ``None`` when the pattern is ``*`` or not an origin (reported)."""
    grant = values.grant(statements, bindings.expanded, base, policy_span, report)
    if block.target.form == "star":
        report.append(
            d.MISPLACED_STATEMENT.at(
                block.target.span,
                "an `origin` block needs a pattern, not `*`",
                "set what every origin gets in the policy itself, next to `origins *`",
            )
        )
        return None
    pattern = values.origin_pattern(block.target, report)
    if pattern is None:
        return None
    return AllowEntry(pattern, grant, True, block.header)


def _static_origin(
    entries: Sequence[AllowEntry], denies: Sequence[OriginPattern], unlisted: Unlisted, grant: Grant
) -> str | None:
    """The fixed Allow-Origin of static mode (README: What a policy means): ``*`` or the one
    exact origin, for a policy without blocks, denies or ``unlisted reject``; else ``None``."""
    if unlisted is not Unlisted.PASS or denies or any(entry.block for entry in entries):
        return None
    if any(entry.pattern.kind is PatternKind.ANY for entry in entries):
        return None if grant.credentials.value else "*"
    if len(entries) == 1 and entries[0].pattern.kind is PatternKind.EXACT:
        return entries[0].pattern.canonical
    return None
