"""A risk share that sees the contract (issue 11): `gains when CONDITION` tables chosen by a quality gateway, a cap
that is a share of a measure, and a variance measured against the payments made. Exact and array evaluation agree on
each value, on each threshold and either side of it; the static bounds hold for every table."""

from decimal import Decimal

import numpy as np
import pytest

import obcdsl
from obcdsl import vector
from obcdsl.bounds import year_bounds
from obcdsl.builder import read_contract
from obcdsl.checker import check_text
from obcdsl.data import Data, DataPoint
from obcdsl.evaluate import evaluate
from obcdsl.format import render
from obcdsl.source import SourceFile
from obcdsl.tables import DataError

CONTRACT = """
contract "Quality-gated shared savings"
  commissioner "ICB"
  lead provider "Trust"
  term 1 years from 2025/26
end
budget
  baseline £10m
end
payments
  core 100% of budget
end
measures
  measure provider_revenue "The provider's NHS revenue for the year"
    unit money
  end
  measure quality_score "Quality score"
    unit score
  end
end
risk share clause 7
  outside the budget
{terms}
  gains when quality_score at least 80 clause 7.1
    up to 10% of budget: provider 50%, commissioner 50%
    above 10% of budget: provider 0%, commissioner 100%
  end
{otherwise}
  losses clause 7.3
    up to 10% of budget: provider 50%, commissioner 50%
    above 10% of budget: provider 0%, commissioner 100%
  end
  provider losses at most the lesser of £1m and 5% of provider_revenue clause 7.4
end
"""
OTHERWISE = """  gains otherwise clause 7.2
    up to 10% of budget: provider 25%, commissioner 75%
    above 10% of budget: provider 0%, commissioner 100%
  end"""


def text(terms: str = "", otherwise: str = OTHERWISE) -> str:
    return CONTRACT.format(terms=terms, otherwise=otherwise)


def contract(terms: str = "", otherwise: str = OTHERWISE):
    return obcdsl.loads(text(terms, otherwise)).ast


def year(cost: str, quality: str = "85", revenue: str = "12000000") -> Data:
    return Data((DataPoint("actual cost", 1, None, Decimal(cost)), DataPoint("quality_score", 1, None, Decimal(quality)),
                 DataPoint("provider_revenue", 1, None, Decimal(revenue))))


def transfers(found, rows: list[tuple[str, str, str]]) -> list[Decimal]:
    """The transfer to the provider for each (cost, quality, revenue), exactly; the array evaluator's must agree."""
    exact = [evaluate(found, year(*row), 1).risk.transfer for row in rows]
    arrays = vector.run(vector.year_model(found, 1), {
        "actual cost": np.array([float(r[0]) for r in rows]), "quality_score": np.array([float(r[1]) for r in rows]),
        "provider_revenue": np.array([float(r[2]) for r in rows])})
    assert [float(x) for x in exact] == pytest.approx(list(arrays.transfer), abs=0.001)
    return exact


def test_the_when_table_applies_from_its_threshold_and_the_otherwise_table_below_it():
    found = contract()
    rows = [("9000000", "80", "1"), ("9000000", "79.99", "1"), ("9000000", "95", "1"), ("9000000", "0", "1")]
    assert transfers(found, rows) == [Decimal("-500000.00"), Decimal("-750000.00"), Decimal("-500000.00"), Decimal("-750000.00")]


def test_without_an_otherwise_table_a_gain_goes_to_the_party_named_when_the_gateway_fails():
    found = contract("  gains not shared go to the commissioner clause 7.5", otherwise="")
    assert transfers(found, [("9000000", "80", "1"), ("9000000", "79", "1")]) == [Decimal("-500000.00"), Decimal("-1000000.00")]
    line = next(x for x in evaluate(found, year("9000000", "79"), 1).lines if x.name == "gains table")
    assert line.explanation == ("no `gains when` table applies (`quality_score` 79 >= 80): the gain is not shared and goes "
                                "to the commissioner (gains not shared go to the commissioner)")


def test_when_tables_that_may_all_fail_need_someone_to_take_the_gain():
    result = check_text(text(otherwise=""), "q.obc")
    assert [(x.code, x.severity) for x in result.diagnostics] == [("OBC709", "error")]
    assert result.diagnostics[0].help.startswith("add a `gains otherwise ... end` table")


def test_a_cap_that_is_a_share_of_a_measure_binds_from_the_year_revenue():
    found = contract()
    # a loss of £1.5m: the provider's share is £500,000 before the cap; 5% of revenue caps it
    rows = [("11500000", "85", "12000000"), ("11500000", "85", "10000000"), ("11500000", "85", "9999999.80"),
            ("11500000", "85", "8000000")]
    assert transfers(found, rows) == [Decimal("1000000.00"), Decimal("1000000.00"), Decimal("1000000.01"),
                                      Decimal("1100000.00")]
    cap = next(x for x in evaluate(found, year("11500000", "85", "8000000"), 1).lines if x.name == "provider losses cap")
    assert cap.explanation == ("the provider's share is capped at £400,000.00 (5% of `provider_revenue` £8,000,000.00); "
                               "£100,000.00 passes to the commissioner")
    assert cap.clause == "7.4"


def test_a_cap_stops_at_its_fixed_amount_when_the_measure_is_larger():
    found = contract()
    # a loss of £3m: provider £500,000 in the band; 5% of £40m is £2m, so the lesser is £1m and £500,000 is under it
    assert transfers(found, [("13000000", "85", "40000000"), ("12500000", "85", "40000000")]) == [
        Decimal("2500000.00"), Decimal("2000000.00")]


def test_a_measure_the_cap_reads_must_be_in_the_data():
    found = contract()
    rows = Data((DataPoint("actual cost", 1, None, Decimal("11000000")), DataPoint("quality_score", 1, None, Decimal(85))))
    with pytest.raises(DataError) as raised:
        evaluate(found, rows, 1)
    assert [(x.code, x.message) for x in raised.value.diagnostics] == [("OBC910", "`provider_revenue` has no data for year 1")]


def test_only_a_cap_can_read_a_measure():
    floor = text("  provider gains at least 1% of provider_revenue clause 7.6")
    assert [x.code for x in check_text(floor, "q.obc").diagnostics] == ["OBC710"]
    edge = text().replace("up to 10% of budget: provider 50%, commissioner 50%\n    above 10% of budget: provider 0%, commissioner 100%\n  end\n  provider",
                          "up to 10% of provider_revenue: provider 50%, commissioner 50%\n    above 10% of provider_revenue: provider 0%, commissioner 100%\n  end\n  provider")
    assert [x.code for x in check_text(edge, "q.obc").diagnostics] == ["OBC710", "OBC710"]
    unknown = text().replace("5% of provider_revenue", "5% of provider_revenu")
    problem = next(x for x in check_text(unknown, "q.obc").diagnostics)
    assert (problem.code, problem.help) == ("OBC201", "did you mean `provider_revenue`?")


VARIANCE_AGAINST = """
contract "Paid for outcomes"
  commissioner "ICB"
  lead provider "Trust"
  term 1 years from 2025/26
end
budget
  baseline £10m
end
payments
  core 80% of budget
  outcomes pot 20% of budget
end
outcomes
  outcome recovery "People recover"
    indicator recovery_rate "Recovery rate"
      unit percent
      higher is better
      target at least 50%
    end
  end
  unearned pot retained by the commissioner
end
risk share clause 7
  outside the budget
  {reference}
  gains
    up to 10% of budget: provider 50%, commissioner 50%
    above 10% of budget: provider 0%, commissioner 100%
  end
  losses
    up to 10% of budget: provider 50%, commissioner 50%
    above 10% of budget: provider 0%, commissioner 100%
  end
end
"""


def test_the_variance_against_the_payments_made_counts_what_was_paid_not_the_budget():
    """The issue's case: paid £8m of a £10m budget (outcomes missed), spent £9.5m: a loss of £1.5m, not a gain."""
    rows = Data((DataPoint("recovery_rate", 1, None, Decimal(40)), DataPoint("actual cost", 1, None, Decimal(9500000))))
    budget = evaluate(obcdsl.loads(VARIANCE_AGAINST.format(reference="")).ast, rows, 1)
    assert (budget.risk.variance, budget.risk.transfer, budget.risk.against) == (Decimal("-500000.00"), Decimal("-250000.00"), "budget")
    against = obcdsl.loads(VARIANCE_AGAINST.format(reference="variance against the payments made clause 7.0")).ast
    paid = evaluate(against, rows, 1)
    assert (paid.risk.variance, paid.risk.reference, paid.risk.transfer) == (Decimal("1500000.00"), Decimal("8000000.00"),
                                                                              Decimal("1000000.00"))
    assert paid.to_dict()["risk_share"]["variance_against"] == "payments"
    met = Data((DataPoint("recovery_rate", 1, None, Decimal(50)), DataPoint("actual cost", 1, None, Decimal(9500000))))
    assert evaluate(against, met, 1).risk.variance == Decimal("-500000.00")  # on target: paid the whole budget
    arrays = vector.run(vector.year_model(against, 1), {"recovery_rate": np.array([40.0, 50.0, 49.99]),
                                                        "actual cost": np.array([9500000.0, 9500000.0, 8000000.0])})
    assert list(arrays.transfer) == pytest.approx([1000000.0, -250000.0, 0.0], abs=0.001)


def test_the_bounds_hold_for_every_table_and_the_evaluator_never_beats_them():
    found = contract()
    bounds = year_bounds(found, 1)
    assert bounds.risk_share is not None and bounds.risk_share.least == Decimal("-9750000.00")  # no cost at all: the provider keeps 25% of the first £1m
    rng = np.random.default_rng(7)
    for cost, quality, revenue in zip(rng.uniform(0, 20e6, 60), rng.uniform(60, 100, 60), rng.uniform(0, 30e6, 60)):
        statement = evaluate(found, year(f"{cost:.2f}", f"{quality:.1f}", f"{revenue:.2f}"), 1)
        assert bounds.risk_share.least <= statement.risk.transfer
        assert bounds.risk_share.most is None or statement.risk.transfer <= bounds.risk_share.most
        assert statement.risk.provider_share <= Decimal(1000000) or statement.risk.variance < 0  # the fixed part of the cap


def test_sharing_tables_and_the_reference_read_back_from_their_formatted_text():
    found, problems = read_contract(SourceFile("q.obc", text("  variance against the payments made clause 7.0")))
    assert problems == []
    again, _ = read_contract(SourceFile("again.obc", render(found)))
    assert again == found
    assert [t.side for t in again.risk_share.tables] == ["gains"] and again.risk_share.gains_otherwise


BEYOND_THE_BANDS = """
contract "A cap that reads a measure, beyond the last band"
  commissioner "ICB"
  lead provider "Trust"
  term 1 years from 2025/26
end
budget
  baseline £1m
end
payments
  core 100% of budget
end
measures
  measure provider_revenue "The provider's revenue"
    unit money
  end
end
risk share
  losses
    up to 0.1% of budget: provider 0%, commissioner 100%
  end
  provider losses at most 1% of provider_revenue
end
"""


def test_the_bounds_take_a_cap_that_reads_a_measure_at_its_least_as_well_as_its_most():
    """Found by the components property: beyond the last band the provider bears the loss, unless a cap of 1% of a
    small revenue passes it back, so the most transferred is the whole loss, not the £1,000 of the band."""
    found = obcdsl.loads(BEYOND_THE_BANDS).ast
    statement = evaluate(found, Data((DataPoint("actual cost", 1, None, Decimal(1010000)),
                                      DataPoint("provider_revenue", 1, None, Decimal(1)))), 1)
    assert (statement.risk.provider_share, statement.risk.transfer) == (Decimal("0.01"), Decimal("9999.99"))
    bounds = year_bounds(found, 1)
    assert bounds.risk_share.most is None or statement.risk.transfer <= bounds.risk_share.most
    assert bounds.total.most is None or statement.total_to_provider <= bounds.total.most
