"""Renderings of payment statements: a rich table, Markdown, CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from typing import Sequence

from rich.console import Console, Group, RenderableType
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from .money import json_money, pounds
from .statement import Statement


def title_of(statement: Statement) -> str:
    year = f"year {statement.year}"
    if statement.financial_year:
        year += f" ({statement.financial_year})"
    phase = f", phase `{statement.phase}`" if statement.phase else ""
    return f"{statement.contract}: {year}{phase}"


def destination_words(statement: Statement) -> str:
    if statement.unearned_destination == "reinvested":
        return "reinvested in " + ", ".join(f'"{s}"' for s in statement.unearned_services)
    return "retained by the commissioner"


def summary_rows(statement: Statement) -> list[tuple[str, Decimal]]:
    rows: list[tuple[str, Decimal]] = []
    if statement.budget is not None:
        rows.append(("Budget", statement.budget))
    rows += [
        ("Core payment", statement.core),
        ("Outcomes pot", statement.pot),
        ("  paid for outcomes", statement.outcomes_paid),
        ("  paid as bonus", statement.bonus_paid),
        (f"  unearned, {destination_words(statement)}", statement.unearned),
    ]
    if statement.overpayment:
        rows.append(("  OVERPAID beyond the pot", statement.overpayment))
    if statement.reserve:
        rows.append(("Risk reserve, paid at settlement", statement.reserve))
    if statement.risk is not None:
        rows.append(("Risk share and stop-loss, to the provider", statement.risk_share))
    rows.append(("Total to the lead provider", statement.total_to_provider))
    return rows


def money_width(header: str, amounts) -> int:
    """The width of the widest amount or the heading, so that a column of money is never cut."""
    return max([len(header)] + [len(pounds(a)) for a in amounts if a is not None])


def clause_width(statement: Statement) -> int:
    return max([len("Clause")] + [len(line.clause) for line in statement.lines if line.clause])


def as_table(statement: Statement) -> Group:
    """The statement as rich renderables, for a finance lead to read."""
    parts: list[RenderableType] = []
    heading = Text(title_of(statement), style="bold")
    parties = Text(f"Commissioner: {statement.commissioner or '-'}    Lead provider: {statement.lead_provider or '-'}")
    parts += [heading, parties, Text(f"Amounts to the penny; rounding {statement.rounding}; parts add up exactly to their totals.", style="dim")]

    if statement.budget_steps:
        budget = Table(title="Budget", title_justify="left", show_header=True, header_style="bold", expand=False)
        budget.add_column("Step", overflow="fold")
        budget.add_column("Clause", overflow="fold")
        budget.add_column("Amount", justify="right", no_wrap=True, min_width=money_width("Amount", [s.amount for s in statement.budget_steps]))
        for step in statement.budget_steps:
            budget.add_row(step.description, step.clause or "", pounds(step.amount))
        parts.append(budget)

    lines = Table(title="Outcome payments", title_justify="left", header_style="bold", show_lines=False)
    lines.add_column("Clause", no_wrap=True, min_width=clause_width(statement))
    lines.add_column("Working", overflow="fold")
    lines.add_column("Paid", justify="right", no_wrap=True, min_width=money_width("Paid", [line.amount for line in statement.lines]))
    for line in statement.lines:
        if line.kind in ("indicator", "bonus"):
            lines.add_row(line.clause or "", line.explanation, pounds(line.amount))
    parts.append(lines)

    if statement.risk is not None:
        risk = statement.risk
        table = Table(title="Risk share", title_justify="left", header_style="bold")
        table.add_column("Clause", no_wrap=True, min_width=clause_width(statement))
        table.add_column("Working", overflow="fold")
        amounts = [risk.transfer, risk.provider_share, risk.commissioner_share]
        amounts += [a for line in statement.lines for a in line.party_amounts.values()]
        amounts += [line.amount for line in statement.lines if line.kind == "stop-loss"]
        table.add_column("Provider", justify="right", no_wrap=True, min_width=money_width("Provider", amounts))
        table.add_column("Commissioner", justify="right", no_wrap=True, min_width=money_width("Commissioner", amounts))
        if risk.variance is not None:
            # the variance is the actual cost less stop-loss less the budget (interpret.Run.settle): all three are known
            assert risk.actual_cost is not None and statement.budget is not None
            table.add_row("", f"actual cost {pounds(risk.actual_cost)}, less stop-loss {pounds(risk.stop_loss)}, "
                              f"less budget {pounds(statement.budget)}: variance {pounds(risk.variance)}", "", "")
        for line in statement.lines:
            if line.kind == "stop-loss":
                table.add_row(line.clause or "", line.explanation, "", pounds(line.amount))
            elif line.kind == "risk share":
                table.add_row(line.clause or "", line.explanation,
                              pounds(line.party_amounts.get("provider", 0)), pounds(line.party_amounts.get("commissioner", 0)))
        if risk.variance is not None:
            table.add_row("", Text("shares of the variance", style="bold"), pounds(risk.provider_share), pounds(risk.commissioner_share))
            table.add_row("", Text("transfer to the provider (negative: returned)", style="bold"), pounds(risk.transfer), "")
        parts.append(table)

    summary = Table(title="Summary", title_justify="left", header_style="bold")
    summary.add_column("Component", overflow="fold")
    summary.add_column("Amount", justify="right", no_wrap=True, min_width=money_width("Amount", [a for _, a in summary_rows(statement)]))
    for label, amount in summary_rows(statement):
        style = "bold" if label.startswith("Total") else ""  # "": rich's own default, no style
        summary.add_row(Text(label, style=style), Text(pounds(amount), style=style))
    parts.append(summary)

    if len(statement.distribution) > 1:
        distribution = Table(title="Distribution", title_justify="left", header_style="bold")
        for column in ("Party", "Core", "Outcomes", "Bonus", "Other", "Total"):
            if column == "Party":
                distribution.add_column(column, overflow="fold")
            else:
                distribution.add_column(column, justify="right", no_wrap=True, min_width=money_width(
                    column, [a for share in statement.distribution for a in (share.core, share.outcomes, share.bonus, share.other, share.total)]))
        for share in statement.distribution:
            distribution.add_row(share.title, pounds(share.core), pounds(share.outcomes), pounds(share.bonus),
                                 pounds(share.other), pounds(share.total))
        parts.append(distribution)
    spaced: list[RenderableType] = []
    for part in parts:
        if isinstance(part, Table):
            spaced.append(Text(""))
        spaced.append(part)
    return Group(*spaced)


def print_table(console: Console, statements: Sequence[Statement]) -> None:
    """Print each statement; figures are never cut, so a console too narrow for them is widened."""
    for index, statement in enumerate(statements):
        if index:
            console.print()
        table = as_table(statement)
        needed = max(Measurement.get(console, console.options, part).minimum for part in table.renderables)
        console.print(table, width=max(console.width, needed))


def to_json(statements: Sequence[Statement], all_years: bool) -> str:
    if all_years:
        document = {"contract": statements[0].contract if statements else "", "years": [s.to_dict() for s in statements]}
    else:
        document = statements[0].to_dict()
    return json.dumps(document, indent=2, ensure_ascii=False)


def markdown_cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def to_markdown(statements: Sequence[Statement]) -> str:
    out = []
    for statement in statements:
        out.append(f"## {markdown_cell(title_of(statement))}\n")
        out.append(f"Commissioner: {statement.commissioner or '-'}; lead provider: {statement.lead_provider or '-'}. "
                   f"Amounts to the penny, rounding {statement.rounding}.\n")
        out.append("| Clause | Working | Paid |\n|---|---|---:|")
        for line in statement.lines:
            out.append(f"| {markdown_cell(line.clause or '')} | {markdown_cell(line.explanation)} | {pounds(line.amount)} |")
        out.append("\n| Component | Amount |\n|---|---:|")
        for label, amount in summary_rows(statement):
            out.append(f"| {markdown_cell(label.strip())} | {pounds(amount)} |")
        if len(statement.distribution) > 1:
            out.append("\n| Party | Core | Outcomes | Bonus | Other | Total |\n|---|---:|---:|---:|---:|---:|")
            for share in statement.distribution:
                out.append(f"| {markdown_cell(share.title)} | {pounds(share.core)} | {pounds(share.outcomes)} | "
                           f"{pounds(share.bonus)} | {pounds(share.other)} | {pounds(share.total)} |")
        out.append("")
    return "\n".join(out)


CSV_COLUMNS = ("contract", "year", "kind", "name", "title", "clause", "amount", "explanation")


def to_csv(statements: Sequence[Statement]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for statement in statements:
        for line in statement.lines:
            writer.writerow([statement.contract, statement.year, line.kind, line.name, line.title, line.clause or "",
                             json_money(line.amount), line.explanation])
        totals = [
            ("budget", statement.budget), ("core", statement.core), ("pot", statement.pot),
            ("outcomes", statement.outcomes_paid), ("bonus", statement.bonus_paid),
            ("unearned", statement.unearned), ("risk_reserve", statement.reserve),
            ("risk_share", statement.risk_share), ("total_to_provider", statement.total_to_provider),
        ]
        for name, amount in totals:
            if amount is None:
                continue
            writer.writerow([statement.contract, statement.year, "total", name, name.replace("_", " "), "", json_money(amount), ""])
    return buffer.getvalue()
