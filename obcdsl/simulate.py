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
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Callable, Optional

import attrs
import numpy as np

from . import ast
from . import diagnostics as d
from .diagnostics import Diagnostic
from .source import Span
from .backends import Array
from .vector import YearModel, inputs_of, run, sharing_of, year_model

PERCENTILES = (5, 25, 50, 75, 95)
DISTRIBUTIONS = {
    "normal": ("mean", "sd"),
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "beta": ("alpha", "beta"),
    "history": ("data",),
}


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
        assert self.history is not None  # the one kind left, "history", is read with its values (read_spec)
        return rng.choice(self.history, count)

    def draw(self, normals: np.ndarray) -> np.ndarray:
        from scipy import special  # not scipy.stats: importing it takes a second and a half

        p = self.params
        if self.kind == "normal":
            return p["mean"] + p["sd"] * normals
        uniforms = special.ndtr(normals)
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
    marginals: dict  # input name → Marginal
    cost: Optional[Marginal]
    correlations: tuple  # (name, name, rho)
    baselines: dict
    path: str


def spec_error(path: str, message: str, help_text: str = "") -> Diagnostic:
    return d.error("OBC916", message, Span(path, 0, 0, 1, 1, 1, 1), help=help_text)


def read_spec(path: str | Path, year: YearModel) -> Spec:
    """Read and check a spec against the inputs the year needs."""
    path = Path(path)
    name = str(path)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SpecError([spec_error(name, f"cannot read `{name}`: {(exc.strerror or str(exc)).lower()}")]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SpecError([spec_error(name, f"the spec is not valid TOML: {exc}")]) from None
    problems: list[Diagnostic] = []
    entries = document.get("indicators", {})
    if not isinstance(entries, dict):
        raise SpecError([spec_error(name, "`indicators` must be a table of indicator names")])

    def marginal(key: str, entry) -> Optional[Marginal]:
        if not isinstance(entry, dict):
            problems.append(spec_error(name, f"`{key}` must be a table with a `distribution`"))
            return None
        kind = entry.get("distribution")
        if kind not in DISTRIBUTIONS:
            problems.append(spec_error(name, f"`{key}`: unknown distribution `{kind}`",
                                       "use one of " + ", ".join(f"`{k}`" for k in DISTRIBUTIONS)))
            return None
        missing = [p for p in DISTRIBUTIONS[kind] if p not in entry]
        if missing:
            problems.append(spec_error(name, f"`{key}`: a {kind} distribution needs `{missing[0]}`"))
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
                    problems.append(spec_error(name, f"`{key}`: `{key_name}` must be a number"))
                    return None
            params = {k: float(v) for k, v in params.items()}
            if kind == "normal" and params["sd"] < 0 or kind in ("uniform", "triangular") and params["high"] < params["low"]:
                problems.append(spec_error(name, f"`{key}`: the spread of the distribution is negative"))
                return None
            if kind == "triangular" and not params["low"] <= params["mode"] <= params["high"]:
                problems.append(spec_error(name, f"`{key}`: the mode must lie between low and high"))
                return None
        return Marginal(key, kind, params, history)

    marginals = {}
    needed = inputs_of(year)
    for key in needed:
        entry = entries.get(key, entries.get(key.split("/")[0]))
        if entry is None:
            problems.append(spec_error(name, f"the spec gives no distribution for `{key}`, which year {year.year} needs",
                                       f"add a table `[indicators.\"{key}\"]` or `[indicators.{key.split('/')[0]}]`"))
            continue
        built = marginal(key, entry)
        if built is not None:
            marginals[key] = built
    known = set(needed) | {k.split("/")[0] for k in needed}
    for key in entries:
        if key not in known:
            problems.append(spec_error(name, f"`{key}` is not an input of year {year.year} of the contract",
                                       d.did_you_mean(key, sorted(known))))
    cost = None
    if sharing_of(year):
        if "actual_cost" not in document:
            problems.append(spec_error(name, "the risk share needs an `[actual_cost]` distribution"))
        else:
            cost = marginal("actual_cost", document["actual_cost"])
    correlations = []
    for item in document.get("correlation", []):
        between = item.get("between") if isinstance(item, dict) else None
        rho = item.get("rho") if isinstance(item, dict) else None
        if not (isinstance(between, list) and len(between) == 2 and isinstance(rho, (int, float)) and -1 <= rho <= 1):
            problems.append(spec_error(name, "each `[[correlation]]` needs `between = [\"a\", \"b\"]` and `rho` from -1 to 1"))
            continue
        for variable in between:
            if variable != "actual_cost" and not any(k == variable or k.split("/")[0] == variable for k in marginals):
                problems.append(spec_error(name, f"correlation names `{variable}`, which has no distribution"))
        correlations.append((between[0], between[1], float(rho)))
    baselines = read_baselines(document.get("baselines", {}), path, problems, name)
    if problems:
        raise SpecError(problems)
    return Spec(marginals, cost, tuple(correlations), baselines, name)


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


def read_baselines(entry, path: Path, problems: list, name: str) -> dict:
    from .data import DataError, read_data

    baselines: dict[str, float] = {}
    if not isinstance(entry, dict):
        problems.append(spec_error(name, "`baselines` must be a table"))
        return baselines
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
    matrix = np.eye(len(names))
    index = {n: i for i, n in enumerate(names)}
    for a, b, rho in correlations:
        for x in [n for n in names if n == a or n.split("/")[0] == a]:
            for y in [n for n in names if n == b or n.split("/")[0] == b]:
                if x != y:
                    matrix[index[x], index[y]] = matrix[index[y], index[x]] = rho
    return matrix


def draw_inputs(spec: Spec, year: YearModel, count: int, rng: np.random.Generator) -> dict:
    """Draw `count` scenarios: correlated variables through the copula, the rest directly."""
    names = sorted(spec.marginals) + (["actual_cost"] if spec.cost is not None else [])
    matrix = correlation_matrix(names, spec.correlations)
    correlated = [n for i, n in enumerate(names) if np.count_nonzero(matrix[i]) > 1]
    normals = np.empty((count, 0))
    if correlated:
        index = [names.index(n) for n in correlated]
        try:
            factor = np.linalg.cholesky(matrix[np.ix_(index, index)])
        except np.linalg.LinAlgError:
            raise SpecError([spec_error(spec.path, "the correlations are not consistent with each other "
                                                   "(the matrix is not positive definite)")]) from None
        normals = rng.standard_normal((count, len(correlated))) @ factor.T
    inputs = {}
    indicators = {i.name: i for i in year.contract.all_indicators}
    for name in names:
        marginal = spec.cost if name == "actual_cost" else spec.marginals[name]
        assert marginal is not None  # `actual_cost` is among the names only when the spec has a cost
        if name in correlated:
            values = marginal.draw(normals[:, correlated.index(name)])
        else:
            values = marginal.sample(count, rng)
        if name == "actual_cost":
            inputs["actual cost"] = np.maximum(values, 0.0)
            continue
        indicator = indicators.get(name.split("/")[0])
        if indicator is not None and indicator.unit is not None and indicator.unit.kind == "percent":
            values = np.clip(values, 0.0, 100.0)
        else:
            values = np.maximum(values, 0.0)
        inputs[name] = values
    return inputs


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
    samples: dict = attrs.field(eq=False, repr=False)  # a thinned sample of each measure, for plots

    def to_dict(self) -> dict:
        return {
            "contract": self.contract,
            "year": self.year,
            "scenarios": self.scenarios,
            "seed": self.seed,
            "measures": self.measures,
            "band_probabilities": self.bands,
            "probability_a_cap_binds": self.cap_binds,
        }


MEASURES = {
    "provider_income": "Provider income",
    "commissioner_cost": "Commissioner cost",
    "outcome_payments": "Outcome payments",
    "risk_share_transfer": "Risk-share transfer",
}


def simulate(contract: ast.Contract, year: int, spec_path: str | Path, scenarios: int, seed: int = 0,
             chunk: int = 250_000, progress: Optional[Callable[[int], None]] = None) -> Summary:
    """Draw `scenarios` years from the spec and evaluate each; reproducible for a seed."""
    model_year = year_model(contract, year)
    spec = read_spec(spec_path, model_year)
    rng = np.random.default_rng(seed)
    collected: dict[str, list[np.ndarray]] = {k: [] for k in MEASURES}
    reached_counts: dict = {}
    binds = 0
    done = 0
    reinvested = contract.outcomes is not None and contract.outcomes.unearned is not None and \
        contract.outcomes.unearned.destination == "reinvested"
    while done < scenarios:
        size = min(chunk, scenarios - done)
        inputs = draw_inputs(spec, model_year, size, rng)
        results = run(model_year, inputs, spec.baselines)
        collected["provider_income"].append(results.total_to_provider)
        commissioner = results.total_to_provider + (results.unearned if reinvested else 0.0)
        collected["commissioner_cost"].append(commissioner)
        collected["outcome_payments"].append(results.outcomes_paid + results.bonus_paid)
        collected["risk_share_transfer"].append(results.transfer)
        for part in model_year.parts:
            if not part.band_names:
                continue
            index = results.reached[part.key]
            counts = reached_counts.setdefault(part.key, np.zeros(len(part.band_names)))
            for position in range(len(part.band_names)):
                counts[position] += int(np.count_nonzero(index >= position))
        binds += int(np.count_nonzero(results.cap_binds))
        done += size
        if progress is not None:
            progress(size)
    measures = {}
    samples = {}
    for key, chunks in collected.items():
        values = np.concatenate(chunks)
        measures[key] = {"mean": round(float(values.mean()), 2),
                         **{f"p{p}": round(float(np.percentile(values, p)), 2) for p in PERCENTILES}}
        samples[key] = values[:: max(1, len(values) // 200_000)]
    bands = {}
    for part in model_year.parts:
        if part.key in reached_counts:
            bands[part.key] = {name: round(float(c) / scenarios, 4) for name, c in zip(part.band_names, reached_counts[part.key])}
    header = contract.header
    return Summary(header.name if header else "", year, scenarios, seed, measures, bands, round(binds / scenarios, 4), samples)


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
