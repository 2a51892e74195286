"""The language server over stdio: diagnostics, hover, outline, colours, lenses, formatting, quick fixes, robustness."""

from __future__ import annotations

import decimal

import pytest
from lsprotocol import types

import obcdsl
from obcdsl import model
from obcdsl.checker import check_text
from obcdsl.layout import layout
from obcdsl.money import exact_context, pounds
from obcdsl.plan import plan_for

from .lsp_contracts import SMALL
from .lsp_helpers import CONTRACTS, OXFORDSHIRE, decode_tokens, position_of, show, text_at

pytestmark = pytest.mark.asyncio(loop_scope="module")

OXFORDSHIRE_TEXT = OXFORDSHIRE.read_text(encoding="utf-8")
OXFORDSHIRE_URI = OXFORDSHIRE.as_uri()


def document(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri)


async def test_diagnostics_follow_the_text_as_it_is_typed(client):
    uri = "file:///virtual/weights.obc"
    broken = SMALL.replace("weight 90 points", "weight 85 points")
    diagnostics = await show(client, uri, broken)
    expected = [d for d in check_text(broken).diagnostics]
    assert [d.code for d in diagnostics] == [d.code for d in expected] and diagnostics
    first, source = diagnostics[0], expected[0]
    assert first.severity == types.DiagnosticSeverity.Error and first.source == "obcdsl"
    assert first.range.start == types.Position(source.span.line - 1, source.span.column - 1)
    assert first.message.startswith(source.message)
    assert f"help: {source.help}" in first.message
    assert all(f"note: {note}" in first.message for note in source.notes)

    assert await show(client, uri, SMALL) == []


async def test_related_labels_become_related_information(client):
    uri = "file:///virtual/twice.obc"
    twice = SMALL.replace('indicator coverage "Survey coverage"', 'indicator crisis_response "Survey coverage"')
    diagnostics = await show(client, uri, twice)
    duplicate = next(d for d in diagnostics if d.code == "OBC202")
    related = duplicate.related_information
    assert related and related[0].location.uri == uri
    assert text_at(twice, related[0].location.range) == "crisis_response"
    assert related[0].location.range.start == position_of(twice, "crisis_response")


async def test_columns_are_counted_in_utf16_code_units(client):
    uri = "file:///virtual/emoji.obc"
    text = SMALL.replace('commissioner "A CCG"', 'commissioner "A CCG 😀 £" £ 5')
    diagnostics = await show(client, uri, text)
    unexpected = next(d for d in diagnostics if d.code == "OBC101")
    expected = position_of(text, "£ 5")
    assert unexpected.range.start == expected
    assert expected.character == len('  commissioner "A CCG 😀 £" ') + 1  # the emoji takes two UTF-16 code units


async def test_hover_on_an_indicator_shows_its_title_clause_and_allocation_each_year(client):
    await show(client, OXFORDSHIRE_URI, OXFORDSHIRE_TEXT)
    at = position_of(OXFORDSHIRE_TEXT, "link care_plan_4_weeks, crisis_response_4h", after=len("link care_plan_4_weeks, ") + 3)
    hover = await client.text_document_hover_async(types.HoverParams(document(OXFORDSHIRE_URI), at))
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    text = hover.contents.value
    assert "Crisis referrals seen face to face within 4 hours" in text and "clause 4.3" in text
    assert hover.range is not None and text_at(OXFORDSHIRE_TEXT, hover.range) == "crisis_response_4h"
    contract = obcdsl.load(OXFORDSHIRE).ast
    with decimal.localcontext(exact_context()):
        for year in model.contract_years(contract):
            allocation = plan_for(contract, year).line("crisis_response_4h").allocation
            assert f"| year {year} ({contract.term.financial_year(year)}) | {pounds(allocation)}" in text


async def test_hover_on_money_says_the_amount_in_words_and_figures(client):
    await show(client, OXFORDSHIRE_URI, OXFORDSHIRE_TEXT)
    at = position_of(OXFORDSHIRE_TEXT, "£37,110,000", after=4)
    hover = await client.text_document_hover_async(types.HoverParams(document(OXFORDSHIRE_URI), at))
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert hover.contents.value == "**£37,110,000** (thirty-seven million, one hundred and ten thousand pounds)"

    uri = "file:///virtual/millions.obc"
    text = SMALL.replace("baseline £1m", "baseline £37.11m")
    await show(client, uri, text)
    hover = await client.text_document_hover_async(types.HoverParams(document(uri), position_of(text, "£37.11m", after=2)))
    assert hover is not None and "£37,110,000 (thirty-seven million, one hundred and ten thousand pounds)" in hover.contents.value.replace("**", "")


async def test_hover_on_a_band_shows_its_range_and_what_it_pays(client):
    await show(client, OXFORDSHIRE_URI, OXFORDSHIRE_TEXT)
    at = position_of(OXFORDSHIRE_TEXT, "improved  at least 85% pays 75%", after=2)
    hover = await client.text_document_hover_async(types.HoverParams(document(OXFORDSHIRE_URI), at))
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    text = hover.contents.value
    assert "band `improved`" in text and "crisis_response_4h" in text
    assert "at least 85%, until `excellent` (at least 95%)" in text
    assert "pays 75% of the indicator's allocation" in text
    contract = obcdsl.load(OXFORDSHIRE).ast
    with decimal.localcontext(exact_context()):
        allocation = plan_for(contract, 3).line("crisis_response_4h").allocation
    assert f"| year 3 (2017/18) | {pounds(allocation * 75 / 100)} |" in text


async def test_document_symbols_outline_the_contract(client):
    await show(client, OXFORDSHIRE_URI, OXFORDSHIRE_TEXT)
    symbols = await client.text_document_document_symbol_async(types.DocumentSymbolParams(document(OXFORDSHIRE_URI)))
    assert symbols is not None
    by_name = {s.name: s for s in symbols if isinstance(s, types.DocumentSymbol)}
    assert list(by_name) == ["contract", "population", "budget", "payments", "outcomes", "phasing", "risk share", "distribution"]
    outcomes = {s.name: s for s in by_name["outcomes"].children or []}
    assert "all_outcomes" in outcomes and outcomes["all_outcomes"].kind == types.SymbolKind.Event
    indicators = {s.name: s for s in outcomes["timely_access"].children or []}
    assert [b.name for b in indicators["crisis_response_4h"].children or []] == ["good", "improved", "excellent"]
    assert text_at(OXFORDSHIRE_TEXT, indicators["crisis_response_4h"].selection_range) == "crisis_response_4h"
    assert [p.name for p in by_name["phasing"].children or []] == ["introduction", "bedding in", "continual improvement"]
    assert [s.name for s in by_name["population"].children or []] == ["anxiety_depression", "substance_misuse", "psychosis", "behavioural"]
    assert {s.name for s in by_name["risk share"].children or []} >= {"gains", "losses", "provider losses"}
    assert [s.name for s in by_name["distribution"].children or []] == ["mind", "response", "restore", "elmore", "connections"]


async def test_semantic_tokens_colour_names_by_what_they_name(client):
    legend = client.server_capabilities_seen.semantic_tokens_provider.legend  # as the server sent it at initialize
    await show(client, OXFORDSHIRE_URI, OXFORDSHIRE_TEXT)
    tokens = await client.text_document_semantic_tokens_full_async(types.SemanticTokensParams(document(OXFORDSHIRE_URI)))
    assert tokens is not None
    found = {(line, character): (length, kind, modifiers) for line, character, length, kind, modifiers in decode_tokens(tokens.data, legend)}

    def token(needle: str, after: int = 0, occurrence: int = 0):
        at = position_of(OXFORDSHIRE_TEXT, needle, after, occurrence)
        return found[(at.line, at.character)]

    assert token("crisis_response_4h") == (18, "variable", {"declaration"})
    assert token("link care_plan_4_weeks, crisis_response_4h", after=len("link care_plan_4_weeks, ")) == (18, "variable", set())
    assert token("outcome timely_access") == (7, "keyword", set())
    assert token("timely_access") == (13, "namespace", {"declaration"})
    assert token("segment psychosis", after=8)[1:] == ("type", {"declaration"})
    assert token("subcontractor mind", after=14)[1:] == ("class", {"declaration"})
    assert token("£37,110,000") == (11, "number", {"money"})
    assert token("20% of budget")[1:] == ("number", {"percentage"})
    assert token('"Oxfordshire Mind"')[1] == "string"
    assert token("# Oxfordshire adult")[1] == "comment"
    assert token("improved  at least 85%")[1:] == ("enumMember", {"declaration"})


async def test_code_lens_shows_what_each_indicator_pays_on_the_sample_data(client):
    await show(client, OXFORDSHIRE_URI, OXFORDSHIRE_TEXT)
    lenses = await client.text_document_code_lens_async(types.CodeLensParams(document(OXFORDSHIRE_URI)))
    assert lenses
    contract = obcdsl.load(OXFORDSHIRE)
    data = obcdsl.read_data(CONTRACTS / "data" / "oxfordshire_mental_health.csv")
    latest = max(p.year for p in data.points if p.year is not None)
    statement = contract.evaluate(data, latest)
    line = next(line for line in statement.lines if line.name == "crisis_response_4h")
    band = line.inputs["value"]["band"]
    by_place = {(lens.range.start.line, lens.range.start.character): lens.command.title for lens in lenses if lens.command}
    at = position_of(OXFORDSHIRE_TEXT, "crisis_response_4h")
    assert by_place[(at.line, at.character)] == f"pays {pounds(line.amount)} in year {latest} (band {band})"
    assert len(by_place) == len([i for i in contract.ast.all_indicators if model.has_rule(i)])


async def test_code_lens_reads_the_sample_data_setting_and_stays_quiet_without_data(client, tmp_path):
    contract_path = tmp_path / "small.obc"
    contract_path.write_text(SMALL, encoding="utf-8")
    uri = contract_path.as_uri()
    await show(client, uri, SMALL)
    assert not await client.text_document_code_lens_async(types.CodeLensParams(document(uri)))

    data = tmp_path / "figures.csv"
    data.write_text("measure,year,segment,value\ncrisis_response,2,,88%\ncoverage,2,,60%\n", encoding="utf-8")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"obcdsl": {"sampleData": {str(contract_path): str(data)}}}))
    lenses = await client.text_document_code_lens_async(types.CodeLensParams(document(uri)))
    titles = sorted(lens.command.title for lens in lenses or [] if lens.command)
    statement = obcdsl.loads(SMALL).evaluate(obcdsl.read_data(data), 2)
    paid = {line.name: pounds(line.amount) for line in statement.lines}
    assert titles == sorted([f"pays {paid['coverage']} in year 2 (target met)", f"pays {paid['crisis_response']} in year 2 (band improved)"])

    data.write_text("measure,year,segment,value\ncrisis_response,two,,88%\n", encoding="utf-8")
    client.text_document_did_save(types.DidSaveTextDocumentParams(document(uri)))
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    assert not await client.text_document_code_lens_async(types.CodeLensParams(document(uri)))
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={"obcdsl": {"sampleData": {}}}))


async def test_formatting_lays_out_the_contract_and_leaves_a_broken_one_alone(client):
    uri = "file:///virtual/messy.obc"
    messy = SMALL.replace("  core 90% of budget", "core    90%   of budget").replace("    weight 90 points", "weight 90 points")
    await show(client, uri, messy)
    options = types.FormattingOptions(tab_size=2, insert_spaces=True)
    edits = await client.text_document_formatting_async(types.DocumentFormattingParams(document(uri), options))
    assert edits is not None and len(edits) == 1
    assert edits[0].new_text == layout(messy) and edits[0].new_text != messy
    assert text_at(messy, edits[0].range) == messy

    await show(client, uri, messy.replace("end\n\nbudget", "\n\nbudget"))
    edits = await client.text_document_formatting_async(types.DocumentFormattingParams(document(uri), options))
    assert not edits


async def test_quick_fixes_come_from_the_diagnostics_fixes(client):
    uri = "file:///virtual/typo.obc"
    typo = SMALL.replace("link crisis_response, coverage", "link crisis_responce, coverage")
    fixes = [fix for d in check_text(typo, "typo.obc").diagnostics for fix in d.fixes]
    if not fixes:
        pytest.skip("no check offers a fix for an unknown name yet; test_lsp_units covers the mapping")
    diagnostics = await show(client, uri, typo)
    wanted = position_of(typo, "crisis_responce")
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        document(uri), types.Range(wanted, wanted), types.CodeActionContext(diagnostics=diagnostics)))
    assert actions
    action = actions[0]
    assert isinstance(action, types.CodeAction) and action.kind == types.CodeActionKind.QuickFix
    assert action.title == fixes[0].title
    edit = action.edit.changes[uri][0]
    assert edit.new_text == fixes[0].replacement


async def test_garbage_never_stops_the_server(client):
    uri = "file:///virtual/garbage.obc"
    garbage = [
        "\x00\x01\x02 £££ %%% \"unterminated\n" * 20,
        "outcomes " * 500,
        "contract \"x\" " + "(" * 3000 + "\n",
        "😀" * 300 + "\r\n\r" + "end end end",
        "",
        "indicator measured as a + + b only if",
    ]
    anywhere = [types.Position(0, 0), types.Position(0, 5), types.Position(3, 2), types.Position(9999, 9999)]
    options = types.FormattingOptions(tab_size=2, insert_spaces=True)
    for text in garbage:
        await show(client, uri, text)
        for at in anywhere:
            await client.text_document_hover_async(types.HoverParams(document(uri), at))
            await client.text_document_completion_async(types.CompletionParams(document(uri), at))
            await client.text_document_definition_async(types.DefinitionParams(document(uri), at))
        await client.text_document_document_symbol_async(types.DocumentSymbolParams(document(uri)))
        await client.text_document_semantic_tokens_full_async(types.SemanticTokensParams(document(uri)))
        await client.text_document_formatting_async(types.DocumentFormattingParams(document(uri), options))
        await client.text_document_code_lens_async(types.CodeLensParams(document(uri)))
    await show(client, OXFORDSHIRE_URI, OXFORDSHIRE_TEXT)
    hover = await client.text_document_hover_async(types.HoverParams(document(OXFORDSHIRE_URI), position_of(OXFORDSHIRE_TEXT, "£37,110,000")))
    assert hover is not None
    assert not [m for m in client.log_messages if m.type == types.MessageType.Error]
