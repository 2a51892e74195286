"""Percentages: every share, rate and percentage threshold lies within 0% to 100%; a threshold below zero only
on an indicator that can fall below zero (`unit percentage change`, `score`, or no unit)."""

from __future__ import annotations

from decimal import Decimal
from typing import Iterator, Optional

from .. import ast, model
from .. import diagnostics as d
from ..diagnostics import Diagnostic
from ..model import HUNDRED
from ..source import Span

ZERO = Decimal(0)


def check(contract: ast.Contract) -> list[Diagnostic]:
    found = []
    for value, span, what, clause in percentages(contract):
        if value < ZERO or value > HUNDRED:
            found.append(
                d.error(
                    "OBC303",
                    f"{what} is {value.normalize():f}%, outside 0% to 100%",
                    span,
                    label="not between 0% and 100%",
                    help="a share or rate is at least 0% and at most 100%",
                    clause=clause,
                )
            )
    return found + negative_thresholds(contract)


NEVER_NEGATIVE = {"percent": "a percentage", "count": "a count", "rate": "a rate", "money": "an amount of money"}  # as the data's OBC907, OBC908


def negative_thresholds(contract: ast.Contract) -> list[Diagnostic]:
    """`from -6%` on an indicator whose values are never below zero: a threshold no data can reach, or always reached."""
    found = []
    for indicator in contract.all_indicators:
        unit = indicator.unit.kind if indicator.unit is not None else None
        if unit not in NEVER_NEGATIVE:
            continue
        for value, what, clause in threshold_values(indicator):
            if value.kind == "absolute" and value.amount < ZERO:
                found.append(d.error(
                    "OBC411", f"{what} is {written(value)}, but `{indicator.name}` is {NEVER_NEGATIVE[unit]}, never below zero",
                    value.span, label="below zero", clause=clause,
                    help="a change that can fall below zero is stated `unit percentage change`"
                    + (", not a proportion `unit percent`" if unit == "percent" else "")))
    return found


def written(value: ast.ThresholdValue) -> str:
    text = f"{value.amount.normalize():f}"
    return f"{text}%" if value.literal == "percent" else text


def threshold_values(indicator: ast.Indicator) -> Iterator[tuple[ast.ThresholdValue, str, Optional[str]]]:
    """Each threshold value of the indicator's rules, what it is, and its clause."""
    for _, rule in model.indicator_rules(indicator):
        if isinstance(rule, ast.Bands):
            for band in rule.bands:
                yield band.threshold.value, f"the threshold of band `{band.name}`", band.clause or rule.clause
                if band.upper is not None:
                    yield band.upper, f"the upper end of band `{band.name}`", band.clause or rule.clause
        elif isinstance(rule, ast.SlidingScale):
            yield rule.floor, "the floor", rule.clause
            yield rule.ceiling, "the ceiling", rule.clause
        else:
            yield rule.threshold.value, "the target", rule.clause


Item = tuple[Decimal, Optional[Span], str, Optional[str]]


def percentages(contract: ast.Contract) -> list[Item]:
    """Every percentage in the contract that must lie within 0% to 100%, and what it is (found once: this check
    and the bounds' `weights.overcommits` both read them)."""
    found = contract.derived.get("percentages")
    if found is None:
        found = contract.derived["percentages"] = list(each_percentage(contract))
    return found


def each_percentage(contract: ast.Contract) -> Iterator[Item]:
    budget = contract.budget
    if budget is not None:
        for rate in budget.efficiency:
            yield rate.rate, rate.span, "an efficiency rate", rate.clause or budget.clause
        for rate in budget.uplift:
            yield rate.rate, rate.span, "a cost uplift", rate.clause or budget.clause
        if budget.population_adjustment is not None:
            adjustment = budget.population_adjustment
            yield adjustment.tolerance, adjustment.span, "a population tolerance", adjustment.clause
    component_sets = [contract.payments] if contract.payments else []
    component_sets += [p.components for p in contract.phases]
    for components in component_sets:
        for amount, what in ((components.core, "the core share"), (components.pot, "the outcomes pot"), (components.reserve, "the risk reserve")):
            if amount is not None and amount.kind == "share":
                yield amount.value, amount.span, what, amount.clause
        for carve in components.carve_outs:
            if carve.amount.kind == "share":
                yield carve.amount.value, carve.amount.span, f'the carve-out for "{carve.destination}"', carve.clause
        for deduction in components.deductions:
            if deduction.kind == "share":
                yield deduction.value, deduction.span, "a deduction's share of the core", deduction.clause
    outcomes = contract.outcomes
    if outcomes is not None:
        for weight, what, clause in weights(contract):
            if weight is not None and weight.unit == "percent":
                yield weight.value, weight.span, what, clause
    for indicator in contract.all_indicators:
        yield from indicator_percentages(indicator)
    for phase in contract.phases:
        for shares in phase.shares:
            for share in shares.shares:
                yield share.share, share.span, f"the share of band `{share.band}`", shares.clause
        if phase.weights is not None:
            for restated in phase.weights.weights:
                if restated.weight.unit == "percent":
                    yield (restated.weight.value, restated.weight.span, f"the weight of `{restated.name}` in phase `{phase.name}`",
                           restated.clause or phase.weights.clause)
    for risk in model.all_risk_terms(contract):
        for band in risk.gains + risk.losses + tuple(b for t in risk.tables for b in t.bands):
            yield band.provider, band.split_span, "the provider's share", band.clause
            yield band.commissioner, band.split_span, "the commissioner's share", band.clause
        if risk.stop_loss is not None and risk.stop_loss.coinsurance is not None:
            yield risk.stop_loss.coinsurance, risk.stop_loss.span, "the provider's coinsurance", risk.stop_loss.clause
        for amount, clause in risk_amounts(risk):
            if amount.kind in ("budget share", "measure share"):
                yield amount.value, amount.span, f"a share of {amount.measure or 'budget'}", clause
    pool = contract.header.commissioners if contract.header is not None else None
    if pool is not None:
        yield from pool_percentages(pool)
    if contract.distribution is not None:
        for line in contract.distribution.shares:
            for part in line.parts:
                yield part.share, part.span, f"`{line.subcontractor}`'s share of {part.component}", line.clause


def pool_percentages(pool: ast.Commissioners) -> Iterator[Item]:
    for member in pool.members:
        yield member.contribution, member.span, f"`{member.name}`'s contribution", member.clause or pool.clause
    for variance in pool.variances:
        for part in variance.shares:
            yield part.share, part.span, f"`{part.name}`'s share of the {variance.side}", variance.clause or pool.clause


def weights(contract: ast.Contract):
    outcomes = contract.outcomes
    if outcomes is None:  # as `percentages` asks only when there is an outcomes section
        return
    yield outcomes.total, "the total weight", outcomes.clause
    for outcome in outcomes.outcomes:
        yield outcome.weight, f"the weight of `{outcome.name}`", outcome.clause
        for indicator in outcome.indicators:
            yield indicator.weight, f"the weight of `{indicator.name}`", indicator.clause
    for bonus in outcomes.bonuses:
        yield bonus.weight, f"the weight of `{bonus.name}`", bonus.clause


def indicator_percentages(indicator: ast.Indicator) -> Iterator[Item]:
    percent_unit = indicator.unit is not None and indicator.unit.kind == "percent"
    for _, rule in model.indicator_rules(indicator):
        if isinstance(rule, ast.Bands):
            for band in rule.bands:
                if band.share is not None:
                    yield band.share, band.share_span, f"the share paid by band `{band.name}`", band.clause or rule.clause
                if percent_unit:
                    yield from threshold_percent(band.threshold.value, f"the threshold of band `{band.name}`", rule.clause)
                    if band.upper is not None:
                        yield from threshold_percent(band.upper, f"the upper end of band `{band.name}`", rule.clause)
        elif isinstance(rule, ast.SlidingScale):
            yield rule.floor_pays, rule.span, "the share paid at the floor", rule.clause
            yield rule.ceiling_pays, rule.span, "the share paid at the ceiling", rule.clause
            if percent_unit:
                yield from threshold_percent(rule.floor, "the floor", rule.clause)
                yield from threshold_percent(rule.ceiling, "the ceiling", rule.clause)
        elif isinstance(rule, ast.Target) and percent_unit:
            yield from threshold_percent(rule.threshold.value, "the target", rule.clause)
    scaling = indicator.scaling
    # a factor whose excess is paid on top of the pot may be capped above 100% (a list-size or prevalence factor)
    if scaling is not None and scaling.cap is not None and not (scaling.on_top and scaling.cap >= 0):
        yield scaling.cap, scaling.span, "the scaling cap", scaling.clause


def threshold_percent(value: ast.ThresholdValue, what: str, clause) -> Iterator[Item]:
    if value.kind == "absolute" and value.literal == "percent" and value.amount >= ZERO:  # below zero: OBC411
        yield value.amount, value.span, what, clause


def risk_amounts(risk: ast.RiskShare):
    if risk.minimum is not None:
        yield risk.minimum.amount, risk.minimum.clause
    for band in risk.gains + risk.losses + tuple(b for t in risk.tables for b in t.bands):
        for amount in (band.lower, band.upper):
            if amount is not None:
                yield amount, band.clause
    for limit in risk.limits:
        for amount in limit.amounts:
            yield amount, limit.clause
