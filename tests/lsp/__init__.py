"""Tests of the language server, `obcdsl lsp`."""
