"""Review outputs of `obcdsl check`: GitHub annotations, SARIF 2.1.0 (validated against the official schema) and JUnit XML."""

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from jsonschema import Draft4Validator, FormatChecker, validators

from obcdsl import __version__
from obcdsl.checker import CheckResult, check_path, check_text, contract_files
from obcdsl.diagnostics import CODES, Diagnostic, Severity
from obcdsl.render import render_text
from obcdsl.review import anchor, github, github_slug, heading, junit, sarif
from obcdsl.source import Span

from conftest import ROOT

SCHEMA = Path(__file__).resolve().parent / "schemas" / "sarif-schema-2.1.0.json"
DOCS = ROOT / "docs" / "diagnostics.md"

# Relative paths, as a user types them from the root of a checkout.
FILES = [
    "tests/broken/OBC302_indicator_weights.obc",  # related spans, notes, help, label
    "tests/broken/OBC202_duplicate_name.obc",  # related span
    "tests/broken/OBC301_bonus_on_top.obc",  # a counterexample
    "tests/broken/OBC505_years_backwards.obc",  # an error and a warning
    "contracts/oxfordshire_mental_health.obc",  # a warning with a clause
    "contracts/risk_share_corridor.obc",  # clean
]
URL = "https://example.org/obcdsl"


@pytest.fixture
def results(monkeypatch):
    monkeypatch.chdir(ROOT)
    return [check_path(name) for name in FILES]


def only(results, path, code):
    [result] = [r for r in results if r.path == path]
    [diagnostic] = [d for d in result.diagnostics if d.code == code]
    return diagnostic


def expected_place(path):
    """The `# expect: CODE at LINE:COLUMN` header of a broken contract."""
    code, line, column = re.match(r"# expect: (OBC\d+) at (\d+):(\d+)", (ROOT / path).read_text()).groups()
    return code, int(line), int(column)


def escaped(text):
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


# --- GitHub ---------------------------------------------------------------------------------

def test_github_line_for_a_diagnostic_with_related_spans_and_notes(results):
    path = FILES[0]
    code, line, column = expected_place(path)
    d = only(results, path, code)
    assert len(d.related) == 2 and d.notes and d.help and d.label
    lines = [
        d.message,
        f"{path}:{line}:{column}: {d.label}",
        *(f"{path}:{r.span.line}:{r.span.column}: {r.message}" for r in d.related),
        *(f"note: {note}" for note in d.notes),
        f"help: {d.help}",
    ]
    expected = (f"::error file={path},line={line},col={column},endLine={d.span.end_line},endColumn={d.span.end_column},"
                f"title={code}::" + escaped("\n".join(lines)))
    out = github(results).splitlines()
    assert expected in out
    # the message has `%` signs, the lines between them newlines: both escaped, nothing raw
    assert "%25" in expected and "%0A" in expected


def test_github_one_line_a_diagnostic_warnings_as_warnings(results):
    out = github(results).splitlines()
    everything = [d for r in results for d in r.diagnostics]
    assert len(out) == len(everything)
    assert [line.split(" ", 1)[0] for line in out] == [f"::{d.severity.value}" for d in everything]
    assert any(line.startswith("::warning ") and "title=OBC506::" in line and "%0Aclause 5.8%0A" in line for line in out)
    assert all("\n" not in line and "\r" not in line for line in out)


def test_github_escapes_percent_newline_comma_and_colon():
    span = Span("odd, name: v2.obc", 0, 3, 4, 5, 4, 8)
    d = Diagnostic("OBC303", Severity.ERROR, "pays 120%, more than\nthe whole\r\npot: 100%", span,
                   notes=("a, b: 5%",), help="use 100%")
    [line] = github([CheckResult("odd, name: v2.obc", None, None, (d,))]).splitlines()
    assert line == ("::error file=odd%2C name%3A v2.obc,line=4,col=5,endLine=4,endColumn=8,title=OBC303::"
                    "pays 120%25, more than%0Athe whole%0D%0Apot: 100%25%0Anote: a, b: 5%25%0Ahelp: use 100%25")


def test_github_diagnostic_without_a_span_keeps_the_file(tmp_path):
    missing = str(tmp_path / "gone.obc")
    files, problems = contract_files([str(tmp_path / "nowhere.obc")])
    out = github([check_path(missing)], problems).splitlines()
    assert out[0].startswith("::error title=OBC001::no such file or folder")
    assert out[1].startswith(f"::error file={missing.replace(':', '%3A')},title=OBC001::cannot read")


# --- SARIF ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    cls = validators.validator_for(schema)
    assert cls is Draft4Validator  # the official errata01 schema declares draft-04
    cls.check_schema(schema)
    return cls(schema, format_checker=FormatChecker())


def every_result(tmp_path, monkeypatch):
    """Every broken contract and reference contract, a file that cannot be read and paths that do not exist."""
    monkeypatch.chdir(ROOT)
    files, problems = contract_files(["tests/broken", "contracts", "no/such/file.obc"])
    found = [check_path(f) for f in files] + [check_path(str(tmp_path / "gone dir" / "x.obc"))]
    return found, problems


@pytest.mark.parametrize("project_url", [None, URL])
def test_sarif_validates_against_the_official_schema(validator, tmp_path, monkeypatch, project_url):
    found, problems = every_result(tmp_path, monkeypatch)
    log = json.loads(sarif(found, problems=problems, project_url=project_url))
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])
    [run] = log["runs"]
    assert len(run["results"]) == sum(len(r.diagnostics) for r in found)  # none dropped
    # every result has a location naming its file (GitHub code scanning refuses the whole log otherwise)
    assert all(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"])
    # the path that does not exist is the invocation's notification
    [invocation] = run["invocations"]
    assert invocation["executionSuccessful"] is False
    assert [n["descriptor"]["id"] for n in invocation["toolExecutionNotifications"]] == [p.code for p in problems] == ["OBC001"]
    assert [d["id"] for d in run["tool"]["driver"]["notifications"]] == ["OBC001"]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("obcdsl", __version__)
    assert driver.get("informationUri") == project_url
    rules = driver["rules"]
    ids = [rule["id"] for rule in rules]
    assert ids == sorted(set(ids))
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    assert set(ids) == {r["ruleId"] for r in run["results"]}
    for rule in rules:
        assert rule["shortDescription"]["text"] == CODES[rule["id"]]
        assert f"docs/diagnostics.md#{anchor(rule['id'])}" in rule["help"]["text"]
        if project_url:
            assert rule["helpUri"] == f"{URL}/blob/HEAD/docs/diagnostics.md#{anchor(rule['id'])}"
            assert urlsplit(rule["helpUri"]).scheme == "https"  # SARIF wants absolute URIs (3.49.12)
        else:
            assert "helpUri" not in rule
    levels = [r["level"] for r in run["results"]]
    assert levels == [d.severity.value for r in found for d in r.diagnostics]
    assert "warning" in levels


def test_sarif_schema_is_enforced(validator, results):
    log = json.loads(sarif(results))
    log["runs"][0]["results"][0]["level"] = "fatal"
    del log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"]
    assert len(list(validator.iter_errors(log))) == 2


def test_sarif_result_for_a_diagnostic_with_related_spans_and_notes(results):
    path = FILES[0]
    code, line, column = expected_place(path)
    d = only(results, path, code)
    log = json.loads(sarif(results, "9.9.9", project_url=URL))
    [run] = log["runs"]
    assert log["version"] == "2.1.0"
    assert run["tool"]["driver"]["name"] == "obcdsl"
    assert run["tool"]["driver"]["version"] == "9.9.9"
    assert run["tool"]["driver"]["informationUri"] == URL
    [result] = [r for r in run["results"] if r["ruleId"] == code]

    def place(span):
        return {"artifactLocation": {"uri": path, "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": span.line, "startColumn": span.column,
                           "endLine": span.end_line, "endColumn": span.end_column}}

    rules = run["tool"]["driver"]["rules"]
    assert result == {
        "ruleId": code,
        "ruleIndex": [rule["id"] for rule in rules].index(code),
        "level": "error",
        "message": {"text": "\n".join([d.message, *(f"note: {n}" for n in d.notes), f"help: {d.help}"])},
        "locations": [{"physicalLocation": place(d.span), "message": {"text": d.label}}],
        "relatedLocations": [{"id": k, "message": {"text": r.message}, "physicalLocation": place(r.span)}
                             for k, r in enumerate(d.related, start=1)],
    }
    assert (line, column) == (d.span.line, d.span.column)
    [rule] = [rule for rule in rules if rule["id"] == code]
    assert rule == {
        "id": "OBC302",
        "shortDescription": {"text": "indicator weights do not add up to 100% of their outcome"},
        "help": {
            "text": "OBC302: indicator weights do not add up to 100% of their outcome. A broken and a fixed example: "
                    f"{URL}/blob/HEAD/docs/diagnostics.md#obc302-indicator-weights-do-not-add-up-to-100-of-their-outcome",
            "markdown": "**OBC302: indicator weights do not add up to 100% of their outcome.** A broken and a fixed "
                        "example: [docs/diagnostics.md, OBC302]"
                        f"({URL}/blob/HEAD/docs/diagnostics.md#obc302-indicator-weights-do-not-add-up-to-100-of-their-outcome)",
        },
        "helpUri": f"{URL}/blob/HEAD/docs/diagnostics.md#obc302-indicator-weights-do-not-add-up-to-100-of-their-outcome",
    }


def test_sarif_clause_and_counterexample_in_properties(results):
    run = json.loads(sarif(results))["runs"][0]
    assert run["tool"]["driver"]["version"] == __version__
    [warning] = [r for r in run["results"] if r["ruleId"] == "OBC506"]
    assert warning["level"] == "warning"
    assert warning["properties"] == {"clause": "5.8"}
    assert "\nclause 5.8\n" in warning["message"]["text"]
    [weights] = [r for r in run["results"] if r["ruleId"] == "OBC301"]
    assert weights["properties"]["counterexample"] == only(results, FILES[2], "OBC301").counterexample


def test_sarif_paths(tmp_path):
    absolute = tmp_path / "my contracts" / "a.obc"
    relative = "sub dir/x%y.obc"
    found = [check_path(str(absolute)), check_text("contract\n", relative)]
    run = json.loads(sarif(found))["runs"][0]
    unreadable, broken = run["results"][0], run["results"][1]
    # a file that cannot be read: the file is the location, with no region
    assert unreadable["locations"] == [{"physicalLocation": {"artifactLocation": {"uri": absolute.as_uri()}}}]
    assert "%20" in absolute.as_uri()
    assert broken["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": "sub%20dir/x%25y.obc",
                                                                                "uriBaseId": "%SRCROOT%"}
    assert "invocations" not in run  # nothing went wrong with the paths given
    # a path that does not exist has no file to point at: a notification, not a result
    _, problems = contract_files([str(tmp_path / "nowhere.obc")])
    [problem] = problems
    run = json.loads(sarif([], problems=problems))["runs"][0]
    assert run["results"] == []
    assert run["invocations"] == [{"executionSuccessful": False, "toolExecutionNotifications": [{
        "descriptor": {"id": "OBC001", "index": 0}, "level": "error",
        "message": {"text": f"{problem.message}\nhelp: {problem.help}"}}]}]


def doc_anchors(text):
    """Every heading's anchor as GitHub renders docs/diagnostics.md: fenced code left out, repeats numbered."""
    anchors, seen, fenced = set(), {}, False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
            continue
        match = None if fenced else re.match(r"#{1,6} (.*?)\s*#*\s*$", line)
        if match:
            slug = base = github_slug(match.group(1))
            while slug in seen:
                seen[base] += 1
                slug = f"{base}-{seen[base]}"
            seen[slug] = 0
            anchors.add(slug)
    return anchors


def test_every_code_has_its_anchor_in_the_docs():
    anchors = doc_anchors(DOCS.read_text(encoding="utf-8"))
    missing = [f"{code}: #{anchor(code)}" for code in CODES if anchor(code) not in anchors]
    assert not missing
    assert heading("OBC504") == "OBC504: year not covered by any phase (warning)"


@pytest.mark.parametrize("text, slug", [
    # from github-slugger's fixtures (test/fixtures.json), GitHub's own algorithm
    ("heading with a - dash", "heading-with-a---dash"),
    ("exchange.bind_headers(exchange, routing [, bindCallback])", "exchangebind_headersexchange-routing--bindcallback"),
    ("apostrophe’s should be trimmed", "apostrophes-should-be-trimmed"),
    ("I ♥ unicode", "i--unicode"),
    ("en–dash", "endash"),
    ("😄 - an emoji", "---an-emoji"),
    ("Привет non-latin 你好", "привет-non-latin-你好"),
    ("a$ ¢ £ ¤b", "a---b"),
    ("a_ ‿ ⁀b", "a_-‿-⁀b"),
    ("a½ ² 3b", "a--3b"),
    # and the docs' own shapes
    ("OBC303: percentage outside 0% to 100%", "obc303-percentage-outside-0-to-100"),
    ("OBC408: comparison word runs against the indicator's direction",
     "obc408-comparison-word-runs-against-the-indicators-direction"),
    ("OBC506: bonus waits on outcomes not yet linked to payment (warning)",
     "obc506-bonus-waits-on-outcomes-not-yet-linked-to-payment-warning"),
])
def test_github_slug(text, slug):
    assert github_slug(text) == slug


# --- JUnit ----------------------------------------------------------------------------------

def test_junit_counts_and_content(results):
    root = ET.fromstring(junit(results))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == FILES
    failing = [r for r in results if not r.ok]
    assert int(root.get("tests")) == len(FILES)
    assert int(root.get("failures")) == len(failing) == 4
    assert root.get("errors") == "0"
    for suite, result in zip(suites, results):
        [case] = suite.findall("testcase")
        assert case.get("name") == case.get("file") == result.path
        errors = [d for d in result.diagnostics if d.is_error]
        others = [d for d in result.diagnostics if not d.is_error]
        failures = case.findall("failure")
        assert suite.get("failures") == ("1" if errors else "0")
        assert suite.get("tests") == "1"
        assert [f.get("type") for f in failures] == [d.code for d in errors]
        for failure, d in zip(failures, errors):
            assert failure.get("message") == f"{d.code}: {d.message}"
            assert failure.text == render_text(d, result.source).plain  # what `obcdsl check` prints
        out = case.find("system-out")
        if others:
            assert out.text == "\n".join(render_text(d, result.source).plain for d in others)
        else:
            assert out is None


def test_junit_failure_for_a_diagnostic_with_related_spans_and_notes(results):
    path = FILES[0]
    code, line, column = expected_place(path)
    root = ET.fromstring(junit(results))
    [failure] = root.find(f"testsuite[@name='{path}']/testcase").findall("failure")
    d = only(results, path, code)
    text = failure.text
    assert text.startswith(f"error[{code}]: {d.message}\n  --> {path}:{line}:{column}\n")
    for r in d.related:
        assert f" {r.message}\n" in text
    for note in d.notes:
        assert f"= note: {note}\n" in text
    assert text.endswith(f"= help: {d.help}\n")


def test_junit_warning_only_file_passes(results):
    root = ET.fromstring(junit(results))
    case = root.find("testsuite[@name='contracts/oxfordshire_mental_health.obc']/testcase")
    assert case.find("failure") is None
    assert case.find("system-out").text.startswith("warning[OBC506]: ")


def test_junit_is_valid_xml_with_control_characters_and_problems(tmp_path):
    result = check_text("budget\n  baseline £10m \x01 <&>\nend\n", "odd<&>\".obc")
    _, problems = contract_files([str(tmp_path / "nowhere.obc")])
    document = junit([result], problems)
    assert document.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    root = ET.fromstring(document.encode("utf-8"))
    assert [s.get("name") for s in root.findall("testsuite")] == ["paths", 'odd<&>".obc']
    # two test cases fail: the missing path, and the odd file with its two syntax errors (`\x01`, then `<`)
    assert root.get("failures") == "2"
    [failure] = root.find("testsuite[@name='paths']/testcase").findall("failure")
    assert failure.get("type") == "OBC001"
    first, second = root.findall("testsuite")[1].find("testcase").findall("failure")
    assert (first.get("type"), second.get("type")) == ("OBC101", "OBC102")
    assert "£10m \\x01 <&>" in first.text  # the source line as `obcdsl check` shows it, less what XML cannot hold


def test_empty_input():
    assert github([]) == ""
    assert ET.fromstring(junit([])).get("tests") == "0"
    assert json.loads(sarif([]))["runs"][0]["results"] == []
