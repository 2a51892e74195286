"""The per-patient stop-loss over partitioned Parquet patient costs, on Spark.

Spark reads the Parquet files (a folder, searched through its subfolders, as
`obcdsl.stop_loss` searches it; `column=value` folders give the rows in them
that column). Each Arrow batch goes through `mapInArrow` to the very code the
local reader uses (`obcdsl.stop_loss.clean_rows`): the same rules for
patients, years and costs (whole pennies, half even, never floats summed) and
the same messages, naming the file and the row (the row of the file, from 1).
Rows repeated across the files are found by grouping on every column, as
`PatientCosts.open` does; each patient's pennies in the year are summed as
DECIMAL(38, 0) and the part above the threshold, up to the limit, is counted
as `obcdsl.stop_loss.excess_of_totals` counts it. So the result equals the
local pyarrow path's to the penny, and a file the local path would refuse is
refused here too, with its diagnostics.

CSV patient files are not read on Spark: they are refused with a message
(convert them to Parquet, or use the local engine).
"""

from __future__ import annotations

import functools
import os
import pickle
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, Optional
from urllib.parse import unquote

import attrs
import numpy as np

from ..diagnostics import Diagnostic
from ..stop_loss import (
    COLUMNS,
    Excess,
    PatientFile,
    PatientFileError,
    Reading,
    Rows,
    as_list,
    clean_rows,
    error,
    lowered_columns,
    patient_files,
    repeat_error,
    to_pennies,
    with_partition,
)
from ..tables import POINT, Problems, check_decimal_mark
from .session import get_session

FILE, ROW = "__obcdsl_file", "__obcdsl_row"  # the columns that say where a row came from
SCHEMA = ("file long, line long, patient string, year long, pennies long, others array<string>, problems binary")


@attrs.frozen
class SparkFile(PatientFile):
    """A file Spark reads: named as the user named it (a local path, or a URI such as `abfss://...`), keyed as Spark reports it."""

    shown: str = ""
    key: str = ""  # the address without `file:` and %-escapes (`plain_path`)

    @property
    def name(self) -> str:
        return self.shown or str(self.path)


def plain_path(uri: str) -> str:
    """A file's address without `file:` and with %-escapes undone, to compare what Spark reports with what was listed."""
    text = unquote(uri)
    if text.startswith("file:"):
        text = "/" + text[len("file:"):].lstrip("/")
    return text.rstrip("/")


def is_local(item: str) -> bool:
    return "://" not in item and not item.startswith(("dbfs:", "file:"))


def listed_files(source) -> tuple[list[str], list[SparkFile]]:
    """(what Spark is to read, the local files expected, with their names and partitions).

    Local paths are listed here as the local engine lists them (and refused as it
    refuses them: no such file, a folder without files, a file given twice); a
    CSV file among them is refused. Remote sources are listed by Spark.
    """
    items = [str(item) for item in as_list(source)]
    local = [item for item in items if is_local(item)]
    files: list[SparkFile] = []
    if local:
        found, problems = patient_files(local)
        for file in found:
            if file.path.suffix.lower() != ".parquet":
                problems.append(error("OBC901", file.name, f"`{file.name}` is a CSV file; the Spark engine reads Parquet patient "
                                                           "costs only", help="convert it to Parquet, or settle the stop-loss "
                                                                              "with the local engine (`--engine local`)"))
        if problems:
            raise PatientFileError(problems)
        files = [SparkFile(f.path, f.partition, f.name, os.path.abspath(f.path)) for f in found]
    paths = [os.path.abspath(item) if is_local(item) else item for item in items]
    return paths, files


def remote_files(read: list[str], roots: list[str]) -> list[SparkFile]:
    """Names and partitions of the files Spark found under remote sources (`column=value` folders below a source)."""
    plain_roots = [plain_path(r) for r in roots]
    files = []
    for uri in sorted(read):
        plain = plain_path(uri)
        partition: tuple = ()
        for root in plain_roots:
            if plain.startswith(root + "/"):
                folders = plain[len(root) + 1:].split("/")[:-1]
                partition = tuple((k.strip().lower(), v) for k, _, v in (p.partition("=") for p in folders if "=" in p))
                break
        files.append(SparkFile(Path(plain.rsplit("/", 1)[-1]), partition, uri, plain))
    return files


def others_list(rows: Rows, count: int):
    """Each row's other columns, as a list of texts in column order (null where the value is null)."""
    import pyarrow as pa

    columns = [values for _, values in rows.others]
    if not columns:
        return pa.ListArray.from_arrays(pa.array(np.zeros(count + 1, np.int32)), pa.array([], pa.string()))
    width = len(columns)
    flat = pa.concat_arrays([c.cast(pa.string()) for c in columns])
    order = (np.arange(count)[:, None] + np.arange(width)[None, :] * count).ravel()
    return pa.ListArray.from_arrays(pa.array(np.arange(0, count * width + 1, width, dtype=np.int32)), flat.take(pa.array(order)))


def clean_partition(files: dict, decimal_mark: str, batches: Iterator) -> Iterator:
    """mapInArrow's function: each batch's rows through `clean_rows`, one output row a good row, and the problems found."""
    import pyarrow as pa
    import pyarrow.compute as pc

    schema = pa.schema([("file", pa.int64()), ("line", pa.int64()), ("patient", pa.string()), ("year", pa.int64()),
                        ("pennies", pa.int64()), ("others", pa.list_(pa.string())), ("problems", pa.binary())])

    def problem_batch(index: int, line: int, problems: Problems):
        return pa.RecordBatch.from_pydict({"file": [index], "line": [line], "patient": [None], "year": [None], "pennies": [None],
                                           "others": [None], "problems": [pickle.dumps(problems, protocol=5)]}, schema)

    for batch in batches:
        names = [n for n in batch.schema.names if n not in (FILE, ROW)]
        where = batch.column(batch.schema.get_field_index(FILE))
        for uri in pc.unique(where).to_pylist():
            chosen = pc.equal(where, pa.scalar(uri))
            part = batch.filter(chosen)
            index, file = files.get(plain_path(uri), (-1, None))
            lines = part.column(part.schema.get_field_index(ROW)).to_numpy(zero_copy_only=False).astype(np.int64) + 1
            problems = Problems()
            if file is None:  # a file Spark read that was not listed: never summed unseen
                problems.append(error("OBC901", uri, f"Spark read `{uri}`, which is not among the patient cost files listed"))
                yield problem_batch(index, int(lines[0]), problems)
                continue
            try:
                lowered_columns(names, dict(file.partition), file.name)
                arrays = with_partition({n.strip().lower(): part.column(part.schema.get_field_index(n)) for n in names},
                                        file, part.num_rows)
                reading = Reading(file, decimal_mark, False)
                for rows in clean_rows(reading, lines, arrays, problems, others=True):
                    count = len(rows.lines)
                    yield pa.RecordBatch.from_arrays([
                        pa.array(np.full(count, index, np.int64)), pa.array(rows.lines), pc.cast(rows.patients, pa.string()),
                        pa.array(rows.years), pa.array(rows.pennies), others_list(rows, count), pa.nulls(count, pa.binary()),
                    ], schema=schema)
            except PatientFileError as exc:
                problems.extend(exc.diagnostics)
            if problems:
                yield problem_batch(index, int(lines[0]), problems)


def first_line(exc: Exception) -> str:
    """What Spark said went wrong, in one line: the innermost cause, without Java's class names and SQL states."""
    import re

    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    causes = [line[len("Caused by:"):].strip() for line in lines if line.startswith("Caused by:")]
    named = [line for line in lines if re.match(r"^(\S+: )?\[[A-Z_.]+\]", line)]
    text = (causes or named or lines or [type(exc).__name__])[-1 if causes else 0]
    text = re.sub(r"^(?:[a-z]+\.)+[A-Za-z]+(?:Exception|Error): ", "", text)
    return re.sub(r"\s*SQLSTATE: \w+\.?$", "", text)[:300]


@attrs.frozen
class SparkPatientCosts:
    """Parquet patient cost files checked on Spark once, kept (cached) for the stop-loss of each year asked for.

    It answers as `obcdsl.stop_loss.PatientCosts` does (`years`, `rows`,
    `paths`, `excess(year, threshold, limit)`), so `obcdsl.Data` can hold it.
    """

    cleaned: Any = attrs.field(repr=False)  # the DataFrame of clean rows (file, line, patient, year, pennies, others)
    files: tuple = ()  # SparkFile, in the order the local engine reads them
    years: frozenset = frozenset()
    rows: int = 0

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.files)

    @classmethod
    def open(cls, source, spark: Any = None, master: Optional[str] = None, decimal_mark: Optional[str] = None) -> SparkPatientCosts:
        """Read and check every row once on Spark; `PatientFileError` with every problem found, as the local engine reports them.

        `source`: a Parquet file, a folder of them (`year=2` folders give the
        year), a list of both, or URIs Spark can read (`abfss://`, `s3://`, `dbfs:/`).
        """
        mark = check_decimal_mark(decimal_mark) or POINT
        paths, files = listed_files(source)
        session = get_session(spark, master)
        from pyspark import StorageLevel
        from pyspark.sql import functions as F

        try:
            frame = session.read.option("recursiveFileLookup", "true").option("mergeSchema", "true").parquet(*paths)
            read = {plain_path(u): u for u in frame.inputFiles()}
        except Exception as exc:  # noqa: BLE001 - Spark's own kinds: no such path, no schema, columns of clashing types
            reason = first_line(exc)
            clash = "merge" in reason.lower() and "type" in reason.lower()
            raise PatientFileError([error(
                "OBC901", str(as_list(source)[0]), f"Spark cannot read the patient cost files: {reason}",
                help="the files give a column different types (text in one, numbers in another): write them with one "
                     "schema, or use the local engine" if clash else "")]) from None
        listed = {f.key for f in files}
        files += remote_files([u for k, u in read.items() if k not in listed], [p for p in paths if not is_local(p)])
        not_parquet = [f for f in files if not f.key.lower().endswith(".parquet")]
        if not_parquet:
            raise PatientFileError([error("OBC901", f.name, f"`{f.name}` is not a .parquet file; the Spark engine reads Parquet "
                                                            "patient costs only") for f in not_parquet])
        unread = [f for f in files if f.key not in read]
        if unread:  # a file the local engine would read that Spark left out (a hidden name, say): its costs would be missed
            raise PatientFileError([error("OBC901", unread[0].name, f"Spark did not read `{unread[0].name}`",
                                          help="rename files and folders that begin with `_` or `.`, which Spark leaves out")])
        order = {f.key: (i, f) for i, f in enumerate(files)}
        columns = [F.col(f"`{c}`") for c in frame.columns]
        located = frame.select(*columns, F.col("_metadata.file_path").alias(FILE), F.col("_metadata.row_index").alias(ROW))
        cleaned = located.mapInArrow(functools.partial(clean_partition, order, mark), SCHEMA)
        cleaned = cleaned.persist(StorageLevel.MEMORY_AND_DISK)
        names = [f.name for f in files]
        try:
            problems = Problems()
            found = cleaned.where(F.col("problems").isNotNull()).select("file", "line", "problems").collect()
            for row in sorted(found, key=lambda r: (r["file"], r["line"])):
                problems.merge(pickle.loads(row["problems"]))
            good = cleaned.where(F.col("problems").isNull())
            repeats(good, names, problems)
            summary = good.groupBy("year").count().collect()
        except PatientFileError:
            cleaned.unpersist()
            raise
        except Exception as exc:  # noqa: BLE001 - a file Spark cannot read (damaged, not Parquet) fails the job
            cleaned.unpersist()
            raise PatientFileError([error("OBC901", names[0] if names else "<patients>",
                                          f"Spark cannot read the patient cost files: {first_line(exc)}")]) from None
        if problems:
            cleaned.unpersist()
            raise PatientFileError(problems.diagnostics())
        return cls(good, tuple(files), frozenset(int(r["year"]) for r in summary), sum(int(r["count"]) for r in summary))

    def excess(self, year: int, threshold: Decimal, limit: Optional[Decimal]) -> Excess:
        """The stop-loss for the year: each patient's total over every row of every file, beyond the threshold, up to the limit."""
        from pyspark.sql import functions as F

        totals = (self.cleaned.where(F.col("year") == year).groupBy("patient")
                  .agg(F.sum(F.col("pennies").cast("decimal(38,0)")).alias("total")))
        counted = F.col("total")
        if limit is not None:
            counted = F.least(counted, F.lit(to_pennies(limit)).cast("decimal(38,0)"))
        over = (counted - F.lit(to_pennies(threshold)).cast("decimal(38,0)")).alias("over")
        found = totals.select(over).where(F.col("over") > 0).agg(F.count("*").alias("n"), F.sum("over").alias("sum")).first()
        patients = int(found["n"]) if found is not None else 0
        pennies = int(found["sum"]) if found is not None and found["sum"] is not None else 0
        return Excess(patients, Decimal(pennies) / 100)

    def close(self) -> None:
        """Let Spark drop the cached rows."""
        self.cleaned.unpersist()


def repeats(good: Any, names: list[str], problems: Problems) -> None:
    """Add an OBC905 for each row that repeats an earlier one (the same patient, year, cost and every other column).

    Rows are grouped on all of their columns (a shuffle by the whole row); in
    each group the first row (file order, then row) stands and every later one
    is reported, at most a few a file, as the local engine reports them.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    groups = (good.groupBy("patient", "year", "pennies", "others")
              .agg(F.count("*").alias("n"), F.sort_array(F.collect_list(F.struct("file", "line"))).alias("at"))
              .where(F.col("n") > 1))
    later = groups.select("patient", "year", "pennies", F.col("at")[0].alias("first"),
                          F.explode(F.slice(F.col("at"), 2, 1 << 30)).alias("later"))
    counts = {int(r["file"]): int(r["count"]) for r in later.groupBy(F.col("later.file").alias("file")).count().collect()}
    if not counts:
        return
    rank = F.row_number().over(Window.partitionBy("later.file").orderBy("later.line"))
    shown = later.withColumn("rank", rank).where(F.col("rank") <= problems.cap + 1).collect()
    by_file: dict[int, list] = {}
    for row in sorted(shown, key=lambda r: (r["later"]["file"], r["later"]["line"])):
        by_file.setdefault(int(row["later"]["file"]), []).append(row)
    for index in sorted(counts):
        found = by_file[index]
        problems.add_many("OBC905", names[index], counts[index], functools.partial(repeat_diagnostic, found, names))


def repeat_diagnostic(found: list, names: list[str], i: int) -> Diagnostic:
    import pyarrow as pa

    row = found[i]
    at, first = int(row["later"]["line"]), row["first"]
    rows = Rows(names[int(row["later"]["file"])], np.array([at]), pa.array([row["patient"]]), np.array([int(row["year"])]),
                np.array([int(row["pennies"])]))
    return repeat_error(rows, 0, at, (names[int(first["file"])], int(first["line"])))


def stop_loss_excess(source, year: int, threshold: Decimal, limit: Optional[Decimal], spark: Any = None,
                     master: Optional[str] = None, decimal_mark: Optional[str] = None) -> Excess:
    """The stop-loss for a year over Parquet patient costs, on Spark: checked as `PatientCosts.open` checks them, then summed.

    Equals `obcdsl.stop_loss.PatientCosts.open(source).excess(year, threshold, limit)` to the penny.
    """
    costs = SparkPatientCosts.open(source, spark, master, decimal_mark)
    try:
        return costs.excess(year, threshold, limit)
    finally:
        costs.close()


def read_data(path, patients=None, spark: Any = None, master: Optional[str] = None, decimal_mark: Optional[str] = None):
    """`obcdsl.read_data` with the patient costs read and checked on Spark; `DataError` with every problem of both.

    The result is an `obcdsl.Data`: `contract.evaluate(data, year=N)` settles the
    stop-loss on Spark and everything else exactly, as with local files.
    """
    from typing import cast

    from ..data import DataError
    from ..data import read_data as read_local

    found: list[Diagnostic] = []
    partial = None
    try:
        data = read_local(path, decimal_mark=decimal_mark)
    except DataError as exc:
        found.extend(exc.diagnostics)
        data = partial = exc.partial
    if patients is None:
        if found:
            raise DataError(found, partial)
        return data
    try:
        costs = SparkPatientCosts.open(patients, spark, master, decimal_mark)
    except PatientFileError as exc:
        raise DataError(found + list(exc.diagnostics), partial) from None
    if found:
        raise DataError(found, partial)
    return attrs.evolve(data, patients=cast(Any, costs), files=tuple(data.files) + costs.paths)


__all__ = ["COLUMNS", "SparkPatientCosts", "read_data", "stop_loss_excess"]
