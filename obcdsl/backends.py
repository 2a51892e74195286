"""The two backends every payment rule is written against: exact and array.

A rule (a band, a sliding scale, a risk-share band, a cap) is written once,
in terms of the few operations below. The exact backend computes one year
in `Decimal` and records each step it takes, so that the statement can say
why; the array backend computes many scenarios at once with NumPy floats.

Floats can only disagree with the exact result where a comparison is a
near tie or an amount sits within a hair of half a penny. The array backend
notes every scenario where that happens (`doubtful`), and the array
evaluator settles those scenarios again with the exact backend, so the two
agree to the penny by construction, not only in tests.
"""

from __future__ import annotations

import operator
from decimal import Decimal
from typing import Any, Optional

from .money import to_penny

ZERO = Decimal(0)

COMPARE = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt, "=": operator.eq, "!=": operator.ne}
ARITHMETIC = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}


class Exact:
    """One scenario in `Decimal`; conditions are `bool`."""

    exact = True

    def const(self, value: Decimal) -> Decimal:
        return value

    def zeros(self) -> Decimal:
        return ZERO

    def falses(self) -> bool:
        return False

    def trues(self) -> bool:
        return True

    def arithmetic(self, op: str, left: Decimal, right: Decimal) -> Decimal:
        return ARITHMETIC[op](left, right)

    def divide(self, left: Decimal, right: Decimal, otherwise: Decimal) -> Decimal:
        return otherwise if right == 0 else left / right

    def compare(self, op: str, left: Decimal, right: Decimal, plain: bool = True) -> bool:
        return COMPARE[op](left, right)

    def where(self, condition: bool, yes, no):
        return yes if condition else no

    def minimum(self, left, right):
        return min(left, right)

    def maximum(self, left, right):
        return max(left, right)

    def both(self, left: bool, right: bool) -> bool:
        return left and right

    def either(self, left: bool, right: bool) -> bool:
        return left or right

    def negate(self, value: bool) -> bool:
        return not value

    def penny(self, amount: Decimal, rounding: Optional[str], grid: Optional[int] = None) -> Decimal:
        return to_penny(amount, rounding)

    def same_money(self, left: Decimal, right: Decimal) -> bool:
        return left == right

    def finite(self, value: Decimal) -> Decimal:
        return value

    def doubt(self, mask) -> None:
        """Exact arithmetic has nothing to doubt."""

    def refuse(self, mask) -> None:
        """The exact interpreter raises instead."""

    def index(self, value: int):
        return value

    def take(self, index, amounts: tuple[Decimal, ...]) -> Decimal:
        return amounts[index] if index >= 0 else ZERO


class Array:
    """Many scenarios at once in float64; conditions are bool arrays. Notes the scenarios floats cannot settle."""

    exact = False
    TOLERANCE = 1e-13  # relative: a few hundred times float64's rounding error, far below a penny on £10^12

    def __init__(self, size: int, scale: float = 0.0):
        """`scale`: the largest sum of money the year works with (its budget, say): float error grows with it."""
        import numpy as np

        self.np = np
        self.size = size
        self.scale = abs(scale)
        self.doubtful = np.zeros(size, dtype=bool)
        self.unpayable = np.zeros(size, dtype=bool)  # a division by zero: the exact evaluator would refuse the data

    def const(self, value: Decimal) -> Any:
        return float(value)

    def zeros(self) -> Any:
        return self.np.zeros(self.size)

    def falses(self) -> Any:
        return self.np.zeros(self.size, dtype=bool)

    def trues(self) -> Any:
        return self.np.ones(self.size, dtype=bool)

    def arithmetic(self, op: str, left, right):
        with self.np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return ARITHMETIC[op](left, right)

    def divide(self, left, right, otherwise):
        np = self.np
        zero = right == 0
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(zero, otherwise, left / np.where(zero, 1.0, right))

    def doubt(self, mask) -> None:
        self.doubtful |= self.np.broadcast_to(mask, (self.size,))

    def refuse(self, mask) -> None:
        self.unpayable |= self.np.broadcast_to(mask, (self.size,))

    def compare(self, op: str, left, right, plain: bool = True):
        """`plain`: both sides are values as read or written (never computed), so equal floats mean equal decimals."""
        np = self.np
        left, right = np.asarray(left, dtype=float), np.asarray(right, dtype=float)
        gap = np.abs(left - right)
        scale = np.maximum(max(1.0, self.scale), np.maximum(np.abs(left), np.abs(right)))
        near = gap <= self.TOLERANCE * scale
        if plain:
            near &= gap != 0  # two decimals of up to 15 digits are equal exactly when their floats are
        self.doubt(near | ~np.isfinite(gap))
        return COMPARE[op](left, right)

    def where(self, condition, yes, no):
        return self.np.where(condition, yes, no)

    def minimum(self, left, right):
        return self.np.minimum(left, right)

    def maximum(self, left, right):
        return self.np.maximum(left, right)

    def both(self, left, right):
        return self.np.logical_and(left, right)

    def either(self, left, right):
        return self.np.logical_or(left, right)

    def negate(self, value):
        return self.np.logical_not(value)

    def penny(self, amount, rounding: Optional[str], grid: Optional[int] = None):
        """Round to the penny by the contract's rule; a value the float cannot place on either side of the edge is doubtful.

        `grid`, when known, is how many decimal places of a pound the exact amount has (pennies times shares
        written with a few decimals): a float within float error of that grid is taken to be on it, so that an
        exact half penny is seen as one. Without a grid (an amount that went through a division, or data), a
        float on or a hair from the edge is settled exactly.
        """
        np = self.np
        pennies = np.asarray(amount, dtype=float) * 100.0
        # float error in an amount grows with the sums it was computed from (a variance is cost less budget)
        tolerance = self.TOLERANCE * np.maximum(max(1.0, 100.0 * self.scale), np.abs(pennies))
        snapped = np.zeros(pennies.shape, dtype=bool)
        if grid is not None:
            steps = 10.0 ** max(grid - 2, 0)  # grid points a penny: a whole power of ten, so dividing by it is exact
            with np.errstate(invalid="ignore", over="ignore"):
                point = np.rint(pennies * steps) / steps
                # sound only where two grid points lie further apart than twice the error, so the nearest is the one
                snapped = (1.0 / steps > 4 * tolerance) & (np.abs(pennies - point) <= tolerance)
            pennies = np.where(snapped, point, pennies)
        rule = rounding or "half up"
        if rule.startswith("half"):
            edge = np.abs(pennies - np.trunc(pennies)) - 0.5
        else:
            edge = pennies - np.rint(pennies)
        near = np.abs(edge) <= tolerance
        if not rule.startswith("half"):
            near &= edge != 0  # whole pennies round to themselves under `down` and `up`, whatever side they came from
        self.doubt((near & ~snapped) | ~np.isfinite(pennies))
        if rule == "half even":
            whole = np.rint(pennies)
        elif rule == "half down":
            whole = np.sign(pennies) * np.ceil(np.abs(pennies) - 0.5)
        elif rule == "down":
            whole = np.trunc(pennies)
        elif rule == "up":
            whole = np.sign(pennies) * np.ceil(np.abs(pennies))
        else:  # half up: halves away from zero, as Decimal's ROUND_HALF_UP
            whole = np.sign(pennies) * np.floor(np.abs(pennies) + 0.5)
        return whole / 100.0

    def same_money(self, left, right):
        """Two amounts already in pennies: any difference is a penny or more, or float noise."""
        return self.np.abs(left - right) < 0.005

    def finite(self, value):
        return self.np.nan_to_num(value, nan=0.0, posinf=0.0, neginf=0.0)

    def index(self, value: int):
        return self.np.full(self.size, value, dtype=self.np.int64)

    def take(self, index, amounts: tuple[Decimal, ...]):
        table = self.np.array([0.0] + [float(a) for a in amounts])
        return table.take(self.np.asarray(index) + 1)
