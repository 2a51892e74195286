"""Components beyond core and pot (issue 11): a service added to the budget, carve-outs, a pot on top, deductions
from the core and a floor on the total payment, each pinned in the exact and the array evaluator, in the bounds and
in the checks, with values exactly on each threshold."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings

from obcdsl import bounds, vector
from obcdsl.checker import check_text
from obcdsl.checks import run_checks
from obcdsl.data import ACTUAL_COST, Data, DataError, DataPoint
from obcdsl.diagnostics import has_errors
from obcdsl.evaluate import evaluate
from obcdsl.format import render
from obcdsl.testing import contracts, year_data

D = Decimal

HEADER = """
contract "Components"
  commissioner "ICB"
  lead provider "Partnership"
  term 3 years from 2025/26
end
"""

OUTCOMES = """
outcomes
  outcome access "Access"
    weight 100%
    indicator crisis "Crisis referrals seen within 4 hours" clause 4.3
      unit percent
      higher is better
      target at least 75%
    end
  end
  unearned pot retained by the commissioner
end
"""


def contract_of(budget: str, payments: str, extra: str = "", outcomes: str = OUTCOMES):
    result = check_text(HEADER + budget + payments + outcomes + extra)
    assert not has_errors(result.diagnostics), [(d.code, d.message) for d in result.diagnostics]
    return result.contract


def data(year: int, crisis: str | None, cost: str | None = None) -> Data:
    points = [] if crisis is None else [DataPoint("crisis", year, None, D(crisis))]
    if cost is not None:
        points.append(DataPoint(ACTUAL_COST, year, None, D(cost)))
    return Data(tuple(points))


def arrays(contract, year: int, crisis: list[float], cost: list[float] | None = None):
    inputs = {"crisis": np.array(crisis)}
    if cost is not None:
        inputs[ACTUAL_COST] = np.array(cost)
    return vector.run(vector.year_model(contract, year), inputs)


def codes(text: str) -> list[str]:
    return [d.code for d in check_text(text).diagnostics]


# ---------------------------------------------------------------- a service added to the budget from a year

ADDED = """
budget
  baseline £10,000,000
  efficiency 1% each year from year 2
  uplift 2% each year from year 2
  add £1,000,000 from year 2 for "community stroke service" clause 2.4
end
"""
PLAIN_PAYMENTS = """
payments
  outcomes pot 10% of budget
end
"""


def test_a_service_is_added_after_its_years_adjustments_and_adjusted_with_the_budget_after():
    contract = contract_of(ADDED, PLAIN_PAYMENTS)
    year1, year2, year3 = (evaluate(contract, data(y, "80"), y) for y in (1, 2, 3))
    assert year1.budget == D("10000000.00")  # not before its year
    # year 2: £10m less 1% efficiency, plus 2% uplift, and then the service
    assert year2.budget == D("10000000") * D("0.99") * D("1.02") + D("1000000")
    # year 3: the whole of year 2's budget, the service in it, is adjusted again
    assert year3.budget == (year2.budget * D("0.99") * D("1.02")).quantize(D("0.01"))
    step = next(s for s in year2.budget_steps if "community stroke service" in s.description)
    assert step.clause == "2.4" and step.description == 'year 2: add £1,000,000.00 for "community stroke service"'
    assert not any("community stroke service" in s.description for s in year1.budget_steps)


def test_a_service_added_after_the_term_is_refused():
    text = HEADER + ADDED.replace("from year 2", "from year 4") + PLAIN_PAYMENTS + OUTCOMES
    assert "OBC501" in codes(text)


# ---------------------------------------------------------------- carve-outs

BUDGET = """
budget
  baseline £10,000,000
end
"""
CARVED = """
payments
  carve out 4% of budget for "patient choice: out of area providers" clause 3.2
  carve out £100,000 for "personal health budgets" clause 3.3
  outcomes pot 10% of budget
end
"""


def test_carve_outs_are_taken_from_the_budget_and_paid_to_their_destinations():
    contract = contract_of(BUDGET, CARVED)
    statement = evaluate(contract, data(1, "80"), 1)
    carved = [line for line in statement.lines if line.kind == "carve-out"]
    assert [(line.name, line.amount, line.clause) for line in carved] == [
        ("patient choice: out of area providers", D("400000.00"), "3.2"), ("personal health budgets", D("100000.00"), "3.3")]
    assert 'paid to it, not to the provider' in carved[0].explanation
    assert statement.carved_out == D("500000.00")
    assert statement.pot == D("1000000.00")  # a share of the whole budget, as every `% of budget`
    assert statement.core == D("10000000") - D("500000") - D("1000000")  # the rest
    assert statement.total_to_provider == statement.core + statement.outcomes_paid
    assert statement.commissioner_cost == statement.total_to_provider + D("500000.00")
    assert statement.to_dict()["components"]["carved_out"] == "500000.00"


def test_with_a_stated_core_the_carve_outs_are_in_the_hundred_percent():
    payments = """
payments
  carve out 3% of budget for "patient choice"
  core 90% of budget
  outcomes pot 10% of budget
end
"""
    assert "OBC601" in codes(HEADER + BUDGET + payments + OUTCOMES)
    contract = contract_of(BUDGET, payments.replace("core 90%", "core 87%"))
    statement = evaluate(contract, data(1, "80"), 1)
    assert (statement.carved_out, statement.core, statement.pot) == (D("300000.00"), D("8700000.00"), D("1000000.00"))


def test_the_risk_share_measures_the_cost_against_the_budget_less_the_carve_outs():
    risk = """
risk share
  outside the budget
  gains
    above £0: provider 50%, commissioner 50%
  end
  losses
    above £0: provider 50%, commissioner 50%
  end
end
"""
    contract = contract_of(BUDGET, CARVED, risk)
    held = D("10000000") - D("500000")  # what the provider holds
    on_budget = evaluate(contract, data(1, "80", str(held)), 1)
    assert on_budget.risk.variance == 0 and on_budget.risk.transfer == 0
    over = evaluate(contract, data(1, "80", str(held + 1000)), 1)
    assert over.risk.variance == D("1000.00") and over.risk.transfer == D("500.00")
    results = arrays(contract, 1, [80.0, 80.0], [float(held), float(held + 1000)])
    assert list(results.variance) == [0.0, 1000.0] and list(results.transfer) == [0.0, 500.0]


def test_a_destination_carved_out_twice_is_refused():
    payments = CARVED.replace('"personal health budgets"', '"Patient choice: out of area providers"')
    assert "OBC607" in codes(HEADER + BUDGET + payments + OUTCOMES)


def test_carve_outs_beyond_the_budget_leave_a_negative_core():
    payments = CARVED.replace("£100,000", "£9,500,000")
    found = check_text(HEADER + BUDGET + payments + OUTCOMES).diagnostics
    assert any(d.code == "OBC601" and "carve-outs" in d.message for d in found)


# ---------------------------------------------------------------- a pot on top of the budget

ON_TOP = """
payments
  core 100% of budget clause 3.1
  outcomes pot 2.5% of budget on top clause 3.3
end
"""


def test_a_pot_on_top_is_paid_beyond_a_block_of_the_whole_budget():
    contract = contract_of(BUDGET, ON_TOP)
    met = evaluate(contract, data(1, "75"), 1)
    assert (met.core, met.pot, met.outcomes_paid) == (D("10000000.00"), D("250000.00"), D("250000.00"))
    assert met.total_to_provider == D("10250000.00")  # the budget and the pot on top
    assert met.pot_on_top and met.to_dict()["pot_on_top"] is True
    missed = evaluate(contract, data(1, "74.99"), 1)
    assert missed.total_to_provider == D("10000000.00") and missed.unearned == D("250000.00")
    span = bounds.bounds(contract)[0].total
    assert (span.least, span.most) == (D("10000000.00"), D("10250000.00"))


def test_without_on_top_the_same_parts_do_not_add_up():
    assert "OBC601" in codes(HEADER + BUDGET + ON_TOP.replace(" on top", "") + OUTCOMES)


def test_a_pot_on_top_needs_a_budget():
    payments = "\npayments\n  outcomes pot £250,000 on top\nend\n"
    assert "OBC608" in codes(HEADER + payments + OUTCOMES)


# ---------------------------------------------------------------- deductions from the core

DEDUCTED = """
payments
  outcomes pot 10% of budget
  deduct 1% of core unless crisis at least 75% clause 3.4
  deduct £5,000 unless crisis is achieved clause 3.5
end
"""


@pytest.mark.parametrize("crisis, first, second", [
    ("74.99", D("90000.00"), D("5000.00")),  # below the threshold: both deducted
    ("75", D("0"), D("0")),  # exactly on it: met, nothing deducted
    ("90", D("0"), D("0")),
])
def test_a_deduction_is_taken_from_the_core_when_its_condition_fails(crisis, first, second):
    contract = contract_of(BUDGET, DEDUCTED)
    statement = evaluate(contract, data(1, crisis), 1)
    lines = [line for line in statement.lines if line.kind == "deduction"]
    assert [(line.name, line.amount, line.clause) for line in lines] == [("deduction 1", first, "3.4"), ("deduction 2", second, "3.5")]
    assert lines[0].inputs["crisis"] == D(crisis) and lines[0].inputs["condition_holds"] == (first == 0)
    assert "unless crisis at least 75%" in lines[0].explanation
    assert statement.deducted == first + second
    assert statement.total_to_provider == statement.core - first - second + statement.outcomes_paid
    fast = arrays(contract, 1, [float(crisis)])
    assert fast.deducted[0] == float(first + second)
    assert round(fast.total_to_provider[0], 2) == float(statement.total_to_provider)


def test_missing_data_counted_as_not_achieved_makes_the_deduction():
    extra = OUTCOMES.replace("  unearned pot", "  missing data counts as not achieved\n  unearned pot")
    contract = contract_of(BUDGET, DEDUCTED, outcomes=extra)
    statement = evaluate(contract, data(1, None), 1)
    assert statement.deducted == D("95000.00")


def test_missing_data_for_a_deduction_is_an_error_by_default():
    contract = contract_of(BUDGET, DEDUCTED)
    with pytest.raises(DataError):
        evaluate(contract, data(1, None), 1)


def test_the_bounds_count_deductions():
    contract = contract_of(BUDGET, DEDUCTED)
    year = bounds.bounds(contract)[0]
    assert (year.deducted.least, year.deducted.most) == (D("0"), D("95000.00"))
    assert year.total.least == D("9000000.00") - D("95000.00")
    assert year.total.most == D("10000000.00")


def test_deductions_beyond_the_core_and_against_improvement_are_refused():
    beyond = DEDUCTED.replace("1% of core", "99% of core").replace("£5,000", "£100,000")
    assert "OBC609" in codes(HEADER + BUDGET + beyond + OUTCOMES)
    against = DEDUCTED.replace("crisis at least 75%", "crisis below 75%")
    assert "OBC384" in codes(HEADER + BUDGET + against + OUTCOMES)


# ---------------------------------------------------------------- a floor on the total payment

FLOORED = """
payments
  outcomes pot 10% of budget
  deduct 5% of core unless crisis at least 75%
  total payment at least 90% of budget clause 3.6
end
"""


@pytest.mark.parametrize("crisis, top_up", [
    ("74.99", D("450000.00")),  # core £9m less £450,000: topped up to £9m
    ("75", D("0")),  # on the threshold: nothing deducted, the core alone meets the floor exactly
])
def test_a_floor_tops_the_total_up(crisis, top_up):
    contract = contract_of(BUDGET, FLOORED)
    statement = evaluate(contract, data(1, crisis), 1)
    line = next(line for line in statement.lines if line.kind == "top-up")
    assert (line.amount, line.clause, line.inputs["floor"]) == (top_up, "3.6", D("9000000.00"))
    assert statement.top_up == top_up
    assert statement.total_to_provider >= D("9000000.00")
    fast = arrays(contract, 1, [float(crisis)])
    assert fast.top_up[0] == float(top_up)
    assert round(fast.total_to_provider[0], 2) == float(statement.total_to_provider)
    assert bounds.bounds(contract)[0].total.least == D("9000000.00")


def test_a_floor_above_the_ceiling_is_refused_and_one_equal_to_it_is_not():
    payments = FLOORED.replace("  total payment at least", "  total payment at most 89% of budget\n  total payment at least")
    assert "OBC610" in codes(HEADER + BUDGET + payments + OUTCOMES)
    equal = FLOORED.replace("  total payment at least", "  total payment at most 100% of budget\n  total payment at least")
    assert "OBC610" not in codes(HEADER + BUDGET + equal + OUTCOMES)


# ---------------------------------------------------------------- all of them: written, read back, paid alike

EVERYTHING = """
payments
  carve out 4% of budget for "patient choice" clause 3.2
  core 96% of budget clause 3.1
  outcomes pot 2.5% of budget on top clause 3.3
  deduct 1% of core unless crisis at least 75% clause 3.4
  total payment at least 95% of budget clause 3.6
end
"""


def test_every_construct_round_trips_through_the_formatter():
    contract = contract_of(ADDED, EVERYTHING)
    again = check_text(render(contract)).contract
    assert again == contract
    assert 'carve out 4% of budget for "patient choice" clause 3.2' in render(contract)
    assert "deduct 1% of core unless (crisis >= 75%) clause 3.4" in render(contract)


@pytest.mark.parametrize("crisis", ["0", "74.99", "75", "100"])
def test_exact_and_arrays_agree_on_every_construct(crisis):
    contract = contract_of(ADDED, EVERYTHING)
    for year in (1, 2, 3):
        statement = evaluate(contract, data(year, crisis), year)
        fast = arrays(contract, year, [float(crisis)])
        assert round(fast.total_to_provider[0], 2) == float(statement.total_to_provider)
        assert fast.deducted[0] == float(statement.deducted) and fast.top_up[0] == float(statement.top_up)
        assert statement.carved_out + statement.core == statement.budget


# ---------------------------------------------------------------- rich generated contracts: proofs never beaten


@settings(max_examples=60, deadline=None)
@given(contracts(rich=True).flatmap(lambda c: year_data(c, 1, missing_odds=None).map(lambda d: (c, d))))
def test_rich_contracts_keep_their_parts_and_bounds(case):
    contract, year_one = case
    assert not has_errors(run_checks(contract))
    statement = evaluate(contract, year_one, 1)
    year = bounds.bounds(contract)[0]
    plan = vector.year_model(contract, 1)
    # carve-outs, core, reserve and a pot that is not on top make the budget, to the penny
    assert plan.carved_out + plan.core + (0 if plan.on_top else plan.pot) + plan.reserve == plan.budget == statement.budget
    assert (statement.carved_out or 0) == plan.carved_out and statement.pot_on_top == plan.on_top
    # from the pot, never more than the pot; what factors above 100% add is paid on top of it
    assert statement.outcomes_paid - (statement.outcomes_on_top or 0) + statement.bonus_paid <= statement.pot
    assert statement.unearned == statement.pot - statement.outcomes_paid + (statement.outcomes_on_top or 0) - statement.bonus_paid
    assert year.deducted.least <= (statement.deducted or 0) <= year.deducted.most
    if year.floor is not None:
        assert statement.total_to_provider >= year.floor
    if statement.risk is not None and statement.risk.variance is not None:
        # across both parties, every pound of the variance, measured against the budget less the carve-outs, or
        # against what the year paid before the settlement (core less deductions, outcome payments, bonus, reserve,
        # activity)
        risk = statement.risk
        assert risk.provider_share + risk.commissioner_share == abs(risk.variance)
        paid = (statement.core - (statement.deducted or 0) + statement.outcomes_paid + statement.bonus_paid + statement.reserve
                + (statement.activity or 0))
        reference = statement.budget - (statement.carved_out or 0) if risk.against == "budget" else paid
        assert risk.reference == reference
        assert risk.variance == risk.actual_cost - risk.stop_loss - reference
    if contract.budget.population_adjustment is None:
        span = year.total
        assert span.least <= statement.total_to_provider
        if span.most is not None:
            assert statement.total_to_provider <= span.most


def test_simulation_counts_the_carve_outs_in_the_commissioners_cost(tmp_path):
    from obcdsl.simulate import simulate

    spec = tmp_path / "spec.toml"
    spec.write_text('[indicators]\ncrisis = { distribution = "normal", mean = 75, sd = 5 }\n')
    contract = contract_of(BUDGET, CARVED)
    summary = simulate(contract, 1, spec, 500)
    paid_to_others = summary.samples["commissioner_cost"] - summary.samples["provider_income"]
    assert np.allclose(paid_to_others, 500000.0, atol=0.001)


def test_shares_of_a_carve_out_and_a_deduction_lie_within_100_percent():
    assert "OBC303" in codes(HEADER + BUDGET + CARVED.replace("carve out 4%", "carve out 104%") + OUTCOMES)
    assert "OBC303" in codes(HEADER + BUDGET + DEDUCTED.replace("deduct 1%", "deduct 101%") + OUTCOMES)
