"""Each broken contract yields its expected code at its expected line and column."""

import json
import re

import pytest

from obcdsl.checker import check_path
from obcdsl.cli import main
from obcdsl.diagnostics import CODES

from conftest import BROKEN

EXPECT = re.compile(r"# expect: (OBC\d{3}) at (\d+):(\d+)")
FILES = sorted(BROKEN.glob("*.obc"))


def expectation(path):
    match = EXPECT.match(path.read_text(encoding="utf-8").splitlines()[0])
    assert match, f"{path.name} has no '# expect:' line"
    return match.group(1), int(match.group(2)), int(match.group(3))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_expected_diagnostic(path):
    code, line, column = expectation(path)
    result = check_path(path)
    found = [(d.code, d.span.line, d.span.column) for d in result.diagnostics if d.span is not None]
    assert (code, line, column) in found, found
    assert not result.ok


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_expected_diagnostic_in_json(path, capsys):
    code, line, column = expectation(path)
    assert main(["check", "--format", "json", str(path)]) == 1
    document = json.loads(capsys.readouterr().out)
    items = document["files"][0]["diagnostics"]
    assert any(
        item["code"] == code and item["span"]["line"] == line and item["span"]["column"] == column
        for item in items
    ), items
    assert document["summary"]["errors"] >= 1


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_expected_diagnostic_in_text(path, capsys, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    code, line, column = expectation(path)
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"[{code}]" in out
    assert f"{path}:{line}:{column}" in out
    assert "\x1b[" not in out


def test_every_contract_code_has_a_broken_example():
    covered = {expectation(p)[0] for p in FILES}
    # reading problems (unreadable, binary, huge files) are exercised in test_robustness
    reading = {"OBC001", "OBC002", "OBC003"}
    # OBC410, OBC504 and OBC506 are warnings and do not make a contract fail; tested in test_checks
    # OBC9xx are problems in data files, exercised in test_data
    contract_codes = {c for c in CODES if not c.startswith("OBC9")}
    # OBC623, OBC625 and OBC627 are warnings about activity items; tested in test_activity
    missing = contract_codes - covered - reading - {"OBC410", "OBC504", "OBC506", "OBC623", "OBC625", "OBC627"}
    assert not missing, sorted(missing)
