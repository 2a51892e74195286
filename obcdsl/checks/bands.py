"""Thresholds and bands: order, overlaps, gaps, monotone payment, sliding scales."""

from __future__ import annotations

from .. import ast, model
from .. import diagnostics as d
from ..diagnostics import Diagnostic, Label


def check(contract: ast.Contract) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    segments = [s.name for s in contract.segments]
    linked_by_year = {y: {i.name for i in model.linked_indicators(contract, y)} for y in model.contract_years(contract)}
    linked_by_name = {link.name for phase in contract.phases for link in phase.links}
    for indicator in contract.all_indicators:
        found += rule_presence(contract, indicator, segments, indicator.name in linked_by_name)
        if indicator.direction is None:
            continue
        for _, rule in model.indicator_rules(indicator):
            if isinstance(rule, ast.Bands):
                found += band_order(indicator, rule)
                found += band_payments(contract, indicator, rule, linked_by_year)
            elif isinstance(rule, ast.SlidingScale):
                found += sliding_scale(indicator, rule)
            elif isinstance(rule, ast.Target):
                found += comparator_direction(indicator, rule.threshold, rule.clause)
    return found


def rule_presence(contract: ast.Contract, indicator: ast.Indicator, segments: list[str], linked_by_name: bool) -> list[Diagnostic]:
    found = []
    if not model.has_rule(indicator) and (indicator.weight is not None or linked_by_name):
        found.append(
            d.error(
                "OBC407",
                f"indicator `{indicator.name}` is weighted or linked to payment but has no payment rule",
                indicator.name_span,
                help="add `target at least ...`, a `bands ... end` block or a `sliding scale from ... to ...`",
                clause=indicator.clause,
            )
        )
    if indicator.by_segment is not None and indicator.rule is None:
        covered = {r.segment for r in indicator.segment_rules}
        for segment in segments:
            if segment not in covered:
                found.append(
                    d.error(
                        "OBC407",
                        f"indicator `{indicator.name}` has no rule for segment `{segment}`",
                        indicator.name_span,
                        help=f"add `in segment {segment}: target ...`, or a rule for every segment",
                        clause=indicator.clause,
                    )
                )
    return found


def comparator_direction(indicator: ast.Indicator, threshold: ast.Threshold, clause) -> list[Diagnostic]:
    implied = model.comparator_direction(threshold.comparator)
    if implied is None or implied == indicator.direction:
        return []
    return [
        d.error(
            "OBC408",
            f"`{threshold.comparator}` rewards a {implied} value, but for `{indicator.name}` {indicator.direction} is better",
            threshold.span,
            label=f"`{threshold.comparator}`",
            help=("use `at most` or `below`" if indicator.direction == "lower" else "use `at least` or `above`"),
            clause=clause,
        )
    ]


def band_order(indicator: ast.Indicator, rule: ast.Bands) -> list[Diagnostic]:
    found = []
    direction = indicator.direction
    assert direction is not None  # `check` skips an indicator that does not say which direction is better
    for band in rule.bands:
        found += comparator_direction(indicator, band.threshold, band.clause or rule.clause)
    for lower, higher in zip(rule.bands, rule.bands[1:]):
        a = model.performance_key(lower.threshold.value, direction)
        b = model.performance_key(higher.threshold.value, direction)
        if a[0] != b[0]:
            continue
        if b[1] <= a[1]:
            found.append(
                d.error(
                    "OBC403",
                    f"band `{higher.name}` needs no better performance than band `{lower.name}`",
                    higher.threshold.span,
                    label=f"threshold of `{higher.name}`",
                    related=(Label(lower.threshold.span, f"threshold of `{lower.name}`"),),
                    notes=(f"for `{indicator.name}` {direction} is better; bands are listed from the lowest to the highest",),
                    help="list the bands in order of performance, each needing more than the one before",
                    clause=rule.clause,
                )
            )
            continue
        if lower.upper is None:
            continue
        end = model.performance_key(lower.upper, direction)
        if end[0] != b[0]:
            continue
        if end[1] > b[1]:
            found.append(
                d.error(
                    "OBC401",
                    f"bands `{lower.name}` and `{higher.name}` overlap",
                    lower.upper.span,
                    label=f"`{lower.name}` runs to here",
                    related=(Label(higher.threshold.span, f"`{higher.name}` starts here"),),
                    help=f"end `{lower.name}` where `{higher.name}` starts",
                    clause=rule.clause,
                )
            )
        elif end[1] < b[1]:
            found.append(
                d.error(
                    "OBC402",
                    f"bands `{lower.name}` and `{higher.name}` leave a gap",
                    lower.upper.span,
                    label=f"`{lower.name}` ends here",
                    related=(Label(higher.threshold.span, f"`{higher.name}` starts only here"),),
                    help=f"end `{lower.name}` where `{higher.name}` starts",
                    clause=rule.clause,
                )
            )
    return found


def band_payments(contract: ast.Contract, indicator: ast.Indicator, rule: ast.Bands, linked_by_year: dict) -> list[Diagnostic]:
    """Each band pays at least as much as the band below it, in every year it is linked."""
    found = []
    seen: set[tuple] = set()
    years = [y for y, names in linked_by_year.items() if indicator.name in names]
    for year in years or [None]:
        override = model.band_shares_for_year(contract, indicator, year) if year is not None else None
        shares = []
        for band, share, _, span in model.year_band_shares(contract, indicator, rule, year):
            shares.append((band, share, span))
            if share is None and year is not None and ("missing", band.name, year) not in seen:
                seen.add(("missing", band.name, year))
                found.append(
                    d.error(
                        "OBC405",
                        f"band `{band.name}` of `{indicator.name}` has no payment share in year {year}",
                        band.name_span,
                        help=f"add `pays ...%` to the band, or a `shares {indicator.name}: ...` line in the phase for year {year}",
                        clause=rule.clause,
                    )
                )
        for (low, low_share, low_span), (high, high_share, high_span) in zip(shares, shares[1:]):
            if low_share is None or high_share is None or high_share >= low_share:
                continue
            key = ("pays less", high_span, low_span)
            if key in seen:
                continue
            seen.add(key)
            when = f" in year {year}" if override is not None else ""
            found.append(
                d.error(
                    "OBC404",
                    f"band `{high.name}` pays less than band `{low.name}`{when}",
                    high_span,
                    label=f"`{high.name}` pays {high_share.normalize():f}%",
                    related=(Label(low_span, f"`{low.name}` pays {low_share.normalize():f}%"),) if low_span else (),
                    help="a better band pays at least as much as the band below it",
                    clause=rule.clause,
                )
            )
    return found


def sliding_scale(indicator: ast.Indicator, rule: ast.SlidingScale) -> list[Diagnostic]:
    found = []
    assert indicator.direction is not None  # `check` skips an indicator that does not say which direction is better
    floor = model.performance_key(rule.floor, indicator.direction)
    ceiling = model.performance_key(rule.ceiling, indicator.direction)
    if floor[0] == ceiling[0] and ceiling[1] <= floor[1]:
        found.append(
            d.error(
                "OBC406",
                f"the sliding scale of `{indicator.name}` runs the wrong way",
                rule.span,
                label="the ceiling needs no better performance than the floor",
                notes=(f"for `{indicator.name}` {indicator.direction} is better",),
                help="start the scale at the weaker performance and end it at the stronger one",
                clause=rule.clause,
            )
        )
    if rule.ceiling_pays < rule.floor_pays:
        found.append(
            d.error(
                "OBC404",
                f"the sliding scale of `{indicator.name}` pays less for better performance",
                rule.span,
                label=f"pays {rule.floor_pays.normalize():f}% at the floor but {rule.ceiling_pays.normalize():f}% at the ceiling",
                help="the share paid at the ceiling is at least the share paid at the floor",
                clause=rule.clause,
            )
        )
    return found
