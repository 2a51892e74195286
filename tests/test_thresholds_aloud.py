"""A distance below the baseline reads as it is said aloud (`at least 10% below baseline`), and the old wording
(`at most 10% below baseline` where lower is better) keeps its meaning: both are paid the same, on the threshold and
a hair either side, by the exact and the array evaluators, and explained with the same sign."""

from decimal import Decimal

import numpy as np
import pytest

import obcdsl
from obcdsl import vector
from obcdsl.data import Data, DataPoint

CONTRACT = """
contract "Spoken thresholds"
  commissioner "ICB"
  lead provider "Trust"
  term 1 years from 2024/25
end
payments
  outcomes pot £100,000
end
outcomes
  outcome o "Outcome"
    indicator i "Indicator" clause 1
      unit rate per 1,000
      {direction} is better
      target {threshold}
    end
  end
  unearned pot retained by the commissioner
end
"""

# (direction, the words as said aloud, the old words, baseline, a value exactly on the threshold, one a hair worse)
CASES = [
    ("lower", "at least 10% below baseline", "at most 10% below baseline", "120", "108", "108.01"),
    ("lower", "at least 2 points below baseline", "at most 2 points below baseline", "15.5", "13.5", "13.51"),
    ("higher", "at most 10% below baseline", "at least 10% below baseline", "120", "108", "107.99"),
    ("higher", "at most 2 points below baseline", "at least 2 points below baseline", "15.5", "13.5", "13.49"),
]


def paid(contract, value: str, baseline: str) -> tuple[Decimal, float, str]:
    """The line paid exactly, the same in arrays, and the exact statement's explanation."""
    data = Data((DataPoint("i", 1, None, Decimal(value)), DataPoint("i", None, None, Decimal(baseline))))
    statement = contract.evaluate(data, 1)
    (line,) = [x for x in statement.lines if x.name == "i"]
    arrays = vector.run(vector.year_model(contract.ast, 1), {"i": np.array([float(value)])}, {"i": float(baseline)})
    return line.amount, float(arrays.total_to_provider[0]), line.explanation


@pytest.mark.parametrize("direction, spoken, old, baseline, on, worse", CASES)
def test_spoken_and_old_wording_pay_the_same_on_and_beside_the_threshold(direction, spoken, old, baseline, on, worse):
    aloud = obcdsl.loads(CONTRACT.format(direction=direction, threshold=spoken))
    before = obcdsl.loads(CONTRACT.format(direction=direction, threshold=old))
    assert [d.code for d in aloud.warnings] == [] and [d.code for d in before.warnings] == ["OBC410"]
    for contract in (aloud, before):
        amount, in_arrays, explanation = paid(contract, on, baseline)
        assert amount == Decimal("100000.00") and in_arrays == 100000.0
        assert (" ≤ target " if direction == "lower" else " ≥ target ") in explanation
        amount, in_arrays, explanation = paid(contract, worse, baseline)
        assert amount == Decimal("0.00") and in_arrays == 0.0
        assert (" > target " if direction == "lower" else " < target ") in explanation


def test_the_schedule_says_the_threshold_as_it_is_met():
    from obcdsl.schedule.document import threshold_words

    contract = obcdsl.loads(CONTRACT.format(direction="lower", threshold="at least 10% below baseline"))
    (indicator,) = contract.ast.all_indicators
    assert threshold_words(indicator.rule.threshold, "lower") == "90% of the baseline or less"
    old = obcdsl.loads(CONTRACT.format(direction="lower", threshold="at most 10% below baseline"))
    assert threshold_words(old.ast.all_indicators[0].rule.threshold, "lower") == "90% of the baseline or less"
