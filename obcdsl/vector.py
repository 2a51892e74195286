"""Array evaluation: a contract year over many scenarios at once, with NumPy.

The year is compiled once into its plan (`obcdsl.plan`), and the one
interpreter (`obcdsl.interpret`) pays every scenario at once with the array
backend: what varies (indicator values, actual cost) is an array with one
element a scenario. Floats decide nothing they cannot settle: a scenario
with a near tie (a value a hair from a threshold, an amount a hair from
half a penny) is paid again with the exact backend, so array and exact
evaluation agree to the penny on every line (`tests/test_differential.py`).

Scenarios leave out the per-patient stop-loss unless `stop-loss excess` is
given, and the population adjustment of the budget unless the actual
population is given (`actual population`, or `actual population/segment`):
then each scenario's budget is worked out exactly by the plan's own rule
(`plan.budget_for_year`), and the scenarios are paid in groups, one for
each distinct budget, each by the year compiled for that budget.
"""

from __future__ import annotations

import decimal
from decimal import Decimal
from typing import Callable, Optional

import attrs
import numpy as np

from . import ast
from .backends import Array, Exact
from .data import ACTUAL_COST, ACTUAL_POPULATION, Data, DataPoint
from .expressions import values_read
from .interpret import ArrayInputs, ExactInputs, YearResult, run_year, scenario_data
from .money import exact_context
from .plan import Missing, YearPlan, budget_for_year, compile_year, plan_for, risk_reads

EXACT = Exact()

YearModel = YearPlan  # the name simulation code has used for a compiled year


def year_model(contract: ast.Contract, year: int) -> YearPlan:
    """The year's plan, with the budget as projected (no population adjustment)."""
    with decimal.localcontext(exact_context()):
        return plan_for(contract, year)


def inputs_of(plan: YearPlan) -> list[str]:
    """The names of the arrays a simulation must supply (besides `actual cost`): `name` or `name/segment`."""
    return sorted(values_needed(plan) - {ACTUAL_COST})


def last_year_inputs(plan: YearPlan) -> list[str]:
    """The values of the year before that a year compares with (`2 points above last year`), after year 1:
    `name` or `name/segment`, given as baselines keyed `last year:name`."""
    if plan.year == 1:  # last year's value is the baseline
        return []
    names = set()
    for part in plan.parts:
        for value in values_read(part.baseline) if part.baseline is not None else ():
            if value.previous:
                names.add(f"{value.name}/{part.segment}" if value.by_segment and part.segment else value.name)
    return sorted(names)


def needs_actual_cost(plan: YearPlan) -> bool:
    """Whether the year reads the actual cost: to share a variance, or in a condition (`actual_cost at most ...`)."""
    return bool(sharing_of(plan)) or ACTUAL_COST in values_needed(plan)


def values_needed(plan: YearPlan) -> set[str]:
    names: set[str] = set()
    for line in plan.lines:
        if not line.linked:
            continue
        for part in line.parts:
            for value in values_read(part.value):
                names.add(f"{value.name}/{part.segment}" if value.by_segment and part.segment else value.name)
            if part.baseline is not None:  # a comparator measure is the year's data; a baseline, last year's value are not
                names.update(v.name for v in values_read(part.baseline) if not (v.baseline or v.previous))
        for node in [g.condition for g in line.gates] + ([line.scale.factor] if line.scale is not None else []):
            names.update(v.name for v in values_read(node) if not v.baseline)
    for bonus in plan.bonuses:
        if bonus.condition is not None:
            names.update(v.name for v in values_read(bonus.condition) if not v.baseline)
    for node in risk_reads(plan):
        names.update(v.name for v in values_read(node) if not v.baseline)
    for deduction in plan.deductions:
        names.update(v.name for v in values_read(deduction.gate.condition) if not v.baseline)
    names.update(item.name for item in plan.activity if item.in_force)  # volumes (patients counted, for items per patient)
    return names


def sharing_of(plan: YearPlan) -> dict:
    """`gains` and `losses` → the year's sharing, when its risk share shares a variance."""
    risk = plan.risk
    if risk is None or not risk.shares_variance:
        return {}
    return {"gains": risk.gains, "losses": risk.losses}


@attrs.frozen
class Results:
    """Arrays, one element a scenario; money in pounds, to the penny."""

    lines: dict  # indicator name → amount paid
    bonuses: dict
    reached: dict  # part key → index of the highest band reached (-1 none), for banded parts
    outcomes_paid: np.ndarray
    bonus_paid: np.ndarray
    unearned: np.ndarray
    transfer: np.ndarray
    provider_share: np.ndarray
    commissioner_share: np.ndarray
    cap_binds: np.ndarray
    total_to_provider: np.ndarray
    variance: np.ndarray
    refused: np.ndarray  # scenarios with a division by zero, which exact evaluation refuses as data (a factor then counts as 0)
    deducted: np.ndarray  # taken from the core by deductions whose conditions fail
    top_up: np.ndarray  # paid to bring the total up to `total payment at least ...`
    carved_out: np.ndarray  # paid out of the budget to the carve-outs' destinations (each scenario's budget's)
    settled_exactly: int = 0  # how many scenarios were near a tie and paid with the exact backend
    activity: dict = attrs.field(factory=dict)  # activity item name → amount paid


def adjusts_for_population(plan: YearPlan) -> bool:
    """Whether the year's budget follows the actual population (`adjust for population growth`)."""
    budget = plan.contract.budget
    return budget is not None and budget.population_adjustment is not None


def population_keys(inputs: dict) -> list[str]:
    """The inputs that are actual populations: `actual population`, `actual population/segment`."""
    return sorted(k for k in inputs if k.partition("/")[0] == ACTUAL_POPULATION)


def run(plan: YearPlan, inputs: dict, baselines: Optional[dict] = None,
        exact_data: Optional[Callable[[int], Data]] = None, settle_near_ties: bool = True,
        plans: Optional[dict] = None) -> Results:
    """Pay the year for every scenario. `inputs`: name → array of values, `actual cost` for the risk share,
    `actual population` (or `actual population/segment`, whole people) for the budget's population adjustment.

    `exact_data(i)`, if given, is scenario `i` as exact data (for example the decimals the
    floats were read from); otherwise a near tie is settled with the floats' exact values.
    `plans` keeps the year compiled for each budget, from one call to the next. Raises `Missing`
    when a drawn population makes a budget the exact evaluator would refuse.
    """
    if population_keys(inputs) and adjusts_for_population(plan):
        return run_by_budget(plan, inputs, baselines, exact_data, settle_near_ties, {} if plans is None else plans)
    return run_plan(plan, inputs, baselines, exact_data, settle_near_ties)


def budgets_of(plan: YearPlan, inputs: dict) -> tuple[list[Decimal], np.ndarray]:
    """Each scenario's budget, worked out exactly once for each distinct population: (the budgets, each scenario's)."""
    keys = population_keys(inputs)
    table = np.column_stack([np.asarray(inputs[k], dtype=float) for k in keys])
    distinct, inverse = np.unique(table, axis=0, return_inverse=True)
    found: dict[Optional[Decimal], int] = {}
    codes = np.empty(len(distinct), dtype=np.int64)
    with decimal.localcontext(exact_context()):
        for row, people in enumerate(distinct):
            points = tuple(DataPoint(ACTUAL_POPULATION, plan.year, k.partition("/")[2] or None, Decimal(repr(float(n))))
                           for k, n in zip(keys, people))
            budget, _ = budget_for_year(plan.contract, Data(points), plan.year, plan.rounding)
            codes[row] = found.setdefault(budget, len(found))
    return list(found), codes[np.ravel(inverse)]  # type: ignore[arg-type]


def run_by_budget(plan: YearPlan, inputs: dict, baselines: Optional[dict], exact_data: Optional[Callable[[int], Data]],
                  settle_near_ties: bool, plans: dict) -> Results:
    """Scenarios with drawn populations: each distinct budget's scenarios paid by the year compiled for that budget."""
    budgets, group = budgets_of(plan, inputs)
    size = len(group)
    if len(budgets) == 1 and budgets[0] == plan.budget:
        return run_plan(plan, inputs, baselines, exact_data, settle_near_ties)
    counts = np.bincount(group, minlength=len(budgets))
    if counts.max() <= FEW:
        counts[int(np.argmax(counts))] = FEW + 1  # one group in arrays at least, to hold the results
    parts, alone = [], []
    for code, budget in enumerate(budgets):
        chosen = np.flatnonzero(group == code)
        year = plan if budget == plan.budget else plans.get(budget)
        if year is None:
            if len(plans) >= PLANS_KEPT:  # a population drawn from a wide distribution makes a budget a scenario
                plans.clear()
            with decimal.localcontext(exact_context()):
                year = plans[budget] = compile_year(plan.contract, plan.year, budget)
        if counts[code] <= FEW:
            with decimal.localcontext(exact_context()):
                try:
                    for scenario in chosen.tolist():
                        data = exact_data(scenario) if exact_data is not None else scenario_data(year, inputs, baselines, scenario)
                        alone.append((scenario, run_year(year, EXACT, ExactInputs(year, data))))
                    continue
                except Missing:  # data the exact evaluator refuses (a division by zero): paid in arrays, as any such
                    alone = [(i, result) for i, result in alone if i not in set(chosen.tolist())]
        some = {k: np.asarray(v)[chosen] for k, v in inputs.items()}
        some_baselines = {k: (v if np.ndim(v) == 0 else np.asarray(v)[chosen]) for k, v in (baselines or {}).items()}
        exact = (lambda i, chosen=chosen: exact_data(int(chosen[i]))) if exact_data is not None else None
        parts.append((chosen, run_plan(year, some, some_baselines, exact, settle_near_ties)))
    results = merged(parts, size)
    arrays = {field.name: getattr(results, field.name) for field in attrs.fields(Results)}
    for scenario, exact_result in alone:
        overwrite(arrays, scenario, exact_result)
    return results


PLANS_KEPT = 4096  # years compiled for drawn budgets, kept from one chunk to the next: memory stays bounded
FEW = 6  # a budget drawn by so few scenarios is paid exactly, scenario by scenario: faster than arrays that small (measured)


def merged(parts: list[tuple[np.ndarray, Results]], size: int) -> Results:
    """Results of groups of scenarios put back in scenario order."""
    def place(pick) -> np.ndarray:
        first = pick(parts[0][1])
        whole = np.empty(size, dtype=first.dtype)
        for chosen, results in parts:
            whole[chosen] = pick(results)
        return whole

    first = parts[0][1]
    fields: dict = {}
    for field in attrs.fields(Results):
        value = getattr(first, field.name)
        if isinstance(value, dict):
            fields[field.name] = {key: place(lambda r, f=field.name, k=key: getattr(r, f)[k]) for key in value}
        elif isinstance(value, np.ndarray):
            fields[field.name] = place(lambda r, f=field.name: getattr(r, f))
    return Results(settled_exactly=sum(r.settled_exactly for _, r in parts), **fields)


def run_plan(plan: YearPlan, inputs: dict, baselines: Optional[dict] = None,
             exact_data: Optional[Callable[[int], Data]] = None, settle_near_ties: bool = True) -> Results:
    """Pay every scenario by one compiled year (its budget as the plan has it)."""
    size = len(next(iter(inputs.values()))) if inputs else 1
    costs = np.asarray(inputs.get(ACTUAL_COST, 0.0), dtype=float)
    scale = max(float(plan.budget or 0), float(plan.pot), float(np.max(np.abs(costs), initial=0.0)))
    backend = Array(size, scale)
    result = run_year(plan, backend, ArrayInputs(inputs, baselines, size, plan.year))
    arrays = collect(result, size)
    # a search that confirms its own answer exactly (the counterexample search) may leave near ties to the floats
    doubtful = np.flatnonzero(backend.doubtful & ~backend.unpayable) if settle_near_ties else np.zeros(0, dtype=np.int64)
    settled = 0
    for index in doubtful:
        data = exact_data(int(index)) if exact_data is not None else scenario_data(plan, inputs, baselines, int(index))
        try:
            with decimal.localcontext(exact_context()):
                exact = run_year(plan, EXACT, ExactInputs(plan, data))
        except Missing:
            continue  # data the exact evaluator refuses (a stop-loss without patient costs): the floats' answer stands
        overwrite(arrays, int(index), exact)
        settled += 1
    return Results(refused=backend.unpayable.copy(), settled_exactly=settled, **arrays)


def collect(result: YearResult, size: int) -> dict:
    def full(value, dtype=float):
        return np.array(np.broadcast_to(np.asarray(value, dtype=dtype), (size,)))

    lines = {name: full(line.amount) for name, line in result.lines.items() if line.plan.linked}
    reached = {}
    for line in result.lines.values():
        for part in line.parts:
            if part.index is not None and part.plan.band_names:
                reached[part.plan.key] = full(part.index, np.int64)
    risk = result.risk
    zeros = np.zeros(size)
    return dict(
        lines=lines,
        bonuses={b.bonus.name: full(b.amount) for b in result.bonuses},
        reached=reached,
        outcomes_paid=full(result.outcomes_paid),
        bonus_paid=full(result.bonus_paid),
        unearned=np.round(full(result.unearned), 2),
        transfer=full(risk.transfer) if risk is not None else zeros.copy(),
        provider_share=full(risk.provider_share) if risk is not None else zeros.copy(),
        commissioner_share=full(risk.commissioner_share) if risk is not None else zeros.copy(),
        cap_binds=full(risk.binds, bool) if risk is not None else np.zeros(size, dtype=bool),
        total_to_provider=np.round(full(result.total_to_provider), 2),
        variance=full(risk.variance) if risk is not None and risk.variance is not None else zeros.copy(),
        deducted=full(result.deducted),
        top_up=np.round(full(result.top_up), 2),
        carved_out=full(result.plan.carved_out),
        activity={paid.plan.name: full(paid.amount) for paid in result.activity},
    )


def overwrite(arrays: dict, index: int, exact: YearResult) -> None:
    """Put one scenario's exact result in place of its floats."""
    for name, line in exact.lines.items():
        if name in arrays["lines"]:
            arrays["lines"][name][index] = float(line.amount)
        for part in line.parts:
            if part.plan.key in arrays["reached"]:
                arrays["reached"][part.plan.key][index] = part.index
    for bonus in exact.bonuses:
        arrays["bonuses"][bonus.bonus.name][index] = float(bonus.amount)
    for key in ("outcomes_paid", "bonus_paid", "unearned", "total_to_provider", "deducted", "top_up"):
        arrays[key][index] = float(getattr(exact, key))
    arrays["carved_out"][index] = float(exact.plan.carved_out)
    for paid in exact.activity:
        arrays["activity"][paid.plan.name][index] = float(paid.amount)
    risk = exact.risk
    if risk is not None:
        arrays["transfer"][index] = float(risk.transfer)
        arrays["provider_share"][index] = float(risk.provider_share)
        arrays["commissioner_share"][index] = float(risk.commissioner_share)
        arrays["cap_binds"][index] = bool(risk.binds)
        if risk.variance is not None:
            arrays["variance"][index] = float(risk.variance)


__all__ = ["ACTUAL_COST", "Results", "YearModel", "inputs_of", "needs_actual_cost", "run", "sharing_of", "year_model"]
