"""Risk-share terms by phase (issue 11): a phase's `risk share ... end` replaces, for its years, the terms it states.
A pilot in which the commissioner bears every overspend, then a shared corridor with a cap. Exact and array
evaluation agree; checks of a phase's terms are reported where the phase states them."""

from decimal import Decimal

import numpy as np
import pytest

import obcdsl
from obcdsl import model, vector
from obcdsl.builder import read_contract
from obcdsl.checker import check_text
from obcdsl.data import Data, DataPoint
from obcdsl.evaluate import evaluate
from obcdsl.format import render
from obcdsl.source import SourceFile

CONTRACT = """
contract "Phased risk"
  commissioner "ICB"
  lead provider "Trust"
  term 3 years from 2025/26
end
budget
  baseline £10m
end
payments
  core 100% of budget
end
phasing clause 6
  phase pilot year 1 clause 6.1
    risk share clause 6.1.1
      losses
        up to 10% of budget: provider 0%, commissioner 100%
        above 10% of budget: provider 0%, commissioner 100%
      end
{pilot}
    end
  end
  phase corridor from year 2 clause 6.2
  end
end
risk share clause 7
  outside the budget
  gains clause 7.1
    up to 10% of budget: provider 50%, commissioner 50%
    above 10% of budget: provider 0%, commissioner 100%
  end
  losses clause 7.2
    up to 10% of budget: provider 50%, commissioner 50%
    above 10% of budget: provider 0%, commissioner 100%
  end
  provider losses at most £400,000 clause 7.3
end
"""


def contract(pilot: str = ""):
    return obcdsl.loads(CONTRACT.format(pilot=pilot)).ast


def transfers(found, year: int, costs: list[str]) -> list[Decimal]:
    exact = [evaluate(found, Data((DataPoint("actual cost", year, None, Decimal(c)),)), year).risk.transfer for c in costs]
    arrays = vector.run(vector.year_model(found, year), {"actual cost": np.array([float(c) for c in costs])})
    assert [float(x) for x in exact] == pytest.approx(list(arrays.transfer), abs=0.001)
    return exact


COSTS = ["11000000", "10800000", "10000000.01", "9000000"]


def test_in_the_pilot_the_commissioner_bears_every_overspend_and_gains_are_shared_as_the_contract_says():
    found = contract()
    assert transfers(found, 1, COSTS) == [Decimal("1000000.00"), Decimal("800000.00"), Decimal("0.01"), Decimal("-500000.00")]


def test_after_the_pilot_the_contract_corridor_and_its_cap_apply():
    found = contract()
    # a loss of £1m: the provider's half is £500,000, capped at £400,000; of £800,000, £400,000 exactly, on the cap; a
    # penny of loss is split half and half, and the half penny rounds to the provider
    assert transfers(found, 2, COSTS) == [Decimal("600000.00"), Decimal("400000.00"), Decimal("0.00"), Decimal("-500000.00")]


def test_a_limit_the_phase_states_replaces_the_contract_limit_on_that_party_and_side():
    found = contract("      provider losses at most £100,000")
    terms = model.risk_share_for_year(found, 1)
    assert [(limit.party, limit.exposure, limit.amounts[0].value, limit.clause) for limit in terms.limits] == [
        ("provider", "losses", Decimal(100000), "6.1.1")]
    assert model.risk_share_for_year(found, 2).limits[0].amounts[0].value == Decimal(400000)
    statement = evaluate(found, Data((DataPoint("actual cost", 1, None, Decimal(11000000)),)), 1)
    assert [line.clause for line in statement.lines if line.kind == "risk share"] == ["6.1.1"]


def test_a_problem_in_a_phase_terms_is_reported_once_where_the_phase_states_it():
    text = CONTRACT.format(pilot="").replace("provider 0%, commissioner 100%\n        above", "provider 10%, commissioner 100%\n        above")
    found = check_text(text, "p.obc")
    assert [(x.code, x.span.line) for x in found.diagnostics] == [("OBC703", 17)]


def test_no_risk_share_in_a_phase_still_switches_it_off():
    found = obcdsl.loads(CONTRACT.format(pilot="").replace("  phase corridor from year 2 clause 6.2\n",
                                                           "  phase corridor from year 2 clause 6.2\n    no risk share\n")).ast
    assert model.risk_share_for_year(found, 2) is None
    assert evaluate(found, Data((DataPoint("actual cost", 2, None, Decimal(1)),)), 2).risk is None


def test_a_phase_risk_share_reads_back_from_its_formatted_text():
    found, problems = read_contract(SourceFile("p.obc", CONTRACT.format(pilot="      provider losses at most £100,000")))
    assert problems == []
    again, _ = read_contract(SourceFile("again.obc", render(found)))
    assert again == found
    assert again.phases[0].risk_terms is not None and again.phases[0].risk_terms.clause == "6.1.1"
