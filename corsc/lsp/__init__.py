"""``corsc lsp``: the language server editors start (LSP over stdio, on pygls).

Modules, from the text up: :mod:`~corsc.lsp.positions` (character offsets ↔ LSP positions in
the negotiated encoding), :mod:`~corsc.lsp.outline` (an error-tolerant outline of a text:
statements, blocks, ``let`` bindings and their uses), :mod:`~corsc.lsp.analysis` (one
document version through the front end and the project's targets),
:mod:`~corsc.lsp.fixes`, :mod:`~corsc.lsp.hover`, :mod:`~corsc.lsp.complete` and
:mod:`~corsc.lsp.formatting` (the features, on corsc's own types),
:mod:`~corsc.lsp.convert` (those as LSP values), :mod:`~corsc.lsp.server` (the wiring) and
:mod:`corsc.commands.lsp` (``corsc lsp`` itself, which imports pygls only when it runs).
pygls and lsprotocol are imported by the server, the conversions and the positions alone.
"""
