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
"""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Iterable, Iterator, Optional

import attrs

from . import diagnostics as d
from .diagnostics import Diagnostic, Label
from .source import Span

ACTUAL_COST = "actual cost"
ACTUAL_POPULATION = "actual population"
RESERVED = (ACTUAL_COST, ACTUAL_POPULATION)
COLUMNS = ("measure", "year", "segment", "value", "numerator", "denominator")


class DataError(Exception):
    """Data that could not be read or does not fit the contract; carries the diagnostics."""

    def __init__(self, diagnostics: Iterable[Diagnostic], partial: Optional["Data"] = None):
        self.diagnostics = tuple(diagnostics)
        self.partial = partial  # the rows that did read, so that a caller can report every problem at once
        first = self.diagnostics[0].message if self.diagnostics else "bad data"
        super().__init__(f"{len(self.diagnostics)} data problem(s); first: {first}")


@attrs.frozen
class Cell:
    """Where a value came from: file, row and column, for messages."""

    file: str
    row: int
    column: str
    line: int
    char_column: int
    width: int = 1

    def span(self) -> Span:
        return Span(self.file, 0, 0, self.line, self.char_column, self.line, self.char_column + max(1, self.width))

    def where(self) -> str:
        return f"row {self.row}, column `{self.column}`" if self.row else f"column `{self.column}`"


@attrs.frozen
class DataPoint:
    """One row: a measure's value in a year (or its baseline), for one segment or all."""

    measure: str
    year: Optional[int]  # None for the baseline
    segment: Optional[str]
    value: Decimal
    numerator: Optional[Decimal] = None
    denominator: Optional[Decimal] = None
    cells: dict = attrs.field(factory=dict, eq=False, repr=False)

    def cell(self, column: str = "value") -> Cell:
        """Where the column's value was read; data built in Python has no file, so a placeholder."""
        found = self.cells.get(column) or self.cells.get("value") or next(iter(self.cells.values()), None)
        return found or Cell("<data>", 0, column, 1, 1)


@attrs.frozen
class PatientCost:
    patient: str
    year: int
    cost: Decimal


@attrs.frozen
class Data:
    """Everything read from the data files, keyed for lookup."""

    points: tuple[DataPoint, ...] = ()
    patients: object = ()  # tuple of PatientCost, or a streamed stop_loss.PatientCosts file
    files: tuple[str, ...] = ()
    _index: dict = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        index = {(p.measure.lower(), p.year, p.segment.lower() if p.segment else None): p for p in self.points}
        object.__setattr__(self, "_index", index)

    def lookup(self, measure: str, year: Optional[int], segment: Optional[str] = None) -> Optional[DataPoint]:
        return self._index.get((measure.lower(), year, segment.lower() if segment else None))

    @property
    def has_patients(self) -> bool:
        return bool(self.patients)

    def patient_years(self) -> set[int]:
        if isinstance(self.patients, tuple):
            return {p.year for p in self.patients}
        return set(self.patients.years)

    def patient_excess(self, year: int, threshold: Decimal, limit: Optional[Decimal]):
        """How many patients in the year cost more than the threshold, and by how much in all (up to the limit)."""
        from .stop_loss import Excess

        if not isinstance(self.patients, tuple):
            return self.patients.excess(year, threshold, limit)
        count, total = 0, Decimal(0)
        for patient in self.patients:
            if patient.year != year:
                continue
            top = patient.cost if limit is None else min(patient.cost, limit)
            if top > threshold:
                count += 1
                total += top - threshold
        return Excess(count, total)


def data_error(code: str, message: str, cell: Optional[Cell], file: str, **kw) -> Diagnostic:
    span = cell.span() if cell is not None else Span(file, 0, 0, 1, 1, 1, 1)
    where = f"{cell.where()}: " if cell is not None else ""
    return d.error(code, where + message, span, **kw)


# ---------------------------------------------------------------- numbers

NUMBER = re.compile(r"^-?£?-?[0-9][0-9,]*(\.[0-9]+)?%?$")
MAX_DIGITS = 15  # whole-number digits: up to £999 trillion, far beyond any contract, well within exact arithmetic


def read_number(text: str) -> Optional[Decimal]:
    """`87.2%`, `£36,950,000`, `1,004`, `3.1` → Decimal; None if not a number."""
    text = text.strip()
    if not NUMBER.match(text):
        return None
    negative = text.startswith("-") or text.startswith("£-")
    body = text.replace("£", "").replace(",", "").replace("%", "").lstrip("-")
    if len(body.split(".")[0].lstrip("0")) > MAX_DIGITS or len(body) > 40:
        return None
    try:
        value = Decimal(body)
    except InvalidOperation:
        return None
    return -value if negative else value


# ---------------------------------------------------------------- raw rows


@attrs.frozen
class RawRow:
    """A row as read: column → (text, Cell)."""

    number: int
    fields: dict


def field_starts(line: str) -> list[int]:
    """1-based character columns where each CSV field of a one-line record starts."""
    starts = [1]
    quoted = False
    for index, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            starts.append(index + 2)
    return starts


def csv_rows(text: str, name: str, header_out: Optional[list] = None) -> Iterator[RawRow]:
    lines = text.split("\n")
    reader = csv.reader(io.StringIO(text))
    header: Optional[list[str]] = None
    start_line = 1
    for record in reader:
        line = start_line
        start_line = reader.line_num + 1
        if not record or all(not f.strip() for f in record) or record[0].lstrip().startswith("#"):
            continue
        if header is None:
            header = [h.strip().lower() for h in record]
            if header_out is not None:
                header_out.extend(header)
            continue
        starts = field_starts(lines[line - 1]) if line - 1 < len(lines) else []
        fields = {}
        for index, column in enumerate(header):
            value = record[index] if index < len(record) else ""
            column_at = starts[index] if index < len(starts) else 1
            fields[column] = (value, Cell(name, line, column, line, column_at, len(value)))
        yield RawRow(line, fields)
    if header is None:
        raise DataError([data_error("OBC902", "the file has no header row naming its columns", None, name,
                                    help=f"start the file with the columns `{', '.join(COLUMNS)}`")])


def json_rows(text: str, name: str) -> Iterator[RawRow]:
    """Rows from a JSON list of objects (or `{"rows": [...]}`), with their line and column."""
    decoder = json.JSONDecoder()
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError([d.error("OBC901", f"the file is not valid JSON: {exc.msg.lower()}",
                                 Span(name, exc.pos, exc.pos, exc.lineno, exc.colno, exc.lineno, exc.colno + 1))])
    rows = document.get("rows") if isinstance(document, dict) else document
    if not isinstance(rows, list):
        raise DataError([data_error("OBC902", 'expected a list of rows, or an object with a "rows" list', None, name)])
    # find where each element starts, to name its line
    array_start = text.find("[", text.find('"rows"') if isinstance(document, dict) else 0)
    position = array_start + 1
    for index, row in enumerate(rows, start=1):
        while position < len(text) and text[position] in " \t\r\n,":
            position += 1
        try:
            _, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError:
            end = position
        start = position
        position = end
        line = text.count("\n", 0, start) + 1
        column = start - (text.rfind("\n", 0, start) + 1) + 1
        if not isinstance(row, dict):
            raise DataError([d.error("OBC902", f"row {index} is not an object of column names and values",
                                     Span(name, start, end, line, column, line, column + 1))])
        fields = {}
        for key, value in row.items():
            key_at = text.find(f'"{key}"', start, end)
            key_line = text.count("\n", 0, key_at) + 1 if key_at >= 0 else line
            key_column = key_at - (text.rfind("\n", 0, key_at) + 1) + 1 if key_at >= 0 else column
            shown = "" if value is None else (str(value) if not isinstance(value, float) else repr(value))
            fields[str(key).strip().lower()] = (shown, Cell(name, index, str(key), key_line, key_column))
        yield RawRow(index, fields)


def xlsx_rows(path: Path, name: str, header_out: Optional[list] = None) -> Iterator[RawRow]:
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - openpyxl is a dependency
        raise DataError([data_error("OBC901", "reading spreadsheets needs the openpyxl package", None, name)])
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise DataError([data_error("OBC901", f"the spreadsheet cannot be opened: {exc}", None, name)])
    sheet = book.worksheets[0]
    header: Optional[list[str]] = None
    for number, cells in enumerate(sheet.iter_rows(), start=1):
        values = [spreadsheet_value(c) for c in cells]
        if not values or all(v is None or str(v).strip() == "" for v in values):
            continue
        if header is None:
            header = [str(v or "").strip().lower() for v in values]
            if header_out is not None:
                header_out.extend(header)
            continue
        fields = {}
        for index, column in enumerate(header):
            value = values[index] if index < len(values) else None
            text = "" if value is None else str(value)
            fields[column] = (text, Cell(f"{name}[{sheet.title}]", number, column, number, index + 1))
        yield RawRow(number, fields)
    book.close()


def spreadsheet_value(cell):
    """A cell's value; a number formatted as a percentage is read as its points (0.872 → 87.2)."""
    value = getattr(cell, "value", None)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if "%" in (getattr(cell, "number_format", "") or ""):
        return f"{(number * 100).normalize():f}%"
    return f"{number:f}"


def raw_rows(path: Path, header_out: Optional[list] = None) -> Iterator[RawRow]:
    """Rows of a CSV, JSON or XLSX file; `header_out`, if given, receives the column names."""
    name = str(path)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        yield from xlsx_rows(path, name, header_out)
        return
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError([data_error("OBC901", f"cannot read `{name}`: {(exc.strerror or str(exc)).lower()}", None, name)])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError([data_error("OBC901", f"byte 0x{data[exc.start]:02x} at offset {exc.start} is not UTF-8 text", None, name,
                                    help="save the file as UTF-8 (CSV UTF-8 in Excel)")])
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if suffix == ".json":
        yield from json_rows(text, name)
    elif suffix in (".csv", ".txt"):
        yield from csv_rows(text, name, header_out)
    else:
        raise DataError([data_error("OBC901", f"`{suffix or name}` files are not data files obcdsl reads", None, name,
                                    help="use a .csv, .json or .xlsx file")])


# ---------------------------------------------------------------- the indicator table


def read_data(path: str | Path, patients: str | Path | None = None) -> Data:
    """Read a data file (CSV, JSON or XLSX), and optionally a patient-level cost file.

    Raises `DataError` with every problem found; no partial data is returned.
    """
    path = Path(path)
    problems: list[Diagnostic] = []
    points: list[DataPoint] = []
    seen: dict[tuple, DataPoint] = {}
    header: list[str] = []
    try:
        rows = list(raw_rows(path, header))
    except DataError as exc:
        raise DataError(exc.diagnostics) from None
    columns = set(header) | (set(rows[0].fields) if rows else set())
    if columns or rows:
        missing = [c for c in ("year", "value") if c not in columns]
        if "measure" not in columns and "indicator" not in columns:
            missing.insert(0, "measure")
        if missing:
            raise DataError([data_error("OBC902", f"the file has no `{missing[0]}` column", None, str(path),
                                        help=f"the columns are `{', '.join(COLUMNS)}`; `segment`, `numerator` and `denominator` may be left out")])
    for row in rows:
        point = read_point(row, problems)
        if point is None:
            continue
        key = (point.measure.lower(), point.year, point.segment.lower() if point.segment else None)
        if key in seen:
            first = seen[key]
            problems.append(
                data_error("OBC905", f"`{point.measure}` for {year_words(point.year)}{segment_words(point.segment)} is given twice",
                           point.cell("measure"), str(path),
                           related=(Label(first.cell("measure").span(), f"first given in row {first.cell('measure').row}"),),
                           help="keep one row for each measure, year and segment")
            )
            continue
        seen[key] = point
        points.append(point)
    patient_rows: object = ()
    files = [str(path)]
    if patients is not None:
        from .stop_loss import PatientCosts, PatientFileError

        try:
            patient_rows = PatientCosts.open(patients)
            files.append(str(patients))
        except PatientFileError as exc:
            problems.extend(exc.diagnostics)
    if problems:
        raise DataError(problems, Data(tuple(points), patient_rows, tuple(files)))
    return Data(tuple(points), patient_rows, tuple(files))


def year_words(year: Optional[int]) -> str:
    return "the baseline" if year is None else f"year {year}"


def segment_words(segment: Optional[str]) -> str:
    return f" in segment `{segment}`" if segment else ""


def read_point(row: RawRow, problems: list[Diagnostic]) -> Optional[DataPoint]:
    fields = row.fields
    measure_text, measure_cell = fields.get("measure") or fields.get("indicator")
    measure = " ".join(measure_text.strip().split())
    if not measure:
        problems.append(data_error("OBC902", "the measure is empty", measure_cell, measure_cell.file,
                                   help="name an indicator of the contract, `actual cost` or `actual population`"))
        return None
    year_text, year_cell = fields["year"]
    year_text = year_text.strip()
    year: Optional[int]
    if year_text.lower() == "baseline":
        year = None
    else:
        number = read_number(year_text)
        if number is None or number != number.to_integral_value() or number < 1:
            problems.append(data_error("OBC909", f"`{year_text}` is not a contract year", year_cell, year_cell.file,
                                       help="write the contract year as a whole number from 1, or `baseline`"))
            return None
        year = int(number)
    segment_text, _ = fields.get("segment", ("", None))
    segment = segment_text.strip() or None
    cells = {"measure": measure_cell, "year": year_cell}
    values = {}
    for column in ("value", "numerator", "denominator"):
        text, cell = fields.get(column, ("", None))
        if cell is not None:
            cells[column] = cell
        if text.strip() == "":
            continue
        number = read_number(text)
        if number is None:
            too_large = NUMBER.match(text.strip()) is not None
            problems.append(data_error("OBC903", f"`{text.strip()}` is {'too large a number' if too_large else 'not a number'}",
                                       cell, cell.file,
                                       help=(f"numbers have at most {MAX_DIGITS} digits before the decimal point" if too_large
                                             else "write numbers such as `87.2`, `87.2%`, `1,004` or `£36,950,000`")))
            return None
        values[column] = number
    if "value" in values and ("numerator" in values or "denominator" in values):
        problems.append(data_error("OBC912", "the row gives both a value and a numerator or denominator", cells["value"], cells["value"].file,
                                   help="give either a value, or a numerator and a denominator"))
        return None
    if "value" not in values:
        if "numerator" not in values or "denominator" not in values:
            cell = cells.get("value", measure_cell)
            problems.append(data_error("OBC912", f"no value for `{measure}`", cell, cell.file,
                                       help="give a value, or a numerator and a denominator"))
            return None
        if values["denominator"] == 0:
            problems.append(data_error("OBC904", "the denominator is zero", cells["denominator"], cells["denominator"].file,
                                       help="a rate cannot be computed over nobody; check the denominator, or leave the row out"))
            return None
        for column in ("numerator", "denominator"):
            if values[column] < 0:
                problems.append(data_error("OBC908", f"the {column} is negative", cells[column], cells[column].file,
                                           help="numerators and denominators count people or events"))
                return None
        value = values["numerator"] / values["denominator"]
    else:
        value = values["value"]
    return DataPoint(measure, year, segment, value, values.get("numerator"), values.get("denominator"), cells)
