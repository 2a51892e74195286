"""Conditions and values, typed and lowered to small forms every evaluator reads.

A contract writes expressions in gateways (`only if ...`), bonus conditions
(`pays when ...`), derived indicators (`measured as ...`) and scaling
factors (`scaled by ...`). Each is lowered once, when a year is compiled,
to the forms below: numbers and conditions are different types, so a
number where a condition belongs (`only if x + 1`) is found here, by
`obcdsl check` (OBC206), and never reaches an evaluator. A derived
indicator is inlined, so its baseline is the same expression over its
inputs' baselines.

The operators have one table (`NUMBER_OPERATORS`, `COMPARISONS`); the
backends of `obcdsl.backends` supply the arithmetic.
"""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Iterable, Optional, Union

import attrs

from . import ast, model
from .data import ACTUAL_COST
from .source import Span

ACTUAL_COST_NAME = "actual_cost"  # how a condition names the year's actual cost, given as data as `actual cost`
ACTUAL_COST_MEASURE = ast.Measure(ACTUAL_COST_NAME, "the provider's actual cost for the year", ast.Unit("money"))

# ---------------------------------------------------------------- the lowered forms


@attrs.frozen
class Const:
    value: Decimal


@attrs.frozen
class Value:
    """An indicator's value given as data (for the segment being paid, when it is measured by segment): the year's,
    its baseline, or (`previous`) the year before's, which in year 1 is the baseline."""

    name: str
    by_segment: bool
    baseline: bool = False
    previous: bool = False


@attrs.frozen
class Negated:
    operand: "Number"


@attrs.frozen
class Arithmetic:
    operator: str  # "+" | "-" | "*" | "/"
    left: "Number"
    right: "Number"
    span: Optional[Span] = attrs.field(default=None, eq=False)  # for a division by zero


@attrs.frozen
class Extreme:
    function: str  # "min" | "max"
    arguments: tuple["Number", ...]


@attrs.frozen
class Compare:
    operator: str  # ">=" | "<=" | ">" | "<" | "=" | "!="
    left: "Number"
    right: "Number"


@attrs.frozen
class Logic:
    operator: str  # "and" | "or"
    left: "Condition"
    right: "Condition"


@attrs.frozen
class Negation:
    operand: "Condition"


@attrs.frozen
class Achieved:
    """Every named indicator earned all it could in the year; none named (an outcome with nothing linked) is never achieved."""

    indicators: tuple[str, ...]


@attrs.frozen
class Reached:
    """In some part of the indicator, the band's threshold is reached."""

    indicator: str
    band: str


@attrs.frozen
class Count:
    """How many of the conditions hold: `the number of outcomes achieved`, each outcome's `Achieved`."""

    conditions: tuple["Condition", ...]


Number = Union[Const, Value, Negated, Arithmetic, Extreme, Count]
Condition = Union[Compare, Logic, Negation, Achieved, Reached]

NUMBER_OPERATORS = ("+", "-", "*", "/")
COMPARISONS = (">=", "<=", ">", "<", "=", "!=")


# ---------------------------------------------------------------- typing


class ExpressionError(Exception):
    """An expression of the wrong kind, or one that cannot be computed; `span` says where."""

    def __init__(self, message: str, span, help: str = ""):
        super().__init__(message)
        self.message = message
        self.span = span
        self.help = help


def kind_of(expr: ast.Expr) -> str:
    """`condition` or `number`, from the expression's top."""
    if isinstance(expr, (ast.Comparison, ast.Logical, ast.Not, ast.Achieved, ast.AllAchieved, ast.Reached)):
        return "condition"
    return "number"


def readable(contract: ast.Contract) -> dict:
    """Every name an expression can read a value of: indicators, measures and `actual_cost`."""
    found: dict = {ACTUAL_COST_NAME: ACTUAL_COST_MEASURE}
    found.update((m.name, m) for m in contract.all_measures)
    found.update((i.name, i) for i in contract.all_indicators)
    return found


def unit_of(expr: ast.Expr, indicators: dict) -> Optional[str]:
    """`percent`, `money` or None (a plain number, a count, a score, or not known); `indicators` as `readable` gives them."""
    if isinstance(expr, ast.Literal):
        return expr.kind if expr.kind in ("percent", "money") else None
    if isinstance(expr, ast.Reference):
        indicator = indicators.get(expr.name)
        if indicator is None:
            return None
        if indicator.measured_as is not None and indicator.unit is None:
            return unit_of(indicator.measured_as, indicators)
        kind = indicator.unit.kind if indicator.unit is not None else None
        return kind if kind in ("percent", "money") else None
    if isinstance(expr, ast.Negative):
        return unit_of(expr.operand, indicators)
    if isinstance(expr, ast.Arithmetic) and expr.operator in ("+", "-"):
        return unit_of(expr.left, indicators) or unit_of(expr.right, indicators)
    if isinstance(expr, ast.Extremum):
        return next((u for u in (unit_of(a, indicators) for a in expr.arguments) if u), None)
    return None


WORDS = {"condition": "a condition", "number": "a number"}


def expect(expr: ast.Expr, wanted: str, where: str) -> None:
    found = kind_of(expr)
    if found == wanted:
        return
    if wanted == "condition":
        raise ExpressionError(f"{where} needs a condition, but this is a number", expr.span,
                              help="compare it with something: `x at least 95%`, `x > 0`")
    raise ExpressionError(f"{where} needs a number, but this is a condition", expr.span,
                          help="a condition is true or false; write a value here, such as an indicator or `95%`")


def check_types(expr: ast.Expr, wanted: str, where: str, indicators: dict, percentage: bool = False) -> None:
    """Raise `ExpressionError` where the expression, or any part of it, is of the wrong kind."""
    expect(expr, wanted, where)
    if percentage and unit_of(expr, indicators) == "money":
        raise ExpressionError(f"{where} needs a percentage, but this is an amount of money", expr.span,
                              help="scale by a percentage, such as `quality_score capped at 100%`")
    if isinstance(expr, ast.Negative):
        check_types(expr.operand, "number", "a minus sign", indicators)
    elif isinstance(expr, ast.Arithmetic):
        check_types(expr.left, "number", f"`{expr.operator}`", indicators)
        check_types(expr.right, "number", f"`{expr.operator}`", indicators)
    elif isinstance(expr, ast.Extremum):
        for argument in expr.arguments:
            check_types(argument, "number", f"`{expr.function}(...)`", indicators)
    elif isinstance(expr, ast.Comparison):
        check_types(expr.left, "number", "a comparison", indicators)
        check_types(expr.right, "number", "a comparison", indicators)
        units = {unit_of(expr.left, indicators), unit_of(expr.right, indicators)}
        if units == {"percent", "money"}:
            raise ExpressionError("a percentage is compared with an amount of money", expr.span,
                                  help="compare a percentage with a percentage (`95%`), money with money (`£20,000`)")
        counts = [side for side in (expr.left, expr.right) if isinstance(side, ast.CountAchieved)]
        if counts and units & {"percent", "money"}:
            raise ExpressionError("a number of outcomes or indicators is compared with a percentage or an amount of money",
                                  expr.span, help="compare it with a whole number: `the number of outcomes achieved at least 3`")
    elif isinstance(expr, ast.Logical):
        check_types(expr.left, "condition", f"`{expr.operator}`", indicators)
        check_types(expr.right, "condition", f"`{expr.operator}`", indicators)
    elif isinstance(expr, ast.Not):
        check_types(expr.operand, "condition", "`not`", indicators)


def positions(contract: ast.Contract) -> Iterable[tuple[ast.Expr, str, str, bool]]:
    """Every expression with the kind its place needs: (expression, kind, what the place is, needs a percentage)."""
    for outcome in contract.all_outcomes:
        for gate in outcome.gates:
            yield gate.condition, "condition", f"the gateway on `{outcome.name}`", False
        for indicator in outcome.indicators:
            if indicator.measured_as is not None:
                yield indicator.measured_as, "number", f"`measured as` of `{indicator.name}`", False
            if indicator.scaling is not None:
                yield indicator.scaling.factor, "number", f"`scaled by` of `{indicator.name}`", True
            for gate in indicator.gates:
                yield gate.condition, "condition", f"the gateway on `{indicator.name}`", False
    for bonus in contract.all_bonuses:
        if bonus.condition is not None:
            yield bonus.condition, "condition", f"the condition of bonus `{bonus.name}`", False
    for terms in model.all_risk_terms(contract):
        for table in terms.tables:
            yield table.condition, "condition", f"the condition of a `{table.side} when` table", False
    for number, deduction in enumerate(contract.payments.deductions if contract.payments else (), 1):
        yield deduction.condition, "condition", f"the condition of deduction {number}", False


# ---------------------------------------------------------------- lowering


@attrs.frozen
class Scope:
    """What lowering needs to know of the contract and the year."""

    indicators: dict  # name → ast.Indicator
    outcomes: dict  # name → ast.Outcome
    linked: frozenset  # indicators linked to payment in the year
    measures: dict = attrs.field(factory=dict)  # name → ast.Measure, `actual_cost` among them


def scope(contract: ast.Contract, linked: Iterable[str]) -> Scope:
    measures = {ACTUAL_COST_NAME: ACTUAL_COST_MEASURE, **{m.name: m for m in contract.all_measures}}
    return Scope({i.name: i for i in contract.all_indicators}, {o.name: o for o in contract.all_outcomes}, frozenset(linked),
                 measures)


def lower_number(expr: ast.Expr, where: Scope, baseline: bool = False, computing: tuple[str, ...] = (),
                 previous: bool = False) -> Number:
    """A value; derived indicators are inlined (their baseline over their inputs' baselines, last year's value over
    their inputs' values of last year)."""
    if isinstance(expr, ast.Literal):
        return Const(expr.value)
    if isinstance(expr, ast.Reference):
        indicator = where.indicators.get(expr.name)
        if indicator is not None and indicator.measured_as is not None:
            if expr.name in computing:
                raise ExpressionError(f"`{expr.name}` is measured in terms of itself", expr.span,
                                      help="a derived indicator is computed from indicators given as data")
            return lower_number(indicator.measured_as, where, baseline, computing + (expr.name,), previous)
        if indicator is None and expr.name == ACTUAL_COST_NAME:
            return Value(ACTUAL_COST, False, baseline, previous)
        return Value(expr.name, indicator is not None and indicator.by_segment is not None, baseline, previous)
    if isinstance(expr, ast.Negative):
        return Negated(lower_number(expr.operand, where, baseline, computing, previous))
    if isinstance(expr, ast.Arithmetic):
        return Arithmetic(expr.operator, lower_number(expr.left, where, baseline, computing, previous),
                          lower_number(expr.right, where, baseline, computing, previous), expr.span)
    if isinstance(expr, ast.Extremum):
        return Extreme(expr.function, tuple(lower_number(a, where, baseline, computing, previous) for a in expr.arguments))
    if isinstance(expr, ast.CountAchieved):
        return Count(tuple(achieved(name, where) for name in counted(expr, where)))
    expect(expr, "number", "here")
    raise AssertionError(f"unknown expression {expr!r}")


def lower_indicator_value(indicator: ast.Indicator, where: Scope, baseline: bool = False, previous: bool = False) -> Number:
    """The value an indicator's rule reads: its data, or its `measured as` expression."""
    if indicator.measured_as is None:
        return Value(indicator.name, indicator.by_segment is not None, baseline, previous)
    return lower_number(ast.Reference(indicator.name, indicator.name_span), where, baseline, previous=previous)


def lower_reference(indicator: ast.Indicator, reference: Optional[str], where: Scope) -> Number:
    """What an indicator's relative thresholds compare with: its baseline (None), its value `last year`, or a
    measure's value for the year (`at least england_average`)."""
    if reference is None:
        return lower_indicator_value(indicator, where, baseline=True)
    if reference == "last year":
        return lower_indicator_value(indicator, where, previous=True)
    return lower_number(ast.Reference(reference, indicator.name_span), where)


def lower_condition(expr: ast.Expr, where: Scope) -> Condition:
    if isinstance(expr, ast.Comparison):
        return Compare(expr.operator, lower_number(expr.left, where), lower_number(expr.right, where))
    if isinstance(expr, ast.Logical):
        return Logic(expr.operator, lower_condition(expr.left, where), lower_condition(expr.right, where))
    if isinstance(expr, ast.Not):
        return Negation(lower_condition(expr.operand, where))
    if isinstance(expr, ast.Achieved):
        return achieved(expr.name, where)
    if isinstance(expr, ast.AllAchieved):
        outcomes = [achieved(name, where) for name in where.outcomes]
        if not outcomes:
            return Achieved(())
        result: Condition = outcomes[0]
        for outcome in outcomes[1:]:
            result = Logic("and", result, outcome)
        return result
    if isinstance(expr, ast.Reached):
        return Reached(expr.name, expr.band)
    expect(expr, "condition", "here")
    raise AssertionError(f"unknown expression {expr!r}")


def counted(expr: ast.CountAchieved, where: Scope) -> tuple[str, ...]:
    """The outcomes or indicators `the number of ... achieved` counts: every outcome, every indicator with a
    payment rule (one not linked in the year is not achieved), or those named."""
    if expr.among == "outcomes":
        return tuple(where.outcomes)
    if expr.among == "indicators":
        return tuple(name for name, indicator in where.indicators.items() if indicator.has_rule)
    return expr.names


def achieved(name: str, where: Scope) -> Achieved:
    if name in where.outcomes:
        return Achieved(tuple(i.name for i in where.outcomes[name].indicators if i.name in where.linked))
    return Achieved((name,) if name in where.linked else ())


@functools.lru_cache(maxsize=8192)
def values_read(node) -> tuple[Value, ...]:
    """The data values a lowered expression reads (value or baseline), each once, in order."""
    found: list[Value] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Value):
            if current not in found:
                found.append(current)
        elif isinstance(current, (Arithmetic, Compare, Logic)):
            stack.extend((current.right, current.left))
        elif isinstance(current, (Negated, Negation)):
            stack.append(current.operand)
        elif isinstance(current, Extreme):
            stack.extend(reversed(current.arguments))
    return tuple(found)


def references(node) -> list[str]:
    """The indicators given as data that a lowered expression reads, each once, in order."""
    return list(dict.fromkeys(value.name for value in values_read(node)))
