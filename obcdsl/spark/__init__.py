"""obcdsl on Spark (the optional extra `obcdsl[spark]`): simulation chunks as partitions, the stop-loss over Parquet.

    from obcdsl.spark import simulate, stop_loss_excess
    summary = simulate(contract, 3, "spec.toml", 1_000_000, seed=0, spark=spark)   # a notebook's `spark`

Nothing is computed differently: the local year plan, random streams and
summaries, and the local stop-loss rules, run on Spark's executors, so a seed
gives the same figures as `obcdsl.simulate.simulate`, and the stop-loss the
same pennies as `obcdsl.stop_loss` (docs/spark.md). pyspark is imported only
when a function here runs.
"""

from __future__ import annotations

from typing import Any

from .session import DEFAULT_MASTER, SparkUnavailable, get_session, require_spark

__all__ = [
    "DEFAULT_MASTER", "SparkPatientCosts", "SparkUnavailable", "get_session", "read_data", "require_spark", "simulate",
    "simulate_portfolio", "stop_loss_excess",
]

_LAZY = {
    "simulate": "obcdsl.spark.simulation",
    "simulate_portfolio": "obcdsl.spark.simulation",
    "SparkPatientCosts": "obcdsl.spark.stop_loss",
    "read_data": "obcdsl.spark.stop_loss",
    "stop_loss_excess": "obcdsl.spark.stop_loss",
}


def __getattr__(name: str) -> Any:
    """The simulation and stop-loss functions, imported on first use (they bring NumPy and pyarrow)."""
    import importlib

    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'obcdsl.spark' has no attribute {name!r}")
