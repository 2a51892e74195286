"""How many thresholds were met (issue 11): `the number of outcomes achieved`, `the number of indicators achieved`
and `the number of a, q1, q2 achieved` are numbers a condition compares, so a bonus, a deduction or a sharing rate can
be chosen by how many quality thresholds were met. Exact and array evaluation agree, on each threshold and either
side of it."""

from decimal import Decimal

import numpy as np
import pytest

import obcdsl
from obcdsl import vector
from obcdsl.checker import check_text
from obcdsl.data import Data, DataPoint
from obcdsl.evaluate import evaluate
from obcdsl.format import render
from obcdsl.lsp.names import from_contract
from obcdsl.schedule.document import Paragraph, schedule_for

CONTRACT = """
contract "Counted thresholds"
  commissioner "ICB"
  lead provider "Trust"
  term 2 years from 2025/26
end
budget
  baseline £10m
end
payments
  core 90% of budget
  outcomes pot 10% of budget
end
outcomes
  outcome access "Access" clause 4.1
    weight 40%
    indicator a "Seen within 4 hours"
      unit percent
      higher is better
      target at least 90%
    end
  end
  outcome quality "Quality" clause 4.2
    weight 40%
    indicator q1 "Quality one"
      weight 50%
      unit percent
      higher is better
      target at least 80%
    end
    indicator q2 "Quality two"
      weight 50%
      unit percent
      higher is better
      target at least 70%
    end
  end
  bonus two_of_three "Two of the three thresholds met" clause 4.3
    weight 20%
    pays when {bonus}
  end
  unearned pot retained by the commissioner
end
phasing
  phase first year 1
    link a, q1
  end
  phase then from year 2
    link all indicators
  end
end
risk share clause 7
  outside the budget
  gains when the number of outcomes achieved at least 2 clause 7.1
    up to 5% of budget: provider 60%, commissioner 40%
    above 5% of budget: provider 0%, commissioner 100%
  end
  gains otherwise clause 7.2
    up to 5% of budget: provider 20%, commissioner 80%
    above 5% of budget: provider 0%, commissioner 100%
  end
  losses
    up to 5% of budget: provider 50%, commissioner 50%
    above 5% of budget: provider 0%, commissioner 100%
  end
end
"""

NAMED = "the number of a, q1, q2 achieved at least 2"


def text(bonus: str = NAMED) -> str:
    return CONTRACT.format(bonus=bonus)


def contract(bonus: str = NAMED):
    return obcdsl.loads(text(bonus)).ast


def data(year: int, a: str, q1: str, q2: str, cost: str = "9000000") -> Data:
    return Data((DataPoint("a", year, None, Decimal(a)), DataPoint("q1", year, None, Decimal(q1)),
                 DataPoint("q2", year, None, Decimal(q2)), DataPoint("actual cost", year, None, Decimal(cost))))


# (a, q1, q2): met 3, exactly 2 (each on its threshold), 1, none
ROWS = [("95", "85", "75"), ("90", "80", "69.99"), ("90", "79.99", "69.99"), ("89.99", "79.99", "69.99")]


def results(found, year: int, rows=ROWS) -> list:
    exact = [evaluate(found, data(year, *row), year) for row in rows]
    arrays = vector.run(vector.year_model(found, year), {
        "a": np.array([float(r[0]) for r in rows]), "q1": np.array([float(r[1]) for r in rows]),
        "q2": np.array([float(r[2]) for r in rows]), "actual cost": np.array([9000000.0] * len(rows))})
    for index, statement in enumerate(exact):
        assert float(statement.bonus_paid) == pytest.approx(arrays.bonus_paid[index], abs=0.001)
        assert float(statement.risk.transfer) == pytest.approx(arrays.transfer[index], abs=0.001)
    return exact


def test_a_bonus_paid_when_at_least_two_of_three_named_thresholds_are_met():
    found = contract()
    assert [s.bonus_paid for s in results(found, 2)] == [Decimal("200000.00"), Decimal("200000.00"), Decimal("0.00"),
                                                          Decimal("0.00")]


def test_an_indicator_not_linked_in_the_year_is_not_counted():
    # year 1 links a and q1 only: q2 met still leaves a count of 1 when q1 is missed
    found = contract()
    assert [s.bonus_paid for s in results(found, 1, [("90", "79.99", "75"), ("90", "80", "60")])] == [
        Decimal("0.00"), Decimal("200000.00")]


def test_the_sharing_rate_is_chosen_by_the_number_of_outcomes_achieved():
    # a gain of £1m: the first £500,000 shared 60:40 when two outcomes are achieved, else 20:80
    found = contract()
    shares = [s.risk.provider_share for s in results(found, 2)]
    assert shares == [Decimal("300000.00"), Decimal("100000.00"), Decimal("100000.00"), Decimal("100000.00")]
    assert "the number of outcomes achieved (2) >= 2" in " ".join(line.explanation for line in results(found, 2)[0].lines)


@pytest.mark.parametrize("among, expected", [("outcomes", ["200000.00", "0.00", "0.00", "0.00"]),
                                             ("indicators", ["200000.00", "200000.00", "0.00", "0.00"])])
def test_counting_every_outcome_or_every_indicator(among, expected):
    found = contract(f"the number of {among} achieved at least 2")
    assert [s.bonus_paid for s in results(found, 2)] == [Decimal(e) for e in expected]


def test_the_bonus_line_says_how_many_were_achieved():
    statement = evaluate(contract(), data(2, "90", "79.99", "69.99"), 2)
    line = next(line for line in statement.lines if line.name == "two_of_three")
    assert line.explanation == "Two of the three thresholds met: the number of a, q1, q2 achieved (1) >= 2 → not paid (clause 4.3)"


def test_it_reads_back_from_its_formatted_text_and_checks_clean():
    for bonus in (NAMED, "the number of outcomes achieved > 1", "min(the number of indicators achieved, 2) at least 2"):
        assert check_text(text(bonus), "counted.obc").ok
        found = contract(bonus)
        assert obcdsl.loads(render(found)).ast.all_bonuses[0].condition == found.all_bonuses[0].condition


def test_an_unknown_name_counted_is_an_error_with_a_suggestion():
    result = check_text(text("the number of a, q3, q2 achieved at least 2"), "counted.obc")
    [found] = result.diagnostics
    assert (found.code, found.message) == ("OBC201", "no outcome or indicator is called `q3`")
    assert found.span.line == text().splitlines().index("    pays when " + NAMED) + 1


def test_a_number_achieved_compared_with_a_percentage_is_an_error():
    result = check_text(text("the number of outcomes achieved at least 50%"), "counted.obc")
    assert [(d.code, d.message) for d in result.diagnostics] == [
        ("OBC206", "a number of outcomes or indicators is compared with a percentage or an amount of money")]


def test_the_schedule_reads_it_aloud_and_renaming_finds_the_names_counted():
    document = schedule_for(contract())
    words = " ".join(b.text for section in document.sections for b in section.blocks if isinstance(b, Paragraph))
    assert "the number of a, q1, q2 achieved is at least 2" in words
    source = text()
    index = from_contract(obcdsl.loads(source).ast, source)
    assert source.index("the number of a, q1, q2") + len("the number of a, ") in [o.start for o in index.occurrences if o.name == "q1"]
