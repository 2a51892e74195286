"""A year's data: indicator values, baselines, financial actuals and patient costs.

`read_data(path)` reads CSV, JSON or XLSX into `Data`; problems become
diagnostics that name the file, the row and the column, and are raised
together as one `DataError`. Nothing is paid from data that failed to load.

The table has one row per measure, year and segment:

| measure | year | segment | value | numerator | denominator |
|---|---|---|---|---|---|
| crisis_response_4h | 3 | | 87.2% | | |
| cpa_review | 3 | | | 912 | 1,004 |
| recovery_star | baseline | | 3.1 | | |
| actual cost | 3 | | £36,950,000 | | |
| actual population | 3 | psychosis | 4,420 | | |

`measure` (or `indicator`) names an indicator of the contract, or one of the
reserved measures `actual cost` and `actual population`. `year` is a
contract year, or `baseline` for the value relative thresholds compare
with. In CSV files a line starting with `#` is a comment. A row gives either `value` or `numerator` and `denominator`; a
percentage indicator's numerator/denominator is read as a percentage.

Numbers are written with a decimal point, and a comma may only group
thousands (`1,004`, `£36,950,000.50`), unless the file declares a decimal
comma (`# decimal mark: comma` above a CSV header, `"decimal mark": "comma"`
in JSON, or `read_data(..., decimal_mark="comma")`); a number that could be
read two ways is refused. See docs/api.md, "Data files".
"""

from __future__ import annotations

import contextlib
import functools
import gc
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from .diagnostics import Diagnostic, Label
from .tables import (
    COLUMNS, EXTRA, MAX_DIGITS, POINT, SIMPLE, Cell, DataError, Number, NumberProblem, Problems, RawRow, RowOrigin,
    Table, Written, check_decimal_mark, data_error, open_table, parse_number, problem_count,
)

if TYPE_CHECKING:
    from .stop_loss import PatientCosts  # obcdsl.stop_loss imports this module

# what other modules and tools import from here, the tables' names among them
__all__ = [
    "ACTUAL_COST", "ACTUAL_POPULATION", "COLUMNS", "MAX_DIGITS", "RESERVED", "Cell", "Data", "DataError", "DataPoint",
    "PatientCost", "RowOrigin", "Written", "data_error", "problem_count", "read_data",
]

ACTUAL_COST = "actual cost"
ACTUAL_POPULATION = "actual population"
RESERVED = (ACTUAL_COST, ACTUAL_POPULATION)


PathLike = str | Path






@attrs.frozen
class DataPoint:
    """One row: a measure's value in a year (or its baseline), for one segment or all."""

    measure: str
    year: int | None  # None for the baseline
    segment: str | None
    value: Decimal
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    origin: RowOrigin | None = attrs.field(default=None, eq=False, repr=False)
    written: Written | None = attrs.field(default=None, eq=False)  # None for data built in Python

    def cell(self, column: str = "value") -> Cell:
        """Where the column's value was read; data built in Python has no file, so a placeholder."""
        if self.origin is None:
            return Cell("<data>", 0, column, 1, 1)
        return self.origin.cell(column)

    @property
    def cells(self) -> dict:
        """Every column's `Cell` (built on demand)."""
        if self.origin is None:
            return {}
        return {column: self.origin.cell(column) for column in self.origin.table.header if column}


@attrs.frozen
class PatientCost:
    """One row of patient-level costs: a patient's cost in a year (a patient may have several rows)."""

    patient: str
    year: int
    cost: Decimal


@attrs.frozen
class Data:
    """Everything read from the data files, keyed for lookup."""

    points: tuple[DataPoint, ...] = ()
    patients: tuple[PatientCost, ...] | list[PatientCost] | PatientCosts = ()  # the rows, or the files to stream them from
    files: tuple[str, ...] = ()
    _index: dict | None = attrs.field(init=False, default=None, eq=False, repr=False)  # built at the first lookup
    # what `data_validation.validate` found against a contract: the same data is often paid year after year
    _validated: dict = attrs.field(init=False, factory=dict, eq=False, repr=False)

    def lookup(self, measure: str, year: int | None, segment: str | None = None) -> DataPoint | None:
        index = self._index
        if index is None:
            index = {(p.measure.lower(), p.year, p.segment.lower() if p.segment else None): p for p in self.points}
            object.__setattr__(self, "_index", index)
        return index.get((measure.lower(), year, segment.lower() if segment else None))

    @property
    def has_patients(self) -> bool:
        return bool(self.patients) if isinstance(self.patients, (tuple, list)) else self.patients is not None

    def patient_years(self) -> set[int]:
        """The years the patient costs have rows for, whatever holds them."""
        if isinstance(self.patients, (tuple, list)):
            return {p.year for p in self.patients}
        return set(getattr(self.patients, "years", ()))

    def patient_excess(self, year: int, threshold: Decimal, limit: Decimal | None):
        """How many patients' costs in the year, summed per patient, exceed the threshold, and by how much in all.

        Each patient's total counts up to the limit. Costs are taken to the penny (half even) as in a file.
        """
        from .stop_loss import excess_of_totals, to_pennies

        if not isinstance(self.patients, (tuple, list)):
            return self.patients.excess(year, threshold, limit)
        totals: dict[str, int] = {}
        for patient in self.patients:
            if patient.year == year:
                totals[patient.patient] = totals.get(patient.patient, 0) + to_pennies(patient.cost)
        return excess_of_totals(list(totals.values()), threshold, limit)






# ---------------------------------------------------------------- the indicator table




def read_data(path: PathLike, patients: PathLike | Sequence[PathLike] | None = None,
              decimal_mark: str | None = None) -> Data:
    """Read a data file (CSV, JSON or XLSX), and optionally patient-level costs.

    `patients` is a cost file (CSV or Parquet), a folder of them (a
    partitioned Parquet dataset, say), or a list of files and folders; a
    patient's rows are summed across all of them. `decimal_mark` (`"point"`
    or `"comma"`) is the decimal mark of files that do not declare their own.
    Raises `DataError` with every problem found; no partial data is returned.
    """
    mark = check_decimal_mark(decimal_mark)
    path = Path(path)
    problems = Problems()
    points: list[DataPoint] = []
    seen: dict[tuple, DataPoint] = {}
    table = open_table(path, mark)

    def given_twice(point: DataPoint, first: DataPoint) -> Diagnostic:
        return data_error(
            "OBC905", f"`{point.measure}` for {year_words(point.year)}{segment_words(point.segment)} is given twice",
            point.cell("measure"), table.label,
            related=(Label(first.cell("measure").span(), f"first given in row {first.cell('measure').row}"),),
            help="keep one row for each measure, year and segment")

    if table.header:
        columns = set(table.header)
        missing = [c for c in ("year", "value") if c not in columns]
        if "measure" not in columns and "indicator" not in columns:
            missing.insert(0, "measure")
        if missing:
            raise DataError([data_error("OBC902", f"the file has no `{missing[0]}` column", None, table.label,
                                        help=f"the columns are `{', '.join(COLUMNS)}`; `segment`, `numerator` and `denominator` may be left out")])
    if table.problems:
        raise DataError(table.problems)
    with collector_paused():
        for row in table.rows():
            point = read_point(row, problems)
            if point is None:
                continue
            for found_point in (point, *baseline_of(row, point, problems)):
                key = (found_point.measure.lower(), found_point.year, found_point.segment.lower() if found_point.segment else None)
                first = seen.get(key)
                if first is not None:
                    problems.add("OBC905", found_point.cell("measure").file, functools.partial(given_twice, found_point, first))
                    continue
                seen[key] = found_point
                points.append(found_point)
    found = problems.diagnostics()
    patient_rows: tuple[PatientCost, ...] | PatientCosts = ()
    files = [table.label]
    if patients is not None:
        from .stop_loss import PatientCosts, PatientFileError, patient_paths

        try:
            patient_rows = PatientCosts.open(patients, decimal_mark=mark)
            files.extend(str(p) for p in patient_rows.paths)
        except PatientFileError as exc:
            found.extend(exc.diagnostics)
            files.extend(str(p) for p in patient_paths(patients))
    data = Data(tuple(points), patient_rows, tuple(files))
    object.__setattr__(data, "_index", seen)  # the same keys `lookup` uses, one point each
    if found:
        raise DataError(found, data)
    return data


@contextlib.contextmanager
def collector_paused():
    """Pause Python's cycle collector: a million rows make millions of objects and no cycles, and each
    collection would walk them all again, making reading quadratic in the rows."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def year_words(year: int | None) -> str:
    return "the baseline" if year is None else f"year {year}"


def segment_words(segment: str | None) -> str:
    return f" in segment `{segment}`" if segment else ""


def read_point(row: RawRow, problems: Problems | list) -> DataPoint | None:
    """The row as a `DataPoint`, or None after adding its problem to `problems`."""
    if isinstance(problems, list):
        found = Problems(cap=1 << 62)
        point = read_point(row, found)
        problems.extend(found.diagnostics())
        return point
    origin, fields = row
    table = origin.table
    file = table.label

    def refuse(code: str, column: str, message: str, help: str = "") -> None:
        problems.add(code, file, lambda: data_error(code, message, origin.cell(column), file, help=help))

    if EXTRA in fields:
        count = fields[EXTRA]
        problems.add("OBC912", file, lambda: data_error(
            "OBC912", f"the row has {count} fields, but the header names {len(table.header)} columns",
            origin.cell(table.header[-1]), file,
            help="put a number that has commas in quotes (`\"£36,950,000\"`), or remove the extra fields"))
        return None
    measure_text = fields.get("measure")
    if measure_text is None:
        measure_text = fields.get("indicator", "")
    measure = " ".join(as_text(measure_text).split())
    if not measure:
        refuse("OBC902", "measure", "the measure is empty",
               "name an indicator of the contract, `actual cost` or `actual population`")
        return None
    year_value = fields.get("year", "")
    year: int | None
    if isinstance(year_value, str) and year_value.isascii() and year_value.isdigit() and year_value[0] != "0":
        year = int(year_value)  # the common case, quickly
    elif isinstance(year_value, str) and year_value.strip().lower() == "baseline":
        year = None
    else:
        number = year_number(year_value, table)
        if number is None or number != number.to_integral_value() or number < 1:
            shown = year_value.value if isinstance(year_value, Number) else str(year_value).strip()
            refuse("OBC909", "year", f"`{shown}` is not a contract year",
                   "write the contract year as a whole number from 1, or `baseline`")
            return None
        year = int(number)
    segment_text = fields.get("segment")
    segment = as_text(segment_text).strip() or None if segment_text else None
    values: dict[str, Decimal] = {}
    written = BARE
    simple_match = SIMPLE.match if table.decimal_mark == POINT and not (table.semicolons and not table.declared) else None
    for column in VALUE_COLUMNS:
        raw = fields.get(column, "")
        if isinstance(raw, Number):
            if raw.value.adjusted() >= MAX_DIGITS:
                refuse("OBC903", column, f"`{raw.value}` is too large a number",
                       f"numbers have at most {MAX_DIGITS} digits before the decimal point")
                return None
            values[column] = raw.value
            if column == "value" and raw.percent_cell:
                written = PERCENT_CELL
            continue
        if not raw:
            continue
        text = str(raw)
        simple = simple_match(text) if simple_match is not None else None
        if simple is not None and len(simple[3]) <= MAX_DIGITS:  # `87.2`, `87.2%`, `-£5`: the common case, quickly
            number = Decimal(simple[3])
            values[column] = -number if simple[1] else number
            if simple[4] and column == "value":
                written = PERCENT_SIGN
            continue
        if not text.strip():
            continue
        try:
            number, percent = parse_number(text, table.decimal_mark, table.declared, table.semicolons)
        except NumberProblem as problem:
            refuse(problem.code, column, problem.message, problem.help)
            return None
        values[column] = number
        if column == "value" and percent:
            written = PERCENT_SIGN
    if "value" in values and ("numerator" in values or "denominator" in values):
        refuse("OBC912", "value", "the row gives both a value and a numerator or denominator",
               "give either a value, or a numerator and a denominator")
        return None
    if "value" not in values:
        if "numerator" not in values or "denominator" not in values:
            refuse("OBC912", "value", f"no value for `{measure}`", "give a value, or a numerator and a denominator")
            return None
        if values["denominator"] == 0:
            refuse("OBC904", "denominator", "the denominator is zero",
                   "a rate cannot be computed over nobody; check the denominator, or leave the row out")
            return None
        for column in ("numerator", "denominator"):
            if values[column] < 0:
                refuse("OBC908", column, f"the {column} is negative", "numerators and denominators count people or events")
                return None
        value = values["numerator"] / values["denominator"]
        written = FRACTION
    else:
        value = values["value"]
    return DataPoint(measure, year, segment, value, values.get("numerator"), values.get("denominator"), origin, written)


class BaselineOrigin(RowOrigin):
    """A row's `baseline` cell read as a row of its own: its `value` is the baseline column."""

    __slots__ = ()

    def cell(self, column: str) -> Cell:
        return self.table.cell(self, "baseline" if column == "value" else column)


def baseline_of(row: RawRow, point: DataPoint, problems: Problems | list) -> tuple[DataPoint, ...]:
    """The baseline a year's row gives in a `baseline` column (as the template has), as a point of its own."""
    origin, fields = row
    cell = fields.get("baseline", "")
    if point.year is None or cell is None or (isinstance(cell, str) and not cell.strip()):
        return ()
    year_row = {"measure": point.measure, "year": "baseline", "segment": point.segment or "", "value": cell}
    baseline = read_point(RawRow(BaselineOrigin(origin.table, origin.row, origin.at), year_row), problems)
    return (baseline,) if baseline is not None else ()


def as_text(value: object) -> str:
    """A cell as text: a spreadsheet's number as its digits (a segment named `3`, say)."""
    return f"{value.value:f}" if isinstance(value, Number) else str(value)


BARE, PERCENT_SIGN, PERCENT_CELL, FRACTION = Written.NUMBER, Written.PERCENT_SIGN, Written.PERCENT_CELL, Written.FRACTION
VALUE_COLUMNS = ("value", "numerator", "denominator")


def year_number(value: object, table: Table) -> Decimal | None:
    if isinstance(value, Number):
        return None if value.percent_cell else value.value
    try:
        number, percent = parse_number(str(value), POINT)
    except NumberProblem:
        return None
    return None if percent else number
