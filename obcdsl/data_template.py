"""`obcdsl template CONTRACT --year N --out data.xlsx`: the data-entry workbook a contract needs.

The workbook has two sheets that `obcdsl evaluate --data` reads back (see
`obcdsl.tables.SheetTable`): **Indicators**, one row for each indicator
the year's payment reads (the linked indicators, the inputs of derived ones,
those that gates and scaling factors read), for each segment it is measured
in, with its value, numerator and denominator, and its baseline where a
threshold is relative; and **Costs and population**, the actual cost when
the risk share shares a variance, the actual population by segment when
the budget adjusts for population, and the volume of each activity item in
force in the year (an item counted per patient reads the patient costs). Which rows a year needs is read from the
year's plan (`obcdsl.plan`), as the evaluator reads it.
"""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path
from typing import Optional

import attrs

from . import ast
from .data import ACTUAL_COST

INDICATOR_SHEET = "Indicators"
COST_SHEET = "Costs and population"
INDICATOR_COLUMNS = ("measure", "year", "segment", "title", "unit", "baseline", "value", "numerator", "denominator")
COST_COLUMNS = ("measure", "year", "segment", "title", "unit", "value")
WIDTHS = {"measure": 30, "year": 8, "segment": 22, "title": 52, "unit": 16, "baseline": 14, "value": 14,
          "numerator": 14, "denominator": 14}
PERCENT_FORMAT = "0.0##%"
NUMBER_FORMAT = "#,##0.###"
MONEY_FORMAT = "£#,##0.00"


@attrs.frozen
class TemplateRow:
    """One row to fill: a measure in the year, for one segment or all."""

    measure: str
    year: int
    segment: Optional[str]
    title: str
    unit: str  # "percent" | "count" | "rate per 1,000" | "score" | "money" | "number" | "people"
    clause: Optional[str]
    baseline: bool = False  # the row's baseline is needed too (a relative threshold)
    fraction: bool = False  # a numerator and denominator may be given instead of the value
    paid: bool = True  # read by the year's payment; False: measured only, and may be left blank


@attrs.frozen
class Template:
    """What the year's data must give: indicator rows, and cost and population rows."""

    contract: str
    year: int
    financial_year: Optional[str]
    indicators: tuple[TemplateRow, ...]
    costs: tuple[TemplateRow, ...]


def add_parser(commands) -> None:
    template = commands.add_parser("template", help="the data-entry workbook a contract needs for a year",
                                   description="Write the spreadsheet a year's data is entered in; `evaluate --data` reads it back.")
    template.add_argument("contract", metavar="CONTRACT", help="the .obc contract")
    template.add_argument("--year", type=int, required=True, metavar="N", help="the contract year (1 is the first)")
    template.add_argument("--out", required=True, metavar="FILE.xlsx", help="the workbook to write")


def run(args) -> int:
    """Check the contract, work out the year's rows and write the workbook; exit 1 for a contract with errors."""
    if not Path(args.contract).is_file():
        sys.stderr.write(f"obcdsl: no such contract file: `{args.contract}`\n")
        return 2
    if not str(args.out).lower().endswith(".xlsx"):
        sys.stderr.write("obcdsl: the template is a workbook; give --out a name ending in .xlsx\n")
        return 2
    contract = checked_or_refused(args.contract)
    if contract is None:
        return 1
    from .model import contract_years

    years = contract_years(contract)
    if args.year not in years:
        sys.stderr.write(f"obcdsl: year {args.year} is outside the contract term (years 1 to {years[-1]})\n")
        return 2
    template = template_for(contract, args.year)
    write_workbook(template, args.out)
    sys.stderr.write(f"wrote {args.out}: {len(template.indicators)} indicator row(s), {len(template.costs)} cost and "
                     f"population row(s) for year {args.year}; read it back with "
                     f"`obcdsl evaluate {args.contract} --data {args.out} --year {args.year}`\n")
    return 0


def checked_or_refused(path: str) -> Optional[ast.Contract]:
    """The checked contract, or None after printing its diagnostics as `obcdsl check` does (nothing is written)."""
    from .checker import check_path
    from .render import make_console, print_diagnostics

    result = check_path(path)
    if result.ok and result.contract is not None:
        return result.contract
    err = make_console(sys.stderr)
    print_diagnostics(err, result.diagnostics, result.source)
    errors = sum(1 for x in result.diagnostics if x.is_error)
    err.print(f"the contract has {errors} error{'s' if errors != 1 else ''}: nothing was written")
    return None


# ---------------------------------------------------------------- what the year needs


def unit_words(indicator: ast.Indicator | ast.Measure) -> str:
    unit = indicator.unit
    if unit is None:
        return "number"
    if unit.kind == "rate":
        return f"rate per {unit.per:,f}" if unit.per is not None else "rate"
    return unit.kind


def template_for(contract: ast.Contract, year: int) -> Template:
    """The rows a year's data must give, read from the year's plan."""
    from .expressions import values_read
    from .plan import plan_for, risk_reads

    plan = plan_for(contract, year)
    needed: dict[str, bool] = {}  # indicator given as data → its baseline is needed too
    earlier: set[str] = set()  # indicators whose value for the year before is read (`2 points above last year`)

    def read(node) -> None:
        if node is None:
            return
        for value in values_read(node):
            # in year 1, last year's value is the baseline
            needed[value.name] = needed.get(value.name, False) or value.baseline or (value.previous and year == 1)
            if value.previous and year > 1:
                earlier.add(value.name)

    for line in plan.lines:
        if not line.linked:
            continue
        for part in line.parts:
            read(part.value)
            read(part.baseline)
        if line.scale is not None:
            read(line.scale.factor)
        for gate in line.gates:
            read(gate.condition)
    for bonus in plan.bonuses:
        read(bonus.condition)
    for node in risk_reads(plan):
        read(node)
    for deduction in plan.deductions:  # a deduction from the core reads its condition's values whatever is linked
        read(deduction.gate.condition)
    paid = set(needed)
    for line in plan.lines:  # measured but not paid this year: the statement reports the value when it is given
        if not line.linked:
            for part in line.parts:
                read(part.value)
    rows = []
    for indicator in contract.all_indicators:  # in the contract's order
        if indicator.name not in needed:
            continue
        segments: list[Optional[str]] = [s.name for s in contract.segments] if indicator.by_segment is not None else [None]
        unit = unit_words(indicator)
        fraction = unit == "percent" or unit.startswith("rate") or indicator.numerator is not None or indicator.denominator is not None
        for segment in segments:
            rows.append(TemplateRow(indicator.name, year, segment, indicator.title, unit, indicator.clause,
                                    needed[indicator.name], fraction, indicator.name in paid))
        for segment in segments if indicator.name in earlier else ():  # the year before, which thresholds compare with
            rows.append(TemplateRow(indicator.name, year - 1, segment, indicator.title, unit, indicator.clause,
                                    False, fraction, True))
    for measure in contract.all_measures:  # read by a condition, a factor or a risk-share term
        if measure.name in needed:
            unit = unit_words(measure)
            rows.append(TemplateRow(measure.name, year, None, measure.title, unit, measure.clause, needed[measure.name],
                                    unit == "percent"))
    costs = []
    if plan.risk is not None and plan.risk.shares_variance or ACTUAL_COST in needed:
        risk = contract.risk_share
        costs.append(TemplateRow("actual cost", year, None, "The provider's actual cost of the services in the year", "money",
                                 risk.clause if risk is not None else None))
    budget = contract.budget
    if budget is not None and budget.population_adjustment is not None:
        clause = budget.population_adjustment.clause or budget.clause
        for group in contract.segments:
            costs.append(TemplateRow("actual population", year, group.name, f"People in the segment: {group.title}",
                                     "people", clause))
    for item in plan.activity:  # a volume for each activity item in force; one counted per patient reads the patient costs
        if item.in_force and not item.item.per_patient:
            unit = f"volume ({item.item.unit}s)" if item.item.unit else "volume"
            costs.append(TemplateRow(item.name, year, None, f"Volume: {item.item.title}", unit, item.item.clause))
    term = contract.term
    return Template(contract.header.name if contract.header else "", year, term.financial_year(year) if term else None,
                    tuple(rows), tuple(costs))


# ---------------------------------------------------------------- the workbook


def write_workbook(template: Template, out: str | Path) -> None:
    """Write the template as an XLSX workbook: frozen headers, widths, validation, clauses as comments."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    grey = PatternFill("solid", fgColor="DDDDDD")
    bold = Font(bold=True)

    def sheet_for(title: str, columns: tuple[str, ...], rows: tuple[TemplateRow, ...], first: bool):
        sheet = book.active if first else book.create_sheet()
        sheet.title = title
        sheet.append(list(columns))
        for cell in sheet[1]:
            cell.font = bold
        sheet.freeze_panes = "A2"
        for index, column in enumerate(columns, start=1):
            sheet.column_dimensions[letter(index)].width = WIDTHS.get(column, 14)
        validations = {
            "percent": DataValidation(type="decimal", operator="between", formula1="0", formula2="1", allow_blank=True,
                                      showErrorMessage=True, errorTitle="A percentage",
                                      error="Enter a percentage from 0% to 100% (type 87.2%)."),
            "non-negative": DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                                           showErrorMessage=True, errorTitle="A number of 0 or more",
                                           error="Enter a number of 0 or more."),
            "whole": DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                                    showErrorMessage=True, errorTitle="A volume",
                                    error="Enter the number of units of activity: a whole number of 0 or more."),
            "any": DataValidation(type="decimal", operator="between", formula1="-1E+15", formula2="1E+15", allow_blank=True,
                                  showErrorMessage=True, errorTitle="A number", error="Enter a number."),
        }
        for validation in validations.values():
            sheet.add_data_validation(validation)
        at = {column: index for index, column in enumerate(columns, start=1)}
        for number, row in enumerate(rows, start=2):
            texts = {"measure": row.measure, "year": row.year, "segment": row.segment, "title": row.title, "unit": row.unit}
            for column, text in texts.items():
                if column in at:
                    sheet.cell(row=number, column=at[column], value=text)
            where = f"Clause {row.clause}: " if row.clause else ""
            note = "" if row.paid else f"\nNot linked to payment in year {row.year}: reported only, and may be left blank."
            sheet.cell(row=number, column=at["measure"]).comment = Comment(f"{where}{row.title}{note}", "obcdsl",
                                                                           width=300, height=90)
            if not row.paid:
                for column in ("measure", "title"):
                    sheet.cell(row=number, column=at[column]).font = Font(italic=True, color="666666")
            for column in ("baseline", "value", "numerator", "denominator"):
                if column not in at:
                    continue
                cell = sheet.cell(row=number, column=at[column])
                applies = (column == "value" or (column == "baseline" and row.baseline)
                           or (column in ("numerator", "denominator") and row.fraction))
                if not applies:
                    cell.fill = grey
                    continue
                if column in ("numerator", "denominator"):
                    cell.number_format = NUMBER_FORMAT
                    validations["non-negative"].add(cell.coordinate)
                elif row.unit == "percent":
                    cell.number_format = PERCENT_FORMAT
                    validations["percent"].add(cell.coordinate)
                elif row.unit == "money":
                    cell.number_format = MONEY_FORMAT
                    validations["non-negative"].add(cell.coordinate)
                elif row.unit.startswith("volume"):  # units of activity: whole, never negative
                    cell.number_format = "#,##0"
                    validations["whole"].add(cell.coordinate)
                elif row.unit in ("score", "number", "percent change"):  # a change can fall below zero
                    cell.number_format = NUMBER_FORMAT
                    validations["any"].add(cell.coordinate)
                else:
                    cell.number_format = NUMBER_FORMAT
                    validations["non-negative"].add(cell.coordinate)
        return sheet

    sheet_for(INDICATOR_SHEET, INDICATOR_COLUMNS, template.indicators, first=True)
    sheet_for(COST_SHEET, COST_COLUMNS, template.costs, first=False)
    book.properties.title = f"{template.contract}: data for year {template.year}"
    book.properties.subject = f"year {template.year}" + (f" ({template.financial_year})" if template.financial_year else "")
    book.properties.creator = "obcdsl template"
    book.save(str(out))


def letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)


def cell_value(amount: Decimal, unit: str) -> float | int:
    """A number as the template's cell holds it: a percentage as its fraction (87.2% is 0.872)."""
    if unit == "percent":
        amount = amount / 100
    return int(amount) if amount == amount.to_integral_value() else float(amount)
