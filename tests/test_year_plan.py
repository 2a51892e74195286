"""The year plan: one meaning for a contract year, read by the exact and the array evaluators alike."""

from decimal import Decimal

import numpy as np

import obcdsl
from obcdsl import vector
from obcdsl.checker import check_text
from obcdsl.evaluate import evaluate

from conftest import CONTRACTS

D = Decimal
DATA = CONTRACTS / "data"


def array_inputs(data, year):
    """One scenario of arrays from a year's data (numerator/denominator rows are percentages, as the evaluator reads them)."""
    inputs = {p.measure + (f"/{p.segment}" if p.segment else ""): np.array([float(p.value * (100 if p.denominator else 1))])
              for p in data.points if p.year == year}
    baselines = {p.measure + (f"/{p.segment}" if p.segment else ""): float(p.value) for p in data.points if p.year is None}
    return inputs, baselines


def test_a_number_where_a_gateway_needs_a_condition_is_refused():
    """It used to check clean; the exact evaluator paid £0.00 and the array evaluator £697,171.49."""
    text = (CONTRACTS / "cheshire_wirral_pilot.obc").read_text().replace(
        "only if governance_assurance at least 100", "only if governance_assurance + 1")
    found = [x for x in check_text(text).diagnostics if x.is_error]
    assert [(x.code, x.span.line) for x in found] == [("OBC206", 102)]
    assert found[0].message == "the gateway on `financial` needs a condition, but this is a number"
    assert found[0].clause == "5.4"


def test_expressions_of_the_wrong_kind_are_refused():
    text = (CONTRACTS / "oxfordshire_mental_health.obc").read_text()
    money = text.replace("scaled by carer_survey_coverage capped at 100%", "scaled by £5 capped at 100%")
    itself = text.replace("measured as 100% * carers_surveyed / (known_carers / 5)", "measured as 100% * carer_survey_coverage / 5")
    condition = text.replace("measured as 100% * carers_surveyed / (known_carers / 5)", "measured as carers_surveyed at least 5")
    for changed, words in ((money, "needs a percentage, but this is an amount of money"),
                           (itself, "`carer_survey_coverage` is measured in terms of itself"),
                           (condition, "needs a number, but this is a condition")):
        found = [x for x in check_text(changed).diagnostics if x.is_error]
        assert [x.code for x in found] == ["OBC206"], [x.message for x in found]
        assert words in found[0].message


def test_reached_on_a_by_segment_indicator_reads_the_same_in_both_evaluators():
    """It used to pay the £739,826.86 bonus exactly and £0 in arrays (results kept under `name/segment`)."""
    text = (CONTRACTS / "oxfordshire_mental_health.obc").read_text()
    text = text.replace("pays when all outcomes are achieved", "pays when mortality reached good")
    start = text.index("indicator mortality")
    rule_at = text.index("target", start)
    end = text.index("\n", rule_at)
    text = text[:rule_at] + "bands\n        good at least 5% below baseline pays 100%\n      end" + text[end:]
    result = check_text(text)
    assert result.ok, [x.message for x in result.diagnostics if x.is_error]
    data = obcdsl.read_data(DATA / "oxfordshire_mental_health.csv")
    statement = evaluate(result.contract, data, 3)
    bonus = next(line for line in statement.lines if line.name == "all_outcomes")
    inputs, baselines = array_inputs(data, 3)
    inputs["actual cost"] = np.array([float(next(p.value for p in data.points if p.measure == "actual cost" and p.year == 3))])
    arrays = vector.run(vector.year_model(result.contract, 3), inputs, baselines)
    assert float(bonus.amount) == arrays.bonuses["all_outcomes"][0]
    assert arrays.total_to_provider[0] == float(statement.total_to_provider)


NEAR_TIE = """
contract "Near tie"
  commissioner "ICB"
  lead provider "Trust"
  term 1 years from 2024/25
end
payments
  outcomes pot £1,000,000.01
end
outcomes
  outcome access "Access"
    indicator seen_in_time "Share seen in time"
      unit percent
      higher is better
      measured as 100% * seen / referred
      target at least 29%
    end
    indicator seen "Seen"
      unit count
      higher is better
    end
    indicator referred "Referred"
      unit count
      higher is better
    end
  end
  unearned pot retained by the commissioner
end
"""


def test_a_near_tie_is_settled_exactly():
    """100 × 0.29 is 29 in decimals and 28.999999999999996 in floats: the target is met, as the exact evaluator says."""
    contract = obcdsl.loads(NEAR_TIE).ast
    plan = vector.year_model(contract, 1)
    values = [0.29, 0.3, 0.28]
    assert 100 * 0.29 < 29  # the floats alone would miss the target
    arrays = vector.run(plan, {"seen": np.array(values), "referred": np.ones(3)})
    assert arrays.settled_exactly == 1
    for index, value in enumerate(values):
        data = obcdsl.data.Data((obcdsl.data.DataPoint("seen", 1, None, D(str(value))),
                                 obcdsl.data.DataPoint("referred", 1, None, D(1))))
        statement = evaluate(contract, data, 1)
        assert arrays.lines["seen_in_time"][index] == float(statement.outcomes_paid)
    assert list(arrays.lines["seen_in_time"]) == [1000000.01, 1000000.01, 0.0]


def test_evaluating_through_the_api_compiles_each_year_once():
    contract = obcdsl.load(CONTRACTS / "oxfordshire_mental_health.obc")
    data = obcdsl.read_data(DATA / "oxfordshire_mental_health.csv")
    first = contract.evaluate(data, year=3)
    plans = dict(contract._plans)
    second = contract.evaluate(data, year=3)
    assert first == second and contract._plans == plans and len(plans) == 1
