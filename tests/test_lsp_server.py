"""``corsc lsp`` driven by a real LSP client (pytest-lsp) over stdio: one server process for
the module, each test on its own document."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from corsc.lsp.positions import LineIndex
from tests.lsp_session import Session

pytestmark = pytest.mark.asyncio(loop_scope="module")

POLICY = """\
let partners = "https://partner.example.net"

policy api {
  paths   "/api"
  origins "https://app.example.com", partners
  methods GET, PUT
  headers Cookie, Content-Type
}
"""


@pytest_lsp.fixture(
    scope="module",
    config=ClientServerConfig(server_command=[sys.executable, "-m", "corsc", "lsp", "--stdio"]),
)
async def client(lsp_client: LanguageClient) -> AsyncIterator[None]:
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=pytest_lsp.client_capabilities("visual-studio-code"),
        )
    )
    yield
    await lsp_client.shutdown_session()


_count = 0


def _uri(tmp: Path | None = None) -> str:
    """A fresh document URI (a file under ``tmp`` when given)."""
    global _count
    _count += 1
    if tmp is not None:
        return (tmp / f"doc{_count}.cors").as_uri()
    return f"untitled:doc{_count}.cors"


async def _diagnostics(client: LanguageClient, uri: str) -> list[types.Diagnostic]:
    """The next diagnostics published for ``uri``."""
    while True:
        params = await asyncio.wait_for(
            client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), 10
        )
        if params.uri == uri:
            return list(params.diagnostics)


async def _open(client: LanguageClient, text: str, uri: str | None = None) -> tuple[str, list]:
    uri = uri or _uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "cors", 1, text))
    )
    return uri, await _diagnostics(client, uri)


def _edit(
    uri: str, version: int, range_: types.Range, text: str
) -> types.DidChangeTextDocumentParams:
    return types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(version=version, uri=uri),
        [types.TextDocumentContentChangePartial(range=range_, text=text)],
    )


async def test_open_publishes_the_front_ends_diagnostics(client: LanguageClient) -> None:
    _, found = await _open(client, POLICY)
    cookie = next(item for item in found if item.code == "CORS212")
    assert cookie.message == (
        "scripts cannot set `Cookie`, so granting it changes nothing\n"
        "help: remove it; with `credentials true` browsers send cookies themselves"
    )
    assert cookie.range == types.Range(types.Position(6, 10), types.Position(6, 16))
    assert cookie.severity == types.DiagnosticSeverity.Warning
    assert cookie.source == "corsc"
    assert cookie.code_description is not None
    assert cookie.code_description.href.endswith("#diagnostics")


async def test_positions_are_utf16_after_astral_characters(client: LanguageClient) -> None:
    # `😀` is one character for corsc and two UTF-16 units for the client: `get` starts at
    # character 55 and unit 56.
    text = 'policy p { origins "https://😀.example.com", *; methods get }\n'
    assert text.index("get") == 55
    _, found = await _open(client, text)
    method = next(item for item in found if item.code == "CORS202")
    assert method.range == types.Range(types.Position(0, 56), types.Position(0, 59))


async def test_related_locations(client: LanguageClient) -> None:
    uri, found = await _open(client, "policy p {\n  origins *\n  credentials true\n}\n")
    wildcard = next(item for item in found if item.code == "CORS301")
    assert list(wildcard.related_information or ()) == [
        types.DiagnosticRelatedInformation(
            types.Location(uri, types.Range(types.Position(2, 2), types.Position(2, 18))),
            "credentials enabled here",
        )
    ]


async def test_changes_are_debounced_into_one_publication(client: LanguageClient) -> None:
    uri, found = await _open(client, 'policy p { origins "https://a.example.com" }\n')
    assert found == []
    end = types.Position(0, 42)
    for version, char in enumerate("; methods get", start=2):
        client.text_document_did_change(_edit(uri, version, types.Range(end, end), char))
        end = types.Position(0, end.character + 1)
    after = await _diagnostics(client, uri)
    assert [item.code for item in after] == ["CORS202"]
    # Nothing else was published for the burst.
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(
            client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), 0.5
        )


async def test_code_action_round_trip(client: LanguageClient) -> None:
    uri, found = await _open(client, POLICY)
    cookie = next(item for item in found if item.code == "CORS212")
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            types.TextDocumentIdentifier(uri), cookie.range, types.CodeActionContext([cookie])
        )
    )
    assert actions is not None
    (action,) = [
        a for a in actions if isinstance(a, types.CodeAction) and a.title == "Remove `Cookie`"
    ]
    assert action.kind == types.CodeActionKind.QuickFix
    assert action.edit is not None and action.edit.changes is not None
    index = LineIndex(POLICY)
    fixed = POLICY
    for edit in sorted(
        action.edit.changes[uri],
        key=lambda e: (e.range.start.line, e.range.start.character),
        reverse=True,
    ):
        fixed = (
            fixed[: index.offset(edit.range.start)]
            + edit.new_text
            + fixed[index.offset(edit.range.end) :]
        )
    assert "  headers Content-Type\n" in fixed
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(version=2, uri=uri),
            [types.TextDocumentContentChangeWholeDocument(text=fixed)],
        )
    )
    assert "CORS212" not in [item.code for item in await _diagnostics(client, uri)]


async def test_formatting(client: LanguageClient) -> None:
    uri, _ = await _open(
        client, 'policy p {\n origins   "https://a.example.com";methods GET,PUT }\n'
    )
    options = types.FormattingOptions(tab_size=2, insert_spaces=True)
    edits = await client.text_document_formatting_async(
        types.DocumentFormattingParams(types.TextDocumentIdentifier(uri), options)
    )
    assert list(edits or ()) == [
        types.TextEdit(
            types.Range(types.Position(0, 0), types.Position(2, 0)),
            'policy p {\n  origins "https://a.example.com"\n  methods GET, PUT\n}\n',
        )
    ]
    broken, _ = await _open(client, "policy p {\n")
    assert (
        await client.text_document_formatting_async(
            types.DocumentFormattingParams(types.TextDocumentIdentifier(broken), options)
        )
        is None
    )


async def test_hover(client: LanguageClient) -> None:
    uri, _ = await _open(client, POLICY)
    result = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(4, 40))
    )
    assert result is not None and isinstance(result.contents, types.MarkupContent)
    assert result.contents.value == (
        '```cors\nlet partners = "https://partner.example.net"\n```\n\nUsed once.'
    )
    assert result.range == types.Range(types.Position(4, 37), types.Position(4, 45))


async def test_completion(client: LanguageClient) -> None:
    uri, _ = await _open(client, "policy p {\n  origins *\n  \n}\n")
    result = await client.text_document_completion_async(
        types.CompletionParams(types.TextDocumentIdentifier(uri), types.Position(2, 2))
    )
    assert isinstance(result, types.CompletionList)
    labels = [item.label for item in result.items]
    assert labels[:3] == ["paths", "origins", "deny"]
    assert "origin" in labels and "policy" not in labels


async def test_definition_references_and_symbols(client: LanguageClient) -> None:
    uri, _ = await _open(client, POLICY)
    use = types.Position(4, 40)
    definition = await client.text_document_definition_async(
        types.DefinitionParams(types.TextDocumentIdentifier(uri), use)
    )
    name = types.Range(types.Position(0, 4), types.Position(0, 12))
    assert definition == types.Location(uri, name)
    found = await client.text_document_references_async(
        types.ReferenceParams(
            text_document=types.TextDocumentIdentifier(uri),
            position=use,
            context=types.ReferenceContext(include_declaration=True),
        )
    )
    assert list(found or ()) == [
        types.Location(uri, name),
        types.Location(uri, types.Range(types.Position(4, 37), types.Position(4, 45))),
    ]
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(types.TextDocumentIdentifier(uri))
    )
    assert symbols is not None
    assert [symbol.name for symbol in symbols] == ["partners", "policy api"]


async def test_project_targets_add_their_diagnostics(
    client: LanguageClient, tmp_path: Path
) -> None:
    (tmp_path / "corsc.toml").write_text('targets = ["nginx", "ngnix"]\n')
    text = 'policy p {\n  origins "https://a.example.com"\n  methods *\n}\n'
    _, found = await _open(client, text, _uri(tmp_path))
    assert [item.code for item in found] == [None, "CORS602"]
    assert (
        found[0].message
        == f"{tmp_path / 'corsc.toml'}: unknown target `ngnix`; did you mean `nginx`?"
    )


async def test_close_clears_the_diagnostics(client: LanguageClient) -> None:
    uri, found = await _open(client, "policy p {\n")
    assert found
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri))
    )
    assert await _diagnostics(client, uri) == []


async def test_without_pygls_the_command_says_how_to_install_it() -> None:
    blocked = (
        "import sys; sys.modules['pygls'] = None; from corsc.cli import main; "
        "sys.exit(main(['lsp']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", blocked], capture_output=True, text=True, check=False
    )
    assert (result.returncode, result.stderr) == (
        2,
        "corsc: error: `corsc lsp` needs pygls, which is not installed: pip install 'corsc[lsp]'\n",
    )


async def test_a_bug_in_corsc_is_a_diagnostic(monkeypatch: pytest.MonkeyPatch) -> None:
    from corsc.lsp import server as module

    def broken(*args: object) -> None:
        raise RuntimeError("boom")

    published: list[types.PublishDiagnosticsParams] = []
    server = module.CorscServer()
    monkeypatch.setattr(module, "analyse", broken)
    monkeypatch.setattr(server, "text_document_publish_diagnostics", published.append)
    server.publish(module.Document("untitled:x.cors", "policy p {}", 3))
    (params,) = published
    assert (params.version, [item.message for item in params.diagnostics]) == (
        3,
        [
            "internal error (RuntimeError: boom); this is a bug in corsc — please report it "
            "with the text that caused it"
        ],
    )


async def test_a_client_that_prefers_utf8_gets_byte_columns() -> None:
    session = Session({"general": {"positionEncodings": ["utf-8", "utf-16"]}})
    assert session.initialized["result"]["capabilities"]["positionEncoding"] == "utf-8"
    text = 'policy p { origins "https://é.example.com", *; methods get }\n'
    item = {"uri": "untitled:utf8.cors", "languageId": "cors", "version": 1, "text": text}
    session.notify("textDocument/didOpen", {"textDocument": item})
    assert session.close() == 0  # shutdown is answered after the open's diagnostics
    (published,) = [m for m in session.notifications if m["method"].endswith("publishDiagnostics")]
    get = next(item for item in published["params"]["diagnostics"] if item["code"] == "CORS202")
    # `é` is one character and two UTF-8 bytes.
    assert get["range"]["start"] == {"line": 0, "character": text.index("get") + 1}
