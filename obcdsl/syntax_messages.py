"""What a syntax error says: the words a person would type where the parser stopped, and help for common slips.

`obcdsl.parser` calls `syntax_diagnostic` for each error lark reports; `obcdsl.recovery` for each one after the first.
"""

from __future__ import annotations

import re
from typing import cast

import lark
from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from . import diagnostics as d
from .diagnostics import Diagnostic, Label
from .lalr import lark_parser
from .source import SourceFile, Span

# What a person types for each named terminal of the grammar.
TERMINAL_WORDS = {
    "NAME": "a name such as `crisis_response`",
    "STRING": 'a title in double quotes such as `"People will live longer"`',
    "MONEY": "an amount of money such as `£20,000` or `£35m`",
    "PERCENT": "a percentage such as `4%`",
    "NUMBER": "a number such as `20`",
    "FIN_YEAR": "a financial year such as `2015/16`",
    "CLAUSE_ID": "a clause number such as `4.3`",
    "ICD_RANGE": "an ICD-10 code or range such as `F30-F39`",
    "$END": "the end of the file",
}

# Words that open a block closed by `end`, for "not closed" messages.
BLOCK_WORDS = (
    "contract", "population", "segment", "budget", "payments", "outcomes",
    "outcome", "indicator", "bands", "bonus", "phasing", "phase", "risk",
    "gains", "losses", "distribution",
)


def token_span(source: SourceFile, token: Token) -> Span:
    start = token.start_pos or 0
    end = token.end_pos if token.end_pos is not None else start + len(str(token))
    return source.span(start, end)


def describe_terminal(name: str) -> str:
    if name in TERMINAL_WORDS:
        return TERMINAL_WORDS[name]
    try:
        terminal = lark_parser().get_terminal(name)
    except KeyError:
        return name.lower()
    pattern = terminal.pattern
    if isinstance(pattern, lark.lexer.PatternStr):
        return f"`{pattern.value}`"
    return name.lower()


def expected_words(expected) -> list[str]:
    words = sorted({describe_terminal(name) for name in expected if name != "$END"})
    keywords = [w for w in words if w.startswith("`")]
    others = [w for w in words if not w.startswith("`")]
    return others + keywords


def join_expected(words: list[str], limit: int = 8) -> str:
    if not words:
        return "nothing more"
    if len(words) > limit:
        rest = len(words) - limit
        words = words[:limit] + [f"{rest} other word{'s' if rest > 1 else ''}"]
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


def syntax_diagnostic(source: SourceFile, exc: UnexpectedInput) -> Diagnostic:
    if isinstance(exc, UnexpectedCharacters):
        return unexpected_character(source, exc)
    if isinstance(exc, UnexpectedToken) and exc.token.type == "$END":
        return unexpected_end(source, exc)
    if isinstance(exc, UnexpectedEOF):
        return unexpected_end(source, exc)
    assert isinstance(exc, UnexpectedToken)  # lark's three kinds of UnexpectedInput; the other two are handled above
    return unexpected_token(source, exc)


def unexpected_character(source: SourceFile, exc: UnexpectedCharacters) -> Diagnostic:
    # lark declares `pos_in_stream = None` on UnexpectedInput; UnexpectedCharacters sets it to the lexer's offset
    pos = cast(int, exc.pos_in_stream)
    char = source.text[pos] if pos < len(source.text) else ""
    span = source.span(pos, pos + 1)
    expected = expected_words(exc.allowed or ())
    shown = repr(char)[1:-1] if not char.isprintable() else char
    help_text = character_hint(source, pos, char)
    return d.error(
        "OBC101",
        f"`{shown}` cannot be read here",
        span,
        label=f"expected {join_expected(expected)}" if expected else "not part of the language",
        help=help_text,
    )


def character_hint(source: SourceFile, pos: int, char: str) -> str:
    before = source.text[max(0, pos - 1): pos]
    after = source.text[pos + 1: pos + 2]
    if char == "%" and before.isspace():
        return "write percentages with no space before `%`, as in `80%`"
    if char == "£" and after.isspace():
        return "write money with no space after `£`, as in `£20,000`"
    if char == "£":
        return "money is written as `£20,000`, `£1.5m` or `£750k`"
    if char in "“”":
        return 'use plain double quotes `"` around titles'
    if char == "'":
        return 'titles go in double quotes `"`, not single quotes'
    if char == "\t" or not char.isprintable():
        return "the file contains a character that is not text"
    return ""


def acceptable(exc: UnexpectedInput) -> set[str]:
    """The terminals the parser could take where it stopped.

    Asked of the parser rather than the lexer, which also offers `NAME` everywhere.
    """
    interactive = getattr(exc, "interactive_parser", None)
    if interactive is not None:
        try:
            return {name for name in interactive.choices() if name.isupper() or name == "$END"}
        except Exception:  # the parser state of a failed parse; fall back to lark's own list
            pass
    return set(getattr(exc, "expected", None) or getattr(exc, "allowed", None) or ())


def unexpected_token(source: SourceFile, exc: UnexpectedToken) -> Diagnostic:
    token = exc.token
    span = token_span(source, token)
    exc.expected = acceptable(exc)
    expected = expected_words(exc.expected)
    previous = None
    if exc.token_history:
        previous = exc.token_history[-1]
    after = f" after `{previous}`" if previous is not None else ""
    message = f"unexpected `{token}`{after}"
    end = token.end_pos if token.end_pos is not None else 0
    help_text = token_hint(token, exc.expected, previous, source.text[end: end + 8])
    related: tuple[Label, ...] = ()
    opener = unclosed_block(exc) if "END" in (exc.expected or ()) else None
    if opener is not None and str(token).lower() in BLOCK_WORDS:
        word = str(opener).lower()
        message = f"`{word}` is not closed with `end` before `{str(token).lower()}` begins"
        related = (Label(token_span(source, opener), f"this `{word}` is still open"),)
        help_text = f"add `end` to close the `{word}` block before `{str(token).lower()}`"
    return d.error(
        "OBC102",
        message,
        span,
        label=f"expected {join_expected(expected)}",
        help=help_text,
        related=related,
    )


def token_hint(token: Token, expected: set[str], previous: Token | None, following: str = "") -> str:
    text = str(token)
    lowered = text.lower()
    if "NAME" in expected and token.type != "NAME" and lowered.isidentifier():
        return f"`{text}` is a word of the language; choose another name, such as `{lowered}_1`"
    if text == "=" or text == ":":
        return "items are written as words, as in `weight 20 points` or `target at least 85%`"
    keywords = {
        lark_parser().get_terminal(name).pattern.value
        for name in expected
        if name in lark_parser()._terminals_dict
        and isinstance(lark_parser().get_terminal(name).pattern, lark.lexer.PatternStr)
    }
    if token.type == "NAME":
        hint = d.did_you_mean(lowered, keywords)
        if hint:
            return hint
    is_number = re.fullmatch(r"[0-9][0-9,]*(\.[0-9]+)?", text) is not None
    if is_number and "PERCENT" in expected and following.lstrip(" \t").startswith("%"):
        return f"write percentages with no space before `%`, as in `{text}%`"
    if is_number and "PERCENT" in expected:
        return f"a percentage is written with `%`, as in `{text}%`"
    if is_number and "MONEY" in expected:
        return f"money is written with `£`, as in `£{text}`"
    return ""


def unexpected_end(source: SourceFile, exc: UnexpectedInput) -> Diagnostic:
    end = len(source.text)
    span = source.span(end, end)
    expected = expected_words(getattr(exc, "expected", None) or ())
    related: tuple[Label, ...] = ()
    message = "the contract ends too early"
    help_text = ""
    opener = unclosed_block(exc)
    if opener is not None:
        word = str(opener).lower()
        message = f"the contract ends before `{word}` is closed"
        related = (Label(token_span(source, opener), f"this `{word}` has no `end`"),)
        help_text = f"add `end` to close the `{word}` block"
    return d.error(
        "OBC103",
        message,
        span,
        label=f"expected {join_expected(expected)}",
        help=help_text,
        related=related,
    )


def unclosed_block(exc: UnexpectedInput) -> Token | None:
    """The keyword token of the innermost block still open when the text ran out."""
    parser = getattr(exc, "interactive_parser", None) or getattr(exc, "state", None)
    state = getattr(parser, "parser_state", parser)
    stack = getattr(state, "value_stack", None)
    if not stack:
        return None
    closed = 0
    for item in reversed(stack):
        if not isinstance(item, Token):
            continue
        word = str(item).lower()
        if word == "end":
            closed += 1
        elif word in BLOCK_WORDS:
            if closed == 0:
                return item
            closed -= 1
    return None
