"""Array evaluation: a contract year over many scenarios at once, with NumPy.

A `YearModel` holds what does not vary between scenarios, worked out once
and exactly by the evaluator's own functions: the budget, core, pot and
the allocations in pennies. What varies (indicator values, actual cost) is
an array with one element a scenario, and the payment rules and risk share
run through the array interpreters of `obcdsl.lowering`, the same lowered
rules the exact evaluator runs. Amounts are rounded to the penny at the end
of each line, so they agree with the exact statement within a penny a line
(`tests/test_simulate.py`).

Scenarios leave out the per-patient stop-loss (patient costs are not
simulated) and the population adjustment of the budget.
"""

from __future__ import annotations

import decimal
from decimal import Decimal
from typing import Optional

import attrs
import numpy as np

from . import ast, model
from .data import Data
from .evaluate import Evaluation, allocations, band_shares, budget_for_year, components, segment_weights
from .lowering import lower_rule, lower_sharing
from .money import exact_context, split

HUNDRED = Decimal(100)


@attrs.frozen
class Part:
    """One indicator (or one of its segments) in the year: its lowered rule and where its value comes from."""

    indicator: str
    segment: Optional[str]
    key: str  # the name of its input array: `name` or `name/segment`
    rule: object  # StepRule | LinearRule
    most: float
    band_names: tuple[str, ...]


@attrs.frozen
class YearModel:
    contract: ast.Contract
    year: int
    budget: Optional[Decimal]
    core: Decimal
    pot: Decimal
    reserve_paid: Decimal
    parts: tuple[Part, ...]
    bonus_allocations: dict
    sharing: dict  # "gains"/"losses" → Sharing, when the risk share applies

    @property
    def inputs(self) -> list[str]:
        """The names of the arrays a simulation must supply (besides `actual cost`)."""
        names = {part.key for part in self.parts}
        for expr, _ in model.contract_expressions(self.contract):
            for node in model.iter_subexpressions(expr):
                if isinstance(node, ast.Reference):
                    names.add(node.name)
        derived = {i.name for i in self.contract.all_indicators if i.measured_as is not None}
        return sorted(names - derived)


def key_of(name: str, segment: Optional[str]) -> str:
    return f"{name}/{segment}" if segment else name


def year_model(contract: ast.Contract, year: int, baselines: Optional[dict] = None) -> YearModel:
    """What the year's payments depend on, worked out exactly once. `baselines`: indicator → baseline value."""
    baselines = baselines or {}
    with decimal.localcontext(exact_context()):
        ev = Evaluation(contract, Data(), year)
        budget, _ = budget_for_year(contract, Data(), year, ev.rounding)
        core, pot, reserve = components(contract, ev, budget)
        ev.pot = pot
        ev.allocations = allocations(contract, pot)
        parts = []
        for indicator in contract.all_indicators:
            if not model.has_rule(indicator) or indicator.name not in ev.linked:
                continue
            allocation = ev.allocations.get(indicator.name, Decimal(0))
            if indicator.by_segment is not None:
                weights = segment_weights(contract, indicator)
                pennies = split(allocation, [allocation * w for _, w in weights])
                pieces = [(s, next((r.rule for r in indicator.segment_rules if r.segment == s), indicator.rule), p)
                          for (s, _), p in zip(weights, pennies)]
            else:
                pieces = [(None, indicator.rule, allocation)]
            for segment, rule, part_allocation in pieces:
                shares = [(share, where) for _, share, where in band_shares(ev, indicator, rule)] if isinstance(rule, ast.Bands) else None
                lowered = lower_rule(rule, indicator.direction or "higher", part_allocation, pot, shares)
                names = tuple(b.name for b in rule.bands) if isinstance(rule, ast.Bands) else ()
                parts.append(Part(indicator.name, segment, key_of(indicator.name, segment), lowered, float(lowered.most), names))
        bonus_allocations = {b.name: ev.allocations.get(b.name, Decimal(0)) for b in contract.all_bonuses}
        sharing = {}
        risk = contract.risk_share
        if risk is not None and budget is not None and not (ev.phase is not None and ev.phase.risk_share is False):
            sharing = {side: lower_sharing(risk, side, budget, ev.rounding) for side in ("gains", "losses")}
        within = risk is not None and risk.placement == "within"
    return YearModel(contract, year, budget, core, pot, reserve if within else Decimal(0), tuple(parts), bonus_allocations, sharing)


@attrs.frozen
class Results:
    """Arrays, one element a scenario."""

    lines: dict  # indicator name → amount paid (pounds, to the penny)
    bonuses: dict
    reached: dict  # part key → index of the highest band reached (-1 none), for banded parts
    outcomes_paid: np.ndarray
    bonus_paid: np.ndarray
    unearned: np.ndarray
    transfer: np.ndarray
    provider_share: np.ndarray
    commissioner_share: np.ndarray
    cap_binds: np.ndarray
    total_to_provider: np.ndarray
    variance: np.ndarray


def penny(values: np.ndarray) -> np.ndarray:
    return np.round(values, 2)


def run(year: YearModel, inputs: dict, baselines: Optional[dict] = None) -> Results:
    """Evaluate the year for every scenario. `inputs`: name → array of values; `actual cost` for the risk share."""
    baselines = baselines or {}
    contract = year.contract
    size = len(next(iter(inputs.values()))) if inputs else 1
    env = Environment(contract, inputs, size)
    indicators = {i.name: i for i in contract.all_indicators}
    owners = model.outcome_of(contract)
    raw: dict[str, list] = {}
    most: dict[str, np.ndarray] = {}
    reached: dict[str, np.ndarray] = {}
    for part in year.parts:
        values = env.value(part.key)
        baseline = float(baselines.get(part.key, baselines.get(part.indicator, 0.0)))  # one baseline for every scenario
        amount, index = part.rule.array(values, baseline)
        if index is not None:
            reached[part.key] = index
        raw.setdefault(part.indicator, []).append(amount)
        # rounded exactly as the amount is, so that "paid its most" compares like with like
        most[part.indicator] = most.get(part.indicator, 0.0) + float(penny(np.float64(part.most)))
    lines: dict[str, np.ndarray] = {}
    for name, amounts in raw.items():
        indicator = indicators[name]
        outcome = owners[name]
        factor = 1.0
        if indicator.scaling is not None:
            points = np.nan_to_num(env.number(indicator.scaling.factor), nan=0.0, posinf=0.0, neginf=0.0)
            if indicator.scaling.cap is not None:
                points = np.minimum(points, float(indicator.scaling.cap))
            factor = np.maximum(points, 0.0) / 100.0
        paid = penny(amounts[0] * factor) if len(amounts) == 1 else sum((penny(a * factor) for a in amounts), np.zeros(size))
        for condition in outcome.gates + indicator.gates:
            paid = np.where(env.condition(condition.condition), paid, 0.0)
        lines[name] = paid
    env.achieved_lines = {name: (np.abs(lines[name] - most[name]) <= 0.004) & (most[name] > 0) for name in lines}
    env.reached = reached
    env.linked = {p.indicator for p in year.parts}
    env.band_names = {p.key: p.band_names for p in year.parts}
    outcomes_paid = sum(lines.values(), np.zeros(size))
    bonuses = {}
    for bonus in contract.all_bonuses:
        allocation = float(year.bonus_allocations.get(bonus.name, 0))
        holds = env.condition(bonus.condition) if bonus.condition is not None else np.ones(size, dtype=bool)
        bonuses[bonus.name] = np.where(holds, allocation, 0.0)
    bonus_paid = sum(bonuses.values(), np.zeros(size))
    pot = float(year.pot)
    unearned = penny(pot - outcomes_paid - bonus_paid)
    transfer = np.zeros(size)
    provider = np.zeros(size)
    commissioner = np.zeros(size)
    binds = np.zeros(size, dtype=bool)
    variance = np.zeros(size)
    if year.sharing:
        cost = penny(np.asarray(inputs["actual cost"], dtype=float))
        variance = cost - float(year.budget)
        magnitude = np.abs(variance)
        loss = variance > 0
        for side, mask in (("losses", loss), ("gains", ~loss)):
            p, c, b = year.sharing[side].array(magnitude)
            provider = np.where(mask, p, provider)
            commissioner = np.where(mask, c, commissioner)
            binds = np.where(mask, b, binds)
        commissioner = penny(commissioner)
        provider = magnitude - commissioner
        transfer = np.where(loss, commissioner, -commissioner)
    total = float(year.core) + outcomes_paid + bonus_paid + float(year.reserve_paid) + transfer
    return Results(lines, bonuses, reached, outcomes_paid, bonus_paid, unearned, transfer, provider, commissioner, binds, total, variance)


class Environment:
    """Values of indicators and conditions over all scenarios, for expressions."""

    def __init__(self, contract: ast.Contract, inputs: dict, size: int):
        self.contract = contract
        self.inputs = inputs
        self.size = size
        self.indicators = {i.name: i for i in contract.all_indicators}
        self.outcomes = {o.name: o for o in contract.all_outcomes}
        self.achieved_lines: dict = {}
        self.reached: dict = {}
        self.linked: set = set()
        self.band_names: dict = {}

    def value(self, key: str) -> np.ndarray:
        name = key.split("/")[0]
        indicator = self.indicators.get(name)
        if indicator is not None and indicator.measured_as is not None:
            return self.number(indicator.measured_as)
        if key not in self.inputs:
            raise KeyError(f"no values for `{key}`")
        return np.asarray(self.inputs[key], dtype=float)

    def number(self, expr: ast.Expr) -> np.ndarray:
        result = np.asarray(self.evaluate(expr), dtype=float)
        return result if result.shape == (self.size,) else np.broadcast_to(result, (self.size,))

    def condition(self, expr: ast.Expr) -> np.ndarray:
        result = np.asarray(self.evaluate(expr), dtype=bool)
        return result if result.shape == (self.size,) else np.broadcast_to(result, (self.size,))

    def evaluate(self, expr: ast.Expr):
        if isinstance(expr, ast.Literal):
            return float(expr.value)
        if isinstance(expr, ast.Reference):
            return self.value(expr.name)
        if isinstance(expr, ast.Negative):
            return -self.number(expr.operand)
        if isinstance(expr, ast.Arithmetic):
            left, right = self.number(expr.left), self.number(expr.right)
            with np.errstate(divide="ignore", invalid="ignore"):
                return {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide}[expr.operator](left, right)
        if isinstance(expr, ast.Extremum):
            values = [self.number(a) for a in expr.arguments]
            return np.minimum.reduce(values) if expr.function == "min" else np.maximum.reduce(values)
        if isinstance(expr, ast.Comparison):
            left, right = self.number(expr.left), self.number(expr.right)
            return {">=": np.greater_equal, "<=": np.less_equal, ">": np.greater, "<": np.less,
                    "=": np.equal, "!=": np.not_equal}[expr.operator](left, right)
        if isinstance(expr, ast.Logical):
            left, right = self.condition(expr.left), self.condition(expr.right)
            return (left & right) if expr.operator == "and" else (left | right)
        if isinstance(expr, ast.Not):
            return ~self.condition(expr.operand)
        if isinstance(expr, ast.Achieved):
            return self.achieved(expr.name)
        if isinstance(expr, ast.AllAchieved):
            result = np.ones(self.size, dtype=bool)
            for outcome in self.contract.all_outcomes:
                result &= self.achieved(outcome.name)
            return result
        if isinstance(expr, ast.Reached):
            names = next((n for k, n in self.band_names.items() if k.split("/")[0] == expr.name and n), ())
            if expr.band not in names or expr.name not in self.reached:
                return np.zeros(self.size, dtype=bool)
            return self.reached[expr.name] >= names.index(expr.band)
        raise AssertionError(f"unknown expression {expr!r}")

    def achieved(self, name: str) -> np.ndarray:
        if name in self.indicators:
            return self.achieved_lines.get(name, np.zeros(self.size, dtype=bool))
        linked = [i.name for i in self.outcomes[name].indicators if i.name in self.linked]
        if not linked:
            return np.zeros(self.size, dtype=bool)
        result = np.ones(self.size, dtype=bool)
        for indicator in linked:
            result &= self.achieved_lines.get(indicator, np.zeros(self.size, dtype=bool))
        return result
