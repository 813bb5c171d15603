"""The language server: LSP over stdio, on pygls.

The server keeps each open document's text itself (changes applied with the negotiated
position encoding, exactly), analyses a version at most once, and publishes its diagnostics
when the document is opened or saved, and :data:`DEBOUNCE_SECONDS` after the last of a burst
of changes. Every request is answered from the latest text: a request that arrives before the
debounce has run analyses it then.
"""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path

from attrs import define, field
from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from corsc import __version__
from corsc import diagnostics as d
from corsc.lsp import complete, convert, fixes, formatting, hover
from corsc.lsp.analysis import Analysis, analyse
from corsc.lsp.positions import LineIndex

#: How long the server waits after a change for the next one before it checks the text.
DEBOUNCE_SECONDS = 0.15


@define
class Document:
    """An open document: its latest text and version, and the analysis of that version
    (``None`` until someone needs it)."""

    uri: str
    text: str
    version: int
    analysis: Analysis | None = None
    pending: asyncio.TimerHandle | None = field(default=None, repr=False)
    #: The checked fixes of each diagnostic of ``analysis``, as code actions asked for them
    #: (editors ask again at every move of the cursor; each fix costs a check of the text).
    fixes: dict[d.Diagnostic, list[d.Fix]] = field(factory=dict, repr=False)

    @property
    def path(self) -> Path | None:
        """The file behind the document, for ``file:`` URIs."""
        path = to_fs_path(self.uri) if self.uri.startswith("file:") else None
        return Path(path) if path else None


class CorscServer(LanguageServer):
    """The corsc language server: documents by URI, each analysed on demand."""

    def __init__(self) -> None:
        super().__init__(
            "corsc", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental
        )
        self.documents: dict[str, Document] = {}

    @property
    def encoding(self) -> str:
        """The position encoding agreed at initialisation (UTF-16 unless the client offered
        another first)."""
        return self.workspace.position_encoding or types.PositionEncodingKind.Utf16

    def index(self, text: str) -> LineIndex:
        return LineIndex(text, self.encoding)

    def analysis(self, document: Document) -> Analysis:
        if document.analysis is None or document.analysis.text != document.text:
            path = document.path
            document.analysis = analyse(document.text, path, str(path or document.uri))
            document.fixes.clear()
        return document.analysis

    def publish(self, document: Document) -> None:
        """Publish the document's diagnostics; should checking it fail (a bug in corsc), one
        diagnostic that says so, where the user looks, instead."""
        document.pending = None
        try:
            analysis = self.analysis(document)
            found = convert.diagnostics(analysis, self.index(analysis.text), document.uri)
        except Exception as error:
            found = [
                types.Diagnostic(
                    range=types.Range(types.Position(0, 0), types.Position(0, 0)),
                    severity=types.DiagnosticSeverity.Error,
                    source="corsc",
                    message=f"internal error ({type(error).__name__}: {error}); this is a bug in "
                    "corsc — please report it with the text that caused it",
                )
            ]
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(document.uri, found, version=document.version)
        )

    def publish_later(self, document: Document) -> None:
        if document.pending is not None:
            document.pending.cancel()
        loop = asyncio.get_running_loop()
        document.pending = loop.call_later(DEBOUNCE_SECONDS, self.publish, document)


def create_server() -> CorscServer:
    """A server with every feature registered."""
    server = CorscServer()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(server: CorscServer, params: types.DidOpenTextDocumentParams) -> None:
        item = params.text_document
        document = Document(item.uri, item.text, item.version)
        server.documents[item.uri] = document
        server.publish(document)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    async def did_change(server: CorscServer, params: types.DidChangeTextDocumentParams) -> None:
        document = server.documents.get(params.text_document.uri)
        if document is None:
            return
        for change in params.content_changes:
            if isinstance(change, types.TextDocumentContentChangePartial):
                index = server.index(document.text)
                start, end = index.offset(change.range.start), index.offset(change.range.end)
                start, end = min(start, end), max(start, end)
                document.text = document.text[:start] + change.text + document.text[end:]
            else:
                document.text = change.text
        document.version = params.text_document.version
        server.publish_later(document)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(server: CorscServer, params: types.DidSaveTextDocumentParams) -> None:
        document = server.documents.get(params.text_document.uri)
        if document is not None:
            document.analysis = None  # the project file may have changed
            server.publish(document)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(server: CorscServer, params: types.DidCloseTextDocumentParams) -> None:
        document = server.documents.pop(params.text_document.uri, None)
        if document is not None and document.pending is not None:
            document.pending.cancel()
        server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[])
        )

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
    )
    def code_action(server: CorscServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        document = server.documents.get(params.text_document.uri)
        if document is None:
            return []
        analysis = server.analysis(document)
        index = server.index(analysis.text)
        start, end = index.offset(params.range.start), index.offset(params.range.end)
        actions = []
        for item in analysis.diagnostics:
            if item.span.end.offset < start or item.span.start.offset > end:
                continue
            lsp_diagnostic = convert.diagnostic(analysis, index, document.uri, item)
            if item not in document.fixes:
                document.fixes[item] = fixes.fixes(analysis, item)
            for number, fix in enumerate(document.fixes[item]):
                actions.append(
                    types.CodeAction(
                        title=fix.message[0].upper() + fix.message[1:],
                        kind=types.CodeActionKind.QuickFix,
                        diagnostics=[lsp_diagnostic],
                        edit=convert.workspace_edit(index, document.uri, fix),
                        is_preferred=number == 0,
                    )
                )
        return actions

    @server.feature(types.TEXT_DOCUMENT_FORMATTING)
    def on_formatting(
        server: CorscServer, params: types.DocumentFormattingParams
    ) -> list[types.TextEdit] | None:
        document = server.documents.get(params.text_document.uri)
        if document is None:
            return None
        analysis = server.analysis(document)
        formatted = formatting.format_document(analysis)
        if formatted is None:
            return None  # syntax errors: the diagnostics say where; nothing is changed
        index = server.index(analysis.text)
        if formatted == analysis.text:
            return []
        return [types.TextEdit(index.range(0, len(analysis.text)), formatted)]

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def on_hover(server: CorscServer, params: types.HoverParams) -> types.Hover | None:
        document = server.documents.get(params.text_document.uri)
        if document is None:
            return None
        analysis = server.analysis(document)
        index = server.index(analysis.text)
        found = hover.hover(analysis, index.offset(params.position))
        if found is None:
            return None
        markdown, token = found
        return types.Hover(
            contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=markdown),
            range=index.range(token.start, token.end),
        )

    @server.feature(
        types.TEXT_DOCUMENT_COMPLETION,
        types.CompletionOptions(trigger_characters=[" ", ","]),
    )
    def on_completion(
        server: CorscServer, params: types.CompletionParams
    ) -> types.CompletionList | None:
        document = server.documents.get(params.text_document.uri)
        if document is None:
            return None
        analysis = server.analysis(document)
        offset = server.index(analysis.text).offset(params.position)
        kinds = {
            "keyword": types.CompletionItemKind.Keyword,
            "value": types.CompletionItemKind.Value,
            "binding": types.CompletionItemKind.Variable,
        }
        return types.CompletionList(
            is_incomplete=False,
            items=[
                types.CompletionItem(label=item.label, kind=kinds[item.kind], detail=item.detail)
                for item in complete.completions(analysis, offset)
            ],
        )

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    def definition(server: CorscServer, params: types.DefinitionParams) -> types.Location | None:
        found = _binding_at(server, params.text_document.uri, params.position)
        if found is None:
            return None
        analysis, name = found
        binding = analysis.outline.bindings()[name]
        assert binding.name is not None
        index = server.index(analysis.text)
        return types.Location(
            params.text_document.uri, index.range(binding.name.start, binding.name.end)
        )

    @server.feature(types.TEXT_DOCUMENT_REFERENCES)
    def references(server: CorscServer, params: types.ReferenceParams) -> list[types.Location]:
        found = _binding_at(server, params.text_document.uri, params.position)
        if found is None:
            return []
        analysis, name = found
        index = server.index(analysis.text)
        ranges = [index.range(item.start, item.end) for item in analysis.outline.references(name)]
        if params.context.include_declaration:
            binding = analysis.outline.bindings()[name]
            assert binding.name is not None
            ranges.insert(0, index.range(binding.name.start, binding.name.end))
        return [types.Location(params.text_document.uri, each) for each in ranges]

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def document_symbols(
        server: CorscServer, params: types.DocumentSymbolParams
    ) -> list[types.DocumentSymbol]:
        document = server.documents.get(params.text_document.uri)
        if document is None:
            return []
        analysis = server.analysis(document)
        return convert.symbols(analysis, server.index(analysis.text))

    return server


def _binding_at(
    server: CorscServer, uri: str, position: types.Position
) -> tuple[Analysis, str] | None:
    """The analysis and the ``let`` name under ``position``, bound or used there."""
    document = server.documents.get(uri)
    if document is None:
        return None
    analysis = server.analysis(document)
    token = analysis.outline.token_at(server.index(analysis.text).offset(position))
    if token is None or token.kind != "word" or token.text not in analysis.outline.bindings():
        return None
    name = token.text
    binding = analysis.outline.bindings()[name]
    uses = analysis.outline.references(name)
    if binding.name == token or any(use.start == token.start for use in uses):
        return analysis, name
    return None


#: A policy the server checks, formats and outlines once before it serves, so the parsers and
#: caches every request needs exist before the first one arrives.
_WARM_UP = 'let team = "https://a.example.com"\npolicy p {\n  origins team\n  methods GET\n}\n'


def serve() -> None:
    """Run the server over stdin and stdout until the client asks it to exit."""
    server = create_server()
    warm = analyse(_WARM_UP, None, "warm-up.cors")
    formatting.format_document(warm)
    # What exists now (modules, grammars, compiled regexes) lives as long as the server: the
    # cycle collector need not scan it again. Without this, a full collection scanning it all
    # lands in some request, and such a request takes four times as long.
    gc.freeze()
    server.start_io()
