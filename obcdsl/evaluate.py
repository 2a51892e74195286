"""Exact evaluation: a checked contract and a year's data → the year's payment statement.

The year is compiled once into its plan (`obcdsl.plan`) and paid by the one
interpreter (`obcdsl.interpret`) with the exact backend; this module checks
the data against the contract first, and then assembles the statement:
each line's amount from the interpreter's result, and the words that say
why. Every amount is exact (`Decimal`); see `obcdsl.money` for rounding.
Any problem in the data stops the evaluation with a `DataError`, so nothing
is ever paid from partial data.
"""

from __future__ import annotations

import decimal
from decimal import Decimal
from typing import Optional

import attrs

from . import ast, model
from .backends import Exact
from .data import Data, DataError
from .data_validation import validate
from .expressions import ExpressionError, Number, Value, lower_condition, lower_indicator_value, lower_number, readable, scope
from .activity_statement import activity_lines
from .interpret import ExactInputs, LineResult, PartResult, RiskResult, Run, YearResult
from .lowering import LinearRule, StepRule, comparison
from .money import HUNDRED, ZERO, exact_context, percent_text, pounds, short_pounds, split
from .format import counted_words, expression
from .parties import pool_shares
from .plan import Missing, YearPlan, plan_for
from .statement import Line, PartyShare, RiskSettlement, Statement

__all__ = ["Missing", "evaluate", "evaluate_plan"]

EXACT = Exact()


def evaluate(contract: ast.Contract, data: Data, year: int, plans: Optional[dict] = None) -> Statement:
    """The payment statement for a contract year. Raises `DataError` for any data problem.

    `plans`, if given, keeps each year's compiled plan for the next call.
    """
    last = model.last_year(contract)
    if year < 1 or year > last:
        raise ValueError(f"year {year} is outside the contract term (years 1 to {last})")
    problems = validate(contract, data)
    if problems:
        raise DataError(problems)
    with decimal.localcontext(exact_context()):
        try:
            plan = plan_for(contract, year, data, plans)
            return evaluate_plan(plan, data)
        except Missing as exc:
            raise DataError(exc.diagnostics) from None


def evaluate_plan(plan: YearPlan, data: Data) -> Statement:
    """The statement for a compiled year and its data. Raises `Missing` for data problems."""
    run = Run(plan, EXACT, ExactInputs(plan, data))
    result = run.year()
    return assemble(run, result)


# ---------------------------------------------------------------- the statement


def assemble(run: Run, result: YearResult) -> Statement:
    plan = result.plan
    contract = plan.contract
    owners = model.outcome_of(contract)
    lines = [indicator_line(run, result.lines[i.name]) if i.name in result.lines else measure_line(run, i, owners[i.name])
             for i in contract.all_indicators]
    for bonus in result.bonuses:
        if bonus.holds:
            words = f"{bonus.bonus.title}: the condition holds → {pounds(bonus.allocation)}"
        else:
            assert bonus.bonus.condition is not None  # a bonus without a condition always holds (interpret.Run.year)
            words = f"{bonus.bonus.title}: {describe_condition(run, bonus.bonus.condition)} → not paid"
        words += clause_words(bonus.bonus.clause) + weighed_words(plan, bonus.bonus.name)
        lines.append(Line("bonus", bonus.bonus.name, bonus.bonus.title, bonus.amount, words,
                          bonus.bonus.clause, rule="bonus", linked=plan.pot > 0, achieved=bool(bonus.holds and bonus.allocation > 0),
                          allocation=bonus.allocation))
    lines += activity_lines(result)
    lines += component_lines(run, result)
    settlement = None
    if result.risk is not None:
        settlement = risk_lines(run, result.risk, lines)
    unearned_rule = contract.outcomes.unearned if contract.outcomes else None
    header = contract.header
    risk_share = result.risk_to_provider if result.risk is not None else ZERO
    statement = Statement(
        contract=header.name if header else "",
        commissioner=commissioner_words(header),
        lead_provider=header.lead_provider if header else None,
        year=plan.year,
        financial_year=contract.term.financial_year(plan.year) if contract.term else None,
        phase=plan.phase.name if plan.phase else None,
        rounding=plan.rounding,
        budget=plan.budget,
        budget_steps=plan.budget_steps,
        core=plan.core,
        pot=plan.pot,
        reserve=plan.reserve_paid,
        outcomes_paid=result.outcomes_paid,
        bonus_paid=result.bonus_paid,
        risk_share=risk_share,
        lines=tuple(lines),
        unearned=result.unearned,
        unearned_destination=unearned_rule.destination if unearned_rule else "retained",
        unearned_services=unearned_rule.services if unearned_rule else (),
        risk=settlement,
        distribution=distribute(contract, plan.core - result.deducted, result.outcomes_paid, result.bonus_paid,
                                plan.reserve_paid + risk_share + result.top_up + result.activity_paid),
        pot_on_top=plan.on_top,
        carved_out=plan.carved_out if plan.carve_outs else None,
        deducted=result.deducted if plan.deductions else None,
        top_up=result.top_up if plan.floor is not None else None,
        outcomes_on_top=result.on_top if any(line.scale is not None and line.scale.source.on_top for line in plan.lines) else None,
        activity=result.activity_paid if plan.activity else None,
    )
    if header is not None and header.commissioners is not None:
        statement = attrs.evolve(statement, commissioners=pool_shares(contract, plan.budget, statement.commissioner_cost))
    return statement


def commissioner_words(header: Optional[ast.Header]) -> Optional[str]:
    """The commissioner's name, or the pooling commissioners' names (`NHS Example ICB and Example County Council`)."""
    if header is None:
        return None
    if header.commissioners is not None and header.commissioners.members:
        titles = [m.title for m in header.commissioners.members]
        return titles[0] if len(titles) == 1 else ", ".join(titles[:-1]) + " and " + titles[-1]
    return header.commissioner


def clause_words(clause: Optional[str]) -> str:
    return f" (clause {clause})" if clause else ""


# ---------------------------------------------------------------- carve-outs, deductions and the floor


def amount_words(amount: ast.BudgetAmount, of: str, base: Optional[Decimal]) -> str:
    """`4% of the budget £10,000,000.00`, or `£100,000.00`."""
    if amount.kind == "share" and base is not None:
        return f"{percent_text(amount.value)} of the {of} {pounds(base)}"
    return pounds(amount.value)


def component_lines(run: Run, result: YearResult) -> list[Line]:
    """A line for each carve-out and deduction, and the top-up to a floor on the total payment."""
    plan = result.plan
    lines = []
    for carve in plan.carve_outs:
        out = carve.source
        working = f"{amount_words(out.amount, 'budget', plan.budget)} → " if out.amount.kind == "share" else ""
        words = (f'carved out of the budget for "{out.destination}": {working}{pounds(carve.amount)}, paid to it, '
                 f"not to the provider{clause_words(out.clause)}")
        lines.append(Line("carve-out", out.destination, f"Carve-out: {out.destination}", carve.amount, words, out.clause,
                          inputs={"budget": plan.budget} if out.amount.kind == "share" else {}))
    for number, deduction in enumerate(result.deductions, 1):
        source = deduction.plan.source
        stated = amount_words(ast.BudgetAmount(source.kind, source.value), "core", plan.core)
        condition = f"unless {condition_aloud(source.condition)}"
        values = values_read_by(run, source.condition)
        indicators = {i.name: i for i in plan.contract.all_indicators}
        shown = ", ".join(f"`{name}` {show_value(indicators.get(name), value)}" for name, value in values.items())
        facts = f" ({shown})" if shown else ""
        if deduction.holds:
            words = f"deduct {stated} {condition}: met{facts} → nothing deducted"
        else:
            words = f"deduct {stated} {condition}: not met{facts} → {pounds(deduction.amount)} deducted from the core"
        inputs = values | {"condition_holds": bool(deduction.holds)}
        lines.append(Line("deduction", f"deduction {number}", f"Deduction {number} from the core", deduction.amount,
                          words + clause_words(source.clause), source.clause, inputs=inputs))
    if plan.floor is not None:
        floor = stated_floor(plan)
        before = result.total_to_provider - result.top_up
        relation = "below" if result.top_up > 0 else "not below"
        words = (f"total payment at least {amount_words(floor, 'budget', plan.budget)} = {pounds(plan.floor)}; "
                 f"the total before any top-up is {pounds(before)}, {relation} it → {pounds(result.top_up)} topped up")
        lines.append(Line("top-up", "floor top-up", "Top-up to the floor on the total payment", result.top_up,
                          words + clause_words(floor.clause), floor.clause, inputs={"floor": plan.floor, "total_before": before}))
    return lines


OPERATOR_WORDS = {" >= ": " at least ", " <= ": " at most ", " > ": " above ", " < ": " below "}


def condition_aloud(expr: ast.Expr) -> str:
    """A condition as the contract reads it: `crisis_response_4h at least 75%`, not `(crisis_response_4h >= 75%)`."""
    text = expression(expr)
    if text.startswith("(") and text.endswith(")") and text.count("(") == 1:
        text = text[1:-1]
    for operator, words in OPERATOR_WORDS.items():
        text = text.replace(operator, words)
    return text


def stated_floor(plan: YearPlan) -> ast.BudgetAmount:
    floor = model.components_for_year(plan.contract, plan.year).floor
    assert floor is not None  # the plan has a floor only when one is stated
    return floor


def values_read_by(run: Run, expr: ast.Expr) -> dict:
    """The values of the indicators a condition reads, as the statement shows them (absent ones left out)."""
    found = {}
    for node in model.iter_subexpressions(expr):
        if isinstance(node, ast.Reference) and node.name not in found:
            try:
                found[node.name] = run.number_all(lower_number(node, scope(run.plan.contract, run.plan.linked)), None)
            except (Missing, ExpressionError):
                continue
    return found


# ---------------------------------------------------------------- indicators


def indicator_line(run: Run, result: LineResult) -> Line:
    line = result.plan
    indicator, outcome = line.indicator, line.outcome
    heading = f"{outcome.title} / {indicator.title}"
    if not line.linked:
        shown, values = measured_words(run, indicator, [(part.segment, part.value) for part in line.parts])
        return Line("indicator", indicator.name, indicator.title, ZERO,
                    f"{heading}: {shown}; {NOT_LINKED} (year {run.plan.year}) → nothing earned{clause_words(indicator.clause)}",
                    indicator.clause, outcome.name, outcome_title=outcome.title, rule=rule_name(indicator), linked=False, achieved=False, allocation=line.allocation,
                    inputs=values)
    gate = None
    if result.failed_gate is not None:
        source = result.failed_gate.source
        gate = f"gateway not met: {describe_condition(run, source.condition)}" + (f" (clause {source.clause})" if source.clause else "")
    scale = scale_words(result)
    pieces = []
    inputs: dict = {}
    for part in result.parts:
        words, facts = part_words(run, indicator, part)
        if part.plan.segment:
            share = percent_text((part.plan.weight * HUNDRED).quantize(Decimal("0.01")).normalize())
            words = f"segment `{part.plan.segment}` ({share} of the allocation): {words}"
        if gate is not None:
            words += f"; {gate} → nothing paid"
        if scale is not None:
            words += f"; {scale}"
        pieces.append(words)
        shares = {"allocation": part.plan.allocation, "paid": part.paid} if part.plan.segment else {"paid": part.paid}
        inputs[part.plan.segment or "value"] = {k: v for k, v in facts.items() if v is not None} | shares
    explanation = (f"{heading}: " + "; ".join(pieces) + f" = {pounds(result.amount)}" + clause_words(indicator.clause)
                   + weighed_words(run.plan, indicator.name, outcome.name))
    return Line("indicator", indicator.name, indicator.title, result.amount, explanation, indicator.clause, outcome.name,
                outcome_title=outcome.title, rule=rule_name(indicator), linked=True, achieved=result.achieved, allocation=line.allocation, inputs=inputs)


NOT_LINKED = "not linked to payment this year"


def weighed_words(plan, *names: str) -> str:
    """`; allocated by the weights of phase `later` (clause 6.2)` when the year's phase restates the weight of
    the indicator, its outcome or the bonus named, so the allocation is not the one the outcomes section states."""
    phase = plan.phase
    if phase is None or phase.weights is None or not any(w.name in names for w in phase.weights.weights):
        return ""
    return f"; allocated by the weights of phase `{phase.name}`{clause_words(phase.weights.clause or phase.clause)}"


def measure_line(run: Run, indicator: ast.Indicator, outcome: ast.Outcome) -> Line:
    """An indicator without a payment rule: its measured value, for the reader; it pays nothing itself."""
    value = lower_indicator_value(indicator, scope(run.plan.contract, run.plan.linked))
    segments = [s.name for s in run.plan.contract.segments] if indicator.by_segment is not None else [None]
    shown, values = measured_words(run, indicator, [(segment, value) for segment in segments])
    return Line("measure", indicator.name, indicator.title, ZERO,
                f"{outcome.title} / {indicator.title}: {shown}; no payment rule{clause_words(indicator.clause)}",
                indicator.clause, outcome.name, outcome_title=outcome.title, rule="none", linked=False, inputs=values)


def measured_words(run: Run, indicator: ast.Indicator, parts: list[tuple[Optional[str], Number]]) -> tuple[str, dict]:
    """What was measured, in words, and the values by segment (`value` for the whole population)."""
    pieces, values = [], {}
    for segment, number in parts:
        try:
            value: Optional[Decimal] = run.number_all(number, segment)
        except (Missing, ExpressionError):
            value = None
        words = f"no data for year {run.plan.year}" if value is None else f"measured {show_value(indicator, value)}"
        pieces.append(f"segment `{segment}` {words}" if segment else words)
        if value is not None:
            values[segment or "value"] = {"value": value}
    if not values:
        return f"no data for year {run.plan.year}", values
    return ", ".join(pieces), values


def scale_words(result: LineResult) -> Optional[str]:
    if result.scale_points is None:
        return None
    if isinstance(result.scale_points, str):
        return "scaled by 0%: no data for the scaling factor"
    applied = result.scale * HUNDRED
    text = f"scaled by {percent_text(applied.quantize(Decimal('0.01')).normalize())}"
    if applied != result.scale_points:
        text += f" (factor {percent_text(result.scale_points.quantize(Decimal('0.01')).normalize())}, capped)"
    if result.on_top:
        text += f"; {pounds(result.on_top)} of it paid on top of the pot"
    return text


def part_words(run: Run, indicator: ast.Indicator, part: PartResult) -> tuple[str, dict]:
    """What one part of an indicator paid, in words, and the facts it rests on."""
    plan = part.plan
    rule, lowered = plan.rule, plan.lowered
    direction = indicator.direction or "higher"
    base = plan.allocation
    if part.value is None:
        return f"no data for year {run.plan.year}, counted as not achieved", {}
    value, baseline = part.value, part.baseline
    shown = show_value(indicator, value)
    reference = next(iter(model.rule_references(rule)), None)  # what relative thresholds compared with, keyed by it
    compared = "baseline" if reference is None else "last_year" if reference == "last year" else "comparator"
    facts: dict = {"value": value, compared: baseline}
    if isinstance(rule, ast.Target):
        assert isinstance(lowered, StepRule)  # lowering.lower_rule: a target or bands lower to steps
        threshold = lowered.cuts[0].at(baseline)
        met = part.index >= 0
        facts.update(threshold=threshold, met=met)
        target = f"target {show_value(indicator, threshold)}" + baseline_words(indicator, rule.threshold.value, baseline, run.plan.year)
        return (f"{shown} {symbol(rule.threshold, direction, met)} {target} → "
                + (f"100% of {pounds(base)}" if met else f"0% of {pounds(base)}")), facts
    if isinstance(rule, ast.Bands):
        assert isinstance(lowered, StepRule) and plan.shares is not None  # plan.line_plan: bands have their shares
        if part.index < 0:
            first = rule.bands[0]
            threshold = lowered.cuts[0].at(baseline)
            return (f"{shown} {symbol(first.threshold, direction, False)} {first.name} "
                    f"{show_value(indicator, threshold)}{baseline_words(indicator, first.threshold.value, baseline, run.plan.year)} → no band reached"), facts
        band = rule.bands[part.index]
        share, where = plan.shares[part.index]
        threshold = lowered.cuts[part.index].at(baseline)
        facts.update(threshold=threshold, band=band.name)
        of = f"of the pot {pounds(run.plan.pot)}" if where == "pot" else f"of {pounds(base)}"
        return (f"{shown} {symbol(band.threshold, direction, True)} {band.name} "
                f"{show_value(indicator, threshold)}{baseline_words(indicator, band.threshold.value, baseline, run.plan.year)} → "
                f"{percent_text(share)} {of}"), facts
    assert isinstance(lowered, LinearRule)  # the rule left, a sliding scale, lowers to a line
    floor, ceiling = lowered.floor.at(baseline), lowered.ceiling.at(baseline)
    share = rule.floor_pays + (rule.ceiling_pays - rule.floor_pays) * lowered.position(value, baseline)
    facts["share"] = share.quantize(Decimal("0.0001")).normalize()
    return (f"{shown} on the scale from {show_value(indicator, floor)} ({percent_text(rule.floor_pays)}) "
            f"to {show_value(indicator, ceiling)} ({percent_text(rule.ceiling_pays)}) → "
            f"{percent_text(facts['share'])} of {pounds(base)}"), facts


def symbol(threshold: ast.Threshold, direction: str, reached: bool) -> str:
    """How the value stands to the threshold, as the threshold reads (`lowering.comparison`): `≥` when reached, `<` not."""
    operator, _ = comparison(threshold.value, threshold.comparator, direction)
    base = {">": ">", "<": "<", ">=": "≥", "<=": "≤"}[operator]
    if reached:
        return base
    return {"≥": "<", ">": "≤", "≤": ">", "<": "≥"}[base]


def baseline_words(indicator, value: ast.ThresholdValue, baseline: Optional[Decimal], year: int = 2) -> str:
    """` (2 points above baseline 60%)`, ` (2 points above last year's 60%)`, ` (`england_average` 61.5%)`: what a
    relative threshold compared with, and its value."""
    if value.kind == "absolute" or baseline is None:
        return ""
    if value.reference == "last year":
        compared = f"last year's {show_value(indicator, baseline)}" + (", the baseline" if year == 1 else "")
    elif value.reference is not None:
        compared = f"`{value.reference}` {show_value(indicator, baseline)}"
    else:
        compared = f"baseline {show_value(indicator, baseline)}"
    if value.kind == "reference":
        return f" ({compared})"
    amount = f"{value.amount.normalize():f} points" if value.kind == "points" else percent_text(value.amount)
    return f" ({amount} {value.relation} {compared})"


def rule_name(indicator: ast.Indicator) -> str:
    rule = indicator.rule or (indicator.segment_rules[0].rule if indicator.segment_rules else None)
    return {ast.Target: "target", ast.Bands: "bands", ast.SlidingScale: "sliding scale"}.get(type(rule), "none")


# ---------------------------------------------------------------- conditions, in words


def describe_condition(run: Run, expr: ast.Expr) -> str:
    """Why a condition failed, with the values it read."""
    if isinstance(expr, ast.Comparison):
        return f"{describe_value(run, expr.left)} {expr.operator} {describe_value(run, expr.right)}"
    if isinstance(expr, ast.AllAchieved):
        missed = [o.name for o in run.plan.contract.all_outcomes if not outcome_achieved(run, o)]
        return "not every outcome was achieved (" + ", ".join(f"`{m}`" for m in missed) + " missed)"
    if isinstance(expr, ast.Achieved):
        return f"`{expr.name}` was not achieved"
    if isinstance(expr, ast.Reached):
        return f"`{expr.name}` did not reach `{expr.band}`"
    if isinstance(expr, ast.Logical):
        parts = [expr.left, expr.right]
        if expr.operator == "and":
            parts = [p for p in parts if not condition_holds(run, p)] or parts
        return (" and " if expr.operator == "or" else "; ").join(describe_condition(run, p) for p in parts)
    return "the condition does not hold"


def condition_holds(run: Run, expr: ast.Expr) -> bool:
    try:
        return bool(run.condition(lower_condition(expr, scope(run.plan.contract, run.plan.linked))))
    except (Missing, ExpressionError):
        return False


def held_words(run: Run, expr: ast.Expr) -> str:
    """That a condition held, with what it read."""
    if isinstance(expr, ast.Comparison):
        return describe_condition(run, expr)
    if isinstance(expr, ast.Logical) and expr.operator == "and":
        return f"{held_words(run, expr.left)} and {held_words(run, expr.right)}"
    if isinstance(expr, ast.AllAchieved):
        return "every outcome was achieved"
    if isinstance(expr, ast.Achieved):
        return f"`{expr.name}` was achieved"
    if isinstance(expr, ast.Reached):
        return f"`{expr.name}` reached `{expr.band}`"
    return "the condition holds"


def outcome_achieved(run: Run, outcome: ast.Outcome) -> bool:
    linked = [i.name for i in outcome.indicators if i.name in run.plan.linked]
    return bool(linked) and all(run.achieved(name) for name in linked)


def describe_value(run: Run, expr: ast.Expr) -> str:
    try:
        value = run.number_all(lower_number(expr, scope(run.plan.contract, run.plan.linked)), None)
    except (Missing, ExpressionError):
        return "?"
    if isinstance(expr, ast.Reference):
        return f"`{expr.name}` {show_value(readable(run.plan.contract).get(expr.name), value)}"
    if isinstance(expr, ast.Literal):
        return show_literal(expr)
    if isinstance(expr, ast.CountAchieved):
        return f"the number of {counted_words(expr)} achieved ({value.normalize():f})"
    return f"{value.normalize():f}"


def show_literal(literal: ast.Literal) -> str:
    if literal.kind == "percent":
        return percent_text(literal.value)
    if literal.kind == "money":
        return short_pounds(literal.value)
    return f"{literal.value.normalize():f}"


def show_value(indicator: Optional[ast.Indicator | ast.Measure], value: Decimal) -> str:
    unit = indicator.unit.kind if indicator is not None and indicator.unit is not None else None
    rounded = value.quantize(Decimal("0.01")) if value != value.quantize(Decimal("0.01")) else value
    if unit in ("percent", "percent change"):
        return percent_text(rounded)
    if unit == "money":
        return pounds(value)
    return f"{rounded.normalize():f}" if rounded != rounded.to_integral_value() else f"{rounded.to_integral_value():f}"


# ---------------------------------------------------------------- the risk share


def risk_lines(run: Run, risk: RiskResult, lines: list[Line]) -> RiskSettlement:
    """The stop-loss and the settlement, step by step: each step a line with each party's part."""
    plan = run.plan
    assert plan.risk is not None  # a year with a risk result has a risk share (plan.risk_plan)
    source = plan.risk.source
    if source.stop_loss is not None:
        lines.append(stop_loss_line(source.stop_loss, risk))
    if risk.variance is None:
        return RiskSettlement(None, risk.stop_loss, None, ZERO, ZERO, ZERO)
    variance = risk.variance
    kind = "losses" if variance > 0 else "gains"
    noun = "loss" if variance > 0 else "gain"
    magnitude = abs(variance)
    sharing = risk.sharing
    bands = sharing.written
    steps: list[dict] = []
    binding = []
    choice = table_words(run, kind, noun, sharing)
    if choice is not None:
        steps.append(dict(name=f"{kind} table", title=f"Which {kind} table applies", words=choice[0], clause=choice[1],
                          inputs={}, provider=ZERO, commissioner=ZERO))
    for step in risk.steps:
        if step.kind == "minimum":
            if step.amount > magnitude or (step.amount == magnitude and source.minimum is not None
                                           and source.minimum.basis == "first pound"):
                relation = "below" if step.amount > magnitude else "equal to"
                words = f"the {noun} of {pounds(magnitude)} is {relation} the minimum variance of {pounds(step.amount)}: not shared"
            else:
                words = f"the first {pounds(step.amount)} of the {noun} (the minimum variance) is not shared"
            if source.unshared_party(kind) == "commissioner":
                words += f"; it goes to the commissioner ({kind} not shared go to the commissioner)"
            assert source.minimum is not None  # a minimum step comes from the minimum variance (lowering.Sharing.settle)
            name, title, clause_ref, inputs = "minimum variance", "Minimum variance", source.minimum.clause, {}
        elif step.kind == "band" and sharing.unshared_all:
            words = f"the {noun} of {pounds(step.amount)} is not shared: it goes to the {sharing.unshared_to}"
            name, title = f"{kind} not shared", f"{noun.capitalize()} not shared"
            clause_ref, inputs = source.clause, {"portion": step.amount}
        elif step.kind == "band":
            band = step.band
            written = bands[band.index - 1]
            range_words = (f"{short_pounds(band.lower)} to {short_pounds(band.upper)}" if band.upper is not None
                           else f"above {short_pounds(band.lower)}")
            words = (f"{noun} of {pounds(step.amount)} in the band {range_words}: provider {percent_text(written.provider)}, "
                     f"commissioner {percent_text(written.commissioner)}")
            name, title = f"{kind} band {band.index}", f"{noun.capitalize()} {range_words}"
            side_clause = sharing.table.clause if sharing.table is not None else (
                source.losses_clause if variance > 0 else source.gains_clause)
            clause_ref, inputs = written.clause or side_clause or source.clause, {"portion": step.amount}
        elif step.kind == "beyond":
            words = f"{pounds(step.amount)} lies beyond the last band and stays with the provider"
            name, title, clause_ref, inputs = f"{kind} beyond the bands", f"{noun.capitalize()} beyond the bands", source.clause, {}
        else:
            limit = step.limit
            other = "commissioner" if limit.party == "provider" else "provider"
            written_limit = next(x for x in source.limits if (x.party, x.exposure, x.kind) == (limit.party, kind, limit.kind))
            value = step.value if step.value is not None else limit.value
            assert value is not None  # a limit that applied has a value in the year
            if step.kind == "cap":
                words = f"the {limit.party}'s share is capped at {pounds(value)}"
                read = [a for a in written_limit.amounts if a.kind == "measure share"]
                if read:
                    words += " (" + ", ".join(f"{percent_text(a.value)} of `{a.measure}` "
                                              f"{pounds(run.number_all(Value(a.measure or '', False), None))}" for a in read) + ")"
                words += f"; {pounds(step.amount)} passes to the {other}"
                title = f"Cap on the {limit.party}'s {kind}"
            else:
                words = f"the {limit.party}'s share is at least {pounds(value)}; {pounds(-step.amount)} moves from the {other}"
                title = f"Floor on the {limit.party}'s {kind}"
            binding.append(f"{limit.party} {kind} {limit.kind}")
            name, clause_ref, inputs = f"{limit.party} {kind} {limit.kind}", written_limit.clause, {}
        steps.append(dict(name=name, title=title, words=words, clause=clause_ref, inputs=inputs,
                          provider=step.provider, commissioner=step.commissioner))
    # each party's total is the interpreter's; its lines are split from it so that they add up exactly
    provider_parts = split(risk.provider_share, [x["provider"] for x in steps])
    commissioner_parts = split(risk.commissioner_share, [x["commissioner"] for x in steps])
    for x, provider_part, commissioner_part in zip(steps, provider_parts, commissioner_parts):
        effect = commissioner_part if variance > 0 else -commissioner_part
        lines.append(Line("risk share", x["name"], x["title"], effect, x["words"], x["clause"],
                          inputs=x["inputs"], party_amounts={"provider": provider_part, "commissioner": commissioner_part}))
    return RiskSettlement(risk.actual_cost, risk.stop_loss, variance, risk.provider_share, risk.commissioner_share,
                          risk.transfer, tuple(binding), plan.risk.reference, risk.reference)


def table_words(run: Run, side: str, noun: str, sharing) -> Optional[tuple[str, Optional[str]]]:
    """Which of the side's tables applied and why, when it has `when` tables: (words, clause)."""
    risk = run.plan.risk
    assert risk is not None
    source = risk.source
    tables = source.tables_for(side)
    if not tables:
        return None
    if sharing.table is not None:
        return (f"the {noun} is shared by the `{side} when` table: {held_words(run, sharing.table.condition)}",
                sharing.table.clause or source.clause)
    failed = "; ".join(describe_condition(run, t.condition) for t in tables)
    if sharing.unshared_all:
        return (f"no `{side} when` table applies ({failed}): the {noun} is not shared and goes to the "
                f"{sharing.unshared_to} ({side} not shared go to the {sharing.unshared_to})", source.clause)
    clause = source.gains_clause if side == "gains" else source.losses_clause
    return f"no `{side} when` table applies ({failed}): the `{side} otherwise` table applies", clause or source.clause


def stop_loss_line(stop: ast.StopLoss, risk: RiskResult) -> Line:
    count, excess, reimbursed = risk.stop_patients, risk.stop_excess, risk.stop_loss
    words = f"{count} patient{'s' if count != 1 else ''} cost more than {pounds(stop.threshold)}; excess {pounds(excess)}"
    if stop.limit is not None:
        words += f" (counted up to {pounds(stop.limit)} a patient)"
    if stop.coinsurance:
        words += f", less the provider's {percent_text(stop.coinsurance)} coinsurance"
    words += f" → {pounds(reimbursed)} borne by the commissioner"
    return Line("stop-loss", "per patient stop-loss", "Per-patient stop-loss", reimbursed, words, stop.clause,
                inputs={"patients_over_threshold": count, "excess": excess, "threshold": stop.threshold})


# ---------------------------------------------------------------- distribution


def distribute(contract: ast.Contract, core: Decimal, outcomes: Decimal, bonus: Decimal, other: Decimal) -> tuple[PartyShare, ...]:
    header = contract.header
    subcontractors = {s.name: s for s in (header.subcontractors if header else ())}
    shares = contract.distribution.shares if contract.distribution else ()
    parties = [s.subcontractor for s in shares]
    amounts = {}
    for component, total in (("core", core), ("outcomes", outcomes), ("bonus", bonus)):
        exact = []
        for share in shares:
            percent = sum((p.share for p in share.parts if p.component == component), ZERO)
            exact.append(total * percent / HUNDRED)
        exact.append(total - sum(exact, ZERO))
        amounts[component] = split(total, exact)
    result = []
    for index, name in enumerate(parties):
        title = subcontractors[name].title if name in subcontractors else name
        result.append(PartyShare(name, title, amounts["core"][index], amounts["outcomes"][index], amounts["bonus"][index], ZERO, "subcontractor"))
    lead = header.lead_provider if header and header.lead_provider else "lead provider"
    result.insert(0, PartyShare("lead provider", lead, amounts["core"][-1], amounts["outcomes"][-1], amounts["bonus"][-1], other, "lead provider"))
    return tuple(result)
