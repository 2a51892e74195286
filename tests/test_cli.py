"""The `obcdsl check` command: exit codes, text and JSON output, colour."""

import json
import os
import subprocess
import sys

import pytest

from obcdsl.cli import main

from conftest import BROKEN, CONTRACTS


def run(*args, env=None):
    full_env = dict(os.environ)
    full_env.pop("NO_COLOR", None)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "obcdsl", *args], capture_output=True, text=True, env=full_env)


def test_clean_contracts_exit_0():
    proc = run("check", str(CONTRACTS))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # Oxfordshire's all-outcomes bonus cannot be earned in year 2 (OBC506), a warning
    assert "5 contracts checked: 0 errors, 1 warning" in proc.stdout


def test_errors_exit_1():
    assert main(["check", str(BROKEN / "OBC301_outcome_weights.obc")]) == 1


def test_missing_file_exits_2(capsys):
    assert main(["check", "no/such/file.obc"]) == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_usage_error_exits_2():
    proc = run("check")
    assert proc.returncode == 2
    assert "usage" in proc.stderr


def test_unknown_command_exits_2():
    assert run("frobnicate").returncode == 2


def test_version():
    proc = run("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("obcdsl ")


def test_no_colour_when_piped():
    proc = run("check", str(BROKEN / "OBC301_outcome_weights.obc"))
    assert "\x1b[" not in proc.stdout
    assert "error[OBC301]" in proc.stdout


def test_colour_on_a_terminal_but_not_under_no_color(monkeypatch, capsys):
    from obcdsl.render import make_console, render_text
    from obcdsl.checker import check_path

    result = check_path(BROKEN / "OBC301_outcome_weights.obc")
    monkeypatch.delenv("NO_COLOR", raising=False)
    import io

    stream = io.StringIO()
    console = make_console(stream, force_terminal=True)
    console.print(render_text(result.diagnostics[0], result.source))
    assert "\x1b[" in stream.getvalue()
    monkeypatch.setenv("NO_COLOR", "1")
    stream = io.StringIO()
    console = make_console(stream, force_terminal=True)
    console.print(render_text(result.diagnostics[0], result.source))
    assert "\x1b[" not in stream.getvalue()


def test_text_rendering_snapshot(capsys, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    path = BROKEN / "OBC301_outcome_weights.obc"
    main(["check", str(path)])
    out = capsys.readouterr().out
    expected = f"""error[OBC301]: outcome weights add up to 95%, expected 100%
  --> {path}:20:12
   |
20 |     weight 95%
   |            ^^^ the total is 100%
   |
   = note: `access` weighs 95%
   = help: raise the weights by 5% in all
"""
    assert out.startswith(expected), out


def test_json_document_shape(capsys):
    assert main(["check", "--format", "json", str(CONTRACTS), str(BROKEN / "OBC404_better_pays_less.obc")]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["version"] == 1
    assert document["summary"] == {"files": 6, "errors": 1, "warnings": 1}
    broken = [f for f in document["files"] if not f["ok"]]
    assert len(broken) == 1
    (item,) = [x for x in broken[0]["diagnostics"] if x["severity"] == "error"]
    assert set(item) >= {"code", "severity", "message", "span", "help"}
    assert set(item["span"]) == {"file", "line", "column", "end_line", "end_column", "start", "end"}
    assert item["severity"] == "error"


def test_clause_is_carried_into_diagnostics(capsys, tmp_path):
    text = (CONTRACTS / "oxfordshire_mental_health.obc").read_text().replace("weight 20 points", "weight 25 points", 1)
    path = tmp_path / "ox.obc"
    path.write_text(text)
    assert main(["check", "--format", "json", str(path)]) == 1
    (item,) = [x for x in json.loads(capsys.readouterr().out)["files"][0]["diagnostics"] if x["severity"] == "error"]
    assert item["code"] == "OBC301" and item["clause"] == "5"


def test_directory_without_contracts_warns(tmp_path, capsys):
    assert main(["check", str(tmp_path)]) == 0
    assert "no `.obc` files" in capsys.readouterr().err


def test_an_internal_fault_is_reported_without_a_traceback(monkeypatch, capsys):
    import obcdsl.cli as cli

    def broken(args):
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "run_check", broken)
    monkeypatch.delenv("OBCDSL_DEBUG", raising=False)
    assert cli.main(["check", str(CONTRACTS)]) == 70
    err = capsys.readouterr().err
    assert "internal error" in err and "Traceback" not in err


# ---------------------------------------------------------------- found by review (issue 9)

DATA = CONTRACTS / "data"


def test_evaluate_refuses_a_contract_with_errors(capsys):
    """OBC301 (weights short of their total) under-allocates; nothing is paid and nothing claims an overpayment."""
    code = main(["evaluate", str(BROKEN / "OBC301_outcome_weights.obc"), "--data", str(DATA / "oxfordshire_mental_health.csv")])
    streams = capsys.readouterr()
    assert code == 1
    assert streams.out == ""
    assert "error[OBC301]" in streams.err and "nothing was computed" in streams.err
    assert "pay more than it should" not in streams.err


def test_patients_with_no_year_and_with_all_years(capsys):
    args = ["evaluate", str(CONTRACTS / "risk_share_corridor.obc"), "--data", str(DATA / "risk_share_corridor.csv"),
            "--patients", str(DATA / "risk_share_corridor_patients.csv"), "--format", "json"]
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["year"] == 3
    assert main(args + ["--all-years"]) == 0
    assert [y["year"] for y in json.loads(capsys.readouterr().out)["years"]] == [1, 2, 3]


def test_a_missing_file_is_not_followed_by_no_problems_found(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["check", "contracts/"]) == 2
    streams = capsys.readouterr()
    assert "no problems found" not in streams.out + streams.err
    assert "no such file or folder: `contracts/`" in streams.err
    assert str(tmp_path) in streams.err and "no contracts were checked" in streams.err


def test_evaluate_says_a_folder_is_a_folder(capsys):
    assert main(["evaluate", str(CONTRACTS), "--data", str(DATA / "oxfordshire_mental_health.csv")]) == 2
    assert "is a folder; give the contract file itself" in capsys.readouterr().err


def test_dash_capital_v_prints_the_version():
    from obcdsl import __version__

    for flag in ("-V", "--version"):
        proc = run(flag)
        assert proc.returncode == 0 and proc.stdout.strip() == f"obcdsl {__version__}"


def test_simulate_help_describes_its_options():
    proc = run("simulate", "--help")
    text = " ".join(proc.stdout.split())
    assert "the contract year to simulate" in text
    assert "how many scenarios of the year to draw (default 10,000)" in text


def test_a_patients_costs_in_two_files_are_added_up(tmp_path, capsys):
    """Two files, one row each for P1 (£12,000 and £18,000): one patient at £30,000, so £9,000.00 over £20,000 less 10%."""
    (tmp_path / "a.csv").write_text("patient,year,cost\nP1,2,12000\n")
    (tmp_path / "b.csv").write_text("patient,year,cost\nP1,2,18000\n")
    args = ["evaluate", str(CONTRACTS / "risk_share_corridor.obc"), "--data", str(DATA / "risk_share_corridor.csv"),
            "--year", "2", "--format", "json", "--patients"]
    assert main(args + [str(tmp_path / "a.csv"), str(tmp_path / "b.csv")]) == 0
    assert json.loads(capsys.readouterr().out)["risk_share"]["stop_loss"] == "9000.00"
    assert main(args + [str(tmp_path)]) == 0
    assert json.loads(capsys.readouterr().out)["risk_share"]["stop_loss"] == "9000.00"


def test_check_writes_review_formats(capsys):
    import jsonschema
    import xml.etree.ElementTree as ElementTree

    from conftest import ROOT

    broken = str(BROKEN / "OBC302_indicator_weights.obc")
    assert main(["check", "--format", "sarif", broken, str(CONTRACTS)]) == 1
    log = json.loads(capsys.readouterr().out)
    schema = json.loads((ROOT / "tests" / "schemas" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.validators.validator_for(schema)(schema).validate(log)
    assert [r["ruleId"] for r in log["runs"][0]["results"] if r["level"] == "error"] == ["OBC302"]
    assert main(["check", "--format", "github", broken]) == 1
    assert capsys.readouterr().out.startswith("::error file=")
    assert main(["check", "--format", "junit", broken]) == 1
    suites = ElementTree.fromstring(capsys.readouterr().out)
    assert len(suites.findall(".//failure")) == 1
    assert main(["check", "--format", "sarif", "--bounds", broken]) == 2


@pytest.mark.parametrize("command", [
    ["evaluate", str(CONTRACTS / "monitor_staged_linking.obc"), "--data", str(CONTRACTS / "data" / "monitor_staged_linking.csv"),
     "--format", "csv", "--out"],
    ["template", str(CONTRACTS / "monitor_staged_linking.obc"), "--year", "1", "--out"],
])
def test_an_output_file_that_cannot_be_written_is_an_io_error_not_a_fault(command, tmp_path, capsys):
    target = tmp_path / "no such folder" / "out.xlsx"
    assert main([*command, str(target)]) == 2
    err = capsys.readouterr().err
    assert "no such file or directory" in err and "no such folder" in err
    assert "internal error" not in err
