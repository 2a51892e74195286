"""Hover: what a name stands for (and, for an indicator, its allocation in each contract year),
an amount of money in words, and what a band covers and pays."""

from __future__ import annotations

import decimal
from decimal import Decimal
from typing import Optional

from lsprotocol import types

from .. import ast, model
from ..builder import parse_money
from ..format import percent, rule_line, threshold, threshold_value
from ..money import HUNDRED, exact_context, pounds, short_pounds, to_penny
from ..plan import YearPlan, plan_for
from .analysis import Analysis
from .lexemes import lexeme_at
from .names import Occurrence
from .positions import LineIndex
from .words import pounds_words


def year_plans(analysis: Analysis) -> list[YearPlan]:
    """Each contract year's plan, for a text without errors; worked out once per text."""
    if "plans" not in analysis.memo:
        plans = []
        if analysis.ok and analysis.contract is not None and not model.term_too_long(analysis.contract):
            with decimal.localcontext(exact_context()):
                for year in model.contract_years(analysis.contract):
                    try:
                        plans.append(plan_for(analysis.contract, year))
                    except Exception:  # noqa: BLE001 - a year that needs data (a population adjustment) is left out
                        continue
        analysis.memo["plans"] = plans
    return analysis.memo["plans"]


def year_words(contract: ast.Contract, year: int) -> str:
    term = contract.term
    return f"year {year} ({term.financial_year(year)})" if term is not None else f"year {year}"


def clause_words(clause: Optional[str]) -> str:
    return f" (clause {clause})" if clause else ""


def hover(analysis: Analysis, offset: int, lines: LineIndex) -> Optional[types.Hover]:
    """The hover at a character offset, or None."""
    occurrence = analysis.names.at(offset)
    if occurrence is not None and analysis.contract is not None:
        text = describe(analysis, occurrence)
        if text:
            return types.Hover(types.MarkupContent(types.MarkupKind.Markdown, text), lines.offsets(occurrence.start, occurrence.end))
    lexeme = lexeme_at(list(analysis.lexemes), offset)
    if lexeme is not None and lexeme.kind == "money":
        amount = parse_money(lexeme.text)
        text = f"**{short_pounds(amount)}** ({pounds_words(amount)})"
        return types.Hover(types.MarkupContent(types.MarkupKind.Markdown, text), lines.offsets(lexeme.start, lexeme.end))
    return None


def describe(analysis: Analysis, occurrence: Occurrence) -> str:
    contract = analysis.contract
    assert contract is not None  # hover asks only with a contract
    name = occurrence.name
    if occurrence.kind == "band":
        return band_words(analysis, occurrence)
    if occurrence.kind == "indicator":
        return indicator_words(analysis, next(i for i in contract.all_indicators if i.name == name))
    if occurrence.kind == "outcome":
        return outcome_words(analysis, next(o for o in contract.all_outcomes if o.name == name))
    if occurrence.kind == "bonus":
        bonus = next(b for b in contract.all_bonuses if b.name == name)
        text = f"**bonus `{name}`**: {bonus.title}{clause_words(bonus.clause)}"
        if bonus.weight is not None:
            text += f"\n\nweight {weight_words(bonus.weight)}"
        amounts = [(plan.year, b.allocation) for plan in year_plans(analysis) for b in plan.bonuses if b.bonus.name == name]
        return text + allocation_table(contract, amounts)
    if occurrence.kind == "segment":
        segment = next(s for s in contract.segments if s.name == name)
        text = f"**segment `{name}`**: {segment.title}{clause_words(segment.clause)}"
        facts = [segment.description or ""]
        if segment.people is not None:
            facts.append(f"{segment.people:,f} people")
        if segment.weight is not None:
            facts.append(f"risk weight {segment.weight.normalize():f}")
        return text + "".join(f"\n\n{fact}" for fact in facts if fact)
    if occurrence.kind == "subcontractor":
        subcontractor = next(s for s in contract.header.subcontractors if s.name == name) if contract.header else None
        if subcontractor is None:
            return ""
        text = f"**subcontractor `{name}`**: {subcontractor.title}{clause_words(subcontractor.clause)}"
        lines = contract.distribution.shares if contract.distribution else ()
        for line in lines:
            if line.subcontractor == name:
                parts = " and ".join(f"{percent(p.share)} of {COMPONENTS[p.component]}" for p in line.parts)
                text += f"\n\nreceives {parts}{clause_words(line.clause)}"
        return text
    if occurrence.kind == "phase":
        phase = next(p for p in contract.phases if p.name == name)
        last = f"to {phase.last_year}" if phase.last_year is not None else "to the end of the term"
        years = f"year {phase.first_year}" if phase.last_year == phase.first_year else f"years {phase.first_year} {last}"
        return f"**phase `{name}`**: {years}{clause_words(phase.clause)}"
    if occurrence.kind == "measure":
        measure = next(m for m in contract.all_measures if m.name == name)
        text = f"**measure `{name}`**: {measure.title}{clause_words(measure.clause)}"
        facts = [f"unit {measure.unit.kind}" if measure.unit is not None else "",
                 f"source: {measure.source}" if measure.source else "", measure.description or "", measure.definition or "",
                 "given as data; read by the contract's conditions and terms, it pays nothing itself"]
        return text + "".join(f"\n\n{fact}" for fact in facts if fact)
    if occurrence.kind == "activity item":
        return activity_hover(analysis, name)
    return ""


def activity_hover(analysis: Analysis, name: str) -> str:
    """An activity item: its terms as the schedule reads them, and the most it can pay in each contract year."""
    from ..schedule.activity import item_words

    contract = analysis.contract
    assert contract is not None
    item = next(i for i in contract.all_activity if i.name == name)
    text = f"**activity item `{name}`**: {item.title}{clause_words(item.clause)}\n\n{item_words(item, model.last_year(contract))}"
    text += f"\n\nits volume is given as data: a row `{name}, YEAR, , VOLUME`" if not item.per_patient else \
        "\n\nits volume is counted from the patient costs"
    for plan in year_plans(analysis):
        paid = next((p for p in plan.activity if p.name == name), None)
        if paid is not None and paid.in_force:
            most = paid.most
            text += f"\n\n{year_words(contract, plan.year)}: " + ("no limit" if most is None else f"at most {pounds(to_penny(most, plan.rounding))}")
    return text


COMPONENTS = {"core": "core", "outcomes": "outcome payments", "bonus": "bonus"}


def weight_words(weight: ast.Weight) -> str:
    return percent(weight.value) if weight.unit == "percent" else f"{weight.value.normalize():f} points"


def allocation_table(contract: ast.Contract, amounts: list[tuple[int, Decimal]], linked: Optional[dict] = None) -> str:
    if not amounts:
        return ""
    rows = ["", "", "| contract year | allocation |", "|---|---:|"]
    for year, amount in amounts:
        note = "" if linked is None or linked.get(year, True) else " (not linked to payment)"
        rows.append(f"| {year_words(contract, year)} | {pounds(amount)}{note} |")
    return "\n".join(rows)


def indicator_words(analysis: Analysis, indicator: ast.Indicator) -> str:
    contract = analysis.contract
    assert contract is not None
    outcome = model.outcome_of(contract)[indicator.name]
    text = f"**indicator `{indicator.name}`**: {indicator.title}{clause_words(indicator.clause)}"
    facts = f"in outcome `{outcome.name}` ({outcome.title})"
    if indicator.weight is not None:
        facts += f", weight {weight_words(indicator.weight)}"
    facts += phase_weight_words(contract, indicator.name)
    text += f"\n\n{facts}"
    if indicator.direction:
        text += f"; {indicator.direction} is better"
    rule = indicator.rule
    if isinstance(rule, (ast.Target, ast.SlidingScale)):
        text += f"\n\n{rule_line(rule)}"
    elif isinstance(rule, ast.Bands):
        text += "\n\nbands " + ", ".join(f"`{b.name}` {threshold(b.threshold)}" for b in rule.bands)
    amounts, linked = [], {}
    for plan in year_plans(analysis):
        line = next((line for line in plan.lines if line.name == indicator.name), None)
        if line is not None and line.allocation is not None:
            amounts.append((plan.year, line.allocation))
            linked[plan.year] = line.linked
    if not amounts and model.has_rule(indicator) and not analysis.ok:
        return text + "\n\n(allocations are shown once the contract has no errors)"
    return text + allocation_table(contract, amounts, linked)


def phase_weight_words(contract: ast.Contract, name: str) -> str:
    """`; 30% in phase `later`` for each phase whose `weights ... end` restates the named weight."""
    return "".join(f"; {weight_words(w.weight)} in phase `{phase.name}`" for phase in contract.phases
                   for w in (phase.weights.weights if phase.weights is not None else ()) if w.name == name)


def outcome_words(analysis: Analysis, outcome: ast.Outcome) -> str:
    contract = analysis.contract
    assert contract is not None
    text = f"**outcome `{outcome.name}`**: {outcome.title}{clause_words(outcome.clause)}"
    if outcome.weight is not None:
        text += f"\n\nweight {weight_words(outcome.weight)}" + phase_weight_words(contract, outcome.name)
    if outcome.indicators:
        text += "\n\nindicators " + ", ".join(f"`{i.name}`" for i in outcome.indicators)
    names = {i.name for i in outcome.indicators}
    amounts = []
    for plan in year_plans(analysis):
        total = sum((line.allocation for line in plan.lines if line.name in names and line.allocation is not None), Decimal(0))
        amounts.append((plan.year, total))
    return text + allocation_table(contract, amounts)


def band_words(analysis: Analysis, occurrence: Occurrence) -> str:
    contract = analysis.contract
    assert contract is not None
    indicator = next((i for i in contract.all_indicators if i.name == occurrence.owner), None)
    if indicator is None:
        return ""
    found = None
    for segment, rule in model.indicator_rules(indicator):
        if isinstance(rule, ast.Bands):
            for index, band in enumerate(rule.bands):
                if band.name == occurrence.name and (found is None or (band.name_span and band.name_span.start == occurrence.start)):
                    found = (segment, rule, index)
    if found is None:
        return ""
    segment, rule, index = found
    band = rule.bands[index]
    where = f" in segment `{segment}`" if segment else ""
    text = f"**band `{band.name}`** of indicator `{indicator.name}`{where}{clause_words(band.clause or rule.clause)}"
    reach = threshold(band.threshold)
    if band.upper is not None:
        reach += f" to {threshold_value(band.upper)}"
    elif index + 1 < len(rule.bands):
        better = rule.bands[index + 1]
        reach += f", until `{better.name}` ({threshold(better.threshold)})"
    text += f"\n\nreached at {reach}"
    if band.share is None:
        text += "\n\nstates no payment share"
    else:
        base = "of the pot" if band.base == "pot" else "of the indicator's allocation"
        text += f"\n\npays {percent(band.share)} {base}"
    amounts = []
    for plan in year_plans(analysis):
        line = next((line for line in plan.lines if line.name == indicator.name), None)
        part = next((p for p in line.parts if p.segment == segment and p.shares is not None), None) if line else None
        if line is None or part is None or not line.linked or part.shares is None:
            continue
        share, base_kind = part.shares[index]
        base_amount = plan.pot if base_kind == "pot" else part.allocation
        amounts.append((plan.year, to_penny(base_amount * share / HUNDRED, plan.rounding)))
    if amounts:
        text += "\n\n| contract year | pays |\n|---|---:|\n" + "\n".join(
            f"| {year_words(contract, year)} | {pounds(amount)} |" for year, amount in amounts)
    return text
