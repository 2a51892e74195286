"""What users read, pinned: each reference statement's JSON, and each broken contract's diagnostics as text.

A change to either shows here as a diff against `tests/golden/`. When the change is meant (and said in
CHANGELOG.md), regenerate with `pytest tests/test_golden.py --update-golden` and review the diff.
"""

import io

import pytest

import obcdsl
from obcdsl.checker import check_path
from obcdsl.render import make_console, print_diagnostics, summary_line
from obcdsl.statement_render import to_json

from conftest import BROKEN, CONTRACTS, ROOT

GOLDEN = ROOT / "tests" / "golden"
DATA = CONTRACTS / "data"
PATIENTS = {"risk_share_corridor": "risk_share_corridor_patients.csv",
            "fee_based_pathway_with_activity": "fee_based_pathway_with_activity_patients.csv"}
REFERENCE = [
    (name, year)
    for name, years in (("oxfordshire_mental_health", range(1, 8)), ("monitor_staged_linking", (1, 2)),
                        ("cheshire_wirral_pilot", range(1, 6)), ("risk_share_corridor", (1, 2, 3)),
                        ("quality_gated_shared_savings", (1, 2, 3)), ("east_london_whole_population", range(1, 6)),
                        ("fee_based_pathway_with_activity", (1, 2, 3)))
    for year in years
]


@pytest.mark.parametrize("name,year", REFERENCE, ids=[f"{n}-{y}" for n, y in REFERENCE])
def test_reference_statement(name, year, golden):
    contract = obcdsl.load(CONTRACTS / f"{name}.obc")
    patients = DATA / PATIENTS[name] if name in PATIENTS else None
    data = obcdsl.read_data(DATA / f"{name}.csv", patients=patients)
    try:
        text = to_json([contract.evaluate(data, year=year)], False) + "\n"
    except obcdsl.DataError as error:  # a year the bundled data does not cover: its message is pinned too
        text = "".join(f"{x.code} {x.message}\n" for x in error.diagnostics)
    golden(GOLDEN / "statements" / f"{name}.{year}.json", text)


@pytest.mark.parametrize("path", sorted(BROKEN.glob("*.obc")), ids=lambda p: p.name)
def test_broken_contract_diagnostics(path, golden, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.chdir(ROOT)
    relative = path.relative_to(ROOT)
    result = check_path(relative)
    stream = io.StringIO()
    console = make_console(stream, force_terminal=False)
    console.width = 100
    print_diagnostics(console, result.diagnostics, result.source)
    errors = sum(1 for x in result.diagnostics if x.is_error)
    console.print(summary_line(errors, len(result.diagnostics) - errors, 1))
    golden(GOLDEN / "diagnostics" / f"{path.stem}.txt", stream.getvalue())
