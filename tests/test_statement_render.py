"""Statement renderings: figures are never cut, in any form, at any width."""

import io
import re

import pytest

import obcdsl
from obcdsl.money import pounds
from obcdsl.render import make_console
from obcdsl.statement_render import print_table, to_csv, to_markdown

from conftest import CONTRACTS

DATA = CONTRACTS / "data"
CASES = [
    ("oxfordshire_mental_health", 3, None),
    ("monitor_staged_linking", 2, None),
    ("cheshire_wirral_pilot", 4, None),
    ("risk_share_corridor", 2, "risk_share_corridor_patients.csv"),
]


def statement_for(name, year, patients):
    contract = obcdsl.load(CONTRACTS / f"{name}.obc")
    data = obcdsl.read_data(DATA / f"{name}.csv", patients=DATA / patients if patients else None)
    return contract.evaluate(data, year=year)


def amounts(statement):
    # risk-share lines show each party's part, not the line's signed effect
    found = [line.amount for line in statement.lines if line.kind != "risk share"]
    found += [a for line in statement.lines if line.kind == "risk share" for a in line.party_amounts.values()]
    found += [statement.core, statement.pot, statement.outcomes_paid, statement.total_to_provider]
    found += [step.amount for step in statement.budget_steps]
    for share in statement.distribution:
        found += [share.core, share.outcomes, share.bonus, share.other, share.total]
    return found


@pytest.mark.parametrize("name,year,patients", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("width", [20, 40, 60, 80, 132])
def test_table_never_cuts_a_figure(name, year, patients, width):
    statement = statement_for(name, year, patients)
    buffer = io.StringIO()
    console = make_console(buffer, force_terminal=False)
    console.width = width
    print_table(console, [statement])
    text = buffer.getvalue()
    assert "…" not in text
    money = set(re.findall(r"-?£[0-9,]+\.[0-9]{2}", text))
    for amount in amounts(statement):
        assert pounds(amount) in money, (pounds(amount), width)


@pytest.mark.parametrize("name,year,patients", CASES, ids=[c[0] for c in CASES])
def test_markdown_and_csv_carry_every_figure_whole(name, year, patients):
    statement = statement_for(name, year, patients)
    markdown, csv_text = to_markdown([statement]), to_csv([statement])
    for line in statement.lines:
        # the risk share is shown band by band, each party's part; its lines' signed effects are in the CSV
        for amount in line.party_amounts.values() if line.kind == "risk share" else [line.amount]:
            assert pounds(amount) in markdown
        pieces = [facts["paid"] for key, facts in line.inputs.items() if line.kind == "indicator" and key != "value" and "paid" in facts]
        for amount in pieces or [line.amount]:  # an indicator measured by segment: a row per segment
            assert f"{amount:f}" in csv_text
