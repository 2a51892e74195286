"""The contract's abstract syntax tree: frozen attrs nodes, each with its span.

Spans (and the spans of names) take no part in equality, so two contracts
written with different layout but the same terms compare equal. Amounts are
`Decimal`: money in pounds, percentages in points (`4%` is `Decimal("4")`).
"""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Optional, Union

import attrs

from .source import Span, span_field



# ---------------------------------------------------------------- expressions


@attrs.frozen
class Literal:
    """A number in an expression: `95%`, `£20,000`, `1.5`."""

    value: Decimal
    kind: str  # "percent" | "money" | "number"
    span: Optional[Span] = span_field()


@attrs.frozen
class Reference:
    """The value of an indicator, by name: `crisis_response_4h`."""

    name: str
    span: Optional[Span] = span_field()


@attrs.frozen
class Negative:
    """`- x`."""

    operand: "Expr"
    span: Optional[Span] = span_field()


@attrs.frozen
class Arithmetic:
    """`a + b`, `a - b`, `a * b`, `a / b`."""

    operator: str
    left: "Expr"
    right: "Expr"
    span: Optional[Span] = span_field()


@attrs.frozen
class Comparison:
    """`a at least b`, `a >= b` (written forms are normalised to symbols)."""

    operator: str  # ">=" | "<=" | ">" | "<" | "=" | "!="
    left: "Expr"
    right: "Expr"
    span: Optional[Span] = span_field()


@attrs.frozen
class Logical:
    """`a and b`, `a or b`."""

    operator: str  # "and" | "or"
    left: "Expr"
    right: "Expr"
    span: Optional[Span] = span_field()


@attrs.frozen
class Not:
    """`not a`."""

    operand: "Expr"
    span: Optional[Span] = span_field()


@attrs.frozen
class Achieved:
    """`live_longer is achieved`: the outcome or indicator earned all of its allocation."""

    name: str
    span: Optional[Span] = span_field()


@attrs.frozen
class AllAchieved:
    """`all outcomes are achieved`."""

    span: Optional[Span] = span_field()


@attrs.frozen
class CountAchieved:
    """`the number of outcomes achieved`, `the number of indicators achieved` (those with a payment rule), or
    `the number of cancer_62d, a_and_e_4h, rtt_18w achieved`: how many were achieved in the year, a number."""

    among: str  # "outcomes" | "indicators" | "named"
    names: tuple[str, ...] = ()  # for "named"
    span: Optional[Span] = span_field()
    name_spans: tuple[Span, ...] = attrs.field(default=(), eq=False)


@attrs.frozen
class Reached:
    """`crisis_response_4h reached improved`: the indicator reached that band or better."""

    name: str
    band: str
    span: Optional[Span] = span_field()


@attrs.frozen
class Extremum:
    """`min(a, b, ...)` or `max(a, b, ...)`."""

    function: str  # "min" | "max"
    arguments: tuple["Expr", ...]
    span: Optional[Span] = span_field()


Expr = Union[
    Literal, Reference, Negative, Arithmetic, Comparison, Logical, Not,
    Achieved, AllAchieved, Reached, Extremum, CountAchieved,
]


# ---------------------------------------------------------------- header


@attrs.frozen
class Subcontractor:
    """`subcontractor mind "Mind"`."""

    name: str
    title: str
    clause: Optional[str] = None
    span: Optional[Span] = span_field()
    name_span: Optional[Span] = span_field()


@attrs.frozen
class Term:
    """`term 5 years from 2015/16, extendable by up to 2 years`."""

    years: int
    first_year: str  # "2015/16"
    extension_years: int = 0
    clause: Optional[str] = None
    span: Optional[Span] = span_field()

    @property
    def first_calendar_year(self) -> int:
        return int(self.first_year[:4])

    def financial_year(self, year: int) -> str:
        """The financial year label of contract year `year` (1-based)."""
        start = self.first_calendar_year + year - 1
        return f"{start}/{(start + 1) % 100:02d}"

    @property
    def last_year(self) -> int:
        """The last contract year, counting any extension."""
        return self.years + self.extension_years


@attrs.frozen
class PoolMember:
    """`icb "NHS Example ICB" contributes 70%` in `commissioners ... end`: a commissioner and its share of the budget."""

    name: str
    title: str
    contribution: Decimal
    clause: Optional[str] = None
    span: Optional[Span] = span_field()
    name_span: Optional[Span] = span_field()


@attrs.frozen
class MemberShare:
    """`icb 80%` in `overspend shared icb 80%, council 20%`."""

    name: str
    share: Decimal
    span: Optional[Span] = span_field()


@attrs.frozen
class PoolVariance:
    """`overspend shared icb 80%, council 20%`: how the commissioners share what the year costs beyond the budget
    (or, for `underspend`, what it leaves of it)."""

    side: str  # "overspend" | "underspend"
    shares: tuple[MemberShare, ...]
    clause: Optional[str] = None
    span: Optional[Span] = span_field()


@attrs.frozen
class Commissioners:
    """`commissioners icb "..." contributes 70% council "..." contributes 30% end`: a budget pooled by several
    commissioners; its under- or overspend is shared as they contribute unless a `shared` line says otherwise."""

    members: tuple[PoolMember, ...]
    variances: tuple[PoolVariance, ...] = ()
    clause: Optional[str] = None
    span: Optional[Span] = span_field()

    def shares(self, side: str) -> list[tuple[str, Decimal]]:
        """Each member's share, in percent, of the overspend or underspend: as stated, else as it contributes."""
        stated = next((v for v in self.variances if v.side == side), None)
        if stated is None:
            return [(m.name, m.contribution) for m in self.members]
        return [(s.name, s.share) for s in stated.shares]


@attrs.frozen
class Header:
    """The `contract "..." ... end` section."""

    name: str
    commissioner: Optional[str] = None
    lead_provider: Optional[str] = None
    subcontractors: tuple[Subcontractor, ...] = ()
    term: Optional[Term] = None
    currency: Optional[str] = None
    rounding: Optional[str] = None  # "half up" | "half even" | "half down" | "down" | "up"
    missing_data: Optional[str] = None  # "error" | "not achieved"
    clause: Optional[str] = None
    span: Optional[Span] = span_field()
    commissioners: Optional[Commissioners] = None  # several commissioners pooling the budget


# ---------------------------------------------------------------- population


@attrs.frozen
class Segment:
    """`segment psychosis "Psychosis including schizophrenia" ... end`."""

    name: str
    title: str
    description: Optional[str] = None
    clusters: tuple[tuple[int, int], ...] = ()
    icd10: tuple[str, ...] = ()
    people: Optional[Decimal] = None
    weight: Optional[Decimal] = None
    clause: Optional[str] = None
    span: Optional[Span] = span_field()
    name_span: Optional[Span] = span_field()


@attrs.frozen
class Population:
    """`population ... end`: segments and projected growth."""

    segments: tuple[Segment, ...] = ()
    projected_growth: Optional[Decimal] = None  # percent a year
    clause: Optional[str] = None
    span: Optional[Span] = span_field()


# ---------------------------------------------------------------- budget


@attrs.frozen
class YearlyRate:
    """`efficiency 4% each year`, `uplift 2% in year 3`, `... each year from year 2`."""

    rate: Decimal  # percent
    scope: str  # "each" | "from" | "in"
    year: Optional[int] = None
    clause: Optional[str] = None
    span: Optional[Span] = span_field()


@attrs.frozen
class PopulationAdjustment:
    """`adjust for population growth beyond 1% tolerance, on the whole difference, counting weighted people`."""

    tolerance: Decimal  # percent
    basis: str  # "whole" | "excess"
    measure: Optional[str] = None  # "weighted people" | "heads"; None: weighted people (see `counts`)
    clause: Optional[str] = None
    span: Optional[Span] = span_field()

    @property
    def counts(self) -> str:
        """What is counted: risk-weighted people unless the contract says heads, as the capitation does."""
        return self.measure or "weighted people"


@attrs.frozen
class BudgetAddition:
    """`add £3,424,000 from year 3 for "community stroke service"`: a service brought into the budget from a year."""

    amount: Decimal
    year: int
    service: str
    clause: Optional[str] = None
    span: Optional[Span] = span_field()


@attrs.frozen
class Budget:
    """`budget ... end`: the capitated budget and its yearly adjustments."""

    baseline: Optional[Decimal] = None
    capitation: Optional[Decimal] = None  # pounds per head
    efficiency: tuple[YearlyRate, ...] = ()
    uplift: tuple[YearlyRate, ...] = ()
    population_adjustment: Optional[PopulationAdjustment] = None
    additions: tuple[BudgetAddition, ...] = ()
    clause: Optional[str] = None
    span: Optional[Span] = span_field()
    baseline_span: Optional[Span] = span_field()
    capitation_span: Optional[Span] = span_field()


# ---------------------------------------------------------------- payments


@attrs.frozen
class BudgetAmount:
    """`80% of budget` (kind "share", value in percent) or `£1m` (kind "money"); a pot may be stated in points,
    `1,000 points at £150 per point` (kind "money", value £150,000, with its `points` and `per_point`)."""

    kind: str
    value: Decimal
    clause: Optional[str] = None
    span: Optional[Span] = span_field()
    points: Optional[Decimal] = None
    per_point: Optional[Decimal] = None
    on_top: bool = False  # `outcomes pot 2.5% of budget on top`: paid beyond the budget, not out of it


@attrs.frozen
class CarveOut:
    """`carve out £4.2m for "patient choice: out of area providers"`: taken from the budget, paid to the destination."""

    amount: BudgetAmount
    destination: str
    clause: Optional[str] = None
    span: Optional[Span] = span_field()


@attrs.frozen
class Deduction:
    """`deduct 1% of core unless crisis_response_4h at least 75%`: taken from the core when the condition fails."""

    kind: str  # "share" (percent of the core) | "money"
    value: Decimal
    condition: Expr
    clause: Optional[str] = None
    span: Optional[Span] = span_field()


@attrs.frozen
class Components:
    """Core, outcomes pot and risk reserve: the `payments` section or a phase's own."""

    core: Optional[BudgetAmount] = None
    pot: Optional[BudgetAmount] = None
    reserve: Optional[BudgetAmount] = None
    ceiling: Optional[BudgetAmount] = None  # `total payment at most 110% of budget`
    floor: Optional[BudgetAmount] = None  # `total payment at least 95% of budget`
    carve_outs: tuple[CarveOut, ...] = ()
    deductions: tuple[Deduction, ...] = ()
    clause: Optional[str] = None
    span: Optional[Span] = span_field()


# ---------------------------------------------------------------- outcomes


@attrs.frozen
class Weight:
    """`weight 20 points` or `weight 25%`."""

    value: Decimal
    unit: str  # "points" | "percent"
    span: Optional[Span] = span_field()


@attrs.frozen
class ThresholdValue:
    """`85%`, `-6%`, `12`, `5 points above baseline`, `10% below baseline`, `2 points above last year`,
    `england_average` (a measure's value), `5% below last year`."""

    kind: str  # "absolute" | "points" | "percent" | "reference" (the value compared with itself)
    amount: Decimal
    relation: Optional[str] = None  # "above" | "below" for relative thresholds
    literal: str = "number"  # "percent" | "number" | "money"
    span: Optional[Span] = span_field()
    reference: Optional[str] = None  # not absolute: what it compares with, None the baseline, "last year", a measure's name
    reference_span: Optional[Span] = span_field()  # where `baseline`, `last year` or the measure's name is written

    @property
    def compared_with(self) -> str:
        """`baseline`, `last year` or the measure's name, as the threshold is written."""
        return self.reference or "baseline"


@attrs.frozen
class Threshold:
    """`at least 85%`; with no comparator, reaching the value counts."""

    comparator: Optional[str]  # "at least" | "at most" | "above" | "below" | None
    value: ThresholdValue
    span: Optional[Span] = span_field()


@attrs.frozen
class Target:
    """`target at least 85%`: pays the whole allocation when met."""

    threshold: Threshold
    clause: Optional[str] = None
    span: Optional[Span] = span_field()


@attrs.frozen
class Band:
    """`improved at least 80% pays 50%`: one named band."""

    name: str
    threshold: Threshold
    upper: Optional[ThresholdValue] = None
    share: Optional[Decimal] = None  # percent
    base: Optional[str] = None  # "pot" | "allocation"; None means allocation
    clause: Optional[str] = None
    span: Optional[Span] = span_field()
    name_span: Optional[Span] = span_field()
    share_span: Optional[Span] = span_field()


@attrs.frozen
class Bands:
    """`bands ... end`: the highest band reached pays its share."""

    bands: tuple[Band, ...]
    clause: Optional[str] = None
    span: Optional[Span] = span_field()


@attrs.frozen
class SlidingScale:
    """`sliding scale from 60% paying 0% to 90% paying 100%`: linear, clamped."""

    floor: ThresholdValue
    floor_pays: Decimal
    ceiling: ThresholdValue
    ceiling_pays: Decimal
    clause: Optional[str] = None
    span: Optional[Span] = span_field()


Rule = Union[Target, Bands, SlidingScale]


@attrs.frozen
class SegmentRule:
    """`in segment psychosis: target at least 20%`."""

    segment: str
    rule: Rule
    span: Optional[Span] = span_field()
    segment_span: Optional[Span] = span_field()


@attrs.frozen
class Scaling:
    """`scaled by quality_score / 100 capped at 100%`."""

    factor: Expr
    cap: Optional[Decimal] = None  # percent
    clause: Optional[str] = None
    span: Optional[Span] = span_field()
    on_top: bool = False  # `, the excess paid on top of the pot`: a factor above 100% pays beyond the allocation


@attrs.frozen
class Gate:
    """`only if data_completeness at least 95%`."""

    condition: Expr
    clause: Optional[str] = None
    span: Optional[Span] = span_field()


@attrs.frozen
class Unit:
    """`unit percent`, `unit rate per 1,000`, `unit count`, `unit score`, `unit money`."""

    kind: str
    per: Optional[Decimal] = None
    span: Optional[Span] = span_field()


@attrs.frozen
class Indicator:
    """`indicator crisis_response_4h "..." ... end`."""

    name: str
    title: str
    weight: Optional[Weight] = None
    unit: Optional[Unit] = None
    direction: Optional[str] = None  # "higher" | "lower"
    definition: Optional[str] = None
    numerator: Optional[str] = None
    denominator: Optional[str] = None
    source: Optional[str] = None
    description: Optional[str] = None
    data_from: Optional[int] = None
    measured_as: Optional[Expr] = None
    rule: Optional[Rule] = None
    by_segment: Optional[str] = None  # "equally" | "population"
    segment_rules: tuple[SegmentRule, ...] = ()
    scaling: Optional[Scaling] = None
    gates: tuple[Gate, ...] = ()
    missing_data: Optional[str] = None
    data_from_clause: Optional[str] = None
    clause: Optional[str] = None
    span: Optional[Span] = span_field()
    name_span: Optional[Span] = span_field()
    data_from_span: Optional[Span] = span_field()

    @property
    def has_rule(self) -> bool:
        """Whether it states how it pays: a `target`, `bands`, a sliding scale or rules by segment."""
        return self.rule is not None or bool(self.segment_rules)


@attrs.frozen
class Outcome:
    """`outcome live_longer "People will live longer" ... end`."""

    name: str
    title: str
    weight: Optional[Weight] = None
    indicators: tuple[Indicator, ...] = ()
    description: Optional[str] = None
    gates: tuple[Gate, ...] = ()
    clause: Optional[str] = None
    span: Optional[Span] = span_field()
    name_span: Optional[Span] = span_field()

    @functools.cached_property
    def paying_indicator_count(self) -> int:
        """How many of its indicators have a payment rule (`target`, `bands`, a sliding scale or segment rules)."""
        return sum(1 for i in self.indicators if i.has_rule)

    @functools.cached_property
    def indicator_weight_total(self) -> Decimal:
        """What its indicators' weights are shares of: 100% when all are percentages, else their sum."""
        stated = [i.weight for i in self.indicators if i.weight is not None]
        if stated and all(w.unit == "percent" for w in stated):
            return Decimal(100)
        return sum((w.value for w in stated), Decimal(0))


@attrs.frozen
class Bonus:
    """`bonus all_outcomes "..." weight 10 points pays when all outcomes are achieved end`."""

    name: str
    title: str
    weight: Optional[Weight] = None
    description: Optional[str] = None
    condition: Optional[Expr] = None
    clause: Optional[str] = None
    span: Optional[Span] = span_field()
    name_span: Optional[Span] = span_field()


@attrs.frozen
class Unearned:
    """`unearned pot reinvested in "..."` or `unearned pot retained by the commissioner`."""

    destination: str  # "retained" | "reinvested"
    services: tuple[str, ...] = ()
    clause: Optional[str] = None
    span: Optional[Span] = span_field()


@attrs.frozen
class Outcomes:
    """`outcomes ... end`: the incentive pot's outcomes, bonuses and unearned rule."""

    total: Optional[Weight] = None
    outcomes: tuple[Outcome, ...] = ()
    bonuses: tuple[Bonus, ...] = ()
    unearned: Optional[Unearned] = None
    missing_data: Optional[str] = None
    clause: Optional[str] = None
    span: Optional[Span] = span_field()


# ---------------------------------------------------------------- phasing


@attrs.frozen
class Link:
    """`link all indicators` (name None) or `link crisis_response_4h`."""

    name: Optional[str]
    span: Optional[Span] = span_field()


@attrs.frozen
class BandShare:
    """`good 9%` inside a `shares` line."""

    band: str
    share: Decimal
    span: Optional[Span] = span_field()


@attrs.frozen
class BandShares:
    """`shares outcome_1: good 9%, improved 18%, excellent 40% of the pot`."""

    indicator: str
    shares: tuple[BandShare, ...]
    base: Optional[str] = None  # "pot" | "allocation"
    clause: Optional[str] = None
    span: Optional[Span] = span_field()
    indicator_span: Optional[Span] = span_field()


@attrs.frozen
class PhaseWeight:
    """`wellbeing 40%` inside a phase's `weights ... end`: what an outcome, indicator or bonus weighs in the phase."""

    name: str
    weight: Weight
    clause: Optional[str] = None
    span: Optional[Span] = span_field()
    name_span: Optional[Span] = span_field()


@attrs.frozen
class PhaseWeights:
    """`weights wellbeing 40% carers 20% end` in a phase: these weights replace the named ones' own in its years."""

    weights: tuple[PhaseWeight, ...]
    clause: Optional[str] = None
    span: Optional[Span] = span_field()


@attrs.frozen
class Phase:
    """`phase "bedding in" years 2 to 3 ... end`."""

    name: str
    first_year: int
    last_year: Optional[int]  # None: to the end of the term
    components: Components = Components()
    links: tuple[Link, ...] = ()
    shares: tuple[BandShares, ...] = ()
    risk_share: Optional[bool] = None
    clause: Optional[str] = None
    span: Optional[Span] = span_field()
    years_span: Optional[Span] = span_field()
    risk_terms: Optional["RiskShare"] = None  # `risk share ... end` in the phase: the terms it states for its years
    weights: Optional[PhaseWeights] = None  # `weights ... end` in the phase: the weights in force in its years

    def covers(self, year: int, last_year: int) -> bool:
        end = self.last_year if self.last_year is not None else last_year
        return self.first_year <= year <= end


@attrs.frozen
class Phasing:
    """`phasing ... end`."""

    phases: tuple[Phase, ...] = ()
    clause: Optional[str] = None
    span: Optional[Span] = span_field()


# ---------------------------------------------------------------- risk share


@attrs.frozen
class Amount:
    """`£500,000` (kind "money"), `3% of budget` (kind "budget share") or `5% of provider_revenue` (kind "measure share")."""

    kind: str  # "money" | "budget share" | "measure share"
    value: Decimal
    span: Optional[Span] = span_field()
    measure: Optional[str] = None  # the measure a "measure share" is a share of


@attrs.frozen
class RiskBand:
    """`from 2% of budget to 10% of budget: provider 50%, commissioner 50%`."""

    lower: Optional[Amount]  # None: from nothing ("up to ...")
    upper: Optional[Amount]  # None: without limit ("above ...")
    provider: Decimal  # percent
    commissioner: Decimal  # percent
    clause: Optional[str] = None
    span: Optional[Span] = span_field()
    split_span: Optional[Span] = span_field()


@attrs.frozen
class SharingTable:
    """`gains when all outcomes are achieved ... end`: a table of bands that applies in a year its condition holds."""

    side: str  # "gains" | "losses"
    condition: Expr
    bands: tuple[RiskBand, ...]
    clause: Optional[str] = None
    span: Optional[Span] = span_field()


@attrs.frozen
class ExposureLimit:
    """`provider losses at most the lesser of £1m and 3% of budget`."""

    party: str  # "provider" | "commissioner"
    exposure: str  # "gains" | "losses"
    kind: str  # "cap" | "floor"
    combine: str  # "single" | "lesser" | "greater"
    amounts: tuple[Amount, ...]
    clause: Optional[str] = None
    span: Optional[Span] = span_field()


@attrs.frozen
class StopLoss:
    """`per patient stop-loss above £20,000, provider coinsurance 10%, up to £250,000 per patient`."""

    threshold: Decimal
    coinsurance: Optional[Decimal] = None  # percent borne by the provider
    limit: Optional[Decimal] = None
    clause: Optional[str] = None
    span: Optional[Span] = span_field()


@attrs.frozen
class MinimumVariance:
    """`minimum variance 1% of budget, shared from the first pound`."""

    amount: Amount
    basis: str  # "first pound" | "above minimum"
    clause: Optional[str] = None
    span: Optional[Span] = span_field()


@attrs.frozen
class UnsharedVariance:
    """`gains not shared go to the commissioner`: who takes the part of a gain (or a loss) that the minimum variance
    keeps out of the sharing: all of a variance below the minimum, and the first part of any variance where only the
    part above the minimum is shared. Without it, the provider."""

    side: str  # "gains" | "losses"
    party: str  # "provider" | "commissioner"
    clause: Optional[str] = None
    span: Optional[Span] = span_field()


@attrs.frozen
class AtMinimum:
    """`variance equal to the minimum is not shared`: the minimum itself stays below the line (by default a variance
    of exactly the minimum is shared)."""

    clause: Optional[str] = None
    span: Optional[Span] = span_field()


@attrs.frozen
class RiskShare:
    """`risk share ... end`: gain/loss bands, limits and stop-loss."""

    placement: Optional[str] = None  # "outside" | "within"
    minimum: Optional[MinimumVariance] = None
    gains: tuple[RiskBand, ...] = ()
    losses: tuple[RiskBand, ...] = ()
    limits: tuple[ExposureLimit, ...] = ()
    stop_loss: Optional[StopLoss] = None
    gains_clause: Optional[str] = None
    losses_clause: Optional[str] = None
    clause: Optional[str] = None
    span: Optional[Span] = span_field()
    gains_span: Optional[Span] = span_field()
    losses_span: Optional[Span] = span_field()
    unshared: tuple[UnsharedVariance, ...] = ()
    at_minimum: Optional[AtMinimum] = None
    tables: tuple[SharingTable, ...] = ()  # `gains when ...`, `losses when ...`, in the order written
    gains_otherwise: bool = False  # the `gains` table is written `gains otherwise`
    losses_otherwise: bool = False
    reference: str = "budget"  # what the variance is measured against: "budget" | "payments"
    reference_clause: Optional[str] = None
    reference_span: Optional[Span] = span_field()

    def tables_for(self, side: str) -> tuple[SharingTable, ...]:
        """The side's `when` tables, in the order written."""
        return tuple(t for t in self.tables if t.side == side)

    def unshared_party(self, side: str) -> str:
        """Who takes the part of a gain or loss the minimum variance keeps out of the sharing."""
        return next((u.party for u in self.unshared if u.side == side), "provider")


# ---------------------------------------------------------------- distribution


@attrs.frozen
class ComponentShare:
    """`5% of core`, `10% of outcome payments`, `10% of bonus`."""

    component: str  # "core" | "outcomes" | "bonus"
    share: Decimal
    span: Optional[Span] = span_field()


@attrs.frozen
class SubcontractorShare:
    """`mind receives 4% of core and 6% of outcome payments`."""

    subcontractor: str
    parts: tuple[ComponentShare, ...]
    clause: Optional[str] = None
    span: Optional[Span] = span_field()
    name_span: Optional[Span] = span_field()


@attrs.frozen
class Distribution:
    """`distribution ... end`."""

    shares: tuple[SubcontractorShare, ...] = ()
    clause: Optional[str] = None
    span: Optional[Span] = span_field()


# ---------------------------------------------------------------- measures


@attrs.frozen
class Measure:
    """`measure provider_revenue "The provider's NHS revenue for the year" ... end`: data the contract reads, not an indicator that pays."""

    name: str
    title: str
    unit: Optional[Unit] = None
    description: Optional[str] = None
    definition: Optional[str] = None
    source: Optional[str] = None
    clause: Optional[str] = None
    span: Optional[Span] = span_field()
    name_span: Optional[Span] = span_field()

    # read where an indicator's value is read: a measure is given as data, for the whole population
    measured_as = None
    by_segment = None
    segment_rules = ()
    missing_data = None


@attrs.frozen
class Measures:
    """`measures ... end`."""

    measures: tuple[Measure, ...] = ()
    clause: Optional[str] = None
    span: Optional[Span] = span_field()


# ---------------------------------------------------------------- activity


@attrs.frozen
class ActivityItem:
    """`item ae_attendances "A&E attendances" ... end`: paid by volume, at a price, within a plan's caps and collars.

    Percentages are points of the plan volume (`above 105% of plan paid at 50% of price`: threshold 105, rate 50).
    """

    name: str
    title: str
    price: Optional[Decimal] = None  # `price £150 per attendance`
    unit: Optional[str] = None  # `attendance`
    plan: Optional[Decimal] = None  # `plan 40,000`
    threshold: Optional[Decimal] = None  # `above 105% of plan ...`
    rate: Optional[Decimal] = None  # `... paid at 50% of price`
    ceiling: Optional[Decimal] = None  # `nothing paid above 120% of plan`
    collar: Optional[Decimal] = None  # `paid for at least 90% of plan`
    block: Optional[Decimal] = None  # `block £2,000,000`
    block_collar: Optional[Decimal] = None  # `, less the price for each contact below 90% of plan`
    first_year: Optional[int] = None  # `in years 1 to 2`, `in year 3`, `from year 3`
    last_year: Optional[int] = None
    per_patient: bool = False  # `volume counted per patient in the patient costs`
    phase: Optional[str] = None  # `in phase introduction`: the years of the phase
    description: Optional[str] = None
    clause: Optional[str] = None
    span: Optional[Span] = span_field()
    name_span: Optional[Span] = span_field()
    spans: dict = attrs.field(factory=dict, eq=False, repr=False)  # each term's span, by field name, for diagnostics

    def in_force(self, year: int, phases: tuple["Phase", ...] = ()) -> bool:
        """Whether the item applies in the year (`in years 1 to 2`, or `in phase introduction`, one of `phases`)."""
        first, last = self.first_year, self.last_year
        if self.phase is not None:
            phase = next((p for p in phases if p.name == self.phase), None)
            if phase is None:  # a phase the contract does not have is refused (OBC201)
                return False
            first, last = phase.first_year, phase.last_year
        return (first is None or year >= first) and (last is None or year <= last)


@attrs.frozen
class Activity:
    """`activity ... end`."""

    items: tuple[ActivityItem, ...] = ()
    clause: Optional[str] = None
    span: Optional[Span] = span_field()


# ---------------------------------------------------------------- the contract


@attrs.frozen
class Contract:
    """A whole `.obc` file."""

    header: Optional[Header] = None
    population: Optional[Population] = None
    budget: Optional[Budget] = None
    payments: Optional[Components] = None
    outcomes: Optional[Outcomes] = None
    phasing: Optional[Phasing] = None
    risk_share: Optional[RiskShare] = None
    distribution: Optional[Distribution] = None
    span: Optional[Span] = span_field()
    measures: Optional[Measures] = None
    activity: Optional[Activity] = None

    # -- lookups used by the checks and the evaluator

    @property
    def all_outcomes(self) -> tuple[Outcome, ...]:
        return self.outcomes.outcomes if self.outcomes else ()

    @functools.cached_property
    def derived(self) -> dict:
        """What later stages work out once from the contract (a rule's cuts in a year plan): a cache, not its value."""
        return {}

    @functools.cached_property
    def all_indicators(self) -> tuple[Indicator, ...]:
        return tuple(i for o in self.all_outcomes for i in o.indicators)

    @functools.cached_property
    def weight_total(self) -> Decimal:
        """What outcome and bonus weights are shares of: the stated total, else their sum (points) or 100%."""
        outcomes = self.outcomes
        if outcomes is not None and outcomes.total is not None:
            return outcomes.total.value
        stated = [w for w in [o.weight for o in self.all_outcomes] + [b.weight for b in self.all_bonuses] if w is not None]
        if stated and all(w.unit == "percent" for w in stated):
            return Decimal(100)
        return sum((w.value for w in stated), Decimal(0))

    @property
    def all_measures(self) -> tuple[Measure, ...]:
        return self.measures.measures if self.measures else ()

    @property
    def all_activity(self) -> tuple[ActivityItem, ...]:
        return self.activity.items if self.activity else ()

    @property
    def all_bonuses(self) -> tuple[Bonus, ...]:
        return self.outcomes.bonuses if self.outcomes else ()

    @property
    def segments(self) -> tuple[Segment, ...]:
        return self.population.segments if self.population else ()

    @property
    def term(self) -> Optional[Term]:
        return self.header.term if self.header else None

    @property
    def phases(self) -> tuple[Phase, ...]:
        return self.phasing.phases if self.phasing else ()
