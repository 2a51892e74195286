"""Portfolio simulation: a system's contracts drawn together, each paid by its own rules.

One spec covers every contract, with a table for each (named by the file's
stem), what ties their variables together, and the system's allocation:

    [portfolio]
    allocation = "£95m"                        # the system's allocation for the year

    [contracts.oxfordshire_mental_health]
    year = 3
    spec = "oxfordshire_year3.toml"            # a one-contract spec, relative to this file

    [contracts.risk_share_corridor]
    year = 2                                   # or the one-contract tables inline:
    [contracts.risk_share_corridor.indicators.recovery_rate]
    distribution = "normal"
    mean = 52
    sd = 6

    [drivers.demand]                           # something that moves several variables at once
    "oxfordshire_mental_health.actual_cost" = 0.6
    "risk_share_corridor.actual_cost" = 0.5

    [[correlation]]                            # variables of different contracts: `contract.variable`
    between = ["oxfordshire_mental_health.crisis_response_4h", "risk_share_corridor.recovery_rate"]
    rho = 0.3

Every scenario draws all contracts at once, so the system's total is a sum
scenario by scenario, in whole pennies.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Callable, Optional

import attrs
import numpy as np

from . import ast
from .diagnostics import Diagnostic
from .simulate import (Job, Member, Model, Summary, SpecError, distribution, read_toml, run_chunks, spec_error, spec_from_table,
                       summarise)
from .vector import year_model

TOTALS = {"commissioner_cost": "Commissioner cost", "provider_income": "Provider income"}
UNITS = {"": Decimal(1), "k": Decimal(1000), "m": Decimal(10) ** 6, "bn": Decimal(10) ** 9}


def is_portfolio_spec(path: str | Path) -> bool:
    """Whether a spec is a portfolio's: it has a `[contracts]` or `[portfolio]` table (False if it cannot be read)."""
    try:
        document = read_toml(Path(path))
    except SpecError:
        return False
    return "contracts" in document or "portfolio" in document


def money(value) -> Optional[Decimal]:
    """Pounds from a number or text such as `£95m`, `£1.2bn`, `£37,000,000`; None if it is neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    if not isinstance(value, str):
        return None
    found = re.fullmatch(r"\s*£?\s*([0-9][0-9,]*(?:\.[0-9]+)?)\s*(k|m|bn)?\s*", value.lower())
    if found is None:
        return None
    try:
        return Decimal(found.group(1).replace(",", "")) * UNITS[found.group(2) or ""]
    except InvalidOperation:
        return None


@attrs.frozen
class Portfolio:
    """A portfolio spec read against its contracts: the joint model and the system's allocation."""

    model: Model
    allocation: Optional[Decimal]


def read_portfolio(path: str | Path, contracts: list[tuple[str, ast.Contract, Optional[int]]]) -> Portfolio:
    """Read a portfolio spec for `contracts` ((key, tree, year from the command line, or None)); `SpecError` if unusable."""
    path = Path(path)
    name = str(path)
    document = read_toml(path)
    problems: list[Diagnostic] = []
    sections = document.get("contracts", {})
    if not isinstance(sections, dict):
        raise SpecError([spec_error(name, "`contracts` must be a table with one table for each contract")])
    table = document.get("portfolio", {})
    if not isinstance(table, dict):
        raise SpecError([spec_error(name, "`portfolio` must be a table")])
    allocation = None
    if "allocation" in table:
        allocation = money(table["allocation"])
        if allocation is None:
            problems.append(spec_error(name, f"`allocation` must be an amount in pounds, such as \"£95m\"; not `{table['allocation']}`"))
    keys = [key for key, _, _ in contracts]
    members = []
    for key, tree, default_year in contracts:
        section = sections.get(key)
        if not isinstance(section, dict):
            problems.append(spec_error(name, f"the spec has no `[contracts.{key}]` table for `{key}`",
                                       "add one with the contract's `year` and its distributions (or `spec = \"FILE\"`)"))
            continue
        year = section.get("year", default_year)
        if not isinstance(year, int) or isinstance(year, bool):
            problems.append(spec_error(name, f"`contracts.{key}` needs `year = N`, the contract year to simulate (or give --year)"))
            continue
        if year not in contract_years(tree):
            problems.append(spec_error(name, f"`contracts.{key}`: year {year} is outside the contract term"))
            continue
        model_year = year_model(tree, year)
        where, base, own = f"`contracts.{key}`", path, section
        if "spec" in section:
            base = path.parent / str(section["spec"])
            where = f"`contracts.{key}` (`{base}`)"
            try:
                own = read_toml(base)
            except SpecError as exc:
                problems.extend(exc.diagnostics)
                continue
        try:
            spec = spec_from_table(own, base, model_year, where)
        except SpecError as exc:
            problems.extend(exc.diagnostics)
            continue
        members.append(Member(key, tree, model_year, spec))
    for key in sections:
        if key not in keys:
            problems.append(spec_error(name, f"`contracts.{key}` names no contract given", "contracts given: " + ", ".join(keys)))
    variables = {v[0] for v in Model(tuple(members)).variables()}

    def known(variable) -> bool:
        return isinstance(variable, str) and any(v == variable or v.split("/")[0] == variable for v in variables)

    correlations = []
    for item in document.get("correlation", []):
        between = item.get("between") if isinstance(item, dict) else None
        rho = item.get("rho") if isinstance(item, dict) else None
        if not (isinstance(between, list) and len(between) == 2 and isinstance(rho, (int, float)) and -1 <= rho <= 1):
            problems.append(spec_error(name, "each `[[correlation]]` needs `between = [\"contract.a\", \"contract.b\"]` "
                                             "and `rho` from -1 to 1"))
            continue
        for variable in between:
            if not known(variable):
                problems.append(spec_error(name, f"correlation names `{variable}`, which is no contract's variable",
                                           "name variables `contract.indicator` or `contract.actual_cost`"))
        correlations.append((between[0], between[1], float(rho)))
    drivers = {}
    for driver, loads in document.get("drivers", {}).items():
        if not isinstance(loads, dict) or not loads or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and -1 <= v <= 1 for v in loads.values()):
            problems.append(spec_error(name, f"`drivers.{driver}` must give each variable it moves a correlation from -1 to 1"))
            continue
        for variable in loads:
            if not known(variable):
                problems.append(spec_error(name, f"`drivers.{driver}` names `{variable}`, which is no contract's variable"))
        drivers[driver] = {k: float(v) for k, v in loads.items()}
    if problems:
        raise SpecError(problems)
    return Portfolio(Model(tuple(members), tuple(correlations), drivers, name), allocation)


def build_model(job: Job) -> Model:
    """A portfolio's model, in a worker: the contracts compiled, the spec read."""
    return read_portfolio(job.spec, [(key, tree, year) for key, tree, year in job.trees()]).model


def contract_years(tree: ast.Contract) -> range:
    from .model import contract_years as years

    return years(tree)


@attrs.frozen
class PortfolioSummary:
    """Each contract's summary, and the system's totals scenario by scenario."""

    scenarios: int
    seed: int
    allocation: Optional[Decimal]
    contracts: tuple  # (key, path, Summary), ...
    totals: dict  # TOTALS key → distribution
    over_allocation: Optional[float]  # the probability that the commissioners' total cost exceeds the allocation
    samples: dict = attrs.field(factory=dict, eq=False, repr=False)  # TOTALS key → every scenario's total, in pounds

    def to_dict(self) -> dict:
        return {
            "scenarios": self.scenarios,
            "seed": self.seed,
            "allocation": None if self.allocation is None else float(self.allocation),
            "total": {
                "measures": self.totals,
                "probability_over_allocation": self.over_allocation,
            },
            "contracts": [{"key": key, "path": path, **summary.to_dict()} for key, path, summary in self.contracts],
        }


def simulate_portfolio(contracts: list, spec_path: str | Path, scenarios: int, seed: int = 0, year: Optional[int] = None,
                       workers: int = 1, progress: Optional[Callable[[int], None]] = None) -> PortfolioSummary:
    """Draw `scenarios` years of every contract together and pay each; `contracts`: checked `obcdsl.Contract`s.

    Each contract is named by its file's stem; the same seed gives the same figures on any number of workers.
    """
    keyed = [(Path(c.path).stem, c) for c in contracts]
    portfolio = read_portfolio(spec_path, [(key, c.ast, year) for key, c in keyed])
    model = portfolio.model
    entries = []
    for (key, contract), member in zip(keyed, model.members):
        path = Path(contract.path)
        text = path.read_text(encoding="utf-8-sig") if path.is_file() else None
        entries.append((key, contract.path, text, None if text is not None else contract.ast, member.year.year))
    job = Job(tuple(entries), str(spec_path), builder=__name__)
    paid = run_chunks(model, job, scenarios, seed, workers, False, progress)
    return summarise_portfolio(portfolio, keyed, paid, scenarios, seed)


def summarise_portfolio(portfolio: Portfolio, keyed: list, paid: list, scenarios: int, seed: int) -> PortfolioSummary:
    """The summary from every chunk's payments, in chunk order (whoever paid them: this machine's workers, or Spark)."""
    model = portfolio.model
    summaries: list[Summary] = [summarise(member, [chunk[i] for chunk in paid], scenarios, seed)
                                for i, member in enumerate(model.members)]
    pennies = {key: sum((np.rint(s.values[key] * 100).astype(np.int64) for s in summaries), np.zeros(scenarios, np.int64))
               for key in TOTALS}
    samples = {key: values / 100 for key, values in pennies.items()}
    over = None
    if portfolio.allocation is not None:
        limit = int((portfolio.allocation * 100).to_integral_value())
        over = round(float(np.count_nonzero(pennies["commissioner_cost"] > limit)) / scenarios, 4)
    return PortfolioSummary(scenarios, seed, portfolio.allocation,
                            tuple((key, c.path, s) for (key, c), s in zip(keyed, summaries)),
                            {key: distribution(v) for key, v in samples.items()}, over, samples)
