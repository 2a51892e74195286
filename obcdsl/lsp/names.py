"""Where each name of a contract is declared and used: the index behind navigation, rename and colours.

Indicators, outcomes, bonuses, segments, subcontractors and phases are named
once in a contract and used by name elsewhere. Their declarations and uses
are read from the AST's spans, so the index knows what each name is; for a
text that does not parse, the names the last good text declared are found
again by the forgiving scanner (`obcdsl.lsp.lexemes`).
"""

from __future__ import annotations

import bisect
import re
from typing import Iterable, Iterator, Optional

import attrs

from .. import ast, model
from ..source import Span
from .lexemes import NAME, Lexeme, keywords

KINDS = ("indicator", "outcome", "bonus", "segment", "subcontractor", "phase", "measure", "activity item")
PHASE_NAME = re.compile(r"phase\s+([a-z_][a-z0-9_]*)", re.IGNORECASE)


@attrs.frozen
class Occurrence:
    """A name where it is written: declared there, or used. `kind` is None for a name nothing declares."""

    name: str
    kind: Optional[str]  # one of KINDS, or "band"
    declaration: bool
    start: int
    end: int
    owner: Optional[str] = None  # a band's indicator


@attrs.frozen
class NameIndex:
    """Every occurrence of a name in one text, in order, and what each declared name is."""

    occurrences: tuple[Occurrence, ...] = ()
    kinds: dict[str, str] = attrs.field(factory=dict, eq=False)

    def at(self, offset: int) -> Optional[Occurrence]:
        """The occurrence under the cursor (a cursor just after a name is still on it)."""
        index = bisect.bisect_right([o.start for o in self.occurrences], offset) - 1
        if index >= 0 and self.occurrences[index].start <= offset <= self.occurrences[index].end:
            return self.occurrences[index]
        return None

    def uses(self, occurrence: Occurrence) -> list[Occurrence]:
        """Every occurrence of the same name: for a band, within its indicator only."""
        if occurrence.kind == "band":
            return [o for o in self.occurrences if o.kind == "band" and o.name == occurrence.name and o.owner == occurrence.owner]
        return [o for o in self.occurrences if o.kind != "band" and o.name == occurrence.name]

    def declaration(self, occurrence: Occurrence) -> Optional[Occurrence]:
        return next((o for o in self.uses(occurrence) if o.declaration), None)


def from_contract(contract: ast.Contract, text: str) -> NameIndex:
    """The index of a text from the contract built from it."""
    kinds: dict[str, str] = {}
    found: list[Occurrence] = []

    def add(name: str, kind: Optional[str], declaration: bool, start: int, owner: Optional[str] = None) -> None:
        end = start + len(name)
        if text[start:end] == name:  # a span that does not hold the name is never edited
            found.append(Occurrence(name, kind, declaration, start, end, owner))

    for kind, node in declared(contract):
        kinds.setdefault(node.name, kind)
        if node.name_span is not None:
            add(node.name, kind, True, node.name_span.start)
    for phase in contract.phases:
        match = PHASE_NAME.match(text, phase.span.start) if phase.span is not None else None
        if match is not None and match.group(1) == phase.name:
            kinds.setdefault(phase.name, "phase")
            add(phase.name, "phase", True, match.start(1))
    for name, span, band_name in references(contract):
        if span is None:
            continue
        add(name, kinds.get(name), False, span.start)
        if band_name is not None:
            add(band_name, "band", False, span.end - len(band_name), owner=name)
    for indicator in contract.all_indicators:
        for _, rule in model.indicator_rules(indicator):
            if isinstance(rule, ast.Bands):
                for band in rule.bands:
                    if band.name_span is not None:
                        add(band.name, "band", True, band.name_span.start, owner=indicator.name)
    for phase in contract.phases:
        for shares in phase.shares:
            for share in shares.shares:
                if share.span is not None:
                    add(share.band, "band", False, share.span.start, owner=shares.indicator)
    unique = {(o.start, o.end): o for o in found}
    return NameIndex(tuple(sorted(unique.values(), key=lambda o: o.start)), kinds)


def declared(contract: ast.Contract) -> Iterator[tuple[str, ast.Subcontractor | ast.Segment | ast.Outcome | ast.Indicator | ast.Bonus
                                                     | ast.Measure | ast.ActivityItem]]:
    if contract.header is not None:
        for subcontractor in contract.header.subcontractors:
            yield "subcontractor", subcontractor
    for segment in contract.segments:
        yield "segment", segment
    for outcome in contract.all_outcomes:
        yield "outcome", outcome
        for indicator in outcome.indicators:
            yield "indicator", indicator
    for bonus in contract.all_bonuses:
        yield "bonus", bonus
    for measure in contract.all_measures:
        yield "measure", measure
    for item in contract.all_activity:  # named by the data's rows, not by other terms: declared, never used
        yield "activity item", item


def references(contract: ast.Contract) -> Iterator[tuple[str, Optional[Span], Optional[str]]]:
    """(name, span starting with it, band named at the span's end) for every use of a name."""
    for expression, _ in model.contract_expressions(contract):
        for node in model.iter_subexpressions(expression):
            if isinstance(node, (ast.Reference, ast.Achieved)):
                yield node.name, node.span, None
            elif isinstance(node, ast.CountAchieved):
                yield from ((name, span, None) for name, span in zip(node.names, node.name_spans))
            elif isinstance(node, ast.Reached):
                yield node.name, node.span, node.band
    for phase in contract.phases:
        for link in phase.links:
            if link.name is not None:
                yield link.name, link.span, None
        for shares in phase.shares:
            yield shares.indicator, shares.indicator_span, None
        for restated in phase.weights.weights if phase.weights is not None else ():
            yield restated.name, restated.name_span, None
    for indicator in contract.all_indicators:
        for rule in indicator.segment_rules:
            yield rule.segment, rule.segment_span, None
        for _, any_rule in model.indicator_rules(indicator):  # `at least 2 points above england_average`: a measure
            for value in model.rule_threshold_values(any_rule):
                if value.reference not in (None, "last year"):
                    yield value.reference, value.reference_span, None
    if contract.distribution is not None:
        for line in contract.distribution.shares:
            yield line.subcontractor, line.name_span, None


# the words that declare a name of each kind, for finding declarations in a text that does not parse
DECLARING = {"indicator": "indicator", "outcome": "outcome", "bonus": "bonus", "segment": "segment",
             "subcontractor": "subcontractor", "phase": "phase", "measure": "measure", "activity item": "item"}


def from_lexemes(lexemes: Iterable[Lexeme], kinds: dict[str, str]) -> NameIndex:
    """The index of a text that does not parse: the names a good text declared, wherever they are written."""
    found = []
    previous: list[str] = ["", ""]
    for lexeme in lexemes:
        kind = kinds.get(lexeme.text) if lexeme.kind in ("word", "keyword") else None
        if kind is not None:
            declaration = previous[-1] == DECLARING[kind] and not (kind == "segment" and previous[-2] == "in")
            found.append(Occurrence(lexeme.text, kind, declaration, lexeme.start, lexeme.end))
        previous = [previous[-1], lexeme.text.lower()]
    return NameIndex(tuple(found), dict(kinds))


def rename_problem(index: NameIndex, occurrence: Occurrence, new_name: str) -> Optional[str]:
    """Why `new_name` cannot replace the name, or None when it can."""
    if occurrence.kind not in KINDS:
        return f"`{occurrence.name}` is not declared in this contract, so it cannot be renamed here"
    if not NAME.fullmatch(new_name):
        return f"`{new_name}` is not a name: a name is a letter or `_` followed by letters, digits and `_`, such as `crisis_response`"
    if new_name.lower() in keywords():
        return f"`{new_name}` is a word of the language; choose another name, such as `{new_name.lower()}_1`"
    if new_name == occurrence.name:
        return None
    taken = next((name for name in index.kinds if name.lower() == new_name.lower() and name != occurrence.name), None)
    if taken is not None:
        return f"`{new_name}` is already the name of {index.kinds[taken]} `{taken}`"
    return None
