"""Activity payment: items paid by volume, planned once for the year and paid by one rule for either backend.

An item states a price and how its volume is paid (`docs/language.md`, "Activity"):

    item ae_attendances "A&E attendances" clause 7.1
      price £150 per attendance
      plan 40,000
      above 105% of plan paid at 50% of price
      nothing paid above 120% of plan
      paid for at least 90% of plan
    end

With the plan volume P, the collar C, the threshold T and the ceiling U (each
its percentage of P), the price p and the marginal rate r, a volume v pays

    base     = p × max(min(v, T), C)       (T: the threshold, else the ceiling, else v itself)
             or, for a block B: B − p × max(C − v, 0), never below nothing
    marginal = p × r × (min(v, U) − T)     for v above T (U: the ceiling, else v itself)

rounded once to the penny by the contract's rule. Every piece is continuous in
the volume, so floats and decimals can differ only in the rounding, which the
array backend doubts and the exact backend settles (`obcdsl.backends`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Optional

import attrs

from . import ast
from .money import HUNDRED, ZERO, to_penny

BANDS = ("below collar", "within plan", "marginal", "above ceiling")
PATIENTS_COUNTED = "patients counted:"  # a scenario's drawn patient count for an item counted per patient (simulation)


@attrs.frozen
class ActivityPlan:
    """An activity item in the year: its terms as volumes (the plan's percentages worked out exactly)."""

    item: ast.ActivityItem
    in_force: bool
    price: Decimal
    collar: Optional[Decimal]  # volumes: C, T, U
    threshold: Optional[Decimal]
    ceiling: Optional[Decimal]
    rate: Decimal  # the marginal rate as a fraction of the price
    block: Optional[Decimal]

    @property
    def name(self) -> str:
        return self.item.name

    @property
    def most(self) -> Optional[Decimal]:
        """The most the item can pay in the year, to the penny before rounding; None without a limit."""
        if not self.in_force:
            return ZERO
        marginal = ZERO
        if self.threshold is not None and self.rate > 0:
            if self.ceiling is None:
                return None
            marginal = self.price * self.rate * max(self.ceiling - self.threshold, ZERO)
        if self.block is not None:
            return self.block + marginal
        full = self.threshold if self.threshold is not None else self.ceiling
        if full is None:
            return None if self.price > 0 else ZERO
        return self.price * max(full, self.collar or ZERO) + marginal

    @property
    def least(self) -> Decimal:
        """The least the item pays: at a volume of nothing."""
        if not self.in_force:
            return ZERO
        if self.block is not None:
            return max(self.block - self.price * (self.collar or ZERO), ZERO)
        return self.price * (self.collar or ZERO)


def activity_plans(contract: ast.Contract, year: int) -> tuple[ActivityPlan, ...]:
    """Each activity item of the contract in the year."""
    return tuple(item_plan(item, year, contract.phases) for item in contract.all_activity)


def share_of_plan(item: ast.ActivityItem, percent: Optional[Decimal]) -> Optional[Decimal]:
    if percent is None:
        return None
    # a percentage of a plan the item does not state is refused (OBC621)
    assert item.plan is not None, f"`{item.name}` states a share of a plan it does not have"
    return item.plan * percent / HUNDRED


def item_plan(item: ast.ActivityItem, year: int, phases: tuple[ast.Phase, ...] = ()) -> ActivityPlan:
    collar = item.block_collar if item.block is not None else item.collar
    return ActivityPlan(item, item.in_force(year, phases), item.price if item.price is not None else ZERO,
                        share_of_plan(item, collar), share_of_plan(item, item.threshold), share_of_plan(item, item.ceiling),
                        (item.rate if item.rate is not None else ZERO) / HUNDRED, item.block)


def pays(bk, plan: ActivityPlan, volume, rounding: str):
    """What the item pays for a volume, to the penny: the one definition every evaluator reads."""
    if not plan.in_force:
        return bk.zeros()
    price = bk.const(plan.price)
    zero = bk.zeros()
    if plan.block is not None:
        short = bk.maximum(bk.const(plan.collar) - volume, zero) if plan.collar is not None else zero
        base = bk.maximum(bk.const(plan.block) - price * short, zero)
    else:
        full = plan.threshold if plan.threshold is not None else plan.ceiling
        counted = bk.minimum(volume, bk.const(full)) if full is not None else volume
        if plan.collar is not None:
            counted = bk.maximum(counted, bk.const(plan.collar))
        base = price * counted
    amount = base
    if plan.threshold is not None:
        top = bk.minimum(volume, bk.const(plan.ceiling)) if plan.ceiling is not None else volume
        amount = base + price * bk.const(plan.rate) * bk.maximum(top - bk.const(plan.threshold), zero)
    return bk.penny(amount, rounding)


def band(plan: ActivityPlan, volume: Decimal) -> Optional[str]:
    """Where the volume stands against the plan: on a collar, threshold or ceiling it is within the lower band."""
    if plan.collar is None and plan.threshold is None and plan.ceiling is None:
        return None
    if plan.collar is not None and volume < plan.collar:
        return "below collar"
    if plan.ceiling is not None and volume > plan.ceiling:
        return "above ceiling"
    if plan.threshold is not None and volume > plan.threshold:
        return "marginal"
    return "within plan"


@attrs.frozen
class ActivityResult:
    """An item paid in the year: its volume (None when not in force) and what it pays."""

    plan: ActivityPlan
    volume: Any
    amount: Any


def exact_most(plan: ActivityPlan, rounding: str) -> Optional[Decimal]:
    most = plan.most
    return None if most is None else to_penny(most, rounding)


def volume_problem(item: ast.ActivityItem, point, last_year: int, phases: tuple[ast.Phase, ...] = ()) -> Optional[tuple[str, str, str, str]]:
    """What is wrong with a row giving an activity item's volume: (code, column, message, help), or None."""
    from .data import Written

    year = point.year
    if year is None:
        return ("OBC923", "year", f"`{item.name}` is an activity item, which has no baseline",
                "give its volume for a contract year")
    if year > last_year:
        return None  # outside the term: refused as any row is (OBC909)
    if point.segment is not None:
        return ("OBC923", "segment", f"the activity item `{item.name}` is paid for the whole contract, not by segment",
                "leave the segment empty")
    if item.per_patient:
        return ("OBC924", "measure", f"`{item.name}` is counted per patient in the patient costs, not given as a volume",
                "remove the row; its volume is the number of patients in the patient cost file for the year")
    if not item.in_force(year, phases):
        return ("OBC924", "year", f"the activity item `{item.name}` is not in force in year {year}",
                "remove the row, or change the years the contract states for the item")
    if point.written in (Written.PERCENT_SIGN, Written.PERCENT_CELL, Written.FRACTION):
        return ("OBC922", "value", f"the volume of `{item.name}` is a count, not a percentage or a rate",
                "write the number of units of activity, such as `42,000`")
    if point.value < 0:
        return ("OBC921", "value", f"the volume of `{item.name}` is negative", "a volume counts units of activity: 0 or more")
    if point.value != point.value.to_integral_value():
        return ("OBC922", "value", f"the volume of `{item.name}` is `{point.value.normalize():f}`, not a whole number",
                "a volume counts units of activity (attendances, episodes, patients): give a whole number")
    if item.price is not None and item.price * point.value >= LARGEST:
        return ("OBC925", "value", f"{point.value.normalize():,f} units of `{item.name}` at {item.price.normalize():,f} "
                                   f"pounds each come to more than £{LARGEST - 1:,}, more than obcdsl pays exactly",
                "is the volume right? give the number of units, such as `42,000`")
    return None


LARGEST = Decimal(10) ** 15  # the limit of a budget too (`plan.MAX_BUDGET`, OBC605): far beyond any contract
