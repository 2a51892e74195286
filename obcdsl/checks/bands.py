"""Thresholds and bands: order, overlaps, gaps, monotone payment, sliding scales."""

from __future__ import annotations

from typing import Optional

from .. import ast, model
from .. import diagnostics as d
from ..diagnostics import Diagnostic, Fix, Label
from ..format import threshold_value
from ..lowering import OTHER_WAY, comparison


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
                # one mistake, one error: a misspelt `pays` or bands written the other way round is said once
                reverse = listed_in_reverse(indicator, rule)
                whole = pays_misspelt(rule) or bands_against_direction(indicator, rule) or bands_reversed(indicator, rule, reverse)
                if whole:
                    found += whole
                    if not reverse:
                        continue
                else:
                    found += band_order(indicator, rule)
                found += band_payments(contract, indicator, rule, linked_by_year, reverse)
            elif isinstance(rule, ast.SlidingScale):
                found += sliding_scale(indicator, rule)
            elif isinstance(rule, ast.Target):
                found += comparator_direction(indicator, rule.threshold, rule.clause, alone=True)
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


def comparator_direction(indicator: ast.Indicator, threshold: ast.Threshold, clause, alone: bool = False) -> list[Diagnostic]:
    """A comparison word against the direction; `alone` when it is the rule's only one, and either may be the slip."""
    if measures_distance_below(threshold):
        return spoken_the_other_way(indicator, threshold, clause)
    implied = model.comparator_direction(threshold.comparator)
    if implied is None or implied == indicator.direction:
        return []
    words = "`at most` or `below`" if indicator.direction == "lower" else "`at least` or `above`"
    return [
        d.error(
            "OBC408",
            f"`{threshold.comparator}` rewards a {implied} value, but for `{indicator.name}` {indicator.direction} is better",
            threshold.span,
            label=f"`{threshold.comparator}`",
            help=f"use {words}" + (f"; or, if a {implied} value is better, write `{implied} is better`" if alone else ""),
            clause=clause,
        )
    ]


PAYS_SLIPS = ("pay", "paid", "paying", "payes", "pas", "pys", "pay:")


def pays_misspelt(rule: ast.Bands) -> list[Diagnostic]:
    """`improved at least 85% pay 75%` reads as band `improved` with no share and a band called `pay`."""
    found = []
    for before, band in zip(rule.bands, rule.bands[1:]):
        value = band.threshold.value
        if band.threshold.comparator is not None or value.kind != "absolute" or value.literal != "percent" \
                or before.share is not None:
            continue
        name = band.name.lower()
        if name not in PAYS_SLIPS and not d.nearest(name, ["pays"]):
            continue
        if before.span is None or band.name_span is None:
            continue  # a band written on a line of its own reads the same (`obcdsl fmt` puts it there)
        shown = f"{value.amount.normalize():f}%"
        fixes = (Fix(f"change `{band.name}` to `pays`", band.name_span, "pays"),) if band.name_span else ()
        found.append(
            d.error(
                "OBC102",
                f"`{band.name} {shown}` reads as a band of its own, called `{band.name}`",
                band.name_span,
                label="did you mean `pays`?",
                help=f"write `pays {shown}` to give band `{before.name}` its share",
                clause=band.clause or rule.clause,
                fixes=fixes,
            )
        )
    return found


def measures_distance_below(threshold: ast.Threshold) -> bool:
    """`at least 10% below baseline`: the word measures the distance below, and so is read as the direction requires
    (lowering.comparison); it cannot run against the direction, only be written the old way round."""
    value = threshold.value
    return threshold.comparator in OTHER_WAY and value is not None and value.kind != "absolute" and value.relation == "below"


def spoken_the_other_way(indicator: ast.Indicator, threshold: ast.Threshold, clause) -> list[Diagnostic]:
    """`at most 10% below baseline` where lower is better: it means 10% or more below, which `at least` says."""
    comparator = threshold.comparator
    assert comparator is not None and threshold.value is not None  # measures_distance_below
    operator, old_way = comparison(threshold.value, comparator, indicator.direction)
    if not old_way:
        return []
    spoken = OTHER_WAY[comparator]
    written = threshold_value(threshold.value)
    distance = written.removesuffix(f" below {threshold.value.compared_with}")
    compared = model.reference_words(threshold.value)
    meaning = {"<=": f"{distance} or more", "<": f"more than {distance}", ">=": f"{distance} or less",
               ">": f"less than {distance}"}[operator]
    fixes = (Fix(f"write `{spoken} {written}`", threshold.span, f"{spoken} {written}"),) if threshold.span is not None else ()
    return [
        d.warning(
            "OBC410",
            f"`{comparator} {written}` is read as {meaning} below {compared}, which is `{spoken} {written}` said aloud",
            threshold.span,
            label=f"read as `{spoken} {written}`",
            notes=(f"for `{indicator.name}` {indicator.direction} is better, so the threshold is met {meaning} below "
                   f"{compared}; before a distance below {compared}, the comparison word measures the distance",),
            help=f"write `{spoken} {written}`: the same threshold, in the words that say it",
            clause=clause,
            fixes=fixes,
        )
    ]


def opposite(direction: str) -> str:
    return "lower" if direction == "higher" else "higher"


def bands_against_direction(indicator: ast.Indicator, rule: ast.Bands) -> list[Diagnostic]:
    """Every band's comparison word rewards the other direction: the bands, or the direction, are the wrong way round."""
    direction = indicator.direction
    assert direction is not None  # `check` skips an indicator that does not say which direction is better
    implied = {None if measures_distance_below(b.threshold) else model.comparator_direction(b.threshold.comparator)
               for b in rule.bands}
    if len(rule.bands) < 2 or implied != {opposite(direction)}:
        return []
    first = rule.bands[0].threshold
    words = "`at most` or `below`" if direction == "lower" else "`at least` or `above`"
    return [
        d.error(
            "OBC408",
            f"the bands of `{indicator.name}` reward a {opposite(direction)} value, but the indicator says "
            f"{direction} is better",
            first.span,
            label=f"`{first.comparator}` rewards a {opposite(direction)} value",
            help=f"if a {opposite(direction)} value is better, write `{opposite(direction)} is better`; if not, write "
                 f"the bands with {words}, from the weakest performance to the strongest",
            clause=rule.clause,
        )
    ]


def listed_in_reverse(indicator: ast.Indicator, rule: ast.Bands) -> bool:
    """Bands written from the strongest down: each needs less than the one before, and pays no more."""
    assert indicator.direction is not None  # as `band_order`
    keys = [model.performance_key(b.threshold.value, indicator.direction) for b in rule.bands]
    if len(keys) < 2 or len({kind for kind, _ in keys}) != 1:
        return False
    if any(b[1] >= a[1] for a, b in zip(keys, keys[1:])):
        return False
    shares = [b.share for b in rule.bands if b.share is not None]
    return all(b <= a for a, b in zip(shares, shares[1:])) and (len(shares) < 2 or shares[-1] < shares[0])


def bands_reversed(indicator: ast.Indicator, rule: ast.Bands, reverse: bool) -> list[Diagnostic]:
    """OBC403 for bands `listed_in_reverse` (`reverse`)."""
    if not reverse:
        return []
    direction = indicator.direction
    first, last = rule.bands[0], rule.bands[-1]
    either = "" if first.threshold.comparator is not None else \
        f"; or, if a {opposite(direction or 'higher')} value is better, write `{opposite(direction or 'higher')} is better`"
    return [
        d.error(
            "OBC403",
            f"the bands of `{indicator.name}` are listed from the strongest performance to the weakest",
            first.name_span,
            label=f"`{first.name}` needs the most",
            related=(Label(last.name_span, f"`{last.name}` needs the least"),) if last.name_span else (),
            notes=(f"for `{indicator.name}` {direction} is better; bands are listed from the lowest to the highest",),
            help=f"list the bands the other way round, from `{last.name}` to `{first.name}`{either}",
            clause=rule.clause,
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
                    fixes=edge_fix(lower, higher),
                )
            )
    return found


def value_text(value: ast.ThresholdValue) -> str:
    """A threshold value as the contract writes it: `85%`, `12`, `£500`, `4 points above baseline`."""
    amount = f"{value.amount.normalize():f}"
    if value.kind == "reference":
        return value.compared_with
    if value.kind == "points":
        return f"{amount} {'point' if value.amount == 1 else 'points'} {value.relation} {value.compared_with}"
    if value.kind == "percent":
        return f"{amount}% {value.relation} {value.compared_with}"
    if value.literal == "percent":
        return f"{amount}%"
    if value.literal == "money":
        return f"£{value.amount:,f}".rstrip("0").rstrip(".") if "." in f"{value.amount:f}" else f"£{value.amount:,f}"
    return amount


def edge_fix(lower: ast.Band, higher: ast.Band) -> tuple[Fix, ...]:
    """Move the end of the lower band to where the higher one starts."""
    if lower.upper is None or lower.upper.span is None:
        return ()
    edge = value_text(higher.threshold.value)
    return (Fix(f"end `{lower.name}` at {edge}", lower.upper.span, edge),)


def band_payments(contract: ast.Contract, indicator: ast.Indicator, rule: ast.Bands, linked_by_year: dict,
                  reverse: bool) -> list[Diagnostic]:
    """Each band pays at least as much as the band below it, in every year it is linked; bands `listed_in_reverse`
    (`reverse`) are compared in order of performance."""
    found = []
    seen: set[tuple] = set()
    years = [y for y, names in linked_by_year.items() if indicator.name in names]
    # years whose phase has the same `shares` line for the indicator (most often none) pay the same shares
    alike: dict[int, tuple[Optional[ast.BandShares], list]] = {}
    for year in years or [None]:
        override = model.band_shares_for_year(contract, indicator, year) if year is not None else None
        alike.setdefault(id(override), (override, []))[1].append(year)
    for override, same in alike.values():
        year = same[0]
        shares = []
        for band, share, _, span in model.year_band_shares(contract, indicator, rule, year):
            shares.append((band, share, span))
            for missing_in in same if share is None and year is not None else ():
                if ("missing", band.name, missing_in) in seen:  # two bands of one name: said once (their names are an error of their own)
                    continue
                seen.add(("missing", band.name, missing_in))
                found.append(
                    d.error(
                        "OBC405",
                        f"band `{band.name}` of `{indicator.name}` has no payment share in year {missing_in}",
                        band.name_span,
                        help=f"add `pays ...%` to the band, or a `shares {indicator.name}: ...` line in the phase for year {missing_in}",
                        clause=rule.clause,
                    )
                )
        if reverse:
            shares.reverse()  # said once by OBC403; compared here in order of performance
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
    direction = indicator.direction
    floor = model.performance_key(rule.floor, direction)
    ceiling = model.performance_key(rule.ceiling, direction)
    low, high = value_text(rule.floor), value_text(rule.ceiling)
    low_pays, high_pays = f"{rule.floor_pays.normalize():f}%", f"{rule.ceiling_pays.normalize():f}%"
    label = f"pays {low_pays} at {low} and {high_pays} at {high}"
    if floor[0] == ceiling[0] and ceiling[1] == floor[1]:
        return [d.error("OBC406", f"the sliding scale of `{indicator.name}` starts and ends at {low}", rule.span,
                        label=label, help="start the scale at the weaker performance and end it at the stronger one",
                        clause=rule.clause)]
    if floor[0] == ceiling[0] and ceiling[1] < floor[1]:
        if rule.ceiling_pays <= rule.floor_pays:  # written from the stronger end: it pays more for better all the same
            return [
                d.error(
                    "OBC406",
                    f"the sliding scale of `{indicator.name}` is written from the stronger performance to the weaker",
                    rule.span,
                    label=label,
                    notes=(f"for `{indicator.name}` {direction} is better",),
                    help=f"write `sliding scale from {high} paying {high_pays} to {low} paying {low_pays}`",
                    clause=rule.clause,
                )
            ]
        return [
            d.error(
                "OBC406",
                f"the sliding scale of `{indicator.name}` pays more for a {opposite(direction)} value, "
                f"but the indicator says {direction} is better",
                rule.span,
                label=label,
                help=f"if a {opposite(direction)} value is better, write `{opposite(direction)} is better`; if not, write "
                     f"`sliding scale from {high} paying {low_pays} to {low} paying {high_pays}`",
                clause=rule.clause,
            )
        ]
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
