"""The Pygments lexer, and the VS Code grammar generated from the same vocabulary.

The lexer must read every bundled contract without an error token, colour each
kind of token as `obcdsl/highlight.py` says, know every keyword of the grammar,
and agree with the TextMate grammar character by character.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
from pathlib import Path

import pytest
from lark import Lark
from lark.lexer import PatternStr
from pygments.token import (
    STANDARD_TYPES, Comment, Error, Keyword, Literal, Name, Number, Operator, Punctuation, String, Text, Whitespace,
)

from obcdsl import highlight
from obcdsl.highlight import ObcLexer

from conftest import BROKEN, CONTRACTS, ROOT

GRAMMAR = ROOT / "grammar" / "obc.lark"
VSCODE = ROOT / "editors" / "vscode"
GENERATOR = VSCODE / "scripts" / "generate_grammar.py"
EXPECT = re.compile(r"# expect: (OBC\d{3}) at (\d+):(\d+)")

REFERENCE = sorted(CONTRACTS.glob("*.obc"))
BROKEN_FILES = sorted(BROKEN.glob("*.obc"))


def tokens(text: str) -> list[tuple[int, object, str]]:
    return list(ObcLexer().get_tokens_unprocessed(text))


def line_column(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def error_places(text: str) -> set[tuple[int, int]]:
    return {line_column(text, i) for i, kind, _ in tokens(text) if kind in Error}


def kinds(line: str) -> list[tuple[object, str]]:
    """The tokens of one line, without the spaces between them."""
    return [(kind, value) for _, kind, value in tokens(line) if kind not in Whitespace]


def kind_of(line: str, word: str) -> object:
    found = [kind for kind, value in kinds(line) if value == word]
    assert found, f"{word!r} is not a token of {line!r}: {kinds(line)}"
    return found[0]


# ---------------------------------------------------------------- the lexer

def test_lexer_names():
    assert ObcLexer.name == "obcdsl"
    assert ObcLexer.aliases == ["obc", "obcdsl"]
    assert ObcLexer.filenames == ["*.obc"]


@pytest.mark.parametrize("path", REFERENCE, ids=lambda p: p.name)
def test_reference_contracts_have_no_error_tokens(path):
    text = path.read_text(encoding="utf-8")
    assert error_places(text) == set()
    assert "".join(value for _, _, value in tokens(text)) == text


@pytest.mark.parametrize("path", BROKEN_FILES, ids=lambda p: p.name)
def test_broken_contracts_have_error_tokens_only_where_broken(path):
    text = path.read_text(encoding="utf-8")
    code, line, column = EXPECT.match(text).groups()
    errors = error_places(text)
    if code == "OBC101":  # a character the language has no place for
        assert errors == {(int(line), int(column))}
    else:
        assert errors == set(), f"{code} at {line}:{column}"


def test_the_stray_character_is_the_error():
    text = (BROKEN / "OBC101_stray_character.obc").read_text(encoding="utf-8")
    line = text.splitlines()[9]
    assert kinds(line) == [(Keyword.Declaration, "baseline"), (Number.Integer, "£10m"), (Error, "~")]


def test_keywords_by_kind():
    line = "  core 80% of budget clause 4.1"
    assert kinds(line) == [
        (Keyword.Declaration, "core"), (Number.Float, "80%"), (Keyword, "of budget"),
        (Keyword.Declaration, "clause"), (Name.Label, "4.1"),
    ]
    bands = "        good      at least 2 points above baseline pays 40%"
    assert kinds(bands) == [
        (Name, "good"), (Operator.Word, "at least"), (Number, "2"), (Keyword.Declaration, "points"),
        (Keyword, "above baseline"), (Keyword, "pays"), (Number.Float, "40%"),
    ]
    assert kinds("      higher is better") == [(Keyword, "higher is better")]
    assert kinds("      bands") == [(Keyword.Namespace, "bands")]
    assert kinds("end") == [(Keyword.Namespace, "end")]
    assert kind_of("    pays when all outcomes are achieved", "all outcomes are achieved") == Operator.Word
    assert kind_of("  rounding half up clause 1.6", "half up") == Keyword.Constant
    assert kind_of("    only if min(a, b) >= 85%", "min") == Name.Builtin
    assert kind_of("    only if min(a, b) >= 85%", ">=") == Operator


def test_the_longest_phrase_wins():
    # `outcomes` opens a section; `outcomes pot` is an item of one
    assert kinds("outcomes clause 5")[0] == (Keyword.Namespace, "outcomes")
    assert kinds("  outcomes pot 20% of budget")[0] == (Keyword.Declaration, "outcomes pot")
    assert kinds("risk share clause 8")[0] == (Keyword.Namespace, "risk share")
    assert kinds("    risk share applies") == [(Keyword.Declaration, "risk share applies")]
    assert kinds("    no risk share") == [(Keyword.Declaration, "no risk share")]
    assert kinds("  gains clause 5.3")[0] == (Keyword.Namespace, "gains")
    assert kinds("  provider gains at least £50,000")[:2] == [(Keyword.Declaration, "provider gains"), (Operator.Word, "at least")]
    assert kinds("  mind receives 3% of core and 4% of outcome payments")[-1] == (Keyword.Declaration, "of outcome payments")
    assert kinds("      in segment psychosis: target at least 12%")[:3] == [
        (Keyword.Declaration, "in segment"), (Name, "psychosis"), (Punctuation, ":"),
    ]


def test_names_being_defined():
    line = '  outcome live_longer "People will live longer" clause 5.1'
    assert kinds(line) == [
        (Keyword.Namespace, "outcome"), (Name.Class, "live_longer"), (String.Double, '"People will live longer"'),
        (Keyword.Declaration, "clause"), (Name.Label, "5.1"),
    ]
    assert kinds('  subcontractor mind "Oxfordshire Mind"')[:2] == [(Keyword.Declaration, "subcontractor"), (Name.Class, "mind")]
    assert kinds("  phase introduction year 1")[:2] == [(Keyword.Namespace, "phase"), (Name.Class, "introduction")]


def test_money_percentages_and_numbers():
    assert kind_of("  baseline £37,110,000 clause 3.1", "£37,110,000") == Number.Integer
    assert kind_of("  provider losses at most £1.5m clause 7.3", "£1.5m") == Number.Integer
    assert kind_of("  provider losses at most -£500,000", "-£500,000") == Number.Integer
    assert kind_of("  capitation £1,650 per head clause 3.1", "£1,650") == Number.Integer
    assert kind_of("  baseline £37.11M", "£37.11M") == Number.Integer
    assert kind_of("  projected growth 0.8% each year", "0.8%") == Number.Float
    assert kind_of("    people 14,200", "14,200") == Number
    assert kind_of("    weight 3.2", "3.2") == Number
    assert kind_of("  term 5 years from 2015/16, extendable by up to 2 years", "2015/16") == Literal.Date
    # a space before % is refused by the parser (OBC102); the % alone is the unit word
    assert kinds("  core 80 % of budget")[1:3] == [(Number, "80"), (Keyword.Constant, "%")]


def test_clause_references():
    for written, clause in [("clause 1", "1"), ("clause 5.1.2", "5.1.2"), ("clause A7", "A7"), ("CLAUSE 6.2", "6.2")]:
        assert kinds(f"  target at least 75% {written}")[-2:] == [(Keyword.Declaration, written.split()[0]), (Name.Label, clause)]


def test_comments_and_strings():
    line = "  baseline £37,110,000 clause 3.1        # FY 2013/14 planned spend on in-scope services"
    assert kinds(line)[-1] == (Comment.Single, "# FY 2013/14 planned spend on in-scope services")
    assert kinds("# ILLUSTRATIVE: the business case leaves the \"risk transfer model\" to be")[0][0] == Comment.Single
    title = '"Patients answering yes to: do you feel involved as much as you want to be in decisions about your care and treatment?"'
    assert kinds(f"      definition {title}") == [(Keyword.Declaration, "definition"), (String.Double, title)]
    assert kinds('  commissioner "Example # not a comment"')[1] == (String.Double, '"Example # not a comment"')
    assert kinds('  commissioner "Example CCG')[1] == (Error, '"Example CCG')


def test_icd10_codes_across_lines():
    text = "    icd-10 F50-F59, F60-F69,\n           F70-F79, F80-F89   # behavioural\n    people 2,400\n    F20\n"
    found = [(kind, value) for _, kind, value in tokens(text) if kind not in Whitespace]
    assert found == [
        (Keyword.Declaration, "icd-10"), (Name.Constant, "F50-F59"), (Punctuation, ","), (Name.Constant, "F60-F69"),
        (Punctuation, ","), (Name.Constant, "F70-F79"), (Punctuation, ","), (Name.Constant, "F80-F89"),
        (Comment.Single, "# behavioural"), (Keyword.Declaration, "people"), (Number, "2,400"), (Name, "F20"),
    ]


def test_keywords_in_any_capitals():
    assert kinds('  PHASE "bedding in" YEAR 2 CLAUSE 6.2') == [
        (Keyword.Namespace, "PHASE"), (String.Double, '"bedding in"'), (Keyword.Declaration, "YEAR"), (Number, "2"),
        (Keyword.Declaration, "CLAUSE"), (Name.Label, "6.2"),
    ]
    assert kinds("  End") == [(Keyword.Namespace, "End")]
    assert kinds("END") == [(Keyword.Namespace, "END")]
    assert kinds("      Higher Is Better") == [(Keyword, "Higher Is Better")]
    assert kinds("  Outcomes Pot 20% Of Budget")[0] == (Keyword.Declaration, "Outcomes Pot")
    assert kinds("    ICD-10 f20-f29") == [(Keyword.Declaration, "ICD-10"), (Name.Constant, "f20-f29")]


def test_a_keyword_inside_a_longer_word_is_a_name():
    assert kinds("    weighting 100%")[0] == (Name, "weighting")  # tests/broken/OBC102_unexpected_word.obc
    assert kinds("  ending")[0] == (Name, "ending")
    assert kinds("  end_of_year")[0] == (Name, "end_of_year")


def test_only_standard_token_types():
    """Pygments styles and rich's themes colour only the standard types; an invented one would come out plain."""
    used = set(highlight.KEYWORD_TOKENS.values())
    for path in [*REFERENCE, *BROKEN_FILES]:
        used |= {kind for _, kind, _ in tokens(path.read_text(encoding="utf-8"))}
    used |= {kind for _, kind, _ in tokens('only if min(a, b) >= 85% ... F20 "x')}
    assert used - set(STANDARD_TYPES) == set()


def obc_blocks(markdown: Path) -> list[str]:
    return re.findall(r"```obc\n(.*?)```", markdown.read_text(encoding="utf-8"), re.S)


def test_the_language_reference_examples_lex_cleanly():
    blocks = obc_blocks(ROOT / "docs" / "language.md")
    assert len(blocks) >= 10
    for block in blocks:
        assert error_places(block) == set(), block


# ---------------------------------------------------------------- the keywords of the grammar

@functools.lru_cache(maxsize=1)
def grammar_keywords() -> frozenset[str]:
    """Every keyword of grammar/obc.lark: the case-insensitive strings, `"..."i`, read by lark itself."""
    parser = Lark(GRAMMAR.read_text(encoding="utf-8"), parser="lalr", lexer="contextual")
    found = {
        t.pattern.value
        for t in parser.terminals
        if isinstance(t.pattern, PatternStr) and "i" in t.pattern.flags
    }
    assert {"contract", "end", "at", "least", "icd-10", "stop-loss"} <= found
    return frozenset(found)


def test_every_grammar_keyword_is_highlighted():
    missing = grammar_keywords() - highlight.keyword_words()
    assert not missing, f"add these to a list in obcdsl/highlight.py: {sorted(missing)}"


def test_every_highlighted_keyword_is_in_the_grammar():
    extra = highlight.keyword_words() - grammar_keywords()
    assert not extra, f"not keywords of grammar/obc.lark: {sorted(extra)}"


def test_the_quoted_keywords_of_the_grammar_file_are_what_lark_reads():
    text = re.sub(r"//[^\n]*", "", GRAMMAR.read_text(encoding="utf-8"))
    quoted = set(re.findall(r'"([^"\n/]+)"i', text))
    assert quoted == grammar_keywords()


def test_no_phrase_has_two_kinds():
    seen: dict[str, str] = {}
    for kind, phrases in highlight.KEYWORDS.items():
        for phrase in phrases:
            assert phrase == phrase.lower() and phrase == " ".join(phrase.split()), phrase
            assert phrase not in seen, f"{phrase!r} is both {seen[phrase]} and {kind}"
            seen[phrase] = kind


def test_every_keyword_highlights_alone_and_in_any_case():
    for word in highlight.keyword_words():
        for written in (word, word.upper(), word.title()):
            assert kinds(written) == [(highlight.KEYWORD_TOKENS[highlight.keyword_kind(word)], written)]


# ---------------------------------------------------------------- the VS Code grammar

def needs_vscode():
    if not GENERATOR.exists():
        pytest.skip("editors/vscode is not part of this copy")


def generator():
    needs_vscode()
    spec = importlib.util.spec_from_file_location("generate_grammar", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_vscode_files_are_generated_from_the_lexer():
    stale = [str(path.relative_to(ROOT)) for path, text in generator().outputs().items()
             if not path.exists() or path.read_text(encoding="utf-8") != text]
    assert not stale, f"run python {GENERATOR.relative_to(ROOT)} to rewrite {stale}"


class TextMate:
    """Enough of vscode-textmate to run obc.tmLanguage.json: per line, the earliest match wins, ties to the first rule."""

    def __init__(self, grammar: dict):
        self.repository = grammar["repository"]
        self.root = self.flatten(grammar["patterns"])

    def flatten(self, patterns: list[dict]) -> list[dict]:
        rules = []
        for rule in patterns:
            if "include" in rule:
                rules.extend(self.flatten([self.repository[rule["include"].lstrip("#")]]))
            elif "patterns" in rule and "begin" not in rule:
                rules.extend(self.flatten(rule["patterns"]))
            else:
                rules.append(rule)
        return rules

    def scopes(self, text: str) -> list[list[str]]:
        """Each character's scopes, outermost first."""
        out: list[list[str]] = []
        stack: list[dict] = []
        for line in text.split("\n"):
            line += "\n"
            chars: list[list[str]] = [[] for _ in line]
            pos = 0
            while pos < len(line):
                if stack:
                    region = stack[-1]
                    candidates = [("end", region["end"], region)] + [
                        ("match" if "match" in r else "begin", r.get("match", r.get("begin")), r)
                        for r in self.flatten(region["patterns"])
                    ]
                else:
                    candidates = [("match" if "match" in r else "begin", r.get("match", r.get("begin")), r) for r in self.root]
                best = None
                for how, regex, rule in candidates:
                    found = re.compile(regex).search(line, pos)
                    if found and (best is None or found.start() < best[0].start()):
                        best = (found, how, rule)
                if best is None:
                    break
                found, how, rule = best
                if how == "end":
                    stack.pop()
                    pos = found.end()
                    continue
                for i in range(found.start(), found.end()):
                    if rule.get("name"):
                        chars[i].append(rule["name"])
                captures = rule.get("captures") or rule.get("beginCaptures") or {}
                for group, capture in captures.items():
                    if found.group(int(group)) is not None:
                        for i in range(found.start(int(group)), found.end(int(group))):
                            chars[i].append(capture["name"])
                if how == "begin":
                    stack.append(rule)
                pos = max(found.end(), pos + (found.end() == found.start()))
            out.extend(chars)
        return out[: len(text)]


def textmate_kinds(text: str, module) -> list[object]:
    grammar = json.loads((VSCODE / "syntaxes" / "obc.tmLanguage.json").read_text(encoding="utf-8"))
    result = []
    for scopes in TextMate(grammar).scopes(text):
        mapped = [module.SCOPE_TOKENS[s] for s in reversed(scopes) if s in module.SCOPE_TOKENS]
        result.append(mapped[0] if mapped else None)
    return result


def pygments_kinds(text: str) -> list[object]:
    result: list[object] = [None] * len(text)
    for start, kind, value in tokens(text):
        for i in range(start, start + len(value)):
            result[i] = None if kind in Whitespace or kind is Text else kind
    return result


def agreement_texts() -> list[tuple[str, str]]:
    texts = [(p.name, p.read_text(encoding="utf-8")) for p in [*REFERENCE, *BROKEN_FILES]]
    for doc in ("language.md", "diagnostics.md"):
        texts += [(f"{doc} example {i}", block) for i, block in enumerate(obc_blocks(ROOT / "docs" / doc))]
    fixtures = sorted((VSCODE / "test").glob("*.obc"))
    texts += [(p.name, p.read_text(encoding="utf-8")) for p in fixtures]
    return texts


def test_textmate_and_pygments_colour_alike():
    module = generator()
    compared = 0
    for name, text in agreement_texts():
        ours, theirs = pygments_kinds(text), textmate_kinds(text, module)
        for offset, (a, b) in enumerate(zip(ours, theirs)):
            if a != b:
                line, column = line_column(text, offset)
                shown = text.splitlines()[line - 1]
                pytest.fail(f"{name}:{line}:{column}: Pygments {a}, TextMate {b}\n{shown}\n{' ' * (column - 1)}^")
        compared += len(text)
    assert compared > 50_000


def test_folding_and_indentation_patterns_match_every_block():
    needs_vscode()
    configuration = json.loads((VSCODE / "language-configuration.json").read_text(encoding="utf-8"))
    opener = re.compile(configuration["folding"]["markers"]["start"])
    closer = re.compile(configuration["folding"]["markers"]["end"])
    assert configuration["indentationRules"]["increaseIndentPattern"] == opener.pattern
    assert configuration["indentationRules"]["decreaseIndentPattern"] == closer.pattern
    for path in REFERENCE:
        depth = 0
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if opener.search(line):
                depth += 1
            elif closer.search(line):
                depth -= 1
                assert depth >= 0, f"{path.name}:{number}: `end` with no opener matched: {line}"
            else:
                assert not line.strip().lower().startswith(("outcome ", "indicator ", "bands", "phase ")), (
                    f"{path.name}:{number}: an opener the folding pattern misses: {line}"
                )
        assert depth == 0, path.name
    assert not opener.search("    outcomes pot 0% of budget")
    assert not opener.search("    risk share applies")
    assert not opener.search("  provider gains at least £50,000 clause 5.7")
    assert opener.search('  PHASE "bedding in" YEAR 2 CLAUSE 6.2   # comment')
    assert closer.search("  End")


def test_the_extension_declares_the_language_and_the_server_setting():
    needs_vscode()
    manifest = json.loads((VSCODE / "package.json").read_text(encoding="utf-8"))
    (language,) = manifest["contributes"]["languages"]
    assert language["extensions"] == [".obc"]
    (grammar,) = manifest["contributes"]["grammars"]
    assert grammar["scopeName"] == "source.obc" and grammar["language"] == language["id"]
    settings = manifest["contributes"]["configuration"]["properties"]
    assert settings["obcdsl.serverCommand"]["default"] == "obcdsl"
    assert settings["obcdsl.serverArgs"]["default"] == ["lsp"]


# ---------------------------------------------------------------- the entry point

def test_pygments_finds_the_lexer_once_installed():
    from importlib.metadata import entry_points

    from pygments.lexers import get_lexer_by_name, get_lexer_for_filename

    if not any(e.value == "obcdsl.highlight:ObcLexer" for e in entry_points(group="pygments.lexers")):
        pytest.skip("the pygments.lexers entry point is not registered in this environment")
    assert isinstance(get_lexer_by_name("obcdsl"), ObcLexer)
    assert isinstance(get_lexer_by_name("obc"), ObcLexer)
    assert isinstance(get_lexer_for_filename("oxfordshire_mental_health.obc"), ObcLexer)
