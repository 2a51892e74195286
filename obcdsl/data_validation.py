"""Data checked against the contract: names, years, segments and ranges.

A data file can read cleanly and still not fit the contract it is evaluated
under: a measure the contract does not name, a year beyond its term, a
percentage over 100%. `validate` finds all of these before anything is
computed, so nothing is ever paid from data that does not fit.
"""

from __future__ import annotations

from . import ast, model
from . import diagnostics as d
from .data import RESERVED, Data, DataPoint, Written, data_error
from .tables import Problems
from .diagnostics import Diagnostic
from .activity import volume_problem
from .money import HUNDRED, ZERO, percent_text


def validate(contract: ast.Contract, data: Data) -> list[Diagnostic]:
    """Problems with the data as a whole, given the contract: names, years, segments, ranges.

    At most a few problems of each kind in each file are described, and one
    more diagnostic counts the rest (`data.Problems`). Both are immutable, so
    the answer is kept on the data for the next year paid from it.
    """
    known = data._validated.get(id(contract))
    if known is not None and known[0] is contract:
        return list(known[1])
    found = find_problems(contract, data)
    data._validated[id(contract)] = (contract, tuple(found))
    return found


def find_problems(contract: ast.Contract, data: Data) -> list[Diagnostic]:
    found = Problems()
    indicators: dict = {m.name.lower(): m for m in contract.all_measures}  # a measure is read as an indicator is
    indicators.update((i.name.lower(), i) for i in contract.all_indicators)
    activity = {a.name.lower(): a for a in contract.all_activity}
    names = list(indicators) + list(activity) + list(RESERVED)
    segments = {s.name.lower() for s in contract.segments}
    last = model.last_year(contract)
    for point in data.points:
        file = point.origin.file if point.origin is not None else "<data>"

        def refuse(code: str, column: str, message: str, help: object = "", point: DataPoint = point, file: str = file) -> None:
            def build() -> Diagnostic:
                cell = point.cell(column)
                return data_error(code, message, cell, cell.file, help=help() if callable(help) else help)

            found.add(code, file, build)

        measure = point.measure.lower()
        if measure in activity and measure not in indicators:
            problem = volume_problem(activity[measure], point, last, contract.phases)
            if problem is None and point.year is not None and point.year > last:
                problem = ("OBC909", "year", f"year {point.year} is outside the contract term (years 1 to {last})", "")
            if problem is not None:
                refuse(*problem)
            continue
        if measure not in indicators and measure not in RESERVED:
            what = "indicator, measure or activity item" if activity else "indicator or measure"
            refuse("OBC906", "measure", f"the contract has no {what} `{point.measure}`",
                   lambda point=point, what=what: d.did_you_mean(point.measure, names)
                   or f"name an {what} of the contract, `actual cost` or `actual population`")
            continue
        if point.year is not None and point.year > last:
            refuse("OBC909", "year", f"year {point.year} is outside the contract term (years 1 to {last})")
            continue
        indicator = indicators.get(measure)
        if point.segment is not None:
            if point.segment.lower() not in segments:
                refuse("OBC911", "segment", f"the contract has no segment `{point.segment}`",
                       lambda point=point: d.did_you_mean(point.segment, segments))
                continue
            if indicator is not None and indicator.by_segment is None and not indicator.segment_rules:
                what = "measure" if isinstance(indicator, ast.Measure) else "indicator"
                refuse("OBC911", "segment", f"`{indicator.name}` is not measured by segment", f"leave the segment empty for this {what}")
                continue
        elif indicator is not None and indicator.by_segment is not None and point.year is not None:
            refuse("OBC911", "measure", f"`{indicator.name}` is measured by segment, but the row names none", "give one row for each segment")
            continue
        if indicator is not None and indicator.measured_as is not None:
            refuse("OBC906", "measure", f"`{indicator.name}` is computed from other indicators, not given as data",
                   "give the data for the indicators it is measured as")
            continue
        unit = indicator.unit.kind if indicator is not None and indicator.unit is not None else None
        if indicator is not None and unit == "percent" and point.written is Written.NUMBER and ZERO < point.value <= 1:
            shown = f"{point.value.normalize():f}"
            points = f"{(point.value * HUNDRED).normalize():f}"
            refuse("OBC918", "value", f"`{shown}` is ambiguous for `{indicator.name}`, a percentage: {shown}% or {points}%?",
                   f"write `{points}%` or `{shown}%`, or format the spreadsheet cell as a percentage")
            continue
        value = point.value * HUNDRED if unit == "percent" and point.denominator is not None else point.value
        if indicator is not None and unit == "percent" and not (ZERO <= value <= HUNDRED):
            refuse("OBC907", "value", f"{percent_text(value)} is not a percentage between 0% and 100%",
                   f"`{indicator.name}` is a percentage; write 87.2 or 87.2% for 87.2%")
        elif value < 0 and (unit in ("count", "rate", "percent", "money") or measure in RESERVED):
            what = {"count": "a count", "rate": "a rate", "money": "an amount"}.get(unit or "", "this measure")
            refuse("OBC908", "value", f"`{point.measure}` is {what} and cannot be negative")
    problems = found.diagnostics()
    late = sorted(y for y in data.patient_years() if y > last)
    if late:
        problems.append(d.error("OBC909", f"the patient costs have rows for year {late[0]}, outside the contract term (years 1 to {last})", None))
    return problems
