"""Expressions: a condition where a condition belongs, a number where a number does (OBC206).

`only if governance_assurance + 1` is a number where a gateway needs a
condition; `pays when x is achieved + 1` the reverse; `scaled by £5` money
where a percentage belongs. Typed here, before any evaluator sees them, by
the same rules `obcdsl.expressions` lowers them with.
"""

from __future__ import annotations

from .. import ast, model
from .. import diagnostics as d
from ..diagnostics import Diagnostic
from ..expressions import ExpressionError, check_types, lower_indicator_value, positions, readable, scope


def check(contract: ast.Contract) -> list[Diagnostic]:
    indicators = readable(contract)
    clauses = clause_of(contract)
    found = []
    for expr, wanted, where, percentage in positions(contract):
        try:
            check_types(expr, wanted, where, indicators, percentage)
        except ExpressionError as exc:
            found.append(d.error("OBC206", exc.message, exc.span or expr.span, help=exc.help, clause=clauses.get(id(expr))))
    if found:
        return found
    every = scope(contract, ())
    for indicator in contract.all_indicators:
        if indicator.measured_as is None or indicators.get(indicator.name) is not indicator:
            continue
        try:
            lower_indicator_value(indicator, every)
        except ExpressionError as exc:
            found.append(d.error("OBC206", exc.message, indicator.name_span, help=exc.help, clause=indicator.clause))
    return found


def clause_of(contract: ast.Contract) -> dict:
    """Each expression's clause: its gateway's or scaling's own, else its indicator's, outcome's or bonus's."""
    found = {}
    for outcome in contract.all_outcomes:
        for gate in outcome.gates:
            found[id(gate.condition)] = gate.clause or outcome.clause
        for indicator in outcome.indicators:
            if indicator.measured_as is not None:
                found[id(indicator.measured_as)] = indicator.clause
            if indicator.scaling is not None:
                found[id(indicator.scaling.factor)] = indicator.scaling.clause or indicator.clause
            for gate in indicator.gates:
                found[id(gate.condition)] = gate.clause or indicator.clause
    for bonus in contract.all_bonuses:
        if bonus.condition is not None:
            found[id(bonus.condition)] = bonus.clause
    for terms in model.all_risk_terms(contract):
        for table in terms.tables:
            found[id(table.condition)] = table.clause or terms.clause
    payments = contract.payments
    if payments is not None:
        for deduction in payments.deductions:
            found[id(deduction.condition)] = deduction.clause or payments.clause
    return found
