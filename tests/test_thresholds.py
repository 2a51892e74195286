"""Thresholds of issue 11: below zero (`from -6%` on a `unit percentage change`), relative to last year's value
(`at least 2 points above last year`), to a comparator given as data (`at least england_average`) and relative
thresholds on a derived indicator. Each is stated, checked, paid exactly and in arrays to the penny, on its threshold
and either side."""

from decimal import Decimal
from typing import Optional

import numpy as np
import pytest

import obcdsl
from obcdsl import vector
from obcdsl.builder import read_contract
from obcdsl.checker import check_text
from obcdsl.data import Data, DataPoint, read_data
from obcdsl.data_template import template_for
from obcdsl.data_validation import validate
from obcdsl.evaluate import evaluate
from obcdsl.format import render
from obcdsl.schedule.document import threshold_words
from obcdsl.simulate import SpecError, draw_inputs, for_run, read_spec
from obcdsl.source import SourceFile

D = Decimal

HEADER = """
contract "Thresholds example" clause 1
  commissioner "Example ICB"
  lead provider "Example Trust"
  term 3 years from 2024/25
end

budget clause 2
  baseline £10m
end

payments clause 3
  core 95% of budget
  outcomes pot 5% of budget
end
"""

ADMISSIONS = HEADER + """
outcomes clause 4
  outcome fewer "Fewer emergency admissions"
    weight 100%
    indicator admissions_change "Change in emergency admissions on the year before"
      unit percentage change
      lower is better
      bands clause 4.1
        good at most -2% pays 50%
        excellent at most -6% pays 100%
      end
    end
  end
  unearned pot retained by the commissioner
end
"""


def codes(text: str) -> list[str]:
    return [x.code for x in check_text(text, "t.obc").diagnostics]


def paid(text: str, rows: tuple, year: int = 1) -> Decimal:
    return evaluate(obcdsl.loads(text).ast, Data(rows), year).outcomes_paid


def agree(text: str, year: int, inputs: dict, baselines: dict, exact_rows) -> list[Decimal]:
    """Pay every scenario in arrays and each exactly; they agree to the penny. Returns the exact amounts."""
    contract = obcdsl.loads(text).ast
    size = len(next(iter(inputs.values())))
    results = vector.run(vector.year_model(contract, year), {k: np.asarray(v, dtype=float) for k, v in inputs.items()},
                         baselines)
    exact = []
    for index in range(size):
        amount = evaluate(contract, Data(tuple(exact_rows(index))), year).outcomes_paid
        assert results.outcomes_paid[index] == pytest.approx(float(amount), abs=0.001), index
        exact.append(amount)
    return exact


# ---------------------------------------------------------------- thresholds below zero


def test_a_negative_threshold_parses_checks_clean_and_reads_back_from_its_formatted_text():
    assert codes(ADMISSIONS) == []
    contract, problems = read_contract(SourceFile("t.obc", ADMISSIONS))
    assert problems == []
    indicator = contract.all_indicators[0]
    assert indicator.unit.kind == "percent change"
    assert [b.threshold.value.amount for b in indicator.rule.bands] == [D(-2), D(-6)]
    text = render(contract)
    assert "unit percentage change" in text and "excellent at most -6% pays 100%" in text
    again, _ = read_contract(SourceFile("again.obc", text))
    assert again == contract
    assert read_contract(SourceFile("t.obc", ADMISSIONS.replace("percentage change", "percent change")))[0] == contract


def test_a_negative_threshold_pays_exactly_on_it_and_not_a_hair_short():
    def at(value: str) -> Decimal:
        return paid(ADMISSIONS, (DataPoint("admissions_change", 1, None, D(value)),))

    assert [at(v) for v in ("-1.99", "-2", "-5.99", "-6", "-6.01", "3")] == [
        D("0.00"), D("250000.00"), D("250000.00"), D("500000.00"), D("500000.00"), D("0.00")]


def test_exact_and_array_evaluation_agree_on_and_either_side_of_a_negative_threshold():
    values = ["-1.99", "-2", "-2.01", "-5.99", "-6", "-6.01", "0", "12.5"]
    exact = agree(ADMISSIONS, 1, {"admissions_change": [float(v) for v in values]}, {},
                  lambda i: [DataPoint("admissions_change", 1, None, D(values[i]))])
    assert exact[1] == D("250000.00") and exact[4] == D("500000.00")


def test_a_negative_threshold_on_a_count_is_refused_and_so_is_one_on_a_proportion():
    counted = ADMISSIONS.replace("unit percentage change", "unit count").replace("-2%", "-2").replace("-6%", "-6")
    result = check_text(counted, "t.obc")
    problem = next(x for x in result.diagnostics if x.code == "OBC411")
    assert problem.message == "the threshold of band `good` is -2, but `admissions_change` is a count, never below zero"
    assert problem.clause == "4.1" and problem.span is not None
    assert problem.help == "a change that can fall below zero is stated `unit percentage change`"
    proportion = check_text(ADMISSIONS.replace("unit percentage change", "unit percent"), "t.obc")
    assert [x.code for x in proportion.diagnostics] == ["OBC411", "OBC411"]  # not OBC303 as well
    assert proportion.diagnostics[0].help.endswith(", not a proportion `unit percent`")


def test_a_sliding_scale_and_a_target_below_zero_are_paid_from_their_words():
    scale = ADMISSIONS.replace("""      bands clause 4.1
        good at most -2% pays 50%
        excellent at most -6% pays 100%
      end""", "      sliding scale from -2% paying 0% to -6% paying 100%")
    assert codes(scale) == []
    point = DataPoint("admissions_change", 1, None, D(-4))
    assert paid(scale, (point,)) == D("250000.00")
    target = ADMISSIONS.replace("""      bands clause 4.1
        good at most -2% pays 50%
        excellent at most -6% pays 100%
      end""", "      unit percentage change\n      target below -5%").replace("      unit percentage change\n", "", 1)
    assert codes(target) == []
    assert [paid(target, (DataPoint("admissions_change", 1, None, D(v)),)) for v in ("-5", "-5.01")] == [
        D("0.00"), D("500000.00")]


def test_a_percentage_change_below_zero_is_data_and_a_proportion_below_zero_is_not(tmp_path):
    contract = obcdsl.loads(ADMISSIONS).ast
    (tmp_path / "change.csv").write_text("measure,year,segment,value\nadmissions_change,1,,-6.5%\n", encoding="utf-8")
    rows = read_data(tmp_path / "change.csv")
    assert validate(contract, rows) == []
    assert evaluate(contract, rows, 1).outcomes_paid == D("500000.00")
    proportion = obcdsl.loads(ADMISSIONS.replace("unit percentage change", "unit percent")
                              .replace("lower is better", "higher is better").replace("at most -2%", "at least 2%")
                              .replace("at most -6%", "at least 6%")).ast
    assert [x.code for x in validate(proportion, rows)] == ["OBC907"]


def test_the_schedule_the_statement_and_the_template_state_a_threshold_below_zero():
    contract = obcdsl.loads(ADMISSIONS).ast
    band = contract.all_indicators[0].rule.bands[1]
    assert threshold_words(band.threshold, "lower") == "-6% or less"
    statement = evaluate(contract, Data((DataPoint("admissions_change", 1, None, D("-6")),)), 1)
    assert "-6% ≤ excellent -6%" in statement.lines[0].explanation
    row = template_for(contract, 1).indicators[0]
    assert (row.unit, row.fraction) == ("percent change", False)


# ---------------------------------------------------------------- improvement on last year

IMPROVEMENT = HEADER + """
outcomes clause 4
  outcome access "Timely access"
    weight 100%
    indicator seen_4h "Seen within 4 hours"
      unit percent
      higher is better
      bands clause 4.1
        held     at least last year pays 50%
        improved at least 2 points above last year pays 100%
      end
    end
  end
  unearned pot retained by the commissioner
end
"""


def seen(year: int, value: str, before: str) -> tuple:
    """Year `year`'s value and the year before's (in year 1, the baseline)."""
    return (DataPoint("seen_4h", year, None, D(value)), DataPoint("seen_4h", year - 1 if year > 1 else None, None, D(before)))


def test_a_threshold_on_last_year_parses_checks_clean_and_reads_back():
    assert codes(IMPROVEMENT) == []
    contract, _ = read_contract(SourceFile("t.obc", IMPROVEMENT))
    values = [b.threshold.value for b in contract.all_indicators[0].rule.bands]
    assert [(v.kind, v.amount, v.reference) for v in values] == [("reference", D(0), "last year"), ("points", D(2), "last year")]
    text = render(contract)
    assert "held at least last year pays 50%" in text and "improved at least 2 points above last year pays 100%" in text
    assert read_contract(SourceFile("again.obc", text))[0] == contract


@pytest.mark.parametrize("year", [2, 3])
def test_improvement_on_last_year_pays_exactly_on_two_points_above_it(year):
    assert [paid(IMPROVEMENT, seen(year, v, "58"), year) for v in ("57.99", "58", "59.99", "60", "71")] == [
        D("0.00"), D("250000.00"), D("250000.00"), D("500000.00"), D("500000.00")]


def test_in_year_1_last_year_is_the_baseline():
    assert [paid(IMPROVEMENT, seen(1, v, "58"), 1) for v in ("57.99", "60")] == [D("0.00"), D("500000.00")]
    statement = evaluate(obcdsl.loads(IMPROVEMENT).ast, Data(seen(1, "60", "58")), 1)
    assert "60% ≥ improved 60% (2 points above last year's 58%, the baseline)" in statement.lines[0].explanation


def test_the_statement_shows_last_years_value_and_keys_it_as_last_year():
    statement = evaluate(obcdsl.loads(IMPROVEMENT).ast, Data(seen(2, "62", "58")), 2)
    line = statement.lines[0]
    assert "62% ≥ improved 60% (2 points above last year's 58%) → 100% of £500,000.00" in line.explanation
    assert line.inputs["value"]["last_year"] == D(58) and "baseline" not in line.inputs["value"]


def test_last_years_value_missing_is_named_with_its_year():
    with pytest.raises(obcdsl.DataError) as raised:
        evaluate(obcdsl.loads(IMPROVEMENT).ast, Data((DataPoint("seen_4h", 3, None, D(60)),)), 3)
    assert [(x.code, x.message) for x in raised.value.diagnostics] == [
        ("OBC910", "`seen_4h` has no data for year 2, last year's value in year 3")]


def test_exact_and_array_evaluation_agree_on_and_either_side_of_last_year_plus_two_points():
    values, before = ["57.99", "58", "59.99", "60", "60.01", "30"], ["58", "58", "58", "58", "58", "29"]
    inputs = {"seen_4h": [float(v) for v in values]}
    last = {"last year:seen_4h": np.array([float(b) for b in before])}
    exact = agree(IMPROVEMENT, 2, inputs, last, lambda i: seen(2, values[i], before[i]))
    assert exact == [D("0.00"), D("250000.00"), D("250000.00"), D("500000.00"), D("500000.00"), D("250000.00")]
    baselines = {"seen_4h": np.array([float(b) for b in before])}  # in year 1, the baseline is last year's value
    assert agree(IMPROVEMENT, 1, inputs, baselines, lambda i: seen(1, values[i], before[i])) == exact


def test_the_template_asks_for_last_years_row_and_the_schedule_says_it():
    contract = obcdsl.loads(IMPROVEMENT).ast
    assert [(r.measure, r.year, r.baseline) for r in template_for(contract, 2).indicators] == [
        ("seen_4h", 2, False), ("seen_4h", 1, False)]
    assert [(r.measure, r.year, r.baseline) for r in template_for(contract, 1).indicators] == [("seen_4h", 1, True)]
    band = contract.all_indicators[0].rule.bands[1]
    assert threshold_words(band.threshold, "higher") == "last year's value plus 2 points or more"


def test_a_rule_comparing_with_last_year_and_the_baseline_is_refused():
    result = check_text(IMPROVEMENT.replace("2 points above last year", "2 points above baseline"), "t.obc")
    assert [(x.code, x.message) for x in result.diagnostics] == [
        ("OBC412", "the thresholds of `seen_4h` compare with both last year's value and the baseline")]


def test_last_year_before_the_data_begins_is_refused():
    text = IMPROVEMENT.replace("      higher is better\n", "      higher is better\n      data available from year 2\n")
    result = check_text(text, "t.obc")
    assert [(x.code, x.message) for x in result.diagnostics] == [
        ("OBC413", "`seen_4h` is paid in year 2 against last year's value, but its data is available only from year 2")]


def test_a_distance_below_last_year_reads_aloud_as_below_the_baseline_does():
    text = IMPROVEMENT.replace("higher is better", "lower is better").replace("at least last year", "at most last year") \
        .replace("at least 2 points above last year", "at least 5% below last year")
    assert codes(text) == []
    assert [paid(text, seen(2, v, "40"), 2) for v in ("40.01", "40", "38.01", "38")] == [
        D("0.00"), D("250000.00"), D("250000.00"), D("500000.00")]
    old_way = check_text(text.replace("at least 5% below", "at most 5% below"), "t.obc").diagnostics
    assert [(x.code, x.message) for x in old_way] == [
        ("OBC410", "`at most 5% below last year` is read as 5% or more below last year's value, which is "
                   "`at least 5% below last year` said aloud")]


def spec_for(tmp_path, text: str):
    path = tmp_path / "spec.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_simulation_takes_last_years_value_from_the_spec_and_pays_as_evaluation_does(tmp_path):
    contract = obcdsl.loads(IMPROVEMENT).ast
    year = vector.year_model(contract, 2)
    assert vector.last_year_inputs(year) == ["seen_4h"]
    fixed = spec_for(tmp_path, '[indicators.seen_4h]\ndistribution = "uniform"\nlow = 55\nhigh = 65\n\n[last_year]\nseen_4h = 58\n')
    spec = read_spec(fixed, year)
    assert spec.baselines == {"last year:seen_4h": 58.0}
    draws = draw_inputs(spec, year, 400, np.random.default_rng(1))
    inputs, baselines = for_run(draws, spec)
    results = vector.run(year, inputs, baselines)
    for index in range(0, 400, 37):
        value = D(repr(float(inputs["seen_4h"][index])))
        exact = paid(IMPROVEMENT, (DataPoint("seen_4h", 2, None, value), DataPoint("seen_4h", 1, None, D(58))), 2)
        assert results.outcomes_paid[index] == pytest.approx(float(exact), abs=0.001)
    drawn = spec_for(tmp_path, '[indicators.seen_4h]\ndistribution = "uniform"\nlow = 55\nhigh = 65\n\n'
                               '[last_year.seen_4h]\ndistribution = "uniform"\nlow = 50\nhigh = 60\n')
    spec = read_spec(drawn, year)
    inputs, baselines = for_run(draw_inputs(spec, year, 50, np.random.default_rng(2)), spec)
    assert baselines["last year:seen_4h"].shape == (50,) and 50 <= baselines["last year:seen_4h"].min()


def test_a_spec_without_last_years_value_or_with_one_in_year_1_is_refused_naming_the_key(tmp_path):
    contract = obcdsl.loads(IMPROVEMENT).ast
    missing = spec_for(tmp_path, '[indicators.seen_4h]\ndistribution = "uniform"\nlow = 55\nhigh = 65\n')
    with pytest.raises(SpecError) as raised:
        read_spec(missing, vector.year_model(contract, 2))
    assert [(x.code, x.message) for x in raised.value.diagnostics] == [
        ("OBC916", "year 2 compares `seen_4h` with last year's value, which the spec does not give")]
    stray = spec_for(tmp_path, '[indicators.seen_4h]\ndistribution = "uniform"\nlow = 55\nhigh = 65\n\n'
                               '[last_year]\nseen_4h = 58\nseen_4 = 3\n')
    with pytest.raises(SpecError) as raised:
        read_spec(stray, vector.year_model(contract, 2))
    assert [(x.code, x.help) for x in raised.value.diagnostics] == [("OBC916", "did you mean `seen_4h`?")]
    with pytest.raises(SpecError) as raised:
        read_spec(stray, vector.year_model(contract, 1))
    assert [x.message for x in raised.value.diagnostics] == ["`last_year`: in year 1, last year's value is the baseline"]


# ---------------------------------------------------------------- a comparator given as data

COMPARATOR = HEADER + """
outcomes clause 4
  outcome access "Timely access"
    weight 100%
    indicator seen_4h "Seen within 4 hours"
      unit percent
      higher is better
      bands clause 4.1
        level   at least england_average pays 50%
        leading at least 2 points above england_average pays 100%
      end
    end
  end
  unearned pot retained by the commissioner
end

measures clause 9
  measure england_average "The England average of the share seen within 4 hours" clause 9.1
    unit percent
    source "NHS England monthly statistics"
  end
end
"""


def compared(year: int, value: str, average: str) -> tuple:
    return DataPoint("seen_4h", year, None, D(value)), DataPoint("england_average", year, None, D(average))


def test_a_threshold_on_a_measure_parses_checks_clean_and_reads_back():
    assert codes(COMPARATOR) == []
    contract, _ = read_contract(SourceFile("t.obc", COMPARATOR))
    values = [b.threshold.value for b in contract.all_indicators[0].rule.bands]
    assert [(v.kind, v.reference) for v in values] == [("reference", "england_average"), ("points", "england_average")]
    text = render(contract)
    assert "leading at least 2 points above england_average pays 100%" in text
    assert read_contract(SourceFile("again.obc", text))[0] == contract


@pytest.mark.parametrize("year", [1, 3])
def test_the_comparator_is_the_measures_value_for_the_same_year(year):
    assert [paid(COMPARATOR, compared(year, v, "61.5"), year) for v in ("61.49", "61.5", "63.49", "63.5")] == [
        D("0.00"), D("250000.00"), D("250000.00"), D("500000.00")]


def test_exact_and_array_evaluation_agree_on_and_either_side_of_the_comparator():
    values, averages = ["61.49", "61.5", "63.49", "63.5", "63.51", "70"], ["61.5", "61.5", "61.5", "61.5", "61.5", "68"]
    contract = obcdsl.loads(COMPARATOR).ast
    assert vector.inputs_of(vector.year_model(contract, 2)) == ["england_average", "seen_4h"]
    inputs = {"seen_4h": [float(v) for v in values], "england_average": [float(a) for a in averages]}
    exact = agree(COMPARATOR, 2, inputs, {}, lambda i: compared(2, values[i], averages[i]))
    assert exact == [D("0.00"), D("250000.00"), D("250000.00"), D("500000.00"), D("500000.00"), D("500000.00")]


def test_the_statement_the_template_and_the_schedule_name_the_comparator():
    contract = obcdsl.loads(COMPARATOR).ast
    line = evaluate(contract, Data(compared(1, "64", "61.5")), 1).lines[0]
    assert "64% ≥ leading 63.5% (2 points above `england_average` 61.5%) → 100% of £500,000.00" in line.explanation
    assert line.inputs["value"]["comparator"] == D("61.5")
    assert [(r.measure, r.year, r.clause) for r in template_for(contract, 1).indicators] == [
        ("seen_4h", 1, None), ("england_average", 1, "9.1")]
    band = contract.all_indicators[0].rule.bands[1]
    assert threshold_words(band.threshold, "higher") == "the value of england_average plus 2 points or more"


def test_the_comparator_missing_from_the_data_is_named_with_its_declaration():
    with pytest.raises(obcdsl.DataError) as raised:
        evaluate(obcdsl.loads(COMPARATOR).ast, Data((DataPoint("seen_4h", 1, None, D(60)),)), 1)
    assert [(x.code, x.message, x.clause) for x in raised.value.diagnostics] == [
        ("OBC910", "`england_average` has no data for year 1", "9.1")]


def test_an_unknown_comparator_suggests_the_measure_and_an_indicator_is_not_one():
    result = check_text(COMPARATOR.replace("at least england_average", "at least england_avrage"), "t.obc")
    problem = next(x for x in result.diagnostics if x.code == "OBC201")
    assert (problem.message, problem.help) == ("no measure is called `england_avrage`", "did you mean `england_average`?")
    assert problem.span is not None and problem.clause == "4.1" and [x.code for x in result.diagnostics] == ["OBC201"]
    (fix,) = problem.fixes
    assert (fix.replacement, fix.span.end - fix.span.start) == ("england_average", len("england_avrage"))
    result = check_text(COMPARATOR.replace("england_average", "seen_4h").replace("measure seen_4h", "measure other"),
                        "t.obc")
    assert [x.code for x in result.diagnostics] == ["OBC205", "OBC205"]


def test_the_counterexample_of_a_proof_gives_the_comparators_row(tmp_path):
    from obcdsl.bounds import counterexample_for

    data, result = counterexample_for(obcdsl.loads(COMPARATOR).ast, 1)
    assert {(p.measure, p.year) for p in data.points} == {("seen_4h", 1), ("england_average", 1)}
    assert result is not None and result.outcomes_paid == D("500000.00")
    spec = spec_for(tmp_path, '[indicators.seen_4h]\ndistribution = "uniform"\nlow = 55\nhigh = 65\n\n'
                              '[measures.england_average]\ndistribution = "normal"\nmean = 61\nsd = 1\n')
    assert sorted(read_spec(spec, vector.year_model(obcdsl.loads(COMPARATOR).ast, 1)).marginals) == ["england_average", "seen_4h"]


# ---------------------------------------------------------------- relative thresholds on a derived indicator

DERIVED = HEADER + """
outcomes clause 4
  outcome access "Timely access"
    weight 100%
    indicator seen_share "Share of referrals seen"
      unit percent
      higher is better
      measured as 100% * seen / referred
      bands clause 4.1
        held     at least baseline pays 50%
        improved at least 5% above baseline pays 100%
      end
    end
    indicator seen "Seen"
      unit count
      higher is better
    end
    indicator referred "Referred"
      unit count
      higher is better
    end
  end
  unearned pot retained by the commissioner
end
"""
ON_LAST_YEAR = DERIVED.replace("at least baseline", "at least last year").replace("5% above baseline", "5% above last year")


def counts(year: int, seen_now: str, before: Optional[int] = None, seen_before: str = "140") -> tuple:
    """Seen of 200 referred in the year, and `seen_before` of 200 in `before` (the baseline when None)."""
    return (DataPoint("seen", year, None, D(seen_now)), DataPoint("referred", year, None, D(200)),
            DataPoint("seen", before, None, D(seen_before)), DataPoint("referred", before, None, D(200)))


@pytest.mark.parametrize("text, before", [(DERIVED, None), (ON_LAST_YEAR, 2)])
def test_a_derived_indicator_compares_its_expression_over_its_inputs_of_the_year_compared_with(text, before):
    assert codes(text) == []
    # 140 of 200 is 70%; 5% above is 73.5%, reached by 147 of 200 and not by 146.99
    assert [paid(text, counts(3, s, before), 3) for s in ("139.99", "140", "146.99", "147")] == [
        D("0.00"), D("250000.00"), D("250000.00"), D("500000.00")]


@pytest.mark.parametrize("text, key", [(DERIVED, ""), (ON_LAST_YEAR, "last year:")])
def test_exact_and_array_evaluation_agree_on_a_derived_indicators_relative_thresholds(text, key):
    seen_now = ["139.99", "140", "146.99", "147", "150", "100"]
    inputs = {"seen": [float(s) for s in seen_now], "referred": [200.0] * 6}
    references = {key + "seen": 140.0, key + "referred": 200.0}
    exact = agree(text, 3, inputs, references, lambda i: counts(3, seen_now[i], 2 if key else None))
    assert exact == [D("0.00"), D("250000.00"), D("250000.00"), D("500000.00"), D("500000.00"), D("0.00")]


def test_the_counterexample_and_the_template_give_a_derived_indicators_inputs_of_last_year():
    from obcdsl.bounds import counterexample_for

    contract = obcdsl.loads(ON_LAST_YEAR).ast
    data, result = counterexample_for(contract, 3)
    assert {(p.measure, p.year) for p in data.points} >= {("seen", 2), ("referred", 2), ("seen", 3), ("referred", 3)}
    assert result is not None and result.outcomes_paid == D("500000.00")
    assert [(r.measure, r.year) for r in template_for(contract, 3).indicators] == [
        ("seen", 3), ("seen", 2), ("referred", 3), ("referred", 2)]
    with pytest.raises(obcdsl.DataError) as raised:
        evaluate(contract, Data(counts(3, "147")[:2]), 3)
    assert sorted(x.message for x in raised.value.diagnostics) == [
        "`referred` has no data for year 2, last year's value in year 3", "`seen` has no data for year 2, last year's value in year 3"]


def test_the_language_server_knows_a_comparator_named_in_a_threshold_as_the_measure():
    from obcdsl.lsp.names import from_contract

    contract, _ = read_contract(SourceFile("t.obc", COMPARATOR))
    found = [o for o in from_contract(contract, COMPARATOR).occurrences if o.name == "england_average"]
    assert [(o.kind, o.declaration) for o in found] == [("measure", False), ("measure", False), ("measure", True)]
