"""The `obcdsl` command line.

Exit codes: 0 when clean, 1 when a contract has errors, 2 for usage or I/O
errors (a file that cannot be found or read).
"""

from __future__ import annotations

import argparse
import re
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any, Optional, Sequence

from . import __version__
from .checker import check_path, contract_files
from .diagnostics import Severity
from .render import diagnostics_json, dumps, make_console, print_diagnostics, summary_line

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2
EXIT_INTERNAL = 70  # EX_SOFTWARE
REVIEW_FORMATS = ("github", "sarif", "junit")  # for merge requests and CI (obcdsl/review.py, docs/ci.md)

# Commands whose code lives with their stage: each module has `add_parser(commands)` and `run(args) -> int`,
# and imports what is heavy (pygls, python-docx, Jinja2) inside `run`, so that `check` stays light.
STAGE_COMMANDS = {
    "render": "obcdsl.schedule.command",
    "diff": "obcdsl.diff.command",
    "template": "obcdsl.data_template",
    "lsp": "obcdsl.lsp.command",
}


def stage_command(name: str):
    import importlib

    return importlib.import_module(STAGE_COMMANDS[name])


class Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own exits with 2 too; keep its words short
        self.print_usage(sys.stderr)
        sys.stderr.write(f"obcdsl: error: {message}\n")
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="obcdsl", description="Write, check and settle outcomes-based contracts.")
    parser.add_argument("-V", "--version", action="version", version=f"obcdsl {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    check = commands.add_parser("check", help="parse and validate contracts", description="Parse and validate .obc contracts.")
    check.add_argument("paths", nargs="+", metavar="FILE_OR_DIR", help="contract files, or folders to search for .obc files")
    check.add_argument("--format", choices=("text", "json", *REVIEW_FORMATS), default="text",
                       help="text for people (default), json for tools, github for workflow annotations, "
                            "sarif for code scanning, junit for CI test reports (docs/ci.md)")
    check.add_argument("--bounds", action="store_true", help="print each year's least and most payments, proved from the contract alone")
    check.add_argument("--emit-test", metavar="DIR", help="write each counterexample as a data file that `obcdsl evaluate` reproduces")

    fmt = commands.add_parser(
        "fmt", help="lay out contracts in the canonical form, keeping every comment",
        description="Lay out .obc contracts in the canonical form: one item a line, two spaces a level, every comment kept. "
                    "The meaning never changes.",
    )
    fmt.add_argument("paths", nargs="+", metavar="FILE_OR_DIR", help="contract files, or folders to search for .obc files")
    fmt.add_argument("--check", action="store_true", help="change nothing; exit 1 if any file is not in the canonical layout")
    fmt.add_argument("--diff", action="store_true", help="change nothing; print what would change, as a unified diff")

    evaluate = commands.add_parser(
        "evaluate", help="compute a year's payment statement",
        description="Compute what is paid to whom, and why, from a contract and a year's data.",
    )
    evaluate.add_argument("contract", metavar="CONTRACT", help="the .obc contract")
    evaluate.add_argument("--data", required=True, metavar="DATA", help="indicator and cost data: .csv, .json or .xlsx")
    evaluate.add_argument("--patients", metavar="FILE", nargs="+",
                          help="patient-level costs for the stop-loss and for activity paid per patient: .csv or .parquet files, or a folder of them")
    years = evaluate.add_mutually_exclusive_group()
    years.add_argument("--year", type=int, metavar="N", help="the contract year (1 is the first); default: the latest year in the data")
    years.add_argument("--all-years", action="store_true", help="every year of the term for which the data has rows")
    evaluate.add_argument("--format", choices=("table", "json", "markdown", "csv", "xlsx"), default="table",
                          help="table for people (default), json for tools, markdown for papers, csv for spreadsheets, "
                               "xlsx for a workbook whose totals are live formulas (needs --out)")
    evaluate.add_argument("--out", metavar="FILE", help="write the statement to FILE instead of the screen")
    add_engine(evaluate, "where the patient costs of --patients (Parquet) are read, checked and summed")

    simulate = commands.add_parser(
        "simulate", help="the distribution of a year's payments over many scenarios",
        description="Draw scenarios of a year from a spec (TOML) and report the distribution of what is paid. "
                    "Several contracts (or a folder) with a portfolio spec are drawn together, with the system's total.",
    )
    simulate.add_argument("contracts", nargs="+", metavar="CONTRACT",
                          help="the .obc contract; or several, or a folder, with a portfolio spec (docs/simulate.md)")
    simulate.add_argument("--year", type=int, metavar="N",
                          help="the contract year to simulate (1 is the first); a portfolio spec gives each contract's own")
    simulate.add_argument("--scenarios", type=int, default=10_000, metavar="N",
                          help="how many scenarios of the year to draw (default 10,000)")
    simulate.add_argument("--spec", required=True, metavar="SPEC", help="distributions of indicators and cost (TOML)")
    simulate.add_argument("--seed", type=int, default=0, metavar="S", help="the same seed gives the same results (default 0)")
    simulate.add_argument("--workers", type=int, metavar="N",
                          help="processes to share the scenarios (default: the machine's cores from a million scenarios, "
                               "else this process alone); "
                               "the results are the same for any number")
    simulate.add_argument("--format", choices=("table", "json"), default="table", help="table for people (default), json for tools")
    simulate.add_argument("--plot", metavar="FILE.png", help="draw the income distribution and the payment curve")
    add_engine(simulate, "where the scenarios are paid; the figures are the same on either")
    for name in STAGE_COMMANDS:
        stage_command(name).add_parser(commands)
    return parser


def add_engine(command: argparse.ArgumentParser, what: str) -> None:
    """`--engine local|spark` and `--master URL` (docs/spark.md)."""
    command.add_argument("--engine", choices=("local", "spark"), default="local",
                         help=f"local (default) or spark (needs `pip install \"obcdsl[spark]\"` and Java 17): {what}")
    command.add_argument("--master", metavar="URL", help="the Spark master for --engine spark: local[*] (default), local[N], "
                                                         "spark://HOST:7077, yarn, k8s://...")


def spark_ready(args) -> bool:
    """For --engine spark: True if pyspark and Java are there; else say what to install. --master needs --engine spark."""
    if args.engine != "spark":
        if args.master is not None:
            sys.stderr.write("obcdsl: --master names a Spark master: give it with --engine spark\n")
            return False
        return True
    from .spark.session import SparkUnavailable, require_spark

    try:
        require_spark()
    except SparkUnavailable as exc:
        sys.stderr.write(f"obcdsl: {exc}\n")
        return False
    return True


def run_check(args) -> int:
    if args.bounds and args.format in REVIEW_FORMATS:
        sys.stderr.write(f"obcdsl: --bounds prints a table or JSON; it cannot go with --format {args.format}\n")
        return EXIT_USAGE
    files, problems = contract_files(args.paths)
    results = [check_path(f) for f in files]
    io_failure = any(p.severity is Severity.ERROR for p in problems) or any(
        x.code == "OBC001" for r in results for x in r.diagnostics
    )
    errors = sum(1 for r in results for x in r.diagnostics if x.is_error)
    if args.format in REVIEW_FORMATS:
        from . import review

        sys.stdout.write(getattr(review, args.format)(results, problems=problems))
    elif args.format == "json":
        document = diagnostics_json(results)
        document["problems"] = [p.to_dict() for p in problems]
        if args.bounds:
            document["bounds"] = bounds_documents(results)
        sys.stdout.write(dumps(document) + "\n")
    else:
        out = make_console(sys.stdout)
        err = make_console(sys.stderr)
        for problem in problems:
            print_diagnostics(err, [problem], None)
        for result in results:
            print_diagnostics(out, result.diagnostics, result.source)
        warnings = sum(1 for r in results for x in r.diagnostics if x.severity is Severity.WARNING)
        if results:
            out.print(summary_line(errors, warnings, len(results)))
        else:
            err.print("no contracts were checked")
    if args.bounds and args.format == "text":
        print_bounds(results)
    if args.emit_test:
        emit_counterexamples(results, Path(args.emit_test))
    if io_failure:
        return EXIT_USAGE
    return EXIT_ERRORS if errors else EXIT_OK


FMT_SKIP = re.compile(r"^\s*#.*\bfmt: skip\b", re.MULTILINE)  # a comment line asking `obcdsl fmt` to leave the file


def run_fmt(args) -> int:
    """`obcdsl fmt`: rewrite files in place, or with --check / --diff only say what would change."""
    import difflib

    from .checker import check_bytes, decode
    from .layout import layout

    files, problems = contract_files(args.paths)
    err = make_console(sys.stderr)
    for problem in problems:
        print_diagnostics(err, [problem], None)
    unchanged = changed = broken = skipped = 0
    for name in files:
        data = Path(name).read_bytes()
        source, reading = decode(data, name)
        if source is not None and FMT_SKIP.search(source.text):
            skipped += 1  # a file kept as written on purpose: an example of a mistake, say
            continue
        formatted = layout(source.text) if source is not None else None
        if source is None or formatted is None:
            result = check_bytes(data, name)
            print_diagnostics(err, [x for x in result.diagnostics if x.is_error] or reading, result.source)
            broken += 1
            continue
        if formatted == source.text and not data.startswith(b"\xef\xbb\xbf") and b"\r" not in data:
            unchanged += 1
            continue
        changed += 1
        if args.diff:
            sys.stdout.writelines(difflib.unified_diff(source.text.splitlines(keepends=True), formatted.splitlines(keepends=True),
                                                       fromfile=name, tofile=f"{name} (formatted)"))
        elif args.check:
            sys.stdout.write(f"would reformat {name}\n")
        else:
            Path(name).write_text(formatted, encoding="utf-8")
            sys.stdout.write(f"reformatted {name}\n")
    verb = "would be reformatted" if args.check or args.diff else "reformatted"
    err.print(f"{changed} file{'s' if changed != 1 else ''} {verb}, {unchanged} unchanged"
              + (f", {broken} with syntax errors left as they are" if broken else "")
              + (f", {skipped} marked `# fmt: skip`" if skipped else ""))
    if any(p.severity is Severity.ERROR for p in problems):
        return EXIT_USAGE
    return EXIT_ERRORS if broken or ((args.check or args.diff) and changed) else EXIT_OK


def contract_bounds(results):
    """(path, year bounds) for each contract whose amounts are defined."""
    from .bounds import bounds as year_bounds

    for result in results:
        if result.contract is None or result.contract.term is None:
            continue
        try:
            yield result.path, year_bounds(result.contract)
        except Exception:  # a contract whose errors leave amounts undefined
            make_console(sys.stderr).print(f"{result.path}: bounds cannot be computed until its errors are fixed")


def bounds_documents(results) -> list:
    from .money import json_money

    def pair(r):
        return {"least": json_money(r.least), "most": None if r.most is None else json_money(r.most)}

    documents = []
    for path, years in contract_bounds(results):
        documents.append({"path": path, "years": [
            {"year": b.year, "budget": None if b.budget is None else json_money(b.budget), "pot": json_money(b.pot),
             **{name: pair(r) for name, r in (("core", b.core), ("outcomes", b.outcomes), ("bonus", b.bonus),
                                                ("risk_reserve", b.reserve), ("risk_share", b.risk_share),
                                                ("stop_loss", b.stop_loss), ("total", b.total)) if r is not None}}
            for b in years]})
    return documents


def print_bounds(results) -> None:
    """`check --bounds`: a table per contract, a row per year ("no limit" where none exists)."""
    from rich.table import Table

    from .money import pounds

    def span(r):
        if r is None:
            return "-"
        return f"{pounds(r.least)} to {'no limit' if r.most is None else pounds(r.most)}"

    console = make_console(sys.stdout)
    if not console.is_terminal:
        console.width = max(console.width, 170)
    for path, years in contract_bounds(results):
        table = Table(title=f"Payment bounds: {path}", title_justify="left", header_style="bold")
        for column in ("Year", "Pot", "Core", "Outcome payments", "Bonus", "Risk share to the provider", "Total to the provider"):
            table.add_column(column, justify="right")
        for b in years:
            risk = b.risk_share
            if b.stop_loss is not None:
                risk = b.stop_loss if risk is None else risk + b.stop_loss
            table.add_row(str(b.year), pounds(b.pot), pounds(b.core.most), span(b.outcomes), span(b.bonus), span(risk), span(b.total))
        console.print(table)


def emit_counterexamples(results, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for result in results:
        for diagnostic in result.diagnostics:
            example = diagnostic.counterexample
            if not example:
                continue
            name = f"{Path(result.path).stem}.{diagnostic.code}.year{example['year']}.csv"
            (directory / name).write_text(example["csv"], encoding="utf-8")
            make_console(sys.stderr).print(
                f"wrote {directory / name}: obcdsl evaluate {result.path} --data {directory / name} --year {example['year']}"
            )


def print_data_problems(problems) -> None:
    """Data diagnostics on stderr, with the data file's line shown where the file is text."""
    from .source import SourceFile
    from .tables import problem_count

    err = make_console(sys.stderr)
    sources: dict[str, Optional[SourceFile]] = {}
    for problem in problems:
        name = problem.span.file if problem.span else None
        if name is not None and name not in sources:
            sources[name] = None
            if name.lower().endswith((".csv", ".json", ".txt", ".obc")):
                try:
                    text = Path(name).read_text(encoding="utf-8-sig").replace("\r\n", "\n")
                    sources[name] = SourceFile(name, text)
                except (OSError, UnicodeDecodeError):
                    pass
        print_diagnostics(err, [problem], sources.get(name) if name else None)
    errors = problem_count(p for p in problems if p.is_error)  # a summary line stands for the rows it counts
    err.print(f"{errors:,} data problem{'s' if errors != 1 else ''}: nothing was computed")


def data_years(contract, data) -> list[int]:
    years = sorted({p.year for p in data.points if p.year is not None} | data.patient_years())
    return [y for y in years if y in contract.years]


def readable_file(path: str, what: str, folder_ok: bool = False) -> bool:
    """True if `path` is a file (or, where allowed, a folder); else say plainly why not, and where it was looked for."""
    found = Path(path)
    if found.is_file() or (folder_ok and found.is_dir()):
        return True
    if found.is_dir():
        sys.stderr.write(f"obcdsl: `{path}` is a folder; give the {what} file itself\n")
    else:
        where = "" if found.is_absolute() else f" (looked for from {Path.cwd()})"
        sys.stderr.write(f"obcdsl: no such {what} file: `{path}`{where}\n")
    return False


def checked_contract(path: str):
    """The contract at `path`, checked once; None (its errors printed) if it has any: nothing is paid from it."""
    from . import api

    result = check_path(path)
    if result.ok and result.contract is not None:
        return api.Contract(result.contract, result.path, result.diagnostics)
    err = make_console(sys.stderr)
    print_diagnostics(err, result.diagnostics, result.source)
    errors = sum(1 for x in result.diagnostics if x.is_error)
    err.print(f"the contract has {errors} error{'s' if errors != 1 else ''}: nothing was computed")
    return None


def run_evaluate(args) -> int:
    from .data import DataError, read_data
    from .statement_render import print_table, to_csv, to_json, to_markdown

    paths = [(args.contract, "contract"), (args.data, "data")] + [(p, "patient cost") for p in args.patients or ()]
    for path, what in paths:
        if not readable_file(path, what, folder_ok=what == "patient cost"):
            return EXIT_USAGE
    if args.format == "xlsx" and not args.out:
        sys.stderr.write("obcdsl: --format xlsx writes a workbook: give the file to write with --out FILE.xlsx\n")
        return EXIT_USAGE
    if not spark_ready(args):
        return EXIT_USAGE
    contract = checked_contract(args.contract)
    if contract is None:
        return EXIT_ERRORS
    try:
        patients = args.patients[0] if args.patients and len(args.patients) == 1 else args.patients
        if args.engine == "spark" and patients is not None:
            from .spark.stop_loss import read_data as read_on_spark

            data = read_on_spark(args.data, patients=patients, master=args.master)
        else:
            data = read_data(args.data, patients=patients)
        if args.all_years:
            years = data_years(contract, data)
        elif args.year is not None:
            years = [args.year]
        else:
            years = data_years(contract, data)[-1:]
        if not years:
            sys.stderr.write("obcdsl: the data has no rows for any year of the contract; give --year\n")
            return EXIT_ERRORS
        for year in years:
            if year not in contract.years:
                sys.stderr.write(f"obcdsl: year {year} is outside the contract term (years 1 to {contract.years[-1]})\n")
                return EXIT_USAGE
        statements = [contract.evaluate(data, year=year) for year in years]
    except DataError as exc:
        problems = list(exc.diagnostics)
        if exc.partial is not None:
            from .data_validation import validate

            problems += validate(contract.ast, exc.partial)
        print_data_problems(sorted(problems, key=lambda p: (p.span.file, p.span.line, p.span.column) if p.span else ("", 0, 0)))
        return EXIT_ERRORS
    if args.format == "xlsx":
        from .statement_xlsx import write_workbook

        write_workbook(statements, args.out)
        sys.stderr.write(f"wrote {args.out}\n")
        return EXIT_OK
    out = open(args.out, "w", encoding="utf-8", newline="") if args.out else sys.stdout
    try:
        if args.format == "json":
            out.write(to_json(statements, args.all_years) + "\n")
        elif args.format == "markdown":
            out.write(to_markdown(statements) + "\n")
        elif args.format == "csv":
            out.write(to_csv(statements))
        else:
            print_table(make_console(out, force_terminal=False if args.out else None), statements)
    finally:
        if args.out:
            out.close()
    return EXIT_OK


def run_simulate(args) -> int:
    import json

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from .portfolio import is_portfolio_spec
    from .simulate import SpecError, plot, simulate, workers_available
    from .vector import year_model

    if not readable_file(args.spec, "spec"):
        return EXIT_USAGE
    portfolio = is_portfolio_spec(args.spec)
    if portfolio:
        files, problems = contract_files(args.contracts)
        if problems:
            print_diagnostics(make_console(sys.stderr), problems, None)
            return EXIT_USAGE
    else:
        if len(args.contracts) > 1 or Path(args.contracts[0]).is_dir():
            sys.stderr.write("obcdsl: several contracts are simulated with a portfolio spec, one with a `[contracts]` table "
                             "(docs/simulate.md)\n")
            return EXIT_USAGE
        if not readable_file(args.contracts[0], "contract"):
            return EXIT_USAGE
        if args.year is None:
            sys.stderr.write("obcdsl: give the contract year to simulate with --year N\n")
            return EXIT_USAGE
        files = args.contracts
    if args.scenarios < 1:
        sys.stderr.write("obcdsl: --scenarios must be at least 1\n")
        return EXIT_USAGE
    if args.workers is not None and args.workers < 1:
        sys.stderr.write("obcdsl: --workers must be at least 1\n")
        return EXIT_USAGE
    if args.engine == "spark" and args.workers is not None:
        sys.stderr.write("obcdsl: --workers is for the local engine; on Spark the cluster's cores share the chunks\n")
        return EXIT_USAGE
    if not spark_ready(args):
        return EXIT_USAGE
    if portfolio and args.plot:
        sys.stderr.write("obcdsl: --plot draws one contract's year; it cannot go with a portfolio spec\n")
        return EXIT_USAGE
    checked = [checked_contract(f) for f in files]
    if any(c is None for c in checked):
        return EXIT_ERRORS
    contracts = [c for c in checked if c is not None]
    if not portfolio and args.year not in contracts[0].years:
        sys.stderr.write(f"obcdsl: year {args.year} is outside the contract term (years 1 to {contracts[0].years[-1]})\n")
        return EXIT_USAGE
    workers = args.workers or workers_available(args.scenarios)
    err = make_console(sys.stderr)
    progress = Progress(TextColumn("simulating"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                        console=err, transient=True, disable=not err.is_terminal)
    try:
        with progress:
            task = progress.add_task("simulate", total=args.scenarios)

            def advance(n: int) -> None:
                progress.advance(task, n)

            if args.engine == "spark":
                from .spark import simulation

                if portfolio:
                    result: Any = simulation.simulate_portfolio(contracts, args.spec, args.scenarios, args.seed, args.year,
                                                                master=args.master, progress=advance)
                else:
                    result = simulation.simulate(contracts[0], args.year, args.spec, args.scenarios, args.seed, master=args.master,
                                                 progress=advance)
            elif portfolio:
                from .portfolio import simulate_portfolio

                result = simulate_portfolio(contracts, args.spec, args.scenarios, args.seed, args.year, workers, advance)
            else:
                result = simulate(contracts[0], args.year, args.spec, args.scenarios, args.seed, workers, advance)
    except SpecError as exc:
        print_diagnostics(err, exc.diagnostics, None)
        return EXIT_ERRORS
    if args.plot:  # one contract: `result` is its Summary
        plot(result, year_model(contracts[0].ast, args.year), args.plot)
        err.print(f"wrote {args.plot}")
    if args.format == "json":
        sys.stdout.write(json.dumps(result.to_dict(), indent=2) + "\n")
        return EXIT_OK
    out = make_console(sys.stdout)
    if not out.is_terminal:
        out.width = max(out.width, 140)
    if portfolio:
        print_portfolio(out, result)
    else:
        print_summary(out, result)
    return EXIT_OK


def print_summary(out, summary) -> None:
    """One contract's simulation as tables: what is paid, the bands reached, the caps binding."""
    from rich.table import Table

    from .money import pounds
    from .simulate import LABELS

    out.print(f"{summary.contract}: year {summary.year}, {summary.scenarios:,} scenarios, seed {summary.seed}")
    table = Table(title="What is paid", title_justify="left", header_style="bold")
    for column in ("", "mean", "5%", "25%", "50%", "75%", "95%"):
        table.add_column(column, justify="left" if not column else "right", no_wrap=True)
    for key, label in LABELS.items():
        if key not in summary.measures:
            continue
        m = summary.measures[key]
        table.add_row(label, *(pounds(Decimal(str(m[k]))) for k in ("mean", "p5", "p25", "p50", "p75", "p95")))
    out.print(table)
    bands = Table(title="Probability of reaching each band (or better)", title_justify="left", header_style="bold")
    bands.add_column("Indicator")
    bands.add_column("Bands")
    for key, probabilities in summary.bands.items():
        bands.add_row(key, ", ".join(f"{name} {p:.1%}" for name, p in probabilities.items()))
    out.print(bands)
    out.print(f"Probability that a cap binds: {summary.cap_binds:.1%}")


def print_portfolio(out, result) -> None:
    """A portfolio: each contract's commissioner cost and provider income, the system's total, the allocation."""
    from rich.table import Table

    from .money import pounds

    out.print(f"Portfolio of {len(result.contracts)} contracts, {result.scenarios:,} scenarios, seed {result.seed}")
    table = Table(title="Commissioner cost (and provider income)", title_justify="left", header_style="bold")
    for column in ("", "year", "mean", "5%", "25%", "50%", "75%", "95%"):
        table.add_column(column, justify="left" if not column else "right", no_wrap=True)

    def cells(m) -> list[str]:
        return [pounds(Decimal(str(m[k]))) for k in ("mean", "p5", "p25", "p50", "p75", "p95")]

    for key, _, summary in result.contracts:
        table.add_row(key, str(summary.year), *cells(summary.measures["commissioner_cost"]))
    table.add_row("[bold]system total[/bold]", "", *cells(result.totals["commissioner_cost"]))
    table.add_row("provider income, total", "", *cells(result.totals["provider_income"]))
    out.print(table)
    if result.allocation is not None:
        out.print(f"Allocation {pounds(result.allocation)}: probability the system's total exceeds it "
                  f"{result.over_allocation:.1%}")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    try:
        if args.command == "check":
            return run_check(args)
        if args.command == "fmt":
            return run_fmt(args)
        if args.command == "evaluate":
            return run_evaluate(args)
        if args.command == "simulate":
            return run_simulate(args)
        if args.command in STAGE_COMMANDS:
            return stage_command(args.command).run(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except OSError as exc:  # a file that cannot be written (no such folder, no permission, disk full): an I/O error
        if said_spark_stopped(args, exc):
            return EXIT_USAGE
        where = f" (`{exc.filename}`)" if exc.filename else ""
        sys.stderr.write(f"obcdsl: {(exc.strerror or str(exc)).lower()}{where}\n")
        return EXIT_USAGE
    except Exception as exc:  # a last net: obcdsl's own fault, never the user's input, so say so plainly
        import os

        from .spark.session import SparkUnavailable  # light: pyspark is not imported

        if isinstance(exc, SparkUnavailable):  # Spark could not start (the master unreachable, say): not obcdsl's fault
            sys.stderr.write(f"obcdsl: {exc}\n")
            return EXIT_USAGE
        if said_spark_stopped(args, exc):
            return EXIT_USAGE
        if os.environ.get("OBCDSL_DEBUG"):
            raise
        sys.stderr.write(f"obcdsl: internal error ({type(exc).__name__}: {exc}).\n"
                         "This is a fault in obcdsl, not in your files; please report it with the command you ran. "
                         "Set OBCDSL_DEBUG=1 to see the details.\n")
        return EXIT_INTERNAL
    return EXIT_USAGE


def said_spark_stopped(args, exc: BaseException) -> bool:
    """With --engine spark, Spark's JVM gone under the job (out of memory, most often): said plainly, and True."""
    if getattr(args, "engine", None) != "spark":
        return False
    from .spark.session import stopped_message  # light: pyspark is not imported

    stopped = stopped_message(exc)
    if stopped is not None:
        sys.stderr.write(f"obcdsl: {stopped}\n")
    return stopped is not None


def entry_point() -> None:
    sys.exit(main())
