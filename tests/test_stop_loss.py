"""Per-patient stop-loss over streamed patient cost files: summed per patient, checked row by row."""

from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import CONTRACTS

import obcdsl
from obcdsl.data import Data, DataError, PatientCost, read_data
from obcdsl.stop_loss import Excess, PatientCosts, PatientFileError, stream_excess

D = Decimal


def write_csv(path, rows):
    path.write_text("patient,year,cost\n" + "".join(f"{p},{y},{c}\n" for p, y, c in rows))
    return path


def test_excess_is_exact_and_chunking_does_not_change_it(tmp_path):
    rng = np.random.default_rng(5)
    costs = rng.integers(0, 6_000_000, 50_000)  # pennies
    years = rng.integers(1, 4, 50_000)
    path = tmp_path / "patients.parquet"
    pq.write_table(pa.table({"patient": [f"p{i}" for i in range(50_000)], "year": years, "cost": costs / 100}), path)
    threshold, limit = D(20000), D(45000)
    expected_pennies = int(np.sum(np.clip(np.minimum(costs[years == 2], 4_500_000) - 2_000_000, 0, None)))
    whole = stream_excess(path, 2, threshold, limit, chunk_rows=1 << 20)
    small = stream_excess(path, 2, threshold, limit, chunk_rows=997)
    assert whole == small
    assert whole.excess == D(expected_pennies) / 100
    assert whole.patients == int(np.sum(costs[years == 2] > 2_000_000))


def test_csv_with_pound_signs_and_commas(tmp_path):
    path = write_csv(tmp_path / "p.csv", [("a", 1, '"£25,000.50"'), ("b", 1, "19000"), ("c", 2, "90000")])
    assert stream_excess(path, 1, D(20000), None).excess == D("5000.50")


def test_negative_cost_names_the_row(tmp_path):
    path = write_csv(tmp_path / "p.csv", [("a", 1, "5"), ("b", 1, "-3")])
    with pytest.raises(PatientFileError) as caught:
        PatientCosts.open(path)
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "OBC908" and "row 3" in diagnostic.message and diagnostic.span.line == 3


def test_bad_number_names_the_row(tmp_path):
    path = write_csv(tmp_path / "p.csv", [("a", 1, "5"), ("b", 1, "lots")])
    with pytest.raises(PatientFileError) as caught:
        PatientCosts.open(path)
    assert caught.value.diagnostics[0].code == "OBC903"
    assert "`lots`" in caught.value.diagnostics[0].message


def test_missing_column(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("patient,cost\na,5\n")
    with pytest.raises(PatientFileError) as caught:
        PatientCosts.open(path)
    assert caught.value.diagnostics[0].code == "OBC902"


def test_years_are_noted(tmp_path):
    path = write_csv(tmp_path / "p.csv", [("a", 1, "5"), ("b", 3, "7")])
    assert PatientCosts.open(path).years == {1, 3}


# ---------------------------------------------------------------- costs are summed per patient (issue 9, item 1)

CORRIDOR = CONTRACTS / "risk_share_corridor.obc"
CORRIDOR_DATA = CONTRACTS / "data" / "risk_share_corridor.csv"


def corridor_stop_loss(patients, year=2):
    contract = obcdsl.load(CORRIDOR)
    return contract.evaluate(read_data(CORRIDOR_DATA, patients=patients), year=year).risk.stop_loss


def test_a_patients_rows_are_summed_before_the_threshold(tmp_path):
    # issue 9: two rows for one patient paid £0.00 where one row of their sum paid £9,000.00
    one = write_csv(tmp_path / "one.csv", [("P1", 2, "30000")])
    two = write_csv(tmp_path / "two.csv", [("P1", 2, "12000"), ("P1", 2, "18000")])
    assert corridor_stop_loss(one) == D("9000.00")
    assert corridor_stop_loss(two) == D("9000.00")


def test_the_issues_file_of_two_equal_rows_is_refused_as_a_repeat_unless_a_column_tells_them_apart(tmp_path):
    same = write_csv(tmp_path / "same.csv", [("P1", 2, "15000"), ("P1", 2, "15000")])
    with pytest.raises(DataError) as caught:
        read_data(CORRIDOR_DATA, patients=same)
    (problem,) = caught.value.diagnostics
    assert problem.code == "OBC905" and problem.message == "row 3 repeats row 2: patient `P1`, year 2, cost £15,000.00"
    assert problem.span.file == str(same) and problem.span.line == 3 and problem.related[0].span.line == 2
    episodes = tmp_path / "episodes.csv"
    episodes.write_text("patient,year,episode,cost\nP1,2,1,15000\nP1,2,2,15000\n")
    assert corridor_stop_loss(episodes) == D("9000.00")


def test_a_patient_file_without_a_patient_column_is_refused(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("year,cost\n2,30000\n")
    with pytest.raises(PatientFileError) as caught:
        PatientCosts.open(path)
    (problem,) = caught.value.diagnostics
    assert problem.code == "OBC902" and problem.message.startswith("the file has no `patient` column")
    table = tmp_path / "p.parquet"
    pq.write_table(pa.table({"year": [2], "cost": [30000.0]}), table)
    with pytest.raises(PatientFileError):
        PatientCosts.open(table)


def visits(seed=3, patients=400, rows=6000):
    """Patient rows shaped like an extract: many rows a patient, in no order, costs in pennies."""
    rng = np.random.default_rng(seed)
    who = rng.integers(0, patients, rows)
    years = rng.integers(1, 4, rows)
    pennies = rng.integers(0, 1_500_000, rows)
    return [f"NHS{p:06d}" for p in who], years, pennies


def expected(who, years, pennies, year, threshold, limit):
    totals = {}
    for p, y, c in zip(who, years, pennies):
        if y == year:
            totals[p] = totals.get(p, 0) + int(c)
    top = [min(t, limit * 100) if limit is not None else t for t in totals.values()]
    over = [t - threshold * 100 for t in top if t > threshold * 100]
    return Excess(len(over), D(sum(over)) / 100)


def test_row_groups_files_and_chunks_do_not_change_a_patients_total(tmp_path):
    who, years, pennies = visits()
    table = pa.table({"patient": who, "year": years, "cost": pa.array(pennies / 100)})
    whole = tmp_path / "whole.parquet"
    pq.write_table(table, whole)
    groups = tmp_path / "groups.parquet"
    pq.write_table(table, groups, row_group_size=97)  # one patient's rows spread over many row groups
    assert pq.ParquetFile(groups).num_row_groups > 50
    half = len(who) // 2
    first, second = tmp_path / "first.csv", tmp_path / "second.parquet"
    write_csv(first, [(p, y, f"{c / 100:.2f}") for p, y, c in zip(who[:half], years[:half], pennies[:half])])
    pq.write_table(table.slice(half), second)
    want = expected(who, years, pennies, 2, 20000, 45000)
    assert want.patients > 20
    for source in (whole, groups, [first, second]):
        for chunk in (1 << 20, 1000, 97, 7):
            assert stream_excess(source, 2, D(20000), D(45000), chunk_rows=chunk) == want
    assert PatientCosts.open([first, second]).excess(2, D(20000), D(45000)) == want
    # the in-memory form applies the same rule
    data = Data((), tuple(PatientCost(p, int(y), D(int(c)) / 100) for p, y, c in zip(who, years, pennies)))
    assert data.patient_excess(2, D(20000), D(45000)) == want


def test_the_limit_applies_to_a_patients_total(tmp_path):
    path = write_csv(tmp_path / "p.csv", [("P1", 2, "200000"), ("P1", 2, "100000"), ("P2", 2, "30000")])
    # P1's £300,000 counts up to £250,000: (250,000 − 20,000) + (30,000 − 20,000)
    assert stream_excess(path, 2, D(20000), D(250000)) == Excess(2, D(240000))
    data = Data((), (PatientCost("P1", 2, D(200000)), PatientCost("P1", 2, D(100000)), PatientCost("P2", 2, D(30000))))
    assert data.patient_excess(2, D(20000), D(250000)) == Excess(2, D(240000))


def test_a_folder_and_a_partitioned_dataset(tmp_path):
    who, years, pennies = visits(seed=8, rows=3000)
    table = pa.table({"patient": who, "year": years, "episode": np.arange(len(who)), "cost": pa.array(pennies / 100)})
    dataset = tmp_path / "dataset"
    pq.write_to_dataset(table, dataset, partition_cols=["year"])  # year=1/..., year=2/...: no year column in the files
    costs = PatientCosts.open(dataset)
    assert costs.years == {1, 2, 3} and costs.rows == len(who)
    assert costs.excess(2, D(20000), None) == expected(who, years, pennies, 2, 20000, None)
    data = read_data(CORRIDOR_DATA, patients=dataset)
    assert data.patient_years() == {1, 2, 3}
    assert obcdsl.load(CORRIDOR).evaluate(data, year=2).risk.stop_loss > 0


def test_patient_years_for_every_kind_of_patients():
    assert Data((), (PatientCost("a", 1, D(5)), PatientCost("a", 3, D(5)))).patient_years() == {1, 3}
    assert Data().patient_years() == set()


def test_a_file_given_twice_is_refused(tmp_path):
    path = write_csv(tmp_path / "p.csv", [("a", 1, "5")])
    with pytest.raises(PatientFileError) as caught:
        PatientCosts.open([path, path])
    assert "given twice" in caught.value.diagnostics[0].message


def test_integer_patients_in_parquet_and_text_patients_in_csv_are_summed_together(tmp_path):
    numbers = tmp_path / "numbers.parquet"
    pq.write_table(pa.table({"patient": [7, 8], "year": [1, 1], "cost": [15000.0, 1.0]}), numbers)
    text = write_csv(tmp_path / "text.csv", [("7", 1, "15000"), ("9", 1, "1")])
    assert PatientCosts.open([numbers, text]).excess(1, D(20000), None) == Excess(1, D(10000))


# ---------------------------------------------------------------- decimal marks in patient files (issue 9, item 2)


def test_a_decimal_comma_in_a_patient_cost_is_refused_not_read_as_pennies(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text('patient,year,cost\nP1,2,"15000,50"\nP2,2,"£25,000.50"\n')
    with pytest.raises(PatientFileError) as caught:
        PatientCosts.open(path)
    (problem,) = caught.value.diagnostics
    assert problem.code == "OBC917" and problem.span.line == 2
    assert problem.message == ("row 2, column `cost`: `15000,50` could be 15000.50 (decimal comma) "
                               "or 1500050 (thousands separators); this file's decimal mark is a point")


def test_a_european_patient_file_declaring_its_decimal_comma(tmp_path):
    path = tmp_path / "p.csv"
    path.write_bytes("\ufeff# decimal mark: comma;;\r\npatient;year;cost\r\nP1;2;15000,50\r\nP1;2;£14.999,50\r\n\r\nP2;2;1.000\r\n"
                     .encode())
    costs = PatientCosts.open(path)
    assert costs.rows == 3
    assert costs.excess(2, D(20000), None) == Excess(1, D(10000))
    assert PatientCosts.open(path, decimal_mark="point").rows == 3  # the file's own declaration wins


def test_an_undeclared_semicolon_file_refuses_points_that_may_group_thousands(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("patient;year;cost\nP1;2;15.000\nP2;2;20000\n")
    with pytest.raises(PatientFileError) as caught:
        PatientCosts.open(path)
    assert caught.value.diagnostics[0].code == "OBC917" and "`15.000` could be 15.000" in caught.value.diagnostics[0].message


def test_an_unquoted_amount_with_commas_names_its_row_and_later_rows_keep_their_numbers(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("patient,year,cost\nP1,2,£25,000.50\nP2,2,5\n# checked by finance\nP3,2,-4\n")
    with pytest.raises(PatientFileError) as caught:
        PatientCosts.open(path)
    found = {(p.code, p.span.line) for p in caught.value.diagnostics}
    assert found == {("OBC912", 2), ("OBC908", 5)}


def test_blank_lines_and_comments_keep_row_numbers(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("# extract of 3 March\n\npatient,year,cost\n\nP1,2,5\n\nP2,2,lots\n")
    with pytest.raises(PatientFileError) as caught:
        PatientCosts.open(path)
    (problem,) = caught.value.diagnostics
    assert problem.span.line == 7 and problem.message == "row 7, column `cost`: `lots` is not a number"


# ---------------------------------------------------------------- repeated rows (issue 9, item 4)


def test_repeats_are_found_across_batches_and_files(tmp_path):
    who, years, pennies = visits(seed=11, rows=2000)
    rows = [(p, y, f"{c / 100:.2f}") for p, y, c in zip(who, years, pennies)]
    rows = list(dict.fromkeys(rows))  # no repeats to begin with
    first = write_csv(tmp_path / "a.csv", rows)
    second = write_csv(tmp_path / "b.csv", [rows[5], ("new", 1, "1")])
    assert PatientCosts.open(first, chunk_rows=50).rows == len(rows)
    with pytest.raises(PatientFileError) as caught:
        PatientCosts.open([first, second], chunk_rows=50)
    (problem,) = caught.value.diagnostics
    assert problem.code == "OBC905" and problem.span.file == str(second)
    assert problem.message.startswith(f"row 2 repeats row 7 of `{first}`")
    repeated = write_csv(tmp_path / "c.csv", rows + [rows[0]])
    with pytest.raises(PatientFileError) as caught:
        PatientCosts.open(repeated, chunk_rows=50)
    assert caught.value.diagnostics[0].message.startswith(f"row {len(rows) + 2} repeats row 2:")


def test_the_same_cost_written_differently_is_the_same_row(tmp_path):
    path = write_csv(tmp_path / "p.csv", [("P1", 2, "15000"), ("P1", 2, '"£15,000.00"')])
    with pytest.raises(PatientFileError) as caught:
        PatientCosts.open(path)
    assert caught.value.diagnostics[0].code == "OBC905"


def test_a_collision_of_row_keys_never_refuses_good_rows(tmp_path, monkeypatch):
    from obcdsl import stop_loss

    monkeypatch.setattr(stop_loss, "row_hashes", lambda rows: np.zeros(len(rows.lines), dtype=np.uint64))
    path = write_csv(tmp_path / "p.csv", [("P1", 2, "5"), ("P2", 2, "5"), ("P1", 3, "5"), ("P1", 2, "6")])
    assert PatientCosts.open(path, chunk_rows=2).rows == 4  # every key the same, no row the same
    repeated = write_csv(tmp_path / "r.csv", [("P1", 2, "5"), ("P2", 2, "5"), ("P1", 2, "5")])
    with pytest.raises(PatientFileError) as caught:
        PatientCosts.open(repeated, chunk_rows=2)
    assert [p.message for p in caught.value.diagnostics] == ["row 4 repeats row 2: patient `P1`, year 2, cost £5.00"]


def test_parquet_costs_of_every_kind_are_taken_to_the_penny_exactly(tmp_path):
    path = tmp_path / "p.parquet"
    costs = [D("0.125"), D("0.135"), D("20000.005"), D("0.01")]
    pq.write_table(pa.table({"patient": ["a", "b", "c", "d"], "year": pa.array([1, 1, 1, 1], pa.int32()),
                             "cost": pa.array(costs, pa.decimal128(12, 3))}), path)
    # half even: 0.12, 0.14, 20000.00, 0.01
    assert stream_excess(path, 1, D(0), None) == Excess(4, D("20000.27"))
    integers = tmp_path / "i.parquet"
    pq.write_table(pa.table({"patient": [1, 1], "year": [2, 2], "cost": pa.array([15000, 15001], pa.int64())}), integers)
    assert stream_excess(integers, 2, D(20000), None) == Excess(1, D(10001))
    bad = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"patient": ["a", "b", None], "year": [1, 1, 1], "cost": [float("nan"), None, 5.0]}), bad)
    with pytest.raises(PatientFileError) as caught:
        PatientCosts.open(bad)
    assert sorted(p.message for p in caught.value.diagnostics) == [
        "row 1, column `cost`: the cost is not a number", "row 2, column `cost`: the cost is empty",
        "row 3, column `patient`: the patient is empty"]
    wide = tmp_path / "wide.parquet"
    pq.write_table(pa.table({"patient": ["a", "b"], "year": [1, 1],
                             "cost": pa.array([D("25000.505"), D(10) ** 14], pa.decimal128(38, 3))}), wide)
    with pytest.raises(PatientFileError) as caught:
        PatientCosts.open(wide)
    assert [p.message for p in caught.value.diagnostics] == ["row 2, column `cost`: the cost is too large"]


def test_a_comment_line_among_the_rows_is_not_a_row(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("patient,year,cost\nP1,2,12000\n# the rest came from the second site\nP1,2,18000\n")
    costs = PatientCosts.open(path)
    assert costs.rows == 2 and costs.excess(2, D(20000), None) == Excess(1, D(10000))
