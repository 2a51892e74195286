"""`obcdsl diff`: the changed clause with both texts, the bounds change, and the pound change line by line."""

import json
from decimal import Decimal

import pytest

from obcdsl import cli

from conftest import CONTRACTS

D = Decimal
OXFORDSHIRE = CONTRACTS / "oxfordshire_mental_health.obc"
DATA = CONTRACTS / "data" / "oxfordshire_mental_health.csv"


def variant(tmp_path, old: str, new: str, name="new.obc", source=OXFORDSHIRE):
    text = source.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path = tmp_path / name
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


@pytest.fixture
def band_moved(tmp_path):
    """The issue's case: crisis response's excellent band moved from 95% to 97%."""
    return variant(tmp_path, "excellent at least 95% pays 100%", "excellent at least 97% pays 100%")


def run(capsys, *argv):
    code = cli.main(["diff", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_band_moved_prints_the_clause_the_bounds_and_the_pounds(capsys, band_moved):
    code, out, _ = run(capsys, OXFORDSHIRE, band_moved, "--data", DATA)
    assert code == 1
    assert "Clauses: 1 changed, 0 added, 0 removed" in out
    assert "changed indicator `crisis_response_4h` (clause 4.3)" in out
    assert "  -     excellent at least 95% pays 100%" in out
    assert "  +     excellent at least 97% pays 100%" in out
    assert "year 3: least £554,870.15 (unchanged); most no limit (unchanged)" in out
    # year 3's data has 96%: excellent before, improved (75%) after, and the all-outcomes bonus is lost
    assert "indicator `crisis_response_4h` (clause 4.3): £295,930.74 → £221,948.06 (-£73,982.68)" in out
    assert "bonus `all_outcomes` (clause 5.8): £739,826.86 → £0.00 (-£739,826.86)" in out
    assert "Total to the lead provider: £36,705,671.50 → £35,891,861.96 (-£813,809.54)" in out
    assert "Cost to the commissioner: £36,705,671.50 (unchanged)" in out  # the unearned pot is reinvested
    assert out.rstrip().endswith("Cost to the commissioner: £36,705,671.50 (unchanged)")


def test_json_document(capsys, band_moved):
    code, out, _ = run(capsys, OXFORDSHIRE, band_moved, "--data", DATA, "--format", "json")
    assert code == 1
    document = json.loads(out)
    assert document["equal"] is False and document["version"] == 1
    (change,) = document["clauses"]
    assert (change["change"], change["kind"], change["name"], change["clause"]) == ("changed", "indicator", "crisis_response_4h", "4.3")
    assert change["old"]["line"] == change["new"]["line"] == 157
    assert "excellent at least 95% pays 100%" in change["old"]["text"]
    assert "excellent at least 97% pays 100%" in change["new"]["text"]
    assert change["old"]["text"].startswith('indicator crisis_response_4h "Crisis referrals')
    assert [b["year"] for b in document["bounds"]] == list(range(1, 8))
    assert document["bounds"][2]["least"] == {"old": "554870.15", "new": "554870.15", "change": "0.00"}
    assert document["bounds"][2]["most"] == {"old": None, "new": None, "change": None}
    (year,) = document["years"]
    assert year["year"] == 3
    lines = {line["name"]: line for line in year["lines"]}
    assert lines["crisis_response_4h"] == {"kind": "indicator", "name": "crisis_response_4h", "clause": "4.3",
                                           "title": "Crisis referrals seen face to face within 4 hours",
                                           "old": "295930.74", "new": "221948.06", "change": "-73982.68"}
    assert lines["suicide"]["change"] == "0.00"
    assert year["total_to_provider"] == {"old": "36705671.50", "new": "35891861.96", "change": "-813809.54"}
    assert year["commissioner_cost"]["change"] == "0.00"
    changes = sum(D(line["change"]) for line in year["lines"] if line["kind"] in ("indicator", "bonus"))
    assert changes == D(year["total_to_provider"]["change"])  # exact: the lines' changes make the total's


def test_bounds_change_when_a_share_changes_without_data(capsys, tmp_path):
    new = variant(tmp_path, "core 80% of budget clause 4.1\n  outcomes pot 20% of budget",
                  "core 85% of budget clause 4.1\n  outcomes pot 15% of budget")
    code, out, _ = run(capsys, OXFORDSHIRE, new, "--year", "3", "--format", "json")
    assert code == 1
    document = json.loads(out)
    assert [c["kind"] for c in document["clauses"]] == ["payments"]
    (bounds,) = document["bounds"]
    assert bounds["year"] == 3
    old_least, new_least = D(bounds["least"]["old"]), D(bounds["least"]["new"])
    assert new_least - old_least == D(bounds["least"]["change"]) and new_least > old_least  # more core, paid whatever happens
    assert document["years"] == []


def test_a_renamed_item_is_matched_by_its_clause(capsys, tmp_path):
    renamed = variant(tmp_path, "bonus all_outcomes ", "bonus every_outcome ")
    code, out, _ = run(capsys, OXFORDSHIRE, renamed, "--format", "json")
    assert code == 1
    (change,) = json.loads(out)["clauses"]
    assert (change["change"], change["kind"], change["name"], change["old_name"], change["clause"]) == \
        ("changed", "bonus", "every_outcome", "all_outcomes", "5.8")


def test_an_added_indicator_and_a_removed_one(capsys, tmp_path):
    new = variant(tmp_path, "indicator known_carers \"Known carers\" clause 5.4.6",
                  "indicator carers_known \"Known carers\" clause 5.4.9")
    text = new.read_text(encoding="utf-8").replace("known_carers / 5", "carers_known / 5")
    new.write_text(text, encoding="utf-8")
    code, out, _ = run(capsys, OXFORDSHIRE, new)
    assert code == 1
    assert "added indicator `carers_known` (clause 5.4.9)" in out
    assert "removed indicator `known_carers` (clause 5.4.6)" in out
    assert "  + indicator carers_known \"Known carers\" clause 5.4.9" in out
    assert "changed indicator `carer_survey_coverage`" in out


def test_same_contract_exits_0(capsys, tmp_path):
    relaid = variant(tmp_path, "  currency GBP\n", "  currency GBP   # a comment changes no term\n")
    code, out, _ = run(capsys, OXFORDSHIRE, relaid, "--data", DATA)
    assert code == 0
    assert "nothing changes" in out


def test_markdown(capsys, band_moved):
    code, out, _ = run(capsys, OXFORDSHIRE, band_moved, "--data", DATA, "--year", "3", "--format", "markdown")
    assert code == 1
    assert "```diff\n" in out and "-     excellent at least 95% pays 100%" in out
    assert "| indicator `crisis_response_4h` | 4.3 | £295,930.74 | £221,948.06 | -£73,982.68 |" in out
    assert "| Total to the lead provider | £36,705,671.50 | £35,891,861.96 | -£813,809.54 |" in out


def test_trouble_exits_2(capsys, tmp_path):
    broken = tmp_path / "broken.obc"
    broken.write_text(OXFORDSHIRE.read_text(encoding="utf-8").replace("weight 10 points\n    indicator settled",
                                                                      "weight 15 points\n    indicator settled"), encoding="utf-8")
    code, _, err = run(capsys, OXFORDSHIRE, broken)
    assert code == 2
    assert "error[OBC" in err and "cannot be compared" in err
    assert run(capsys, OXFORDSHIRE, tmp_path / "missing.obc")[0] == 2
    assert run(capsys, OXFORDSHIRE, OXFORDSHIRE, "--year", "12")[0] == 2
