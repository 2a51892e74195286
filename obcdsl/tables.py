"""Reading tables: CSV, JSON and XLSX files into rows, with numbers read exactly and problems capped.

The layer under the data a year is paid from (`obcdsl.data`) and the patient
costs of a stop-loss (`obcdsl.stop_loss`): where a file's header row is,
which character separates its fields, what its decimal mark is (a point,
unless the file declares a comma), how a number with separators reads (or
why it is ambiguous, with both readings), and the first problems of each
kind in a file with a count of the rest. Every problem names its file, row
and column.
"""

from __future__ import annotations

import array
import bisect
import csv
import enum
import functools
import io
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import attrs

from . import diagnostics as d
from .diagnostics import Diagnostic
from .source import Span

COLUMNS = ("measure", "year", "segment", "value", "numerator", "denominator")  # of the indicator table


class DataError(Exception):
    """Data that could not be read or does not fit the contract; carries the diagnostics."""

    # `partial` is an `obcdsl.data.Data` or None; not named here, as obcdsl.data imports this module (no import cycles)
    def __init__(self, diagnostics: Iterable[Diagnostic], partial: Any = None):
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


class Written(str, enum.Enum):
    """How a value was written in its file, which says whether `0.96` means 0.96% or 96%."""

    PERCENT_SIGN = "percent sign"  # `87.2%`, `0.96%`
    PERCENT_CELL = "percent cell"  # a spreadsheet cell formatted as a percentage (0.872 shown as 87.2%)
    FRACTION = "numerator and denominator"
    NUMBER = "number"  # a bare number: `87.2`, `0.96`, or a spreadsheet number not formatted as a percentage


def data_error(code: str, message: str, cell: Cell | None, file: str, **kw) -> Diagnostic:
    span = cell.span() if cell is not None else Span(file, 0, 0, 1, 1, 1, 1)
    where = f"{cell.where()}: " if cell is not None else ""
    return d.error(code, where + message, span, **kw)


# ---------------------------------------------------------------- at most so many problems of a kind

CAP = 20  # diagnostics shown of each code in each file; the rest are counted in one more


def built(diagnostic: Diagnostic) -> Callable[[], Diagnostic]:
    """What `Problems.add` takes, for a diagnostic built already."""
    return lambda: diagnostic


class Problems:
    """Diagnostics as they are found: the first `cap` of each code in each file, then a count of the rest.

    `add` takes a function that builds the diagnostic, so that the ones not
    shown cost nothing to describe; `diagnostics()` ends each capped kind with
    one diagnostic saying how many more there are and where the first is.
    """

    def __init__(self, cap: int = CAP):
        self.cap = cap
        self._shown: list[tuple[tuple[str, str], Diagnostic]] = []
        self._counts: dict[tuple[str, str], int] = {}
        self._next: dict[tuple[str, str], Diagnostic] = {}

    def add(self, code: str, file: str, build: Callable[[], Diagnostic]) -> None:
        """Count one problem of `code` in `file`, building it only if it will be shown."""
        key = (code, file)
        count = self._counts.get(key, 0) + 1
        self._counts[key] = count
        if count <= self.cap:
            self._shown.append((key, build()))
        elif count == self.cap + 1:
            self._next[key] = build()

    def add_many(self, code: str, file: str, count: int, build: Callable[[int], Diagnostic]) -> None:
        """Count `count` problems of `code` in `file` at once; `build(i)` describes the i-th when it is shown."""
        if count <= 0:
            return
        key = (code, file)
        before = self._counts.get(key, 0)
        for index in range(max(0, min(count, self.cap + 1 - before))):
            self.add(code, file, functools.partial(build, index))
        self._counts[key] = before + count

    def append(self, diagnostic: Diagnostic) -> None:
        """Count a diagnostic already built."""
        self.add(diagnostic.code, diagnostic.span.file if diagnostic.span else "", lambda: diagnostic)

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        for diagnostic in diagnostics:
            self.append(diagnostic)

    def merge(self, other: Problems) -> None:
        """Count another collection's problems as if they had been added here."""
        for key, count in other._counts.items():
            shown = [x for k, x in other._shown if k == key]
            for diagnostic in shown:
                self.add(key[0], key[1], built(diagnostic))
            rest = count - len(shown)
            if rest > 0:
                self.add(key[0], key[1], functools.partial(other._next.__getitem__, key))
                self._counts[key] += rest - 1

    def __bool__(self) -> bool:
        return bool(self._counts)

    def count(self, code: str | None = None) -> int:
        """How many problems were found (of one code, or of all)."""
        return sum(n for (c, _), n in self._counts.items() if code is None or c == code)

    def diagnostics(self) -> list[Diagnostic]:
        """The diagnostics shown, each capped kind followed by one that counts the rest."""
        found = [diagnostic for _, diagnostic in self._shown]
        for (code, file), first in self._next.items():
            rest = self._counts[(code, file)] - self.cap
            found.append(d.Diagnostic(
                code, first.severity, f"… and {rest:,} more rows like this ({code})", first.span,
                notes=(f"the first of them: {first.message}",),
                help=f"only the first {self.cap} problems of each kind in a file are shown",
            ))
        return found


SUMMARY = re.compile(r"^… and ([0-9,]+) more rows like this \(OBC[0-9]{3}\)$")


def problem_count(diagnostics: Iterable[Diagnostic]) -> int:
    """How many problems the diagnostics stand for: one each, and for a `Problems` summary, the rows it counts."""
    total = 0
    for diagnostic in diagnostics:
        match = SUMMARY.match(diagnostic.message)
        total += int(match.group(1).replace(",", "")) if match else 1
    return total


# ---------------------------------------------------------------- numbers

POINT, COMMA = "point", "comma"
MARK_WORDS = {"point": POINT, "dot": POINT, "full stop": POINT, "period": POINT, "comma": COMMA}
MAX_DIGITS = 15  # whole-number digits: up to £999 trillion, far beyond any contract, well within exact arithmetic
MAX_DECIMALS = 18

SIMPLE = re.compile(r"^(-?)(£?)([0-9]+(?:\.[0-9]{1,18})?)(%?)$")  # no separators: the common case
NUMBER = re.compile(r"^(-£?|£-?)?([0-9][0-9.,]*)(%?)$")  # the shape of a number, before its separators are checked
GROUPED = {
    # a decimal point; commas only group thousands: 1-3 digits, then groups of exactly 3
    POINT: re.compile(r"^(?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)(?:\.[0-9]+)?$"),
    # a decimal comma; points only group thousands, the same way
    COMMA: re.compile(r"^(?:[0-9]+|[0-9]{1,3}(?:\.[0-9]{3})+)(?:,[0-9]+)?$"),
}
POINT_GROUPS = re.compile(r"^[0-9]{1,3}\.[0-9]{3}$")  # `14.650`: a decimal, or 14650 grouped the European way?
DECLARE_COMMA = ("if the file writes decimal commas, declare it: a line `# decimal mark: comma` before the header "
                 "of a CSV file, `\"decimal mark\": \"comma\"` in a JSON file, or `decimal_mark=\"comma\"` in Python")


class NumberProblem(ValueError):
    """Text that is not a number, or not one number: its diagnostic code, message and help."""

    def __init__(self, code: str, message: str, help: str = ""):
        super().__init__(message)
        self.code = code
        self.message = message
        self.help = help


def other_mark(mark: str) -> str:
    return COMMA if mark == POINT else POINT


def plain(body: str, mark: str) -> str:
    """The digits of a number written with `mark` as its decimal mark, with a decimal point: `1.004,5` → `1004.5`."""
    if mark == POINT:
        return body.replace(",", "")
    return body.replace(".", "").replace(",", ".")


def parse_number(text: str, decimal_mark: str = POINT, declared: bool = False, semicolons: bool = False) -> tuple[Decimal, bool]:
    """`87.2%`, `£36,950,000`, `1,004`, `3.1` → (Decimal, written with a percent sign).

    `decimal_mark` is the file's (`point` or `comma`); `declared` says whether
    the file chose it. `semicolons` says the file is separated by semicolons,
    as Excel writes CSV in a European locale: there, unless the file declares
    its decimal mark, `14.650` is refused too (14.65, or 14650?). Raises
    `NumberProblem` for text that is not a number, or that could be read two
    ways (`36420000,50`).
    """
    text = text.strip()
    match = NUMBER.match(text)
    if not match:
        raise NumberProblem("OBC903", f"`{text}` is not a number",
                            "write numbers such as `87.2`, `87.2%`, `1,004` or `£36,950,000`")
    sign, body, percent = match.group(1) or "", match.group(2), match.group(3)
    if not GROUPED[decimal_mark].match(body):
        raise separator_problem(text, sign, body, percent, decimal_mark, declared)
    if semicolons and not declared and decimal_mark == POINT and POINT_GROUPS.match(body):
        shown = f"{sign}{{}}{percent}"
        raise NumberProblem("OBC917", f"`{text}` could be {shown.format(body)} (decimal point) or "
                            f"{shown.format(body.replace('.', ''))} (a point grouping thousands); this file is separated by "
                            "semicolons, as Excel writes CSV in a European locale, and does not declare its decimal mark",
                            "declare it: a line `# decimal mark: comma` (or `# decimal mark: point`) before the header")
    digits = plain(body, decimal_mark)
    whole, _, fraction = digits.partition(".")
    if len(whole.lstrip("0")) > MAX_DIGITS or len(fraction) > MAX_DECIMALS:
        raise NumberProblem("OBC903", f"`{text}` is too large a number" if len(whole.lstrip("0")) > MAX_DIGITS
                            else f"`{text}` has more than {MAX_DECIMALS} decimal places",
                            f"numbers have at most {MAX_DIGITS} digits before the decimal point")
    value = Decimal(digits)
    return (-value if "-" in sign else value), bool(percent)


def separator_problem(text: str, sign: str, body: str, percent: str, mark: str, declared: bool) -> NumberProblem:
    """Why a number's commas and points do not fit the file's decimal mark."""
    other = other_mark(mark)
    shown = f"{sign}{{}}{percent}"
    if not GROUPED[other].match(body):
        rule = ("commas group thousands in threes (`1,004`, `36,950,000.50`)" if mark == POINT
                else "points group thousands in threes (`1.004`, `36.950.000,50`)")
        return NumberProblem("OBC903", f"`{text}` is not a number", f"the decimal mark is a {mark}; {rule}")
    other_reading = shown.format(plain(body, other))
    whose = f"this file declares a decimal {mark}" if declared else "this file's decimal mark is a point"
    if mark == POINT and body.count(",") == 1 and "." not in body:
        # `36420000,50`, `87,2%`, `1,5`: a decimal comma, or thousands separators in the wrong places
        message = (f"`{text}` could be {other_reading} (decimal comma) or {shown.format(body.replace(',', ''))} "
                   f"(thousands separators); {whose}")
    else:
        message = f"`{text}` reads as {other_reading} only with a decimal {other}, but {whose}"
    if mark == POINT:
        help = f"write `{shown.format(plain(body, COMMA))}`, or " + DECLARE_COMMA
    else:
        swapped = body.translate(str.maketrans(",.", ".,"))
        help = f"write `{shown.format(swapped)}`: this file's numbers use a decimal comma and points only group thousands"
    return NumberProblem("OBC917", message, help)


def read_number(text: str, decimal_mark: str = POINT) -> Decimal | None:
    """`87.2%`, `£36,950,000`, `1,004`, `3.1` → Decimal; None if not a number, or not one number."""
    try:
        return parse_number(text, decimal_mark)[0]
    except NumberProblem:
        return None


def decimal_mark_named(word: object) -> str | None:
    """`comma`, `point` (or `dot`, `full stop`, `period`) → the mark; None for anything else."""
    return MARK_WORDS.get(" ".join(str(word).strip().lower().split())) if isinstance(word, str) else None


DECLARATION = re.compile(r"^#\s*decimal[ _]mark\s*[:=]\s*(.*?)[\s,;]*$", re.IGNORECASE)


def declared_mark(text: str) -> tuple[bool, str | None]:
    """(is a decimal-mark declaration, the mark or None if unreadable) for a comment line or cell."""
    match = DECLARATION.match(text.strip())
    if not match:
        return False, None
    return True, decimal_mark_named(match.group(1).strip("\"'` "))


@attrs.frozen
class Number:
    """A value a spreadsheet or JSON file holds as a number rather than as text."""

    value: Decimal
    percent_cell: bool = False  # a spreadsheet cell formatted as a percentage; `value` is already in points


# ---------------------------------------------------------------- tables: the rows of a file, and where each cell is


class RawRow(NamedTuple):
    """A row as read: column → text (or `Number`), and where the row is."""

    origin: RowOrigin
    fields: dict

    @property
    def number(self) -> int:
        return self.origin.row


EXTRA = "\0extra"  # the field of a row that has more fields than the header has columns
HEADER_SEARCH = 10  # title rows a header may sit under ("Year 3 data return" and the like)
ALIASES = {"measure": ("measure", "indicator"), "indicator": ("indicator", "measure")}


class Table:
    """A data file opened for reading: its header, its decimal mark, its rows, and where each cell is."""

    def __init__(self, name: str, label: str | None = None):
        self.name = name
        self.label = label or name  # the file as messages name it
        self.header: list[str] = []
        self.decimal_mark = POINT
        self.declared = False
        self.semicolons = False  # separated by semicolons, as Excel writes CSV in a European locale
        self.problems: list[Diagnostic] = []  # file-level problems found while opening (a bad declaration)

    def rows(self) -> Iterator[RawRow]:  # pragma: no cover - every kind of table has its own
        raise NotImplementedError

    def column_index(self, column: str) -> int:
        for name in ALIASES.get(column, (column,)) + ("value",):
            if name in self.header:
                return self.header.index(name)
        return 0

    def cell(self, origin: RowOrigin, column: str) -> Cell:  # pragma: no cover
        raise NotImplementedError

    def set_mark(self, mark: str | None, declared: bool) -> None:
        if mark is not None:
            self.decimal_mark, self.declared = mark, declared


def unique_header(names: Sequence[str], name: str) -> list[str]:
    """Column names, lower case; a name given twice is refused (the second would hide the first)."""
    header = [" ".join(str(h or "").strip().lower().split()) for h in names]
    seen = set()
    for column in header:
        if column and column in seen:
            raise DataError([data_error("OBC902", f"the column `{column}` is named twice in the header", None, name,
                                        help="give each column one header")])
        seen.add(column)
    return header


def is_header(fields: Sequence[object], keys: Sequence[str]) -> bool:
    return any(isinstance(f, str) and " ".join(f.strip().lower().split()) in keys for f in fields)


def blank(fields: Sequence[object]) -> bool:
    return all(f is None or (isinstance(f, str) and not f.strip()) for f in fields)


def field_starts(line: str, delimiter: str = ",") -> list[int]:
    """1-based character columns where each CSV field of a one-line record starts."""
    starts = [1]
    quoted = False
    for index, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == delimiter and not quoted:
            starts.append(index + 2)
    return starts


def outside_quotes(line: str, char: str) -> bool:
    quoted = False
    for c in line:
        if c == '"':
            quoted = not quoted
        elif c == char and not quoted:
            return True
    return False


def sniff_delimiter(line: str) -> str:
    """`;` for a line that has `;` and no `,` outside quotes (a European Excel export), else `,`."""
    return ";" if outside_quotes(line, ";") and not outside_quotes(line, ",") else ","


@attrs.frozen
class HeaderFound:
    """Where a text table's header is, how its fields are separated, and what comments above it declare."""

    line: int  # 1-based line of the header; 0 if the file has none
    delimiter: str
    mark: str | None
    problems: tuple


def find_header(lines: Sequence[str], keys: Sequence[str], name: str) -> HeaderFound:
    """The header line of CSV text: the first line naming one of `keys`, under at most a few title lines.

    Comment lines (`#`) above it may declare the decimal mark. When no line
    names a key, the first line that is not blank or a comment is the header.
    """
    first: tuple[int, str] | None = None
    marks: list[str] = []
    problems: list[Diagnostic] = []
    candidates = 0
    chosen: tuple[int, str] | None = None
    for index, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped.startswith("#"):
            is_declaration, mark = declared_mark(stripped)
            if is_declaration:
                if mark is None:
                    problems.append(d.error("OBC917", f"`{stripped.rstrip(',;')}` does not name a decimal mark",
                                            Span(name, 0, 0, index, 1, index, len(line) + 1),
                                            help="write `# decimal mark: comma` or `# decimal mark: point`"))
                else:
                    marks.append(mark)
            continue
        if not stripped or not stripped.strip(",;\t "):
            continue
        candidates += 1
        for delimiter in (",", ";"):
            fields = next(csv.reader([line], delimiter=delimiter), [])
            if is_header(fields, keys):
                chosen = (index, delimiter)
                break
        if first is None:
            first = (index, sniff_delimiter(line))
        if chosen is not None or candidates >= HEADER_SEARCH:
            break
    found = chosen or first
    if len(set(marks)) > 1:
        problems.append(d.error("OBC917", "the file declares its decimal mark twice, as a comma and as a point",
                                Span(name, 0, 0, 1, 1, 1, 2), help="keep one `# decimal mark:` line"))
    mark = marks[0] if marks else None
    if found is None:
        return HeaderFound(0, ",", mark, tuple(problems))
    return HeaderFound(found[0], found[1], mark, tuple(problems))


class CsvTable(Table):
    """CSV text (comma- or semicolon-separated), with comments, title rows and a decimal-mark declaration."""

    def __init__(self, name: str, text: str, decimal_mark: str | None = None):
        super().__init__(name)
        self.text = text
        self._line_starts: array.array | None = None
        head_lines = text[: 1 << 16].split("\n")
        found = find_header(head_lines, ("measure", "indicator"), name)
        self.header_line = found.line
        self.delimiter = found.delimiter
        self.semicolons = found.delimiter == ";"
        self.problems.extend(found.problems)
        self.set_mark(decimal_mark, False)
        self.set_mark(found.mark, True)
        if found.line:
            record = next(csv.reader([head_lines[found.line - 1]], delimiter=self.delimiter), [])
            self.header = unique_header(record, name)

    def rows(self) -> Iterator[RawRow]:
        if not self.header_line:
            raise DataError([data_error("OBC902", "the file has no header row naming its columns", None, self.name,
                                        help=f"start the file with the columns `{', '.join(COLUMNS)}`")])
        header = self.header
        width = len(header)
        reader = csv.reader(io.StringIO(self.text), delimiter=self.delimiter)
        next_line = 1
        for record in reader:
            line = next_line
            next_line = reader.line_num + 1
            if line <= self.header_line or not record:
                continue
            first = record[0]
            # perhaps a blank row or a comment: rare, so looked at closely only here
            if (not first or first[0] in " \t#") and (not "".join(record).strip() or first.lstrip().startswith("#")):
                continue
            origin = RowOrigin(self, line, line)
            if len(record) != width:
                if len(record) > width and any(f.strip() for f in record[width:]):
                    yield RawRow(origin, {EXTRA: len(record)})
                    continue
                record = record[:width] + [""] * (width - len(record))
            yield RawRow(origin, dict(zip(header, record)))

    def line_text(self, line: int) -> str:
        if self._line_starts is None:
            starts = array.array("q", [0])
            starts.extend(m.end() for m in re.finditer("\n", self.text))
            self._line_starts = starts
        if line < 1 or line > len(self._line_starts):
            return ""
        start = self._line_starts[line - 1]
        end = self.text.find("\n", start)
        return self.text[start:] if end == -1 else self.text[start:end]

    def cell(self, origin: RowOrigin, column: str) -> Cell:
        text = self.line_text(origin.at)
        index = self.column_index(column)
        starts = field_starts(text, self.delimiter)
        fields = next(csv.reader([text], delimiter=self.delimiter), [])
        width = len(fields[index]) if index < len(fields) else 1
        at = starts[index] if index < len(starts) else 1
        return Cell(self.label, origin.row, self.header[index] if index < len(self.header) else column, origin.at, at, width)


class JsonTable(Table):
    """A JSON list of row objects, or `{"decimal mark": ..., "rows": [...]}`."""

    def __init__(self, name: str, text: str, decimal_mark: str | None = None):
        super().__init__(name)
        self.text = text
        self._starts: list[tuple[int, int]] | None = None
        self._line_starts: array.array | None = None
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError([d.error("OBC901", f"the file is not valid JSON: {exc.msg.lower()}",
                                     Span(name, exc.pos, exc.pos, exc.lineno, exc.colno, exc.lineno, exc.colno + 1))]) from None
        self.set_mark(decimal_mark, False)
        if isinstance(document, dict):
            keys = {" ".join(str(k).replace("_", " ").lower().split()): k for k in document}
            if "decimal mark" in keys:
                mark = decimal_mark_named(document[keys["decimal mark"]])
                if mark is None:
                    raise DataError([data_error("OBC917", f"`{document[keys['decimal mark']]}` is not a decimal mark", None, name,
                                                help='write "decimal mark": "comma" or "decimal mark": "point"')])
                self.set_mark(mark, True)
            rows = document.get(keys.get("rows", "rows"))
            self._array_key = keys.get("rows", "rows")
        else:
            rows = document
            self._array_key = None
        if not isinstance(rows, list):
            raise DataError([data_error("OBC902", 'expected a list of rows, or an object with a "rows" list', None, name)])
        self.document_rows = rows
        for row in rows[:1]:
            if isinstance(row, dict):
                self.header = [" ".join(str(k).strip().lower().split()) for k in row]

    def rows(self) -> Iterator[RawRow]:
        for index, row in enumerate(self.document_rows, start=1):
            origin = RowOrigin(self, index, index)
            if not isinstance(row, dict):
                start, end = self.element(index)
                line, column = self.position(start)
                raise DataError([d.error("OBC902", f"row {index} is not an object of column names and values",
                                         Span(self.name, start, end, line, column, line, column + 1))])
            fields = {}
            for key, value in row.items():
                if value is None:
                    shown: object = ""
                elif isinstance(value, bool) or not isinstance(value, (int, float)):
                    shown = value if isinstance(value, str) else json.dumps(value)
                else:
                    shown = json_number(value)
                fields[" ".join(str(key).strip().lower().split())] = shown
            yield RawRow(origin, fields)

    def element(self, index: int) -> tuple[int, int]:
        """Where the index-th (1-based) row object starts and ends in the text."""
        if self._starts is None:
            decoder = json.JSONDecoder()
            text = self.text
            key_at = text.find(f'"{self._array_key}"') if self._array_key is not None else 0
            position = text.find("[", max(key_at, 0)) + 1
            starts = []
            while position < len(text):
                while position < len(text) and text[position] in " \t\r\n,":
                    position += 1
                if position >= len(text) or text[position] == "]":
                    break
                try:
                    _, end = decoder.raw_decode(text, position)
                except json.JSONDecodeError:
                    break
                starts.append((position, end))
                position = end
            self._starts = starts
        if 1 <= index <= len(self._starts):
            return self._starts[index - 1]
        return 0, 0

    def position(self, offset: int) -> tuple[int, int]:
        if self._line_starts is None:
            starts = array.array("q", [0])
            starts.extend(m.end() for m in re.finditer("\n", self.text))
            self._line_starts = starts
        line = bisect.bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1

    def cell(self, origin: RowOrigin, column: str) -> Cell:
        start, end = self.element(origin.at)
        row = self.document_rows[origin.at - 1] if 0 < origin.at <= len(self.document_rows) else {}
        names = ALIASES.get(column, (column,)) + ("value",)
        key = next((k for name in names for k in (row if isinstance(row, dict) else ())
                    if " ".join(str(k).strip().lower().split()) == name), None)
        at = self.text.find(json.dumps(str(key), ensure_ascii=False), start, end) if key is not None else -1
        offset = at if at >= 0 else start
        line, char_column = self.position(offset)
        return Cell(self.label, origin.row, str(key) if key is not None else column, line, char_column)


def json_number(value: float) -> object:
    if isinstance(value, int):
        return Number(Decimal(value))
    if not math.isfinite(value):
        return repr(value)
    return Number(Decimal(repr(value)))


VALUE_CELLS = ("value", "numerator", "denominator", "baseline")  # a spreadsheet row with all of these empty gives no data


class SheetTable(Table):
    """A workbook's sheets of data: the first sheet, then every other sheet whose header names a measure.

    Numbers are read as the cells hold them, percent-formatted cells as
    percentages. A row whose value cells (`value`, `numerator`,
    `denominator`, `baseline`) are all empty gives no data and is skipped,
    so that a data-entry template (`obcdsl template`) may leave rows blank.
    """

    def __init__(self, path: Path, name: str, decimal_mark: str | None = None):
        super().__init__(name)
        try:
            import openpyxl
        except ImportError:  # pragma: no cover - openpyxl is a dependency
            raise DataError([data_error("OBC901", "reading spreadsheets needs the openpyxl package", None, name)]) from None
        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file
            raise DataError([data_error("OBC901", f"the spreadsheet cannot be opened: {exc}", None, name)]) from exc
        try:
            sheets = [(sheet.title, [(number, [spreadsheet_value(c) for c in cells])
                                     for number, cells in enumerate(sheet.iter_rows(), start=1)])
                      for sheet in book.worksheets]
        except Exception as exc:  # noqa: BLE001 - a damaged sheet can fail while its rows are read
            raise DataError([data_error("OBC901", f"the spreadsheet cannot be read: {exc}", None, name)]) from exc
        finally:
            book.close()
        self.more: list[SheetTable] = []  # the further sheets of data, read after this one
        self.load(sheets[0][0], sheets[0][1], decimal_mark)
        for title, rows in sheets[1:]:
            other = SheetTable.__new__(SheetTable)
            Table.__init__(other, name)
            other.more = []
            other.load(title, rows, decimal_mark)
            if other.header_row and is_header(other.header, ("measure", "indicator")):
                self.more.append(other)
                self.problems.extend(other.problems)

    def load(self, title: str, rows: list, decimal_mark: str | None) -> None:
        """Take one sheet's rows, and find its header."""
        self.label = f"{self.name}[{title}]"
        self.set_mark(decimal_mark, False)
        self.sheet_rows = rows
        self.header_row = 0
        self.find_header()

    def find_header(self) -> None:
        first = None
        marks = []
        candidates = 0
        chosen = None
        for number, values in self.sheet_rows:
            if blank(values):
                continue
            texts = [v for v in values if isinstance(v, str) and v.strip()]
            if texts and texts[0].strip().startswith("#") and not is_header(values, ("measure", "indicator")):
                is_declaration, mark = declared_mark(texts[0])
                if is_declaration:
                    if mark is None:
                        self.problems.append(data_error("OBC917", f"`{texts[0].strip()}` does not name a decimal mark", None,
                                                        self.label, help="write `# decimal mark: comma` or `# decimal mark: point`"))
                    else:
                        marks.append(mark)
                continue
            candidates += 1
            first = first or number
            if is_header(values, ("measure", "indicator")):
                chosen = number
                break
            if candidates >= HEADER_SEARCH:
                break
        self.header_row = chosen or first or 0
        if marks:
            self.set_mark(marks[0], True)
        if self.header_row:
            values = dict(self.sheet_rows)[self.header_row]
            self.header = unique_header([v if isinstance(v, str) else ("" if v is None else str(getattr(v, "value", v)))
                                         for v in values], self.label)

    def rows(self) -> Iterator[RawRow]:
        header = self.header
        valued = [index for index, column in enumerate(header) if column in VALUE_CELLS]
        for number, values in self.sheet_rows:
            if number <= self.header_row or blank(values):
                continue
            if isinstance(values[0], str) and values[0].lstrip().startswith("#"):
                continue
            if valued and blank([values[index] if index < len(values) else None for index in valued]):
                continue  # a row left blank: no data given
            fields = {}
            for index, column in enumerate(header):
                value = values[index] if index < len(values) else None
                fields[column] = "" if value is None else value
            yield RawRow(RowOrigin(self, number, number), fields)
        for other in self.more:
            yield from other.rows()

    def cell(self, origin: RowOrigin, column: str) -> Cell:
        index = self.column_index(column)
        name = self.header[index] if index < len(self.header) else column
        return Cell(self.label, origin.row, name, origin.row, index + 1)


def spreadsheet_value(cell) -> object:
    """A cell's value: text as text; a number as a `Number`, in points if the cell is formatted as a percentage."""
    value = getattr(cell, "value", None)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value if isinstance(value, str) else str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if percent_format(getattr(cell, "number_format", "") or ""):
        return Number((number * 100).normalize(), percent_cell=True)
    return Number(number)


def percent_format(number_format: str) -> bool:
    """Whether a number format shows a percentage: a `%` outside quotes and escapes (`0.0%`, not `0"%"`)."""
    bare = re.sub(r'"[^"]*"|\\.', "", number_format)
    return "%" in bare


def open_table(path: Path, decimal_mark: str | None = None) -> Table:
    """A CSV, JSON or XLSX file opened as a `Table`; raises `DataError` if it cannot be read at all."""
    name = str(path)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return SheetTable(path, name, decimal_mark)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(
            [data_error("OBC901", f"cannot read `{name}`: {(exc.strerror or str(exc)).lower()}", None, name)]) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError([data_error("OBC901", f"byte 0x{data[exc.start]:02x} at offset {exc.start} is not UTF-8 text", None, name,
                                    help="save the file as UTF-8 (CSV UTF-8 in Excel)")]) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if suffix == ".json":
        return JsonTable(name, text, decimal_mark)
    if suffix in (".csv", ".txt"):
        return CsvTable(name, text, decimal_mark)
    raise DataError([data_error("OBC901", f"`{suffix or name}` files are not data files obcdsl reads", None, name,
                                help="use a .csv, .json or .xlsx file")])


def raw_rows(path: Path, header_out: list | None = None) -> Iterator[RawRow]:
    """Rows of a CSV, JSON or XLSX file; `header_out`, if given, receives the column names."""
    table = open_table(Path(path))
    if header_out is not None:
        header_out.extend(table.header)
    yield from table.rows()


def check_decimal_mark(decimal_mark: str | None) -> str | None:
    if decimal_mark is None:
        return None
    mark = decimal_mark_named(decimal_mark)
    if mark is None:
        raise ValueError(f"decimal_mark must be 'point' or 'comma', not {decimal_mark!r}")
    return mark


class RowOrigin:
    """The row of a file a value was read from; finds a column's `Cell` only when a message needs it.

    `row` is the row number messages give (the line of a CSV file, the row of
    a sheet, the element of a JSON list); `at` is where the row starts: its
    line, or its element index in a JSON list. (A plain class: a million rows
    make a million of these.)
    """

    __slots__ = ("at", "row", "table")

    def __init__(self, table: Table, row: int, at: int = 0):
        self.table = table
        self.row = row
        self.at = at

    def __repr__(self) -> str:
        return f"RowOrigin({self.table.label!r}, row={self.row})"

    def cell(self, column: str) -> Cell:
        return self.table.cell(self, column)

    @property
    def file(self) -> str:
        return self.table.label
