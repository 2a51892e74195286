"""The bundled reference contracts check clean and say what their sources say."""

from decimal import Decimal

import pytest

from obcdsl import check_path
from obcdsl import model

from conftest import CONTRACTS


# What a reference contract is expected to be warned of: a finding about the contract as its sources
# shape it, kept visible rather than drafted away. Oxfordshire's all-outcomes bonus is allocated a share
# of the year-2 pot, but year 2 does not link every outcome, so that share cannot be earned (OBC506).
EXPECTED_WARNINGS = {"oxfordshire_mental_health": ["OBC506"]}


def load(name):
    result = check_path(CONTRACTS / name)
    expected = EXPECTED_WARNINGS.get(name.removesuffix(".obc"), [])
    assert [d.code for d in result.diagnostics] == expected, [d.message for d in result.diagnostics]
    return result.contract


@pytest.mark.parametrize("path", sorted(CONTRACTS.glob("*.obc")), ids=lambda p: p.name)
def test_reference_contract_is_clean(path):
    result = check_path(path)
    assert result.ok
    assert [(d.code, d.severity.value) for d in result.diagnostics] == [
        (code, "warning") for code in EXPECTED_WARNINGS.get(path.stem, [])]


def test_there_are_five_reference_contracts():
    names = {p.stem for p in CONTRACTS.glob("*.obc")}
    assert names >= {"oxfordshire_mental_health", "monitor_staged_linking", "cheshire_wirral_pilot", "risk_share_corridor",
                     "east_london_whole_population"}


def test_oxfordshire_outcome_points():
    contract = load("oxfordshire_mental_health.obc")
    points = [o.weight.value for o in contract.all_outcomes]
    assert points == [5, 20, 10, 15, 20, 10, 10]
    assert [b.weight.value for b in contract.all_bonuses] == [10]
    assert contract.outcomes.total.value == 100
    assert contract.payments.core.value == 80 and contract.payments.pot.value == 20
    assert contract.budget.baseline == Decimal("37110000")
    assert contract.term.years == 5 and contract.term.extension_years == 2
    assert [s.name for s in contract.segments] == ["anxiety_depression", "substance_misuse", "psychosis", "behavioural"]
    assert contract.budget.efficiency[0].rate == 4
    assert contract.outcomes.unearned.destination == "reinvested"


def test_oxfordshire_bonus_needs_every_outcome():
    contract = load("oxfordshire_mental_health.obc")
    from obcdsl import ast

    assert isinstance(contract.all_bonuses[0].condition, ast.AllAchieved)


def test_monitor_table_2_shares():
    contract = load("monitor_staged_linking.obc")
    year1, year2 = contract.phases
    assert year1.components.pot.value == 1_000_000
    assert year2.components.pot.value == 3_000_000
    shares = {(p.first_year, s.indicator): [x.share for x in s.shares] for p in contract.phases for s in p.shares}
    assert shares[(1, "outcome_1_measure")] == [9, 18, 40]
    assert shares[(2, "outcome_1_measure")] == [18, 25, 50]
    assert shares[(2, "outcome_2_measure")] == [10, 25, 50]
    assert [i.name for i in model.linked_indicators(contract, 1)] == ["outcome_1_measure"]
    assert len(model.linked_indicators(contract, 2)) == 2


def test_cheshire_phasing():
    contract = load("cheshire_wirral_pilot.obc")
    pilot, steady = contract.phases
    assert (pilot.first_year, pilot.last_year) == (1, 3)
    assert pilot.components.core.value == 100 and pilot.risk_share is False
    assert steady.first_year == 4 and steady.last_year is None and steady.risk_share is True
    assert model.linked_indicators(contract, 3) == ()
    assert len(model.linked_indicators(contract, 4)) > 0


def test_risk_share_contract_uses_every_feature():
    contract = load("risk_share_corridor.obc")
    risk = contract.risk_share
    assert risk.placement == "within" and contract.payments.reserve.value == 3
    assert risk.minimum.basis == "above minimum"
    assert risk.stop_loss.threshold == 20000 and risk.stop_loss.coinsurance == 10 and risk.stop_loss.limit == 250000
    assert {(limit.party, limit.exposure, limit.kind, limit.combine) for limit in risk.limits} == {
        ("provider", "losses", "cap", "lesser"),
        ("commissioner", "gains", "cap", "greater"),
        ("provider", "gains", "floor", "single"),
    }
    assert [(b.provider, b.commissioner) for b in risk.losses] == [(50, 50), (0, 100)]


def test_quality_gated_gain_share_follows_quality_and_the_loss_cap_follows_revenue():
    """Year 1 meets every outcome and scores 88: the 60% table; year 2 scores 66: no table, the gain goes to the
    commissioner; year 3 is a loss whose provider share is capped at 3% of that year's revenue (£1.65m, under £2m)."""
    import obcdsl

    contract = load("quality_gated_shared_savings.obc")
    assert [t.clause for t in contract.risk_share.tables] == ["6.4", "6.5"]
    data = obcdsl.read_data(CONTRACTS / "data" / "quality_gated_shared_savings.csv")
    found = obcdsl.load(CONTRACTS / "quality_gated_shared_savings.obc")
    risks = [found.evaluate(data, year).risk for year in (1, 2, 3)]
    assert [(r.variance, r.provider_share, r.transfer) for r in risks] == [
        (Decimal("-2100000.00"), Decimal("1260000.00"), Decimal("-840000.00")),
        (Decimal("-1858800.00"), Decimal("0.00"), Decimal("-1858800.00")),
        (Decimal("4973357.97"), Decimal("1650000.00"), Decimal("3323357.97")),
    ]


def east_london_year(year):
    import obcdsl

    contract = obcdsl.load(CONTRACTS / "east_london_whole_population.obc")
    return contract.evaluate(obcdsl.read_data(CONTRACTS / "data" / "east_london_whole_population.csv"), year=year)


def test_east_london_states_its_sources_terms():
    contract = load("east_london_whole_population.obc")
    payments = contract.payments
    # §3.20: an amount carved out of the whole population budget for patient choice, paid to out of area providers
    assert [(c.destination, c.amount.kind, c.amount.value) for c in payments.carve_outs] == [
        ("patient choice: out of area providers", "money", Decimal("11600000"))]
    # a CQUIN-style 2.5% at risk, on top of a block that is the rest of the budget
    assert payments.core is None and (payments.pot.value, payments.pot.on_top) == (Decimal("2.5"), True)
    assert [(d.kind, d.value) for d in payments.deductions] == [("share", Decimal("1")), ("share", Decimal("1"))]
    assert (payments.floor.kind, payments.floor.value) == ("share", Decimal("96"))
    assert [(a.amount, a.year, a.service) for a in contract.budget.additions] == [(Decimal("3424000"), 3, "community stroke service")]
    assert [s.name for s in contract.segments] == ["mostly_well_adults", "mostly_well_children", "complex_adults",
                                                   "complex_children", "older_adults"]
    assert [len(model.linked_indicators(contract, y)) for y in (1, 2, 3)] == [2, 2, 4]


def test_east_london_year_1_deducts_twice_and_tops_up_to_the_floor():
    year = east_london_year(1)
    assert year.budget == Decimal("387600000.00")  # £1,200 × 323,000 weighted people
    assert year.core == year.budget - Decimal("11600000")
    assert year.deducted == 2 * year.core / 100
    floor = year.budget * Decimal("0.96")
    assert year.top_up == floor - (year.core - year.deducted) and year.total_to_provider == floor


def test_east_london_year_2_spares_the_core_exactly_on_the_threshold():
    year = east_london_year(2)  # GP access exactly 65%
    assert year.deducted == 0 and year.top_up == 0 and year.total_to_provider == year.core + year.risk.transfer


def test_east_london_risk_terms_change_by_phase():
    """The transition phase shares a loss 50:50 only up to 1% of the budget (clause 6.1.1); from year 3 the
    corridor is 5%, and in year 5 the provider's half of the loss meets the £8m cap. The variance is measured
    against the budget less the £11.6m carve-out."""
    two, five = east_london_year(2), east_london_year(5)
    assert two.risk.variance == Decimal("381744200") - (two.budget - Decimal("11600000")) == Decimal("4000000.00")
    assert (two.risk.provider_share, two.risk.transfer) == (Decimal("1946721.00"), Decimal("2053279.00"))
    assert {line.clause for line in two.lines if line.kind == "risk share"} == {"6.1.1"}
    assert (five.risk.provider_share, five.risk.caps_binding) == (Decimal("8000000.00"), ("provider losses cap",))


def test_east_london_year_3_adds_the_stroke_service_after_its_adjustments():
    year = east_london_year(3)
    steps = [s.description for s in year.budget_steps]
    added = steps.index('year 3: add £3,424,000.00 for "community stroke service"')
    assert steps[added - 1] == "year 3: uplift +2.5%" and "tolerance" in steps[added + 1]
    assert year.pot == (year.budget * Decimal("0.025")).quantize(Decimal("0.01"))
    assert year.total_to_provider == year.core + year.outcomes_paid + year.risk.transfer
