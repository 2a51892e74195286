"""Thresholds of issue 11: below zero (`from -6%` on a `unit percentage change`), relative to last year's value
(`at least 2 points above last year`), to a comparator given as data (`at least england_average`) and relative
thresholds on a derived indicator. Each is stated, checked, paid exactly and in arrays to the penny, on its threshold
and either side."""

from decimal import Decimal

import numpy as np
import pytest

import obcdsl
from obcdsl import vector
from obcdsl.builder import read_contract
from obcdsl.checker import check_text
from obcdsl.data import Data, DataPoint, read_data
from obcdsl.data_template import template_for
from obcdsl.data_validation import validate
from obcdsl.evaluate import evaluate
from obcdsl.format import render
from obcdsl.schedule.document import threshold_words
from obcdsl.source import SourceFile

D = Decimal

HEADER = """
contract "Thresholds example" clause 1
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
"""

ADMISSIONS = HEADER + """
outcomes clause 4
  outcome fewer "Fewer emergency admissions"
    weight 100%
    indicator admissions_change "Change in emergency admissions on the year before"
      unit percentage change
      lower is better
      bands clause 4.1
        good at most -2% pays 50%
        excellent at most -6% pays 100%
      end
    end
  end
  unearned pot retained by the commissioner
end
"""


def codes(text: str) -> list[str]:
    return [x.code for x in check_text(text, "t.obc").diagnostics]


def paid(text: str, rows: tuple, year: int = 1) -> Decimal:
    return evaluate(obcdsl.loads(text).ast, Data(rows), year).outcomes_paid


def agree(text: str, year: int, inputs: dict, baselines: dict, exact_rows) -> list[Decimal]:
    """Pay every scenario in arrays and each exactly; they agree to the penny. Returns the exact amounts."""
    contract = obcdsl.loads(text).ast
    size = len(next(iter(inputs.values())))
    results = vector.run(vector.year_model(contract, year), {k: np.asarray(v, dtype=float) for k, v in inputs.items()},
                         baselines)
    exact = []
    for index in range(size):
        amount = evaluate(contract, Data(tuple(exact_rows(index))), year).outcomes_paid
        assert results.outcomes_paid[index] == pytest.approx(float(amount), abs=0.001), index
        exact.append(amount)
    return exact


# ---------------------------------------------------------------- thresholds below zero


def test_a_negative_threshold_parses_checks_clean_and_reads_back_from_its_formatted_text():
    assert codes(ADMISSIONS) == []
    contract, problems = read_contract(SourceFile("t.obc", ADMISSIONS))
    assert problems == []
    indicator = contract.all_indicators[0]
    assert indicator.unit.kind == "percent change"
    assert [b.threshold.value.amount for b in indicator.rule.bands] == [D(-2), D(-6)]
    text = render(contract)
    assert "unit percentage change" in text and "excellent at most -6% pays 100%" in text
    again, _ = read_contract(SourceFile("again.obc", text))
    assert again == contract
    assert read_contract(SourceFile("t.obc", ADMISSIONS.replace("percentage change", "percent change")))[0] == contract


def test_a_negative_threshold_pays_exactly_on_it_and_not_a_hair_short():
    def at(value: str) -> Decimal:
        return paid(ADMISSIONS, (DataPoint("admissions_change", 1, None, D(value)),))

    assert [at(v) for v in ("-1.99", "-2", "-5.99", "-6", "-6.01", "3")] == [
        D("0.00"), D("250000.00"), D("250000.00"), D("500000.00"), D("500000.00"), D("0.00")]


def test_exact_and_array_evaluation_agree_on_and_either_side_of_a_negative_threshold():
    values = ["-1.99", "-2", "-2.01", "-5.99", "-6", "-6.01", "0", "12.5"]
    exact = agree(ADMISSIONS, 1, {"admissions_change": [float(v) for v in values]}, {},
                  lambda i: [DataPoint("admissions_change", 1, None, D(values[i]))])
    assert exact[1] == D("250000.00") and exact[4] == D("500000.00")


def test_a_negative_threshold_on_a_count_is_refused_and_so_is_one_on_a_proportion():
    counted = ADMISSIONS.replace("unit percentage change", "unit count").replace("-2%", "-2").replace("-6%", "-6")
    result = check_text(counted, "t.obc")
    problem = next(x for x in result.diagnostics if x.code == "OBC411")
    assert problem.message == "the threshold of band `good` is -2, but `admissions_change` is a count, never below zero"
    assert problem.clause == "4.1" and problem.span is not None
    assert problem.help == "a change that can fall below zero is stated `unit percentage change`"
    proportion = check_text(ADMISSIONS.replace("unit percentage change", "unit percent"), "t.obc")
    assert [x.code for x in proportion.diagnostics] == ["OBC411", "OBC411"]  # not OBC303 as well
    assert proportion.diagnostics[0].help.endswith(", not a proportion `unit percent`")


def test_a_sliding_scale_and_a_target_below_zero_are_paid_from_their_words():
    scale = ADMISSIONS.replace("""      bands clause 4.1
        good at most -2% pays 50%
        excellent at most -6% pays 100%
      end""", "      sliding scale from -2% paying 0% to -6% paying 100%")
    assert codes(scale) == []
    point = DataPoint("admissions_change", 1, None, D(-4))
    assert paid(scale, (point,)) == D("250000.00")
    target = ADMISSIONS.replace("""      bands clause 4.1
        good at most -2% pays 50%
        excellent at most -6% pays 100%
      end""", "      unit percentage change\n      target below -5%").replace("      unit percentage change\n", "", 1)
    assert codes(target) == []
    assert [paid(target, (DataPoint("admissions_change", 1, None, D(v)),)) for v in ("-5", "-5.01")] == [
        D("0.00"), D("500000.00")]


def test_a_percentage_change_below_zero_is_data_and_a_proportion_below_zero_is_not(tmp_path):
    contract = obcdsl.loads(ADMISSIONS).ast
    (tmp_path / "change.csv").write_text("measure,year,segment,value\nadmissions_change,1,,-6.5%\n", encoding="utf-8")
    rows = read_data(tmp_path / "change.csv")
    assert validate(contract, rows) == []
    assert evaluate(contract, rows, 1).outcomes_paid == D("500000.00")
    proportion = obcdsl.loads(ADMISSIONS.replace("unit percentage change", "unit percent")
                              .replace("lower is better", "higher is better").replace("at most -2%", "at least 2%")
                              .replace("at most -6%", "at least 6%")).ast
    assert [x.code for x in validate(proportion, rows)] == ["OBC907"]


def test_the_schedule_the_statement_and_the_template_state_a_threshold_below_zero():
    contract = obcdsl.loads(ADMISSIONS).ast
    band = contract.all_indicators[0].rule.bands[1]
    assert threshold_words(band.threshold, "lower") == "-6% or less"
    statement = evaluate(contract, Data((DataPoint("admissions_change", 1, None, D("-6")),)), 1)
    assert "-6% ≤ excellent -6%" in statement.lines[0].explanation
    row = template_for(contract, 1).indicators[0]
    assert (row.unit, row.fraction) == ("percent change", False)
