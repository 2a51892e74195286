"""obcdsl benchmarks: run on demand, print a table, write JSON.

    python benchmarks/run.py [--quick] [--json benchmarks/results.json]

Measures, in one run and side by side: parse and check of each reference
contract and of a generated 5,000-indicator contract; one exact evaluation
through the Python API; vectorized simulation against the exact evaluator
looped over the same scenarios; the per-patient stop-loss over 10 million
generated patient rows (in a child process, for its peak memory); and the
whole-process time of `obcdsl check contracts/` against
`python -c "import obcdsl"`. Figures are compared within the run, as ratios.
Nothing here asserts a time: it measures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

import obcdsl  # noqa: E402
from obcdsl.checker import check_text  # noqa: E402
from obcdsl.data import ACTUAL_COST, Data, DataPoint  # noqa: E402
from obcdsl.evaluate import evaluate  # noqa: E402

CONTRACTS = ROOT / "contracts"


def timed(function, repeat: int = 5) -> float:
    """The best wall time of `function()` over `repeat` runs, in seconds.

    The best, not the mean: on a shared machine other work only ever adds
    time, so the least is the closest to what the code itself costs.
    """
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def generated_contract(indicators: int = 5000, per_outcome: int = 50) -> str:
    outcomes = indicators // per_outcome
    lines = ['contract "Generated benchmark contract"', '  commissioner "Benchmark ICB"', '  lead provider "Benchmark Trust"',
             "  term 5 years from 2024/25", "end", "", "budget", "  baseline £500m", "end", "",
             "payments", "  core 80% of budget", "  outcomes pot 20% of budget", "end", "", "outcomes"]
    weight = Decimal(100) / outcomes
    inner = Decimal(100) / per_outcome
    for o in range(outcomes):
        lines += [f'  outcome outcome_{o} "Outcome {o}" clause {o + 1}', f"    weight {weight.normalize():f}%"]
        for i in range(per_outcome):
            lines += [
                f'    indicator ind_{o}_{i} "Indicator {o}.{i}" clause {o + 1}.{i + 1}',
                f"      weight {inner.normalize():f}%", "      unit percent", "      higher is better",
                "      bands", "        good at least 60% pays 40%", "        improved at least 75% pays 70%",
                "        excellent at least 90% pays 100%", "      end", "    end",
            ]
        lines.append("  end")
    lines += ["  unearned pot retained by the commissioner", "end"]
    return "\n".join(lines) + "\n"


def bench_parse_check(rows: list, quick: bool) -> None:
    for path in sorted(CONTRACTS.glob("*.obc")):
        text = path.read_text()
        seconds = timed(lambda: check_text(text, path.name), repeat=3 if quick else 7)
        rows.append(("parse + check", path.name, f"{seconds * 1000:.1f} ms", f"{len(text.encode()) / 1024 / seconds:,.0f} KB/s",
                     {"seconds": seconds, "bytes": len(text.encode())}))
    text = generated_contract()
    result = check_text(text, "generated.obc")
    assert result.ok, [d.message for d in result.diagnostics][:3]
    seconds = timed(lambda: check_text(text, "generated.obc"), repeat=2 if quick else 3)
    rows.append(("parse + check", "generated, 5,000 indicators", f"{seconds * 1000:.0f} ms",
                 f"{len(text.encode()) / 1024 / seconds:,.0f} KB/s", {"seconds": seconds, "bytes": len(text.encode()), "target_seconds": 2.0}))


def oxfordshire():
    contract = obcdsl.load(CONTRACTS / "oxfordshire_mental_health.obc")
    data = obcdsl.read_data(CONTRACTS / "data" / "oxfordshire_mental_health.csv")
    return contract, data


def bench_exact(rows: list, quick: bool) -> float:
    contract, data = oxfordshire()
    count = 50 if quick else 300
    start = time.perf_counter()
    for _ in range(count):
        contract.evaluate(data, year=3)
    seconds = (time.perf_counter() - start) / count
    rows.append(("exact evaluation", "Oxfordshire year 3, Python API", f"{seconds * 1e6:,.0f} µs", "per contract-year",
                 {"seconds_per_contract_year": seconds}))
    return seconds


def bench_simulation(rows: list, quick: bool) -> None:
    from obcdsl import vector
    from obcdsl.simulate import draw_inputs, read_spec

    contract, data = oxfordshire()
    model = vector.year_model(contract.ast, 3)
    spec = read_spec(CONTRACTS / "specs" / "oxfordshire_year3.toml", model)
    scenarios = 200_000 if quick else 1_000_000
    rng = np.random.default_rng(0)
    chunk = 250_000  # as `obcdsl simulate` runs them
    chunks = [draw_inputs(spec, model, chunk, rng) for _ in range(scenarios // chunk or 1)]
    vector.run(model, chunks[0], spec.baselines)  # warm up: first touches of fresh memory

    def evaluate_all():
        for inputs in chunks:
            vector.run(model, inputs, spec.baselines)

    evaluate_seconds = timed(evaluate_all, repeat=5)
    scenarios = chunk * len(chunks)
    inputs = chunks[0]
    start = time.perf_counter()
    for offset in range(0, scenarios, 250_000):
        draw_inputs(spec, model, min(250_000, scenarios - offset), rng)
    draw_seconds = time.perf_counter() - start
    rate = scenarios / evaluate_seconds
    rows.append(("vectorized simulation", f"Oxfordshire year 3, {scenarios:,} scenarios: evaluation",
                 f"{evaluate_seconds:.2f} s", f"{rate:,.0f} scenario-years/s",
                 {"scenarios": scenarios, "seconds": evaluate_seconds, "rate": rate, "target_rate": 1_000_000}))
    rows.append(("vectorized simulation", "the same, drawing the scenarios from the spec",
                 f"{draw_seconds:.2f} s", f"{scenarios / (evaluate_seconds + draw_seconds):,.0f} scenario-years/s with drawing",
                 {"seconds": draw_seconds}))
    loop = 300 if quick else 2000
    baselines = [DataPoint(k.split("/")[0], None, (k.split("/") + [None])[1], Decimal(str(v))) for k, v in spec.baselines.items()]
    start = time.perf_counter()
    for index in range(loop):
        points = list(baselines)
        for key, values in inputs.items():
            name, _, segment = key.partition("/")
            points.append(DataPoint(ACTUAL_COST if key == "actual cost" else name, 3, segment or None,
                                    Decimal(repr(round(float(values[index]), 4)))))
        evaluate(contract.ast, Data(tuple(points)), 3)
    loop_seconds = (time.perf_counter() - start) / loop
    loop_rate = 1 / loop_seconds
    rows.append(("exact loop", f"the exact evaluator over {loop:,} of the same scenarios", f"{loop_seconds * 1e3:.2f} ms each",
                 f"{loop_rate:,.0f} scenario-years/s", {"rate": loop_rate}))
    rows.append(("ratio", "vectorized ÷ exact loop", f"{rate / loop_rate:,.0f}×", "target ≥ 100×",
                 {"ratio": rate / loop_rate, "target": 100}))


STOP_LOSS_CHILD = r"""
import json, resource, sys, time
from decimal import Decimal
from pathlib import Path
sys.path.insert(0, sys.argv[2])
from obcdsl.stop_loss import stream_excess
start = time.perf_counter()
result = stream_excess(Path(sys.argv[1]), 1, Decimal(20000), Decimal(250000))
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": seconds, "peak_bytes": peak, "patients": result.patients, "excess": str(result.excess)}))
"""


def bench_stop_loss(rows: list, quick: bool) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    count = 2_000_000 if quick else 10_000_000
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "patients.parquet"
        rng = np.random.default_rng(1)
        writer = None
        for offset in range(0, count, 1_000_000):
            size = min(1_000_000, count - offset)
            costs = np.round(rng.lognormal(7.5, 1.4, size), 2)
            table = pa.table({"patient": pa.array(np.arange(offset, offset + size)),
                              "year": pa.array(rng.integers(1, 4, size)), "cost": pa.array(costs)})
            writer = writer or pq.ParquetWriter(path, table.schema)
            writer.write_table(table)
        writer.close()
        out = subprocess.run([sys.executable, "-c", STOP_LOSS_CHILD, str(path), str(ROOT)], capture_output=True, text=True, check=True)
        figures = json.loads(out.stdout)
    rows.append(("stop-loss", f"{count:,} patient rows (Parquet, streamed)", f"{figures['seconds']:.2f} s",
                 f"{count / figures['seconds']:,.0f} rows/s, peak {figures['peak_bytes'] / 2**20:,.0f} MiB",
                 {**figures, "rows": count, "target_seconds": 3.0, "target_peak_bytes": 2**30}))


def bench_process(rows: list, quick: bool) -> None:
    def run(args):
        return timed(lambda: subprocess.run(args, capture_output=True, check=False, cwd=ROOT), repeat=3 if quick else 5)

    imported = run([sys.executable, "-c", "import obcdsl"])
    checked = run([sys.executable, "-m", "obcdsl", "check", "contracts/"])
    rows.append(("process", 'python -c "import obcdsl"', f"{imported * 1000:.0f} ms", "", {"seconds": imported}))
    rows.append(("process", "obcdsl check contracts/", f"{checked * 1000:.0f} ms", f"{checked / imported:.1f}× the import",
                 {"seconds": checked, "ratio_to_import": checked / imported}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a quick look")
    parser.add_argument("--json", default=str(ROOT / "benchmarks" / "results.json"), help="where to write the figures")
    args = parser.parse_args()
    rows: list = []
    import gc

    for bench in (bench_parse_check, bench_exact, bench_simulation, bench_stop_loss, bench_process):
        gc.collect()  # what one benchmark left behind must not be charged to the next
        bench(rows, args.quick)
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"obcdsl benchmarks ({platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores)",
                  title_justify="left", header_style="bold")
    for column in ("what", "case", "time", "throughput"):
        table.add_column(column)
    for what, case, time_text, throughput, _ in rows:
        table.add_row(what, case, time_text, throughput)
    Console(width=140).print(table)
    document = {
        "python": platform.python_version(), "machine": platform.machine(), "cores": os.cpu_count(), "quick": args.quick,
        "results": [{"what": w, "case": c, "time": t, "throughput": th, **figures} for w, c, t, th, figures in rows],
    }
    Path(args.json).write_text(json.dumps(document, indent=2) + "\n")
    print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
