"""The lark LALR parser built from `grammar/obc.lark`, shared by parsing, recovery, layout and the editors."""

from __future__ import annotations

import functools
import re
from importlib import resources
from pathlib import Path
from typing import Callable

from lark import Lark, Token, Tree
from lark.lexer import UnlessCallback
from lark.parse_tree_builder import ChildFilter, ChildFilterLALR, ChildFilterLALR_NoPlaceholders, PropagatePositions
from lark.parsers.lalr_analysis import Shift

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


class Stuck(Exception):
    """The quick parser met something it does not read: a syntax error, or a token its lexer cannot find."""


_KEYWORD = re.compile(r"\(\?i:([a-z_]+)\)")


def keyword_table(callback) -> dict[str, str] | None:
    """A NAME callback that turns a name spelling a keyword into that keyword, as a table: lower-case word → terminal.

    None for a callback of another kind, which the quick parser then calls as it is.
    """
    scanner = getattr(callback, "scanner", None)
    if type(callback) is not UnlessCallback or scanner is None:
        return None
    table: dict[str, str] = {}
    for terminal in scanner.terminals:
        found = _KEYWORD.fullmatch(terminal.pattern.to_regexp())
        if found is None:
            return None
        table.setdefault(found.group(1), terminal.name)  # the scanner tries its terminals in this order too
    return table


class StateLexers(dict):
    """Each parser state's lexer, compiled when a text first reaches the state: a contract reaches a fraction of the
    states, and compiling them all (lark builds its own scanner for each first) took 0.1 s of every start."""

    def __init__(self, lexers: dict, compile: Callable) -> None:
        super().__init__()
        self.lexers, self.compile = lexers, compile
        self.built: dict[int, tuple] = {}

    def __missing__(self, state: int) -> tuple:
        basic = self.lexers[state]
        found = self.built.get(id(basic))  # states that share lark's lexer share its compiled form
        if found is None:
            found = self.built[id(basic)] = self.compile(basic)
        self[state] = found
        return found


class QuickParser:
    """lark's LALR parser loop and contextual lexer in one loop, for texts that parse.

    The lexer: one regular expression a parser state made from the terminals lark's contextual lexer has for that
    state, in the same order, with white space and comments skipped in the same match and no line counting (the AST
    builder reads only offsets); a name that spells a keyword becomes that keyword, as lark's callbacks make it.
    The parser: lark's own parse table and the rule callbacks lark built, called token by token in the order lark's
    loop calls them, so it builds the same contract. lark wraps a rule's callback in a filter that splices the
    children of the `_rules` it inlines (and of the `__x_star` rules `x*` makes): the loop does that splicing itself
    from the same plan (`reductions`), and an inlined rule passes up its list of children instead of a Tree made
    only to be taken apart.

    What it leaves out is the work lark does to report an error: at the first character no token starts with, or
    the first token it can neither shift nor reduce, it raises `Stuck`, and the caller reads the text again with
    lark, which raises lark's own error. The tests compare the two on every bundled and broken file and on
    generated, damaged contracts.
    """

    def __init__(self, lark: Lark, start: str = "start") -> None:
        contextual = lark.parser.lexer.lexer  # lark's front end holds the post-lexer, which holds the contextual lexer
        self.lexer_states = StateLexers(contextual.lexers, self.compile)
        inner = lark.parser.parser.parser  # the front end, then lark's LALR_Parser, then its loop's owner
        table = inner.parse_table
        self.token_callbacks = {kind: f for kind, f in inner.callbacks.items() if isinstance(kind, str)}
        plan = reductions(inner.callbacks, lark.options.tree_class or Tree)
        # per state (lark numbers them from 0): a token's action, (True, next state) to shift or (False, (size,
        # callback, rule name, splice)) to reduce, so that no Rule is hashed while parsing; and the state a reduced
        # rule goes to
        rules = {rule.origin.name for rule in plan}
        states = range(len(table.states))
        assert sorted(table.states) == list(states), "lark numbers its parser states from 0"
        self.actions = [{kind: (True, arg) if action is Shift else (False, (len(arg.expansion),) + plan[arg])
                         for kind, (action, arg) in table.states[state].items() if kind not in rules} for state in states]
        self.gotos = [{kind: arg for kind, (_, arg) in table.states[state].items() if kind in rules} for state in states]
        self.lexers: list = [None] * len(states)  # lexer_states as a list: the loop reads it for every token
        self.start_state = table.start_states[start]
        self.end_state = table.end_states[start]

    @staticmethod
    def compile(basic) -> tuple:
        terminals = basic.scanner.terminals  # after lark has folded keywords that NAME also matches into callbacks
        ignored = [t.pattern.to_regexp() for t in terminals if t.name in basic.ignore_types]
        kept = [f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in terminals if t.name not in basic.ignore_types]
        skip = f"(?>(?:{'|'.join(ignored)})*)" if ignored else ""  # atomic: white space is never split two ways
        callbacks = {kind: (keyword_table(callback), callback) for kind, callback in basic.callback.items()}
        return re.compile(skip + "(?:" + "|".join(kept) + ")", basic.g_regex_flags), \
            re.compile(skip, basic.g_regex_flags), callbacks

    def parse(self, text: str):
        """The value of the start rule for `text`; raises `Stuck` where lark would raise an error."""
        actions, gotos, lexers, end_state = self.actions, self.gotos, self.lexers, self.end_state
        token_callbacks = self.token_callbacks
        state = self.start_state
        state_stack: list = []  # the states below the current one
        value_stack: list = []
        new_string, token_class = str.__new__, Token
        pos, end = 0, len(text)
        while True:
            lexer = lexers[state]
            if lexer is None:
                lexer = lexers[state] = self.lexer_states[state]
            pattern, skip, name_callbacks = lexer
            found = pattern.match(text, pos)
            if found is not None:
                kind = found.lastgroup
                value = found.group(kind)
                # a lark Token without lark's constructor, which is two calls deep: the builder reads only the offsets
                token = new_string(token_class, value)
                token.start_pos, pos = found.span(kind)  # the token ends the match: white space comes before it
                token.type, token.value, token.end_pos = kind, value, pos
                token.line = token.column = token.end_line = token.end_column = None
                if kind in name_callbacks:
                    keywords, callback = name_callbacks[kind]
                    if keywords is not None and value.isascii():  # re's IGNORECASE folds some letters beyond ASCII
                        kind = token.type = keywords.get(value.lower(), kind)
                    else:
                        token = callback(token)
                        kind = token.type
            elif skip.match(text, pos).end() == end:
                kind = "$END"
            else:
                raise Stuck(pos)
            while True:
                try:
                    shift, arg = actions[state][kind]
                except KeyError:
                    raise Stuck(pos) from None
                if shift:
                    if kind == "$END":
                        raise Stuck(pos)
                    state_stack.append(state)
                    state = arg
                    value_stack.append(token_callbacks[kind](token) if token_callbacks and kind in token_callbacks else token)
                    break
                size, build, origin, splice = arg
                # the rule's children come off the stacks; its value takes the place of the first (the state below
                # them stays on the stack, under the state the rule goes to)
                if size:
                    children = value_stack[-size:]
                    below = state_stack[-size]
                    if size > 1:
                        del value_stack[1 - size:]
                        del state_stack[1 - size:]
                else:
                    children = []
                    value_stack.append(None)
                    state_stack.append(state)
                    below = state
                if splice is not None:  # lark's ChildFilterLALR_NoPlaceholders, inlined
                    kept: list = []
                    for index, inlined in splice:
                        if not inlined:
                            kept.append(children[index])
                        elif kept:
                            kept += children[index]
                        else:  # left recursion (`x*`): the list grows in place, as lark's does
                            kept = children[index]
                    children = kept
                value_stack[-1] = children if build is None else build(children)
                state = gotos[below][origin]
                if kind == "$END" and state == end_state:
                    return value_stack[-1]


def reductions(callbacks: dict, tree_class: Callable) -> dict:
    """How the quick parser reduces each rule: (the callback, the rule's name, which children to splice).

    lark makes a rule's callback as a chain: `ChildFilterLALR_NoPlaceholders` (the children of inlined `_rules`
    spliced in: its `to_include`, pairs of a child's index and whether to splice it) around the user's method
    (or `ExpandSingleChild` around it for a `?rule`, or `Tree` for a rule without one). The filter is taken off
    and done in the loop; an inlined rule without a method of its own (its callback is `Tree`, which its parent
    only takes apart) gets callback None: its value is its list of children. A chain of any other kind (lark
    options this project does not use) is refused, so that the loop never builds a different contract.
    """
    plan = {}
    for rule, callback in callbacks.items():
        if isinstance(rule, str):
            continue
        splice = None
        if type(callback) is ChildFilterLALR_NoPlaceholders:
            splice = tuple((index, bool(inlined)) for index, inlined in callback.to_include)
            callback = callback.node_builder
        if type(callback) in (ChildFilter, ChildFilterLALR, ChildFilterLALR_NoPlaceholders, PropagatePositions):
            raise ValueError(f"the quick parser does not reduce {rule} as lark would: {callback!r}")
        name = rule.origin.name
        inlined = name.startswith("_")
        if inlined and not (type(callback) is functools.partial and callback.func is tree_class):
            raise ValueError(f"the quick parser cannot inline {rule}: its callback is {callback!r}")
        plan[rule] = (None if inlined else callback, name, splice)
    return plan
