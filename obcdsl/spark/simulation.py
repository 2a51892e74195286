"""Simulation with the scenario chunks paid on a Spark cluster, each chunk one partition.

The model (every contract's year plan and spec, as `obcdsl.simulate` builds it)
is built once here, pickled, and shipped with the task; each executor's Python
worker unpickles it once and keeps it for the chunks it pays. Chunk *i* draws
from its own stream, `SeedSequence(seed).spawn(chunks)[i]`, through the same
`run_chunk` the local runner calls, and the chunks are summarised here in
order by the same `summarise`: so a seed gives the same figures, to the last
digit, locally and on Spark. Executors read no files: the spec and any data
it names are read here, on the driver.
"""

from __future__ import annotations

import functools
import hashlib
import pickle
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

from ..simulate import Member, Model, Paid, Summary, chunk_sizes, read_spec, run_chunk, summarise
from ..vector import year_model
from .session import get_session

SCHEMA = "chunk long, paid binary"
_MODELS: dict[str, Model] = {}  # in an executor's Python worker: the model of the job it is paying, by digest


def model_of(blob: bytes, digest: str) -> Model:
    """The shipped model, unpickled once a Python worker (workers are reused across tasks)."""
    model = _MODELS.get(digest)
    if model is None:
        _MODELS.clear()
        model = _MODELS[digest] = pickle.loads(blob)
    return model


def pay_partition(blob: bytes, digest: str, scenarios: int, seed: int, keep_draws: bool, batches: Iterator) -> Iterator:
    """mapInArrow's function: pay each chunk index of the partition, and give back its payments pickled."""
    import pyarrow as pa

    model = model_of(blob, digest)
    sizes = chunk_sizes(scenarios)
    for batch in batches:
        for index in batch.column(0).to_pylist():
            paid = run_chunk(model, index, sizes[index], seed, keep_draws)
            yield pa.RecordBatch.from_pydict({"chunk": pa.array([index], pa.int64()),
                                              "paid": pa.array([pickle.dumps(paid, protocol=5)], pa.binary())})


def spark_chunks(model: Model, scenarios: int, seed: int, spark: Any = None, master: Optional[str] = None,
                 keep_draws: bool = False, progress: Optional[Callable[[int], None]] = None) -> list[list[Paid]]:
    """Every chunk's payments, in chunk order, each chunk paid in its own Spark partition."""
    session = get_session(spark, master)
    sizes = chunk_sizes(scenarios)
    blob = pickle.dumps(model, protocol=5)
    digest = hashlib.sha256(blob).hexdigest()
    chunks = session.range(0, len(sizes), 1, numPartitions=len(sizes))
    function = functools.partial(pay_partition, blob, digest, scenarios, seed, keep_draws)
    rows = chunks.mapInArrow(function, SCHEMA).collect()
    paid: list = [None] * len(sizes)
    for found in rows:
        paid[found["chunk"]] = pickle.loads(found["paid"])
        if progress is not None:
            progress(sizes[found["chunk"]])
    missing = [i for i, p in enumerate(paid) if p is None]
    if missing:  # never summarise a run with a chunk left out
        raise RuntimeError(f"Spark returned no payments for chunk {missing[0]} of {len(sizes)}")
    return paid


def simulate(contract, year: int, spec_path: str | Path, scenarios: int, seed: int = 0, spark: Any = None,
             master: Optional[str] = None, progress: Optional[Callable[[int], None]] = None,
             keep_draws: bool = False) -> Summary:
    """`obcdsl.simulate.simulate` with the chunks paid on Spark: the same `Summary` for the same seed.

    `contract` is an `obcdsl.Contract` or an `ast.Contract`; `spark` an existing
    session (a Databricks notebook's `spark`), else one on `master` is found or started.
    """
    from .. import api

    tree = contract.ast if isinstance(contract, api.Contract) else contract
    model_year = year_model(tree, year)
    spec = read_spec(spec_path, model_year)
    model = Model((Member("", tree, model_year, spec),), path=spec.path)
    paid = spark_chunks(model, scenarios, seed, spark, master, keep_draws, progress)
    return summarise(model.members[0], [chunk[0] for chunk in paid], scenarios, seed)


def simulate_portfolio(contracts: list, spec_path: str | Path, scenarios: int, seed: int = 0, year: Optional[int] = None,
                       spark: Any = None, master: Optional[str] = None, progress: Optional[Callable[[int], None]] = None):
    """`obcdsl.portfolio.simulate_portfolio` with the chunks paid on Spark: the same figures for the same seed."""
    from ..portfolio import read_portfolio, summarise_portfolio

    keyed = [(Path(c.path).stem, c) for c in contracts]
    portfolio = read_portfolio(spec_path, [(key, c.ast, year) for key, c in keyed])
    paid = spark_chunks(portfolio.model, scenarios, seed, spark, master, False, progress)
    return summarise_portfolio(portfolio, keyed, paid, scenarios, seed)
