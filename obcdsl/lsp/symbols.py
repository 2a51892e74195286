"""The outline of a contract: its sections, outcomes > indicators > bands, bonuses, phases, segments,
the risk share and the distribution."""

from __future__ import annotations

from typing import Optional

from lsprotocol import types

from .. import ast
from ..format import percent
from ..source import Span
from .positions import LineIndex

Kind = types.SymbolKind


class Outline:
    def __init__(self, lines: LineIndex):
        self.lines = lines

    def symbol(self, name: str, kind: types.SymbolKind, span: Optional[Span], detail: str = "",
               children: Optional[list] = None, name_span: Optional[Span] = None) -> Optional[types.DocumentSymbol]:
        if span is None:
            return None
        whole = self.lines.range(span)
        chosen = self.lines.range(name_span) if name_span is not None else types.Range(whole.start, whole.start)
        kept = [child for child in children or [] if child is not None]
        return types.DocumentSymbol(name=name, kind=kind, range=whole, selection_range=chosen, detail=detail or None,
                                    children=kept or None)


def document_symbols(contract: ast.Contract, lines: LineIndex) -> list[types.DocumentSymbol]:
    """The contract's sections, in the order written, each with what it holds."""
    out = Outline(lines)
    found = []
    header = contract.header
    if header is not None:
        found.append(out.symbol("contract", Kind.Module, header.span, header.name, [
            out.symbol(s.name, Kind.Class, s.span, s.title, name_span=s.name_span) for s in header.subcontractors
        ]))
    if contract.population is not None:
        found.append(out.symbol("population", Kind.Namespace, contract.population.span, "", [
            out.symbol(s.name, Kind.Struct, s.span, s.title, name_span=s.name_span) for s in contract.population.segments
        ]))
    if contract.budget is not None:
        found.append(out.symbol("budget", Kind.Namespace, contract.budget.span))
    if contract.payments is not None:
        found.append(out.symbol("payments", Kind.Namespace, contract.payments.span))
    if contract.outcomes is not None:
        children = [outcome_symbol(out, o) for o in contract.outcomes.outcomes]
        children += [out.symbol(b.name, Kind.Event, b.span, b.title, name_span=b.name_span) for b in contract.outcomes.bonuses]
        found.append(out.symbol("outcomes", Kind.Namespace, contract.outcomes.span, "", children))
    if contract.phasing is not None:
        found.append(out.symbol("phasing", Kind.Namespace, contract.phasing.span, "", [
            out.symbol(p.name, Kind.Enum, p.span, year_range(p)) for p in contract.phasing.phases
        ]))
    if contract.risk_share is not None:
        found.append(risk_symbol(out, contract.risk_share))
    if contract.distribution is not None:
        found.append(out.symbol("distribution", Kind.Namespace, contract.distribution.span, "", [
            out.symbol(s.subcontractor, Kind.Field, s.span, " and ".join(f"{percent(p.share)} of {p.component}" for p in s.parts),
                       name_span=s.name_span)
            for s in contract.distribution.shares
        ]))
    if contract.activity is not None:
        found.append(out.symbol("activity", Kind.Namespace, contract.activity.span, "", [
            out.symbol(i.name, Kind.Field, i.span, i.title, name_span=i.name_span) for i in contract.activity.items
        ]))
    if contract.measures is not None:
        found.append(out.symbol("measures", Kind.Namespace, contract.measures.span, "", [
            out.symbol(m.name, Kind.Variable, m.span, m.title, name_span=m.name_span) for m in contract.measures.measures
        ]))
    return [symbol for symbol in found if symbol is not None]


def outcome_symbol(out: Outline, outcome: ast.Outcome) -> Optional[types.DocumentSymbol]:
    indicators = []
    for indicator in outcome.indicators:
        rules = [indicator.rule] if indicator.rule is not None else []
        rules += [r.rule for r in indicator.segment_rules]
        bands = [out.symbol(b.name, Kind.EnumMember, b.span, band_detail(b), name_span=b.name_span)
                 for rule in rules if isinstance(rule, ast.Bands) for b in rule.bands]
        indicators.append(out.symbol(indicator.name, Kind.Variable, indicator.span, indicator.title, bands, indicator.name_span))
    return out.symbol(outcome.name, Kind.Object, outcome.span, outcome.title, indicators, outcome.name_span)


def band_detail(band: ast.Band) -> str:
    return f"pays {percent(band.share)}" if band.share is not None else ""


def year_range(phase: ast.Phase) -> str:
    if phase.last_year is None:
        return f"from year {phase.first_year}"
    if phase.last_year == phase.first_year:
        return f"year {phase.first_year}"
    return f"years {phase.first_year} to {phase.last_year}"


def risk_symbol(out: Outline, risk: ast.RiskShare) -> Optional[types.DocumentSymbol]:
    children = []
    if risk.gains:
        children.append(out.symbol("gains", Kind.Array, risk.gains_span, f"{len(risk.gains)} bands"))
    if risk.losses:
        children.append(out.symbol("losses", Kind.Array, risk.losses_span, f"{len(risk.losses)} bands"))
    for limit in risk.limits:
        children.append(out.symbol(f"{limit.party} {limit.exposure}", Kind.Constant, limit.span, "at most" if limit.kind == "cap" else "at least"))
    if risk.stop_loss is not None:
        children.append(out.symbol("stop-loss", Kind.Constant, risk.stop_loss.span))
    return out.symbol("risk share", Kind.Namespace, risk.span, risk.placement or "", children)
