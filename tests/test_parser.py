"""Parsing and building the AST: literals, layout, spans, the grammar itself."""

from decimal import Decimal

import pytest
from hypothesis import given, settings, strategies as st
from lark import Lark

from obcdsl import ast
from obcdsl.builder import parse_money, parse_number, parse_percent
from obcdsl.checker import check_text
from obcdsl.format import render
from obcdsl.parser import grammar_path
from obcdsl.testing import contracts

from conftest import CONTRACTS

HEADER = 'contract "x"\n commissioner "c"\n lead provider "p"\n term 2 years from 2020/21\nend\n'


def test_grammar_is_conflict_free_lalr():
    # strict mode refuses shift/reduce conflicts and colliding terminals
    Lark.open(str(grammar_path()), parser="lalr", strict=True)


@pytest.mark.parametrize(
    "text, value",
    [("£35m", "35000000"), ("£20,000", "20000"), ("£1.5m", "1500000"), ("£750k", "750000"),
     ("£2bn", "2000000000"), ("£0.50", "0.50"), ("-£500,000", "-500000"), ("£1,234,567.89", "1234567.89")],
)
def test_money_literals(text, value):
    assert parse_money(text) == Decimal(value)


def test_percent_and_number_literals():
    assert parse_percent("4%") == Decimal(4)
    assert parse_percent("87.25%") == Decimal("87.25")
    assert parse_number("12,000") == Decimal(12000)


def test_money_is_exact_decimal():
    result = check_text(HEADER + "budget\n baseline £37,110,000.10\nend\n")
    assert result.contract.budget.baseline == Decimal("37110000.10")
    assert isinstance(result.contract.budget.baseline, Decimal)


def test_layout_and_case_do_not_change_the_ast():
    original = (CONTRACTS / "monitor_staged_linking.obc").read_text()
    squashed = " ".join(line.split("#")[0].strip() for line in original.splitlines())
    shouted = squashed.replace("phase ", "PHASE ").replace(" end", " End").replace("outcomes pot", "Outcomes Pot")
    a = check_text(original).contract
    b = check_text(shouted).contract
    assert a is not None and b is not None
    assert a == b


def test_equal_amounts_written_differently_compare_equal():
    a = check_text(HEADER + "budget\n baseline £1m\nend\n").contract
    b = check_text(HEADER + "budget\n baseline £1,000,000\nend\n").contract
    assert a == b


def test_spans_point_at_the_source():
    text = (CONTRACTS / "oxfordshire_mental_health.obc").read_text()
    contract = check_text(text, "ox.obc").contract
    indicator = next(i for i in contract.all_indicators if i.name == "crisis_response_4h")
    span = indicator.name_span
    assert text[span.start:span.end] == "crisis_response_4h"
    assert text.splitlines()[span.line - 1][span.column - 1:].startswith("crisis_response_4h")
    assert span.file == "ox.obc"
    assert indicator.clause == "4.3"


def test_comments_are_ignored():
    a = check_text(HEADER + "budget # the money\n baseline £1m # 2013/14 spend\nend\n").contract
    b = check_text(HEADER + "budget\n baseline £1m\nend\n").contract
    assert a == b


def test_relative_thresholds():
    text = (CONTRACTS / "oxfordshire_mental_health.obc").read_text()
    contract = check_text(text).contract
    star = next(i for i in contract.all_indicators if i.name == "recovery_star")
    good = star.rule.bands[0]
    assert good.threshold.comparator == "at least"
    assert good.threshold.value == ast.ThresholdValue("points", Decimal(2), "above", "number")
    mortality = next(i for i in contract.all_indicators if i.name == "mortality")
    assert mortality.rule.threshold.value == ast.ThresholdValue("percent", Decimal(5), "below", "percent")


def test_expressions_build_with_precedence():
    text = HEADER + 'outcomes\n outcome a "A"\n  only if x + y * 2 at least 10% and not z below 3 or w is achieved\n end\nend\n'
    contract = check_text(text).contract
    condition = contract.all_outcomes[0].gates[0].condition
    assert isinstance(condition, ast.Logical) and condition.operator == "or"
    left = condition.left
    assert isinstance(left, ast.Logical) and left.operator == "and"
    compare = left.left
    assert compare.operator == ">="
    assert compare.left == ast.Arithmetic("+", ast.Reference("x"), ast.Arithmetic("*", ast.Reference("y"), ast.Literal(Decimal(2), "number")))
    assert isinstance(left.right, ast.Not)
    assert condition.right == ast.Achieved("w")


def test_keyword_glued_to_a_name_is_not_split():
    result = check_text(HEADER.replace("commissioner", "commissionerx"))
    (diagnostic,) = result.diagnostics
    assert diagnostic.code == "OBC102"
    assert "commissionerx" in diagnostic.message
    assert diagnostic.help == "did you mean `commissioner`?"


def test_a_keyword_may_be_a_name_where_only_a_name_can_stand():
    result = check_text(HEADER + 'outcomes\n outcome target "A"\n end\n unearned pot retained by the commissioner\nend\n')
    assert result.ok, result.diagnostics
    assert result.contract.all_outcomes[0].name == "target"


def test_missing_name_says_a_name_is_expected():
    result = check_text(HEADER + 'outcomes\n outcome "A"\n end\nend\n')
    (diagnostic,) = result.diagnostics
    assert diagnostic.code == "OBC102"
    assert "a name such as" in diagnostic.label


def test_years_and_extension():
    contract = check_text(HEADER.replace("term 2 years from 2020/21", "term 5 years from 2015/16, extendable by up to 2 years")).contract
    assert contract.term.last_year == 7
    assert contract.term.financial_year(1) == "2015/16"
    assert contract.term.financial_year(5) == "2019/20"


def test_a_number_too_large_for_a_contract():
    result = check_text(HEADER + "budget\n baseline £" + "9" * 40 + "\nend\n")
    (diagnostic,) = result.diagnostics
    assert diagnostic.code == "OBC105" and "too large" in diagnostic.message


def test_every_rule_of_the_grammar_has_its_builder_method():
    # a rule without one would reach the builder as a lark Tree, which no block knows what to do with
    from obcdsl.builder import contract_parser

    parser, builder = contract_parser()
    for rule in parser.rules:
        name = rule.alias or rule.origin.name
        inlined = name.startswith("_") or (rule.options.expand1 and len(rule.expansion) == 1)
        assert inlined or callable(getattr(builder, name, None)), f"no builder method for the rule `{name}`"


def _nodes(node, parent=None):
    import attrs

    if attrs.has(type(node)):
        span = getattr(node, "span", None)
        yield node, span, parent
        for field in attrs.fields(type(node)):
            if field.name.endswith(("span", "spans")):  # spans, not nodes (a span may hold its source file)
                continue
            yield from _nodes(getattr(node, field.name), span or parent)
    elif isinstance(node, tuple):
        for item in node:
            yield from _nodes(item, parent)


@pytest.mark.parametrize("path", sorted(CONTRACTS.glob("*.obc")), ids=lambda p: p.name)
def test_every_node_spans_its_own_words_inside_its_parent(path):
    text = path.read_text(encoding="utf-8")
    contract = check_text(text, str(path)).contract
    seen = 0
    for node, span, parent in _nodes(contract):
        if span is None or node is contract:
            continue
        seen += 1
        written = text[span.start:span.end]
        assert written and written == written.strip(), (type(node).__name__, written)
        assert not written.startswith("#") and not written.endswith(","), written
        if parent is not None:
            assert parent.start <= span.start <= span.end <= parent.end, (type(node).__name__, written)
        assert (span.line, span.column) == (text.count("\n", 0, span.start) + 1,
                                            span.start - (text.rfind("\n", 0, span.start) + 1) + 1)
    assert seen > 40


def test_a_block_spans_from_its_first_word_to_its_end():
    text = HEADER + 'outcomes\n outcome o "O"\n  indicator i "I"\n   target at least 5%  # note\n  end\nend\nend\n'
    indicator = check_text(text).contract.all_indicators[0]
    assert text[indicator.span.start:indicator.span.end].startswith('indicator i "I"')
    assert text[indicator.span.start:indicator.span.end].endswith("end")
    assert text[indicator.rule.span.start:indicator.rule.span.end] == "target at least 5%"


def test_brackets_belong_to_the_expression_around_them():
    text = HEADER + ('outcomes\n outcome o "O"\n  indicator a "A"\n   target at least 5%\n  end\n'
                     '  indicator r "R"\n   measured as a / (a + 1)\n   target at least 5%\n  end\nend\nend\n')
    measured = check_text(text).contract.all_indicators[1].measured_as
    assert text[measured.span.start:measured.span.end] == "a / (a + 1)"
    assert text[measured.right.span.start:measured.right.span.end] == "a + 1"


def _read_both_ways(text, name="x.obc"):
    """The contract read with the quick lexer and with lark's own; None for a text with a syntax error."""
    from lark.exceptions import UnexpectedInput

    from obcdsl.builder import read_contract
    from obcdsl.source import SourceFile

    results = []
    for quick in (True, False):
        try:
            results.append(read_contract(SourceFile(name, text), quick=quick))
        except UnexpectedInput:
            results.append(None)
    return results


def _shape(contract):
    return [(type(node).__name__, span.start, span.end) for node, span, _ in _nodes(contract) if span is not None]


_ALL_FILES = sorted(CONTRACTS.glob("*.obc")) + sorted((CONTRACTS.parent / "tests").rglob("*.obc"))


@pytest.mark.parametrize("path", _ALL_FILES, ids=lambda p: p.name)
def test_the_quick_lexer_reads_every_file_as_lark_does(path):
    quick, plain = _read_both_ways(path.read_text(encoding="utf-8", errors="replace"), str(path))
    assert (quick is None) == (plain is None)
    if quick is not None:
        assert quick[0] == plain[0] and _shape(quick[0]) == _shape(plain[0])
        assert [(d.code, d.message, d.span) for d in quick[1]] == [(d.code, d.message, d.span) for d in plain[1]]


@given(contracts(rich=True), st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(
    ["# note", "#", "  \t", "end", "£", "\"", "weight", "x y", "(", "5.1.2(a)", "pays 40%"])), max_size=3))
@settings(max_examples=60, deadline=None)
def test_the_quick_lexer_reads_generated_and_damaged_contracts_as_lark_does(contract, damage):
    lines = render(contract).splitlines()
    for position, text in damage:
        line = position % (len(lines) + 1)
        lines.insert(line, text) if position % 2 else lines.__setitem__(line % len(lines), lines[line % len(lines)] + " " + text)
    quick, plain = _read_both_ways("\n".join(lines) + "\n")
    assert (quick is None) == (plain is None)
    if quick is not None:
        assert quick[0] == plain[0] and _shape(quick[0]) == _shape(plain[0])
