"""`obcdsl diff OLD NEW [--data DATA [--patients FILE...]] [--year N | --all-years] [--format text|json|markdown]`.

Exit status as diff(1): 0 when the contracts are the same in every term, 1 when they differ, 2 for trouble (a
usage error, a file that cannot be read, a contract with errors, or data either contract cannot be paid from).
"""

from __future__ import annotations

import sys
from .clauses import ClauseChange, clause_changes, items
from .compare import ContractDiff, bounds_changes, year_change

EXIT_SAME, EXIT_DIFFERENT, EXIT_TROUBLE = 0, 1, 2


def add_parser(commands) -> None:
    diff = commands.add_parser("diff", help="what changes between two versions of a contract, in clauses and in money",
                               description="Compare two versions of a contract: clauses, bounds, and given data, payments.")
    diff.add_argument("old", metavar="OLD", help="the earlier .obc contract")
    diff.add_argument("new", metavar="NEW", help="the later .obc contract")
    diff.add_argument("--data", metavar="DATA", help="a year's data, to price the change line by line")
    diff.add_argument("--patients", metavar="FILE", nargs="+",
                      help="patient-level costs with the data, for a stop-loss and for activity paid per patient")
    years = diff.add_mutually_exclusive_group()
    years.add_argument("--year", type=int, metavar="N", help="the contract year (1 is the first)")
    years.add_argument("--all-years", action="store_true", help="every year of the term")
    diff.add_argument("--format", choices=("text", "json", "markdown"), default="text")


def checked(path: str):
    """The check result for `path` if it has no errors; else None, its diagnostics printed."""
    from ..checker import check_path
    from ..render import make_console, print_diagnostics

    result = check_path(path)
    if result.ok and result.contract is not None and result.source is not None:
        return result
    err = make_console(sys.stderr)
    print_diagnostics(err, result.diagnostics, result.source)
    errors = sum(1 for x in result.diagnostics if x.is_error)
    err.print(f"{path} has {errors} error{'s' if errors != 1 else ''}: it cannot be compared until they are fixed")
    return None


def run(args) -> int:
    from .. import api
    from ..bounds import bounds
    from ..cli import data_years, print_data_problems, readable_file
    from ..data import DataError, read_data
    from ..render import dumps
    from .render import to_markdown, to_text

    patients = list(args.patients or ()) if args.data else []
    for path, what in ((args.old, "contract"), (args.new, "contract")) + (((args.data, "data"),) if args.data else ()) \
            + tuple((p, "patient cost") for p in patients):
        if not readable_file(path, what):
            return EXIT_TROUBLE
    old, new = checked(args.old), checked(args.new)
    if old is None or new is None:
        return EXIT_TROUBLE
    old_contract, new_contract = api.Contract(old.contract, old.path), api.Contract(new.contract, new.path)
    terms = set(old_contract.years) | set(new_contract.years)
    if args.year is not None and args.year not in terms:
        sys.stderr.write(f"obcdsl: year {args.year} is outside both contracts' terms (years 1 to {max(terms)})\n")
        return EXIT_TROUBLE
    clauses: tuple[ClauseChange, ...] = tuple(clause_changes(items(old.contract, old.source), items(new.contract, new.source)))
    year_bounds = bounds_changes(bounds(old.contract), bounds(new.contract), [args.year] if args.year is not None else None)
    years = []
    if args.data:
        try:
            data = read_data(args.data, patients=(patients[0] if len(patients) == 1 else patients) or None)
            both = set(old_contract.years) & set(new_contract.years)
            if args.year is not None:
                wanted = [args.year]
            else:
                in_data = sorted(set(data_years(old_contract, data)) | set(data_years(new_contract, data)))
                wanted = in_data if args.all_years else in_data[-1:]
            outside = [y for y in wanted if y not in both]
            if outside:
                sys.stderr.write(f"obcdsl: year {outside[0]} is not a year of both contracts, so it cannot be priced in both\n")
                return EXIT_TROUBLE
            if not wanted:
                sys.stderr.write("obcdsl: the data has no rows for any year of the contracts; give --year\n")
                return EXIT_TROUBLE
            years = [year_change(old_contract.evaluate(data, year), new_contract.evaluate(data, year)) for year in wanted]
        except DataError as exc:
            print_data_problems(list(exc.diagnostics))
            return EXIT_TROUBLE
    diff = ContractDiff(old.path, new.path, name_of(old.contract), name_of(new.contract), clauses, year_bounds,
                        tuple(years), args.data)
    if args.format == "json":
        sys.stdout.write(dumps(diff.to_dict()) + "\n")
    elif args.format == "markdown":
        sys.stdout.write(to_markdown(diff) + "\n")
    else:
        sys.stdout.write(to_text(diff))
    return EXIT_SAME if diff.equal else EXIT_DIFFERENT


def name_of(contract) -> str:
    return contract.header.name if contract.header else ""
