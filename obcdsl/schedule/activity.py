"""The schedule's part on activity payment: a paragraph for each item, read as the contract states it, and a table
of each item's terms and its most in each year."""

from __future__ import annotations

from decimal import Decimal
from typing import Optional

from .. import ast
from ..activity import ActivityPlan
from ..activity_statement import rule_name, volume_text
from ..money import percent_text, pounds, to_penny
from ..plan import YearPlan
from .document import Block, Numbers, Paragraph, Section, Table, years_words


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
        text += f" This applies in {years_words(item.first_year, item.last_year, term_last)} only."
    return text


def most_words(plan: ActivityPlan, rounding: str) -> str:
    if not plan.in_force:
        return "–"
    most: Optional[Decimal] = plan.most
    return "no limit" if most is None else pounds(to_penny(most, rounding))


def activity_section(contract: ast.Contract, plans: tuple[YearPlan, ...], term_last: int, year_label) -> Section:
    """`activity ... end` in the schedule: each item's paragraph, then the most each can pay in each year."""
    activity = contract.activity
    assert activity is not None
    numbers = Numbers(activity.clause or "E")
    blocks: list[Block] = [Paragraph(numbers(activity.clause), "The provider is paid for the activity below, beside the core "
                                                               "payment, for the volume in each contract year, each item "
                                                               "rounded to the penny.", "Activity payment")]
    for item in activity.items:
        blocks.append(Paragraph(numbers(item.clause), item_words(item, term_last), item.title))
    rows = tuple((item.clause or activity.clause or "", item.title, rule_name(plan),
                  pounds(item.price) + (f" per {item.unit}" if item.unit else "") if item.price is not None else "–",
                  volume_text(item.plan) if item.plan is not None else "–",
                  *(most_words(next(p for p in year.activity if p.name == item.name), year.rounding) for year in plans))
                 for item, plan in zip(activity.items, plans[0].activity))
    header = ("Clause", "Item", "Form", "Price", "Plan", *(f"Most in {year_label(p.year).lower()}" for p in plans))
    blocks.append(Table("Activity items and the most each can pay", header, rows, "activity"))
    return Section("Part", "Activity payment", tuple(blocks))
