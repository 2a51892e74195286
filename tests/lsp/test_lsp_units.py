"""The language server's parts, without a client: positions, words, quick fixes, names, sample data, failures."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from lsprotocol import types

from obcdsl.diagnostics import Diagnostic, Fix, Severity
from obcdsl.lsp.analysis import analyse
from obcdsl.lsp.diagnostics import message, quick_fixes
from obcdsl.lsp.lens import SampleData
from obcdsl.lsp.lexemes import scan
from obcdsl.lsp.names import rename_problem
from obcdsl.lsp.positions import LineIndex
from obcdsl.lsp.server import ObcServer, settings_from
from obcdsl.lsp.words import pounds_words
from obcdsl.source import SourceFile

from .lsp_contracts import SMALL
from .lsp_helpers import CONTRACTS, OXFORDSHIRE

UTF8, UTF16, UTF32 = (types.PositionEncodingKind.Utf8, types.PositionEncodingKind.Utf16, types.PositionEncodingKind.Utf32)


@pytest.mark.parametrize("encoding, character", [(UTF16, 7), (UTF32, 6), (UTF8, 10)])
def test_positions_count_code_units_of_the_agreed_encoding(encoding, character):
    text = 'a\n"😀£x" bad\n'
    source = SourceFile("x", text)
    span = source.span(text.index("bad"), text.index("bad") + 3)
    lines = LineIndex(text, encoding)
    assert lines.range(span).start == types.Position(1, character)
    assert lines.offset(types.Position(1, character)) == text.index("bad")
    assert lines.position(text.index("bad")) == types.Position(1, character)
    assert lines.offset(types.Position(99, 0)) == len(text)


@pytest.mark.parametrize("amount, words", [
    ("37110000", "thirty-seven million, one hundred and ten thousand pounds"),
    ("1000005", "one million and five pounds"),
    ("1", "one pound"),
    ("0.01", "one penny"),
    ("1234.56", "one thousand, two hundred and thirty-four pounds and fifty-six pence"),
    ("-750000", "minus seven hundred and fifty thousand pounds"),
])
def test_money_in_words(amount, words):
    assert pounds_words(Decimal(amount)) == words


def test_a_fix_becomes_a_quick_fix_editing_its_span():
    source = SourceFile("x.obc", SMALL)
    start = SMALL.index("lead provider")
    diagnostic = Diagnostic("OBC201", Severity.ERROR, "no such thing", source.span(start, start + 4), notes=("a note",),
                            help="did you mean `led`?", fixes=(Fix("change `lead` to `led`", source.span(start, start + 4), "led"),))
    lines = LineIndex(SMALL)
    line = SMALL.count("\n", 0, start)
    elsewhere = types.Range(types.Position(0, 0), types.Position(0, 1))
    assert quick_fixes((diagnostic,), lines, "file:///x.obc", elsewhere) == []
    [action] = quick_fixes((diagnostic,), lines, "file:///x.obc", types.Range(types.Position(line, 3), types.Position(line, 3)))
    assert action.kind == types.CodeActionKind.QuickFix and action.title == "change `lead` to `led`"
    assert action.edit is not None and action.edit.changes is not None
    [edit] = action.edit.changes["file:///x.obc"]
    assert edit.new_text == "led" and edit.range == types.Range(types.Position(line, 2), types.Position(line, 6))
    assert message(diagnostic) == "no such thing\nnote: a note\nhelp: did you mean `led`?"


def test_a_text_that_does_not_parse_keeps_the_last_good_names():
    good = analyse("file:///s.obc", "s.obc", SMALL)
    broken_text = SMALL.replace("  core 90% of budget", "  core 90% of of budget")
    broken = analyse("file:///s.obc", "s.obc", broken_text, good)
    assert not broken.parses and broken.contract is good.contract
    use = broken.names.at(broken_text.index("crisis_response, coverage"))
    assert use is not None and use.kind == "indicator" and not use.declaration
    declaration = broken.names.declaration(use)
    assert declaration is not None and declaration.start == broken_text.index("crisis_response")
    assert analyse("file:///s.obc", "s.obc", broken_text, broken) is broken  # the same text is not checked again


def test_rename_problems():
    analysis = analyse("file:///s.obc", "s.obc", SMALL)
    indicator = analysis.names.at(SMALL.index("crisis_response"))
    band = analysis.names.at(SMALL.index("improved at least"))
    assert indicator is not None and band is not None
    assert rename_problem(analysis.names, indicator, "crisis_response_4h") is None
    assert "word of the language" in (rename_problem(analysis.names, indicator, "END") or "")
    assert "not a name" in (rename_problem(analysis.names, indicator, "a-b") or "")
    assert "segment `psychosis`" in (rename_problem(analysis.names, indicator, "psychosis") or "")
    assert "cannot be renamed" in (rename_problem(analysis.names, band, "better_band") or "")


def test_the_scanner_reads_any_text_to_its_end():
    text = 'icd-10 F30-F39, F40 clause 5.3a "open\n£1.5m 4% 2015/16 # done\n\x00 😀'
    kinds = [(lexeme.kind, lexeme.text) for lexeme in scan(text)]
    assert kinds[:7] == [("keyword", "icd-10"), ("icd", "F30-F39"), ("symbol", ","), ("icd", "F40"),
                         ("keyword", "clause"), ("clause", "5.3a"), ("string", '"open')]
    assert kinds[7:11] == [("money", "£1.5m"), ("percent", "4%"), ("year", "2015/16"), ("comment", "# done")]


def test_sample_data_is_found_by_setting_or_by_convention(tmp_path):
    assert SampleData().path_for(OXFORDSHIRE) == CONTRACTS / "data" / "oxfordshire_mental_health.csv"
    contract = tmp_path / "deals" / "small.obc"
    assert SampleData(roots=(tmp_path,)).path_for(contract) is None
    assert SampleData("figures/all.csv", (tmp_path,)).path_for(contract) == tmp_path / "figures" / "all.csv"
    mapping = {"deals/small.obc": "figures/small.json", "other.obc": "figures/other.csv"}
    assert SampleData(mapping, (tmp_path,)).path_for(contract) == tmp_path / "figures" / "small.json"
    assert SampleData({"small": "/data/small.xlsx"}, (tmp_path,)).path_for(contract) == Path("/data/small.xlsx")


def test_settings_come_in_any_shape_clients_send():
    assert settings_from({"sampleData": "a.csv"}) == "a.csv"
    assert settings_from({"obcdsl": {"sampleData": {"x": "y"}}}) == {"x": "y"}
    assert settings_from({"obcdsl.sampleData": "b.csv"}) == "b.csv"
    assert settings_from(None) is None and settings_from({"other": 1}) is None


def test_a_failing_handler_is_logged_and_answers_its_fallback(monkeypatch):
    server = ObcServer()
    logged: list[tuple[str, types.MessageType]] = []
    monkeypatch.setattr(server, "log", lambda text, kind=types.MessageType.Log: logged.append((text, kind)))

    @server.guarded([])
    def broken(params):
        raise ValueError("no such band")

    assert broken(None) == []
    assert logged and logged[0][1] == types.MessageType.Error and "no such band" in logged[0][0]


def test_activity_items_are_outlined_hovered_and_renamed():
    from obcdsl.lsp.hover import hover
    from obcdsl.lsp.symbols import document_symbols

    text = (CONTRACTS / "fee_based_pathway_with_activity.obc").read_text(encoding="utf-8")
    analysis = analyse("file:///x.obc", "x.obc", text)
    lines = LineIndex(text, UTF16)
    outline = {s.name: s for s in document_symbols(analysis.contract, lines)}
    assert [c.name for c in outline["activity"].children] == ["ae_attendances", "community_nursing", "diagnostics", "cancer_pathway"]
    at = text.index("ae_attendances") + 2
    shown = hover(analysis, at, lines)
    assert shown is not None
    assert "**activity item `ae_attendances`**: A&E attendances (clause 4.1)" in shown.contents.value
    assert "year 1 (2025/26): at most £6,750,000.00" in shown.contents.value
    occurrence = analysis.names.at(at)
    assert occurrence is not None and occurrence.kind == "activity item" and occurrence.declaration
    assert rename_problem(analysis.names, occurrence, "ae_visits") is None
    assert rename_problem(analysis.names, occurrence, "seen_4h") == "`seen_4h` is already the name of indicator `seen_4h`"
