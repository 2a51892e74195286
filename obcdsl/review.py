"""Review outputs of `obcdsl check`: GitHub workflow annotations, SARIF 2.1.0 and JUnit XML.

Each format is one pure function from the checked files (`CheckResult`s) and
the path problems `contract_files` reports (a path that does not exist, a
folder without contracts) to text. They read the same `Diagnostic` values
the text and JSON outputs show (`obcdsl.render`): code, severity, message,
span, label, notes, help, related spans and clause. No diagnostic is left
out, and a warning stays a warning.

- `github`: one `::error` / `::warning` workflow command a diagnostic, which
  GitHub Actions shows as an annotation on the file and line.
- `sarif`: one SARIF 2.1.0 log with one run, for code scanning and other
  SARIF viewers; each code that appears is a rule with its title and a link
  to its section of docs/diagnostics.md.
- `junit`: JUnit XML for CI test reports (GitLab, Jenkins, Azure): a test
  suite a contract file, a test case a file, failed by its errors.

File paths are written as they were given: a relative path stays relative.
"""

from __future__ import annotations

import json
import re
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import PurePath
from typing import Any, Iterable, Iterator, Optional
from urllib.parse import quote

from .diagnostics import CODES, Diagnostic, Severity
from .render import render_text
from .source import SourceFile, Span

# The OASIS Standard schema (SARIF 2.1.0 with Errata 01); tests/schemas/ holds a copy.
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SARIF_VERSION = "2.1.0"
SRCROOT = "%SRCROOT%"  # the uriBaseId of relative paths: the folder obcdsl was run from

# The project's public address, e.g. "https://github.com/OWNER/REPO". SARIF asks for absolute
# URIs in `informationUri` and `helpUri`; while this is None both are left out, and each
# rule's help names its section of docs/diagnostics.md instead.
PROJECT_URL: Optional[str] = None
DOCS = "docs/diagnostics.md"

# Words a heading of docs/diagnostics.md carries after the code's title in `CODES`.
HEADING_NOTES = {"OBC504": " (warning)", "OBC506": " (warning)"}

Item = tuple[Diagnostic, Optional[str], Optional[SourceFile]]  # a diagnostic, the file it was found in, its text


def items(results: Iterable, problems: Iterable[Diagnostic] = ()) -> Iterator[Item]:
    """Every diagnostic, path problems first (they have no file), then each file's in order."""
    for problem in problems:
        yield problem, None, None
    for result in results:
        for diagnostic in result.diagnostics:
            yield diagnostic, result.path, result.source


def where(span: Span) -> str:
    return f"{span.file}:{span.line}:{span.column}"


def plain_lines(diagnostic: Diagnostic) -> list[str]:
    """The message, then the label and related places, the clause, each note and the help: one a line."""
    lines = [diagnostic.message]
    if diagnostic.span is not None and diagnostic.label:
        lines.append(f"{where(diagnostic.span)}: {diagnostic.label}")
    for related in diagnostic.related:
        lines.append(f"{where(related.span)}: {related.message}" if related.span is not None else related.message)
    lines += details(diagnostic)
    return lines


def details(diagnostic: Diagnostic) -> list[str]:
    """The clause, each note and the help, one a line."""
    lines = []
    if diagnostic.clause:
        lines.append(f"clause {diagnostic.clause}")
    lines += [f"note: {note}" for note in diagnostic.notes]
    if diagnostic.help:
        lines.append(f"help: {diagnostic.help}")
    return lines


# --- GitHub workflow commands -------------------------------------------------------------

GITHUB_COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "notice"}


def escape_data(text: str) -> str:
    """A workflow command's message, escaped as GitHub's actions/toolkit does (`escapeData`)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value, escaped as actions/toolkit does (`escapeProperty`)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_line(diagnostic: Diagnostic, path: Optional[str]) -> str:
    span = diagnostic.span
    properties: dict[str, Any] = {}
    file = span.file if span is not None else path
    if file:
        properties["file"] = file
    if span is not None:
        properties.update(line=span.line, col=span.column, endLine=span.end_line, endColumn=span.end_column)
    properties["title"] = diagnostic.code
    given = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    message = escape_data("\n".join(plain_lines(diagnostic)))
    return f"::{GITHUB_COMMANDS[diagnostic.severity]} {given}::{message}"


def github(results: Iterable, problems: Iterable[Diagnostic] = ()) -> str:
    """`--format github`: a workflow command a diagnostic, which GitHub Actions shows as an annotation."""
    return "".join(github_line(diagnostic, path) + "\n" for diagnostic, path, _ in items(results, problems))


# --- SARIF 2.1.0 --------------------------------------------------------------------------

# Letters drawn as symbols (Ⓐ, 🄰, 🅐, 🅰): category So, but Unicode calls them alphabetic, so GitHub keeps them.
SYMBOL_LETTERS = ((0x24B6, 0x24E9), (0x1F130, 0x1F149), (0x1F150, 0x1F169), (0x1F170, 0x1F189))


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading, as github-slugger makes it (less the `-1` of a repeat).

    Lower case; then every character dropped but letters, marks, decimal and letter numbers,
    connector punctuation (`_`), `-` and spaces; then each space a `-`.
    """
    def kept(c: str) -> bool:
        category = unicodedata.category(c)
        return (c in "- " or category[0] in "LM" or category in ("Nd", "Nl", "Pc", "Cs")
                or any(low <= ord(c) <= high for low, high in SYMBOL_LETTERS))

    return "".join(c for c in heading.lower() if kept(c)).replace(" ", "-")


def heading(code: str) -> str:
    """The heading of a code's section in docs/diagnostics.md."""
    return f"{code}: {CODES[code]}{HEADING_NOTES.get(code, '')}"


def anchor(code: str) -> str:
    return github_slug(heading(code))


def help_uri(code: str, project_url: Optional[str]) -> Optional[str]:
    """The address of the code's section of docs/diagnostics.md, when the project's address is known."""
    if not project_url or code not in CODES:
        return None
    return f"{project_url.rstrip('/')}/blob/HEAD/{DOCS}#{anchor(code)}"


def sarif_rule(code: str, project_url: Optional[str]) -> dict:
    title = CODES.get(code, code)
    uri = help_uri(code, project_url)
    link = uri or (f"{DOCS}#{anchor(code)}" if code in CODES else DOCS)
    rule: dict[str, Any] = {
        "id": code,
        "shortDescription": {"text": title},
        "help": {
            "text": f"{code}: {title}. A broken and a fixed example: {link}",
            "markdown": f"**{code}: {title}.** A broken and a fixed example: [{DOCS}, {code}]({link})",
        },
    }
    if uri is not None:
        rule["helpUri"] = uri
    return rule


def artifact_location(path: str) -> dict:
    """A file as SARIF names it: relative paths under %SRCROOT%, absolute ones as `file:` URIs."""
    pure = PurePath(path)
    if pure.is_absolute():
        return {"uri": pure.as_uri()}
    return {"uri": quote(pure.as_posix(), safe="/!$&'()*+,;=@~-._"), "uriBaseId": SRCROOT}


def region(span: Span) -> dict:
    # Lines and columns only: `start`/`end` count characters after line endings are made `\n`,
    # which are not the file's own offsets when it has `\r\n`.
    return {"startLine": span.line, "startColumn": span.column, "endLine": span.end_line, "endColumn": span.end_column}


def physical(span: Optional[Span], path: Optional[str]) -> Optional[dict]:
    if span is not None:
        return {"artifactLocation": artifact_location(span.file), "region": region(span)}
    if path:
        return {"artifactLocation": artifact_location(path)}
    return None


def sarif_result(diagnostic: Diagnostic, path: Optional[str], rule_index: dict[str, int]) -> dict:
    result: dict[str, Any] = {
        "ruleId": diagnostic.code,
        "ruleIndex": rule_index[diagnostic.code],
        "level": diagnostic.severity.value,  # error, warning, note: SARIF's own words
        "message": {"text": "\n".join([diagnostic.message, *details(diagnostic)])},
    }
    place = physical(diagnostic.span, path)
    if place is not None:
        location: dict[str, Any] = {"physicalLocation": place}
        if diagnostic.label and diagnostic.span is not None:
            location["message"] = {"text": diagnostic.label}
        result["locations"] = [location]
    if diagnostic.related:
        related = []
        for number, label in enumerate(diagnostic.related, start=1):
            entry: dict[str, Any] = {"id": number, "message": {"text": label.message}}
            if label.span is not None:
                entry["physicalLocation"] = physical(label.span, None)
            related.append(entry)
        result["relatedLocations"] = related
    properties: dict[str, Any] = {}
    if diagnostic.clause:
        properties["clause"] = diagnostic.clause
    if diagnostic.counterexample:  # its `shows` is a note already; the data file is here only
        properties["counterexample"] = dict(diagnostic.counterexample)
    if properties:
        result["properties"] = properties
    return result


def sarif_notification(problem: Diagnostic, index: dict[str, int]) -> dict:
    return {
        "descriptor": {"id": problem.code, "index": index[problem.code]},
        "level": problem.severity.value,
        "message": {"text": "\n".join([problem.message, *details(problem)])},
    }


def sarif_log(results: Iterable, version: Optional[str] = None, problems: Iterable[Diagnostic] = (),
              project_url: Optional[str] = None) -> dict:
    """The SARIF log as a JSON-ready dict (see `sarif`)."""
    if version is None:
        from . import __version__ as version
    if project_url is None:
        project_url = PROJECT_URL
    found = list(items(results))
    problems = list(problems)
    codes = sorted({diagnostic.code for diagnostic, _, _ in found})
    rule_index = {code: index for index, code in enumerate(codes)}
    driver: dict[str, Any] = {"name": "obcdsl", "version": version, "semanticVersion": version}
    if project_url:
        driver["informationUri"] = project_url
    driver["rules"] = [sarif_rule(code, project_url) for code in codes]
    run: dict[str, Any] = {"tool": {"driver": driver}}
    if problems:
        # A path that does not exist has no file to be a result's location (GitHub code scanning refuses
        # a whole log with one result without a location): SARIF's place for it is the invocation.
        notice_codes = sorted({problem.code for problem in problems})
        notice_index = {code: index for index, code in enumerate(notice_codes)}
        driver["notifications"] = [sarif_rule(code, project_url) for code in notice_codes]
        run["invocations"] = [{
            "executionSuccessful": not any(problem.is_error for problem in problems),
            "toolExecutionNotifications": [sarif_notification(problem, notice_index) for problem in problems],
        }]
    run["columnKind"] = "unicodeCodePoints"  # columns count characters, as Python strings do
    run["results"] = [sarif_result(diagnostic, path, rule_index) for diagnostic, path, _ in found]
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def sarif(results: Iterable, version: Optional[str] = None, problems: Iterable[Diagnostic] = (),
          project_url: Optional[str] = None) -> str:
    """`--format sarif`: one SARIF 2.1.0 log, one run, a rule for each code that appears.

    Every result has a location: its span, or for a file that cannot be read the file. Path
    problems (a path that does not exist) are the invocation's tool execution notifications.
    `version` is obcdsl's (`obcdsl.__version__` unless given); `project_url` is where
    `informationUri` and each rule's `helpUri` point (`PROJECT_URL` unless given).
    """
    return json.dumps(sarif_log(results, version, problems, project_url), indent=2, ensure_ascii=False) + "\n"


# --- JUnit XML ----------------------------------------------------------------------------

# Characters XML 1.0 does not allow at all, even escaped; ElementTree would write them as they are.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_text(text: str) -> str:
    return NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", text)


def rendered(diagnostic: Diagnostic, source: Optional[SourceFile]) -> str:
    """What `obcdsl check` prints for the diagnostic, without colour."""
    return xml_text(render_text(diagnostic, source).plain)


def junit_suite(parent: ET.Element, name: str, file: Optional[str], found: list[tuple[Diagnostic, Optional[SourceFile]]]) -> int:
    """A suite of one test case, failed by each error, with warnings and notes in system-out; 1 if it failed."""
    errors = [(d, source) for d, source in found if d.is_error]
    others = [(d, source) for d, source in found if not d.is_error]
    failed = 1 if errors else 0
    suite = ET.SubElement(parent, "testsuite", name=xml_text(name), tests="1", failures=str(failed),
                          errors="0", skipped="0")
    case = ET.SubElement(suite, "testcase", name=xml_text(name), classname="obcdsl.check")
    if file is not None:
        case.set("file", xml_text(file))
    for diagnostic, source in errors:
        failure = ET.SubElement(case, "failure", message=xml_text(f"{diagnostic.code}: {diagnostic.message}"),
                                type=diagnostic.code)
        failure.text = rendered(diagnostic, source)
    if others:
        ET.SubElement(case, "system-out").text = "\n".join(rendered(diagnostic, source) for diagnostic, source in others)
    return failed


def junit(results: Iterable, problems: Iterable[Diagnostic] = ()) -> str:
    """`--format junit`: JUnit XML, a test suite and a test case for each contract file.

    A file's test case passes when it has no error; each error is a `failure` element
    holding the diagnostic as `obcdsl check` prints it. Warnings go in `system-out`.
    Path problems (a path that does not exist) make a suite of their own named `paths`.
    `failures` counts failed test cases, as JUnit does: a file with three errors is one.
    """
    root = ET.Element("testsuites", name="obcdsl check")
    tests = failures = 0
    problems = list(problems)
    if problems:
        failures += junit_suite(root, "paths", None, [(problem, None) for problem in problems])
        tests += 1
    for result in results:
        failures += junit_suite(root, result.path, result.path, [(d, result.source) for d in result.diagnostics])
        tests += 1
    root.set("tests", str(tests))
    root.set("failures", str(failures))
    root.set("errors", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
