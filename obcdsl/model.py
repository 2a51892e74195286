"""Facts derived from a contract's AST that checks and evaluation both need.

What an indicator's allocation is, which indicators a year links to payment,
which phase covers a year, which rule applies in a segment: one place says
each, so that `check` and `evaluate` cannot disagree.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Iterator, Optional

import attrs

from . import ast
from .lowering import COMPARATORS, REWARDS

HUNDRED = Decimal(100)
ONE = Decimal(1)


def iter_subexpressions(expr: ast.Expr) -> Iterator[ast.Expr]:
    """The expression and every expression inside it."""
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.Arithmetic, ast.Comparison, ast.Logical)):
            stack.extend((node.right, node.left))
        elif isinstance(node, (ast.Negative, ast.Not)):
            stack.append(node.operand)
        elif isinstance(node, ast.Extremum):
            stack.extend(reversed(node.arguments))


def contract_expressions(contract: ast.Contract) -> Iterator[tuple[ast.Expr, str]]:
    """Every expression written in the contract, with what it is for."""
    for outcome in contract.all_outcomes:
        for gate in outcome.gates:
            yield gate.condition, "condition"
        for indicator in outcome.indicators:
            if indicator.measured_as is not None:
                yield indicator.measured_as, "value"
            if indicator.scaling is not None:
                yield indicator.scaling.factor, "value"
            for gate in indicator.gates:
                yield gate.condition, "condition"
    for bonus in contract.all_bonuses:
        if bonus.condition is not None:
            yield bonus.condition, "condition"
    if contract.payments is not None:
        for deduction in contract.payments.deductions:
            yield deduction.condition, "condition"
    for terms in all_risk_terms(contract):
        for table in terms.tables:
            yield table.condition, "condition"


def all_risk_terms(contract: ast.Contract) -> list[ast.RiskShare]:
    """The risk share as written: the contract's section, then each phase's `risk share ... end`."""
    found = [contract.risk_share] if contract.risk_share is not None else []
    return found + [phase.risk_terms for phase in contract.phases if phase.risk_terms is not None]


def indicator_rules(indicator: ast.Indicator) -> Iterator[tuple[Optional[str], ast.Rule]]:
    """The indicator's payment rules: (None, rule) for the general one, then per segment."""
    if indicator.rule is not None:
        yield None, indicator.rule
    for segment_rule in indicator.segment_rules:
        yield segment_rule.segment, segment_rule.rule


def weight_fraction(weight: Optional[ast.Weight], total: Decimal) -> Optional[Decimal]:
    if weight is None or total == 0:
        return None
    return weight.value / total


def outcome_weight_total(contract: ast.Contract) -> Decimal:
    """What outcome and bonus weights are shares of: the stated total, else their sum (points) or 100%."""
    return contract.weight_total


def indicator_weight_total(outcome: ast.Outcome) -> Decimal:
    return outcome.indicator_weight_total


def allocation_fraction(contract: ast.Contract, outcome: ast.Outcome, indicator: ast.Indicator) -> Optional[Decimal]:
    """The indicator's share of the pot: outcome weight × weight within the outcome.

    None when the outcome has no weight (its bands then pay shares of the pot).
    """
    outcome_share = weight_fraction(outcome.weight, outcome_weight_total(contract))
    if outcome_share is None and takes_whole_pot(contract, outcome):
        outcome_share = ONE
    if outcome_share is None:
        return None
    if outcome.paying_indicator_count == 1 and has_rule(indicator):
        return outcome_share
    within = weight_fraction(indicator.weight, indicator_weight_total(outcome))
    if within is None:
        return None
    return outcome_share * within


def takes_whole_pot(contract: ast.Contract, outcome: ast.Outcome) -> bool:
    """A contract's only outcome, with no weight and no bonus beside it, takes the whole pot."""
    return outcome.weight is None and len(contract.all_outcomes) == 1 and not contract.all_bonuses


def weighed_for_year(contract: ast.Contract, year: int) -> ast.Contract:
    """The contract with the weights in force in a year: its phase's `weights ... end` in place of the
    outcomes', indicators' and bonuses' own (the contract itself when the phase states none)."""
    phase = phase_for(contract, year)
    return weighed_in(contract, phase) if phase is not None and phase.weights is not None else contract


def weighed_in(contract: ast.Contract, phase: ast.Phase) -> ast.Contract:
    """The contract with a phase's weights in place; each weight keeps the phase line's span, so the checks of
    the weights (what they add up to, their units) point at the phase where it states them."""
    key = ("weighed", id(phase))
    remembered = contract.derived.get(key)
    if remembered is not None:
        return remembered
    restated = {w.name: w.weight for w in phase.weights.weights} if phase.weights is not None else {}
    if contract.outcomes is None or not restated:
        return contract

    def reweigh(node):
        return attrs.evolve(node, weight=restated[node.name]) if node.name in restated else node

    outcomes = tuple(attrs.evolve(reweigh(o), indicators=tuple(reweigh(i) for i in o.indicators))
                     for o in contract.outcomes.outcomes)
    bonuses = tuple(reweigh(b) for b in contract.outcomes.bonuses)
    weighed = attrs.evolve(contract, outcomes=attrs.evolve(contract.outcomes, outcomes=outcomes, bonuses=bonuses))
    contract.derived[key] = weighed
    return weighed


def bonus_fraction(contract: ast.Contract, bonus: ast.Bonus) -> Optional[Decimal]:
    return weight_fraction(bonus.weight, outcome_weight_total(contract))


def outcome_of(contract: ast.Contract) -> dict[str, ast.Outcome]:
    """Each indicator's name mapped to its outcome."""
    return {i.name: o for o in contract.all_outcomes for i in o.indicators}


MAX_TERM_YEARS = 50  # longer than any NHS contract; keeps every year-by-year proof quick


def term_too_long(contract: ast.Contract) -> bool:
    return contract.term is not None and contract.term.last_year > MAX_TERM_YEARS


def last_year(contract: ast.Contract) -> int:
    term = contract.term
    return term.last_year if term is not None else max(
        [p.last_year or p.first_year for p in contract.phases] + [1]
    )


def phase_for(contract: ast.Contract, year: int) -> Optional[ast.Phase]:
    for phase in contract.phases:
        if phase.covers(year, last_year(contract)):
            return phase
    return None


def risk_share_for_year(contract: ast.Contract, year: int) -> Optional[ast.RiskShare]:
    """The risk-share terms in force in a year: the contract's, with those its phase states in their place.

    A phase's `risk share ... end` replaces, for its years, each side (`gains` or `losses`: its plain and `when`
    tables together, and who takes what it leaves unshared) it states tables for, the limits on each party and side
    it states, and the minimum variance, stop-loss and variance reference if it states them. The placement (within
    or outside the budget) is the contract's. `no risk share` in the phase: none.
    """
    base = contract.risk_share
    phase = phase_for(contract, year)
    if phase is not None and phase.risk_share is False:
        return None
    terms = phase.risk_terms if phase is not None else None
    if terms is None:
        return base
    if base is None:
        return terms
    def own(node):  # a term the phase states without a clause of its own is under the phase's `risk share` clause
        return node if node.clause is not None or terms.clause is None else attrs.evolve(node, clause=terms.clause)

    changes: dict = {}
    for side in ("gains", "losses"):
        if getattr(terms, side) or terms.tables_for(side):
            changes[side] = getattr(terms, side)
            changes[f"{side}_span"] = getattr(terms, f"{side}_span")
            changes[f"{side}_clause"] = getattr(terms, f"{side}_clause") or terms.clause
            changes[f"{side}_otherwise"] = getattr(terms, f"{side}_otherwise")
    tables = tuple(t for t in base.tables if t.side not in changes) + tuple(own(t) for t in terms.tables if t.side in changes)
    stated = {(limit.party, limit.exposure) for limit in terms.limits}
    limits = tuple(limit for limit in base.limits if (limit.party, limit.exposure) not in stated) + tuple(map(own, terms.limits))
    sides = {u.side for u in terms.unshared}
    unshared = tuple(u for u in base.unshared if u.side not in sides) + tuple(map(own, terms.unshared))
    for key in ("minimum", "stop_loss", "at_minimum"):
        if getattr(terms, key) is not None:
            changes[key] = own(getattr(terms, key))
    if terms.reference_span is not None:
        changes.update(reference=terms.reference, reference_clause=terms.reference_clause, reference_span=terms.reference_span)
    return attrs.evolve(base, tables=tables, limits=limits, unshared=unshared, **changes)


def linked_indicators(contract: ast.Contract, year: int) -> tuple[ast.Indicator, ...]:
    """Indicators linked to payment in a year.

    With a phasing section, those its phase for the year links (an outcome's
    name links all of its indicators); without one, every indicator with a
    payment rule from the year its data is available.
    """
    found = contract.derived.get(("linked", year))  # the year plan and several checks ask for each year
    if found is None:
        found = contract.derived[("linked", year)] = year_links(contract, year)
    return found


def year_links(contract: ast.Contract, year: int) -> tuple[ast.Indicator, ...]:
    indicators = contract.all_indicators
    if contract.phasing is None:
        return tuple(i for i in indicators if i.has_rule and (i.data_from or 1) <= year)
    phase = phase_for(contract, year)
    if phase is None:
        return ()
    wanted: set[str] = set()
    outcomes = {o.name: o for o in contract.all_outcomes}
    for link in phase.links:
        if link.name is None:
            wanted.update(i.name for i in indicators if has_rule(i))
        elif link.name in outcomes:
            wanted.update(i.name for i in outcomes[link.name].indicators)
        else:
            wanted.add(link.name)
    return tuple(i for i in indicators if i.name in wanted)


def has_rule(indicator: ast.Indicator) -> bool:
    return indicator.has_rule


def band_shares_for_year(contract: ast.Contract, indicator: ast.Indicator, year: int) -> Optional[ast.BandShares]:
    """The phase's `shares` line for the indicator in a year, if any."""
    phase = phase_for(contract, year)
    if phase is None:
        return None
    for shares in phase.shares:
        if shares.indicator == indicator.name:
            return shares
    return None


def year_band_shares(contract: ast.Contract, indicator: ast.Indicator, rule: ast.Bands, year: Optional[int]):
    """Each band's share in a year, with its base and where it is written: the phase's
    `shares` line where it names the band, else the band's own `pays`."""
    override = band_shares_for_year(contract, indicator, year) if year is not None else None
    result = []
    for band in rule.bands:
        share, base, span = band.share, band.base, band.share_span
        if override is not None:
            match = next((s for s in override.shares if s.band == band.name), None)
            if match is not None:
                share, base, span = match.share, override.base, match.span
        result.append((band, share, base, span))
    return result


def components_for_year(contract: ast.Contract, year: int) -> ast.Components:
    """The components that hold in the year: the phase's own, falling back to the payments section."""
    phase = phase_for(contract, year)
    own = phase.components if phase is not None else ast.Components()
    return effective(contract.payments, own) if contract.payments is not None else own


def effective(defaults: Optional[ast.Components], own: ast.Components) -> ast.Components:
    """A phase's components, falling back to the payments section for what it does not state."""
    if defaults is None:
        return own
    return ast.Components(
        core=own.core or defaults.core,
        pot=own.pot or defaults.pot,
        reserve=own.reserve or defaults.reserve,
        ceiling=own.ceiling or defaults.ceiling,
        floor=own.floor or defaults.floor,
        carve_outs=own.carve_outs or defaults.carve_outs,
        deductions=own.deductions or defaults.deductions,
        clause=own.clause or defaults.clause,
        span=own.span,
    )


def contract_years(contract: ast.Contract) -> range:
    return range(1, last_year(contract) + 1)


def comparator_direction(comparator: Optional[str]) -> Optional[str]:
    """`at least`/`above` imply higher is better; `at most`/`below` lower (the values their operators pay for)."""
    operator = COMPARATORS.get(comparator or "")
    return REWARDS[operator] if operator is not None else None


def rule_threshold_values(rule: ast.Rule) -> list[ast.ThresholdValue]:
    """Every threshold value a rule writes: a target's, each band's (and its upper end), a scale's floor and ceiling."""
    if isinstance(rule, ast.Target):
        return [rule.threshold.value]
    if isinstance(rule, ast.SlidingScale):
        return [rule.floor, rule.ceiling]
    return [v for b in rule.bands for v in (b.threshold.value, b.upper) if v is not None]


def rule_references(rule: ast.Rule) -> list[Optional[str]]:
    """What a rule's relative thresholds compare with, each once, in order: None the baseline, `last year`, a measure."""
    return list(dict.fromkeys(v.reference for v in rule_threshold_values(rule) if v.kind != "absolute"))


def reference_words(value: ast.ThresholdValue) -> str:
    """What a relative threshold compares with, in words: `the baseline`, `last year's value`, `` `england_average` ``."""
    if value.reference is None:
        return "the baseline"
    return "last year's value" if value.reference == "last year" else f"`{value.reference}`"


def performance_key(value: ast.ThresholdValue, direction: str) -> tuple[str, Decimal]:
    """A sort key that grows as performance improves, within one kind of threshold."""
    signed = -value.amount if value.relation == "below" else value.amount
    return value.kind, (-signed if direction == "lower" else signed)
