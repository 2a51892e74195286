"""The canonical layout of a contract's text, for `obcdsl fmt`: every comment kept.

The layout is decided by the parse tree, so formatting never changes what a
contract means: each section, outcome, indicator, band list and phase opens
on its own line and closes with `end` on its own line; each item inside it
takes one line, indented two spaces a level; words are separated by one
space (none before `,`, `:` or `)` and none after `(`). Everything the
author wrote is kept as written: names, titles, the form of each number
(`£37.11m` stays `£37.11m`), the case of keywords, every `#` comment (on its
own line, or at the end of the line whose words it followed) and single
blank lines between items. Sections are separated by one blank line.

`layout(text)` returns the formatted text, or None when the text does not
parse: a file with a syntax error is reported by `obcdsl check`, not
formatted.
"""

from __future__ import annotations

import functools
import threading
from typing import Optional

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedInput

from .parser import WholeWords, grammar_path

INDENT = "  "
NO_SPACE_BEFORE = {",", ":", ")"}
HEADER_RULES = ("clause_ref", "year_span", "sharing_when", "sharing_otherwise")  # trees that belong on a block's opening line (with their aliases)


class Comments:
    """The comments the lexer passes over, for one parse at a time."""

    def __init__(self) -> None:
        self.found: list[Token] = []
        self.lock = threading.Lock()

    def __call__(self, token: Token) -> Token:
        self.found.append(token)
        return token


COMMENTS = Comments()


@functools.lru_cache(maxsize=1)
def layout_parser() -> Lark:
    """The contract grammar, keeping every keyword in the tree and every comment on the side."""
    return Lark.open(
        str(grammar_path()), parser="lalr", lexer="contextual", postlex=WholeWords(), propagate_positions=True,
        maybe_placeholders=False, keep_all_tokens=True, lexer_callbacks={"COMMENT": COMMENTS},
    )


@functools.lru_cache(maxsize=1)
def header_parts() -> frozenset:
    names = set(HEADER_RULES)
    for rule in layout_parser().rules:
        if rule.origin.name in HEADER_RULES and rule.alias:
            names.add(str(rule.alias))
    return frozenset(names)


def layout(text: str) -> Optional[str]:
    """The text in the canonical layout, or None if it does not parse."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    with COMMENTS.lock:
        COMMENTS.found = []
        try:
            tree = layout_parser().parse(text)
        except UnexpectedInput:
            return None
        comments = list(COMMENTS.found)
    return Layout(text, comments).write(tree)


def is_block(node: Tree) -> bool:
    last = node.children[-1] if node.children else None
    return isinstance(last, Token) and str(last).lower() == "end"


def tokens_of(node: Tree | Token) -> list[Token]:
    if isinstance(node, Token):
        return [node]
    found: list[Token] = []
    for child in node.children:
        found.extend(tokens_of(child))
    return found


class Layout:
    def __init__(self, text: str, comments: list[Token]):
        self.source_lines = text.split("\n")
        self.comments = sorted(comments, key=lambda c: c.start_pos or 0)
        self.next_comment = 0
        self.out: list[tuple[int, str]] = []  # (depth, text); depth -1 is a blank line
        self.last_line = 0  # the last source line written

    # -- comments and blank lines

    def own_line(self, comment: Token) -> bool:
        line = self.source_lines[(comment.line or 1) - 1]
        return line[: (comment.column or 1) - 1].strip() == ""

    def comments_before(self, token: Token, depth: int) -> None:
        """Own-line comments before this token go on their own lines, at the depth of what follows them."""
        while self.next_comment < len(self.comments) and (self.comments[self.next_comment].start_pos or 0) < (token.start_pos or 0):
            comment = self.comments[self.next_comment]
            self.next_comment += 1
            if self.own_line(comment):
                self.blank_if_skipped(comment.line or 1)
                self.out.append((depth, str(comment).rstrip()))
                self.last_line = comment.end_line or comment.line or self.last_line
            else:
                self.trailing(comment)

    def trailing(self, comment: Token) -> None:
        """An end-of-line comment follows the words it followed, two spaces after them."""
        for index in range(len(self.out) - 1, -1, -1):
            depth, text = self.out[index]
            if depth >= 0:
                self.out[index] = (depth, f"{text}  {str(comment).rstrip()}")
                return
        self.out.append((0, str(comment).rstrip()))

    def blank_if_skipped(self, line: int) -> None:
        """One blank line where the author left one or more between two lines."""
        if self.out and self.out[-1][0] >= 0 and line > self.last_line + 1:
            between = self.source_lines[self.last_line: line - 1]
            if any(not text.strip() for text in between):
                self.out.append((-1, ""))

    # -- words

    def emit(self, tokens: list[Token], depth: int, first_width: int = 0) -> None:
        if not tokens:
            return
        self.comments_before(tokens[0], depth)
        self.blank_if_skipped(tokens[0].line or 1)
        text = ""
        previous: Optional[Token] = None
        for token in tokens:
            self.comments_before(token, depth)
            word = str(token)
            if previous is None:
                text = word.ljust(first_width) if len(tokens) > 1 else word
            elif word in NO_SPACE_BEFORE or str(previous) == "(" or (str(previous) == "-" and previous.end_pos == token.start_pos):
                text += word
            else:
                text += " " + word
            previous = token
        self.out.append((depth, text))
        self.last_line = tokens[-1].end_line or tokens[-1].line or self.last_line

    def node(self, node: Tree, depth: int) -> None:
        if not is_block(node):
            self.emit(tokens_of(node), depth)
            return
        children = node.children
        header: list[Token] = []
        index = 0
        while index < len(children) - 1:
            child = children[index]
            if isinstance(child, Tree) and child.data not in header_parts():
                break
            header.extend(tokens_of(child))
            index += 1
        self.emit(header, depth)
        items = children[index:-1]
        # the names of a band list line up, so that the thresholds read as a column
        width = max((len(str(tokens_of(c)[0])) for c in items if isinstance(c, Tree)), default=0) if node.data == "bands" else 0
        for child in items:
            if isinstance(child, Tree) and not is_block(child):
                self.emit(tokens_of(child), depth + 1, width)
            elif isinstance(child, Tree):
                self.node(child, depth + 1)
            else:
                self.emit([child], depth + 1)
        end = children[-1]
        assert isinstance(end, Token)  # is_block: the last child is the `end` keyword
        self.emit([end], depth)

    def write(self, tree: Tree) -> str:
        for position, section in enumerate(tree.children):
            if position and self.out and self.out[-1][0] >= 0:
                self.out.append((-1, ""))
                self.last_line = max(self.last_line, (section.meta.line if isinstance(section, Tree) else section.line or 1) - 1)
            if isinstance(section, Tree):
                self.node(section, 0)
            else:
                self.emit([section], 0)
        for comment in self.comments[self.next_comment:]:  # comments after the last `end`
            if self.own_line(comment):
                self.blank_if_skipped(comment.line or 1)
                self.out.append((0, str(comment).rstrip()))
                self.last_line = comment.line or self.last_line
            else:
                self.trailing(comment)
        lines = [INDENT * depth + text if depth >= 0 else "" for depth, text in self.out]
        while lines and not lines[-1]:
            lines.pop()
        return "\n".join(lines) + "\n" if lines else ""
