"""Big bad files: the first problems of each kind are described, the rest counted exactly (issue 9, item 16)."""

import pytest
from conftest import CONTRACTS

import obcdsl
from obcdsl.cli import main
from obcdsl.data import DataError, read_data
from obcdsl.tables import CAP, Problems, problem_count
from obcdsl.data_validation import validate
from obcdsl.diagnostics import error
from obcdsl.stop_loss import PatientCosts, PatientFileError

HEADER = "measure,year,segment,value,numerator,denominator\n"
OXFORDSHIRE = CONTRACTS / "oxfordshire_mental_health.obc"


@pytest.fixture(scope="module")
def oxfordshire():
    return obcdsl.load(OXFORDSHIRE)


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_unknown_measures_are_capped_and_the_rest_counted(tmp_path, oxfordshire):
    path = write(tmp_path, HEADER + "".join(f"crisis_respons_{i},3,,87.2%,,\n" for i in range(5000)))
    found = validate(oxfordshire.ast, read_data(path))
    assert [p.code for p in found] == ["OBC906"] * (CAP + 1)
    assert [p.span.line for p in found[:CAP]] == list(range(2, CAP + 2))
    assert found[0].help == "did you mean `crisis_response_4h`?"
    summary = found[-1]
    assert summary.message == "… and 4,980 more rows like this (OBC906)"
    assert summary.span.file == str(path) and summary.span.line == CAP + 2  # where the first not shown is
    assert summary.notes == ("the first of them: row 22, column `measure`: the contract has no indicator or measure `crisis_respons_20`",)
    assert problem_count(found) == 5000


def test_repeated_rows_are_capped_and_the_rest_counted(tmp_path):
    path = write(tmp_path, HEADER + "".join(f"suicide,3,,{i % 9},,\n" for i in range(5000)))
    with pytest.raises(DataError) as caught:
        read_data(path)
    found = caught.value.diagnostics
    assert [p.code for p in found] == ["OBC905"] * (CAP + 1)
    assert found[-1].message == "… and 4,979 more rows like this (OBC905)"


def test_each_kind_is_capped_on_its_own(tmp_path):
    rows = "".join(f"suicide,{'x' if i % 2 else 3},,{'lots' if i % 2 == 0 else 1},,\n" for i in range(1000))
    with pytest.raises(DataError) as caught:
        read_data(write(tmp_path, HEADER + rows))
    found = caught.value.diagnostics
    assert sorted(p.code for p in found) == ["OBC903"] * (CAP + 1) + ["OBC909"] * (CAP + 1)
    summaries = sorted(p.message for p in found if p.message.startswith("…"))
    assert summaries == ["… and 480 more rows like this (OBC903)", "… and 480 more rows like this (OBC909)"]


def test_patient_file_problems_are_capped(tmp_path):
    path = tmp_path / "patients.csv"
    path.write_text("patient,year,cost\n" + "".join(f"P{i},2,-{i + 1}\n" for i in range(5000))
                    + "".join(f"Q{i},2,{i}\n" for i in range(3)) * 2)
    with pytest.raises(PatientFileError) as caught:
        PatientCosts.open(path, chunk_rows=1000)
    found = caught.value.diagnostics
    assert [p.code for p in found].count("OBC908") == CAP + 1
    assert [p.code for p in found].count("OBC905") == 3
    assert next(p for p in found if p.message.startswith("…")).message == "… and 4,980 more rows like this (OBC908)"


def test_repeated_patient_rows_are_capped(tmp_path):
    path = tmp_path / "patients.csv"
    path.write_text("patient,year,cost\n" + "P1,2,5\n" * 5000)
    with pytest.raises(PatientFileError) as caught:
        PatientCosts.open(path, chunk_rows=300)
    found = caught.value.diagnostics
    assert [p.code for p in found] == ["OBC905"] * (CAP + 1)
    assert found[0].message == "row 3 repeats row 2: patient `P1`, year 2, cost £5.00"
    assert found[-1].message == "… and 4,979 more rows like this (OBC905)"


def test_the_command_line_prints_the_capped_problems(tmp_path, capsys):
    path = write(tmp_path, HEADER + "".join(f"crisis_respons_{i},3,,87.2%,,\n" for i in range(5000)))
    assert main(["evaluate", str(OXFORDSHIRE), "--data", str(path), "--year", "3"]) == 1
    err = capsys.readouterr().err
    assert err.count("error[OBC906]") == CAP + 1
    assert "… and 4,980 more rows like this (OBC906)" in err
    assert len(err) < 20_000


def test_problems_counts_exactly():
    found = Problems(cap=2)
    for i in range(5):
        found.add("OBC903", "a.csv", lambda i=i: error("OBC903", f"bad {i}", None))
    found.add_many("OBC903", "b.csv", 1000, lambda i: error("OBC903", f"bad b{i}", None))
    built = []
    found.add_many("OBC908", "a.csv", 10**6, lambda i: built.append(i) or error("OBC908", f"negative {i}", None))
    assert built == [0, 1, 2]  # only the shown ones and the first of the rest are described
    assert found.count() == 5 + 1000 + 10**6 and found.count("OBC908") == 10**6
    messages = [p.message for p in found.diagnostics()]
    assert messages == ["bad 0", "bad 1", "bad b0", "bad b1", "negative 0", "negative 1",
                        "… and 3 more rows like this (OBC903)", "… and 998 more rows like this (OBC903)",
                        "… and 999,998 more rows like this (OBC908)"]
    merged = Problems(cap=2)
    merged.merge(found)
    assert [p.message for p in merged.diagnostics()] == messages
