"""obcdsl benchmarks: run on demand, print a table, write JSON.

    python benchmarks/run.py [--quick] [--only NAME[,NAME]] [--json FILE] [--cache DIR]

Every figure is the median of several runs, reported with its spread (the
fastest and the slowest run) and the number of runs; nothing is a best-of.
Nothing here asserts a time: it measures. The benchmarks, in the order they
run (names for `--only`):

  parse      parse + check of each reference contract and of a generated
             5,000-indicator contract, in process (check_text)
  exact      one exact evaluation through the Python API:
             contract.evaluate(data, year=3) for Oxfordshire, loaded once
  simulate   Oxfordshire year 3 with contracts/specs/oxfordshire_year3.toml at
             10^4 (the CLI default), 10^5 and 10^6 scenarios: end to end
             (obcdsl.simulate.simulate: spec, drawing, evaluation, summary),
             evaluation alone on pre-drawn inputs (obcdsl.vector.run, in the
             same 25,000-scenario chunks as simulate, obcdsl.simulate.CHUNK),
             drawing alone; the exact loop (obcdsl.evaluate.evaluate over 200
             pre-built scenarios) timed in the same rounds and the same way;
             the whole year (contracts/specs/whole_year.toml: Cheshire and
             Wirral year 4 and the risk corridor year 2, end to end, with and
             without its drawn populations, patients and baseline, at 10^5
             scenarios, 10^4 with --quick); and the whole `obcdsl simulate`
             process at 10^4 scenarios
  workers    the whole `obcdsl simulate` process for Oxfordshire year 3 at 10^5
             scenarios (10^4 with --quick) on --workers 1 and on all cores,
             interleaved: scenario-years/s and the parallel efficiency
  startup    `obcdsl check contracts/`, `python -c "import obcdsl"` and
             `obcdsl --version` as whole processes of the installed console
             script, from a directory outside the checkout, interleaved
  slowcheck  the whole `obcdsl check` process on Oxfordshire with its first
             `weight 20 points` made `weight 25 points` (a known slow case;
             at most 3 runs, 300 s timeout each)
  stoploss   `obcdsl evaluate contracts/risk_share_corridor.obc ... --patients
             FILE --year 2 --format json` as a child process, on generated
             patient cost files (10^7 rows over ~2x10^6 patients, 3 years,
             several rows a patient spread through the file, an episode
             number on each) in Parquet and CSV: wall time and the child's
             own peak RSS (under /usr/bin/time -f %M: see run_process)
  spark      benchmarks/spark_bench.py (needs the spark extra and Java): the
             whole `obcdsl simulate` process at 10^5 and 10^6 scenarios and
             `obcdsl evaluate --patients` on 10^6 and 10^7 generated Parquet
             rows, each with the local engine and with `--engine spark
             --master local[2]`, interleaved, same results checked; time
             ratio and the peak summed RSS of each process tree (JVM and
             Python workers included); 10^8 rows with its own `--big`;
             runs only when named (`--only spark`)
  suite      the test suite's real duration, once, last:
             HYPOTHESIS_PROFILE=ci pytest -q -p no:cacheprovider under
             /usr/bin/time -v (runs by default only without --quick)

Whole processes run from a temporary directory holding a copy of
contracts/, with the console script of the interpreter running this file
(Path(sys.executable).parent / "obcdsl"). Generated patient files are cached
(see --cache) and their generation is never timed.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np

import obcdsl
from obcdsl.checker import check_text

CONTRACTS = ROOT / "contracts"
SPEC = CONTRACTS / "specs" / "oxfordshire_year3.toml"
BIN = Path(sys.executable).parent
CONSOLE = BIN / "obcdsl"
NAMES = ("parse", "exact", "simulate", "workers", "startup", "slowcheck", "stoploss", "spark", "suite")


# ---------------------------------------------------------------- measuring

def summary(samples: list[float]) -> dict:
    """Median and spread of a list of times (seconds)."""
    return {"runs": len(samples), "median": statistics.median(samples), "min": min(samples), "max": max(samples),
            "samples": [round(s, 6) for s in samples]}


def timed_runs(function, runs: int, warmup: int = 0) -> dict:
    for _ in range(warmup):
        function()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return summary(samples)


def show_time(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:,.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:,.1f} ms" if seconds < 0.1 else f"{seconds * 1e3:,.0f} ms"
    return f"{seconds:,.2f} s"


def spread(stats: dict) -> str:
    return f"{show_time(stats['min'])} – {show_time(stats['max'])}"


def row(rows: list, what: str, case: str, stats: dict | None, throughput: str = "", **figures) -> dict:
    entry = {"what": what, "case": case, "throughput": throughput, **(stats or {}), **figures}
    rows.append(entry)
    return entry


TIME = Path("/usr/bin/time")


def run_process(args: list[str], cwd: Path, timeout: float, env: dict | None = None) -> dict:
    """Run one child to completion: its wall time, exit code, peak RSS, stdout and stderr.

    The peak RSS is read by `/usr/bin/time -f %M` around the child: the
    child's own rusage (wait4) would not do, since Linux carries the high
    water mark of the process that spawned it (this benchmark, holding
    hundreds of MiB) across fork and exec. The wall time is this side's
    clock around the whole child, `time` included (about a millisecond).
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        wrapper = [str(TIME), "-f", "%M", "-o", rss.name] if TIME.exists() else []
        start = time.perf_counter()
        process = subprocess.Popen(wrapper + args, cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env,
                                   start_new_session=True)
        killed = threading.Event()

        def kill():
            killed.set()
            try:
                os.killpg(process.pid, 9)  # the child and anything it started
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        peak = None
        if wrapper:
            found = re.findall(r"^(\d+)\s*$", Path(rss.name).read_text(), re.MULTILINE)
            peak = int(found[-1]) * 1024 if found else None
        out.seek(0)
        err.seek(0)
        stderr = err.read().decode(errors="replace")
        return {"args": args, "cwd": cwd, "seconds": seconds, "returncode": process.returncode, "timed_out": killed.is_set(),
                "peak_bytes": peak if wrapper else usage.ru_maxrss * 1024, "stdout": out.read().decode(errors="replace"),
                "stderr": stderr}


def peak(results: list[dict]):
    """The largest peak RSS of some runs, in bytes (None when none was measured)."""
    values = [r["peak_bytes"] for r in results if r.get("peak_bytes") is not None]
    return max(values) if values else None


def mib(value) -> str:
    return "n/a" if value is None else f"{value / 2**20:,.0f} MiB"


def split_runs(results: list[dict], accept: tuple = (0,)) -> tuple[list, list]:
    """The runs that finished with an accepted exit status, and the others."""
    good = [r for r in results if r["returncode"] in accept and not r["timed_out"]]
    return good, [r for r in results if r not in good]


def failure(bad: list[dict]) -> str:
    """What went wrong in the first failed run, in one line (the last line of a traceback)."""
    if not bad:
        return ""
    first = bad[0]
    if first["timed_out"]:
        return "timed out"
    text = first["stderr"] or first["stdout"]
    if first["returncode"] == 70 and "detail" not in first:  # a fault inside obcdsl: run it once more for the details
        again = run_process(first["args"], first["cwd"], 600, env=dict(os.environ, OBCDSL_DEBUG="1"))
        first["detail"] = again["stderr"]
    if first.get("detail"):
        text = first["detail"]
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return f"exit {first['returncode']}: " + (lines[-1][:160] if lines else "no output")


def workdir(base: Path) -> Path:
    """A directory outside the checkout holding a copy of contracts/, for whole-process runs."""
    folder = base / "cwd"
    if not (folder / "contracts").is_dir():
        shutil.copytree(CONTRACTS, folder / "contracts")
    return folder


def first_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[0][:200] if lines else ""


# ---------------------------------------------------------------- parse + check

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


def bench_parse(rows: list, quick: bool, context: dict) -> None:
    runs = 3 if quick else 9
    for path in sorted(CONTRACTS.glob("*.obc")):
        text = path.read_text()
        size = len(text.encode())
        stats = timed_runs(lambda text=text, name=path.name: check_text(text, name), runs, warmup=1)
        row(rows, "parse + check", f"{path.name} ({size / 1024:.1f} KB)", stats,
            f"{size / 1024 / stats['median']:,.0f} KB/s", bytes=size)
    # how the cost grows with the size of a contract: the target is the 5,000-indicator one, in 2 s
    sizes = (500, 1000, 2000) if quick else (500, 1000, 2000, 5000, 10_000)
    for indicators in sizes:
        text = generated_contract(indicators)
        size = len(text.encode())
        result = check_text(text, "generated.obc")  # also the warm-up
        if not result.ok:
            row(rows, "parse + check", f"generated, {indicators:,} indicators", None, "FAILED: the contract does not check",
                status="failed", diagnostics=[d.message for d in result.diagnostics][:3])
            return
        stats = timed_runs(lambda text=text: check_text(text, "generated.obc"), 3 if indicators <= 5000 else 1)
        per = stats["median"] / indicators * 1e6
        row(rows, "parse + check", f"generated, {indicators:,} indicators ({size / 2**20:.2f} MB)", stats,
            f"{size / 1024 / stats['median']:,.0f} KB/s, {per:,.0f} µs an indicator", bytes=size, indicators=indicators,
            target_seconds=2.0 if indicators == 5000 else None)
    bench_editor_recheck(rows, quick)


def bench_editor_recheck(rows: list, quick: bool) -> None:
    """The Oxfordshire contract checked again in the language server after an edit, as the server does it."""
    from obcdsl.lsp.analysis import analyse

    path = CONTRACTS / "oxfordshire_mental_health.obc"
    text = path.read_text()
    uri = path.as_uri()
    first = analyse(uri, str(path), text)
    edits = iter(range(10**6))

    def recheck():
        # a changed target each time, as typing does (an unchanged text would not be checked again); it stays valid
        edited = text.replace("target at least 75%", f"target at least {76 + next(edits) % 2}%", 1)
        assert edited != text
        analyse(uri, str(path), edited, first)

    stats = timed_runs(recheck, 5 if quick else 21, warmup=2)
    row(rows, "language server", "Oxfordshire re-checked after an edit (after the first parse)", stats,
        "target 50 ms", target_seconds=0.05)


# ---------------------------------------------------------------- exact evaluation

def oxfordshire():
    contract = obcdsl.load(CONTRACTS / "oxfordshire_mental_health.obc")
    data = obcdsl.read_data(CONTRACTS / "data" / "oxfordshire_mental_health.csv")
    return contract, data


def bench_exact(rows: list, quick: bool, context: dict) -> None:
    contract, data = oxfordshire()
    runs = 100 if quick else 501
    stats = timed_runs(lambda: contract.evaluate(data, year=3), runs, warmup=5)
    ordered = sorted(stats["samples"])
    row(rows, "exact evaluation", "Oxfordshire year 3, contract.evaluate(data, year=3), loaded once", stats,
        f"{1 / stats['median']:,.0f} contract-years/s",
        p10=ordered[len(ordered) // 10], p90=ordered[(len(ordered) * 9) // 10], samples=None)


# ---------------------------------------------------------------- simulation

def exact_scenarios(spec, inputs: dict, count: int) -> list:
    """`count` drawn scenarios as Data, as a user of the exact API would give them (values to 4 places)."""
    from obcdsl.data import ACTUAL_COST, Data, DataPoint

    baselines = [DataPoint(k.split("/")[0], None, (k.split("/") + [None])[1], Decimal(str(v))) for k, v in spec.baselines.items()]
    scenarios = []
    for index in range(count):
        points = list(baselines)
        for key, values in inputs.items():
            name, _, segment = key.partition("/")
            points.append(DataPoint(ACTUAL_COST if key == "actual cost" else name, 3, segment or None,
                                    Decimal(repr(round(float(values[index]), 4)))))
        scenarios.append(Data(tuple(points)))
    return scenarios


def bench_whole_year(rows: list, quick: bool) -> None:
    """The cost of the whole year: the whole-year example end to end, with and without its drawn population, patients
    and baseline (the same spec less those tables), interleaved."""
    import tempfile

    from obcdsl.portfolio import simulate_portfolio

    whole = CONTRACTS / "specs" / "whole_year.toml"
    text = whole.read_text(encoding="utf-8")
    kept, dropping = [], False
    for line in text.splitlines():  # the spec less its population, patients and baselines tables and the correlation
        if line.startswith("["):
            dropping = bool(re.match(r"\[\[correlation\]\]|\[contracts\.[a-z_]+\.(population|patients|baselines)\]", line))
        if not dropping:
            kept.append(line)
    plain = "\n".join(kept) + "\n"
    folder = Path(tempfile.mkdtemp(prefix="obcdsl-whole-year-"))
    (folder / "plain.toml").write_text(plain, encoding="utf-8")
    contracts = [obcdsl.load(CONTRACTS / "cheshire_wirral_pilot.obc"), obcdsl.load(CONTRACTS / "risk_share_corridor.obc")]
    scenarios = 10_000 if quick else 100_000
    runs = 3 if quick else 5
    specs = {"without the drawn population, patients and baseline": folder / "plain.toml",
             "with them (the whole year)": whole}
    for spec in specs.values():  # warm up
        simulate_portfolio(contracts, spec, 2_000, 0, None, 1)
    samples: dict = {name: [] for name in specs}
    for _ in range(runs):
        for name, spec in specs.items():
            gc.collect()
            start = time.perf_counter()
            simulate_portfolio(contracts, spec, scenarios, 0, None, 1)
            samples[name].append(time.perf_counter() - start)
    for name in specs:
        stats = summary(samples[name])
        row(rows, "whole year", f"{scenarios:,} scenarios, Cheshire year 4 + corridor year 2, end to end, {name}", stats,
            f"{scenarios / stats['median']:,.0f} scenario-years/s", scenarios=scenarios, rate=scenarios / stats["median"])


def bench_simulate(rows: list, quick: bool, context: dict) -> None:
    from obcdsl import vector
    from obcdsl.evaluate import evaluate
    from obcdsl.simulate import CHUNK, draw_inputs, read_spec, simulate

    contract, _ = oxfordshire()
    model = vector.year_model(contract.ast, 3)
    spec = read_spec(SPEC, model)
    sizes = [10_000, 100_000] if quick else [10_000, 100_000, 1_000_000]
    runs = 3 if quick else 7
    loop = 50 if quick else 200
    chunk = CHUNK  # as `simulate` runs them
    rng = np.random.default_rng(0)
    predrawn = {n: [draw_inputs(spec, model, min(chunk, n - o), rng) for o in range(0, n, chunk)] for n in sizes}
    scenarios = exact_scenarios(spec, predrawn[sizes[0]][0], loop)

    # the exact loop measures what the array side does: the same scenarios, evaluated
    statement = evaluate(contract.ast, scenarios[0], 3)
    first = vector.run(model, {k: v[:1] for k, v in predrawn[sizes[0]][0].items()}, spec.baselines)
    agreement = float(statement.outcomes_paid) - float(first.outcomes_paid[0])

    def exact_loop():
        for data in scenarios:
            evaluate(contract.ast, data, 3)

    def end_to_end(n):
        return lambda: simulate(contract.ast, 3, SPEC, n, seed=0)

    def evaluation(n):
        def go():
            settled = 0
            for inputs in predrawn[n]:
                settled += getattr(vector.run(model, inputs, spec.baselines), "settled_exactly", 0)
            return settled
        return go

    def drawing(n):
        def go():
            generator = np.random.default_rng(1)
            for offset in range(0, n, chunk):
                draw_inputs(spec, model, min(chunk, n - offset), generator)
        return go

    # warm up once (imports of SciPy's distributions, first touches of memory); then interleaved rounds
    start = time.perf_counter()
    exact_loop()
    settled = {}
    for n in sizes:
        end_to_end(n)()
        settled[n] = evaluation(n)()  # scenarios near a tie, paid again by the exact backend
    # a round costs about the warm-up and the drawing again; keep the whole within a budget if the code is slow today
    round_estimate = (time.perf_counter() - start) * 1.6
    budget = 120 if quick else 900
    planned = runs
    if round_estimate * runs > budget:
        runs = max(3, min(runs, int(budget / round_estimate)))
        context["notes"].append(f"simulation: a round takes about {round_estimate:.0f} s, so {runs} rounds, not {planned}")
    samples: dict = {"exact": []}
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        exact_loop()
        samples["exact"].append(time.perf_counter() - start)
        for n in sizes:
            for kind, make in (("end to end", end_to_end), ("evaluation", evaluation), ("drawing", drawing)):
                function = make(n)
                gc.collect()
                start = time.perf_counter()
                function()
                samples.setdefault((kind, n), []).append(time.perf_counter() - start)

    exact = summary(samples["exact"])
    exact_rate = loop / exact["median"]
    for n in sizes:
        for kind in ("end to end", "evaluation", "drawing"):
            stats = summary(samples[(kind, n)])
            rate = n / stats["median"]
            label = {"end to end": "end to end: simulate() (spec, drawing, evaluation, summary)",
                     "evaluation": "evaluation alone: vector.run on pre-drawn inputs",
                     "drawing": "drawing alone: draw_inputs"}[kind]
            text = f"{rate:,.0f} scenario-years/s"
            if kind == "evaluation":
                text += f"; {settled[n]:,} near a tie ({settled[n] / n:.3%}) settled by the exact backend"
            row(rows, "simulation", f"{n:,} scenarios, {label}", stats, text,
                scenarios=n, kind=kind, rate=rate, ratio_to_exact=rate / exact_rate, settled_exactly=settled[n],
                **({"target_rate": 1_000_000} if kind == "evaluation" else {}))
    row(rows, "exact loop", f"evaluate() over {loop} pre-built scenarios, per run", exact,
        f"{exact_rate:,.0f} scenario-years/s ({exact['median'] / loop * 1e3:.2f} ms a scenario)",
        scenarios=loop, rate=exact_rate, outcomes_paid_difference_scenario_0=agreement)
    for n in sizes:
        for kind in ("evaluation", "end to end"):
            stats = summary(samples[(kind, n)])
            ratio = (n / stats["median"]) / exact_rate
            low = (n / stats["max"]) / (loop / exact["min"])
            high = (n / stats["min"]) / (loop / exact["max"])
            row(rows, "ratio", f"{n:,} scenarios, {kind} ÷ exact loop, per scenario", None,
                f"{ratio:,.0f}× (runs range {low:,.0f}×–{high:,.0f}×)", ratio=ratio, ratio_low=low, ratio_high=high,
                scenarios=n, kind=kind, runs=runs, **({"target": 100} if kind == "evaluation" else {}))
    predrawn.clear()  # free the pre-drawn inputs before the next benchmark
    bench_whole_year(rows, quick)

    # the user's path: the whole `obcdsl simulate` process at the CLI default
    if not CONSOLE.exists():
        row(rows, "process", "obcdsl simulate (console script absent)", None, f"no {CONSOLE}", status="absent")
        return
    cwd = workdir(context["base"])
    command = [str(CONSOLE), "simulate", "contracts/oxfordshire_mental_health.obc", "--year", "3", "--scenarios", "10000",
               "--spec", "contracts/specs/oxfordshire_year3.toml", "--format", "json"]
    results = [run_process(command, cwd, 300) for _ in range(runs)]
    good, bad = split_runs(results)
    case = "obcdsl simulate oxfordshire --year 3 --scenarios 10000 --format json (the CLI default)"
    if not good:
        row(rows, "process", case, None, "FAILED: " + failure(bad), status="failed", failures=len(bad))
        return
    stats = summary([r["seconds"] for r in good])
    text = f"{10_000 / stats['median']:,.0f} scenario-years/s; peak {mib(peak(good))}"
    if bad:
        text += f"; {len(bad)} of {len(results)} runs FAILED (left out): {failure(bad)}"
    row(rows, "process", case, stats, text, peak_bytes=peak(good), command=" ".join(command[1:]),
        failures=len(bad), status=f"{len(bad)} failed: {failure(bad)}" if bad else "ok")


# ---------------------------------------------------------------- workers

def bench_workers(rows: list, quick: bool, context: dict) -> None:
    """`obcdsl simulate` as a whole process on 1 worker and on all cores, interleaved: scenario-years/s and efficiency."""
    scenarios = 10_000 if quick else 100_000
    runs = 3 if quick else 5
    cores = os.cpu_count() or 1
    if not CONSOLE.exists():
        row(rows, "workers", "obcdsl simulate --workers (console script absent)", None, f"no {CONSOLE}", status="absent")
        return
    cwd = workdir(context["base"])
    base = [str(CONSOLE), "simulate", "contracts/oxfordshire_mental_health.obc", "--year", "3", "--scenarios", str(scenarios),
            "--spec", "contracts/specs/oxfordshire_year3.toml", "--format", "json"]
    commands = {1: base + ["--workers", "1"], cores: base + ["--workers", str(cores)]}
    for command in commands.values():  # one untimed round: the file cache
        run_process(command, cwd, 600)
    results: dict = {w: [] for w in commands}
    for _ in range(runs):
        for workers, command in commands.items():
            results[workers].append(run_process(command, cwd, 600))
    rates = {}
    for workers, runs_done in results.items():
        good, bad = split_runs(runs_done)
        case = f"obcdsl simulate oxfordshire --year 3 --scenarios {scenarios:,} --workers {workers}"
        if not good:
            row(rows, "workers", case, None, "FAILED: " + failure(bad), status="failed")
            continue
        stats = summary([r["seconds"] for r in good])
        rates[workers] = scenarios / stats["median"]
        row(rows, "workers", case, stats, f"{rates[workers]:,.0f} scenario-years/s; peak {mib(peak(good))}",
            scenarios=scenarios, workers=workers, rate=rates[workers], peak_bytes=peak(good), failures=len(bad))
    if 1 in rates and cores in rates:
        speedup = rates[cores] / rates[1]
        row(rows, "workers", f"{cores} workers against 1, whole processes", None,
            f"speed-up {speedup:.2f}×, parallel efficiency {speedup / cores:.0%}", speedup=speedup, efficiency=speedup / cores,
            cores=cores, scenarios=scenarios)


# ---------------------------------------------------------------- start-up

def bench_startup(rows: list, quick: bool, context: dict) -> None:
    runs = 3 if quick else 11
    if not CONSOLE.exists():
        row(rows, "process", "start-up", None, f"console script absent: {CONSOLE}", status="absent")
        return
    cwd = workdir(context["base"])
    commands = {
        "check": [str(CONSOLE), "check", "contracts/"],
        "import": [sys.executable, "-c", "import obcdsl"],
        "version": [str(CONSOLE), "--version"],
    }
    for args in commands.values():  # warm the file cache once
        run_process(args, cwd, 120)
    results: dict = {k: [] for k in commands}
    for _ in range(runs):  # interleaved: check, import, version, check, import, version, ...
        for key, args in commands.items():
            results[key].append(run_process(args, cwd, 120))
    accept = {"check": (0, 1), "import": (0,), "version": (0,)}  # check: exit 1 still ran every check
    usable = {k: [r["returncode"] in accept[k] and not r["timed_out"] for r in v] for k, v in results.items()}
    pairs = [c["seconds"] / i["seconds"] for c, i, ok_c, ok_i in
             zip(results["check"], results["import"], usable["check"], usable["import"]) if ok_c and ok_i]
    stats = {}
    for key, label in (("import", 'python -c "import obcdsl"'), ("version", "obcdsl --version"),
                       ("check", "obcdsl check contracts/")):
        good = [r for r, ok in zip(results[key], usable[key]) if ok]
        bad = [r for r, ok in zip(results[key], usable[key]) if not ok]
        if not good:
            row(rows, "process", label, None, "FAILED: " + failure(bad), status="failed", failures=len(bad))
            continue
        stats[key] = summary([r["seconds"] for r in good])
        extra = {}
        text = f"peak {mib(peak(good))}"
        if key == "check" and "import" in stats and pairs:
            ratio = stats["check"]["median"] / stats["import"]["median"]
            extra = {"ratio_to_import": ratio, "paired_ratio_median": statistics.median(pairs),
                     "paired_ratio_min": min(pairs), "paired_ratio_max": max(pairs), "pairs": len(pairs)}
            text = (f"{ratio:.2f}× the import (ratio of medians); paired runs: median {statistics.median(pairs):.2f}×, "
                    f"{min(pairs):.2f}×–{max(pairs):.2f}×; " + text)
        codes = sorted({r["returncode"] for r in good})
        if key == "check":
            text += f"; exit {','.join(map(str, codes))}"
        if bad:
            text += f"; {len(bad)} of {len(results[key])} runs FAILED (left out): {failure(bad)}"
        row(rows, "process", label, stats[key], text, peak_bytes=peak(good), returncodes=codes, failures=len(bad),
            status=f"{len(bad)} failed: {failure(bad)}" if bad else "ok", **extra)


# ---------------------------------------------------------------- a known slow check

def bench_slowcheck(rows: list, quick: bool, context: dict) -> None:
    runs = 1 if quick else 3
    timeout = 300.0
    source = (CONTRACTS / "oxfordshire_mental_health.obc").read_text()
    if "weight 20 points" not in source:
        row(rows, "process", "obcdsl check, Oxfordshire with weight 25 points", None, "no `weight 20 points` to change",
            status="skipped")
        return
    if not CONSOLE.exists():
        row(rows, "process", "obcdsl check, Oxfordshire with weight 25 points", None, f"no {CONSOLE}", status="absent")
        return
    folder = context["base"] / "slowcheck"
    folder.mkdir(exist_ok=True)
    path = folder / "oxfordshire_weight_25.obc"
    path.write_text(source.replace("weight 20 points", "weight 25 points", 1))
    results = []
    for _ in range(runs):
        result = run_process([str(CONSOLE), "check", path.name], folder, timeout)
        results.append(result)
        if result["timed_out"]:
            break  # a second timeout would tell nothing new
    finished = [r for r in results if not r["timed_out"]]
    case = "obcdsl check oxfordshire_mental_health.obc with its first `weight 20 points` made 25"
    codes = sorted({r["returncode"] for r in finished})
    found = sorted(set(re.findall(r"(?:error|warning)\[(OBC\d+)\]", " ".join(r["stdout"] + r["stderr"] for r in finished))))
    if not finished:
        row(rows, "process", case, None, f"TIMED OUT after {timeout:.0f} s", status="timeout", timeout_seconds=timeout,
            runs=len(results))
        return
    stats = summary([r["seconds"] for r in finished])
    note = f"exit {','.join(map(str, codes))}; {', '.join(found) or 'no diagnostics'}; peak {mib(peak(finished))}"
    if len(finished) < len(results):
        note += f"; {len(results) - len(finished)} run(s) TIMED OUT at {timeout:.0f} s"
    row(rows, "process", case, stats, note, returncodes=codes, codes=found, timeout_seconds=timeout,
        timeouts=len(results) - len(finished), peak_bytes=peak(finished),
        status="timeout" if len(finished) < len(results) else "ok")


# ---------------------------------------------------------------- stop-loss

GENERATOR_VERSION = 3


def patient_files(folder: Path, rows_count: int, patients: int, seed: int = 7) -> tuple[Path, Path, dict]:
    """Parquet and CSV patient cost files (generated once, then cached), and facts about them.

    Each row is one episode of care: `patient, year, cost, episode`, the
    episode a number of its own, as a spell or contact identifier is in an
    extract (it tells apart two episodes of one patient in one year that
    cost the same, which a check for repeated rows would otherwise refuse).
    Patients are `P` and eight digits; each has at least one row, and the rest follow a
    skewed activity (a few heavy users, many light ones); rows are in random
    order, so a patient's rows are spread through the file. Years 1 to 3. Costs: most
    episodes are community contacts (lognormal, median about £490); 0.5% are
    admissions (lognormal, median about £22,000, a tail past £150,000).
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    stem = f"patients-v{GENERATOR_VERSION}-{rows_count}-{patients}-{seed}"
    parquet, csv, facts_path = folder / f"{stem}.parquet", folder / f"{stem}.csv", folder / f"{stem}.json"
    if parquet.exists() and csv.exists() and facts_path.exists():
        return parquet, csv, json.loads(facts_path.read_text())
    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    activity = rng.lognormal(0.0, 1.0, patients)
    cdf = np.cumsum(activity)
    cdf /= cdf[-1]
    # every patient has a row; the rest go by activity; then all rows are shuffled
    extra = np.minimum(np.searchsorted(cdf, rng.random(rows_count - patients), side="right"), patients - 1)
    owner = rng.permutation(np.concatenate([np.arange(patients), extra])).astype(np.int64)
    years = rng.integers(1, 4, rows_count).astype(np.int64)
    costs = rng.lognormal(6.2, 1.3, rows_count)
    admitted = rng.random(rows_count) < 0.005
    costs[admitted] = rng.lognormal(10.0, 0.8, int(admitted.sum()))
    costs = np.round(costs, 2)
    episodes = rng.permutation(rows_count).astype(np.int64) + 10_000_000
    schema = pa.schema([("patient", pa.string()), ("year", pa.int64()), ("cost", pa.float64()), ("episode", pa.int64())])
    partial_parquet, partial_csv = parquet.with_suffix(".parquet.partial"), csv.with_suffix(".csv.partial")
    block = 1_000_000
    with open(partial_csv, "wb") as sink:
        sink.write(b"patient,year,cost,episode\n")  # unquoted, as a spreadsheet or a database export writes it
    with pq.ParquetWriter(partial_parquet, schema) as pwriter, open(partial_csv, "ab") as sink, \
            pcsv.CSVWriter(sink, schema, write_options=pcsv.WriteOptions(include_header=False, quoting_style="none")) as cwriter:
        for offset in range(0, rows_count, block):
            part = slice(offset, offset + block)
            ids = pc.utf8_lpad(pc.cast(pa.array(owner[part]), pa.string()), width=8, padding="0")
            ids = pc.binary_join_element_wise("P", ids, "")
            table = pa.table({"patient": ids, "year": pa.array(years[part]), "cost": pa.array(costs[part]),
                              "episode": pa.array(episodes[part])}, schema=schema)
            pwriter.write_table(table)
            cwriter.write_table(table)
    # what the stop-loss should find, both ways: per row (the old rule) and per patient-year (summed)
    year2 = years == 2
    per_patient = np.bincount(owner[year2], weights=costs[year2], minlength=patients)
    facts = {
        "rows": rows_count, "patients_with_rows": int(np.count_nonzero(np.bincount(owner, minlength=patients))),
        "patients_declared": patients, "years": [1, 2, 3], "rows_year_2": int(year2.sum()),
        "rows_over_20000": int(np.count_nonzero(costs > 20000)),
        "year_2_rows_over_20000": int(np.count_nonzero(costs[year2] > 20000)),
        "year_2_patients_over_20000_summed": int(np.count_nonzero(per_patient > 20000)),
        "cost_median": float(np.median(costs)), "cost_mean": float(costs.mean()), "cost_max": float(costs.max()),
        "generation_seconds": time.perf_counter() - start,
    }
    partial_parquet.rename(parquet)
    partial_csv.rename(csv)
    facts["parquet_bytes"] = parquet.stat().st_size
    facts["csv_bytes"] = csv.stat().st_size
    facts_path.write_text(json.dumps(facts, indent=2))
    return parquet, csv, facts


def stop_loss_line(stdout: str) -> dict | None:
    try:
        document = json.loads(stdout)
    except ValueError:
        return None
    statements = document if isinstance(document, list) else document.get("statements", [document])
    for statement in statements:
        for line in statement.get("lines", []):
            if line.get("kind") == "stop-loss":
                return {"amount": line.get("amount"), **line.get("inputs", {})}
    return None


def bench_stoploss(rows: list, quick: bool, context: dict) -> None:
    if not CONSOLE.exists():
        row(rows, "stop-loss", "obcdsl evaluate --patients", None, f"console script absent: {CONSOLE}", status="absent")
        return
    rows_count, patients = (100_000, 20_000) if quick else (10_000_000, 2_000_000)
    runs = 3 if quick else 5
    timeout = 900.0
    started = time.perf_counter()
    parquet, csv, facts = patient_files(context["cache"], rows_count, patients)
    context["notes"].append(f"patient files ready in {time.perf_counter() - started:.1f} s (untimed; cached in {context['cache']})")
    cwd = workdir(context["base"])

    def command(path: Path) -> list[str]:
        return [str(CONSOLE), "evaluate", "contracts/risk_share_corridor.obc", "--data", "contracts/data/risk_share_corridor.csv",
                "--patients", str(path), "--year", "2", "--format", "json"]

    cases = {"bundled": CONTRACTS / "data" / "risk_share_corridor_patients.csv", "parquet": parquet, "csv": csv}
    for path in cases.values():  # warm the page cache once, as a second run by a user would find it
        run_process(command(path), cwd, timeout)
    results: dict = {k: [] for k in cases}
    for index in range(runs):  # interleaved
        for key, path in cases.items():
            results[key].append(run_process(command(path), cwd, timeout))
        slowest = max(r["seconds"] for v in results.values() for r in v)
        if index == 0 and slowest > 120:
            runs = 3  # keep the suite's length bounded when the stop-loss is slow
    for key, label in (("bundled", "the bundled 100-row patients file (process and contract, for reference)"),
                       ("parquet", f"{rows_count:,} rows, Parquet ({facts['parquet_bytes'] / 2**20:,.0f} MiB)"),
                       ("csv", f"{rows_count:,} rows, CSV ({facts['csv_bytes'] / 2**20:,.0f} MiB)")):
        done = [r for r in results[key] if not r["timed_out"]]
        if not done:
            row(rows, "stop-loss", label, None, f"TIMED OUT after {timeout:.0f} s", status="timeout")
            continue
        good, failed = split_runs(done)
        measured = good or done  # when every run fails, the time shown is the time to fail, and says so
        stats = summary([r["seconds"] for r in measured])
        peaks = [r["peak_bytes"] for r in measured if r["peak_bytes"] is not None] or [None]
        found = stop_loss_line(good[-1]["stdout"]) if good else None
        text = (f"peak RSS median {mib(statistics.median(peaks))} (max {mib(max(peaks))})" if peaks[0] is not None
                else "peak RSS not measured")
        if key != "bundled" and good:
            text = f"{rows_count / stats['median']:,.0f} rows/s; " + text
        status = "ok"
        if failed:
            status = f"{len(failed)} of {len(done)} runs failed: {failure(failed)}"
            text += (f"; FAILED every run, times are to the failure: {failure(failed)}" if not good
                     else f"; {len(failed)} of {len(done)} runs FAILED (left out): {failure(failed)}")
        rule = None
        if found and key != "bundled":
            over = found.get("patients_over_threshold")
            rule = {facts["year_2_rows_over_20000"]: "per row",
                    facts["year_2_patients_over_20000_summed"]: "per patient-year"}.get(over, "neither")
            text += f"; {over} over £20,000 ({rule})"
        row(rows, "stop-loss", label, stats, text, peak_bytes_median=statistics.median(peaks) if peaks[0] is not None else None,
            peak_bytes_max=max(peaks) if peaks[0] is not None else None,
            peak_samples=peaks, rows_in_file=rows_count if key != "bundled" else None, stop_loss=found, rule_observed=rule,
            status=status, failures=len(failed), timeouts=len(results[key]) - len(done), **({"file_facts": facts} if key == "parquet" else {}),
            **({"target_seconds": 3.0, "target_peak_bytes": 2**30} if key != "bundled" else {}))


# ---------------------------------------------------------------- the test suite

def bench_suite(rows: list, quick: bool, context: dict, targets: tuple = ()) -> None:
    pytest = BIN / "pytest"
    junit = context["base"] / "pytest-junit.xml"  # for the counts: `-q` with the project's own `-q` prints no summary line
    command = ([str(pytest)] if pytest.exists() else [sys.executable, "-m", "pytest"]) + \
        ["-q", "-p", "no:cacheprovider", f"--junitxml={junit}", *targets]
    timer = ["/usr/bin/time", "-v"] if Path("/usr/bin/time").exists() else []
    env = dict(os.environ, HYPOTHESIS_PROFILE="ci")
    result = run_process(timer + command, ROOT, 7200, env=env)
    tail = [line for line in result["stdout"].strip().splitlines() if line.strip()]
    outcome = tail[-1] if tail else ""
    counts = {k: int(v) for v, k in re.findall(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed|deselected)", outcome)}
    if not counts and junit.exists():
        import xml.etree.ElementTree as ET

        suites = ET.parse(junit).getroot()
        suites = [suites] if suites.tag == "testsuite" else list(suites)
        total = {k: sum(int(x.get(k, 0)) for x in suites) for k in ("tests", "failures", "errors", "skipped")}
        counts = {"passed": total["tests"] - total["failures"] - total["errors"] - total["skipped"],
                  "failed": total["failures"], "errors": total["errors"], "skipped": total["skipped"]}
        outcome = ", ".join(f"{v} {k}" for k, v in counts.items() if v or k == "passed")
    elapsed = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", result["stderr"])
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", result["stderr"])
    user = re.search(r"User time \(seconds\): (\S+)", result["stderr"])
    system = re.search(r"System time \(seconds\): (\S+)", result["stderr"])
    log = context["base"].parent / "obcdsl-benchmark-pytest.log"
    log.write_text(result["stdout"] + "\n--- stderr ---\n" + result["stderr"])
    failed = result["returncode"] != 0
    text = f"{outcome or 'no summary line'}"
    if failed:
        text += f"; exit {result['returncode']} (log {log})"
    row(rows, "test suite", "HYPOTHESIS_PROFILE=ci pytest -q -p no:cacheprovider (and --junitxml, for the counts), once, under /usr/bin/time -v", summary([result["seconds"]]), text,
        counts=counts, summary_line=outcome, returncode=result["returncode"],
        time_v_elapsed=elapsed.group(1) if elapsed else None, peak_bytes=int(peak.group(1)) * 1024 if peak else None,
        user_seconds=float(user.group(1)) if user else None, system_seconds=float(system.group(1)) if system else None,
        status="failed" if failed else "ok", log=str(log))


# ---------------------------------------------------------------- main

BENCHES = {"parse": bench_parse, "exact": bench_exact, "simulate": bench_simulate, "workers": bench_workers,
           "startup": bench_startup,
           "slowcheck": bench_slowcheck, "stoploss": bench_stoploss, "spark": lambda *a: spark_bench().bench_spark(*a),
           "suite": bench_suite}


def spark_bench():
    """benchmarks/spark_bench.py, imported when its benchmark runs."""
    import spark_bench as module

    return module


def source_fingerprint() -> str:
    """A hash of the package's source and grammar: other people edit the tree while the suite runs."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted([*(ROOT / "obcdsl").rglob("*.py"), *(ROOT / "grammar").glob("*.lark")]):
        digest.update(str(path.relative_to(ROOT)).encode())
        try:
            digest.update(path.read_bytes())
        except OSError:
            pass
    return digest.hexdigest()[:16]


def git_head() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def machine() -> dict:
    import lark
    import pyarrow
    import scipy

    return {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"), "python": platform.python_version(),
            "implementation": platform.python_implementation(), "machine": platform.machine(), "platform": platform.platform(),
            "cores": os.cpu_count(), "numpy": np.__version__, "pyarrow": pyarrow.__version__, "scipy": scipy.__version__,
            "lark": lark.__version__, "obcdsl": getattr(obcdsl, "__version__", None), "console_script": str(CONSOLE),
            "console_script_present": CONSOLE.exists(), "load_average_at_start": list(os.getloadavg()),
            "git_head_at_start": git_head(), "source_at_start": source_fingerprint()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     epilog="benchmarks: " + ", ".join(NAMES), formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="much smaller sizes and fewer runs, to try the code (figures not for the docs); "
                             "leaves out the test suite unless --only names it")
    parser.add_argument("--only", metavar="NAME[,NAME]", help="run only these benchmarks: " + ", ".join(NAMES))
    parser.add_argument("--json", default=str(ROOT / "benchmarks" / "results.json"), help="where to write the figures "
                        "(default benchmarks/results.json)")
    parser.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "obcdsl-benchmarks"),
                        help="where generated patient files are kept between runs (default: %(default)s)")
    args = parser.parse_args()
    if args.only:
        chosen = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in chosen if n not in NAMES]
        if unknown:
            parser.error(f"unknown benchmark {unknown[0]!r}; choose from {', '.join(NAMES)}")
    else:
        chosen = [n for n in NAMES if not (args.quick and n == "suite") and n != "spark"]  # spark: only when named
    rows: list = []
    info = machine()
    began = time.perf_counter()
    timings = {}
    with tempfile.TemporaryDirectory(prefix="obcdsl-bench-") as folder:
        context = {"base": Path(folder), "cache": Path(args.cache), "notes": []}
        for name in NAMES:
            if name not in chosen:
                continue
            gc.collect()  # what one benchmark left behind must not be charged to the next
            print(f"running {name} ...", file=sys.stderr, flush=True)
            start = time.perf_counter()
            context.setdefault("source_by_benchmark", {})[name] = source_fingerprint()
            BENCHES[name](rows, args.quick, context)
            timings[name] = time.perf_counter() - start
            print(f"  {name} took {timings[name]:.1f} s", file=sys.stderr, flush=True)
    info["load_average_at_end"] = list(os.getloadavg())
    info["git_head_at_end"] = git_head()
    info["source_at_end"] = source_fingerprint()
    if info["source_at_end"] != info["source_at_start"]:
        context["notes"].append(
            f"the source under obcdsl/ changed during the run (git HEAD {info['git_head_at_start']} → {info['git_head_at_end']}): "
            "in-process figures measure the code as first imported, child processes the code as it was when each ran")
    info["source_by_benchmark"] = context.get("source_by_benchmark", {})
    total = time.perf_counter() - began

    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"obcdsl benchmarks ({info['implementation']} {info['python']}, {info['cores']} cores, "
                        f"numpy {info['numpy']}, pyarrow {info['pyarrow']}{', QUICK' if args.quick else ''})",
                  title_justify="left", header_style="bold")
    for column in ("what", "case", "median", "min – max", "n", "throughput, notes"):
        table.add_column(column, overflow="fold")
    for entry in rows:
        has = "median" in entry
        table.add_row(entry["what"], entry["case"], show_time(entry["median"]) if has else "",
                      spread(entry) if has else "", str(entry.get("runs", "")),
                      entry["throughput"])
    Console(width=200).print(table)
    for note in context["notes"]:
        print(note)
    print(f"the whole run took {total:.0f} s ({', '.join(f'{k} {v:.0f} s' for k, v in timings.items())})")
    document = {**info, "quick": args.quick, "only": chosen, "total_seconds": total, "seconds_by_benchmark": timings,
                "notes": context["notes"], "results": rows}
    Path(args.json).write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
