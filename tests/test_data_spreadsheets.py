"""Spreadsheets as people format them: percentages by the cell's number format (issue 9, item 3)."""

import csv
from decimal import Decimal

import openpyxl
import pytest
from conftest import CONTRACTS

import obcdsl
from obcdsl.data import DataError, Written, read_data
from obcdsl.data_validation import validate

D = Decimal
OXFORDSHIRE = CONTRACTS / "oxfordshire_mental_health.obc"
OXFORDSHIRE_DATA = CONTRACTS / "data" / "oxfordshire_mental_health.csv"
HEADER = ["measure", "year", "segment", "value", "numerator", "denominator"]


@pytest.fixture(scope="module")
def oxfordshire():
    return obcdsl.load(OXFORDSHIRE)


def sheet(tmp_path, rows, formats=None, name="data.xlsx", above=()):
    """A workbook whose first sheet has `above` rows, the header, then `rows`; `formats` maps (row, column) to a number format."""
    book = openpyxl.Workbook()
    page = book.active
    page.title = "Year 3"
    for row in above:
        page.append(list(row))
    page.append(HEADER)
    for row in rows:
        page.append(list(row))
    for (row, column), number_format in (formats or {}).items():
        page.cell(row=row, column=column).number_format = number_format
    path = tmp_path / name
    book.save(path)
    return path


def test_number_formats_decide_what_a_cell_means(tmp_path, oxfordshire):
    path = sheet(tmp_path, [
        ("crisis_response_4h", 3, None, 0.96),  # formatted 0%: shown as 96%
        ("stepped_down", 3, None, 0.21),  # formatted 0.0%: shown as 21.0%
        ("care_plan_4_weeks", 3, None, "87.2%"),  # typed as text
        ("gatekept_admissions", 3, None, 97),  # General: 97 is 97%
        ("actual cost", 3, None, 36420000.5),  # formatted #,##0.00
        ("cpa_review", 3, None, None, 965, 1000),
        ("suicide", 3, None, 0),  # a bare 0 in a count
    ], {(2, 4): "0%", (3, 4): "0.0%", (6, 4): "#,##0.00"})
    data = read_data(path)
    assert data.lookup("crisis_response_4h", 3).value == 96
    assert data.lookup("crisis_response_4h", 3).written is Written.PERCENT_CELL
    assert data.lookup("stepped_down", 3).value == 21
    assert data.lookup("care_plan_4_weeks", 3).value == D("87.2")
    assert data.lookup("care_plan_4_weeks", 3).written is Written.PERCENT_SIGN
    assert data.lookup("gatekept_admissions", 3).value == 97
    assert data.lookup("gatekept_admissions", 3).written is Written.NUMBER
    assert data.lookup("actual cost", 3).value == D("36420000.5")
    assert data.lookup("cpa_review", 3).written is Written.FRACTION
    assert validate(oxfordshire.ast, data) == []


def test_a_general_cell_of_096_in_a_percentage_is_ambiguous(tmp_path, oxfordshire):
    # issue 9: 0.96 formatted as General was read as 0.96%, so its line paid £0
    path = sheet(tmp_path, [("crisis_response_4h", 3, None, 0.96)])
    (problem,) = validate(oxfordshire.ast, read_data(path))
    assert problem.code == "OBC918"
    assert problem.message == ("row 2, column `value`: `0.96` is ambiguous for `crisis_response_4h`, a percentage: "
                               "0.96% or 96%?")
    assert problem.help == "write `96%` or `0.96%`, or format the spreadsheet cell as a percentage"
    assert problem.span.file == f"{path}[Year 3]" and problem.span.line == 2 and problem.span.column == 4


def test_evaluation_refuses_the_ambiguous_cell(tmp_path, oxfordshire):
    # the Oxfordshire year-3 data as a spreadsheet, with one General cell of 0.96
    records = [r for r in csv.reader(OXFORDSHIRE_DATA.read_text().splitlines()[1:]) if r and not r[0].startswith("#")]
    rows = [(m, y, s or None, v or None, n or None, dd or None) for m, y, s, v, n, dd in records]
    rows = [r if r[:2] != ("crisis_response_4h", "3") else (r[0], 3, None, 0.96) for r in rows]
    with pytest.raises(DataError) as caught:
        oxfordshire.evaluate(read_data(sheet(tmp_path, rows)), year=3)
    assert [p.code for p in caught.value.diagnostics] == ["OBC918"]
    fixed = [r if r[:2] != ("crisis_response_4h", 3) else (r[0], 3, None, "96%") for r in rows]
    statement = oxfordshire.evaluate(read_data(sheet(tmp_path, fixed, name="fixed.xlsx")), year=3)
    assert statement.total_to_provider == oxfordshire.evaluate(read_data(OXFORDSHIRE_DATA), year=3).total_to_provider


@pytest.mark.parametrize("text, ok", [("0.96", False), ("1", False), ("0.5", False), ("0", True), ("0.96%", True),
                                      ("96%", True), ("96", True), ("1.5", True)])
def test_a_bare_number_in_a_csv_percentage(tmp_path, oxfordshire, text, ok):
    path = tmp_path / "data.csv"
    path.write_text(",".join(HEADER) + f"\ncrisis_response_4h,3,,{text},,\n")
    found = validate(oxfordshire.ast, read_data(path))
    assert (found == []) is ok
    if not ok:
        assert found[0].code == "OBC918" and f"`{text}` is ambiguous" in found[0].message


def test_numerator_and_denominator_are_not_ambiguous(tmp_path, oxfordshire):
    path = tmp_path / "data.csv"
    path.write_text(",".join(HEADER) + "\ncpa_review,3,,,1,1\n")
    assert validate(oxfordshire.ast, read_data(path)) == []


def test_data_built_in_python_is_taken_as_it_is(oxfordshire):
    data = obcdsl.Data((obcdsl.data.DataPoint("crisis_response_4h", 3, None, D("0.96")),))
    assert validate(oxfordshire.ast, data) == []


def test_a_header_under_a_title_row_and_blank_rows(tmp_path, oxfordshire):
    path = sheet(tmp_path, [("crisis_response_4h", 3, None, 0.96), ("suicide", 3, None, "four")],
                 {(5, 4): "0.0%"}, above=[("Year 3 data return",), (), ("Prepared by the BI team", None, "March")])
    with pytest.raises(DataError) as caught:
        read_data(path)
    (problem,) = caught.value.diagnostics
    assert problem.code == "OBC903" and problem.message.startswith("row 6, column `value`: `four` is not a number")
    ok = sheet(tmp_path, [("crisis_response_4h", 3, None, 0.96)], {(5, 4): "0.0%"}, name="ok.xlsx",
               above=[("Year 3 data return",), (), ("Prepared by the BI team", None, "March")])
    assert read_data(ok).lookup("crisis_response_4h", 3).value == 96


def test_a_spreadsheet_may_declare_a_decimal_comma_for_its_text_cells(tmp_path):
    path = sheet(tmp_path, [("actual cost", 3, None, "36420000,50"), ("recovery_star", 3, None, 9.5)],
                 above=[("# decimal mark: comma",)])
    data = read_data(path)
    assert data.lookup("actual cost", 3).value == D("36420000.50")
    assert data.lookup("recovery_star", 3).value == D("9.5")  # a number cell is a number whatever the mark
    undeclared = sheet(tmp_path, [("actual cost", 3, None, "36420000,50")], name="undeclared.xlsx")
    with pytest.raises(DataError) as caught:
        read_data(undeclared)
    assert caught.value.diagnostics[0].code == "OBC917"


def test_a_percent_sign_in_a_quoted_format_is_not_a_percentage(tmp_path):
    path = sheet(tmp_path, [("gatekept_admissions", 3, None, 97)], {(2, 4): '0" %"'})
    assert read_data(path).lookup("gatekept_admissions", 3).value == 97
