"""Distribution: subcontractors' shares of core, outcome and bonus payments."""

from __future__ import annotations

from decimal import Decimal

from .. import ast
from .. import diagnostics as d
from ..diagnostics import Diagnostic, Label
from ..model import HUNDRED


def check(contract: ast.Contract) -> list[Diagnostic]:
    distribution = contract.distribution
    if distribution is None:
        return []
    found = []
    for component in ("core", "outcomes", "bonus"):
        parts = [(share, part) for share in distribution.shares for part in share.parts if part.component == component]
        total = sum((part.share for _, part in parts), Decimal(0))
        if total > HUNDRED:
            found.append(
                d.error(
                    "OBC801",
                    f"subcontractors' shares of {component} add up to {total.normalize():f}%",
                    parts[-1][1].span,
                    label="more than the whole",
                    related=tuple(Label(part.span, f"`{share.subcontractor}`") for share, part in parts[:-1]),
                    help="the lead provider keeps what is left; the shares cannot exceed 100%",
                    clause=distribution.clause,
                )
            )
    return found
