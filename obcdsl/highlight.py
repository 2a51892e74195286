"""Highlighting for `.obc` contracts: a Pygments lexer, and the vocabulary it shares.

`ObcLexer` colours a contract for the documentation, for rich's source
snippets and for anything else that uses Pygments. The VS Code extension's
TextMate grammar (`editors/vscode/syntaxes/obc.tmLanguage.json`) is generated
from the same keyword lists and the same regular expressions, by
`editors/vscode/scripts/generate_grammar.py`, so the two agree on what is a
keyword and what each kind of token looks like. The tests check that every
keyword of `grammar/obc.lark` is here, and that the two highlighters colour
the reference contracts alike.

What each token of a contract becomes:

| written | Pygments token | kind |
|---|---|---|
| `# a comment` | `Comment.Single` | comment |
| `"a title"` | `String.Double` | string |
| `£37,110,000`, `£1.5m`, `-£500,000` | `Number.Integer` | money (kept exact, never a float) |
| `85%`, `87.5%` | `Number.Float` | percentage |
| `20`, `12,000`, `1.5` | `Number` | number |
| `2015/16` | `Literal.Date` | financial year |
| `clause 5.1.2` | `Keyword.Declaration`, then `Name.Label` | clause reference |
| `F20-F29` after `icd-10` | `Name.Constant` | ICD-10 code |
| `outcome`, `indicator`, `bands`, `risk share`, `end` | `Keyword.Namespace` | section: a block closed by `end` |
| `weight`, `baseline`, `lead provider`, `outcomes pot` | `Keyword.Declaration` | item: what a line states |
| `target`, `pays`, `higher is better`, `of budget` | `Keyword` | rule: how money is earned |
| `at least`, `above`, `and`, `is achieved` | `Operator.Word` | comparison or logic |
| `percent`, `half up`, `shared equally` | `Keyword.Constant` | a fixed choice |
| `min`, `max` | `Name.Builtin` | function |
| the name after `outcome`, `indicator`, `bonus`, `segment`, `phase`, `subcontractor` | `Name.Class` | a name being defined |
| `crisis_response_4h`, `good` | `Name` | a name used |
| `>=`, `+`, `/` | `Operator` | symbol |
| `(`, `)`, `,`, `:` | `Punctuation` | |
| `...` | `Comment.Special` | lines left out of an example in the documentation |
| anything the language has no place for | `Error` | |

Only standard Pygments token types are used, so every style (and rich's
themes, which know no others) colours them. Keywords are matched whole and
case-insensitively; a phrase such as `at least` is one token, and the
longest phrase wins (`outcomes pot` is an item, `outcomes` alone a section).
Every pattern is linear: no nested repetition, no unbounded look-around.
"""

from __future__ import annotations

import re

from pygments.lexer import RegexLexer, bygroups, default
from pygments.token import (
    Comment, Error, Keyword, Literal, Name, Number, Operator, Punctuation, String, Whitespace, _TokenType,
)

__all__ = ["ObcLexer", "KEYWORDS", "KEYWORD_TOKENS", "keyword_kind", "keyword_words", "phrase_regex"]

# ---------------------------------------------------------------- keywords
# Every keyword of grammar/obc.lark, by kind. An entry may be a phrase of
# several words; a word met alone takes the kind of its own entry, or else of
# the first phrase it starts, or else of the first phrase it is in (written
# across two lines, `at` and `least` are still operators). The longest phrase
# at a place wins. tests/test_highlight.py checks that these
# words are exactly the grammar's keywords and that no phrase is listed twice.

SECTION = (
    "contract", "population", "segment", "budget", "payments", "outcomes", "outcome",
    "indicator", "bands", "bonus", "phasing", "phase", "risk share", "gains", "losses",
    "distribution", "measures", "measure", "activity", "item",
)
END = ("end",)
ITEM = (
    # contract
    "commissioner", "commissioners", "contributes", "overspend shared", "underspend shared",
    "lead provider", "subcontractor", "term", "years", "year",
    "extendable by", "currency", "rounding", "missing data", "clause",
    # population
    "description", "clusters", "icd-10", "people", "weight", "projected growth", "each year",
    # budget
    "baseline", "capitation", "per head", "efficiency", "uplift", "in year",
    "adjust for population growth", "beyond", "tolerance", "add",
    # payments
    "core", "outcomes pot", "risk reserve", "total payment", "total", "carve out", "deduct",
    # outcomes
    "points", "point", "unit", "definition", "numerator", "denominator", "source",
    "data available", "by segment", "in segment", "unearned pot",
    # phasing
    "link", "shares", "weights", "risk share applies", "no risk share",
    # risk share
    "minimum variance", "variance against the budget", "variance against the payments made", "otherwise", "provider", "provider gains", "provider losses",
    "commissioner gains", "commissioner losses", "per patient", "stop-loss", "coinsurance",
    # activity
    "price", "plan", "block", "volume counted", "in the patient costs",
    # distribution
    "receives", "of core", "of outcome payments", "of bonus",
)
RULE = (
    "target", "pays", "pays when", "paying", "sliding scale", "higher is better",
    "lower is better", "measured as", "scaled by", "capped at", "the excess paid on top of the pot", "only if", "unless", "on top", "of budget",
    "of the pot", "of its allocation", "above baseline", "below baseline", "last year",
    "nothing paid above", "paid for at least", "less the price for each", "of plan", "of price",
)
OPERATOR = (
    "at least", "at most", "above", "below", "from", "to", "up to", "and", "or", "not", "of",
    "is achieved", "reached", "all outcomes are achieved", "the lesser of", "the greater of",
    "the number of", "outcomes achieved", "indicators achieved", "achieved",
)
CONSTANT = (
    "percent", "percent change", "percentage change", "count", "rate", "rate per", "score", "money",
    "half up", "half even", "half down", "down", "up",
    "is an error", "counts as not achieved",
    "on the whole difference", "on the excess only", "counting weighted people", "counting heads",
    "shared equally", "shared by population", "retained by the commissioner", "reinvested in",
    "all indicators", "outside the budget", "within the budget",
    "shared from the first pound", "shared above the minimum only",
    "not shared go to the", "variance equal to the minimum is not shared",
)
FUNCTION = ("min", "max")

KEYWORDS: dict[str, tuple[str, ...]] = {
    "section": SECTION,
    "end": END,
    "item": ITEM,
    "rule": RULE,
    "operator": OPERATOR,
    "constant": CONSTANT,
    "function": FUNCTION,
}

KEYWORD_TOKENS: dict[str, _TokenType] = {
    "section": Keyword.Namespace,
    "end": Keyword.Namespace,
    "item": Keyword.Declaration,
    "rule": Keyword,
    "operator": Operator.Word,
    "constant": Keyword.Constant,
    "function": Name.Builtin,
}

# Words that open a block and are followed by the name they define.
DEFINING_SECTIONS = ("segment", "outcome", "indicator", "bonus", "phase", "item")
DEFINING_ITEMS = ("subcontractor",)


def _phrase_kinds() -> dict[str, str]:
    kinds: dict[str, str] = {}
    for kind, phrases in KEYWORDS.items():
        for phrase in phrases:
            kinds.setdefault(phrase, kind)
    # a word met alone: the kind of the first phrase it starts (`at` as in `at least`), else of the first holding it
    for kind, phrases in KEYWORDS.items():
        for phrase in phrases:
            kinds.setdefault(phrase.split()[0], kind)
    for kind, phrases in KEYWORDS.items():
        for phrase in phrases:
            for word in phrase.split():
                kinds.setdefault(word, kind)
    return kinds


_KINDS = _phrase_kinds()


def keyword_kind(text: str) -> str:
    """The kind of a keyword phrase as written, in any case and spacing: `AT  Least` is an operator."""
    return _KINDS[" ".join(text.lower().split())]


def keyword_words() -> frozenset[str]:
    """Every single word the highlighters treat as a keyword."""
    return frozenset(_KINDS) - {p for p in _KINDS if " " in p}


def keyword_phrases(words: int) -> dict[str, tuple[str, ...]]:
    """The phrases of exactly `words` words, by kind (a single word met alone included when words is 1)."""
    found: dict[str, list[str]] = {kind: [] for kind in KEYWORDS}
    for phrase, kind in _KINDS.items():
        if len(phrase.split()) == words:
            found[kind].append(phrase)
    return {kind: tuple(sorted(phrases, key=lambda p: (-len(p), p))) for kind, phrases in found.items() if phrases}


def longest_phrase() -> int:
    return max(len(p.split()) for p in _KINDS)


# ---------------------------------------------------------------- patterns
# Written so that Python's `re` and Oniguruma (TextMate) read them alike;
# both compile them case-insensitively. They follow the terminals of
# grammar/obc.lark.

WORD_START = r"(?<![A-Za-z0-9_])"
WORD_END = r"(?![A-Za-z0-9_])"
GAP = r"[ \t]+"  # between the words of a phrase, and after `clause`

COMMENT = r"(#)[^\n]*"
STRING = r'(")[^"\n]*(")'
UNTERMINATED_STRING = r'"[^"\n]*'
MONEY = r"-?£(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?(?:bn|m|k)?" + WORD_END
FIN_YEAR = r"[0-9]{4}/[0-9]{2}"
PERCENT = r"[0-9]+(?:\.[0-9]+)?%"
NUMBER = r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?"
NAME = r"[A-Za-z_][A-Za-z0-9_]*"
CLAUSE = WORD_START + r"(clause)(" + GAP + r")([0-9A-Za-z]+(?:\.[0-9A-Za-z]+)*)"
ICD10 = WORD_START + r"(icd-10)" + WORD_END
ICD_CODE = r"[A-Za-z][0-9]{2}(?:\.[0-9])?(?:-[A-Za-z][0-9]{2}(?:\.[0-9])?)?" + WORD_END
COMPARISON = r">=|<=|!=|[<>=]"
ARITHMETIC = r"[-+*/]"
UNIT_PERCENT = r"%"  # `unit %`
ELLIPSIS = r"\.\.\.|…"  # `...` or `…`: lines left out of an example in the documentation


def phrase_regex(phrases) -> str:
    """One pattern matching any of the phrases, as whole words, longest first."""
    ordered = sorted(phrases, key=lambda p: (-len(p.split()), -len(p), p))
    body = "|".join(GAP.join(re.escape(word) for word in phrase.split()) for phrase in ordered)
    return WORD_START + "(?:" + body + ")" + WORD_END


def defining_regex(words) -> str:
    return WORD_START + "(" + "|".join(words) + ")(" + GAP + ")(" + NAME + ")" + WORD_END


def _keyword(lexer, match):
    text = match.group()
    yield match.start(), KEYWORD_TOKENS[keyword_kind(text)], text


_PHRASES = [p for p in _KINDS if " " in p]
_WORDS = sorted(keyword_words())


class ObcLexer(RegexLexer):
    """Lexer for `.obc` outcomes-based contracts (obcdsl)."""

    name = "obcdsl"
    aliases = ["obc", "obcdsl"]
    filenames = ["*.obc"]
    mimetypes = ["text/x-obc"]
    flags = re.IGNORECASE | re.ASCII

    tokens = {
        "root": [
            (r"\s+", Whitespace),
            (COMMENT, Comment.Single),
            (STRING, String.Double),
            (UNTERMINATED_STRING, Error),
            (MONEY, Number.Integer),
            (FIN_YEAR, Literal.Date),
            (PERCENT, Number.Float),
            (NUMBER, Number),
            (CLAUSE, bygroups(Keyword.Declaration, Whitespace, Name.Label)),
            (ICD10, Keyword.Declaration, "icd-codes"),
            (phrase_regex(_PHRASES), _keyword),
            (defining_regex(DEFINING_SECTIONS), bygroups(Keyword.Namespace, Whitespace, Name.Class)),
            (defining_regex(DEFINING_ITEMS), bygroups(Keyword.Declaration, Whitespace, Name.Class)),
            (phrase_regex(_WORDS), _keyword),
            (NAME, Name),
            (COMPARISON, Operator),
            (ARITHMETIC, Operator),
            (UNIT_PERCENT, Keyword.Constant),
            (r"[(),:]", Punctuation),
            (ELLIPSIS, Comment.Special),
        ],
        # the codes after `icd-10`: `F30-F39, F40-F48`
        "icd-codes": [
            (r"\s+", Whitespace),
            (COMMENT, Comment.Single),
            (ICD_CODE, Name.Constant),
            (r",", Punctuation),
            default("#pop"),
        ],
    }

    def analyse_text(text):
        # A contract opens with `contract "..."`, usually after some comments.
        return 0.3 if re.search(r'^[ \t]*contract[ \t]+"', text, re.IGNORECASE | re.MULTILINE) else 0.0
