"""Static payment bounds: the least and most each component can be in each year.

Computed from the contract alone, before any data exists, over every value
each indicator can take and every cost outcome. Thresholds, bands and
sliding scales are piecewise linear, so the extremes lie at their
breakpoints; the risk share is piecewise linear in the variance, so its
extremes lie at band edges or grow without limit beyond the last one.
Amounts are those the evaluator would pay, to the penny, with the budget
as projected (no population adjustment).

`counterexample` builds data that reaches a bound, and checks it with the
evaluator itself: the proof hands back numbers anyone can re-run.
"""

from __future__ import annotations

import decimal
import itertools
from decimal import Decimal
from typing import AbstractSet, Optional

import attrs

from . import ast, model
from .backends import Exact
from .data import ACTUAL_COST, Data, DataPoint
from .expressions import values_read
from .activity import PATIENTS_COUNTED
from .interpret import LAST_YEAR, ExactInputs, RiskResult, Run, run_year
from .lowering import LinearRule, lower_sharing, lower_threshold
from .money import HUNDRED, ZERO, exact_context, to_penny
from .plan import LinePlan, Missing, PartPlan, YearPlan, plan_for

ONE = Decimal(1)
EXACT = Exact()
UNLIMITED = None  # an upper bound that does not exist


@attrs.frozen
class Range:
    """The least and the most an amount can be; `most` None means without limit."""

    least: Decimal
    most: Optional[Decimal]

    def __add__(self, other: "Range") -> "Range":
        most = None if self.most is None or other.most is None else self.most + other.most
        return Range(self.least + other.least, most)


@attrs.frozen
class YearBounds:
    year: int
    budget: Optional[Decimal]
    pot: Decimal
    core: Range
    outcomes: Range
    bonus: Range
    reserve: Range
    risk_share: Optional[Range]
    provider_exposure: Optional[Range]  # provider's share of a loss
    commissioner_exposure: Optional[Range]  # commissioner's share of a loss
    stop_loss: Optional[Range]
    indicator_most: dict = attrs.field(factory=dict, eq=False)
    deducted: Range = Range(ZERO, ZERO)  # taken from the core for conditions not met
    floor: Optional[Decimal] = None  # `total payment at least ...`: the total is topped up to it
    on_top: Range = Range(ZERO, ZERO)  # paid beyond the pot by factors above 100% (`the excess paid on top of the pot`)
    activity: Range = Range(ZERO, ZERO)  # paid for activity; without limit when an item in force has no ceiling
    uncapped: tuple[str, ...] = ()  # the activity items in force that have no limit

    @property
    def total(self) -> Range:
        total = self.core + self.outcomes + self.bonus + self.reserve + self.on_top + self.activity
        if self.risk_share is not None:
            total = total + self.risk_share
        if self.stop_loss is not None:
            total = total + self.stop_loss
        assert self.deducted.most is not None  # a deduction is at most its stated amount
        total = Range(total.least - self.deducted.most, None if total.most is None else total.most - self.deducted.least)
        if self.floor is not None:
            total = Range(max(total.least, self.floor), None if total.most is None else max(total.most, self.floor))
        return total


def fixed(amount: Decimal) -> Range:
    return Range(amount, amount)


def bounds(contract: ast.Contract) -> list[YearBounds]:
    """Bounds for every contract year."""
    with decimal.localcontext(exact_context()):
        return [year_bounds(contract, year) for year in model.contract_years(contract)]


def year_bounds(contract: ast.Contract, year: int) -> YearBounds:
    plan = plan_for(contract, year)
    outcomes, most_by_indicator = lines_range(plan)
    on_top = fixed(ZERO)
    for line in plan.lines:
        if line.linked and line.scale is not None and line.scale.source.on_top:
            cap = line.scale.cap
            on_top = on_top + Range(ZERO, None if cap is None else max(to_penny(line.most * cap / HUNDRED, plan.rounding) - line.most, ZERO))
    bonus = fixed(ZERO)
    for item in plan.bonuses:
        if item.bonus.condition is None:
            bonus = bonus + fixed(item.allocation)
        elif can_hold(contract, item.bonus.condition, plan.linked):
            bonus = bonus + Range(ZERO, item.allocation)
    deducted = fixed(ZERO)
    for deduction in plan.deductions:
        spared = can_hold(contract, deduction.source.condition, plan.linked)
        deducted = deducted + Range(ZERO if spared else deduction.amount, deduction.amount)
    risk, provider, commissioner, stop = risk_ranges(plan)
    return YearBounds(
        year, plan.budget, plan.pot, fixed(plan.core), outcomes, bonus, fixed(plan.reserve_paid),
        risk, provider, commissioner, stop, most_by_indicator, deducted, plan.floor, on_top,
        activity_range(plan), tuple(item.name for item in plan.activity if item.most is None),
    )


def activity_range(plan: YearPlan) -> Range:
    """What the activity items can pay together: each from its least (at no volume) to its most (`ActivityPlan.most`)."""
    total = fixed(ZERO)
    for item in plan.activity:
        most = item.most
        total = total + Range(to_penny(item.least, plan.rounding), None if most is None else to_penny(most, plan.rounding))
    return total


def lines_range(plan: YearPlan) -> tuple[Range, dict[str, Optional[Decimal]]]:
    """What the indicators can pay together in the year, and the most each can; the last year's lines are
    remembered, as most years of a contract share their lines (`plan.compile_year`)."""
    how = (plan.rounding, decimal.getcontext().prec)  # a capped scaling divides
    remembered = plan.contract.derived.get("lines range")
    if remembered is not None and remembered[0] is plan.lines and remembered[1] == how:
        return remembered[2], dict(remembered[3])
    outcomes = fixed(ZERO)
    most_by_indicator = {}
    for line in plan.lines:
        span = line_range(plan, line)
        most_by_indicator[line.name] = span.most
        outcomes = outcomes + span
    plan.contract.derived["lines range"] = (plan.lines, how, outcomes, most_by_indicator)
    return outcomes, dict(most_by_indicator)


def can_hold(contract: ast.Contract, condition: ast.Expr, linked: AbstractSet[str]) -> bool:
    """Whether a condition can hold in a year at all: an outcome with nothing linked is never achieved."""
    outcomes = {o.name: o for o in contract.all_outcomes}

    def achievable(name: str) -> bool:
        if name in outcomes:
            return any(i.name in linked for i in outcomes[name].indicators)
        return name in linked

    if isinstance(condition, ast.AllAchieved):
        return all(achievable(o.name) for o in contract.all_outcomes)
    if isinstance(condition, (ast.Achieved, ast.Reached)):
        return achievable(condition.name)
    if isinstance(condition, ast.Logical):
        left = can_hold(contract, condition.left, linked)
        right = can_hold(contract, condition.right, linked)
        return (left and right) if condition.operator == "and" else (left or right)
    return True


def line_range(plan: YearPlan, line: LinePlan) -> Range:
    """What one indicator can pay in the year, from its lowered rules."""
    if not line.linked:
        return fixed(ZERO)
    least = sum((part_least(plan, part) for part in line.parts), ZERO)
    most: Optional[Decimal] = line.most
    if line.scale is not None:
        least = ZERO
        cap = line.scale.cap
        most = None if cap is None else to_penny(line.most * cap / HUNDRED, plan.rounding)
        if line.scale.source.on_top:  # from the pot, at most what the rule pays at 100%; the rest is on top of it
            most = line.most if most is None else min(most, line.most)
    if line.gates or line.missing == "not achieved":
        least = ZERO
    return Range(least, most)


def part_least(plan: YearPlan, part: PartPlan) -> Decimal:
    """A step rule can reach no step; a sliding scale pays at least its lower end."""
    lowered = part.lowered
    if isinstance(lowered, LinearRule):
        return to_penny(min(lowered.floor_amount, lowered.ceiling_amount), plan.rounding)
    return ZERO


# ---------------------------------------------------------------- risk share


def variance_points(risk: ast.RiskShare, budget: Decimal) -> list[Decimal]:
    """Variances at which the settlement can change slope (signed: + loss, − gain), for every table."""
    edges = {ZERO}
    for side in ("gains", "losses"):
        for table in (None,) + risk.tables_for(side):
            sharing = lower_sharing(risk, side, budget, None, table)
            if sharing.minimum is not None:
                edges.add(sharing.minimum)
            for band in sharing.bands:
                edges.update(edge for edge in (band.lower, band.upper) if edge is not None)
            for limit in sharing.limits:
                if limit.value is not None:
                    edges.update({limit.value, limit.value * 2, limit.value * 4})
    points = set()
    for edge in edges:
        for sign in (ONE, -ONE):
            points.add(sign * edge)
    largest = max(abs(p) for p in points) if points else budget
    points.update({largest * 2 + budget, largest * 4 + budget * 2, -budget})  # -budget: no cost at all
    return sorted(p for p in points if p >= -budget)


def known_limits(sharing, least: bool):
    """The sharing with its limits known before the data. A limit that reads a measure (`5% of provider_revenue`)
    could be any amount from nothing up: the settlement moves one way as it grows, so its extremes are at the
    measure's least (nothing) and its most (where only the fixed amounts, if any, limit)."""
    kept = []
    for limit in sharing.limits:
        if not limit.measured:
            kept.append(limit)
        elif least:
            fixed = limit.value if limit.value is not None and limit.combine == "greater" else ZERO
            kept.append(attrs.evolve(limit, value=fixed, measured=()))
        elif limit.value is not None and limit.combine == "lesser":
            kept.append(attrs.evolve(limit, measured=()))
    return attrs.evolve(sharing, limits=tuple(kept))


def table_plans(plan: YearPlan) -> list[YearPlan]:
    """The year with each of its sharing tables applying in turn (each `when` table, then the plain one), and each
    limit that reads a measure at its least and at its most: the settlement then depends on the variance alone."""
    risk = plan.risk
    assert risk is not None and risk.gains is not None and risk.losses is not None
    measured = any(limit.measured for side in ("gains", "losses") for s in risk.sharings(side) for limit in s.limits)
    found = []
    for least in ((False, True) if measured else (False,)):
        for side in ("gains", "losses"):
            for sharing in risk.sharings(side):
                if side == "losses" and sharing is risk.losses:
                    continue  # the plain losses table is in every gains plan already
                gains = known_limits(sharing if side == "gains" else risk.gains, least)
                losses = known_limits(sharing if side == "losses" else risk.losses, least)
                found.append(attrs.evolve(plan, risk=attrs.evolve(risk, gains=gains, losses=losses, gains_when=(),
                                                                  losses_when=(), stop_loss=None)))
    return found


def settlement_at(plan: YearPlan, variance: Decimal):
    """The settlement for a given variance, by the interpreter itself (no stop-loss), for a plan of `table_plans`."""
    # asked only of a year whose risk share shares the variance, which needs a budget (plan.risk_plan)
    assert plan.risk is not None and plan.budget is not None
    risk = attrs.evolve(plan.risk, stop_loss=None)
    bare = attrs.evolve(plan, risk=risk)
    cost = plan.cost_budget
    assert cost is not None  # a year with a budget has a budget to spend
    data = Data((DataPoint(ACTUAL_COST, plan.year, None, cost + variance),))
    return Run(bare, EXACT, ExactInputs(bare, data)).settle([], Exact().const(cost))


def risk_ranges(plan: YearPlan):
    risk = plan.risk
    if risk is None:
        return None, None, None, None
    stop = Range(ZERO, None) if risk.stop_loss is not None else None
    if not risk.shares_variance:
        return None, None, None, stop
    assert plan.budget is not None  # shared gains or losses need a budget (plan.risk_plan)
    points = variance_points(risk.source, plan.budget)

    def grows(values: list[Decimal]) -> bool:
        return len(values) >= 2 and values[-1] > values[-2]

    found: list[tuple[Range, Range, Range]] = []
    for variant in table_plans(plan):
        settlements = [(v, settlement_at(variant, v)) for v in points]
        transfers = [s.transfer for _, s in settlements]
        provider_losses = [s.provider_share if s.variance > 0 else ZERO for _, s in settlements]
        commissioner_losses = [s.commissioner_share if s.variance > 0 else ZERO for _, s in settlements]
        found.append((Range(min(transfers), None if grows(transfers) else max(transfers)),
                      Range(ZERO, None if grows(provider_losses) else max(provider_losses)),
                      Range(ZERO, None if grows(commissioner_losses) else max(commissioner_losses))))
    transfer, provider, commissioner = found[0]
    for ranges in found[1:]:
        transfer, provider, commissioner = (widest(transfer, ranges[0]), widest(provider, ranges[1]),
                                            widest(commissioner, ranges[2]))
    return transfer, provider, commissioner, stop


def widest(a: Range, b: Range) -> Range:
    """The range covering both."""
    return Range(min(a.least, b.least), None if a.most is None or b.most is None else max(a.most, b.most))


def worst_variance(plan: YearPlan, party: str) -> Optional[tuple[Decimal, RiskResult]]:
    """The variance at which a party's share of a loss is largest, under any table, and the settlement there."""
    risk, budget = plan.risk, plan.budget
    assert risk is not None and budget is not None  # asked only of a year whose losses are shared, which needs a budget
    points = [v for v in variance_points(risk.source, budget) if v > 0]
    best = None
    for variant in table_plans(plan):
        for variance in points:
            settlement = settlement_at(variant, variance)
            share = settlement.provider_share if party == "provider" else settlement.commissioner_share
            if best is None or share > best[2]:
                best = (variance, settlement, share)
    return (best[0], best[1]) if best else None


# ---------------------------------------------------------------- counterexamples


def best_value(indicator: ast.Indicator, rule: ast.Rule, baseline: Decimal) -> Decimal:
    """A value at which the rule pays the most."""
    direction = indicator.direction or "higher"
    step = Decimal("0.01") if direction == "higher" else Decimal("-0.01")
    if isinstance(rule, ast.SlidingScale):
        end = rule.ceiling if rule.ceiling_pays >= rule.floor_pays else rule.floor
        return lower_threshold(end, None, direction).at(baseline)
    if isinstance(rule, ast.Target):
        threshold = rule.threshold
    else:
        best_band = max(rule.bands, key=lambda b: (b.share or ZERO))
        threshold = best_band.threshold
    value = lower_threshold(threshold.value, threshold.comparator, direction).at(baseline)
    return value + step if threshold.comparator in ("above", "below") else value


def baseline_for(indicator: Optional[ast.Indicator]) -> Decimal:
    return Decimal(50)


def counterexample(contract: ast.Contract, year: int, actual_cost: Optional[Decimal] = None) -> Data:
    """Data that makes every linked indicator pay its most in `year` (and, optionally, a given actual cost).

    Indicators that are only measured (used in gateways, conditions and scaling
    factors) are searched over the numbers the contract mentions, keeping the
    values that make the evaluator pay most.
    """
    points: list[DataPoint] = []
    linked = {i.name for i in model.linked_indicators(contract, year)}
    segments = [s.name for s in contract.segments]
    for indicator in contract.all_indicators:
        if indicator.measured_as is not None or indicator.name not in linked or not model.has_rule(indicator):
            continue
        baseline = baseline_for(indicator)
        parts = [(s, next((r.rule for r in indicator.segment_rules if r.segment == s), indicator.rule)) for s in segments] \
            if indicator.by_segment is not None else [(None, indicator.rule)]
        for segment, rule in parts:
            # every paying part has a rule: a contract where one has none is in error (OBC203, OBC407), and is not planned
            assert rule is not None, f"no payment rule for `{indicator.name}`, segment {segment}"
            points.append(DataPoint(indicator.name, year, segment, best_value(indicator, rule, baseline)))
    plan = plan_for(contract, year)
    points += reference_rows(plan)
    points += activity_rows(plan)
    if actual_cost is None and plan.risk is not None and plan.risk.shares_variance:
        actual_cost = plan.cost_budget  # on budget: the risk share moves nothing, so the payments show alone
    if actual_cost is not None:
        points.append(DataPoint(ACTUAL_COST, year, None, actual_cost))
    given = {p.measure for p in points if p.year == year}
    auxiliary = sorted(
        {name for expr, _ in model.contract_expressions(contract) for name in _references(expr)} - given
    )
    measured_only = [(n, i) for n in auxiliary if (i := contract_indicator(contract, n)) is not None and i.measured_as is None]
    auxiliary = [n for n, _ in measured_only]
    candidates = {name: candidate_values(contract, indicator) for name, indicator in measured_only}
    combos = list(itertools.islice(itertools.product(*(candidates[n] for n in auxiliary)), 4096)) if auxiliary else [()]
    best = best_combination(contract, year, points, auxiliary, combos, actual_cost) if len(combos) > 1 else 0
    return Data(tuple(points) + tuple(DataPoint(n, year, None, v) for n, v in zip(auxiliary, combos[best])))


def activity_rows(plan: YearPlan) -> list[DataPoint]:
    """Each activity item's volume at its most: at its ceiling, else far above its plan (an item without a limit)."""
    rows = []
    for item in plan.activity:
        if not item.in_force:
            continue
        top = item.ceiling if item.ceiling is not None else None
        if top is None or item.most is None:
            top = max(item.threshold or ZERO, item.item.plan or ZERO, Decimal(1000)) * 10
        name = PATIENTS_COUNTED + item.name if item.item.per_patient else item.name
        rows.append(DataPoint(name, plan.year, None, top.to_integral_value(rounding=decimal.ROUND_CEILING)))
    return rows


def reference_rows(plan: YearPlan) -> list[DataPoint]:
    """The rows relative thresholds compare with, each at `baseline_for`: the baselines, last year's values (of a
    derived indicator's inputs too) and the comparator measures the year's paying parts read."""
    rows: dict = {}
    for part in plan.parts:
        if part.baseline is None:
            continue
        for value in values_read(part.baseline):
            when = None if value.baseline or (value.previous and plan.year == 1) else plan.year - 1 if value.previous else plan.year
            segment = part.segment if value.by_segment else None
            rows.setdefault((value.name, when, segment), DataPoint(value.name, when, segment, baseline_for(None)))
    return list(rows.values())


def best_combination(contract: ast.Contract, year: int, points: list[DataPoint], auxiliary: list[str],
                     combos: list[tuple], actual_cost: Optional[Decimal]) -> int:
    """Which values of the measured-only indicators make the year pay most: every combination in one array call.

    NumPy is loaded here, and only here in `obcdsl check`: when a proof has failed and its counterexample is sought.
    """
    import numpy as np

    from .vector import inputs_of, run, year_model

    plan = year_model(contract, year)
    size = len(combos)
    inputs = {key: np.zeros(size) for key in inputs_of(plan)}
    baselines = {}
    for point in points:
        key = f"{point.measure}/{point.segment}" if point.segment else point.measure
        if point.year is None:
            baselines[key] = float(point.value)
        elif point.year == year - 1:
            baselines[LAST_YEAR + key] = float(point.value)
        else:
            inputs[key] = np.full(size, float(point.value))
    for position, name in enumerate(auxiliary):
        inputs[name] = np.array([float(combo[position]) for combo in combos])
    if plan.risk is not None and plan.risk.shares_variance:
        cost = actual_cost if actual_cost is not None else plan.cost_budget
        assert cost is not None  # shared gains or losses need a budget (plan.risk_plan)
        inputs[ACTUAL_COST] = np.full(size, float(cost))


    results = run(plan, inputs, baselines, settle_near_ties=False)  # the best is confirmed exactly after
    paid = np.where(results.refused, -np.inf, results.outcomes_paid + results.bonus_paid)
    return int(np.argmax(paid))


def contract_indicator(contract: ast.Contract, name: str) -> Optional[ast.Indicator]:
    return next((i for i in contract.all_indicators if i.name == name), None)


def _references(expr: ast.Expr) -> set[str]:
    return {n.name for n in model.iter_subexpressions(expr) if isinstance(n, ast.Reference)}


def candidate_values(contract: ast.Contract, indicator: ast.Indicator) -> list[Decimal]:
    """Numbers worth trying for a measured-only indicator: those the contract mentions, nudged, and extremes."""
    mentioned = {ZERO, ONE, HUNDRED}
    for expr, _ in model.contract_expressions(contract):
        for node in model.iter_subexpressions(expr):
            if isinstance(node, ast.Literal):
                mentioned.update({node.value, node.value + ONE, max(node.value - ONE, ZERO)})
    percent = indicator.unit is not None and indicator.unit.kind == "percent"
    if not percent:
        mentioned.update({Decimal(1000), Decimal(1000000)})
    values = sorted(v for v in mentioned if v >= 0 and (not percent or v <= HUNDRED))
    return values[:12] if len(values) > 12 else values


def data_rows(data: Data) -> list[list[str]]:
    """The rows of a counterexample as a CSV table that `obcdsl evaluate` reads."""
    rows = [["measure", "year", "segment", "value", "numerator", "denominator"]]
    for point in sorted(data.points, key=lambda p: (p.year is not None, p.year or 0, p.measure, p.segment or "")):
        if point.measure.startswith(PATIENTS_COUNTED):  # not a row: the number of patients the patient costs must hold
            rows.append([f"# {point.measure.removeprefix(PATIENTS_COUNTED)}: {point.value.normalize():f} patients in the "
                         f"patient costs for year {point.year}"])
            continue
        rows.append([point.measure, "baseline" if point.year is None else str(point.year), point.segment or "",
                     f"{point.value.normalize():f}", "", ""])
    return rows


def csv_text(data: Data) -> str:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(data_rows(data))
    return buffer.getvalue()


def describe(data: Data) -> str:
    """`crisis_response_4h = 95, suicide = 4, ...` for a diagnostic note."""
    parts = []
    for point in data.points:
        if point.year is None:
            continue
        name = point.measure + (f"[{point.segment}]" if point.segment else "")
        if name.startswith(PATIENTS_COUNTED):
            name = f"patients for {name.removeprefix(PATIENTS_COUNTED)}"
        parts.append(f"{name} = {point.value.normalize():f}")
    return ", ".join(parts)


def counterexample_for(contract: ast.Contract, year: int, actual_cost: Decimal | None = None):
    """Counterexample data, and the year the interpreter pays from it exactly (None if it cannot be paid)."""
    with decimal.localcontext(exact_context()):
        data = counterexample(contract, year, actual_cost)
        try:
            plan = plan_for(contract, year)
            result = run_year(plan, EXACT, ExactInputs(plan, data))
        except Missing:  # the data cannot be paid from; report without the amounts
            result = None
    return data, result


def attach(data, year: int, shows: str) -> tuple[str, dict]:
    """The note and the JSON attachment for a counterexample the evaluator confirmed."""
    return "counterexample: " + shows, {"year": year, "csv": csv_text(data), "shows": shows}
