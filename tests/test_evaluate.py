"""Evaluation: the numbers the issue pins, exactness, and the statement's JSON shape."""

import json
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, strategies as st

import obcdsl
from obcdsl.data import Data, DataPoint, PatientCost

from conftest import CONTRACTS

DATA = CONTRACTS / "data"
D = Decimal


def table(rows, patients=()):
    """Data from (measure, year, segment, value) tuples."""
    points = tuple(DataPoint(m, y, s, D(str(v))) for m, y, s, v in rows)
    return Data(points, tuple(PatientCost(f"P{i}", y, D(str(c))) for i, (y, c) in enumerate(patients)))


@pytest.fixture(scope="module")
def monitor():
    return obcdsl.load(CONTRACTS / "monitor_staged_linking.obc")


@pytest.fixture(scope="module")
def oxfordshire():
    return obcdsl.load(CONTRACTS / "oxfordshire_mental_health.obc")


# ---------------------------------------------------------------- Monitor's Table 2


def test_monitor_year_2_improved_and_good(monitor):
    data = table([("outcome_1_measure", 2, None, 72), ("outcome_2_measure", 2, None, 55)])
    statement = monitor.evaluate(data, year=2)
    amounts = {line.name: line.amount for line in statement.lines}
    assert amounts["outcome_1_measure"] == D("750000.00")
    assert amounts["outcome_2_measure"] == D("300000.00")
    assert statement.outcomes_paid == D("1050000.00")
    assert statement.unearned == D("1950000.00")
    assert statement.total_to_provider == D("1050000.00")


def test_monitor_year_2_both_excellent(monitor):
    data = table([("outcome_1_measure", 2, None, 95), ("outcome_2_measure", 2, None, 90)])
    statement = monitor.evaluate(data, year=2)
    assert statement.outcomes_paid == D("3000000.00")
    assert statement.unearned == D("0.00")


def test_monitor_year_1_outcome_2_earns_nothing_whatever_its_data(monitor):
    data = table([("outcome_1_measure", 1, None, 90), ("outcome_2_measure", 1, None, 99)])
    statement = monitor.evaluate(data, year=1)
    lines = {line.name: line for line in statement.lines}
    assert lines["outcome_1_measure"].amount == D("400000.00")
    assert lines["outcome_2_measure"].amount == 0
    assert lines["outcome_2_measure"].linked is False
    assert "not linked to payment this year (year 1)" in lines["outcome_2_measure"].explanation
    assert "measured 99%" in lines["outcome_2_measure"].explanation  # the value is shown, though it earns nothing
    assert statement.unearned == D("600000.00")


def test_monitor_value_exactly_on_a_threshold_reaches_it(monitor):
    data = table([("outcome_1_measure", 2, None, 70), ("outcome_2_measure", 2, None, D("49.99"))])
    statement = monitor.evaluate(data, year=2)
    lines = {line.name: line for line in statement.lines}
    assert lines["outcome_1_measure"].amount == D("750000.00")  # 70% reaches improved (at least 70%)
    assert lines["outcome_2_measure"].amount == 0


def test_bundled_monitor_data(monitor):
    data = obcdsl.read_data(DATA / "monitor_staged_linking.csv")
    assert monitor.evaluate(data, year=2).total_to_provider == D("1050000.00")
    assert monitor.evaluate(data, year=1).total_to_provider == D("400000.00")


# ---------------------------------------------------------------- Oxfordshire


def test_oxfordshire_every_outcome_achieved_pays_the_whole_pot(oxfordshire):
    data = obcdsl.read_data(DATA / "oxfordshire_mental_health.csv")
    statement = oxfordshire.evaluate(data, year=3)
    assert statement.pot > 0
    assert statement.outcomes_paid + statement.bonus_paid == statement.pot
    assert statement.unearned == 0
    bonus = next(line for line in statement.lines if line.kind == "bonus")
    assert bonus.amount == statement.bonus_paid and bonus.amount > 0
    assert bonus.amount == bonus.allocation
    # 10 points of 100
    assert abs(bonus.amount - statement.pot / 10) <= D("0.01")
    assert statement.core + statement.pot == statement.budget
    assert statement.core == (statement.budget * D("0.8")).quantize(D("0.01"))


def test_oxfordshire_one_outcome_missed_loses_the_bonus(oxfordshire):
    data = obcdsl.read_data(DATA / "oxfordshire_mental_health.csv")
    points = tuple(p if not (p.measure == "suicide" and p.year == 3) else DataPoint("suicide", 3, None, D(8)) for p in data.points)
    statement = oxfordshire.evaluate(Data(points), year=3)
    bonus = next(line for line in statement.lines if line.kind == "bonus")
    assert bonus.amount == 0 and bonus.allocation > 0
    assert "`live_longer`" in bonus.explanation
    suicide = next(line for line in statement.lines if line.name == "suicide")
    # 8 is halfway from 12 to 4; half a penny rounds up under the contract's `rounding half up`
    assert suicide.amount == (suicide.allocation / 2).quantize(D("0.01"), rounding=ROUND_HALF_UP)
    assert statement.unearned == bonus.allocation + (suicide.allocation - suicide.amount)
    assert statement.unearned_destination == "reinvested"
    assert statement.unearned_services == ("Oxfordshire mental health services named by the commissioner",)
    assert statement.outcomes_paid + statement.bonus_paid + statement.unearned == statement.pot


def test_oxfordshire_crisis_line_reads_as_the_issue_asks(oxfordshire):
    data = obcdsl.read_data(DATA / "oxfordshire_mental_health.csv")
    statement = oxfordshire.evaluate(data, year=2)
    line = next(line for line in statement.lines if line.name == "crisis_response_4h")
    assert line.explanation.startswith(
        "People will receive timely access to assessment and support / Crisis referrals seen face to face within 4 hours: "
        "87.2% ≥ improved 85% → 75% of £"
    )
    assert line.explanation.endswith("(clause 4.3)")
    assert line.inputs["value"]["value"] == D("87.2")


def test_oxfordshire_gateway_withholds_the_outcome(oxfordshire):
    data = obcdsl.read_data(DATA / "oxfordshire_mental_health.csv")
    points = tuple(p if p.measure != "data_completeness" else DataPoint("data_completeness", 3, None, D(80)) for p in data.points)
    statement = oxfordshire.evaluate(Data(points), year=3)
    for name in ("paid_employment", "voluntary_activity", "education", "home_or_parent"):
        line = next(entry for entry in statement.lines if entry.name == name)
        assert line.amount == 0
        assert "gateway not met" in line.explanation


def test_budget_adjustments_compound(oxfordshire):
    data = obcdsl.read_data(DATA / "oxfordshire_mental_health.csv")
    statement = oxfordshire.evaluate(data, year=2)
    assert statement.budget == (D("37110000") * D("0.96") * D("1.04")).quantize(D("0.01"))


def test_population_adjustment_beyond_tolerance(oxfordshire):
    data = obcdsl.read_data(DATA / "oxfordshire_mental_health.csv")
    base = oxfordshire.evaluate(data, year=3).budget
    # 10% more people than projected: 2% tolerance, adjusted on the excess only (8%)
    segments = {"anxiety_depression": 14200, "substance_misuse": 3100, "psychosis": 4300, "behavioural": 2400}
    points = tuple(p for p in data.points if p.measure != "actual population") + tuple(
        DataPoint("actual population", 3, name, D(people) * D("1.01") ** 2 * D("1.10")) for name, people in segments.items()
    )
    statement = oxfordshire.evaluate(Data(points), year=3)
    unadjusted = D("37110000") * (D("0.96") * D("1.04")) ** 2
    assert statement.budget == (unadjusted * D("1.08")).quantize(D("0.01"))
    assert statement.budget != base


# ---------------------------------------------------------------- risk share

CORRIDOR = """
contract "Corridor"
  commissioner "ICB"
  lead provider "Trust"
  term 1 years from 2024/25
end
budget
  baseline £10m
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
  provider losses at most £400,000
  commissioner gains at most £700,000
  per patient stop-loss above £20,000
end
"""


@pytest.fixture(scope="module")
def corridor():
    return obcdsl.loads(CORRIDOR)


PATIENTS = [(1, "25000"), (1, "19000"), (1, "20000"), (1, "45500.50"), (1, "20000.01")]


def settle(contract, cost):
    return contract.evaluate(table([("actual cost", 1, None, cost)], PATIENTS), year=1)


def test_stop_loss_moves_exactly_the_excess_over_20000(corridor):
    statement = settle(corridor, "10000000")
    assert statement.risk.stop_loss == D("5000") + D("25500.50") + D("0.01")


def test_corridor_loss_split_50_50(corridor):
    statement = settle(corridor, D("10600000") + D("30500.51"))  # £600,000 over budget once stop-loss is taken out
    risk = statement.risk
    assert risk.variance == D("600000.00")
    assert risk.provider_share == D("300000.00") and risk.commissioner_share == D("300000.00")
    assert risk.transfer == D("300000.00")
    assert statement.total_to_provider == D("10000000") + D("300000") + D("30500.51")


def test_corridor_loss_beyond_10_percent_falls_to_the_commissioner(corridor):
    statement = settle(corridor, D("11500000") + D("30500.51"))  # 15% over
    risk = statement.risk
    assert risk.provider_share == D("400000.00")  # 50% of the first £1m is £500,000, capped at £400,000
    assert risk.commissioner_share == D("1100000.00")
    assert risk.caps_binding == ("provider losses cap",)


@given(st.decimals(min_value=D("7000000"), max_value=D("13000000"), places=2))
def test_corridor_shares_add_up_and_respect_caps(corridor_cost):
    contract = obcdsl.loads(CORRIDOR)
    statement = settle(contract, corridor_cost)
    risk = statement.risk
    assert risk.provider_share + risk.commissioner_share == abs(risk.variance)
    assert risk.provider_share >= 0 and risk.commissioner_share >= 0
    if risk.variance > 0:
        assert risk.provider_share <= D("400000")
    else:
        assert risk.commissioner_share <= D("700000")
    lines = [entry for entry in statement.lines if entry.kind == "risk share"]
    assert sum(entry.party_amounts["provider"] for entry in lines) == risk.provider_share
    assert sum(entry.party_amounts["commissioner"] for entry in lines) == risk.commissioner_share
    assert sum(entry.amount for entry in lines) == risk.transfer


def test_reference_risk_share_contract(tmp_path):
    contract = obcdsl.load(CONTRACTS / "risk_share_corridor.obc")
    data = obcdsl.read_data(DATA / "risk_share_corridor.csv", patients=DATA / "risk_share_corridor_patients.csv")
    for year in contract.years:
        statement = contract.evaluate(data, year=year)
        risk = statement.risk
        assert risk.provider_share + risk.commissioner_share == abs(risk.variance)
        assert statement.core + statement.pot + statement.reserve == statement.budget
        total = sum(share.total for share in statement.distribution)
        assert total == statement.total_to_provider


def test_minimum_variance_above_the_minimum_only():
    text = CORRIDOR.replace("  outside the budget\n", "  outside the budget\n  minimum variance £100,000, shared above the minimum only\n")
    contract = obcdsl.loads(text)
    statement = settle(contract, D("10200000") + D("30500.51"))  # £200,000 over
    assert statement.risk.provider_share == D("150000.00")  # the first £100,000 and half of the rest
    assert statement.risk.commissioner_share == D("50000.00")
    below = settle(contract, D("10050000") + D("30500.51"))
    assert below.risk.provider_share == D("50000.00") and below.risk.commissioner_share == 0


def test_minimum_variance_from_the_first_pound():
    text = CORRIDOR.replace("  outside the budget\n", "  outside the budget\n  minimum variance £100,000, shared from the first pound\n")
    contract = obcdsl.loads(text)
    statement = settle(contract, D("10200000") + D("30500.51"))
    assert statement.risk.commissioner_share == D("100000.00")


# ---------------------------------------------------------------- exactness and shape


def test_parts_add_up_to_the_penny(oxfordshire):
    data = obcdsl.read_data(DATA / "oxfordshire_mental_health.csv")
    for year in (1, 2, 3):
        statement = oxfordshire.evaluate(data, year=year)
        assert statement.outcomes_paid + statement.bonus_paid + statement.unearned == statement.pot
        assert all(line.amount == line.amount.quantize(D("0.01")) for line in statement.lines)
        assert sum(p.total for p in statement.distribution) == statement.total_to_provider
        for component in ("core", "outcomes", "bonus"):
            assert sum(getattr(p, component) for p in statement.distribution) == {
                "core": statement.core, "outcomes": statement.outcomes_paid, "bonus": statement.bonus_paid}[component]


def test_statement_json_shape(monitor):
    data = obcdsl.read_data(DATA / "monitor_staged_linking.csv")
    document = monitor.evaluate(data, year=2).to_dict()
    assert set(document) >= {"contract", "year", "budget", "components", "lines", "unearned", "total_to_provider", "distribution"}
    assert set(document["components"]) >= {"core", "outcomes", "bonus", "risk_share"}
    assert document["total_to_provider"] == "1050000.00"
    assert document["unearned"] == {"amount": "1950000.00", "destination": "retained", "services": []}
    assert document["components"]["outcomes"] == "1050000.00"
    line = document["lines"][0]
    assert set(line) >= {"kind", "name", "title", "clause", "amount", "explanation", "rule", "linked", "achieved", "allocation"}
    assert line["amount"] == "750000.00" and line["clause"] == "4.1.1"
    json.dumps(document)  # everything is JSON-ready


def test_evaluation_is_deterministic(oxfordshire):
    data = obcdsl.read_data(DATA / "oxfordshire_mental_health.csv")
    first = json.dumps(oxfordshire.evaluate(data, year=3).to_dict())
    second = json.dumps(obcdsl.load(CONTRACTS / "oxfordshire_mental_health.obc").evaluate(obcdsl.read_data(DATA / "oxfordshire_mental_health.csv"), year=3).to_dict())
    assert first == second


def test_year_outside_the_term_is_refused(monitor):
    with pytest.raises(ValueError):
        monitor.evaluate(table([]), year=3)


def test_load_raises_one_error_type_with_diagnostics():
    with pytest.raises(obcdsl.ContractError) as caught:
        obcdsl.loads('contract "x"\nend\noutcomes\n outcome a "A"\n  weight 95%\n')
    assert caught.value.diagnostics and caught.value.diagnostics[0].code == "OBC103"


# ---------------------------------------------------------------- wrong money found by review (issue 9)

ONE_OUTCOME = """
contract "One outcome"
  commissioner "ICB"
  lead provider "Trust"
  term 2 years from 2024/25
end
budget
  baseline £10m
end
payments
  core 80% of budget
  outcomes pot 20% of budget
end
outcomes
  outcome access "Timely access"
    indicator seen_4h "Seen within 4 hours"
      unit percent
      higher is better
      bands
        good at least 70% pays 50%
        excellent at least 90% pays 100%
      end
    end
  end
  unearned pot retained by the commissioner
end
"""


def test_a_single_outcome_without_weight_takes_the_whole_pot():
    statement = obcdsl.loads(ONE_OUTCOME).evaluate(table([("seen_4h", 1, None, 95)]), year=1)
    (line,) = [line for line in statement.lines if line.name == "seen_4h"]
    assert line.allocation == D("2000000.00")
    assert line.amount == D("2000000.00")
    assert "100% of £2,000,000.00" in line.explanation
    good = obcdsl.loads(ONE_OUTCOME).evaluate(table([("seen_4h", 1, None, 75)]), year=1)
    assert good.outcomes_paid == D("1000000.00") and good.unearned == D("1000000.00")


GAIN_KEPT = CORRIDOR.replace(
    "    up to 10% of budget: provider 50%, commissioner 50%\n    above 10% of budget: provider 0%, commissioner 100%\n  end\n  losses",
    "    above 0% of budget: provider 100%, commissioner 0%\n  end\n  losses",
).replace("  commissioner gains at most £700,000\n", "")


def test_no_negative_zero_when_the_commissioner_takes_nothing_of_a_gain():
    from obcdsl.statement_render import to_csv, to_json, to_markdown

    contract = obcdsl.loads(GAIN_KEPT)
    statement = contract.evaluate(table([("actual cost", 1, None, "9500000")], PATIENTS), year=1)
    assert statement.risk.variance < 0 and statement.risk.commissioner_share == 0
    assert str(statement.risk.transfer) == "0.00"
    for text in (to_json([statement], False), to_markdown([statement]), to_csv([statement])):
        assert "-0.00" not in text and "-£0.00" not in text
    assert all(not str(line.amount).startswith("-0") for line in statement.lines)


STOP_LOSS_ONLY = """
contract "Stop-loss only"
  commissioner "ICB"
  lead provider "Trust"
  term 2 years from 2024/25
end
payments
  outcomes pot £1m
end
outcomes
  outcome access "Timely access"
    indicator seen_4h "Seen within 4 hours"
      unit percent
      higher is better
      target at least 70%
    end
  end
  unearned pot retained by the commissioner
end
risk share
  per patient stop-loss above £20,000
end
"""


def test_stop_loss_without_a_budget_is_paid():
    statement = obcdsl.loads(STOP_LOSS_ONLY).evaluate(table([("seen_4h", 1, None, 80)], [(1, "30000"), (1, "5000")]), year=1)
    assert statement.risk.stop_loss == D("10000.00")
    assert statement.risk.variance is None and statement.risk.actual_cost is None
    assert statement.risk_share == D("10000.00")
    assert statement.total_to_provider == D("1010000.00")
    document = statement.to_dict()
    assert document["risk_share"]["variance"] is None and document["risk_share"]["stop_loss"] == "10000.00"


def test_stop_loss_alone_with_a_budget_needs_no_actual_cost():
    text = ONE_OUTCOME + "risk share\n  outside the budget\n  per patient stop-loss above £20,000\nend\n"
    statement = obcdsl.loads(text).evaluate(table([("seen_4h", 1, None, 95)], [(1, "20000.50")]), year=1)
    assert statement.risk.stop_loss == D("0.50")
    assert statement.total_to_provider == D("10000000.50")


DERIVED = ONE_OUTCOME.replace('''    indicator seen_4h "Seen within 4 hours"
      unit percent
      higher is better
      bands
        good at least 70% pays 50%
        excellent at least 90% pays 100%
      end
    end''', '''    indicator seen_4h "Seen within 4 hours"
      unit percent
      higher is better
      measured as 100% * seen / referred
      target at least 5 points above baseline
    end
    indicator seen "Seen"
      unit count
      higher is better
    end
    indicator referred "Referred"
      unit count
      higher is better
    end''')


def test_a_derived_indicator_takes_its_baseline_from_its_inputs_baselines():
    contract = obcdsl.loads(DERIVED)
    rows = [("seen", None, None, 70), ("referred", None, None, 100), ("seen", 1, None, 76), ("referred", 1, None, 100)]
    statement = contract.evaluate(table(rows), year=1)
    (line,) = [line for line in statement.lines if line.name == "seen_4h"]
    assert line.amount == D("2000000.00")
    assert "baseline 70%" in line.explanation
    missed = contract.evaluate(table(rows[:2] + [("seen", 1, None, 74), ("referred", 1, None, 100)]), year=1)
    assert missed.outcomes_paid == 0


def test_every_missing_input_of_a_derived_indicator_is_reported_once():
    contract = obcdsl.loads(DERIVED)
    with pytest.raises(obcdsl.DataError) as caught:
        contract.evaluate(table([("seen", None, None, 70), ("referred", None, None, 100)]), year=1)
    messages = [x.message for x in caught.value.diagnostics]
    assert sorted(messages) == ["`referred` has no data for year 1", "`seen` has no data for year 1"]


def test_a_missing_baseline_is_an_error_even_when_missing_data_counts_as_not_achieved():
    contract = obcdsl.loads(DERIVED.replace('  unearned pot retained', '  missing data counts as not achieved\n  unearned pot retained'))
    with pytest.raises(obcdsl.DataError) as caught:
        contract.evaluate(table([("seen", 1, None, 76), ("referred", 1, None, 100)]), year=1)
    messages = [x.message for x in caught.value.diagnostics]
    assert messages == ["`seen` has no baseline", "`referred` has no baseline"]
    assert all(x.code == "OBC913" for x in caught.value.diagnostics)


def test_population_adjustment_counts_risk_weighted_people(oxfordshire):
    data = obcdsl.read_data(DATA / "oxfordshire_mental_health.csv")
    growth = D("1.01") ** 2
    # The same number of people as projected, but 30% more in the heaviest segment and fewer in the lightest:
    # a change of case mix the budget follows when weighted people are counted (the default).
    people = {"anxiety_depression": D(14200) * growth - 1290, "substance_misuse": D(3100) * growth,
              "psychosis": D(4300) * growth + 1290, "behavioural": D(2400) * growth}
    points = tuple(p for p in data.points if p.measure != "actual population") + tuple(
        DataPoint("actual population", 3, name, n) for name, n in people.items())
    weighted = oxfordshire.evaluate(Data(points), year=3)
    assert "actual weighted population" in weighted.budget_steps[-2].description
    assert weighted.budget > oxfordshire.evaluate(Data(tuple(p for p in points if p.measure != "actual population")), year=3).budget
    heads_text = (CONTRACTS / "oxfordshire_mental_health.obc").read_text().replace("on the excess only", "on the excess only, counting heads")
    heads = obcdsl.loads(heads_text).evaluate(Data(points), year=3)
    assert "within the 2% tolerance" in heads.budget_steps[-2].description
    assert heads.budget < weighted.budget


def test_weighted_population_needs_rows_by_segment(oxfordshire):
    data = obcdsl.read_data(DATA / "oxfordshire_mental_health.csv")
    points = tuple(p for p in data.points if p.measure != "actual population") + (DataPoint("actual population", 3, None, D(25000)),)
    with pytest.raises(obcdsl.DataError) as caught:
        oxfordshire.evaluate(Data(points), year=3)
    assert caught.value.diagnostics[0].code == "OBC911"
    assert "weighted people" in caught.value.diagnostics[0].message
