"""A forgiving scanner of `.obc` text: the words, numbers, titles and comments a person sees.

The parser stops at the first syntax error; editors still want the rest of a
half-written file coloured and its names found, so this scanner reads any
text to its end. What each word means comes from the contract's AST
(`obcdsl.lsp.names`); the scanner only says what kind of lexeme it is.
"""

from __future__ import annotations

import functools
import re

import attrs
import lark

from ..lalr import lark_parser

PATTERNS = (
    ("comment", r"#[^\n]*"),
    ("string", r'"[^"\n]*"?'),
    ("money", r"-?£(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?(?:bn|m|k)?(?![a-z0-9_])"),
    ("year", r"[0-9]{4}/[0-9]{2}"),
    ("percent", r"[0-9]+(?:\.[0-9]+)?%"),
    ("number", r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)*"),
    ("keyword", r"icd-10(?![a-z0-9_])|stop-loss(?![a-z0-9_])"),
    ("word", r"[a-z_][a-z0-9_]*"),
    ("space", r"\s+"),
    ("symbol", r"."),
)
SCANNER = re.compile("|".join(f"(?P<{kind}>{pattern})" for kind, pattern in PATTERNS), re.IGNORECASE)
ICD_RANGE = re.compile(r"[a-z][0-9]{2}(?:\.[0-9])?(?:-[a-z][0-9]{2}(?:\.[0-9])?)?(?![a-z0-9_])", re.IGNORECASE)
CLAUSE_ID = re.compile(r"[0-9a-z]+(?:\.[0-9a-z]+)*", re.IGNORECASE)
NAME = re.compile(r"[a-z_][a-z0-9_]*", re.IGNORECASE)


@attrs.frozen
class Lexeme:
    """One lexeme: its kind ("comment", "string", "money", "year", "percent", "number", "clause", "icd",
    "keyword", "word" or "symbol") and where it stands, in character offsets."""

    kind: str
    start: int
    end: int
    text: str


@functools.lru_cache(maxsize=1)
def keywords() -> frozenset[str]:
    """Every word of the language, in lower case (`weight`, `end`, `icd-10` ...)."""
    words = set()
    for terminal in lark_parser().terminals:
        pattern = terminal.pattern
        if isinstance(pattern, lark.lexer.PatternStr) and re.fullmatch(r"[a-z][a-z0-9-]*", pattern.value.lower()):
            words.add(pattern.value.lower())
    return frozenset(words)


def scan(text: str) -> list[Lexeme]:
    """Every lexeme of the text but spaces, in order; never fails."""
    found: list[Lexeme] = []
    position = 0
    in_icd = False  # after `icd-10`, codes such as F30-F39 follow, separated by commas
    after_clause = False
    while position < len(text):
        if in_icd and (match := ICD_RANGE.match(text, position)):
            found.append(Lexeme("icd", match.start(), match.end(), match.group()))
            position = match.end()
            continue
        if after_clause and (match := CLAUSE_ID.match(text, position)):
            found.append(Lexeme("clause", match.start(), match.end(), match.group()))
            position = match.end()
            after_clause = False
            continue
        match = SCANNER.match(text, position)
        assert match is not None and match.lastgroup is not None  # `.` and `\s+` match anything else
        kind, position = match.lastgroup, match.end()
        if kind == "space":
            if "\n" in match.group():
                in_icd = False
            continue
        word = match.group().lower()
        if kind == "word" and word in keywords():
            kind = "keyword"
        found.append(Lexeme(kind, match.start(), match.end(), match.group()))
        after_clause = kind == "keyword" and word == "clause"
        in_icd = (kind == "keyword" and word == "icd-10") or (in_icd and word == ",")
    return found


def lexeme_at(lexemes: list[Lexeme], offset: int) -> Lexeme | None:
    """The lexeme under the cursor, or just before it (a cursor at a word's end is on that word)."""
    for lexeme in lexemes:
        if lexeme.start <= offset <= lexeme.end:
            return lexeme
        if lexeme.start > offset:
            break
    return None
