"""Exact money: Decimal arithmetic, rounding to the penny, and splitting totals.

Amounts are `Decimal` pounds, computed under a context that refuses floats.
A single amount is rounded to the penny by the contract's rounding rule; a
total divided into parts is split by largest remainder, so that the parts,
each within a penny of its exact share, always add up to the total.
"""

from __future__ import annotations

import decimal
from decimal import Decimal
from typing import Sequence

PENNY = Decimal("0.01")
ZERO = Decimal(0)
HUNDRED = Decimal(100)

ROUNDING = {
    "half up": decimal.ROUND_HALF_UP,
    "half even": decimal.ROUND_HALF_EVEN,
    "half down": decimal.ROUND_HALF_DOWN,
    "down": decimal.ROUND_DOWN,
    "up": decimal.ROUND_UP,
}
DEFAULT_ROUNDING = "half up"


def exact_context() -> decimal.Context:
    """Enough precision for any contract's sums; mixing in a float is an error."""
    context = decimal.Context(prec=50, rounding=decimal.ROUND_HALF_EVEN)
    context.traps[decimal.FloatOperation] = True
    context.traps[decimal.InvalidOperation] = True
    context.traps[decimal.DivisionByZero] = True
    return context


def to_penny(amount: Decimal, rule: str | None = None) -> Decimal:
    """Round one amount to the penny by a rounding rule (default: half up)."""
    return amount.quantize(PENNY, rounding=ROUNDING[rule or DEFAULT_ROUNDING])


def split(total: Decimal, exact_parts: Sequence[Decimal]) -> list[Decimal]:
    """Round parts to pennies so that they add up exactly to `total` (itself in pennies).

    Each part is first rounded towards zero; the pennies left over go one
    each to the parts with the largest remainders, ties to the earlier part.
    The exact parts must add up to `total`.
    """
    if not exact_parts:
        return []
    floors = [p.quantize(PENNY, rounding=decimal.ROUND_FLOOR) for p in exact_parts]
    left = int(((total - sum(floors, ZERO)) / PENNY).to_integral_value())
    order = sorted(range(len(exact_parts)), key=lambda i: (-(exact_parts[i] - floors[i]), i))
    result = list(floors)
    if left >= 0:
        for i in order[:left]:
            result[i] += PENNY
    else:
        for i in sorted(range(len(exact_parts)), key=lambda i: (exact_parts[i] - floors[i], i))[: -left]:
            result[i] -= PENNY
    return result


def pounds(amount: Decimal) -> str:
    """`£1,050,000.00`; negative amounts as `-£1,050.00`."""
    sign = "-" if amount < 0 else ""
    return f"{sign}£{abs(amount):,.2f}"


def short_pounds(amount: Decimal) -> str:
    """`£420,000` when whole, else `£420,000.50`."""
    if amount == amount.to_integral_value():
        sign = "-" if amount < 0 else ""
        return f"{sign}£{abs(amount):,.0f}"
    return pounds(amount)


def percent_text(points: Decimal) -> str:
    """`87.2%` from 87.2."""
    text = f"{points.normalize():f}" if points != points.to_integral_value() else f"{points.to_integral_value():f}"
    return f"{text}%"


def json_money(amount: Decimal) -> str:
    """Money in JSON: a decimal string in pounds with two places, `"1050000.00"`."""
    return f"{amount.quantize(PENNY) + ZERO:f}"  # + ZERO: never "-0.00"
