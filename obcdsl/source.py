"""Source text and spans: where in a `.obc` file a thing was written."""

from __future__ import annotations

import bisect
import re

import attrs


class Span(tuple):
    """A stretch of source text: file, offsets, and 1-based line and column.

    `end_line`/`end_column` point one past the last character, as lark does.
    A span made by `SourceFile.span` works out its lines and columns only when
    asked: a long contract has hundreds of thousands of spans and shows few.
    Spans are values (immutable, a tuple underneath): equal when file, offsets,
    lines and columns are.
    """

    __slots__ = ()

    def __new__(cls, file: str, start: int, end: int, line: int, column: int, end_line: int, end_column: int) -> "Span":
        return tuple.__new__(cls, (file, start, end, (line, column, end_line, end_column)))

    @classmethod
    def in_source(cls, source: "SourceFile", start: int, end: int) -> "Span":
        return tuple.__new__(cls, (source.name, start, end, source))

    @property
    def file(self) -> str:
        return self[0]

    @property
    def start(self) -> int:
        return self[1]

    @property
    def end(self) -> int:
        return self[2]

    def _where(self) -> tuple[int, int, int, int]:
        place = self[3]
        if type(place) is tuple:
            return place
        return place.position(self[1]) + place.position(self[2])

    @property
    def line(self) -> int:
        return self._where()[0]

    @property
    def column(self) -> int:
        return self._where()[1]

    @property
    def end_line(self) -> int:
        return self._where()[2]

    @property
    def end_column(self) -> int:
        return self._where()[3]

    def _key(self) -> tuple:
        return (self[0], self[1], self[2], self._where())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Span):
            return NotImplemented
        return self._key() == other._key()

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (f"Span({self.file!r}, {self.start}, {self.end}, {self.line}, {self.column}, "
                f"{self.end_line}, {self.end_column})")

    def __reduce__(self):
        return (Span, (self.file, self.start, self.end, *self._where()))

    def to_dict(self) -> dict:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "start": self.start,
            "end": self.end,
        }


def span_field():
    """A span attribute that does not take part in equality or repr."""
    return attrs.field(default=None, eq=False, repr=False)


@attrs.frozen
class SourceFile:
    """A contract's text with its name, for turning offsets into lines."""

    name: str
    text: str
    _line_starts: tuple[int, ...] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        starts = [0]
        starts.extend(match.end() for match in re.finditer("\n", self.text))
        object.__setattr__(self, "_line_starts", tuple(starts))

    def line_text(self, line: int) -> str:
        """The text of a 1-based line, without its line break."""
        if line < 1 or line > len(self._line_starts):
            return ""
        start = self._line_starts[line - 1]
        end = self.text.find("\n", start)
        return self.text[start:] if end == -1 else self.text[start:end]

    def position(self, offset: int) -> tuple[int, int]:
        """The 1-based line and column of a character offset."""
        offset = max(0, min(offset, len(self.text)))
        index = bisect.bisect_right(self._line_starts, offset) - 1
        return index + 1, offset - self._line_starts[index] + 1

    def span(self, start: int, end: int) -> Span:
        return Span.in_source(self, start, end)

    def whole(self) -> Span:
        return self.span(0, 0)
