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


def test_there_are_four_reference_contracts():
    names = {p.stem for p in CONTRACTS.glob("*.obc")}
    assert names >= {"oxfordshire_mental_health", "monitor_staged_linking", "cheshire_wirral_pilot", "risk_share_corridor"}


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
