"""Evaluation: a checked contract and a year's data → the year's payment statement.

Every amount is exact (`Decimal`); see `obcdsl.money` for rounding. The data
is first validated against the contract as a whole; any problem stops the
evaluation with a `DataError`, so nothing is ever paid from partial data.
"""

from __future__ import annotations

import decimal
from decimal import Decimal
from typing import Optional


from . import ast, model
from . import diagnostics as d
from .checks.components import effective
from .data import ACTUAL_COST, ACTUAL_POPULATION, MAX_DIGITS, Data, DataError, DataPoint, data_error
from .data_validation import validate
from .diagnostics import Diagnostic
from .lowering import lower_rule, lower_sharing
from .money import HUNDRED, ZERO, exact_context, percent_text, pounds, short_pounds, split, to_penny
from .statement import BudgetStep, Line, PartyShare, RiskSettlement, Statement

ONE = Decimal(1)


class Missing(Exception):
    """Values needed for the year are not in the data (or cannot be computed from it): one diagnostic each."""

    def __init__(self, *diagnostics: Diagnostic):
        self.diagnostics = diagnostics


# ---------------------------------------------------------------- the evaluation of one year


class Evaluation:
    def __init__(self, contract: ast.Contract, data: Data, year: int):
        self.contract = contract
        self.data = data
        self.year = year
        header = contract.header
        self.rounding = (header.rounding if header and header.rounding else "half up")
        self.problems: list[Diagnostic] = []
        self.owners = model.outcome_of(contract)
        self.indicators = {i.name: i for i in contract.all_indicators}
        self.outcomes = {o.name: o for o in contract.all_outcomes}
        self.phase = model.phase_for(contract, year)
        self.linked = {i.name for i in model.linked_indicators(contract, year)}
        self.achieved: dict[str, bool] = {}
        self.results: dict[str, "IndicatorResult"] = {}
        self.computing: set[str] = set()
        self.pot = ZERO
        self.allocations: dict[str, Decimal] = {}

    # -- values

    def missing_policy(self, indicator: ast.Indicator) -> str:
        for policy in (
            indicator.missing_data,
            self.contract.outcomes.missing_data if self.contract.outcomes else None,
            self.contract.header.missing_data if self.contract.header else None,
        ):
            if policy is not None:
                return policy
        return "error"

    def value(self, name: str, segment: Optional[str] = None, baseline: bool = False) -> Decimal:
        """An indicator's value in the year (or its baseline), in its own unit (percentages in points).

        A `measured as` indicator is computed from its inputs, its baseline from
        their baselines; every missing input is reported, each once.
        """
        indicator = self.indicators.get(name)
        if indicator is not None and indicator.measured_as is not None:
            if name in self.computing:
                raise Missing(d.error("OBC915", f"`{name}` is measured in terms of itself", indicator.name_span))
            absent = [self.absent(input_name, segment if self.is_by_segment(input_name) else None, baseline)
                      for input_name in self.data_inputs(indicator)]
            if any(absent):
                raise Missing(*(x for x in absent if x is not None))
            self.computing.add(name)
            try:
                result = self.expression(indicator.measured_as, segment, baseline)
            finally:
                self.computing.discard(name)
            if not isinstance(result, Decimal):
                raise Missing(d.error("OBC915", f"`{name}` is measured as a condition, not a number", indicator.name_span))
            return result
        point = self.data.lookup(name, None if baseline else self.year, segment)
        if point is None:
            raise Missing(self.absent(name, segment, baseline))
        return self.scaled_value(indicator, point)

    def data_inputs(self, indicator: ast.Indicator) -> list[str]:
        """The indicators given as data that a `measured as` indicator is computed from, each once, in order."""
        names: list[str] = []
        pending = [indicator.measured_as]
        while pending:
            for node in model.iter_subexpressions(pending.pop()):
                if not isinstance(node, ast.Reference) or node.name == indicator.name:
                    continue
                used = self.indicators.get(node.name)
                if used is not None and used.measured_as is not None:
                    pending.append(used.measured_as)
                elif node.name not in names:
                    names.append(node.name)
        return names

    def absent(self, name: str, segment: Optional[str], baseline: bool) -> Optional[Diagnostic]:
        """The diagnostic for a value the data does not give, or None if it does."""
        if self.data.lookup(name, None if baseline else self.year, segment) is not None:
            return None
        indicator = self.indicators.get(name)
        where = f" in segment `{segment}`" if segment else ""
        span = indicator.name_span if indicator is not None else None
        clause = indicator.clause if indicator is not None else None
        if baseline:
            return d.error("OBC913", f"`{name}` has no baseline{where}", span, clause=clause,
                           help=f"add a row `{name}, baseline, {segment or ''}, ...` to the data")
        return d.error("OBC910", f"`{name}` has no data for year {self.year}{where}", span, clause=clause,
                       help=f"add a row `{name}, {self.year}, {segment or ''}, ...` to the data, "
                            "or state `missing data counts as not achieved` in the contract")

    @staticmethod
    def scaled_value(indicator: Optional[ast.Indicator], point: DataPoint) -> Decimal:
        if indicator is not None and indicator.unit is not None and indicator.unit.kind == "percent" and point.denominator is not None:
            return point.value * HUNDRED
        return point.value

    def expression(self, expr: ast.Expr, segment: Optional[str] = None, baseline: bool = False):
        if isinstance(expr, ast.Literal):
            return expr.value
        if isinstance(expr, ast.Reference):
            return self.value(expr.name, segment if self.is_by_segment(expr.name) else None, baseline)
        if isinstance(expr, ast.Negative):
            return -self.number(expr.operand, segment, baseline)
        if isinstance(expr, ast.Arithmetic):
            left, right = self.number(expr.left, segment, baseline), self.number(expr.right, segment, baseline)
            if expr.operator == "+":
                return left + right
            if expr.operator == "-":
                return left - right
            if expr.operator == "*":
                return left * right
            if right == 0:
                raise Missing(d.error("OBC915", "a division by zero", expr.span, help="check the data of the indicators divided by"))
            return left / right
        if isinstance(expr, ast.Extremum):
            values = [self.number(a, segment, baseline) for a in expr.arguments]
            return min(values) if expr.function == "min" else max(values)
        if isinstance(expr, ast.Comparison):
            left, right = self.number(expr.left, segment, baseline), self.number(expr.right, segment, baseline)
            return {
                ">=": left >= right, "<=": left <= right, ">": left > right,
                "<": left < right, "=": left == right, "!=": left != right,
            }[expr.operator]
        if isinstance(expr, ast.Logical):
            left = self.condition(expr.left, segment)
            if expr.operator == "and":
                return left and self.condition(expr.right, segment)
            return left or self.condition(expr.right, segment)
        if isinstance(expr, ast.Not):
            return not self.condition(expr.operand, segment)
        if isinstance(expr, ast.Achieved):
            return self.is_achieved(expr.name)
        if isinstance(expr, ast.AllAchieved):
            return all(self.is_achieved(o.name) for o in self.contract.all_outcomes)
        if isinstance(expr, ast.Reached):
            result = self.indicator_result(self.indicators[expr.name])
            return expr.band in result.bands_reached
        raise AssertionError(f"unknown expression {expr!r}")

    def number(self, expr: ast.Expr, segment: Optional[str], baseline: bool = False) -> Decimal:
        value = self.expression(expr, segment, baseline)
        if not isinstance(value, Decimal):
            raise Missing(d.error("OBC915", "a condition is used where a number is needed", expr.span))
        return value

    def condition(self, expr: ast.Expr, segment: Optional[str] = None) -> bool:
        value = self.expression(expr, segment)
        if isinstance(value, Decimal):
            raise Missing(d.error("OBC915", "a number is used where a condition is needed", expr.span))
        return value

    def is_by_segment(self, name: str) -> bool:
        indicator = self.indicators.get(name)
        return indicator is not None and indicator.by_segment is not None

    # -- achievement

    def is_achieved(self, name: str) -> bool:
        if name in self.indicators:
            return self.indicator_result(self.indicators[name]).achieved
        outcome = self.outcomes[name]
        linked = [i for i in outcome.indicators if i.name in self.linked]
        return bool(linked) and all(self.indicator_result(i).achieved for i in linked)

    def indicator_result(self, indicator: ast.Indicator) -> "IndicatorResult":
        if indicator.name not in self.results:
            self.results[indicator.name] = IndicatorResult.compute(self, indicator)
        return self.results[indicator.name]


# ---------------------------------------------------------------- payment rules


def symbol(comparator: Optional[str], direction: str, reached: bool) -> str:
    base = {"above": ">", "below": "<", "at least": "≥", "at most": "≤"}.get(
        comparator or "", "≥" if direction == "higher" else "≤"
    )
    if reached:
        return base
    return {"≥": "<", ">": "≤", "≤": ">", "<": "≥"}[base]


def needs_baseline(rule: ast.Rule) -> bool:
    if isinstance(rule, ast.Target):
        return rule.threshold.value.kind != "absolute"
    if isinstance(rule, ast.Bands):
        return any(b.threshold.value.kind != "absolute" for b in rule.bands)
    return rule.floor.kind != "absolute" or rule.ceiling.kind != "absolute"


class IndicatorResult:
    """What an indicator earns in the year: exact amount, whether achieved, and the lines explaining it."""

    def __init__(self):
        self.exact = ZERO
        self.maximum = ZERO
        self.achieved = False
        self.bands_reached: set[str] = set()
        self.parts: list[dict] = []  # one per segment (or one)

    @classmethod
    def compute(cls, ev: Evaluation, indicator: ast.Indicator) -> "IndicatorResult":
        result = cls()
        if indicator.name not in ev.linked:
            return result
        outcome = ev.owners[indicator.name]
        allocation = ev.allocations.get(indicator.name)
        gate_text = ev_gates(ev, outcome, indicator)
        segments: list[tuple[Optional[str], ast.Rule, Decimal]] = []
        if indicator.by_segment is not None:
            weights = segment_weights(ev.contract, indicator)
            for segment, weight in weights:
                rule = next((r.rule for r in indicator.segment_rules if r.segment == segment), indicator.rule)
                segments.append((segment, rule, weight))
        else:
            segments.append((None, indicator.rule, ONE))
        scale, scale_text = ev_scale(ev, indicator)
        part_allocations = (
            split(allocation, [allocation * w for _, _, w in segments]) if allocation is not None else [None] * len(segments)
        )
        for (segment, rule, weight), part_allocation in zip(segments, part_allocations):
            part = evaluate_rule(ev, indicator, rule, segment, part_allocation)
            part["weight"] = weight
            if gate_text is not None:
                part["exact"] = ZERO
                part["gate"] = gate_text
            part["exact"] = to_penny(part["exact"] * scale, ev.rounding)
            part["scale"] = scale_text
            result.parts.append(part)
            result.exact += part["exact"]
            result.maximum += to_penny(part["maximum"], ev.rounding)
            result.bands_reached |= part.get("reached", set())
        result.achieved = result.exact == result.maximum and result.maximum > 0
        return result


def segment_weights(contract: ast.Contract, indicator: ast.Indicator) -> list[tuple[str, Decimal]]:
    segments = contract.segments
    if indicator.by_segment == "population":
        total = sum((s.people or ZERO for s in segments), ZERO)
        if total > 0:
            return [(s.name, (s.people or ZERO) / total) for s in segments]
    count = Decimal(len(segments)) if segments else ONE
    return [(s.name, ONE / count) for s in segments]


def ev_gates(ev: Evaluation, outcome: ast.Outcome, indicator: ast.Indicator) -> Optional[str]:
    """None when every gateway on the outcome and indicator holds, else a sentence saying which failed."""
    for gate in outcome.gates + indicator.gates:
        try:
            held = ev.condition(gate.condition)
        except Missing:
            owner = ev.indicators.get(first_reference(gate.condition) or "")
            if owner is not None and ev.missing_policy(owner) == "not achieved":
                held = False
            else:
                raise
        if not held:
            return f"gateway not met: {describe_condition(ev, gate.condition)}" + (f" (clause {gate.clause})" if gate.clause else "")
    return None


def first_reference(expr: ast.Expr) -> Optional[str]:
    for node in model.iter_subexpressions(expr):
        if isinstance(node, (ast.Reference, ast.Achieved, ast.Reached)):
            return node.name
    return None


def describe_condition(ev: Evaluation, expr: ast.Expr) -> str:
    if isinstance(expr, ast.Comparison):
        left = describe_value(ev, expr.left)
        right = describe_value(ev, expr.right)
        return f"{left} {expr.operator} {right}"
    if isinstance(expr, ast.AllAchieved):
        missed = [o.name for o in ev.contract.all_outcomes if not ev.is_achieved(o.name)]
        return "not every outcome was achieved (" + ", ".join(f"`{m}`" for m in missed) + " missed)"
    if isinstance(expr, ast.Achieved):
        return f"`{expr.name}` was not achieved"
    if isinstance(expr, ast.Reached):
        return f"`{expr.name}` did not reach `{expr.band}`"
    return "the condition does not hold"


def describe_value(ev: Evaluation, expr: ast.Expr) -> str:
    try:
        value = ev.number(expr, None)
    except Missing:
        return "?"
    if isinstance(expr, ast.Reference):
        return f"`{expr.name}` {show_value(ev.indicators.get(expr.name), value)}"
    if isinstance(expr, ast.Literal):
        return show_literal(expr)
    return f"{value.normalize():f}"


def show_literal(literal: ast.Literal) -> str:
    if literal.kind == "percent":
        return percent_text(literal.value)
    if literal.kind == "money":
        return short_pounds(literal.value)
    return f"{literal.value.normalize():f}"


def show_value(indicator: Optional[ast.Indicator], value: Decimal) -> str:
    unit = indicator.unit.kind if indicator is not None and indicator.unit is not None else None
    rounded = value.quantize(Decimal("0.01")) if value != value.quantize(Decimal("0.01")) else value
    if unit == "percent":
        return percent_text(rounded)
    if unit == "money":
        return pounds(value)
    return f"{rounded.normalize():f}" if rounded != rounded.to_integral_value() else f"{rounded.to_integral_value():f}"


def ev_scale(ev: Evaluation, indicator: ast.Indicator) -> tuple[Decimal, Optional[str]]:
    scaling = indicator.scaling
    if scaling is None:
        return ONE, None
    try:
        points = ev.number(scaling.factor, None)
    except Missing:
        owner = ev.indicators.get(first_reference(scaling.factor) or "")
        if owner is not None and ev.missing_policy(owner) == "not achieved":
            return ZERO, "scaled by 0%: no data for the scaling factor"
        raise
    capped = points
    if scaling.cap is not None:
        capped = min(points, scaling.cap)
    capped = max(capped, ZERO)
    text = f"scaled by {percent_text(capped.quantize(Decimal('0.01')).normalize())}"
    if capped != points:
        text += f" (factor {percent_text(points.quantize(Decimal('0.01')).normalize())}, capped)"
    return capped / HUNDRED, text


def band_shares(ev: Evaluation, indicator: ast.Indicator, rule: ast.Bands) -> list[tuple[ast.Band, Decimal, Optional[str]]]:
    """Each band with its share for the year (none stated pays nothing) and its base."""
    return [(band, share if share is not None else ZERO, base)
            for band, share, base, _ in model.year_band_shares(ev.contract, indicator, rule, ev.year)]


def evaluate_rule(ev: Evaluation, indicator: ast.Indicator, rule: ast.Rule, segment: Optional[str], allocation: Optional[Decimal]) -> dict:
    """One payment rule applied to one value: the exact amount, the most it could pay, and the words."""
    direction = indicator.direction or "higher"
    part: dict = {"segment": segment, "allocation": allocation, "reached": set()}
    # A baseline is fixed for the term: a missing one is an error whatever the missing-data policy says.
    baseline = ev.value(indicator.name, segment, baseline=True) if needs_baseline(rule) else None
    try:
        value = ev.value(indicator.name, segment)
    except Missing:
        if ev.missing_policy(indicator) == "not achieved":
            part.update(exact=ZERO, maximum=rule_maximum(ev, indicator, rule, allocation), value=None,
                        words=f"no data for year {ev.year}, counted as not achieved")
            return part
        raise
    part["value"] = value
    part["baseline"] = baseline
    shown = show_value(indicator, value)
    base = allocation if allocation is not None else ZERO
    shares = [(share, where) for _, share, where in band_shares(ev, indicator, rule)] if isinstance(rule, ast.Bands) else None
    lowered = lower_rule(rule, direction, base, ev.pot, shares)
    part["maximum"] = lowered.most
    if isinstance(rule, ast.Target):
        threshold = lowered.cuts[0].at(baseline)
        met = lowered.reached_index(value, baseline) >= 0
        part["exact"] = lowered.exact(value, baseline)
        part["threshold"] = threshold
        target_words = f"target {show_value(indicator, threshold)}" + baseline_words(indicator, rule.threshold.value, baseline)
        part["words"] = f"{shown} {symbol(rule.threshold.comparator, direction, met)} {target_words} → " + (
            f"100% of {pounds(base)}" if met else f"0% of {pounds(base)}"
        )
        part["rule"] = "target"
        return part
    if isinstance(rule, ast.Bands):
        part["rule"] = "bands"
        part["reached"] = {band.name for band, cut in zip(rule.bands, lowered.cuts) if cut.reached(value, baseline)}
        index = lowered.reached_index(value, baseline)
        if index < 0:
            first_band = rule.bands[0]
            threshold = lowered.cuts[0].at(baseline)
            part["exact"] = ZERO
            part["words"] = (f"{shown} {symbol(first_band.threshold.comparator, direction, False)} {first_band.name} "
                             f"{show_value(indicator, threshold)}{baseline_words(indicator, first_band.threshold.value, baseline)} → no band reached")
            return part
        band = rule.bands[index]
        share, where = shares[index]
        threshold = lowered.cuts[index].at(baseline)
        amount_base = ev.pot if where == "pot" else base
        part["exact"] = lowered.exact(value, baseline)
        part["band"] = band.name
        part["threshold"] = threshold
        of = "of the pot " + pounds(amount_base) if where == "pot" else f"of {pounds(amount_base)}"
        part["words"] = (f"{shown} {symbol(band.threshold.comparator, direction, True)} {band.name} "
                         f"{show_value(indicator, threshold)}{baseline_words(indicator, band.threshold.value, baseline)} → "
                         f"{percent_text(share)} {of}")
        return part
    floor, ceiling = lowered.floor.at(baseline), lowered.ceiling.at(baseline)
    share = rule.floor_pays + (rule.ceiling_pays - rule.floor_pays) * lowered.position(value, baseline)
    part["exact"] = lowered.exact(value, baseline)
    part["rule"] = "sliding scale"
    part["share"] = share
    part["words"] = (f"{shown} on the scale from {show_value(indicator, floor)} ({percent_text(rule.floor_pays)}) "
                     f"to {show_value(indicator, ceiling)} ({percent_text(rule.ceiling_pays)}) → "
                     f"{percent_text(share.quantize(Decimal('0.0001')).normalize())} of {pounds(base)}")
    return part


def baseline_words(indicator, value: ast.ThresholdValue, baseline: Optional[Decimal]) -> str:
    if value.kind == "absolute" or baseline is None:
        return ""
    amount = f"{value.amount.normalize():f} points" if value.kind == "points" else percent_text(value.amount)
    return f" ({amount} {value.relation} baseline {show_value(indicator, baseline)})"


def rule_maximum(ev: Evaluation, indicator: ast.Indicator, rule: ast.Rule, allocation: Optional[Decimal]) -> Decimal:
    shares = [(share, where) for _, share, where in band_shares(ev, indicator, rule)] if isinstance(rule, ast.Bands) else None
    return lower_rule(rule, indicator.direction or "higher", allocation if allocation is not None else ZERO, ev.pot, shares).most


# ---------------------------------------------------------------- budget


def budget_for_year(contract: ast.Contract, data: Data, year: int, rounding: str) -> tuple[Optional[Decimal], list[BudgetStep]]:
    budget = contract.budget
    if budget is None:
        return None, []
    steps: list[BudgetStep] = []
    if budget.baseline is not None:
        amount = budget.baseline
        steps.append(BudgetStep(f"baseline {pounds(amount)}", amount, budget.clause))
    else:
        heads = sum(((s.people or ZERO) * (s.weight if s.weight is not None else ONE) for s in contract.segments), ZERO)
        amount = budget.capitation * heads
        steps.append(BudgetStep(f"capitation {pounds(budget.capitation)} × {heads.normalize():f} weighted people", amount, budget.clause))
        within_limit(amount, 1, budget.capitation_span, budget.clause)
    for step_year in range(2, year + 1):
        for rate in budget.efficiency:
            if applies(rate, step_year):
                amount = amount * (ONE - rate.rate / HUNDRED)
                steps.append(BudgetStep(f"year {step_year}: efficiency −{percent_text(rate.rate)}", amount, rate.clause))
        for rate in budget.uplift:
            if applies(rate, step_year):
                amount = amount * (ONE + rate.rate / HUNDRED)
                steps.append(BudgetStep(f"year {step_year}: uplift +{percent_text(rate.rate)}", amount, rate.clause))
                within_limit(amount, step_year, rate.span, rate.clause)
    adjustment = budget.population_adjustment
    if adjustment is not None:
        amount = adjust_for_population(contract, data, year, amount, adjustment, steps)
        within_limit(amount, year, adjustment.span, adjustment.clause)
    rounded = to_penny(amount, rounding)
    steps.append(BudgetStep(f"budget for year {year}, to the penny", rounded, budget.clause))
    return rounded, steps


MAX_BUDGET = Decimal(10) ** MAX_DIGITS  # the data's limit too: beyond it pennies are no longer exact


def within_limit(amount: Decimal, year: int, span, clause: Optional[str]) -> None:
    """A budget that grows past what is computed exactly is refused, naming the year and the term that grows it."""
    if abs(amount) >= MAX_BUDGET:
        raise Missing(d.error("OBC605", f"the budget grows beyond £{MAX_BUDGET - 1:,} by year {year}, more than obcdsl computes exactly",
                              span, clause=clause, help="is the rate right? an uplift of 2.5% is written `uplift 2.5% each year`"))


def applies(rate: ast.YearlyRate, year: int) -> bool:
    if rate.scope == "in":
        return rate.year == year
    if rate.scope == "from":
        return year >= (rate.year or 2)
    return year >= 2


def adjust_for_population(contract, data: Data, year: int, amount: Decimal, adjustment: ast.PopulationAdjustment, steps) -> Decimal:
    segments = contract.segments
    growth = (contract.population.projected_growth if contract.population else None) or ZERO
    rows = [(s, data.lookup(ACTUAL_POPULATION, year, s.name)) for s in segments]
    total_row = data.lookup(ACTUAL_POPULATION, year, None)
    people = [s for s in segments if s.people is not None]
    if not people or (total_row is None and not any(p for _, p in rows)):
        steps.append(BudgetStep(f"year {year}: no actual population supplied, so no population adjustment", amount, adjustment.clause))
        return amount
    weighted = adjustment.counts == "weighted people" and len({s.weight if s.weight is not None else ONE for s in people}) > 1

    def weight(segment: ast.Segment) -> Decimal:
        return (segment.weight if segment.weight is not None else ONE) if weighted else ONE

    factor = (ONE + growth / HUNDRED) ** (year - 1)
    if any(p for _, p in rows):
        projected = sum((s.people * weight(s) * factor for s, p in rows if p is not None and s.people is not None), ZERO)
        actual = sum((p.value * weight(s) for s, p in rows if p is not None and s.people is not None), ZERO)
    elif weighted:
        raise Missing(data_error("OBC911", f"the population adjustment counts weighted people, so the actual population "
                                           f"for year {year} must be given for each segment", total_row.cell("segment"),
                                 total_row.cell("segment").file,
                                 help="give one `actual population` row for each segment, or state `counting heads` in the contract"))
    else:
        projected = sum((s.people for s in people), ZERO) * factor
        actual = total_row.value
    what = "weighted population" if weighted else "population"
    if projected == 0:
        return amount
    difference = actual / projected - ONE
    tolerance = adjustment.tolerance / HUNDRED
    words = (f"actual {what} {actual.normalize():f} against projected {projected.quantize(Decimal('1')):f} "
             f"({percent_text((difference * HUNDRED).quantize(Decimal('0.01')))})")
    if abs(difference) <= tolerance:
        steps.append(BudgetStep(f"year {year}: {words}, within the {percent_text(adjustment.tolerance)} tolerance", amount, adjustment.clause))
        return amount
    if adjustment.basis == "whole":
        scale = ONE + difference
    else:
        scale = ONE + (difference - tolerance if difference > 0 else difference + tolerance)
    amount = amount * scale
    steps.append(BudgetStep(f"year {year}: {words}, beyond the {percent_text(adjustment.tolerance)} tolerance: × {scale.quantize(Decimal('0.000001')).normalize():f}", amount, adjustment.clause))
    return amount


# ---------------------------------------------------------------- risk share


def settle_risk(ev: Evaluation, budget: Optional[Decimal], lines: list[Line]) -> Optional[RiskSettlement]:
    """Share the year's variance between the parties, band by band, then apply caps and floors.

    Every step is a line with each party's part; the parts are rounded
    together by largest remainder so that they add up to the variance.
    """
    risk = ev.contract.risk_share
    if risk is None or (ev.phase is not None and ev.phase.risk_share is False):
        return None
    if not (risk.gains or risk.losses):
        # only a stop-loss: no variance is shared, so neither a budget nor an actual cost is needed
        stop_total = stop_loss(ev, risk.stop_loss, lines) if risk.stop_loss is not None else ZERO
        return RiskSettlement(None, stop_total, None, ZERO, ZERO, ZERO)
    if budget is None:
        raise AssertionError("a risk share with gains or losses bands needs a budget (OBC602)")
    point = ev.data.lookup(ACTUAL_COST, ev.year)
    if point is None:
        raise Missing(d.error("OBC914", f"the data has no actual cost for year {ev.year}, which the risk share needs", risk.span,
                              help=f"add a row `actual cost, {ev.year}, , £...`", clause=risk.clause))
    actual = to_penny(point.value, ev.rounding)
    stop_total = stop_loss(ev, risk.stop_loss, lines) if risk.stop_loss is not None else ZERO
    variance = actual - stop_total - budget
    magnitude = abs(variance)
    kind = "losses" if variance > 0 else "gains"
    noun = "loss" if variance > 0 else "gain"
    sharing = lower_sharing(risk, kind, budget, ev.rounding)
    bands = risk.losses if variance > 0 else risk.gains
    steps: list[dict] = []  # each: name, title, words, clause, inputs, provider, commissioner
    binding = []
    for step in sharing.steps(magnitude):
        if step.kind == "minimum":
            if step.amount > magnitude:
                words = f"the {noun} of {pounds(magnitude)} is below the minimum variance of {pounds(step.amount)}: not shared"
            else:
                words = f"the first {pounds(step.amount)} of the {noun} (the minimum variance) is not shared"
            name, title, clause_ref, inputs = "minimum variance", "Minimum variance", risk.minimum.clause, {}
        elif step.kind == "band":
            band = step.band
            source = bands[band.index - 1]
            range_words = (f"{short_pounds(band.lower)} to {short_pounds(band.upper)}" if band.upper is not None
                           else f"above {short_pounds(band.lower)}")
            words = (f"{noun} of {pounds(step.amount)} in the band {range_words}: provider {percent_text(source.provider)}, "
                     f"commissioner {percent_text(source.commissioner)}")
            name, title = f"{kind} band {band.index}", f"{noun.capitalize()} {range_words}"
            side_clause = risk.losses_clause if variance > 0 else risk.gains_clause
            clause_ref, inputs = source.clause or side_clause or risk.clause, {"portion": step.amount}
        elif step.kind == "beyond":
            words = f"{pounds(step.amount)} lies beyond the last band and stays with the provider"
            name, title, clause_ref, inputs = f"{kind} beyond the bands", f"{noun.capitalize()} beyond the bands", risk.clause, {}
        else:
            limit = step.limit
            other = "commissioner" if limit.party == "provider" else "provider"
            source = next(l for l in risk.limits if (l.party, l.exposure, l.kind) == (limit.party, kind, limit.kind))
            if step.kind == "cap":
                words = f"the {limit.party}'s share is capped at {pounds(limit.value)}; {pounds(step.amount)} passes to the {other}"
                title = f"Cap on the {limit.party}'s {kind}"
            else:
                words = f"the {limit.party}'s share is at least {pounds(limit.value)}; {pounds(-step.amount)} moves from the {other}"
                title = f"Floor on the {limit.party}'s {kind}"
            binding.append(f"{limit.party} {kind} {limit.kind}")
            name, clause_ref, inputs = f"{limit.party} {kind} {limit.kind}", source.clause, {}
        steps.append(dict(name=name, title=title, words=words, clause=clause_ref, inputs=inputs,
                          provider=step.provider, commissioner=step.commissioner))
    provider = sum((x["provider"] for x in steps), ZERO)
    commissioner = sum((x["commissioner"] for x in steps), ZERO)
    # the parties' totals first, so that a cap in pennies holds exactly; then each party's lines
    provider_share, commissioner_share = split(magnitude, [provider, commissioner]) if steps else (ZERO, ZERO)
    provider_parts = split(provider_share, [x["provider"] for x in steps])
    commissioner_parts = split(commissioner_share, [x["commissioner"] for x in steps])
    for x, provider_part, commissioner_part in zip(steps, provider_parts, commissioner_parts):
        lines.append(Line("risk share", x["name"], x["title"], to_provider(variance, commissioner_part), x["words"], x["clause"],
                          inputs=x["inputs"], party_amounts={"provider": provider_part, "commissioner": commissioner_part}))
    transfer = to_provider(variance, commissioner_share)
    return RiskSettlement(actual, stop_total, variance, provider_share, commissioner_share, transfer, tuple(binding))


def to_provider(variance: Decimal, commissioner_part: Decimal) -> Decimal:
    """What the commissioner's part of a variance moves to the provider: its share of a loss is paid,
    its share of a gain returned. Unary minus, so that a nothing is `0.00`, never `-0.00`."""
    return commissioner_part if variance > 0 else -commissioner_part


def stop_loss(ev: Evaluation, stop: ast.StopLoss, lines: list[Line]) -> Decimal:
    if not ev.data.has_patients:
        raise Missing(d.error("OBC914", "the per-patient stop-loss needs patient-level costs, and none were supplied", stop.span,
                              help="give a patient cost file (columns `patient, year, cost`) with `--patients`", clause=stop.clause))
    coinsurance = (stop.coinsurance or ZERO) / HUNDRED
    found = ev.data.patient_excess(ev.year, stop.threshold, stop.limit)
    excess_total, count = found.excess, found.patients
    reimbursed = to_penny(excess_total * (ONE - coinsurance), ev.rounding)
    words = (f"{count} patient{'s' if count != 1 else ''} cost more than {pounds(stop.threshold)}; "
             f"excess {pounds(excess_total)}")
    if stop.limit is not None:
        words += f" (counted up to {pounds(stop.limit)} a patient)"
    if coinsurance:
        words += f", less the provider's {percent_text(stop.coinsurance)} coinsurance"
    words += f" → {pounds(reimbursed)} borne by the commissioner"
    lines.append(Line("stop-loss", "per patient stop-loss", "Per-patient stop-loss", reimbursed, words, stop.clause,
                      inputs={"patients_over_threshold": count, "excess": excess_total, "threshold": stop.threshold}))
    return reimbursed


# ---------------------------------------------------------------- putting the statement together


def evaluate(contract: ast.Contract, data: Data, year: int) -> Statement:
    """The payment statement for a contract year. Raises `DataError` for any data problem."""
    last = model.last_year(contract)
    if year < 1 or year > last:
        raise ValueError(f"year {year} is outside the contract term (years 1 to {last})")
    problems = validate(contract, data)
    if problems:
        raise DataError(problems)
    with decimal.localcontext(exact_context()):
        try:
            return build_statement(contract, data, year)
        except Missing as exc:
            raise DataError(exc.diagnostics) from None


def build_statement(contract: ast.Contract, data: Data, year: int) -> Statement:
    ev = Evaluation(contract, data, year)
    budget, steps = budget_for_year(contract, data, year, ev.rounding)
    core, pot, reserve = components(contract, ev, budget)
    ev.pot = pot
    ev.allocations = allocations(contract, pot)
    problems: list[Diagnostic] = []
    paid_lines: list[Line] = []
    paying = [i for i in contract.all_indicators if model.has_rule(i)]
    for indicator in paying:
        try:
            result = ev.indicator_result(indicator)
        except Missing as exc:
            problems.extend(exc.diagnostics)
            continue
        paid_lines.append(indicator_line(ev, indicator, result))
    for bonus in contract.all_bonuses:
        allocation = ev.allocations.get(bonus.name, ZERO)
        try:
            held = ev.condition(bonus.condition) if bonus.condition is not None else True
        except Missing as exc:
            problems.extend(exc.diagnostics)
            continue
        amount = allocation if held else ZERO
        if held:
            words = f"{bonus.title}: the condition holds → {pounds(allocation)}"
        else:
            words = f"{bonus.title}: {describe_condition(ev, bonus.condition)} → not paid"
        paid_lines.append(Line("bonus", bonus.name, bonus.title, amount, words + clause_words(bonus.clause), bonus.clause,
                               rule="bonus", linked=pot > 0, achieved=bool(held and allocation > 0), allocation=allocation))
    risk_lines: list[Line] = []
    settlement = None
    try:
        settlement = settle_risk(ev, budget, risk_lines)
    except Missing as exc:
        problems.extend(exc.diagnostics)
    if problems:
        raise DataError(dict.fromkeys(problems))  # one value can be needed by several lines: report it once
    unearned = pot - sum((line.amount for line in paid_lines), ZERO)
    outcomes_paid = sum((l.amount for l in paid_lines if l.kind == "indicator"), ZERO)
    bonus_paid = sum((l.amount for l in paid_lines if l.kind == "bonus"), ZERO)
    risk_share = ZERO
    if settlement is not None:
        risk_share = settlement.transfer + settlement.stop_loss
    unearned_rule = contract.outcomes.unearned if contract.outcomes else None
    destination = unearned_rule.destination if unearned_rule else "retained"
    services = unearned_rule.services if unearned_rule else ()
    header = contract.header
    reserve_paid = reserve if contract.risk_share is not None and contract.risk_share.placement == "within" else ZERO
    statement_parts = dict(
        contract=header.name if header else "",
        commissioner=header.commissioner if header else None,
        lead_provider=header.lead_provider if header else None,
        year=year,
        financial_year=contract.term.financial_year(year) if contract.term else None,
        phase=ev.phase.name if ev.phase else None,
        rounding=ev.rounding,
        budget=budget,
        budget_steps=tuple(steps),
        core=core,
        pot=pot,
        reserve=reserve_paid,
        outcomes_paid=outcomes_paid,
        bonus_paid=bonus_paid,
        risk_share=risk_share,
        lines=tuple(paid_lines + risk_lines),
        unearned=unearned,
        unearned_destination=destination,
        unearned_services=services,
        risk=settlement,
    )
    distribution = distribute(contract, core, outcomes_paid, bonus_paid, reserve_paid + risk_share)
    return Statement(distribution=distribution, **statement_parts)


def allocations(contract: ast.Contract, pot: Decimal) -> dict[str, Decimal]:
    """The pot divided among indicators and bonuses by their weights, in pennies.

    Split by largest remainder, with anything the weights leave unallocated
    as a last part, so the allocations and the rest add up to the pot.
    """
    owners = model.outcome_of(contract)
    names, exact = [], []
    for indicator in contract.all_indicators:
        if not model.has_rule(indicator):
            continue
        fraction = model.allocation_fraction(contract, owners[indicator.name], indicator)
        if fraction is not None:
            names.append(indicator.name)
            exact.append(pot * fraction)
    for bonus in contract.all_bonuses:
        fraction = model.bonus_fraction(contract, bonus)
        if fraction is not None:
            names.append(bonus.name)
            exact.append(pot * fraction)
    rest = pot - sum(exact, ZERO)
    pennies = split(pot, exact + [rest])
    return dict(zip(names, pennies))


def clause_words(clause: Optional[str]) -> str:
    return f" (clause {clause})" if clause else ""


def components(contract: ast.Contract, ev: Evaluation, budget: Optional[Decimal]) -> tuple[Decimal, Decimal, Decimal]:
    """Core, pot and reserve for the year, in pennies; parts of the budget add up to it exactly."""
    own = ev.phase.components if ev.phase is not None else ast.Components()
    stated = effective(contract.payments, own) if contract.payments is not None else own
    amounts = {}
    shares = {}
    for key in ("core", "pot", "reserve"):
        amount = getattr(stated, key)
        if amount is None:
            continue
        if amount.kind == "money":
            amounts[key] = to_penny(amount.value, ev.rounding)
        else:
            shares[key] = amount.value
    if budget is not None and shares:
        exact = {k: budget * v / HUNDRED for k, v in shares.items()}
        if "core" not in shares and "core" not in amounts:
            exact["core"] = budget - sum(exact.values(), ZERO) - sum(amounts.values(), ZERO)
        keys = list(exact)
        total = sum(exact.values(), ZERO)
        if total == budget - sum(amounts.values(), ZERO) and total == to_penny(total, ev.rounding):
            amounts.update(zip(keys, split(total, [exact[k] for k in keys])))
        else:
            amounts.update({k: to_penny(v, ev.rounding) for k, v in exact.items()})
    elif budget is not None and "core" not in amounts:
        amounts["core"] = budget - amounts.get("pot", ZERO) - amounts.get("reserve", ZERO)
    core, pot, reserve = amounts.get("core", ZERO), amounts.get("pot", ZERO), amounts.get("reserve", ZERO)
    if budget is not None and core < 0:
        raise Missing(d.error("OBC601", f"the outcomes pot and risk reserve ({pounds(pot + reserve)}) come to more than "
                                        f"the budget for year {ev.year} ({pounds(budget)}), leaving a negative core",
                              (stated.pot or stated.reserve).span, clause=stated.clause,
                              help="state the pot and reserve as shares of the budget"))
    if budget is not None and core + pot + reserve != budget:
        raise AssertionError(f"year {ev.year}: the components {core} + {pot} + {reserve} do not make the budget {budget} (OBC601)")
    return core, pot, reserve


def indicator_line(ev: Evaluation, indicator: ast.Indicator, result: IndicatorResult) -> Line:
    outcome = ev.owners[indicator.name]
    heading = f"{outcome.title} / {indicator.title}"
    allocation = ev.allocations.get(indicator.name)
    if indicator.name not in ev.linked:
        return Line("indicator", indicator.name, indicator.title, ZERO,
                    f"{heading}: not linked to payment in year {ev.year} → nothing earned, whatever the data says{clause_words(indicator.clause)}",
                    indicator.clause, outcome.name, rule=rule_name(indicator), linked=False, achieved=False, allocation=allocation)
    pieces = []
    inputs: dict = {}
    for part in result.parts:
        words = part["words"]
        if part.get("segment"):
            words = f"segment `{part['segment']}` ({percent_text((part['weight'] * HUNDRED).quantize(Decimal('0.01')).normalize())} of the allocation): {words}"
        if part.get("gate"):
            words += f"; {part['gate']} → nothing paid"
        if part.get("scale"):
            words += f"; {part['scale']}"
        pieces.append(words)
        key = part.get("segment") or "value"
        inputs[key] = {k: v for k, v in (("value", part.get("value")), ("baseline", part.get("baseline")),
                                         ("threshold", part.get("threshold")), ("band", part.get("band"))) if v is not None}
    explanation = f"{heading}: " + "; ".join(pieces) + f" = {pounds(result.exact)}" + clause_words(indicator.clause)
    return Line("indicator", indicator.name, indicator.title, result.exact, explanation, indicator.clause, outcome.name,
                rule=rule_name(indicator), linked=True, achieved=result.achieved, allocation=allocation, inputs=inputs)


def rule_name(indicator: ast.Indicator) -> str:
    rule = indicator.rule or (indicator.segment_rules[0].rule if indicator.segment_rules else None)
    return {ast.Target: "target", ast.Bands: "bands", ast.SlidingScale: "sliding scale"}.get(type(rule), "none")


def distribute(contract: ast.Contract, core: Decimal, outcomes: Decimal, bonus: Decimal, other: Decimal) -> tuple[PartyShare, ...]:
    header = contract.header
    subcontractors = {s.name: s for s in (header.subcontractors if header else ())}
    shares = contract.distribution.shares if contract.distribution else ()
    parties = [s.subcontractor for s in shares]
    amounts = {}
    for component, total in (("core", core), ("outcomes", outcomes), ("bonus", bonus)):
        exact = []
        for share in shares:
            percent = sum((p.share for p in share.parts if p.component == component), ZERO)
            exact.append(total * percent / HUNDRED)
        exact.append(total - sum(exact, ZERO))
        amounts[component] = split(total, exact)
    result = []
    for index, name in enumerate(parties):
        title = subcontractors[name].title if name in subcontractors else name
        result.append(PartyShare(name, title, amounts["core"][index], amounts["outcomes"][index], amounts["bonus"][index], ZERO, "subcontractor"))
    lead = header.lead_provider if header and header.lead_provider else "lead provider"
    result.insert(0, PartyShare("lead provider", lead, amounts["core"][-1], amounts["outcomes"][-1], amounts["bonus"][-1], other, "lead provider"))
    return tuple(result)
