"""The lowered form of a contract's payment rules: one meaning, two interpreters.

Thresholds, bands, targets and sliding scales lower to piecewise-linear
rules of a value and its baseline; the risk share lowers to sharing bands
with caps and floors. Each lowered rule has an exact interpreter (Decimal,
used by `obcdsl evaluate`) and an array interpreter (NumPy, one element a
scenario, used by `obcdsl simulate`). Both read the same lowered objects,
so the rules are written once; `tests/test_simulate.py` checks that the two
agree to the penny.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Optional, Sequence

import attrs

from . import ast

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)

COMPARATORS = {"at least": ">=", "above": ">", "at most": "<=", "below": "<"}


@attrs.frozen
class Cut:
    """A threshold: reached when `value OP (constant + per_baseline × baseline)`."""

    constant: Decimal
    per_baseline: Decimal
    operator: str  # ">=" | ">" | "<=" | "<"

    def at(self, baseline: Optional[Decimal]) -> Decimal:
        if self.per_baseline == 0:
            return self.constant
        return self.constant + self.per_baseline * (baseline if baseline is not None else ZERO)

    def reached(self, value: Decimal, baseline: Optional[Decimal]) -> bool:
        threshold = self.at(baseline)
        return {">=": value >= threshold, ">": value > threshold, "<=": value <= threshold, "<": value < threshold}[self.operator]

    def reached_array(self, values, baselines):
        import numpy as np

        threshold = float(self.constant) + float(self.per_baseline) * baselines
        return {">=": np.greater_equal, ">": np.greater, "<=": np.less_equal, "<": np.less}[self.operator](values, threshold)


def lower_threshold(value: ast.ThresholdValue, comparator: Optional[str], direction: str) -> Cut:
    operator = COMPARATORS.get(comparator or "", ">=" if direction == "higher" else "<=")
    if value.kind == "absolute":
        return Cut(value.amount, ZERO, operator)
    sign = ONE if value.relation == "above" else -ONE
    if value.kind == "points":
        return Cut(sign * value.amount, ONE, operator)
    return Cut(ZERO, ONE + sign * value.amount / HUNDRED, operator)


@attrs.frozen
class StepRule:
    """Bands or a target: the highest step reached pays its amount (money, exact)."""

    cuts: tuple[Cut, ...]
    amounts: tuple[Decimal, ...]

    @property
    def most(self) -> Decimal:
        return max(self.amounts, default=ZERO)

    def reached_index(self, value: Decimal, baseline: Optional[Decimal]) -> int:
        """The index of the highest step reached, or -1."""
        best = -1
        for index, cut in enumerate(self.cuts):
            if cut.reached(value, baseline):
                best = index
        return best

    def exact(self, value: Decimal, baseline: Optional[Decimal]) -> Decimal:
        index = self.reached_index(value, baseline)
        return self.amounts[index] if index >= 0 else ZERO

    def array(self, values, baselines):
        import numpy as np

        index = np.full(values.shape, -1, dtype=np.int8 if len(self.cuts) < 127 else np.int64)
        for position, cut in enumerate(self.cuts):
            np.copyto(index, position, where=cut.reached_array(values, baselines))
        table = np.array([0.0] + [float(a) for a in self.amounts])
        return table.take(index.astype(np.intp) + 1), index


@attrs.frozen
class LinearRule:
    """A sliding scale: linear between floor and ceiling, clamped."""

    floor: Cut
    ceiling: Cut
    floor_amount: Decimal
    ceiling_amount: Decimal

    @property
    def most(self) -> Decimal:
        return max(self.floor_amount, self.ceiling_amount)

    def position(self, value: Decimal, baseline: Optional[Decimal]) -> Decimal:
        floor, ceiling = self.floor.at(baseline), self.ceiling.at(baseline)
        if ceiling == floor:
            return ONE if self.ceiling.reached(value, baseline) else ZERO
        return min(max((value - floor) / (ceiling - floor), ZERO), ONE)

    def exact(self, value: Decimal, baseline: Optional[Decimal]) -> Decimal:
        return self.floor_amount + (self.ceiling_amount - self.floor_amount) * self.position(value, baseline)

    def array(self, values, baselines):
        import numpy as np

        floor = float(self.floor.constant) + float(self.floor.per_baseline) * baselines
        ceiling = float(self.ceiling.constant) + float(self.ceiling.per_baseline) * baselines
        span = ceiling - floor
        with np.errstate(divide="ignore", invalid="ignore"):
            position = np.where(span != 0, (values - floor) / np.where(span != 0, span, 1.0), 1.0)
        position = np.clip(position, 0.0, 1.0)
        amount = float(self.floor_amount) + (float(self.ceiling_amount) - float(self.floor_amount)) * position
        return amount, None


LoweredRule = StepRule | LinearRule


def lower_rule(rule: ast.Rule, direction: str, allocation: Decimal, pot: Decimal,
               shares: Optional[Sequence[tuple[Decimal, Optional[str]]]] = None) -> LoweredRule:
    """A payment rule with its money: `shares` gives each band's (share, base) for the year."""
    if isinstance(rule, ast.Target):
        return StepRule((lower_threshold(rule.threshold.value, rule.threshold.comparator, direction),), (allocation,))
    if isinstance(rule, ast.SlidingScale):
        return LinearRule(
            lower_threshold(rule.floor, None, direction), lower_threshold(rule.ceiling, None, direction),
            allocation * rule.floor_pays / HUNDRED, allocation * rule.ceiling_pays / HUNDRED,
        )
    shares = shares or [(b.share or ZERO, b.base) for b in rule.bands]
    return StepRule(
        tuple(lower_threshold(b.threshold.value, b.threshold.comparator, direction) for b in rule.bands),
        tuple((pot if base == "pot" else allocation) * share / HUNDRED for share, base in shares),
    )


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
    value: Decimal  # in pennies


@attrs.frozen
class Step:
    """One step of a settlement: each party's exact part of the variance."""

    kind: str  # "minimum" | "band" | "beyond" | "cap" | "floor"
    provider: Decimal
    commissioner: Decimal
    band: Optional[SharingBand] = None
    limit: Optional[Limit] = None
    amount: Decimal = ZERO  # the portion, the minimum, or the amount moved


@attrs.frozen
class Sharing:
    """How one side of the variance (gains or losses) is shared in a year."""

    minimum: Optional[Decimal]
    above_minimum_only: bool
    bands: tuple[SharingBand, ...]
    limits: tuple[Limit, ...]

    def steps(self, magnitude: Decimal) -> list[Step]:
        """The exact settlement of a variance of this size, step by step."""
        out: list[Step] = []
        start = ZERO
        if self.minimum is not None:
            if magnitude < self.minimum:
                start = magnitude
                out.append(Step("minimum", magnitude, ZERO, amount=self.minimum))
            elif self.above_minimum_only:
                start = self.minimum
                out.append(Step("minimum", self.minimum, ZERO, amount=self.minimum))
        shared = start
        for band in self.bands:
            top = magnitude if band.upper is None else min(magnitude, band.upper)
            portion = max(ZERO, top - max(band.lower, start))
            if portion == 0:
                continue
            shared += portion
            provider = portion * band.provider
            out.append(Step("band", provider, portion - provider, band=band, amount=portion))
        if magnitude > shared:
            out.append(Step("beyond", magnitude - shared, ZERO, amount=magnitude - shared))
        provider = sum((s.provider for s in out), ZERO)
        commissioner = sum((s.commissioner for s in out), ZERO)
        for limit in self.limits:
            mine, theirs = (provider, commissioner) if limit.party == "provider" else (commissioner, provider)
            if limit.kind == "cap" and mine > limit.value:
                moved = mine - limit.value
            elif limit.kind == "floor" and mine < limit.value and theirs > 0:
                moved = -min(limit.value - mine, theirs)
            else:
                continue
            if limit.party == "provider":
                provider, commissioner = provider - moved, commissioner + moved
                out.append(Step(limit.kind, -moved, moved, limit=limit, amount=moved))
            else:
                commissioner, provider = commissioner - moved, provider + moved
                out.append(Step(limit.kind, moved, -moved, limit=limit, amount=moved))
        return out

    def array(self, magnitudes):
        """Each party's share for an array of variance sizes, and whether any cap bound."""
        import numpy as np

        provider = np.zeros_like(magnitudes)
        start = np.zeros_like(magnitudes)
        if self.minimum is not None:
            minimum = float(self.minimum)
            below = magnitudes < minimum
            start = np.where(below, magnitudes, minimum if self.above_minimum_only else 0.0)
            provider = provider + start
        shared = start.copy()
        commissioner = np.zeros_like(magnitudes)
        for band in self.bands:
            top = magnitudes if band.upper is None else np.minimum(magnitudes, float(band.upper))
            portion = np.maximum(0.0, top - np.maximum(float(band.lower), start))
            shared = shared + portion
            provider = provider + portion * float(band.provider)
            commissioner = commissioner + portion * (1.0 - float(band.provider))
        provider = provider + np.maximum(0.0, magnitudes - shared)
        binding = np.zeros(magnitudes.shape, dtype=bool)
        for limit in self.limits:
            value = float(limit.value)
            mine, theirs = (provider, commissioner) if limit.party == "provider" else (commissioner, provider)
            if limit.kind == "cap":
                moved = np.where(mine > value, mine - value, 0.0)
                binding |= mine > value
            else:
                moved = np.where((mine < value) & (theirs > 0), -np.minimum(value - mine, theirs), 0.0)
            if limit.party == "provider":
                provider, commissioner = provider - moved, commissioner + moved
            else:
                commissioner, provider = commissioner - moved, provider + moved
        return provider, commissioner, binding


def lower_sharing(risk: ast.RiskShare, side: str, budget: Decimal, rounding: Optional[str]) -> Sharing:
    from .money import to_penny

    def amount(node: ast.Amount) -> Decimal:
        return node.value if node.kind == "money" else budget * node.value / HUNDRED

    bands = risk.losses if side == "losses" else risk.gains
    lowered = tuple(
        SharingBand(amount(b.lower) if b.lower is not None else ZERO, amount(b.upper) if b.upper is not None else None,
                    b.provider / HUNDRED, index)
        for index, b in enumerate(bands, start=1)
    )
    limits = []
    for limit in risk.limits:
        if limit.exposure != side:
            continue
        values = [amount(a) for a in limit.amounts]
        value = max(values) if limit.combine == "greater" else min(values)
        limits.append(Limit(limit.party, limit.kind, to_penny(value, rounding)))
    minimum = amount(risk.minimum.amount) if risk.minimum is not None else None
    above = risk.minimum is not None and risk.minimum.basis == "above minimum"
    return Sharing(minimum, above, lowered, tuple(limits))
