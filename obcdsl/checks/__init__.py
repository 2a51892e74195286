"""The checks `obcdsl check` runs on a contract's AST, one file per family.

Each family exposes `check(contract) -> list[Diagnostic]`; none raises for a
problem in the contract. `run_checks` runs them all and sorts the findings.
"""

from __future__ import annotations

from .. import ast
from ..diagnostics import Diagnostic, sort_key
from . import (activity, bands, bounds, components, distribution, expressions, names, parties, percentages, risk_share,
               thresholds, weights, years)

FAMILIES = (names, expressions, weights, percentages, bands, thresholds, years, components, risk_share, distribution, parties,
            activity, bounds)


def run_checks(contract: ast.Contract) -> list[Diagnostic]:
    """All diagnostics for a contract that parsed, in source order."""
    found: list[Diagnostic] = []
    for family in FAMILIES:
        found.extend(family.check(contract))
    return sorted(found, key=sort_key)
