"""The payment statement for a contract year: what is paid to whom, and why.

A `Statement` is immutable; `to_dict()` gives the JSON document described in
`docs/statement.md`. Money is `Decimal` pounds, each amount in whole pennies.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Optional

import attrs

from .money import ZERO, json_money


def plain(value: Any) -> Any:
    """JSON-ready form of an input value: Decimals as strings, exactly."""
    if isinstance(value, Decimal):
        return f"{value.normalize():f}" if value == value else str(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


@attrs.frozen
class Line:
    """One computed line: an indicator, a bonus, a risk-share band, a stop-loss, a cap."""

    kind: str  # "indicator" | "measure" (an indicator without a payment rule) | "bonus" | "risk share" | "stop-loss" | "activity"
    name: str
    title: str
    amount: Decimal
    explanation: str
    clause: Optional[str] = None
    outcome: Optional[str] = None
    segment: Optional[str] = None
    rule: Optional[str] = None
    linked: bool = True
    achieved: Optional[bool] = None
    allocation: Optional[Decimal] = None
    inputs: dict = attrs.field(factory=dict)
    party_amounts: dict = attrs.field(factory=dict)  # for risk-share lines: provider / commissioner
    outcome_title: Optional[str] = attrs.field(default=None, eq=False)  # for headings; the explanation names it too

    def to_dict(self) -> dict:
        out: dict[str, Any] = {
            "kind": self.kind,
            "name": self.name,
            "title": self.title,
            "clause": self.clause,
            "amount": json_money(self.amount),
            "explanation": self.explanation,
        }
        if self.outcome is not None:
            out["outcome"] = self.outcome
        if self.segment is not None:
            out["segment"] = self.segment
        if self.rule is not None:
            out["rule"] = self.rule
        if self.kind in ("indicator", "bonus"):
            out["linked"] = self.linked
            out["achieved"] = self.achieved
            out["allocation"] = json_money(self.allocation) if self.allocation is not None else None
        if self.inputs:
            out["inputs"] = plain(self.inputs)
        if self.party_amounts:
            out["parties"] = {k: json_money(v) for k, v in self.party_amounts.items()}
        return out


@attrs.frozen
class BudgetStep:
    """One step from the baseline to the year's budget."""

    description: str
    amount: Decimal
    clause: Optional[str] = None


@attrs.frozen
class RiskSettlement:
    """The risk-share settlement: variance, each party's share, and the transfer to the provider."""

    actual_cost: Optional[Decimal]  # None when the risk share is a stop-loss alone, which needs no actual cost
    stop_loss: Decimal  # reimbursed to the provider by the commissioner
    variance: Optional[Decimal]  # actual cost less stop-loss less budget; positive is an over-spend; None as actual_cost
    provider_share: Decimal  # of the variance, borne (loss) or kept (gain) by the provider
    commissioner_share: Decimal
    transfer: Decimal  # paid to the provider (negative: returned by the provider)
    caps_binding: tuple[str, ...] = ()
    against: str = "budget"  # what the variance is measured against: "budget" | "payments" (made before the settlement)
    reference: Optional[Decimal] = None  # that amount

    def to_dict(self) -> dict:
        return {
            "actual_cost": None if self.actual_cost is None else json_money(self.actual_cost),
            "stop_loss": json_money(self.stop_loss),
            "variance": None if self.variance is None else json_money(self.variance),
            "kind": "none" if not self.variance else ("loss" if self.variance > 0 else "gain"),
            "provider_share": json_money(self.provider_share),
            "commissioner_share": json_money(self.commissioner_share),
            "transfer_to_provider": json_money(self.transfer),
            "caps_binding": list(self.caps_binding),
            "variance_against": self.against,
            "reference": None if self.reference is None else json_money(self.reference),
        }


@attrs.frozen
class PoolShare:
    """What one of several commissioners pooling the budget contributes, takes of the variance, and bears."""

    party: str
    title: str
    contribution: Optional[Decimal]  # its share of the budget; None without a budget
    variance: Decimal  # its share of the underspend (kept back) or overspend (negative: paid in beyond the contribution)
    cost: Decimal  # what the year costs it: the contribution less its share of the variance
    side: str = "underspend"  # "underspend" | "overspend": which sharing applied

    def to_dict(self) -> dict:
        return {
            "party": self.party,
            "title": self.title,
            "contribution": json_money(self.contribution) if self.contribution is not None else None,
            self.side: json_money(abs(self.variance)),
            "cost": json_money(self.cost),
        }


@attrs.frozen
class PartyShare:
    """What one party receives of each component."""

    party: str
    title: str
    core: Decimal
    outcomes: Decimal
    bonus: Decimal
    other: Decimal
    role: str  # "lead provider" | "subcontractor"

    @property
    def total(self) -> Decimal:
        return self.core + self.outcomes + self.bonus + self.other

    def to_dict(self) -> dict:
        return {
            "party": self.party,
            "title": self.title,
            "role": self.role,
            "core": json_money(self.core),
            "outcomes": json_money(self.outcomes),
            "bonus": json_money(self.bonus),
            "other": json_money(self.other),
            "total": json_money(self.total),
        }


@attrs.frozen
class Statement:
    """The payment statement for one contract year."""

    contract: str
    commissioner: Optional[str]
    lead_provider: Optional[str]
    year: int
    financial_year: Optional[str]
    phase: Optional[str]
    rounding: str
    budget: Optional[Decimal]
    budget_steps: tuple[BudgetStep, ...]
    core: Decimal
    pot: Decimal
    reserve: Decimal
    outcomes_paid: Decimal
    bonus_paid: Decimal
    risk_share: Decimal  # settlement transfer plus stop-loss, to the provider
    lines: tuple[Line, ...]
    unearned: Decimal
    unearned_destination: str
    unearned_services: tuple[str, ...]
    risk: Optional[RiskSettlement]
    distribution: tuple[PartyShare, ...]
    pot_on_top: bool = False  # `outcomes pot ... on top`: the pot is paid beyond the budget
    carved_out: Optional[Decimal] = None  # paid out of the budget to the carve-outs' destinations; None without one
    deducted: Optional[Decimal] = None  # taken from the core by deductions; None without one
    top_up: Optional[Decimal] = None  # paid to meet `total payment at least ...`; None without a floor
    outcomes_on_top: Optional[Decimal] = None  # of the outcome payments, paid beyond the pot by factors above 100%
    commissioners: tuple[PoolShare, ...] = ()  # several commissioners pooling the budget: what each bears
    activity: Optional[Decimal] = None  # paid for activity (`activity ... end`); None without activity items

    @property
    def overpayment(self) -> Decimal:
        """What the outcome payments and bonuses take beyond the pot (zero for a sound contract)."""
        return max(-self.unearned, Decimal("0.00"))

    @property
    def total_to_provider(self) -> Decimal:
        return (self.core - (self.deducted or ZERO) + self.outcomes_paid + self.bonus_paid + self.reserve + self.risk_share
                + (self.top_up or ZERO) + (self.activity or ZERO))

    @property
    def commissioner_cost(self) -> Decimal:
        """What the year costs the commissioner: the total to the provider, the carve-outs paid to their destinations,
        and the unearned pot when it is reinvested."""
        return (self.total_to_provider + (self.carved_out or ZERO)
                + (self.unearned if self.unearned_destination == "reinvested" else ZERO))

    def totals(self) -> list[tuple[str, str, Decimal]]:
        """(key, label, amount) for each total of the year, the budget first (when there is one) and the cost last."""
        rows = [("budget", "Budget", self.budget)] if self.budget is not None else []
        if self.carved_out is not None:
            rows.append(("carved_out", "Carved out of the budget", self.carved_out))
        rows += [("core", "Core payment", self.core)]
        if self.deducted is not None:
            rows.append(("deducted", "Deducted from the core", self.deducted))
        rows += [
            ("pot", "Outcomes pot, on top of the budget" if self.pot_on_top else "Outcomes pot", self.pot),
            ("outcomes", "Paid for outcomes", self.outcomes_paid),
            *([("outcomes_on_top", "of which on top of the pot (factors above 100%)", self.outcomes_on_top)]
              if self.outcomes_on_top is not None else []),
            ("bonus", "Paid as bonus", self.bonus_paid),
            *([("activity", "Paid for activity", self.activity)] if self.activity is not None else []),
            ("unearned", "Unearned pot", self.unearned), ("risk_reserve", "Risk reserve, paid at settlement", self.reserve),
            ("risk_share", "Risk share and stop-loss, to the provider", self.risk_share),
        ]
        if self.top_up is not None:
            rows.append(("top_up", "Top-up to the floor on the total payment", self.top_up))
        rows += [
            ("total_to_provider", "Total to the lead provider", self.total_to_provider),
            ("commissioner_cost", "Cost to the commissioner", self.commissioner_cost),
        ]
        return rows

    def stated_components(self) -> dict:
        """Carve-outs, deductions and a top-up in JSON: present only when the contract states them."""
        keys = ("carved_out", "deducted", "top_up", "outcomes_on_top", "activity")
        return {key: json_money(getattr(self, key)) for key in keys if getattr(self, key) is not None}

    def to_dict(self) -> dict:
        return {
            "contract": self.contract,
            "commissioner": self.commissioner,
            "lead_provider": self.lead_provider,
            "year": self.year,
            "financial_year": self.financial_year,
            "phase": self.phase,
            "rounding": self.rounding,
            "budget": json_money(self.budget) if self.budget is not None else None,
            "budget_steps": [
                {"description": s.description, "amount": json_money(s.amount), "clause": s.clause} for s in self.budget_steps
            ],
            "pot": json_money(self.pot),
            **({"pot_on_top": True} if self.pot_on_top else {}),
            "components": {
                "core": json_money(self.core),
                "outcomes": json_money(self.outcomes_paid),
                "bonus": json_money(self.bonus_paid),
                "risk_share": json_money(self.risk_share),
                "risk_reserve": json_money(self.reserve),
                **self.stated_components(),
            },
            "lines": [line.to_dict() for line in self.lines],
            "unearned": {
                "amount": json_money(self.unearned),
                "destination": self.unearned_destination,
                "services": list(self.unearned_services),
            },
            "risk_share": self.risk.to_dict() if self.risk is not None else None,
            "overpayment": json_money(self.overpayment),
            "total_to_provider": json_money(self.total_to_provider),
            "commissioner_cost": json_money(self.commissioner_cost),
            "distribution": [share.to_dict() for share in self.distribution],
            **({"commissioners": [share.to_dict() for share in self.commissioners]} if self.commissioners else {}),
        }
