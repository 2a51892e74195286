"""Per-patient stop-loss over patient-level cost files of any size.

Patient costs come as CSV or Parquet files with the columns `patient`,
`year` and `cost` (and any others, an `episode` or a `date` say), as one
file, several, or a folder of them (a partitioned Parquet dataset). A
patient may have many rows: the stop-loss applies to each patient's total
in a year, summed over every row of every file.

The files are streamed in record batches with pyarrow. Costs are taken to
the penny (half even) and summed as whole pennies in 64-bit integers, so the
result is exact. Each batch is summed per patient with pyarrow and the
partial sums are merged, so memory grows with the number of distinct
patients in a year, not with the number of rows.

`PatientCosts.open` checks every row once (numbers, years, no negative
costs, no row repeated) and reports the problems it finds together, at most
a few of each kind; `PatientCosts.excess` then streams the rows of one year.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Iterator, Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import diagnostics as d
from .tables import (
    COMMA,
    POINT,
    NumberProblem,
    Problems,
    check_decimal_mark,
    find_header,
    parse_number,
)
from .diagnostics import Diagnostic, Label
from .source import Span

CHUNK_ROWS = 1 << 20
COLUMNS = ("patient", "year", "cost")
MAX_POUNDS = 10**13  # a cost of £10 trillion or more for one row is not a cost
SUM_LIMIT = 1 << 62  # pennies: sums stay well inside 64-bit integers
SUFFIXES = (".csv", ".parquet")

# A cost as text: an optional sign and pound sign, digits grouped in threes by the mark that is not the decimal mark.
COST_TEXT = {
    POINT: r"^(?:-£?|£-?)?(?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)(?:\.[0-9]+)?$",
    COMMA: r"^(?:-£?|£-?)?(?:[0-9]+|[0-9]{1,3}(?:\.[0-9]{3})+)(?:,[0-9]+)?$",
}
PLAIN_COST = r"^-?[0-9]{1,13}(?:\.[0-9]{1,18})?$"  # what a cost becomes once its pound sign and separators are gone


@attrs.frozen
class Excess:
    """What a year's patients cost beyond the stop-loss threshold."""

    patients: int  # how many patients' totals exceeded the threshold
    excess: Decimal  # the sum, in pounds, of each one's total between the threshold and the limit


class PatientFileError(Exception):
    """Patient cost files that cannot be used; carries every diagnostic found."""

    def __init__(self, diagnostics: Sequence[Diagnostic]):
        self.diagnostics = tuple(diagnostics)
        super().__init__(self.diagnostics[0].message if self.diagnostics else "bad patient costs")


def error(code: str, name: str, message: str, line: int = 1, **kw) -> Diagnostic:
    return d.error(code, message, Span(name, 0, 0, line, 1, line, 2), **kw)


def short(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0][:200]


# ---------------------------------------------------------------- the stop-loss rule, once


def to_pennies(cost: Decimal) -> int:
    """A cost in pounds to whole pennies, half even, as a file's costs are taken."""
    return int((cost * 100).to_integral_value(rounding=ROUND_HALF_EVEN))


def beyond_threshold(totals: np.ndarray, threshold: Decimal, limit: Decimal | None) -> np.ndarray:
    """Each patient's total (whole pennies) as the stop-loss counts it: up to the limit, beyond the threshold, else 0."""
    floor = to_pennies(threshold)
    if limit is not None:
        totals = np.minimum(totals, to_pennies(limit))
    return np.maximum(totals - floor, 0)


def excess_of_totals(totals, threshold: Decimal, limit: Decimal | None) -> Excess:
    """The stop-loss over patients' totals (whole pennies): each counts up to the limit, beyond the threshold."""
    try:
        values = np.asarray(totals, dtype=np.int64)
    except OverflowError:  # totals beyond 64 bits: exact Python integers instead
        values = np.asarray(totals, dtype=object)
    over = beyond_threshold(values, threshold, limit)
    over = over[over > 0]
    return Excess(int(over.size), Decimal(int(over.sum())) / 100)


# ---------------------------------------------------------------- which files


@attrs.frozen
class PatientFile:
    """One patient cost file, with the values its folder names give (`year=2/part-0.parquet`)."""

    path: Path
    partition: tuple = ()  # ((column, value), ...) from `column=value` folders of a partitioned dataset

    @property
    def name(self) -> str:
        return str(self.path)


def as_list(source) -> list:
    return list(source) if isinstance(source, (list, tuple)) else [source]


def patient_paths(source) -> list[Path]:
    """The files a patient cost source names, as far as they can be found (for messages)."""
    found = []
    for item in as_list(source):
        path = Path(item)
        found.extend(sorted(p for p in path.rglob("*") if wanted(p, path)) if path.is_dir() else [path])
    return found


def wanted(path: Path, root: Path) -> bool:
    parts = path.relative_to(root).parts
    return path.is_file() and path.suffix.lower() in SUFFIXES and not any(p.startswith((".", "_")) for p in parts)


def patient_files(source) -> tuple[list[PatientFile], list[Diagnostic]]:
    """The files of a source (a file, a folder of .csv/.parquet files, or a list of both), and what cannot be found."""
    files: list[PatientFile] = []
    problems: list[Diagnostic] = []
    items = as_list(source)
    if not items:
        problems.append(error("OBC901", "<patients>", "no patient cost file was given"))
    for item in items:
        path = Path(item)
        if path.is_dir():
            inside = sorted(p for p in path.rglob("*") if wanted(p, path))
            if not inside:
                problems.append(error("OBC901", str(path), f"the folder `{path}` holds no .csv or .parquet files"))
            for found in inside:
                folders = found.relative_to(path).parts[:-1]
                partition = tuple((k.strip().lower(), v) for k, _, v in (p.partition("=") for p in folders if "=" in p))
                files.append(PatientFile(found, partition))
        elif path.is_file():
            files.append(PatientFile(path))
        else:
            problems.append(error("OBC901", str(path), f"cannot read `{path}`: no such file"))
    seen: set[Path] = set()
    for file in files:
        where = file.path.resolve()
        if where in seen:
            problems.append(error("OBC901", file.name, f"the file `{file.name}` is given twice: its costs would be counted twice",
                                  help="name each patient cost file once"))
        seen.add(where)
    return files, problems


# ---------------------------------------------------------------- reading rows


@attrs.frozen
class Rows:
    """A batch of rows that read cleanly: where each is, and its patient, year and cost in pennies."""

    file: str
    lines: np.ndarray  # the row number of each (the line, in a CSV file)
    patients: pa.Array  # text
    years: np.ndarray  # int64
    pennies: np.ndarray  # int64
    others: tuple = ()  # ((column, text array), ...): the other columns, which tell two rows of a patient apart


@attrs.frozen
class Reading:
    """How one file is being read."""

    file: PatientFile
    mark: str
    declared: bool
    semicolons: bool = False  # separated by semicolons, as Excel writes CSV in a European locale
    skipped: np.ndarray = attrs.field(factory=lambda: np.zeros(0, np.int64))  # CSV records pyarrow could not split


def read_rows(file: PatientFile, problems: Problems, chunk_rows: int = CHUNK_ROWS, decimal_mark: str | None = None,
              others: bool = False, skipped: np.ndarray | None = None, year: int | None = None) -> Iterator[Rows]:
    """The file's rows, a batch at a time; a row that does not read adds its problem and is left out.

    `others` keeps the other columns (to tell repeated rows apart); `year`
    keeps only that year's rows (and looks no further at the others).
    Raises `PatientFileError` when the file as a whole cannot be read (no such
    column, not UTF-8, not Parquet).
    """
    if file.path.suffix.lower() == ".parquet":
        yield from parquet_rows(file, problems, chunk_rows, decimal_mark, others, year)
    else:
        yield from csv_file_rows(file, problems, chunk_rows, decimal_mark, others, skipped, year)


def parquet_rows(file: PatientFile, problems: Problems, chunk_rows: int, decimal_mark: str | None, others: bool,
                 year: int | None) -> Iterator[Rows]:
    import pyarrow.parquet as pq

    name = file.name
    try:
        source = pq.ParquetFile(file.path)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several kinds for a damaged file
        raise PatientFileError([error("OBC901", name, f"the Parquet file cannot be read: {short(exc)}")]) from exc
    names = source.schema_arrow.names
    lowered_columns(names, dict(file.partition), name)
    wanted_columns = [c for c in names if others or c.strip().lower() in COLUMNS]
    reading = Reading(file, decimal_mark or POINT, False)
    first = 1
    try:
        for batch in source.iter_batches(batch_size=chunk_rows, columns=wanted_columns):
            arrays = {c.strip().lower(): batch.column(i) for i, c in enumerate(batch.schema.names)}
            lines = np.arange(first, first + batch.num_rows, dtype=np.int64)
            first += batch.num_rows
            yield from clean_rows(reading, lines, with_partition(arrays, file, batch.num_rows), problems, others, year)
    except (pa.ArrowInvalid, OSError) as exc:
        raise PatientFileError([error("OBC901", name, f"the Parquet file cannot be read: {short(exc)}")]) from None


def lowered_columns(names: Sequence[str], partition: dict, name: str) -> list[str]:
    """The file's columns, lower case; refuses a file without `patient`, `year` or `cost`."""
    columns = [n.strip().lower() for n in names]
    twice = sorted({c for c in columns if c and columns.count(c) > 1})
    if twice:
        raise PatientFileError([error("OBC902", name, f"the column `{twice[0]}` is named twice in the header",
                                      help="give each column one header")])
    for column in COLUMNS:
        if column not in columns and column not in partition:
            why = (" (costs are summed per patient before the stop-loss threshold applies, so each row must name its patient)"
                   if column == "patient" else "")
            raise PatientFileError([error("OBC902", name, f"the file has no `{column}` column{why}",
                                          help="a patient cost file has the columns `patient`, `year` and `cost`, "
                                               "and may have others (an `episode` or `date`)")])
    return columns


def with_partition(arrays: dict, file: PatientFile, count: int) -> dict:
    for column, value in file.partition:
        if column not in arrays:
            arrays[column] = pa.repeat(pa.scalar(value, pa.string()), count)
    return arrays


def csv_layout(file: PatientFile, decimal_mark: str | None):
    """(header line, delimiter, column names, decimal mark, declared) of a patient CSV file."""
    name = file.name
    try:
        with open(file.path, "rb") as handle:
            head = handle.read(1 << 16)
    except OSError as exc:
        raise PatientFileError([error("OBC901", name, f"cannot read `{name}`: {(exc.strerror or str(exc)).lower()}")]) from None
    text = head.decode("utf-8-sig", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if len(head) == 1 << 16:
        lines = lines[:-1]  # the last may be cut short
    found = find_header(lines, ("patient",), name)
    if found.problems:
        raise PatientFileError(list(found.problems))
    if not found.line:
        raise PatientFileError([error("OBC902", name, "the file has no header row naming its columns",
                                      help="start the file with the columns `patient,year,cost`")])
    header = next(csv.reader([lines[found.line - 1]], delimiter=found.delimiter), [])
    columns = lowered_columns(header, dict(file.partition), name)
    names = [c or f"column {i + 1}" for i, c in enumerate(columns)]
    mark = found.mark or decimal_mark or POINT
    return found.line, found.delimiter, names, mark, found.mark is not None


def csv_file_rows(file: PatientFile, problems: Problems, chunk_rows: int, decimal_mark: str | None, others: bool,
                  skipped: np.ndarray | None, year: int | None) -> Iterator[Rows]:
    import pyarrow.csv as pcsv

    name = file.name
    header_line, delimiter, names, mark, declared = csv_layout(file, decimal_mark)
    reading = Reading(file, mark, declared, delimiter == ";", skipped if skipped is not None else np.zeros(0, np.int64))
    unsplit = []

    def handler(row) -> str:
        unsplit.append(row.text)
        return "skip"

    keep = names if others else [n for n in names if n in COLUMNS]
    try:
        reader = pcsv.open_csv(
            file.path,
            read_options=pcsv.ReadOptions(skip_rows=header_line, column_names=names,
                                          block_size=max(1 << 14, min(64 << 20, chunk_rows * 64))),
            parse_options=pcsv.ParseOptions(delimiter=delimiter, ignore_empty_lines=False, invalid_row_handler=handler),
            convert_options=pcsv.ConvertOptions(column_types={n: pa.string() for n in names}, include_columns=keep,
                                                strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, OSError) as exc:
        raise PatientFileError([csv_error(name, exc)]) from None
    # row k (0-based, among the rows pyarrow gives) is record t of the file, counting the records it skipped
    shifted = reading.skipped - np.arange(reading.skipped.size)
    ordinal = 0
    try:
        for batch in reader:
            count = batch.num_rows
            k = np.arange(ordinal, ordinal + count, dtype=np.int64)
            records = k + np.searchsorted(shifted, k, side="right")
            ordinal += count
            arrays = {c: batch.column(i) for i, c in enumerate(batch.schema.names)}
            arrays = with_partition(arrays, file, count)
            # blank lines and comment lines are not rows
            patient = arrays.get("patient")
            keep_mask = np.ones(count, dtype=bool)
            if count:
                empty = np.ones(count, dtype=bool)
                for column in keep:
                    empty &= np.asarray(pc.equal(pc.utf8_trim_whitespace(arrays[column]), "")
                                        .to_numpy(zero_copy_only=False), dtype=bool)
                keep_mask &= ~empty
                if patient is not None:
                    keep_mask &= ~np.asarray(pc.starts_with(pc.utf8_trim_whitespace(patient), "#")
                                             .to_numpy(zero_copy_only=False), dtype=bool)
            if not keep_mask.all():
                chosen = pa.array(keep_mask)
                arrays = {c: pc.filter(a, chosen) for c, a in arrays.items()}
                records = records[keep_mask]
            yield from clean_rows(reading, header_line + 1 + records, arrays, problems, others, year)
    except pa.ArrowInvalid as exc:
        raise PatientFileError([csv_error(name, exc)]) from None
    if unsplit and skipped is None:
        raise Unsplit(len(unsplit))


class Unsplit(Exception):
    """A CSV file has records pyarrow could not split into the header's columns; found again, with their lines."""

    def __init__(self, count: int):
        super().__init__(f"{count} records do not have the header's columns")
        self.count = count


def unsplit_records(file: PatientFile, decimal_mark: str | None, problems: Problems) -> np.ndarray:
    """The records (0-based, after the header) that do not have as many fields as the header; reports each."""
    header_line, delimiter, names, _, _ = csv_layout(file, decimal_mark)
    name = file.name
    found = []

    def fields_error(at: int, n: int) -> Diagnostic:
        return error(
            "OBC912", name, f"row {at} has {n} field{'s' if n != 1 else ''}, but the header names {len(names)} columns",
            line=at, help="put a number that has commas in quotes (`\"£25,000.50\"`), or remove the extra fields")

    with open(file.path, encoding="utf-8-sig", errors="replace", newline="") as handle:
        lines = iter(handle)
        for _ in range(header_line):
            next(lines, None)
        for index, line in enumerate(lines):
            text = line.rstrip("\r\n")
            if not text:
                continue
            fields = next(csv.reader([text], delimiter=delimiter), [])
            if len(fields) == len(names):
                continue
            found.append(index)
            if text.lstrip().startswith("#"):
                continue  # a comment line
            at = header_line + 1 + index
            count = len(fields)
            problems.add("OBC912", name, functools.partial(fields_error, at, count))
    return np.asarray(found, dtype=np.int64)


def csv_error(name: str, exc: Exception) -> Diagnostic:
    text = short(exc)
    if "UTF8" in text or "UTF-8" in text:
        return error("OBC901", name, "the file is not UTF-8 text", help="save the file as UTF-8 (CSV UTF-8 in Excel)")
    return error("OBC901", name, f"the file cannot be read as CSV: {text}")


# ---------------------------------------------------------------- one batch: patients, years, costs


def clean_rows(reading: Reading, lines: np.ndarray, arrays: dict, problems: Problems, others: bool,
               year: int | None = None) -> Iterator[Rows]:
    """The rows of a batch whose patient, year and cost read; each other row adds its problem."""
    name = reading.file.name
    if len(lines) == 0:
        return
    years, bad_years, year_texts = year_values(arrays["year"], name)
    if year is not None:  # only this year's rows matter
        chosen = ~bad_years & (years == year)
        if not chosen.any():
            return
        if not chosen.all():
            mask = pa.array(chosen)
            arrays = {c: pc.filter(a, mask) for c, a in arrays.items() if others or c in COLUMNS}
            lines, years = lines[chosen], years[chosen]
        bad_years = np.zeros(len(lines), dtype=bool)
    good = np.ones(len(lines), dtype=bool)
    patients, missing = patient_keys(arrays["patient"], name)
    report(problems, "OBC903", name, lines, missing, lambda at, _: f"row {at}, column `patient`: the patient is empty",
           "every row names its patient")
    good &= ~missing
    bad_years &= good
    report(problems, "OBC909", name, lines, bad_years,
           lambda at, i: (f"row {at}, column `year`: the year is empty" if year_texts[i] == "" else
                          f"row {at}, column `year`: `{year_texts[i]}` is not a contract year"),
           "write the contract year as a whole number from 1")
    good &= ~bad_years
    pennies, good_costs = cost_values(arrays["cost"], reading, lines, problems, good)
    good &= good_costs
    negative = good & (pennies < 0)
    report(problems, "OBC908", name, lines, negative, lambda at, _: f"row {at}, column `cost`: the cost is negative",
           "a patient's cost cannot be negative; a refund belongs in the year's actual cost")
    good &= ~negative
    if not good.any():
        return
    chosen = None if good.all() else pa.array(good)

    def pick(array):
        return array if chosen is None else pc.filter(array, chosen)

    extra: tuple = ()
    if others:
        extra = tuple((c, other_text(pick(a))) for c, a in sorted(arrays.items()) if c not in COLUMNS)
    yield Rows(name, lines[good], pick(patients), years[good], pennies[good], extra)


def report(problems: Problems, code: str, name: str, lines: np.ndarray, mask: np.ndarray, message, help: str) -> None:
    """Add one problem for each row in `mask`; `message(row number, index in batch)` describes one when shown."""
    where = np.flatnonzero(mask)
    if where.size == 0:
        return

    def build(i: int) -> Diagnostic:
        index = int(where[i])
        at = int(lines[index])
        return error(code, name, message(at, index), line=at, help=help)

    problems.add_many(code, name, int(where.size), build)


def patient_keys(array, name: str) -> tuple[pa.Array, np.ndarray]:
    """(each row's patient: text without surrounding spaces, or a whole number; which rows name none)."""
    array = combined(array)
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    if pa.types.is_integer(array.type):
        missing = np.asarray(array.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        return pc.cast(array.fill_null(0), pa.int64()), missing
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        try:
            array = pc.cast(array, pa.string())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise PatientFileError(
                [error("OBC903", name, f"the `patient` column holds {array.type}, not names or numbers")]) from None
    text = pc.utf8_trim_whitespace(array.fill_null(""))
    return text, np.asarray(pc.equal(text, "").to_numpy(zero_copy_only=False), dtype=bool)


def other_text(array) -> pa.Array:
    array = combined(array)
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    try:
        text = pc.cast(array, pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        text = pa.array([None if v is None else repr(v) for v in array.to_pylist()], pa.string())
    return text


def combined(array):
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def year_values(array, name: str) -> tuple[np.ndarray, np.ndarray, Lazy]:
    """(years, which are not contract years, the text of the bad ones by index)."""
    array = combined(array)
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    count = len(array)
    if pa.types.is_integer(array.type):
        values = array.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
        bad = values < 1
        texts = Lazy(array)
        return values, bad, texts
    if pa.types.is_floating(array.type):
        floats = array.fill_null(0.0).to_numpy(zero_copy_only=False)
        bad = ~np.isfinite(floats) | (floats < 1) | (floats != np.floor(floats)) | (floats > 1e9)
        return np.where(bad, 0, floats).astype(np.int64), bad, Lazy(array)
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        raise PatientFileError([error("OBC909", name, f"the `year` column holds {array.type}, not contract years")])
    text = pc.utf8_trim_whitespace(array.fill_null(""))
    ok = np.asarray(pc.match_substring_regex(text, r"^[0-9]{1,9}$").to_numpy(zero_copy_only=False), dtype=bool)
    digits = pc.if_else(pa.array(ok), text, pa.scalar("0"))
    values = pc.cast(digits, pa.int64()).to_numpy(zero_copy_only=False) if count else np.zeros(0, np.int64)
    return values, ~ok | (values < 1), Lazy(text)


class Lazy:
    """A column's values as text, fetched one at a time for messages."""

    def __init__(self, array):
        self.array = array

    def __getitem__(self, index: int) -> str:
        value = self.array[index].as_py()
        return "" if value is None else str(value)


def cost_values(array, reading: Reading, lines: np.ndarray, problems: Problems, good: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(pennies, which read) for a batch of costs; each that does not read adds its problem."""
    name = reading.file.name
    array = combined(array)
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    count = len(array)
    kind = array.type
    nulls = np.asarray(array.is_null().to_numpy(zero_copy_only=False), dtype=bool) if array.null_count else np.zeros(count, bool)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return text_pennies(array, reading, lines, problems, good)
    if pa.types.is_integer(kind):
        values = array.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
        large = np.abs(values) >= MAX_POUNDS
        pennies = np.where(large, 0, values) * 100
    elif pa.types.is_floating(kind):
        floats = array.fill_null(0.0).to_numpy(zero_copy_only=False).astype(np.float64)
        nan = ~np.isfinite(floats)
        report(problems, "OBC903", name, lines, nan & good & ~nulls,
               lambda at, _: f"row {at}, column `cost`: the cost is not a number", "write the cost in pounds")
        large = nan | (np.abs(np.where(nan, 0, floats)) >= MAX_POUNDS)
        pennies = np.rint(np.where(large, 0.0, floats) * 100.0).astype(np.int64)
    elif pa.types.is_decimal(kind):
        if kind.precision - kind.scale <= 13:  # no value of this type reaches £10 trillion
            large = np.zeros(count, dtype=bool)
        else:
            magnitude = pc.abs(array.fill_null(pa.scalar(Decimal(0), kind)))
            large = np.asarray(pc.greater_equal(magnitude, pa.scalar(Decimal(MAX_POUNDS), kind))
                               .to_numpy(zero_copy_only=False), dtype=bool)
        safe = pc.if_else(pa.array(large | nulls), pa.scalar(Decimal(0), kind), array)
        pennies = decimal_pennies(safe)
    else:
        raise PatientFileError([error("OBC903", name, f"the `cost` column holds {kind}, not amounts of money")])
    report(problems, "OBC903", name, lines, nulls & good,
           lambda at, _: f"row {at}, column `cost`: the cost is empty", "every row gives its cost in pounds")
    too_large = large & good & ~nulls
    if pa.types.is_floating(kind):
        too_large &= np.isfinite(array.fill_null(0.0).to_numpy(zero_copy_only=False))
    report(problems, "OBC903", name, lines, too_large, lambda at, _: f"row {at}, column `cost`: the cost is too large",
           "a row's cost is under £10 trillion")
    return pennies, ~(nulls | large)


def decimal_pennies(array) -> np.ndarray:
    """Decimal amounts in pounds to whole pennies, half even, exactly."""
    rounded = pc.round(array, ndigits=2, round_mode="half_to_even")
    two = pc.cast(rounded, pa.decimal128(38, 2))
    if len(two) == 0:
        return np.zeros(0, np.int64)
    words = np.frombuffer(two.buffers()[1], dtype=np.int64).reshape(-1, 2)
    return words[two.offset: two.offset + len(two), 0].copy()  # the low 64 bits of each 128-bit value


def text_pennies(array, reading: Reading, lines: np.ndarray, problems: Problems, good: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Costs written as text (`15000`, `£15,000.50`, or `15.000,50` under a declared decimal comma) to pennies."""
    name = reading.file.name
    mark = reading.mark
    text = pc.utf8_trim_whitespace(array.fill_null(""))
    ok = np.asarray(pc.match_substring_regex(text, COST_TEXT[mark]).to_numpy(zero_copy_only=False), dtype=bool)
    if reading.semicolons and not reading.declared and mark == POINT:  # `14.650` in a European export: refused, as in data files
        ok &= ~np.asarray(pc.match_substring_regex(text, r"^(?:-£?|£-?)?[0-9]{1,3}\.[0-9]{3}$")
                          .to_numpy(zero_copy_only=False), dtype=bool)
    plain = pc.replace_substring(text, "£", "")
    if mark == POINT:
        plain = pc.replace_substring(plain, ",", "")
    else:
        plain = pc.replace_substring(pc.replace_substring(plain, ".", ""), ",", ".")
    plain = pc.replace_substring_regex(plain, r"^(-?)0+([0-9])", r"\1\2")
    fits = np.asarray(pc.match_substring_regex(plain, PLAIN_COST).to_numpy(zero_copy_only=False), dtype=bool)
    usable = ok & fits
    safe = pc.if_else(pa.array(usable), plain, pa.scalar("0"))
    pennies = decimal_pennies(pc.cast(safe, pa.decimal128(38, 18))) if len(safe) else np.zeros(0, np.int64)
    bad = ~usable & good
    if bad.any():
        where = np.flatnonzero(bad)
        texts = text.take(pa.array(where)).to_pylist()
        codes: dict[str, list[int]] = {}
        for position, value in zip(where.tolist(), texts):
            codes.setdefault(cost_problem(value, reading)[0], []).append(position)
        for code, positions in codes.items():
            def build(i: int, positions: list[int] = positions, code: str = code) -> Diagnostic:
                index = positions[i]
                at = int(lines[index])
                _, message, help = cost_problem(text[index].as_py(), reading)
                return error(code, name, f"row {at}, column `cost`: {message}", line=at, help=help)

            problems.add_many(code, name, len(positions), build)
    return pennies, usable


def cost_problem(value: str, reading: Reading) -> tuple[str, str, str]:
    """(code, message, help) for a cost that does not read, in the words the data files use."""
    if value == "":
        return "OBC903", "the cost is empty", "every row gives its cost in pounds"
    try:
        parse_number(value, reading.mark, reading.declared, reading.semicolons)
    except NumberProblem as problem:
        if problem.code == "OBC903" and "too large" not in problem.message:
            return "OBC903", problem.message, "write costs such as `15000`, `15000.50` or `£15,000.50`"
        return problem.code, problem.message, problem.help
    if value.endswith("%"):
        return "OBC903", f"`{value}` is not a cost in pounds", "write costs such as `15000`, `15000.50` or `£15,000.50`"
    return "OBC903", f"`{value}` is too large a cost", "a row's cost is under £10 trillion"


# ---------------------------------------------------------------- repeated rows


FNV_OFFSET = np.uint64(0xCBF29CE484222325)
FNV_PRIME = np.uint64(0x100000001B3)


def mix(values: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: every bit of the input moves every bit of the output."""
    x = values.astype(np.uint64, copy=True)
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x


def hash_text(array) -> np.ndarray:
    """A 64-bit hash of each string (FNV-1a over its bytes, mixed); nulls hash alike and apart from every string."""
    array = combined(array).cast(pa.large_string())
    count = len(array)
    buffers = array.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int64)[array.offset: array.offset + count + 1]
    data = np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] is not None else np.zeros(1, np.uint8)
    starts = offsets[:-1]
    lengths = np.diff(offsets)
    hashes = np.full(count, FNV_OFFSET, dtype=np.uint64)
    if count and lengths.max(initial=0) > 0:
        order = np.argsort(-lengths, kind="stable")
        descending = -lengths[order]  # ascending, for searchsorted
        for k in range(int(-descending[0])):
            active = order[: int(np.searchsorted(descending, -k, side="left"))]
            hashes[active] = (hashes[active] ^ data[starts[active] + k].astype(np.uint64)) * FNV_PRIME
    hashes = mix(hashes ^ (lengths.astype(np.uint64) << np.uint64(40)))
    if array.null_count:
        hashes[np.asarray(array.is_null().to_numpy(zero_copy_only=False), dtype=bool)] = np.uint64(0x9E3779B97F4A7C15)
    return hashes


def name_hash(name: str) -> np.uint64:
    value = 0xCBF29CE484222325
    for byte in name.encode():
        value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return np.uint64(value)


def hash_values(array) -> np.ndarray:
    """A 64-bit hash of each value of a text or whole-number column."""
    if pa.types.is_integer(array.type):
        return mix(array.to_numpy(zero_copy_only=False).astype(np.int64).view(np.uint64) ^ np.uint64(0x5851F42D4C957F2D))
    return hash_text(array)


def row_hashes(rows: Rows) -> np.ndarray:
    """A 64-bit key for each row: its patient, year, cost and every other column, with the columns' names."""
    columns = [("patient", hash_values(rows.patients)), ("year", mix(rows.years.view(np.uint64))),
               ("cost", mix(rows.pennies.view(np.uint64)))]
    columns += [(name, hash_text(values)) for name, values in rows.others]
    key = np.full(len(rows.lines), np.uint64(0x243F6A8885A308D3), dtype=np.uint64)
    for name, values in sorted(columns, key=lambda c: c[0]):
        key = mix(key * FNV_PRIME + (values ^ name_hash(name)))
    return key


def row_identities(rows: Rows, indices: np.ndarray) -> list[tuple]:
    """What each of these rows says, exactly, for confirming that two rows with the same key are the same row."""
    chosen = pa.array(indices, pa.int64())
    columns = [rows.patients.take(chosen).to_pylist(), rows.years[indices].tolist(), rows.pennies[indices].tolist()]
    columns += [values.take(chosen).to_pylist() for _, values in rows.others]
    names = ("patient", "year", "cost") + tuple(name for name, _ in rows.others)
    return [(names, values) for values in zip(*columns)]


def money(pennies: int) -> str:
    sign = "-" if pennies < 0 else ""
    pounds, pence = divmod(abs(pennies), 100)
    return f"{sign}£{pounds:,}.{pence:02d}"


# ---------------------------------------------------------------- checking, and the stop-loss over files


@attrs.frozen
class PatientCosts:
    """Patient cost files, checked once, read again a batch at a time when a stop-loss needs them."""

    files: tuple = ()  # PatientFile, in the order they are read
    years: frozenset = frozenset()
    rows: int = 0
    decimal_mark: str | None = None

    @property
    def paths(self) -> tuple[Path, ...]:
        return tuple(f.path for f in self.files)

    @property
    def path(self) -> Path:
        """The first file (for callers from before several files were read)."""
        return self.files[0].path

    @classmethod
    def open(cls, source, decimal_mark: str | None = None, chunk_rows: int = CHUNK_ROWS) -> PatientCosts:
        """Check every row of the files once and note their years.

        `source` is a file, a folder of .csv/.parquet files (searched through
        its subfolders, `year=2` folders giving the year) or a list of files and
        folders. Raises `PatientFileError` with every problem found, at most a
        few of each kind: numbers, years, negative costs, repeated rows.
        """
        mark = check_decimal_mark(decimal_mark)
        files, found = patient_files(source)
        problems = Problems()
        years: set[int] = set()
        rows = 0
        keys: list[np.ndarray] = []
        bound = 0
        readable = []
        for file in files:
            try:
                checked = check_file(file, mark, chunk_rows)
            except PatientFileError as exc:
                found.extend(exc.diagnostics)
                continue
            readable.append((file, checked.skipped))
            problems.merge(checked.problems)
            years |= checked.years
            rows += checked.rows
            keys.extend(checked.keys)
            bound += checked.bound
        if bound >= SUM_LIMIT:
            found.append(error("OBC903", files[0].name, "the patient costs add up to more than can be summed exactly (over £46 quadrillion)",
                               help="check the costs are in pounds"))
        repeated_rows(readable, keys, mark, chunk_rows, problems)
        found.extend(problems.diagnostics())
        if found:
            raise PatientFileError(found)
        return cls(tuple(files), frozenset(years), rows, mark)

    def excess(self, year: int, threshold: Decimal, limit: Decimal | None) -> Excess:
        """The stop-loss for the year: each patient's total over every row of every file, beyond the threshold."""
        return stream_excess(list(self.files), year, threshold, limit, decimal_mark=self.decimal_mark)


@attrs.frozen
class FileCheck:
    years: set
    rows: int
    keys: list
    bound: int
    problems: Problems
    skipped: np.ndarray | None


def check_file(file: PatientFile, mark: str | None, chunk_rows: int) -> FileCheck:
    """One pass over a file: its years, its rows' keys for finding repeats, and its problems."""
    skipped = None
    unsplit = Problems()
    while True:
        problems = Problems()
        years: set[int] = set()
        rows = 0
        keys = []
        bound = 0
        try:
            for batch in read_rows(file, problems, chunk_rows, mark, others=True, skipped=skipped):
                years.update(np.unique(batch.years).tolist())
                rows += len(batch.lines)
                keys.append(row_hashes(batch))
                bound += len(batch.pennies) * int(np.abs(batch.pennies).max(initial=0))
        except Unsplit:
            # some records do not split into the header's columns: find them, then read again with every row's line right
            skipped = unsplit_records(file, mark, unsplit)
            continue
        problems.merge(unsplit)
        return FileCheck(years, rows, keys, bound, problems, skipped)


def repeated_rows(readable: list, keys: list[np.ndarray], mark: str | None, chunk_rows: int, problems: Problems) -> None:
    """Report each row that repeats an earlier one: the same patient, year, cost and every other column.

    Rows are compared by a 64-bit key first; rows whose keys repeat are read
    again and compared in full, so a collision of keys never refuses a row.
    """
    if not keys:
        return
    every = np.concatenate(keys)
    if every.size < 2:
        return
    order = np.argsort(every, kind="stable")
    ordered = every[order]
    same = ordered[1:] == ordered[:-1]
    if not same.any():
        return
    suspect = np.zeros(every.size, dtype=bool)
    suspect[order[1:][same]] = True
    suspect[order[:-1][same]] = True
    positions = np.flatnonzero(suspect)
    first_seen: dict[tuple, tuple[str, int]] = {}
    position = 0
    for file, skipped in readable:
        for batch in read_rows(file, Problems(), chunk_rows, mark, others=True, skipped=skipped):
            count = len(batch.lines)
            low, high = np.searchsorted(positions, [position, position + count])
            indices = positions[low:high] - position
            for index, identity in zip(indices.tolist(), row_identities(batch, indices)):
                at = int(batch.lines[index])
                earlier = first_seen.get(identity)
                if earlier is None:
                    first_seen[identity] = (batch.file, at)
                    continue
                problems.add("OBC905", batch.file, functools.partial(repeat_error, batch, index, at, earlier))
            position += count


def repeat_error(rows: Rows, index: int, at: int, earlier: tuple[str, int]) -> Diagnostic:
    file, first = earlier
    where = f"row {first}" if file == rows.file else f"row {first} of `{file}`"
    what = f"patient `{rows.patients[index].as_py()}`, year {int(rows.years[index])}, cost {money(int(rows.pennies[index]))}"
    return error("OBC905", rows.file, f"row {at} repeats {where}: {what}", line=at,
                 related=(Label(Span(file, 0, 0, first, 1, first, 2), "the same row first"),),
                 help="a patient's rows are added up, so a repeated row would be paid twice: remove it, or, if it "
                      "is a second episode, add a column that tells them apart (an `episode` or `date`)")


def stream_excess(source, year: int, threshold: Decimal, limit: Decimal | None, chunk_rows: int = CHUNK_ROWS,
                  decimal_mark: str | None = None) -> Excess:
    """The stop-loss for a year over patient cost files, a batch at a time.

    Each patient's rows in the year are summed exactly (whole pennies) across
    batches and files; each total counts up to the limit, beyond the
    threshold. Rows are not checked for repeats here: `PatientCosts.open` does
    that. Raises `PatientFileError` for a row that does not read.
    """
    files = source if isinstance(source, list) and all(isinstance(f, PatientFile) for f in source) else None
    if files is None:
        files, found = patient_files(source)
        if found:
            raise PatientFileError(found)
    problems = Problems()
    parts: list[pa.Table] = []
    pending = 0
    settled = 0
    for file in files:
        try:
            for batch in read_rows(file, problems, chunk_rows, decimal_mark, year=year):
                parts.append(pa.table({"patient": batch.patients, "pennies": pa.array(batch.pennies)}))
                pending += parts[-1].num_rows
                if pending > max(4 * chunk_rows, 2 * settled):
                    # sum what has gathered per patient: memory stays within a few times the year's patients
                    parts = [sum_by_patient(parts)]
                    settled = parts[0].num_rows
                    pending = 0
        except Unsplit:
            unsplit_records(file, decimal_mark, problems)
    if problems:
        raise PatientFileError(problems.diagnostics())
    if not parts:
        return Excess(0, Decimal(0))
    totals = sum_by_patient(parts).column("pennies").to_numpy(zero_copy_only=False)
    return excess_of_totals(totals, threshold, limit)


def sum_by_patient(parts: list) -> pa.Table:
    """Rows (or partial sums) of patients' costs summed into one row per patient."""
    if len({part.schema.field("patient").type for part in parts}) > 1:  # whole numbers in one file, text in another
        parts = [part.set_column(0, "patient", pc.cast(part.column("patient"), pa.string())) for part in parts]
    table = pa.concat_tables(parts)
    summed = table.group_by("patient").aggregate([("pennies", "sum")])
    return summed.select(["patient", "pennies_sum"]).rename_columns(["patient", "pennies"])
