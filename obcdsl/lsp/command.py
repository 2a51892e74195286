"""`obcdsl lsp`: the language server over standard input and output."""

from __future__ import annotations


def add_parser(commands) -> None:
    commands.add_parser("lsp", help="the language server for editors (over stdio)",
                        description="Run the obcdsl language server, speaking LSP over standard input and output.")


def run(args) -> int:
    """Serve one editor over stdin and stdout until it says `exit`."""
    from .server import build_server  # pygls is imported only when the server runs

    build_server().start_io()
    return 0
