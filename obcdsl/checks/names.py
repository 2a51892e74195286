"""Names: duplicates, unknown references, and the items every contract needs."""

from __future__ import annotations

from typing import Any

from .. import ast, model
from .. import diagnostics as d
from ..diagnostics import Diagnostic, Fix, Label
from ..expressions import readable
from ..source import Span


def check(contract: ast.Contract) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    found += required_items(contract)
    found += duplicates(contract)
    found += references(contract)
    return found


def required_items(contract: ast.Contract) -> list[Diagnostic]:
    found = []
    header = contract.header
    if header is None:
        found.append(
            d.error(
                "OBC203",
                "the file has no `contract` section",
                Span(contract.span.file, 0, 0, 1, 1, 1, 1) if contract.span else None,
                help='start the file with `contract "Name" ... end`, naming the parties and the term',
            )
        )
        return found
    for key, words, example in (
        ("commissioner", "commissioner", 'commissioner "Oxfordshire CCG"'),
        ("lead_provider", "lead provider", 'lead provider "Oxford Health NHS Foundation Trust"'),
        ("term", "term", "term 5 years from 2015/16"),
    ):
        if getattr(header, key) is None and not (key == "commissioner" and header.commissioners is not None):
            found.append(
                d.error(
                    "OBC203",
                    f"the contract does not name its {words}",
                    header.span,
                    label=f"no `{words}` in this section",
                    help=f"add a line such as `{example}`",
                )
            )
    if contract.outcomes is not None and contract.all_outcomes and contract.outcomes.unearned is None:
        found.append(
            d.error(
                "OBC203",
                "the contract does not say where unearned pot money goes",
                contract.outcomes.span,
                label="no `unearned pot` line in this section",
                help='add `unearned pot reinvested in "..."` or `unearned pot retained by the commissioner`',
                clause=contract.outcomes.clause,
            )
        )
    budget = contract.budget
    if budget is not None and budget.baseline is None and budget.capitation is None:
        found.append(
            d.error(
                "OBC203",
                "the budget section states neither a baseline nor a capitation rate",
                budget.span,
                help="add `baseline £35m` or `capitation £420 per head`",
                clause=budget.clause,
            )
        )
    if budget is not None and budget.capitation is not None:
        segments = contract.segments
        if not segments or any(s.people is None for s in segments):
            found.append(
                d.error(
                    "OBC203",
                    "a capitation rate needs the number of people in every segment",
                    budget.capitation_span,
                    help="give each segment of the `population` section a `people` line",
                    clause=budget.clause,
                )
            )
    for indicator in contract.all_indicators:
        if indicator.segment_rules and indicator.by_segment is None:
            found.append(
                d.error(
                    "OBC203",
                    f"indicator `{indicator.name}` has rules by segment but does not say how its allocation is shared",
                    indicator.name_span,
                    help="add `by segment, shared equally` or `by segment, shared by population`",
                    clause=indicator.clause,
                )
            )
        if model.has_rule(indicator) and indicator.direction is None:
            found.append(
                d.error(
                    "OBC203",
                    f"indicator `{indicator.name}` does not say whether higher or lower is better",
                    indicator.name_span,
                    help="add `higher is better` or `lower is better`",
                    clause=indicator.clause,
                )
            )
    return found


def duplicates(contract: ast.Contract) -> list[Diagnostic]:
    found = []
    # outcomes, indicators and bonuses share one namespace: conditions name any of them
    payable: list[tuple[str, str, object]] = []
    for outcome in contract.all_outcomes:
        payable.append(("outcome", outcome.name, outcome))
        for indicator in outcome.indicators:
            payable.append(("indicator", indicator.name, indicator))
    for bonus in contract.all_bonuses:
        payable.append(("bonus", bonus.name, bonus))
    payable += [("measure", m.name, m) for m in contract.all_measures]
    found += duplicate_names(payable)
    found += duplicate_names([("segment", s.name, s) for s in contract.segments])
    subcontractors = contract.header.subcontractors if contract.header else ()
    found += duplicate_names([("subcontractor", s.name, s) for s in subcontractors])
    if contract.distribution is not None:
        found += duplicate_names([("distribution line for", s.subcontractor, s) for s in contract.distribution.shares])
    for indicator in contract.all_indicators:
        for _, rule in model.indicator_rules(indicator):
            if isinstance(rule, ast.Bands):
                found += duplicate_names([("band", b.name, b) for b in rule.bands])
        found += duplicate_names([("rule for segment", r.segment, r) for r in indicator.segment_rules], "segment_span")
    for phase in contract.phases:
        found += duplicate_names([("shares line for", s.indicator, s) for s in phase.shares], "indicator_span")
        found += weights_stated_twice(phase)
    return found


def weights_stated_twice(phase: ast.Phase) -> list[Diagnostic]:
    """`weights carers 30% ... carers 40% end` in one phase: which weight holds is unclear."""
    found: list[Diagnostic] = []
    first: dict[str, ast.PhaseWeight] = {}
    for restated in phase.weights.weights if phase.weights is not None else ():
        earlier = first.setdefault(restated.name.lower(), restated)
        if earlier is not restated:
            found.append(d.error(
                "OBC202",
                f"the weight of `{restated.name}` is stated twice in phase `{phase.name}`",
                restated.span,
                label="stated again here",
                related=(Label(earlier.span, "first stated here"),) if earlier.span else (),
                help="keep one of the two lines",
                clause=restated.clause or (phase.weights.clause if phase.weights else None),
            ))
    return found


def duplicate_names(items, span_attr: str = "name_span") -> list[Diagnostic]:
    first: dict[str, tuple[str, Any]] = {}  # name → (kind, node): nodes of many kinds, each with a span
    found = []
    for kind, name, node in items:
        key = name.lower()
        if key in first:
            earlier_kind, earlier = first[key]
            span = getattr(node, span_attr, None) or node.span
            earlier_span = getattr(earlier, span_attr, None) or earlier.span
            found.append(
                d.error(
                    "OBC202",
                    f"`{name}` is declared twice",
                    span,
                    label=f"{kind} `{name}` declared again here",
                    related=(Label(earlier_span, f"{earlier_kind} `{name}` first declared here"),) if earlier_span else (),
                    help="give each a name of its own",
                    clause=getattr(node, "clause", None),
                )
            )
        else:
            first[key] = (kind, node)
    return found


def rename(name: str, span: Span | None, candidates) -> tuple[Fix, ...]:
    """The edit that puts the nearest known name in place of a misspelt one, where the span is the name alone."""
    close = d.nearest(name, candidates)
    if close is None or span is None or span.end - span.start != len(name):
        return ()
    return (Fix(f"change `{name}` to `{close}`", span, close),)


def unknown(name: str, what: str, span, candidates, clause=None, name_span: Span | None = None) -> Diagnostic:
    return d.error(
        "OBC201",
        f"no {what} is called `{name}`",
        span,
        label=f"unknown {what}",
        help=d.did_you_mean(name, candidates),
        clause=clause,
        fixes=rename(name, name_span or span, candidates),
    )


def phase_weight_names(contract: ast.Contract, phase: ast.Phase, weighable: list[str]) -> list[Diagnostic]:
    """Each name in a phase's `weights ... end` is an outcome, an indicator or a bonus: what a weight is given to."""
    found: list[Diagnostic] = []
    if phase.weights is None:
        return found
    measures = {m.name for m in contract.all_measures}
    for restated in phase.weights.weights:
        clause = restated.clause or phase.weights.clause
        if restated.name in weighable:
            continue
        if restated.name in measures:
            found.append(d.error("OBC205", f"`{restated.name}` is a measure, which pays nothing and so has no weight",
                                 restated.name_span, help="name an outcome, an indicator or a bonus", clause=clause))
        else:
            found.append(unknown(restated.name, "outcome, indicator or bonus", restated.name_span, weighable, clause))
    return found


def references(contract: ast.Contract) -> list[Diagnostic]:
    found = []
    indicators = {i.name: i for i in contract.all_indicators}
    outcomes = {o.name: o for o in contract.all_outcomes}
    bonuses = {b.name: b for b in contract.all_bonuses}
    segments = {s.name: s for s in contract.segments}
    subcontractors = {s.name for s in (contract.header.subcontractors if contract.header else ())}
    values = readable(contract)

    for expr, _ in model.contract_expressions(contract):
        for node in model.iter_subexpressions(expr):
            if isinstance(node, ast.Reference) and node.name not in values:
                if node.name in outcomes or node.name in bonuses:
                    found.append(
                        d.error(
                            "OBC205",
                            f"`{node.name}` is an outcome, which has no value of its own",
                            node.span,
                            help=f"write `{node.name} is achieved`, or name one of its indicators",
                        )
                    )
                else:
                    found.append(unknown(node.name, "indicator or measure", node.span, values))
            elif isinstance(node, ast.CountAchieved):
                for name, span in zip(node.names, node.name_spans):
                    if name not in indicators and name not in outcomes:
                        found.append(unknown(name, "outcome or indicator", span, list(indicators) + list(outcomes)))
            elif isinstance(node, ast.Achieved) and node.name not in indicators and node.name not in outcomes:
                found.append(unknown(node.name, "outcome or indicator", node.span, list(indicators) + list(outcomes),
                                     name_span=prefix(node.span, len(node.name))))
            elif isinstance(node, ast.Reached):
                indicator = indicators.get(node.name)
                if indicator is None:
                    found.append(unknown(node.name, "indicator", node.span, indicators, name_span=prefix(node.span, len(node.name))))
                else:
                    bands = band_names(indicator)
                    if node.band not in bands:
                        found.append(unknown(node.band, f"band of `{node.name}`", node.span, bands,
                                             name_span=suffix(node.span, len(node.band))))

    for phase in contract.phases:
        for link in phase.links:
            if link.name is not None and link.name not in indicators and link.name not in outcomes:
                found.append(unknown(link.name, "indicator or outcome", link.span, list(indicators) + list(outcomes), phase.clause))
        found += phase_weight_names(contract, phase, list(outcomes) + list(indicators) + list(bonuses))
        for shares in phase.shares:
            indicator = indicators.get(shares.indicator)
            if indicator is None:
                found.append(unknown(shares.indicator, "indicator", shares.indicator_span, indicators, shares.clause))
                continue
            bands = band_names(indicator)
            if not bands:
                found.append(
                    d.error(
                        "OBC205",
                        f"`{shares.indicator}` has no bands, so band shares cannot be given for it",
                        shares.indicator_span,
                        help="give the indicator a `bands ... end` block, or remove this line",
                        clause=shares.clause,
                    )
                )
                continue
            for share in shares.shares:
                if share.band not in bands:
                    found.append(
                        d.error(
                            "OBC409",
                            f"`{shares.indicator}` has no band called `{share.band}`",
                            share.span,
                            label="unknown band",
                            help=d.did_you_mean(share.band, bands) or f"its bands are {', '.join(f'`{b}`' for b in bands)}",
                            clause=shares.clause,
                            fixes=rename(share.band, prefix(share.span, len(share.band)), bands),
                        )
                    )

    for indicator in contract.all_indicators:
        for rule in indicator.segment_rules:
            if rule.segment not in segments:
                found.append(unknown(rule.segment, "segment", rule.segment_span, segments, indicator.clause))

    if contract.distribution is not None:
        for line in contract.distribution.shares:
            if line.subcontractor not in subcontractors:
                found.append(unknown(line.subcontractor, "subcontractor", line.name_span, subcontractors, line.clause))
    measures = {m.name: m for m in contract.all_measures}
    for terms in model.all_risk_terms(contract):
        for limit in terms.limits:
            for amount in limit.amounts:
                if amount.measure is not None and amount.measure not in measures:
                    found.append(unknown(amount.measure, "measure", amount.span, measures, limit.clause,
                                         name_span=suffix(amount.span, len(amount.measure))))
    return found


def band_names(indicator: ast.Indicator) -> list[str]:
    names: list[str] = []
    for _, rule in model.indicator_rules(indicator):
        if isinstance(rule, ast.Bands):
            names.extend(b.name for b in rule.bands if b.name not in names)
    return names


def prefix(span: Span | None, length: int) -> Span | None:
    """The first `length` characters of a span: the name that begins `live_longer is achieved`."""
    if span is None or span.end - span.start < length:
        return None
    return Span(span.file, span.start, span.start + length, span.line, span.column, span.line, span.column + length)


def suffix(span: Span | None, length: int) -> Span | None:
    """The last `length` characters of a span: the band that ends `crisis_response reached improved`."""
    if span is None or span.end - span.start < length:
        return None
    return Span(span.file, span.end - length, span.end, span.end_line, span.end_column - length, span.end_line, span.end_column)
