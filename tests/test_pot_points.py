"""A pot stated as points and a price per point, as points-based schemes publish it:
`outcomes pot 1,000 points at £150.25 per point`."""

from decimal import Decimal

import obcdsl
from obcdsl.checker import check_text
from obcdsl.data import Data, DataPoint
from obcdsl.format import render

SCHEME = """
contract "Points scheme"
  commissioner "ICB"
  lead provider "Practice group"
  term 1 years from 2025/26
end
payments
  outcomes pot {pot} clause 4
end
outcomes
  outcome prevention "Prevention" clause 5
    weight {first} points
    indicator flu "Flu vaccination" clause 5.1
      unit percent
      higher is better
      target at least 75%
    end
  end
  outcome control "Blood pressure control" clause 6
    weight 400 points
    indicator bp "Blood pressure at target" clause 6.1
      unit percent
      higher is better
      sliding scale from 40% paying 0% to 80% paying 100%
    end
  end
  unearned pot retained by the commissioner
end
"""


def scheme(pot="1,000 points at £150.25 per point", first="600"):
    return SCHEME.format(pot=pot, first=first)


def test_the_pot_is_the_points_times_the_price_and_each_point_pays_that_price():
    contract = obcdsl.loads(scheme())
    pot = contract.ast.payments.pot
    assert (pot.kind, pot.value, pot.points, pot.per_point) == ("money", Decimal("150250"), Decimal(1000), Decimal("150.25"))
    data = Data((DataPoint("flu", 1, None, Decimal(75)), DataPoint("bp", 1, None, Decimal(60))))
    statement = contract.evaluate(data, 1)
    paid = {line.name: line.amount for line in statement.lines if line.name in ("flu", "bp")}
    # flu: 600 points, met exactly on the target; bp: 400 points, half way up the scale
    assert paid == {"flu": Decimal("90150.00"), "bp": Decimal("30050.00")}
    assert statement.pot == Decimal("150250.00")


def test_formatting_keeps_the_points_and_the_price():
    text = scheme("1 point at £150,250 per point", "600")
    result = check_text(text.replace("weight 600 points", "weight 0.6 points").replace("weight 400 points", "weight 0.4 points"))
    assert result.ok, [d.message for d in result.diagnostics]
    again = render(result.contract)
    assert "outcomes pot 1 point at £150250 per point clause 4" in again
    assert check_text(again).contract == result.contract


def test_points_that_differ_from_the_outcomes_points_are_an_error():
    result = check_text(scheme(first="500"))
    (error,) = [d for d in result.diagnostics if d.is_error]
    assert error.code == "OBC606" and (error.span.line, error.span.column) == (8, 3)
    assert error.message == ("the pot is stated as 1,000 points, but the outcomes and bonuses are weighted 900 points in all")


def test_a_pot_of_part_points_is_refused():
    result = check_text(scheme("1,000.5 points at £150 per point"))
    assert [d.code for d in result.diagnostics] == ["OBC105"]
    assert "a pot's points must be a whole number" in result.diagnostics[0].message


def test_the_schedule_says_the_points_and_the_price():
    from obcdsl.schedule.document import budget_amount_words

    contract = obcdsl.loads(scheme())
    assert budget_amount_words(contract.ast.payments.pot) == "1,000 points at £150.25 a point (£150,250)"
