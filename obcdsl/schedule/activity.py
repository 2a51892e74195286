"""The words of the schedule's part on activity payment (`obcdsl.schedule.document` lays it out): each item as the
contract states it, and a row of each item's terms and its most in each year."""

from __future__ import annotations

from decimal import Decimal
from typing import Optional

from .. import ast
from ..activity import ActivityPlan
from ..activity_statement import rule_name, volume_text
from ..money import percent_text, pounds, to_penny
from ..plan import YearPlan


def item_words(item: ast.ActivityItem, term_last: int) -> str:
    """`Paid at £150.00 per attendance against a plan of 40,000; activity above 105% of plan ...`."""
    unit = item.unit or "unit"
    plan = f" against a plan of {volume_text(item.plan)}" if item.plan is not None else ""
    parts = []
    if item.block is not None:
        parts.append(f"A block of {pounds(item.block)} for the year{plan}")
        if item.block_collar is not None:
            parts.append(f"less {pounds(item.price or Decimal(0))} for each {unit} below {percent_text(item.block_collar)} "
                         "of plan, never below nothing")
    else:
        counted = (", for each patient whose costs in the year come to more than nothing in the patient costs, however many "
                   "rows they have") if item.per_patient else ""
        parts.append(f"Paid at {pounds(item.price or Decimal(0))} per {unit}{plan}{counted}")
    if item.threshold is not None and item.rate is not None:
        parts.append(f"activity above {percent_text(item.threshold)} of plan is paid at {percent_text(item.rate)} of the price")
    if item.ceiling is not None:
        parts.append(f"nothing is paid above {percent_text(item.ceiling)} of plan")
    if item.collar is not None:
        parts.append(f"the provider is paid for at least {percent_text(item.collar)} of plan whatever the volume")
    text = "; ".join(parts) + "."
    if item.phase is not None:
        text += f" This applies in phase {item.phase.replace('_', ' ')} only."
    elif item.first_year is not None:
        text += f" This applies in {span_words(item.first_year, item.last_year, term_last)} only."
    return text


def most_words(plan: ActivityPlan, rounding: str) -> str:
    if not plan.in_force:
        return "–"
    most: Optional[Decimal] = plan.most
    return "no limit" if most is None else pounds(to_penny(most, rounding))


def span_words(first: int, last: Optional[int], term_last: int) -> str:
    """`year 2`, `years 1 to 2`, `years 3 to 5` (to the end of the term)."""
    end = last if last is not None else term_last
    return f"year {first}" if first == end else f"years {first} to {end}"


HEADER = ("Clause", "Item", "Form", "Price", "Plan")


def rows(contract: ast.Contract, plans: tuple[YearPlan, ...]) -> tuple[tuple[str, ...], ...]:
    """A row for each item: its clause, title, form, price and plan, then the most it can pay in each year."""
    activity = contract.activity
    assert activity is not None
    found = []
    for item, first in zip(activity.items, plans[0].activity):
        price = pounds(item.price) + (f" per {item.unit}" if item.unit else "") if item.price is not None else "–"
        mosts = tuple(most_words(next(p for p in year.activity if p.name == item.name), year.rounding) for year in plans)
        found.append((item.clause or activity.clause or "", item.title, rule_name(first), price,
                      volume_text(item.plan) if item.plan is not None else "–", *mosts))
    return tuple(found)
