"""Activity payment (`activity ... end`): each form paid to the penny, on and either side of every threshold, cap and
collar, by the exact and the array evaluators alike; patient data with several rows a patient; items in stated
years; the checks and data problems; the statement, the bounds and simulation."""

from __future__ import annotations

import decimal
import json
import re
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, strategies as st

from obcdsl import bounds, vector
from obcdsl.activity import ActivityPlan, item_plan, pays
from obcdsl.backends import Exact
from obcdsl.checker import check_text
from obcdsl.data import Data, DataError, DataPoint, PatientCost, read_data
from obcdsl.evaluate import evaluate
from obcdsl.format import render
from obcdsl.layout import layout
from obcdsl.money import exact_context
from obcdsl.simulate import SpecError, read_spec, simulate

from conftest import ROOT

D = Decimal

HEADER = """contract "Activity"
  commissioner "NHS North East London"
  lead provider "Barts Health"
  term 3 years from 2025/26
end
"""

ITEMS = HEADER + """
budget
  baseline £10m
end

activity clause 7
  item ae_attendances "A&E attendances" clause 7.1
    price £150 per attendance
    plan 40,000
    above 105% of plan paid at 50% of price
    nothing paid above 120% of plan
    paid for at least 90% of plan
  end
  item community "Community nursing" clause 7.2
    block £2m, less the price for each contact below 90% of plan
    price £40 per contact
    plan 50,000
  end
  item diagnostics "Diagnostic tests" clause 7.3
    price £0.125 per test
  end
  item pathway "Cancer pathway" clause 7.4
    price £4,000 per patient
    volume counted per patient in the patient costs
    in years 1 to 2
  end
end
"""


def contract_of(text: str):
    result = check_text(text)
    assert result.ok, [(d.code, d.message) for d in result.diagnostics if d.is_error]
    return result.contract


def data(year: int = 1, ae="40000", community="50000", diagnostics="0", patients=None) -> Data:
    rows = [("ae_attendances", ae), ("community", community), ("diagnostics", diagnostics)]
    points = tuple(DataPoint(name, year, None, D(value)) for name, value in rows if value is not None)
    if patients is None:
        patients = (PatientCost("a", year, D(1)),)
    return Data(points, patients)


def line(statement, name):
    return next(entry for entry in statement.lines if entry.kind == "activity" and entry.name == name)


# ---------------------------------------------------------------- cost and volume: every edge


@pytest.mark.parametrize("volume, amount, band", [
    ("0", "5400000.00", "below collar"),  # paid for the collar of 36,000
    ("35999", "5400000.00", "below collar"),
    ("36000", "5400000.00", "within plan"),  # on the collar
    ("36001", "5400150.00", "within plan"),
    ("40000", "6000000.00", "within plan"),  # on plan
    ("42000", "6300000.00", "within plan"),  # on the threshold: still at the full price
    ("42001", "6300075.00", "marginal"),  # the first attendance above it, at half the price
    ("48000", "6750000.00", "marginal"),  # on the ceiling: 6,000 at £75 above the threshold
    ("48001", "6750000.00", "above ceiling"),  # nothing more
    ("1000000", "6750000.00", "above ceiling"),
])
def test_cost_and_volume_on_and_beside_each_edge(volume, amount, band):
    contract = contract_of(ITEMS)
    statement = evaluate(contract, data(ae=volume), 1)
    paid = line(statement, "ae_attendances")
    assert paid.amount == D(amount)
    assert paid.inputs["band"] == band
    assert paid.inputs["volume"] == D(volume) and paid.inputs["price"] == D(150)
    assert (paid.inputs["collar"], paid.inputs["threshold"], paid.inputs["ceiling"]) == (D(36000), D(42000), D(48000))
    assert paid.clause == "7.1" and paid.rule == "cost and volume"


@pytest.mark.parametrize("volume, amount, band", [
    ("0", "200000.00", "below collar"),  # £2m less £40 for each of 45,000 contacts short
    ("44999", "1999960.00", "below collar"),
    ("45000", "2000000.00", "within plan"),  # on the collar: the whole block
    ("50000", "2000000.00", "within plan"),
    ("90000", "2000000.00", "within plan"),  # a block pays no more for more activity
])
def test_block_reduced_below_its_collar(volume, amount, band):
    statement = evaluate(contract_of(ITEMS), data(community=volume), 1)
    paid = line(statement, "community")
    assert (paid.amount, paid.inputs["band"], paid.rule) == (D(amount), band, "block")


def test_a_block_is_never_reduced_below_nothing():
    text = HEADER + """
activity
  item clinic "Clinic"
    block £1,000, less the price for each visit below 100% of plan
    price £100 per visit
    plan 50
  end
end
"""
    statement = evaluate(contract_of(text), Data((DataPoint("clinic", 1, None, D(30)),)), 1)
    assert line(statement, "clinic").amount == D(0)  # 20 short at £100 is £2,000, more than the block
    statement = evaluate(contract_of(text), Data((DataPoint("clinic", 1, None, D(45)),)), 1)
    assert line(statement, "clinic").amount == D(500)


@pytest.mark.parametrize("rounding, volume, amount", [
    ("half up", "1", "0.13"), ("half even", "1", "0.12"), ("down", "1", "0.12"), ("up", "1", "0.13"),
    ("half up", "3", "0.38"), ("half even", "3", "0.38"), ("half down", "3", "0.37"), ("down", "3", "0.37"),
])
def test_fee_for_service_is_rounded_once_by_the_contracts_rule(rounding, volume, amount):
    text = ITEMS.replace("  term 3 years from 2025/26\n", f"  term 3 years from 2025/26\n  rounding {rounding}\n")
    statement = evaluate(contract_of(text), data(diagnostics=volume), 1)
    assert line(statement, "diagnostics").amount == D(amount)
    assert line(statement, "diagnostics").rule == "fee for service"
    assert "band" not in line(statement, "diagnostics").inputs


# ---------------------------------------------------------------- per patient, from the patient costs


def test_each_patient_counts_once_however_many_rows_they_have():
    patients = (
        PatientCost("a", 1, D(100)), PatientCost("a", 1, D(200)), PatientCost("a", 1, D(5)),  # three rows, one patient
        PatientCost("b", 1, D(50)),
        PatientCost("c", 1, D(0)),  # costs nothing in the year: not on the pathway
        PatientCost("d", 2, D(900)),  # another year
    )
    statement = evaluate(contract_of(ITEMS), data(patients=patients), 1)
    paid = line(statement, "pathway")
    assert paid.inputs["volume"] == 2 and paid.amount == D(8000) and paid.rule == "per patient"
    assert "2 patients in the patient costs" in paid.explanation


def test_patients_read_from_files_with_several_rows_and_a_decimal_comma(tmp_path):
    values = tmp_path / "data.csv"
    values.write_text("# decimal mark: comma\nmeasure;year;segment;value\n"
                      "ae_attendances;1;;42.001\ncommunity;1;;\"45.000\"\ndiagnostics;1;;8\n", encoding="utf-8")
    costs = tmp_path / "patients.csv"
    costs.write_text("patient,year,cost\nx,1,10\nx,1,20\ny,1,30\nx,1,40\nz,2,5\n", encoding="utf-8")
    statement = evaluate(contract_of(ITEMS), read_data(values, patients=costs), 1)
    assert line(statement, "ae_attendances").inputs["volume"] == D(42001)  # `42.001` groups thousands
    assert line(statement, "ae_attendances").amount == D("6300075.00")
    assert line(statement, "community").amount == D(2000000)
    assert line(statement, "pathway").inputs["volume"] == 2


def test_no_patient_costs_for_an_item_paid_per_patient_is_an_error():
    with pytest.raises(DataError) as raised:
        evaluate(contract_of(ITEMS), data(patients=()), 1)
    assert [d.code for d in raised.value.diagnostics] == ["OBC920"]


# ---------------------------------------------------------------- in stated years


def test_an_item_in_years_1_to_2_is_not_paid_in_year_3():
    contract = contract_of(ITEMS)
    statement = evaluate(contract, data(year=3, patients=()), 3)  # no patient costs needed in year 3
    paid = line(statement, "pathway")
    assert paid.amount == 0 and paid.inputs == {"in_force": False}
    assert "not in force in year 3 (in years 1 to 2)" in paid.explanation
    with pytest.raises(DataError) as raised:
        evaluate(contract, Data(data(year=3).points + (DataPoint("pathway", 3, None, D(4)),)), 3)
    assert "OBC924" in [d.code for d in raised.value.diagnostics]


# ---------------------------------------------------------------- activity in the payments made and the total


def test_activity_counts_in_the_payments_made_and_in_the_total():
    text = ITEMS.replace("end\n\nactivity", "end\n\npayments\n  core 100% of budget\n  total payment at least £18m\nend\n\n"
                         "risk share\n  variance against the payments made\n  losses\n    above £0: provider 50%, commissioner 50%\n"
                         "  end\n  gains\n    above £0: provider 50%, commissioner 50%\n  end\nend\n\nactivity", 1)
    contract = contract_of(text)
    rows = data(ae="44000", community="40000", diagnostics="8")
    statement = evaluate(contract, Data(rows.points + (DataPoint("actual cost", 1, None, D(17_000_000)),), rows.patients), 1)
    activity = D(6_450_000) + D(1_800_000) + D(1) + D(4_000)
    assert statement.activity == activity
    assert statement.risk is not None and statement.risk.reference == D(10_000_000) + activity
    # a gain of £1,254,001 against the payments made, half of it returned; then topped up to the floor
    assert statement.risk.variance == D(17_000_000) - D(10_000_000) - activity
    before = D(10_000_000) + activity + statement.risk.transfer
    assert statement.top_up == D(18_000_000) - before
    assert statement.total_to_provider == D(18_000_000)
    assert sum(share.total for share in statement.distribution) == statement.total_to_provider
    document = statement.to_dict()
    assert document["components"]["activity"] == f"{activity:.2f}"
    ae = next(x for x in document["lines"] if x["name"] == "ae_attendances")
    assert ae["kind"] == "activity" and ae["inputs"]["band"] == "marginal" and ae["amount"] == "6450000.00"
    assert ("activity", "Paid for activity", activity) in statement.totals()


# ---------------------------------------------------------------- the arrays agree with the exact rule


def test_the_array_backend_pays_every_edge_as_the_exact_one():
    contract = contract_of(ITEMS)
    plan = vector.year_model(contract, 1)
    volumes = [0, 35999, 36000, 36001, 41999, 42000, 42001, 47999, 48000, 48001, 10**7]
    blocks = [0, 1, 44999, 45000, 45001, 50000, 90000, 3, 4, 5, 6]
    tests = [0, 1, 3, 5, 7, 9, 11, 13, 999, 1001, 10**6]
    patients = list(range(11))
    results = vector.run(plan, {"ae_attendances": np.array(volumes, float), "community": np.array(blocks, float),
                                "diagnostics": np.array(tests, float), "pathway": np.array(patients, float)})
    with decimal.localcontext(exact_context()):
        for name, given in (("ae_attendances", volumes), ("community", blocks), ("diagnostics", tests), ("pathway", patients)):
            item = next(p for p in plan.activity if p.name == name)
            exact = [pays(Exact(), item, D(v), plan.rounding) for v in given]
            assert [round(float(x) * 100) for x in results.activity[name]] == [int(x * 100) for x in exact], name


PLANS = st.builds(
    lambda price, plan, threshold, rate, over, collar, block, short: ast_item(price, plan, threshold, rate, over, collar, block, short),
    st.integers(0, 100000), st.integers(1, 1000), st.integers(100, 130), st.integers(0, 100), st.integers(0, 30),
    st.integers(0, 100), st.one_of(st.none(), st.integers(0, 10**7)), st.booleans())


def ast_item(price, plan, threshold, rate, over, collar, block, short) -> ActivityPlan:
    from obcdsl import ast

    item = ast.ActivityItem("x", "X", price=D(price) / 100, plan=D(plan) * 100, threshold=D(threshold), rate=D(rate),
                            ceiling=D(threshold + over), collar=None if block is not None else D(collar),
                            block=None if block is None else D(block), block_collar=D(collar) if block is not None and short else None)
    return item_plan(item, 1)


@given(PLANS, st.integers(0, 200000), st.integers(0, 200000))
def test_more_activity_never_pays_less_and_never_more_than_the_items_most(plan, first, second):
    low, high = sorted((first, second))
    with decimal.localcontext(exact_context()):
        paid_low, paid_high = pays(Exact(), plan, D(low), "half up"), pays(Exact(), plan, D(high), "half up")
        assert D(0) <= paid_low <= paid_high
        assert plan.most is not None and paid_high <= plan.most.quantize(D("0.01"), rounding=decimal.ROUND_HALF_UP)


# ---------------------------------------------------------------- bounds


def test_the_bounds_count_activity_and_an_uncapped_item_has_no_limit():
    years = bounds.bounds(contract_of(ITEMS))
    assert years[0].activity.most is None and years[0].total.most is None
    assert set(years[0].uncapped) == {"diagnostics", "pathway"}
    assert years[0].activity.least == D(5_400_000) + D(200_000)  # the collar paid for, and the block less its shortfall
    capped = ITEMS.replace("    price £0.125 per test\n", "    price £0.125 per test\n    plan 1,000\n    nothing paid above 100% of plan\n")
    capped = capped.replace("    in years 1 to 2\n", "    plan 10\n    nothing paid above 150% of plan\n    in years 1 to 2\n")
    years = bounds.bounds(contract_of(capped))
    assert years[0].activity.most == D(6_750_000) + D(2_000_000) + D(125) + D(60_000)
    assert years[2].activity.most == D(6_750_000) + D(2_000_000) + D(125)  # the pathway is not in force in year 3
    assert years[0].total.most == D(10_000_000) + years[0].activity.most


def test_a_counterexample_holds_every_volume_and_says_how_many_patients():
    contract = contract_of(ITEMS)
    data, result = bounds.counterexample_for(contract, 1)
    assert result is not None and len(result.activity) == 4
    text = bounds.csv_text(data)
    assert "ae_attendances,1,,48000" in text and "# pathway: 10000 patients in the patient costs for year 1" in text
    assert "patients counted" not in text


def test_a_ceiling_on_the_total_names_the_uncapped_item():
    text = ITEMS.replace("end\n\nactivity", "end\n\npayments\n  total payment at most 200% of budget\nend\n\nactivity", 1)
    result = check_text(text)
    found = [d for d in result.diagnostics if d.code == "OBC382"]
    assert found and any("`diagnostics` has no ceiling" in note for note in found[0].notes)


# ---------------------------------------------------------------- checks and data problems


def codes(text: str) -> list[str]:
    return [d.code for d in check_text(text).diagnostics]


@pytest.mark.parametrize("terms, code", [
    ("price £150 per attendance\n    plan 40,000\n    above 105% of plan paid at 150% of price", "OBC623"),
    ("price £150 per attendance\n    plan 40,000\n    above 95% of plan paid at 50% of price", "OBC625"),
    ("price £150 per attendance\n    in years 1 to 4", "OBC626"),
    ("block £2m\n    plan 50,000\n    nothing paid above 120% of plan", "OBC627"),
])
def test_warnings_leave_the_contract_usable(terms, code):
    text = HEADER + f"\nactivity\n  item ae \"A&E\"\n    {terms}\n  end\nend\n"
    result = check_text(text)
    assert code in codes(text) and result.ok


def test_a_ceiling_equal_to_its_threshold_and_a_collar_equal_to_plan_are_accepted():
    text = HEADER + ("\nactivity\n  item ae \"A&E\"\n    price £150 per attendance\n    plan 40,000\n"
                     "    above 105% of plan paid at 50% of price\n    nothing paid above 105% of plan\n"
                     "    paid for at least 100% of plan\n  end\nend\n")
    assert codes(text) == []


def test_an_item_named_as_an_indicator_is_declared_twice():
    text = HEADER + "\nmeasures\n  measure ae \"A measure\"\n  end\nend\n\nactivity\n  item ae \"A&E\"\n    price £1 per unit\n  end\nend\n"
    assert "OBC202" in codes(text)


@pytest.mark.parametrize("row, code", [
    ("ae_attendances,1,,-420", "OBC921"),
    ("ae_attendances,1,,42000.5", "OBC922"),
    ("ae_attendances,1,,42%", "OBC922"),
    ("ae_attendances,1,seg,42000", "OBC923"),
    ("ae_attendances,baseline,,42000", "OBC923"),
    ("pathway,1,,12", "OBC924"),
    ("ae_attendence,1,,42000", "OBC906"),
    ("ae_attendances,4,,42000", "OBC909"),
    ("ae_attendances,1,,6666666666667", "OBC925"),  # at £150, £1,000,000,000,000,050
])
def test_data_problems_name_the_cell(tmp_path, row, code):
    path = tmp_path / "data.csv"
    path.write_text("measure,year,segment,value\ncommunity,1,,50000\ndiagnostics,1,,1\n" + row + "\n", encoding="utf-8")
    with pytest.raises(DataError) as raised:
        evaluate(contract_of(ITEMS), read_data(path), 1)
    found = [d for d in raised.value.diagnostics if d.code == code]
    assert found and found[0].span is not None and found[0].span.line == 4
    if code == "OBC906":  # an item misspelt: named as an item, with the nearest name
        assert "no indicator, measure or activity item `ae_attendence`" in found[0].message
        assert "ae_attendances" in found[0].help


def test_a_missing_volume_is_an_error_naming_the_item():
    with pytest.raises(DataError) as raised:
        evaluate(contract_of(ITEMS), data(ae=None), 1)
    [problem] = raised.value.diagnostics
    assert problem.code == "OBC920" and "`ae_attendances` has no volume for year 1" in problem.message


def diagnostics_examples():
    text = (ROOT / "docs" / "diagnostics.md").read_text(encoding="utf-8")
    for code in ("OBC620", "OBC621", "OBC622", "OBC623", "OBC624", "OBC625", "OBC626", "OBC627"):
        section = text.split(f"### {code}:")[1].split("\n### ")[0]
        broken, fixed = re.findall(r"```obc\n(.*?)```", section, re.S)
        yield code, broken, fixed


@pytest.mark.parametrize("code, broken, fixed", list(diagnostics_examples()), ids=lambda x: x if str(x).startswith("OBC") else "")
def test_the_documented_examples_show_their_code_and_its_fix(code, broken, fixed):
    assert code in codes(HEADER + broken)
    assert codes(HEADER + fixed) == []


# ---------------------------------------------------------------- the statement, the layout and simulation


def test_the_statement_shows_price_volume_band_and_amount_with_the_clause():
    statement = evaluate(contract_of(ITEMS), data(ae="44000", community="40000"), 1)
    ae = line(statement, "ae_attendances")
    assert ae.explanation == (
        "A&E attendances: 44,000 attendances against a plan of 40,000 (marginal): 42,000 at £150.00 per attendance = "
        "£6,300,000.00; 2,000 above the threshold of 42,000 at 50% of the price = £150,000.00 → £6,450,000.00 (clause 7.1)")
    community = line(statement, "community")
    assert "less £40.00 for each of the 5,000 below the collar of 45,000" in community.explanation
    from obcdsl.statement_render import to_csv, to_markdown

    assert "### Activity" in to_markdown([statement]) and "| 7.1 | A&E attendances | £150.00 per attendance | 44,000 | marginal |" in to_markdown([statement])
    assert ",activity,,ae_attendances,A&E attendances,,44000,,marginal,,6450000.00,7.1," in to_csv([statement])


def test_the_formatter_lays_out_activity_and_keeps_its_meaning():
    messy = " ".join(ITEMS.split())
    assert layout(messy) == ITEMS
    contract = contract_of(ITEMS)
    assert check_text(render(contract)).contract == contract


def test_simulation_draws_whole_volumes(tmp_path):
    spec = tmp_path / "spec.toml"
    spec.write_text('[activity.ae_attendances]\ndistribution = "normal"\nmean = 42000\nsd = 4000\n'
                    '[activity.community]\ndistribution = "uniform"\nlow = 40000\nhigh = 52000\n'
                    '[activity.diagnostics]\ndistribution = "poisson"\nmean = 500\n'
                    '[activity.pathway]\ndistribution = "poisson"\nmean = 30\n', encoding="utf-8")
    contract = contract_of(ITEMS)
    summary = simulate(contract, 1, spec, 400, seed=3)
    document = summary.to_dict()
    assert json.dumps(document)
    # the activity payments are a measure of their own, and part of the provider's income (the core is £10m)
    activity, income = summary.values["activity_payments"], summary.values["provider_income"]
    assert np.allclose(income, 10_000_000 + activity) and activity.min() >= 5_400_000 + 200_000
    assert document["measures"]["activity_payments"]["mean"] > 0
    paid = vector.year_model(contract, 1)
    drawn = read_spec(spec, paid)
    assert set(drawn.marginals) == {"ae_attendances", "community", "diagnostics", "pathway"}
    from obcdsl.simulate import Member, Model

    [inputs] = Model((Member("", contract, paid, drawn),)).draw(200, np.random.default_rng(5))
    for name in ("ae_attendances", "community", "diagnostics", "pathway"):
        assert np.all(inputs[name] == np.rint(inputs[name])) and np.all(inputs[name] >= 0), name
    spec.write_text('[activity.ae_attendances]\ndistribution = "normal"\nmean = 42000\nsd = 4000\n', encoding="utf-8")
    with pytest.raises(SpecError) as raised:
        read_spec(spec, paid)
    assert any("[activity.community]" in d.help for d in raised.value.diagnostics)


def test_the_data_template_asks_for_each_volume_and_reads_it_back(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    from obcdsl.data_template import COST_SHEET, template_for, write_workbook

    contract = contract_of(ITEMS)
    template = template_for(contract, 1)
    rows = [(row.measure, row.unit) for row in template.costs]
    assert rows == [("ae_attendances", "volume (attendances)"), ("community", "volume (contacts)"), ("diagnostics", "volume (tests)")]
    assert [row.measure for row in template_for(contract, 3).costs] == ["ae_attendances", "community", "diagnostics"]
    out = tmp_path / "data.xlsx"
    write_workbook(template, out)
    book = openpyxl.load_workbook(out)
    sheet = book[COST_SHEET]
    for row in range(2, sheet.max_row + 1):
        sheet.cell(row=row, column=6, value={"ae_attendances": 42001, "community": 44999, "diagnostics": 3}[sheet.cell(row=row, column=1).value])
    book.save(out)
    costs = tmp_path / "patients.csv"
    costs.write_text("patient,year,cost\nx,1,10\nx,1,20\n", encoding="utf-8")
    statement = evaluate(contract, read_data(out, patients=costs), 1)
    assert [line(statement, n).amount for n in ("ae_attendances", "community", "diagnostics", "pathway")] == \
        [D("6300075.00"), D("1999960.00"), D("0.38"), D("4000.00")]


def test_the_schedule_has_a_part_for_activity_with_each_items_most():
    from obcdsl.schedule.document import schedule_for

    document = schedule_for(contract_of(ITEMS))
    part = next(s for s in document.sections if s.heading == "Activity payment")
    texts = [b.text for b in part.blocks if hasattr(b, "text")]
    assert texts[1] == ("Paid at £150.00 per attendance against a plan of 40,000; activity above 105% of plan is paid at 50% "
                        "of the price; nothing is paid above 120% of plan; the provider is paid for at least 90% of plan "
                        "whatever the volume.")
    assert texts[4].endswith("This applies in years 1 to 2 only.")
    [table] = [t for t in document.tables() if t.key == "activity"]
    assert [row[:3] for row in table.rows] == [("7.1", "A&E attendances", "cost and volume"), ("7.2", "Community nursing", "block"),
                                               ("7.3", "Diagnostic tests", "fee for service"), ("7.4", "Cancer pathway", "per patient")]
    assert table.rows[0][5:] == ("£6,750,000.00",) * 3 and table.rows[1][5:] == ("£2,000,000.00",) * 3
    assert table.rows[2][5:] == ("no limit",) * 3 and table.rows[3][5:] == ("no limit", "no limit", "–")


PHASED = HEADER.replace("term 3 years", "term 4 years") + """
activity
  item fees "Fee-based pathway" clause 2.1
    price £4,000 per episode
    in phase "fee based"
  end
end

phasing
  phase "fee based" years 1 to 2
  end
  phase outcomes_based from year 3
  end
end
"""


def test_an_item_in_a_phase_is_paid_in_the_phases_years_only():
    contract = contract_of(PHASED)
    assert check_text(render(contract)).contract == contract
    rows = Data((DataPoint("fees", 2, None, D(3)),))
    assert line(evaluate(contract, rows, 2), "fees").amount == D(12000)
    statement = evaluate(contract, Data(()), 3)
    assert line(statement, "fees").amount == 0 and "not in force in year 3 (in phase fee based)" in line(statement, "fees").explanation
    with pytest.raises(DataError) as raised:
        evaluate(contract, Data((DataPoint("fees", 3, None, D(3)),)), 3)
    assert [d.code for d in raised.value.diagnostics] == ["OBC924"]
    assert codes(PHASED.replace('in phase "fee based"', "in phase fee_base")) == ["OBC201"]
    assert "OBC204" in codes(PHASED.replace('in phase "fee based"', 'in phase "fee based"\n    in years 1 to 2'))


def test_diff_shows_a_changed_item_and_what_it_changes_in_the_payments(tmp_path, capsys):
    from obcdsl.cli import main

    old = ROOT / "contracts" / "fee_based_pathway_with_activity.obc"
    new = tmp_path / "new.obc"
    new.write_text(old.read_text(encoding="utf-8").replace("above 105% of plan paid at 50% of price",
                                                           "above 110% of plan paid at 60% of price"), encoding="utf-8")
    data = ROOT / "contracts" / "data" / "fee_based_pathway_with_activity.csv"
    assert main(["diff", str(old), str(new), "--data", str(data), "--year", "3"]) == 1  # the two differ
    out = capsys.readouterr().out
    assert "changed activity item `ae_attendances` (clause 4.1)" in out
    assert "activity `ae_attendances` (clause 4.1): £6,750,000.00 → £6,960,000.00 (+£210,000.00)" in out
    assert "Paid for activity: £9,410,000.00 → £9,620,000.00 (+£210,000.00)" in out
    costs = ROOT / "contracts" / "data" / "fee_based_pathway_with_activity_patients.csv"
    assert main(["diff", str(old), str(new), "--data", str(data), "--patients", str(costs), "--year", "1"]) == 1
    out = capsys.readouterr().out  # year 1 pays the pathway per patient, counted from the patient costs
    assert "activity `ae_attendances` (clause 4.1): £6,450,000.00 → £6,600,000.00 (+£150,000.00)" in out  # all 44,000 at £150


def test_the_patient_costs_are_read_once_for_every_item_paid_per_patient():
    from obcdsl.stop_loss import Excess

    class Costs:  # stands for patient cost files, which are streamed each time they are asked
        years = frozenset({1})
        asked = 0

        def excess(self, year, threshold, limit):
            Costs.asked += 1
            return Excess(7, D(0))

    text = ITEMS.replace("  end\nend\n", "  end\n  item second \"Second pathway\"\n    price £10 per patient\n"
                         "    volume counted per patient in the patient costs\n  end\nend\n")
    statement = evaluate(contract_of(text), Data(data().points, Costs()), 1)
    assert (line(statement, "pathway").amount, line(statement, "second").amount) == (D(28000), D(70))
    assert Costs.asked == 1
