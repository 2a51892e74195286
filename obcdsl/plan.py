"""The year plan: a contract year compiled once, read by every evaluator.

`plan_for(contract, year, data)` works out, exactly and once, everything in
a year that does not depend on the indicator data: the budget and its
adjustments (the population adjustment reads the year's actual
population), core, pot and reserve in pennies, each indicator's allocation
split among its segments, each paying part's lowered rule (bands with this
year's shares, targets, sliding scales), its lowered value and baseline
expressions, scaling factors, gateways, bonuses and the risk share's
sharing bands, caps and floors for the year's budget.

The exact evaluator (`obcdsl.evaluate`), the array evaluator
(`obcdsl.vector`), the static bounds (`obcdsl.bounds`) and the
counterexample search (`obcdsl.checks.bounds`) all read this plan through
one interpreter (`obcdsl.interpret`); none computes a payment rule itself.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Optional

import attrs

from . import ast, model
from .activity import ActivityPlan, activity_plans
from . import diagnostics as d
from .data import ACTUAL_POPULATION, MAX_DIGITS, Data, data_error
from .diagnostics import Diagnostic
from .expressions import (Condition, Number, Scope, lower_condition, lower_indicator_value, lower_number, lower_reference,
                          references, scope)
from .lowering import LoweredRule, Sharing, lower_rule, lower_sharing, rule_cuts
from .money import HUNDRED, ZERO, percent_text, pounds, split, to_penny
from .statement import BudgetStep

ONE = Decimal(1)


class Missing(Exception):
    """Values needed for the year are not in the data (or cannot be computed from it): one diagnostic each."""

    def __init__(self, *diagnostics: Diagnostic):
        self.diagnostics = diagnostics


# ---------------------------------------------------------------- the plan


@attrs.frozen
class PartPlan:
    """One indicator's rule in one segment (or the whole population): `key` names its value in array inputs."""

    indicator: str
    segment: Optional[str]
    key: str
    rule: ast.Rule
    lowered: LoweredRule
    allocation: Decimal  # its share of the indicator's allocation, in pennies (0 without one)
    weight: Decimal  # that share, as a fraction
    shares: Optional[tuple[tuple[Decimal, Optional[str]], ...]]  # bands: each band's (share, base) this year
    value: Number
    baseline: Optional[Number]  # what relative thresholds compare with: the baseline, last year's value or a measure
    most: Decimal  # the most it pays, to the penny

    @property
    def band_names(self) -> tuple[str, ...]:
        return tuple(b.name for b in self.rule.bands) if isinstance(self.rule, ast.Bands) else ()


@attrs.frozen
class ScalePlan:
    """`scaled by FACTOR capped at N%`."""

    factor: Number
    cap: Optional[Decimal]
    missing: str  # the missing-data policy of the indicator the factor reads first
    source: ast.Scaling


@attrs.frozen
class GatePlan:
    """`only if CONDITION`, on the indicator or its outcome."""

    condition: Condition
    missing: str
    source: ast.Gate


@attrs.frozen
class LinePlan:
    """An indicator with a payment rule, in the year."""

    indicator: ast.Indicator
    outcome: ast.Outcome
    linked: bool
    allocation: Optional[Decimal]
    parts: tuple[PartPlan, ...]
    scale: Optional[ScalePlan]
    gates: tuple[GatePlan, ...]
    missing: str  # "error" | "not achieved"

    @property
    def name(self) -> str:
        return self.indicator.name

    @property
    def most(self) -> Decimal:
        return sum((p.most for p in self.parts), ZERO)


@attrs.frozen
class BonusPlan:
    bonus: ast.Bonus
    allocation: Decimal
    condition: Optional[Condition]


@attrs.frozen
class RiskPlan:
    """The risk share in the year: sharing bands for the year's budget, and any stop-loss."""

    source: ast.RiskShare
    gains: Optional[Sharing]  # the plain (or `otherwise`) table, or sharing nothing when only `when` tables apply
    losses: Optional[Sharing]
    stop_loss: Optional[ast.StopLoss]
    gains_when: tuple[tuple[Condition, Sharing], ...] = ()  # `gains when ...` tables: the first whose condition holds
    losses_when: tuple[tuple[Condition, Sharing], ...] = ()

    @property
    def shares_variance(self) -> bool:
        return self.gains is not None

    @property
    def reference(self) -> str:
        """What the variance is measured against: "budget", or "payments" (core, outcome payments, bonus and reserve)."""
        return self.source.reference

    def sharings(self, side: str) -> tuple[Sharing, ...]:
        """Every way the side can be shared in the year: each `when` table's, then the plain one."""
        plain = self.gains if side == "gains" else self.losses
        assert plain is not None  # asked only of a risk share that shares a variance
        return tuple(s for _, s in (self.gains_when if side == "gains" else self.losses_when)) + (plain,)


@attrs.frozen
class CarveOutPlan:
    """`carve out 3% of budget for "personal health budgets"`: its amount in the year, in pennies."""

    source: ast.CarveOut
    amount: Decimal


@attrs.frozen
class DeductionPlan:
    """`deduct 1% of core unless CONDITION`: the amount taken from the core in the year when the condition fails."""

    source: ast.Deduction
    amount: Decimal
    gate: GatePlan  # the condition that spares the core, with its missing-data policy


@attrs.frozen
class YearPlan:
    """A contract year, compiled: what every evaluator reads."""

    contract: ast.Contract
    year: int
    phase: Optional[ast.Phase]
    rounding: str
    budget: Optional[Decimal]
    budget_steps: tuple[BudgetStep, ...]
    core: Decimal
    pot: Decimal
    reserve: Decimal
    lines: tuple[LinePlan, ...]
    bonuses: tuple[BonusPlan, ...]
    risk: Optional[RiskPlan]
    linked: frozenset
    on_top: bool = False  # the pot is paid beyond the budget (`outcomes pot 2.5% of budget on top`)
    carve_outs: tuple[CarveOutPlan, ...] = ()
    deductions: tuple[DeductionPlan, ...] = ()
    floor: Optional[Decimal] = None  # `total payment at least ...`, in pennies
    activity: tuple[ActivityPlan, ...] = ()  # `activity ... end`: each item in the year

    @property
    def carved_out(self) -> Decimal:
        return sum((c.amount for c in self.carve_outs), ZERO)

    @property
    def cost_budget(self) -> Optional[Decimal]:
        """The budget the provider's actual cost is measured against: the budget less what is carved out of it."""
        return None if self.budget is None else self.budget - self.carved_out

    @property
    def reserve_paid(self) -> Decimal:
        """The reserve is paid at settlement when the risk share sits within the budget."""
        within = self.contract.risk_share is not None and self.contract.risk_share.placement == "within"
        return self.reserve if within else ZERO

    @property
    def parts(self) -> tuple[PartPlan, ...]:
        return tuple(part for line in self.lines if line.linked for part in line.parts)

    def line(self, name: str) -> LinePlan:
        return next(line for line in self.lines if line.name == name)


def rounding_of(contract: ast.Contract) -> str:
    header = contract.header
    return header.rounding if header and header.rounding else "half up"


def missing_policy(contract: ast.Contract, indicator: Optional[ast.Indicator]) -> str:
    """What missing data means for an indicator: the nearest statement, else an error."""
    for policy in (
        indicator.missing_data if indicator is not None else None,
        contract.outcomes.missing_data if contract.outcomes else None,
        contract.header.missing_data if contract.header else None,
    ):
        if policy is not None:
            return policy
    return "error"


def plan_for(contract: ast.Contract, year: int, data: Optional[Data] = None, cache: Optional[dict] = None) -> YearPlan:
    """The year's plan; `data` gives the actual population for the budget's adjustment. Raises `Missing`."""
    budget, steps = budget_for_year(contract, data or Data(), year, rounding_of(contract))
    key = (year, budget, tuple(steps))
    if cache is not None and key in cache:
        return cache[key]
    plan = compile_year(contract, year, budget, tuple(steps))
    if cache is not None:
        cache[key] = plan
    return plan


def compile_year(contract: ast.Contract, year: int, budget: Optional[Decimal], steps: tuple[BudgetStep, ...] = ()) -> YearPlan:
    rounding = rounding_of(contract)
    stated = model.components_for_year(contract, year)
    core, pot, reserve, carved = components(stated, year, budget, rounding)
    shares = allocations(model.weighed_for_year(contract, year), pot)
    linked = frozenset(i.name for i in model.linked_indicators(contract, year))
    where = contract.derived.get(("scope", linked))  # most years link the same indicators: one scope for them all
    if where is None:
        where = contract.derived[("scope", linked)] = scope(contract, linked)
    phase = model.phase_for(contract, year)
    # a line reads the year only through its phase's `shares` line: consecutive years with the same pot, the same
    # indicators linked and the same phase (most years of most contracts) have the same lines, made once
    money = (str(pot), linked, id(phase))
    remembered = contract.derived.get("lines")
    if remembered is not None and remembered[0] == money:
        lines = remembered[1]
    else:
        lines = year_lines(contract, year, shares, pot, where)
        contract.derived["lines"] = (money, lines)
    bonuses = tuple(BonusPlan(b, shares.get(b.name, ZERO), lower_condition(b.condition, where) if b.condition is not None else None)
                    for b in contract.all_bonuses)
    return YearPlan(contract, year, phase, rounding, budget, steps, core, pot, reserve,
                    lines, bonuses, risk_plan(contract, year, budget, rounding, where), linked,
                    stated.pot is not None and stated.pot.on_top,
                    tuple(CarveOutPlan(c, amount) for c, amount in zip(stated.carve_outs, carved)),
                    deductions(contract, stated, year, core, rounding, where), floor_of(stated, budget, rounding),
                    activity_plans(contract, year))


def year_lines(contract: ast.Contract, year: int, shares: dict[str, Decimal], pot: Decimal, where: Scope) -> tuple[LinePlan, ...]:
    owners = model.outcome_of(contract)
    lines = []  # an expression of the wrong kind raises ExpressionError: `obcdsl check` refuses such contracts (OBC206)
    for indicator in contract.all_indicators:
        if not model.has_rule(indicator):
            continue
        lines.append(line_plan(contract, year, indicator, owners[indicator.name], shares.get(indicator.name), pot, where))
    return tuple(lines)


def amount_of(amount: ast.BudgetAmount, budget: Optional[Decimal], rounding: str) -> Decimal:
    """A stated amount in the year, to the penny: `£1m`, or `95% of budget` of the year's budget."""
    if amount.kind == "money":
        return to_penny(amount.value, rounding)
    # a share of the budget without a budget section is refused (OBC602)
    assert budget is not None, "a share of the budget, with no budget"
    return to_penny(budget * amount.value / HUNDRED, rounding)


def floor_of(stated: ast.Components, budget: Optional[Decimal], rounding: str) -> Optional[Decimal]:
    return amount_of(stated.floor, budget, rounding) if stated.floor is not None else None


def deductions(contract: ast.Contract, stated: ast.Components, year: int, core: Decimal, rounding: str,
               where: Scope) -> tuple[DeductionPlan, ...]:
    """Each deduction's amount in the year: a share of the year's core, or pounds; together at most the core (OBC609)."""
    found = []
    for deduction in stated.deductions:
        amount = to_penny(core * deduction.value / HUNDRED if deduction.kind == "share" else deduction.value, rounding)
        condition = lower_condition(deduction.condition, where)
        gate = GatePlan(condition, first_policy(contract, condition, where),
                        ast.Gate(deduction.condition, deduction.clause, deduction.span))
        found.append(DeductionPlan(deduction, amount, gate))
    total = sum((item.amount for item in found), ZERO)
    if total > core:
        raise Missing(d.error("OBC609", f"the deductions can take {pounds(total)} from a core of {pounds(core)} in year {year}",
                              found[0].source.span, clause=found[0].source.clause,
                              notes=tuple(f"deduction {n} takes {pounds(item.amount)}" for n, item in enumerate(found, 1)),
                              help="state the deductions as shares of the core that add up to at most 100%, or lower them"))
    return tuple(found)


@attrs.frozen
class LineFrame:
    """What an indicator's line is in every year with the same indicators linked: its parts' rules and what they
    read, its scaling, gates and missing-data policy. Worked out once, then given each year's money."""

    pieces: tuple  # (segment, its rule, its share of the allocation, the rule's cuts, what its relative thresholds read)
    value: Number
    scale: Optional[ScalePlan]
    gates: tuple[GatePlan, ...]
    missing: str
    linked: bool


def line_frame(contract: ast.Contract, indicator: ast.Indicator, outcome: ast.Outcome, where: Scope) -> LineFrame:
    key = ("line frame", id(indicator), id(where))  # both live as long as the contract, whose cache this is
    frame = contract.derived.get(key)
    if frame is not None:
        return frame
    direction = indicator.direction or "higher"
    rules: list[tuple[Optional[str], Optional[ast.Rule], Decimal]]  # (segment, its rule, its share of the allocation)
    if indicator.by_segment is not None:
        weights = segment_weights(contract, indicator)
        rules = [(s, next((r.rule for r in indicator.segment_rules if r.segment == s), indicator.rule), w) for s, w in weights]
    else:
        rules = [(None, indicator.rule, ONE)]
    pieces = []
    for segment, rule, weight in rules:
        # every paying part has a rule: a contract where one has none is in error (OBC203, OBC407), and is not planned
        assert rule is not None, f"no payment rule for `{indicator.name}`, segment {segment}"
        references = model.rule_references(rule)  # one at most: `check` refuses a rule comparing with two (OBC412)
        reference = lower_reference(indicator, references[0], where) if references else None
        pieces.append((segment, rule, weight, rule_cuts(rule, direction), reference))
    scale = None
    if indicator.scaling is not None:
        factor = lower_number(indicator.scaling.factor, where)
        scale = ScalePlan(factor, indicator.scaling.cap, first_policy(contract, factor, where), indicator.scaling)
    gates = []
    for gate in outcome.gates + indicator.gates:
        condition = lower_condition(gate.condition, where)
        gates.append(GatePlan(condition, first_policy(contract, condition, where), gate))
    frame = contract.derived[key] = LineFrame(
        tuple(pieces), lower_indicator_value(indicator, where), scale, tuple(gates), missing_policy(contract, indicator), indicator.name in where.linked)
    return frame


def line_plan(contract, year, indicator: ast.Indicator, outcome: ast.Outcome, allocation: Optional[Decimal], pot: Decimal, where) -> LinePlan:
    frame = line_frame(contract, indicator, outcome, where)
    # consecutive years with the same money and the same phase `shares` line share one line (one line remembered a
    # frame: a simulation compiles a year for each of thousands of budgets); amounts are keyed as they are spelt,
    # as 40 and 40.0 are equal but print apart
    money = (str(allocation), str(pot), id(model.band_shares_for_year(contract, indicator, year)))
    remembered = contract.derived.get(("line", id(frame)))
    if remembered is not None and remembered[0] == money:
        return remembered[1]
    shares = tuple(tuple((share if share is not None else ZERO, base)
                         for _, share, base, _ in model.year_band_shares(contract, indicator, rule, year))
                   if isinstance(rule, ast.Bands) else None
                   for _, rule, _, _, _ in frame.pieces)
    direction = indicator.direction or "higher"
    weights = [weight for _, _, weight, _, _ in frame.pieces]
    pennies = split(allocation, [allocation * w for w in weights]) if allocation is not None else [ZERO] * len(weights)
    rounding = rounding_of(contract)
    parts = []
    for (segment, rule, weight, cuts, reference), part_shares, part_allocation in zip(frame.pieces, shares, pennies):
        lowered = lower_rule(rule, direction, part_allocation, pot, part_shares, cuts)
        parts.append(PartPlan(indicator.name, segment, f"{indicator.name}/{segment}" if segment else indicator.name, rule,
                              lowered, part_allocation, weight, part_shares, frame.value,
                              reference, to_penny(lowered.most, rounding)))
    line = LinePlan(indicator, outcome, frame.linked, allocation, tuple(parts), frame.scale, frame.gates, frame.missing)
    contract.derived[("line", id(frame))] = (money, line)
    return line


def risk_reads(plan: YearPlan) -> list:
    """What the year's risk share reads besides the actual cost: `when` tables' conditions, measures caps read."""
    risk = plan.risk
    if risk is None or not risk.shares_variance:
        return []
    found: list = [condition for condition, _ in risk.gains_when + risk.losses_when]
    for side in ("gains", "losses"):
        found += [measure for sharing in risk.sharings(side) for limit in sharing.limits for _, measure in limit.measured]
    return found


def first_policy(contract: ast.Contract, node, where) -> str:
    """The missing-data policy of the first indicator an expression reads as data."""
    names = references(node)
    return missing_policy(contract, where.indicators.get(names[0])) if names else "error"


def risk_plan(contract: ast.Contract, year: int, budget: Optional[Decimal], rounding: str, where: Scope) -> Optional[RiskPlan]:
    risk = model.risk_share_for_year(contract, year)
    if risk is None:
        return None
    if not (risk.gains or risk.losses or risk.tables):
        return RiskPlan(risk, None, None, risk.stop_loss)
    if budget is None:
        raise AssertionError("gains or losses bands need a budget (OBC602)")
    measures = {m.name: lower_number(ast.Reference(m.name), where) for m in contract.all_measures}

    def lowered(side: str, table: Optional[ast.SharingTable] = None) -> Sharing:
        return lower_sharing(risk, side, budget, rounding, table, measures)

    whens = {side: tuple((lower_condition(t.condition, where), lowered(side, t)) for t in risk.tables_for(side))
             for side in ("gains", "losses")}
    return RiskPlan(risk, lowered("gains"), lowered("losses"), risk.stop_loss, whens["gains"], whens["losses"])


# ---------------------------------------------------------------- budget, components and allocations


def budget_for_year(contract: ast.Contract, data: Data, year: int, rounding: str) -> tuple[Optional[Decimal], list[BudgetStep]]:
    budget = contract.budget
    if budget is None:
        return None, []
    steps: list[BudgetStep] = []
    if budget.baseline is not None:
        amount = budget.baseline
        steps.append(BudgetStep(f"baseline {pounds(amount)}", amount, budget.clause))
    else:
        # a budget states a baseline or a capitation rate (OBC203)
        assert budget.capitation is not None, "the budget states neither a baseline nor a capitation rate"
        heads = sum(((s.people or ZERO) * (s.weight if s.weight is not None else ONE) for s in contract.segments), ZERO)
        amount = budget.capitation * heads
        steps.append(BudgetStep(f"capitation {pounds(budget.capitation)} × {heads.normalize():f} weighted people", amount, budget.clause))
        within_limit(amount, 1, budget.capitation_span, budget.clause)
    amount = add_services(budget, 1, amount, steps)
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
        amount = add_services(budget, step_year, amount, steps)
    adjustment = budget.population_adjustment
    if adjustment is not None:
        amount = adjust_for_population(contract, data, year, amount, adjustment, steps)
        within_limit(amount, year, adjustment.span, adjustment.clause)
    rounded = to_penny(amount, rounding)
    steps.append(BudgetStep(f"budget for year {year}, to the penny", rounded, budget.clause))
    return rounded, steps


MAX_BUDGET = Decimal(10) ** MAX_DIGITS  # the data's limit too: beyond it pennies are no longer exact


def add_services(budget: ast.Budget, year: int, amount: Decimal, steps: list[BudgetStep]) -> Decimal:
    """`add £3,424,000 from year 3 for "..."`: added in its first year after that year's efficiency and uplift;
    from then on it is part of the budget, so later years' efficiency and uplift apply to it."""
    for addition in budget.additions:
        if addition.year == year:
            amount = amount + addition.amount
            steps.append(BudgetStep(f'year {year}: add {pounds(addition.amount)} for "{addition.service}"', amount, addition.clause))
            within_limit(amount, year, addition.span, addition.clause)
    return amount






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
    else:
        assert total_row is not None  # with no segment's row, only a total row gets past the return above
        if weighted:
            raise Missing(data_error("OBC911", f"the population adjustment counts weighted people, so the actual population "
                                               f"for year {year} must be given for each segment", total_row.cell("segment"),
                                     total_row.cell("segment").file,
                                     help="give one `actual population` row for each segment, "
                                          "or state `counting heads` in the contract"))
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



def allocations(contract: ast.Contract, pot: Decimal) -> dict[str, Decimal]:
    """The pot divided among indicators and bonuses by their weights, in pennies.

    Split by largest remainder, with anything the weights leave unallocated
    as a last part, so the allocations and the rest add up to the pot.
    The last pot's are remembered: most years of a contract have the same pot.
    A phase's weights are read by passing `model.weighed_for_year(contract, year)`,
    which remembers its own.
    """
    remembered = contract.derived.get("allocations")
    if remembered is not None and remembered[0] == str(pot):  # spelt as well as valued alike: 40 and 40.0 print apart
        return dict(remembered[1])
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
    shares = dict(zip(names, pennies))
    contract.derived["allocations"] = (str(pot), shares)
    return dict(shares)



def components(stated: ast.Components, year: int, budget: Optional[Decimal], rounding: str) -> tuple[Decimal, Decimal, Decimal, tuple[Decimal, ...]]:
    """Core, pot, reserve and each carve-out for the year (`stated`: `model.components_for_year`), in pennies.

    The parts of the budget add up to it exactly: carve-outs, core, reserve and a pot, unless the pot is paid on
    top of the budget (`on top`), when it is worked out from the budget but paid beyond it.
    """
    on_top = stated.pot is not None and stated.pot.on_top
    within = [("core", stated.core), ("pot", None if on_top else stated.pot), ("reserve", stated.reserve)]
    within += [(f"carve-out {n}", c.amount) for n, c in enumerate(stated.carve_outs)]
    amounts = {}
    shares = {}
    for key, amount in within:
        if amount is None:
            continue
        if amount.kind == "money":
            amounts[key] = to_penny(amount.value, rounding)
        else:
            shares[key] = amount.value
    if budget is not None and shares:
        exact = {k: budget * v / HUNDRED for k, v in shares.items()}
        if "core" not in shares and "core" not in amounts:
            exact["core"] = budget - sum(exact.values(), ZERO) - sum(amounts.values(), ZERO)
        keys = list(exact)
        total = sum(exact.values(), ZERO)
        if total == budget - sum(amounts.values(), ZERO) and total == to_penny(total, rounding):
            amounts.update(zip(keys, split(total, [exact[k] for k in keys])))
        else:
            amounts.update({k: to_penny(v, rounding) for k, v in exact.items()})
    elif budget is not None and "core" not in amounts:
        amounts["core"] = budget - sum((v for k, v in amounts.items() if k != "core"), ZERO)
    core, pot, reserve = amounts.get("core", ZERO), amounts.get("pot", ZERO), amounts.get("reserve", ZERO)
    carved = tuple(amounts.get(f"carve-out {n}", ZERO) for n in range(len(stated.carve_outs)))
    if on_top:
        assert stated.pot is not None
        pot = amount_of(stated.pot, budget, rounding)
    if budget is not None and core < 0:
        beyond = (None if on_top else stated.pot) or stated.reserve or stated.carve_outs[0].amount
        taken = sum(carved, ZERO) + reserve + (ZERO if on_top else pot)
        # a core below zero is left by parts beyond the budget (a core in pounds is an error, OBC601)
        assert beyond is not None
        parts = "outcomes pot, risk reserve and carve-outs" if carved else "outcomes pot and risk reserve"
        raise Missing(d.error("OBC601", f"the {parts} ({pounds(taken)}) come to more than "
                                        f"the budget for year {year} ({pounds(budget)}), leaving a negative core",
                              beyond.span, clause=stated.clause,
                              help=f"state the {'pot, reserve and carve-outs' if carved else 'pot and reserve'} as shares of the budget"))
    if budget is not None and core + (ZERO if on_top else pot) + reserve + sum(carved, ZERO) != budget:
        raise AssertionError(f"year {year}: the components {core} + {pot} + {reserve} + {carved} do not make the budget {budget} (OBC601)")
    return core, pot, reserve, carved



def segment_weights(contract: ast.Contract, indicator: ast.Indicator) -> list[tuple[str, Decimal]]:
    segments = contract.segments
    if indicator.by_segment == "population":
        total = sum((s.people or ZERO for s in segments), ZERO)
        if total > 0:
            return [(s.name, (s.people or ZERO) / total) for s in segments]
    count = Decimal(len(segments)) if segments else ONE
    return [(s.name, ONE / count) for s in segments]
