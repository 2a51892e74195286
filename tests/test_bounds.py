"""Static payment bounds, and counterexamples the evaluator reproduces."""

import json
from decimal import Decimal

import pytest

import obcdsl
from obcdsl import bounds
from obcdsl.checker import check_path
from obcdsl.cli import main

from conftest import BROKEN, CONTRACTS

D = Decimal


def contract_ast(name):
    return obcdsl.load(CONTRACTS / name).ast


def test_monitor_bounds_are_pinned():
    years = bounds.bounds(contract_ast("monitor_staged_linking.obc"))
    assert [(b.year, b.outcomes.least, b.outcomes.most) for b in years] == [
        (1, D(0), D("400000.00")),
        (2, D(0), D("3000000.00")),
    ]
    assert years[0].total.most == D("400000.00")


def test_oxfordshire_pot_can_be_paid_in_full_and_no_more():
    for b in bounds.bounds(contract_ast("oxfordshire_mental_health.obc")):
        assert (b.outcomes + b.bonus).most <= b.pot
        if b.year >= 3:
            assert (b.outcomes + b.bonus).most == b.pot


def test_bounds_agree_with_evaluation_at_the_counterexample():
    contract = contract_ast("oxfordshire_mental_health.obc")
    for b in bounds.bounds(contract)[1:3]:
        data = bounds.counterexample(contract, b.year, actual_cost=b.budget)
        statement = obcdsl.api.evaluate(contract, data, b.year)
        assert statement.outcomes_paid == b.outcomes.most
        assert statement.bonus_paid == b.bonus.most


def test_uncapped_losses_have_no_upper_bound():
    years = bounds.bounds(contract_ast("cheshire_wirral_pilot.obc"))
    assert years[0].risk_share is None  # the pilot years have no risk share
    assert years[3].risk_share.most is None
    assert years[3].risk_share.least < 0


def test_corridor_provider_exposure_is_capped():
    contract = contract_ast("risk_share_corridor.obc")
    for b in bounds.bounds(contract):
        cap = min(D(1000000), b.budget * D("0.04")).quantize(D("0.01"))
        assert b.provider_exposure.most == cap


@pytest.mark.parametrize("name", ["OBC304_pot_overpays", "OBC301_bonus_on_top", "OBC381_uncapped_scaling"])
def test_counterexample_reproduces_the_overpayment(tmp_path, capsys, name):
    path = BROKEN / f"{name}.obc"
    assert main(["check", str(path), "--emit-test", str(tmp_path)]) == 1
    emitted = sorted(tmp_path.glob("*.csv"))
    assert emitted, "no counterexample written"
    data_file = emitted[0]
    year = data_file.stem.rsplit("year", 1)[1]
    capsys.readouterr()
    # Nothing is paid from a contract with errors: `evaluate` refuses it ...
    assert main(["evaluate", str(path), "--data", str(data_file), "--year", year, "--format", "json"]) == 1
    streams = capsys.readouterr()
    assert streams.out == "" and "nothing was computed" in streams.err
    # ... and the evaluator itself, given the counterexample, shows the overpayment the check proved.
    from obcdsl.data import read_data
    from obcdsl.evaluate import evaluate

    statement = evaluate(check_path(path).contract, read_data(data_file), int(year))
    paid = statement.outcomes_paid + statement.bonus_paid
    assert paid > statement.pot
    assert statement.overpayment == paid - statement.pot


def test_counterexample_is_in_the_json_diagnostic(capsys):
    main(["check", "--format", "json", str(BROKEN / "OBC304_pot_overpays.obc")])
    (item,) = json.loads(capsys.readouterr().out)["files"][0]["diagnostics"]
    assert item["code"] == "OBC304"
    assert item["counterexample"]["year"] == 1
    assert item["counterexample"]["csv"].startswith("measure,year,segment,value")
    assert "£2,200,000.00" in item["counterexample"]["shows"]


def test_check_bounds_prints_a_table_and_json(capsys):
    assert main(["check", "--bounds", str(CONTRACTS / "monitor_staged_linking.obc")]) == 0
    out = capsys.readouterr().out
    assert "Payment bounds" in out and "£0.00 to £400,000.00" in out and "£0.00 to £3,000,000.00" in out
    assert main(["check", "--bounds", "--format", "json", str(CONTRACTS / "monitor_staged_linking.obc")]) == 0
    document = json.loads(capsys.readouterr().out)
    years = document["bounds"][0]["years"]
    assert years[0]["outcomes"] == {"least": "0.00", "most": "400000.00"}
    assert years[1]["outcomes"]["most"] == "3000000.00"


def test_ceiling_counterexample():
    result = check_path(BROKEN / "OBC382_ceiling.obc")
    (diagnostic,) = [d for d in result.diagnostics if d.code == "OBC382"]
    assert diagnostic.counterexample is not None
    assert "total to the provider" in diagnostic.counterexample["shows"]


def test_evaluate_still_refuses_a_contract_with_other_errors(tmp_path, capsys):
    data = tmp_path / "d.csv"
    data.write_text("measure,year,segment,value\n")
    assert main(["evaluate", str(BROKEN / "OBC403_bands_order.obc"), "--data", str(data), "--year", "1"]) == 1
    assert "nothing was computed" in capsys.readouterr().err
