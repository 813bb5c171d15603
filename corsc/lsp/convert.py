"""corsc's diagnostics, fixes and outline as LSP values, with exact positions.

Every range is converted from corsc's character offsets by a :class:`LineIndex` of the text the
diagnostics were computed from, in the position encoding the client and server agreed on.
"""

from __future__ import annotations

from lsprotocol import types

from corsc import diagnostics as d
from corsc.lsp.analysis import Analysis
from corsc.lsp.outline import Statement
from corsc.lsp.positions import LineIndex
from corsc.render import RULES_URL
from corsc.source import Span

_SEVERITY = {
    d.Severity.ERROR: types.DiagnosticSeverity.Error,
    d.Severity.WARNING: types.DiagnosticSeverity.Warning,
    d.Severity.INFO: types.DiagnosticSeverity.Information,
}

#: Codes that mark text which changes nothing: editors fade it.
_UNNECESSARY = frozenset(
    {
        d.UNUSED_BINDING.code,
        d.SAFELISTED_METHOD.code,
        d.SAFELISTED_HEADER.code,
        d.EXPOSE_SAFELISTED.code,
    }
)


def span_range(index: LineIndex, span: Span) -> types.Range:
    return index.range(span.start.offset, span.end.offset)


def diagnostic(
    analysis: Analysis, index: LineIndex, uri: str, item: d.Diagnostic
) -> types.Diagnostic:
    """One diagnostic: message and help, the code linked to its documentation, and the
    related locations that lie in this document."""
    return types.Diagnostic(
        range=span_range(index, item.span),
        severity=_SEVERITY[item.severity],
        code=item.code,
        code_description=types.CodeDescription(href=RULES_URL),
        source="corsc",
        message=f"{item.message}\nhelp: {item.help}" if item.help else item.message,
        related_information=[
            types.DiagnosticRelatedInformation(
                types.Location(uri, span_range(index, related.span)), related.message
            )
            for related in item.related
            if related.span.file == analysis.source.name
        ]
        or None,
        tags=[types.DiagnosticTag.Unnecessary] if item.code in _UNNECESSARY else None,
        data={"name": item.name},
    )


def diagnostics(analysis: Analysis, index: LineIndex, uri: str) -> list[types.Diagnostic]:
    """A warning at the top for each problem with the project file (it has no span in this
    document), then every diagnostic of the analysis."""
    top = types.Range(types.Position(0, 0), types.Position(0, 0))
    problems = [
        types.Diagnostic(
            range=top, severity=types.DiagnosticSeverity.Warning, source="corsc", message=problem
        )
        for problem in analysis.project_problems
    ]
    return problems + [diagnostic(analysis, index, uri, item) for item in analysis.diagnostics]


def workspace_edit(index: LineIndex, uri: str, fix: d.Fix) -> types.WorkspaceEdit:
    return types.WorkspaceEdit(
        changes={
            uri: [types.TextEdit(span_range(index, edit.span), edit.new_text) for edit in fix.edits]
        }
    )


def symbols(analysis: Analysis, index: LineIndex) -> list[types.DocumentSymbol]:
    """Policies (with their ``origin`` blocks and statements) and ``let`` bindings."""
    return [_symbol(statement, index) for statement in analysis.outline.statements]


def _symbol(statement: Statement, index: LineIndex) -> types.DocumentSymbol:
    keyword = statement.keyword.text
    named = statement.name or statement.keyword
    if keyword == "policy":
        kind, name = types.SymbolKind.Module, f"policy {named.text if statement.name else ''}"
    elif keyword == "let":
        kind, name = types.SymbolKind.Variable, named.text
    elif keyword == "origin":
        pattern = statement.items[0].text if statement.items else ""
        kind, name = types.SymbolKind.Object, f"origin {pattern}"
    else:
        kind, name = types.SymbolKind.Property, keyword
    children = [_symbol(child, index) for child in statement.children]
    return types.DocumentSymbol(
        name=name.strip(),
        kind=kind,
        range=index.range(statement.start, statement.end),
        selection_range=index.range(named.start, named.end),
        children=children or None,
    )
