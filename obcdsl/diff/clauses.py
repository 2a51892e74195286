"""Clause by clause: a contract's items (sections, outcomes, indicators, ...) matched between two versions.

Items are matched by kind and name (indicator `crisis_response_4h`), and
those left over by kind and clause (a renamed indicator keeps its clause).
An item is compared on its own terms: the items it contains are compared
as items of their own, so a changed indicator does not also change its
outcome. Equality is the AST's, which ignores layout and comments.
"""

from __future__ import annotations

import textwrap
from typing import Any, Iterator, Optional

import attrs

from .. import ast
from ..source import SourceFile, Span


@attrs.frozen
class Item:
    """One item of a contract: its kind, its name ("" for a section), its own terms, and its text as written."""

    kind: str
    name: str
    clause: Optional[str]
    terms: Any = attrs.field(repr=False)  # the AST node, without the items it contains
    text: str = attrs.field(eq=False, repr=False)
    span: Optional[Span] = attrs.field(default=None, eq=False, repr=False)

    @property
    def key(self) -> tuple[str, str]:
        return self.kind, self.name

    def to_dict(self) -> dict:
        where = {"file": self.span.file, "line": self.span.line, "end_line": self.span.end_line} if self.span else {}
        return {"clause": self.clause, **where, "text": self.text}


@attrs.frozen
class ClauseChange:
    """An item added, removed or changed (`old` and `new` both present when changed)."""

    change: str  # "added" | "removed" | "changed"
    old: Optional[Item]
    new: Optional[Item]

    @property
    def item(self) -> Item:
        found = self.new or self.old
        assert found is not None  # a change has at least one side
        return found

    @property
    def renamed(self) -> bool:
        return self.old is not None and self.new is not None and self.old.name != self.new.name

    def to_dict(self) -> dict:
        return {"change": self.change, "kind": self.item.kind, "name": self.item.name, "clause": self.item.clause,
                "old_name": self.old.name if self.renamed and self.old else None,
                "old": self.old.to_dict() if self.old else None, "new": self.new.to_dict() if self.new else None}


def written(source: SourceFile, node: Any, inner: tuple = ()) -> str:
    """The lines a node was written on, less those of the items inside it, dedented."""
    span = node.span
    if span is None:
        return ""
    skip: set[int] = set()
    for child in inner:
        if child.span is not None:
            skip.update(range(max(child.span.line, span.line + 1), min(child.span.end_line, span.end_line - 1) + 1))
    lines = [source.line_text(n) for n in range(span.line, span.end_line + 1) if n not in skip]
    kept: list[str] = []
    for line in lines:  # no run of blank lines where the items inside were
        if line.strip() or (kept and kept[-1].strip()):
            kept.append(line.rstrip())
    return textwrap.dedent("\n".join(kept).strip("\n")).strip("\n")


def items(contract: ast.Contract, source: SourceFile) -> list[Item]:
    """Every item of the contract, in the order written."""
    return list(walk(contract, source))


def walk(contract: ast.Contract, source: SourceFile) -> Iterator[Item]:
    def item(kind: str, name: str, node: Any, **inner: tuple) -> Item:
        terms = attrs.evolve(node, **{field: () for field in inner})
        return Item(kind, name, getattr(node, "clause", None), terms,
                    written(source, node, tuple(x for group in inner.values() for x in group)), node.span)

    header = contract.header
    if header is not None:
        yield item("contract", "", header, subcontractors=header.subcontractors)
        for sub in header.subcontractors:
            yield item("subcontractor", sub.name, sub)
    if contract.population is not None:
        yield item("population", "", contract.population, segments=contract.population.segments)
        for segment in contract.population.segments:
            yield item("segment", segment.name, segment)
    if contract.budget is not None:
        yield item("budget", "", contract.budget)
    if contract.payments is not None:
        yield item("payments", "", contract.payments)
    if contract.activity is not None:
        yield item("activity", "", contract.activity, items=contract.activity.items)
        for paid in contract.activity.items:
            yield item("activity item", paid.name, paid)
    outcomes = contract.outcomes
    if outcomes is not None:
        yield item("outcomes", "", outcomes, outcomes=outcomes.outcomes, bonuses=outcomes.bonuses)
        for outcome in outcomes.outcomes:
            yield item("outcome", outcome.name, outcome, indicators=outcome.indicators)
            for indicator in outcome.indicators:
                yield item("indicator", indicator.name, indicator)
        for bonus in outcomes.bonuses:
            yield item("bonus", bonus.name, bonus)
    if contract.phasing is not None:
        yield item("phasing", "", contract.phasing, phases=contract.phasing.phases)
        for phase in contract.phasing.phases:
            yield item("phase", phase.name, phase)
    if contract.risk_share is not None:
        yield item("risk share", "", contract.risk_share)
    if contract.distribution is not None:
        yield item("distribution", "", contract.distribution, shares=contract.distribution.shares)
        for share in contract.distribution.shares:
            yield item("distribution share", share.subcontractor, share)


def clause_changes(old: list[Item], new: list[Item]) -> list[ClauseChange]:
    """What was added, removed or changed, in the order of the new contract (removed items where they stood)."""
    old_by_key = {x.key: x for x in old}
    new_keys = {x.key for x in new}
    pairs: dict[tuple[str, str], Item] = {x.key: old_by_key[x.key] for x in new if x.key in old_by_key}
    left_old = [x for x in old if x.key not in new_keys]
    for x in new:  # then by clause: an item renamed but kept at its clause
        if x.key in pairs or not x.clause:
            continue
        same = [o for o in left_old if o.kind == x.kind and o.clause == x.clause]
        if len(same) == 1:
            pairs[x.key] = same[0]
            left_old.remove(same[0])
    changes: list[tuple[float, ClauseChange]] = []
    position = {x.key: index for index, x in enumerate(new)}
    for index, x in enumerate(new):
        before = pairs.get(x.key)
        if before is None:
            changes.append((index, ClauseChange("added", None, x)))
        elif before.terms != x.terms or before.name != x.name:
            changes.append((index, ClauseChange("changed", before, x)))
    for index, x in enumerate(old):
        if any(x is gone for gone in left_old):
            previous = next((position[o.key] for o in reversed(old[:index]) if o.key in position), -1)
            changes.append((previous + 0.5, ClauseChange("removed", x, None)))
    return [change for _, change in sorted(changes, key=lambda pair: pair[0])]
