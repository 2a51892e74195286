"""Source text and spans: where in a `.obc` file a thing was written."""

from __future__ import annotations

import bisect
import re

import attrs


class Span:
    """A stretch of source text: file, offsets, and 1-based line and column.

    `end_line`/`end_column` point one past the last character, as lark does.
    A span made by `SourceFile.span` works out its lines and columns only when
    asked: a long contract has hundreds of thousands of spans and shows few.
    Spans are values: equal when file, offsets, lines and columns are.
    """

    __slots__ = ("file", "start", "end", "_source", "_place")

    file: str
    start: int
    end: int

    def __init__(self, file: str, start: int, end: int, line: int, column: int, end_line: int, end_column: int):
        self._set(file, start, end, None, (line, column, end_line, end_column))

    def _set(self, file: str, start: int, end: int, source: "SourceFile | None",
             place: "tuple[int, int, int, int] | None") -> None:
        set_slot = object.__setattr__  # spans are immutable: nothing else writes these slots
        set_slot(self, "file", file)
        set_slot(self, "start", start)
        set_slot(self, "end", end)
        set_slot(self, "_source", source)
        set_slot(self, "_place", place)

    @classmethod
    def in_source(cls, source: "SourceFile", start: int, end: int) -> "Span":
        span = cls.__new__(cls)
        span._set(source.name, start, end, source, None)
        return span

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"a Span cannot be changed (tried to set {name})")

    def _where(self) -> tuple[int, int, int, int]:
        place = self._place
        if place is None:
            source = self._source
            assert source is not None  # a span is made either with its place or from its source
            place = source.position(self.start) + source.position(self.end)
            object.__setattr__(self, "_place", place)
        return place

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
        return (self.file, self.start, self.end, self._where())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Span):
            return NotImplemented
        return self._key() == other._key()

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
