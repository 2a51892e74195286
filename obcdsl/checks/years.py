"""Years: the term, data availability, and the phasing schedule."""

from __future__ import annotations

from .. import ast, model
from .. import diagnostics as d
from ..diagnostics import Diagnostic, Label


def check(contract: ast.Contract) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    term = contract.term
    last = term.last_year if term is not None else None
    found += year_ranges(contract, last)
    found += phase_overlaps(contract)
    if last is not None:
        found += phase_coverage(contract, last)
    found += linked_before_data(contract)
    return found


def outside_term(year: int, last: int, span, what: str, clause) -> Diagnostic:
    return d.error(
        "OBC501",
        f"{what} year {year} is outside the contract term",
        span,
        label=f"the term runs from year 1 to year {last}",
        help="contract years are counted from 1, the first year of the term",
        clause=clause,
    )


def year_ranges(contract: ast.Contract, last: int | None) -> list[Diagnostic]:
    found = []
    def within(year, span, what, clause):
        if year is None:
            return
        if year < 1 or (last is not None and year > last):
            found.append(outside_term(year, last if last is not None else 0, span, what, clause))

    for indicator in contract.all_indicators:
        within(indicator.data_from, indicator.data_from_span, f"data for `{indicator.name}` starts in",
               indicator.data_from_clause or indicator.clause)
    budget = contract.budget
    if budget is not None:
        for rate in budget.efficiency + budget.uplift:
            within(rate.year, rate.span, "the rate applies in", rate.clause)
    for phase in contract.phases:
        within(phase.first_year, phase.years_span, f"phase `{phase.name}` starts in", phase.clause)
        within(phase.last_year, phase.years_span, f"phase `{phase.name}` ends in", phase.clause)
        if phase.last_year is not None and phase.last_year < phase.first_year:
            found.append(
                d.error(
                    "OBC505",
                    f"phase `{phase.name}` runs from year {phase.first_year} back to year {phase.last_year}",
                    phase.years_span,
                    help=f"write `years {phase.last_year} to {phase.first_year}`",
                    clause=phase.clause,
                )
            )
    return found


def phase_overlaps(contract: ast.Contract) -> list[Diagnostic]:
    found = []
    phases = contract.phases
    horizon = model.last_year(contract)
    for index, phase in enumerate(phases):
        for earlier in phases[:index]:
            end_a = phase.last_year if phase.last_year is not None else horizon
            end_b = earlier.last_year if earlier.last_year is not None else horizon
            start = max(phase.first_year, earlier.first_year)
            if start <= min(end_a, end_b):
                found.append(
                    d.error(
                        "OBC503",
                        f"phases `{earlier.name}` and `{phase.name}` both cover year {start}",
                        phase.years_span,
                        related=(Label(earlier.years_span, f"`{earlier.name}` covers it too"),),
                        help="each contract year belongs to one phase",
                        clause=phase.clause,
                    )
                )
                break
    return found


def phase_coverage(contract: ast.Contract, last: int) -> list[Diagnostic]:
    if contract.phasing is None or not contract.phases:
        return []
    missing = [y for y in range(1, last + 1) if model.phase_for(contract, y) is None]
    if not missing:
        return []
    years = ", ".join(str(y) for y in missing)
    return [
        d.warning(
            "OBC504",
            f"no phase covers year{'s' if len(missing) > 1 else ''} {years}",
            contract.phasing.span,
            label="this schedule",
            help="nothing from the outcomes pot is linked to payment in a year no phase covers; add a phase if that is not meant",
            clause=contract.phasing.clause,
        )
    ]


def linked_before_data(contract: ast.Contract) -> list[Diagnostic]:
    found = []
    indicators = {i.name: i for i in contract.all_indicators}
    outcomes = {o.name: o for o in contract.all_outcomes}
    for phase in contract.phases:
        for link in phase.links:
            if link.name is None:
                targets = [i for i in indicators.values() if model.has_rule(i)]
            elif link.name in outcomes:
                targets = list(outcomes[link.name].indicators)
            elif link.name in indicators:
                targets = [indicators[link.name]]
            else:
                continue
            for indicator in targets:
                if indicator.data_from is not None and indicator.data_from > phase.first_year:
                    found.append(
                        d.error(
                            "OBC502",
                            f"`{indicator.name}` is linked to payment in year {phase.first_year}, but its data is available only from year {indicator.data_from}",
                            link.span,
                            label=f"linked from year {phase.first_year}",
                            related=(Label(indicator.data_from_span, f"data available from year {indicator.data_from}"),),
                            help=f"link `{indicator.name}` from year {indicator.data_from} in a later phase",
                            clause=phase.clause,
                        )
                    )
    return found
