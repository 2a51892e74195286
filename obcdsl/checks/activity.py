"""Activity items: each states how it is paid, and its caps and collars stand in order against its plan."""

from __future__ import annotations

from decimal import Decimal
from typing import Optional

from .. import ast, model
from .. import diagnostics as d
from ..diagnostics import Diagnostic, Label
from ..money import HUNDRED
from ..format import percent


def check(contract: ast.Contract) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    found += names_once(contract)
    last = model.last_year(contract) if contract.term is not None else None
    for item in contract.all_activity:
        found += how_paid(item)
        found += against_plan(item)
        found += in_order(item)
        found += years(item, last)
        found += phase_named(contract, item)
        if item.phase is not None and item.first_year is not None:
            found.append(d.error("OBC204", f"`{item.name}` states both a phase and years", span_of(item, "phase"),
                                 clause=item.clause, help="keep one: `in phase introduction`, or `in years 1 to 2`"))
    return found


def span_of(item: ast.ActivityItem, key: str):
    return item.spans.get(key, item.name_span)


def names_once(contract: ast.Contract) -> list[Diagnostic]:
    """An item's name is what its data row is called: it may name no other item, indicator or measure."""
    seen: dict[str, object] = {i.name.lower(): i for i in contract.all_indicators}
    seen.update((m.name.lower(), m) for m in contract.all_measures)
    found = []
    for item in contract.all_activity:
        other = seen.get(item.name.lower())
        if other is not None:
            what = "activity item" if isinstance(other, ast.ActivityItem) else "measure" if isinstance(other, ast.Measure) else "indicator"
            span = getattr(other, "name_span", None)
            found.append(d.error("OBC202", f"`{item.name}` is declared twice: as an activity item and as {'an' if what[0] in 'aei' else 'a'} {what}",
                                 item.name_span, clause=item.clause,
                                 related=(Label(span, "first declared here"),) if span is not None else (),
                                 help="give the item a name of its own: its volume is given in the data under that name"))
            continue
        seen[item.name.lower()] = item
    return found


def how_paid(item: ast.ActivityItem) -> list[Diagnostic]:
    if item.price is None and item.block is None:
        return [d.error("OBC620", f"the activity item `{item.name}` states no price and no block", item.name_span,
                        clause=item.clause, help="add a line such as `price £150 per attendance`, or `block £2,000,000`")]
    if item.block is not None and item.block_collar is not None and item.price is None:
        return [d.error("OBC620", f"the block of `{item.name}` is reduced at the price below its collar, and the item states no price",
                        span_of(item, "block"), clause=item.clause,
                        help="add a line such as `price £40 per contact`: each unit below the collar takes the price off the block")]
    if item.collar is not None and item.block is not None:
        return [d.error("OBC620", f"`{item.name}` is a block: it is paid for its collar by `less the price for each ... below`, "
                                  "not by `paid for at least`", span_of(item, "collar"), clause=item.clause,
                        help="write the collar on the block line: `block £2,000,000, less the price for each contact below 90% of plan`")]
    return []


PLAN_TERMS = (("threshold", "the threshold"), ("ceiling", "the ceiling"), ("collar", "the collar"), ("block_collar", "the block's collar"))


def against_plan(item: ast.ActivityItem) -> list[Diagnostic]:
    """A percentage of the plan needs a plan."""
    if item.plan is not None:
        if item.plan <= 0:
            return [d.error("OBC621", f"the plan volume of `{item.name}` is {item.plan.normalize():f}", span_of(item, "plan"),
                            clause=item.clause, help="state the volume the contract is planned for, more than nothing")]
        return []
    found = []
    for key, words in PLAN_TERMS:
        if getattr(item, key) is not None:
            found.append(d.error("OBC621", f"{words} of `{item.name}` is a share of its plan, and the item states no plan",
                                 span_of(item, "block" if key == "block_collar" else key), clause=item.clause,
                                 help="add a line such as `plan 40,000`: the volume the contract is planned for"))
            break
    return found


def in_order(item: ast.ActivityItem) -> list[Diagnostic]:
    """collar ≤ 100% of plan ≤ threshold ≤ ceiling, and a marginal rate of at most 100%."""
    found = []
    if item.threshold is not None and item.ceiling is not None and item.ceiling < item.threshold:
        found.append(d.error("OBC622", f"the ceiling of `{item.name}` ({percent(item.ceiling)} of plan) is below its threshold "
                                       f"({percent(item.threshold)} of plan)", span_of(item, "ceiling"), clause=item.clause,
                             related=(Label(span_of(item, "threshold"), "the threshold"),),
                             help="the marginal rate is paid between the threshold and the ceiling: raise the ceiling, or lower the threshold"))
    if item.threshold is not None and item.threshold < HUNDRED:
        found.append(d.warning("OBC625", f"the threshold of `{item.name}` ({percent(item.threshold)} of plan) is below the plan, "
                                         "so planned activity is paid at the marginal rate", span_of(item, "threshold"),
                               clause=item.clause, help="is the threshold right? a threshold is usually at or above 100% of plan"))
    if item.rate is not None and item.rate > HUNDRED:
        found.append(d.warning("OBC623", f"activity of `{item.name}` above its threshold is paid at {percent(item.rate)} of the price, "
                                         "more than the price itself", span_of(item, "threshold"), clause=item.clause,
                               help="a marginal rate is usually below 100%: activity beyond plan costs less than planned activity"))
    if item.block is not None and item.ceiling is not None and item.threshold is None:
        found.append(d.warning("OBC627", f"`{item.name}` is a block with no marginal rate, so its ceiling changes nothing",
                               span_of(item, "ceiling"), clause=item.clause,
                               help="a block pays its fixed sum whatever the volume above its collar: remove the ceiling, or "
                                    "pay activity above a threshold (`above 105% of plan paid at 50% of price`) up to it"))
    collar = item.block_collar if item.block is not None else item.collar
    if collar is not None:
        key = "block" if item.block is not None else "collar"
        above: Optional[tuple[Decimal, str]] = None
        if collar > HUNDRED:
            above = (HUNDRED, "its plan")
        else:
            for limit, words in ((item.threshold, "its threshold"), (item.ceiling, "its ceiling")):
                if limit is not None and collar > limit:
                    above = (limit, words)
                    break
        if above is not None:
            found.append(d.error("OBC624", f"the collar of `{item.name}` ({percent(collar)} of plan) is above {above[1]} "
                                           f"({percent(above[0])} of plan)", span_of(item, key), clause=item.clause,
                                 help="a collar guarantees payment for activity below plan: state it at or below 100% of plan"))
    return found


def phase_named(contract: ast.Contract, item: ast.ActivityItem) -> list[Diagnostic]:
    """`in phase introduction`: a phase of the contract."""
    names = [p.name for p in contract.phases]
    if item.phase is None or item.phase in names:
        return []
    return [d.error("OBC201", f"`{item.name}` applies in phase `{item.phase}`, and the contract has no such phase",
                    span_of(item, "phase"), clause=item.clause,
                    help=d.did_you_mean(item.phase, names) or "name a phase of the `phasing` section, or state the years: `in years 1 to 2`")]


def years(item: ast.ActivityItem, last: Optional[int]) -> list[Diagnostic]:
    first, final = item.first_year, item.last_year
    if first is None:
        return []
    span = span_of(item, "first_year")
    if first < 1 or (final is not None and final < first):
        return [d.error("OBC626", f"`{item.name}` applies in no year: years {first} to {final}", span, clause=item.clause,
                        help="write the years from the first to the last, as `in years 1 to 2`")]
    if last is not None and first > last:
        return [d.error("OBC626", f"`{item.name}` applies from year {first}, after the contract's last year ({last})", span,
                        clause=item.clause, help=f"the contract runs for years 1 to {last}")]
    if last is not None and final is not None and final > last:
        return [d.warning("OBC626", f"`{item.name}` is stated to apply up to year {final}, and the contract ends in year {last}",
                          span, clause=item.clause, help=f"write `in years {first} to {last}`")]
    return []
