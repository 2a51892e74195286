"""Who takes the variance the minimum keeps out of the sharing, and whether a variance of exactly the minimum is
shared (issue 11): `gains not shared go to the commissioner`, `variance equal to the minimum is not shared`.
Exact and array evaluation agree on each value, on the minimum and a penny either side."""

from decimal import Decimal

import numpy as np
import pytest

import obcdsl
from obcdsl import vector
from obcdsl.checker import check_text
from obcdsl.data import Data, DataPoint
from obcdsl.format import render

CONTRACT = """
contract "Shared savings"
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
risk share clause 7
  outside the budget
  minimum variance £200,000, shared {basis} clause 7.1
{terms}  gains clause 7.2
    up to 10% of budget: provider 50%, commissioner 50%
    above 10% of budget: provider 0%, commissioner 100%
  end
  losses clause 7.3
    up to 10% of budget: provider 50%, commissioner 50%
    above 10% of budget: provider 0%, commissioner 100%
  end
end
"""


def contract(terms: str = "", basis: str = "from the first pound"):
    return obcdsl.loads(CONTRACT.format(terms="".join(f"  {t}\n" for t in terms.split(";") if t), basis=basis))


def transfers(found, costs: list[str]) -> list[Decimal]:
    """The transfer to the provider for each actual cost, exactly; and the array evaluator's, which must agree."""
    exact = [found.evaluate(Data((DataPoint("actual cost", 1, None, Decimal(c)),)), 1).risk.transfer for c in costs]
    arrays = vector.run(vector.year_model(found.ast, 1), {"actual cost": np.array([float(c) for c in costs])})
    assert [float(x) for x in exact] == pytest.approx(list(arrays.transfer), abs=0.001)
    return exact


GAINS = ["9800000.01", "9800000", "9799999.99", "9799998"]  # a gain a penny below the minimum, on it, a penny and £2 above


def test_by_default_the_provider_keeps_a_gain_below_the_minimum_and_the_minimum_itself_is_shared():
    assert transfers(contract(), GAINS) == [Decimal("0.00"), Decimal("-100000.00"), Decimal("-100000.00"), Decimal("-100001.00")]


def test_gains_not_shared_go_to_the_commissioner():
    found = contract("gains not shared go to the commissioner")
    assert transfers(found, GAINS) == [Decimal("-199999.99"), Decimal("-100000.00"), Decimal("-100000.00"), Decimal("-100001.00")]
    statement = found.evaluate(Data((DataPoint("actual cost", 1, None, Decimal("9900000")),)), 1)
    (line,) = [x for x in statement.lines if x.name == "minimum variance"]
    assert "it goes to the commissioner" in line.explanation


def test_a_variance_equal_to_the_minimum_is_not_shared():
    found = contract("gains not shared go to the commissioner;variance equal to the minimum is not shared")
    assert transfers(found, GAINS) == [Decimal("-199999.99"), Decimal("-200000.00"), Decimal("-100000.00"), Decimal("-100001.00")]


def test_losses_not_shared_go_to_the_commissioner_and_gains_stay_with_the_provider():
    found = contract("losses not shared go to the commissioner")
    # a loss of £150,000 (below the minimum): the commissioner bears it; a gain of £150,000: the provider keeps it
    assert transfers(found, ["10150000", "9850000", "10200000"]) == [Decimal("150000.00"), Decimal("0.00"), Decimal("100000.00")]


def test_above_the_minimum_only_the_first_part_goes_to_the_party_named():
    found = contract("gains not shared go to the commissioner", basis="above the minimum only")
    # a gain of £300,000: the first £200,000 to the commissioner, the other £100,000 shared 50/50
    assert transfers(found, ["9700000"]) == [Decimal("-250000.00")]


def test_the_terms_format_back_and_need_a_minimum():
    text = CONTRACT.format(terms="  gains not shared go to the commissioner clause 7.4\n  variance equal to the minimum is not shared\n",
                           basis="from the first pound")
    result = check_text(text)
    assert result.ok
    again = render(result.contract)
    assert "gains not shared go to the commissioner clause 7.4" in again and "variance equal to the minimum is not shared" in again
    assert check_text(again).contract == result.contract
    no_minimum = text.replace("  minimum variance £200,000, shared from the first pound clause 7.1\n", "")
    assert sorted(d.code for d in check_text(no_minimum).diagnostics) == ["OBC708", "OBC708"]
    twice = text.replace("  gains not shared go to the commissioner clause 7.4\n",
                         "  gains not shared go to the commissioner clause 7.4\n  gains not shared go to the provider\n")
    assert [d.code for d in check_text(twice).diagnostics] == ["OBC204"]
