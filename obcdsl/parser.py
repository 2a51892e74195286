"""Source text to parse tree: the lark LALR parser (`obcdsl.lalr`) and its syntax diagnostics.

What each syntax error says is written in `obcdsl.syntax_messages`; finding every error in a file,
not only the first, in `obcdsl.recovery`.
"""

from __future__ import annotations

from lark import Tree
from lark.exceptions import UnexpectedInput

from .diagnostics import Diagnostic
from .lalr import GRAMMAR_NAME, WholeWords, grammar_path, lark_parser
from .recovery import syntax_errors
from .source import SourceFile
from .syntax_messages import syntax_diagnostic

__all__ = ["GRAMMAR_NAME", "WholeWords", "grammar_path", "lark_parser", "parse_tree"]


def parse_tree(source: SourceFile) -> tuple[Tree | None, list[Diagnostic]]:
    """Parse a contract's text; syntax errors become diagnostics, every one in the file (`obcdsl.recovery`)."""
    try:
        return lark_parser().parse(source.text), []
    except UnexpectedInput as exc:
        return None, syntax_errors(source, exc, lark_parser().parse, syntax_diagnostic)
