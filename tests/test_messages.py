"""What a new user's common mistakes are told, word for word (issue 13, item 6).

Each mistake is one broken contract in `tests/broken/` and gets exactly one error, in the reader's words, with
help that can be followed; where the edit is certain, a fix that removes the error.
"""

import pytest

from obcdsl.checker import check_path, check_text

from conftest import BROKEN, CONTRACTS

# file: (code, line, column, message, label, help)
MESSAGES = {
    "OBC102_percent_word": (
        "OBC102", 37, 23,
        "a percentage is written `75%`, not `75 percent`",
        "write `75%`",
        "percentages are written with `%`, as in `75%`",
    ),
    "OBC101_unclosed_title": (
        "OBC101", 33, 24,
        "the title is not closed",
        'this title has no closing `"`',
        'end the title with `"` on the same line, as in `"People will live longer"`',
    ),
    "OBC406_direction_flipped": (
        "OBC406", 46, 7,
        "the sliding scale of `suicide` pays more for a lower value, but the indicator says higher is better",
        "pays 0% at 12 and 100% at 4",
        "if a lower value is better, write `lower is better`; if not, write `sliding scale from 4 paying 0% to 12 paying 100%`",
    ),
    "OBC408_bands_against_direction": (
        "OBC408", 28, 19,
        "the bands of `crisis_response` reward a higher value, but the indicator says lower is better",
        "`at least` rewards a higher value",
        "if a higher value is better, write `higher is better`; if not, write the bands with `at most` or `below`, "
        "from the weakest performance to the strongest",
    ),
    "OBC102_risk_pool": (
        "OBC102", 83, 3,
        "`risk pool` cannot be read here",
        "not part of a risk share",
        "money set aside for the risk share is a risk reserve, written in the `payments` section as "
        "`risk reserve 2% of budget`",
    ),
    "OBC102_rising": (
        "OBC102", 36, 7,
        "`rising is better` cannot be read: the direction is `higher is better` or `lower is better`",
        "write `higher` or `lower`",
        "did you mean `higher is better`?",
    ),
    "OBC102_clause_brackets": (
        "OBC102", 33, 81,
        "`4.1.2(a)` cannot be read as a clause number",
        "a clause number is digits and letters separated by dots",
        "write it as `4.1.2.a`; brackets and other marks cannot be part of a clause number",
    ),
    "OBC102_million_word": (
        "OBC102", 10, 12,
        "an amount of money is written `£10m`, not `£10 million`",
        "write `£10m`",
        "money is written with `£` in front, as in `£20,000`, `£37.11m`, `£1.2bn` or `£750k`",
    ),
    "OBC102_pounds_word": (
        "OBC102", 10, 12,
        "an amount of money is written `£10,000,000`, not `10,000,000 pounds`",
        "write `£10,000,000`",
        "money is written with `£` in front, as in `£20,000`, `£37.11m`, `£1.2bn` or `£750k`",
    ),
    "OBC102_total_of": (
        "OBC102", 19, 9,
        "`of` is not needed here",
        "leave this word out",
        "write `total 100 points`",
    ),
    "OBC102_name_with_space": (
        "OBC102", 41, 11,
        "the name `live longer` has a space in it",
        "a name is one word",
        "join the words with `_`, as in `live_longer`; the title in double quotes that follows can have spaces",
    ),
    "OBC501_phase_after_term": (
        "OBC501", 67, 16,
        "phase `steady` ends in year 8, after the contract term ends",
        "the term runs from year 1 to year 3",
        "year 3 is the last year of the term, counting any extension; is year 8 right?",
    ),
    "OBC403_bands_strongest_first": (
        "OBC403", 28, 9,
        "the bands of `crisis_response` are listed from the strongest performance to the weakest",
        "`excellent` needs the most",
        "list the bands the other way round, from `good` to `excellent`",
    ),
    "OBC501_data_after_term": (
        "OBC501", 55, 7,
        "data for `settled_rate` starts in year 9, after the contract term ends",
        "the term runs from year 1 to year 3",
        "year 3 is the last year of the term, counting any extension; is year 9 right?",
    ),
    "OBC301_one_weight_off": (
        "OBC301", 51, 12,
        "outcome weights add up to 101 points, expected 100 points",
        "20 points here would make 100 points",
        "lower the weights by 1 point in all, for example `settled` at 20 points",
    ),
    "OBC102_pays_misspelt": (
        "OBC102", 30, 9,
        "`pay 75%` reads as a band of its own, called `pay`",
        "did you mean `pays`?",
        "write `pays 75%` to give band `improved` its share",
    ),
    "OBC303_percentage_range": (
        "OBC303", 26, 32,
        "the share paid by band `excellent` is 120%, outside 0% to 100%",
        "not between 0% and 100%",
        "a share or rate is at least 0% and at most 100%",
    ),
}


def errors_of(result):
    return [x for x in result.diagnostics if x.is_error]


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_one_mistake_one_error_in_plain_words(name):
    code, line, column, message, label, help_text = MESSAGES[name]
    found = errors_of(check_path(BROKEN / f"{name}.obc"))
    assert len(found) == 1, [(x.code, x.message) for x in found]  # no cascade
    error = found[0]
    assert (error.code, error.span.line, error.span.column) == (code, line, column)
    assert (error.message, error.label, error.help) == (message, label, help_text)


def test_weight_notes_give_their_lines():
    found = errors_of(check_path(BROKEN / "OBC301_one_weight_off.obc"))
    assert found[0].notes[:3] == (
        "`timely_access` weighs 50 points (line 22)",
        "`live_longer` weighs 30 points (line 42)",
        "`settled` weighs 21 points",
    )


def test_an_unknown_word_near_a_keyword_of_another_kind_is_not_suggested():
    text = (BROKEN / "OBC102_rising.obc").read_text().replace("rising is better", "rising", 1)
    assert all("did you mean `risk" not in x.help for x in check_text(text, "x.obc").diagnostics)


def test_a_contract_section_twice_is_named_as_written():
    found = errors_of(check_path(BROKEN / "OBC204_contract_twice.obc"))
    assert [(x.code, x.span.line, x.span.column, x.message, x.help) for x in found] == [
        ("OBC204", 9, 1, "the `contract` section appears twice", "merge the two sections into one")]


def test_a_risk_share_twice_is_named_as_written():
    text = (CONTRACTS / "risk_share_corridor.obc").read_text() + "\nrisk share\n  outside the budget\nend\n"
    found = [x for x in errors_of(check_text(text, "x.obc")) if x.code == "OBC204"]
    assert [x.message for x in found] == ["the `risk share` section appears twice"]


# ---------------------------------------------------------------- fixes

def apply(text, fix):
    return text[: fix.span.start] + fix.replacement + text[fix.span.end:]


FIXED = {
    "OBC102_percent_word": ("change `75 percent` to `75%`", "75%"),
    "OBC102_million_word": ("change `£10 million` to `£10m`", "£10m"),
    "OBC102_pounds_word": ("change `10,000,000 pounds` to `£10,000,000`", "£10,000,000"),
    "OBC102_rising": ("change `rising` to `higher`", "higher"),
    "OBC102_name_with_space": ("change `live longer` to `live_longer`", "live_longer"),
    "OBC102_total_of": ("remove `of`", ""),
    "OBC102_pays_misspelt": ("change `pay` to `pays`", "pays"),
    "OBC301_one_weight_off": ("change the weight of `settled` to 20 points", "20 points"),
    "OBC301_outcome_weights": ("change the weight of `access` to 100%", "100%"),
    "OBC402_bands_gap": ("end `good` at 90%", "90%"),
    "OBC201_unknown_indicator": ("change `seen_4hrs` to `seen_4h`", "seen_4h"),
    "OBC102_unexpected_word": ("change `weighting` to `weight`", "weight"),
}


@pytest.mark.parametrize("name", sorted(FIXED))
def test_each_fix_removes_its_error(name):
    path = BROKEN / f"{name}.obc"
    text = path.read_text(encoding="utf-8")
    error = errors_of(check_text(text, path.name))[0]
    assert [(fix.title, fix.replacement) for fix in error.fixes] == [FIXED[name]]
    after = check_text(apply(text, error.fixes[0]), path.name)
    assert not [x for x in after.diagnostics if (x.code, x.message) == (error.code, error.message)]
    assert not errors_of(after), [(x.code, x.message) for x in errors_of(after)]


def test_an_indicator_weight_fix():
    text = (CONTRACTS / "oxfordshire_mental_health.obc").read_text().replace("weight 30%\n      unit score", "weight 33%\n      unit score", 1)
    error = errors_of(check_text(text, "ox.obc"))[0]
    assert error.code == "OBC302"
    assert error.help == "make the weights of an outcome's indicators total 100%, for example `recovery_star` at 30%"
    assert [fix.title for fix in error.fixes] == ["change the weight of `recovery_star` to 30%"]
    assert not errors_of(check_text(apply(text, error.fixes[0]), "ox.obc"))


def test_no_fix_when_the_weight_that_is_off_cannot_be_told():
    text = (CONTRACTS / "oxfordshire_mental_health.obc").read_text().replace(
        "weight 20 points\n    indicator recovery_star", "weight 15 points\n    indicator recovery_star", 1)
    error = errors_of(check_text(text, "ox.obc"))[0]
    assert error.code == "OBC301" and error.fixes == ()
    assert (error.span.line, error.label) == (75, "the total is 100 points")  # on `total 100 points`
    assert error.notes[1] == "`functioning` weighs 15 points (line 100)"


def test_a_misspelt_pays_is_caught_on_the_band_line_and_on_a_line_of_its_own():
    """As typed (`improved at least 85% pay 75%`) and as `obcdsl fmt` lays it out (`pay 75%` on its own line)."""
    text = (BROKEN / "OBC102_pays_misspelt.obc").read_text()
    typed = text.replace("        improved  at least 85%\n        pay       75%\n", "        improved  at least 85% pay 75%\n")
    assert typed != text
    for version in (text, typed):
        found = errors_of(check_text(version, "b.obc"))
        assert [(x.code, x.message) for x in found] == [("OBC102", "`pay 75%` reads as a band of its own, called `pay`")]


def test_fixes_are_in_the_json_output():
    error = errors_of(check_path(BROKEN / "OBC102_pays_misspelt.obc"))[0]
    assert error.to_dict()["fixes"][0]["replacement"] == "pays"


def test_a_misspelt_keyword_after_another_error_keeps_its_fix_in_place():
    text = (CONTRACTS / "oxfordshire_mental_health.obc").read_text()
    text = text.replace("weight 20 points", "weighting 20 points", 1).replace("unit percent", "unit precent", 1)
    found = errors_of(check_text(text, "ox.obc"))
    assert [x.fixes[0].replacement for x in found] == ["weight", "percent"]
    fixed = text
    for error in reversed(found):  # from the end, so the earlier offsets stay put
        fixed = apply(fixed, error.fixes[0])
    assert not errors_of(check_text(fixed, "ox.obc"))
