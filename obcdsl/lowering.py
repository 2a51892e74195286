"""Payment rules in their lowered form, each written once against a backend.

Thresholds, bands, targets and sliding scales lower to piecewise-linear
rules of a value and its baseline; the risk share lowers to sharing bands
with caps and floors. Each rule has one implementation, `apply` (or
`settle`), written in the few operations of `obcdsl.backends`: with the
exact backend it computes one year in `Decimal` (and, for the risk share,
records its steps for the statement); with the array backend, many
scenarios at once. Nothing else computes a payment rule.
"""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Optional, Sequence

import attrs

from . import ast
from .backends import Exact
from .money import to_penny

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
EXACT = Exact()

COMPARATORS = {"at least": ">=", "above": ">", "at most": "<=", "below": "<"}


@attrs.frozen
class Cut:
    """A threshold: reached when `value OP (constant + per_baseline × baseline)`."""

    constant: Decimal
    per_baseline: Decimal
    operator: str  # ">=" | ">" | "<=" | "<"

    def threshold(self, bk, baseline):
        if self.per_baseline == 0:
            return bk.const(self.constant)
        return bk.const(self.constant) + bk.const(self.per_baseline) * (baseline if baseline is not None else bk.const(ZERO))

    def reached_by(self, bk, value, baseline, value_plain: bool = True, baseline_plain: bool = True):
        """Whether the value reaches the threshold; `*_plain`: read as written, never computed (see `Array.compare`)."""
        plain = value_plain and (self.per_baseline == 0 or (self.constant == 0 and self.per_baseline == 1 and baseline_plain))
        return bk.compare(self.operator, value, self.threshold(bk, baseline), plain)

    def at(self, baseline: Optional[Decimal]) -> Decimal:
        """The threshold for a baseline, exactly."""
        return self.threshold(EXACT, baseline)

    def reached(self, value: Decimal, baseline: Optional[Decimal]) -> bool:
        return self.reached_by(EXACT, value, baseline)


OTHER_WAY = {"at least": "at most", "at most": "at least", "above": "below", "below": "above"}
REWARDS = {">=": "higher", ">": "higher", "<=": "lower", "<": "lower"}  # the values an operator pays for
FLIPPED = {">=": "<=", "<=": ">=", ">": "<", "<": ">"}


def comparison(value: ast.ThresholdValue, comparator: Optional[str], direction: Optional[str]) -> tuple[str, bool]:
    """The comparison a threshold states, `value OPERATOR threshold`; and whether its word was written the old way round.

    Before a distance below the baseline, the comparison word measures the distance, as the words read aloud:
    `at least 10% below baseline` is 10% or more below it (value <= 90% of the baseline), `at most 5 points below
    baseline` is 5 points or fewer below it (value >= baseline - 5). Written the old way round (`at most 10% below
    baseline` where lower is better, which compared the value with 90% of the baseline), the word is read as the
    indicator's direction requires, as it always was, and `check` warns (OBC410) with the wording that says so.
    """
    if comparator not in COMPARATORS:  # none, or `from`: reaching the value counts
        return (">=" if direction == "higher" else "<="), False
    literal = COMPARATORS[comparator]
    if value.kind == "absolute" or value.relation != "below":
        return literal, False
    spoken = FLIPPED[literal]
    if REWARDS[spoken] == direction:
        return spoken, False
    return literal, True


def lower_threshold(value: ast.ThresholdValue, comparator: Optional[str], direction: str) -> Cut:
    operator, _ = comparison(value, comparator, direction)
    if value.kind == "absolute":
        return Cut(value.amount, ZERO, operator)
    if value.kind == "reference":  # `at least last year`, `at least england_average`: the value compared with itself
        return Cut(ZERO, ONE, operator)
    sign = ONE if value.relation == "above" else -ONE
    if value.kind == "points":
        return Cut(sign * value.amount, ONE, operator)
    return Cut(ZERO, ONE + sign * value.amount / HUNDRED, operator)


@functools.lru_cache(maxsize=4096)
def rounded(amounts: tuple[Decimal, ...], rounding: Optional[str]) -> tuple[Decimal, ...]:
    """Each step's amount to the penny, worked out once."""
    return tuple(to_penny(a, rounding) for a in amounts)


@attrs.frozen
class StepRule:
    """Bands or a target: the highest step reached pays its amount (money, exact)."""

    cuts: tuple[Cut, ...]
    amounts: tuple[Decimal, ...]

    @property
    def most(self) -> Decimal:
        return max(self.amounts, default=ZERO)

    def apply(self, bk, value, baseline, value_plain: bool = True, baseline_plain: bool = True):
        """(the amount paid, the index of the highest step reached or -1)."""
        index = bk.index(-1)
        for position, cut in enumerate(self.cuts):
            index = bk.where(cut.reached_by(bk, value, baseline, value_plain, baseline_plain), position, index)
        return bk.take(index, self.amounts), index

    def paid(self, bk, value, baseline, rounding: Optional[str], value_plain: bool = True, baseline_plain: bool = True):
        """(the amount paid, to the penny, the index reached): the steps' amounts are rounded once, exactly."""
        _, index = self.apply(bk, value, baseline, value_plain, baseline_plain)
        return bk.take(index, rounded(self.amounts, rounding)), index

    def reached_index(self, value: Decimal, baseline: Optional[Decimal]) -> int:
        return self.apply(EXACT, value, baseline)[1]


@attrs.frozen
class LinearRule:
    """A sliding scale: linear between floor and ceiling, clamped; a scale with no width pays its ceiling once reached."""

    floor: Cut
    ceiling: Cut
    floor_amount: Decimal
    ceiling_amount: Decimal

    @property
    def most(self) -> Decimal:
        return max(self.floor_amount, self.ceiling_amount)

    def position_by(self, bk, value, baseline, value_plain: bool = True, baseline_plain: bool = True):
        floor, ceiling = self.floor.threshold(bk, baseline), self.ceiling.threshold(bk, baseline)
        width = ceiling - floor
        zero, one = bk.const(ZERO), bk.const(ONE)
        along = bk.minimum(bk.maximum(bk.divide(value - floor, width, zero), zero), one)
        flat = bk.compare("=", width, zero, self.floor.per_baseline == 0 and self.ceiling.per_baseline == 0)
        reached = self.ceiling.reached_by(bk, value, baseline, value_plain, baseline_plain)
        return bk.where(flat, bk.where(reached, one, zero), along)

    def apply(self, bk, value, baseline, value_plain: bool = True, baseline_plain: bool = True):
        position = self.position_by(bk, value, baseline, value_plain, baseline_plain)
        return bk.const(self.floor_amount) + bk.const(self.ceiling_amount - self.floor_amount) * position, None

    def paid(self, bk, value, baseline, rounding: Optional[str], value_plain: bool = True, baseline_plain: bool = True):
        amount, _ = self.apply(bk, value, baseline, value_plain, baseline_plain)
        return bk.penny(amount, rounding), None  # a point along a scale went through a division: no grid

    def position(self, value: Decimal, baseline: Optional[Decimal]) -> Decimal:
        return self.position_by(EXACT, value, baseline)


LoweredRule = StepRule | LinearRule


def rule_cuts(rule: ast.Rule, direction: str) -> tuple[Cut, ...]:
    """Where a rule's steps begin (a target's one, each band's), or a sliding scale's floor and ceiling: the same each year."""
    if isinstance(rule, ast.Target):
        return (lower_threshold(rule.threshold.value, rule.threshold.comparator, direction),)
    if isinstance(rule, ast.SlidingScale):
        return lower_threshold(rule.floor, None, direction), lower_threshold(rule.ceiling, None, direction)
    return tuple(lower_threshold(b.threshold.value, b.threshold.comparator, direction) for b in rule.bands)


def lower_rule(rule: ast.Rule, direction: str, allocation: Decimal, pot: Decimal,
               shares: Optional[Sequence[tuple[Decimal, Optional[str]]]] = None,
               cuts: Optional[tuple[Cut, ...]] = None) -> LoweredRule:
    """A payment rule with its money: `shares` gives each band's (share, base) for the year; `cuts`, if worked out
    already, the rule's `rule_cuts`."""
    cuts = cuts if cuts is not None else rule_cuts(rule, direction)
    if isinstance(rule, ast.Target):
        return StepRule(cuts, (allocation,))
    if isinstance(rule, ast.SlidingScale):
        floor, ceiling = cuts
        return LinearRule(floor, ceiling, allocation * rule.floor_pays / HUNDRED, allocation * rule.ceiling_pays / HUNDRED)
    shares = shares or [(b.share or ZERO, b.base) for b in rule.bands]
    return StepRule(cuts, tuple((pot if base == "pot" else allocation) * share / HUNDRED for share, base in shares))


# ---------------------------------------------------------------- the risk share


@attrs.frozen
class SharingBand:
    lower: Decimal
    upper: Optional[Decimal]
    provider: Decimal  # fraction of the band's portion the provider bears
    index: int


@attrs.frozen
class Limit:
    party: str  # "provider" | "commissioner"
    kind: str  # "cap" | "floor"
    value: Optional[Decimal]  # in pennies: the limit, or the lesser (greater) of its fixed amounts; None if all are measured
    measured: tuple = ()  # (share, the measure's lowered value) for each `N% of MEASURE`, known from the year's data
    combine: str = "lesser"  # how the fixed value and the measured amounts make the limit: "lesser" | "greater"


@attrs.frozen
class Step:
    """One step of a settlement: each party's exact part of the variance."""

    kind: str  # "minimum" | "band" | "beyond" | "cap" | "floor"
    provider: Decimal
    commissioner: Decimal
    band: Optional[SharingBand] = None
    limit: Optional[Limit] = None
    amount: Decimal = ZERO  # the portion, the minimum, or the amount moved
    value: Optional[Decimal] = None  # a cap's or floor's value in the year


@attrs.frozen
class Sharing:
    """How one side of the variance (gains or losses) is shared in a year."""

    minimum: Optional[Decimal]
    above_minimum_only: bool
    bands: tuple[SharingBand, ...]
    limits: tuple[Limit, ...]
    unshared_to: str = "provider"  # who takes the part the minimum keeps out of the sharing (`gains not shared go to ...`)
    minimum_shared: bool = True  # whether a variance of exactly the minimum is shared (`variance equal to the minimum is not shared`)
    table: Optional[ast.SharingTable] = None  # the `gains when ...` table it was lowered from; None: the plain one
    written: tuple = ()  # the bands as written (`ast.RiskBand`), for the statement
    unshared_all: bool = False  # no table applies: the whole variance goes to `unshared_to`

    @property
    def grid(self) -> int:
        """The decimal places of a pound each party's exact part can have: of the amounts, plus of the shares."""
        amounts = [self.minimum] if self.minimum is not None else []
        amounts += [edge for band in self.bands for edge in (band.lower, band.upper) if edge is not None]
        amounts += [limit.value for limit in self.limits if limit.value is not None]
        return max([2] + [places(a) for a in amounts]) + max([0] + [places(b.provider) for b in self.bands])

    def settle(self, bk, magnitude, limit_values: Optional[list] = None) -> "Settled":
        """Each party's exact part of a variance of this size, after caps and floors.

        `limit_values` are the limits' values for the year (the interpreter works out those that read a measure);
        without them, each limit's fixed value. With the exact backend, `steps` lists what each step did, for the
        statement.
        """
        steps: Optional[list[Step]] = [] if bk.exact else None
        zero = bk.zeros()
        start = zero
        to_provider = self.unshared_to == "provider"
        if self.minimum is not None:
            minimum = bk.const(self.minimum)
            below = bk.compare("<" if self.minimum_shared else "<=", magnitude, minimum)
            start = bk.where(below, magnitude, minimum if self.above_minimum_only else zero)
            if steps is not None and (below or self.above_minimum_only):
                steps.append(Step("minimum", start if to_provider else ZERO, ZERO if to_provider else start, amount=self.minimum))
        provider, commissioner, shared = (start, zero, start) if to_provider else (zero, start, start)
        for band in self.bands:
            top = magnitude if band.upper is None else bk.minimum(magnitude, bk.const(band.upper))
            portion = bk.maximum(zero, top - bk.maximum(bk.const(band.lower), start))
            borne = portion * bk.const(band.provider)
            shared = shared + portion
            provider = provider + borne
            commissioner = commissioner + (portion - borne)
            if steps is not None and portion != 0:
                steps.append(Step("band", borne, portion - borne, band=band, amount=portion))
        beyond = bk.maximum(zero, magnitude - shared)
        provider = provider + beyond
        if steps is not None and beyond > 0:
            steps.append(Step("beyond", beyond, ZERO, amount=beyond))
        binds = bk.falses()
        for position, limit in enumerate(self.limits):
            value = limit_values[position] if limit_values is not None else bk.const(limit.value)
            mine, theirs = (provider, commissioner) if limit.party == "provider" else (commissioner, provider)
            if limit.kind == "cap":
                applies = bk.compare(">", mine, value)
                moved = bk.where(applies, mine - value, zero)
                binds = bk.either(binds, applies)
            else:
                applies = bk.both(bk.compare("<", mine, value), bk.compare(">", theirs, zero))
                moved = bk.where(applies, -bk.minimum(value - mine, theirs), zero)
            if limit.party == "provider":
                provider, commissioner = provider - moved, commissioner + moved
                step = Step(limit.kind, -moved, moved, limit=limit, amount=moved, value=value) if steps is not None else None
            else:
                commissioner, provider = commissioner - moved, provider + moved
                step = Step(limit.kind, moved, -moved, limit=limit, amount=moved, value=value) if steps is not None else None
            if steps is not None and step is not None and applies:  # step is built exactly when steps are kept
                steps.append(step)
        return Settled(provider, commissioner, binds, tuple(steps) if steps is not None else ())


@attrs.frozen
class Settled:
    """A side's settlement before rounding: each party's exact part, whether a cap bound, and (exact) the steps."""

    provider: object
    commissioner: object
    binds: object
    steps: tuple[Step, ...] = ()


def places(value: Decimal) -> int:
    """Decimal places a number is written to: 2 for 0.25, 0 for 300."""
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def risk_amount(node: ast.Amount, budget: Decimal) -> Decimal:
    """`£500,000` or `5% of budget` in pounds, exactly (a share of a measure is known only from the data)."""
    return node.value if node.kind == "money" else budget * node.value / HUNDRED


def fixed_limit(limit: ast.ExposureLimit, budget: Decimal, rounding: Optional[str]) -> Decimal:
    """A cap or floor stated in pounds or shares of the budget, in pennies (the lesser or greater of its amounts)."""
    values = [risk_amount(a, budget) for a in limit.amounts]
    return to_penny(max(values) if limit.combine == "greater" else min(values), rounding)


def lower_sharing(risk: ast.RiskShare, side: str, budget: Decimal, rounding: Optional[str],
                  table: Optional[ast.SharingTable] = None, measures: Optional[dict] = None) -> Sharing:
    """A side's sharing for the year's budget: its plain (or `otherwise`) table, or the `when` table given.

    A side with `when` tables and no plain one shares nothing when none applies: that sharing has one band taking
    the whole variance to the party `SIDE not shared go to ...` names. `measures` lowers the measures a cap reads
    (`5% of provider_revenue`); without it, such a cap is left out (the least it can be is not known).
    """
    written = table.bands if table is not None else (risk.losses if side == "losses" else risk.gains)
    unshared_all = table is None and not written and bool(risk.tables_for(side))
    if unshared_all:
        to_provider = risk.unshared_party(side) == "provider"
        lowered: tuple[SharingBand, ...] = (SharingBand(ZERO, None, ONE if to_provider else ZERO, 1),)
    else:
        lowered = tuple(
            SharingBand(risk_amount(b.lower, budget) if b.lower is not None else ZERO,
                        risk_amount(b.upper, budget) if b.upper is not None else None,
                        b.provider / HUNDRED, index)
            for index, b in enumerate(written, start=1)
        )
    limits = []
    for limit in risk.limits:
        if limit.exposure != side:
            continue
        fixed = [risk_amount(a, budget) for a in limit.amounts if a.kind != "measure share"]
        measured = tuple((a.value, measures[a.measure]) for a in limit.amounts
                         if a.kind == "measure share" and measures is not None and a.measure in measures)
        combine = "greater" if limit.combine == "greater" else "lesser"
        if len(fixed) + len(measured) < len(limit.amounts) and combine == "greater":
            continue  # the greater of amounts one of which is not known: not known either
        if not fixed and not measured:
            continue
        value = (max(fixed) if combine == "greater" else min(fixed)) if fixed else None
        limits.append(Limit(limit.party, limit.kind, to_penny(value, rounding) if value is not None else None, measured, combine))
    minimum = risk_amount(risk.minimum.amount, budget) if risk.minimum is not None and not unshared_all else None
    above = risk.minimum is not None and risk.minimum.basis == "above minimum"
    return Sharing(minimum, above, lowered, tuple(limits), risk.unshared_party(side), risk.at_minimum is None,
                   table, written, unshared_all)
