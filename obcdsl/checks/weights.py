"""Weights and shares: outcome weights, indicator weights, and what a year's pot can pay."""

from __future__ import annotations

from decimal import Decimal

from .. import ast, model
from .. import diagnostics as d
from ..diagnostics import Diagnostic, Label
from ..model import HUNDRED


def check(contract: ast.Contract) -> list[Diagnostic]:
    if contract.outcomes is None:
        return []
    found: list[Diagnostic] = []
    found += outcome_weights(contract)
    for outcome in contract.all_outcomes:
        found += indicator_weights(outcome)
    return found


def describe(value: Decimal, unit: str) -> str:
    text = f"{value.normalize():f}"
    return f"{text}%" if unit == "percent" else f"{text} points"


def outcome_weights(contract: ast.Contract) -> list[Diagnostic]:
    outcomes = contract.outcomes
    if outcomes is None:  # as `check` does
        return []
    items = [(o.weight, o) for o in outcomes.outcomes] + [(b.weight, b) for b in outcomes.bonuses]
    stated = [(w, node) for w, node in items if w is not None]
    found: list[Diagnostic] = []
    if not stated:
        if len(items) == 1 and isinstance(items[0][1], ast.Outcome) and model.takes_whole_pot(contract, items[0][1]):
            return found
        return [unweighted(node) for _, node in items if not (isinstance(node, ast.Outcome) and pays_from_pot_directly(node))]
    units = {w.unit for w, _ in stated}
    if outcomes.total is not None:
        units.add(outcomes.total.unit)
    if len(units) > 1:
        first_points = next(w for w, _ in stated if w.unit == "points") if any(w.unit == "points" for w, _ in stated) else outcomes.total
        first_percent = next((w for w, _ in stated if w.unit == "percent"), outcomes.total)
        # two units, so the total is written in whichever unit no stated weight is
        assert first_points is not None and first_percent is not None
        return [
            d.error(
                "OBC305",
                "outcome weights mix points and percentages",
                first_percent.span,
                label="a percentage",
                related=(Label(first_points.span, "points"),),
                help="write every outcome weight, and the total, in the same unit",
                clause=outcomes.clause,
            )
        ]
    unit = units.pop()
    missing = [node for w, node in items if w is None]
    for node in missing:
        if isinstance(node, ast.Outcome) and pays_from_pot_directly(node):
            continue
        found.append(unweighted(node))
    total_stated = outcomes.total.value if outcomes.total is not None else (HUNDRED if unit == "percent" else None)
    if total_stated is None:
        return found
    total = sum((w.value for w, _ in stated), Decimal(0))
    if total != total_stated:
        gap = total_stated - total
        largest = max(stated, key=lambda pair: pair[0].value)
        where = outcomes.total.span if outcomes.total is not None else largest[0].span
        extra_notes, attachment = overpayment_example(contract) if gap < 0 else ((), None)
        found.append(
            d.error(
                "OBC301",
                f"outcome weights add up to {describe(total, unit)}, expected {describe(total_stated, unit)}",
                where,
                label=f"the total is {describe(total_stated, unit)}",
                notes=tuple(f"`{node.name}` weighs {describe(w.value, unit)}" for w, node in stated) + extra_notes,
                help=(f"raise the weights by {describe(gap, unit)} in all" if gap > 0 else f"lower the weights by {describe(-gap, unit)} in all"),
                clause=outcomes.clause,
                counterexample=attachment,
            )
        )
    return found


def unweighted(node: ast.Outcome | ast.Bonus) -> Diagnostic:
    return d.error(
        "OBC203",
        f"`{node.name}` has no weight",
        node.name_span,
        help="add a line such as `weight 10 points`; only a contract's one outcome may leave it out, to take the whole pot",
        clause=node.clause,
    )


def overcommits(contract: ast.Contract) -> bool:
    """Whether outcome, bonus or indicator weights come to more than their totals (OBC301, OBC302 say so)."""
    outcomes = contract.outcomes
    if outcomes is None:
        return False
    stated = [w for w in [o.weight for o in outcomes.outcomes] + [b.weight for b in outcomes.bonuses] if w is not None]
    units = {w.unit for w in stated} | ({outcomes.total.unit} if outcomes.total is not None else set())
    if len(units) == 1:
        unit = next(iter(units))
        total = outcomes.total.value if outcomes.total is not None else (HUNDRED if unit == "percent" else None)
        if total is not None and sum((w.value for w in stated), Decimal(0)) > total:
            return True
    for outcome in contract.all_outcomes:
        weights = [i.weight for i in outcome.indicators if i.weight is not None]
        if weights and all(w.unit == "percent" for w in weights) and sum((w.value for w in weights), Decimal(0)) > HUNDRED:
            return True
    return False


def overpayment_example(contract: ast.Contract):
    """Weights above their total overpay the pot: the first year that shows it, with the evaluator's numbers."""
    from ..bounds import attach, counterexample_for
    from ..bounds import describe as describe_data
    from ..money import pounds

    for year in model.contract_years(contract):
        try:
            data, statement = counterexample_for(contract, year)
        except Exception:  # amounts undefined while other errors stand; the weights error speaks for itself
            return (), None
        if statement is None:
            continue
        paid = statement.outcomes_paid + statement.bonus_paid
        if paid > statement.plan.pot:
            note, attachment = attach(data, year, f"with {describe_data(data)} year {year} pays {pounds(paid)} from a pot of {pounds(statement.plan.pot)}")
            return (note,), attachment
    return (), None


def pays_from_pot_directly(outcome: ast.Outcome) -> bool:
    """An outcome needs no weight when its bands pay shares of the pot itself (Monitor's Table 2)."""
    if not outcome.indicators:
        return False
    for indicator in outcome.indicators:
        for _, rule in model.indicator_rules(indicator):
            if not isinstance(rule, ast.Bands) or any(b.base == "allocation" for b in rule.bands):
                return False
            if any(b.share is not None and b.base is None for b in rule.bands):
                return False
    return True


def indicator_weights(outcome: ast.Outcome) -> list[Diagnostic]:
    indicators = outcome.indicators
    if len(indicators) < 2:
        return []
    stated = [i for i in indicators if i.weight is not None]
    weighted = [(i, i.weight) for i in indicators if i.weight is not None]  # as `stated`, with each weight
    paying = [i for i in indicators if model.has_rule(i)]
    found = []
    if not stated and not pays_from_pot_directly(outcome) and len(paying) > 1:
        return [
            d.error(
                "OBC203",
                f"the indicators of `{outcome.name}` have no weights",
                outcome.name_span,
                help="give each paying indicator a line such as `weight 50%`; together they make 100% of the outcome",
                clause=outcome.clause,
            )
        ]
    for indicator in paying:
        if indicator.weight is None and stated:
            found.append(
                d.error(
                    "OBC203",
                    f"indicator `{indicator.name}` has no weight",
                    indicator.name_span,
                    help="add a line such as `weight 25%`",
                    clause=indicator.clause,
                )
            )
    if weighted and all(w.unit == "percent" for _, w in weighted):
        total = sum((w.value for _, w in weighted), Decimal(0))
        if total != HUNDRED:
            found.append(
                d.error(
                    "OBC302",
                    f"the indicator weights of `{outcome.name}` add up to {describe(total, 'percent')}, expected 100%",
                    outcome.name_span,
                    label="in this outcome",
                    notes=tuple(f"`{i.name}` weighs {describe(w.value, 'percent')}" for i, w in weighted),
                    related=tuple(Label(w.span, f"{describe(w.value, 'percent')}") for _, w in weighted),
                    help="make the weights of an outcome's indicators total 100%",
                    clause=outcome.clause,
                )
            )
    return found
