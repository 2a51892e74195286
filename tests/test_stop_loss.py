"""Per-patient stop-loss over streamed patient cost files."""

from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from obcdsl.stop_loss import PatientCosts, PatientFileError, stream_excess

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
