"""Diagnostics: what the checker says about a contract, and the stable codes.

Every stage (reading, parsing, building the AST, each check family) returns
a list of `Diagnostic` values; nothing raises for a problem in the contract.
`obcdsl.render` turns them into text for people or JSON for tools.
"""

from __future__ import annotations

import enum
import difflib
from typing import Any, Iterable

import attrs

from .source import Span


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


# Every code the checker can emit, with a one-line title. docs/diagnostics.md
# has a page section for each; a test keeps the two in step.
CODES: dict[str, str] = {
    # reading and syntax
    "OBC001": "file cannot be read",
    "OBC002": "file is not UTF-8 text",
    "OBC003": "file is too large",
    "OBC101": "unexpected character",
    "OBC102": "unexpected word or symbol",
    "OBC103": "contract ends too early",
    "OBC104": "expression nested too deeply",
    "OBC105": "number written in a form that cannot be read",
    # names
    "OBC201": "unknown name",
    "OBC202": "name declared twice",
    "OBC203": "required item missing",
    "OBC204": "item stated twice",
    "OBC205": "name used in the wrong place",
    "OBC206": "expression of the wrong kind, or measured in terms of itself",
    # weights, shares and percentages
    "OBC301": "outcome weights do not add up to their total",
    "OBC302": "indicator weights do not add up to 100% of their outcome",
    "OBC303": "percentage outside 0% to 100%",
    "OBC304": "payment shares in a year add up to more than the pot",
    "OBC305": "weights mix points and percentages",
    "OBC381": "a scaling factor can raise a payment above its allocation",
    "OBC382": "total payment can exceed the contract's ceiling",
    "OBC383": "a party's share of a loss can exceed its cap",
    "OBC384": "a payment can fall when an indicator improves",
    # thresholds and bands
    "OBC401": "bands overlap",
    "OBC402": "bands leave a gap",
    "OBC403": "bands are not in order of performance",
    "OBC404": "a better band pays less",
    "OBC405": "band has no payment share",
    "OBC406": "sliding scale runs the wrong way",
    "OBC407": "indicator has no payment rule",
    "OBC408": "comparison word runs against the indicator's direction",
    "OBC409": "band share given for an unknown band",
    "OBC410": "comparison word reads the other way aloud",
    "OBC411": "negative threshold on an indicator that is never negative",
    "OBC412": "a rule's thresholds compare with different values",
    "OBC413": "last year's value is not available",
    # years, term and phasing
    "OBC501": "year outside the contract term",
    "OBC502": "indicator linked to payment before its data is available",
    "OBC503": "phases overlap",
    "OBC504": "year not covered by any phase",
    "OBC505": "year range runs backwards",
    "OBC506": "bonus waits on outcomes not yet linked to payment",
    "OBC507": "term longer than obcdsl computes",
    # payment components
    "OBC601": "payment components do not add up to the budget",
    "OBC602": "the contract needs a budget and has none",
    "OBC603": "risk share within the budget but no reserve",
    "OBC604": "budget stated twice",
    "OBC605": "budget grows beyond what can be computed exactly",
    "OBC606": "the pot's points differ from the outcomes' points",
    "OBC607": "a carve-out's destination is missing or carved out twice",
    "OBC608": "a pot on top of the budget with no budget",
    "OBC609": "deductions can take more than the core",
    "OBC610": "a floor on the total payment above its ceiling",
    # activity
    "OBC620": "an activity item states no way to be paid",
    "OBC621": "a share of a plan the activity item does not state",
    "OBC622": "an activity ceiling below its threshold",
    "OBC623": "a marginal rate above 100% of the price",
    "OBC624": "an activity collar above its plan, threshold or ceiling",
    "OBC625": "an activity threshold below the plan",
    "OBC626": "an activity item's years outside the contract term",
    "OBC627": "an activity ceiling that changes nothing",
    # risk share
    "OBC701": "risk-share bands leave a gap",
    "OBC702": "risk-share bands overlap",
    "OBC703": "provider and commissioner split does not add up to 100%",
    "OBC704": "negative cap or limit",
    "OBC705": "stop-loss limit below its threshold",
    "OBC706": "floor above cap",
    "OBC707": "both parties capped on the same side",
    "OBC708": "terms for the unshared variance without a minimum variance",
    "OBC709": "`when` sharing tables that may all fail, with no one named to take the variance",
    "OBC710": "a share of a measure where an amount known before the data is needed",
    # distribution
    "OBC801": "subcontractor shares add up to more than 100%",
    "OBC802": "commissioners' contributions or shares do not add up to 100%",
    # data
    "OBC901": "data file cannot be read",
    "OBC902": "data file lacks a column",
    "OBC903": "value is not a number",
    "OBC904": "denominator is zero",
    "OBC905": "row given twice",
    "OBC906": "unknown indicator or measure",
    "OBC907": "percentage outside 0% to 100%",
    "OBC908": "negative value where none can be",
    "OBC909": "year outside the contract term",
    "OBC910": "no data for an indicator linked to payment",
    "OBC911": "segment does not fit the indicator",
    "OBC912": "row gives no value, or two",
    "OBC913": "no baseline for a relative threshold",
    "OBC914": "no actual cost for the risk share",
    "OBC915": "a value cannot be computed",
    "OBC916": "simulation spec cannot be used",
    "OBC917": "number whose decimal mark is ambiguous",
    "OBC918": "bare number in a percentage is ambiguous",
    "OBC920": "no volume for an activity item in force",
    "OBC921": "negative activity volume",
    "OBC922": "activity volume that is not a whole number",
    "OBC923": "activity volume given for a baseline or a segment",
    "OBC924": "activity volume given where none is read",
    "OBC925": "activity volume too large to pay exactly",
}


@attrs.frozen
class Label:
    """A secondary span with a short remark, shown under the source line."""

    # None only when the checks are given an AST built in code (`obcdsl.testing`) rather than read from a file:
    # the builder gives every node it makes a span. A label is shown only beside a diagnostic that has a span.
    span: Span | None
    message: str

    @property
    def place(self) -> Span:
        """The span, for a label of a contract read from a file (where every node has one)."""
        assert self.span is not None, "a label without a span: the contract was not read from a file"
        return self.span


@attrs.frozen
class Fix:
    """A text edit that resolves a diagnostic, offered by editors as a quick fix.

    `title` says what it does in the reader's words: "change `crisis_responce` to `crisis_response`".
    """

    title: str
    span: Span
    replacement: str

    def to_dict(self) -> dict:
        return {"title": self.title, "span": self.span.to_dict(), "replacement": self.replacement}


@attrs.frozen
class Diagnostic:
    """One finding: a stable code, a severity, a message and where."""

    code: str
    severity: Severity
    message: str
    span: Span | None
    label: str = ""
    notes: tuple[str, ...] = ()
    help: str = ""
    related: tuple[Label, ...] = ()
    clause: str | None = None
    counterexample: dict | None = attrs.field(default=None, eq=False)  # {"year": N, "csv": "...", "shows": "..."}
    fixes: tuple[Fix, ...] = ()

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def to_dict(self) -> dict:
        out: dict[str, Any] = {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "span": self.span.to_dict() if self.span else None,
        }
        if self.label:
            out["label"] = self.label
        if self.notes:
            out["notes"] = list(self.notes)
        if self.help:
            out["help"] = self.help
        if self.clause:
            out["clause"] = self.clause
        if self.counterexample:
            out["counterexample"] = dict(self.counterexample)
        if self.fixes:
            out["fixes"] = [fix.to_dict() for fix in self.fixes]
        if self.related:
            out["related"] = [
                {"span": r.place.to_dict(), "message": r.message} for r in self.related
            ]
        return out


def error(code: str, message: str, span: Span | None, **kw) -> Diagnostic:
    assert code in CODES, code
    return Diagnostic(code, Severity.ERROR, message, span, **kw)


def warning(code: str, message: str, span: Span | None, **kw) -> Diagnostic:
    assert code in CODES, code
    return Diagnostic(code, Severity.WARNING, message, span, **kw)


def nearest(name: str, candidates: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The known name nearest to a misspelt one, if any is near enough (`cutoff`: how near, from 0 to 1)."""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=cutoff)
    return close[0] if close else None


def did_you_mean(name: str, candidates: Iterable[str], cutoff: float = 0.6) -> str:
    """A `help` text suggesting the nearest known name, or nothing."""
    close = nearest(name, candidates, cutoff)
    return f"did you mean `{close}`?" if close else ""


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.is_error for d in diagnostics)


def sort_key(diagnostic: Diagnostic):
    span = diagnostic.span
    if span is None:
        return ("", 0, 0, diagnostic.code)
    return (span.file, span.start, span.end, diagnostic.code)
