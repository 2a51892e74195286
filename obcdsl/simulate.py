"""What-if simulation: the distribution of a year's payments over many plausible years.

A spec (TOML) gives a distribution for each indicator and for the actual
cost, with correlations where stated. Scenarios are drawn with a Gaussian
copula: correlated standard normals, each turned into its own distribution
by its inverse CDF, so that any mix of distributions can be correlated.
Every scenario is then evaluated by `obcdsl.vector`, in chunks.

    [indicators.crisis_response_4h]
    distribution = "normal"        # mean, sd
    mean = 88
    sd = 5

    [indicators.suicide]
    distribution = "triangular"    # low, mode, high
    low = 2
    mode = 6
    high = 12

    [indicators.carer_satisfaction]
    distribution = "beta"          # alpha, beta, and scale (default 100)
    alpha = 8
    beta = 3

    [indicators.voluntary_activity]
    distribution = "uniform"       # low, high
    low = 8
    high = 14

    [indicators.education]
    distribution = "history"       # resample the values a data file holds for it
    data = "../data/oxfordshire_mental_health.csv"

    [actual_cost]
    distribution = "normal"
    mean = 37000000
    sd = 1500000

    [baselines]
    data = "../data/oxfordshire_mental_health.csv"   # or: recovery_star = 3.0

    [[correlation]]
    between = ["crisis_response_4h", "care_plan_4_weeks"]
    rho = 0.6

An indicator measured by segment takes the spec of `name/segment` if there
is one, else that of `name`, drawn independently for each segment.
Percentages are kept within 0 to 100, other measures at or above 0.

The whole year (docs/simulate.md): `[population.SEGMENT]` (or `[population]`)
draws whole people for the budget's population adjustment, `[patients]`
(`count`, `cost`) the high-cost patients the per-patient stop-loss pays, and
`[baselines.NAME]` a baseline that varies by scenario.

A year whose thresholds compare with last year's value (`2 points above last
year`) takes it from `[last_year]`, as baselines are given: a number for each
indicator (`seen_4h = 58`), `data = "file.csv"` (its rows for the year before),
or `[last_year.NAME]`, a distribution drawn for each scenario. In year 1 last
year's value is the baseline, given in `[baselines]`.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Callable, Optional

import attrs
import numpy as np

from . import ast
from . import diagnostics as d
from .diagnostics import Diagnostic
from .source import Span
from .backends import Array
from .data import ACTUAL_POPULATION
from .interpret import LAST_YEAR, STOP_LOSS_EXCESS, STOP_LOSS_PATIENTS, STOP_LOSS_PENNIES
from .plan import Missing
from .vector import YearModel, inputs_of, last_year_inputs, needs_actual_cost, run, sharing_of, year_model

PERCENTILES = (5, 25, 50, 75, 95)
DISTRIBUTIONS = {
    "normal": ("mean", "sd"),
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "beta": ("alpha", "beta"),
    "lognormal": ("median", "sigma"),
    "pareto": ("minimum", "alpha"),
    "poisson": ("mean",),
    "history": ("data",),
}
POPULATION = "population"  # the spec's names: `population` (the whole), `population/segment`
PATIENTS = "patients"  # the number of high-cost patients in a scenario
BASELINES = "baselines."  # a drawn baseline: `baselines.name`, `baselines.name/segment`
PATIENT_COSTS = "patient costs"  # drawn: every scenario's patients' annual costs in pennies, one after another
PATIENT_BLOCK = 1 << 20  # patients drawn at a time: memory stays bounded whatever a chunk draws


class SpecError(Exception):
    """A simulation spec that cannot be used; carries diagnostics naming the file and the key."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = tuple(diagnostics)
        super().__init__(self.diagnostics[0].message if self.diagnostics else "bad spec")


@attrs.frozen
class Marginal:
    """One variable's distribution, as an inverse CDF of uniforms (with the normals for `normal`)."""

    name: str
    kind: str
    params: dict
    history: Optional[np.ndarray] = attrs.field(default=None, eq=False)

    def sample(self, count: int, rng: np.random.Generator) -> np.ndarray:
        """Draws for a variable correlated with nothing: straight from NumPy's samplers, no copula needed."""
        p = self.params
        if self.kind == "normal":
            return rng.normal(p["mean"], p["sd"], count)
        if self.kind == "uniform":
            return rng.uniform(p["low"], p["high"], count)
        if self.kind == "triangular":
            if p["high"] == p["low"]:
                return np.full(count, p["low"])
            return rng.triangular(p["low"], p["mode"], p["high"], count)
        if self.kind == "beta":
            return p.get("scale", 100.0) * rng.beta(p["alpha"], p["beta"], count)
        if self.kind == "lognormal":
            return p["median"] * np.exp(p["sigma"] * rng.standard_normal(count))
        if self.kind == "pareto":
            return p["minimum"] * (1.0 + rng.pareto(p["alpha"], count))
        if self.kind == "poisson":
            return rng.poisson(p["mean"], count).astype(float)
        assert self.history is not None  # the one kind left, "history", is read with its values (read_spec)
        return rng.choice(self.history, count)

    def draw(self, normals: np.ndarray) -> np.ndarray:
        from scipy import special  # not scipy.stats: importing it takes a second and a half

        p = self.params
        if self.kind == "normal":
            return p["mean"] + p["sd"] * normals
        if self.kind == "lognormal":
            return p["median"] * np.exp(p["sigma"] * normals)
        if self.kind == "pareto":  # 1 - u, from the other tail: exact far out where u rounds to 1
            return p["minimum"] * special.ndtr(-normals) ** (-1.0 / p["alpha"])
        uniforms = special.ndtr(normals)
        if self.kind == "poisson":  # the least count whose cumulative probability reaches u
            mean = p["mean"]
            counts = np.arange(int(np.ceil(mean + 12 * np.sqrt(mean) + 30)) + 1)
            cumulative = special.pdtr(counts, mean)
            return np.minimum(np.searchsorted(cumulative, uniforms), counts[-1]).astype(float)
        if self.kind == "uniform":
            return p["low"] + (p["high"] - p["low"]) * uniforms
        if self.kind == "triangular":
            low, mode, high = p["low"], p["mode"], p["high"]
            cut = (mode - low) / (high - low) if high > low else 0.5
            left = low + np.sqrt(uniforms * (high - low) * (mode - low))
            right = high - np.sqrt((1 - uniforms) * (high - low) * (high - mode))
            return np.where(uniforms < cut, left, right)
        if self.kind == "beta":
            return p.get("scale", 100.0) * special.betaincinv(p["alpha"], p["beta"], uniforms)
        assert self.history is not None  # the one kind left, "history", is read with its values (read_spec)
        values = np.sort(self.history)
        index = np.minimum((uniforms * len(values)).astype(np.int64), len(values) - 1)
        return values[index]


@attrs.frozen
class Spec:
    """One contract's spec, checked against its year: every variable's distribution, and the fixed baselines."""

    marginals: dict  # input name → Marginal
    cost: Optional[Marginal]
    correlations: tuple  # (name, name, rho)
    baselines: dict  # baseline name → its value
    path: str
    population: dict = attrs.field(factory=dict)  # `population` or `population/segment` → Marginal (whole people)
    patients: Optional[Marginal] = None  # the number of high-cost patients
    patient_cost: Optional[Marginal] = None  # each one's cost in the year, in pounds
    stop_loss: Optional[ast.StopLoss] = None  # the year's per-patient stop-loss, which the patients are paid by
    drawn_baselines: dict = attrs.field(factory=dict)  # baseline name → Marginal

    def variables(self) -> list[tuple[str, Marginal]]:
        """(name, marginal) for every variable drawn in the copula, in a fixed order (new kinds after the first ones,
        so a spec without them draws as before)."""
        found = [(name, self.marginals[name]) for name in sorted(self.marginals)]
        found += [("actual_cost", self.cost)] if self.cost is not None else []
        found += [(name, self.population[name]) for name in sorted(self.population)]
        found += [(PATIENTS, self.patients)] if self.patients is not None else []
        found += [(BASELINES + name, self.drawn_baselines[name]) for name in sorted(self.drawn_baselines)]
        return found


def spec_error(path: str, message: str, help_text: str = "") -> Diagnostic:
    return d.error("OBC916", message, Span(path, 0, 0, 1, 1, 1, 1), help=help_text)


def read_spec(path: str | Path, year: YearModel) -> Spec:
    """Read and check a spec against the inputs the year needs."""
    path = Path(path)
    return spec_from_table(read_toml(path), path, year)


def read_toml(path: Path) -> dict:
    """A spec file's TOML document; `SpecError` if it cannot be read or is not TOML."""
    name = str(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SpecError([spec_error(name, f"cannot read `{name}`: {(exc.strerror or str(exc)).lower()}")]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SpecError([spec_error(name, f"the spec is not valid TOML: {exc}")]) from None


def spec_from_table(document: dict, path: Path, year: YearModel, where: str = "") -> Spec:
    """Check one contract's spec (a whole file, or a portfolio's `[contracts.NAME]` table; `where` names it)."""
    name = str(path)
    problems: list[Diagnostic] = []

    def problem(message: str, help_text: str = "") -> None:
        problems.append(spec_error(name, f"{where}: {message}" if where else message, help_text))

    entries = document.get("indicators", {})
    measures = document.get("measures", {})  # a measure's distribution may be given under either table
    volumes = document.get("activity", {})  # an activity item's volume, drawn as whole units
    if not isinstance(entries, dict) or not isinstance(measures, dict) or not isinstance(volumes, dict):
        problem("`indicators` must be a table of indicator names" if not isinstance(entries, dict) else
                "`measures` must be a table of measure names" if not isinstance(measures, dict) else
                "`activity` must be a table of activity item names")
        raise SpecError(problems)
    entries = {**volumes, **measures, **entries}

    def marginal(key: str, entry, counts: str = "") -> Optional[Marginal]:
        """`counts`: what the variable counts (people, patients, pounds of cost), which can never be negative."""
        if not isinstance(entry, dict):
            problem(f"`{key}` must be a table with a `distribution`")
            return None
        kind = entry.get("distribution")
        if kind not in DISTRIBUTIONS or counts and kind == "history":
            kinds = [k for k in DISTRIBUTIONS if not (counts and k == "history")]
            problem(f"`{key}`: unknown distribution `{kind}`" if kind not in DISTRIBUTIONS else
                    f"`{key}`: a history distribution resamples an indicator's values; {counts} have none in the data",
                    "use one of " + ", ".join(f"`{k}`" for k in kinds))
            return None
        missing = [p for p in DISTRIBUTIONS[kind] if p not in entry]
        if missing:
            problem(f"`{key}`: a {kind} distribution needs `{missing[0]}`")
            return None
        params = {k: v for k, v in entry.items() if k != "distribution"}
        history = None
        if kind == "history":
            history = history_values(path.parent / entry["data"], key.split("/")[0], problems, name)
            if history is None:
                return None
        else:
            for key_name, value in params.items():
                if not isinstance(value, (int, float)) or isinstance(value, bool):
                    problem(f"`{key}`: `{key_name}` must be a number")
                    return None
            params = {k: float(v) for k, v in params.items()}
            if kind == "normal" and params["sd"] < 0 or kind in ("uniform", "triangular") and params["high"] < params["low"]:
                problem(f"`{key}`: the spread of the distribution is negative")
                return None
            if kind == "triangular" and not params["low"] <= params["mode"] <= params["high"]:
                problem(f"`{key}`: the mode must lie between low and high")
                return None
            impossible = impossible_parameter(kind, params)
            if impossible:
                problem(f"`{key}`: {impossible}")
                return None
            below = {"normal": "mean", "uniform": "low", "triangular": "low"}.get(kind)
            if counts and below is not None and params[below] < 0:
                problem(f"`{key}`: `{below}` is {params[below]:g}, but {counts} cannot be negative",
                        f"give a `{below}` of 0 or more")
                return None
        return Marginal(key, kind, params, history)

    marginals = {}
    needed = inputs_of(year)
    for key in needed:
        entry = entries.get(key, entries.get(key.split("/")[0]))
        if entry is None:
            if any(item.name == key for item in year.activity):
                problem(f"the spec gives no distribution for the volume of `{key}`, which year {year.year} pays for",
                        f"add a table `[activity.{key}]`, for example `distribution = \"normal\"`, `mean`, `sd`")
                continue
            problem(f"the spec gives no distribution for `{key}`, which year {year.year} needs",
                    f"add a table `[indicators.\"{key}\"]` or `[indicators.{key.split('/')[0]}]`")
            continue
        built = marginal(key, entry)
        if built is not None:
            marginals[key] = built
    known = set(needed) | {k.split("/")[0] for k in needed}
    for key in entries:
        if key not in known:
            problem(f"`{key}` is not an input of year {year.year} of the contract", d.did_you_mean(key, sorted(known)))
    cost = None
    if needs_actual_cost(year):
        if "actual_cost" not in document:
            problem("the risk share needs an `[actual_cost]` distribution" if sharing_of(year) else
                    f"year {year.year} of the contract reads `actual_cost`, so the spec needs an `[actual_cost]` distribution")
        else:
            cost = marginal("actual_cost", document["actual_cost"])
    correlations = []
    for item in document.get("correlation", []):
        between = item.get("between") if isinstance(item, dict) else None
        rho = item.get("rho") if isinstance(item, dict) else None
        if not (isinstance(between, list) and len(between) == 2 and isinstance(rho, (int, float)) and -1 <= rho <= 1):
            problem("each `[[correlation]]` needs `between = [\"a\", \"b\"]` and `rho` from -1 to 1")
            continue
        correlations.append((between[0], between[1], float(rho)))
    population = read_population(document, year, marginal, problem)
    stop_loss = year.risk.stop_loss if year.risk is not None else None
    patients = patient_cost = None
    if "patients" in document:
        entry = document["patients"]
        if stop_loss is None:
            problem(f"`patients`: year {year.year} of the contract has no per-patient stop-loss, so drawn patients pay nothing",
                    "remove the `[patients]` table, or simulate a year with a stop-loss")
        elif not isinstance(entry, dict) or "count" not in entry or "cost" not in entry:
            problem("`patients` needs `count` (how many high-cost patients) and `cost` (each one's cost in the year)",
                    'for example `count = { distribution = "poisson", mean = 40 }`')
        else:
            patients = marginal("patients.count", entry["count"], "numbers of patients")
            patient_cost = marginal("patients.cost", entry["cost"], "costs")
            for extra in sorted(set(entry) - {"count", "cost"}):
                problem(f"`patients.{extra}` is not a key of `patients`", "give `count` and `cost`")
    drawn_baselines = {key: marginal(f"baselines.{key}", entry) for key, entry in document.get("baselines", {}).items()
                       if isinstance(entry, dict)} if isinstance(document.get("baselines"), dict) else {}
    indicators = {i.name for i in year.contract.all_indicators}
    for key in drawn_baselines:
        if key.split("/")[0] not in indicators:
            problem(f"`baselines.{key}`: the contract has no indicator `{key.split('/')[0]}`",
                    d.did_you_mean(key.split("/")[0], sorted(indicators)))
    drawn = set(population) | ({PATIENTS} if patients is not None else set()) | {BASELINES + k for k in drawn_baselines}
    for variable in [v for pair in correlations for v in pair[:2]]:
        if variable in drawn or any(n.split("/")[0] == variable for n in drawn):
            continue
        if variable != "actual_cost" and not any(k == variable or k.split("/")[0] == variable for k in marginals):
            problem(f"correlation names `{variable}`, which has no distribution")
    baselines = read_baselines(document.get("baselines", {}), path, problems, name)
    fixed, drawn_last = read_last_year(document, year, marginal, problem, path, problems, name)
    baselines.update(fixed)
    drawn_baselines.update(drawn_last)
    if problems:
        raise SpecError(problems)
    return Spec(marginals, cost, tuple(correlations), baselines, name, population, patients, patient_cost,
                stop_loss if patients is not None else None, {k: v for k, v in drawn_baselines.items() if v is not None})


def impossible_parameter(kind: str, params: dict) -> str:
    """What is wrong with a distribution's parameters that no draw could mend ('' when nothing)."""
    if kind == "lognormal" and (params["median"] <= 0 or params["sigma"] < 0):
        return "a lognormal distribution needs a `median` above 0 and a `sigma` of 0 or more"
    if kind == "pareto" and (params["minimum"] <= 0 or params["alpha"] <= 0):
        return "a pareto distribution needs a `minimum` and an `alpha` above 0"
    if kind == "poisson" and not 0 <= params["mean"] <= 1e7:
        return "a poisson distribution needs a `mean` from 0 to 10,000,000"
    if kind == "beta" and (params["alpha"] <= 0 or params["beta"] <= 0):
        return "a beta distribution needs an `alpha` and a `beta` above 0"
    return ""


def read_population(document: dict, year: YearModel, marginal: Callable, problem: Callable) -> dict:
    """The `[population]` table: one distribution for the whole population, or one for each segment (whole people)."""
    if "population" not in document:
        return {}
    entry = document["population"]
    contract = year.contract
    adjustment = contract.budget.population_adjustment if contract.budget is not None else None
    if adjustment is None:
        problem("`population`: the contract's budget is not adjusted for population growth, so a drawn population "
                "changes nothing", "remove the `[population]` table")
        return {}
    counted = [s for s in contract.segments if s.people is not None]
    if not counted:
        problem("`population`: no segment of the contract states its people, so the budget has no projection to adjust against")
        return {}
    if not isinstance(entry, dict):
        problem("`population` must be a table: a `distribution`, or a table for each segment")
        return {}
    if "distribution" in entry:  # the whole population, as a total row
        weights = {s.weight if s.weight is not None else Decimal(1) for s in counted}
        if adjustment.counts == "weighted people" and len(weights) > 1:
            problem("`population`: the contract's population adjustment counts weighted people, so the spec must give "
                    "the population of each segment", "give a table `[population.SEGMENT]` for each of "
                    + ", ".join(f"`{s.name}`" for s in counted))
            return {}
        built = marginal("population", entry, "populations")
        return {POPULATION: built} if built is not None else {}
    found = {}
    names = {s.name: s for s in contract.segments}
    for key, value in entry.items():
        segment = names.get(key)
        if segment is None:
            problem(f"`population.{key}`: the contract has no segment `{key}`", d.did_you_mean(key, sorted(names)))
        elif segment.people is None:
            problem(f"`population.{key}`: segment `{key}` states no people, so its population counts in no adjustment")
        else:
            built = marginal(f"population.{key}", value, "populations")
            if built is not None:
                found[f"{POPULATION}/{key}"] = built
    for segment in counted:
        if segment.name not in entry:
            problem(f"`population`: the spec gives no population for segment `{segment.name}`",
                    f"add a table `[population.{segment.name}]`, or one `[population]` distribution for the whole")
    return found


def history_values(path: Path, measure: str, problems: list, name: str) -> Optional[np.ndarray]:
    from .data import DataError, read_data

    try:
        data = read_data(path)
    except DataError as exc:
        problems.extend(exc.diagnostics)
        return None
    values = [float(p.value) for p in data.points if p.measure == measure and p.year is not None]
    if not values:
        problems.append(spec_error(name, f"`{path}` has no values of `{measure}` to resample"))
        return None
    return np.array(values)


def read_last_year(document: dict, year: YearModel, marginal, problem, path: Path, problems: list, name: str) -> tuple[dict, dict]:
    """`[last_year]`: last year's values the year compares with, fixed or drawn, keyed as the array evaluator reads
    them (`last year:name`); each one the year needs is given, and nothing else."""
    needed = last_year_inputs(year)
    entry = document.get("last_year")
    if entry is None:
        entry = {}
    elif year.year == 1:
        problem("`last_year`: in year 1, last year's value is the baseline", "give it in `[baselines]`")
        return {}, {}
    elif not isinstance(entry, dict):
        problem("`last_year` must be a table")
        return {}, {}
    drawn = {LAST_YEAR + key: marginal(f"last_year.{key}", value) for key, value in entry.items() if isinstance(value, dict)}
    fixed = {}
    data = entry.get("data")
    if data is not None:
        from .data import DataError, read_data

        try:
            rows = read_data(path.parent / data)
        except DataError as exc:
            problems.extend(exc.diagnostics)
            rows = None
        for point in rows.points if rows is not None else ():
            if point.year == year.year - 1:
                fixed[LAST_YEAR + point.measure + (f"/{point.segment}" if point.segment else "")] = float(point.value)
    for key, value in entry.items():
        if key == "data" or isinstance(value, dict):
            continue
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            problem(f"`last_year.{key}` must be a number, or a table with a `distribution`")
            continue
        fixed[LAST_YEAR + key] = float(value)
    given = {k.removeprefix(LAST_YEAR) for k in [*fixed, *drawn]}
    known = set(needed) | {k.split("/")[0] for k in needed}
    for key in sorted(given - known):
        if data is None or key in entry:  # a data file may hold other rows of the year before
            problem(f"`last_year.{key}`: year {year.year} compares no threshold of `{key}` with last year's value",
                    d.did_you_mean(key, sorted(known)))
    for key in needed:
        if key not in given and key.split("/")[0] not in given:
            problem(f"year {year.year} compares `{key}` with last year's value, which the spec does not give",
                    f"add `{key.split('/')[0]} = ...` to `[last_year]`, or a table `[last_year.{key.split('/')[0]}]`")
    return fixed, {k: v for k, v in drawn.items() if v is not None}


def read_baselines(entry, path: Path, problems: list, name: str) -> dict:
    from .data import DataError, read_data

    baselines: dict[str, float] = {}
    if not isinstance(entry, dict):
        problems.append(spec_error(name, "`baselines` must be a table"))
        return baselines
    entry = {k: v for k, v in entry.items() if not isinstance(v, dict)}  # a table is a drawn baseline (spec_from_table)
    if "data" in entry:
        try:
            data = read_data(path.parent / entry["data"])
        except DataError as exc:
            problems.extend(exc.diagnostics)
            return baselines
        for point in data.points:
            if point.year is None:
                baselines[point.measure + (f"/{point.segment}" if point.segment else "")] = float(point.value)
    for key, value in entry.items():
        if key != "data":
            baselines[key] = float(value)
    return baselines


def correlation_matrix(names: list[str], correlations) -> np.ndarray:
    """Pairwise correlations of the underlying normals; `a` names `a` and each of its segments `a/segment`."""
    matrix = np.eye(len(names))
    index = {n: i for i, n in enumerate(names)}
    for a, b, rho in correlations:
        for x in [n for n in names if n == a or n.split("/")[0] == a]:
            for y in [n for n in names if n == b or n.split("/")[0] == b]:
                if x != y:
                    matrix[index[x], index[y]] = matrix[index[y], index[x]] = rho
    return matrix


@attrs.frozen
class Member:
    """One contract of a simulation: its year plan and spec, its variables named `key.name` (`name` alone when `key` is empty)."""

    key: str
    contract: ast.Contract = attrs.field(eq=False, repr=False)
    year: YearModel = attrs.field(eq=False, repr=False)
    spec: Spec = attrs.field(eq=False, repr=False)
    plans: dict = attrs.field(factory=dict, eq=False, repr=False)  # the year compiled for each drawn budget, kept

    def qualified(self, name: str) -> str:
        return f"{self.key}.{name}" if self.key else name

    @property
    def reinvested(self) -> bool:
        outcomes = self.contract.outcomes
        return outcomes is not None and outcomes.unearned is not None and outcomes.unearned.destination == "reinvested"


@attrs.frozen
class Model:
    """What is drawn and paid in every scenario: the contracts, and what ties their variables together.

    `correlations` are (variable, variable, rho) with qualified names, besides each spec's own;
    `drivers` maps a driver's name to {qualified variable: its correlation with the driver}.
    """

    members: tuple  # Member, ...
    correlations: tuple = ()
    drivers: dict = attrs.field(factory=dict)
    path: str = ""

    def variables(self) -> list[tuple[str, Member, str, Marginal]]:
        """(qualified name, member, name in the member, marginal) for every variable, in a fixed order."""
        found = []
        for member in self.members:
            for name, marginal in member.spec.variables():
                found.append((member.qualified(name), member, name, marginal))
        return found

    def draw(self, count: int, rng: np.random.Generator, keep_patients: bool = False) -> list[dict]:
        """Draw `count` scenarios: for each member, its inputs (name → array, `actual cost` for the risk share,
        `actual population` or `actual population/segment`, the stop-loss of its drawn patients), its drawn baselines
        (`baselines.name`) and its drawn patients (`patients`, how many in each scenario; with `keep_patients`, `patient costs`, in pennies)."""
        variables = self.variables()
        names = [v[0] for v in variables]
        correlations = [(m.qualified(a), m.qualified(b), rho) for m in self.members for a, b, rho in m.spec.correlations]
        correlations += list(self.correlations)
        drivers = sorted(self.drivers)
        everything = names + [f"driver {d}" for d in drivers]
        matrix = correlation_matrix(everything, correlations)
        for driver in drivers:  # two variables a driver moves are correlated by the product of their loadings, added
            loads = list(self.drivers[driver].items())
            matrix += correlation_matrix(everything, [(a, b, la * lb) for i, (a, la) in enumerate(loads)
                                                      for b, lb in loads[i + 1:]]) - np.eye(len(everything))
        for position, driver in enumerate(drivers, len(names)):
            for variable, loading in self.drivers[driver].items():
                for i, name in enumerate(names):
                    if name == variable or name.split("/")[0] == variable:
                        matrix[i, position] = matrix[position, i] = loading
        correlated = [i for i in range(len(everything)) if np.count_nonzero(matrix[i]) > 1]
        normals = np.empty((count, 0))
        if correlated:
            try:
                factor = np.linalg.cholesky(matrix[np.ix_(correlated, correlated)])
            except np.linalg.LinAlgError:
                raise SpecError([spec_error(self.path or self.members[0].spec.path,
                                            "the correlations are not consistent with each other "
                                            "(the matrix is not positive definite)")]) from None
            normals = rng.standard_normal((count, len(correlated))) @ factor.T
        column = {i: c for c, i in enumerate(correlated)}
        inputs: list[dict] = [{} for _ in self.members]
        for i, (_, member, name, marginal) in enumerate(variables):
            values = marginal.draw(normals[:, column[i]]) if i in column else marginal.sample(count, rng)
            target = inputs[self.members.index(member)]
            if name == "actual_cost":
                target["actual cost"] = np.maximum(values, 0.0)
                continue
            if name.split("/")[0] == POPULATION:  # whole people
                target[ACTUAL_POPULATION + name[len(POPULATION):]] = np.rint(np.maximum(values, 0.0))
                continue
            if name == PATIENTS:
                target[PATIENTS] = np.rint(np.maximum(values, 0.0)).astype(np.int64)
                continue
            if any(item.name == name for item in member.contract.all_activity):  # a volume: whole units, none below 0
                target[name] = np.rint(np.maximum(values, 0.0))
                continue
            indicator = next((x for x in member.contract.all_indicators
                              if x.name == name.removeprefix(BASELINES).removeprefix(LAST_YEAR).split("/")[0]), None)
            if indicator is not None and indicator.unit is not None and indicator.unit.kind == "percent":
                target[name] = np.clip(values, 0.0, 100.0)
            elif indicator is not None and indicator.unit is not None and indicator.unit.kind == "percent change":
                target[name] = values  # a change can fall below zero
            else:
                target[name] = np.maximum(values, 0.0)
        for member, target in zip(self.members, inputs):  # each patient's cost, after every variable of the copula
            spec = member.spec
            if spec.patients is not None and spec.patient_cost is not None and spec.stop_loss is not None:
                target.update(draw_patients(target[PATIENTS], spec.patient_cost, spec.stop_loss, rng, keep_patients))
        return inputs


def draw_patients(counts: np.ndarray, cost: Marginal, stop: ast.StopLoss, rng: np.random.Generator, keep: bool = False) -> dict:
    """Each scenario's patients' costs (whole pennies), and what the stop-loss counts of them, exactly as
    `obcdsl.stop_loss` counts a patient cost file: each total up to the limit, beyond the threshold.

    Drawn `PATIENT_BLOCK` patients at a time, so memory stays bounded; each patient's cost is kept (`patient costs`,
    scenario after scenario) only when `keep`.
    """
    from .stop_loss import beyond_threshold

    size = len(counts)
    pennies = np.zeros(size, dtype=np.int64)
    over = np.zeros(size, dtype=np.int64)
    costs = []
    ends = np.cumsum(counts)
    start = 0
    while start < size:
        before = int(ends[start - 1]) if start else 0
        stop_at = max(start + 1, int(np.searchsorted(ends, before + PATIENT_BLOCK, side="right")))
        drawn = np.rint(np.maximum(cost.sample(int(ends[stop_at - 1]) - before, rng), 0.0) * 100).astype(np.int64)
        counted = beyond_threshold(drawn, stop.threshold, stop.limit)
        edges = ends[start:stop_at] - before  # each scenario's last patient, in the block: sums in whole pennies, exactly
        running = np.concatenate([[0], np.cumsum(counted)])
        pennies[start:stop_at] = np.diff(running[edges], prepend=0)
        running = np.concatenate([[0], np.cumsum(counted > 0)])
        over[start:stop_at] = np.diff(running[edges], prepend=0)
        if keep:
            costs.append(drawn)
        start = stop_at
    found = {STOP_LOSS_EXCESS: pennies / 100, STOP_LOSS_PENNIES: pennies, STOP_LOSS_PATIENTS: over}
    if keep:
        found[PATIENT_COSTS] = np.concatenate(costs) if costs else np.zeros(0, dtype=np.int64)
    return found


def for_run(drawn: dict, spec: Spec) -> tuple[dict, dict]:
    """A member's draws as the array evaluator takes them: (inputs, baselines, fixed and drawn)."""
    inputs = {k: v for k, v in drawn.items() if k not in (PATIENTS, PATIENT_COSTS) and not k.startswith(BASELINES)}
    baselines = {**spec.baselines, **{k.removeprefix(BASELINES): v for k, v in drawn.items() if k.startswith(BASELINES)}}
    return inputs, baselines


def draw_inputs(spec: Spec, year: YearModel, count: int, rng: np.random.Generator) -> dict:
    """Draw `count` scenarios of one contract: correlated variables through the copula, the rest directly."""
    return Model((Member("", year.contract, year, spec),), path=spec.path).draw(count, rng)[0]


CHUNK = 25_000  # scenarios a chunk, each with its own random stream: fixed, so a seed gives the same figures on any number of workers


def chunk_sizes(scenarios: int) -> list[int]:
    return [min(CHUNK, scenarios - start) for start in range(0, scenarios, CHUNK)]


def chunk_stream(seed: int, index: int) -> np.random.Generator:
    """Chunk `index`'s random stream: `SeedSequence(seed).spawn(chunks)[index]`, whatever the number of chunks."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(index,)))


@attrs.frozen
class Paid:
    """What one chunk paid under one contract: a value a scenario for each measure, and counts."""

    measures: dict  # MEASURES key → array
    reached: dict  # part key → scenarios reaching each band or better
    binds: int
    settled: int  # scenarios near a tie, paid again exactly
    draws: Optional[dict] = None  # the drawn inputs, when asked for


def run_chunk(model: Model, index: int, size: int, seed: int, keep_draws: bool = False) -> list[Paid]:
    """Draw chunk `index` from its own stream and pay it under every contract."""
    drawn = model.draw(size, chunk_stream(seed, index), keep_patients=keep_draws)
    paid = []
    for member, draws in zip(model.members, drawn):
        inputs, baselines = for_run(draws, member.spec)
        try:
            results = run(member.year, inputs, baselines, plans=member.plans)
        except Missing as exc:  # a drawn population that makes a budget the exact evaluator refuses
            raise SpecError([spec_error(member.spec.path, f"{member.qualified('population')}: a drawn population gives a budget "
                                                          f"the contract cannot pay: {exc.diagnostics[0].message}",
                                        "narrow the population's distribution")]) from None
        # what the year costs the commissioner, as the statement has it: the carve-outs are paid to others
        commissioner = results.total_to_provider + results.carved_out + (results.unearned if member.reinvested else 0.0)
        measures = {"provider_income": results.total_to_provider, "commissioner_cost": commissioner,
                    "outcome_payments": results.outcomes_paid + results.bonus_paid, "risk_share_transfer": results.transfer}
        if member.year.activity:  # paid for activity, reported only for a contract that has it
            measures[ACTIVITY_PAYMENTS] = sum(results.activity.values(), np.zeros(len(results.total_to_provider)))
        reached = {}
        for part in member.year.parts:
            if part.band_names:
                index_reached = results.reached[part.key]
                reached[part.key] = np.array([np.count_nonzero(index_reached >= p) for p in range(len(part.band_names))])
        paid.append(Paid(measures, reached, int(np.count_nonzero(results.cap_binds)), results.settled_exactly,
                         draws if keep_draws else None))
    return paid


# ---------------------------------------------------------------- workers

@attrs.frozen
class Job:
    """What a worker process needs to rebuild the model once: each contract (its source text, or its tree) and year, the spec.

    `builder` names the module whose `build_model(job)` builds it (this one, or `obcdsl.portfolio`).
    """

    contracts: tuple  # (key, name, text or None, tree or None, year)
    spec: str
    builder: str = "obcdsl.simulate"

    def trees(self) -> list[tuple[str, ast.Contract, int]]:
        """(key, tree, year) for each contract, checked again from its text where the job carries text."""
        found = []
        for key, name, text, tree, year in self.contracts:
            if tree is None:
                from .checker import check_text

                result = check_text(text, name)
                if not result.ok or result.contract is None:
                    raise RuntimeError(f"{name} has errors")  # checked before the job was made: it changed since
                tree = result.contract
            found.append((key, tree, year))
        return found


def build_model(job: Job) -> Model:
    """One contract's model: the contract compiled for its year, the spec read."""
    (_, tree, year), = job.trees()
    model_year = year_model(tree, year)
    spec = read_spec(job.spec, model_year)
    return Model((Member("", tree, model_year, spec),), path=spec.path)


_WORKER: dict = {}


def start_worker(job: Job) -> None:
    """A worker's initializer: compile the contracts and read the spec once, for all its chunks."""
    import importlib

    _WORKER["model"] = importlib.import_module(job.builder).build_model(job)


def worker_chunk(index: int, size: int, seed: int, keep_draws: bool) -> list[Paid]:
    return run_chunk(_WORKER["model"], index, size, seed, keep_draws)


def pool_context():
    """Worker processes start clean (forkserver where there is one, else spawn): never forked from a process with threads."""
    import multiprocessing

    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["obcdsl.simulate"])
        return context
    return multiprocessing.get_context("spawn")


def run_chunks(model: Model, job: Job, scenarios: int, seed: int, workers: int = 1, keep_draws: bool = False,
               progress: Optional[Callable[[int], None]] = None) -> list[list[Paid]]:
    """Every chunk's payments, in order. `workers` processes in all: this one and `workers - 1` in a pool.

    A chunk's figures depend only on the seed and its index, so the result is the same whoever pays it.
    """
    import threading
    from collections import deque
    from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

    sizes = chunk_sizes(scenarios)
    paid: list = [None] * len(sizes)
    pending = deque(range(len(sizes)))
    lock = threading.Lock()
    children = min(workers, len(sizes)) - 1
    failures: list[BaseException] = []

    def take(last: bool) -> Optional[int]:
        with lock:
            if not pending or failures:
                return None
            return pending.pop() if last else pending.popleft()

    def pay_here() -> None:
        while (index := take(last=True)) is not None:
            paid[index] = run_chunk(model, index, sizes[index], seed, keep_draws)
            if progress is not None:
                progress(sizes[index])

    if children <= 0:
        pay_here()
        return paid
    finished: list[tuple[int, list[Paid]]] = []

    def dispatch(pool: ProcessPoolExecutor) -> None:  # keeps one chunk with each worker; runs beside this process's own work
        running: dict[Future, int] = {}

        def give() -> None:
            index = take(last=False)
            if index is not None:
                running[pool.submit(worker_chunk, index, sizes[index], seed, keep_draws)] = index

        for _ in range(children):
            give()
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                index = running.pop(future)
                try:
                    result = future.result()
                except BaseException as exc:  # a broken pool, or a fault in a worker: this process stops too
                    with lock:
                        failures.append(exc)
                    continue
                with lock:
                    finished.append((index, result))
                give()

    with ProcessPoolExecutor(children, mp_context=pool_context(), initializer=start_worker, initargs=(job,)) as pool:
        helper = threading.Thread(target=dispatch, args=(pool,), daemon=True)
        helper.start()
        try:
            while True:
                index = take(last=True)
                if index is not None:
                    paid[index] = run_chunk(model, index, sizes[index], seed, keep_draws)
                    if progress is not None:
                        progress(sizes[index])
                with lock:
                    arrived, finished[:] = list(finished), []
                for index, result in arrived:
                    paid[index] = result
                    if progress is not None:
                        progress(sizes[index])
                if index is None and not helper.is_alive():
                    break
                if index is None and not arrived:
                    helper.join(0.02)
        except BaseException:
            with lock:
                pending.clear()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    if failures:
        raise failures[0]
    return paid


POOL_WORTH = 1_000_000  # scenarios from which a pool is worth its start-up (about a second a worker, measured)


def workers_available(scenarios: int = POOL_WORTH) -> int:
    """The default number of workers: the machine's cores for a run of a million scenarios or more, else this
    process alone (a worker takes about a second to start, longer than a run of 10^5 scenarios; docs/performance.md)."""
    import os

    return (os.cpu_count() or 1) if scenarios >= POOL_WORTH else 1


# ---------------------------------------------------------------- summaries

def distribution(values: np.ndarray) -> dict:
    """Mean and percentiles, in pounds to the penny."""
    return {"mean": round(float(values.mean()), 2), **{f"p{p}": round(float(np.percentile(values, p)), 2) for p in PERCENTILES}}


@attrs.frozen
class Summary:
    """What a simulation found: percentiles, band probabilities, caps binding."""

    contract: str
    year: int
    scenarios: int
    seed: int
    measures: dict  # name → {"mean": float, "p5": ...}
    bands: dict  # indicator → {band: probability of reaching it or better}
    cap_binds: float
    settled_exactly: int = 0  # scenarios near a tie, paid again with the exact backend
    samples: dict = attrs.field(factory=dict, eq=False, repr=False)  # a thinned sample of each measure, for plots
    values: dict = attrs.field(factory=dict, eq=False, repr=False)  # every scenario's value of each measure, in order
    draws: Optional[dict] = attrs.field(default=None, eq=False, repr=False)  # every scenario's drawn inputs, when kept

    def to_dict(self) -> dict:
        return {
            "contract": self.contract,
            "year": self.year,
            "scenarios": self.scenarios,
            "seed": self.seed,
            "measures": self.measures,
            "band_probabilities": self.bands,
            "probability_a_cap_binds": self.cap_binds,
            "scenarios_settled_exactly": self.settled_exactly,
        }


MEASURES = {
    "provider_income": "Provider income",
    "commissioner_cost": "Commissioner cost",
    "outcome_payments": "Outcome payments",
    "risk_share_transfer": "Risk-share transfer",
}
ACTIVITY_PAYMENTS = "activity_payments"  # a measure of a contract with activity items: what they pay together
LABELS = {**MEASURES, ACTIVITY_PAYMENTS: "Activity payments"}


def summarise(member: Member, chunks: list[Paid], scenarios: int, seed: int) -> Summary:
    """One contract's summary from its chunks, in chunk order."""
    keys = list(MEASURES) + ([ACTIVITY_PAYMENTS] if chunks and ACTIVITY_PAYMENTS in chunks[0].measures else [])
    values = {key: np.concatenate([c.measures[key] for c in chunks]) for key in keys}
    measures = {key: distribution(v) for key, v in values.items()}
    samples = {key: v[:: max(1, len(v) // 200_000)] for key, v in values.items()}
    bands = {}
    for part in member.year.parts:
        if part.band_names:
            counts = sum(c.reached[part.key] for c in chunks)
            bands[part.key] = {name: round(float(n) / scenarios, 4) for name, n in zip(part.band_names, counts)}
    binds = sum(c.binds for c in chunks)
    draws = None
    if chunks and chunks[0].draws is not None:
        draws = {k: np.concatenate([c.draws[k] for c in chunks if c.draws is not None]) for k in chunks[0].draws}
    header = member.contract.header
    return Summary(header.name if header else "", member.year.year, scenarios, seed, measures, bands, round(binds / scenarios, 4),
                   sum(c.settled for c in chunks), samples, values, draws)


def contract_job(contract, year: int) -> tuple:
    """A job's entry for a contract: its file's text when it is an `obcdsl.Contract` read from a file, else its tree."""
    from . import api

    if isinstance(contract, api.Contract):
        path = Path(contract.path)
        if path.is_file():
            return ("", contract.path, path.read_text(encoding="utf-8-sig"), None, year)
        contract = contract.ast
    return ("", "<contract>", None, contract, year)


def simulate(contract, year: int, spec_path: str | Path, scenarios: int, seed: int = 0, workers: int = 1,
             progress: Optional[Callable[[int], None]] = None, keep_draws: bool = False) -> Summary:
    """Draw `scenarios` years from the spec and evaluate each; the same for a seed on any number of workers.

    `contract` is an `ast.Contract` or an `obcdsl.Contract`; `workers` processes share the chunks (1: this one alone).
    """
    from . import api

    tree = contract.ast if isinstance(contract, api.Contract) else contract
    model_year = year_model(tree, year)
    spec = read_spec(spec_path, model_year)
    model = Model((Member("", tree, model_year, spec),), path=spec.path)
    job = Job((contract_job(contract, year),), str(spec_path))
    paid = run_chunks(model, job, scenarios, seed, workers, keep_draws, progress)
    return summarise(model.members[0], [chunk[0] for chunk in paid], scenarios, seed)


def plot(summary: Summary, model_year: YearModel, path: str | Path) -> None:
    """The provider's income distribution, and the payment curve against cost variance with the risk-share bands."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 5))
    income = summary.samples["provider_income"] / 1e6
    left.hist(income, bins=80, color="#4477aa")
    for p in (5, 50, 95):
        value = summary.measures["provider_income"][f"p{p}"] / 1e6
        left.axvline(value, color="#cc3311" if p != 50 else "#222222", linestyle="--", linewidth=1)
        left.annotate(f"p{p}", (value, left.get_ylim()[1] * 0.95), fontsize=8, ha="center")
    left.set_title(f"Provider income, year {summary.year} ({summary.scenarios:,} scenarios)")
    left.set_xlabel("£ million")
    left.set_ylabel("scenarios")
    budget = float(model_year.budget or 0)
    sharing = sharing_of(model_year)
    if sharing:
        grid = np.linspace(-0.25 * budget, 0.25 * budget, 801)
        magnitude = np.abs(grid)
        loss = grid > 0
        gains = sharing["gains"].settle(Array(len(grid)), magnitude)
        losses = sharing["losses"].settle(Array(len(grid)), magnitude)
        transfer = np.where(loss, losses.commissioner, -gains.commissioner)
        provider_net = np.where(loss, -losses.provider, np.where(grid < 0, gains.provider, 0.0))
        right.plot(grid / 1e6, transfer / 1e6, label="risk-share transfer to the provider", color="#4477aa")
        right.plot(grid / 1e6, provider_net / 1e6, label="provider's own gain (+) or loss (−)", color="#ee7733")
        for side in ("gains", "losses"):
            sign = -1 if side == "gains" else 1
            for band in sharing[side].bands:
                for edge in (band.lower, band.upper):
                    if edge is not None and edge > 0:
                        right.axvline(sign * float(edge) / 1e6, color="#999999", linestyle=":", linewidth=1)
        right.axvline(0, color="#222222", linewidth=0.8)
        right.legend(fontsize=8)
        right.set_title("Payment curve: risk share against cost variance (bands dotted)")
        right.set_xlabel("actual cost less budget, £ million")
        right.set_ylabel("£ million")
    else:
        payments = summary.samples["outcome_payments"] / 1e6
        right.hist(payments, bins=60, color="#228833")
        right.set_title("Outcome payments (the contract has no risk share this year)")
        right.set_xlabel("£ million")
    figure.suptitle(summary.contract, fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
