"""Data files: CSV, JSON and XLSX read alike; every bad-data case has its own clear error."""

import json
from decimal import Decimal

import pytest
from conftest import CONTRACTS

import obcdsl
from obcdsl.cli import main
from obcdsl.data import DataError, read_data

MONITOR = CONTRACTS / "monitor_staged_linking.obc"
OXFORDSHIRE = CONTRACTS / "oxfordshire_mental_health.obc"
HEADER = "measure,year,segment,value,numerator,denominator\n"
GOOD = "outcome_1_measure,2,,72.5%,,\noutcome_2_measure,2,,51%,,\n"


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def evaluate_cli(capsys, contract, data, *extra):
    code = main(["evaluate", str(contract), "--data", str(data), "--format", "json", *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


BAD_CASES = {
    "unknown indicator": ("outcome_3_measure,2,,51%,,\n", "OBC906", 3, 1),
    "duplicate row": ("outcome_1_measure,2,,60%,,\n", "OBC905", 4, 1),
    "non-numeric value": ("outcome_1_measure,1,,high,,\n", "OBC903", 4, 22),
    "denominator zero": ("outcome_1_measure,1,,,5,0\n", "OBC904", 4, 25),
    "percentage outside 0-100": ("outcome_1_measure,1,,120%,,\n", "OBC907", 4, 22),
    "year outside the term": ("outcome_1_measure,3,,70%,,\n", "OBC909", 4, 19),
    "not a year": ("outcome_1_measure,last,,70%,,\n", "OBC909", 4, 19),
    "no value": ("outcome_1_measure,1,,,,\n", "OBC912", 4, 22),
    "value and numerator": ("outcome_1_measure,1,,70%,7,10\n", "OBC912", 4, 22),
    "negative numerator": ("outcome_1_measure,1,,,-7,10\n", "OBC908", 4, 23),
}


@pytest.mark.parametrize("case", BAD_CASES, ids=list(BAD_CASES))
def test_bad_data_gives_its_own_error(tmp_path, capsys, case):
    extra, code, line, column = BAD_CASES[case]
    if case == "unknown indicator":
        text = HEADER + "outcome_1_measure,2,,72.5%,,\n" + extra + "outcome_2_measure,2,,51%,,\n"
    else:
        text = HEADER + GOOD + extra
    path = write(tmp_path, text)
    exit_code, out, err = evaluate_cli(capsys, MONITOR, path, "--year", "2")
    assert exit_code == 1
    assert out == ""  # nothing paid from data that failed
    assert f"error[{code}]" in err
    assert f"{path}:{line}:{column}" in err
    assert "Traceback" not in err
    assert "nothing was computed" in err


def test_negative_count(tmp_path, capsys):
    path = write(tmp_path, HEADER + "suicide,2,,-1,,\n")
    exit_code, out, err = evaluate_cli(capsys, OXFORDSHIRE, path, "--year", "2")
    assert exit_code == 1 and out == ""
    assert "error[OBC908]" in err and "cannot be negative" in err


def test_missing_linked_data_names_indicator_year_and_segment(tmp_path, capsys):
    data = (CONTRACTS / "data" / "oxfordshire_mental_health.csv").read_text()
    data = "\n".join(row for row in data.splitlines() if not row.startswith("paid_employment,3,psychosis")) + "\n"
    path = write(tmp_path, data)
    exit_code, out, err = evaluate_cli(capsys, OXFORDSHIRE, path, "--year", "3")
    assert exit_code == 1 and out == ""
    assert "error[OBC910]" in err
    assert "`paid_employment` has no data for year 3 in segment `psychosis`" in err


def test_missing_data_counted_as_not_achieved_when_the_contract_says_so(tmp_path):
    text = MONITOR.read_text().replace("  rounding half up\n", "  rounding half up\n  missing data counts as not achieved\n")
    contract = obcdsl.loads(text)
    data = read_data(write(tmp_path, HEADER + "outcome_1_measure,2,,72.5%,,\n"))
    statement = contract.evaluate(data, year=2)
    line = next(entry for entry in statement.lines if entry.name == "outcome_2_measure")
    assert line.amount == 0 and "counted as not achieved" in line.explanation
    assert statement.outcomes_paid == Decimal("750000.00")


def test_missing_baseline(tmp_path, capsys):
    data = (CONTRACTS / "data" / "oxfordshire_mental_health.csv").read_text().replace("recovery_star,baseline,,3.0,,\n", "")
    exit_code, _out, err = evaluate_cli(capsys, OXFORDSHIRE, write(tmp_path, data), "--year", "3")
    assert exit_code == 1 and "error[OBC913]" in err


def test_missing_actual_cost_for_the_risk_share(tmp_path, capsys):
    contract = CONTRACTS / "risk_share_corridor.obc"
    data = write(tmp_path, HEADER + "recovery_rate,1,,50%,,\n")
    patients = CONTRACTS / "data" / "risk_share_corridor_patients.csv"
    exit_code, _out, err = evaluate_cli(capsys, contract, data, "--year", "1", "--patients", str(patients))
    assert exit_code == 1 and "error[OBC914]" in err


def test_every_problem_is_reported_at_once(tmp_path, capsys):
    text = HEADER + "outcome_1_measure,2,,abc,,\noutcome_9,2,,5%,,\noutcome_2_measure,2,,150%,,\n"
    exit_code, _out, err = evaluate_cli(capsys, MONITOR, write(tmp_path, text), "--year", "2")
    assert exit_code == 1
    assert all(f"error[{c}]" in err for c in ("OBC903", "OBC906", "OBC907"))


def test_missing_data_file_is_a_usage_error(tmp_path, capsys):
    exit_code, _out, _err = evaluate_cli(capsys, MONITOR, tmp_path / "none.csv", "--year", "2")
    assert exit_code == 2


def test_not_utf8(tmp_path, capsys):
    path = tmp_path / "data.csv"
    path.write_bytes((HEADER + "outcome_1_measure,2,,72%,,\n").encode() + b"\xff\xfe")
    exit_code, _out, err = evaluate_cli(capsys, MONITOR, path, "--year", "2")
    assert exit_code == 1 and "error[OBC901]" in err


def test_no_header(tmp_path):
    with pytest.raises(DataError) as caught:
        read_data(write(tmp_path, "outcome_1_measure;2;72\n"))
    assert caught.value.diagnostics[0].code == "OBC902"


def test_numerator_and_denominator_make_a_percentage(tmp_path):
    data = read_data(write(tmp_path, HEADER + "outcome_1_measure,2,,,725,1000\noutcome_2_measure,2,,51,,\n"))
    statement = obcdsl.load(MONITOR).evaluate(data, year=2)
    assert statement.outcomes_paid == Decimal("1050000.00")


def test_json_data_reads_like_csv(tmp_path):
    rows = [
        {"measure": "outcome_1_measure", "year": 2, "value": "72.5%"},
        {"measure": "outcome_2_measure", "year": 2, "numerator": 51, "denominator": 100},
    ]
    path = write(tmp_path, json.dumps({"rows": rows}, indent=2), "data.json")
    statement = obcdsl.load(MONITOR).evaluate(read_data(path), year=2)
    assert statement.total_to_provider == Decimal("1050000.00")


def test_json_errors_name_the_line(tmp_path, capsys):
    rows = [{"measure": "outcome_1_measure", "year": 2, "value": "72.5%"}, {"measure": "outcome_2_measure", "year": 2, "value": "lots"}]
    path = write(tmp_path, json.dumps({"rows": rows}, indent=2), "data.json")
    exit_code, _out, err = evaluate_cli(capsys, MONITOR, path, "--year", "2")
    assert exit_code == 1 and "error[OBC903]" in err
    text = path.read_text().splitlines()
    line = next(i for i, row in enumerate(text, start=1) if '"lots"' in row)
    assert f"{path}:{line}:" in err


def test_xlsx_data_reads_like_csv(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["measure", "year", "segment", "value"])
    sheet.append(["outcome_1_measure", 2, None, 0.725])
    sheet.cell(row=2, column=4).number_format = "0.0%"
    sheet.append(["outcome_2_measure", 2, None, 51])
    path = tmp_path / "data.xlsx"
    book.save(path)
    statement = obcdsl.load(MONITOR).evaluate(read_data(path), year=2)
    assert statement.total_to_provider == Decimal("1050000.00")


def test_xlsx_errors_name_row_and_column(tmp_path, capsys):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["measure", "year", "segment", "value"])
    sheet.append(["outcome_1_measure", 2, None, "n/a"])
    path = tmp_path / "data.xlsx"
    book.save(path)
    exit_code, _out, err = evaluate_cli(capsys, MONITOR, path, "--year", "2")
    assert exit_code == 1
    assert "error[OBC903]" in err and "row 2, column `value`" in err


def test_parquet_patient_costs(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"patient": ["a", "b", "c"], "year": [1, 1, 1], "cost": ["25000.00", "19000", "45500.50"]})
    path = tmp_path / "patients.parquet"
    pq.write_table(table, path)
    contract = obcdsl.load(CONTRACTS / "risk_share_corridor.obc")
    data = read_data(CONTRACTS / "data" / "risk_share_corridor.csv", patients=path)
    statement = contract.evaluate(data, year=1)
    # 10% coinsurance on the excess over £20,000: (5,000 + 25,500.50) × 90%
    assert statement.risk.stop_loss == Decimal("27450.45")


def test_negative_patient_cost(tmp_path):
    path = write(tmp_path, "patient,year,cost\na,1,-5\n", "patients.csv")
    with pytest.raises(DataError) as caught:
        read_data(CONTRACTS / "data" / "risk_share_corridor.csv", patients=path)
    assert caught.value.diagnostics[0].code == "OBC908"


def test_all_years_and_formats(capsys):
    data = CONTRACTS / "data" / "monitor_staged_linking.csv"
    assert main(["evaluate", str(MONITOR), "--data", str(data), "--all-years", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [y["year"] for y in document["years"]] == [1, 2]
    assert main(["evaluate", str(MONITOR), "--data", str(data), "--year", "2", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == ("contract,year,kind,outcome,indicator,title,segment,measured,threshold,reached,"
                                   "allocation,amount,clause,explanation")
    assert "total,,total_to_provider,Total to the lead provider,,,,,,1050000.00" in out
    assert main(["evaluate", str(MONITOR), "--data", str(data), "--year", "2", "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert "| Total to the lead provider | £1,050,000.00 |" in out
    assert main(["evaluate", str(MONITOR), "--data", str(data), "--year", "2"]) == 0
    out = capsys.readouterr().out
    assert "£1,050,000.00" in out and "Total to the lead provider" in out


def test_evaluate_refuses_a_broken_contract(tmp_path, capsys):
    broken = CONTRACTS.parent / "tests" / "broken" / "OBC301_outcome_weights.obc"
    data = write(tmp_path, HEADER)
    assert main(["evaluate", str(broken), "--data", str(data), "--year", "1"]) == 1
    assert "error[OBC301]" in capsys.readouterr().err


def test_a_number_too_large_is_refused(tmp_path, capsys):
    path = write(tmp_path, HEADER + GOOD.replace("51%", "9" * 40))
    exit_code, out, err = evaluate_cli(capsys, MONITOR, path, "--year", "2")
    assert exit_code == 1 and out == ""
    assert "error[OBC903]" in err and "too large" in err
