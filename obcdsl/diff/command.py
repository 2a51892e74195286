"""`obcdsl diff OLD NEW [--data DATA] [--year N | --all-years] [--format text|json|markdown]`."""

from __future__ import annotations


def add_parser(commands) -> None:
    diff = commands.add_parser("diff", help="what changes between two versions of a contract, in clauses and in money",
                               description="Compare two versions of a contract: clauses, bounds, and given data, payments.")
    diff.add_argument("old", metavar="OLD", help="the earlier .obc contract")
    diff.add_argument("new", metavar="NEW", help="the later .obc contract")
    diff.add_argument("--data", metavar="DATA", help="a year's data, to price the change line by line")
    years = diff.add_mutually_exclusive_group()
    years.add_argument("--year", type=int, metavar="N", help="the contract year (1 is the first)")
    years.add_argument("--all-years", action="store_true", help="every year of the term")
    diff.add_argument("--format", choices=("text", "json", "markdown"), default="text")


def run(args) -> int:
    raise NotImplementedError("obcdsl diff")
