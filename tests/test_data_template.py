"""`obcdsl template`: the data-entry workbook, and its round trip through `obcdsl evaluate` (issue 14, item 4)."""

import json
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from conftest import CONTRACTS

import obcdsl
from obcdsl.checker import check_text
from obcdsl.cli import main
from obcdsl.format import render
from obcdsl.data import DataError, read_data
from obcdsl.data_template import COST_SHEET, INDICATOR_SHEET, cell_value, template_for

D = Decimal
DATA = CONTRACTS / "data"
BUNDLED = sorted((path, DATA / f"{path.stem}.csv") for path in CONTRACTS.glob("*.obc"))


def bundled_years():
    for contract, data in BUNDLED:
        points = read_data(data).points
        for year in sorted({p.year for p in points if p.year is not None}):
            yield pytest.param(contract, data, year, id=f"{contract.stem}-year{year}")


def rows_of(sheet):
    """The sheet's rows as dicts by header, with their row number."""
    values = list(sheet.iter_rows(values_only=True))
    header = list(values[0])
    return [(number, dict(zip(header, row))) for number, row in enumerate(values[1:], start=2)]


def fill(template: Path, data_path: Path, out: Path) -> None:
    """Fill the template with the bundled data's values, through openpyxl, as a person would type them."""
    data = read_data(data_path)
    book = openpyxl.load_workbook(template)
    for sheet in book.worksheets:
        header = [c.value for c in sheet[1]]
        column = {name: index + 1 for index, name in enumerate(header)}
        for number, row in rows_of(sheet):
            unit = row["unit"]
            point = data.lookup(row["measure"], row["year"], row["segment"])
            if point is not None:
                if point.numerator is not None:
                    sheet.cell(number, column["numerator"], cell_value(point.numerator, "count"))
                    sheet.cell(number, column["denominator"], cell_value(point.denominator, "count"))
                else:
                    sheet.cell(number, column["value"], cell_value(point.value, unit))
            baseline = data.lookup(row["measure"], None, row["segment"])
            if "baseline" in column and baseline is not None and sheet.cell(number, column["baseline"]).fill.fgColor.rgb != "00DDDDDD":
                sheet.cell(number, column["baseline"], cell_value(baseline.value, unit))
    book.save(out)


@pytest.mark.parametrize("contract_path, data_path, year", list(bundled_years()))
def test_round_trip_gives_the_same_statement(tmp_path, contract_path, data_path, year):
    template = tmp_path / "template.xlsx"
    assert main(["template", str(contract_path), "--year", str(year), "--out", str(template)]) == 0
    filled = tmp_path / "filled.xlsx"
    fill(template, data_path, filled)
    contract = obcdsl.load(contract_path)
    patients = DATA / f"{contract_path.stem}_patients.csv"  # the stop-loss's patient costs stay a file of their own
    patients_or_none = patients if patients.exists() else None
    from_csv = contract.evaluate(read_data(data_path, patients=patients_or_none), year)
    from_sheet = contract.evaluate(read_data(filled, patients=patients_or_none), year)
    assert from_sheet.to_dict() == from_csv.to_dict()


def test_round_trip_through_the_command_line(tmp_path, capsys):
    contract = CONTRACTS / "oxfordshire_mental_health.obc"
    template, filled = tmp_path / "t.xlsx", tmp_path / "filled.xlsx"
    assert main(["template", str(contract), "--year", "3", "--out", str(template)]) == 0
    fill(template, DATA / "oxfordshire_mental_health.csv", filled)
    capsys.readouterr()
    assert main(["evaluate", str(contract), "--data", str(filled), "--year", "3", "--format", "json"]) == 0
    from_sheet = json.loads(capsys.readouterr().out)
    assert main(["evaluate", str(contract), "--data", str(DATA / "oxfordshire_mental_health.csv"), "--year", "3",
                 "--format", "json"]) == 0
    assert from_sheet == json.loads(capsys.readouterr().out)
    assert from_sheet["total_to_provider"]


def test_the_rows_a_year_needs():
    contract = obcdsl.load(CONTRACTS / "oxfordshire_mental_health.obc").ast
    year2 = template_for(contract, 2)
    # the phase "bedding in" links nine indicators; the others are measured only, and may be left blank
    assert [r.measure for r in year2.indicators if r.paid] == [
        "suicide", "cpa_review", "involved_in_decisions", "stepped_down", "care_plan_4_weeks", "crisis_response_4h",
        "gatekept_admissions", "carer_assessment", "ae_attendances"]
    assert {r.measure for r in year2.indicators if not r.paid} == {
        "mortality", "recovery_star", "carer_satisfaction", "carer_strain", "paid_employment", "voluntary_activity",
        "education", "home_or_parent", "settled_accommodation_rate", "health_screening"}
    assert [r.measure for r in year2.indicators if r.baseline] == ["ae_attendances"]  # at most 5% below baseline
    year3 = template_for(contract, 3)
    measures = [r.measure for r in year3.indicators]
    # the derived coverage is not given; its inputs are, and so is the gate's indicator
    assert "carer_survey_coverage" not in measures
    assert {"carers_surveyed", "known_carers", "data_completeness"} <= set(measures)
    assert [r.segment for r in year3.indicators if r.measure == "mortality"] == [
        "anxiety_depression", "substance_misuse", "psychosis", "behavioural"]
    assert all(r.baseline for r in year3.indicators if r.measure in ("mortality", "recovery_star", "carer_strain"))
    assert [(r.measure, r.segment) for r in year3.costs] == [("actual cost", None)] + [
        ("actual population", s.name) for s in contract.segments]
    # year 1 links nothing and shares no risk: an empty template
    year1 = template_for(contract, 1)
    assert not any(r.paid for r in year1.indicators) and [r.measure for r in year1.costs] == ["actual population"] * 4


def test_monitor_needs_no_costs():
    template = template_for(obcdsl.load(CONTRACTS / "monitor_staged_linking.obc").ast, 1)
    assert [(r.measure, r.paid) for r in template.indicators] == [("outcome_1_measure", True), ("outcome_2_measure", False)]
    assert template.costs == ()


def test_the_workbook_is_made_for_data_entry(tmp_path):
    out = tmp_path / "t.xlsx"
    assert main(["template", str(CONTRACTS / "oxfordshire_mental_health.obc"), "--year", "3", "--out", str(out)]) == 0
    book = openpyxl.load_workbook(out)
    indicators, costs = book[INDICATOR_SHEET], book[COST_SHEET]
    assert book.sheetnames == [INDICATOR_SHEET, COST_SHEET]
    assert indicators.freeze_panes == "A2" and costs.freeze_panes == "A2"
    assert [c.value for c in indicators[1]] == ["measure", "year", "segment", "title", "unit", "baseline", "value",
                                                "numerator", "denominator"]
    assert indicators.column_dimensions["D"].width > indicators.column_dimensions["B"].width
    rows = {(row["measure"], row["segment"]): number for number, row in rows_of(indicators)}
    crisis = rows[("crisis_response_4h", None)]
    assert indicators.cell(crisis, 1).comment.text.startswith("Clause 4.3: Crisis referrals seen face to face")
    assert indicators.cell(crisis, 7).number_format.endswith("%")
    validations = {str(v.sqref): v for v in indicators.data_validations.dataValidation}
    percent = next(v for ref, v in validations.items() if f"G{crisis}" in ref.split())
    assert (percent.type, percent.operator, percent.formula1, percent.formula2) == ("decimal", "between", "0", "1")
    suicide = rows[("suicide", None)]
    count = next(v for ref, v in validations.items() if f"G{suicide}" in ref.split())
    assert (count.operator, count.formula1) == ("greaterThanOrEqual", "0")
    # a baseline cell is open only where a threshold is relative to the baseline
    assert indicators.cell(suicide, 6).fill.fgColor.rgb == "00DDDDDD"
    assert indicators.cell(rows[("carer_strain", None)], 6).fill.fill_type is None
    cost_rows = rows_of(costs)
    assert cost_rows[0][1]["measure"] == "actual cost" and costs.cell(2, 6).number_format.startswith("£")
    assert costs.cell(2, 1).comment.text.startswith("Clause 8:")


def test_a_blank_template_row_gives_no_data(tmp_path):
    """Rows left blank are data not given: with `missing data counts as not achieved` the indicator pays nothing."""
    contract_path = CONTRACTS / "cheshire_wirral_pilot.obc"
    template, filled = tmp_path / "t.xlsx", tmp_path / "filled.xlsx"
    assert main(["template", str(contract_path), "--year", "4", "--out", str(template)]) == 0
    fill(template, DATA / "cheshire_wirral_pilot.csv", filled)
    book = openpyxl.load_workbook(filled)
    sheet = book[INDICATOR_SHEET]
    number = next(n for n, row in rows_of(sheet) if row["measure"] == "out_of_area")
    sheet.cell(number, 7).value = None
    book.save(filled)
    data = read_data(filled)
    assert data.lookup("out_of_area", 4) is None
    statement = obcdsl.load(contract_path).evaluate(data, 4)
    line = next(x for x in statement.lines if x.name == "out_of_area")
    assert line.amount == 0


def test_a_baseline_column_gives_the_baseline(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("measure,year,segment,value,baseline\nhonos_improvement,4,,8.5,5\n", encoding="utf-8")
    data = read_data(path)
    assert data.lookup("honos_improvement", 4).value == D("8.5")
    assert data.lookup("honos_improvement", None).value == D("5")
    path.write_text("measure,year,segment,value,baseline\nhonos_improvement,4,,8.5,five\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        read_data(path)
    assert caught.value.diagnostics[0].code == "OBC903"
    assert "column `baseline`" in caught.value.diagnostics[0].message
    path.write_text("measure,year,segment,value,baseline\nhonos_improvement,baseline,,5,\nhonos_improvement,4,,8.5,5\n",
                    encoding="utf-8")
    with pytest.raises(DataError) as caught:
        read_data(path)
    assert caught.value.diagnostics[0].code == "OBC905"


def test_later_sheets_are_read_when_they_name_a_measure(tmp_path):
    book = openpyxl.Workbook()
    first = book.active
    first.append(["measure", "year", "segment", "value"])
    first.append(["recovery_rate", 2, None, 0.524])
    first.cell(2, 4).number_format = "0.0%"
    notes = book.create_sheet("Notes")
    notes.append(["Anything written here is not data"])
    notes.append([12, "not a row"])
    costs = book.create_sheet("Costs")
    costs.append(["measure", "year", "segment", "value"])
    costs.append(["actual cost", 2, None, "bad"])
    path = tmp_path / "data.xlsx"
    book.save(path)
    with pytest.raises(DataError) as caught:
        read_data(path)
    [problem] = caught.value.diagnostics
    assert problem.span.file == f"{path}[Costs]" and "row 2, column `value`" in problem.message
    costs.cell(2, 4).value = 22180500
    book.save(path)
    data = read_data(path)
    assert data.lookup("actual cost", 2).value == D(22180500)
    assert data.lookup("recovery_rate", 2).value == D("52.4")


def test_template_refuses_a_contract_with_errors(tmp_path, capsys):
    broken = tmp_path / "broken.obc"
    broken.write_text((CONTRACTS / "monitor_staged_linking.obc").read_text().replace("link outcome_1_measure\n", "link nothing_here\n", 1))
    out = tmp_path / "t.xlsx"
    assert main(["template", str(broken), "--year", "1", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "error[OBC" in err and "nothing was written" in err
    assert not out.exists()


def test_template_usage_errors(tmp_path, capsys):
    contract = str(CONTRACTS / "monitor_staged_linking.obc")
    assert main(["template", contract, "--year", "3", "--out", str(tmp_path / "t.xlsx")]) == 2
    assert "outside the contract term" in capsys.readouterr().err
    assert main(["template", contract, "--year", "1", "--out", str(tmp_path / "t.csv")]) == 2
    assert main(["template", contract, "--year", "1"]) == 2


def test_a_deduction_asks_for_what_its_condition_reads():
    # East London: in the transition years only GP access and patient experience are linked, and the two deductions
    # read the same two; from year 3 every indicator is linked
    template = template_for(obcdsl.load(CONTRACTS / "east_london_whole_population.obc").ast, 1)
    assert [(r.measure, r.paid) for r in template.indicators][:2] == [("gp_appointment", True), ("patient_experience", True)]
    text = render(obcdsl.load(CONTRACTS / "east_london_whole_population.obc").ast).replace("link gp_appointment, patient_experience", "link patient_experience")
    unlinked = check_text(text).contract
    rows = {r.measure: r.paid for r in template_for(unlinked, 1).indicators}
    assert rows["gp_appointment"] is True  # read by a deduction, though not linked in year 1
