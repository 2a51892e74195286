"""Payment components: core, outcomes pot, risk reserve and carve-outs against the budget; deductions and a floor."""

from __future__ import annotations

from decimal import Decimal

from .. import ast, model
from .. import diagnostics as d
from ..diagnostics import Diagnostic, Label
from ..model import HUNDRED, effective
from ..data import Data
from ..money import pounds
from ..plan import Missing, amount_of, budget_for_year, rounding_of


def check(contract: ast.Contract) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    sets: list[tuple[ast.Components, str]] = []
    weighed = []  # the contract whose weights each set's pot in points is paid by: a phase may restate them
    if contract.payments is not None:
        sets.append((contract.payments, "the payments section"))
        weighed.append(contract)
    for phase in contract.phases:
        sets.append((effective(contract.payments, phase.components), f"phase `{phase.name}`"))
        weighed.append(model.weighed_in(contract, phase))
    for (components, where), weights_in_force in zip(sets, weighed):
        found += shares_add_up(components, where)
        if contract.budget is None:
            found += needs_budget(components)
        else:
            found += pounds_beside_budget(components, where)
        found += pot_points(weights_in_force, components, where if weights_in_force is not contract else "")
        found += floor_above_ceiling(contract, components, where)
    if contract.payments is not None:
        found += carve_outs_named_once(contract.payments)
    found += on_top_needs_budget(contract, sets)
    found += reserve_needed(contract)
    found += one_budget(contract)
    found += variance_needs_budget(contract)
    return found


def pot_points(contract: ast.Contract, components: ast.Components, phase: str = "") -> list[Diagnostic]:
    """`outcomes pot 1,000 points at £150 per point` where the outcomes are weighted in points: the same points
    (in each phase that restates the weights, `phase` naming it)."""
    pot = components.pot
    if pot is None or pot.points is None:
        return []
    weights = [w for w in [o.weight for o in contract.all_outcomes] + [b.weight for b in contract.all_bonuses] if w is not None]
    if not weights or any(w.unit == "percent" for w in weights) or contract.weight_total == pot.points:
        return []
    total = contract.weight_total
    return [
        d.error(
            "OBC606",
            f"the pot is stated as {pot.points.normalize():,f} points, but the outcomes and bonuses are weighted "
            f"{total.normalize():,f} points in all" + (f" in {phase}, by its weights" if phase else ""),
            pot.span,
            help=f"state the pot as {total.normalize():,f} points, or weigh the outcomes to {pot.points.normalize():,f} "
                 "points: each point is paid at the price the pot states",
            clause=pot.clause,
        )
    ]


def variance_needs_budget(contract: ast.Contract) -> list[Diagnostic]:
    """Gains and losses are measured against the budget; a stop-loss alone needs none."""
    risk = contract.risk_share
    if contract.budget is not None or risk is None or not (risk.gains or risk.losses):
        return []
    span = risk.gains_span if risk.gains else risk.losses_span
    return [
        d.error(
            "OBC602",
            "the risk share shares gains and losses against the budget, but the contract has no budget section",
            span,
            help="add a `budget ... end` section with a baseline; a risk share with only a per-patient stop-loss needs none",
            clause=risk.gains_clause if risk.gains else risk.losses_clause,
        )
    ]


def within_budget(components: ast.Components) -> list[tuple[str, ast.BudgetAmount]]:
    """The stated parts the budget is divided into: core, a pot that is not on top, reserve and carve-outs."""
    pot = components.pot if components.pot is not None and not components.pot.on_top else None
    stated = [(name, a) for name, a in (("core", components.core), ("outcomes pot", pot), ("risk reserve", components.reserve))
              if a is not None]
    return stated + [(f'carve-out for "{c.destination}"', c.amount) for c in components.carve_outs]


def shares_add_up(components: ast.Components, where: str) -> list[Diagnostic]:
    stated = within_budget(components)
    if not stated or components.core is None or any(a.kind != "share" for _, a in stated):
        return []
    total = sum((a.value for _, a in stated), Decimal(0))
    if total == HUNDRED:
        return []
    return [
        d.error(
            "OBC601",
            f"in {where} the components add up to {total.normalize():f}% of the budget, expected 100%",
            components.core.span,
            label=f"core {components.core.value.normalize():f}%",
            related=tuple(Label(a.span, f"{name} {a.value.normalize():f}%") for name, a in stated[1:]),
            help=("core, outcomes pot, any risk reserve and the carve-outs together make the whole budget" if components.carve_outs
                  else "core, outcomes pot and any risk reserve together make the whole budget")
                 + ("; a pot `on top` is paid beyond it" if components.pot is not None and components.pot.on_top else ""),
            clause=components.core.clause or components.clause,
        )
    ]


def pounds_beside_budget(components: ast.Components, where: str) -> list[Diagnostic]:
    """With a budget, a stated core and a part in pounds need not add up to it: the difference would vanish.

    The budget moves year on year (efficiency, uplift, population), so only
    shares of it, or a core left to take the rest, account for every pound.
    """
    core = components.core
    stated = within_budget(components)
    in_pounds = [(name, a) for name, a in stated if a.kind == "money"]
    if core is None or not in_pounds:
        return []
    name, first = in_pounds[0]
    beside = "," if first is core else ", beside a stated core,"
    return [
        d.error(
            "OBC601",
            f"in {where} the {name} is stated in pounds{beside} so the parts need not add up to the budget",
            first.span,
            label=f"{name} in pounds",
            related=tuple(Label(a.span, f"{other} stated here") for other, a in stated if a is not first),
            notes=("the budget changes year on year; any difference between it and the parts would be paid to nobody",),
            help="leave out the `core` line, so that the core is the rest of the budget, or state every part as a share of the budget",
            clause=first.clause or components.clause,
        )
    ]


def needs_budget(components: ast.Components) -> list[Diagnostic]:
    found = []
    amounts = [components.core, components.pot, components.reserve, components.floor] + [c.amount for c in components.carve_outs]
    for amount in amounts:
        if amount is not None and amount.kind == "share":
            found.append(
                d.error(
                    "OBC602",
                    "a share of the budget is stated, but the contract has no budget section",
                    amount.span,
                    help="add a `budget ... end` section with a baseline, or state the amount in pounds",
                    clause=amount.clause,
                )
            )
    return found


def reserve_needed(contract: ast.Contract) -> list[Diagnostic]:
    risk = contract.risk_share
    if risk is None or risk.placement != "within":
        return []
    reserves = [contract.payments.reserve] if contract.payments else []
    reserves += [p.components.reserve for p in contract.phases]
    if any(r is not None for r in reserves):
        return []
    return [
        d.error(
            "OBC603",
            "the risk share sits within the budget, but no risk reserve is set aside",
            risk.span,
            help="add `risk reserve 5% of budget` to the payments section, or say `outside the budget`",
            clause=risk.clause,
        )
    ]


def one_budget(contract: ast.Contract) -> list[Diagnostic]:
    budget = contract.budget
    if budget is None or budget.baseline is None or budget.capitation is None:
        return []
    return [
        d.error(
            "OBC604",
            "the budget is stated both as a baseline and as a capitation rate",
            budget.capitation_span,
            related=(Label(budget.baseline_span, "baseline stated here"),),
            help="keep one: `baseline £...` for a total, or `capitation £... per head` to build it from the population",
            clause=budget.clause,
        )
    ]


def carve_outs_named_once(components: ast.Components) -> list[Diagnostic]:
    """Each carve-out names its own destination: its statement line is known by it."""
    found = []
    seen: dict[str, ast.CarveOut] = {}
    for carve in components.carve_outs:
        key = carve.destination.strip().lower()
        if key in seen:
            found.append(d.error(
                "OBC607", f'"{carve.destination}" is carved out of the budget twice',
                carve.span, label="second carve-out",
                related=(Label(seen[key].span, "first carved out here"),),
                help="state one carve-out with the whole amount, or name each destination differently",
                clause=carve.clause or components.clause))
        elif not key:
            found.append(d.error("OBC607", "a carve-out names no destination", carve.span,
                                 help='say who is paid: `carve out £4.2m for "patient choice: out of area providers"`',
                                 clause=carve.clause or components.clause))
        seen.setdefault(key, carve)
    return found


def on_top_needs_budget(contract: ast.Contract, sets: list[tuple[ast.Components, str]]) -> list[Diagnostic]:
    """A pot `on top` is paid beyond the budget: without a budget there is nothing for it to be on top of."""
    if contract.budget is not None:
        return []
    found: list[Diagnostic] = []
    for components, _ in sets:
        pot = components.pot
        if pot is not None and pot.on_top and all(f.span != pot.span for f in found):
            found.append(d.error("OBC608", "the outcomes pot is paid `on top` of the budget, but the contract has no budget section",
                                 pot.span, label="on top of what?",
                                 help="add a `budget ... end` section, or leave out `on top`: without a budget the pot is an amount",
                                 clause=pot.clause or components.clause))
    return found


def floor_above_ceiling(contract: ast.Contract, components: ast.Components, where: str) -> list[Diagnostic]:
    """`total payment at least` above `total payment at most` in some year: no total can meet both."""
    floor, ceiling = components.floor, components.ceiling
    if floor is None or ceiling is None or (contract.budget is None and "share" in (floor.kind, ceiling.kind)):
        return []
    for year in model.contract_years(contract):
        try:
            budget, _ = budget_for_year(contract, Data(), year, rounding_of(contract)) if contract.budget is not None else (None, [])
        except Missing:  # a budget beyond what is computed exactly: OBC605 says so
            return []
        low, high = amount_of(floor, budget, "half up"), amount_of(ceiling, budget, "half up")
        if low > high:
            return [d.error(
                "OBC610", f"in {where} the total payment is at least {pounds(low)} and at most {pounds(high)} in year {year}",
                floor.span, label="the floor", related=(Label(ceiling.span, "the ceiling"),),
                notes=("no total can meet both: the top-up to the floor would break the ceiling",),
                help="lower the floor or raise the ceiling, so that the floor is at most the ceiling",
                clause=floor.clause or components.clause)]
    return []
