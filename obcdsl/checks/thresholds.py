"""What relative thresholds compare with: the baseline, last year's value (`2 points above last year`) or a
measure's (`at least england_average`): the name is a declared measure, a rule compares with one of them, and last
year's value exists in each year a rule relative to it is paid."""

from __future__ import annotations

from typing import Optional

from .. import ast, model
from .. import diagnostics as d
from ..diagnostics import Diagnostic, Label
from .names import unknown


def check(contract: ast.Contract) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    measures = {m.name for m in contract.all_measures}
    others = {i.name: "an indicator" for i in contract.all_indicators}
    others.update({o.name: "an outcome" for o in contract.all_outcomes})
    others.update({b.name: "a bonus" for b in contract.all_bonuses})
    for indicator in contract.all_indicators:
        for _, rule in model.indicator_rules(indicator):
            clause = rule.clause or indicator.clause
            values = [v for v in model.rule_threshold_values(rule) if v.kind != "absolute"]
            unnamed = [x for value in values for x in named(value, measures, others, clause)]
            found += unnamed or one_reference(indicator, values, clause)  # a misspelt name is said once
    found += last_year_before_data(contract)
    return found


def named(value: ast.ThresholdValue, measures: set[str], others: dict[str, str], clause: Optional[str]) -> list[Diagnostic]:
    """`at least england_average`: the name is a measure's, whose value for the year is data."""
    name = value.reference
    if name is None or name == "last year" or name in measures:
        return []
    if name in others:
        return [d.error("OBC205", f"`{name}` is {others[name]}; a threshold compares with a measure", value.span,
                        label="not a measure", clause=clause,
                        help=f"declare the comparator in the `measures` section (`measure {name}_comparator \"...\" ... end`) "
                             "and name it here")]
    return [unknown(name, "measure", value.span, sorted(measures), clause, name_span=value.reference_span)]


def one_reference(indicator: ast.Indicator, values: list[ast.ThresholdValue], clause: Optional[str]) -> list[Diagnostic]:
    """A rule's relative thresholds compare with one thing: the baseline, last year's value or one measure."""
    first = values[0] if values else None
    for value in values[1:]:
        if first is not None and value.reference != first.reference:
            return [d.error(
                "OBC412", f"the thresholds of `{indicator.name}` compare with both {model.reference_words(first)} "
                          f"and {model.reference_words(value)}",
                value.span, label=f"compares with {model.reference_words(value)}", clause=clause,
                related=(Label(first.span, f"compares with {model.reference_words(first)}"),) if first.span else (),
                help="compare every threshold of a rule with the same value, or state absolute thresholds")]
    return []


def last_year_before_data(contract: ast.Contract) -> list[Diagnostic]:
    """A rule relative to last year paid in a year whose year before has no data (`data available from year N`)."""
    found = []
    for indicator in contract.all_indicators:
        first = indicator.data_from
        values = [v for _, rule in model.indicator_rules(indicator) for v in model.rule_threshold_values(rule)
                  if v.kind != "absolute" and v.reference == "last year"]
        if not values or first is None or first < 2:
            continue
        years = [y for y in model.contract_years(contract)
                 if indicator in model.linked_indicators(contract, y) and 2 <= y <= first]
        if years:
            year = years[0]
            found.append(d.error(
                "OBC413", f"`{indicator.name}` is paid in year {year} against last year's value, but its data is "
                          f"available only from year {first}",
                values[0].span, label="last year's value", clause=indicator.clause,
                related=(Label(indicator.data_from_span, f"data available from year {first}"),) if indicator.data_from_span else (),
                help=f"link `{indicator.name}` from year {first + 1}, when a year of its data is there to compare with "
                     "(in year 1, last year's value is the baseline)"))
    return found
