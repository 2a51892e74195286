"""Renderings of payment statements: a rich table, Markdown, CSV and JSON (the workbook is `statement_xlsx`).

Every form is built from the same rows: `line_rows` (one per line, and per
segment of an indicator measured by segment), `risk_rows` (the settlement
band by band) and `summary_rows` (the totals). Figures are never cut.
"""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal
from typing import NamedTuple, Optional, Sequence

from rich.console import Console, Group, RenderableType
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from .activity_statement import volume_text
from .money import ZERO, json_money, percent_text, pounds
from .statement import Line, Statement, plain


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
    if statement.carved_out is not None:
        rows.append(("Carved out of the budget, paid to its destinations", statement.carved_out))
    rows.append(("Core payment", statement.core))
    if statement.deducted is not None:
        rows.append(("  deducted from the core", statement.deducted))
    rows += [
        ("Outcomes pot, on top of the budget" if statement.pot_on_top else "Outcomes pot", statement.pot),
        ("  paid for outcomes", statement.outcomes_paid),
        *([("    of which on top of the pot (factors above 100%)", statement.outcomes_on_top)]
          if statement.outcomes_on_top is not None else []),
        ("  paid as bonus", statement.bonus_paid),
        (f"  unearned, {destination_words(statement)}", statement.unearned),
    ]
    if statement.overpayment:
        rows.append(("  OVERPAID beyond the pot", statement.overpayment))
    if statement.activity is not None:
        rows.append(("Paid for activity", statement.activity))
    if statement.reserve:
        rows.append(("Risk reserve, paid at settlement", statement.reserve))
    if statement.risk is not None:
        rows.append(("Risk share and stop-loss, to the provider", statement.risk_share))
    if statement.top_up is not None:
        rows.append(("Top-up to the floor on the total payment", statement.top_up))
    rows.append(("Total to the lead provider", statement.total_to_provider))
    if statement.commissioner_cost != statement.total_to_provider:
        with_what = [w for w, stated in (("the pot reinvested", statement.unearned_destination == "reinvested" and statement.unearned),
                                         ("the carve-outs", statement.carved_out)) if stated]
        rows.append(("Cost to the commissioner, with " + " and ".join(with_what), statement.commissioner_cost))
    return rows


COMPONENT_KINDS = ("carve-out", "deduction", "top-up")  # lines for what the payments section states beside core and pot


class LineRow(NamedTuple):
    """One row of the statement's lines: a line, or one segment of an indicator measured by segment."""

    kind: str
    outcome: str
    name: str
    title: str
    segment: str
    measured: str  # the value as measured, in the indicator's unit ("" when there is none)
    threshold: str
    reached: str  # the band, "met" / "not met", the share of a sliding scale, "not linked to payment this year"
    allocation: Optional[Decimal]
    amount: Optional[Decimal]  # None for a measure, which pays nothing itself
    clause: str
    explanation: str


def reached_words(line: Line, facts: dict) -> str:
    """What the line reached, in a word or two."""
    if line.kind == "measure":
        return "no payment rule"
    if line.kind == "bonus":
        return "condition holds" if line.amount else "not paid"
    if line.kind == "activity":
        return activity_reached(line)
    if line.kind != "indicator":
        return ""
    if not line.linked:
        return "not linked to payment this year"
    if "value" not in facts:
        return "no data"
    if "band" in facts:
        return str(facts["band"])
    if "met" in facts:
        return "met" if facts["met"] else "not met"
    if "share" in facts:
        return f"{percent_text(facts['share'])} of the scale"
    return "no band reached" if line.rule == "bands" else ""


def activity_reached(line: Line) -> str:
    """An activity line's band (`below collar`, `within plan`, `marginal`, `above ceiling`), or why it has none."""
    if line.inputs.get("in_force") is False:
        return "not in force"
    return str(line.inputs.get("band", ""))


def activity_volume(line: Line) -> str:
    volume = line.inputs.get("volume")
    return "" if volume is None else volume_text(volume)


def activity_price(line: Line) -> str:
    price = line.inputs.get("price")
    if price is None:
        return ""
    unit = line.inputs.get("unit")
    return pounds(price) + (f" per {unit}" if unit else "")


def line_reached(line: Line) -> str:
    """What a whole line reached; for an indicator measured by segment, each segment's in turn."""
    parts = line.inputs if line.kind in ("indicator", "measure") and line.inputs else {"value": {}}
    if set(parts) == {"value"}:
        return reached_words(line, parts["value"])
    return "; ".join(f"{segment}: {reached_words(line, facts)}" for segment, facts in parts.items())


def line_rows(statement: Statement) -> list[LineRow]:
    """The statement's lines as rows; the amounts of an indicator's segments add up to the line's."""
    rows = []
    for line in statement.lines:
        parts = line.inputs if line.kind in ("indicator", "measure") and line.inputs else {"value": {}}
        by_segment = any(key != "value" for key in parts)
        for key, facts in parts.items():
            measured = facts.get("value") if isinstance(facts, dict) else None
            if line.kind == "activity":
                measured = line.inputs.get("volume")
            threshold = facts.get("threshold") if isinstance(facts, dict) else None
            amount: Optional[Decimal] = None if line.kind == "measure" else line.amount
            allocation = line.allocation
            if by_segment:
                amount = None if line.kind == "measure" else facts.get("paid", ZERO)
                allocation = facts.get("allocation")
            rows.append(LineRow(line.kind, line.outcome or "", line.name, line.title, key if by_segment else "",
                                "" if measured is None else plain(measured), "" if threshold is None else plain(threshold),
                                reached_words(line, facts), allocation, amount, line.clause or "", line.explanation))
    return rows


class RiskRow(NamedTuple):
    """One step of the risk-share settlement: each party's part (None where a party has none)."""

    clause: str
    working: str
    provider: Optional[Decimal]
    commissioner: Optional[Decimal]
    total: bool = False  # a total of the steps above it


def risk_rows(statement: Statement) -> list[RiskRow]:
    """The settlement step by step: the variance, the stop-loss, each band, cap and floor, the shares and the transfer."""
    risk = statement.risk
    if risk is None:
        return []
    rows = []
    if risk.variance is not None:
        # the variance is the actual cost less stop-loss less the budget or the payments made (interpret.Run.settle)
        assert risk.actual_cost is not None and risk.reference is not None
        against = "budget" if risk.against == "budget" else "payments made"
        rows.append(RiskRow("", f"actual cost {pounds(risk.actual_cost)}, less stop-loss {pounds(risk.stop_loss)}, "
                                f"less {against} {pounds(risk.reference)}: variance {pounds(risk.variance)}", None, None))
    for line in statement.lines:
        if line.kind == "stop-loss":
            rows.append(RiskRow(line.clause or "", line.explanation, None, line.amount))
        elif line.kind == "risk share":
            rows.append(RiskRow(line.clause or "", line.explanation,
                                line.party_amounts.get("provider", ZERO), line.party_amounts.get("commissioner", ZERO)))
    if risk.variance is not None:
        rows.append(RiskRow("", "shares of the variance", risk.provider_share, risk.commissioner_share, True))
        rows.append(RiskRow("", "transfer to the provider (negative: returned)", risk.transfer, None, True))
    return rows


def money_width(header: str, amounts) -> int:
    """The width of the widest amount or the heading, so that a column of money is never cut."""
    return max([len(header)] + [len(pounds(a)) for a in amounts if a is not None])


FIGURE = re.compile(r"£[0-9]")


def figure_width(texts) -> int:
    """The width of the longest word that holds a figure, so that text may wrap but a figure is never cut."""
    return max([0] + [len(word) for text in texts for word in str(text).split() if FIGURE.search(word)])


def money_cell(amount: Optional[Decimal]) -> str:
    return "" if amount is None else pounds(amount)


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
        budget.add_column("Step", overflow="fold", min_width=figure_width(s.description for s in statement.budget_steps))
        budget.add_column("Clause", overflow="fold", min_width=len("Clause"))
        budget.add_column("Amount", justify="right", no_wrap=True, min_width=money_width("Amount", [s.amount for s in statement.budget_steps]))
        for step in statement.budget_steps:
            budget.add_row(step.description, step.clause or "", pounds(step.amount))
        parts.append(budget)

    lines = Table(title="Outcome payments", title_justify="left", header_style="bold", show_lines=False)
    lines.add_column("Clause", no_wrap=True, min_width=clause_width(statement))
    lines.add_column("Working", overflow="fold", min_width=figure_width(line.explanation for line in statement.lines))
    lines.add_column("Paid", justify="right", no_wrap=True, min_width=money_width("Paid", [line.amount for line in statement.lines]))
    for line in statement.lines:
        if line.kind in ("indicator", "bonus"):
            lines.add_row(line.clause or "", line.explanation, pounds(line.amount))
        elif line.kind == "measure":
            lines.add_row(line.clause or "", Text(line.explanation, style="dim"), "")
    parts.append(lines)

    stated = [line for line in statement.lines if line.kind in COMPONENT_KINDS]
    if stated:
        table = Table(title="Carve-outs, deductions and top-up", title_justify="left", header_style="bold")
        table.add_column("Clause", no_wrap=True, min_width=clause_width(statement))
        table.add_column("Working", overflow="fold", min_width=figure_width(line.explanation for line in stated))
        table.add_column("Amount", justify="right", no_wrap=True, min_width=money_width("Amount", [line.amount for line in stated]))
        for line in stated:
            table.add_row(line.clause or "", line.explanation, pounds(line.amount))
        parts.append(table)

    items = [line for line in statement.lines if line.kind == "activity"]
    if items:
        table = Table(title="Activity", title_justify="left", header_style="bold")
        table.add_column("Clause", no_wrap=True, min_width=clause_width(statement))
        table.add_column("Working", overflow="fold", min_width=figure_width(line.explanation for line in items))
        table.add_column("Band", no_wrap=True)
        table.add_column("Paid", justify="right", no_wrap=True, min_width=money_width("Paid", [line.amount for line in items]))
        for line in items:
            table.add_row(line.clause or "", line.explanation, activity_reached(line), pounds(line.amount))
        parts.append(table)

    if statement.risk is not None:
        table = Table(title="Risk share", title_justify="left", header_style="bold")
        table.add_column("Clause", no_wrap=True, min_width=clause_width(statement))
        steps = risk_rows(statement)
        table.add_column("Working", overflow="fold", min_width=figure_width(row.working for row in steps))
        amounts = [a for row in steps for a in (row.provider, row.commissioner)]
        table.add_column("Provider", justify="right", no_wrap=True, min_width=money_width("Provider", amounts))
        table.add_column("Commissioner", justify="right", no_wrap=True, min_width=money_width("Commissioner", amounts))
        for row in steps:
            table.add_row(row.clause, Text(row.working, style="bold" if row.total else ""), money_cell(row.provider),
                          money_cell(row.commissioner))
        parts.append(table)

    summary = Table(title="Summary", title_justify="left", header_style="bold")
    summary.add_column("Component", overflow="fold", min_width=figure_width(label for label, _ in summary_rows(statement)))
    summary.add_column("Amount", justify="right", no_wrap=True, min_width=money_width("Amount", [a for _, a in summary_rows(statement)]))
    for label, amount in summary_rows(statement):
        style = "bold" if label.startswith(("Total", "Cost")) else ""  # "": rich's own default, no style
        summary.add_row(Text(label, style=style), Text(pounds(amount), style=style))
    parts.append(summary)

    if statement.commissioners:
        pool_header, pool_cells = pool_rows(statement)
        pool = Table(title="Commissioners", title_justify="left", header_style="bold")
        for index, column in enumerate(pool_header):
            if index == 0:
                pool.add_column(column, overflow="fold")
            else:
                pool.add_column(column, justify="right", no_wrap=True, min_width=max(len(column), *(len(r[index]) for r in pool_cells)))
        for cells in pool_cells:
            pool.add_row(*cells)
        parts.append(pool)
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


def pool_rows(statement: Statement) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    """The commissioners pooling the budget: each one's contribution, its share of the under- or overspend, and
    what the year costs it; a last row of totals."""
    shares = statement.commissioners
    side = shares[0].side if shares else "underspend"
    kept = "Underspend returned" if side == "underspend" else "Overspend paid in"
    with_budget = statement.budget is not None
    header = ("Commissioner",) + (("Contribution", kept) if with_budget else ()) + ("Cost of the year",)
    rows = []
    for share in shares:
        amounts = ((pounds(share.contribution or ZERO), pounds(abs(share.variance))) if with_budget else ()) + (pounds(share.cost),)
        rows.append((share.title,) + amounts)
    totals = ((pounds(sum((s.contribution or ZERO for s in shares), ZERO)), pounds(abs(sum((s.variance for s in shares), ZERO))))
              if with_budget else ()) + (pounds(sum((s.cost for s in shares), ZERO)),)
    rows.append(("Total",) + totals)
    return header, rows


def print_table(console: Console, statements: Sequence[Statement]) -> None:
    """Print each statement; figures are never cut, so a console too narrow for them is widened."""
    for index, statement in enumerate(statements):
        if index:
            console.print()
        table = as_table(statement)
        unbounded = console.options.update_width(10_000)  # measured without the console's width, which would clamp it
        needed = max(Measurement.get(console, unbounded, part).minimum for part in table.renderables)
        width = console.width
        console.width = max(width, needed)  # print(width=...) cannot go beyond the console's own width
        try:
            console.print(table)
        finally:
            console.width = width


def to_json(statements: Sequence[Statement], all_years: bool) -> str:
    if all_years:
        document = {"contract": statements[0].contract if statements else "", "years": [s.to_dict() for s in statements]}
    else:
        document = statements[0].to_dict()
    return json.dumps(document, indent=2, ensure_ascii=False)


def markdown_cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]], money: Sequence[bool]) -> list[str]:
    """A Markdown table: money columns aligned right, every cell on one line, figures whole."""
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" if m else "---" for m in money) + "|"]
    out += ["| " + " | ".join(markdown_cell(cell) for cell in row) + " |" for row in rows]
    return out


def to_markdown(statements: Sequence[Statement]) -> str:
    """Each statement as a board paper's section: budget, components, outcomes one by one, bonus, unearned,
    the risk share band by band, distribution and totals."""
    out = []
    for statement in statements:
        out.append(f"## {markdown_cell(title_of(statement))}\n")
        out.append(f"Commissioner: {statement.commissioner or '-'}; lead provider: {statement.lead_provider or '-'}. "
                   f"Amounts to the penny, rounding {statement.rounding}; parts add up exactly to their totals.\n")
        if statement.budget_steps:
            out.append("### Budget\n")
            out += markdown_table(("Step", "Clause", "Amount"), [(s.description, s.clause or "", pounds(s.amount))
                                                                 for s in statement.budget_steps], (False, False, True))
            out.append("")
        out.append("### Components\n")
        components = [("Core payment", statement.core), ("Outcomes pot", statement.pot), ("Risk reserve", statement.reserve)]
        out += markdown_table(("Component", "Amount"), [(label, pounds(amount)) for label, amount in components], (False, True))
        out.append("")
        stated = [line for line in statement.lines if line.kind in COMPONENT_KINDS]
        if stated:
            out.append("### Carve-outs, deductions and top-up\n")
            out += markdown_table(("Clause", "Working", "Amount"), [(line.clause or "", line.explanation, pounds(line.amount))
                                                                     for line in stated], (False, False, True))
            out.append("")
        items = [line for line in statement.lines if line.kind == "activity"]
        if items:
            out.append("### Activity\n")
            out += markdown_table(("Clause", "Item", "Price", "Volume", "Band", "Working", "Paid"),
                                  [(line.clause or "", line.title, activity_price(line), activity_volume(line),
                                    activity_reached(line), line.explanation, pounds(line.amount)) for line in items],
                                  (False,) * 6 + (True,))
            out.append("")
        outcomes = {line.outcome: line.outcome_title or line.outcome for line in statement.lines if line.outcome}
        if outcomes:
            out.append("### Outcomes\n")
        for outcome, title in outcomes.items():
            own = [line for line in statement.lines if line.outcome == outcome]
            out.append(f"#### {markdown_cell(title)} (`{outcome}`)\n")
            out += markdown_table(
                ("Clause", "Indicator", "Reached", "Working", "Paid"),
                [(line.clause or "", line.title, line_reached(line), line.explanation, "" if line.kind == "measure" else pounds(line.amount))
                 for line in own], (False,) * 4 + (True,))
            out.append(f"\nPaid for `{outcome}`: {pounds(sum((line.amount for line in own), ZERO))}.\n")
        rows = line_rows(statement)
        bonuses = [row for row in rows if row.kind == "bonus"]
        if bonuses:
            out.append("### Bonus\n")
            out += markdown_table(("Clause", "Bonus", "Working", "Paid"),
                                  [(row.clause, row.title, row.explanation, money_cell(row.amount)) for row in bonuses],
                                  (False, False, False, True))
            out.append("")
        out.append("### Unearned pot\n")
        out.append(f"Of the outcomes pot of {pounds(statement.pot)}, {pounds(statement.outcomes_paid)} is paid for outcomes and "
                   f"{pounds(statement.bonus_paid)} as bonus; {pounds(statement.unearned)} is unearned, {destination_words(statement)}.\n")
        if statement.risk is not None:
            out.append("### Risk share\n")
            out += markdown_table(("Clause", "Working", "Provider", "Commissioner"),
                                  [(r.clause, f"**{r.working}**" if r.total else r.working, money_cell(r.provider),
                                    money_cell(r.commissioner)) for r in risk_rows(statement)], (False, False, True, True))
            out.append("")
        if statement.commissioners:
            out.append("### Commissioners\n")
            pool_header, pool_cells = pool_rows(statement)
            out += markdown_table(pool_header, pool_cells, (False,) + (True,) * (len(pool_header) - 1))
            out.append("")
        if len(statement.distribution) > 1:
            out.append("### Distribution\n")
            out += markdown_table(("Party", "Core", "Outcomes", "Bonus", "Other", "Total"),
                                  [(share.title, pounds(share.core), pounds(share.outcomes), pounds(share.bonus),
                                    pounds(share.other), pounds(share.total)) for share in statement.distribution],
                                  (False,) + (True,) * 5)
            out.append("")
        out.append("### Totals\n")
        out += markdown_table(("Component", "Amount"), [(label.strip(), pounds(amount)) for label, amount in summary_rows(statement)],
                              (False, True))
        out.append("")
    return "\n".join(out)


CSV_COLUMNS = ("contract", "year", "kind", "outcome", "indicator", "title", "segment", "measured", "threshold", "reached",
               "allocation", "amount", "clause", "explanation")


def csv_money(amount: Optional[Decimal]) -> str:
    return "" if amount is None else json_money(amount)


def to_csv(statements: Sequence[Statement]) -> str:
    """One row per line (per segment for an indicator measured by segment), then one per total."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for statement in statements:
        for row in line_rows(statement):
            writer.writerow([statement.contract, statement.year, row.kind, row.outcome, row.name, row.title, row.segment,
                             row.measured, row.threshold, row.reached, csv_money(row.allocation), csv_money(row.amount),
                             row.clause, row.explanation])
        for key, label, amount in statement.totals():
            writer.writerow([statement.contract, statement.year, "total", "", key, label, "", "", "", "", "",
                             json_money(amount), "", ""])
    return buffer.getvalue()
