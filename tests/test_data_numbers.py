"""Numbers in data files: a decimal comma is never read as a thousands separator (issue 9, item 2)."""

import json
from decimal import Decimal

import pytest
from conftest import CONTRACTS

import obcdsl
from obcdsl.cli import main
from obcdsl.data import DataError, read_data
from obcdsl.tables import COMMA, POINT, NumberProblem, parse_number

D = Decimal
OXFORDSHIRE = CONTRACTS / "oxfordshire_mental_health.obc"
OXFORDSHIRE_DATA = CONTRACTS / "data" / "oxfordshire_mental_health.csv"
EUROPEAN = CONTRACTS.parent / "tests" / "data" / "oxfordshire_european_excel.csv"
HEADER = "measure,year,segment,value,numerator,denominator\n"


@pytest.fixture(scope="module")
def oxfordshire():
    return obcdsl.load(OXFORDSHIRE)


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(path, **kw):
    with pytest.raises(DataError) as caught:
        read_data(path, **kw)
    return caught.value.diagnostics


# ---------------------------------------------------------------- the rule


@pytest.mark.parametrize("text, value, percent", [
    ("1,004", D(1004), False),
    ("£36,950,000", D(36950000), False),
    ("36,950,000.50", D("36950000.50"), False),
    ("87.2%", D("87.2"), True),
    ("-£1,500.25", D("-1500.25"), False),
    ("3.1", D("3.1"), False),
    ("0", D(0), False),
])
def test_a_point_file_reads_commas_only_as_thousands(text, value, percent):
    assert parse_number(text, POINT) == (value, percent)


@pytest.mark.parametrize("text, readings", [
    ("36420000,50", ("36420000.50 (decimal comma)", "3642000050 (thousands separators)")),
    ("87,2%", ("87.2% (decimal comma)", "872% (thousands separators)")),
    ("1,5", ("1.5 (decimal comma)", "15 (thousands separators)")),
    ("15000,50", ("15000.50 (decimal comma)", "1500050 (thousands separators)")),
])
def test_a_comma_that_does_not_group_thousands_is_ambiguous(text, readings):
    with pytest.raises(NumberProblem) as caught:
        parse_number(text, POINT)
    problem = caught.value
    assert problem.code == "OBC917"
    assert problem.message == f"`{text}` could be {readings[0]} or {readings[1]}; this file's decimal mark is a point"
    assert "# decimal mark: comma" in problem.help


@pytest.mark.parametrize("text, value, percent", [
    ("36420000,50", D("36420000.50"), False),
    ("1.004,5", D("1004.5"), False),
    ("87,2%", D("87.2"), True),
    ("£36.950.000", D(36950000), False),
    ("1.004", D(1004), False),  # points group thousands, as commas do in a point file
])
def test_a_declared_decimal_comma(text, value, percent):
    assert parse_number(text, COMMA, declared=True) == (value, percent)


def test_a_decimal_point_in_a_comma_file_is_refused():
    with pytest.raises(NumberProblem) as caught:
        parse_number("36,950,000.50", COMMA, declared=True)
    assert caught.value.code == "OBC917"
    assert caught.value.message == ("`36,950,000.50` reads as 36950000.50 only with a decimal point, "
                                    "but this file declares a decimal comma")
    assert "`36.950.000,50`" in caught.value.help


@pytest.mark.parametrize("text", ["1,00,000", "1,2,3", "1..2", "12,34.5"])
def test_separators_that_fit_no_reading_are_not_numbers(text):
    with pytest.raises(NumberProblem) as caught:
        parse_number(text, POINT)
    assert caught.value.code == "OBC903"


# ---------------------------------------------------------------- the case


def test_actual_cost_with_a_decimal_comma_is_refused_not_read_as_billions(tmp_path, capsys):
    # issue 9: `36420000,50` was read as 3,642,000,050 and the provider's year-3 total became £3,640,890,309.71
    text = OXFORDSHIRE_DATA.read_text().replace('actual cost,3,,"£36,420,000",,', 'actual cost,3,,"36420000,50",,')
    path = write(tmp_path, text)
    line = next(i for i, row in enumerate(text.splitlines(), start=1) if row.startswith("actual cost,3"))
    (problem,) = problems(path)
    assert problem.code == "OBC917"
    assert problem.span.file == str(path) and problem.span.line == line and problem.span.column == 16
    assert problem.message.startswith(f"row {line}, column `value`: `36420000,50` could be 36420000.50 (decimal comma) "
                                      "or 3642000050 (thousands separators)")
    assert main(["evaluate", str(OXFORDSHIRE), "--data", str(path), "--year", "3", "--format", "json"]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "error[OBC917]" in captured.err and "3,640,890,309" not in captured.err


def test_a_file_declaring_a_decimal_comma_and_writing_points_is_refused_not_misread(tmp_path):
    # under a declared decimal comma a point only groups thousands: `4.1` cannot be read, and is not read as 41
    path = write(tmp_path, "# decimal mark: comma\n" + OXFORDSHIRE_DATA.read_text())
    found = problems(path)
    assert {p.code for p in found} == {"OBC917"}
    first = next(p for p in found if "`4.1`" in p.message)
    assert first.message.endswith("`4.1` reads as 4.1 only with a decimal point, but this file declares a decimal comma")
    assert first.help.startswith("write `4,1`")


def test_a_european_excel_export_reads_when_it_declares_its_decimal_comma(oxfordshire):
    # semicolons, decimal commas, points grouping thousands, a byte order mark and CRLF line ends
    reference = oxfordshire.evaluate(read_data(OXFORDSHIRE_DATA), year=3)
    data = read_data(EUROPEAN)
    assert data.lookup("actual cost", 3).value == D(36420000)
    assert data.lookup("cpa_review", 3).denominator == D(1000)
    assert data.lookup("mortality", None, "psychosis").value == D("15.2")
    statement = oxfordshire.evaluate(data, year=3)
    assert statement.total_to_provider == reference.total_to_provider
    assert statement.to_dict()["lines"] == reference.to_dict()["lines"]


def test_a_european_excel_export_without_its_declaration_is_refused_on_each_ambiguous_number(tmp_path):
    lines = EUROPEAN.read_text(encoding="utf-8-sig").splitlines()
    path = write(tmp_path, "\n".join(row for row in lines if not row.startswith("# decimal mark")) + "\n")
    found = problems(path)
    assert {p.code for p in found} == {"OBC917"}
    assert any("`4,1` could be 4.1 (decimal comma) or 41 (thousands separators)" in p.message for p in found)
    assert any(p.message.endswith("`£36.420.000` reads as £36420000 only with a decimal comma, "
                                  "but this file's decimal mark is a point") for p in found)
    # a semicolon file that declares nothing: `14.650` is refused too (14.65 people, or 14,650?)
    assert any("`14.650` could be 14.650 (decimal point) or 14650 (a point grouping thousands)" in p.message for p in found)
    # exactly the numbers with separators are refused; the others (`120`, `14%`, `7`) read
    values = [f for row in lines[3:] for f in row.split(";")[3:] if f]
    separated = sum(1 for v in values if "," in v or "." in v)
    shown, summary = found[:-1], found[-1]  # the first 20 of a kind, then a count of the rest
    assert len(shown) == 20 and summary.message == f"… and {separated - 20} more rows like this (OBC917)"
    assert all(any(c in p.message.split("`")[3] for c in ",.") for p in shown)


def test_a_semicolon_file_with_unambiguous_numbers_reads(tmp_path):
    path = write(tmp_path, "measure;year;segment;value;numerator;denominator\n"
                           "crisis_response_4h;3;;87%;;\ncpa_review;3;;;965;1000\nactual cost;3;;£36420000;;\n")
    data = read_data(path)
    assert data.lookup("crisis_response_4h", 3).value == 87
    assert data.lookup("actual cost", 3).value == 36420000


def test_decimal_mark_from_python(tmp_path):
    path = write(tmp_path, HEADER + 'crisis_response_4h,3,,"87,2%",,\nactual cost,3,,"36420000,50",,\n')
    data = read_data(path, decimal_mark="comma")
    assert data.lookup("crisis_response_4h", 3).value == D("87.2")
    assert data.lookup("actual cost", 3).value == D("36420000.50")
    assert {p.code for p in problems(path)} == {"OBC917"}
    with pytest.raises(ValueError):
        read_data(path, decimal_mark="semicolon")


def test_a_file_declaration_wins_over_python(tmp_path):
    path = write(tmp_path, "# decimal mark: point\n" + HEADER + "actual cost,3,,\"1,004\",,\n")
    assert read_data(path, decimal_mark="comma").lookup("actual cost", 3).value == 1004


def test_json_declares_its_decimal_mark(tmp_path):
    rows = [{"measure": "crisis_response_4h", "year": 3, "value": "87,2%"},
            {"measure": "actual cost", "year": 3, "value": "£36.420.000,50"},
            {"measure": "cpa_review", "year": 3, "numerator": 965, "denominator": 1000.0}]
    path = write(tmp_path, json.dumps({"decimal mark": "comma", "rows": rows}, indent=2), "data.json")
    data = read_data(path)
    assert data.lookup("crisis_response_4h", 3).value == D("87.2")
    assert data.lookup("actual cost", 3).value == D("36420000.50")
    assert data.lookup("cpa_review", 3).value == D("0.965")
    undeclared = write(tmp_path, json.dumps({"rows": rows}, indent=2), "undeclared.json")
    found = problems(undeclared)
    assert [p.code for p in found] == ["OBC917", "OBC917"]
    text = undeclared.read_text().splitlines()
    assert found[0].span.line == next(i for i, row in enumerate(text, start=1) if '"value": "87,2%"' in row)


def test_a_bad_declaration_is_refused(tmp_path):
    path = write(tmp_path, "# decimal mark: semicolon\n" + HEADER + "actual cost,3,,5,,\n")
    (problem,) = problems(path)
    assert problem.code == "OBC917" and "does not name a decimal mark" in problem.message
    both = write(tmp_path, "# decimal mark: comma\n# decimal mark: point\n" + HEADER + "actual cost,3,,5,,\n", "both.csv")
    assert "twice" in problems(both)[0].message


def test_an_unquoted_amount_with_commas_is_not_cut_short(tmp_path):
    # `£36,950,000` without quotes splits into three fields: the value must not silently become £36
    path = write(tmp_path, "measure,year,segment,value\nactual cost,3,,£36,950,000\n")
    (problem,) = problems(path)
    assert problem.code == "OBC912"
    assert problem.message == "row 2, column `value`: the row has 6 fields, but the header names 4 columns"
    assert "quotes" in problem.help


def test_trailing_empty_fields_from_a_spreadsheet_export_are_fine(tmp_path):
    path = write(tmp_path, HEADER.rstrip("\n") + ",,\nactual cost,3,,\"£36,950,000\",,,,\n")
    assert read_data(path).lookup("actual cost", 3).value == 36950000


def test_a_header_under_a_title_row(tmp_path):
    path = write(tmp_path, "Year 3 data return,,,,,\n,,,,,\n" + HEADER + "actual cost,3,,\"£36,950,000\",,\nsuicide,3,,x,,\n")
    (problem,) = problems(path)
    assert problem.span.line == 5 and problem.message.startswith("row 5, column `value`")


def test_numbers_in_the_year_column(tmp_path):
    path = write(tmp_path, HEADER + "actual cost,\"3,0\",,5,,\n")
    (problem,) = problems(path)
    assert problem.code == "OBC909"
