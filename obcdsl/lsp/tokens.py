"""Semantic tokens: keywords, names (declared or used, coloured by what they name), titles, numbers,
money, percentages and comments, with the standard token types every theme knows."""

from __future__ import annotations

from lsprotocol import types

from .analysis import Analysis
from .positions import LineIndex, units

T = types.SemanticTokenTypes
TOKEN_TYPES = [T.Keyword, T.String, T.Number, T.Comment, T.Operator, T.Variable, T.Namespace, T.Event, T.Type,
               T.Class, T.Enum, T.EnumMember]
# `money` and `percentage` are ours: a client that does not know them colours the number as a number
TOKEN_MODIFIERS = [types.SemanticTokenModifiers.Declaration.value, types.SemanticTokenModifiers.Readonly.value, "money", "percentage"]
LEGEND = types.SemanticTokensLegend(token_types=[t.value for t in TOKEN_TYPES], token_modifiers=TOKEN_MODIFIERS)

NAME_TYPES = {"indicator": T.Variable, "outcome": T.Namespace, "bonus": T.Event, "segment": T.Type,
              "subcontractor": T.Class, "phase": T.Enum, "band": T.EnumMember,
              "measure": T.Variable, "activity item": T.Variable, None: T.Variable}
LEXEME_TYPES = {"keyword": (T.Keyword, 0), "string": (T.String, 0), "number": (T.Number, 0), "clause": (T.Number, 0),
                "year": (T.Number, 0), "icd": (T.String, 0), "money": (T.Number, 4), "percent": (T.Number, 8),
                "comment": (T.Comment, 0), "word": (T.Variable, 0)}
OPERATORS = set("+-*/<>=!")


def semantic_tokens(analysis: Analysis, lines: LineIndex) -> list[int]:
    """The document's tokens, encoded as LSP's relative five-number groups."""
    names = {o.start: o for o in analysis.names.occurrences}
    data: list[int] = []
    previous_line = previous_start = 0
    for lexeme in analysis.lexemes:
        occurrence = names.get(lexeme.start)
        if occurrence is not None and occurrence.end == lexeme.end:
            kind, modifiers = NAME_TYPES.get(occurrence.kind, T.Variable), 1 if occurrence.declaration else 0
        elif lexeme.kind in LEXEME_TYPES:
            kind, modifiers = LEXEME_TYPES[lexeme.kind]
        elif lexeme.kind == "symbol" and lexeme.text in OPERATORS:
            kind, modifiers = T.Operator, 0
        else:
            continue
        start = lines.position(lexeme.start)
        length = units(lexeme.text, lines.encoding)
        delta_line = start.line - previous_line
        delta_start = start.character - previous_start if delta_line == 0 else start.character
        data += [delta_line, delta_start, length, TOKEN_TYPES.index(kind), modifiers]
        previous_line, previous_start = start.line, start.character
    return data
