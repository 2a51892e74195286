"""Scenarios split into fixed chunks, each with its own stream: the same figures on any number of workers."""

import json

import numpy as np
import pytest

import obcdsl
from obcdsl import simulate as simulation
from obcdsl.cli import main

from conftest import CONTRACTS

SPEC = CONTRACTS / "specs" / "oxfordshire_year3.toml"
CONTRACT = CONTRACTS / "oxfordshire_mental_health.obc"
SCENARIOS = 2 * simulation.CHUNK + 1234  # three chunks, the last one short


@pytest.fixture(scope="module")
def by_workers():
    contract = obcdsl.load(CONTRACT)
    return {w: simulation.simulate(contract, 3, SPEC, SCENARIOS, seed=11, workers=w, keep_draws=True) for w in (1, 2, 3)}


def test_every_figure_is_the_same_on_1_2_and_3_workers(by_workers):
    one = by_workers[1]
    for workers in (2, 3):
        other = by_workers[workers]
        assert other.to_dict() == one.to_dict()  # every reported figure, exactly
        for key, values in one.values.items():  # every scenario's payment, in order
            assert np.array_equal(other.values[key], values)
        assert one.draws is not None and other.draws is not None
        assert other.draws.keys() == one.draws.keys()
        for key, values in one.draws.items():  # the drawn scenarios themselves
            assert np.array_equal(other.draws[key], values), key


def test_each_chunk_draws_from_its_own_spawned_stream(by_workers):
    spawned = np.random.SeedSequence(11).spawn(3)
    for index, sequence in enumerate(spawned):
        expected = np.random.default_rng(sequence).standard_normal(4)
        assert np.array_equal(simulation.chunk_stream(11, index).standard_normal(4), expected)
    assert simulation.chunk_sizes(SCENARIOS) == [simulation.CHUNK, simulation.CHUNK, 1234]


def test_near_ties_are_still_paid_exactly(by_workers):
    assert by_workers[1].settled_exactly > 0  # thousands of Oxfordshire scenarios always hold a few near ties
    assert by_workers[2].settled_exactly == by_workers[1].settled_exactly


def test_cli_workers_give_identical_json(capsys):
    outputs = []
    for workers in ("1", "2"):
        code = main(["simulate", str(CONTRACT), "--year", "3", "--spec", str(SPEC), "--scenarios", str(simulation.CHUNK + 10),
                     "--seed", "4", "--format", "json", "--workers", workers])
        assert code == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]
    assert json.loads(outputs[0])["scenarios_settled_exactly"] >= 0


def test_cli_refuses_no_workers(capsys):
    code = main(["simulate", str(CONTRACT), "--year", "3", "--spec", str(SPEC), "--workers", "0"])
    assert code == 2
    assert "--workers must be at least 1" in capsys.readouterr().err


def test_a_pool_is_the_default_only_where_it_is_worth_its_start_up():
    import os

    from obcdsl.simulate import POOL_WORTH, workers_available

    assert workers_available(POOL_WORTH - 1) == 1
    assert workers_available(POOL_WORTH) == (os.cpu_count() or 1)


WHOLE_YEAR_SPEC = """
actual_cost = { distribution = "normal", mean = 24500000, sd = 1200000 }
indicators.recovery_rate = { distribution = "normal", mean = 52, sd = 4 }
population.adults = { distribution = "normal", mean = 40600, sd = 500 }
population.older = { distribution = "normal", mean = 12150, sd = 150 }
patients.count = { distribution = "poisson", mean = 30 }
patients.cost = { distribution = "lognormal", median = 18000, sigma = 0.6 }
baselines.recovery_rate = { distribution = "normal", mean = 45, sd = 2 }

[[correlation]]
between = ["patients", "actual_cost"]
rho = 0.5
"""


def test_drawn_populations_and_patients_are_the_same_on_1_and_2_workers(tmp_path):
    """Populations, patients and their costs, and baselines are drawn from each chunk's own stream too."""
    from test_simulate_whole_year import both_features

    (tmp_path / "both.obc").write_text(both_features())
    (tmp_path / "both.toml").write_text(WHOLE_YEAR_SPEC)
    contract = obcdsl.load(tmp_path / "both.obc")
    runs = [simulation.simulate(contract, 2, tmp_path / "both.toml", simulation.CHUNK + 700, seed=5, workers=w, keep_draws=True)
            for w in (1, 2)]
    one, two = runs
    assert two.to_dict() == one.to_dict()
    for key, values in one.values.items():
        assert np.array_equal(two.values[key], values), key
    assert one.draws is not None and two.draws is not None and two.draws.keys() == one.draws.keys()
    assert {"actual population/adults", "patients", "patient costs", "stop-loss pennies", "baselines.recovery_rate"} <= one.draws.keys()
    for key, values in one.draws.items():
        assert np.array_equal(two.draws[key], values), key
