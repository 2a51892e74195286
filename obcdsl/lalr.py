"""The lark LALR parser built from `grammar/obc.lark`, shared by parsing, recovery, layout and the editors."""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

from lark import Lark

GRAMMAR_NAME = "obc.lark"


def grammar_path() -> Path:
    """The grammar file: inside the installed package, or `grammar/` in a checkout."""
    packaged = resources.files("obcdsl").joinpath("grammar", GRAMMAR_NAME)
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "grammar" / GRAMMAR_NAME


class WholeWords:
    """Lets the lexer read a whole word as a name in every state.

    Without it the contextual lexer reads `weighting` as the keyword `weight`
    followed by `ing` where no name may stand; with it the whole word is read,
    and the error names the word the person wrote.
    """

    always_accept = ("NAME",)

    def process(self, stream):
        return stream


@functools.lru_cache(maxsize=1)
def lark_parser() -> Lark:
    return Lark.open(
        str(grammar_path()),
        parser="lalr",
        lexer="contextual",
        postlex=WholeWords(),
        propagate_positions=True,
        maybe_placeholders=False,
        cache=True,
    )
