"""The stop-loss over partitioned Parquet on Spark: pyarrow's result to the penny, and the same refusals."""

import json
import os
import shutil
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
from conftest import CONTRACTS

from obcdsl.cli import main
from obcdsl.stop_loss import PatientCosts, PatientFileError
from obcdsl.spark import SparkPatientCosts, stop_loss_excess

D = Decimal


def partitioned(root, seed=3, patients=120, files=3, rows=500):
    """A hive-partitioned folder (`year=N/part-K.parquet`): each patient's rows spread over several files and row groups."""
    rng = np.random.default_rng(seed)
    expected: dict = {}
    for year in (1, 2):
        folder = root / f"year={year}"
        folder.mkdir(parents=True)
        for part in range(files):
            who = rng.integers(0, patients, rows)
            pennies = rng.integers(0, 1_500_000, rows)
            for p, c in zip(who.tolist(), pennies.tolist()):
                expected.setdefault(year, {}).setdefault(p, 0)
                expected[year][p] += c
            pq.write_table(pa.table({"patient": [f"P{p:05d}" for p in who],
                                     "cost": pa.array([D(int(c)) / 100 for c in pennies], pa.decimal128(12, 2)),
                                     "episode": np.arange(rows) + part * rows}),
                           folder / f"part-{part}.parquet", row_group_size=170)
    return expected


def by_hand(totals: dict, threshold: int, limit: int) -> tuple[int, Decimal]:
    over = [min(t, limit) - threshold for t in totals.values() if min(t, limit) > threshold]
    return len(over), D(sum(over)) / 100


def test_partitioned_parquet_on_spark_matches_pyarrow_to_the_penny(spark, tmp_path):
    root = tmp_path / "patients"
    expected = partitioned(root)
    threshold, limit = D("20000"), D("45000.55")
    local = PatientCosts.open(root)
    costs = SparkPatientCosts.open(root, spark)
    try:
        assert costs.years == local.years == frozenset({1, 2})
        assert costs.rows == local.rows == 3_000
        for year in (1, 2):
            here = local.excess(year, threshold, limit)
            there = costs.excess(year, threshold, limit)
            assert there == here
            assert (there.patients, there.excess) == by_hand(expected[year], 2_000_000, 4_500_055)
            totals = expected[year].values()
            assert 0 < sum(t > 4_500_055 for t in totals) < there.patients  # the limit binds for some, not all
        assert costs.excess(2, threshold, None) == local.excess(2, threshold, None)
    finally:
        costs.close()


def test_a_bad_folder_is_refused_on_spark_with_the_local_engines_diagnostics(spark, tmp_path):
    root = tmp_path / "patients"
    partitioned(root, patients=40, files=2, rows=200)
    shutil.copy(root / "year=2" / "part-0.parquet", root / "year=2" / "part-5.parquet")  # every row paid twice
    pq.write_table(pa.table({"patient": ["A", " ", "C", "D"], "cost": pa.array([D("12.50"), D(1), D(-3), None], pa.decimal128(12, 2)),
                             "episode": [1, 2, 3, 4]}), root / "year=1" / "bad.parquet")

    def found(open_costs):
        with pytest.raises(PatientFileError) as caught:
            open_costs(root)
        return sorted((d.code, d.message, d.span.file, d.span.line, d.help, d.notes) for d in caught.value.diagnostics)

    here, there = found(PatientCosts.open), found(lambda r: stop_loss_excess(r, 1, D(100), None, spark=spark))
    assert there == here
    codes = {d[0] for d in there}
    assert codes == {"OBC903", "OBC905", "OBC908"}
    assert ("OBC908", "row 3, column `cost`: the cost is negative", str(root / "year=1" / "bad.parquet"), 3) in [d[:4] for d in there]
    assert any(d[1] == "… and 180 more rows like this (OBC905)" for d in there)  # 200 repeats: 20 shown, the rest counted


def test_csv_files_and_clashing_column_types_are_refused_with_a_message(spark, tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    pq.write_table(pa.table({"patient": ["A"], "year": [1], "cost": [12.5]}), folder / "a.parquet")
    (folder / "b.csv").write_text("patient,year,cost\nA,1,3\n")
    with pytest.raises(PatientFileError) as caught:
        SparkPatientCosts.open(folder, spark)
    assert "CSV file; the Spark engine reads Parquet" in caught.value.diagnostics[0].message
    (folder / "b.csv").unlink()
    pq.write_table(pa.table({"patient": ["B"], "year": [1], "cost": ["3.00"]}), folder / "c.parquet")
    with pytest.raises(PatientFileError) as caught:
        SparkPatientCosts.open(folder, spark)
    assert caught.value.diagnostics[0].message.startswith("Spark cannot read the patient cost files")
    assert "different types" in caught.value.diagnostics[0].help


def test_the_cli_settles_the_stop_loss_on_spark_as_locally(spark, tmp_path, capsys):
    table = pcsv.read_csv(CONTRACTS / "data" / "risk_share_corridor_patients.csv")
    root = tmp_path / "patients"
    pq.write_to_dataset(table, root, partition_cols=["year"])  # year=1/..., year=2/...
    command = ["evaluate", str(CONTRACTS / "risk_share_corridor.obc"), "--data", str(CONTRACTS / "data" / "risk_share_corridor.csv"),
               "--patients", str(root), "--year", "2", "--format", "json"]
    assert main(command) == 0
    here = json.loads(capsys.readouterr().out)
    assert main(command + ["--engine", "spark", "--master", "local[2]"]) == 0
    there = json.loads(capsys.readouterr().out)
    assert there == here
    line = next(x for x in there["lines"] if x["kind"] == "stop-loss")
    assert line["inputs"]["patients_over_threshold"] > 0
    bad = root / "year=2" / os.listdir(root / "year=2")[0]
    shutil.copy(bad, bad.with_name("again.parquet"))
    assert main(command + ["--engine", "spark"]) == 1
    assert "OBC905" in capsys.readouterr().err
