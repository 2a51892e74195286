"""Risk share: contiguous gain and loss bands, splits of 100%, caps, floors, stop-loss."""

from __future__ import annotations

from decimal import Decimal

from .. import ast, model
from .. import diagnostics as d
from ..diagnostics import Diagnostic, Label
from ..model import HUNDRED

ZERO = Decimal(0)


def check(contract: ast.Contract) -> list[Diagnostic]:
    found = terms(contract.risk_share) if contract.risk_share is not None else []
    for phase in contract.phases:
        if phase.risk_terms is None or phase.span is None:
            continue
        if phase.risk_terms.placement is not None:  # the grammar has no placement in a phase; kept for safety
            continue
        # the terms in force in the phase, judged as a whole; reported where the phase states them
        merged = model.risk_share_for_year(contract, phase.first_year)
        for diagnostic in terms(merged) if merged is not None else []:
            span = diagnostic.span
            if span is not None and phase.span.start <= span.start and span.end <= phase.span.end and diagnostic not in found:
                found.append(diagnostic)
    return found


def terms(risk: ast.RiskShare) -> list[Diagnostic]:
    """The checks of one risk share's terms."""
    found: list[Diagnostic] = []
    for word, bands in [("gains", risk.gains), ("losses", risk.losses)] + [(t.side, t.bands) for t in risk.tables]:
        found += splits(bands)
        found += contiguity(word, bands)
    found += uncovered_tables(risk)
    found += measure_shares(risk)
    found += negatives(risk)
    found += floors_and_caps(risk)
    found += stop_loss(risk.stop_loss)
    found += unshared_terms(risk)
    return found


def uncovered_tables(risk: ast.RiskShare) -> list[Diagnostic]:
    """`gains when ...` tables without a `gains otherwise` table leave years in which no table applies: the contract
    must say who takes the variance then (`gains not shared go to ...`)."""
    found = []
    for side in ("gains", "losses"):
        tables = risk.tables_for(side)
        plain = risk.gains if side == "gains" else risk.losses
        if not tables or plain or any(u.side == side for u in risk.unshared):
            continue
        noun = "gain" if side == "gains" else "loss"
        found.append(d.error("OBC709", f"no `{side}` table applies in a year when the conditions of the `{side} when` tables all "
                                       f"fail, and the contract does not say who takes the {noun} then", tables[0].span,
                             label="applies only when its condition holds",
                             help=f"add a `{side} otherwise ... end` table, or say `{side} not shared go to the commissioner` "
                                  f"(or `the provider`)", clause=tables[0].clause or risk.clause))
    return found


def measure_shares(risk: ast.RiskShare) -> list[Diagnostic]:
    """A share of a measure (`5% of provider_revenue`) is known only with the year's data: it may set a cap, which
    only ever limits a party's share, but not a band edge, the minimum variance or a floor."""
    found = []
    places = []
    if risk.minimum is not None:
        places.append((risk.minimum.amount, "the minimum variance", risk.minimum.clause))
    for band in risk.gains + risk.losses + tuple(b for t in risk.tables for b in t.bands):
        places += [(a, "a band's edge", band.clause) for a in (band.lower, band.upper) if a is not None]
    for limit in risk.limits:
        if limit.kind == "floor":
            places += [(a, "a floor", limit.clause) for a in limit.amounts]
    for amount, what, clause in places:
        if amount.kind == "measure share":
            found.append(d.error("OBC710", f"{what} cannot be a share of a measure, which is known only from the year's data",
                                 amount.span, help="state it in pounds or as a share of the budget; a share of a measure "
                                                   "may set a cap (`provider losses at most 5% of provider_revenue`)",
                                 clause=clause or risk.clause))
    return found


def unshared_terms(risk: ast.RiskShare) -> list[Diagnostic]:
    """`gains not shared go to ...` and `variance equal to the minimum is not shared` speak of the minimum variance
    (or, for who takes the variance not shared, of `when` tables with no `otherwise`)."""
    found = []
    if risk.minimum is None:
        uncovered = {side for side in ("gains", "losses")
                     if risk.tables_for(side) and not (risk.gains if side == "gains" else risk.losses)}
        for term, span, clause in ([(f"{u.side} not shared go to the {u.party}", u.span, u.clause) for u in risk.unshared
                                    if u.side not in uncovered]
                                   + ([("variance equal to the minimum is not shared", risk.at_minimum.span,
                                        risk.at_minimum.clause)] if risk.at_minimum is not None else [])):
            found.append(d.error("OBC708", f"`{term}` speaks of the minimum variance, but the risk share states none", span,
                                 help="add `minimum variance AMOUNT, shared from the first pound` (or `shared above the "
                                      "minimum only`), or remove this line: without a minimum every variance is shared",
                                 clause=clause))
    seen: dict[str, ast.UnsharedVariance] = {}
    for unshared in risk.unshared:
        earlier = seen.setdefault(unshared.side, unshared)
        if earlier is not unshared:
            found.append(d.error("OBC204", f"who takes the {unshared.side} not shared is stated twice in this risk share",
                                 unshared.span, label="second statement",
                                 related=(Label(earlier.span, "first statement"),) if earlier.span else (),
                                 help="keep one statement and delete the other", clause=unshared.clause))
    return found


def money(amount: ast.Amount) -> str:
    if amount.kind == "money":
        return f"£{amount.value:,.2f}".replace(".00", "")
    return f"{amount.value.normalize():f}% of {amount.measure or 'budget'}"


def splits(bands) -> list[Diagnostic]:
    found = []
    for band in bands:
        total = band.provider + band.commissioner
        if total != HUNDRED:
            found.append(
                d.error(
                    "OBC703",
                    f"the provider's and commissioner's shares add up to {total.normalize():f}%, expected 100%",
                    band.split_span,
                    label="every pound of variance in the band is shared out",
                    help="make the two shares total 100%",
                    clause=band.clause,
                )
            )
    return found


def contiguity(word: str, bands) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    if not bands:
        return found
    first = bands[0]
    if first.lower is not None and first.lower.value != ZERO:
        found.append(
            d.error(
                "OBC701",
                f"the {word} bands start at {money(first.lower)}, leaving the variance below it unshared",
                first.lower.span,
                help="start the first band with `up to ...` or `from 0% of budget to ...`; use `minimum variance` for a threshold below which nothing is shared",
                clause=first.clause,
            )
        )
    for earlier, later in zip(bands, bands[1:]):
        if earlier.upper is None:
            found.append(
                d.error(
                    "OBC702",
                    f"a {word} band follows one that has no upper end",
                    later.span,
                    related=(Label(earlier.span, "this band already runs without limit"),),
                    help="an `above ...` band comes last",
                    clause=later.clause,
                )
            )
            break
        start = later.lower
        if start is None:
            found.append(
                d.error(
                    "OBC702",
                    f"a {word} band starting from nothing follows another band",
                    later.span,
                    related=(Label(earlier.span, "the earlier band"),),
                    help="only the first band is written `up to ...`; the next is `from ... to ...` or `above ...`",
                    clause=later.clause,
                )
            )
            continue
        if start.kind != earlier.upper.kind:
            continue
        if start.value < earlier.upper.value:
            found.append(
                d.error(
                    "OBC702",
                    f"{word} bands overlap between {money(start)} and {money(earlier.upper)}",
                    start.span,
                    label="this band starts here",
                    related=(Label(earlier.upper.span, "the band before ends here"),),
                    help="start each band where the one before it ends",
                    clause=later.clause,
                )
            )
        elif start.value > earlier.upper.value:
            found.append(
                d.error(
                    "OBC701",
                    f"{word} bands leave a gap between {money(earlier.upper)} and {money(start)}",
                    start.span,
                    label="this band starts here",
                    related=(Label(earlier.upper.span, "the band before ends here"),),
                    help="start each band where the one before it ends",
                    clause=later.clause,
                )
            )
    if bands[-1].upper is not None:
        last = bands[-1]
        found.append(
            d.warning(
                "OBC701",
                f"the {word} bands end at {money(last.upper)}; variance beyond it stays with the provider",
                last.upper.span,
                help=f"add an `above {money(last.upper)}: ...` band to say who bears the rest",
                clause=last.clause,
            )
        )
    return found


def negatives(risk: ast.RiskShare) -> list[Diagnostic]:
    found = []
    items = []
    if risk.minimum is not None:
        items.append((risk.minimum.amount, "the minimum variance", risk.minimum.clause))
    for limit in risk.limits:
        what = f"the {limit.party}'s {limit.exposure} {'cap' if limit.kind == 'cap' else 'floor'}"
        items += [(a, what, limit.clause) for a in limit.amounts]
    for band in risk.gains + risk.losses + tuple(b for t in risk.tables for b in t.bands):
        items += [(a, "a band limit", band.clause) for a in (band.lower, band.upper) if a is not None]
    for amount, what, clause in items:
        if amount.value < ZERO:
            found.append(
                d.error(
                    "OBC704",
                    f"{what} is negative",
                    amount.span,
                    label=money(amount),
                    help="caps, floors and limits are amounts a party may bear; write them as positive amounts",
                    clause=clause,
                )
            )
    stop = risk.stop_loss
    if stop is not None:
        for value, what in ((stop.threshold, "the stop-loss threshold"), (stop.limit, "the stop-loss limit")):
            if value is not None and value < ZERO:
                found.append(
                    d.error("OBC704", f"{what} is negative", stop.span, help="write it as a positive amount", clause=stop.clause)
                )
    return found


def floors_and_caps(risk: ast.RiskShare) -> list[Diagnostic]:
    found = []
    for party in ("provider", "commissioner"):
        for exposure in ("gains", "losses"):
            caps = [limit for limit in risk.limits if (limit.party, limit.exposure, limit.kind) == (party, exposure, "cap")]
            floors = [limit for limit in risk.limits if (limit.party, limit.exposure, limit.kind) == (party, exposure, "floor")]
            for cap in caps:
                for floor in floors:
                    if cap.combine == floor.combine == "single":
                        a, b = cap.amounts[0], floor.amounts[0]
                        if a.kind == b.kind and b.value > a.value:
                            found.append(
                                d.error(
                                    "OBC706",
                                    f"the {party}'s {exposure} floor is above its cap",
                                    floor.span,
                                    related=(Label(cap.span, "the cap"),),
                                    help="a floor is at most the cap",
                                    clause=floor.clause,
                                )
                            )
            if party == "provider":
                other_caps = [limit for limit in risk.limits
                              if (limit.party, limit.exposure, limit.kind) == ("commissioner", exposure, "cap")]
                if caps and other_caps:
                    found.append(
                        d.error(
                            "OBC707",
                            f"both the provider's and the commissioner's {exposure} are capped",
                            other_caps[0].span,
                            related=(Label(caps[0].span, "the provider's cap"),),
                            notes=(f"a cap passes what a party does not bear to the other party; {exposure} larger than both caps together would belong to nobody",),
                            help="cap one party's share; the other bears the rest",
                            clause=other_caps[0].clause,
                        )
                    )
            if len(caps) > 1:
                found.append(
                    d.error(
                        "OBC204",
                        f"the {party}'s {exposure} are capped twice",
                        caps[1].span,
                        related=(Label(caps[0].span, "first cap"),),
                        help="combine them: `at most the lesser of ... and ...`",
                        clause=caps[1].clause,
                    )
                )
    return found


def stop_loss(stop: ast.StopLoss | None) -> list[Diagnostic]:
    if stop is None or stop.limit is None or stop.limit > stop.threshold:
        return []
    return [
        d.error(
            "OBC705",
            "the stop-loss limit is not above its threshold",
            stop.span,
            label=f"threshold £{stop.threshold:,.0f}, limit £{stop.limit:,.0f}",
            help="the commissioner bears costs between the threshold and the limit, so the limit must be higher",
            clause=stop.clause,
        )
    ]
