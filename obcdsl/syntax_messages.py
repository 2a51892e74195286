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
from .diagnostics import Diagnostic, Fix, Label
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
    "gains", "losses", "distribution", "measures", "measure",
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
    if char == '"' and '"' not in source.text[pos + 1: line_end(source.text, pos)]:
        return d.error(
            "OBC101",
            "the title is not closed",
            span,
            label='this title has no closing `"`',
            help='end the title with `"` on the same line, as in `"People will live longer"`',
        )
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
    label = f"expected {join_expected(expected)}"
    for slip in SLIPS:
        found = slip(source, token, exc.expected, previous, label)
        if found is not None:
            return found
    after = f" after `{previous}`" if previous is not None else ""
    message = f"unexpected `{token}`{after}"
    end = token.end_pos if token.end_pos is not None else 0
    following = source.text[end: line_end(source.text, end)]
    help_text = token_hint(token, exc.expected, previous, following)
    fixes: tuple[Fix, ...] = ()
    if help_text.startswith("did you mean `"):
        keyword = help_text[len("did you mean `"): -2]
        fixes = (Fix(f"change `{token}` to `{keyword}`", span, keyword),)
    related: tuple[Label, ...] = ()
    opener = unclosed_block(exc) if "END" in (exc.expected or ()) else None
    if opener is not None and opens_block(str(token), following):
        word, begins = block_name(str(opener)), block_name(str(token))
        message = f"`{word}` is not closed with `end` before `{begins}` begins"
        related = (Label(token_span(source, opener), f"this `{word}` is still open"),)
        help_text = closing_help(word, begins)
        fixes = ()
    elif str(token).lower() == "risk" and following.split()[:1] and following.split()[0].lower() != "share":
        message = f"`risk {following.split()[0]}` cannot be read here"
        label = "not part of a risk share" if {"GAINS", "LOSSES"} <= set(exc.expected or ()) else label
        help_text = ""
        if following.split()[0].lower() in ("pool", "fund", "pot"):
            help_text = ("money set aside for the risk share is a risk reserve, written in the `payments` section "
                         "as `risk reserve 2% of budget`")
    return d.error("OBC102", message, span, label=label, help=help_text, related=related, fixes=fixes)


def line_end(text: str, offset: int) -> int:
    end = text.find("\n", offset)
    return len(text) if end == -1 else end


# Two-word openers, as a reader says them: the `risk` of `risk share`.
BLOCK_NAMES = {"risk": "risk share"}


def block_name(word: str) -> str:
    return BLOCK_NAMES.get(word.lower(), word.lower())


SECTIONS = ("contract", "population", "budget", "payments", "outcomes", "phasing", "risk share", "distribution", "measures")


def closing_help(word: str, before: str = "") -> str:
    what = f"the `{word}` section" if word in SECTIONS else f"the `{word}`"
    return f"add `end` to close {what}" + (f" before `{before}`" if before else "")


def opens_block(word: str, following: str) -> bool:
    """Whether `word`, followed on its line by `following`, begins a block (`risk share`, not `risk pool`)."""
    lowered = word.lower()
    if lowered not in BLOCK_WORDS:
        return False
    after = following.split()[:1]
    if lowered == "risk":
        return bool(after) and after[0].lower() == "share"
    if lowered == "outcomes":
        return not (after and after[0].lower() == "pot")
    return True


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
        hint = d.did_you_mean(lowered, keywords, cutoff=0.7)  # nearer than for names: `rising` is not `risk`
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
        word = block_name(str(opener))
        message = f"the contract ends before `{word}` is closed"
        related = (Label(token_span(source, opener), f"this `{word}` has no `end`"),)
        help_text = closing_help(word)
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


# ---------------------------------------------------------------- common slips, each with its own message
# Each takes (source, token, expected terminals, previous token, the "expected ..." label) and returns a
# diagnostic for a slip it recognises where the parser stopped, or None.

NUMBER_TEXT = r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?"
AMOUNT = re.compile(
    rf"(?P<pound>£?)(?P<number>{NUMBER_TEXT})(?P<word>[ \t]*(?:%|per[ \t]+cent\b|[a-z]+\b))?(?P<pounds>[ \t]+(?:pounds|pound|gbp)\b)?",
    re.IGNORECASE,
)
PERCENT_WORDS = {"percent", "per cent", "pc", "pct", "percentage", "%"}
SCALE_WORDS = {"million": "m", "millions": "m", "mn": "m", "m": "m", "billion": "bn", "billions": "bn", "bn": "bn",
               "thousand": "k", "k": "k"}
POUND_WORDS = {"pounds", "pound", "gbp"}


def amount_slip(source: SourceFile, token: Token, expected: set[str], previous: Token | None, label: str) -> Diagnostic | None:
    """`75 percent` → `75%`, `£37.11 million` → `£37.11m`, `37,110,000 pounds` → `£37,110,000`."""
    text = source.text
    start = token.start_pos or 0
    if not re.match(r"£?[0-9]", str(token)):
        before = re.search(r"(£?[0-9][0-9,.]*)[ \t]+$", text[max(0, start - 40): start])
        if before is None:
            return None
        start -= len(before.group(0))
    match = AMOUNT.match(text, start)
    if match is None or match.end() <= (token.start_pos or 0):
        return None
    number, pound = match["number"], match["pound"]
    word = re.sub(r"\s+", " ", (match["word"] or "").strip().lower())
    if word in PERCENT_WORDS and not pound:
        if word == "%":
            return None  # `80 %`: said by `token_hint`, whose help names the space
        fixed, what = f"{number}%", "a percentage"
    elif word in SCALE_WORDS:
        fixed, what = f"£{number}{SCALE_WORDS[word]}", "an amount of money"
    elif (word in POUND_WORDS or (not word and "MONEY" in expected and "PERCENT" not in expected)) and not pound:
        fixed, what = f"£{number}", "an amount of money"
    else:
        return None
    end = match.end() if word else match.end("number")
    if word in SCALE_WORDS and match["pounds"] is None and not match["word"]:
        return None
    written = text[start:end]
    span = source.span(start, end)
    return d.error(
        "OBC102",
        f"{what} is written `{fixed}`, not `{written}`",
        span,
        label=f"write `{fixed}`",
        help="percentages are written with `%`, as in `75%`" if fixed.endswith("%")
        else "money is written with `£` in front, as in `£20,000`, `£37.11m`, `£1.2bn` or `£750k`",
        fixes=(Fix(f"change `{written}` to `{fixed}`", span, fixed),),
    )


DIRECTIONS = {
    "higher": ("rising", "increasing", "increase", "up", "more", "greater", "bigger", "larger", "high", "highest", "above"),
    "lower": ("falling", "decreasing", "decrease", "down", "less", "fewer", "smaller", "low", "lowest", "reducing",
              "reduced", "below"),
}


def direction_slip(source: SourceFile, token: Token, expected: set[str], previous: Token | None, label: str) -> Diagnostic | None:
    """`rising is better` → `higher is better`."""
    end = token.end_pos or 0
    if "HIGHER" not in expected or not re.match(r"[ \t]+is[ \t]+better\b", source.text[end:], re.IGNORECASE):
        return None
    word = str(token).lower()
    meant = next((direction for direction, words in DIRECTIONS.items() if word in words), None)
    span = token_span(source, token)
    return d.error(
        "OBC102",
        f"`{token} is better` cannot be read: the direction is `higher is better` or `lower is better`",
        span,
        label="write `higher` or `lower`",
        help=f"did you mean `{meant} is better`?" if meant else "write `higher is better` or `lower is better`",
        fixes=(Fix(f"change `{token}` to `{meant}`", span, meant),) if meant else (),
    )


def clause_slip(source: SourceFile, token: Token, expected: set[str], previous: Token | None, label: str) -> Diagnostic | None:
    """`clause 5.1.2(a)`: a clause number with a mark it cannot hold."""
    at = token.start_pos or 0
    before = re.search(r"\bclause[ \t]+([0-9a-z.]+)$", source.text[max(0, at - 60): at], re.IGNORECASE)
    if before is None or "CLAUSE_ID" in expected:
        return None
    start = at - len(before.group(1))
    end = start + len(re.match(r"\S*", source.text[start:]).group(0))  # type: ignore[union-attr]  # \S* always matches
    written = source.text[start:end]
    suggested = ".".join(part for part in re.split(r"[^0-9a-zA-Z]+", written) if part)
    return d.error(
        "OBC102",
        f"`{written}` cannot be read as a clause number",
        source.span(start, end),
        label="a clause number is digits and letters separated by dots",
        help=f"write it as `{suggested}`; brackets and other marks cannot be part of a clause number",
    )


def name_slip(source: SourceFile, token: Token, expected: set[str], previous: Token | None, label: str) -> Diagnostic | None:
    """`outcome live longer "..."`: a name of two words."""
    at = token.start_pos or 0
    before = re.search(r"[a-z_][a-z0-9_]*[ \t]+$", source.text[max(0, at - 80): at], re.IGNORECASE)
    if before is None or "STRING" not in expected or "NAME" in expected:
        return None
    start = at - len(before.group(0))
    match = re.match(r"[a-z_][a-z0-9_]*(?:[ \t]+[a-z_][a-z0-9_]*)+(?=[ \t]*(?:\"|$))", source.text[start: line_end(source.text, start)],
                     re.IGNORECASE)
    if match is None:
        return None
    written = match.group(0)
    joined = "_".join(written.split())
    span = source.span(start, start + len(written))
    return d.error(
        "OBC102",
        f"the name `{written}` has a space in it",
        span,
        label="a name is one word",
        help=f"join the words with `_`, as in `{joined}`; the title in double quotes that follows can have spaces",
        fixes=(Fix(f"change `{written}` to `{joined}`", span, joined),),
    )


FILLER_WORDS = {"of", "the", "a", "an", "is", "are", "be", "equals", "in", "at", "by", "to", "for", "with", "and", "as"}


def filler_slip(source: SourceFile, token: Token, expected: set[str], previous: Token | None, label: str) -> Diagnostic | None:
    """`total of 100 points`: a word too many, found by reading the line without it."""
    word = str(token)
    start, end = token.start_pos or 0, token.end_pos or 0
    if word.lower() not in FILLER_WORDS:
        return None
    text = source.text
    through = end + len(text[end:]) - len(text[end:].lstrip(" \t"))  # the word and the spaces after it
    without = text[:start] + text[through:]
    try:
        lark_parser().parse(without)
    except UnexpectedInput as exc:
        stop = exc.token.start_pos if isinstance(exc, UnexpectedToken) else getattr(exc, "pos_in_stream", None)
        if stop is None or stop <= line_end(without, start):
            return None
    line_start = text.rfind("\n", 0, start) + 1
    example = without[line_start: line_end(without, line_start)].split("#")[0].strip()
    span = token_span(source, token)
    return d.error(
        "OBC102",
        f"`{word}` is not needed here",
        span,
        label="leave this word out",
        help=f"write `{example}`",
        fixes=(Fix(f"remove `{word}`", source.span(start, through), ""),),
    )


SLIPS = (amount_slip, direction_slip, clause_slip, name_slip, filler_slip)
