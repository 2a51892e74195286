"""`obcdsl diff` as plain text for people and Markdown for papers (JSON is `ContractDiff.to_dict`).

Plain lines, never a table that a narrow terminal could cut: every figure is printed whole.
"""

from __future__ import annotations

import difflib
from decimal import Decimal
from typing import Optional

from ..money import pounds
from .clauses import ClauseChange
from .compare import BoundsChange, Change, ContractDiff, Limit, YearChange


def signed(amount: Optional[Decimal]) -> str:
    """A change in pounds: `+£1,000.00`, `-£1,000.00`, `£0.00`; `unknown` beside no limit."""
    if amount is None:
        return "unknown"
    return ("+" if amount > 0 else "") + pounds(amount)


def amount_text(amount: Optional[Decimal], absent: str) -> str:
    return absent if amount is None else pounds(amount)


def change_text(change: Change | Limit, absent: str = "none") -> str:
    """`£1.00 → £2.00 (+£1.00)`, or the amount alone when unchanged."""
    if not change.changed:
        return f"{amount_text(change.old, absent)} (unchanged)"
    return f"{amount_text(change.old, absent)} → {amount_text(change.new, absent)} ({signed(change.change)})"


def heading(change: ClauseChange) -> str:
    item = change.item
    name = f" `{item.name}`" if item.name else ""
    renamed = f" (was `{change.old.name}`)" if change.renamed and change.old else ""
    clause = f" (clause {item.clause})" if item.clause else ""
    return f"{change.change} {item.kind}{name}{renamed}{clause}"


def text_lines(change: ClauseChange) -> list[str]:
    """The item's text as written on each side: a line each side, `-` old, `+` new, ` ` both."""
    old = change.old.text.splitlines() if change.old else []
    new = change.new.text.splitlines() if change.new else []
    marked = [line for line in difflib.ndiff(old, new) if not line.startswith("?")]
    return [line.rstrip() for line in marked]


def where(change: ClauseChange) -> str:
    sides = []
    for label, item in (("old", change.old), ("new", change.new)):
        if item is not None and item.span is not None:
            sides.append(f"{label} {item.span.file}:{item.span.line}")
    return ", ".join(sides)


def bounds_line(b: BoundsChange) -> str:
    if b.old is None or b.new is None:
        return f"year {b.year}: only in the {'new' if b.old is None else 'old'} contract"
    return f"year {b.year}: least {change_text(b.least)}; most {change_text(b.most, 'no limit')}"


def year_text(year: YearChange, data: Optional[str]) -> list[str]:
    out = [f"Payments in year {year.year}, both contracts on {data}:"]
    changed = [line for line in year.lines if line.amount.changed]
    for line in changed:
        clause = f" (clause {line.clause})" if line.clause else ""
        out.append(f"  {line.kind} `{line.name}`{clause}: {change_text(line.amount)}")
    unchanged = len(year.lines) - len(changed)
    out.append(f"  {unchanged} other line{'s' if unchanged != 1 else ''} unchanged" if changed else "  no line changed")
    for key, label, change in year.totals:
        if change.changed and key not in ("total_to_provider", "commissioner_cost"):
            out.append(f"  {label}: {change_text(change)}")
    for _, title, change in year.distribution:
        if change.changed:
            out.append(f"  to {title}: {change_text(change)}")
    out.append(f"  Total to the lead provider: {change_text(year.total('total_to_provider'))}")
    out.append(f"  Cost to the commissioner: {change_text(year.total('commissioner_cost'))}")
    return out


def to_text(diff: ContractDiff) -> str:
    """The comparison for people: clauses, bounds, and (given data) each year's pounds."""
    out = [f"Comparing {diff.old_path} with {diff.new_path}"]
    if diff.equal:
        out.append("The contracts are the same in every term: nothing changes.")
        return "\n".join(out) + "\n"
    counts = {kind: sum(1 for c in diff.clauses if c.change == kind) for kind in ("changed", "added", "removed")}
    out.append("")
    out.append("Clauses: " + ", ".join(f"{n} {kind}" for kind, n in counts.items()))
    for change in diff.clauses:
        out.append("")
        out.append(f"{heading(change)}  [{where(change)}]")
        out += [f"  {line}" for line in text_lines(change)]
    out.append("")
    out.append("Payment bounds, the total to the lead provider, from each contract alone:")
    out += [f"  {bounds_line(b)}" for b in diff.bounds]
    for year in diff.years:
        out.append("")
        out += year_text(year, diff.data)
    return "\n".join(out) + "\n"


def markdown_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(diff: ContractDiff) -> str:
    """The comparison as a paper's section: clauses with both texts, the bounds, each year's pounds."""
    out = [f"## Changes from `{diff.old_path}` to `{diff.new_path}`", ""]
    if diff.equal:
        out += ["The contracts are the same in every term: nothing changes.", ""]
        return "\n".join(out)
    out += ["### Clauses", ""]
    for change in diff.clauses:
        out += [f"#### {heading(change)}", "", "```diff", *text_lines(change), "```", ""]
    out += ["### Payment bounds", "", "The total to the lead provider, from each contract alone.", "",
            "| Year | Least, old | Least, new | Change | Most, old | Most, new | Change |",
            "|---:|---:|---:|---:|---:|---:|---:|"]
    for b in diff.bounds:
        cells = [str(b.year)]
        for limit, absent in ((b.least, "-"), (b.most, "no limit")):
            cells += [amount_text(limit.old, absent), amount_text(limit.new, absent), signed(limit.change)]
        out.append("| " + " | ".join(cells) + " |")
    out.append("")
    for year in diff.years:
        out += [f"### Payments in year {year.year}", "", f"Both contracts evaluated on `{diff.data}`.", "",
                "| Line | Clause | Old | New | Change |", "|---|---|---:|---:|---:|"]
        for line in year.lines:
            out.append(f"| {line.kind} `{line.name}` | {line.clause or ''} | {amount_text(line.amount.old, '-')} | "
                       f"{amount_text(line.amount.new, '-')} | {signed(line.amount.change)} |")
        for heading_cell, rows in (("Party", [(title, change) for _, title, change in year.distribution]),
                                   ("Total", [(label, change) for _, label, change in year.totals])):
            out += ["", f"| {heading_cell} | Old | New | Change |", "|---|---:|---:|---:|"]
            out += [f"| {markdown_cell(label)} | {amount_text(change.old, '-')} | {amount_text(change.new, '-')} | "
                    f"{signed(change.change)} |" for label, change in rows]
        out.append("")
    return "\n".join(out)
