"""The whole year in the simulation: drawn populations, high-cost patients and baselines, paid as the exact evaluator pays.

The property: scenarios sampled from a simulated run, rebuilt as a year's data (indicator values, actual cost,
population rows, one patient cost row for each drawn patient, baselines) and paid by `obcdsl.evaluate`, pay
exactly what the simulation reported for them, to the penny.
"""

import json
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

import obcdsl
from obcdsl import simulate as simulation
from obcdsl.cli import main
from obcdsl.data import ACTUAL_POPULATION, Data, DataPoint, PatientCost
from obcdsl.evaluate import evaluate
from obcdsl.stop_loss import excess_of_totals
from obcdsl.vector import budgets_of, year_model

from conftest import CONTRACTS

WHOLE_YEAR = CONTRACTS / "specs" / "whole_year.toml"


def both_features() -> str:
    """The risk corridor (its per-patient stop-loss) with two weighted segments and a population adjustment."""
    text = (CONTRACTS / "risk_share_corridor.obc").read_text()
    text = text.replace("budget clause 2\n", """population clause 1.5
  segment adults "Adults" clause 1.5.1
    people 40,000
    weight 1.0
  end
  segment older "Older adults" clause 1.5.2
    people 12,000
    weight 2.5
  end
  projected growth 1% each year
end

budget clause 2
""")
    return text.replace("  efficiency 1.1% each year from year 2 clause 2.3\n", "  efficiency 1.1% each year from year 2 clause 2.3\n"
                        "  adjust for population growth beyond 2% tolerance, on the whole difference clause 2.4\n")


SPEC = """
[actual_cost]
distribution = "normal"
mean = 24500000
sd = 1200000

[indicators.recovery_rate]
distribution = "normal"
mean = 52
sd = 4

[population.adults]
distribution = "normal"
mean = 40800
sd = 900

[population.older]
distribution = "normal"
mean = 12300
sd = 400

[patients]
count = { distribution = "poisson", mean = 30 }
cost = { distribution = "lognormal", median = 18000, sigma = 0.6 }

[[correlation]]
between = ["patients", "actual_cost"]
rho = 0.5
"""


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    folder = tmp_path_factory.mktemp("whole_year")
    (folder / "both.obc").write_text(both_features())
    (folder / "both.toml").write_text(SPEC)
    return folder


def exact_data(draws: dict, index: int, offsets: np.ndarray, year: int, baselines: dict) -> Data:
    """Scenario `index` as a year's data: each drawn value as the decimal it stands for, each drawn patient a cost row."""
    points = []
    drawn_baselines = {}
    for key, values in draws.items():
        if key.startswith(simulation.BASELINES):
            drawn_baselines[key.removeprefix(simulation.BASELINES)] = values[index]
            continue
        if key.startswith("stop-loss") or key in (simulation.PATIENTS, simulation.PATIENT_COSTS):
            continue
        name, _, segment = key.partition("/")
        points.append(DataPoint(name, year, segment or None, Decimal(repr(float(values[index])))))
    for key, value in {**baselines, **drawn_baselines}.items():
        name, _, segment = key.partition("/")
        points.append(DataPoint(name, None, segment or None, Decimal(repr(float(value)))))
    patients = ()
    if simulation.PATIENT_COSTS in draws:
        costs = draws[simulation.PATIENT_COSTS][offsets[index]:offsets[index + 1]]
        patients = tuple(PatientCost(f"P{n}", year, Decimal(int(c)) / 100) for n, c in enumerate(costs))
    return Data(tuple(points), patients)


def assert_exact_on_sample(contract, year: int, spec: Path, scenarios: int, seed: int, sample: int) -> obcdsl.simulate.Summary:
    summary = simulation.simulate(contract, year, spec, scenarios, seed=seed, keep_draws=True)
    draws = summary.draws
    assert draws is not None
    counts = draws.get(simulation.PATIENTS, np.zeros(scenarios, dtype=np.int64))
    offsets = np.concatenate([[0], np.cumsum(counts)])
    plan = year_model(contract, year)
    fixed = simulation.read_spec(spec, plan).baselines
    reinvested = contract.outcomes is not None and contract.outcomes.unearned is not None and \
        contract.outcomes.unearned.destination == "reinvested"
    chosen = np.random.default_rng(seed).choice(scenarios, sample, replace=False)
    for index in chosen:
        statement = evaluate(contract, exact_data(draws, int(index), offsets, year, fixed), year)
        transfer = statement.risk.transfer if statement.risk is not None else Decimal(0)
        exact = {"provider_income": statement.total_to_provider,
                 "commissioner_cost": statement.total_to_provider + (statement.unearned if reinvested else 0),
                 "outcome_payments": statement.outcomes_paid + statement.bonus_paid,
                 "risk_share_transfer": transfer}
        for measure, amount in exact.items():
            assert Decimal(repr(round(float(summary.values[measure][index]), 2))) == amount, (index, measure)  # to the penny
    return summary


def test_drawn_population_and_patients_pay_as_the_exact_evaluator(both):
    contract = obcdsl.load(both / "both.obc").ast
    summary = assert_exact_on_sample(contract, 2, both / "both.toml", 4000, seed=3, sample=40)
    draws = summary.draws
    assert draws is not None
    budgets, group = budgets_of(year_model(contract, 2), {k: v for k, v in draws.items() if k.startswith(ACTUAL_POPULATION)})
    assert len(budgets) > 100  # the budget did vary, scenario by scenario
    assert draws["stop-loss patients"].sum() > 0 and (draws["stop-loss patients"] < draws["patients"]).any()


def test_the_bundled_example_pays_as_the_exact_evaluator():
    """Cheshire and Wirral (weighted segments, a drawn baseline) and the risk corridor (its stop-loss) from one spec."""
    import tomllib

    document = tomllib.loads(WHOLE_YEAR.read_text())
    for key in ("cheshire_wirral_pilot", "risk_share_corridor"):
        table = dict(document["contracts"][key])
        year = table.pop("year")
        spec = Path(pytest.importorskip("tempfile").mkdtemp()) / f"{key}.toml"
        spec.write_text(toml_text(table))
        assert_exact_on_sample(obcdsl.load(CONTRACTS / f"{key}.obc").ast, year, spec, 1500, seed=5, sample=25)


def toml_text(table: dict, prefix: str = "") -> str:
    """A small TOML writer for the spec tables of the example (numbers, text and tables)."""
    lines, tables = [], []
    for key, value in table.items():
        if isinstance(value, dict):
            tables.append((key, value))
        else:
            lines.append(f"{key} = {json.dumps(value)}")
    text = "\n".join(lines) + "\n"
    for key, value in tables:
        name = f"{prefix}.{key}" if prefix else key
        text += f"\n[{name}]\n" + toml_text(value, name)
    return text


# ---------------------------------------------------------------- on the edges


def constant(value: float) -> dict:
    return {"distribution": "uniform", "low": value, "high": value}


def spec_with(folder: Path, adults: float, older: float, cost: float, count: int = 3) -> Path:
    path = folder / f"edge_{adults}_{older}_{cost}.toml"
    path.write_text(f"""
actual_cost = {{ distribution = "uniform", low = 24000000, high = 24000000 }}
indicators.recovery_rate = {{ distribution = "uniform", low = 50, high = 50 }}
population.adults = {{ distribution = "uniform", low = {adults}, high = {adults} }}
population.older = {{ distribution = "uniform", low = {older}, high = {older} }}
patients.count = {{ distribution = "uniform", low = {count}, high = {count} }}
patients.cost = {{ distribution = "uniform", low = {cost}, high = {cost} }}
""")
    return path


@pytest.mark.parametrize("cost, patients, excess", [
    (20000.00, 0, Decimal(0)),  # exactly at the threshold: not over it
    (20000.01, 3, Decimal("0.03")),  # a penny over
    (250000.00, 3, Decimal(690000)),  # exactly at the limit
    (400000.00, 3, Decimal(690000)),  # beyond the limit: counted up to it
])
def test_a_patient_exactly_on_the_threshold_or_the_limit(both, cost, patients, excess):
    contract = obcdsl.load(both / "both.obc").ast
    spec = spec_with(both, 40400, 12120, cost)
    summary = assert_exact_on_sample(contract, 2, spec, 50, seed=0, sample=5)
    draws = summary.draws
    assert draws is not None
    assert (draws["stop-loss patients"] == patients).all()
    assert (draws["stop-loss pennies"] == int(excess * 100)).all()
    found = excess_of_totals([int(round(cost * 100))] * 3, Decimal(20000), Decimal(250000))
    assert (found.patients, found.excess) == (patients, excess)


@pytest.mark.parametrize("adults, older, adjusted", [
    (40400, 12120, False),  # exactly the projection (weighted 70,700)
    (42114, 12000, False),  # weighted 72,114: exactly 2% over, on the tolerance
    (42115, 12000, True),  # a person more: beyond it
    (39286, 12000, False),  # weighted 69,286: exactly 2% under
    (39285, 12000, True),
])
def test_a_population_on_the_projection_or_the_tolerance(both, adults, older, adjusted):
    contract = obcdsl.load(both / "both.obc").ast
    spec = spec_with(both, adults, older, 1000.0)
    assert_exact_on_sample(contract, 2, spec, 20, seed=0, sample=3)
    plan = year_model(contract, 2)
    budgets, _ = budgets_of(plan, {f"{ACTUAL_POPULATION}/adults": np.array([adults]), f"{ACTUAL_POPULATION}/older": np.array([older])})
    assert (budgets[0] != plan.budget) is adjusted
    data = Data((DataPoint(ACTUAL_POPULATION, 2, "adults", Decimal(adults)), DataPoint(ACTUAL_POPULATION, 2, "older", Decimal(older)),
                 DataPoint("recovery_rate", 2, None, Decimal(50)), DataPoint("actual cost", 2, None, Decimal(24000000))),
                (PatientCost("P1", 2, Decimal(1)),))
    assert evaluate(contract, data, 2).budget == budgets[0]


def test_the_poisson_copula_draws_counts_with_the_right_mean():
    marginal = simulation.Marginal("patients", "poisson", {"mean": 30.0})
    normals = np.random.default_rng(0).standard_normal(200_000)
    counts = marginal.draw(normals)
    assert np.array_equal(counts, np.rint(counts))
    assert abs(counts.mean() - 30) < 0.1 and abs(counts.var() - 30) < 0.5


def test_patients_are_drawn_in_blocks_with_bounded_memory(monkeypatch):
    from obcdsl import ast

    stop = ast.StopLoss(Decimal(20000), Decimal(10), Decimal(250000))
    cost = simulation.Marginal("patients.cost", "lognormal", {"median": 18000.0, "sigma": 0.8})
    counts = np.random.default_rng(1).poisson(40, 500)
    whole = simulation.draw_patients(counts, cost, stop, np.random.default_rng(2), keep=True)
    monkeypatch.setattr(simulation, "PATIENT_BLOCK", 100)  # about two scenarios a block
    blocks = simulation.draw_patients(counts, cost, stop, np.random.default_rng(2), keep=True)
    for key in whole:
        assert np.array_equal(whole[key], blocks[key]), key
    offsets = np.concatenate([[0], np.cumsum(counts)])
    for index in range(0, 500, 37):
        found = excess_of_totals(whole["patient costs"][offsets[index]:offsets[index + 1]], Decimal(20000), Decimal(250000))
        assert found.patients == whole["stop-loss patients"][index]
        assert found.excess == Decimal(int(whole["stop-loss pennies"][index])) / 100


# ---------------------------------------------------------------- the example spec, end to end


def test_cli_simulates_the_whole_year_example(capsys):
    code = main(["simulate", str(CONTRACTS / "cheshire_wirral_pilot.obc"), str(CONTRACTS / "risk_share_corridor.obc"),
                 "--spec", str(WHOLE_YEAR), "--scenarios", "2000", "--format", "json", "--workers", "1"])
    assert code == 0
    found = json.loads(capsys.readouterr().out)
    assert {"scenarios", "seed", "allocation", "total", "contracts"} <= found.keys()
    assert [c["key"] for c in found["contracts"]] == ["cheshire_wirral_pilot", "risk_share_corridor"]
    for contract in found["contracts"]:
        assert {"measures", "band_probabilities", "probability_a_cap_binds", "scenarios_settled_exactly"} <= contract.keys()


def test_cli_simulates_one_contract_with_population_and_patients(both, capsys):
    code = main(["simulate", str(both / "both.obc"), "--year", "2", "--spec", str(both / "both.toml"), "--scenarios", "1500",
                 "--format", "json", "--workers", "1"])
    assert code == 0
    found = json.loads(capsys.readouterr().out)
    assert found["scenarios"] == 1500 and set(found["measures"]) == set(simulation.MEASURES)


# ---------------------------------------------------------------- spec errors


@pytest.mark.parametrize("extra, message", [
    ("population.adults = { distribution = 'normal', mean = 40000, sd = 900 }\n"
     "population.oldr = { distribution = 'normal', mean = 12000, sd = 400 }",
     "`population.oldr`: the contract has no segment `oldr`"),
    ("population = { distribution = 'normal', mean = 52000, sd = 900 }",
     "counts weighted people, so the spec must give the population of each segment"),
    ("population.adults = { distribution = 'normal', mean = 40000, sd = 900 }",
     "the spec gives no population for segment `older`"),
    ("population.adults = { distribution = 'normal', mean = -5, sd = 900 }\n"
     "population.older = { distribution = 'normal', mean = 12000, sd = 400 }",
     "`population.adults`: `mean` is -5, but populations cannot be negative"),
    ("patients.count = { distribution = 'uniform', low = -3, high = 10 }\n"
     "patients.cost = { distribution = 'lognormal', median = 18000, sigma = 0.5 }",
     "`patients.count`: `low` is -3, but numbers of patients cannot be negative"),
    ("patients.count = { distribution = 'poisson', mean = 30 }\n"
     "patients.cost = { distribution = 'pareto', minimum = 0, alpha = 2 }",
     "`patients.cost`: a pareto distribution needs a `minimum` and an `alpha` above 0"),
    ("patients.count = { distribution = 'poisson', mean = 30 }",
     "`patients` needs `count`"),
    ("baselines.recovery_rte = { distribution = 'normal', mean = 40, sd = 2 }",
     "`baselines.recovery_rte`: the contract has no indicator `recovery_rte`"),
])
def test_spec_errors_name_the_file_and_the_key(both, capsys, extra, message):
    spec = both / "bad.toml"
    spec.write_text("actual_cost = { distribution = 'normal', mean = 24500000, sd = 1200000 }\n"
                    "indicators.recovery_rate = { distribution = 'normal', mean = 52, sd = 4 }\n" + extra + "\n")
    code = main(["simulate", str(both / "both.obc"), "--year", "2", "--spec", str(spec), "--scenarios", "10"])
    err = capsys.readouterr().err
    assert code != 0
    assert "OBC916" in err and str(spec) in err and message in err, err
    assert "Traceback" not in err


@pytest.mark.parametrize("contract, year, extra, message", [
    ("risk_share_corridor", 2, "population = { distribution = 'normal', mean = 52000, sd = 900 }",
     "the contract's budget is not adjusted for population growth"),
    ("cheshire_wirral_pilot", 4, "patients.count = { distribution = 'poisson', mean = 30 }\n"
                                 "patients.cost = { distribution = 'lognormal', median = 18000, sigma = 0.5 }",
     "year 4 of the contract has no per-patient stop-loss"),
])
def test_a_table_the_contract_has_no_use_for_is_refused(tmp_path, capsys, contract, year, extra, message):
    import tomllib

    table = dict(tomllib.loads((CONTRACTS / "specs" / "system_portfolio.toml").read_text())["contracts"][contract])
    table.pop("year")
    spec = tmp_path / "spec.toml"
    spec.write_text(extra + "\n" + toml_text(table))  # keys before the first table header
    code = main(["simulate", str(CONTRACTS / f"{contract}.obc"), "--year", str(year), "--spec", str(spec), "--scenarios", "10"])
    err = capsys.readouterr().err
    assert code != 0 and "OBC916" in err and str(spec) in err and message in err, err
