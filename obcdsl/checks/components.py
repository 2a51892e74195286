"""Payment components: core, outcomes pot and risk reserve against the budget."""

from __future__ import annotations

from decimal import Decimal

from .. import ast
from .. import diagnostics as d
from ..diagnostics import Diagnostic, Label
from ..model import HUNDRED, effective


def check(contract: ast.Contract) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    sets: list[tuple[ast.Components, str]] = []
    if contract.payments is not None:
        sets.append((contract.payments, "the payments section"))
    for phase in contract.phases:
        sets.append((effective(contract.payments, phase.components), f"phase `{phase.name}`"))
    for components, where in sets:
        found += shares_add_up(components, where)
        if contract.budget is None:
            found += needs_budget(components)
        else:
            found += pounds_beside_budget(components, where)
        found += pot_points(contract, components)
    found += reserve_needed(contract)
    found += one_budget(contract)
    found += variance_needs_budget(contract)
    return found


def pot_points(contract: ast.Contract, components: ast.Components) -> list[Diagnostic]:
    """`outcomes pot 1,000 points at £150 per point` where the outcomes are weighted in points: the same points."""
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
            f"{total.normalize():,f} points in all",
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


def shares_add_up(components: ast.Components, where: str) -> list[Diagnostic]:
    stated = [(name, a) for name, a in (("core", components.core), ("outcomes pot", components.pot), ("risk reserve", components.reserve)) if a is not None]
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
            help="core, outcomes pot and any risk reserve together make the whole budget",
            clause=components.core.clause or components.clause,
        )
    ]


def pounds_beside_budget(components: ast.Components, where: str) -> list[Diagnostic]:
    """With a budget, a stated core and a part in pounds need not add up to it: the difference would vanish.

    The budget moves year on year (efficiency, uplift, population), so only
    shares of it, or a core left to take the rest, account for every pound.
    """
    core = components.core
    stated = [(name, a) for name, a in (("core", core), ("outcomes pot", components.pot), ("risk reserve", components.reserve))
              if a is not None]
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
    for amount in (components.core, components.pot, components.reserve):
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
