"""Several commissioners pooling the budget (issue 12, parties): contributions, the under- or overspend shared as
stated or as they contribute, and what each bears, to the penny; every pound of the budget and of the year's cost
is someone's, over generated contributions as over the worked examples."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

import obcdsl
from obcdsl.checker import check_text
from obcdsl.data import Data, DataPoint
from obcdsl.evaluate import evaluate
from obcdsl.format import render
from obcdsl.statement_render import to_markdown

CONTRACT = """
contract "Pooled budget"
  commissioners clause 2.1
{members}
  end
  lead provider "Example Trust"
  term 2 years from 2025/26
end
budget
  baseline {baseline}
end
payments
  core 100% of budget
end
risk share
  outside the budget
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

MEMBERS = """    icb "NHS Example ICB" contributes 70%
    council "Example County Council" contributes 30%
    overspend shared icb 80%, council 20% clause 2.2"""


def text(members: str = MEMBERS, baseline: str = "£10,000,000.01") -> str:
    return CONTRACT.format(members=members, baseline=baseline)


def statement(cost: str, members: str = MEMBERS, baseline: str = "£10,000,000.01"):
    found = obcdsl.loads(text(members, baseline)).ast
    return evaluate(found, Data((DataPoint("actual cost", 1, None, Decimal(cost)),)), 1)


def rows(found) -> list[tuple[str, Decimal | None, Decimal, Decimal, str]]:
    return [(s.party, s.contribution, s.variance, s.cost, s.side) for s in found.commissioners]


def test_an_overspend_is_paid_in_as_the_overspend_line_says():
    # a loss of £1m: the provider bears half; the commissioners pay £10,499,999.99 against £10,000,000.01
    found = statement("11000000")
    assert found.commissioner_cost == Decimal("10500000.00")
    assert rows(found) == [
        ("icb", Decimal("7000000.01"), Decimal("-399999.99"), Decimal("7400000.00"), "overspend"),
        ("council", Decimal("3000000.00"), Decimal("-100000.00"), Decimal("3100000.00"), "overspend"),
    ]


def test_an_underspend_is_returned_as_they_contribute_when_no_line_says_otherwise():
    found = statement("9500000")  # a gain of £500,000.01, half kept by the provider
    assert rows(found) == [
        ("icb", Decimal("7000000.01"), Decimal("175000.00"), Decimal("6825000.01"), "underspend"),
        ("council", Decimal("3000000.00"), Decimal("75000.00"), Decimal("2925000.00"), "underspend"),
    ]


def test_a_year_exactly_on_budget_shares_nothing():
    found = statement("10000000.01")
    assert [(s.variance, s.cost) for s in found.commissioners] == [(Decimal("0.00"), Decimal("7000000.01")),
                                                                  (Decimal("0.00"), Decimal("3000000.00"))]


def test_the_statement_names_every_commissioner_and_shows_the_table():
    found = statement("11000000")
    assert found.commissioner == "NHS Example ICB and Example County Council"
    data = found.to_dict()
    assert data["commissioners"][0] == {"party": "icb", "title": "NHS Example ICB", "contribution": "7000000.01",
                                        "overspend": "399999.99", "cost": "7400000.00"}
    markdown = to_markdown([found])
    assert "| NHS Example ICB | £7,000,000.01 | £399,999.99 | £7,400,000.00 |" in markdown
    assert "| Total | £10,000,000.01 | £499,999.99 | £10,500,000.00 |" in markdown


def test_one_commissioner_has_no_table():
    found = obcdsl.loads(text().replace("  commissioners clause 2.1\n" + MEMBERS + "\n  end", '  commissioner "NHS Example ICB"')).ast
    plain = evaluate(found, Data((DataPoint("actual cost", 1, None, Decimal("11000000")),)), 1)
    assert plain.commissioners == () and "commissioners" not in plain.to_dict()


def test_the_checks_of_contributions_and_shares():
    def codes(members: str) -> list[tuple[str, str]]:
        return [(d.code, d.message) for d in check_text(text(members), "pool.obc").diagnostics]

    assert codes(MEMBERS.replace("30%", "20%")) == [("OBC802", "the commissioners' contributions add up to 90%, expected 100%")]
    assert codes(MEMBERS.replace("council 20%", "council 30%")) == [
        ("OBC802", "the shares of the overspend add up to 110%, expected 100%")]
    assert codes(MEMBERS.replace("council 20%", "counsil 20%")) == [("OBC201", "no commissioner is called `counsil`")]
    assert codes(MEMBERS + "\n    overspend shared icb 50%, council 50%") == [
        ("OBC204", "how the overspend is shared is stated twice")]
    assert "OBC202" in [c for c, _ in codes(MEMBERS.replace("council \"", "icb \""))]
    beside = text().replace("  lead provider", '  commissioner "Someone"\n  lead provider')
    assert [d.code for d in check_text(beside, "pool.obc").diagnostics] == ["OBC204"]


def test_it_reads_back_from_its_formatted_text():
    found = obcdsl.loads(text()).ast
    assert obcdsl.loads(render(found)).ast.header.commissioners == found.header.commissioners


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 97), min_size=1, max_size=4), st.lists(st.integers(0, 100), min_size=5, max_size=5),
       st.integers(100_000_000, 2_000_000_000), st.integers(50_000_000, 4_000_000_000))
def test_every_pound_of_the_budget_and_of_the_cost_is_someones(cuts, over, budget_pennies, cost_pennies):
    contributions = [b - a for a, b in zip([0] + sorted(set(c for c in cuts if c < 100)), sorted(set(c for c in cuts if c < 100)) + [100])]
    names = [f"c{i}" for i in range(len(contributions))]
    members = "\n".join(f'    {n} "Commissioner {n}" contributes {c}%' for n, c in zip(names, contributions))
    shares = [over[i] for i in range(len(names))]
    if sum(shares):
        scaled = [s * 100 // sum(shares) for s in shares]
        scaled[0] += 100 - sum(scaled)
        members += "\n    overspend shared " + ", ".join(f"{n} {s}%" for n, s in zip(names, scaled))
    baseline = f"£{Decimal(budget_pennies) / 100:.2f}"
    found = statement(f"{Decimal(cost_pennies) / 100:.2f}", members, baseline)
    assert sum((s.contribution for s in found.commissioners), Decimal(0)) == found.budget
    assert sum((s.cost for s in found.commissioners), Decimal(0)) == found.commissioner_cost
    assert sum((s.variance for s in found.commissioners), Decimal(0)) == found.budget - found.commissioner_cost
