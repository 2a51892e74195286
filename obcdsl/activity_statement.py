"""The statement's activity lines: each item's price, volume, the band the volume reached, and what it paid, with the clause."""

from __future__ import annotations

from decimal import Decimal
from typing import Optional

from .activity import ActivityPlan, ActivityResult, band
from .money import ZERO, percent_text, pounds
from .statement import Line


def volume_text(volume: Decimal) -> str:
    """`42,000`, `1,250.5`."""
    whole = volume == volume.to_integral_value()
    return f"{volume.to_integral_value():,f}" if whole else f"{volume.normalize():,f}"


def units(plan: ActivityPlan, volume: Decimal) -> str:
    """`42,000 attendances`: the volume and the item's unit (`price £150 per attendance`)."""
    unit = plan.item.unit
    if unit is None:
        return volume_text(volume)
    return f"{volume_text(volume)} {unit}{'' if volume == 1 or unit.endswith('s') else 's'}"


def years_words(plan: ActivityPlan) -> str:
    item = plan.item
    if item.phase is not None:
        return f"in phase {item.phase}"
    if item.last_year is None:
        return f"from year {item.first_year}"
    if item.first_year == item.last_year:
        return f"in year {item.first_year}"
    return f"in years {item.first_year or 1} to {item.last_year}"


def activity_lines(result) -> list[Line]:
    """A line for each activity item of the year (`YearResult.activity`)."""
    return [activity_line(paid, result.plan.year) for paid in result.activity]


def activity_line(paid: ActivityResult, year: int) -> Line:
    plan = paid.plan
    item = plan.item
    clause = f" (clause {item.clause})" if item.clause else ""
    if not plan.in_force:
        words = f"{item.title}: not in force in year {year} ({years_words(plan)}) → nothing paid{clause}"
        return Line("activity", item.name, item.title, ZERO, words, item.clause, rule=rule_name(plan),
                    inputs={"in_force": False})
    volume: Decimal = paid.volume
    reached = band(plan, volume)
    counted = " in the patient costs" if item.per_patient else ""
    facts: dict = {"volume": volume, "price": plan.price}
    if item.unit is not None:
        facts["unit"] = item.unit
    if item.plan is not None:
        facts["plan"] = item.plan
    for key, value in (("collar", plan.collar), ("threshold", plan.threshold), ("ceiling", plan.ceiling)):
        if value is not None:
            facts[key] = value
    if reached is not None:
        facts["band"] = reached
    if plan.block is not None:
        facts["block"] = plan.block
    against = f" against a plan of {volume_text(item.plan)}" if item.plan is not None else ""
    stand = f" ({reached})" if reached is not None else ""
    words = f"{item.title}: {units(plan, volume)}{counted}{against}{stand}: " + "; ".join(pieces(plan, volume))
    words += f" → {pounds(paid.amount)}{clause}"
    return Line("activity", item.name, item.title, paid.amount, words, item.clause, rule=rule_name(plan), inputs=facts)


def rule_name(plan: ActivityPlan) -> str:
    """`block`, `cost and volume`, `per patient`, `fee for service`: the line's `rule` in JSON."""
    if plan.block is not None:
        return "block"
    if plan.item.per_patient:
        return "per patient"
    if plan.collar is not None or plan.threshold is not None or plan.ceiling is not None:
        return "cost and volume"
    return "fee for service"


def pieces(plan: ActivityPlan, volume: Decimal) -> list[str]:
    """How the amount is made up, in the order the rule adds it (`obcdsl.activity.pays`)."""
    price = pounds(plan.price)
    unit = plan.item.unit or "unit"
    found = []
    if plan.block is not None:
        found.append(f"block {pounds(plan.block)}")
        if plan.collar is not None and volume < plan.collar:
            short = plan.collar - volume
            found.append(f"less {price} for each of the {volume_text(short)} below the collar of "
                         f"{volume_text(plan.collar)} ({pounds(plan.price * short)}, never below nothing)")
    else:
        full = plan.threshold if plan.threshold is not None else plan.ceiling
        counted = min(volume, full) if full is not None else volume
        if plan.collar is not None and counted < plan.collar:
            found.append(f"paid for the collar of {volume_text(plan.collar)} at {price} per {unit} = "
                         f"{pounds(plan.price * plan.collar)}")
        else:
            found.append(f"{volume_text(counted)} at {price} per {unit} = {pounds(plan.price * counted)}")
    if plan.threshold is not None:
        top: Optional[Decimal] = min(volume, plan.ceiling) if plan.ceiling is not None else volume
        assert top is not None
        beyond = max(top - plan.threshold, ZERO)
        rate = percent_text((plan.rate * 100).normalize())
        found.append(f"{volume_text(beyond)} above the threshold of {volume_text(plan.threshold)} at {rate} of the price = "
                     f"{pounds(plan.price * plan.rate * beyond)}")
    if plan.ceiling is not None and volume > plan.ceiling:
        found.append(f"the {volume_text(volume - plan.ceiling)} above the ceiling of {volume_text(plan.ceiling)} "
                     f"{'are' if volume - plan.ceiling != 1 else 'is'} not paid")
    return found
