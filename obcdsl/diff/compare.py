"""Two versions of a contract compared: their clauses, each year's payment bounds, and given data, each statement line.

Money is exact `Decimal` pounds throughout; a change is new less old.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Optional, Sequence

import attrs

from ..bounds import Range, YearBounds
from ..money import ZERO, json_money
from ..statement import Statement
from .clauses import ClauseChange


def money_or_none(amount: Optional[Decimal]) -> Optional[str]:
    return None if amount is None else json_money(amount)


@attrs.frozen
class Change:
    """An amount before and after; None where it does not exist (no line, no limit)."""

    old: Optional[Decimal]
    new: Optional[Decimal]

    @property
    def change(self) -> Optional[Decimal]:
        """New less old; a line present on one side only counts as nothing on the other; None beside no limit."""
        if self.old is None and self.new is None:
            return None
        return (self.new if self.new is not None else ZERO) - (self.old if self.old is not None else ZERO)

    @property
    def changed(self) -> bool:
        return self.old != self.new

    def to_dict(self) -> dict:
        return {"old": money_or_none(self.old), "new": money_or_none(self.new), "change": money_or_none(self.change)}


@attrs.frozen
class Limit(Change):
    """A bound that may not exist: None is without limit, so a change beside it is unknown."""

    @property
    def change(self) -> Optional[Decimal]:
        return None if self.old is None or self.new is None else self.new - self.old


@attrs.frozen
class BoundsChange:
    """A year's least and most total payment to the lead provider, from each contract alone (None: not a year of it)."""

    year: int
    old: Optional[Range]
    new: Optional[Range]

    @property
    def least(self) -> Limit:
        return Limit(self.old.least if self.old else None, self.new.least if self.new else None)

    @property
    def most(self) -> Limit:
        return Limit(self.old.most if self.old else None, self.new.most if self.new else None)

    @property
    def changed(self) -> bool:
        return self.old != self.new

    def to_dict(self) -> dict:
        return {"year": self.year, "in_old": self.old is not None, "in_new": self.new is not None,
                "least": self.least.to_dict(), "most": self.most.to_dict()}


@attrs.frozen
class LineChange:
    """One statement line in both statements (`kind` and `name` match it), and its change in pounds."""

    kind: str
    name: str
    title: str
    clause: Optional[str]
    amount: Change

    def to_dict(self) -> dict:
        return {"kind": self.kind, "name": self.name, "title": self.title, "clause": self.clause, **self.amount.to_dict()}


@attrs.frozen
class YearChange:
    """A year evaluated by both contracts on the same data."""

    year: int
    lines: tuple[LineChange, ...]
    totals: tuple[tuple[str, str, Change], ...]  # (key, label, change), as `Statement.totals`
    distribution: tuple[tuple[str, str, Change], ...]  # (party, title, total)

    def total(self, key: str) -> Change:
        return next(change for name, _, change in self.totals if name == key)

    @property
    def changed(self) -> bool:
        return any(x.amount.changed for x in self.lines) or any(c.changed for _, _, c in self.totals + self.distribution)

    def to_dict(self) -> dict:
        return {
            "year": self.year,
            "lines": [line.to_dict() for line in self.lines],
            "totals": [{"name": key, "label": label, **change.to_dict()} for key, label, change in self.totals],
            "distribution": [{"party": party, "title": title, **change.to_dict()} for party, title, change in self.distribution],
            "total_to_provider": self.total("total_to_provider").to_dict(),
            "commissioner_cost": self.total("commissioner_cost").to_dict(),
        }


@attrs.frozen
class ContractDiff:
    """Everything `obcdsl diff` reports."""

    old_path: str
    new_path: str
    old_name: str
    new_name: str
    clauses: tuple[ClauseChange, ...]
    bounds: tuple[BoundsChange, ...]
    years: tuple[YearChange, ...] = ()
    data: Optional[str] = None

    @property
    def equal(self) -> bool:
        return not self.clauses and not any(b.changed for b in self.bounds) and not any(y.changed for y in self.years)

    def to_dict(self) -> dict:
        return {
            "version": 1,
            "old": {"path": self.old_path, "contract": self.old_name},
            "new": {"path": self.new_path, "contract": self.new_name},
            "data": self.data,
            "equal": self.equal,
            "clauses": [change.to_dict() for change in self.clauses],
            "bounds": [b.to_dict() for b in self.bounds],
            "years": [y.to_dict() for y in self.years],
        }


def bounds_changes(old: Sequence[YearBounds], new: Sequence[YearBounds], years: Optional[Sequence[int]] = None) -> tuple[BoundsChange, ...]:
    """Each year's total bounds in both contracts (the years of either term, or those asked for)."""
    old_by_year = {b.year: b.total for b in old}
    new_by_year = {b.year: b.total for b in new}
    wanted = years if years is not None else sorted(old_by_year.keys() | new_by_year.keys())
    return tuple(BoundsChange(year, old_by_year.get(year), new_by_year.get(year)) for year in wanted)


def year_change(old: Statement, new: Statement) -> YearChange:
    """Line by line, matched by kind and name (in the new statement's order, lines gone after), then the totals."""
    old_lines = {(line.kind, line.name): line for line in old.lines}
    new_lines = {(line.kind, line.name): line for line in new.lines}
    lines = []
    for key in list(new_lines) + [k for k in old_lines if k not in new_lines]:
        before, after = old_lines.get(key), new_lines.get(key)
        shown = after or before
        assert shown is not None  # the key came from one of the two
        if shown.kind == "measure":
            continue  # pays nothing in either
        lines.append(LineChange(shown.kind, shown.name, shown.title, shown.clause,
                                Change(before.amount if before else None, after.amount if after else None)))
    old_totals = {key: amount for key, _, amount in old.totals()}
    totals = tuple((key, label, Change(old_totals.get(key), amount)) for key, label, amount in new.totals())
    totals += tuple((key, label, Change(amount, None)) for key, label, amount in old.totals()
                    if key not in {k for k, _, _ in new.totals()})
    old_parties = {share.party: share for share in old.distribution}
    new_parties = {share.party: share for share in new.distribution}
    distribution = []
    for party in list(new_parties) + [p for p in old_parties if p not in new_parties]:
        before_share, after_share = old_parties.get(party), new_parties.get(party)
        shown_share = after_share or before_share
        assert shown_share is not None  # the party came from one of the two
        distribution.append((party, shown_share.title, Change(before_share.total if before_share else None,
                                                  after_share.total if after_share else None)))
    return YearChange(new.year, tuple(lines), totals, tuple(distribution))
