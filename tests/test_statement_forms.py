"""Statements fit for a board paper: figures whole at any width, every section in Markdown, CSV a row per line,
indicators not linked or without a rule shown with their measured values, and a workbook whose sums are live formulas."""

import csv
import io
import os
import re
import subprocess
import sys
from decimal import Decimal

import pytest

import obcdsl
from obcdsl import cli
from obcdsl.money import pounds
from obcdsl.render import make_console
from obcdsl.statement_render import print_table, to_csv, to_markdown

from conftest import CONTRACTS

DATA = CONTRACTS / "data"
D = Decimal
WHOLE = re.compile(r"£\d{1,3}(?:,\d{3})*(?:\.\d{2})?(?![\d,.]\d)")


@pytest.fixture(scope="module")
def big_contract(tmp_path_factory):
    """Oxfordshire with a budget in the hundreds of billions: the longest figures obcdsl prints."""
    text = (CONTRACTS / "oxfordshire_mental_health.obc").read_text(encoding="utf-8")
    assert "baseline £37,110,000 " in text
    path = tmp_path_factory.mktemp("big") / "big.obc"
    path.write_text(text.replace("baseline £37,110,000 ", "baseline £987,654,321,098.77 "), encoding="utf-8")
    return path


def every_figure_whole(text: str) -> None:
    """Each £ starts a whole figure, and no figure's tail was wrapped onto a line of its own."""
    cut = [text[m.start():m.start() + 20] for m in re.finditer("£", text) if not WHOLE.match(text, m.start())]
    assert not cut, cut
    assert not re.findall(r"(?<=[\s│|])[,.]\d{2,3}\b", text)
    assert "…" not in text


def statement(path, year=3):
    return obcdsl.load(path).evaluate(obcdsl.read_data(DATA / "oxfordshire_mental_health.csv"), year=year)


def test_long_figures_piped_at_40_columns_are_whole(big_contract):
    env = {**os.environ, "COLUMNS": "40", "NO_COLOR": "1"}
    done = subprocess.run([sys.executable, "-m", "obcdsl", "evaluate", str(big_contract), "--data",
                           str(DATA / "oxfordshire_mental_health.csv"), "--year", "3"], capture_output=True, text=True,
                          env=env, check=True)
    every_figure_whole(done.stdout)
    found = statement(big_contract)
    assert found.budget > D("900000000000")
    for amount in (found.budget, found.core, found.pot, found.total_to_provider, found.commissioner_cost):
        assert pounds(amount) in done.stdout


@pytest.mark.parametrize("year", [2, 3])
def test_long_figures_in_a_rich_console_of_40_are_whole(big_contract, year):
    buffer = io.StringIO()
    console = make_console(buffer, force_terminal=False)
    console.width = 40
    found = statement(big_contract, year)
    print_table(console, [found])
    text = buffer.getvalue()
    every_figure_whole(text)
    for line in found.lines:  # every figure of every working, as written
        for figure in WHOLE.findall(line.explanation):
            assert figure in text


def test_markdown_has_every_section_and_every_figure(big_contract):
    found = statement(big_contract, 2)
    text = to_markdown([found])
    for heading in ("### Budget", "### Components", "### Outcomes", "#### People will live longer (`live_longer`)",
                    "### Bonus", "### Unearned pot", "### Risk share", "### Distribution", "### Totals"):
        assert heading in text
    every_figure_whole(text)
    assert "| 8.2 | gain of £" in text and "**shares of the variance**" in text
    assert f"| Cost to the commissioner, with the pot reinvested | {pounds(found.commissioner_cost)} |" in text
    assert found.commissioner_cost == found.total_to_provider + found.unearned


def test_unlinked_and_ruleless_indicators_show_their_measured_values():
    contract = obcdsl.load(CONTRACTS / "monitor_staged_linking.obc")
    year_1 = contract.evaluate(obcdsl.read_data(DATA / "monitor_staged_linking.csv"), year=1)
    line = next(x for x in year_1.lines if x.name == "outcome_2_measure")
    assert not line.linked and line.amount == 0
    assert "measured 70%; not linked to payment this year (year 1)" in line.explanation
    assert line.inputs == {"value": {"value": D(70)}}
    rows = list(csv.DictReader(io.StringIO(to_csv([year_1]))))
    row = next(r for r in rows if r["indicator"] == "outcome_2_measure")
    assert (row["measured"], row["reached"], row["amount"]) == ("70", "not linked to payment this year", "0.00")
    assert "measured 70%; not linked" in to_markdown([year_1])

    found = statement(CONTRACTS / "oxfordshire_mental_health.obc")
    measures = {x.name: x for x in found.lines if x.kind == "measure"}
    assert set(measures) == {"carer_survey_coverage", "carers_surveyed", "known_carers", "data_completeness"}
    assert "Carers survey coverage: measured 105%; no payment rule (clause 5.4.4)" in measures["carer_survey_coverage"].explanation
    assert measures["known_carers"].to_dict()["inputs"] == {"value": {"value": "2000"}}
    rows = list(csv.DictReader(io.StringIO(to_csv([found]))))
    coverage = next(r for r in rows if r["indicator"] == "carer_survey_coverage")
    assert (coverage["kind"], coverage["measured"], coverage["amount"], coverage["reached"]) == ("measure", "105", "", "no payment rule")
    buffer = io.StringIO()
    console = make_console(buffer, force_terminal=False)
    console.width = 200
    print_table(console, [found])
    assert "Known carers: measured 2000; no payment rule" in buffer.getvalue()
    assert "Completeness of role and employment recording: measured 94%" in to_markdown([found])


def test_csv_has_a_row_per_line_and_segment_that_add_up():
    found = statement(CONTRACTS / "oxfordshire_mental_health.obc")
    rows = list(csv.DictReader(io.StringIO(to_csv([found]))))
    assert list(rows[0]) == ["contract", "year", "kind", "outcome", "indicator", "title", "segment", "measured", "threshold",
                             "reached", "allocation", "amount", "clause", "explanation"]
    mortality = [r for r in rows if r["indicator"] == "mortality"]
    assert [r["segment"] for r in mortality] == ["anxiety_depression", "substance_misuse", "psychosis", "behavioural"]
    assert mortality[2]["measured"] == "14.1" and mortality[2]["threshold"] == "14.44" and mortality[2]["reached"] == "met"
    line = next(x for x in found.lines if x.name == "mortality")
    assert sum(D(r["amount"]) for r in mortality) == line.amount == D("221948.06")
    assert sum(D(r["allocation"]) for r in mortality) == line.allocation
    crisis = next(r for r in rows if r["indicator"] == "crisis_response_4h")
    assert (crisis["measured"], crisis["threshold"], crisis["reached"], crisis["clause"], crisis["amount"]) == \
        ("96", "95", "excellent", "4.3", "295930.74")
    paid = sum(D(r["amount"]) for r in rows if r["kind"] == "indicator")
    assert paid == found.outcomes_paid
    totals = {r["indicator"]: D(r["amount"]) for r in rows if r["kind"] == "total"}
    assert totals["total_to_provider"] == found.total_to_provider
    assert totals["commissioner_cost"] == found.commissioner_cost


# ---------------------------------------------------------------- the workbook


CELL = re.compile(r"^\$?([A-Z]+)\$?(\d+)$")


def column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def cell_value(sheet, reference: str, seen=()) -> Decimal:
    """A cell's value; a formula worked out from the cells it refers to (only SUM, + and - are used)."""
    letters, row = CELL.match(reference).groups()
    value = sheet.cell(row=int(row), column=column_number(letters)).value
    if isinstance(value, str) and value.startswith("="):
        assert reference not in seen, f"{reference} refers to itself"
        return formula_value(sheet, value[1:], seen + (reference,))
    return D(0) if value is None else D(str(value))


def formula_value(sheet, formula: str, seen) -> Decimal:
    total = D(0)
    for sign, term in re.findall(r"([+-]?)([A-Z]+\d+|SUM\([^)]*\))", formula):
        if term.startswith("SUM("):
            value = D(0)
            for part in term[4:-1].split(","):
                first, _, last = part.partition(":")
                (c1, r1), (c2, r2) = CELL.match(first).groups(), CELL.match(last or first).groups()
                for column in range(column_number(c1), column_number(c2) + 1):
                    for row in range(int(r1), int(r2) + 1):
                        letters = "".join(chr(64 + column))
                        value += cell_value(sheet, f"{letters}{row}", seen)
        else:
            value = cell_value(sheet, term, seen)
        total += -value if sign == "-" else value
    assert re.fullmatch(r"(-?([A-Z]+\d+|SUM\([A-Z0-9:,]*\))[+-]?)+", formula.replace("+-", "-")), formula
    return total


@pytest.mark.parametrize("name,year,patients", [
    ("oxfordshire_mental_health", 2, None), ("oxfordshire_mental_health", 3, None),
    ("risk_share_corridor", 2, "risk_share_corridor_patients.csv"), ("cheshire_wirral_pilot", 4, None),
    ("east_london_whole_population", 1, None), ("east_london_whole_population", 5, None),
    ("quality_gated_shared_savings", 3, None),
    ("fee_based_pathway_with_activity", 1, "fee_based_pathway_with_activity_patients.csv"),
])
def test_workbook_formulas_recompute_the_printed_totals(tmp_path, name, year, patients):
    openpyxl = pytest.importorskip("openpyxl")
    out = tmp_path / "statement.xlsx"
    argv = ["evaluate", str(CONTRACTS / f"{name}.obc"), "--data", str(DATA / f"{name}.csv"), "--year", str(year),
            "--format", "xlsx", "--out", str(out)]
    if patients:
        argv += ["--patients", str(DATA / patients)]
    assert cli.main(argv) == 0
    found = obcdsl.load(CONTRACTS / f"{name}.obc").evaluate(
        obcdsl.read_data(DATA / f"{name}.csv", patients=DATA / patients if patients else None), year=year)
    sheet = openpyxl.load_workbook(out)[f"Year {year}"]
    formulas = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("=")]
    assert len(formulas) >= 8
    totals = {}
    for row in sheet.iter_rows(min_col=1, max_col=3):
        if row[1].value in dict((k, None) for k, _, _ in found.totals()):
            totals[row[1].value] = cell_value(sheet, row[2].coordinate)
    for key, _, amount in found.totals():
        assert totals[key] == amount, key  # to the penny
    for key in ("outcomes", "bonus", "unearned", "risk_share", "total_to_provider", "commissioner_cost"):
        cell = next(r[2] for r in sheet.iter_rows(min_col=1, max_col=3) if r[1].value == key)
        assert isinstance(cell.value, str) and cell.value.startswith("=") or cell.value == 0, key
    party_totals = [cell_value(sheet, row[5].coordinate) for row in sheet.iter_rows(min_col=1, max_col=6)
                    if row[0].value in {share.title for share in found.distribution} and row[5].value
                    and str(row[5].value).startswith("=SUM(B")]
    assert party_totals == [share.total for share in found.distribution]
    if found.risk is not None and found.risk.variance is not None:
        shares = next(r for r in sheet.iter_rows(min_col=1, max_col=4) if r[1].value == "shares of the variance")
        assert (cell_value(sheet, shares[2].coordinate), cell_value(sheet, shares[3].coordinate)) == \
            (found.risk.provider_share, found.risk.commissioner_share)
        transfer = next(r for r in sheet.iter_rows(min_col=1, max_col=3) if r[1].value and str(r[1].value).startswith("transfer"))
        assert cell_value(sheet, transfer[2].coordinate) == found.risk.transfer


def test_xlsx_needs_out(capsys):
    code = cli.main(["evaluate", str(CONTRACTS / "monitor_staged_linking.obc"), "--data",
                            str(DATA / "monitor_staged_linking.csv"), "--format", "xlsx"])
    assert code == 2
    assert "--out" in capsys.readouterr().err
