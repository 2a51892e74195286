"""AST to text: writes a contract back as `.obc`, in the canonical layout.

`parse(render(contract)) == contract` for every contract the builder can
produce: the property tests hold it to that. This is also the basis of a
formatter.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Callable, Optional

from . import ast

INDENT = "  "
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def number(value: Decimal) -> str:
    text = f"{value.normalize():f}" if value != value.to_integral_value() else f"{value.to_integral_value():f}"
    return text


def money(value: Decimal) -> str:
    sign = "-" if value < 0 else ""
    return f"{sign}£{number(abs(value))}"


def percent(value: Decimal) -> str:
    return f"{number(value)}%"


def quoted(text: str) -> str:
    return f'"{text}"'


def clause(ref: Optional[str]) -> str:
    return f" clause {ref}" if ref else ""


class Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.depth = 0

    def line(self, text: str) -> None:
        self.lines.append(INDENT * self.depth + text)

    def open(self, text: str) -> None:
        self.line(text)
        self.depth += 1

    def close(self) -> None:
        self.depth -= 1
        self.line("end")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def render(contract: ast.Contract) -> str:
    """The contract as `.obc` text."""
    out = Writer()
    sections: list[tuple[Any, Callable[[Writer, Any], None]]] = [  # each section with its writer
        (contract.header, header), (contract.population, population), (contract.budget, budget),
        (contract.payments, payments), (contract.activity, activity), (contract.outcomes, outcomes), (contract.phasing, phasing),
        (contract.risk_share, risk_share), (contract.distribution, distribution), (contract.measures, measures),
    ]
    first = True
    for node, write in sections:
        if node is None:
            continue
        if not first:
            out.lines.append("")
        first = False
        write(out, node)
    return out.text()


# ---------------------------------------------------------------- sections


def header(out: Writer, node: ast.Header) -> None:
    out.open(f"contract {quoted(node.name)}{clause(node.clause)}")
    if node.commissioner is not None:
        out.line(f"commissioner {quoted(node.commissioner)}")
    if node.commissioners is not None:
        pool = node.commissioners
        out.open(f"commissioners{clause(pool.clause)}")
        for member in pool.members:
            out.line(f"{member.name} {quoted(member.title)} contributes {percent(member.contribution)}{clause(member.clause)}")
        for variance in pool.variances:
            shares = ", ".join(f"{s.name} {percent(s.share)}" for s in variance.shares)
            out.line(f"{variance.side} shared {shares}{clause(variance.clause)}")
        out.close()
    if node.lead_provider is not None:
        out.line(f"lead provider {quoted(node.lead_provider)}")
    for sub in node.subcontractors:
        out.line(f"subcontractor {sub.name} {quoted(sub.title)}{clause(sub.clause)}")
    if node.term is not None:
        term = node.term
        extension = f", extendable by up to {term.extension_years} years" if term.extension_years else ""
        out.line(f"term {term.years} years from {term.first_year}{extension}{clause(term.clause)}")
    if node.currency is not None:
        out.line(f"currency {node.currency}")
    if node.rounding is not None:
        out.line(f"rounding {node.rounding}")
    if node.missing_data is not None:
        out.line(missing(node.missing_data))
    out.close()


def missing(rule: str) -> str:
    return "missing data is an error" if rule == "error" else "missing data counts as not achieved"


def population(out: Writer, node: ast.Population) -> None:
    out.open(f"population{clause(node.clause)}")
    for segment in node.segments:
        out.open(f"segment {segment.name} {quoted(segment.title)}{clause(segment.clause)}")
        if segment.description is not None:
            out.line(f"description {quoted(segment.description)}")
        if segment.clusters:
            parts = [str(lo) if lo == hi else f"{lo} to {hi}" for lo, hi in segment.clusters]
            out.line("clusters " + ", ".join(parts))
        if segment.icd10:
            out.line("icd-10 " + ", ".join(segment.icd10))
        if segment.people is not None:
            out.line(f"people {number(segment.people)}")
        if segment.weight is not None:
            out.line(f"weight {number(segment.weight)}")
        out.close()
    if node.projected_growth is not None:
        out.line(f"projected growth {percent(node.projected_growth)} each year")
    out.close()


def yearly(word: str, rate: ast.YearlyRate) -> str:
    scope = {"each": "each year", "from": f"each year from year {rate.year}", "in": f"in year {rate.year}"}[rate.scope]
    return f"{word} {percent(rate.rate)} {scope}{clause(rate.clause)}"


def budget(out: Writer, node: ast.Budget) -> None:
    out.open(f"budget{clause(node.clause)}")
    if node.baseline is not None:
        out.line(f"baseline {money(node.baseline)}")
    if node.capitation is not None:
        out.line(f"capitation {money(node.capitation)} per head")
    for rate in node.efficiency:
        out.line(yearly("efficiency", rate))
    for rate in node.uplift:
        out.line(yearly("uplift", rate))
    if node.population_adjustment is not None:
        adjustment = node.population_adjustment
        basis = "on the whole difference" if adjustment.basis == "whole" else "on the excess only"
        counting = f", counting {adjustment.measure}" if adjustment.measure else ""
        out.line(f"adjust for population growth beyond {percent(adjustment.tolerance)} tolerance, {basis}{counting}{clause(adjustment.clause)}")
    for addition in node.additions:
        out.line(f"add {money(addition.amount)} from year {addition.year} for {quoted(addition.service)}{clause(addition.clause)}")
    out.close()


def budget_amount(amount: ast.BudgetAmount) -> str:
    if amount.points is not None and amount.per_point is not None:
        point = "point" if amount.points == 1 else "points"
        text = f"{number(amount.points)} {point} at {money(amount.per_point)} per point"
    else:
        text = f"{percent(amount.value)} of budget" if amount.kind == "share" else money(amount.value)
    return text + (" on top" if amount.on_top else "") + clause(amount.clause)


def components(out: Writer, node: ast.Components, with_ceiling: bool) -> None:
    if node.core is not None:
        out.line(f"core {budget_amount(node.core)}")
    if node.pot is not None:
        out.line(f"outcomes pot {budget_amount(node.pot)}")
    if node.reserve is not None:
        out.line(f"risk reserve {budget_amount(node.reserve)}")
    if with_ceiling:
        for carve in node.carve_outs:
            out.line(f"carve out {budget_amount(carve.amount)} for {quoted(carve.destination)}{clause(carve.clause)}")
        for deduction in node.deductions:
            amount = f"{percent(deduction.value)} of core" if deduction.kind == "share" else money(deduction.value)
            out.line(f"deduct {amount} unless {expression(deduction.condition)}{clause(deduction.clause)}")
    if with_ceiling and node.ceiling is not None:
        out.line(f"total payment at most {budget_amount(node.ceiling)}")
    if with_ceiling and node.floor is not None:
        out.line(f"total payment at least {budget_amount(node.floor)}")


def payments(out: Writer, node: ast.Components) -> None:
    out.open(f"payments{clause(node.clause)}")
    components(out, node, with_ceiling=True)
    out.close()


def weight(value: ast.Weight) -> str:
    return f"{number(value.value)} points" if value.unit == "points" else percent(value.value)


def outcomes(out: Writer, node: ast.Outcomes) -> None:
    out.open(f"outcomes{clause(node.clause)}")
    if node.total is not None:
        out.line(f"total {weight(node.total)}")
    for item in node.outcomes:
        outcome(out, item)
    for bonus in node.bonuses:
        out.open(f"bonus {bonus.name} {quoted(bonus.title)}{clause(bonus.clause)}")
        if bonus.weight is not None:
            out.line(f"weight {weight(bonus.weight)}")
        if bonus.description is not None:
            out.line(f"description {quoted(bonus.description)}")
        if bonus.condition is not None:
            out.line(f"pays when {expression(bonus.condition)}")
        out.close()
    if node.unearned is not None:
        unearned = node.unearned
        if unearned.destination == "retained":
            out.line(f"unearned pot retained by the commissioner{clause(unearned.clause)}")
        else:
            services = ", ".join(quoted(s) for s in unearned.services)
            out.line(f"unearned pot reinvested in {services}{clause(unearned.clause)}")
    if node.missing_data is not None:
        out.line(missing(node.missing_data))
    out.close()


def outcome(out: Writer, node: ast.Outcome) -> None:
    out.open(f"outcome {node.name} {quoted(node.title)}{clause(node.clause)}")
    if node.weight is not None:
        out.line(f"weight {weight(node.weight)}")
    if node.description is not None:
        out.line(f"description {quoted(node.description)}")
    for gate in node.gates:
        out.line(f"only if {expression(gate.condition)}{clause(gate.clause)}")
    for item in node.indicators:
        indicator(out, item)
    out.close()


def unit(node: ast.Unit) -> str:
    if node.kind == "rate":
        return "rate" + (f" per {number(node.per)}" if node.per is not None else "")
    if node.kind == "percent change":
        return "percentage change"
    return node.kind


def indicator(out: Writer, node: ast.Indicator) -> None:
    out.open(f"indicator {node.name} {quoted(node.title)}{clause(node.clause)}")
    if node.weight is not None:
        out.line(f"weight {weight(node.weight)}")
    if node.unit is not None:
        out.line(f"unit {unit(node.unit)}")
    if node.direction is not None:
        out.line(f"{node.direction} is better")
    for key in ("definition", "numerator", "denominator", "source", "description"):
        value = getattr(node, key)
        if value is not None:
            out.line(f"{key} {quoted(value)}")
    if node.data_from is not None:
        out.line(f"data available from year {node.data_from}{clause(node.data_from_clause)}")
    if node.measured_as is not None:
        out.line(f"measured as {expression(node.measured_as)}")
    if node.rule is not None:
        rule(out, node.rule)
    if node.by_segment is not None:
        out.line("by segment, shared " + ("equally" if node.by_segment == "equally" else "by population"))
    for segment_rule in node.segment_rules:
        if isinstance(segment_rule.rule, ast.Bands):
            out.open(f"in segment {segment_rule.segment}: bands{clause(segment_rule.rule.clause)}")
            for band in segment_rule.rule.bands:
                out.line(band_text(band))
            out.close()
        else:
            out.line(f"in segment {segment_rule.segment}: {rule_line(segment_rule.rule)}")
    if node.scaling is not None:
        cap = f" capped at {percent(node.scaling.cap)}" if node.scaling.cap is not None else ""
        on_top = ", the excess paid on top of the pot" if node.scaling.on_top else ""
        out.line(f"scaled by {expression(node.scaling.factor)}{cap}{on_top}{clause(node.scaling.clause)}")
    for gate in node.gates:
        out.line(f"only if {expression(gate.condition)}{clause(gate.clause)}")
    if node.missing_data is not None:
        out.line(missing(node.missing_data))
    out.close()


def threshold_value(value: ast.ThresholdValue) -> str:
    if value.kind == "absolute":
        if value.literal == "percent":
            return percent(value.amount)
        if value.literal == "money":
            return money(value.amount)
        return number(value.amount)
    if value.kind == "reference":
        return value.compared_with
    if value.kind == "points":
        return f"{number(value.amount)} points {value.relation} {value.compared_with}"
    return f"{percent(value.amount)} {value.relation} {value.compared_with}"


def threshold(node: ast.Threshold) -> str:
    text = threshold_value(node.value)
    return f"{node.comparator} {text}" if node.comparator else text


def share_base(base: Optional[str]) -> str:
    return {"pot": " of the pot", "allocation": " of its allocation"}.get(base or "", "")


def band_text(band: ast.Band) -> str:
    text = f"{band.name} {threshold(band.threshold)}"
    if band.upper is not None:
        text += f" to {threshold_value(band.upper)}"
    if band.share is not None:
        text += f" pays {percent(band.share)}{share_base(band.base)}"
    return text + clause(band.clause)


def rule_line(node: ast.Target | ast.SlidingScale) -> str:  # bands take a block (`rule`)
    if isinstance(node, ast.Target):
        return f"target {threshold(node.threshold)}{clause(node.clause)}"
    return (f"sliding scale from {threshold_value(node.floor)} paying {percent(node.floor_pays)} "
            f"to {threshold_value(node.ceiling)} paying {percent(node.ceiling_pays)}{clause(node.clause)}")


def rule(out: Writer, node: ast.Rule) -> None:
    if isinstance(node, ast.Bands):
        out.open(f"bands{clause(node.clause)}")
        for band in node.bands:
            out.line(band_text(band))
        out.close()
    else:
        out.line(rule_line(node))


def phasing(out: Writer, node: ast.Phasing) -> None:
    out.open(f"phasing{clause(node.clause)}")
    for phase in node.phases:
        if phase.last_year is None:
            years = f"from year {phase.first_year}"
        elif phase.last_year == phase.first_year:
            years = f"year {phase.first_year}"
        else:
            years = f"years {phase.first_year} to {phase.last_year}"
        out.open(f"phase {quoted(phase.name)} {years}{clause(phase.clause)}")
        components(out, phase.components, with_ceiling=False)
        for link in phase.links:
            out.line("link all indicators" if link.name is None else f"link {link.name}")
        for shares in phase.shares:
            parts = ", ".join(f"{s.band} {percent(s.share)}" for s in shares.shares)
            out.line(f"shares {shares.indicator}: {parts}{share_base(shares.base)}{clause(shares.clause)}")
        if phase.weights is not None:
            out.open(f"weights{clause(phase.weights.clause)}")
            for restated in phase.weights.weights:
                out.line(f"{restated.name} {weight(restated.weight)}{clause(restated.clause)}")
            out.close()
        if phase.risk_share is True:
            out.line("risk share applies")
        elif phase.risk_share is False:
            out.line("no risk share")
        if phase.risk_terms is not None:
            risk_share(out, phase.risk_terms)
        out.close()
    out.close()


def amount(node: ast.Amount) -> str:
    return money(node.value) if node.kind == "money" else f"{percent(node.value)} of {node.measure or 'budget'}"


def sharing_table(out: Writer, opening: str, bands: tuple[ast.RiskBand, ...]) -> None:
    out.open(opening)
    for band in bands:
        if band.lower is None:
            assert band.upper is not None  # a band open at both ends has no form (`up to`, `from`, `above`)
            where = f"up to {amount(band.upper)}"
        elif band.upper is None:
            where = f"above {amount(band.lower)}"
        else:
            where = f"from {amount(band.lower)} to {amount(band.upper)}"
        out.line(f"{where}: provider {percent(band.provider)}, commissioner {percent(band.commissioner)}{clause(band.clause)}")
    out.close()


def risk_share(out: Writer, node: ast.RiskShare) -> None:
    """The `risk share` section, or a phase's own `risk share ... end`."""
    out.open(f"risk share{clause(node.clause)}")
    if node.placement is not None:
        out.line(f"{node.placement} the budget")
    if node.minimum is not None:
        basis = "shared from the first pound" if node.minimum.basis == "first pound" else "shared above the minimum only"
        out.line(f"minimum variance {amount(node.minimum.amount)}, {basis}{clause(node.minimum.clause)}")
    for unshared in node.unshared:
        out.line(f"{unshared.side} not shared go to the {unshared.party}{clause(unshared.clause)}")
    if node.at_minimum is not None:
        out.line(f"variance equal to the minimum is not shared{clause(node.at_minimum.clause)}")
    if node.reference_span is not None or node.reference != "budget":
        words = "the budget" if node.reference == "budget" else "the payments made"
        out.line(f"variance against {words}{clause(node.reference_clause)}")
    for table in node.tables:
        sharing_table(out, f"{table.side} when {expression(table.condition)}{clause(table.clause)}", table.bands)
    for word, bands in (("gains", node.gains), ("losses", node.losses)):
        if not bands:
            continue
        otherwise = " otherwise" if (node.gains_otherwise if word == "gains" else node.losses_otherwise) else ""
        sharing_table(out, word + otherwise + clause(node.gains_clause if word == "gains" else node.losses_clause), bands)
    for limit in node.limits:
        kind = "at most" if limit.kind == "cap" else "at least"
        amounts = " and ".join(amount(a) for a in limit.amounts)
        if limit.combine != "single":
            amounts = f"the {limit.combine} of {amounts}"
        out.line(f"{limit.party} {limit.exposure} {kind} {amounts}{clause(limit.clause)}")
    if node.stop_loss is not None:
        stop = node.stop_loss
        text = f"per patient stop-loss above {money(stop.threshold)}"
        if stop.coinsurance is not None:
            text += f", provider coinsurance {percent(stop.coinsurance)}"
        if stop.limit is not None:
            text += f", up to {money(stop.limit)} per patient"
        out.line(text + clause(stop.clause))
    out.close()


def distribution(out: Writer, node: ast.Distribution) -> None:
    out.open(f"distribution{clause(node.clause)}")
    words = {"core": "core", "outcomes": "outcome payments", "bonus": "bonus"}
    for share in node.shares:
        parts = " and ".join(f"{percent(p.share)} of {words[p.component]}" for p in share.parts)
        out.line(f"{share.subcontractor} receives {parts}{clause(share.clause)}")
    out.close()


def measures(out: Writer, node: ast.Measures) -> None:
    out.open(f"measures{clause(node.clause)}")
    for measure in node.measures:
        out.open(f"measure {measure.name} {quoted(measure.title)}{clause(measure.clause)}")
        if measure.unit is not None:
            out.line(f"unit {unit(measure.unit)}")
        for key in ("description", "definition", "source"):
            value = getattr(measure, key)
            if value is not None:
                out.line(f"{key} {quoted(value)}")
        out.close()
    out.close()


def activity(out: Writer, node: ast.Activity) -> None:
    out.open(f"activity{clause(node.clause)}")
    for item in node.items:
        out.open(f"item {item.name} {quoted(item.title)}{clause(item.clause)}")
        unit_word = item.unit or "unit"
        if item.block is not None:
            collar = f", less the price for each {unit_word} below {percent(item.block_collar)} of plan" if item.block_collar is not None else ""
            out.line(f"block {money(item.block)}{collar}")
        if item.price is not None:
            out.line(f"price {money(item.price)} per {unit_word}")
        if item.per_patient:
            out.line("volume counted per patient in the patient costs")
        if item.plan is not None:
            out.line(f"plan {number(item.plan)}")
        if item.threshold is not None and item.rate is not None:
            out.line(f"above {percent(item.threshold)} of plan paid at {percent(item.rate)} of price")
        if item.ceiling is not None:
            out.line(f"nothing paid above {percent(item.ceiling)} of plan")
        if item.collar is not None:
            out.line(f"paid for at least {percent(item.collar)} of plan")
        if item.phase is not None:
            out.line(f"in phase {quoted(item.phase)}")  # as the phase's own name is written
        if item.first_year is not None:
            if item.last_year is None:
                out.line(f"from year {item.first_year}")
            elif item.last_year == item.first_year:
                out.line(f"in year {item.first_year}")
            else:
                out.line(f"in years {item.first_year} to {item.last_year}")
        if item.description is not None:
            out.line(f"description {quoted(item.description)}")
        out.close()
    out.close()


# ---------------------------------------------------------------- expressions


def literal(node: ast.Literal) -> str:
    if node.kind == "percent":
        return percent(node.value)
    if node.kind == "money":
        return money(node.value)
    return number(node.value)


def counted_words(node: ast.CountAchieved) -> str:
    """`outcomes`, `indicators`, or the names counted: what `the number of ... achieved` counts."""
    return ", ".join(node.names) if node.among == "named" else node.among


def expression(node: ast.Expr) -> str:
    """An expression, fully parenthesised so that it reads back the same."""
    if isinstance(node, ast.Literal):
        return literal(node)
    if isinstance(node, ast.Reference):
        return node.name
    if isinstance(node, ast.Negative):
        return f"-({expression(node.operand)})"
    if isinstance(node, (ast.Arithmetic, ast.Comparison, ast.Logical)):
        return f"({expression(node.left)} {node.operator} {expression(node.right)})"
    if isinstance(node, ast.Not):
        return f"not ({expression(node.operand)})"
    if isinstance(node, ast.Achieved):
        return f"({node.name} is achieved)"
    if isinstance(node, ast.AllAchieved):
        return "(all outcomes are achieved)"
    if isinstance(node, ast.Reached):
        return f"({node.name} reached {node.band})"
    if isinstance(node, ast.Extremum):
        return f"{node.function}(" + ", ".join(expression(a) for a in node.arguments) + ")"
    if isinstance(node, ast.CountAchieved):
        return f"the number of {counted_words(node)} achieved"
    raise AssertionError(f"unknown expression {node!r}")
