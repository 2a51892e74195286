"""Years: the term, data availability, and the phasing schedule."""

from __future__ import annotations

from .. import ast, model
from .. import diagnostics as d
from ..diagnostics import Diagnostic, Label


def check(contract: ast.Contract) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    term = contract.term
    if term is not None and model.term_too_long(contract):
        return [
            d.error(
                "OBC507",
                f"a term of {term.last_year} years is longer than obcdsl computes, at most {model.MAX_TERM_YEARS} years "
                "with any extension",
                term.span,
                help="is the number of years right? a term is written `term 5 years from 2025/26`",
                clause=term.clause,
            )
        ]
    last = term.last_year if term is not None else None
    found += year_ranges(contract, last)
    found += phase_overlaps(contract)
    if last is not None:
        found += phase_coverage(contract, last)
    found += linked_before_data(contract)
    found += bonus_before_outcomes_linked(contract)
    return found


def bonus_before_outcomes_linked(contract: ast.Contract) -> list[Diagnostic]:
    """A bonus that waits on outcomes or indicators cannot pay in a year that does not link them yet."""
    outcomes = {o.name: o for o in contract.all_outcomes}
    found = []
    for bonus in contract.all_bonuses:
        if bonus.condition is None:
            continue
        needed: dict[str, tuple[ast.Indicator, ...]] = {}
        for node in model.iter_subexpressions(bonus.condition):
            if isinstance(node, ast.AllAchieved):
                needed.update((o.name, o.indicators) for o in contract.all_outcomes)
            elif isinstance(node, ast.Achieved):
                indicators = outcomes[node.name].indicators if node.name in outcomes else tuple(
                    i for i in contract.all_indicators if i.name == node.name)
                needed[node.name] = indicators
        blocked: dict[str, list[int]] = {}
        for year in model.contract_years(contract):
            pot = model.components_for_year(contract, year).pot
            if pot is None or pot.value == 0:
                continue  # no pot, so no bonus to miss
            linked = {i.name for i in model.linked_indicators(contract, year)}
            for name, indicators in needed.items():
                if not any(i.name in linked for i in indicators):
                    blocked.setdefault(name, []).append(year)
        if not blocked:
            continue
        name, years = next(iter(blocked.items()))
        found.append(
            d.warning(
                "OBC506",
                f"bonus `{bonus.name}` waits on `{name}`, which is not linked to payment in {year_list(years)}, "
                f"so the bonus cannot be earned then",
                bonus.name_span,
                notes=tuple(f"`{other}` is not linked to payment in {year_list(ys)}" for other, ys in list(blocked.items())[1:]),
                help="link what the bonus waits on in those years; otherwise its allocation is unearned in them",
                clause=bonus.clause,
            )
        )
    return found


def year_list(years: list[int]) -> str:
    if len(years) == 1:
        return f"year {years[0]}"
    return "years " + ", ".join(str(y) for y in years[:-1]) + f" and {years[-1]}"


def outside_term(year: int, last: int, span, what: str, clause) -> Diagnostic:
    late = year > last > 0
    return d.error(
        "OBC501",
        f"{what} year {year}, {'after the contract term ends' if late else 'outside the contract term'}",
        span,
        label=f"the term runs from year 1 to year {last}",
        help=(f"year {last} is the last year of the term, counting any extension; is year {year} right?" if late
              else "contract years are counted from 1, the first year of the term"),
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
        for addition in budget.additions:
            within(addition.year, addition.span, f'"{addition.service}" is added to the budget from', addition.clause)
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
    last = contract.term.last_year if contract.term is not None else None
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
                if last is not None and indicator.data_from is not None and indicator.data_from > last:
                    continue  # data only after the term: OBC501 says so, and no later phase can help
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
