"""The one interpreter of a year plan, for either backend.

`run_year(plan, backend, inputs)` pays a contract year: each linked
indicator's parts through their lowered rules, scaling factors, gateways,
achievement, bonuses, the unearned pot, the stop-loss and the risk-share
settlement, and the total. With the exact backend and a year's data it
computes one year to the penny (the statement is assembled from its
result by `obcdsl.evaluate`); with the array backend and arrays of values
it computes every scenario at once (`obcdsl.vector`).

Rounding is part of the rules and the same in both: a part of an
indicator is rounded to the penny after its scaling factor; the
variance is split between the parties by largest remainder, so that the
two shares make the variance exactly.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Optional

import attrs

from . import ast
from . import diagnostics as d
from .activity import PATIENTS_COUNTED, ActivityPlan, ActivityResult, pays
from .data import ACTUAL_COST, Data, DataPoint
from .diagnostics import Diagnostic
from .expressions import (Achieved, Arithmetic, Compare, Const, Count, Extreme, Logic, Negated, Negation, Reached, Value, readable,
                          values_read)
from .lowering import Settled, places, StepRule
from .money import HUNDRED, ZERO
from .plan import DeductionPlan, GatePlan, LinePlan, Missing, PartPlan, YearPlan

ONE = Decimal(1)


# ---------------------------------------------------------------- inputs


class ExactInputs:
    """A year's values from its data; an absent one raises `Missing` with the diagnostic that says so."""

    def __init__(self, plan: YearPlan, data: Data):
        self.plan = plan
        self.data = data
        self.indicators = readable(plan.contract)  # indicators and measures, read alike
        self.patients_counted: Optional[Decimal] = None  # the patients in the year's patient costs, once counted

    def year_of(self, baseline: bool, previous: bool) -> Optional[int]:
        """The data's year for a value: None for the baseline, which is also last year's value in year 1."""
        if baseline or (previous and self.plan.year == 1):
            return None
        return self.plan.year - 1 if previous else self.plan.year

    def value(self, name: str, segment: Optional[str], baseline: bool, previous: bool = False) -> Decimal:
        point = self.data.lookup(name, self.year_of(baseline, previous), segment)
        if point is None:
            raise Missing(self.absent(name, segment, baseline, previous))
        indicator = self.indicators.get(name)
        if indicator is not None and indicator.unit is not None and indicator.unit.kind == "percent" and point.denominator is not None:
            return point.value * HUNDRED
        return point.value

    def present(self, name: str, segment: Optional[str], baseline: bool, previous: bool = False) -> bool:
        return self.data.lookup(name, self.year_of(baseline, previous), segment) is not None

    def absent(self, name: str, segment: Optional[str], baseline: bool, previous: bool = False) -> Diagnostic:
        indicator = self.indicators.get(name)
        where = f" in segment `{segment}`" if segment else ""
        span = indicator.name_span if indicator is not None else None
        clause = indicator.clause if indicator is not None else None
        year = self.year_of(baseline, previous)
        if year is None:
            last = ", last year's value in year 1" if previous else ""
            return d.error("OBC913", f"`{name}` has no baseline{where}{last}", span, clause=clause,
                           help=f"add a row `{name}, baseline, {segment or ''}, ...` to the data")
        if previous:
            return d.error("OBC910", f"`{name}` has no data for year {year}{where}, last year's value in year {self.plan.year}",
                           span, clause=clause, help=f"add a row `{name}, {year}, {segment or ''}, ...` to the data")
        return d.error("OBC910", f"`{name}` has no data for year {self.plan.year}{where}", span, clause=clause,
                       help=f"add a row `{name}, {self.plan.year}, {segment or ''}, ...` to the data, "
                            "or state `missing data counts as not achieved` in the contract")

    def actual_cost(self) -> Decimal:
        point = self.data.lookup(ACTUAL_COST, self.plan.year)
        if point is None:
            risk = self.plan.contract.risk_share
            raise Missing(d.error("OBC914", f"the data has no actual cost for year {self.plan.year}, which the risk share needs",
                                  risk.span if risk else None, help=f"add a row `actual cost, {self.plan.year}, , £...`",
                                  clause=risk.clause if risk else None))
        return point.value

    def patient_excess(self, stop: ast.StopLoss):
        """(patients over the threshold, their excess up to any limit) in the year."""
        if not self.data.has_patients:
            raise Missing(d.error("OBC914", "the per-patient stop-loss needs patient-level costs, and none were supplied", stop.span,
                                  help="give a patient cost file (columns `patient, year, cost`) with `--patients`", clause=stop.clause))
        found = self.data.patient_excess(self.plan.year, stop.threshold, stop.limit)
        return found.patients, found.excess

    def volume(self, plan: ActivityPlan) -> Decimal:
        """An activity item's volume in the year: its row in the data, or the patients in the patient costs."""
        item, year = plan.item, self.plan.year
        if item.per_patient:
            drawn = self.data.lookup(PATIENTS_COUNTED + item.name, year)
            if drawn is not None:
                return drawn.value
            if not self.data.has_patients or year not in self.data.patient_years():
                raise Missing(d.error("OBC920", f"`{item.name}` is paid per patient in the patient costs, and there are none "
                                                f"for year {year}", item.name_span, clause=item.clause,
                                      help="give a patient cost file (columns `patient, year, cost`) with `--patients`"))
            # each patient whose rows in the year come to more than nothing counts once, however many rows they have;
            # counted once for every item paid per patient (a file of millions of rows is read once, not once an item)
            if self.patients_counted is None:
                self.patients_counted = Decimal(self.data.patient_excess(year, ZERO, None).patients)
            return self.patients_counted
        point = self.data.lookup(item.name, year)
        if point is None:
            raise Missing(d.error("OBC920", f"the activity item `{item.name}` has no volume for year {year}", item.name_span,
                                  clause=item.clause, help=f"add a row `{item.name}, {year}, , ...` giving the volume"))
        return point.value


LAST_YEAR = "last year:"  # array baselines: `last year:name` (or `last year:name/segment`) is last year's value
STOP_LOSS_EXCESS = "stop-loss excess"  # array inputs: each scenario's patients' excess over the stop-loss, in pounds
STOP_LOSS_PENNIES = "stop-loss pennies"  # the same in whole pennies, exactly
STOP_LOSS_PATIENTS = "stop-loss patients"  # how many patients exceeded the threshold
DRAWN = (STOP_LOSS_EXCESS, STOP_LOSS_PENNIES, STOP_LOSS_PATIENTS)  # array inputs that are not data rows


@attrs.frozen
class DrawnExcess:
    """A scenario's stop-loss worked out from its drawn patients (`obcdsl.simulate`): stands for its patient costs."""

    year: int
    patients: int
    pennies: int
    threshold: Decimal
    limit: Optional[Decimal]

    @property
    def years(self) -> set[int]:
        return {self.year}

    def excess(self, year: int, threshold: Decimal, limit: Optional[Decimal]) -> DrawnExcess.Found:
        """(patients over the threshold, their excess in pounds), as `obcdsl.stop_loss.Excess`."""
        if (year, threshold, limit) != (self.year, self.threshold, self.limit):
            raise AssertionError("the stop-loss was drawn for another year or other terms")
        return DrawnExcess.Found(self.patients, Decimal(self.pennies) / 100)

    @attrs.frozen
    class Found:
        patients: int
        excess: Decimal


class ArrayInputs:
    """Arrays of values, one element a scenario: `name` or `name/segment`, and `actual cost`; one baseline each
    (a number, or an array when drawn), and last year's value as a baseline keyed `last year:name`."""

    def __init__(self, inputs: dict, baselines: Optional[dict], size: int, year: int = 2):
        import numpy as np

        self.np = np
        self.inputs = inputs
        self.baselines = baselines or {}
        self.size = size
        self.year = year

    def value(self, name: str, segment: Optional[str], baseline: bool, previous: bool = False):
        key = f"{name}/{segment}" if segment else name
        if previous and self.year > 1:  # in year 1, last year's value is the baseline
            key, name, baseline = LAST_YEAR + key, LAST_YEAR + name, True
        if baseline or previous:
            given = self.baselines.get(key, self.baselines.get(name, 0.0))
            return float(given) if self.np.ndim(given) == 0 else self.np.asarray(given, dtype=float)  # drawn: an array
        if key not in self.inputs:
            raise KeyError(f"no values for `{key}`")
        return self.np.asarray(self.inputs[key], dtype=float)

    def present(self, name: str, segment: Optional[str], baseline: bool, previous: bool = False) -> bool:
        return True

    def actual_cost(self):
        return self.np.asarray(self.inputs[ACTUAL_COST], dtype=float)

    def patient_excess(self, stop: ast.StopLoss):
        excess = self.inputs.get(STOP_LOSS_EXCESS)
        return None, (self.np.zeros(self.size) if excess is None else self.np.asarray(excess, dtype=float))

    def volume(self, plan: ActivityPlan):
        if plan.name not in self.inputs:
            raise KeyError(f"no volumes for `{plan.name}`")
        return self.np.asarray(self.inputs[plan.name], dtype=float)


# ---------------------------------------------------------------- results


@attrs.frozen
class PartResult:
    plan: PartPlan
    value: Any  # None when the data is missing and counts as not achieved
    baseline: Any
    index: Any  # highest band or target reached, -1 none; None for a sliding scale
    paid: Any


@attrs.frozen
class LineResult:
    plan: LinePlan
    parts: tuple[PartResult, ...]
    scale_points: Any  # the factor before its cap, in points; None without scaling; "missing"
    scale: Any  # the fraction applied
    failed_gate: Optional[GatePlan]  # exact: the first gateway that did not hold
    held: Any
    amount: Any
    most: Decimal
    achieved: Any
    on_top: Any = ZERO  # paid above what the rule pays at 100%, on top of the pot (`the excess paid on top of the pot`)


@attrs.frozen
class BonusResult:
    bonus: ast.Bonus
    allocation: Decimal
    holds: Any
    amount: Any


@attrs.frozen
class DeductionResult:
    """A deduction in the year: whether its condition held (sparing the core), and what was deducted."""

    plan: DeductionPlan
    holds: Any
    amount: Any


@attrs.frozen
class RiskResult:
    actual_cost: Any  # None for a stop-loss alone
    stop_loss: Any  # reimbursed by the commissioner
    stop_patients: Any
    stop_excess: Any
    variance: Any  # None for a stop-loss alone
    provider_share: Any
    commissioner_share: Any
    transfer: Any
    binds: Any
    steps: tuple = ()
    reference: Any = None  # what the variance is measured against: the budget, or the payments made
    sharing: Any = None  # exact: the sharing that applied (`lowering.Sharing`)


@attrs.frozen
class YearResult:
    plan: YearPlan
    lines: dict  # name → LineResult, in the plan's order
    bonuses: tuple[BonusResult, ...]
    outcomes_paid: Any
    bonus_paid: Any
    unearned: Any
    risk: Optional[RiskResult]
    total_to_provider: Any
    deductions: tuple[DeductionResult, ...] = ()
    deducted: Any = ZERO  # taken from the core for conditions not met
    top_up: Any = ZERO  # paid to bring the total up to `total payment at least ...`
    on_top: Any = ZERO  # of the outcome payments, paid on top of the pot by factors above 100%
    activity: tuple[ActivityResult, ...] = ()
    activity_paid: Any = ZERO  # paid for activity (`activity ... end`)

    @property
    def risk_to_provider(self):
        return (self.risk.transfer + self.risk.stop_loss) if self.risk is not None else 0


# ---------------------------------------------------------------- the interpreter


def run_year(plan: YearPlan, bk, inputs) -> YearResult:
    """Pay the year. With the exact backend, every problem in the data is raised at once as `Missing`."""
    return Run(plan, bk, inputs).year()


class Run:
    def __init__(self, plan: YearPlan, bk, inputs):
        self.plan = plan
        self.bk = bk
        self.inputs = inputs
        self.lines = {line.name: line for line in plan.lines}
        self.results: dict[str, LineResult] = {}
        self.computing: set[str] = set()

    # -- values and conditions

    def number(self, node, segment: Optional[str]):
        bk = self.bk
        if isinstance(node, Const):
            return bk.const(node.value)
        if isinstance(node, Value):
            return self.inputs.value(node.name, segment if node.by_segment else None, node.baseline, node.previous)
        if isinstance(node, Negated):
            return -self.number(node.operand, segment)
        if isinstance(node, Arithmetic):
            left, right = self.number(node.left, segment), self.number(node.right, segment)
            if node.operator == "/":
                if bk.exact and right == 0:
                    raise Missing(d.error("OBC915", "a division by zero", node.span, help="check the data of the indicators divided by"))
                if not bk.exact:
                    bk.refuse(right == 0)
            return bk.arithmetic(node.operator, left, right)
        if isinstance(node, Count):
            one, total = bk.const(ONE), bk.zeros()
            for condition in node.conditions:
                total = bk.arithmetic("+", total, bk.where(self.condition(condition), one, bk.zeros()))
            return total
        if isinstance(node, Extreme):
            values = [self.number(a, segment) for a in node.arguments]
            result = values[0]
            for value in values[1:]:
                result = bk.minimum(result, value) if node.function == "min" else bk.maximum(result, value)
            return result
        raise AssertionError(f"not a number: {node!r}")

    def number_all(self, node, segment: Optional[str]):
        """A value; with the exact backend, every absent input it reads is reported at once, each once."""
        if self.bk.exact:
            absent = []
            for value in values_read(node):
                seg = segment if value.by_segment else None
                if not self.inputs.present(value.name, seg, value.baseline, value.previous):
                    absent.append(self.inputs.absent(value.name, seg, value.baseline, value.previous))
            if absent:
                raise Missing(*absent)
        return self.number(node, segment)

    def condition(self, node):
        bk = self.bk
        if isinstance(node, Compare):
            return bk.compare(node.operator, self.number_all(node.left, None), self.number_all(node.right, None),
                              plain(node.left) and plain(node.right))
        if isinstance(node, Logic):
            left = self.condition(node.left)
            if bk.exact and (left if node.operator == "or" else not left):
                return left  # as written: `a and b` does not need b when a fails
            right = self.condition(node.right)
            return bk.both(left, right) if node.operator == "and" else bk.either(left, right)
        if isinstance(node, Negation):
            return bk.negate(self.condition(node.operand))
        if isinstance(node, Achieved):
            if not node.indicators:
                return bk.falses()
            result = bk.trues()
            for name in node.indicators:
                result = bk.both(result, self.achieved(name))
            return result
        if isinstance(node, Reached):
            return self.reached(node.indicator, node.band)
        raise AssertionError(f"not a condition: {node!r}")

    def achieved(self, name: str):
        if name not in self.lines:
            return self.bk.falses()
        return self.line(name).achieved

    def reached(self, name: str, band: str):
        bk = self.bk
        if name not in self.lines or not self.lines[name].linked:
            return bk.falses()
        result = bk.falses()
        for part in self.line(name).parts:
            if band not in part.plan.band_names or part.value is None:
                continue
            lowered = part.plan.lowered
            assert isinstance(lowered, StepRule)  # a part with band names has bands, which lower to steps
            cut = lowered.cuts[part.plan.band_names.index(band)]
            result = bk.either(result, cut.reached_by(bk, part.value, part.baseline, plain(part.plan.value),
                                                      part.plan.baseline is None or plain(part.plan.baseline)))
        return result

    # -- indicators

    def line(self, name: str) -> LineResult:
        if name not in self.results:
            if name in self.computing:
                line = self.lines[name]
                raise Missing(d.error("OBC915", f"whether `{name}` pays depends on whether it pays", line.indicator.name_span,
                                      help="a gateway or condition cannot wait on the indicator it guards"))
            self.computing.add(name)
            try:
                self.results[name] = self.compute_line(self.lines[name])
            finally:
                self.computing.discard(name)
        return self.results[name]

    def compute_line(self, line: LinePlan) -> LineResult:
        bk = self.bk
        zero = bk.zeros()
        if not line.linked:
            return LineResult(line, (), None, bk.const(ONE), None, bk.trues(), zero, ZERO, bk.falses(), zero)
        held, failed = bk.trues(), None
        for gate in line.gates:
            holds = self.gate_holds(gate)
            if bk.exact and not holds and failed is None:
                failed = gate
            held = bk.both(held, holds)
        points, scale = self.scale(line)
        on_top = line.scale is not None and line.scale.source.on_top
        parts = []
        amount = zero
        beyond = zero
        for part in line.parts:
            # a baseline is a term of the contract: missing, it is an error whatever the missing-data policy; last
            # year's value or a measure's is the year's data, as the value is
            term = part.baseline is not None and all(v.baseline for v in values_read(part.baseline))
            baseline = self.number_all(part.baseline, part.segment) if term else None
            try:
                value = self.number_all(part.value, part.segment)
                if part.baseline is not None and not term:
                    baseline = self.number_all(part.baseline, part.segment)
            except Missing:
                if line.missing != "not achieved":
                    raise
                parts.append(PartResult(part, None, baseline, -1, ZERO))
                continue
            reads = (plain(part.value), part.baseline is None or plain(part.baseline))
            if line.scale is None:  # the common case: whole steps, rounded exactly once
                paid, index = part.lowered.paid(bk, value, baseline, self.plan.rounding, *reads)
                paid = bk.where(held, paid, zero)
            else:  # a factor from the data: no grid for the amount
                raw, index = part.lowered.apply(bk, value, baseline, *reads)
                paid = bk.penny(bk.where(held, raw, zero) * scale, self.plan.rounding)
                if on_top:  # what a factor above 100% adds to the rule's own payment is paid beyond the pot
                    beyond = beyond + bk.maximum(paid - bk.penny(bk.where(held, raw, zero), self.plan.rounding), zero)
            parts.append(PartResult(part, value, baseline, index, paid))
            amount = amount + paid
        most = line.most
        reached = bk.minimum(amount, bk.const(most)) if on_top else amount  # above its most, an indicator is achieved
        achieved = bk.both(bk.same_money(reached, bk.const(most)), most > 0)
        return LineResult(line, tuple(parts), points, scale, failed, held, amount, most, achieved, beyond)

    def gate_holds(self, gate: GatePlan):
        try:
            return self.condition(gate.condition)
        except Missing:
            if self.bk.exact and gate.missing == "not achieved":
                return False
            raise

    def scale(self, line: LinePlan):
        bk = self.bk
        if line.scale is None:
            return None, bk.const(ONE)
        try:
            points = bk.finite(self.number_all(line.scale.factor, None))
        except Missing:
            if bk.exact and line.scale.missing == "not achieved":
                return "missing", ZERO
            raise
        capped = points if line.scale.cap is None else bk.minimum(points, bk.const(line.scale.cap))
        return points, bk.maximum(capped, bk.const(ZERO)) / bk.const(HUNDRED)

    # -- the year

    def year(self) -> YearResult:
        bk = self.bk
        problems: list[Diagnostic] = []
        for line in self.plan.lines:
            try:
                self.line(line.name)
            except Missing as exc:
                problems.extend(exc.diagnostics)
        bonuses = []
        for item in self.plan.bonuses:
            try:
                holds = self.condition(item.condition) if item.condition is not None else bk.trues()
            except Missing as exc:
                problems.extend(exc.diagnostics)
                continue
            bonuses.append(BonusResult(item.bonus, item.allocation, holds, bk.where(holds, bk.const(item.allocation), bk.zeros())))
        deductions = []
        for stated in self.plan.deductions:
            try:
                spared = self.gate_holds(stated.gate)
            except Missing as exc:
                problems.extend(exc.diagnostics)
                continue
            deductions.append(DeductionResult(stated, spared, bk.where(spared, bk.zeros(), bk.const(stated.amount))))
        activity = []
        for activity_item in self.plan.activity:
            try:
                volume = self.inputs.volume(activity_item) if activity_item.in_force else None
            except Missing as exc:
                problems.extend(exc.diagnostics)
                continue
            activity.append(ActivityResult(activity_item, volume, pays(bk, activity_item, volume, self.plan.rounding)))
        plan = self.plan
        outcomes_paid = bonus_paid = paid = None
        deducted = activity_paid = bk.zeros()
        if not problems:
            outcomes_paid = bk.zeros()
            for result in self.results.values():
                outcomes_paid = outcomes_paid + result.amount
            bonus_paid = bk.zeros()
            for bonus in bonuses:
                bonus_paid = bonus_paid + bonus.amount
            for deduction in deductions:
                deducted = deducted + deduction.amount
            activity_paid = bk.zeros()
            for paid_item in activity:
                activity_paid = activity_paid + paid_item.amount
            paid = bk.const(plan.core) - deducted + outcomes_paid + bonus_paid + bk.const(plan.reserve_paid) + activity_paid
        risk = None
        try:
            risk = self.settle(problems, paid)
        except Missing as exc:
            problems.extend(exc.diagnostics)
        if problems:
            raise Missing(*dict.fromkeys(problems))  # one value can be needed by several lines: report it once
        assert outcomes_paid is not None and bonus_paid is not None and paid is not None  # no problems: all were paid
        on_top = bk.zeros()
        for result in self.results.values():
            on_top = on_top + result.on_top
        unearned = bk.const(plan.pot) - (outcomes_paid - on_top) - bonus_paid
        total = paid
        if risk is not None:
            total = total + risk.transfer + risk.stop_loss
        top_up = bk.zeros()
        if plan.floor is not None:  # the shortfall is a whole number of pennies: on the penny grid, whatever the floats
            top_up = bk.maximum(bk.penny(bk.const(plan.floor) - total, "half up", 2), bk.zeros())
            total = total + top_up
        ordered = {line.name: self.results[line.name] for line in plan.lines}
        return YearResult(plan, ordered, tuple(bonuses), outcomes_paid, bonus_paid, unearned, risk, total,
                          tuple(deductions), deducted, top_up, on_top, tuple(activity), activity_paid)

    def settle(self, problems: list, paid=None) -> Optional[RiskResult]:
        """The stop-loss and the risk-share settlement; `paid` is what the year paid before it (a variance measured
        against the payments made reads it)."""
        bk, plan = self.bk, self.plan
        risk = plan.risk
        if risk is None:
            return None
        zero = bk.zeros()
        stop_total, patients, excess = zero, None, None
        if risk.stop_loss is not None:
            try:
                patients, excess = self.inputs.patient_excess(risk.stop_loss)
                coinsurance = (risk.stop_loss.coinsurance or ZERO) / HUNDRED
                stop_total = bk.penny(excess * bk.const(ONE - coinsurance), plan.rounding, 2 + places(ONE - coinsurance))
            except Missing as exc:
                problems.extend(exc.diagnostics)
        if not risk.shares_variance:
            return RiskResult(None, stop_total, patients, excess, None, zero, zero, zero, bk.falses())
        gains, losses = risk.gains, risk.losses
        assert gains is not None and losses is not None  # plan.risk_plan lowers the two sides together
        actual = bk.penny(self.inputs.actual_cost(), plan.rounding)
        if risk.reference == "payments":  # what was paid before the settlement (Run.year); zero while problems remain
            reference = paid if paid is not None else bk.zeros()
        else:  # the budget the provider spends: less any carve-outs, which are paid to others
            reference = bk.const(plan.cost_budget)
        variance = actual - stop_total - reference
        loss = bk.compare(">", variance, zero)
        magnitude = bk.where(loss, variance, -variance)
        if bk.exact:
            side = "losses" if loss else "gains"
            sharing = self.sharing(side)
            settled = sharing.settle(bk, magnitude, self.limit_values(sharing))
        else:
            sharing = None
            on_losses, on_gains = self.settle_side("losses", magnitude), self.settle_side("gains", magnitude)
            settled = Settled(bk.where(loss, on_losses.provider, on_gains.provider),
                              bk.where(loss, on_losses.commissioner, on_gains.commissioner),
                              bk.where(loss, on_losses.binds, on_gains.binds))
        # the variance is a total split in two, by largest remainder with a tie to the provider (`money.split`):
        # for two parts that is the provider's share rounded half up, whatever the contract's rounding rule
        grid = max(s.grid for side in ("gains", "losses") for s in risk.sharings(side))  # the exact parts' decimal places
        provider_share = bk.penny(settled.provider, "half up", grid)
        commissioner_share = magnitude - provider_share
        # the commissioner pays its share of a loss and is returned its share of a gain (never -0.00)
        transfer = bk.where(loss, commissioner_share, -commissioner_share + bk.const(ZERO))
        return RiskResult(actual, stop_total, patients, excess, variance, provider_share, commissioner_share, transfer,
                          settled.binds, settled.steps, reference, sharing)

    def sharing(self, side: str):
        """The exact backend's sharing for the side: the first `when` table whose condition holds, else the plain one."""
        risk = self.plan.risk
        assert risk is not None and risk.gains is not None and risk.losses is not None
        for condition, sharing in (risk.gains_when if side == "gains" else risk.losses_when):
            if self.condition(condition):
                return sharing
        return risk.gains if side == "gains" else risk.losses

    def settle_side(self, side: str, magnitude) -> Settled:
        """The array backend's settlement of one side: each table's, the first whose condition holds chosen."""
        bk, risk = self.bk, self.plan.risk
        assert risk is not None
        plain = risk.gains if side == "gains" else risk.losses
        assert plain is not None
        result = plain.settle(bk, magnitude, self.limit_values(plain))
        for condition, sharing in reversed(risk.gains_when if side == "gains" else risk.losses_when):
            holds = self.condition(condition)
            settled = sharing.settle(bk, magnitude, self.limit_values(sharing))
            result = Settled(bk.where(holds, settled.provider, result.provider),
                             bk.where(holds, settled.commissioner, result.commissioner),
                             bk.where(holds, settled.binds, result.binds))
        return result

    def limit_values(self, sharing) -> Optional[list]:
        """Each limit's value in the year: a cap of `5% of provider_revenue` reads the measure (rounded to the penny)."""
        if not any(limit.measured for limit in sharing.limits):
            return None
        bk = self.bk
        values = []
        for limit in sharing.limits:
            value = bk.const(limit.value) if limit.value is not None else None
            for share, measure in limit.measured:
                amount = bk.penny(self.number_all(measure, None) * bk.const(share / HUNDRED), self.plan.rounding,
                                  2 + places(share / HUNDRED))
                value = amount if value is None else (bk.minimum(value, amount) if limit.combine == "lesser"
                                                      else bk.maximum(value, amount))
            values.append(value)
        return values


def plain(node) -> bool:
    """A value read or written as it stands, not computed: equal floats of two such are equal decimals."""
    return isinstance(node, (Value, Const))


def scenario_data(plan: YearPlan, inputs: dict, baselines: Optional[dict], index: int) -> Data:
    """One scenario of array inputs as a year's data: each float as the shortest decimal that reads back as it.

    An `actual population` or `actual population/segment` input is the population row; a drawn stop-loss
    (`stop-loss pennies` and `stop-loss patients`) stands for the scenario's patient costs (none over the
    threshold when nothing was drawn).
    """
    points = []
    counted = {item.name for item in plan.activity if item.item.per_patient}
    for key, values in inputs.items():
        if key in DRAWN:
            continue
        if key in counted:  # a drawn count of patients stands for the patient costs
            points.append(DataPoint(PATIENTS_COUNTED + key, plan.year, None, Decimal(repr(float(values[index])))))
            continue
        name, _, segment = key.partition("/")
        points.append(DataPoint(name, plan.year, segment or None, Decimal(repr(float(values[index])))))
    for key, value in (baselines or {}).items():
        previous = key.startswith(LAST_YEAR)
        if previous and plan.year == 1:  # last year's value in year 1 is the baseline
            continue
        name, _, segment = key.removeprefix(LAST_YEAR).partition("/")
        value = value if getattr(value, "ndim", 0) == 0 else value[index]
        points.append(DataPoint(name, plan.year - 1 if previous else None, segment or None, Decimal(repr(float(value)))))
    patients: Any = ()
    stop = plan.risk.stop_loss if plan.risk is not None else None
    if stop is not None:  # without drawn patients, none exceeds the threshold, as `ArrayInputs.patient_excess` has it
        drawn = STOP_LOSS_PENNIES in inputs
        patients = DrawnExcess(plan.year, int(inputs[STOP_LOSS_PATIENTS][index]) if drawn else 0,
                               int(inputs[STOP_LOSS_PENNIES][index]) if drawn else 0, stop.threshold, stop.limit)
    return Data(tuple(points), patients)
