"""The language server over stdio: go to definition, find references, rename and completion."""

from __future__ import annotations

import pytest
from lsprotocol import types

from obcdsl.checker import check_text

from .lsp_contracts import SMALL
from .lsp_helpers import position_of, show, text_at

pytestmark = pytest.mark.asyncio(loop_scope="module")

URI = "file:///virtual/names.obc"
DOCUMENT = types.TextDocumentIdentifier(URI)


async def test_definition_goes_to_where_each_kind_of_name_is_declared(client):
    await show(client, URI, SMALL)
    for use, declaration in [
        (position_of(SMALL, "crisis_response, coverage"), position_of(SMALL, "crisis_response")),
        (position_of(SMALL, "access is achieved", after=2), position_of(SMALL, "access")),
        (position_of(SMALL, "mind receives", after=1), position_of(SMALL, "mind")),
        (position_of(SMALL, "shares crisis_response", after=7), position_of(SMALL, "crisis_response")),
        (position_of(SMALL, "reached improved", after=9), position_of(SMALL, "improved at least")),
    ]:
        location = await client.text_document_definition_async(types.DefinitionParams(DOCUMENT, use))
        assert isinstance(location, types.Location) and location.uri == URI
        assert location.range.start == declaration


async def test_references_find_every_use_of_a_name(client):
    await show(client, URI, SMALL)
    at = position_of(SMALL, "crisis_response")
    locations = await client.text_document_references_async(types.ReferenceParams(
        text_document=DOCUMENT, position=at, context=types.ReferenceContext(include_declaration=True)))
    assert locations is not None
    assert all(text_at(SMALL, location.range) == "crisis_response" for location in locations)
    # declared, scaled by, reached, link and shares: every `crisis_response` in the text is one of them
    assert len(locations) == SMALL.count("crisis_response") == 5
    without = await client.text_document_references_async(types.ReferenceParams(
        text_document=DOCUMENT, position=at, context=types.ReferenceContext(include_declaration=False)))
    assert without is not None and len(without) == 4


async def test_rename_edits_every_occurrence(client):
    await show(client, URI, SMALL)
    prepared = await client.text_document_prepare_rename_async(types.PrepareRenameParams(
        DOCUMENT, position_of(SMALL, "crisis_response, coverage", after=3)))
    assert isinstance(prepared, types.Range) and text_at(SMALL, prepared) == "crisis_response"
    edit = await client.text_document_rename_async(types.RenameParams(
        DOCUMENT, position_of(SMALL, "crisis_response, coverage", after=3), "crisis_response_4h"))
    assert edit is not None and edit.changes is not None
    edits = sorted(edit.changes[URI], key=lambda e: (e.range.start.line, e.range.start.character), reverse=True)
    assert len(edits) == SMALL.count("crisis_response")
    lines = SMALL.split("\n")
    for text_edit in edits:
        start, end = text_edit.range.start, text_edit.range.end
        line = lines[start.line]
        lines[start.line] = line[: start.character] + text_edit.new_text + line[end.character:]
    renamed = "\n".join(lines)
    assert renamed == SMALL.replace("crisis_response", "crisis_response_4h")
    assert check_text(renamed).ok


@pytest.mark.parametrize("new_name, why", [
    ("weight", "is a word of the language"),
    ("2fast", "is not a name"),
    ("coverage", "is already the name of indicator `coverage`"),
    ("Access", "is already the name of outcome `access`"),
])
async def test_rename_refuses_a_name_that_cannot_be_used(client, new_name, why):
    await show(client, URI, SMALL)
    with pytest.raises(Exception, match=why):
        await client.text_document_rename_async(types.RenameParams(DOCUMENT, position_of(SMALL, "crisis_response"), new_name))


async def test_completion_offers_the_words_the_parser_accepts(client):
    text = SMALL.replace("      higher is better\n      bands", "      higher is \n      bands", 1)
    await show(client, URI, text)
    at = position_of(text, "higher is \n", after=len("higher is "))
    result = await client.text_document_completion_async(types.CompletionParams(DOCUMENT, at))
    assert isinstance(result, types.CompletionList)
    assert [item.label for item in result.items] == ["better"]


async def test_completion_offers_the_contracts_names_where_a_name_may_stand(client):
    await show(client, URI, SMALL)
    at = position_of(SMALL, "link crisis_response", after=len("link "))
    result = await client.text_document_completion_async(types.CompletionParams(DOCUMENT, at))
    assert isinstance(result, types.CompletionList)
    labels = {item.label: item for item in result.items}
    assert {"crisis_response", "coverage", "access", "all"} <= set(labels)
    assert labels["crisis_response"].kind == types.CompletionItemKind.Variable
    assert "mind" not in labels and "psychosis" not in labels

    at = position_of(SMALL, "mind receives")
    result = await client.text_document_completion_async(types.CompletionParams(DOCUMENT, at))
    assert isinstance(result, types.CompletionList)
    assert {"mind", "end", "clause"} == {item.label for item in result.items}
