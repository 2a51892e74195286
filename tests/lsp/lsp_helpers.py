"""Helpers for the language server's tests: open a document and wait for its diagnostics, find positions."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = ROOT / "contracts"
OXFORDSHIRE = CONTRACTS / "oxfordshire_mental_health.obc"


async def show(client: LanguageClient, uri: str, text: str) -> list[types.Diagnostic]:
    """Open the document (or change its whole text) and wait for the diagnostics the server publishes."""
    versions = client.__dict__.setdefault("obcdsl_versions", {})  # each module starts its own server
    version = versions.get(uri, 0) + 1
    versions[uri] = version
    if version == 1:
        client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "obc", version, text)))
    else:
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            [types.TextDocumentContentChangeWholeDocument(text)],
        ))
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    return list(client.diagnostics[uri])


def position_of(text: str, needle: str, after: int = 0, occurrence: int = 0) -> types.Position:
    """The LSP position (UTF-16) `after` characters into the `occurrence`-th appearance of `needle`."""
    offset = -1
    for _ in range(occurrence + 1):
        offset = text.index(needle, offset + 1)
    offset += after
    line = text.count("\n", 0, offset)
    column = offset - (text.rfind("\n", 0, offset) + 1)
    prefix = text[offset - column: offset]
    return types.Position(line, len(prefix.encode("utf-16-le")) // 2)


def decode_tokens(data: list[int], legend: types.SemanticTokensLegend) -> list[tuple[int, int, int, str, set[str]]]:
    """Semantic tokens as (line, character, length, type, modifiers)."""
    found = []
    line = character = 0
    for index in range(0, len(data), 5):
        delta_line, delta_start, length, kind, bits = data[index: index + 5]
        line += delta_line
        character = character + delta_start if delta_line == 0 else delta_start
        modifiers = {name for bit, name in enumerate(legend.token_modifiers) if bits & (1 << bit)}
        found.append((line, character, length, legend.token_types[kind], modifiers))
    return found


def text_at(text: str, range_: types.Range) -> str:
    """The text a range covers (positions in UTF-16, as the tests' client uses)."""
    lines = text.split("\n")

    def offset(position: types.Position) -> int:
        before = sum(len(line) + 1 for line in lines[: position.line])
        encoded = lines[position.line].encode("utf-16-le")[: position.character * 2]
        return before + len(encoded.decode("utf-16-le"))

    return text[offset(range_.start): offset(range_.end)]
