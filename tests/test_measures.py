"""Data measures (issue 11): `measures ... end` declares data a contract reads without paying for it, and
`actual_cost` reads the year's actual cost, in gateways, bonus conditions and scaling factors. Exact and array
evaluation agree, on the threshold and a unit either side."""

from decimal import Decimal

import numpy as np
import pytest

import obcdsl
from obcdsl import vector
from obcdsl.builder import read_contract
from obcdsl.checker import check_text
from obcdsl.data import Data, DataPoint, read_data
from obcdsl.data_template import template_for
from obcdsl.evaluate import evaluate
from obcdsl.format import render
from obcdsl.source import SourceFile
from obcdsl.tables import DataError

CONTRACT = """
contract "Measures example" clause 1
  commissioner "Example ICB"
  lead provider "Example Trust"
  term 3 years from 2024/25
end

budget clause 2
  baseline £10m
end

payments clause 3
  core 95% of budget
  outcomes pot 5% of budget
end

outcomes clause 4
  outcome recovery "People recover"
    weight 80%
    indicator recovery_rate "Recovery rate"
      unit percent
      higher is better
      target at least 50%
      only if list_size at least 12,000 clause 4.2
    end
  end
  bonus thrift "Quality within the expenditure target"
    weight 20%
    pays when recovery is achieved and actual_cost at most £10m
  end
  unearned pot retained by the commissioner
end

measures clause 9
  measure list_size "Registered patients on 1 April" clause 9.1
    unit count
    source "GP practice registers"
  end
  measure revenue "The provider's NHS revenue for the year"
    unit money
    definition "Operating income from patient care activities"
  end
end
"""


def data(list_size: str, cost: str = "9000000", rate: str = "55") -> Data:
    return Data((DataPoint("recovery_rate", 1, None, Decimal(rate)), DataPoint("list_size", 1, None, Decimal(list_size)),
                 DataPoint("actual cost", 1, None, Decimal(cost))))


def paid(contract, rows: Data) -> tuple[Decimal, Decimal]:
    statement = evaluate(contract, rows, 1)
    return statement.outcomes_paid, statement.bonus_paid


def test_a_measure_parses_into_the_contract_and_reads_back_from_its_formatted_text():
    contract, problems = read_contract(SourceFile("m.obc", CONTRACT))
    assert problems == []
    assert [(m.name, m.unit.kind if m.unit else None, m.source, m.clause) for m in contract.all_measures] == [
        ("list_size", "count", "GP practice registers", "9.1"), ("revenue", "money", None, None)]
    assert contract.measures.clause == "9"
    again, _ = read_contract(SourceFile("again.obc", render(contract)))
    assert again == contract


def test_a_contract_reading_measures_and_the_actual_cost_checks_clean():
    result = check_text(CONTRACT, "m.obc")
    assert [x.code for x in result.diagnostics] == []


def test_the_gateway_on_a_measure_holds_exactly_on_its_threshold_and_not_a_person_below():
    contract = obcdsl.loads(CONTRACT).ast
    assert paid(contract, data("12000")) == (Decimal("400000.00"), Decimal("100000.00"))
    assert paid(contract, data("12001")) == (Decimal("400000.00"), Decimal("100000.00"))
    assert paid(contract, data("11999")) == (Decimal("0.00"), Decimal("0.00"))  # the bonus waits on recovery too


def test_a_condition_reads_the_actual_cost_to_the_penny():
    contract = obcdsl.loads(CONTRACT).ast
    assert paid(contract, data("12000", "10000000"))[1] == Decimal("100000.00")
    assert paid(contract, data("12000", "10000000.01"))[1] == Decimal("0.00")


def test_the_statement_shows_the_measure_a_failed_gateway_read():
    contract = obcdsl.loads(CONTRACT).ast
    line = next(x for x in evaluate(contract, data("11999"), 1).lines if x.name == "recovery_rate")
    assert "gateway not met: `list_size` 11999 >= 12000 (clause 4.2)" in line.explanation


def test_exact_and_array_evaluation_agree_on_measures_and_the_actual_cost():
    contract = obcdsl.loads(CONTRACT).ast
    sizes, costs = ["11999", "12000", "12001", "20000"], ["9000000", "10000000", "10000000.01", "12000000"]
    model = vector.year_model(contract, 1)
    assert vector.inputs_of(model) == ["list_size", "recovery_rate"]
    assert vector.needs_actual_cost(model)
    results = vector.run(model, {"recovery_rate": np.full(4, 55.0), "list_size": np.array([float(s) for s in sizes]),
                                 "actual cost": np.array([float(c) for c in costs])})
    for index, (size, cost) in enumerate(zip(sizes, costs)):
        outcomes, bonus = paid(contract, data(size, cost))
        assert results.outcomes_paid[index] == pytest.approx(float(outcomes), abs=0.001)
        assert results.bonus_paid[index] == pytest.approx(float(bonus), abs=0.001)


def test_a_measure_missing_from_the_data_is_named_with_its_declaration():
    contract = obcdsl.loads(CONTRACT).ast
    rows = Data((DataPoint("recovery_rate", 1, None, Decimal(55)), DataPoint("actual cost", 1, None, Decimal(1))))
    with pytest.raises(DataError) as raised:
        evaluate(contract, rows, 1)
    problem = next(x for x in raised.value.diagnostics if "list_size" in x.message)
    assert problem.code == "OBC910"
    assert problem.message == "`list_size` has no data for year 1"
    assert problem.span is not None and problem.clause == "9.1"


def test_a_measure_row_is_read_from_a_data_file_and_one_by_segment_is_refused(tmp_path):
    contract = obcdsl.loads(CONTRACT).ast
    (tmp_path / "good.csv").write_text('measure,year,segment,value\nrecovery_rate,1,,55%\nlist_size,1,,"12,000"\n'
                                       'actual cost,1,,"£9,000,000"\n', encoding="utf-8")
    assert paid(contract, read_data(tmp_path / "good.csv")) == (Decimal("400000.00"), Decimal("100000.00"))
    (tmp_path / "bad.csv").write_text("measure,year,segment,value\nrecovery_rate,1,,55%\nlist_size,1,north,12000\n"
                                      "actual cost,1,,9000000\n", encoding="utf-8")
    bad = read_data(tmp_path / "bad.csv")
    with pytest.raises(DataError) as raised:
        evaluate(contract, bad, 1)
    assert [(x.code, x.message) for x in raised.value.diagnostics] == [("OBC911", "row 3, column `segment`: the contract has no segment `north`")]


def test_an_unknown_name_in_a_condition_suggests_the_measure():
    result = check_text(CONTRACT.replace("only if list_size", "only if list_sise"), "m.obc")
    problem = next(x for x in result.diagnostics if x.code == "OBC201")
    assert problem.message == "no indicator or measure is called `list_sise`"
    assert problem.help == "did you mean `list_size`?"


def test_a_measure_and_an_indicator_cannot_share_a_name():
    result = check_text(CONTRACT.replace("measure revenue", "measure recovery_rate"), "m.obc")
    assert [(x.code, x.message) for x in result.diagnostics] == [("OBC202", "`recovery_rate` is declared twice")]


def test_a_money_measure_cannot_scale_a_payment():
    text = CONTRACT.replace("      only if list_size at least 12,000 clause 4.2\n", "      scaled by revenue capped at 100%\n")
    result = check_text(text, "m.obc")
    assert [x.code for x in result.diagnostics] == ["OBC206"]


def test_the_data_template_asks_for_the_measures_and_the_actual_cost_the_year_reads():
    contract = obcdsl.loads(CONTRACT).ast
    template = template_for(contract, 1)
    assert [(r.measure, r.unit, r.clause) for r in template.indicators] == [
        ("recovery_rate", "percent", None), ("list_size", "count", "9.1")]
    assert [r.measure for r in template.costs] == ["actual cost"]
