"""Write the extension's TextMate grammar and language configuration from obcdsl.highlight.

The Pygments lexer (`obcdsl/highlight.py`) is the one place that says which
words are keywords of which kind and what money, percentages, clause
references and the rest look like. This script turns the same lists and the
same regular expressions into

- `syntaxes/obc.tmLanguage.json`, the TextMate grammar VS Code colours with,
  its patterns in the lexer's order, so that the two colour alike; and
- `language-configuration.json`: comments, brackets, quotes, and folding and
  indentation on the blocks that `end` closes.

Run it from the repository, with obcdsl importable (its virtualenv active),
whenever the keyword lists or patterns change:

    python editors/vscode/scripts/generate_grammar.py          # rewrite both files
    python editors/vscode/scripts/generate_grammar.py --check  # exit 1 if either is stale

`tests/test_highlight.py` fails while either file is stale.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXTENSION = HERE.parent
REPO = EXTENSION.parent.parent
sys.path.insert(0, str(REPO))

from obcdsl import highlight as hl  # noqa: E402
from pygments.token import (  # noqa: E402
    Comment, Error, Literal, Name, Number, Operator, Punctuation, String,
)

GRAMMAR_FILE = EXTENSION / "syntaxes" / "obc.tmLanguage.json"
CONFIGURATION_FILE = EXTENSION / "language-configuration.json"
SCOPE = "source.obc"

# The scope of each kind of keyword.
KEYWORD_SCOPES = {
    "section": "keyword.control.section.obc",
    "end": "keyword.control.end.obc",
    "item": "keyword.other.item.obc",
    "rule": "keyword.other.rule.obc",
    "operator": "keyword.operator.word.obc",
    "constant": "constant.language.obc",
    "function": "support.function.builtin.obc",
}

# The Pygments token each scope stands for: the tests compare the two highlighters through it.
# Scopes not listed (meta.*, punctuation.definition.*) take the token of the scope around them.
SCOPE_TOKENS = {
    "comment.line.number-sign.obc": Comment.Single,
    "comment.other.ellipsis.obc": Comment.Special,
    "string.quoted.double.obc": String.Double,
    "invalid.illegal.unterminated-string.obc": Error,
    "invalid.illegal.character.obc": Error,
    "constant.numeric.money.obc": Number.Integer,
    "constant.numeric.financial-year.obc": Literal.Date,
    "constant.numeric.percentage.obc": Number.Float,
    "constant.numeric.obc": Number,
    "entity.name.label.clause.obc": Name.Label,
    "constant.other.icd10.obc": Name.Constant,
    "entity.name.type.obc": Name.Class,
    "variable.other.obc": Name,
    "keyword.operator.comparison.obc": Operator,
    "keyword.operator.arithmetic.obc": Operator,
    "punctuation.section.parens.begin.obc": Punctuation,
    "punctuation.section.parens.end.obc": Punctuation,
    "punctuation.separator.comma.obc": Punctuation,
    "punctuation.separator.colon.obc": Punctuation,
    **{scope: hl.KEYWORD_TOKENS[kind] for kind, scope in KEYWORD_SCOPES.items()},
}


def ci(regex: str) -> str:
    """Oniguruma reads the pattern case-insensitively, as the lexer's re.IGNORECASE does."""
    return "(?i)" + regex


def match(regex: str, name: str | None = None, **captures: str) -> dict:
    rule: dict = {"match": ci(regex)}
    if name:
        rule["name"] = name
    if captures:
        rule["captures"] = {number.lstrip("_"): {"name": scope} for number, scope in captures.items()}
    return rule


def keyword_rules(count: int) -> list[dict]:
    """One pattern for each kind of keyword phrase of `count` words."""
    return [match(hl.phrase_regex(phrases), KEYWORD_SCOPES[kind]) for kind, phrases in hl.keyword_phrases(count).items()]


def textmate_grammar() -> dict:
    phrases = []
    for count in range(hl.longest_phrase(), 1, -1):
        phrases.extend(keyword_rules(count))
    item, section = KEYWORD_SCOPES["item"], KEYWORD_SCOPES["section"]
    repository = {
        "comment": match(hl.COMMENT, "comment.line.number-sign.obc", _1="punctuation.definition.comment.obc"),
        "string": match(
            hl.STRING, "string.quoted.double.obc",
            _1="punctuation.definition.string.begin.obc", _2="punctuation.definition.string.end.obc",
        ),
        "unterminated-string": match(hl.UNTERMINATED_STRING, "invalid.illegal.unterminated-string.obc"),
        "money": match(hl.MONEY, "constant.numeric.money.obc"),
        "financial-year": match(hl.FIN_YEAR, "constant.numeric.financial-year.obc"),
        "percentage": match(hl.PERCENT, "constant.numeric.percentage.obc"),
        "number": match(hl.NUMBER, "constant.numeric.obc"),
        "clause-reference": match(hl.CLAUSE, "meta.clause-reference.obc", _1=item, _3="entity.name.label.clause.obc"),
        "icd-10": {
            "comment": "icd-10 and the codes or ranges after it: F30-F39, F40-F48",
            "begin": ci(hl.ICD10),
            "beginCaptures": {"1": {"name": item}},
            # ends before the first thing that is not a code, a comma, a comment or space (never at a line's end)
            "end": ci(r"(?=[^\s,#])(?!" + hl.ICD_CODE + ")"),
            "patterns": [
                {"include": "#comment"},
                match(hl.ICD_CODE, "constant.other.icd10.obc"),
                match(",", "punctuation.separator.comma.obc"),
            ],
        },
        "phrases": {"comment": "keyword phrases, the longest first", "patterns": phrases},
        "definitions": {
            "comment": "a block or item and the name it defines: outcome live_longer",
            "patterns": [
                match(hl.defining_regex(hl.DEFINING_SECTIONS), None, _1=section, _3="entity.name.type.obc"),
                match(hl.defining_regex(hl.DEFINING_ITEMS), None, _1=item, _3="entity.name.type.obc"),
            ],
        },
        "words": {"comment": "keywords of one word", "patterns": keyword_rules(1)},
        "name": match(hl.NAME, "variable.other.obc"),
        "operators": {
            "patterns": [
                match(hl.COMPARISON, "keyword.operator.comparison.obc"),
                match(hl.ARITHMETIC, "keyword.operator.arithmetic.obc"),
            ],
        },
        "unit-percent": match(hl.UNIT_PERCENT, KEYWORD_SCOPES["constant"]),
        "punctuation": {
            "patterns": [
                match(r"\(", "punctuation.section.parens.begin.obc"),
                match(r"\)", "punctuation.section.parens.end.obc"),
                match(",", "punctuation.separator.comma.obc"),
                match(":", "punctuation.separator.colon.obc"),
            ],
        },
        "ellipsis": match(hl.ELLIPSIS, "comment.other.ellipsis.obc"),
        "invalid": match(r"\S", "invalid.illegal.character.obc"),
    }
    return {
        "name": "OBC",
        "scopeName": SCOPE,
        "fileTypes": ["obc"],
        "comment": "Generated by editors/vscode/scripts/generate_grammar.py from obcdsl/highlight.py; do not edit by hand.",
        # the order of obcdsl.highlight.ObcLexer's rules
        "patterns": [{"include": "#" + key} for key in repository],
        "repository": repository,
    }


# ---------------------------------------------------------------- language configuration
# VS Code reads these patterns as JavaScript regular expressions and drops
# their flags when folding, so case is spelt out: [Ee][Nn][Dd].

def anycase(text: str) -> str:
    out = []
    for word in text.split():
        out.append("".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else re.escape(c) for c in word))
    return r"\s+".join(out)


def words(*texts: str) -> str:
    return "(?:" + "|".join(anycase(t) for t in texts) + ")"


JS_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
JS_STRING = r'"[^"]*"'
# How each block of the grammar opens (grammar/obc.lark: the rules ending in "end"i).
BARE_OPENERS = ("population", "budget", "payments", "outcomes", "phasing", "risk share", "gains", "losses",
                "distribution", "bands", "measures", "activity")
NAMED_OPENERS = ("segment", "outcome", "indicator", "bonus", "measure", "item")  # NAME "title"
YEAR_SPAN = "(?:" + "|".join([
    anycase("year") + r"\s+\d+",
    anycase("years") + r"\s+\d+\s+" + anycase("to") + r"\s+\d+",
    anycase("from year") + r"\s+\d+",
]) + ")"
OPENER = (
    r"^\s*(?:"
    + words(*BARE_OPENERS)
    + "|" + anycase("contract") + r"\s+" + JS_STRING
    + "|" + words(*NAMED_OPENERS) + r"\s+" + JS_NAME + r"\s+" + JS_STRING
    + "|" + anycase("phase") + r"\s+(?:" + JS_NAME + "|" + JS_STRING + r")\s+" + YEAR_SPAN
    + "|" + words("gains", "losses") + r"\s+(?:" + anycase("otherwise") + "|" + anycase("when") + r"\s+[^#]*?)"
    + r")(?:\s+" + anycase("clause") + r"\s+[0-9A-Za-z]+(?:\.[0-9A-Za-z]+)*)?\s*(?:#.*)?$"
)
CLOSER = r"^\s*" + anycase("end") + r"(?![A-Za-z0-9_])"
WORD_PATTERN = (
    r"-?£(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[Bb][Nn]|[MmKk])?"
    r"|(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?%?"
    r"|[A-Za-z_][A-Za-z0-9_]*"
)


def language_configuration() -> dict:
    openers = set(BARE_OPENERS) | set(NAMED_OPENERS) | {"contract", "phase"}
    missing = set(hl.SECTION) - openers
    assert not missing, f"no folding pattern for {sorted(missing)}"
    return {
        "comments": {"lineComment": "#"},
        "brackets": [["(", ")"]],
        "autoClosingPairs": [
            {"open": "(", "close": ")"},
            {"open": '"', "close": '"', "notIn": ["string", "comment"]},
        ],
        "surroundingPairs": [["(", ")"], ['"', '"']],
        "wordPattern": WORD_PATTERN,
        "folding": {"markers": {"start": OPENER, "end": CLOSER}},
        "indentationRules": {"increaseIndentPattern": OPENER, "decreaseIndentPattern": CLOSER},
    }


def render(document: dict) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def outputs() -> dict[Path, str]:
    return {GRAMMAR_FILE: render(textmate_grammar()), CONFIGURATION_FILE: render(language_configuration())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report whether the files are up to date")
    args = parser.parse_args(argv)
    stale = [path for path, text in outputs().items()
             if not path.exists() or path.read_text(encoding="utf-8") != text]
    if args.check:
        for path in stale:
            print(f"{path.relative_to(REPO)} is out of date: run python {Path(__file__).relative_to(REPO)}")
        return 1 if stale else 0
    for path, text in outputs().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
