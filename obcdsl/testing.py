"""Hypothesis strategies for contracts and their data, for property-testing contracts.

    from hypothesis import given
    from obcdsl.testing import contracts, year_data

    @given(contracts())
    def test_round_trip(contract): ...

    # a user's own contract, against generated data:
    contract = obcdsl.load("my_contract.obc")

    @given(year_data(contract.ast, year=3))
    def test_never_overpays(data):
        statement = contract.evaluate(data, year=3)
        assert statement.outcomes_paid + statement.bonus_paid <= statement.pot

`contracts()` draws valid contracts (ASTs that `obcdsl check` accepts);
`year_data(contract, year)` draws data for every indicator linked that year,
with baselines, actual cost and patient costs where the contract needs them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Optional

from hypothesis import strategies as st

from . import ast, model
from .data import ACTUAL_COST, Data, DataPoint, PatientCost

D = Decimal
TITLE = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-,.()/&'", min_size=1, max_size=30).map(str.strip).filter(bool)


def _names(prefix: str, count: int) -> list[str]:
    return [f"{prefix}{i}" for i in range(1, count + 1)]


@st.composite
def partition(draw, count: int, total: int = 100, least: int = 1) -> list[int]:
    """`count` whole numbers, each at least `least`, adding up to `total`."""
    if count == 1:
        return [total]
    cuts = sorted(draw(st.lists(st.integers(least, total - least), min_size=count - 1, max_size=count - 1, unique=True)))
    parts = [b - a for a, b in zip([0] + cuts, cuts + [total])]
    if any(p < least for p in parts):
        return [total // count] * (count - 1) + [total - (total // count) * (count - 1)]
    return parts


@st.composite
def increasing(draw, count: int, low: int, high: int) -> list[int]:
    values = sorted(draw(st.lists(st.integers(low, high), min_size=count, max_size=count, unique=True)))
    return values


@st.composite
def payment_rule(draw, direction: str) -> ast.Rule:
    kind = draw(st.sampled_from(["target", "bands", "sliding"]))
    if kind == "target":
        comparator = draw(st.sampled_from([None, "at least" if direction == "higher" else "at most",
                                           "above" if direction == "higher" else "below"]))
        value = D(draw(st.integers(5, 95)))
        return ast.Target(ast.Threshold(comparator, ast.ThresholdValue("absolute", value, None, "percent")))
    if kind == "sliding":
        low, high = draw(increasing(2, 0, 100))
        floor_pays, ceiling_pays = sorted(draw(st.lists(st.integers(0, 100), min_size=2, max_size=2)))
        floor, ceiling = (low, high) if direction == "higher" else (high, low)
        return ast.SlidingScale(
            ast.ThresholdValue("absolute", D(floor), None, "percent"), D(floor_pays),
            ast.ThresholdValue("absolute", D(ceiling), None, "percent"), D(ceiling_pays),
        )
    count = draw(st.integers(1, 3))
    thresholds = draw(increasing(count, 1, 99))
    if direction == "lower":
        thresholds = list(reversed(thresholds))
    shares = sorted(draw(st.lists(st.integers(0, 100), min_size=count, max_size=count)))
    comparator = "at least" if direction == "higher" else "at most"
    bands = tuple(
        ast.Band(name, ast.Threshold(comparator, ast.ThresholdValue("absolute", D(t), None, "percent")), None, D(share))
        for name, t, share in zip(["good", "improved", "excellent"], thresholds, shares)
    )
    return ast.Bands(bands)


@st.composite
def indicator(draw, name: str, weight: Optional[int], last_year: int) -> ast.Indicator:
    direction = draw(st.sampled_from(["higher", "lower"]))
    return ast.Indicator(
        name=name,
        title=draw(TITLE),
        weight=ast.Weight(D(weight), "percent") if weight is not None else None,
        unit=ast.Unit("percent"),
        direction=direction,
        data_from=draw(st.one_of(st.none(), st.integers(1, last_year))),
        rule=draw(payment_rule(direction)),
        clause=draw(st.one_of(st.none(), st.from_regex(r"\A[1-9](\.[1-9]){0,2}\Z"))),
    )


@st.composite
def risk_share(draw) -> ast.RiskShare:
    corridor = D(draw(st.integers(2, 15)))

    def bands():
        inner = D(draw(st.integers(0, 100)))
        return (
            ast.RiskBand(None, ast.Amount("budget share", corridor), inner, 100 - inner),
            ast.RiskBand(ast.Amount("budget share", corridor), None, D(0), D(100)),
        )

    limits = []
    if draw(st.booleans()):
        limits.append(ast.ExposureLimit("provider", "losses", "cap", "single", (ast.Amount("money", D(draw(st.integers(1, 50))) * 10000),)))
    if draw(st.booleans()):
        limits.append(ast.ExposureLimit("commissioner", "gains", "cap", "lesser",
                                        (ast.Amount("money", D(draw(st.integers(1, 50))) * 10000), ast.Amount("budget share", D(3)))))
    minimum = None
    if draw(st.booleans()):
        minimum = ast.MinimumVariance(ast.Amount("budget share", D(1)), draw(st.sampled_from(["first pound", "above minimum"])))
    stop = None
    if draw(st.booleans()):
        stop = ast.StopLoss(D(20000), draw(st.one_of(st.none(), st.integers(0, 50).map(D))), draw(st.one_of(st.none(), st.just(D(250000)))))
    return ast.RiskShare("outside", minimum, bands(), bands(), tuple(limits), stop)


@st.composite
def contracts(draw) -> ast.Contract:
    """A valid contract: weights add up, bands are in order, years within the term."""
    years = draw(st.integers(1, 4))
    header = ast.Header(
        name=draw(TITLE), commissioner=draw(TITLE), lead_provider=draw(TITLE),
        term=ast.Term(years, draw(st.sampled_from(["2015/16", "2020/21", "2024/25"]))),
        rounding=draw(st.sampled_from([None, "half up", "half even", "down"])),
    )
    budget = ast.Budget(
        baseline=D(draw(st.integers(1, 500))) * D(100000) + D(draw(st.integers(0, 99))) / 100,
        efficiency=(ast.YearlyRate(D(draw(st.integers(0, 5))), "each"),) if draw(st.booleans()) else (),
    )
    core = draw(st.integers(50, 95))
    payments = ast.Components(core=ast.BudgetAmount("share", D(core)), pot=ast.BudgetAmount("share", D(100 - core)))
    outcome_count = draw(st.integers(1, 3))
    with_bonus = draw(st.booleans())
    weights = draw(partition(outcome_count + (1 if with_bonus else 0)))
    outcome_list = []
    for number, name in enumerate(_names("outcome_", outcome_count)):
        count = draw(st.integers(1, 3))
        inner = draw(partition(count)) if count > 1 else [None]
        indicators = tuple(
            draw(indicator(f"ind_{number + 1}_{i + 1}", w, years)) for i, w in enumerate(inner)
        )
        outcome_list.append(ast.Outcome(name, draw(TITLE), ast.Weight(D(weights[number]), "percent"), indicators))
    bonuses = ()
    if with_bonus:
        bonuses = (ast.Bonus("bonus_all", draw(TITLE), ast.Weight(D(weights[-1]), "percent"), None, ast.AllAchieved()),)
    outcomes = ast.Outcomes(outcomes=tuple(outcome_list), bonuses=bonuses, unearned=ast.Unearned("retained"),
                            missing_data=draw(st.sampled_from([None, "not achieved"])))
    contract = ast.Contract(header=header, budget=budget, payments=payments, outcomes=outcomes)
    if draw(st.booleans()):
        contract = ast.Contract(header=header, budget=budget, payments=payments, outcomes=outcomes, risk_share=draw(risk_share()))
    return contract


@st.composite
def indicator_value(draw, indicator: ast.Indicator) -> Decimal:
    """A percentage from 0% to 100%, or a positive count, rate, score or amount."""
    if indicator.unit is None or indicator.unit.kind == "percent":
        return D(draw(st.integers(0, 10000))) / 100
    return D(draw(st.integers(1, 10000000))) / 100


@st.composite
def year_data(draw, contract: ast.Contract, year: int) -> Data:
    """Data for a year: every linked indicator (and those conditions use), baselines, costs."""
    points = []
    needed = {i.name for i in model.linked_indicators(contract, year)}
    for expr, _ in model.contract_expressions(contract):
        needed |= {n.name for n in model.iter_subexpressions(expr) if isinstance(n, ast.Reference)}
    segments = [s.name for s in contract.segments]
    for item in contract.all_indicators:
        if item.name not in needed or item.measured_as is not None:
            continue
        for segment in (segments if item.by_segment is not None else [None]):
            if draw(st.integers(0, 30)) == 0 and (item.missing_data or (contract.outcomes and contract.outcomes.missing_data)):
                continue  # missing, where the contract allows it
            points.append(DataPoint(item.name, year, segment, draw(indicator_value(item))))
            points.append(DataPoint(item.name, None, segment, draw(indicator_value(item))))
    patients = ()
    if contract.risk_share is not None:
        baseline = contract.budget.baseline if contract.budget and contract.budget.baseline else D(10000000)
        factor = D(draw(st.integers(0, 200))) / 100
        points.append(DataPoint(ACTUAL_COST, year, None, (baseline * factor).quantize(D("0.01"))))
        if contract.risk_share.stop_loss is not None:
            costs = draw(st.lists(st.integers(0, 400000), min_size=1, max_size=8))
            patients = tuple(PatientCost(f"p{i}", year, D(c)) for i, c in enumerate(costs))
    return Data(tuple(points), patients)


def improved(data: Data, contract: ast.Contract, name: str, year: int, step: Decimal) -> Data:
    """The same data with one indicator better by `step` in its better direction (within 0 to 100)."""
    indicator = next(i for i in contract.all_indicators if i.name == name)
    sign = 1 if indicator.direction == "higher" else -1
    changed = []
    for point in data.points:
        if point.measure == name and point.year == year:
            value = min(max(point.value + sign * step, D(0)), D(100))
            point = DataPoint(point.measure, point.year, point.segment, value)
        changed.append(point)
    return Data(tuple(changed), data.patients)
