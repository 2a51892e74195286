"""Outcome weights by phase (issue 11): a phase's `weights ... end` restates, for its years, the weight of any
outcome, indicator or bonus, for targets, bands and sliding scales alike. Years outside the phase keep the
contract's own weights; exact and array evaluation agree; the checks of the weights are made of each phase's
weights in force and reported where the phase states them."""

from decimal import Decimal

import numpy as np
import pytest

import obcdsl
from obcdsl import model, vector
from obcdsl.checker import check_text
from obcdsl.data import Data, DataPoint
from obcdsl.evaluate import evaluate
from obcdsl.format import render
from obcdsl.plan import plan_for
from obcdsl.lsp.names import from_contract
from obcdsl.schedule.document import Paragraph, schedule_for

CONTRACT = """
contract "Weights by phase"
  commissioner "ICB"
  lead provider "Trust"
  term 4 years from 2025/26
end
budget
  baseline £10m
end
payments
  core 90% of budget
  outcomes pot 10% of budget
end
outcomes clause 4
  outcome wellbeing "Wellbeing" clause 4.1
    weight 50%
    indicator wemwbs "WEMWBS score"
      unit score
      higher is better
      target at least 50
    end
  end
  outcome carers "Carers" clause 4.2
    weight 30%
    indicator assessed "Carers assessed"
      weight 50%
      unit percent
      higher is better
      bands
        good at least 60% pays 50%
        excellent at least 80% pays 100%
      end
    end
    indicator supported "Carers supported"
      weight 50%
      unit percent
      higher is better
      sliding scale from 40% paying 0% to 80% paying 100%
    end
  end
  bonus all_met "Every outcome met" clause 4.3
    weight 20%
    pays when all outcomes are achieved
  end
  unearned pot retained by the commissioner
end
phasing clause 6
  phase bedding_in years 1 to 2 clause 6.1
    link all indicators
  end
  phase established from year 3 clause 6.2
    link all indicators
    weights clause 6.2.1
{weights}
    end
  end
end
"""

LATER = """      wellbeing 30%
      carers 40%
      all_met 30%
      assessed 25%
      supported 75%"""


def text(weights: str = LATER) -> str:
    return CONTRACT.format(weights=weights)


def contract(weights: str = LATER):
    return obcdsl.loads(text(weights)).ast


def data(year: int, wemwbs="55", assessed="80%", supported="60%") -> Data:
    return Data(tuple(DataPoint(name, year, None, Decimal(raw.rstrip("%"))) for name, raw in
                      (("wemwbs", wemwbs), ("assessed", assessed), ("supported", supported))))


def paid(found, year: int, **values) -> dict[str, Decimal]:
    statement = evaluate(found, data(year, **values), year)
    return {line.name: line.amount for line in statement.lines if line.kind in ("indicator", "bonus")}


def test_years_before_the_phase_are_paid_by_the_contract_weights():
    # pot £1m: wellbeing 50% = £500,000; carers 30% = £300,000 split 50:50; bonus 20% = £200,000
    assert paid(contract(), 2) == {"wemwbs": Decimal("500000.00"), "assessed": Decimal("150000.00"),
                                   "supported": Decimal("75000.00"), "all_met": Decimal("0.00")}


def test_years_of_the_phase_are_paid_by_its_weights_for_targets_bands_sliding_scales_and_the_bonus():
    # wellbeing 30% = £300,000; carers 40% = £400,000: assessed 25% = £100,000, supported 75% = £300,000;
    # supported at 60% is half-way along its scale: £150,000; the bonus at 30% = £300,000 when every outcome is met
    assert paid(contract(), 3) == {"wemwbs": Decimal("300000.00"), "assessed": Decimal("100000.00"),
                                   "supported": Decimal("150000.00"), "all_met": Decimal("0.00")}
    assert paid(contract(), 4, supported="80%")["all_met"] == Decimal("300000.00")


def test_a_value_exactly_on_a_threshold_earns_the_phase_allocation():
    on = paid(contract(), 3, wemwbs="50", assessed="60%", supported="80%")
    assert on["wemwbs"] == Decimal("300000.00")  # at least 50: 50 earns it
    assert on["assessed"] == Decimal("50000.00")  # good at 60% exactly: 50% of £100,000
    assert on["supported"] == Decimal("300000.00")  # the top of the scale exactly
    below = paid(contract(), 3, wemwbs="49.99", assessed="59.99%", supported="40%")
    assert below == {"wemwbs": Decimal("0.00"), "assessed": Decimal("0.00"), "supported": Decimal("0.00"),
                     "all_met": Decimal("0.00")}


def test_weights_not_restated_keep_the_contract_weight():
    found = contract("      assessed 20%\n      supported 80%")
    year3 = paid(found, 3, supported="80%")
    # carers keeps its 30% (£300,000); within it, assessed 20% = £60,000 and supported 80% = £240,000
    assert year3["assessed"] == Decimal("30000.00") * 2
    assert year3["supported"] == Decimal("240000.00")
    assert year3["wemwbs"] == Decimal("500000.00")


def test_allocations_split_to_the_penny_add_up_to_the_pot():
    found = obcdsl.loads(text().replace("baseline £10m", "baseline £10,000,000.07")).ast
    plan = plan_for(found, 3)
    allocations = [line.allocation for line in plan.lines] + [bonus.allocation for bonus in plan.bonuses]
    assert sum(allocations, Decimal(0)) == plan.pot


def test_the_statement_says_the_allocation_is_the_phase_weights():
    statement = evaluate(contract(), data(3), 3)
    line = next(line for line in statement.lines if line.name == "wemwbs")
    assert line.explanation.endswith("; allocated by the weights of phase `established` (clause 6.2.1)")
    before = next(line for line in evaluate(contract(), data(2), 2).lines if line.name == "wemwbs")
    assert "phase" not in before.explanation


@pytest.mark.parametrize("year", [2, 3])
def test_exact_and_array_evaluation_agree(year):
    found = contract()
    rows = [("55", "80%", "60%"), ("50", "60%", "80%"), ("49", "59.99%", "40%"), ("70", "79.99%", "79.99%")]
    exact = [evaluate(found, data(year, wemwbs=w, assessed=a, supported=s), year) for w, a, s in rows]
    arrays = vector.run(vector.year_model(found, year), {
        "wemwbs": np.array([float(w) for w, _, _ in rows]),
        "assessed": np.array([float(a.rstrip("%")) for _, a, _ in rows]),
        "supported": np.array([float(s.rstrip("%")) for _, _, s in rows]),
    })
    for index, statement in enumerate(exact):
        assert float(statement.outcomes_paid) == pytest.approx(arrays.outcomes_paid[index], abs=0.001)
        assert float(statement.bonus_paid) == pytest.approx(arrays.bonus_paid[index], abs=0.001)


def test_a_clean_contract_checks_clean_and_round_trips_through_the_formatter():
    result = check_text(text(), "weights.obc")
    assert result.ok, [d.message for d in result.diagnostics]
    found = contract()
    assert obcdsl.loads(render(found)).ast.phases[1].weights == found.phases[1].weights
    phase = found.phases[1]
    assert phase.weights is not None and [w.name for w in phase.weights.weights] == [
        "wellbeing", "carers", "all_met", "assessed", "supported"]
    assert model.weighed_for_year(found, 2) is found
    assert model.weighed_for_year(found, 3).all_outcomes[0].weight.value == Decimal(30)


def codes(weights: str) -> list[tuple[str, str, int]]:
    result = check_text(text(weights), "weights.obc")
    return [(d.code, d.message, d.span.line if d.span else 0) for d in result.diagnostics]


def line_of(fragment: str, weights: str) -> int:
    return next(n for n, line in enumerate(text(weights).splitlines(), 1) if fragment in line)


def test_outcome_weights_of_a_phase_must_add_up_and_are_reported_at_the_phase():
    weights = LATER.replace("carers 40%", "carers 50%")
    found = codes(weights)
    assert found == [("OBC301", "in phase `established`, outcome weights add up to 110%, expected 100%",
                      line_of("carers 50%", weights))]
    result = check_text(text(weights), "weights.obc")
    [diagnostic] = result.diagnostics
    assert "phase `established` covers years 3 to 4; its `weights` replace the contract's own" in diagnostic.notes
    assert diagnostic.clause == "6.2.1"
    assert diagnostic.counterexample is not None and diagnostic.counterexample["year"] == 3  # a year of the phase


def test_indicator_weights_of_a_phase_must_add_up_to_100_percent():
    weights = LATER.replace("supported 75%", "supported 65%")
    assert [(c, m) for c, m, _ in codes(weights)] == [
        ("OBC302", "in phase `established`, the indicator weights of `carers` add up to 90%, expected 100%")]


def test_a_phase_weight_naming_nothing_a_measure_or_twice_is_an_error():
    weights = LATER.replace("wellbeing 30%", "wellbeeing 30%")
    assert ("OBC201", "no outcome, indicator or bonus is called `wellbeeing`", line_of("wellbeeing", weights)) in codes(weights)
    twice = LATER + "\n      carers 40%"
    assert [c for c in codes(twice) if c[0] == "OBC202"] == [
        ("OBC202", "the weight of `carers` is stated twice in phase `established`", line_of("carers 40%", twice) + 4)]


def test_a_phase_weight_above_100_percent_and_mixed_units_are_errors():
    over = codes(LATER.replace("supported 75%", "supported 175%"))
    assert "OBC303" in {c for c, _, _ in over}
    mixed = codes(LATER.replace("carers 40%", "carers 40 points"))
    assert [c for c, _, _ in mixed] == ["OBC305"]


def test_errors_of_the_contract_own_weights_are_not_repeated_for_the_phase():
    broken = text().replace("weight 20%", "weight 25%")  # the contract's own weights add up to 105%
    result = check_text(broken, "weights.obc")
    assert [d.code for d in result.diagnostics] == ["OBC301"]
    assert not result.diagnostics[0].message.startswith("in phase")


def test_the_schedule_states_the_phase_weights():
    document = schedule_for(contract())
    words = " ".join(b.text for section in document.sections for b in section.blocks if isinstance(b, Paragraph))
    assert ("In these years the weights are: “Wellbeing” 30%, “Carers” 40%, “Every outcome met” 30%, "
            "“Carers assessed” 25%, “Carers supported” 75% (clause 6.2.1)") in words


def test_renaming_an_outcome_finds_its_phase_weight():
    source = text()
    index = from_contract(obcdsl.loads(source).ast, source)
    starts = [o.start for o in index.occurrences if o.name == "carers"]
    assert source.index("      carers 40%") + 6 in starts
