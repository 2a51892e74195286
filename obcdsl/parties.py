"""Who pays the year: several commissioners pooling the budget (`commissioners ... end` in the contract header).

Each commissioner contributes its share of the budget; the year's under- or overspend against the budget (the
budget less what the year costs the commissioners: the total to the provider, the carve-outs and a reinvested
unearned pot) is shared as the `underspend shared ...` or `overspend shared ...` line says, else as they contribute.
Every share is split to the penny by the largest remainder (`money.split`), so the contributions add up to the
budget, the shares of the variance to the variance, and what each bears to the year's cost, exactly.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Optional

from . import ast
from .money import HUNDRED, ZERO, split
from .statement import PoolShare


def pool_shares(contract: ast.Contract, budget: Optional[Decimal], cost: Decimal) -> tuple[PoolShare, ...]:
    """Each commissioner's contribution, share of the variance and net cost for a year; () with one commissioner."""
    pool = contract.header.commissioners if contract.header is not None else None
    if pool is None or not pool.members:
        return ()
    members = pool.members
    if budget is None:  # nothing pooled: the year's cost is borne as they contribute
        borne = shared(cost, [(m.name, m.contribution) for m in members], members)
        return tuple(PoolShare(m.name, m.title, None, ZERO, amount) for m, amount in zip(members, borne))
    contributions = shared(budget, [(m.name, m.contribution) for m in members], members)
    variance = budget - cost
    side = "underspend" if variance >= 0 else "overspend"
    variances = shared(variance, pool.shares(side), members)
    return tuple(PoolShare(m.name, m.title, paid, back, paid - back, side)
                 for m, paid, back in zip(members, contributions, variances))


def shared(total: Decimal, shares: list[tuple[str, Decimal]], members: tuple[ast.PoolMember, ...]) -> list[Decimal]:
    """`total` split by the members' shares in percent (a member not named takes none), to the penny; shares that
    do not add up to 100% are refused by `obcdsl check` (OBC802), so the parts always add up to the total."""
    percent = dict(shares)
    exact = [total * percent.get(m.name, ZERO) / HUNDRED for m in members]
    return split(total, exact)
