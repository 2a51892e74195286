"""The language server, `obcdsl lsp`: diagnostics, hover, navigation and edits in any LSP editor."""
