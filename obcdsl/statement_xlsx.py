"""The statement as a workbook for finance to audit: figures as numbers, and every sum a live formula.

One sheet a year. Each line's amount is a number; what adds up is a formula
over the cells it adds (paid for outcomes, bonus, unearned, the risk share,
the total to the lead provider, the cost to the commissioner, each party's
share of the variance, each party's total), so that a change to a cell shows
in every total, and the workbook, recalculated, prints the statement's
figures to the penny. Amounts are written as exact decimals.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any, Optional, Sequence

from .statement import Statement
from .statement_render import line_rows, risk_rows, title_of

MONEY = '"£"#,##0.00;-"£"#,##0.00'
LINE_COLUMNS = ("Kind", "Outcome", "Indicator", "Title", "Segment", "Measured", "Threshold", "Reached", "Clause",
                "Allocation", "Amount", "Working")
AMOUNT = "K"  # the column of each line's amount


def write_workbook(statements: Sequence[Statement], path: str | Path) -> None:
    """Write each statement to a sheet of a new workbook at `path`."""
    from openpyxl import Workbook

    book = Workbook()
    assert book.active is not None  # a new workbook has its first sheet
    book.remove(book.active)
    for statement in statements:
        write_sheet(book.create_sheet(f"Year {statement.year}"), statement)
    book.save(path)


def block_sum(column: str, rows: list[int]) -> str | int:
    """`=SUM(K10:K14)` over a contiguous block of rows, 0 when there are none."""
    return f"=SUM({column}{rows[0]}:{column}{rows[-1]})" if rows else 0


def write_sheet(sheet: Any, statement: Statement) -> None:
    from openpyxl.styles import Alignment, Font

    bold = Font(bold=True)
    row = 1

    def put(values: Sequence[Any], strong: bool = False, money: Sequence[int] = ()) -> int:
        nonlocal row
        for index, value in enumerate(values, start=1):
            cell = sheet.cell(row=row, column=index, value=value)
            if strong:
                cell.font = bold
            if index in money:
                cell.number_format = MONEY
        row += 1
        return row - 1

    def section(title: str, header: Sequence[str]) -> None:
        nonlocal row
        row += 1
        put([title], strong=True)
        put(header, strong=True)

    put([title_of(statement)], strong=True)
    put([f"Commissioner: {statement.commissioner or '-'}; lead provider: {statement.lead_provider or '-'}"])
    put([f"Amounts to the penny; rounding {statement.rounding}. Totals are formulas over the cells they add."])

    if statement.budget_steps:
        section("Budget", ("Step", "Clause", "Amount"))
        for step in statement.budget_steps:
            put([step.description, step.clause or "", step.amount], money=(3,))

    section("Lines", LINE_COLUMNS)
    blocks: dict[str, list[int]] = {"outcomes": [], "bonus": [], "risk": [], "activity": []}
    for line in line_rows(statement):
        at = put([line.kind, line.outcome, line.name, line.title, line.segment, number(line.measured), number(line.threshold),
                  line.reached, line.clause, line.allocation, line.amount, line.explanation], money=(10, 11))
        sheet.cell(row=at, column=12).alignment = Alignment(wrap_text=True, vertical="top")
        block = ("outcomes" if line.kind in ("indicator", "measure") else "bonus" if line.kind == "bonus"
                 else "risk" if line.kind in ("risk share", "stop-loss") else "activity" if line.kind == "activity"
                 else None)  # carve-outs, deductions: totals of their own
        if block is not None:
            blocks[block].append(at)

    section("Totals", ("Total", "Key", "Amount"))
    cells: dict[str, str] = {}

    def total(key: str, label: str, value: Any) -> None:
        cells[key] = f"C{put([label, key, value], strong=key in ('total_to_provider', 'commissioner_cost'), money=(3,))}"

    if statement.budget is not None:
        total("budget", "Budget", statement.budget)
    if statement.carved_out is not None:
        total("carved_out", "Carved out of the budget, paid to its destinations", statement.carved_out)
    total("core", "Core payment", statement.core)
    if statement.deducted is not None:
        total("deducted", "Deducted from the core", statement.deducted)
    total("pot", "Outcomes pot, on top of the budget" if statement.pot_on_top else "Outcomes pot", statement.pot)
    total("outcomes", "Paid for outcomes", block_sum(AMOUNT, blocks["outcomes"]))
    unearned = f"={cells['pot']}-{cells['outcomes']}"
    if statement.outcomes_on_top is not None:
        total("outcomes_on_top", "of which on top of the pot (factors above 100%)", statement.outcomes_on_top)
        unearned += f"+{cells['outcomes_on_top']}"
    total("bonus", "Paid as bonus", block_sum(AMOUNT, blocks["bonus"]))
    total("unearned", "Unearned pot", f"{unearned}-{cells['bonus']}")
    total("risk_reserve", "Risk reserve, paid at settlement", statement.reserve)
    total("risk_share", "Risk share and stop-loss, to the provider", block_sum(AMOUNT, blocks["risk"]))
    if statement.activity is not None:
        total("activity", "Paid for activity", block_sum(AMOUNT, blocks["activity"]))
    if statement.top_up is not None:
        total("top_up", "Top-up to the floor on the total payment", statement.top_up)
    paid = "+".join(cells[k] for k in ("core", "outcomes", "bonus", "risk_reserve", "risk_share", "activity", "top_up") if k in cells)
    total("total_to_provider", "Total to the lead provider", "=" + paid + (f"-{cells['deducted']}" if "deducted" in cells else ""))
    reinvested = statement.unearned_destination == "reinvested"
    total("commissioner_cost", "Cost to the commissioner",
          f"={cells['total_to_provider']}" + (f"+{cells['unearned']}" if reinvested else "")
          + (f"+{cells['carved_out']}" if "carved_out" in cells else ""))

    if statement.risk is not None:
        section("Risk share", ("Clause", "Working", "Provider", "Commissioner"))
        bands: list[int] = []
        for part in risk_rows(statement):
            if part.total:
                continue
            at = put([part.clause, part.working, part.provider, part.commissioner], money=(3, 4))
            if part.provider is not None:
                bands.append(at)
        if statement.risk.variance is not None:
            shares = put(["", "shares of the variance", block_sum("C", bands), block_sum("D", bands)], strong=True, money=(3, 4))
            transfer = f"=D{shares}" if statement.risk.variance > 0 else f"=-D{shares}"
            put(["", "transfer to the provider (negative: returned)", transfer], strong=True, money=(3,))

    section("Distribution", ("Party", "Core", "Outcomes", "Bonus", "Other", "Total"))
    first = row
    for share in statement.distribution:
        put([share.title, share.core, share.outcomes, share.bonus, share.other, f"=SUM(B{row}:E{row})"], money=(2, 3, 4, 5, 6))
    last = row - 1
    put(["Total"] + [f"=SUM({c}{first}:{c}{last})" for c in "BCDEF"], strong=True, money=(2, 3, 4, 5, 6))

    for column, width in zip("ABCDEFGHIJKL", (44, 22, 26, 40, 18, 12, 12, 20, 10, 16, 16, 90)):
        sheet.column_dimensions[column].width = width


def number(text: str) -> Optional[Decimal]:
    """A measured value or threshold as a number, or nothing."""
    return Decimal(text) if text else None
