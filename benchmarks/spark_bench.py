"""Spark against the local engine, whole processes as a user runs them (registered as `spark` in benchmarks/run.py).

    python benchmarks/spark_bench.py [--quick] [--big] [--runs N] [--json FILE]
    python benchmarks/run.py --only spark

- Simulation: `obcdsl simulate` Oxfordshire year 3 at 10^5 and 10^6 scenarios,
  with the local engine (default workers) and with `--engine spark --master
  local[2]`, interleaved; the JSON results of the two must be equal (else the
  run is marked FAILED), and the ratio of the medians is given.
- Stop-loss: `obcdsl evaluate risk_share_corridor ... --patients FILE --year 2`
  on the generated Parquet patient costs of benchmarks/run.py (its
  `patient_files`, cached), at 10^6 and 10^7 rows (and 10^8 with --big), with
  pyarrow (the local engine) and with `--engine spark --master local[2]`,
  interleaved; the stop-loss lines must be equal.

Peak memory is the peak of the **sum** of the resident set sizes of the
process and every process it started (the Spark driver's JVM and its Python
workers), read from /proc every 50 ms; `/usr/bin/time -f %M` would give only
the largest single process. Nothing is asserted about time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as suite  # noqa: E402  (benchmarks/run.py: its generator, its helpers, its console script)

MASTER = "local[2]"


def tree_rss(root: int) -> int:
    """The resident memory, in bytes, of a process and all its descendants now (0 once it has gone)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry)
        children.setdefault(int(fields[1]), []).append(pid)  # fields[1] is the parent's pid
        rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")  # resident pages
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def run_tree(args: list[str], cwd: Path, timeout: float) -> dict:
    """One whole process: wall time, exit code, output, and the peak of its process tree's summed RSS."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(args, cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True)
        peak = 0
        done = threading.Event()

        def watch() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, tree_rss(process.pid))
                done.wait(0.05)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        try:
            process.wait(timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()
            timed_out = True
        seconds = time.perf_counter() - start
        done.set()
        watcher.join()
        out.seek(0)
        err.seek(0)
        return {"args": args, "cwd": cwd, "seconds": seconds, "returncode": process.returncode, "timed_out": timed_out,
                "peak_bytes": peak, "stdout": out.read().decode(errors="replace"), "stderr": err.read().decode(errors="replace")}


def interleaved(commands: dict, cwd: Path, runs: int, timeout: float) -> dict:
    """Each command `runs` times, in turn, after one untimed round (the file cache, the JIT's first classes on disk)."""
    for command in commands.values():
        run_tree(command, cwd, timeout)
    results: dict = {key: [] for key in commands}
    for _ in range(runs):
        for key, command in commands.items():
            results[key].append(run_tree(command, cwd, timeout))
    return results


def record(rows: list, what: str, case: str, done: list, extra: str = "", **figures) -> dict | None:
    good, bad = suite.split_runs(done)
    if not good:
        suite.row(rows, what, case, None, "FAILED: " + suite.failure(bad), status="failed")
        return None
    stats = suite.summary([r["seconds"] for r in good])
    peaks = [r["peak_bytes"] for r in good]
    text = f"peak RSS of the process tree median {suite.mib(statistics.median(peaks))} (max {suite.mib(max(peaks))})"
    return suite.row(rows, what, case, stats, (extra + "; " if extra else "") + text, peak_bytes_median=statistics.median(peaks),
                     peak_bytes_max=max(peaks), failures=len(bad), **figures)


def bench_spark_simulate(rows: list, quick: bool, runs: int, cwd: Path) -> None:
    for scenarios in ((10_000,) if quick else (100_000, 1_000_000)):
        base = [str(suite.CONSOLE), "simulate", "contracts/oxfordshire_mental_health.obc", "--year", "3", "--scenarios",
                str(scenarios), "--spec", "contracts/specs/oxfordshire_year3.toml", "--seed", "0", "--format", "json"]
        results = interleaved({"local": base, "spark": base + ["--engine", "spark", "--master", MASTER]}, cwd, runs, 1800)
        outputs = {key: {r["stdout"] for r in done if r["returncode"] == 0} for key, done in results.items()}
        same = len(outputs["local"] | outputs["spark"]) == 1
        entries = {}
        for key, label in (("local", "local engine (default workers)"), ("spark", f"--engine spark --master {MASTER}")):
            entries[key] = record(rows, "spark: simulate", f"Oxfordshire year 3, {scenarios:,} scenarios, {label}", results[key],
                                  "same JSON as the other engine" if same else "RESULTS DIFFER between the engines",
                                  scenarios=scenarios, engine=key, same_results=same)
        if entries["local"] and entries["spark"]:
            ratio = entries["spark"]["median"] / entries["local"]["median"]
            suite.row(rows, "spark: simulate", f"{scenarios:,} scenarios: Spark ÷ local, medians", None,
                      f"{ratio:.2f}× the local engine's time", ratio=ratio, scenarios=scenarios, same_results=same)


def bench_spark_stoploss(rows: list, quick: bool, big: bool, runs: int, cwd: Path, cache: Path) -> None:
    sizes = [(100_000, 20_000)] if quick else [(1_000_000, 200_000), (10_000_000, 2_000_000)]
    if big:
        sizes.append((100_000_000, 20_000_000))
    for count, patients in sizes:
        parquet, _, facts = suite.patient_files(cache, count, patients)
        base = [str(suite.CONSOLE), "evaluate", "contracts/risk_share_corridor.obc", "--data", "contracts/data/risk_share_corridor.csv",
                "--patients", str(parquet), "--year", "2", "--format", "json"]
        times = 1 if count >= 100_000_000 else runs
        results = interleaved({"pyarrow": base, "spark": base + ["--engine", "spark", "--master", MASTER]}, cwd, times, 7200)
        lines = {key: [suite.stop_loss_line(r["stdout"]) for r in done if r["returncode"] == 0] for key, done in results.items()}
        found = [json.dumps(x, sort_keys=True) for x in lines["pyarrow"] + lines["spark"]]
        same = bool(found) and len(set(found)) == 1
        entries = {}
        for key, label in (("pyarrow", "pyarrow (local engine)"), ("spark", f"--engine spark --master {MASTER}")):
            entries[key] = record(rows, "spark: stop-loss", f"{count:,} rows, Parquet ({facts['parquet_bytes'] / 2**20:,.0f} MiB), {label}",
                                  results[key], f"{count / statistics.median(r['seconds'] for r in results[key]):,.0f} rows/s; "
                                  + ("same stop-loss line as the other engine" if same else "STOP-LOSS LINES DIFFER"),
                                  rows_in_file=count, engine=key, same_results=same, stop_loss=lines[key][0] if lines[key] else None)
        if entries["pyarrow"] and entries["spark"]:
            ratio = entries["spark"]["median"] / entries["pyarrow"]["median"]
            suite.row(rows, "spark: stop-loss", f"{count:,} rows: Spark ÷ pyarrow, medians", None,
                      f"{ratio:.2f}× the local engine's time", ratio=ratio, rows_in_file=count, same_results=same)


def bench_spark(rows: list, quick: bool, context: dict) -> None:
    """The `spark` benchmark of benchmarks/run.py: simulation and stop-loss, local engine against `--engine spark`."""
    if not suite.CONSOLE.exists():
        suite.row(rows, "spark", "obcdsl --engine spark", None, f"console script absent: {suite.CONSOLE}", status="absent")
        return
    runs = context.get("spark_runs") or (1 if quick else 3)
    cwd = suite.workdir(context["base"])
    context["notes"].append(f"spark: master {MASTER}; peak memory is the summed RSS of each process tree (Python, JVM, workers)")
    bench_spark_simulate(rows, quick, runs, cwd)
    bench_spark_stoploss(rows, quick, bool(context.get("big")), runs, cwd, context["cache"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10^4 scenarios and 10^5 rows, one run each")
    parser.add_argument("--big", action="store_true", help="also the stop-loss over 10^8 rows (about 1.7 GB of Parquet; one run)")
    parser.add_argument("--runs", type=int, help="timed runs of each case (default 3; 1 with --quick)")
    parser.add_argument("--only", choices=("simulate", "stoploss"), help="one half only")
    parser.add_argument("--json", default=str(Path(__file__).resolve().parent / "spark_results.json"), help="where to write the figures")
    parser.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "obcdsl-benchmarks"), help="generated patient files")
    args = parser.parse_args()
    rows: list = []
    info = suite.machine()
    with tempfile.TemporaryDirectory(prefix="obcdsl-spark-bench-") as folder:
        context = {"base": Path(folder), "cache": Path(args.cache), "notes": [], "big": args.big, "spark_runs": args.runs}
        cwd = suite.workdir(context["base"])
        runs = args.runs or (1 if args.quick else 3)
        if args.only != "stoploss":
            bench_spark_simulate(rows, args.quick, runs, cwd)
        if args.only != "simulate":
            bench_spark_stoploss(rows, args.quick, args.big, runs, cwd, context["cache"])
    info["load_average_at_end"] = list(os.getloadavg())
    for entry in rows:
        spread = f"{suite.show_time(entry['median'])} ({suite.spread(entry)}, {entry['runs']} runs)" if "median" in entry else ""
        print(f"{entry['what']:18} {entry['case'][:90]:90} {spread:40} {entry['throughput']}")
    Path(args.json).write_text(json.dumps({**info, "results": rows}, indent=2, default=str, ensure_ascii=False) + "\n")
    print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
