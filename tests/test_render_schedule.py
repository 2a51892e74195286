"""`obcdsl render`: the payment schedule as Word, HTML and Markdown (issue 14, item 1)."""

import decimal
import subprocess
import sys

import docx
import html5lib
import pytest
from conftest import CONTRACTS

import obcdsl
from obcdsl import model
from obcdsl.cli import main
from obcdsl.money import exact_context, percent_text, pounds
from obcdsl.plan import plan_for
from obcdsl.schedule.document import schedule_for, threshold_words

BUNDLED = sorted(CONTRACTS.glob("*.obc"))
OXFORDSHIRE = CONTRACTS / "oxfordshire_mental_health.obc"


def ids(path):
    return path.stem


def render(tmp_path, contract, to, *extra):
    out = tmp_path / f"schedule.{to}"
    assert main(["render", str(contract), "--to", to, "--out", str(out), *extra]) == 0
    return out


def docx_tables(path):
    """Each table of the Word document as rows of cell texts."""
    return [[[cell.text for cell in row.cells] for row in table.rows] for table in docx.Document(str(path)).tables]


def weight_text(weight):
    value = f"{weight.value.normalize():f}"
    return f"{value} points" if weight.unit == "points" else f"{value}%"


@pytest.mark.parametrize("contract_path", BUNDLED, ids=ids)
def test_docx_tables_state_the_contract(tmp_path, contract_path):
    contract = obcdsl.load(contract_path).ast
    tables = docx_tables(render(tmp_path, contract_path, "docx"))
    rows = [tuple(row) for table in tables for row in table]
    # outcomes and their weights
    for outcome in contract.all_outcomes:
        row = next(r for r in rows if outcome.title in r and (outcome.clause or "") in r)
        if outcome.weight is not None:
            assert weight_text(outcome.weight) in row
    with decimal.localcontext(exact_context()):
        plans = [plan_for(contract, year) for year in model.contract_years(contract)]
    phasing = next(t for t in tables if t[0][0] == "Indicator")
    assert phasing[0][1:] == [f"Year {p.year} ({contract.term.financial_year(p.year)})" for p in plans]
    for indicator in contract.all_indicators:
        if not model.has_rule(indicator):
            continue
        direction = indicator.direction or "higher"
        # its thresholds, as written and in plain English, with what each pays
        thresholds = next(t for t in tables if t[0][:2] in (["Level", "As written"], ["Segment", "Level"])
                          and threshold_table_of(t, indicator, contract))
        if isinstance(indicator.rule, obcdsl.ast.Bands):
            for band in indicator.rule.bands:
                row = next(r for r in thresholds if r[0] == band.name.capitalize())
                assert row[2].startswith(threshold_words(band.threshold, direction))
                if band.share is not None:
                    assert row[3] == f"{percent_text(band.share)} of the indicator's allocation" or band.base == "pot"
        # its allocation in each year, in pounds, in the phasing table and its own
        line_row = next(r for r in phasing if r[0] == indicator.title)
        for plan, cell in zip(plans, line_row[1:]):
            line = plan.line(indicator.name)
            if not line.linked:
                assert cell == "–"
            elif line.allocation is not None:
                assert cell == pounds(line.allocation)
            else:
                assert cell == f"up to {pounds(line.most)}"
        own = next(t for t in tables if t[0] == ["Year", "Linked to payment", "Allocation", "Most it can pay"]
                   and allocation_table_of(t, plans, indicator.name))
        assert len(own) == len(plans) + 1
    pot = next(r for r in phasing if r[0] == "Outcomes pot")
    assert pot[1:] == [pounds(p.pot) for p in plans]


def threshold_table_of(table, indicator, contract):
    """Whether a thresholds table is the indicator's: the rows are its rule's levels with its written thresholds."""
    from obcdsl.schedule.document import written_threshold

    rule = indicator.rule if indicator.rule is not None else indicator.segment_rules[0].rule
    body = [r[1:] if table[0][0] == "Segment" else r for r in table[1:]]
    if isinstance(rule, obcdsl.ast.Bands):
        return [r[1] for r in body[: len(rule.bands)]] == [
            written_threshold(b.threshold) + (f" to {obcdsl.format.threshold_value(b.upper)}" if b.upper else "") for b in rule.bands]
    if isinstance(rule, obcdsl.ast.Target):
        return body[0][:2] == ["Target", written_threshold(rule.threshold)] and len(body) == max(1, len(indicator.segment_rules))
    return [r[:2] for r in body] == [["Floor", obcdsl.format.threshold_value(rule.floor)],
                                     ["Ceiling", obcdsl.format.threshold_value(rule.ceiling)]]


def allocation_table_of(table, plans, name):
    return all(row[2] in (pounds(plan.line(name).allocation) if plan.line(name).allocation is not None else "shares of the pot",)
               for row, plan in zip(table[1:], plans))


def test_oxfordshire_docx_in_detail(tmp_path):
    tables = docx_tables(render(tmp_path, OXFORDSHIRE, "docx"))
    crisis = next(t for t in tables if t[0] == ["Level", "As written", "Reached by a value of", "Pays"]
                  and t[1][:2] == ["Good", "at least 75%"])
    assert crisis[1:] == [["Good", "at least 75%", "75% or more", "50% of the indicator's allocation"],
                          ["Improved", "at least 85%", "85% or more", "75% of the indicator's allocation"],
                          ["Excellent", "at least 95%", "95% or more", "100% of the indicator's allocation"]]
    outcomes = next(t for t in tables if t[0] == ["Clause", "Outcome", "Weight", "Share of the pot"])
    assert ["5.3", "People will receive timely access to assessment and support", "10 points", "10%"] in outcomes
    assert outcomes[-1] == ["5.8", "Bonus: Additional incentivisation subject to achievement of all outcome points", "10 points", "10%"]
    risk = next(t for t in tables if t[0] == ["Clause", "Side", "Part of the variance", "Provider", "Commissioner"])
    assert risk[1:] == [["8.2", "Gains", "up to 5% of the budget", "50%", "50%"], ["8.2", "Gains", "above 5% of the budget", "20%", "80%"],
                        ["8.3", "Losses", "up to 5% of the budget", "50%", "50%"], ["8.3", "Losses", "above 5% of the budget", "20%", "80%"]]
    limits = next(t for t in tables if t[0] == ["Clause", "Limit", "Term"])
    assert limits[1] == ["8.4", "Cap", "The provider's share of losses is at most 3% of the budget."]
    budget = next(t for t in tables if t[0] == ["Year", "Budget"])
    assert budget[1] == ["Year 1 (2015/16)", "£37,110,000.00"] and budget[3] == ["Year 3 (2017/18)", "£36,991,343.00"]
    components = next(t for t in tables if t[0][:4] == ["Year", "Phase", "Core payment", "Outcomes pot"])
    assert components[3][:4] == ["Year 3 (2017/18)", "continual improvement", "£29,593,074.40", "£7,398,268.60"]
    paragraphs = [p.text for p in docx.Document(str(tmp_path / "schedule.docx")).paragraphs]
    assert any(p.startswith("4.3\tCrisis referrals seen face to face within 4 hours.") for p in paragraphs)
    assert ("5.3.1(c)\tBands. A value of 70% or more reaches Good and pays 50% of the indicator's allocation. "
            "A value of 80% or more reaches Improved and pays 75% of the indicator's allocation.") in " ".join(paragraphs) or any(
        "A value of 85% or more reaches Improved and pays 75% of the indicator's allocation." in p for p in paragraphs)
    # prose the contract states, verbatim
    assert any("Patients answering yes to: do you feel involved as much as you want to be in decisions about your care and treatment?" in p
               for p in paragraphs)
    assert len(docx.Document(str(tmp_path / "schedule.docx")).inline_shapes) == 1  # the risk-share chart


@pytest.mark.parametrize("contract_path", BUNDLED, ids=ids)
def test_html_is_strict_html5(tmp_path, contract_path):
    contract = obcdsl.load(contract_path).ast
    text = render(tmp_path, contract_path, "html").read_bytes()
    tree = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(text)
    assert tree.find(".//h1").text == contract.header.name
    tables = tree.findall(".//table")
    assert {t.get("data-key") for t in tables} >= {"components", "outcomes", "phasing"}
    svg = tree.findall(".//{http://www.w3.org/2000/svg}svg")
    assert len(svg) == (1 if contract.risk_share is not None and contract.risk_share.gains else 0)
    assert b"@media print" in text


def test_html_escapes_what_the_contract_states(tmp_path):
    text = OXFORDSHIRE.read_text(encoding="utf-8").replace(
        '"Mood disorders and anxiety disorders"', '"Mood <b>disorders</b> & anxiety <script>alert(1)</script>"')
    contract = tmp_path / "escaped.obc"
    contract.write_text(text, encoding="utf-8")
    html = render(tmp_path, contract, "html").read_text(encoding="utf-8")
    assert "Mood &lt;b&gt;disorders&lt;/b&gt; &amp; anxiety &lt;script&gt;" in html and "<script>" not in html
    html5lib.HTMLParser(strict=True).parse(html)
    markdown = render(tmp_path, contract, "md").read_text(encoding="utf-8")
    assert "Mood <b>disorders</b> & anxiety" in markdown  # verbatim


@pytest.mark.parametrize("contract_path", BUNDLED, ids=ids)
def test_markdown_sections(tmp_path, contract_path, capsys):
    contract = obcdsl.load(contract_path).ast
    assert main(["render", str(contract_path), "--to", "md"]) == 0
    text = capsys.readouterr().out
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert headings[0] == f"# {contract.header.name}"
    assert "## Schedule 3: Payment" in headings and "## Schedule 4: Quality Requirements: the outcomes incentive" in headings
    parts = [h for h in headings if h.startswith("### ")]
    assert parts[0] == "### Part A: Parties and term" and parts[-1].endswith(": Phasing schedule")
    for schedule in text.split("\n## ")[1:]:  # parts are lettered in order within each schedule
        letters = [line.split(":")[0].removeprefix("### Part ") for line in schedule.splitlines() if line.startswith("### ")]
        assert letters == [chr(ord("A") + i) for i in range(len(letters))]
    for indicator in contract.all_indicators:
        assert f"#### {indicator.title}" in headings
        if indicator.clause:
            assert f"**{indicator.clause}** *{indicator.title}.*" in text
    if contract.risk_share is not None:
        assert any(h.endswith(": Risk share") for h in parts)


def test_markdown_plain_english(tmp_path):
    text = render(tmp_path, OXFORDSHIRE, "md").read_text(encoding="utf-8")
    assert "A value of 85% or more reaches Improved and pays 75% of the indicator's allocation." in text
    assert "A value of 80% or more, and less than 90%, reaches Good and pays 50% of the indicator's allocation." in text
    assert "A value of 95% of the baseline or less meets the target" in text
    assert "A value of 60% or less pays 0% of the indicator's allocation; a value of 80% or more pays 100%" in text
    assert "**5.5.5** *Gateway.* Nothing is paid for this outcome's indicators unless data_completeness is at least 90%." in text
    assert "| 8.4 | Cap | The provider's share of losses is at most 3% of the budget. |" in text


def test_monitor_band_shares_come_from_the_phasing():
    document = schedule_for(obcdsl.load(CONTRACTS / "monitor_staged_linking.obc").ast)
    table = next(t for t in document.tables() if t.key == "thresholds:outcome_1_measure")
    assert table.rows[0] == ("Good", "at least 60%", "60% or more", "9% of the pot in year 1; 18% of the pot in year 2")
    phasing = next(t for t in document.tables() if t.key == "phasing")
    assert phasing.rows[-1] == ("Outcomes pot", "£1,000,000.00", "£3,000,000.00")


def test_risk_corridor_limits_and_chart():
    document = schedule_for(obcdsl.load(CONTRACTS / "risk_share_corridor.obc").ast)
    limits = next(t for t in document.tables() if t.key == "risk limits")
    assert limits.rows == (
        ("5.5", "Cap", "The provider's share of losses is at most the lesser of £1,000,000 and 4% of the budget."),
        ("5.6", "Cap", "The commissioner's share of gains is at most the greater of £1,500,000 and 6% of the budget."),
        ("5.7", "Floor", "The provider's share of gains is at least £50,000."),
        ("5.8", "Stop-loss", "Each patient's costs in the year, added up over all of that patient's records, above £20,000 are "
                             "borne by the commissioner, except 10% of them, which the provider still bears; costs above "
                             "£250,000 for one patient fall back to the provider."))
    [chart] = document.charts()
    assert chart.year == 1 and chart.budget == 24_000_000
    at = {p.variance: p for p in chart.points}
    # a loss of 10% of the budget: 1% the provider's own, then 50:50 on the rest, capped at £960,000 (4% of budget)
    assert at[2_400_000].provider == -960_000 and at[2_400_000].commissioner == -1_440_000
    assert all(p.provider + p.commissioner == -p.variance for p in chart.points)


def test_a_contract_with_errors_is_refused(tmp_path, capsys):
    broken = tmp_path / "broken.obc"
    broken.write_text(OXFORDSHIRE.read_text(encoding="utf-8").replace("weight 5 points", "weight 15 points", 1), encoding="utf-8")
    out = tmp_path / "schedule.html"
    assert main(["render", str(broken), "--to", "html", "--out", str(out)]) == 1
    captured = capsys.readouterr()
    assert "error[OBC301]" in captured.err and "nothing was written" in captured.err
    assert not out.exists() and captured.out == ""


def test_usage(tmp_path, capsys):
    assert main(["render", str(OXFORDSHIRE), "--to", "docx"]) == 2
    assert "give --out FILE.docx" in capsys.readouterr().err
    assert main(["render", str(OXFORDSHIRE), "--to", "md", "--template", str(tmp_path / "x.docx")]) == 2
    assert main(["render", str(tmp_path / "none.obc"), "--to", "md"]) == 2
    assert main(["render", str(OXFORDSHIRE), "--to", "pdf"]) == 2


def test_house_template(tmp_path):
    from docx.shared import Pt

    house = docx.Document()
    house.styles["Normal"].font.name = "Georgia"
    house.styles["Normal"].font.size = Pt(12)
    house.sections[0].header.paragraphs[0].text = "NHS Example ICB: house style"
    house.add_paragraph("Delete me: the template's own body")
    path = tmp_path / "house.docx"
    house.save(path)
    out = render(tmp_path, OXFORDSHIRE, "docx", "--template", str(path))
    document = docx.Document(str(out))
    assert document.styles["Normal"].font.name == "Georgia"
    assert document.sections[0].header.paragraphs[0].text == "NHS Example ICB: house style"
    texts = [p.text for p in document.paragraphs]
    assert "Delete me: the template's own body" not in texts
    assert texts[0] == "Oxfordshire Adult Mental Health Outcomes-Based Contract"


def test_check_stays_light():
    code = ("import sys, obcdsl.cli; obcdsl.cli.build_parser(); "
            "heavy = [m for m in ('docx', 'jinja2', 'matplotlib', 'openpyxl') if m in sys.modules]; "
            "assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_schedule_states_carve_outs_a_pot_on_top_deductions_a_floor_and_a_service_added(tmp_path):
    text = render(tmp_path, CONTRACTS / "east_london_whole_population.obc", "md").read_text(encoding="utf-8")
    assert ("**3.4** *Service added.* From year 3, £3,424,000 is added to the budget for community stroke service, after "
            "that year's efficiency and uplift; in later years it is adjusted with the rest of the budget.") in text
    assert ("**4.1** *Carve-out.* £11,600,000 is carved out of the budget for “patient choice: out of area providers”, "
            "and paid to it, not to the provider.") in text
    assert "The outcomes pot of 2.5% of the budget is paid on top of the budget" in text
    assert ("**4.3** *Deduction.* 1% of the core payment is deducted from the core payment unless gp_appointment is at "
            "least 65%.") in text
    assert "**4.5** *Floor.* Everything paid to the provider in a year is at least 96% of the budget" in text
