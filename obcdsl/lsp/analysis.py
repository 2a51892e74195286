"""One document as the server knows it: its text, what the checker found, and its names.

A document is checked whenever its text changes; an unchanged text is not
checked again. The contract of the last text that built is kept, so that a
document with a syntax error still has names to complete, find and hover.
"""

from __future__ import annotations

from typing import Optional

import attrs

from .. import ast
from ..checker import CheckResult, check_text
from .lexemes import Lexeme, scan
from .names import NameIndex, from_contract, from_lexemes
from .positions import normalised


@attrs.frozen
class Analysis:
    """A document's checked text. `contract` is this text's AST, else the last good text's (`current` says which)."""

    uri: str
    path: str
    text: str
    result: CheckResult
    contract: Optional[ast.Contract]
    current: bool
    names: NameIndex
    # lexemes, year plans, evaluations and the like, worked out once for this text when first asked for
    memo: dict = attrs.field(factory=dict, eq=False, repr=False)

    @property
    def lexemes(self) -> tuple[Lexeme, ...]:
        """The text's lexemes, scanned when first asked for: colours and money need them, checking does not."""
        if "lexemes" not in self.memo:
            self.memo["lexemes"] = tuple(scan(self.text))
        return self.memo["lexemes"]

    @property
    def parses(self) -> bool:
        """The text parses (it may still have other errors)."""
        return self.result.contract is not None

    @property
    def ok(self) -> bool:
        return self.current and self.result.ok


def analyse(uri: str, path: str, text: str, previous: Optional[Analysis] = None) -> Analysis:
    """Check a document's text; `previous` is its last analysis, whose good contract is kept if this one fails."""
    text = normalised(text)
    if previous is not None and previous.text == text:
        return previous
    result = check_text(text, path)
    if result.contract is not None:
        return Analysis(uri, path, text, result, result.contract, True, from_contract(result.contract, text))
    good = previous.contract if previous is not None else None
    kinds = previous.names.kinds if previous is not None else {}
    lexemes = tuple(scan(text))
    analysis = Analysis(uri, path, text, result, good, False, from_lexemes(lexemes, kinds))
    analysis.memo["lexemes"] = lexemes
    return analysis

