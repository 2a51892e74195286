"""Scaling factors above 100% (issue 11): `scaled by FACTOR capped at 130%, the excess paid on top of the pot`. The
pot pays at most what the rule pays at 100%; what a factor above 100% adds is paid beyond it. Exact and array
evaluation agree on each value, on the cap and either side of 100%."""

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

CONTRACT = """
contract "Points with a list-size factor"
  commissioner "ICB"
  lead provider "Practice group"
  term 1 years from 2025/26
end
payments
  outcomes pot 1,000 points at £200 per point clause 3
end
outcomes clause 4
  outcome control "Diabetes control"
    indicator hba1c "Patients with HbA1c at or below 58 mmol/mol" clause 4.1
      unit percent
      higher is better
      sliding scale from 40% paying 0% to 70% paying 100%
      scaled by list_factor {cap}{on_top} clause 4.2
    end
  end
  unearned pot retained by the commissioner
end
measures
  measure list_factor "The practice's list against the national average, in percent"
    unit score
  end
end
"""
ON_TOP = ", the excess paid on top of the pot"


def text(cap: str = "capped at 130%", on_top: str = ON_TOP) -> str:
    return CONTRACT.format(cap=cap, on_top=on_top)


def year(hba1c: str, factor: str) -> Data:
    return Data((DataPoint("hba1c", 1, None, Decimal(hba1c)), DataPoint("list_factor", 1, None, Decimal(factor))))


def paid(found, rows: list[tuple[str, str]]) -> list[tuple[Decimal, Decimal, Decimal]]:
    """(paid for outcomes, of which on top of the pot, unearned) exactly; the array evaluator's must agree."""
    exact = []
    for row in rows:
        statement = evaluate(found, year(*row), 1)
        exact.append((statement.outcomes_paid, statement.outcomes_on_top, statement.unearned))
    arrays = vector.run(vector.year_model(found, 1), {"hba1c": np.array([float(r[0]) for r in rows]),
                                                      "list_factor": np.array([float(r[1]) for r in rows])})
    assert [float(x[0]) for x in exact] == pytest.approx(list(arrays.outcomes_paid), abs=0.001)
    assert [float(x[2]) for x in exact] == pytest.approx(list(arrays.unearned), abs=0.001)
    return exact


def test_a_factor_above_100_percent_pays_its_excess_on_top_of_the_pot_up_to_its_cap():
    found = obcdsl.loads(text()).ast
    rows = [("70", "100"), ("70", "100.01"), ("70", "125"), ("70", "130"), ("70", "150"), ("55", "120"), ("70", "90")]
    assert paid(found, rows) == [
        (Decimal("200000.00"), Decimal("0.00"), Decimal("0.00")),
        (Decimal("200020.00"), Decimal("20.00"), Decimal("0.00")),
        (Decimal("250000.00"), Decimal("50000.00"), Decimal("0.00")),
        (Decimal("260000.00"), Decimal("60000.00"), Decimal("0.00")),
        (Decimal("260000.00"), Decimal("60000.00"), Decimal("0.00")),  # capped at 130%
        (Decimal("120000.00"), Decimal("20000.00"), Decimal("100000.00")),  # half the scale, then × 120%
        (Decimal("180000.00"), Decimal("0.00"), Decimal("20000.00")),  # below 100%: less from the pot, nothing on top
    ]


def test_the_statement_says_what_is_paid_on_top_of_the_pot():
    statement = evaluate(obcdsl.loads(text()).ast, year("70", "125"), 1)
    line = next(x for x in statement.lines if x.name == "hba1c")
    assert "scaled by 125%; £50,000.00 of it paid on top of the pot = £250,000.00" in line.explanation
    assert statement.to_dict()["components"]["outcomes_on_top"] == "50000.00"
    assert statement.overpayment == 0 and statement.total_to_provider == Decimal("250000.00")


def test_the_checker_accepts_a_cap_above_100_percent_only_with_the_excess_on_top():
    assert [x.code for x in check_text(text(), "s.obc").diagnostics] == []
    refused = check_text(text(on_top=""), "s.obc")
    assert "OBC303" in [x.code for x in refused.diagnostics]
    assert [x.code for x in check_text(text(cap=""), "s.obc").diagnostics] == []  # no maximum, but nothing from the pot
    assert "OBC381" in [x.code for x in check_text(text(cap="", on_top=""), "s.obc").diagnostics]


def test_the_bounds_keep_the_pot_and_count_the_excess_beside_it():
    bounds = year_bounds(obcdsl.loads(text()).ast, 1)
    assert bounds.outcomes.most == Decimal("200000.00") and bounds.on_top.most == Decimal("60000.00")
    assert bounds.total.most == Decimal("260000.00")
    assert year_bounds(obcdsl.loads(text(cap="")).ast, 1).on_top.most is None


def test_the_excess_reads_back_from_its_formatted_text():
    found, problems = read_contract(SourceFile("s.obc", text()))
    assert problems == []
    again, _ = read_contract(SourceFile("again.obc", render(found)))
    assert again == found and again.all_indicators[0].scaling.on_top
