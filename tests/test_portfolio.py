"""Portfolio simulation: several contracts drawn together, each contract's figures and the system's total."""

import json

import numpy as np
import pytest

import obcdsl
from obcdsl.cli import main
from obcdsl.portfolio import money, read_portfolio, simulate_portfolio
from obcdsl.simulate import CHUNK, SpecError, chunk_stream

from conftest import CONTRACTS

SPEC = CONTRACTS / "specs" / "system_portfolio.toml"
FIRST = ["oxfordshire_mental_health", "cheshire_wirral_pilot", "risk_share_corridor", "monitor_staged_linking"]
NAMES = FIRST + sorted({p.stem for p in CONTRACTS.glob("*.obc")} - set(FIRST))  # the portfolio spec has a table for each


@pytest.fixture(scope="module")
def contracts():
    return [obcdsl.load(CONTRACTS / f"{name}.obc") for name in NAMES]


def test_json_shape_and_totals(capsys):
    code = main(["simulate", str(CONTRACTS), "--spec", str(SPEC), "--scenarios", "3000", "--format", "json", "--workers", "1"])
    assert code == 0
    document = json.loads(capsys.readouterr().out)
    assert set(document) == {"scenarios", "seed", "allocation", "total", "contracts"}
    assert document["allocation"] == 545_000_000
    assert set(document["total"]) == {"measures", "probability_over_allocation"}
    assert set(document["total"]["measures"]) == {"commissioner_cost", "provider_income"}
    assert 0 <= document["total"]["probability_over_allocation"] <= 1
    by_key = {c["key"]: c for c in document["contracts"]}
    assert set(by_key) == set(NAMES)
    assert by_key["cheshire_wirral_pilot"]["year"] == 4 and by_key["oxfordshire_mental_health"]["year"] == 3
    for entry in document["contracts"]:
        assert {"key", "path", "contract", "measures", "band_probabilities", "probability_a_cap_binds"} <= set(entry)
    means = sum(c["measures"]["commissioner_cost"]["mean"] for c in document["contracts"])
    assert document["total"]["measures"]["commissioner_cost"]["mean"] == pytest.approx(means, abs=0.05)


def test_total_is_the_sum_scenario_by_scenario_and_over_allocation_counts_it(contracts):
    result = simulate_portfolio(contracts, SPEC, 2000, seed=3)
    per_contract = sum(np.rint(s.values["commissioner_cost"] * 100).astype(np.int64) for _, _, s in result.contracts)
    assert np.array_equal(np.rint(result.samples["commissioner_cost"] * 100).astype(np.int64), per_contract)
    limit = int(result.allocation * 100)
    assert result.over_allocation == round(float(np.count_nonzero(per_contract > limit)) / 2000, 4)


@pytest.fixture(scope="module")
def spec_two(tmp_path_factory):
    """Oxfordshire and Cheshire alone, their costs driven by one demand, crisis response against readmissions."""
    text = SPEC.read_text().split("[contracts.risk_share_corridor]")[0]
    text = text.replace('spec = "oxfordshire_year3.toml"', f'spec = "{(CONTRACTS / "specs" / "oxfordshire_year3.toml").as_posix()}"')
    path = tmp_path_factory.mktemp("portfolio") / "two.toml"
    path.write_text(text + '\n[drivers.demand]\n"oxfordshire_mental_health.actual_cost" = 0.8\n'
                    '"cheshire_wirral_pilot.actual_cost" = 0.8\n\n[[correlation]]\n'
                    'between = ["oxfordshire_mental_health.crisis_response_4h", "cheshire_wirral_pilot.readmissions"]\nrho = -0.3\n')
    return path


def test_same_figures_on_two_workers(contracts, spec_two):
    one = simulate_portfolio(contracts[:2], spec_two, CHUNK + 500, seed=5, workers=1)
    two = simulate_portfolio(contracts[:2], spec_two, CHUNK + 500, seed=5, workers=2)
    assert one.to_dict() == two.to_dict()


def test_drivers_and_cross_contract_correlations_are_applied(contracts, spec_two):
    portfolio = read_portfolio(spec_two, [(n, c.ast, None) for n, c in zip(NAMES[:2], contracts[:2])])
    drawn = portfolio.model.draw(40_000, chunk_stream(1, 0))
    costs = np.corrcoef(drawn[0]["actual cost"], drawn[1]["actual cost"])[0, 1]
    assert 0.58 < costs < 0.70  # 0.8 × 0.8 = 0.64 through the driver
    crisis = np.corrcoef(drawn[0]["crisis_response_4h"], drawn[1]["readmissions"])[0, 1]
    assert -0.36 < crisis < -0.24  # the spec's rho = -0.3
    assert abs(np.corrcoef(drawn[0]["suicide"], drawn[1]["actual cost"])[0, 1]) < 0.03


@pytest.mark.parametrize("extra, message", [
    ('[[correlation]]\nbetween = ["nowhere.actual_cost", "cheshire_wirral_pilot.actual_cost"]\nrho = 0.2\n', "no contract's variable"),
    ('[drivers.winter]\n"cheshire_wirral_pilot.actual_cost" = 1.5\n', "from -1 to 1"),
    ('[contracts.someone_else]\nyear = 1\n', "names no contract given"),
])
def test_bad_portfolio_specs(contracts, spec_two, extra, message):
    path = spec_two.with_name("bad.toml")
    path.write_text(spec_two.read_text() + "\n" + extra)
    with pytest.raises(SpecError) as caught:
        read_portfolio(path, [(n, c.ast, None) for n, c in zip(NAMES[:2], contracts[:2])])
    assert any(message in d.message and d.code == "OBC916" for d in caught.value.diagnostics)


def test_a_contract_without_a_table_is_refused(spec_two, capsys):
    code = main(["simulate", str(CONTRACTS / "oxfordshire_mental_health.obc"), str(CONTRACTS / "cheshire_wirral_pilot.obc"),
                 str(CONTRACTS / "risk_share_corridor.obc"), "--spec", str(spec_two), "--workers", "1"])
    assert code == 1
    err = capsys.readouterr().err
    assert "OBC916" in err and "no `[contracts.risk_share_corridor]` table" in err


def test_a_contract_with_errors_is_refused(spec_two, tmp_path, capsys):
    broken = tmp_path / "cheshire_wirral_pilot.obc"
    broken.write_text((CONTRACTS / "cheshire_wirral_pilot.obc").read_text().replace("contract ", "contrakt ", 1))
    code = main(["simulate", str(CONTRACTS / "oxfordshire_mental_health.obc"), str(broken), "--spec", str(spec_two)])
    assert code == 1
    assert "nothing was computed" in capsys.readouterr().err


def test_several_contracts_need_a_portfolio_spec(capsys):
    code = main(["simulate", str(CONTRACTS), "--year", "3", "--spec", str(CONTRACTS / "specs" / "oxfordshire_year3.toml")])
    assert code == 2
    assert "portfolio spec" in capsys.readouterr().err


def test_table_output(capsys):
    assert main(["simulate", str(CONTRACTS), "--spec", str(SPEC), "--scenarios", "1000", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "system total" in out and "probability the system's total exceeds it" in out and "monitor_staged_linking" in out


@pytest.mark.parametrize("text, pounds", [("£95m", 95_000_000), ("£1.2bn", 1_200_000_000), ("£37,000,000", 37_000_000),
                                          (1500, 1500), ("95m pounds", None), (True, None)])
def test_allocation_amounts(text, pounds):
    assert money(text) == (None if pounds is None else pounds)
