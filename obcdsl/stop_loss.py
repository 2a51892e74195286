"""Per-patient stop-loss over patient-level cost files of any size.

A patient cost file (CSV or Parquet, columns `patient`, `year`, `cost`) is
streamed in record batches with pyarrow, so memory stays bounded whatever
the file's size. Costs are taken to the penny (half even) and summed as
whole pennies in 64-bit integers, so the result is exact.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Iterator, Optional

import attrs
import numpy as np

from . import diagnostics as d
from .diagnostics import Diagnostic
from .source import Span

CHUNK_ROWS = 1 << 20
COLUMNS = ("patient", "year", "cost")


@attrs.frozen
class Excess:
    """What a year's patients cost beyond the stop-loss threshold."""

    patients: int  # how many exceeded the threshold
    excess: Decimal  # the sum, in pounds, of each one's cost between the threshold and the limit


def batches(path: Path, chunk_rows: int = CHUNK_ROWS) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """(first row number, years, costs in pennies) for each batch of the file."""
    import pyarrow as pa
    import pyarrow.compute as pc

    name = str(path)
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        try:
            source = pq.ParquetFile(path)
        except Exception as exc:  # pyarrow raises several kinds for a damaged file
            raise PatientFileError([error("OBC901", name, f"the Parquet file cannot be read: {exc}")])
        columns = {c.lower(): c for c in source.schema_arrow.names}
        missing = [c for c in COLUMNS if c not in columns]
        if missing:
            raise PatientFileError([error("OBC902", name, f"the file has no `{missing[0]}` column")])
        reader = source.iter_batches(batch_size=chunk_rows, columns=[columns["year"], columns["cost"]])
        first_row = 1
    else:
        import pyarrow.csv as pcsv

        try:
            reader = pcsv.open_csv(
                path,
                read_options=pcsv.ReadOptions(block_size=64 << 20),
                convert_options=pcsv.ConvertOptions(include_columns=["year", "cost"],
                                                    column_types={"year": pa.int64(), "cost": pa.string()}),
            )
        except (pa.ArrowInvalid, pa.ArrowKeyError, KeyError, OSError) as exc:
            raise PatientFileError([error("OBC902", name, f"the file cannot be read as `patient, year, cost`: {short(exc)}")])
        first_row = 2  # after the header
    row = first_row
    try:
        for batch in reader:
            years = batch.column(0)
            costs = batch.column(1)
            if pa.types.is_string(costs.type) or pa.types.is_large_string(costs.type):
                costs = pc.replace_substring(costs, ",", "")
                costs = pc.replace_substring(costs, "£", "")
                try:
                    costs = pc.cast(costs, pa.float64())
                except pa.ArrowInvalid as exc:
                    raise PatientFileError([bad_number(name, costs, row, exc)])
            else:
                costs = pc.cast(costs, pa.float64())
            if years.null_count or costs.null_count:
                index = first_null(years if years.null_count else costs)
                raise PatientFileError([error("OBC903", name, f"row {row + index}: a year or cost is missing", line=row + index)])
            pounds = costs.to_numpy(zero_copy_only=False)
            too_large = np.flatnonzero(np.abs(pounds) >= 1e13)  # beyond £10 trillion a patient: not a cost
            if too_large.size:
                at = row + int(too_large[0])
                raise PatientFileError([error("OBC903", name, f"row {at}, column `cost`: the cost is too large", line=at)])
            pennies = np.rint(pounds * 100.0).astype(np.int64)
            yield row, years.to_numpy(zero_copy_only=False).astype(np.int64), pennies
            row += len(batch)
    except pa.ArrowInvalid as exc:
        raise PatientFileError([error("OBC903", name, f"a row cannot be read: {short(exc)}")])


def short(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0][:200]


def first_null(array) -> int:
    mask = np.asarray(array.is_null().to_numpy(zero_copy_only=False))
    return int(np.argmax(mask))


def bad_number(name: str, costs, row: int, exc: Exception) -> Diagnostic:
    values = costs.to_pylist()
    for index, value in enumerate(values):
        try:
            float(value)
        except (TypeError, ValueError):
            return error("OBC903", name, f"row {row + index}, column `cost`: `{value}` is not a number", line=row + index)
    return error("OBC903", name, f"a cost is not a number: {short(exc)}")


def error(code: str, name: str, message: str, line: int = 1) -> Diagnostic:
    return d.error(code, message, Span(name, 0, 0, line, 1, line, 2))


class PatientFileError(Exception):
    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = tuple(diagnostics)
        super().__init__(self.diagnostics[0].message)


@attrs.frozen
class PatientCosts:
    """A patient cost file, read only when a stop-loss needs it, a batch at a time."""

    path: Path
    years: frozenset = frozenset()
    rows: int = 0

    @classmethod
    def open(cls, path: str | Path) -> "PatientCosts":
        """Check the whole file once (numbers, no negative costs, whole years) and note its years."""
        path = Path(path)
        if not path.is_file():
            raise PatientFileError([error("OBC901", str(path), f"cannot read `{path}`: no such file")])
        years: set[int] = set()
        rows = 0
        for first, year_values, pennies in batches(path):
            negative = np.flatnonzero(pennies < 0)
            if negative.size:
                at = first + int(negative[0])
                raise PatientFileError([error("OBC908", str(path), f"row {at}, column `cost`: the cost is negative", line=at)])
            bad_year = np.flatnonzero(year_values < 1)
            if bad_year.size:
                at = first + int(bad_year[0])
                raise PatientFileError([error("OBC909", str(path), f"row {at}, column `year`: `{year_values[bad_year[0]]}` is not a contract year", line=at)])
            years.update(np.unique(year_values).tolist())
            rows += len(pennies)
        return cls(path, frozenset(years), rows)

    def excess(self, year: int, threshold: Decimal, limit: Optional[Decimal]) -> Excess:
        return stream_excess(self.path, year, threshold, limit)


def stream_excess(path: Path, year: int, threshold: Decimal, limit: Optional[Decimal], chunk_rows: int = CHUNK_ROWS) -> Excess:
    """Each patient's cost between the threshold and the limit, summed exactly, a batch at a time."""
    floor = int((threshold * 100).to_integral_value())
    top = int((limit * 100).to_integral_value()) if limit is not None else None
    total = 0
    count = 0
    for _, years, pennies in batches(Path(path), chunk_rows):
        chosen = pennies[years == year]
        if top is not None:
            chosen = np.minimum(chosen, top)
        over = chosen - floor
        over = over[over > 0]
        count += int(over.size)
        total += int(over.sum(dtype=np.int64))
    return Excess(count, Decimal(total) / 100)
