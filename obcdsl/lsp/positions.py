"""Positions: obcdsl counts 1-based lines and columns in characters; LSP counts 0-based lines and columns
in the code units of the encoding agreed at `initialize` (UTF-16 unless the client offers another)."""

from __future__ import annotations

import bisect
import re
from typing import Optional

from lsprotocol import types

from ..source import Span

NEWLINE = re.compile("\n")


def normalised(text: str) -> str:
    """The text as the checker reads it: `\\r\\n` and `\\r` become `\\n`, so lines and columns agree with it."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def units(text: str, encoding: str) -> int:
    """How many code units `text` takes in the encoding."""
    if encoding == types.PositionEncodingKind.Utf32:
        return len(text)
    if encoding == types.PositionEncodingKind.Utf8:
        return len(text.encode("utf-8"))
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def characters(line: str, count: int, encoding: str) -> int:
    """How many characters of `line` its first `count` code units cover (a split character counts whole)."""
    if encoding == types.PositionEncodingKind.Utf32:
        return min(count, len(line))
    seen = 0
    for index, char in enumerate(line):
        if seen >= count:
            return index
        seen += units(char, encoding)
    return len(line)


class LineIndex:
    """One document's lines, for turning offsets, spans and LSP positions into each other."""

    def __init__(self, text: str, encoding: str = types.PositionEncodingKind.Utf16):
        self.text = text
        self.encoding = encoding
        self.starts = [0] + [match.end() for match in NEWLINE.finditer(text)]

    def line_text(self, line: int) -> str:
        """The 0-based line, without its line break."""
        if line < 0 or line >= len(self.starts):
            return ""
        start = self.starts[line]
        end = self.text.find("\n", start)
        return self.text[start:] if end == -1 else self.text[start:end]

    def position(self, offset: int) -> types.Position:
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self.starts, offset) - 1
        start = self.starts[line]
        return types.Position(line, units(self.text[start:offset], self.encoding))

    def at(self, line: int, column: int) -> types.Position:
        """A 1-based line and character column (as in a `Span`) as an LSP position."""
        if line > len(self.starts):
            return self.position(len(self.text))
        text = self.line_text(line - 1)
        return types.Position(max(0, line - 1), units(text[: max(0, column - 1)], self.encoding))

    def range(self, span: Optional[Span]) -> types.Range:
        """A span's range; a diagnostic without a span points at the start of the file."""
        if span is None:
            return types.Range(types.Position(0, 0), types.Position(0, 0))
        return types.Range(self.at(span.line, span.column), self.at(span.end_line, span.end_column))

    def offsets(self, start: int, end: int) -> types.Range:
        return types.Range(self.position(start), self.position(end))

    def offset(self, position: types.Position) -> int:
        """The character offset of an LSP position, clamped to the text."""
        if position.line >= len(self.starts):
            return len(self.text)
        line = max(0, position.line)
        return self.starts[line] + characters(self.line_text(line), position.character, self.encoding)

    def whole(self) -> types.Range:
        return self.offsets(0, len(self.text))
