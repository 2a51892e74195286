"""Completion: the words the parser accepts where the cursor is, and the contract's names where a name may stand.

The text before the cursor is fed to lark's interactive parser; what it can
take next (`accepts()`) is exactly what may be written there.
"""

from __future__ import annotations

import re
from typing import Optional

import lark
from lark import Token
from lark.exceptions import LarkError
from lsprotocol import types

from .. import ast, model
from ..expressions import ACTUAL_COST_NAME
from ..lalr import lark_parser
from ..syntax_messages import BLOCK_WORDS
from .lexemes import keywords

WORD_BEFORE = re.compile(r"[A-Za-z0-9_-]*\Z")
NAME_KINDS = {
    "indicator": types.CompletionItemKind.Variable,
    "outcome": types.CompletionItemKind.Module,
    "bonus": types.CompletionItemKind.Event,
    "segment": types.CompletionItemKind.Struct,
    "subcontractor": types.CompletionItemKind.Class,
    "band": types.CompletionItemKind.EnumMember,
    "measure": types.CompletionItemKind.Value,
}
DECLARING = {"indicator", "outcome", "bonus", "subcontractor", "phase", "segment", "measure"}


def parsed_prefix(text: str):
    """The interactive parser after the text, and the tokens read; None when the text has a syntax error."""
    parser = lark_parser().parse_interactive(text)
    tokens: list[Token] = []
    try:
        for token in parser.iter_parse():
            tokens.append(token)
    except LarkError:
        return None
    return parser, tokens


def completions(text: str, offset: int, contract: Optional[ast.Contract]) -> list[types.CompletionItem]:
    """What may be written at the offset: keywords, then names."""
    match = WORD_BEFORE.search(text, 0, offset)
    start = match.start() if match else offset
    found = parsed_prefix(text[:start])
    if found is None:
        return []
    parser, tokens = found
    accepted = parser.accepts()
    items = []
    for terminal in sorted(accepted):
        word = keyword_of(terminal)
        if word is not None:
            items.append(types.CompletionItem(label=word, kind=types.CompletionItemKind.Keyword, sort_text=f"1{word}"))
    if "NAME" in accepted and contract is not None:
        for name, kind in names_here(contract, parser, tokens):
            items.append(types.CompletionItem(label=name, kind=NAME_KINDS.get(kind), detail=kind, sort_text=f"0{name}"))
    return items


def keyword_of(terminal: str) -> Optional[str]:
    try:
        pattern = lark_parser().get_terminal(terminal).pattern
    except KeyError:
        return None
    if isinstance(pattern, lark.lexer.PatternStr) and pattern.value.lower() in keywords():
        return pattern.value.lower()
    return None


def open_block(parser) -> str:
    """The innermost block the cursor is in: `outcome`, `phase`, `distribution` ..."""
    stack = getattr(parser.parser_state, "value_stack", [])
    for item in reversed(stack):
        if isinstance(item, Token) and str(item).lower() in BLOCK_WORDS:
            return str(item).lower()
    return ""


def names_here(contract: ast.Contract, parser, tokens: list[Token]) -> list[tuple[str, str]]:
    """The names that make sense at the cursor, with their kinds: none where a new name is being declared."""
    last = str(tokens[-1]).lower() if tokens else ""
    before = str(tokens[-2]).lower() if len(tokens) > 1 else ""
    indicators = [(i.name, "indicator") for i in contract.all_indicators]
    outcomes = [(o.name, "outcome") for o in contract.all_outcomes]
    if last == "segment" and before == "in":
        return [(s.name, "segment") for s in contract.segments]
    if last in DECLARING:
        return []
    if last == "reached" and len(tokens) > 1:
        return band_names(contract, str(tokens[-2]))
    if last == ":" and len(tokens) > 2 and before != "" and str(tokens[-3]).lower() == "shares":
        return band_names(contract, before)
    if last == "," and any(str(t).lower() == "shares" for t in tokens[-12:]):
        shares = next(i for i in range(len(tokens) - 1, -1, -1) if str(tokens[i]).lower() == "shares")
        return band_names(contract, str(tokens[shares + 1])) if shares + 1 < len(tokens) else []
    block = open_block(parser)
    if block == "bands":
        return []  # a new band's name
    if block == "distribution":
        subcontractors = contract.header.subcontractors if contract.header else ()
        return [(s.name, "subcontractor") for s in subcontractors]
    if block == "phase":
        return indicators + outcomes
    measures = [(m.name, "measure") for m in contract.all_measures] + [(ACTUAL_COST_NAME, "measure")]
    return indicators + outcomes + [(b.name, "bonus") for b in contract.all_bonuses] + measures


def band_names(contract: ast.Contract, indicator_name: str) -> list[tuple[str, str]]:
    indicator = next((i for i in contract.all_indicators if i.name == indicator_name), None)
    if indicator is None:
        return []
    names: list[tuple[str, str]] = []
    for _, rule in model.indicator_rules(indicator):
        if isinstance(rule, ast.Bands):
            names += [(b.name, "band") for b in rule.bands if (b.name, "band") not in names]
    return names
