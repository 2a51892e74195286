"""Simulation on Spark (`local[2]`) gives the local runner's figures, to the last digit, for the same seed."""

import json

import numpy as np
from conftest import CONTRACTS

import obcdsl
from obcdsl import simulate as local
from obcdsl.cli import main
from obcdsl.portfolio import simulate_portfolio
from obcdsl.spark import simulate, simulate_portfolio as spark_portfolio

CONTRACT = CONTRACTS / "oxfordshire_mental_health.obc"
SPEC = CONTRACTS / "specs" / "oxfordshire_year3.toml"


def test_oxfordshire_year_3_on_spark_matches_the_local_runner(spark):
    contract = obcdsl.load(CONTRACT)
    scenarios = 2 * local.CHUNK + 1_234  # three chunks, three partitions, on two cores
    here = local.simulate(contract, 3, SPEC, scenarios, seed=11, keep_draws=True)
    there = simulate(contract, 3, SPEC, scenarios, seed=11, spark=spark, keep_draws=True)
    assert there.to_dict() == here.to_dict()
    for key in local.MEASURES:  # every scenario, in order, not only the summary
        assert np.array_equal(there.values[key], here.values[key]), key
    assert here.draws is not None and there.draws is not None
    assert all(np.array_equal(there.draws[k], here.draws[k]) for k in here.draws)
    other = simulate(contract, 3, SPEC, scenarios, seed=12, spark=spark)
    assert other.to_dict() != here.to_dict()  # the seed matters: the comparison above is not vacuous


def test_a_portfolio_on_spark_matches_the_local_runner(spark):
    contracts = [obcdsl.load(path) for path in sorted(CONTRACTS.glob("*.obc"))]
    spec = CONTRACTS / "specs" / "system_portfolio.toml"
    here = simulate_portfolio(contracts, spec, local.CHUNK + 10, seed=3)
    there = spark_portfolio(contracts, spec, local.CHUNK + 10, seed=3, spark=spark)
    assert there.to_dict() == here.to_dict()
    assert np.array_equal(there.samples["commissioner_cost"], here.samples["commissioner_cost"])


def test_the_cli_simulates_on_spark_with_the_same_figures(spark, capsys):
    command = ["simulate", str(CONTRACT), "--year", "3", "--spec", str(SPEC), "--scenarios", "3000", "--seed", "4",
               "--format", "json"]
    assert main(command) == 0
    here = json.loads(capsys.readouterr().out)
    assert main(command + ["--engine", "spark", "--master", "local[2]"]) == 0
    assert json.loads(capsys.readouterr().out) == here
