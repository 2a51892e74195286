"""`obcdsl template CONTRACT --year N --out data.xlsx`: the data-entry workbook a contract needs."""

from __future__ import annotations


def add_parser(commands) -> None:
    template = commands.add_parser("template", help="the data-entry workbook a contract needs for a year",
                                   description="Write the spreadsheet a year's data is entered in; `evaluate --data` reads it back.")
    template.add_argument("contract", metavar="CONTRACT", help="the .obc contract")
    template.add_argument("--year", type=int, required=True, metavar="N", help="the contract year (1 is the first)")
    template.add_argument("--out", required=True, metavar="FILE.xlsx", help="the workbook to write")


def run(args) -> int:
    raise NotImplementedError("obcdsl template")
