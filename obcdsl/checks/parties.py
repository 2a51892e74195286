"""Parties: several commissioners pooling the budget, their contributions and how they share its variance."""

from __future__ import annotations

from decimal import Decimal

from .. import ast
from .. import diagnostics as d
from ..diagnostics import Diagnostic, Label
from ..model import HUNDRED
from .names import duplicate_names, unknown


def check(contract: ast.Contract) -> list[Diagnostic]:
    header = contract.header
    pool = header.commissioners if header is not None else None
    if pool is None:
        return []
    found: list[Diagnostic] = []
    if header is not None and header.commissioner is not None:
        found.append(d.error(
            "OBC204", "the contract names a `commissioner` and `commissioners` beside it", pool.span,
            label="the commissioners pooling the budget",
            help="name every commissioner in `commissioners ... end`, each with its contribution, and delete the "
                 "`commissioner` line", clause=pool.clause))
    found += duplicate_names([("commissioner", m.name, m) for m in pool.members])
    found += adds_up(pool, [(m.name, m.contribution, m.span) for m in pool.members], "the commissioners' contributions",
                     pool.clause)
    names = [m.name for m in pool.members]
    sides: dict[str, ast.PoolVariance] = {}
    for variance in pool.variances:
        if variance.side in sides:
            found.append(d.error("OBC204", f"how the {variance.side} is shared is stated twice", variance.span,
                                 label="second statement", related=(Label(sides[variance.side].span, "first here"),),
                                 help="keep one line", clause=variance.clause or pool.clause))
            continue
        sides[variance.side] = variance
        for share in variance.shares:
            if share.name not in names:
                found.append(unknown(share.name, "commissioner", share.span, names, variance.clause or pool.clause,
                                     name_span=None))
        found += adds_up(variance, [(s.name, s.share, s.span) for s in variance.shares], f"the shares of the {variance.side}",
                         variance.clause or pool.clause)
    return found


def adds_up(node, shares: list, what: str, clause) -> list[Diagnostic]:
    """Shares that must make the whole: every pound of the budget, or of its variance, is someone's."""
    total = sum((share for _, share, _ in shares), Decimal(0))
    if total == HUNDRED:
        return []
    gap = HUNDRED - total
    return [d.error(
        "OBC802",
        f"{what} add up to {total.normalize():f}%, expected 100%",
        node.span,
        label=f"{abs(gap).normalize():f}% {'short' if gap > 0 else 'over'}",
        notes=tuple(f"`{name}` {share.normalize():f}%" for name, share, _ in shares),
        help="every pound must be someone's: make the shares add up to 100%",
        clause=clause,
    )]
