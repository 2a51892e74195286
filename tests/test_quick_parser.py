"""The quick parser reduces every rule with the children lark gives it, and the year plans it feeds reuse work
across years only where a year's lines are the same."""

import sys
from pathlib import Path

import pytest
from lark import Lark, Token, Tree

from obcdsl import ast
from obcdsl.bounds import bounds, year_bounds
from obcdsl.builder import contract_parser, read_contract
from obcdsl.lalr import QuickParser, WholeWords, grammar_path, reductions
from obcdsl.model import contract_years
from obcdsl.plan import compile_year, plan_for
from obcdsl.source import SourceFile

from conftest import CONTRACTS

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from run import generated_contract  # noqa: E402

_TEXTS = [(p.name, p.read_text()) for p in sorted(CONTRACTS.glob("*.obc"))] + [
    (p.name, p.read_text(encoding="utf-8", errors="replace")) for p in sorted((CONTRACTS.parent / "tests").rglob("*.obc"))
] + [("generated.obc", generated_contract(40, per_outcome=4))]


class Built:
    """What the recording builder returns for a rule: which rule, and its place in the order of reductions."""

    def __init__(self, name: str, index: int) -> None:
        self.name, self.index = name, index

    def __repr__(self) -> str:
        return f"{self.name}#{self.index}"


class Recorder:
    """A builder with a method for every rule not inlined, each noting the children lark (or the quick parser) gives it."""

    def __init__(self) -> None:
        self.calls: list = []

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)

        def record(children: list) -> Built:
            self.calls.append((name, [(c.type, str(c), c.start_pos, c.end_pos) if isinstance(c, Token) else repr(c)
                                      for c in children]))
            return Built(name, len(self.calls))

        return record


def recording_parser() -> tuple[Lark, Recorder]:
    recorder = Recorder()
    parser = Lark.open(str(grammar_path()), parser="lalr", lexer="contextual", postlex=WholeWords(), keep_all_tokens=True,
                       maybe_placeholders=False, transformer=recorder)
    return parser, recorder


@pytest.fixture(scope="module")
def recording():
    parser, recorder = recording_parser()
    return parser, QuickParser(parser), recorder


@pytest.mark.parametrize("name, text", _TEXTS, ids=[name for name, _ in _TEXTS])
def test_every_rule_is_given_the_children_lark_gives_it(recording, name, text):
    parser, quick, recorder = recording
    results = []
    for read in (parser.parse, quick.parse):
        recorder.calls = []
        try:
            results.append((repr(read(text)), recorder.calls))
        except Exception as error:  # a syntax error: lark raises its own, the quick parser Stuck
            results.append((type(error).__name__, None))
    (lark_value, lark_calls), (quick_value, quick_calls) = results
    if lark_calls is None:
        assert quick_calls is None
    else:
        assert quick_value == lark_value and quick_calls == lark_calls and lark_calls


def test_the_splicing_plan_is_the_grammars_for_every_rule():
    """A child that is an inlined `_rule` (or an `x*` lark makes) is spliced in; every other child is kept, tokens too."""
    parser, _ = contract_parser()
    plan = reductions(parser.parser.parser.parser.callbacks, Tree)
    assert {rule.origin.name for rule in plan} >= {"start", "indicator", "band", "_rule", "_section"}
    for rule, (callback, name, splice) in plan.items():
        inlined = [not symbol.is_term and symbol.name.startswith("_") for symbol in rule.expansion]
        assert (splice or tuple(enumerate(inlined))) == tuple(enumerate(inlined)), rule
        assert (callback is None) == name.startswith("_"), rule


def test_a_rule_wrapped_in_a_way_the_loop_does_not_know_is_refused():
    parser = Lark.open(str(grammar_path()), parser="lalr", lexer="contextual", postlex=WholeWords(),
                       propagate_positions=True, maybe_placeholders=False)
    with pytest.raises(ValueError, match="does not reduce"):
        QuickParser(parser)


def _fresh(name: str, text: str) -> ast.Contract:
    contract, problems = read_contract(SourceFile(name, text))
    assert not problems
    return contract


def _years_text(phases: str, budget: str = "  baseline £10m\n") -> str:
    return ('contract "x"\n commissioner "c"\n lead provider "p"\n term 5 years from 2024/25\nend\n'
            f'budget\n{budget}end\npayments\n core 80% of budget\n outcomes pot 20% of budget\nend\n'
            'outcomes\n outcome o "O"\n  weight 100%\n'
            '  indicator a "A"\n   weight 50%\n   bands\n    low at least 10% pays 40%\n    high at least 20% pays 100%\n   end\n  end\n'
            '  indicator b "B"\n   weight 50%\n   target at least 5%\n  end\n end\nend\n' + phases)


_YEARS = {
    "the same every year": _years_text(""),
    "a pot that grows": _years_text("", budget="  baseline £10m\n  uplift 3% each year from year 3\n"),
    "phases that link and share differently": _years_text(
        "phasing\n phase first years 1 to 2\n  link a\n end\n"
        " phase second year 3\n  link all indicators\n  shares a: low 20%, high 100%\n end\n"
        " phase third years 4 to 5\n  link all indicators\n end\nend\n"),
}


@pytest.mark.parametrize("name, text", [(p.name, p.read_text()) for p in sorted(CONTRACTS.glob("*.obc"))]
                         + list(_YEARS.items()))
def test_a_year_reusing_the_last_years_lines_is_the_year_compiled_afresh(name, text):
    warm = _fresh(name, text)
    for year in contract_years(warm):
        plan = plan_for(warm, year)
        fresh = _fresh(name, text)
        alone = compile_year(fresh, year, plan.budget, plan.budget_steps)
        assert plan == alone and plan.lines == alone.lines
        assert year_bounds(warm, year) == year_bounds(_fresh(name, text), year)
    assert bounds(warm) == bounds(_fresh(name, text))


def test_the_years_examples_change_what_they_should():
    """The contracts above do reach each way a year's lines can differ from the year before."""
    grows = _fresh("grows", _YEARS["a pot that grows"])
    assert plan_for(grows, 2).pot == plan_for(grows, 1).pot != plan_for(grows, 3).pot
    phased = _fresh("phased", _YEARS["phases that link and share differently"])
    plans = [plan_for(phased, year) for year in contract_years(phased)]
    assert [len([line for line in p.lines if line.linked]) for p in plans] == [1, 1, 2, 2, 2]
    shares = [p.line("a").parts[0].shares for p in plans]
    assert shares[2] != shares[3] == shares[4] == shares[1]
    assert plans[3].lines is plans[4].lines and plans[0].lines is plans[1].lines
