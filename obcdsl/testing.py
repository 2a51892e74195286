"""Hypothesis strategies for contracts and their data, for property-testing contracts.

    from hypothesis import given
    from obcdsl.testing import contracts, year_data

    @given(contracts())
    def test_round_trip(contract): ...

    # a user's own contract, against generated data:
    contract = obcdsl.load("my_contract.obc")

    @given(year_data(contract.ast, year=3))
    def test_never_overpays(data):
        statement = contract.evaluate(data, year=3)
        assert statement.outcomes_paid + statement.bonus_paid <= statement.pot

`contracts()` draws valid contracts (ASTs that `obcdsl check` accepts);
`year_data(contract, year)` draws data for every indicator linked that year,
with baselines, actual cost and patient costs where the contract needs them.

`contracts(rich=True)` draws contracts that use every construct of the
language that changes a payment: a population with segments and indicators
measured by segment (with rules per segment), indicators measured only to be
used by expressions, derived indicators (`measured as`), gateways on
indicators and outcomes, `scaled by`, bonuses on `all outcomes are
achieved`, `X is achieved` and `X reached BAND`, phases with their own
components, links and band shares, a risk share with a minimum variance,
bands, caps and floors (`lesser of`, `greater of`) and a per-patient
stop-loss, a distribution to subcontractors, and activity items of every
form (fee for service, cost and volume with a marginal rate, ceiling and
collar, a block with a collar, per patient in the patient costs, in stated
years; `contracts()` draws them too). Each is valid by construction;
`constructs(contract)` names the constructs a contract uses. `year_data`
gives each item in force a volume, often exactly on its collar, threshold
or ceiling, and patient rows (several to a patient) for items per patient.

`year_data(contract, year, fractions=True)` also gives percentages as a
numerator and a denominator; `random_year_data(contract, year, rng, count)`
draws many years of data the same way from a seeded `random.Random`, for
many scenarios at once.
"""

from __future__ import annotations

import decimal
from decimal import Decimal
from typing import Optional

import attrs
from hypothesis import strategies as st

from . import ast, model
from .data import ACTUAL_COST, Data, DataPoint, PatientCost

D = Decimal
TITLE = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-,.()/&'", min_size=1, max_size=30).map(str.strip).filter(bool)


def _names(prefix: str, count: int) -> list[str]:
    return [f"{prefix}{i}" for i in range(1, count + 1)]


@st.composite
def partition(draw, count: int, total: int = 100, least: int = 1) -> list[int]:
    """`count` whole numbers, each at least `least`, adding up to `total`."""
    if count == 1:
        return [total]
    cuts = sorted(draw(st.lists(st.integers(least, total - least), min_size=count - 1, max_size=count - 1, unique=True)))
    parts = [b - a for a, b in zip([0] + cuts, cuts + [total])]
    if any(p < least for p in parts):
        return [total // count] * (count - 1) + [total - (total // count) * (count - 1)]
    return parts


@st.composite
def increasing(draw, count: int, low: int, high: int) -> list[int]:
    values = sorted(draw(st.lists(st.integers(low, high), min_size=count, max_size=count, unique=True)))
    return values


@st.composite
def payment_rule(draw, direction: str) -> ast.Rule:
    kind = draw(st.sampled_from(["target", "bands", "sliding"]))
    if kind == "target":
        comparator = draw(st.sampled_from([None, "at least" if direction == "higher" else "at most",
                                           "above" if direction == "higher" else "below"]))
        value = D(draw(st.integers(5, 95)))
        return ast.Target(ast.Threshold(comparator, ast.ThresholdValue("absolute", value, None, "percent")))
    if kind == "sliding":
        low, high = draw(increasing(2, 0, 100))
        floor_pays, ceiling_pays = sorted(draw(st.lists(st.integers(0, 100), min_size=2, max_size=2)))
        floor, ceiling = (low, high) if direction == "higher" else (high, low)
        return ast.SlidingScale(
            ast.ThresholdValue("absolute", D(floor), None, "percent"), D(floor_pays),
            ast.ThresholdValue("absolute", D(ceiling), None, "percent"), D(ceiling_pays),
        )
    count = draw(st.integers(1, 3))
    thresholds = draw(increasing(count, 1, 99))
    if direction == "lower":
        thresholds = list(reversed(thresholds))
    shares = sorted(draw(st.lists(st.integers(0, 100), min_size=count, max_size=count)))
    comparator = "at least" if direction == "higher" else "at most"
    bands = tuple(
        ast.Band(name, ast.Threshold(comparator, ast.ThresholdValue("absolute", D(t), None, "percent")), None, D(share))
        for name, t, share in zip(["good", "improved", "excellent"], thresholds, shares)
    )
    return ast.Bands(bands)


@st.composite
def beside_core_and_pot(draw, budget: ast.Budget, payments: ast.Components, first: ast.Indicator,
                        years: int) -> tuple[ast.Budget, ast.Components]:
    """Perhaps a service added to the budget, a carve-out, the pot on top, a deduction from the core on `first`
    meeting a threshold (the way its direction rewards, exactly on the threshold included) and a floor."""
    assert payments.core is not None and payments.pot is not None
    if draw(st.booleans()):
        budget = attrs.evolve(budget, additions=(ast.BudgetAddition(D(draw(st.integers(1, 50))) * 10000,
                                                                    draw(st.integers(1, years)), "Added service"),))
    carved = draw(st.integers(0, 5))
    on_top = draw(st.booleans())
    core = payments.core.value - carved + (payments.pot.value if on_top else 0)
    carve_outs = (ast.CarveOut(ast.BudgetAmount("share", D(carved)), "Carved-out service"),) if carved else ()
    deductions: tuple[ast.Deduction, ...] = ()
    if draw(st.booleans()):
        threshold = ast.Literal(D(draw(st.integers(0, 100))), "percent")
        condition = ast.Comparison(">=" if first.direction == "higher" else "<=", ast.Reference(first.name), threshold)
        deductions = (ast.Deduction("share", D(draw(st.integers(1, 50))) / 10, condition),)
    floor = ast.BudgetAmount("share", D(draw(st.integers(80, 100)))) if draw(st.booleans()) else None
    return budget, attrs.evolve(payments, core=ast.BudgetAmount("share", core), pot=attrs.evolve(payments.pot, on_top=on_top),
                                carve_outs=carve_outs, deductions=deductions, floor=floor)


@st.composite
def indicator(draw, name: str, weight: Optional[int], last_year: int) -> ast.Indicator:
    direction = draw(st.sampled_from(["higher", "lower"]))
    return ast.Indicator(
        name=name,
        title=draw(TITLE),
        weight=ast.Weight(D(weight), "percent") if weight is not None else None,
        unit=ast.Unit("percent"),
        direction=direction,
        data_from=draw(st.one_of(st.none(), st.integers(1, last_year))),
        rule=draw(payment_rule(direction)),
        clause=draw(st.one_of(st.none(), st.from_regex(r"\A[1-9](\.[1-9]){0,2}\Z"))),
    )


@st.composite
def risk_share(draw) -> ast.RiskShare:
    corridor = D(draw(st.integers(2, 15)))

    def bands():
        inner = D(draw(st.integers(0, 100)))
        return (
            ast.RiskBand(None, ast.Amount("budget share", corridor), inner, 100 - inner),
            ast.RiskBand(ast.Amount("budget share", corridor), None, D(0), D(100)),
        )

    limits = []
    if draw(st.booleans()):
        limits.append(ast.ExposureLimit("provider", "losses", "cap", "single", (ast.Amount("money", D(draw(st.integers(1, 50))) * 10000),)))
    if draw(st.booleans()):
        limits.append(ast.ExposureLimit("commissioner", "gains", "cap", "lesser",
                                        (ast.Amount("money", D(draw(st.integers(1, 50))) * 10000), ast.Amount("budget share", D(3)))))
    minimum = None
    if draw(st.booleans()):
        minimum = ast.MinimumVariance(ast.Amount("budget share", D(1)), draw(st.sampled_from(["first pound", "above minimum"])))
    stop = None
    if draw(st.booleans()):
        stop = ast.StopLoss(D(20000), draw(st.one_of(st.none(), st.integers(0, 50).map(D))), draw(st.one_of(st.none(), st.just(D(250000)))))
    return ast.RiskShare("outside", minimum, bands(), bands(), tuple(limits), stop)


@st.composite
def contracts(draw, rich: bool = False) -> ast.Contract:
    """A valid contract: weights add up, bands are in order, years within the term.

    With `rich=True`, a contract that uses every construct that changes a payment (see the module's docstring).
    """
    if rich:
        return draw(rich_contracts())
    years = draw(st.integers(1, 4))
    header = ast.Header(
        name=draw(TITLE), commissioner=draw(TITLE), lead_provider=draw(TITLE),
        term=ast.Term(years, draw(st.sampled_from(["2015/16", "2020/21", "2024/25"]))),
        rounding=draw(st.sampled_from([None, "half up", "half even", "down"])),
    )
    budget = ast.Budget(
        baseline=D(draw(st.integers(1, 500))) * D(100000) + D(draw(st.integers(0, 99))) / 100,
        efficiency=(ast.YearlyRate(D(draw(st.integers(0, 5))), "each"),) if draw(st.booleans()) else (),
    )
    core = draw(st.integers(50, 95))
    payments = ast.Components(core=ast.BudgetAmount("share", D(core)), pot=ast.BudgetAmount("share", D(100 - core)))
    outcome_count = draw(st.integers(1, 3))
    with_bonus = draw(st.booleans())
    weights = draw(partition(outcome_count + (1 if with_bonus else 0)))
    outcome_list = []
    for number, name in enumerate(_names("outcome_", outcome_count)):
        count = draw(st.integers(1, 3))
        inner = draw(partition(count)) if count > 1 else [None]
        indicators = tuple(
            draw(indicator(f"ind_{number + 1}_{i + 1}", w, years)) for i, w in enumerate(inner)
        )
        outcome_list.append(ast.Outcome(name, draw(TITLE), ast.Weight(D(weights[number]), "percent"), indicators))
    bonuses: tuple[ast.Bonus, ...] = ()
    if with_bonus:
        bonuses = (ast.Bonus("bonus_all", draw(TITLE), ast.Weight(D(weights[-1]), "percent"), None, ast.AllAchieved()),)
    outcomes = ast.Outcomes(outcomes=tuple(outcome_list), bonuses=bonuses, unearned=ast.Unearned("retained"),
                            missing_data=draw(st.sampled_from([None, "not achieved"])))
    budget, payments = draw(beside_core_and_pot(budget, payments, outcome_list[0].indicators[0], years))
    contract = ast.Contract(header=header, budget=budget, payments=payments, outcomes=outcomes)
    if draw(st.booleans()):
        contract = ast.Contract(header=header, budget=budget, payments=payments, outcomes=outcomes, risk_share=draw(risk_share()))
    if draw(st.booleans()):
        contract = attrs.evolve(contract, activity=draw(activity_section(years)))
    return contract


# ---------------------------------------------------------------- richer contracts: every construct that pays
#
# Each part is valid by construction, following the checks (`obcdsl/checks/`):
# weights add up to their totals (OBC301, OBC302), bands and scales run from
# weaker to stronger performance and pay more for it (OBC403, OBC404, OBC406),
# comparators agree with the direction (OBC408), percentages lie in 0-100%
# (OBC303), years lie in the term and phases cover it without overlap (OBC501,
# OBC503), nothing is linked before its data (OBC502), components add up to
# the budget (OBC601), a scaling factor is capped (OBC381), no gateway on a
# paying indicator of its own outcome switches off with improvement (OBC384),
# one cap per party and side and never both parties capped on one side
# (OBC204, OBC707), floors below caps (OBC706) and before them, so that caps
# hold (OBC383), and distribution shares of at most 100% (OBC801). Gateways and
# bonus conditions name only indicators and outcomes that come earlier, so
# that no payment waits on itself.

PERCENT = ast.Unit("percent")


_INTEGERS: dict = {}


def _int(draw, low: int, high: int) -> int:
    """A whole number from `low` to `high`, from a strategy built once (drawing is most of the time these strategies take)."""
    strategy = _INTEGERS.get((low, high))
    if strategy is None:
        strategy = _INTEGERS[(low, high)] = st.integers(low, high)
    return draw(strategy)


def _increasing(draw, count: int, low: int, high: int) -> list[int]:
    """`count` different whole numbers from `low` to `high`, in increasing order (never a rejected draw)."""
    values: list[int] = []
    for _ in range(count):
        value = _int(draw, low, high)
        while value in values:  # the next free number above it, or below when none is left above
            value = value + 1 if any(v not in values for v in range(value, high + 1)) else value - 1
        values.append(value)
    return sorted(values)


def _partition(draw, count: int, total: int = 100) -> list[int]:
    """`count` whole numbers, each at least 1, adding up to `total`."""
    cuts = _increasing(draw, count - 1, 1, total - 1)
    return [b - a for a, b in zip([0] + cuts, cuts + [total])]


def _pick(draw, choices):
    """One of `choices` (a plain integer draw: cheaper than building `sampled_from` each time, and shrinks the same way)."""
    return choices[_int(draw, 0, len(choices) - 1)]


BAND_NAMES = ("good", "improved", "excellent")
COMPARATOR = ast.Measure("england_average", "The England average", ast.Unit("percent"))  # thresholds may compare with it


def _percent(value) -> ast.Weight:
    return ast.Weight(D(value), "percent")


@st.composite
def _threshold_values(draw, count: int, direction: str, unit: str, relative: bool) -> list[ast.ThresholdValue]:
    """`count` thresholds of one kind, from the weakest performance to the strongest."""
    kinds = ["absolute", "absolute", "points"] + (["percent"] if unit != "percent change" else [])  # not a % of a change
    kind = _pick(draw, kinds) if relative else "absolute"
    reference = _pick(draw, [None, None, "last year", COMPARATOR.name])  # a rule compares with one value (OBC412)
    near = kind == "points" and _int(draw, 0, 2) == 0  # points close to the value compared with: often none at all
    low, high = {"absolute": (-50, 50) if unit == "percent change" else (1, 99), "points": (-3, 3) if near else (-20, 20),
                 "percent": (-50, 50)}[kind]
    values = _increasing(draw, count, low, high)
    if direction == "lower":
        values = list(reversed(values))
    result = []
    for value in values:
        if kind == "absolute":
            result.append(ast.ThresholdValue("absolute", D(value), None, "percent" if unit.startswith("percent") else "number"))
        elif value == 0 and kind == "points" and _int(draw, 0, 1) == 0:  # `at least last year`: no distance
            result.append(ast.ThresholdValue("reference", D(0), None, "number", reference=reference))
        else:
            result.append(ast.ThresholdValue(kind, D(abs(value)), "above" if value >= 0 else "below",
                                             "percent" if kind == "percent" else "number", reference=reference))
    return result


def _comparators(direction: str, value: Optional[ast.ThresholdValue] = None) -> list[Optional[str]]:
    """Words that agree with the direction; before a distance below the baseline they measure the distance (OBC410)."""
    below = value is not None and value.kind != "absolute" and value.relation == "below"
    if (direction == "higher") != below:
        return [None, "at least", "above", "from"]
    return [None, "at most", "below", "from"]


@st.composite
def rich_rule(draw, direction: str, unit: str, relative: bool) -> ast.Rule:
    """A target, bands or sliding scale; thresholds absolute or relative to the baseline."""
    kind = _pick(draw, ["target", "bands", "bands", "sliding"])
    if kind == "target":
        (value,) = draw(_threshold_values(1, direction, unit, relative))
        return ast.Target(ast.Threshold(_pick(draw, _comparators(direction, value)), value))
    if kind == "sliding":
        floor, ceiling = draw(_threshold_values(2, direction, unit, relative))
        shares = sorted(_int(draw, 0, 100) for _ in range(2))
        return ast.SlidingScale(floor, D(shares[0]), ceiling, D(shares[1]))
    count = _int(draw, 1, 3)
    values = draw(_threshold_values(count, direction, unit, relative))
    shares = sorted(_int(draw, 0, 100) for _ in range(count))
    uppers = _int(draw, 0, 1) == 1  # `good from 80% to 90%`: each band ends where the next starts
    bands = []
    for index, (name, value, share) in enumerate(zip(BAND_NAMES, values, shares)):
        upper = values[index + 1] if uppers and index + 1 < count else None
        comparator = "from" if upper is not None else _pick(draw, _comparators(direction, value))
        base = _pick(draw, [None, None, "allocation"])
        bands.append(ast.Band(name, ast.Threshold(comparator, value), upper, D(share), base))
    return ast.Bands(tuple(bands))


class _Names:
    """What a gateway or condition may name: only what comes before it, so that nothing waits on itself."""

    def __init__(self) -> None:
        self.paying: list[ast.Indicator] = []  # paying indicators built so far
        self.outcomes: list[ast.Outcome] = []  # outcomes built so far
        self.measured: list[ast.Indicator] = []  # indicators with no rule, not by segment: values for expressions
        self.divisors: list[str] = []  # measured indicators whose values are never zero

    def banded(self, indicators) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        for item in indicators:
            for _, rule in model.indicator_rules(item):
                if isinstance(rule, ast.Bands):
                    found.extend((item.name, band.name) for band in rule.bands)
        return sorted(set(found))


@st.composite
def number_expression(draw, names: _Names, depth: int = 2) -> ast.Expr:
    """A value over measured indicators: arithmetic, min/max, minus; division only by values never zero."""
    leaves = [ast.Reference(i.name) for i in names.measured]
    choice = _int(draw, 0, 9 if depth > 0 else 2)
    if choice <= 1 or not leaves and choice <= 2:
        return _pick(draw, leaves) if leaves else ast.Literal(D(_int(draw, 0, 100)), "number")
    if choice == 2:
        return ast.Literal(D(_int(draw, 0, 1000)) / 10, _pick(draw, ["number", "percent"]))
    if choice <= 4:
        operator = _pick(draw, ["+", "-", "*"])
        return ast.Arithmetic(operator, draw(number_expression(names, depth - 1)), draw(number_expression(names, depth - 1)))
    if choice <= 6:
        divisor = (ast.Reference(_pick(draw, names.divisors)) if names.divisors and _int(draw, 0, 1) == 1
                   else ast.Literal(D(_int(draw, 1, 400)) / 4, "number"))
        return ast.Arithmetic("/", draw(number_expression(names, depth - 1)), divisor)
    if choice <= 8:
        arguments = tuple(draw(number_expression(names, depth - 1)) for _ in range(_int(draw, 2, 3)))
        return ast.Extremum(_pick(draw, ["min", "max"]), arguments)
    return ast.Negative(draw(number_expression(names, depth - 1)))


@st.composite
def ratio_expression(draw, names: _Names) -> ast.Expr:
    """`100% * a / b` (a rate of two counts, `b` never zero), or another value."""
    if names.divisors and _int(draw, 0, 2) > 0:
        numerator = ast.Reference(_pick(draw, [i.name for i in names.measured]))
        denominator: ast.Expr = ast.Reference(_pick(draw, names.divisors))
        if _int(draw, 0, 1) == 1:
            denominator = ast.Arithmetic("/", denominator, ast.Literal(D(_int(draw, 1, 5)), "number"))
        return ast.Arithmetic("/", ast.Arithmetic("*", ast.Literal(D(100), "percent"), numerator), denominator)
    return draw(number_expression(names))


@st.composite
def condition(draw, names: _Names, depth: int = 2, bonus: bool = False, whole: bool = False) -> ast.Expr:
    """A condition: comparisons of measured values, `is achieved`, `reached`, `all outcomes are achieved`, and/or/not."""
    kinds = ["compare"] if names.measured else []
    achievable = [i.name for i in names.paying] + [o.name for o in names.outcomes]
    banded = names.banded(names.paying)
    kinds += ["achieved"] * (2 if achievable else 0) + ["reached"] * (2 if banded else 0) + (["all"] * 3 if bonus else [])
    kinds += ["count"] if achievable else []
    if depth > 0:
        kinds += ["and", "or", "not"]
    if not kinds:
        return ast.Comparison(">=", ast.Literal(D(1), "number"), ast.Literal(D(_int(draw, 0, 2)), "number"))
    kind = _pick(draw, kinds)
    if kind == "compare":
        left = (ast.Reference(_pick(draw, [i.name for i in names.measured])) if _int(draw, 0, 3)
                else draw(number_expression(names, 1)))
        right = ast.Literal(D(_int(draw, 0, 100)), _pick(draw, ["number", "percent"]))
        operator = _pick(draw, [">=", "<=", ">", "<", "=", "!="])
        return ast.Comparison(operator, left, right) if _int(draw, 0, 4) else ast.Comparison(operator, right, left)
    if kind == "achieved":
        return ast.Achieved(_pick(draw, achievable))
    if kind == "reached":
        name, band = _pick(draw, banded)
        return ast.Reached(name, band)
    if kind == "all":
        return ast.AllAchieved()
    if kind == "count":  # counting every outcome or indicator only where no gateway could then wait on itself
        among = _pick(draw, ["named", "outcomes", "indicators"] if bonus or whole else ["named"])
        counted = tuple(n for n in achievable if _int(draw, 0, 1)) or (_pick(draw, achievable),) if among == "named" else ()
        return ast.Comparison(_pick(draw, [">=", ">"]), ast.CountAchieved(among, counted),
                              ast.Literal(D(_int(draw, 0, max(len(counted), 2))), "number"))
    if kind == "not":
        return ast.Not(draw(condition(names, depth - 1, bonus, whole)))
    return ast.Logical(kind, draw(condition(names, depth - 1, bonus, whole)), draw(condition(names, depth - 1, bonus, whole)))


@st.composite
def _gates(draw, names: _Names, most: int = 1) -> tuple[ast.Gate, ...]:
    count = _int(draw, 0, most) if _int(draw, 0, 2) == 0 else 0
    return tuple(ast.Gate(draw(condition(names, _int(draw, 0, 2)))) for _ in range(count))


@st.composite
def rich_paying_indicator(draw, name: str, weight: Optional[int], names: _Names, segments: list[str],
                          last_year: int) -> ast.Indicator:
    """An indicator with a payment rule: plain, derived (`measured as`) or by segment; perhaps gated and scaled."""
    kinds = ["plain", "plain", "score", "change"] + (["derived", "derived"] if names.measured else []) + (["segments"] * 2 if segments else [])
    kind = _pick(draw, kinds)
    direction = _pick(draw, ["higher", "lower"])
    unit = {"score": "score", "change": "percent change"}.get(kind, "percent")  # a change: thresholds below zero too
    fields: dict = dict(name=name, title=f"Indicator {name}", weight=_percent(weight) if weight is not None else None,
                        unit=ast.Unit(unit), direction=direction)
    if _int(draw, 0, 3) == 0:
        fields["data_from"] = _int(draw, 1, last_year)
    if kind == "derived":
        fields["measured_as"] = draw(ratio_expression(names))
        fields["rule"] = draw(rich_rule(direction, unit, relative=True))
    elif kind == "segments":
        fields["by_segment"] = _pick(draw, ["equally", "population"])
        general = _int(draw, 0, 1) == 1
        if general:
            fields["rule"] = draw(rich_rule(direction, unit, relative=True))
        own = [s for s in segments if not general or _int(draw, 0, 1) == 1]
        fields["segment_rules"] = tuple(ast.SegmentRule(s, draw(rich_rule(direction, unit, relative=True))) for s in own)
    else:
        fields["rule"] = draw(rich_rule(direction, unit, relative=True))
    if names.measured and _int(draw, 0, 2) == 0:
        factor = draw(ratio_expression(names))
        if _int(draw, 0, 3) == 0:  # a factor above 100%, its excess paid on top of the pot, perhaps with no cap
            fields["scaling"] = ast.Scaling(factor, _pick(draw, [D(130), D(150), D(100), None]), on_top=True)
        else:
            fields["scaling"] = ast.Scaling(factor, D(_pick(draw, [100, 100, 100, 90, 50])))
    fields["gates"] = draw(_gates(names))
    if _int(draw, 0, 4) == 0:
        fields["missing_data"] = _pick(draw, ["error", "not achieved"])
    rules = [fields["rule"]] if fields.get("rule") is not None else []
    rules += [r.rule for r in fields.get("segment_rules", ())]
    if any("last year" in model.rule_references(r) for r in rules):
        fields.pop("data_from", None)  # its first year of data would have no year before to compare with (OBC413)
    return ast.Indicator(**fields)


@st.composite
def rich_risk_share(draw, within: bool, names: Optional[_Names] = None, measures: tuple[str, ...] = ()) -> ast.RiskShare:
    """Gains and losses bands, a minimum variance, caps and floors on both parties, a per-patient stop-loss; with
    `names`, `when` tables whose conditions read them, and with `measures`, caps that are shares of a measure and
    the variance against the payments made."""
    placement = "within" if within else _pick(draw, [None, "outside"])
    stop = None
    if _int(draw, 0, 2) > 0:
        threshold = D(_int(draw, 5, 50) * 1000)
        coinsurance = D(_int(draw, 0, 500)) / 10 if _int(draw, 0, 1) == 1 else None
        limit = threshold + D(_int(draw, 1, 300) * 1000) if _int(draw, 0, 1) == 1 else None
        stop = ast.StopLoss(threshold, coinsurance, limit)
    if stop is not None and _int(draw, 0, 9) == 0:
        return ast.RiskShare(placement, stop_loss=stop)  # a stop-loss alone: no variance is shared

    def amount(kind: str, value: int) -> ast.Amount:
        return ast.Amount(kind, D(value) / 10 if kind == "budget share" else D(value) * 10000)

    def side() -> tuple[ast.RiskBand, ...]:
        kind = _pick(draw, ["budget share", "money"])
        count = _int(draw, 1, 3)
        open_ended = _int(draw, 0, 4) > 0  # else the variance beyond the last band stays with the provider
        if open_ended and count == 1:
            count = 2  # `up to A`, then `above A`
        edges = _increasing(draw, count - 1 if open_ended else count, 1, 200 if kind == "budget share" else 300)
        bands = []
        lower = None
        for index in range(count):
            upper = amount(kind, edges[index]) if index < len(edges) else None
            provider = D(_int(draw, 0, 1000)) / 10 if _int(draw, 0, 3) == 0 else D(_int(draw, 0, 10) * 10)
            bands.append(ast.RiskBand(lower, upper, provider, 100 - provider))
            lower = upper
        return tuple(bands)

    sides = _pick(draw, [("gains", "losses")] * 4 + [("gains",), ("losses",)])
    gains = side() if "gains" in sides else ()
    losses = side() if "losses" in sides else ()
    minimum = None
    if _int(draw, 0, 1) == 1:
        kind = _pick(draw, ["budget share", "money"])
        minimum = ast.MinimumVariance(amount(kind, _int(draw, 1, 30)), _pick(draw, ["first pound", "above minimum"]))

    def limit_amounts(low: int, high: int, measured: bool = False) -> tuple[str, tuple[ast.Amount, ...]]:
        combine = _pick(draw, ["single", "single", "lesser", "greater"])
        count = 1 if combine == "single" else _int(draw, 2, 3)
        amounts = []
        for _ in range(count):
            if measured and measures and _int(draw, 0, 2) == 0:  # a cap of `N% of MEASURE`
                amounts.append(ast.Amount("measure share", D(_int(draw, low, high)) / 10, measure=_pick(draw, measures)))
            elif _int(draw, 0, 1) == 1:
                amounts.append(ast.Amount("money", D(_int(draw, low, high)) * 10000))
            else:
                amounts.append(ast.Amount("budget share", D(_int(draw, low, high)) / 10))
        return combine, tuple(amounts)

    floors, caps = [], []
    for exposure in ("gains", "losses"):
        for party in ("provider", "commissioner"):
            if _int(draw, 0, 3) == 0:
                combine, amounts = limit_amounts(1, 10)  # floors: up to £100,000 or 1% of budget
                floors.append(ast.ExposureLimit(party, exposure, "floor", combine, amounts))
        capped = _pick(draw, [None, None, "provider", "commissioner"])
        if capped is not None:
            combine, amounts = limit_amounts(10, 100, measured=True)  # caps: from £100,000 or 1% of budget
            caps.append(ast.ExposureLimit(capped, exposure, "cap", combine, amounts))
    limits = tuple(draw(st.permutations(floors))) + tuple(draw(st.permutations(caps)))
    # A losses cap binds within the variances `obcdsl check` samples only if the capped party bears none, or a
    # good part, of the last band: else the check cannot tell a cap that binds late from one that never does
    # (a false OBC383). Keep to contracts it accepts.
    capped = next((c.party for c in caps if c.exposure == "losses"), None)
    if capped is not None and losses and losses[-1].upper is None:
        last = losses[-1]
        mine = last.provider if capped == "provider" else last.commissioner
        if 0 < mine < 25:
            mine = D(0) if mine < 12 else D(25)
            provider = mine if capped == "provider" else 100 - mine
            losses = losses[:-1] + (ast.RiskBand(last.lower, None, provider, 100 - provider),)
    unshared: tuple[ast.UnsharedVariance, ...] = ()
    at_minimum = None
    if minimum is not None:  # who takes what the minimum keeps out of the sharing, and whether the minimum itself is shared
        unshared = tuple(ast.UnsharedVariance(side, _pick(draw, ["provider", "commissioner"]))
                         for side in ("gains", "losses") if _int(draw, 0, 2) == 0)
        at_minimum = ast.AtMinimum() if _int(draw, 0, 2) == 0 else None
    tables: list[ast.SharingTable] = []
    otherwise = {"gains": False, "losses": False}
    if names is not None and _int(draw, 0, 1) == 0:  # `gains when ...` / `losses when ...` tables
        for side_name in ("gains", "losses"):
            if side_name not in sides:
                continue
            if side_name == "losses" and capped is not None:
                continue  # a losses cap's proof samples one table's last band (see above): keep to the plain one
            for _ in range(_int(draw, 0, 2)):
                bands = side()
                tables.append(ast.SharingTable(side_name, draw(condition(names, _int(draw, 0, 1), whole=True)), bands))
            plain = gains if side_name == "gains" else losses
            if any(t.side == side_name for t in tables):
                if _int(draw, 0, 2) == 0:  # no plain table: a variance no table takes goes to the party named
                    if side_name == "gains":
                        gains = ()
                    else:
                        losses = ()
                    if not any(u.side == side_name for u in unshared):
                        unshared += (ast.UnsharedVariance(side_name, _pick(draw, ["provider", "commissioner"])),)
                else:
                    otherwise[side_name] = bool(plain) and _int(draw, 0, 1) == 1
    reference = "payments" if measures and _int(draw, 0, 3) == 0 else "budget"
    return ast.RiskShare(placement, minimum, gains, losses, limits, stop, unshared=unshared, at_minimum=at_minimum,
                         tables=tuple(tables), gains_otherwise=otherwise["gains"], losses_otherwise=otherwise["losses"],
                         reference=reference)


def _phase_weights(draw, outcomes: list[ast.Outcome], bonuses: tuple[ast.Bonus, ...]) -> Optional[ast.PhaseWeights]:
    """Weights a phase restates: the outcomes' and bonuses' (a new split of the same total, in the same unit),
    and perhaps the indicators' within an outcome (a new split of 100%)."""
    weighed = [(n.name, n.weight) for n in list(outcomes) + list(bonuses) if n.weight is not None]
    restated: list[ast.PhaseWeight] = []
    if len(weighed) > 1 and _int(draw, 0, 1) == 1:
        total = int(sum((w.value for _, w in weighed), D(0)))
        for (name, weight), value in zip(weighed, _partition(draw, len(weighed), total)):
            restated.append(ast.PhaseWeight(name, ast.Weight(D(value), weight.unit)))
    for outcome in outcomes:
        inner = [i for i in outcome.indicators if i.weight is not None]
        if len(inner) > 1 and _int(draw, 0, 2) == 0:
            for indicator, value in zip(inner, _partition(draw, len(inner))):
                restated.append(ast.PhaseWeight(indicator.name, ast.Weight(D(value), "percent")))
    return ast.PhaseWeights(tuple(restated)) if restated else None


@st.composite
def _phases(draw, last: int, paying: list[ast.Indicator], outcomes: list[ast.Outcome], components: dict,
            pot_shares: dict, risk: bool, bonuses: tuple[ast.Bonus, ...] = ()) -> ast.Phasing:
    """Phases covering the term without overlap, each with its links, and perhaps its own components, band shares
    and weights."""
    count = _int(draw, 1, min(3, last))
    starts = [1] + _increasing(draw, count - 1, 2, last) if count > 1 else [1]
    phases = []
    for index, first in enumerate(starts):
        end = starts[index + 1] - 1 if index + 1 < len(starts) else last
        last_year = None if end == last and _int(draw, 0, 1) == 1 else end
        ready = [i for i in paying if (i.data_from or 1) <= first]
        links: list[ast.Link] = []
        if len(ready) == len(paying) and _int(draw, 0, 1) == 1:
            links.append(ast.Link(None))
        else:
            ready_outcomes = [o for o in outcomes if all((i.data_from or 1) <= first for i in o.indicators)]
            choices = [i.name for i in ready] + [o.name for o in ready_outcomes]
            if choices:
                picked = [n for n in choices if _int(draw, 0, 2) == 0] or [_pick(draw, choices)]
                links.extend(ast.Link(n) for n in picked[:4])
        own = ast.Components()
        choice = _int(draw, 0, 3)
        if choice == 1 and components["core stated"]:
            core = _int(draw, 0, 100 - components["reserve"])
            own = ast.Components(core=ast.BudgetAmount("share", D(core)),
                                 pot=ast.BudgetAmount("share", D(100 - components["reserve"] - core)))
        elif choice == 1:
            own = ast.Components(pot=ast.BudgetAmount("share", D(_int(draw, 0, 40))))
        elif choice == 2 and not components["core stated"]:
            own = ast.Components(pot=ast.BudgetAmount("money", D(_int(draw, 0, 30000)) * 10))  # at most £300,000
        shares = []
        for item in paying:
            if not isinstance(item.rule, ast.Bands) or item.segment_rules or _int(draw, 0, 2) > 0:
                continue
            count_bands = len(item.rule.bands)
            base = _pick(draw, [None, "allocation", "pot"])
            most = 100
            if base == "pot":
                most = pot_shares.get(item.name, 0)
                if most < 1:
                    base = None
                    most = 100
            values = sorted(_int(draw, 0, most) for _ in range(count_bands))
            shares.append(ast.BandShares(item.name, tuple(ast.BandShare(b.name, D(v)) for b, v in zip(item.rule.bands, values)), base))
        switch = _pick(draw, [None, True, False]) if risk else None
        terms = None
        if risk and switch is not False and _int(draw, 0, 3) == 0:  # the phase's own losses bands (a pilot's corridor)
            edge = ast.Amount("budget share", D(_int(draw, 1, 100)) / 10)
            provider = D(_int(draw, 0, 10) * 10)
            terms = ast.RiskShare(losses=(ast.RiskBand(None, edge, provider, 100 - provider),
                                          ast.RiskBand(edge, None, D(0), D(100))))
        # band shares of the pot were drawn below the outcomes' own allocations, so their phase keeps those weights
        weights = None if any(s.base == "pot" for s in shares) else _phase_weights(draw, outcomes, bonuses)
        phases.append(ast.Phase(f"phase {index + 1}", first, last_year, own, tuple(links), tuple(shares), switch,
                                risk_terms=terms, weights=weights))
    return ast.Phasing(tuple(phases))


@st.composite
def rich_contracts(draw) -> ast.Contract:
    """A valid contract that uses the constructs named in the module's docstring (each with some probability)."""
    years = _int(draw, 1, 4)
    extension = _pick(draw, [0, 0, 0, 1, 2])
    last = years + extension
    missing_global = _pick(draw, [None, None, "not achieved", "error"])
    missing_at = _pick(draw, ["header", "outcomes"])
    subcontractors = tuple(ast.Subcontractor(f"sub_{i}", f"Subcontractor {i}") for i in range(1, _int(draw, 0, 2) + 1))
    header = ast.Header(
        name=_pick(draw, ("Contract", "A contract (rich) - 2024/25")), commissioner="Commissioner", lead_provider="Lead provider",
        subcontractors=subcontractors,
        term=ast.Term(years, _pick(draw, ["2015/16", "2024/25"]), extension),
        rounding=_pick(draw, [None, "half up", "half even", "half down", "down", "up"]),
        missing_data=missing_global if missing_at == "header" else None,
    )
    # the population: segments with people and risk weights
    segment_names = _names("seg_", _int(draw, 2, 3)) if _int(draw, 0, 4) > 0 else []
    population = None
    if segment_names:
        population = ast.Population(tuple(
            ast.Segment(name, f"Segment {name}", people=D(_int(draw, 1000, 20000)), weight=D(_int(draw, 5, 40)) / 10)
            for name in segment_names))
    # the budget
    def rates() -> tuple[ast.YearlyRate, ...]:
        found: list[ast.YearlyRate] = []
        for _ in range(_int(draw, 0, 2)):
            scope = _pick(draw, ["each", "from", "in"])
            year = _int(draw, 1, last) if scope != "each" else None
            found.append(ast.YearlyRate(D(_int(draw, 0, 50)) / 10, scope, year))
        return tuple(found)

    # services added to the budget from a year: at most £500,000 each
    additions = tuple(ast.BudgetAddition(D(_int(draw, 1, 50)) * 10000, _int(draw, 1, last), f"Service {n}")
                      for n in range(1, (_int(draw, 1, 2) if _int(draw, 0, 2) == 0 else 0) + 1))
    if population is not None and _int(draw, 0, 3) == 0:
        budget = ast.Budget(capitation=D(_int(draw, 100000, 500000)) / 100, efficiency=rates(), uplift=rates(), additions=additions)
    else:
        budget = ast.Budget(baseline=D(_int(draw, 10, 500)) * D(100000) + D(_int(draw, 0, 99)) / 100,
                            efficiency=rates(), uplift=rates(), additions=additions)
    # the payments: carve-outs, core, pot (perhaps on top of the budget) and, for a risk share within the budget, a reserve
    with_risk = _int(draw, 0, 3) > 0
    within = with_risk and _int(draw, 0, 2) == 0
    reserve = _int(draw, 1, 5) if within else 0
    core_stated = _int(draw, 0, 2) > 0
    carve_outs = []
    for n in range(1, (_int(draw, 1, 2) if _int(draw, 0, 1) == 0 else 0) + 1):
        # beside a stated core every part is a share (OBC601); in pounds, at most £50,000, under any budget's rest
        money_carve = not core_stated and _int(draw, 0, 1) == 1
        amount = ast.BudgetAmount("money", D(_int(draw, 1, 5)) * 10000) if money_carve else ast.BudgetAmount("share", D(_int(draw, 1, 3)))
        carve_outs.append(ast.CarveOut(amount, f"Destination {n}"))
    carved = sum(int(c.amount.value) for c in carve_outs if c.amount.kind == "share")
    on_top = _int(draw, 0, 3) == 0
    pot = _int(draw, 0, 50 - reserve - carved)
    floor = None
    if _int(draw, 0, 3) == 0:  # a floor near the total, so that it is sometimes topped up to and sometimes not
        floor = ast.BudgetAmount("share", D(_int(draw, 950, 1000)) / 10) if _int(draw, 0, 2) else ast.BudgetAmount("money", D(_int(draw, 1, 100)) * 10000)
    payments = ast.Components(
        core=ast.BudgetAmount("share", D(100 - (0 if on_top else pot) - reserve - carved)) if core_stated else None,
        pot=ast.BudgetAmount("share", D(pot), on_top=on_top),
        reserve=ast.BudgetAmount("share", D(reserve)) if reserve else None,
        floor=floor,
        carve_outs=tuple(carve_outs),
    )
    # the outcomes: measured indicators first (expressions read them), then paying ones in order
    names = _Names()
    outcome_count = _int(draw, 1, 3)
    bonus_count = _pick(draw, [0, 1, 1, 2])
    unit = _pick(draw, ["percent", "points"])
    weights = _partition(draw, outcome_count + bonus_count)
    total = None
    if unit == "points" and _int(draw, 0, 1) == 1:
        total = ast.Weight(D(100), "points")
    elif unit == "percent" and _int(draw, 0, 1) == 1:
        total = ast.Weight(D(100), "percent")
    measured = []
    for number in range(1, _int(draw, 0, 4) + 1):
        kind = _pick(draw, ["count", "count", "score", "percent"])
        item = ast.Indicator(f"m_{number}", f"Measure {number}", unit=ast.Unit(kind),
                             direction=_pick(draw, [None, "higher", "lower"]))
        measured.append(item)
        names.measured.append(item)
        if kind != "percent":
            names.divisors.append(item.name)
    if measured and _int(draw, 0, 2) == 0:  # a derived measure, for scaling factors and comparisons
        derived = ast.Indicator("d_1", "Derived measure", unit=PERCENT, measured_as=draw(ratio_expression(names)))
        measured.append(derived)
        names.measured.append(derived)
    homes = {item.name: _int(draw, 0, outcome_count - 1) for item in measured}
    outcome_list = []
    pot_shares: dict[str, int] = {}
    for number in range(outcome_count):
        name = f"outcome_{number + 1}"
        gates = draw(_gates(names))
        count = _int(draw, 1, 3)
        inner = _partition(draw, count) if count > 1 else [None]
        indicators = []
        for index, weight in enumerate(inner):
            item = draw(rich_paying_indicator(f"ind_{number + 1}_{index + 1}", weight, names, segment_names, last))
            indicators.append(item)
            names.paying.append(item)
            if item.by_segment is None:
                share = D(weights[number]) * (D(weight) / 100 if weight is not None else 1)
                pot_shares[item.name] = int(share) - 1  # shares of the pot below the indicator's allocation
        indicators += [m for m in measured if homes[m.name] == number]
        outcome = ast.Outcome(name, f"Outcome {number + 1}", ast.Weight(D(weights[number]), unit), tuple(indicators), gates=gates)
        outcome_list.append(outcome)
        names.outcomes.append(outcome)
    bonuses = tuple(
        ast.Bonus(f"bonus_{i + 1}", f"Bonus {i + 1}", ast.Weight(D(weights[outcome_count + i]), unit), None,
                  ast.AllAchieved() if _int(draw, 0, 2) == 0 else draw(condition(names, _int(draw, 0, 2), bonus=True)))
        for i in range(bonus_count)
    )
    unearned = _pick(draw, [ast.Unearned("retained"), ast.Unearned("reinvested", ("Local services",))])
    outcomes = ast.Outcomes(total, tuple(outcome_list), bonuses, unearned, missing_global if missing_at == "outcomes" else None)
    phasing = None
    if _int(draw, 0, 4) >= 2:
        phasing = draw(_phases(last, names.paying, outcome_list, {"core stated": core_stated, "reserve": reserve + carved},
                               pot_shares, with_risk, bonuses))
    # deductions from the core, on conditions that improvement never breaks (OBC384): at most 5% or £20,000 each, in
    # pounds only where no phase states its own core or pot (which may leave a core of nothing, OBC609)
    own_parts = phasing is not None and any(p.components.core is not None or p.components.pot is not None for p in phasing.phases)
    deductions = []
    for _ in range(_int(draw, 1, 2) if _int(draw, 0, 2) == 0 else 0):
        kind = "share" if own_parts else _pick(draw, ["share", "share", "money"])
        value = D(_int(draw, 1, 50)) / 10 if kind == "share" else D(_int(draw, 1, 2)) * 10000
        deductions.append(ast.Deduction(kind, value, draw(condition(names, _int(draw, 0, 1), whole=True))))
    payments = attrs.evolve(payments, deductions=tuple(deductions))
    measures = None
    if with_risk and _int(draw, 0, 2) == 0:  # data the risk share reads: a cap of a share of the provider's revenue
        measures = ast.Measures((ast.Measure("provider_revenue", "The provider's revenue", ast.Unit("money")),))
    risk = draw(rich_risk_share(within, names, tuple(m.name for m in measures.measures) if measures else ())) if with_risk else None
    distribution = None
    if subcontractors:
        shares = []
        for sub in subcontractors:
            components = [c for c in ("core", "outcomes", "bonus") if _int(draw, 0, 1) == 1] or [_pick(draw, ("core", "outcomes", "bonus"))]
            shares.append(ast.SubcontractorShare(sub.name, tuple(
                ast.ComponentShare(c, D(_int(draw, 0, 400)) / 10) for c in components)))
        distribution = ast.Distribution(tuple(shares))
    compared = any(COMPARATOR.name in model.rule_references(r) for i in names.paying for _, r in model.indicator_rules(i))
    return ast.Contract(header=header, population=population, budget=budget, payments=payments, outcomes=outcomes,
                        phasing=phasing, risk_share=risk, distribution=distribution,
                        measures=ast.Measures((measures.measures if measures else ()) + ((COMPARATOR,) if compared else ()))
                        if measures or compared else None,
                        activity=draw(activity_section(last, phasing.phases if phasing else ())) if _int(draw, 0, 1) == 0 else None)


ACTIVITY_FORMS = ("fee for service", "cost and volume", "block", "per patient")


@st.composite
def activity_section(draw, last: int, phases: tuple[ast.Phase, ...] = ()) -> ast.Activity:
    """Activity items of every form (`ACTIVITY_FORMS`), valid by construction: a collar at or below the plan, the
    threshold and the ceiling; a ceiling at or above the threshold; some only in stated years."""
    items = []
    for number in range(1, _int(draw, 1, 3) + 1):
        form = _pick(draw, ACTIVITY_FORMS)
        fields: dict = {"price": D(_int(draw, 1, 50000)) / 100, "unit": _pick(draw, ["attendance", "episode", "patient"])}
        plan = D(_int(draw, 1, 500)) * 100  # whole hundreds: a whole percentage of the plan is a whole volume
        marginal = _int(draw, 0, 3) > 0  # most often: the marginal band and its edges are where the rule turns
        if form == "per patient":
            fields["per_patient"] = True
            plan = D(_int(draw, 1, 20))
            marginal = False
        if form == "block":
            fields["block"] = D(_int(draw, 1, 500)) * 10000 + D(_int(draw, 0, 99)) / 100
            if _int(draw, 0, 1):
                fields["block_collar"] = D(_int(draw, 50, 100))
            elif _int(draw, 0, 1):
                del fields["price"], fields["unit"]  # a fixed sum alone
                marginal = False
        threshold = ceiling = None
        if form in ("cost and volume", "block") and marginal:
            threshold = D(_int(draw, 100, 130))
            fields.update(threshold=threshold, rate=D(_int(draw, 0, 200)) / 2)
        if form in ("cost and volume", "per patient") and _int(draw, 0, 3) > 0 or form == "block" and marginal and _int(draw, 0, 1):
            ceiling = D(_int(draw, int(threshold or 100), 150))
            fields["ceiling"] = ceiling
        if form in ("cost and volume", "per patient") and _int(draw, 0, 1):
            fields["collar"] = D(_int(draw, 50, 100))
        if form != "fee for service":
            fields["plan"] = plan
        if phases and _int(draw, 0, 2) == 0:  # only in a phase's years: `in phase "phase 1"`
            fields["phase"] = _pick(draw, [p.name for p in phases])
        elif _int(draw, 0, 2) == 0:  # only in stated years: `in years 1 to 2`, `in year 3`, `from year 2`
            first = _int(draw, 1, last)
            fields["first_year"] = first
            fields["last_year"] = _pick(draw, [None, first, _int(draw, first, last)])
        items.append(ast.ActivityItem(f"act_{number}", f"Activity {number}", **fields))
    return ast.Activity(tuple(items))


def constructs(contract: ast.Contract) -> set[str]:
    """The constructs a contract uses that change a payment, by name (for checking what generated contracts cover)."""
    found: set[str] = set()
    if contract.segments:
        found.add("population")
    for outcome in contract.all_outcomes:
        if outcome.gates:
            found.add("gateway on an outcome")
        for item in outcome.indicators:
            if item.by_segment is not None:
                found.add(f"by segment, shared {item.by_segment}")
            if item.segment_rules:
                found.add("rule per segment")
            if not model.has_rule(item) and item.measured_as is None:
                found.add("measured-only indicator")
            if item.measured_as is not None:
                found.add("measured as")
            if item.scaling is not None:
                found.add("scaled by")
                if item.scaling.on_top:
                    found.add("scaled above 100%, on top of the pot")
            if item.gates:
                found.add("gateway on an indicator")
            if item.missing_data is not None:
                found.add("missing data on an indicator")
            for _, rule in model.indicator_rules(item):
                found.add({ast.Target: "target", ast.Bands: "bands", ast.SlidingScale: "sliding scale"}[type(rule)])
                values = ([rule.threshold.value] if isinstance(rule, ast.Target) else
                          [b.threshold.value for b in rule.bands] if isinstance(rule, ast.Bands) else [rule.floor, rule.ceiling])
                if any(v.kind != "absolute" for v in values):
                    found.add("relative threshold")
                if any(v.kind == "absolute" and v.amount < 0 for v in values):
                    found.add("threshold below zero")
                if any(v.kind != "absolute" and v.reference == "last year" for v in values):
                    found.add("relative to last year")
                if any(v.kind != "absolute" and v.reference == COMPARATOR.name for v in values):
                    found.add("relative to a comparator")
                if any(v.kind == "reference" for v in values):
                    found.add("at least the value compared with")
    if contract.outcomes is not None and contract.outcomes.missing_data or contract.header and contract.header.missing_data:
        found.add("missing data policy")
    if contract.all_bonuses:
        found.add("bonus")
    for expr, _ in model.contract_expressions(contract):
        for node in model.iter_subexpressions(expr):
            name = {ast.Achieved: "is achieved", ast.AllAchieved: "all outcomes are achieved", ast.Reached: "reached",
                    ast.CountAchieved: "the number achieved",
                    ast.Logical: f"`{getattr(node, 'operator', '')}`", ast.Not: "`not`", ast.Comparison: "comparison",
                    ast.Extremum: "min/max"}.get(type(node))
            if name is not None:
                found.add(name)
            if isinstance(node, ast.CountAchieved):
                found.add(f"the number of {node.among} achieved")
            if isinstance(node, ast.Achieved):
                outcomes = {o.name for o in contract.all_outcomes}
                found.add("is achieved (outcome)" if node.name in outcomes else "is achieved (indicator)")
    for bonus in contract.all_bonuses:
        if bonus.condition is not None:
            kinds = {type(n) for n in model.iter_subexpressions(bonus.condition)}
            if ast.AllAchieved in kinds:
                found.add("bonus: all outcomes are achieved")
            if ast.Achieved in kinds:
                found.add("bonus: is achieved")
            if ast.Reached in kinds:
                found.add("bonus: reached")
    if contract.budget is not None and contract.budget.capitation is not None:
        found.add("capitation")
    if contract.budget is not None and contract.budget.additions:
        found.add("service added to the budget")
    payments = contract.payments
    if payments is not None:
        found.update(f"carve-out in {'pounds' if c.amount.kind == 'money' else 'shares'}" for c in payments.carve_outs)
        if payments.pot is not None and payments.pot.on_top:
            found.add("pot on top")
        found.update(f"deduction in {'pounds' if x.kind == 'money' else 'shares of the core'}" for x in payments.deductions)
        if payments.floor is not None:
            found.add("floor on the total payment")
    if contract.phasing is not None:
        found.add("phasing")
        for phase in contract.phases:
            if phase.components.core is not None or phase.components.pot is not None:
                found.add("phase components")
            if phase.components.pot is not None and phase.components.pot.kind == "money":
                found.add("phase pot in pounds")
            if any(link.name is None for link in phase.links):
                found.add("link all indicators")
            if any(link.name is not None for link in phase.links):
                found.add("link by name")
            if phase.shares:
                found.add("phase shares")
            if any(s.base == "pot" for s in phase.shares):
                found.add("phase shares of the pot")
            if phase.risk_share is False:
                found.add("no risk share")
            if phase.risk_terms is not None:
                found.add("phase risk terms")
            if phase.weights is not None:
                found.add("phase weights")
    risk = contract.risk_share
    if risk is not None:
        found.add("risk share")
        if risk.placement == "within":
            found.add("risk share within the budget")
        if risk.minimum is not None:
            found.add(f"minimum variance, {risk.minimum.basis}")
        found.update(f"{u.side} not shared go to the {u.party}" for u in risk.unshared)
        if risk.at_minimum is not None:
            found.add("variance equal to the minimum is not shared")
        if risk.gains or risk.losses:
            found.add("risk-share bands")
        elif risk.stop_loss is not None:
            found.add("stop-loss alone")
        if any(b.upper is not None for b in risk.gains[-1:] + risk.losses[-1:]):
            found.add("variance beyond the last band")
        for limit in risk.limits:
            found.add(f"{limit.party} {limit.kind}")
            if limit.combine != "single":
                found.add(f"{limit.combine} of")
        found.update(f"{t.side} when" for t in risk.tables)
        if any(not (risk.gains if t.side == "gains" else risk.losses) for t in risk.tables):
            found.add("no table applies")
        if risk.reference == "payments":
            found.add("variance against the payments made")
        if any(a.kind == "measure share" for limit in risk.limits for a in limit.amounts):
            found.add("cap of a measure")
        if risk.stop_loss is not None:
            found.add("stop-loss")
            if risk.stop_loss.coinsurance:
                found.add("stop-loss coinsurance")
            if risk.stop_loss.limit is not None:
                found.add("stop-loss limit")
    if contract.distribution is not None and contract.distribution.shares:
        found.add("distribution")
    for paid in contract.all_activity:
        found.add("activity: block" if paid.block is not None else "activity: per patient" if paid.per_patient else
                  "activity: cost and volume" if paid.plan is not None else "activity: fee for service")
        if paid.threshold is not None and paid.ceiling is not None:
            found.add("activity: marginal rate up to a ceiling")
        if paid.collar is not None or paid.block_collar is not None:
            found.add("activity: collar")
        if paid.first_year is not None:
            found.add("activity: in stated years")
        if paid.phase is not None:
            found.add("activity: in a phase")
    return found


# ---------------------------------------------------------------- data


class _Draws:
    """Whole numbers and choices: from Hypothesis (`draw`), or from a seeded `random.Random` (for many scenarios at once)."""

    def __init__(self, draw=None, rng=None):
        self.draw = draw
        self.rng = rng

    def int(self, low: int, high: int) -> int:
        return _int(self.draw, low, high) if self.draw is not None else self.rng.randint(low, high)

    def pick(self, choices):
        return choices[self.int(0, len(choices) - 1)]


def _percent_row(draws: _Draws, name: str, year: Optional[int], segment: Optional[str], fractions: bool) -> DataPoint:
    """A percentage: a value from 0% to 100% (whole numbers often, to land on thresholds), or a numerator and denominator."""
    choice = draws.int(0, 4)
    if choice == 0 and fractions:
        denominator = D(draws.int(1, 400))
        numerator = D(draws.int(0, int(denominator)))
        with decimal.localcontext(decimal.Context(prec=28)):  # as a data file's numerator / denominator is read
            value = numerator / denominator
        return DataPoint(name, year, segment, value, numerator, denominator)
    if choice == 1:
        return DataPoint(name, year, segment, D(draws.int(0, 100)))
    return DataPoint(name, year, segment, D(draws.int(0, 10000)) / 100)


def _value(draws: _Draws, indicator: ast.Indicator) -> Decimal:
    if indicator.unit is None or indicator.unit.kind == "percent":
        return D(draws.int(0, 10000)) / 100
    if indicator.unit.kind == "percent change":  # below zero as often as above, often whole (on a threshold)
        return D(draws.int(-60, 60)) if draws.int(0, 1) == 0 else D(draws.int(-6000, 6000)) / 100
    if draws.int(0, 2) == 0:
        return D(draws.int(1, 150))
    return D(draws.int(1, 10000000)) / 100


@st.composite
def indicator_value(draw, indicator: ast.Indicator) -> Decimal:
    """A percentage from 0% to 100%, a percentage change from -60% to 60%, or a positive count, rate, score or amount."""
    return _value(_Draws(draw), indicator)


def _droppable(contract: ast.Contract) -> set[str]:
    """Indicators whose data may be left out of a year: those missing data counts as not achieved for,
    wherever they are read (a bonus condition always needs its values, and a baseline is never left out)."""
    from .expressions import scope
    from .plan import missing_policy

    indicators = {i.name: i for i in contract.all_indicators}
    names = {n for n, i in indicators.items() if missing_policy(contract, i) == "not achieved"}
    if not names:
        return names
    try:
        return names - _needed_whatever(contract, indicators, scope(contract, indicators))
    except Exception:  # an expression the checker refuses (OBC206): leave nothing out
        return set()


def _needed_whatever(contract: ast.Contract, indicators: dict, where) -> set[str]:
    """Indicators whose absence is an error wherever they are read, whatever their own policy."""
    from .expressions import lower_condition, lower_number, references
    from .plan import missing_policy

    names: set[str] = set()
    for outcome in contract.all_outcomes:
        for item in outcome.indicators:
            if item.measured_as is not None and missing_policy(contract, item) != "not achieved":
                names |= set(references(lower_number(item.measured_as, where)))
            expressions: list = [lower_condition(g.condition, where) for g in outcome.gates + item.gates]
            if item.scaling is not None:
                expressions.append(lower_number(item.scaling.factor, where))
            for node in expressions:
                read = references(node)
                if read and missing_policy(contract, indicators[read[0]]) != "not achieved":
                    names |= set(read)
    for bonus in contract.all_bonuses:
        if bonus.condition is not None:
            names |= set(references(lower_condition(bonus.condition, where)))
    for deduction in contract.payments.deductions if contract.payments is not None else ():
        read = references(lower_condition(deduction.condition, where))
        if read and missing_policy(contract, indicators[read[0]]) != "not achieved":
            names |= set(read)
    return names


@attrs.frozen
class _Needs:
    """What a year's data must hold, worked out once for any number of scenarios."""

    indicators: tuple  # indicators given as data, in the contract's order, then measures
    droppable: frozenset
    earlier: frozenset  # indicators whose value for the year before is read (`2 points above last year`), after year 1
    segments: tuple[str, ...]
    budget: Optional[Decimal]
    fractions: bool  # percentages sometimes as a numerator and a denominator


def _needs(contract: ast.Contract, year: int, missing_odds: Optional[int], fractions: bool) -> _Needs:
    needed = {i.name for i in model.linked_indicators(contract, year)}
    for expr, _ in model.contract_expressions(contract):
        needed |= {n.name for n in model.iter_subexpressions(expr) if isinstance(n, ast.Reference)}
    if contract.risk_share is not None:
        needed |= {a.measure for limit in contract.risk_share.limits for a in limit.amounts if a.measure is not None}
    indicators: tuple = tuple(i for i in contract.all_indicators if i.name in needed and i.measured_as is None)
    compared = {name for i in contract.all_indicators for _, r in model.indicator_rules(i) for name in model.rule_references(r)}
    indicators += tuple(m for m in contract.all_measures if m.name in needed | compared)  # read as indicators are
    droppable = frozenset(_droppable(contract)) if missing_odds is not None else frozenset()
    budget = None
    if contract.risk_share is not None and contract.budget is not None:
        from .plan import budget_for_year, rounding_of

        budget, _ = budget_for_year(contract, Data(), year, rounding_of(contract))
    return _Needs(indicators, droppable, _earlier(contract, year), tuple(s.name for s in contract.segments), budget, fractions)


def _earlier(contract: ast.Contract, year: int) -> frozenset:
    from .expressions import values_read
    from .plan import plan_for

    if year == 1:  # last year's value is the baseline
        return frozenset()
    try:
        plan = plan_for(contract, year)
    except Exception:  # a contract the checker refuses: nothing of the year before
        return frozenset()
    return frozenset(v.name for part in plan.parts if part.baseline is not None for v in values_read(part.baseline) if v.previous)


def _year_data(draws: _Draws, contract: ast.Contract, year: int, needs: _Needs, missing_odds: Optional[int]) -> Data:
    points = []
    for item in needs.indicators:
        percent = item.unit is None or item.unit.kind == "percent"
        for segment in (needs.segments if item.by_segment is not None else (None,)):
            # missing, where the contract allows it, one time in `missing_odds + 1` (a value Hypothesis does not favour)
            if missing_odds is not None and item.name in needs.droppable and draws.int(0, missing_odds) == missing_odds // 2:
                pass
            elif percent:
                points.append(_percent_row(draws, item.name, year, segment, needs.fractions))
            else:
                points.append(DataPoint(item.name, year, segment, _value(draws, item)))
            if isinstance(item, ast.Measure):  # the year's value alone
                continue
            for when in (None, year - 1) if item.name in needs.earlier else (None,):  # the baseline, last year's value
                if percent:
                    points.append(_percent_row(draws, item.name, when, segment, needs.fractions))
                else:
                    points.append(DataPoint(item.name, when, segment, _value(draws, item)))
    patients: tuple[PatientCost, ...] = ()
    risk = contract.risk_share
    if risk is not None:
        points.append(DataPoint(ACTUAL_COST, year, None, _actual_cost(draws, contract, needs.budget)))
        if risk.stop_loss is not None:
            patients = _patients(draws, year, risk.stop_loss)
    items = [item for item in contract.all_activity if item.in_force(year, contract.phases)]
    points += [DataPoint(item.name, year, None, _volume(draws, item)) for item in items if not item.per_patient]
    if any(item.per_patient for item in items):
        patients += _activity_patients(draws, year)
    return Data(tuple(points), patients)


def _volume(draws: _Draws, item: ast.ActivityItem) -> Decimal:
    """A volume in one of the bands the item has, chosen first (below the collar, within plan, marginal, above the
    ceiling), often exactly on the collar, the threshold or the ceiling, or a unit beside it."""
    plan = item.plan if item.plan is not None else D(draws.int(1, 500)) * 100

    def at(percent: Optional[Decimal]) -> Optional[Decimal]:
        return None if percent is None else (plan * percent / 100).to_integral_value()

    collar = at(item.block_collar if item.block is not None else item.collar)
    threshold, ceiling = at(item.threshold), at(item.ceiling)
    top = threshold if threshold is not None else ceiling
    bands = [[v for v in (collar, top, plan) if v is not None]]  # within plan, on its edges
    if collar is not None and collar > 0:
        bands.append([collar - 1, D(draws.int(0, int(collar) - 1))])
    if threshold is not None:
        bands.append([threshold + 1, ceiling if ceiling is not None and ceiling > threshold else threshold * 2 + 1])
    if ceiling is not None:
        bands.append([ceiling + 1, ceiling * 2 + 1])
    if draws.int(0, 3) == 3:
        return D(draws.int(0, int(plan) * 2))
    return max(draws.pick(draws.pick(bands)), D(0))


def _activity_patients(draws: _Draws, year: int) -> tuple[PatientCost, ...]:
    """Patient cost rows for items paid per patient: a patient often has several rows, some costing nothing."""
    rows = [PatientCost(f"q{draws.int(0, 3)}", year, D(draws.int(0, 3)) * D(draws.int(0, 500000)) / 100)
            for _ in range(draws.int(0, 12))]
    rows.append(PatientCost("q0", year, D(draws.int(1, 100000)) / 100))  # the year has patients at least
    return tuple(rows)


@st.composite
def year_data(draw, contract: ast.Contract, year: int, missing_odds: Optional[int] = 30, fractions: bool = False) -> Data:
    """Data for a year: every linked indicator (and those conditions use), baselines, costs.

    A value is left out, one time in `missing_odds + 1` (never with `None`), where the contract counts missing
    data as not achieved. Values often land on whole numbers, and so on thresholds; with `fractions=True`,
    percentages are sometimes given as a numerator and a denominator (read as `value * 100` points). The
    actual cost sometimes puts the variance on a band's edge, a minimum or a limit. With a per-patient
    stop-loss, a patient may have several rows in the year, and rows in the year before.
    """
    return _year_data(_Draws(draw), contract, year, _needs(contract, year, missing_odds, fractions), missing_odds)


def random_year_data(contract: ast.Contract, year: int, rng, count: int = 1, missing_odds: Optional[int] = 30,
                     fractions: bool = False) -> list[Data]:
    """`count` years of data drawn as `year_data` draws them, from a seeded `random.Random`: many scenarios, quickly."""
    needs = _needs(contract, year, missing_odds, fractions)
    return [_year_data(_Draws(rng=rng), contract, year, needs, missing_odds) for _ in range(count)]


def _actual_cost(draws: _Draws, contract: ast.Contract, budget: Optional[Decimal]) -> Decimal:
    amount = budget if budget is not None else D(10000000)
    choice = draws.int(0, 4)
    if choice == 0:  # the variance on a band's edge, a minimum or a limit (or twice one)
        edges = [D(0)]
        risk = contract.risk_share
        assert risk is not None
        amounts = [b.upper for b in risk.gains + risk.losses if b.upper is not None]
        amounts += [a for limit in risk.limits for a in limit.amounts]
        amounts += [risk.minimum.amount] if risk.minimum is not None else []
        edges += [a.value if a.kind == "money" else amount * a.value / 100 for a in amounts]
        edge = draws.pick(edges) * draws.pick((1, -1, 2, -2))
        return max(amount + edge, D(0)).quantize(D("0.01"))
    if choice == 1:  # anything from no cost to twice the budget
        return (amount * D(draws.int(0, 200)) / 100).quantize(D("0.01"))
    fraction = D(draws.int(-40000, 40000)) / 100000
    return max(amount * (1 + fraction), D(0)).quantize(D("0.01"))


def _patients(draws: _Draws, year: int, stop: ast.StopLoss) -> tuple[PatientCost, ...]:
    edges = [stop.threshold] + ([stop.limit] if stop.limit is not None else [])
    rows = []
    for _ in range(draws.int(1, 10)):
        patient = f"p{draws.int(0, 5)}"
        if draws.int(0, 3) == 0:
            cost = draws.pick(edges) + D(draws.int(-2, 2))
        else:
            cost = D(draws.int(0, 40000000)) / 100
        other = draws.int(0, 5) == 0 and year > 1
        rows.append(PatientCost(patient, year - 1 if other else year, max(cost, D(0))))
    return tuple(rows)


def improved(data: Data, contract: ast.Contract, name: str, year: int, step: Decimal) -> Data:
    """The same data with one indicator better by `step` in its better direction (within 0 to 100)."""
    indicator = next(i for i in contract.all_indicators if i.name == name)
    sign = 1 if indicator.direction == "higher" else -1
    changed = []
    for point in data.points:
        if point.measure == name and point.year == year:
            value = point.value * 100 if point.denominator is not None else point.value  # a numerator and denominator: a percentage
            change = indicator.unit is not None and indicator.unit.kind == "percent change"
            value = value + sign * step if change else min(max(value + sign * step, D(0)), D(100))
            point = DataPoint(point.measure, point.year, point.segment, value)
        changed.append(point)
    return Data(tuple(changed), data.patients)
