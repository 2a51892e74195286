"""The payment schedule as one document model: parts, numbered paragraphs, tables and a chart.

`schedule_for(contract)` builds it from the checked contract's AST and its
year plans (`obcdsl.plan.plan_for`): the amounts in its tables are the ones
`obcdsl evaluate` pays from. It is shaped like the NHS Standard Contract's
Schedule 3 (Payment) and Schedule 4 (Quality Requirements). Prose the
contract states (titles, descriptions, definitions) is kept verbatim; the
rest is generated in plain English. Every paragraph is numbered by the
clause the contract gives the item; an item without one takes its
section's clause with a letter, `5.2(a)`. The writers (`markdown`, `html`,
`word`) only lay this model out.
"""

from __future__ import annotations

import decimal
from decimal import Decimal
from typing import Optional, Union

import attrs

from .. import ast, model
from ..format import counted_words, threshold_value
from ..lowering import comparison
from ..money import ZERO, exact_context, percent_text, pounds, short_pounds
from ..plan import YearPlan, plan_for
from . import activity as activity_words


# ---------------------------------------------------------------- the model


@attrs.frozen
class Paragraph:
    """A numbered paragraph: `number` is the clause (or the section's clause with a letter)."""

    number: str
    text: str
    title: Optional[str] = None  # a short heading in bold before the text


@attrs.frozen
class Table:
    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    key: str = ""  # what the table holds, for tools and tests: "thresholds:cpa_review", "phasing", ...


@attrs.frozen
class ChartPoint:
    variance: Decimal  # actual cost less budget: positive is an over-spend
    provider: Decimal  # the provider's part: kept (gain, positive) or borne (loss, negative)
    commissioner: Decimal


@attrs.frozen
class Chart:
    """The risk share for one year's budget: each party's part of the variance, and the bands' edges."""

    caption: str
    year: int
    budget: Decimal
    points: tuple[ChartPoint, ...]
    edges: tuple[Decimal, ...]  # band edges, as variances (gains negative)


Block = Union[Paragraph, Table, Chart]


@attrs.frozen
class Section:
    number: str  # "Part A"
    heading: str
    blocks: tuple[Block, ...]
    level: int = 2  # 1 for a schedule, 2 for a part, 3 for an outcome or indicator within a part


@attrs.frozen
class Document:
    title: str
    subtitle: str
    sections: tuple[Section, ...]

    def tables(self) -> tuple[Table, ...]:
        return tuple(b for s in self.sections for b in s.blocks if isinstance(b, Table))

    def charts(self) -> tuple[Chart, ...]:
        return tuple(b for s in self.sections for b in s.blocks if isinstance(b, Chart))


class Numbers:
    """Paragraph numbers for a section: the item's clause, else the section's clause with a letter."""

    def __init__(self, base: str):
        self.base = base
        self.count = 0

    def __call__(self, clause: Optional[str]) -> str:
        if clause:
            return clause
        self.count += 1
        return f"{self.base}({letters(self.count)})"


def letters(n: int) -> str:
    text = ""
    while n > 0:
        n, rest = divmod(n - 1, 26)
        text = chr(ord("a") + rest) + text
    return text


# ---------------------------------------------------------------- words


COMPARING = {">=": "is at least", "<=": "is at most", ">": "is above", "<": "is below", "=": "equals", "!=": "does not equal"}


def expression(node: ast.Expr, inner: bool = False) -> str:
    """An expression in words, as the contract's words would be read aloud: `data_completeness is at least 90%`."""
    if isinstance(node, ast.Literal):
        if node.kind == "percent":
            return percent_text(node.value)
        return short_pounds(node.value) if node.kind == "money" else number_text(node.value)
    if isinstance(node, ast.Reference):
        return node.name
    if isinstance(node, ast.Negative):
        return f"-{expression(node.operand, True)}"
    if isinstance(node, ast.Arithmetic):
        text = f"{expression(node.left, True)} {node.operator} {expression(node.right, True)}"
        return f"({text})" if inner else text
    if isinstance(node, ast.Comparison):
        return f"{expression(node.left)} {COMPARING[node.operator]} {expression(node.right)}"
    if isinstance(node, ast.Logical):
        text = f"{expression(node.left, True)} {node.operator} {expression(node.right, True)}"
        return f"({text})" if inner else text
    if isinstance(node, ast.Not):
        return f"not {expression(node.operand, True)}"
    if isinstance(node, ast.Achieved):
        return f"{node.name} is achieved"
    if isinstance(node, ast.AllAchieved):
        return "all outcomes are achieved"
    if isinstance(node, ast.Reached):
        return f"{node.name} reached {node.band}"
    if isinstance(node, ast.CountAchieved):
        return f"the number of {counted_words(node)} achieved"
    which = "least" if node.function == "min" else "greatest"
    return f"the {which} of " + ", ".join(expression(a) for a in node.arguments)


def number_text(value: Decimal) -> str:
    text = f"{value.normalize():,f}" if value != value.to_integral_value() else f"{value.to_integral_value():,f}"
    return text


def amount_words(value: ast.ThresholdValue) -> str:
    """A threshold's value in plain English: `85%`, `12`, `the baseline plus 5 points`, `90% of the baseline`,
    `last year's value plus 2 points`, `the value of england_average`."""
    if value.kind == "absolute":
        if value.literal == "percent":
            return percent_text(value.amount)
        if value.literal == "money":
            return short_pounds(value.amount)
        return number_text(value.amount)
    compared = {None: "the baseline", "last year": "last year's value"}.get(value.reference, f"the value of {value.reference}")
    if value.kind == "reference":
        return compared
    if value.kind == "points":
        point = "point" if value.amount == 1 else "points"
        sign = "plus" if value.relation == "above" else "less"
        return f"{compared} {sign} {number_text(value.amount)} {point}"
    factor = Decimal(100) + value.amount if value.relation == "above" else Decimal(100) - value.amount
    return f"{percent_text(factor)} of {compared}"


def threshold_words(threshold: ast.Threshold, direction: str) -> str:
    """`85% or more`, `less than 12`, `90% of the baseline or less`: when a value reaches the threshold."""
    value = amount_words(threshold.value)
    operator, _ = comparison(threshold.value, threshold.comparator, direction)  # as evaluation reads it
    return {">=": f"{value} or more", "<=": f"{value} or less", ">": f"more than {value}", "<": f"less than {value}"}[operator]


def band_range_words(band: ast.Band, direction: str) -> str:
    reached = threshold_words(band.threshold, direction)
    if band.upper is None:
        return reached
    below = "less than" if direction == "higher" else "more than"
    return f"{reached}, and {below} {amount_words(band.upper)}"


def pays_words(share: Optional[Decimal], base: Optional[str]) -> str:
    if share is None:
        return "the share the phasing schedule sets for the year"
    if base == "pot":
        return f"{percent_text(share)} of the pot"
    return f"{percent_text(share)} of the indicator's allocation"


def direction_words(indicator: ast.Indicator) -> str:
    return {"higher": "Higher values are better.", "lower": "Lower values are better."}.get(indicator.direction or "", "")


def unit_words(unit: Optional[ast.Unit]) -> str:
    if unit is None:
        return "a number"
    if unit.kind == "rate":
        return f"a rate per {number_text(unit.per)}" if unit.per is not None else "a rate"
    return {"percent": "a percentage", "percent change": "a percentage change", "count": "a count", "score": "a score", "money": "an amount of money"}.get(unit.kind, unit.kind)


def written_threshold(threshold: ast.Threshold) -> str:
    text = threshold_value(threshold.value)
    return f"{threshold.comparator} {text}" if threshold.comparator else text


def budget_amount_words(amount: ast.BudgetAmount) -> str:
    if amount.points is not None and amount.per_point is not None:
        return f"{number_text(amount.points)} points at {short_pounds(amount.per_point)} a point ({short_pounds(amount.value)})"
    return f"{percent_text(amount.value)} of the budget" if amount.kind == "share" else short_pounds(amount.value)


def risk_amount_words(amount: ast.Amount) -> str:
    if amount.kind == "measure share":
        return f"{percent_text(amount.value)} of `{amount.measure}` for the year"
    return short_pounds(amount.value) if amount.kind == "money" else f"{percent_text(amount.value)} of the budget"


def rate_words(rate: ast.YearlyRate) -> str:
    if rate.scope == "in":
        return f"in year {rate.year}"
    return f"each year from year {rate.year or 2}"


def years_words(first: int, last: Optional[int], term_last: int) -> str:
    end = last if last is not None else term_last
    if first == end:
        return f"year {first}"
    return f"years {first} to {end}"


# ---------------------------------------------------------------- building


def schedule_for(contract: ast.Contract) -> Document:
    """The document model of the contract's payment terms, from its AST and its year plans."""
    with decimal.localcontext(exact_context()):
        plans = tuple(plan_for(contract, year) for year in model.contract_years(contract))
        return Builder(contract, plans).document()


class Builder:
    def __init__(self, contract: ast.Contract, plans: tuple[YearPlan, ...]):
        self.contract = contract
        self.plans = plans
        self.term_last = model.last_year(contract)

    def year_label(self, year: int) -> str:
        term = self.contract.term
        return f"Year {year} ({term.financial_year(year)})" if term is not None else f"Year {year}"

    def document(self) -> Document:
        header = self.contract.header
        title = header.name if header else "Contract"
        sections: list[Section] = [Section("Schedule 3", "Payment", (), level=1)]
        sections.append(self.parties())
        if self.contract.population is not None:
            sections.append(self.population())
        if self.contract.budget is not None:
            sections.append(self.budget())
        sections.append(self.components())
        if self.contract.activity is not None:
            sections.append(self.activity())
        if self.contract.risk_share is not None:
            sections.append(self.risk_share())
        if self.contract.distribution is not None:
            sections.append(self.distribution())
        if self.contract.measures is not None:
            sections.append(self.measures())
        if self.contract.outcomes is not None:
            sections.append(Section("Schedule 4", "Quality Requirements: the outcomes incentive", (), level=1))
            sections.append(self.outcomes())
            sections.extend(self.indicators())
            sections.append(self.phasing())
        subtitle = "Schedule 3 (Payment) and Schedule 4 (Quality Requirements)"
        return Document(title, subtitle, tuple(lettered(sections)))

    # -- Schedule 3

    def parties(self) -> Section:
        header = self.contract.header
        numbers = Numbers(header.clause if header and header.clause else "A")
        blocks: list[Block] = []
        if header is not None:
            number = numbers(header.clause)
            blocks.append(Paragraph(number, f"This schedule sets out the payment terms of the {header.name}.", "The contract"))
            if header.commissioner:
                blocks.append(Paragraph(numbers(None), f"The commissioner is {header.commissioner}.", "Commissioner"))
            if header.lead_provider:
                blocks.append(Paragraph(numbers(None), f"The lead provider is {header.lead_provider}.", "Lead provider"))
            for sub in header.subcontractors:
                blocks.append(Paragraph(numbers(sub.clause), f"{sub.title} is a subcontractor of the lead provider "
                                                             f"(named `{sub.name}` in this schedule).", "Subcontractor"))
            term = header.term
            if term is not None:
                words = (f"The contract runs for {term.years} years from {term.first_year} "
                         f"({term.financial_year(1)} to {term.financial_year(term.years)}).")
                if term.extension_years:
                    words += (f" It may be extended by up to {term.extension_years} years; each year of an extension "
                              f"is a contract year ({years_words(term.years + 1, term.last_year, term.last_year)}).")
                blocks.append(Paragraph(numbers(term.clause), words, "Term"))
            rounding = header.rounding or "half up"
            blocks.append(Paragraph(numbers(None), f"Each payment is calculated exactly and rounded to the penny "
                                                   f"({rounding}); parts of a total always add up to it.", "Rounding"))
        policy_words = {"error": "Nothing is paid for a year until data for every indicator linked to payment is supplied.",
                        "not achieved": "An indicator linked to payment with no data for the year pays nothing that year."}
        stated = (header.missing_data if header else None) or (self.contract.outcomes.missing_data if self.contract.outcomes else None)
        if self.contract.outcomes is not None:
            blocks.append(Paragraph(numbers(None), policy_words[stated or "error"], "Missing data"))
        return Section("Part", "Parties and term", tuple(blocks))

    def population(self) -> Section:
        population = self.contract.population
        assert population is not None
        numbers = Numbers(population.clause or "B")
        blocks: list[Block] = [Paragraph(numbers(population.clause), "The population served is divided into these segments.",
                                         "Segments")]
        rows = []
        for segment in population.segments:
            clusters = ", ".join(f"{a} to {b}" if a != b else str(a) for a, b in segment.clusters)
            rows.append((segment.clause or "", segment.title, segment.description or "", clusters, ", ".join(segment.icd10),
                         number_text(segment.people) if segment.people is not None else "",
                         number_text(segment.weight) if segment.weight is not None else ""))
        blocks.append(Table("Population segments", ("Clause", "Segment", "Description", "Care clusters", "ICD-10",
                                                    "People (year 1)", "Risk weight"), tuple(rows), "segments"))
        if population.projected_growth is not None:
            blocks.append(Paragraph(numbers(None), f"The population is projected to grow by "
                                                   f"{percent_text(population.projected_growth)} each year.", "Projected growth"))
        return Section("Part", "Population", tuple(blocks))

    def budget(self) -> Section:
        budget = self.contract.budget
        assert budget is not None
        numbers = Numbers(budget.clause or "C")
        blocks: list[Block] = []
        if budget.baseline is not None:
            blocks.append(Paragraph(numbers(budget.clause), f"The capitated budget for year 1 is {short_pounds(budget.baseline)}.",
                                    "Baseline"))
        elif budget.capitation is not None:
            blocks.append(Paragraph(numbers(budget.clause), f"The capitated budget for year 1 is {short_pounds(budget.capitation)} "
                                                            "per head for each segment's people, weighted by its risk weight.",
                                    "Capitation"))
        for rate in budget.efficiency:
            blocks.append(Paragraph(numbers(rate.clause), f"The budget falls by {percent_text(rate.rate)} {rate_words(rate)} "
                                                          "as an efficiency requirement.", "Efficiency"))
        for rate in budget.uplift:
            blocks.append(Paragraph(numbers(rate.clause), f"The budget rises by {percent_text(rate.rate)} {rate_words(rate)} "
                                                          "for cost pressures.", "Uplift"))
        for addition in budget.additions:
            blocks.append(Paragraph(numbers(addition.clause), f"From year {addition.year}, {short_pounds(addition.amount)} is added "
                                                              f"to the budget for {addition.service}, after that year's efficiency "
                                                              "and uplift; in later years it is adjusted with the rest of the budget.",
                                    "Service added"))
        if budget.efficiency or budget.uplift:
            blocks.append(Paragraph(numbers(None), "Each year's budget is the previous year's with that year's efficiency and "
                                                   "uplift applied, so adjustments compound.", "Compounding"))
        adjustment = budget.population_adjustment
        if adjustment is not None:
            basis = ("by the whole of the difference" if adjustment.basis == "whole"
                     else "by the part of the difference beyond the tolerance only")
            counted = "risk-weighted people" if adjustment.counts == "weighted people" else "heads"
            blocks.append(Paragraph(numbers(adjustment.clause),
                                    f"Where the actual population, counted in {counted}, differs from the projection by more "
                                    f"than {percent_text(adjustment.tolerance)}, the budget is adjusted {basis}.",
                                    "Population adjustment"))
        rows = tuple((self.year_label(p.year), pounds(p.budget)) for p in self.plans if p.budget is not None)
        blocks.append(Table("The budget in each year, before any population adjustment", ("Year", "Budget"), rows, "budget"))
        return Section("Part", "The capitated budget", tuple(blocks))

    def components(self) -> Section:
        payments = self.contract.payments
        numbers = Numbers(payments.clause if payments and payments.clause else "D")
        blocks: list[Block] = []
        if payments is not None:
            for carve in payments.carve_outs:
                blocks.append(Paragraph(numbers(carve.clause), f"{budget_amount_words(carve.amount)[:1].upper()}"
                                                               f"{budget_amount_words(carve.amount)[1:]} is carved out of the budget "
                                                               f"for \u201c{carve.destination}\u201d, and paid to it, not to the provider.",
                                        "Carve-out"))
            for key, title, words in (("core", "Core payment", "is paid whatever the outcomes"),
                                      ("pot", "Outcomes pot", "is paid according to the outcomes achieved (Schedule 4)"),
                                      ("reserve", "Risk reserve", "is held back and paid with the risk-share settlement")):
                amount = getattr(payments, key)
                if amount is not None:
                    if key == "pot" and amount.on_top:
                        words = "is paid on top of the budget, according to the outcomes achieved (Schedule 4)"
                    blocks.append(Paragraph(numbers(amount.clause), f"The {title.lower()} of {budget_amount_words(amount)} {words}.",
                                            title))
            if payments.core is None and self.contract.budget is not None:
                blocks.append(Paragraph(numbers(None), "The core payment is the rest of the budget.", "Core payment"))
            for deduction in payments.deductions:
                amount = f"{percent_text(deduction.value)} of the core payment" if deduction.kind == "share" else short_pounds(deduction.value)
                blocks.append(Paragraph(numbers(deduction.clause), f"{amount[:1].upper()}{amount[1:]} is deducted from the core "
                                                                   f"payment unless {expression(deduction.condition)}.",
                                        "Deduction"))
            if payments.ceiling is not None:
                blocks.append(Paragraph(numbers(payments.ceiling.clause), "Everything paid to the provider in a year is at most "
                                        f"{budget_amount_words(payments.ceiling)}.", "Ceiling"))
            if payments.floor is not None:
                blocks.append(Paragraph(numbers(payments.floor.clause), "Everything paid to the provider in a year is at least "
                                        f"{budget_amount_words(payments.floor)}: any shortfall is paid as a top-up.", "Floor"))
        for phase in self.contract.phases:
            own = phase.components
            stated = [(t, getattr(own, k)) for k, t in (("core", "core payment"), ("pot", "outcomes pot"), ("reserve", "risk reserve"))
                      if getattr(own, k) is not None]
            if stated:
                words = "; ".join(f"the {t} is {budget_amount_words(a)}" for t, a in stated)
                blocks.append(Paragraph(numbers(own.clause or phase.clause),
                                        f"In {years_words(phase.first_year, phase.last_year, self.term_last)} "
                                        f"(phase {phase_title(phase)}), {words}.", "Phase components"))
        header = ("Year", "Phase", "Core payment", "Outcomes pot", "Risk reserve")
        rows = tuple((self.year_label(p.year), phase_title(p.phase) if p.phase else "", pounds(p.core), pounds(p.pot),
                      pounds(p.reserve)) for p in self.plans)
        blocks.append(Table("Payment components in each year", header, rows, "components"))
        return Section("Part", "Payment components", tuple(blocks))

    def activity(self) -> Section:
        """`activity ... end`: each item's paragraph, then the most each can pay in each year."""
        activity = self.contract.activity
        assert activity is not None
        numbers = Numbers(activity.clause or "E")
        blocks: list[Block] = [Paragraph(numbers(activity.clause), "The provider is paid for the activity below, beside the "
                                         "core payment, for the volume in each contract year, each item rounded to the penny.",
                                         "Activity payment")]
        blocks += [Paragraph(numbers(item.clause), activity_words.item_words(item, self.term_last), item.title)
                   for item in activity.items]
        header = activity_words.HEADER + tuple(f"Most in {self.year_label(p.year).lower()}" for p in self.plans)
        blocks.append(Table("Activity items and the most each can pay", header,
                            activity_words.rows(self.contract, self.plans), "activity"))
        return Section("Part", "Activity payment", tuple(blocks))

    def risk_share(self) -> Section:
        risk = self.contract.risk_share
        assert risk is not None
        numbers = Numbers(risk.clause or "E")
        blocks: list[Block] = []
        if risk.placement == "within":
            blocks.append(Paragraph(numbers(risk.clause), "The risk share sits within the budget: the risk reserve is held back "
                                                          "during the year and paid with the settlement at year end.", "Placement"))
        elif risk.placement == "outside":
            blocks.append(Paragraph(numbers(risk.clause), "The risk share sits outside the budget: its settlement is paid on top "
                                                          "of the core payment and outcome payments.", "Placement"))
        against = ("the budget" if risk.reference == "budget" else
                   "what the year paid before the settlement (the core, the outcome payments and bonuses earned, and the "
                   "risk reserve)")
        blocks.append(Paragraph(numbers(risk.reference_clause), f"The variance is the provider's actual cost less {against}: "
                                                                f"an over-spend is a loss, an under-spend a gain.", "Variance"))
        if risk.minimum is not None:
            basis = ("only the part beyond it is shared" if risk.minimum.basis == "above minimum"
                     else "a larger variance is shared in full")
            smaller = "no larger than" if risk.at_minimum is not None else "smaller than"
            takers = {"gains": risk.unshared_party("gains"), "losses": risk.unshared_party("losses")}
            kept = {("provider", "provider"): "the provider keeps the gain or bears the loss",
                    ("commissioner", "commissioner"): "the commissioner keeps the gain or bears the loss",
                    ("commissioner", "provider"): "the commissioner keeps the gain and the provider bears the loss",
                    ("provider", "commissioner"): "the provider keeps the gain and the commissioner bears the loss"}
            blocks.append(Paragraph(numbers(risk.minimum.clause),
                                    f"A variance {smaller} {risk_amount_words(risk.minimum.amount)} is not shared: "
                                    f"{kept[takers['gains'], takers['losses']]}; {basis}.", "Minimum variance"))
        rows = []
        for terms, when in [(risk, "")] + [(p.risk_terms, f" in phase {p.name}") for p in self.contract.phases
                                           if p.risk_terms is not None]:
            tables = [(f"Gains when {expression(t.condition)}" if t.side == "gains" else
                       f"Losses when {expression(t.condition)}", t.bands, t.clause) for t in terms.tables]
            otherwise = {side: " otherwise" if terms.tables_for(side) else "" for side in ("gains", "losses")}
            for side, bands, clause in tables + [("Gains" + otherwise["gains"], terms.gains, terms.gains_clause),
                                                 ("Losses" + otherwise["losses"], terms.losses, terms.losses_clause)]:
                for band in bands:
                    rows.append((band.clause or clause or terms.clause or risk.clause or "", side + when, risk_range_words(band),
                                 percent_text(band.provider), percent_text(band.commissioner)))
        if rows:
            blocks.append(Paragraph(numbers(risk.gains_clause or risk.losses_clause),
                                    "Gains and losses are shared band by band as the table below sets out; each band's shares "
                                    "apply to the part of the variance within it.", "Sharing bands"))
            blocks.append(Table("Risk-share bands", ("Clause", "Side", "Part of the variance", "Provider", "Commissioner"),
                                tuple(rows), "risk bands"))
        limits = []
        for terms, when in [(risk, "")] + [(p.risk_terms, f" In phase {p.name}.") for p in self.contract.phases
                                           if p.risk_terms is not None]:
            for limit in terms.limits:
                combine = {"single": "", "lesser": "the lesser of ", "greater": "the greater of "}[limit.combine]
                amounts = " and ".join(risk_amount_words(a) for a in limit.amounts)
                kind = "at most" if limit.kind == "cap" else "at least"
                limits.append((limit.clause or terms.clause or risk.clause or "", "Cap" if limit.kind == "cap" else "Floor",
                               f"The {limit.party}'s share of {limit.exposure} is {kind} {combine}{amounts}.{when}"))
        stop = risk.stop_loss
        if stop is not None:
            words = (f"Each patient's costs in the year, added up over all of that patient's records, above "
                     f"{short_pounds(stop.threshold)} are borne by the commissioner")
            if stop.coinsurance is not None:
                words += f", except {percent_text(stop.coinsurance)} of them, which the provider still bears"
            if stop.limit is not None:
                words += f"; costs above {short_pounds(stop.limit)} for one patient fall back to the provider"
            limits.append((stop.clause or risk.clause or "", "Stop-loss", words + "."))
        if limits:
            blocks.append(Paragraph(numbers(None), "What a cap stops a party bearing passes to the other party. The caps, floors "
                                                   "and per-patient stop-loss are:", "Caps, floors and stop-loss"))
            blocks.append(Table("Caps, floors and stop-loss", ("Clause", "Limit", "Term"), tuple(limits), "risk limits"))
        inactive = [p.year for p in self.plans if p.risk is None]
        if inactive:
            blocks.append(Paragraph(numbers(None), f"The risk share does not operate in {list_years(inactive)}.", "Years"))
        chart = self.risk_chart()
        if chart is not None:
            blocks.append(chart)
        return Section("Part", "Risk share", tuple(blocks))

    def risk_chart(self) -> Optional[Chart]:
        from ..backends import Exact

        # a chart of the variance alone: not for sharing chosen by a condition (`gains when ...`), which it cannot show
        plan = next((p for p in self.plans if p.risk is not None and p.risk.gains is not None and p.budget
                     and not (p.risk.gains_when or p.risk.losses_when)), None)
        if plan is None or plan.risk is None or plan.budget is None:
            return None
        gains, losses = plan.risk.gains, plan.risk.losses
        assert gains is not None and losses is not None
        budget = plan.budget
        widest = max([e for s in (gains, losses) for b in s.bands for e in (b.lower, b.upper) if e is not None] + [ZERO])
        reach = max(budget * Decimal("0.2"), widest * Decimal("1.5"))
        steps = 80
        edges = sorted({-e for b in gains.bands for e in (b.lower, b.upper) if e} | {e for b in losses.bands for e in (b.lower, b.upper) if e})
        grid = sorted({reach * Decimal(i - steps) / steps for i in range(2 * steps + 1)} | set(edges))
        points = []
        for variance in grid:
            side = losses if variance > 0 else gains
            settled = side.settle(Exact(), abs(variance))
            provider, commissioner = settled.provider, settled.commissioner  # Decimal: the exact backend's
            assert isinstance(provider, Decimal) and isinstance(commissioner, Decimal)
            sign = -1 if variance > 0 else 1  # a loss borne is negative to the provider
            points.append(ChartPoint(variance, sign * provider, sign * commissioner))
        caption = (f"Each party's part of the variance in {self.year_label(plan.year).lower()}, on a budget of "
                   f"{pounds(budget)}: gains (under-spend) to the left, losses (over-spend) to the right; band edges dotted.")
        return Chart(caption, plan.year, budget, tuple(points), tuple(edges))

    def distribution(self) -> Section:
        distribution = self.contract.distribution
        assert distribution is not None
        numbers = Numbers(distribution.clause or "F")
        titles = {s.name: s.title for s in (self.contract.header.subcontractors if self.contract.header else ())}
        blocks: list[Block] = [Paragraph(numbers(distribution.clause), "The lead provider pays each subcontractor the shares "
                                                                       "below of what it receives; it keeps the rest.", "Shares")]
        rows = []
        for share in distribution.shares:
            parts = {p.component: percent_text(p.share) for p in share.parts}
            rows.append((share.clause or distribution.clause or "", titles.get(share.subcontractor, share.subcontractor),
                         parts.get("core", "–"), parts.get("outcomes", "–"), parts.get("bonus", "–")))
        blocks.append(Table("Distribution to subcontractors", ("Clause", "Subcontractor", "Core payment", "Outcome payments",
                                                               "Bonus payments"), tuple(rows), "distribution"))
        return Section("Part", "Distribution", tuple(blocks))

    def measures(self) -> Section:
        measures = self.contract.measures
        assert measures is not None
        numbers = Numbers(measures.clause or "G")
        blocks: list[Block] = [Paragraph(numbers(measures.clause), "The payment terms read these measures, supplied as data "
                                                                   "for each contract year; they pay nothing themselves.",
                                         "Measures")]
        rows = tuple((m.clause or measures.clause or "", m.title, unit_words(m.unit), m.source or "",
                      m.definition or m.description or "") for m in measures.measures)
        blocks.append(Table("Measures", ("Clause", "Measure", "Unit", "Source", "Definition"), rows, "measures"))
        return Section("Part", "Measures", tuple(blocks))

    # -- Schedule 4

    def outcomes(self) -> Section:
        outcomes = self.contract.outcomes
        assert outcomes is not None
        numbers = Numbers(outcomes.clause or "A")
        blocks: list[Block] = []
        total = self.contract.weight_total
        unit = outcomes.total.unit if outcomes.total is not None else None
        total_words = (f"{number_text(total)} points" if unit == "points" else percent_text(total)) if total else ""
        blocks.append(Paragraph(numbers(outcomes.clause),
                                "The outcomes pot is divided among the outcomes and bonuses by their weights"
                                + (f", out of {total_words}" if total_words else "")
                                + "; each outcome's share is divided among its indicators by their weights. This proportion "
                                  "is fixed for the term; the money follows the pot year by year.", "Weights"))
        rows = []
        for outcome in self.contract.all_outcomes:
            fraction = model.weight_fraction(outcome.weight, total)
            if fraction is None and model.takes_whole_pot(self.contract, outcome):
                fraction = Decimal(1)
            rows.append((outcome.clause or "", outcome.title, weight_words(outcome.weight),
                         share_words(fraction)))
        for bonus in self.contract.all_bonuses:
            rows.append((bonus.clause or "", f"Bonus: {bonus.title}", weight_words(bonus.weight),
                         share_words(model.bonus_fraction(self.contract, bonus))))
        blocks.append(Table("Outcomes and their weights", ("Clause", "Outcome", "Weight", "Share of the pot"), tuple(rows), "outcomes"))
        for bonus in self.contract.all_bonuses:
            condition = f"when {expression(bonus.condition)}" if bonus.condition is not None else "unconditionally"
            words = f"The bonus “{bonus.title}” pays its whole allocation {condition}, and nothing otherwise."
            if bonus.description:
                words += f" {bonus.description}"
            blocks.append(Paragraph(numbers(bonus.clause), words, "Bonus"))
        unearned = outcomes.unearned
        if unearned is not None:
            if unearned.destination == "retained":
                words = "Any part of the pot not earned in a year is retained by the commissioner."
            else:
                words = "Any part of the pot not earned in a year is reinvested in " + "; ".join(unearned.services) + "."
            blocks.append(Paragraph(numbers(unearned.clause), words, "Unearned pot"))
        return Section("Part", "Outcomes and weights", tuple(blocks))

    def indicators(self) -> list[Section]:
        sections = []
        for outcome in self.contract.all_outcomes:
            numbers = Numbers(outcome.clause or outcome.name)
            blocks: list[Block] = []
            words = f"Weight: {weight_words(outcome.weight)}." if outcome.weight is not None else ""
            if outcome.description:
                words = f"{outcome.description} {words}".strip()
            blocks.append(Paragraph(numbers(outcome.clause), words or "This outcome is measured by the indicators below.",
                                    outcome.title))
            for gate in outcome.gates:
                blocks.append(Paragraph(numbers(gate.clause), f"Nothing is paid for this outcome's indicators unless "
                                                              f"{expression(gate.condition)}.", "Gateway"))
            sections.append(Section("Part", outcome.title, tuple(blocks)))
            for indicator in outcome.indicators:
                sections.append(self.indicator(outcome, indicator))
        return sections

    def indicator(self, outcome: ast.Outcome, indicator: ast.Indicator) -> Section:
        numbers = Numbers(indicator.clause or outcome.clause or indicator.name)
        blocks: list[Block] = []
        summary = f"The indicator is {unit_words(indicator.unit)}. {direction_words(indicator)}".strip()
        if indicator.weight is not None:
            summary += f" Its weight within the outcome is {weight_words(indicator.weight)}."
        fraction = model.allocation_fraction(self.contract, outcome, indicator) if model.has_rule(indicator) else None
        if fraction is not None:
            summary += f" It is allocated {share_words(fraction)} of the outcomes pot."
        if not model.has_rule(indicator):
            summary += " It is measured but not paid for itself; other terms read its value."
        blocks.append(Paragraph(numbers(indicator.clause), summary, indicator.title))
        for label, text in (("Definition", indicator.definition), ("Numerator", indicator.numerator),
                            ("Denominator", indicator.denominator), ("Source", indicator.source),
                            ("Description", indicator.description)):
            if text:
                blocks.append(Paragraph(numbers(None), text, label))
        if indicator.measured_as is not None:
            blocks.append(Paragraph(numbers(None), f"The value is computed as {expression(indicator.measured_as)}.", "Measured as"))
        if indicator.data_from is not None:
            blocks.append(Paragraph(numbers(indicator.data_from_clause), f"Data is available from year {indicator.data_from}; "
                                    "the indicator is not linked to payment before then.", "Data"))
        if indicator.by_segment is not None:
            how = "equally" if indicator.by_segment == "equally" else "in proportion to their number of people"
            blocks.append(Paragraph(numbers(None), f"The indicator is measured in each population segment separately; its "
                                                   f"allocation is divided between the segments {how}.", "By segment"))
        rules = list(model.indicator_rules(indicator))
        if rules:
            blocks.extend(self.rule_blocks(indicator, rules, numbers))
        if indicator.scaling is not None:
            cap = f", at most {percent_text(indicator.scaling.cap)}" if indicator.scaling.cap is not None else ""
            blocks.append(Paragraph(numbers(indicator.scaling.clause),
                                    f"The payment earned is multiplied by {expression(indicator.scaling.factor)}, read as a "
                                    f"percentage{cap}." + (" What a factor above 100% adds to the payment is paid on top of "
                                                           "the outcomes pot, not from it." if indicator.scaling.on_top else ""),
                                    "Scaling"))
        for gate in indicator.gates:
            blocks.append(Paragraph(numbers(gate.clause), f"Nothing is paid for this indicator unless "
                                                          f"{expression(gate.condition)}.", "Gateway"))
        if model.has_rule(indicator):
            rows = []
            for plan in self.plans:
                line = plan.line(indicator.name)
                allocation = pounds(line.allocation) if line.allocation is not None else "shares of the pot"
                rows.append((self.year_label(plan.year), "yes" if line.linked else "no", allocation,
                             pounds(line.most) if line.linked else pounds(ZERO)))
            blocks.append(Table(f"Allocation of “{indicator.title}” in each year",
                                ("Year", "Linked to payment", "Allocation", "Most it can pay"), tuple(rows),
                                f"allocation:{indicator.name}"))
        return Section(f"Clause {indicator.clause}" if indicator.clause else "Indicator", indicator.title, tuple(blocks), level=3)

    def rule_blocks(self, indicator: ast.Indicator, rules, numbers: Numbers) -> list[Block]:
        direction = indicator.direction or "higher"
        blocks: list[Block] = []
        rows = []
        by_segment = any(segment is not None for segment, _ in rules)
        titles = {s.name: s.title for s in self.contract.segments}
        for segment, rule in rules:
            where = titles.get(segment, segment) if segment else ("every segment" if by_segment else "")
            prefix = f"In {where}: " if segment else ""
            if isinstance(rule, ast.Target):
                reached = threshold_words(rule.threshold, direction)
                rows.append((where, "Target", written_threshold(rule.threshold), reached, "100% of the indicator's allocation"))
                blocks.append(Paragraph(numbers(rule.clause), f"{prefix}A value of {reached} meets the target and pays the "
                                                              "whole of the indicator's allocation; otherwise nothing is paid.",
                                        "Target"))
            elif isinstance(rule, ast.Bands):
                sentences = []
                for band in rule.bands:
                    reached = band_range_words(band, direction)
                    pays = self.band_pays(indicator, rule, band)
                    written = written_threshold(band.threshold) + (f" to {threshold_value(band.upper)}" if band.upper else "")
                    rows.append((where, band.name.capitalize(), written, reached, pays))
                    reached_words = f"{reached}," if band.upper is not None else reached
                    sentences.append(f"A value of {reached_words} reaches {band.name.capitalize()} and pays {pays}.")
                blocks.append(Paragraph(numbers(rule.clause), prefix + " ".join(sentences)
                                        + " The highest band reached pays; lower bands are not added to it. A value below "
                                          "every band pays nothing.", "Bands"))
            else:
                floor, ceiling = amount_words(rule.floor), amount_words(rule.ceiling)
                worse, better = ("or less", "or more") if direction == "higher" else ("or more", "or less")
                rows.append((where, "Floor", threshold_value(rule.floor), f"{floor} {worse}",
                             f"{percent_text(rule.floor_pays)} of the indicator's allocation"))
                rows.append((where, "Ceiling", threshold_value(rule.ceiling), f"{ceiling} {better}",
                             f"{percent_text(rule.ceiling_pays)} of the indicator's allocation"))
                words = (f"{prefix}A value of {floor} {worse} pays {percent_text(rule.floor_pays)} of the indicator's allocation; "
                         f"a value of {ceiling} {better} pays {percent_text(rule.ceiling_pays)}; between them the payment "
                         "moves in a straight line")
                if rule.floor.kind == "absolute" and rule.ceiling.kind == "absolute":
                    middle = (rule.floor.amount + rule.ceiling.amount) / 2
                    shown = percent_text(middle) if rule.floor.literal == "percent" else number_text(middle)
                    words += f" ({shown} pays {percent_text((rule.floor_pays + rule.ceiling_pays) / 2)})"
                blocks.append(Paragraph(numbers(rule.clause), words + ".", "Sliding scale"))
        header = ("Segment", "Level", "As written", "Reached by a value of", "Pays") if by_segment else \
            ("Level", "As written", "Reached by a value of", "Pays")
        table_rows = tuple(row if by_segment else row[1:] for row in rows)
        blocks.append(Table(f"Thresholds of “{indicator.title}”", header, table_rows, f"thresholds:{indicator.name}"))
        return blocks

    def band_pays(self, indicator: ast.Indicator, rule: ast.Bands, band: ast.Band) -> str:
        """What the band pays: its own share, or the phasing schedule's share in each year that sets one."""
        by_year = []
        for plan in self.plans:
            if indicator.name not in plan.linked:
                continue
            for written, share, base, _ in model.year_band_shares(self.contract, indicator, rule, plan.year):
                if written is band:
                    by_year.append((plan.year, share, base))
        distinct = {(share, base) for _, share, base in by_year}
        if not by_year or (len(distinct) == 1 and (band.share, band.base) in distinct):
            return pays_words(band.share, band.base)
        return "; ".join(f"{pays_words(share, base)} in year {year}" for year, share, base in by_year)

    def phasing(self) -> Section:
        phasing = self.contract.phasing
        numbers = Numbers(phasing.clause if phasing and phasing.clause else "P")
        blocks: list[Block] = []
        if phasing is None:
            blocks.append(Paragraph(numbers(None), "Every indicator with a payment rule is linked to payment from the year its "
                                                   "data is available.", "Linking"))
        else:
            for phase in phasing.phases:
                words = [f"Phase {phase_title(phase)} covers {years_words(phase.first_year, phase.last_year, self.term_last)}."]
                names = [link.name for link in phase.links]
                if None in names:
                    words.append("Every indicator with a payment rule is linked to payment.")
                elif names:
                    words.append("These are linked to payment: " + ", ".join(self.title_of(n) for n in names if n) + ".")
                else:
                    words.append("No indicator is linked to payment.")
                for shares in phase.shares:
                    base = " of the pot" if shares.base == "pot" else " of the indicator's allocation"
                    listed = ", ".join(f"{s.band.capitalize()} {percent_text(s.share)}" for s in shares.shares)
                    words.append(f"The bands of {self.title_of(shares.indicator)} pay {listed}{base}.")
                if phase.weights is not None:
                    listed = ", ".join(f"{self.title_of(w.name)} {weight_words(w.weight)}" for w in phase.weights.weights)
                    clause = f" (clause {phase.weights.clause})" if phase.weights.clause else ""
                    words.append(f"In these years the weights are: {listed}{clause}; every other weight is as the outcomes "
                                 "schedule states.")
                if phase.risk_share is True:
                    words.append("The risk share applies.")
                elif phase.risk_share is False:
                    words.append("The risk share does not apply.")
                blocks.append(Paragraph(numbers(phase.clause), " ".join(words), phase_title(phase).capitalize()))
        header = ("Indicator",) + tuple(self.year_label(p.year) for p in self.plans)
        rows = []
        for indicator in self.contract.all_indicators:
            if not model.has_rule(indicator):
                continue
            cells = []
            for plan in self.plans:
                line = plan.line(indicator.name)
                if not line.linked:
                    cells.append("–")
                elif line.allocation is not None:
                    cells.append(pounds(line.allocation))
                else:
                    cells.append(f"up to {pounds(line.most)}")
            rows.append((indicator.title,) + tuple(cells))
        rows.append(("Outcomes pot",) + tuple(pounds(p.pot) for p in self.plans))
        blocks.append(Table("Phasing: each indicator's allocation in the years it is linked to payment (– not linked)",
                            header, tuple(rows), "phasing"))
        return Section("Part", "Phasing schedule", tuple(blocks))

    def title_of(self, name: str) -> str:
        for outcome in self.contract.all_outcomes:
            if outcome.name == name:
                return f"“{outcome.title}”"
            for indicator in outcome.indicators:
                if indicator.name == name:
                    return f"“{indicator.title}”"
        for measure in self.contract.all_measures:
            if measure.name == name:
                return f"“{measure.title}”"
        for bonus in self.contract.all_bonuses:
            if bonus.name == name:
                return f"“{bonus.title}”"
        return f"`{name}`"


def lettered(sections: list[Section]) -> list[Section]:
    """Each schedule's parts lettered in order: Part A, Part B, ... (after Z, AA)."""
    out = []
    count = 0
    for section in sections:
        if section.level == 1:
            count = 0
        elif section.level == 2:
            count += 1
            section = attrs.evolve(section, number=f"Part {letters(count).upper()}")
        out.append(section)
    return out


def phase_title(phase: Optional[ast.Phase]) -> str:
    return phase.name.replace("_", " ") if phase is not None else ""


def weight_words(weight: Optional[ast.Weight]) -> str:
    if weight is None:
        return "–"
    return f"{number_text(weight.value)} points" if weight.unit == "points" else percent_text(weight.value)


def share_words(fraction: Optional[Decimal]) -> str:
    if fraction is None:
        return "set by its bands"
    return percent_text((fraction * 100).quantize(Decimal("0.01")).normalize())


def risk_range_words(band: ast.RiskBand) -> str:
    if band.lower is None and band.upper is not None:
        return f"up to {risk_amount_words(band.upper)}"
    if band.upper is None and band.lower is not None:
        return f"above {risk_amount_words(band.lower)}"
    if band.lower is not None and band.upper is not None:
        return f"from {risk_amount_words(band.lower)} to {risk_amount_words(band.upper)}"
    return "all of it"


def list_years(years: list[int]) -> str:
    if len(years) == 1:
        return f"year {years[0]}"
    if years == list(range(years[0], years[-1] + 1)):
        return f"years {years[0]} to {years[-1]}"
    return "years " + ", ".join(str(y) for y in years[:-1]) + f" and {years[-1]}"
