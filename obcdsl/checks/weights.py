"""Weights and shares: outcome weights, indicator weights, and what a year's pot can pay."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any, Iterable, Sequence

import attrs

from .. import ast, model
from .. import diagnostics as d
from ..diagnostics import Diagnostic, Fix, Label
from ..model import HUNDRED
from . import percentages


def check(contract: ast.Contract) -> list[Diagnostic]:
    if contract.outcomes is None:
        return []
    found: list[Diagnostic] = []
    found += outcome_weights(contract)
    for outcome in contract.all_outcomes:
        found += indicator_weights(outcome)
    for phase in contract.phases:
        if phase.weights is not None:
            found += phase_weights(contract, phase, found)
    return found


def phase_weights(contract: ast.Contract, phase: ast.Phase, reported: list[Diagnostic]) -> list[Diagnostic]:
    """The weights in force in a phase's years (`weights ... end` in the phase, the contract's own for the rest)
    checked as the contract's are, each finding not already made of the contract's own weights said of the phase."""
    assert phase.weights is not None  # `check` asks only of a phase that states weights
    weighed = model.weighed_in(contract, phase)
    last = model.last_year(contract)
    years = range(phase.first_year, (phase.last_year if phase.last_year is not None else last) + 1)
    found = outcome_weights(weighed, contract, years)
    for outcome in weighed.all_outcomes:
        found += indicator_weights(outcome)
    seen = {(f.code, f.message, f.span) for f in reported}
    span = phase.weights.span
    in_phase = f"phase `{phase.name}` covers {years_words(years)}; its `weights` replace the contract's own"
    return [
        attrs.evolve(f, message=f"in phase `{phase.name}`, {f.message}", notes=f.notes + (in_phase,), related=f.related + ((Label(span, "the phase's weights"),) if span else ()),
                     clause=f.clause if f.span is None or not within(f.span, span) else (phase.weights.clause or f.clause))
        for f in found if (f.code, f.message, f.span) not in seen
    ]


def years_words(years: range) -> str:
    return f"year {years[0]}" if len(years) == 1 else f"years {years[0]} to {years[-1]}"


def within(inner, outer) -> bool:
    return outer is not None and outer.start <= inner.start and inner.end <= outer.end


def describe(value: Decimal, unit: str) -> str:
    text = f"{value.normalize():f}"
    return f"{text}%" if unit == "percent" else f"{text} {'point' if value == 1 else 'points'}"


def outcome_weights(contract: ast.Contract, paid: ast.Contract | None = None, years: Iterable[int] | None = None) -> list[Diagnostic]:
    """The outcome and bonus weights against their total. `paid` and `years`: the contract and years whose
    statements show an overpayment, when `contract` is the weights of one phase (`model.weighed_in`)."""
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
        off = off_weight(stated, gap, unit)
        where = off[0].span if off is not None else outcomes.total.span if outcomes.total is not None else largest[0].span
        extra_notes, attachment = overpayment_example(paid or contract, years) if gap < 0 else ((), None)
        label = f"the total is {describe(total_stated, unit)}"
        advice = f"raise the weights by {describe(gap, unit)} in all" if gap > 0 else f"lower the weights by {describe(-gap, unit)} in all"
        fixes: tuple[Fix, ...] = ()
        if off is not None:
            weight, node = off
            fixes = (weight_fix(weight, node.name, gap),)
            if len(stated) > 1:
                label = f"{describe(weight.value + gap, unit)} here would make {describe(total_stated, unit)}"
                advice += f", for example `{node.name}` at {describe(weight.value + gap, unit)}"
        found.append(
            d.error(
                "OBC301",
                f"outcome weights add up to {describe(total, unit)}, expected {describe(total_stated, unit)}",
                where,
                label=label,
                notes=tuple(weighs(node.name, w, where) for w, node in stated) + extra_notes,
                help=advice,
                clause=outcomes.clause,
                counterexample=attachment,
                fixes=fixes,
            )
        )
    return found


def weighs(name: str, weight: ast.Weight, where) -> str:
    """A note naming a weight, with its line unless the diagnostic points at it already."""
    line = f" (line {weight.span.line})" if weight.span is not None and weight.span != where else ""
    return f"`{name}` weighs {describe(weight.value, weight.unit)}{line}"


def weight_fix(weight: ast.Weight, name: str, gap: Decimal) -> Fix:
    assert weight.span is not None  # `off_weight` picks only a weight read from a file
    value = describe(weight.value + gap, weight.unit)
    return Fix(f"change the weight of `{name}` to {value}", weight.span, value)


def off_weight(stated: Sequence[tuple[ast.Weight, Any]], gap: Decimal, unit: str) -> tuple[ast.Weight, Any] | None:
    """The one weight that, changed by the gap, makes the weights add up, when only one is a likely slip.

    The only weight that can take the change (a weight cannot fall below nothing), or the only one not a
    multiple of what the others are multiples of (21 among 5, 10 and 20) that would become one.
    """
    def fits(weight: ast.Weight) -> bool:
        value = weight.value + gap
        return weight.span is not None and value > 0 and (unit != "percent" or value <= HUNDRED)

    viable = [pair for pair in stated if fits(pair[0])]
    if len(viable) == 1:
        return viable[0]
    if len(viable) < 2 or any(w.value != w.value.to_integral_value() for w, _ in stated) or gap != gap.to_integral_value():
        return None
    odd = []
    for pair in viable:
        others = [int(w.value) for w, _ in stated if w is not pair[0]]
        step = math.gcd(*others)
        if step > 1 and int(pair[0].value) % step and int(pair[0].value + gap) % step == 0:
            odd.append(pair)
    return odd[0] if len(odd) == 1 else None


def unweighted(node: ast.Outcome | ast.Bonus) -> Diagnostic:
    return d.error(
        "OBC203",
        f"`{node.name}` has no weight",
        node.name_span,
        help="add a line such as `weight 10 points`; only a contract's one outcome may leave it out, to take the whole pot",
        clause=node.clause,
    )


def overcommits(contract: ast.Contract) -> bool:
    """Whether outcome, bonus or indicator weights come to more than their totals (OBC301, OBC302 say so),
    in any phase's years, or a share is more than 100% (OBC303 says so): either makes the pot overpay, and is
    the one error to report."""
    return any(weights_overcommit(model.weighed_in(contract, phase)) for phase in contract.phases if phase.weights) \
        or weights_overcommit(contract)


def weights_overcommit(contract: ast.Contract) -> bool:
    if any(value > HUNDRED for value, *_ in percentages.percentages(contract)):
        return True
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


def overpayment_example(contract: ast.Contract, years: Iterable[int] | None = None):
    """Weights above their total overpay the pot: the first year that shows it, with the evaluator's numbers."""
    from ..bounds import attach, counterexample_for
    from ..bounds import describe as describe_data
    from ..money import pounds

    for year in years if years is not None else model.contract_years(contract):
        try:
            data, statement = counterexample_for(contract, year)
        except Exception:  # amounts undefined while other errors stand; the weights error speaks for itself
            return (), None
        if statement is None:
            continue
        paid = statement.outcomes_paid + statement.bonus_paid
        if paid > statement.plan.pot:
            note, attachment = attach(data, year, f"with {describe_data(data)}, year {year} pays {pounds(paid)} from a pot of {pounds(statement.plan.pot)}")
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
        off = off_weight([(w, i) for i, w in weighted], HUNDRED - total, "percent") if total != HUNDRED else None
        if total != HUNDRED:
            found.append(
                d.error(
                    "OBC302",
                    f"the indicator weights of `{outcome.name}` add up to {describe(total, 'percent')}, expected 100%",
                    outcome.name_span,
                    label="in this outcome",
                    notes=tuple(f"`{i.name}` weighs {describe(w.value, 'percent')}" for i, w in weighted),
                    related=tuple(Label(w.span, f"{describe(w.value, 'percent')}") for _, w in weighted),
                    help="make the weights of an outcome's indicators total 100%"
                         + (f", for example `{off[1].name}` at {describe(off[0].value + HUNDRED - total, 'percent')}"
                            if off is not None else ""),
                    clause=outcome.clause,
                    fixes=(weight_fix(off[0], off[1].name, HUNDRED - total),) if off is not None else (),
                )
            )
    return found
