"""Properties of every contract and every year, checked on generated contracts and data.

Profiles (tests/conftest.py): `default` for local runs, `ci` (500 examples a
property, loaded when CI is set), `thorough` for release checks
(HYPOTHESIS_PROFILE=thorough).
"""

import json
from decimal import Decimal

from hypothesis import assume, given, note, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

import obcdsl
from obcdsl import bounds, model
from obcdsl.checker import check_bytes, check_text
from obcdsl.diagnostics import Diagnostic
from obcdsl.evaluate import evaluate
from obcdsl.format import render
from obcdsl.money import PENNY
from obcdsl.testing import contracts, improved, year_data

from conftest import CONTRACTS

D = Decimal


@st.composite
def contract_year_data(draw):
    contract = draw(contracts())
    year = draw(st.integers(1, contract.term.last_year))
    data = draw(year_data(contract, year))
    return contract, year, data


# 1. the pot never overpays, and totals stay within the static bounds
@given(contract_year_data())
def test_payments_within_pot_and_bounds(case):
    contract, year, data = case
    statement = evaluate(contract, data, year)
    assert statement.outcomes_paid + statement.bonus_paid <= statement.pot
    year_bounds = bounds.bounds(contract)[year - 1]
    span = year_bounds.total
    assert statement.total_to_provider >= span.least
    if span.most is not None:
        assert statement.total_to_provider <= span.most
    # deductions take at most the core and stay within their bounds; a floor is always met
    deducted = statement.deducted or D(0)
    assert year_bounds.deducted.least <= deducted <= min(year_bounds.deducted.most, statement.core)
    if year_bounds.floor is not None:
        assert statement.total_to_provider >= year_bounds.floor


# 2. improving an indicator never lowers what is paid
@given(contract_year_data(), st.data())
def test_improvement_never_pays_less(case, draw):
    contract, year, data = case
    volumes = {item.name for item in contract.all_activity}  # an activity volume is not an indicator that improves
    names = [p.measure for p in data.points if p.year == year and p.measure != "actual cost" and p.measure not in volumes]
    assume(names)
    name = draw.draw(st.sampled_from(names))
    step = D(draw.draw(st.integers(1, 5000))) / 100
    before = evaluate(contract, data, year)
    after = evaluate(contract, improved(data, contract, name, year, step), year)
    assert after.outcomes_paid + after.bonus_paid >= before.outcomes_paid + before.bonus_paid
    # a deduction's condition is met the way the indicator improves, and a top-up only fills what is short
    assert (after.deducted or 0) <= (before.deducted or 0)
    assert after.total_to_provider >= before.total_to_provider


# 3. the risk share splits every pound of variance, within the caps
@given(contract_year_data())
def test_risk_share_splits_the_variance(case):
    contract, year, data = case
    assume(contract.risk_share is not None)
    risk = evaluate(contract, data, year).risk
    assert risk.provider_share + risk.commissioner_share == abs(risk.variance)
    for limit in contract.risk_share.limits:
        if limit.kind != "cap" or (limit.exposure == "losses") != (risk.variance > 0):
            continue
        share = risk.provider_share if limit.party == "provider" else risk.commissioner_share
        cap = min(a.value if a.kind == "money" else statement_budget(contract, data, year) * a.value / 100 for a in limit.amounts)
        assert share <= cap.quantize(PENNY) + PENNY


def statement_budget(contract, data, year):
    return evaluate(contract, data, year).budget


# 4. totals are the exact sums of their rounded parts; no part is a penny from its exact share
@given(contract_year_data())
def test_parts_add_up_to_the_penny(case):
    contract, year, data = case
    statement = evaluate(contract, data, year)
    # carve-outs, core and a pot that is not on top make the budget; a pot on top is paid beyond it
    assert (statement.carved_out or 0) + statement.core + (0 if statement.pot_on_top else statement.pot) == statement.budget
    for kind, total in (("carve-out", statement.carved_out), ("deduction", statement.deducted), ("top-up", statement.top_up)):
        assert sum(entry.amount for entry in statement.lines if entry.kind == kind) == (total or 0)
    assert statement.total_to_provider == (statement.core - (statement.deducted or 0) + statement.outcomes_paid + statement.bonus_paid
                                           + statement.reserve + statement.risk_share + (statement.top_up or 0)
                                           + (statement.activity or 0))
    activity = [entry for entry in statement.lines if entry.kind == "activity"]
    assert sum(entry.amount for entry in activity) == (statement.activity or 0)
    assert all(entry.amount == entry.amount.quantize(PENNY) and entry.amount >= 0 for entry in activity)
    assert statement.commissioner_cost == statement.total_to_provider + (statement.carved_out or 0)
    indicators = [entry for entry in statement.lines if entry.kind == "indicator"]
    assert sum(entry.amount for entry in indicators) == statement.outcomes_paid
    assert statement.outcomes_paid + statement.bonus_paid + statement.unearned == statement.pot
    assert sum(p.total for p in statement.distribution) == statement.total_to_provider
    owners = model.outcome_of(contract)
    for line in indicators:
        assert line.amount == line.amount.quantize(PENNY)
        fraction = model.allocation_fraction(contract, owners[line.name], next(i for i in contract.all_indicators if i.name == line.name))
        if fraction is not None and line.allocation is not None:
            assert abs(line.allocation - statement.pot * fraction) < PENNY
    if statement.risk is not None:
        lines = [entry for entry in statement.lines if entry.kind == "risk share"]
        assert sum(entry.party_amounts["provider"] for entry in lines) == statement.risk.provider_share


# 5. evaluation is deterministic: the same contract and data give byte-identical JSON
@given(contract_year_data())
def test_evaluation_is_deterministic(case):
    contract, year, data = case
    again = check_text(render(contract)).contract
    first = json.dumps(evaluate(contract, data, year).to_dict())
    second = json.dumps(evaluate(again, data, year).to_dict())
    assert first == second


# 6. parse(render(ast)) == ast
@given(contracts())
def test_render_then_parse_gives_the_same_ast(contract):
    result = check_text(render(contract))
    note(render(contract))
    assert result.contract == contract
    assert result.ok, [d.message for d in result.diagnostics]


def test_reference_contracts_round_trip():
    for path in CONTRACTS.glob("*.obc"):
        contract = obcdsl.load(path).ast
        assert check_text(render(contract)).contract == contract


# 7. grammar fuzzing: programs generated from the grammar itself, and mutated reference contracts
def grammar_programs():
    from hypothesis.extra.lark import from_lark

    from obcdsl.parser import grammar_path
    from lark import Lark

    grammar = Lark.open(str(grammar_path()), parser="lalr")
    return from_lark(grammar, explicit={"COMMENT": st.just(""), "NAME": st.from_regex(r"\A[a-z][a-z0-9_]{0,8}\Z")})


@given(st.deferred(grammar_programs))
def test_grammar_generated_programs_give_only_diagnostics(text):
    result = check_text(text)
    assert all(isinstance(d, Diagnostic) for d in result.diagnostics)


@given(st.sampled_from(sorted(CONTRACTS.glob("*.obc"))), st.data())
def test_mutated_reference_contracts_give_only_diagnostics(path, data):
    text = path.read_text()
    lines = text.splitlines(keepends=True)
    for _ in range(data.draw(st.integers(1, 4))):
        index = data.draw(st.integers(0, len(lines) - 1))
        action = data.draw(st.sampled_from(["drop", "duplicate", "swap", "digits"]))
        if action == "drop":
            lines.pop(index)
        elif action == "duplicate":
            lines.insert(index, lines[index])
        elif action == "swap" and index + 1 < len(lines):
            lines[index], lines[index + 1] = lines[index + 1], lines[index]
        elif action == "digits":
            lines[index] = "".join(str(data.draw(st.integers(0, 9))) if c.isdigit() else c for c in lines[index])
        if not lines:
            break
    result = check_bytes("".join(lines).encode(), path.name)
    assert all(isinstance(d, Diagnostic) for d in result.diagnostics)


# A stateful walk through a contract's term: record each year's data, settle it, keep the books.
class ContractTerm(RuleBasedStateMachine):
    @initialize(contract=contracts())
    def sign(self, contract):
        self.contract = contract
        self.year = 0
        self.paid = D(0)
        self.unearned = D(0)
        self.pots = D(0)
        self.most = D(0)
        self.bounded = True
        self.by_year = bounds.bounds(contract)

    @precondition(lambda self: self.year < self.contract.term.last_year)
    @rule(data=st.data())
    def settle_next_year(self, data):
        self.year += 1
        statement = evaluate(self.contract, data.draw(year_data(self.contract, self.year)), self.year)
        self.paid += statement.outcomes_paid + statement.bonus_paid
        self.unearned += statement.unearned
        self.pots += statement.pot
        year_most = (self.by_year[self.year - 1].outcomes + self.by_year[self.year - 1].bonus).most
        self.most += year_most

    @rule()
    def bounds_are_the_same_when_worked_out_again(self):
        assert bounds.bounds(self.contract) == self.by_year

    @invariant()
    def unearned_money_is_accounted_for(self):
        if hasattr(self, "paid"):
            assert self.paid + self.unearned == self.pots
            assert self.unearned >= 0

    @invariant()
    def cumulative_payments_within_the_terms_bounds(self):
        if hasattr(self, "paid"):
            assert self.paid <= self.most


TestContractTerm = ContractTerm.TestCase
TestContractTerm.settings = settings(stateful_step_count=6, deadline=None)
