"""The lark LALR parser built from `grammar/obc.lark`, shared by parsing, recovery, layout and the editors."""

from __future__ import annotations

import functools
import re
from importlib import resources
from pathlib import Path

from lark import Lark, Token

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


class QuickLexer:
    """lark's contextual lexer, read faster: one regular expression a parser state, white space and comments
    skipped in the same match, no line counting (the AST builder needs only offsets).

    It reads the same tokens as the lexer it wraps, from the same terminals in the same order, and applies that
    lexer's own callbacks (a NAME that spells a keyword becomes the keyword). Where no token can be read, it hands the
    rest of the text to the lexer it wraps, which raises lark's own error.
    """

    def __init__(self, contextual) -> None:
        self.contextual = contextual
        self.states: dict[int, tuple] = {}
        built: dict[int, tuple] = {}
        for state, basic in contextual.lexers.items():
            if id(basic) not in built:
                built[id(basic)] = self.compile(basic)
            self.states[state] = built[id(basic)]

    @staticmethod
    def compile(basic) -> tuple:
        terminals = basic.scanner.terminals  # after lark has folded keywords that NAME also matches into callbacks
        ignored = [t.pattern.to_regexp() for t in terminals if t.name in basic.ignore_types]
        kept = [f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in terminals if t.name not in basic.ignore_types]
        skip = f"(?>(?:{'|'.join(ignored)})*)" if ignored else ""  # atomic: white space is never split two ways
        return re.compile(skip + "(?:" + "|".join(kept) + ")", basic.g_regex_flags), \
            re.compile(skip, basic.g_regex_flags), dict(basic.callback)

    def lex(self, lexer_state, parser_state):
        text = getattr(lexer_state.text, "text", lexer_state.text)  # a TextSlice from lark 1.3, a str before
        pos = lexer_state.line_ctr.char_pos
        end = len(text)
        states = self.states
        make = Token
        while True:
            pattern, skip, callbacks = states[parser_state.position]
            found = pattern.match(text, pos)
            if found is None:
                if skip.match(text, pos).end() == end:
                    return
                lexer_state.line_ctr.feed(text[lexer_state.line_ctr.char_pos:pos])
                yield from self.contextual.lex(lexer_state, parser_state)
                return
            kind = found.lastgroup
            start = found.start(kind)
            pos = found.end()
            token = make(kind, found.group(kind), start, None, None, None, None, pos)
            if kind in callbacks:
                token = callbacks[kind](token)
            yield token
