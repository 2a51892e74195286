"""Payment bounds: proofs that the pot never overpays, the total stays under its
ceiling, caps hold and better outcomes never earn less; each failure with a
counterexample the evaluator reproduces."""

from __future__ import annotations

import decimal
from decimal import Decimal

from .. import ast, model
from . import weights
from .. import bounds as analysis
from .. import diagnostics as d
from ..diagnostics import Diagnostic
from ..expressions import ExpressionError
from ..lowering import fixed_limit
from ..money import HUNDRED, pounds
from ..plan import Missing, plan_for



# what computing the amounts of a contract with other errors can raise; those errors are reported by their families
UNDEFINED = (Missing, ExpressionError, decimal.DecimalException, ArithmeticError, KeyError, TypeError, AttributeError,
             AssertionError)


def check(contract: ast.Contract) -> list[Diagnostic]:
    if contract.header is None or contract.term is None or model.term_too_long(contract):
        return []
    found: list[Diagnostic] = []
    found += rising_conditions(contract)
    found += rising_deductions(contract)
    found += uncapped_scaling(contract)
    try:
        years = analysis.bounds(contract)
    except Missing as exc:  # the year's parts cannot be set out (a pot larger than the budget)
        return found + list(exc.diagnostics[:1])
    except ExpressionError:  # reported by the expressions family (OBC206)
        return found
    except UNDEFINED:  # a contract whose other errors leave amounts undefined; those errors are reported already
        return found
    found += pot_overpays(contract, years)
    found += ceiling(contract, years)
    found += caps_hold(contract, years)
    return found


def weights_overcommitted(contract: ast.Contract) -> bool:
    """Outcome or indicator weights above their total: OBC301/OBC302 report that, with the counterexample."""
    return weights.overcommits(contract)


def pot_overpays(contract: ast.Contract, years) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    if weights_overcommitted(contract):
        return found
    failing = []
    for bounds in years:
        most = (bounds.outcomes + bounds.bonus).most
        if bounds.pot <= 0 and most == 0:
            continue
        if most is not None and most <= bounds.pot:
            continue
        if any(ind is None for ind in bounds.indicator_most.values()):
            continue  # an uncapped scaling factor: OBC381 says so
        failing.append(bounds.year)
        if found:
            continue  # one error for the root cause; the other years are named in its notes
        data, statement = analysis.counterexample_for(contract, bounds.year)
        phase = model.phase_for(contract, bounds.year)
        assert contract.outcomes is not None  # with no outcomes section nothing is paid from the pot, so it is never overpaid
        span = phase.years_span if phase is not None else contract.outcomes.span
        notes = [f"the pot for year {bounds.year} is {pounds(bounds.pot)}; the outcome payments and bonuses can reach {pounds(most)}"]
        for name, amount in bounds.indicator_most.items():
            if amount:
                notes.append(f"`{name}` can pay {pounds(amount)}")
        attachment = None
        if statement is not None:
            paid = statement.outcomes_paid + statement.bonus_paid
            note, attachment = analysis.attach(data, bounds.year, f"with {analysis.describe(data)} the year pays {pounds(paid)} from a pot of {pounds(statement.plan.pot)}")
            notes.append(note)
        found.append(
            d.error(
                "OBC304",
                f"in year {bounds.year} the outcome payments can reach {pounds(most)}, more than the pot of {pounds(bounds.pot)}",
                span,
                label=f"year {bounds.year}",
                notes=tuple(notes),
                help="lower the band shares or weights so that the most that can be paid is the pot",
                clause=phase.clause if phase is not None else None,
                counterexample=attachment,
            )
        )
    if len(failing) > 1:
        first = found[0]
        years_text = ", ".join(str(y) for y in failing)
        found[0] = d.Diagnostic(first.code, first.severity, first.message, first.span, first.label,
                                first.notes + (f"the pot can overpay in years {years_text}",), first.help,
                                first.related, first.clause, first.counterexample)
    return found


def uncapped_scaling(contract: ast.Contract) -> list[Diagnostic]:
    found = []
    for indicator in contract.all_indicators:
        scaling = indicator.scaling
        if scaling is None or scaling.cap is not None or scaling.on_top:
            continue  # a factor whose excess is paid on top of the pot need not be capped: the pot pays at most 100%
        year = next((y for y in model.contract_years(contract) if indicator in model.linked_indicators(contract, y)), None)
        attachment = None
        notes = ["a factor above 100% pays more than the indicator's allocation, and the pot can overpay"]
        statement = None
        if year is not None:
            try:
                data, statement = analysis.counterexample_for(contract, year)
            except UNDEFINED:  # other errors leave the year's amounts undefined: the finding stands without numbers
                statement = None
            if statement is not None:
                line = statement.lines.get(indicator.name)
                allocation = line.plan.allocation if line is not None else None
                if allocation is not None and line.amount > allocation:
                    note, attachment = analysis.attach(data, year, f"with {analysis.describe(data)}, `{indicator.name}` pays {pounds(line.amount)} of an allocation of {pounds(allocation)} in year {year}")
                    notes.append(note)
        found.append(
            d.error(
                "OBC381",
                f"the scaling factor of `{indicator.name}` has no cap",
                scaling.span,
                label="no `capped at`",
                notes=tuple(notes),
                help="add `capped at 100%`",
                clause=scaling.clause or indicator.clause,
                counterexample=attachment,
            )
        )
    return found


def ceiling(contract: ast.Contract, years) -> list[Diagnostic]:
    found = []
    for bounds in years:
        phase = model.phase_for(contract, bounds.year)
        own = phase.components.ceiling if phase is not None else None
        stated = own or (contract.payments.ceiling if contract.payments else None)
        if stated is None:
            continue
        limit = stated.value if stated.kind == "money" else (bounds.budget or Decimal(0)) * stated.value / HUNDRED
        if bounds.floor is not None and bounds.floor > limit:
            continue  # a floor above the ceiling: OBC610 says so
        most = bounds.total.most
        if most is not None and most <= limit:
            continue
        words = "without limit" if most is None else pounds(most)
        notes = [f"the total to the provider in year {bounds.year} can reach {words}; the ceiling is {pounds(limit)}"]
        if bounds.stop_loss is not None:
            notes.append("the per-patient stop-loss has no aggregate limit")
        notes += [f"the activity item `{name}` has no ceiling, so the total payment has no limit" for name in bounds.uncapped]
        attachment = None
        if bounds.risk_share is not None and bounds.budget is not None:
            # push the variance until the ceiling breaks
            cost = bounds.budget + max(limit, bounds.budget) * 2
            data, statement = analysis.counterexample_for(contract, bounds.year, cost)
            if statement is not None and statement.total_to_provider > limit:
                note, attachment = analysis.attach(data, bounds.year, f"with {analysis.describe(data)} the total to the provider is {pounds(statement.total_to_provider)}")
                notes.append(note)
        found.append(
            d.error(
                "OBC382",
                f"in year {bounds.year} the total payment can exceed the ceiling of {pounds(limit)}",
                stated.span,
                label="the ceiling",
                notes=tuple(notes),
                help="give each activity item a ceiling (`nothing paid above 120% of plan`), or raise the ceiling" if bounds.uncapped
                else "raise the ceiling, or cap the commissioner's share of losses so that the total stays under it",
                clause=stated.clause,
                counterexample=attachment,
            )
        )
        break  # one year shows the problem; the others repeat it
    return found


def caps_hold(contract: ast.Contract, years) -> list[Diagnostic]:
    header = contract.header
    if header is None:  # `check` asks only of a contract with a header
        return []
    found = []
    for bounds in years:
        risk = model.risk_share_for_year(contract, bounds.year)  # a phase may state its own limits
        if risk is None or bounds.budget is None or bounds.provider_exposure is None:
            continue
        for limit in risk.limits:
            if limit.exposure != "losses" or limit.kind != "cap" or any(a.kind == "measure share" for a in limit.amounts):
                continue  # a cap that reads a measure is known only from the year's data: not proved here
            exposure = bounds.provider_exposure if limit.party == "provider" else bounds.commissioner_exposure
            assert exposure is not None  # both exposures are found together (bounds.risk_ranges)
            cap = fixed_limit(limit, bounds.budget, header.rounding)
            if exposure.most is not None and exposure.most <= cap:
                continue
            worst = analysis.worst_variance(plan_for(contract, bounds.year), limit.party)
            notes = []
            if worst is not None:
                variance, settlement = worst
                share = settlement.provider_share if limit.party == "provider" else settlement.commissioner_share
                notes.append(f"counterexample: with a loss of {pounds(variance)} the {limit.party} bears {pounds(share)}")
            found.append(
                d.error(
                    "OBC383",
                    f"the {limit.party}'s share of a loss can exceed its cap of {pounds(cap)} in year {bounds.year}",
                    limit.span,
                    notes=tuple(notes),
                    help="check floors and the other party's caps, which can push amounts back past this cap",
                    clause=limit.clause,
                )
            )
        if found:
            break
    return found


RISING = {">": "higher", ">=": "higher", "<": "lower", "<=": "lower"}


def rising_conditions(contract: ast.Contract) -> list[Diagnostic]:
    """A gateway or scaling factor that a paying indicator's own improvement can switch off."""
    found = []
    paying = {i.name: i for i in contract.all_indicators if model.has_rule(i) and i.direction is not None}
    for outcome in contract.all_outcomes:
        for indicator in outcome.indicators:
            gates = [(g, "gateway") for g in outcome.gates + indicator.gates]
            for gate, what in gates:
                for node, name, rewards, literal in comparisons(gate.condition):
                    target = paying.get(name)
                    if target is None or target.direction == rewards or name not in {i.name for i in outcome.indicators}:
                        continue
                    found.append(
                        d.error(
                            "OBC384",
                            f"improving `{name}` can switch off the payment its {what} guards",
                            node.span,
                            label=f"pays only while `{name}` is {'low' if rewards == 'lower' else 'high'}",
                            notes=(f"for `{name}` {target.direction} is better, but this {what} needs a {rewards} value "
                                   f"than {literal.value.normalize():f}",),
                            help=f"compare `{name}` the other way, or gate on another indicator",
                            clause=gate.clause or outcome.clause,
                        )
                    )
    return found


def comparisons(condition: ast.Expr):
    """Each `NAME above/below LITERAL` in a condition, not under a `not`: (node, name, the direction it rewards, literal)."""
    for node in model.iter_subexpressions(condition):
        if not isinstance(node, ast.Comparison) or node.operator not in RISING:
            continue
        if isinstance(node.left, ast.Reference) and isinstance(node.right, ast.Literal):
            name, rewards, literal = node.left.name, RISING[node.operator], node.right
        elif isinstance(node.right, ast.Reference) and isinstance(node.left, ast.Literal):
            name, literal = node.right.name, node.left
            rewards = {"higher": "lower", "lower": "higher"}[RISING[node.operator]]
        else:
            continue
        if not _under_not(condition, node):
            yield node, name, rewards, literal


def rising_deductions(contract: ast.Contract) -> list[Diagnostic]:
    """A deduction whose condition an indicator's improvement can break: better outcomes would be paid less."""
    found: list[Diagnostic] = []
    directed = {i.name: i for i in contract.all_indicators if model.has_rule(i) and i.direction is not None}
    payments = contract.payments
    for number, deduction in enumerate(payments.deductions if payments is not None else (), 1):
        for node, name, rewards, literal in comparisons(deduction.condition):
            target = directed.get(name)
            if target is None or target.direction == rewards:
                continue
            found.append(d.error(
                "OBC384", f"improving `{name}` can make deduction {number} take from the core",
                node.span, label=f"spares the core only while `{name}` is {'low' if rewards == 'lower' else 'high'}",
                notes=(f"for `{name}` {target.direction} is better, but the deduction is spared only by a {rewards} value "
                       f"than {literal.value.normalize():f}",),
                help=f"compare `{name}` the other way: `deduct ... unless {name} "
                     f"{'at least' if target.direction == 'higher' else 'at most'} {literal.value.normalize():f}`",
                clause=deduction.clause or (payments.clause if payments is not None else None)))
    return found


def _under_not(root: ast.Expr, target: ast.Expr) -> bool:
    stack = [(root, False)]
    while stack:
        node, negated = stack.pop()
        if node is target:
            return negated
        if isinstance(node, ast.Not):
            stack.append((node.operand, not negated))
        elif isinstance(node, (ast.Logical, ast.Comparison, ast.Arithmetic)):
            stack.extend(((node.left, negated), (node.right, negated)))
    return False
