"""Data checked against the contract: names, years, segments and ranges.

A data file can read cleanly and still not fit the contract it is evaluated
under: a measure the contract does not name, a year beyond its term, a
percentage over 100%. `validate` finds all of these before anything is
computed, so nothing is ever paid from data that does not fit.
"""

from __future__ import annotations

from . import ast, model
from . import diagnostics as d
from .data import RESERVED, Data, data_error
from .diagnostics import Diagnostic
from .money import HUNDRED, ZERO, percent_text


def validate(contract: ast.Contract, data: Data) -> list[Diagnostic]:
    """Problems with the data as a whole, given the contract: names, years, segments, ranges."""
    found = []
    indicators = {i.name.lower(): i for i in contract.all_indicators}
    segments = {s.name.lower() for s in contract.segments}
    last = model.last_year(contract)
    for point in data.points:
        cell = point.cell("measure")
        measure = point.measure.lower()
        if measure not in indicators and measure not in RESERVED:
            found.append(data_error("OBC906", f"the contract has no indicator `{point.measure}`", cell, cell.file,
                                    help=d.did_you_mean(point.measure, list(indicators) + list(RESERVED))
                                    or "name an indicator of the contract, `actual cost` or `actual population`"))
            continue
        if point.year is not None and point.year > last:
            year_cell = point.cell("year")
            found.append(data_error("OBC909", f"year {point.year} is outside the contract term (years 1 to {last})", year_cell, year_cell.file))
            continue
        indicator = indicators.get(measure)
        if point.segment is not None:
            if point.segment.lower() not in segments:
                seg_cell = point.cells.get("segment", cell)
                found.append(data_error("OBC911", f"the contract has no segment `{point.segment}`", seg_cell, seg_cell.file,
                                        help=d.did_you_mean(point.segment, segments)))
                continue
            if indicator is not None and indicator.by_segment is None and not indicator.segment_rules:
                seg_cell = point.cells.get("segment", cell)
                found.append(data_error("OBC911", f"`{indicator.name}` is not measured by segment", seg_cell, seg_cell.file,
                                        help="leave the segment empty for this indicator"))
                continue
        elif indicator is not None and indicator.by_segment is not None and point.year is not None:
            found.append(data_error("OBC911", f"`{indicator.name}` is measured by segment, but the row names none", cell, cell.file,
                                    help="give one row for each segment"))
            continue
        if indicator is not None and indicator.measured_as is not None:
            found.append(data_error("OBC906", f"`{indicator.name}` is computed from other indicators, not given as data", cell, cell.file,
                                    help="give the data for the indicators it is measured as"))
            continue
        value_cell = point.cell("value")
        unit = indicator.unit.kind if indicator is not None and indicator.unit is not None else None
        value = point.value * HUNDRED if unit == "percent" and point.denominator is not None else point.value
        if unit == "percent" and not (ZERO <= value <= HUNDRED):
            found.append(data_error("OBC907", f"{percent_text(value)} is not a percentage between 0% and 100%", value_cell, value_cell.file,
                                    help=f"`{indicator.name}` is a percentage; write 87.2 or 87.2% for 87.2%"))
        elif value < 0 and (unit in ("count", "rate", "percent", "money") or measure in RESERVED):
            what = {"count": "a count", "rate": "a rate", "money": "an amount"}.get(unit or "", "this measure")
            found.append(data_error("OBC908", f"`{point.measure}` is {what} and cannot be negative", value_cell, value_cell.file))
    late = sorted(y for y in data.patient_years() if y > last)
    if late:
        found.append(d.error("OBC909", f"the patient costs have rows for year {late[0]}, outside the contract term (years 1 to {last})", None))
    return found
